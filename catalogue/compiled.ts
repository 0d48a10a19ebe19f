/**
 * Compiled mode, step 3: translate a module, emit its C catalogue and build it with zig for one
 * or both Arbor ABI families. Nothing is left behind when translation or compilation fails.
 *
 * @module
 */
import { LiveCatalogue } from "../ffi/trampoline.ts";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { AbiFamily } from "../ffi/layout.ts";
import { findZig, PREBUILT_TARGETS, REPOSITORY_ROOT } from "../platform/toolchain.ts";
import { emitCatalogue } from "./emit.ts";
import { Progress } from "../platform/progress.ts";
import { checkMath, type MathMode, zigCpu } from "./cpu.ts";
import {
  checkTarget,
  copyFileAtomic,
  FileRefusedError,
  holds,
  type TargetOptions,
} from "../platform/files.ts";
import { CompileError, translateModule, type Translation } from "./translate.ts";

export { CompileError };

/** Options of `compileCatalogue`. */
export interface CompileOptions {
  /** Output folder (created if missing); default: the working directory. */
  out?: string;
  /** ABI family to build, or `"both"` (default): `<name>_abi06.so` and `<name>_abi07.so`. */
  abi?: AbiFamily | "both";
  /**
   * File name prefix; default: the module's file name without extension (its folder's for mod.ts),
   * with accents dropped and any other character that is not a letter, digit, `_`, `.` or `-`
   * replaced by `_` (`my models/mod.ts` is `my_models`, `kanäle.ts` is `kanale`).
   */
  name?: string;
  /**
   * Replace `<name>.c` and `<name>_abi06/07.so` in the output folder even when denocat did not
   * write them (or they are symbolic links: the link is replaced, never the file it points to).
   * Default false: such a file is refused before anything is compiled; files of an earlier
   * compile are replaced.
   */
  force?: boolean;
  /** Skip raw-hook mechanisms (with a note) instead of failing. */
  skipRaw?: boolean;
  /**
   * The C compiler command, for special builds (e.g. `["gcc", "-fsanitize=address"]`); default
   * `zig cc -O3` from `findZig()`. `-shared -fPIC -ffp-contract=off -std=c11 -I<repo>/c` and the
   * ABI define are always added.
   */
  compiler?: string[];
  /**
   * The platform to build for, one of the prebuilt targets (`"x86_64-linux-gnu"`,
   * `"aarch64-linux-gnu"`, `"x86_64-macos"`, `"aarch64-macos"`); default: this machine. zig cross
   * compiles, so a login node can build the catalogue of an ARM cluster.
   */
  target?: string;
  /**
   * Progress line on the terminal while the libraries build (default: shown on a terminal, not
   * in CI, not with `DENOCAT_PROGRESS=0`); `false` silences it.
   */
  progress?: boolean;
  /**
   * The CPU to build for (docs/compile.md, "CPU options"): `"baseline"` (default, runs on every
   * CPU of the target), `"x86-64-v2"`, `"x86-64-v3"` (AVX2, FMA), `"x86-64-v4"` (AVX-512),
   * `"native"` (this machine), or on aarch64 `"neoverse-n1"`, `"neoverse-v1"`, `"apple-m1"`,
   * `"a64fx"`. A catalogue refuses to load, with a message, on a CPU lacking what it needs.
   */
  cpu?: string;
  /**
   * `"inline"` (default): exp, expm1, log and pow from c/dc_math.h, within 1-2 ulp of the C
   * library, so that the loops vectorize. `"libm"`: the C library's (live mode's
   * operations, to round-off of the math library; scalar loops).
   */
  math?: MathMode;
}

/** One built library. */
export interface CompiledLibrary {
  /** Layout family it speaks. */
  abi: AbiFamily;
  /** Absolute path of the `.so`. */
  path: string;
}

