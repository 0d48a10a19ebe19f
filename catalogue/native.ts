/**
 * The native target of `catalogue({ target: "native" })`: the kernel plans of a catalogue's
 * pointwise mechanisms printed as C (catalogue/emit.ts, the printer compiled catalogues use), built
 * with zig into a shared library in the cache folder, and loaded into this process.
 *
 * The library is found again by a content hash of everything that decides its bytes: the
 * generated C, every header it includes (`c/catalogue.h`, `c/arbor_abi.h`, `c/dc_math.h`), the
 * zig version, the compiler command, the platform, the ABI family, denocat's version and, for
 * `cpu: "native"`, this machine's CPU as zig sees it (a home folder shared by machines of a
 * cluster holds one library per CPU model). A second `catalogue()` of the same mechanisms (in this
 * process or a later one) loads the cached file and runs no compiler.
 *
 * The file speaks Arbor's ABI by itself, so Arbor runs it on any number of threads; the only
 * state denocat reads back is the failure record of kernels/finite.ts (a NaN or infinite kernel
 * result), collected by `throwPendingFailures` exactly where live failures are.
 *
 * @module
 */
import { join } from "node:path";
import type { AbiFamily } from "../ffi/layout.ts";
import { plannedCatalogue, strictPlan } from "./planned.ts";
import { emitCatalogue } from "./emit.ts";
import {
  buildLibrary,
  buildLibrarySync,
  compilerCommand,
  includedHeaders,
  type LibraryBuild,
  libraryCompilerRuns,
  libraryPath,
} from "./build.ts";
import type { MathMode } from "./cpu.ts";
import { FAILURE_SYMBOLS } from "../kernels/finite.ts";
import type { MechanismPlan } from "../kernels/plan.ts";
import { type CatalogueFailure, trackFailures } from "../ffi/failures.ts";
import { cacheFolder, platformTarget } from "../platform/libraries.ts";
import { openLibrary, readCString } from "../ffi/open.ts";
import { findZig, zigVersionOf } from "../platform/toolchain.ts";
import { VERSION } from "../prebuilt/manifest.ts";

/** Options of `NativeCatalogue.create`. */
export interface NativeOptions {
  /** Layout family to build first (the other is built when `setAbi` asks for it). */
  abi: AbiFamily;
  /** Print the NaN / infinity check (default true). */
  checkFinite?: boolean;
  /**
   * The CPU to build for, a `--cpu` name of compiled catalogues (catalogue/cpu.ts); default
   * `"native"`: the library is built in this process for this machine.
   */
  cpu?: string;
  /** `"inline"` (default: c/dc_math.h, loops vectorize) or `"libm"` (the C library's). */
  math?: MathMode;
  /** May a missing zig be installed from npm (`findZig`)? Default true. */
  install?: boolean;
}

const FAILURE_INTERFACE = {
  [FAILURE_SYMBOLS.failed]: { parameters: [], result: "u32" },
  [FAILURE_SYMBOLS.message]: { parameters: [], result: "pointer" },
  [FAILURE_SYMBOLS.clear]: { parameters: [], result: "void" },
} as const;
type FailureLibrary = Deno.DynamicLibrary<typeof FAILURE_INTERFACE>;

/**
 * How many times this process ran the C compiler for a catalogue: a cache hit leaves it unchanged
 * (what the cache test measures, instead of a time).
 */
export function nativeCompilerRuns(): number {
  return libraryCompilerRuns();
}

const zigVersions = new Map<string, Promise<string | undefined>>();

function zigVersion(zig: string): Promise<string | undefined> {
  let version = zigVersions.get(zig);
  if (version === undefined) zigVersions.set(zig, version = zigVersionOf(zig));
  return version;
}

const hostCpus = new Map<string, Promise<string>>();

/**
 * This machine's CPU model and features as `zig targets` reports them: what `-mcpu=native`
 * compiles for, so part of the cache key of a native build (one run per process).
 */
function hostCpu(zig: string): Promise<string> {
  let cpu = hostCpus.get(zig);
  if (cpu === undefined) {
    cpu = (async () => {
      const output = await new Deno.Command(zig, { args: ["targets"], stdout: "piped", stderr: "piped" })
        .output();
      if (!output.success) {
        throw new Error(`denocat: "${zig} targets" failed:\n${new TextDecoder().decode(output.stderr)}`);
      }
      const native = JSON.parse(new TextDecoder().decode(output.stdout)).native;
      return `${native.cpu.name}+${[...native.cpu.features].sort().join(",")}`;
    })();
    hostCpus.set(zig, cpu);
  }
  return cpu;
}

/** The catalogue file of a set of plans, printed as compiled mode prints it. */
export function nativeSource(
  plans: readonly MechanismPlan[],
  checkFinite: boolean,
  build: { math?: MathMode; cpu?: string } = {},
): string {
  return emitCatalogue(plannedCatalogue(plans.map(strictPlan)), {
    name: "native",
    checkFinite,
    math: build.math ?? "inline",
    cpu: build.cpu ?? "native",
  });
}

/** What one native catalogue is built from: its C file, how it is compiled and what keys its cache file. */
interface Recipe {
  code: string;
  zig: string;
  /** The cache folder and what decides the library's bytes besides the C text and the command. */
  cache: { cacheFolder: string; key: Record<string, unknown> };
  cpu: string;
}

