/**
 * `catalogue()`, `cataloguePath()` and `compileCatalogue()`: declared mechanisms become a library
 * Arbor loads, on the JavaScript target (a trampoline catalogue), the native target (zig, in the
 * cache) or compiled ahead of time into the user's folder.
 *
 * @module
 */
import { LiveCatalogue, type LiveMechanism } from "../ffi/trampoline.ts";
import { throwPendingFailures } from "../ffi/failures.ts";
import type { AbiFamily } from "../ffi/layout.ts";
import {
  compileCatalogue as compileModule,
  type CompiledCatalogue,
  type CompileOptions,
} from "./compiled.ts";
import type { MathMode } from "./cpu.ts";
import {
  assembleCatalogue,
  CATALOGUE_TARGETS,
  type CatalogueTarget,
  type NativeBuild,
  nativeBuildOf,
} from "./target.ts";
import type { DeclaredMechanism, MechanismClass } from "../mechanism/types.ts";
import type { NativeCatalogue } from "./native.ts";
import {
  closeDefaultRegistry,
  declaredClasses,
  defaultRegistry,
  planAll,
  pointwiseInfo,
} from "../mechanism/declare.ts";

/**
 * A built catalogue: pass `path` to `arbor.load_catalogue` or to the host. A `LiveCatalogue`
 * runs JavaScript; a `NativeCatalogue` (target "native", or "auto" with zig) runs native code.
 */
export type Catalogue = LiveCatalogue | NativeCatalogue;

/** The default catalogues built so far, one per target and build options. */
const defaultCatalogues = new Map<string, Promise<Catalogue>>();

/**
 * Compiled mode: translates the pointwise mechanisms of a TypeScript module to one C catalogue
 * and builds it with zig for Arbor's ABI 0.6 and/or 0.7 (`<name>_abi06.so`, `<name>_abi07.so`),
 * which then load into Arbor (or the host) with no Deno at run time. Metadata comes from the
 * runtime declarations, kernel bodies from the source; anything outside the compiled subset
 * (see catalogue/translate.ts) throws a `CompileError` with file:line:column, and nothing is
 * written. The same as `deno task catalogue <module.ts>`.
 *
 * @example
 * ```ts
 * import { compileCatalogue } from "../mod.ts";
 * const built = await compileCatalogue("./examples/catalogue/mod.ts", { out: "out", name: "ports" });
 * console.log(built.usage); // arbor.load_catalogue("…/out/ports_abi07.so") and friends
 * ```
 */
export async function compileCatalogue(
  module: string | URL,
  options: CompileOptions = {},
): Promise<CompiledCatalogue> {
  return await compileModule(module, options);
}

/** Options of `catalogue()` and `build()`. */
export interface CatalogueOptions {
  /**
   * Mechanisms to include: declared classes or `defineMechanism` results. When omitted, the
   * default catalogue of every `@mechanism` class is built (once; later calls return it).
   */
  mechanisms?: (MechanismClass | DeclaredMechanism)[];
  /**
   * Layout family: "0.6" for Arbor 0.9/0.10, "0.7" (default) for Arbor 0.11/0.12. Arbor cannot
   * tell the two apart and misreads the other silently: when you load the path into Arbor
   * yourself, pass the family of that Arbor (`loadArbor()` in arbor/mod.ts picks it from
   * `arbor.__version__`).
   */
  abi?: AbiFamily;
  /**
   * Where pointwise kernels run: "js" (live JavaScript), "native" (C built with zig when
   * `catalogue()` is called, cached; zig is installed from npm if missing), or "auto" (default:
   * native when every mechanism is pointwise with plannable kernels and zig is already present,
   * else JavaScript with one line saying why). Raw hooks always run as JavaScript. See
   * docs/targets.md.
   */
  target?: CatalogueTarget;
  /**
   * Native code checks every kernel result for NaN and ±Infinity and throws the error live mode
   * throws (default true). `false` drops the check for production runs.
   */
  checkFinite?: boolean;
  /**
   * The CPU native code is built for (the `--cpu` names of docs/compile.md); default `"native"`:
   * this machine, with its widest vector units. Give `"baseline"` when the cached library must
   * also run on older CPUs reading the same cache folder.
   */
  cpu?: string;
  /**
   * Native code's exp, expm1, log and pow: `"inline"` (default; c/dc_math.h, within 1-2 ulp of
   * the C library, loops vectorize) or `"libm"` (the C library's; scalar loops).
   */
  math?: MathMode;
}

