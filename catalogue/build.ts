/**
 * The one way a C catalogue becomes a shared library: compiled catalogues (`compileCatalogue`,
 * `denocat compile`) and native targets (`catalogue({ target: "native" })`) both call
 * {@link buildLibrary} with the C text, the compiler command of {@link compilerCommand} and where
 * the library goes: a path of their own, or denocat's cache, where the library is found again by a
 * content hash of everything that decides its bytes (the C text, the compiler command, and what the
 * caller adds: the headers, the zig version, the platform, the CPU).
 *
 * A library appears whole or not at all: the compiler writes a temporary file beside it, which is
 * renamed into place (a loader never maps half a file), and nothing is left behind on failure.
 *
 * @module
 */
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import type { AbiFamily } from "../ffi/layout.ts";
import { libraryFileProblem } from "../platform/binary.ts";
import { sha256Hex } from "../platform/libraries.ts";
import { REPOSITORY_ROOT } from "../platform/toolchain.ts";
import { architectureOf, zigCpu } from "./cpu.ts";

/** File name suffix of each family's library. */
export const ABI_SUFFIX: Record<AbiFamily, string> = { "0.6": "abi06", "0.7": "abi07" };
const ABI_DEFINE: Record<AbiFamily, string> = { "0.6": "6", "0.7": "7" };

/**
 * The command line that compiles one C file into a shared library for one family: `compiler`
 * (default `<zig> cc -O3 -mcpu=<cpu> [-target <target>]`, cpu "baseline" unless given, and on
 * x86_64 {@link X86_VECTOR_WIDTH}) plus the flags every build needs. One list for compiled
 * catalogues and native targets.
 *
 * @example
 * ```ts
 * compilerCommand("hh.c", "hh_abi07.so", "0.7", "zig").slice(0, 4); // ["zig", "cc", "-O3", "-mcpu=baseline"]
 * ```
 */
export function compilerCommand(
  source: string,
  output: string,
  abi: AbiFamily,
  zig: string,
  compiler?: string[],
  target?: string,
  cpu = "baseline",
): string[] {
  // -mcpu=baseline by default: a compiled catalogue is often built on one machine (a login node)
  // and run on others; code for the builder's newest vector units would not run there (the
  // catalogue's CPU check refuses it instead of dying with SIGILL). Native targets pass "native".
  const command = compiler ??
    [
      zig,
      "cc",
      "-O3",
      `-mcpu=${zigCpu(cpu, target)}`,
      ...(architectureOf(target) === "x86_64" ? [X86_VECTOR_WIDTH] : []),
      ...(target === undefined ? [] : ["-target", target]),
    ];
  return [
    ...command,
    "-shared",
    "-fPIC",
    "-ffp-contract=off",
    "-std=c11",
    `-I${C_INCLUDE_FOLDER}`,
    `-DDENOCAT_COMPILED_ABI=${ABI_DEFINE[abi]}`,
    source,
    "-o",
    output,
    "-lm",
  ];
}

/**
 * x86_64 only: let clang's vectorizer use 512-bit vectors where the CPU has AVX-512. Without it,
 * clang keeps to 256 bits for the CPUs whose tuning prefers them (`-mcpu=x86_64_v4`, Intel's
 * Skylake-SP and later, and so `native` on those), while c/catalogue.h pads every array to 64 bytes
 * under `__AVX512F__`. Measured on an AVX-512 EPYC (bench/hook_driver.c, hh, best of 3): `x86-64-v4`
 * took 23.8 ns per instance and step at 1024 CVs with 256-bit vectors and 14.4 ns with 512-bit.
 * Builds without AVX-512 (baseline, x86-64-v2, x86-64-v3) get the same instructions with or without
 * it; the width changes no result (every instance is computed alone, with no reduction across
 * lanes).
 */
export const X86_VECTOR_WIDTH = "-mprefer-vector-width=512";

/** The folder of denocat's C headers, which every catalogue compile passes as `-I`. */
const C_INCLUDE_FOLDER: string = join(REPOSITORY_ROOT, "c");

/**
 * The headers of {@link C_INCLUDE_FOLDER} that a C file includes, directly or through another
 * (`#include "..."`, followed to the end), each once, as `{ name, text }` in the order found. A
 * generated catalogue includes `catalogue.h`, which includes `arbor_abi.h` and `dc_math.h`; the
 * native target hashes all of them into its cache key, so a change of any header rebuilds.
 *
 * @example
 * ```ts
 * const headers = await includedHeaders('#include "catalogue.h"\n');
 * console.log(headers.map((h) => h.name)); // ["catalogue.h", "arbor_abi.h", "dc_math.h"]
 * ```
 */