/** What `compileCatalogue` produced. */
export interface CompiledCatalogue {
  /** Catalogue name (file prefix). */
  name: string;
  /** Absolute path of the generated C file, kept next to the libraries. */
  source: string;
  /** The built libraries, one per family. */
  libraries: CompiledLibrary[];
  /** Names of the compiled mechanisms. */
  mechanisms: string[];
  /** Notes (e.g. raw-hook mechanisms skipped with `skipRaw`). */
  notes: string[];
  /** Ready-to-paste Python and TypeScript lines that load each library. */
  usage: string;
}

/** File name suffix of each family's library. */
export const ABI_SUFFIX: Record<AbiFamily, string> = { "0.6": "abi06", "0.7": "abi07" };
const ABI_DEFINE: Record<AbiFamily, string> = { "0.6": "6", "0.7": "7" };

/** The module extensions Deno imports as TypeScript or JavaScript. */
const MODULE_EXTENSION = /\.(ts|mts|cts|tsx|js|mjs|cjs|jsx)$/;

function modulePath(module: string | URL): string {
  const path = module instanceof URL
    ? fileURLToPath(module)
    : module.startsWith("file:")
    ? fileURLToPath(module)
    : resolve(module);
  // Importing anything else runs it as JavaScript (a .py file would fail with a syntax error, or worse).
  if (!MODULE_EXTENSION.test(path)) {
    throw new CompileError(
      `${module} is not a TypeScript or JavaScript module (.ts, .mts, .tsx, .js, .mjs): give the module ` +
        `that declares the mechanisms`,
    );
  }
  return path;
}

const VALID_NAME = /^[A-Za-z0-9_.-]+$/;

/**
 * The catalogue name of a module: `name` as given (refused when invalid), else derived from the
 * file name so that it is valid (accents dropped, other characters replaced by `_`).
 */
export function catalogueName(path: string, name?: string): string {
  if (name !== undefined) {
    if (!VALID_NAME.test(name)) {
      throw new CompileError(`catalogue name '${name}' may only hold letters, digits, '_', '.' and '-'`);
    }
    return name;
  }
  const stem = basename(path).replace(/\.[^.]*$/, "");
  const from = stem === "mod" || stem === "index" ? basename(dirname(path)) : stem;
  const derived = from.normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(/[^A-Za-z0-9_.-]/g, "_");
  if (!/[A-Za-z0-9]/.test(derived) || /^[.-]/.test(derived)) {
    throw new CompileError(
      `cannot make a catalogue name of '${from}' (from ${path}): pass one with --name (letters, digits, ` +
        `'_', '.' and '-')`,
    );
  }
  return derived;
}

/** Translates a module and returns its C catalogue text (no compilation). */
export async function generateCatalogueSource(
  module: string | URL,
  options: Pick<CompileOptions, "name" | "skipRaw" | "math" | "cpu"> = {},
): Promise<{ name: string; code: string; translation: Translation }> {
  const path = modulePath(module);
  const name = catalogueName(path, options.name);
  const translation = await translateModule(path, { skipRaw: options.skipRaw });
  // The declarations go through the same C checks as a live catalogue (identifiers, duplicate
  // names, NaN defaults, ranges, limits) before any C is written: one validator for both modes.
  try {
    const check = await LiveCatalogue.create(
      translation.mechanisms.map((m) => ({ spec: m.plan.spec, target: {}, hooks: {} })),
      "0.7",
    );
    check.close();
  } catch (error) {
    throw new CompileError((error as Error).message);
  }
  const math = checkMath(options.math ?? "inline");
  return { name, code: emitCatalogue(translation, { name, math, cpu: options.cpu }), translation };
}

/**
 * The command line that compiles one C file into a shared library for one family: `compiler`
 * (default `<zig> cc -O3 -mcpu=<cpu> [-target <target>]`, cpu "baseline" unless given) plus the
 * flags every build needs.
 * One list for compiled catalogues and native targets (catalogue/native.ts).
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

/** The folder of denocat's C headers, which every catalogue compile passes as `-I`. */
export const C_INCLUDE_FOLDER: string = join(REPOSITORY_ROOT, "c");

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

