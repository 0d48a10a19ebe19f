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
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { AbiFamily } from "../ffi/layout.ts";
import { type TranslatedMechanism, type Translation, uniquePrefix } from "./translate.ts";
import { emitCatalogue } from "./emit.ts";
import { ABI_SUFFIX, compilerCommand, includedHeaders } from "./compiled.ts";
import type { MathMode } from "./cpu.ts";
import { FAILURE_SYMBOLS } from "../kernels/finite.ts";
import type { MechanismPlan } from "../kernels/plan.ts";
import { type CatalogueFailure, trackFailures } from "../ffi/failures.ts";
import { cacheFolder, platformTarget, sha256Hex } from "../platform/libraries.ts";
import { openLibrary, readCString } from "../ffi/open.ts";
import { libraryFileProblem } from "../platform/binary.ts";
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

let compilerRuns = 0;

/**
 * How many times this process ran the C compiler for a native catalogue: a cache hit leaves it
 * unchanged (what the cache test measures, instead of a time).
 */
export function nativeCompilerRuns(): number {
  return compilerRuns;
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

/** The catalogue file of a set of plans, as compiled mode would print it. */
export function nativeSource(
  plans: readonly MechanismPlan[],
  checkFinite: boolean,
  build: { math?: MathMode; cpu?: string } = {},
): string {
  const taken = new Set<string>();
  const mechanisms: TranslatedMechanism[] = plans.map((plan) => ({
    plan,
    className: plan.owner.replace(/^(class|defineMechanism) /, ""),
    location: plan.at.replace(/:\d+:\d+$/, ""),
    prefix: uniquePrefix(plan.spec.name, taken),
  }));
  const sources = [...new Set(mechanisms.map((m) => m.location))];
  const translation: Translation = { module: sources[0] ?? "", mechanisms, notes: [], sources };
  return emitCatalogue(translation, {
    name: "native",
    checkFinite,
    math: build.math ?? "inline",
    cpu: build.cpu ?? "native",
  });
}

/** What one library build needs; kept so that `setAbi` can build the other family later. */
interface Recipe {
  code: string;
  zig: string;
  zigVersion: string;
  folder: string;
  /** The names and text of the headers the generated C includes (`includedHeaders`), for the key. */
  header: string;
  /** The host CPU (`hostCpu`) when built for `native`, else undefined: the library is portable. */
  hostCpu?: string;
  command: (source: string, output: string, abi: AbiFamily) => string[];
  /** File name suffix of each family's library (catalogue/compiled.ts's). */
  suffix: Record<AbiFamily, string>;
}

/** The cached path of one family's library (a name made from the content hash). */
async function libraryPath(recipe: Recipe, abi: AbiFamily): Promise<string> {
  const key = await sha256Hex(new TextEncoder().encode(JSON.stringify({
    denocat: VERSION,
    platform: Deno.build.target,
    abi,
    zig: recipe.zigVersion,
    command: recipe.command("SOURCE", "OUTPUT", abi).slice(1),
    hostCpu: recipe.hostCpu,
    header: recipe.header,
    code: recipe.code,
  })));
  return join(recipe.folder, `${key.slice(0, 32)}_${recipe.suffix[abi]}.so`);
}

/** Temporary file names and the compiler call of one build. */
function buildArgs(recipe: Recipe, path: string, abi: AbiFamily) {
  const unique = `${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
  const source = `${path}.${unique}.c`;
  const partial = `${path}.${unique}.partial`;
  const [program, ...args] = recipe.command(source, partial, abi);
  return { source, partial, program, args };
}

function failed(program: string, args: string[], stderr: Uint8Array): Error {
  return new Error(
    `denocat: building the native catalogue failed (${program} ${args.join(" ")}):\n${
      new TextDecoder().decode(stderr)
    }`,
  );
}

/**
 * Marks a cached library as used now: `denocat cache clean --older-than` measures "unused for" by
 * this time. A read-only cache keeps its old time, which only makes the build look older.
 */
function markUsed(path: string): string {
  try {
    const now = new Date();
    Deno.utimeSync(path, now, now);
  } catch {
    // not writable here: the library is still good to load
  }
  return path;
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

/** Builds the library (atomically: a loader never sees half a file) unless it is cached. */
async function build(recipe: Recipe, abi: AbiFamily): Promise<string> {
  const path = await libraryPath(recipe, abi);
  if (cached(path)) return path;
  await Deno.mkdir(recipe.folder, { recursive: true });
  const { source, partial, program, args } = buildArgs(recipe, path, abi);
  await Deno.writeTextFile(source, recipe.code);
  try {
    compilerRuns++;
    const result = await new Deno.Command(program, { args, stdout: "piped", stderr: "piped" }).output();
    if (!result.success) throw failed(program, args, result.stderr);
    await Deno.rename(partial, path);
    // The C source beside it, for a reader who wonders: renamed into place as well.
    await Deno.rename(source, path.replace(/\.so$/, ".c"));
  } finally {
    await Deno.remove(source).catch(() => {});
    await Deno.remove(partial).catch(() => {});
  }
  return path;
}

/** `build` for `setAbi`, which cannot wait: the same steps, synchronously. */
function buildSync(recipe: Recipe, abi: AbiFamily, path: string): string {
  if (cached(path)) return path;
  Deno.mkdirSync(recipe.folder, { recursive: true });
  const { source, partial, program, args } = buildArgs(recipe, path, abi);
  Deno.writeTextFileSync(source, recipe.code);
  try {
    compilerRuns++;
    const result = new Deno.Command(program, { args, stdout: "piped", stderr: "piped" }).outputSync();
    if (!result.success) throw failed(program, args, result.stderr);
    Deno.renameSync(partial, path);
    Deno.renameSync(source, path.replace(/\.so$/, ".c"));
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
      suffix: ABI_SUFFIX,
      zig,
      zigVersion: version,
      folder: join(cacheFolder(platformTarget() ?? Deno.build.target), "native"),
      // Every header the generated C includes (c/catalogue.h and the headers it includes): a
      // change in any of them changes the library's bytes.
      header: (await includedHeaders(code)).map((h) => `${h.name}\n${h.text}`).join("\n"),
      // Built where it runs, so for this CPU by default (issue 17); the key holds the CPU model
      // too, since a cached library may be found by another machine sharing the home folder.
      hostCpu: cpu === "native" ? await hostCpu(zig) : undefined,
      command: (source, output, abi) => compilerCommand(source, output, abi, zig, undefined, undefined, cpu),
    };
    const cat = new NativeCatalogue(plans.map((p) => p.spec.name), recipe, options.abi, checkFinite);
    cat.#load(options.abi, await build(recipe, options.abi));
    // Where a setAbi() will look, known now, so that setAbi needs no hashing that must wait.
    const other: AbiFamily = options.abi === "0.7" ? "0.6" : "0.7";
    cat.#pending[other] = await libraryPath(recipe, other);
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
    if (this.#paths[abi] === undefined) this.#load(abi, buildSync(this.#recipe, abi, this.#pending[abi]!));
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