export async function includedHeaders(code: string): Promise<{ name: string; text: string }[]> {
  const found: { name: string; text: string }[] = [];
  const visit = async (text: string) => {
    for (const [, name] of text.matchAll(/^\s*#\s*include\s+"([^"]+)"/gm)) {
      if (found.some((header) => header.name === name)) continue;
      const header = { name, text: await Deno.readTextFile(join(C_INCLUDE_FOLDER, name)) };
      found.push(header);
      await visit(header.text);
    }
  };
  await visit(code);
  return found;
}

/** What to build: one C file, for one family. */
export interface LibraryBuild {
  /** The C text. */
  code: string;
  /** The layout family (part of the command; named for the cache key). */
  abi: AbiFamily;
  /** The compiler command for a source and an output file (see {@link compilerCommand}). */
  command: (source: string, output: string) => string[];
  /** The error of a failed compile, from the command line and the compiler's stderr. */
  failure: (commandLine: string, stderr: string) => Error;
}

/** Where a built library goes: a path, or the content-hash cache. */
export type LibraryDestination =
  | { path: string }
  | {
    /** The folder of the cache. */
    cacheFolder: string;
    /** What else decides the library's bytes (headers, zig version, platform, CPU), for the key. */
    key: Record<string, unknown>;
  };

let compilerRuns = 0;

/**
 * How many times this process ran the C compiler through {@link buildLibrary}: a cache hit leaves
 * it unchanged (what the cache test measures, instead of a time).
 *
 * @example
 * ```ts
 * const before = libraryCompilerRuns(); // compare after a catalogue() of the same mechanisms
 * ```
 */
export function libraryCompilerRuns(): number {
  return compilerRuns;
}

/**
 * The path of `build`'s library at `destination`: the path given, or the cache file named by the
 * content hash (`<hash>_abi07.so`).
 *
 * @example
 * ```ts ignore
 * const path = await libraryPath(build, { cacheFolder, key: { zig: "0.11.0" } });
 * ```
 */
export async function libraryPath(build: LibraryBuild, destination: LibraryDestination): Promise<string> {
  if ("path" in destination) return destination.path;
  const key = await sha256Hex(new TextEncoder().encode(JSON.stringify({
    ...destination.key,
    abi: build.abi,
    command: build.command("SOURCE", "OUTPUT").slice(1),
    code: build.code,
  })));
  return join(destination.cacheFolder, `${key.slice(0, 32)}_${ABI_SUFFIX[build.abi]}.so`);
}

/** Temporary file names beside `path`, and the compiler call. */
function buildArgs(build: LibraryBuild, path: string) {
  const unique = `${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
  const source = `${path}.${unique}.c`;
  const partial = `${path}.${unique}.partial`;
  const [program, ...args] = build.command(source, partial);
  return { source, partial, program, args };
}

/**
 * Marks a cached library as used now: `denocat cache clean --older-than` measures "unused for" by
 * this time. A read-only cache keeps its old time, which only makes the build look older.
 */
function markUsed(path: string): void {
  try {
    const now = new Date();
    Deno.utimeSync(path, now, now);
  } catch {
    // not writable here: the library is still good to load
  }
}

/**
 * Whether a sound library is cached at `path` (then marked used). A damaged one (truncated, not a
 * library: a full disk, a copy cut short, an edit) is removed, with a line on stderr, so that it
 * is built again instead of failing to load on every run.
 */
function cached(path: string): boolean {
  if (!existsSync(path)) return false;
  let problem: string | undefined;
  try {
    problem = libraryFileProblem(path);
  } catch (error) {
    problem = (error as Error).message;
  }
  if (problem === undefined) {
    markUsed(path);
    return true;
  }
  try {
    Deno.removeSync(path);
  } catch (error) {
    throw new Error(
      `denocat: the cached native build ${path} is damaged (${problem}) and cannot be removed ` +
        `(${(error as Error).message}): remove it, or run "denocat cache clean"`,
    );
  }
  console.error(`denocat: the cached native build ${path} was damaged (${problem}); building it again`);
  return false;
}

/**
 * Builds `build` into `destination` and returns the library's path. In the cache, a sound library
 * of the same key is returned without compiling; the C file is kept beside the library there, for
 * a reader who wonders. Throws `build.failure(...)` when the compiler fails.
 *
 * @example
 * ```ts ignore
 * const path = await buildLibrary(
 *   { code, abi: "0.7", command: (s, o) => compilerCommand(s, o, "0.7", zig), failure: (c, e) => new Error(e) },
 *   { path: "/tmp/out/hh_abi07.so" },
 * );
 * ```
 */
export async function buildLibrary(build: LibraryBuild, destination: LibraryDestination): Promise<string> {
  const path = await libraryPath(build, destination);
  const caching = !("path" in destination);
  if (caching && cached(path)) return path;
  await Deno.mkdir(dirname(path), { recursive: true });
  const { source, partial, program, args } = buildArgs(build, path);
  await Deno.writeTextFile(source, build.code);
  try {
    compilerRuns++;
    const result = await new Deno.Command(program, { args, stdout: "piped", stderr: "piped" }).output();
    if (!result.success) {
      throw build.failure(`${program} ${args.join(" ")}`, new TextDecoder().decode(result.stderr));
    }
    await Deno.rename(partial, path);
    if (caching) await Deno.rename(source, path.replace(/\.so$/, ".c"));
  } finally {
    await Deno.remove(source).catch(() => {});
    await Deno.remove(partial).catch(() => {});
  }
  return path;
}

/**
 * {@link buildLibrary} for callers that cannot wait (`NativeCatalogue.setAbi`): the same steps,
 * synchronously, to a `path` already known (see {@link libraryPath}).
 *
 * @example
 * ```ts ignore
 * const path = buildLibrarySync(build, knownPath, true);
 * ```
 */
export function buildLibrarySync(build: LibraryBuild, path: string, caching: boolean): string {
  if (caching && cached(path)) return path;
  Deno.mkdirSync(dirname(path), { recursive: true });
  const { source, partial, program, args } = buildArgs(build, path);
  Deno.writeTextFileSync(source, build.code);
  try {
    compilerRuns++;
    const result = new Deno.Command(program, { args, stdout: "piped", stderr: "piped" }).outputSync();
    if (!result.success) {
      throw build.failure(`${program} ${args.join(" ")}`, new TextDecoder().decode(result.stderr));
    }
    Deno.renameSync(partial, path);
    if (caching) Deno.renameSync(source, path.replace(/\.so$/, ".c"));
  } finally {
    for (const file of [source, partial]) {
      try {
        Deno.removeSync(file);
      } catch {
        // gone already (renamed, or never written)
      }
    }
  }
  return path;
}