/** Compiles one C file into a shared library for one family; throws CompileError on failure. */
export async function compileC(
  source: string,
  output: string,
  abi: AbiFamily,
  compiler?: string[],
  target?: string,
  cpu = "baseline",
): Promise<void> {
  const zig = compiler === undefined ? await findZig() : "";
  const [program, ...args] = compilerCommand(source, output, abi, zig, compiler, target, cpu);
  const result = await new Deno.Command(program, { args, stdout: "piped", stderr: "piped" }).output();
  if (!result.success) {
    const stderr = new TextDecoder().decode(result.stderr);
    throw new CompileError(
      `compiling the generated C for ABI ${abi} failed (${program} ${args.join(" ")}):\n${stderr}`,
    );
  }
}

/** The Python and TypeScript lines that load the built libraries. */
function usageText(libraries: CompiledLibrary[]): string {
  const byAbi = Object.fromEntries(libraries.map((l) => [l.abi, l.path])) as Partial<
    Record<AbiFamily, string>
  >;
  const lines: string[] = [];
  lines.push("Python (Arbor):");
  lines.push("  import arbor");
  if (byAbi["0.6"] && byAbi["0.7"]) {
    lines.push(
      `  new_abi = tuple(int(p) for p in arbor.__version__.split(".")[:2]) >= (0, 11)`,
      `  cat = arbor.load_catalogue(${JSON.stringify(byAbi["0.7"])} if new_abi else ${
        JSON.stringify(byAbi["0.6"])
      })`,
    );
  }
  if (byAbi["0.7"]) {
    lines.push(`  cat = arbor.load_catalogue(${JSON.stringify(byAbi["0.7"])})  # Arbor 0.11 / 0.12 only`);
  }
  if (byAbi["0.6"]) {
    lines.push(`  cat = arbor.load_catalogue(${JSON.stringify(byAbi["0.6"])})  # Arbor 0.9 / 0.10 only`);
  }
  lines.push(`  props = arbor.neuron_cable_properties(); props.catalogue.extend(cat, "")`);
  lines.push("TypeScript (denocat's native host):");
  for (const library of libraries) {
    lines.push(
      `  const host = await Host.create({ catalogues: [${
        JSON.stringify(library.path)
      }], abi: "${library.abi}" });`,
    );
  }
  return lines.join("\n");
}

/** Refuses an output folder that cannot be one (an existing file), before any work is done. */
async function checkOutputFolder(out: string): Promise<void> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(out);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return; // created after compiling
    throw error;
  }
  if (!info.isDirectory) {
    throw new CompileError(
      `the output ${out} is a file, not a folder: -o names the folder that receives the catalogue ` +
        `(<name>.c and <name>_abi06/07.so; created if missing). Give a folder, or choose the file names with --name`,
    );
  }
}

/** Whether an existing output file is one that denocat's compiled mode wrote. */
function compiledByDenocat(bytes: Uint8Array): boolean {
  // The C file's header, and the fingerprint string every compiled library holds (catalogue/emit.ts).
  return holds(bytes, "generated by denocat's compiled mode", 4096) || holds(bytes, "<denocat-compiled>");
}

/** The files a compile writes into `out`. */
function outputFiles(out: string, name: string, abis: AbiFamily[]): string[] {
  return [join(out, `${name}.c`), ...abis.map((abi) => join(out, `${name}_${ABI_SUFFIX[abi]}.so`))];
}

/** Refuses, before anything is compiled, to replace a file or link of the user's in `out`. */
function checkOutputFiles(files: string[], options: TargetOptions): void {
  try {
    for (const file of files) checkTarget(file, options);
  } catch (error) {
    if (error instanceof FileRefusedError) throw new CompileError(error.message);
    throw error;
  }
}