function declaredOf(entry: MechanismClass | DeclaredMechanism): DeclaredMechanism {
  if (typeof entry === "function") {
    const declared = declaredClasses.get(entry);
    if (declared === undefined) {
      throw new TypeError(`class ${entry.name} is not a mechanism: decorate it with @mechanism(...)`);
    }
    return declared;
  }
  return entry;
}

function live(declared: readonly DeclaredMechanism[]): LiveMechanism[] {
  return declared.map((d) => ({ spec: d.spec, ...d.instantiate() }));
}

/** Builds `declared` on the target `options` asks for (catalogue/target.ts decides). */
async function assemble(
  declared: readonly DeclaredMechanism[],
  abi: AbiFamily,
  target: CatalogueTarget,
  build: NativeBuild,
): Promise<Catalogue> {
  await planAll(declared);
  const entries = declared.map((d) => {
    const info = pointwiseInfo.get(d);
    // A plan with opaque kernels runs only as JavaScript: catalogue/target.ts sees no plan, and the notice.
    const plan = info?.notice === undefined ? info?.plan : undefined;
    return { name: d.spec.name, pointwise: info !== undefined, plan, notice: info?.notice };
  });
  return await assembleCatalogue(entries, {
    target,
    abi,
    build,
    live: () => LiveCatalogue.create(live(declared), abi),
    validate: async () => {
      (await LiveCatalogue.create(declared.map((d) => ({ spec: d.spec, target: {}, hooks: {} })), abi))
        .close();
    },
  });
}

/**
 * Builds a catalogue of the mechanisms. With `target: "auto"` (the default) pointwise
 * mechanisms run as native code when zig is present, else as JavaScript with one line saying
 * why; see docs/targets.md.
 *
 * @example
 * ```ts
 * import { catalogue } from "../mod.ts";
 * const cat = await catalogue({ abi: "0.7" }); // every @mechanism class declared so far
 * console.log(cat.path); // arbor.load_catalogue(cat.path)
 * const js = await catalogue({ target: "js" }); // JavaScript kernels, whatever is installed
 * ```
 */
export async function catalogue(options: CatalogueOptions = {}): Promise<Catalogue> {
  throwPendingFailures();
  const abi = options.abi ?? "0.7";
  const target = options.target ?? "auto";
  if (!CATALOGUE_TARGETS.includes(target)) {
    throw new TypeError(
      `catalogue: target must be one of ${CATALOGUE_TARGETS.map((t) => `"${t}"`).join(", ")}, got ${
        JSON.stringify(target)
      }`,
    );
  }
  const build = nativeBuildOf(options);
  if (options.mechanisms !== undefined) {
    return await assemble(options.mechanisms.map(declaredOf), abi, target, build);
  }
  const key = `${target}/${build.checkFinite}/${build.cpu}/${build.math}`;
  let pending = defaultCatalogues.get(key);
  if (pending === undefined) {
    if (defaultRegistry.length === 0) {
      throw new Error("no mechanism was declared: decorate a class with @mechanism(...) first");
    }
    closeDefaultRegistry();
    pending = assemble(defaultRegistry, abi, target, build);
    defaultCatalogues.set(key, pending);
  }
  const cat = await pending;
  if (options.abi !== undefined && cat.abi !== options.abi) cat.setAbi(options.abi);
  return cat;
}

/**
 * Makes the catalogue (as `catalogue()`) and returns the path of its library, for Arbor's
 * `load_catalogue`.
 *
 * @example
 * ```ts
 * import { cataloguePath } from "../mod.ts";
 * const path = await cataloguePath(); // for arbor.load_catalogue(path)
 * ```
 */
export async function cataloguePath(options: CatalogueOptions = {}): Promise<string> {
  return (await catalogue(options)).path;
}

/**
 * The old name of {@link cataloguePath}.
 *
 * @deprecated Use `cataloguePath()`: "build" also names `deno task build:native` (zig) and
 * compiled mode (`compileCatalogue`).
 *
 * @example
 * ```ts
 * import { build } from "../mod.ts";
 * const path = await build(); // the same as cataloguePath()
 * ```
 */
export const build: (options?: CatalogueOptions) => Promise<string> = cataloguePath;