/** One family's build of a recipe. */
function libraryBuild(recipe: Recipe, abi: AbiFamily): LibraryBuild {
  return {
    code: recipe.code,
    abi,
    command: (source, output) =>
      compilerCommand(source, output, abi, recipe.zig, undefined, undefined, recipe.cpu),
    failure: (commandLine, stderr) =>
      new Error(`denocat: building the native catalogue failed (${commandLine}):\n${stderr}`),
  };
}

/**
 * A catalogue of pointwise mechanisms running as native code. It has what a live catalogue has
 * for Arbor and the host (`path`, `abi`, `setAbi`, `names`, `closed`, `close`).
 */
export class NativeCatalogue {
  /** Mechanism names, in catalogue order. */
  readonly names: readonly string[];
  /** Always `"native"` (a live catalogue runs JavaScript). */
  readonly target = "native" as const;
  /** Whether NaN and infinite kernel results are checked. */
  readonly checkFinite: boolean;
  #recipe: Recipe;
  #abi: AbiFamily;
  #paths: Partial<Record<AbiFamily, string>> = {};
  #pending: Partial<Record<AbiFamily, string>> = {};
  #libraries: FailureLibrary[] = [];
  #closed = false;

  private constructor(names: string[], recipe: Recipe, abi: AbiFamily, checkFinite: boolean) {
    this.names = names;
    this.#recipe = recipe;
    this.#abi = abi;
    this.checkFinite = checkFinite;
  }

  /** Builds (or finds in the cache) and loads the native library of `plans`. */
  static async create(plans: readonly MechanismPlan[], options: NativeOptions): Promise<NativeCatalogue> {
    const checkFinite = options.checkFinite ?? true;
    const cpu = options.cpu ?? "native";
    const math = options.math ?? "inline";
    const zig = await findZig({ install: options.install });
    const version = await zigVersion(zig);
    if (version === undefined) throw new Error(`denocat: "${zig} version" failed`);
    const code = nativeSource(plans, checkFinite, { math, cpu });
    const recipe: Recipe = {
      code,
      zig,
      cpu,
      cache: {
        cacheFolder: join(cacheFolder(platformTarget() ?? Deno.build.target), "native"),
        key: {
          denocat: VERSION,
          platform: Deno.build.target,
          zig: version,
          // Built where it runs, so for this CPU by default (issue 17); the key holds the CPU model
          // too, since a cached library may be found by another machine sharing the home folder.
          hostCpu: cpu === "native" ? await hostCpu(zig) : undefined,
          // Every header the generated C includes (c/catalogue.h and the headers it includes): a
          // change in any of them changes the library's bytes.
          header: (await includedHeaders(code)).map((h) => `${h.name}\n${h.text}`).join("\n"),
        },
      },
    };
    const cat = new NativeCatalogue(plans.map((p) => p.spec.name), recipe, options.abi, checkFinite);
    cat.#load(options.abi, await buildLibrary(libraryBuild(recipe, options.abi), recipe.cache));
    // Where a setAbi() will look, known now, so that setAbi needs no hashing that must wait.
    const other: AbiFamily = options.abi === "0.7" ? "0.6" : "0.7";
    cat.#pending[other] = await libraryPath(libraryBuild(recipe, other), recipe.cache);
    return cat;
  }

  #load(abi: AbiFamily, path: string): void {
    if (this.checkFinite) this.#libraries.push(openLibrary(path, FAILURE_INTERFACE));
    this.#paths[abi] = path;
    trackFailures(this);
  }

  /** Path of the library of the current layout family: give it to `arbor.load_catalogue` or the host. */
  get path(): string {
    return this.#paths[this.#abi]!;
  }

  /** The ABI layout family `path` speaks. */
  get abi(): AbiFamily {
    return this.#abi;
  }

  /** Whether `close()` was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Switches to the other layout family. A native library speaks one family, so this builds (or
   * finds in the cache) the other family's library; `path` changes, the old one stays valid.
   */
  setAbi(abi: AbiFamily): void {
    if (this.#closed) throw new Error("this catalogue was closed");
    if (abi !== "0.6" && abi !== "0.7") {
      throw new Error(`unknown ABI '${abi}': use "0.6" (Arbor 0.9/0.10) or "0.7" (Arbor 0.11+)`);
    }
    if (this.#paths[abi] === undefined) {
      this.#load(abi, buildLibrarySync(libraryBuild(this.#recipe, abi), this.#pending[abi]!, true));
    }
    this.#abi = abi;
  }

  /** Throws (and clears) a NaN or infinite kernel result recorded by the native code. */
  throwIfFailed(): void {
    const failure = this.takeFailure();
    if (failure !== undefined) throw failure.error;
  }

  /** The recorded NaN or infinite kernel result, cleared, or undefined; see {@link throwIfFailed}. */
  takeFailure(): CatalogueFailure | undefined {
    if (this.#closed) return undefined;
    for (const library of this.#libraries) {
      const s = library.symbols;
      if (s[FAILURE_SYMBOLS.failed]() === 0) continue;
      const message = readCString(s[FAILURE_SYMBOLS.message]());
      s[FAILURE_SYMBOLS.clear]();
      return { message, error: new Error(message) };
    }
    return undefined;
  }

  /**
   * Forgets the catalogue: a host refuses it afterwards. The library file stays in the cache
   * (Arbor never unloads a catalogue, and the next identical catalogue reuses it).
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    trackFailures(this, false);
    for (const library of this.#libraries) library.close();
    this.#libraries = [];
  }
}