/**
 * Compiles every pointwise mechanism of a module into one native Arbor catalogue per ABI family.
 * Throws `CompileError` (and writes nothing) when a kernel leaves the compiled subset or the C
 * compiler fails.
 */
export async function compileCatalogue(
  module: string | URL,
  options: CompileOptions = {},
): Promise<CompiledCatalogue> {
  const abis: AbiFamily[] = options.abi === undefined || options.abi === "both"
    ? ["0.6", "0.7"]
    : [options.abi];
  for (const abi of abis) {
    if (!(abi in ABI_SUFFIX)) throw new CompileError(`unknown ABI '${abi}': use 0.6, 0.7 or both`);
  }
  const targets = PREBUILT_TARGETS.map((t) => t.target);
  if (options.target !== undefined && !targets.includes(options.target)) {
    throw new CompileError(`unknown target '${options.target}': use one of ${targets.join(", ")}`);
  }
  if (options.target !== undefined && options.compiler !== undefined) {
    throw new CompileError(
      "target and compiler exclude each other: pass the target in your compiler command",
    );
  }
  if (options.progress !== undefined && typeof options.progress !== "boolean") {
    throw new CompileError(
      `compileCatalogue: progress must be true or false, got ${typeof options.progress}`,
    );
  }
  if (options.cpu !== undefined && options.compiler !== undefined) {
    throw new CompileError("cpu and compiler exclude each other: pass -mcpu in your compiler command");
  }
  try {
    if (options.cpu !== undefined) zigCpu(options.cpu, options.target);
    if (options.math !== undefined) checkMath(options.math);
  } catch (error) {
    throw new CompileError((error as Error).message);
  }
  const out = resolve(options.out ?? ".");
  await checkOutputFolder(out);
  const files = outputFiles(out, catalogueName(modulePath(module), options.name), abis);
  const target: TargetOptions = { force: options.force, ours: compiledByDenocat };
  checkOutputFiles(files, target); // before any work: nothing of the user's is replaced
  const { name, code, translation } = await generateCatalogueSource(module, options);
  const work = await Deno.makeTempDir({ prefix: "denocat-compile-" });
  try {
    const source = join(work, `${name}.c`);
    await Deno.writeTextFile(source, code);
    const progress = new Progress({
      label: `compiling catalogue '${name}'`,
      total: abis.length,
      unit: abis.length === 1 ? "library" : "libraries",
      delayMs: 1000,
      ticking: true,
      enabled: options.progress,
    });
    try {
      for (const [built, abi] of abis.entries()) {
        progress.update(built);
        await compileC(
          source,
          join(work, `${name}_${ABI_SUFFIX[abi]}.so`),
          abi,
          options.compiler,
          options.target,
          options.cpu,
        );
        progress.update(built + 1);
      }
    } finally {
      progress.finish();
    }
    // Everything built: only now does anything appear in the output folder, each file under a
    // temporary name renamed into place (a loader never sees half a library; a link is replaced
    // only with force, and then the link itself).
    await Deno.mkdir(out, { recursive: true });
    checkOutputFiles(files, target);
    const libraries: CompiledLibrary[] = [];
    const finalSource = join(out, `${name}.c`);
    try {
      await copyFileAtomic(source, finalSource, target);
      for (const abi of abis) {
        const path = join(out, `${name}_${ABI_SUFFIX[abi]}.so`);
        await copyFileAtomic(join(work, `${name}_${ABI_SUFFIX[abi]}.so`), path, target);
        libraries.push({ abi, path });
      }
    } catch (error) {
      if (error instanceof FileRefusedError) throw new CompileError(error.message);
      throw error;
    }
    return {
      name,
      source: finalSource,
      libraries,
      mechanisms: translation.mechanisms.map((m) => m.plan.spec.name),
      notes: translation.notes,
      usage: usageText(libraries),
    };
  } finally {
    await Deno.remove(work, { recursive: true }).catch(() => {});
  }
}
