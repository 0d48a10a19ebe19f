/**
 * denocat: write Arbor mechanisms (ion channels, synapses, ion dynamics) in TypeScript.
 *
 * Declare a mechanism as a class with decorators, build a catalogue, and hand its path to
 * Arbor's `load_catalogue`, or run it on denocat's native test host without Arbor.
 *
 * @example
 * ```ts
 * import { catalogue, CustomMechanism, Host, mechanism, parameter, type PPack } from "./mod.ts";
 *
 * @mechanism({ name: "leak", kind: "density" })
 * class Leak extends CustomMechanism {
 *   @parameter({ unit: "S/cm2", default: 0.001 }) gbar!: Float64Array;
 *   @parameter({ unit: "mV", default: -70 }) erev!: Float64Array;
 *
 *   override computeCurrents(pp: PPack<Leak>) {
 *     for (let k = 0; k < pp.width; k++) {
 *       const node = pp.nodeIndex[k];
 *       const current = pp.gbar[k] * (pp.v[node] - pp.erev[k]); // mA/cm2
 *       pp.i[node] += 10 * pp.weight[k] * current; // accumulate, never assign
 *       pp.g[node] += 10 * pp.weight[k] * pp.gbar[k];
 *     }
 *   }
 * }
 *
 * const cat = await catalogue();
 * const host = await Host.create({ catalogues: [cat] });
 * ```
 *
 * @module
 */
import {
  type HookFunction,
  LiveCatalogue,
  type LiveMechanism,
  throwPendingFailures,
} from "./live/catalogue.ts";
import {
  checkCallbacks,
  checkOptionKeys,
  checkSpec,
  definedHooks,
  type FieldOptions,
  fieldSpec,
  type IonOptions,
  ionSpec,
  resolveKind,
} from "./model/declare.ts";
import type { AbiFamily, HookName, MechanismKind } from "./abi/layout.ts";
import {
  checkPointwise,
  definedKernels,
  type IntegrationMethod,
  type KernelName,
  type KernelTarget,
  pointwiseHooks,
} from "./live/pointwise.ts";
import type { EventBatch, IonViews } from "./abi/ppack.ts";
import type { FieldSpec, IonSpec, MechanismSpec } from "./model/spec.ts";
import type { CompiledCatalogue, CompileOptions } from "./compile/catalogue.ts";
import type { MechanismPlan } from "./kernels/plan.ts";
import { callerSite, type DeclarationSite, planLive } from "./kernels/live.ts";

export type {
  AbiFamily,
  EventBatch,
  FieldOptions,
  FieldSpec,
  HookFunction,
  HookName,
  IonOptions,
  IonSpec,
  IonViews,
};
export type { IntegrationMethod, KernelName, MechanismKind, MechanismSpec };
export type { CompiledCatalogue, CompiledLibrary, CompileOptions } from "./compile/catalogue.ts";
// From kernels/source.ts, not compile/: a value re-export from compile/ would load the compiler
// with mod.ts (and close the cycle mod.ts -> compile/ -> compile/translate.ts -> mod.ts).
export { CompileError } from "./kernels/source.ts";
export type { MathMode } from "./compile/cpu.ts";
export {
  type CatalogueSource,
  type CvOptions,
  Host,
  type HostOptions,
  type IonSpecies,
  NEURON_IONS,
  type PerCv,
  type Placement,
  type PlaceOptions,
  type RunOptions,
  type RunResult,
} from "./live/host.ts";
export { configure, type LibraryOptions } from "./native/library.ts";
export {
  type CellDescription,
  type CellResult,
  type ClampDescription,
  type DensityDescription,
  type EventDescription,
  runCell,
  type RunCellOptions,
  type SynapseDescription,
} from "./live/cell.ts";

/** Marker type of an `@ion` field: the field's name is the ion's name. */
export type Ion = { readonly ion: unique symbol };

/** What every ppack object has, whatever the mechanism. */
export interface BasePPack {
  /** Number of instances of this mechanism in the cell group. */
  readonly width: number;
  /** Step length in ms, read fresh from Arbor at every access (meaningless during `init`). */
  readonly dt: number;
  /** Arbor's id of this mechanism within its cell group. */
  readonly mechanismId: number;
  /** Number of spike detectors per cell (post-event mechanisms only). */
  readonly nDetectors: number;
  /** Membrane voltage per CV (mV); index with `nodeIndex[k]`. */
  readonly v: Float64Array;
  /** Membrane current density per CV (A/m²): accumulate with `+=`. */
  readonly i: Float64Array;
  /** Membrane conductance per CV (kS/m²), the derivative dI/dV: accumulate with `+=`. */
  readonly g: Float64Array;
  /** Temperature per CV (°C). */
  readonly temperatureDegC: Float64Array;
  /** Diameter per CV (µm). */
  readonly diamUm: Float64Array;
  /** Lateral area per CV (µm²). */
  readonly areaUm2: Float64Array;
  /** CV of each instance (a copy: writing it never changes the arrays Arbor indexes with). */
  readonly nodeIndex: Int32Array;
  /** Weight of each instance (density: covered fraction; point: 1000/area). */
  readonly weight: Float64Array;
  /** Merged synapse count per instance (coalesced point mechanisms only; else throws). */
  readonly multiplicity: Int32Array;
  /** Peer CV per instance (gap junctions only; else throws). */
  readonly peerIndex: Int32Array;
  /** Voltage array indexed by `peerIndex[k]` (gap junctions only; else throws). */
  readonly vPeer: Float64Array;
  /** Cell index per CV (post-event groups only; else throws). */
  readonly vecCi: Int32Array;
  /** Per cell and detector: ms since a spike in this step, or -1 (post-event groups only). */
  readonly timeSinceSpike: Float64Array;
  /** The views of every ion by species name. */
  readonly ions: Readonly<Record<string, IonViews>>;
}

/** Names of the members of `M` whose type is `T` (used to derive `PPack<M>`). */
export type KeysOfType<M, T> = { [K in keyof M]-?: M[K] extends T ? K : never }[keyof M] & string;
/** The ppack views of ion species `X`, named as arbor_pycat names them (`iX`, `eX`, `Xi`, ...). */
export type IonNamedViews<X extends string> =
  & { readonly [K in `i${X}` | `g${X}` | `e${X}` | `${X}i` | `${X}o` | `${X}d`]: Float64Array }
  & { readonly [K in `valence${Capitalize<X>}`]: Float64Array }
  & { readonly [K in `index${Capitalize<X>}`]: Int32Array };

/**
 * The ppack object a hook receives for mechanism class `M`: the base views, plus one
 * `Float64Array` per state, parameter and random variable, one number per global, and the named
 * views of every ion (for ion `ca`: `ica`, `gca`, `eca`, `cai`, `cao`, `cad`, `valenceCa`, `indexCa`).
 */
export type PPack<M = unknown> =
  & BasePPack
  & { readonly [K in KeysOfType<M, Float64Array>]: Float64Array }
  & { readonly [K in KeysOfType<M, number>]: number }
  & IonNamedViews<KeysOfType<M, Ion>>;

/**
 * Base class of mechanisms. Define only the hooks you need: hooks left undefined are never
 * called, and cost nothing. Hook names follow arbor_pycat's, in camelCase.
 */
export abstract class CustomMechanism {
  /** `init_mechanism`: runs twice per reset; set every state here. */
  init?(pp: PPack): void;
  /** `advance_state`: integrate states over `pp.dt`. */
  advanceState?(pp: PPack): void;
  /** `compute_currents`: add currents into `pp.i` and conductances into `pp.g` (and ion currents). */
  computeCurrents?(pp: PPack): void;
  /** `write_ions`: add concentrations into `Xi`/`Xo`. */
  writeIons?(pp: PPack): void;
  /** `apply_events` (point mechanisms): the events of this step, all in one batch (copies the hook may keep). */
  applyEvents?(pp: PPack, events: EventBatch): void;
  /** `post_event` (point mechanisms with `hasPostEvents`). */
  postEvent?(pp: PPack): void;
}

/** The scalars a pointwise kernel reads for one compartment and instance. */
export interface BaseScope {
  /** Membrane voltage of the instance's CV (mV). */
  readonly v: number;
  /** Step length (ms); meaningless in `initial`. */
  readonly dt: number;
  /** Temperature of the CV (°C). */
  readonly celsius: number;
  /** Diameter of the CV (µm). */
  readonly diam: number;
  /** Lateral area of the CV (µm²). */
  readonly area: number;
  /** Gap junctions: voltage of the peer CV (mV); NaN otherwise. */
  readonly vPeer: number;
}

/** The ion scalars of species `X` in a kernel scope: `eX`, `Xi`, `Xo`, `Xd`, `valenceX`. */
export type IonScope<X extends string> = {
  readonly [K in `e${X}` | `${X}i` | `${X}o` | `${X}d` | `valence${Capitalize<X>}`]: number;
};

/**
 * What a kernel of pointwise mechanism `M` reads: the base scalars, every state, parameter,
 * global and random variable (fields typed `number`) by name, and the scalars of every ion.
 */
export type Scope<M = unknown> =
  & BaseScope
  & { readonly [K in KeysOfType<M, number>]: number }
  & IonScope<KeysOfType<M, Ion>>;

/** State values a kernel returns (`initial`, `derivative`, `onEvent`, `onPostEvent`). */
export type StateValues<M = unknown> = { [K in KeysOfType<M, number>]?: number };

/**
 * What `current` returns: `i` (non-specific current), `iX` per ion, and optionally the
 * conductances dI/dV `g` and `gX`. Density: mA/cm² and S/cm²; point and gap junction: nA and µS.
 * Without any conductance, dI/dV is taken by a 1 µV forward difference.
 */
export type CurrentValues<M = unknown> =
  & { i?: number; g?: number }
  & { [K in `i${KeysOfType<M, Ion>}` | `g${KeysOfType<M, Ion>}`]?: number };

/** What `concentrations` returns: `Xi`/`Xo` per written ion (mM), added with the weight rules. */
export type ConcentrationValues<M = unknown> = {
  [K in `${KeysOfType<M, Ion>}i` | `${KeysOfType<M, Ion>}o`]?: number;
};

/** What `reversalPotential` returns: `eX` per written ion (mV), assigned. */
export type ReversalValues<M = unknown> = { [K in `e${KeysOfType<M, Ion>}`]?: number };

/**
 * Base class of pointwise mechanisms: define kernels, pure functions of one compartment's
 * scalars, instead of hooks. Fields are typed `number`. denocat gathers, integrates
 * (`method`: cnexp or euler) and scatter-adds with Arbor's rules; kernels never index arrays.
 *
 * @example
 * ```ts
 * import { mechanism, parameter, PointwiseMechanism, type Scope, state } from "./mod.ts";
 * @mechanism({ name: "decay", kind: "density", method: "cnexp" })
 * class Decay extends PointwiseMechanism {
 *   @parameter({ unit: "ms", default: 5 }) tau!: number;
 *   @state() s!: number;
 *   override initial(_x: Scope<Decay>) {
 *     return { s: 1 };
 *   }
 *   override derivative(x: Scope<Decay>) {
 *     return { s: -x.s / x.tau };
 *   }
 * }
 * ```
 */
export abstract class PointwiseMechanism {
  /** Initial state values (states left out start from their defaults); runs at every init. */
  initial?(x: Scope): StateValues;
  /** Time derivative of each integrated state, per ms. */
  derivative?(x: Scope): StateValues;
  /** Currents (and optionally conductances) of the instance. */
  current?(x: Scope): CurrentValues;
  /** Point mechanisms: new state values when an event of `weight` arrives. */
  onEvent?(x: Scope, weight: number): StateValues;
  /** Point mechanisms with `hasPostEvents`: new state values after a spike `timeSinceSpike` ms ago. */
  onPostEvent?(x: Scope, timeSinceSpike: number): StateValues;
  /** Ion writers: concentrations to add into Xi/Xo (in `write_ions`). */
  concentrations?(x: Scope): ConcentrationValues;
  /** Reversal-potential mechanisms: eX to assign (in `compute_currents`). */
  reversalPotential?(x: Scope): ReversalValues;
}

/** Options of `@mechanism`. */
export interface MechanismOptions {
  /** Catalogue name; defaults to the class name. */
  name?: string;
  /** `density` (default), `point`, `reversalPotential`, `gapJunction` or `voltage`. */
  kind?: string;
  /** Allows Arbor to coalesce point instances (then state must be scaled by `multiplicity`). Default false. */
  isLinear?: boolean;
  /** Asks Arbor to call `postEvent` (point mechanisms). Default false. */
  hasPostEvents?: boolean;
  /** Pointwise mechanisms: how `derivative` is integrated, `"cnexp"` (default) or `"euler"`. */
  method?: "cnexp" | "euler";
}

/** A class that `@mechanism` can decorate. */
export type MechanismClass = new () => CustomMechanism | PointwiseMechanism;

/** A declared mechanism: its spec and how to make the object its hooks run on. */
export interface DeclaredMechanism {
  /** The validated description. */
  readonly spec: MechanismSpec;
  /** Makes a fresh hook target (one per catalogue, so catalogues share no state). */
  readonly instantiate: () => { target: object; hooks: Partial<Record<HookName, HookFunction>> };
}

type Member =
  | { section: "global" | "state" | "parameter"; name: string; options: FieldOptions }
  | { section: "ion"; name: string; options: IonOptions }
  | { section: "random"; name: string };

const MEMBERS = Symbol("denocat.members");
const declaredClasses = new WeakMap<object, DeclaredMechanism>();
const declaredOptions = new WeakMap<object, MechanismOptions>();
const defaultRegistry: DeclaredMechanism[] = [];
let defaultCatalogue: Promise<LiveCatalogue> | undefined;

function membersOf(metadata: DecoratorMetadataObject): Member[] {
  // Metadata objects inherit from the superclass's: copy on first own write.
  if (!Object.hasOwn(metadata, MEMBERS)) metadata[MEMBERS] = [...((metadata[MEMBERS] as Member[]) ?? [])];
  return metadata[MEMBERS] as Member[];
}

function fieldDecorator(section: "global" | "state" | "parameter", options: FieldOptions | undefined) {
  return (_value: undefined, context: ClassFieldDecoratorContext): void => {
    if (context.static || context.private || typeof context.name !== "string") {
      throw new TypeError(`@${section} needs a public, non-static field with a string name`);
    }
    membersOf(context.metadata).push({ section, name: context.name, options: options ?? {} });
  };
}

/**
 * Declares a state variable: one `Float64Array` entry per instance, `pp.<name>`.
 *
 * @example
 * ```ts
 * import { CustomMechanism, mechanism, state } from "./mod.ts";
 * @mechanism({ name: "gate" })
 * class Gate extends CustomMechanism {
 *   @state({ unit: "1", default: 0 }) m!: Float64Array;
 * }
 * ```
 */
export function state(
  options?: FieldOptions,
): (value: undefined, context: ClassFieldDecoratorContext) => void {
  return fieldDecorator("state", options);
}

/**
 * Declares a parameter: set per location by Arbor users (`arbor.density("m", {name: value})`).
 *
 * @example
 * ```ts
 * import { CustomMechanism, mechanism, parameter } from "./mod.ts";
 * @mechanism({ name: "leak2" })
 * class Leak2 extends CustomMechanism {
 *   @parameter({ unit: "S/cm2", default: 0.001, range: [0, Infinity] }) gbar!: Float64Array;
 * }
 * ```
 */
export function parameter(
  options?: FieldOptions,
): (value: undefined, context: ClassFieldDecoratorContext) => void {
  return fieldDecorator("parameter", options);
}

/**
 * Declares a global: one read-only number per mechanism, `pp.<name>`, overridable in Arbor with
 * a derived name (`"m/name=value"`).
 *
 * @example
 * ```ts
 * import { CustomMechanism, global, mechanism } from "./mod.ts";
 * @mechanism({ name: "scaled" })
 * class Scaled extends CustomMechanism {
 *   @global({ unit: "1", default: 3 }) q10!: number;
 * }
 * ```
 */
export function global(
  options?: FieldOptions,
): (value: undefined, context: ClassFieldDecoratorContext) => void {
  return fieldDecorator("global", options);
}

/**
 * Declares an ion the mechanism uses; the field name is the species name (or `options.name`).
 * Gives `pp.iX`, `pp.eX`, `pp.Xi`, `pp.Xo`, `pp.Xd`, `pp.gX` (ABI 0.6), `pp.valenceX`, `pp.indexX`.
 *
 * @example
 * ```ts
 * import { CustomMechanism, type Ion, ion, mechanism } from "./mod.ts";
 * @mechanism({ name: "capump" })
 * class CaPump extends CustomMechanism {
 *   @ion({ writeIntConcentration: true, verifyValence: true, expectedValence: 2 }) ca!: Ion;
 * }
 * ```
 */
export function ion(options?: IonOptions): (value: undefined, context: ClassFieldDecoratorContext) => void {
  return (_value, context) => {
    if (context.static || context.private || typeof context.name !== "string") {
      throw new TypeError("@ion needs a public, non-static field with a string name");
    }
    membersOf(context.metadata).push({ section: "ion", name: context.name, options: options ?? {} });
  };
}

/**
 * Declares a random variable: `pp.<name>` holds one standard-normal draw per instance, renewed
 * by Arbor before every `advanceState` (scale it by √dt yourself).
 *
 * @example
 * ```ts
 * import { CustomMechanism, mechanism, random } from "./mod.ts";
 * @mechanism({ name: "noisy" })
 * class Noisy extends CustomMechanism {
 *   @random() noise!: Float64Array;
 * }
 * ```
 */
export function random(): (value: undefined, context: ClassFieldDecoratorContext) => void {
  return (_value, context) => {
    if (context.static || context.private || typeof context.name !== "string") {
      throw new TypeError("@random needs a public, non-static field with a string name");
    }
    membersOf(context.metadata).push({ section: "random", name: context.name });
  };
}

/** Option names of `@mechanism`. */
const MECHANISM_OPTION_KEYS = ["name", "kind", "isLinear", "hasPostEvents", "method"] as const;
/** Option names of `defineMechanism`'s definition. */
const DEFINITION_KEYS = [
  ...MECHANISM_OPTION_KEYS,
  "globals",
  "states",
  "parameters",
  "ions",
  "randoms",
] as const;

function specFromMembers(name: string, options: MechanismOptions, members: readonly Member[]): MechanismSpec {
  for (const flag of ["isLinear", "hasPostEvents"] as const) {
    if (options[flag] !== undefined && typeof options[flag] !== "boolean") {
      throw new TypeError(`mechanism '${name}': ${flag} must be true or false, got ${options[flag]}`);
    }
  }
  const spec: MechanismSpec = {
    name,
    kind: resolveKind(options.kind ?? "density", name),
    isLinear: options.isLinear ?? false,
    hasPostEvents: options.hasPostEvents ?? false,
    globals: [],
    states: [],
    parameters: [],
    ions: [],
    randoms: [],
  };
  for (const member of members) {
    if (member.section === "ion") spec.ions.push(ionSpec(name, member.name, member.options));
    else if (member.section === "random") spec.randoms.push(member.name);
    else {
      const list = member.section === "global"
        ? spec.globals
        : member.section === "state"
        ? spec.states
        : spec.parameters;
      list.push(
        fieldSpec(
          name,
          member.section === "state" ? "state variable" : member.section,
          member.name,
          member.options,
        ),
      );
    }
  }
  return spec;
}

function describeName(definition: unknown): string {
  const name = (definition as { name?: unknown } | null)?.name;
  return typeof name === "string" ? `'${name}'` : "";
}

function checkDefaultRegistryOpen(name: string): void {
  if (defaultCatalogue !== undefined) {
    throw new Error(
      `mechanism '${name}' was declared after catalogue() or cataloguePath() built the default catalogue; ` +
        `declare every mechanism first, or pass it explicitly: catalogue({ mechanisms: [...] })`,
    );
  }
}

/**
 * Class decorator: declares a mechanism and adds it to the default catalogue.
 *
 * @example
 * ```ts
 * import { CustomMechanism, mechanism, type PPack } from "./mod.ts";
 * @mechanism({ name: "passive_example", kind: "density" })
 * class PassiveExample extends CustomMechanism {
 *   override computeCurrents(pp: PPack<PassiveExample>) {
 *     for (let k = 0; k < pp.width; k++) pp.i[pp.nodeIndex[k]] += 10 * pp.weight[k] * 1e-3;
 *   }
 * }
 * ```
 */
export function mechanism(
  options: MechanismOptions = {},
): <C extends MechanismClass>(target: C, context: ClassDecoratorContext<C>) => void {
  const site = callerSite(); // where `@mechanism(...)` stands: the kernel plan reads the class there
  return <C extends MechanismClass>(target: C, context: ClassDecoratorContext<C>): void => {
    checkOptionKeys(`@mechanism of class ${String(context.name)}`, options, MECHANISM_OPTION_KEYS);
    const name = options.name ?? String(context.name);
    checkDefaultRegistryOpen(name);
    const spec = specFromMembers(name, options, (context.metadata[MEMBERS] as Member[] | undefined) ?? []);
    checkCallbacks(name, target.prototype, [CustomMechanism.prototype, PointwiseMechanism.prototype]);
    const declared = declare(
      spec,
      options,
      target.prototype,
      () => new target(),
      site,
      `class ${target.name}`,
    );
    declaredClasses.set(target, declared);
    declaredOptions.set(target, options);
    defaultRegistry.push(declared);
  };
}

/**
 * Checks a declaration and says how to make its hooks: raw hooks are used as they are, kernels
 * of a pointwise mechanism are turned into generated hooks (live/pointwise.ts).
 */
function declare(
  spec: MechanismSpec,
  options: MechanismOptions,
  prototype: object,
  create: () => object,
  site?: DeclarationSite,
  owner = `mechanism '${spec.name}'`,
): DeclaredMechanism {
  const hooks = definedHooks(prototype);
  // An instance also shows kernels written as arrow-function class fields.
  const kernels = definedKernels(create());
  if (kernels.length === 0) {
    if (options.method !== undefined) {
      throw new TypeError(
        `mechanism '${spec.name}': method applies to pointwise kernels, and it defines none`,
      );
    }
    checkSpec(spec, hooks);
    return {
      spec,
      instantiate: () => {
        const object = create();
        return { target: object, hooks: hooksOf(object) };
      },
    };
  }
  if (hooks.length > 0) {
    throw new TypeError(
      `mechanism '${spec.name}' defines raw hooks (${hooks.join(", ")}) and pointwise kernels ` +
        `(${kernels.join(", ")}); use one API per mechanism`,
    );
  }
  const method = (options.method ?? "cnexp") as IntegrationMethod;
  checkPointwise(spec, kernels, method);
  const info: PointwiseInfo = { request: { spec, method, kernels, owner }, site };
  const pointwise = (object: object) => pointwiseHooks(spec, object as KernelTarget, method, info.plan);
  // The generated hooks are what Arbor will call: the usual kind and name checks apply to them.
  checkSpec(spec, Object.keys(pointwise(create())) as HookName[]);
  const declared: DeclaredMechanism = {
    spec,
    instantiate: () => {
      const object = create();
      return { target: object, hooks: pointwise(object) as Partial<Record<HookName, HookFunction>> };
    },
  };
  pointwiseInfo.set(declared, info);
  return declared;
}

/** What live mode needs to plan a pointwise declaration (kernels/live.ts). */
interface PointwiseInfo {
  request: { spec: MechanismSpec; method: IntegrationMethod; kernels: KernelName[]; owner: string };
  site?: DeclarationSite;
  /** The plan attempt, made once per declaration. */
  planning?: Promise<void>;
  /** The plan, once made (undefined: the kernels run as the user's functions). */
  plan?: MechanismPlan;
}

const pointwiseInfo = new WeakMap<DeclaredMechanism, PointwiseInfo>();

/** Plans every pointwise declaration of `declared` that has not been planned yet (once each). */
async function planAll(declared: readonly DeclaredMechanism[]): Promise<void> {
  await Promise.all(declared.map((d) => {
    const info = pointwiseInfo.get(d);
    if (info === undefined) return undefined;
    info.planning ??= planLive(info.request, info.site).then((result) => {
      info.plan = result.plan;
      // One line, once per declaration: which kernel runs as the user's own function, and why.
      if (result.notice) console.log(result.notice);
    });
    return info.planning;
  }));
}

function hooksOf(object: object): Partial<Record<HookName, HookFunction>> {
  const hooks: Partial<Record<HookName, HookFunction>> = {};
  for (const name of definedHooks(object)) hooks[name] = (object as Record<HookName, HookFunction>)[name];
  return hooks;
}

/** What `specOf` tells about a `@mechanism` class (read by the compiler in `compile/`). */
export interface MechanismDeclaration {
  /** The validated spec: names, kinds, fields, defaults, ranges, ions and flags. */
  readonly spec: MechanismSpec;
  /** Integration method of a pointwise mechanism (`"cnexp"` unless declared otherwise). */
  readonly method: IntegrationMethod;
  /** Pointwise kernels the class defines (empty for a raw-hook mechanism). */
  readonly kernels: KernelName[];
  /** Raw hooks the class defines (empty for a pointwise mechanism). */
  readonly hooks: HookName[];
}

/**
 * Internal accessor for the compiler (`compile/`): the runtime declaration of a class decorated
 * with `@mechanism`, or `undefined` for anything else. The compiler takes every piece of
 * metadata from here and only the kernel bodies from the source text.
 *
 * @example
 * ```ts
 * import { specOf } from "./mod.ts";
 * import { PointwiseHH } from "./examples/catalogue/hh.ts";
 * console.log(specOf(PointwiseHH)?.spec.name); // "hh"
 * ```
 */
export function specOf(cls: unknown): MechanismDeclaration | undefined {
  if (typeof cls !== "function") return undefined;
  const declared = declaredClasses.get(cls);
  if (declared === undefined) return undefined;
  const options = declaredOptions.get(cls) ?? {};
  return {
    spec: declared.spec,
    method: (options.method ?? "cnexp") as IntegrationMethod,
    kernels: pointwiseInfo.get(declared)?.request.kernels ?? [],
    hooks: definedHooks(cls.prototype),
  };
}

/**
 * Compiled mode: translates the pointwise mechanisms of a TypeScript module to one C catalogue
 * and builds it with zig for Arbor's ABI 0.6 and/or 0.7 (`<name>_abi06.so`, `<name>_abi07.so`),
 * which then load into Arbor (or the host) with no Deno at run time. Metadata comes from the
 * runtime declarations, kernel bodies from the source; anything outside the compiled subset
 * (see compile/translate.ts) throws a `CompileError` with file:line:column, and nothing is
 * written. The same as `deno task catalogue <module.ts>`.
 *
 * @example
 * ```ts
 * import { compileCatalogue } from "./mod.ts";
 * const built = await compileCatalogue("./examples/catalogue/mod.ts", { out: "out", name: "ports" });
 * console.log(built.usage); // arbor.load_catalogue("…/out/ports_abi07.so") and friends
 * ```
 */
export async function compileCatalogue(
  module: string | URL,
  options: CompileOptions = {},
): Promise<CompiledCatalogue> {
  const { compileCatalogue: compile } = await import("./compile/catalogue.ts");
  return await compile(module, options);
}

/** A plain-object mechanism declaration, for `defineMechanism`. */
export interface MechanismDefinition extends MechanismOptions {
  /** Catalogue name. */
  name: string;
  /** Globals by name. */
  globals?: Record<string, FieldOptions>;
  /** State variables by name. */
  states?: Record<string, FieldOptions>;
  /** Parameters by name. */
  parameters?: Record<string, FieldOptions>;
  /** Ions by species name. */
  ions?: Record<string, IonOptions>;
  /** Random variable names. */
  randoms?: string[];
}

/** Kernels of a plain-object pointwise mechanism; the scope is untyped beyond the base names. */
export interface MechanismKernels {
  /** Initial state values. */
  initial?(x: Scope & Record<string, number>): Record<string, number | undefined>;
  /** Time derivatives of the states (per ms). */
  derivative?(x: Scope & Record<string, number>): Record<string, number | undefined>;
  /** Currents and conductances. */
  current?(x: Scope & Record<string, number>): Record<string, number | undefined>;
  /** New state values when an event of `weight` arrives. */
  onEvent?(x: Scope & Record<string, number>, weight: number): Record<string, number | undefined>;
  /** New state values after a spike `timeSinceSpike` ms before the step's end. */
  onPostEvent?(x: Scope & Record<string, number>, timeSinceSpike: number): Record<string, number | undefined>;
  /** Concentrations to add into Xi/Xo. */
  concentrations?(x: Scope & Record<string, number>): Record<string, number | undefined>;
  /** Reversal potentials to assign. */
  reversalPotential?(x: Scope & Record<string, number>): Record<string, number | undefined>;
}

/** Hooks of a plain-object mechanism; `pp` is untyped beyond the base views. */
export interface MechanismHooks {
  /** `init_mechanism`. */
  init?(pp: PPack & Record<string, unknown>): void;
  /** `advance_state`. */
  advanceState?(pp: PPack & Record<string, unknown>): void;
  /** `compute_currents`. */
  computeCurrents?(pp: PPack & Record<string, unknown>): void;
  /** `write_ions`. */
  writeIons?(pp: PPack & Record<string, unknown>): void;
  /** `apply_events`. */
  applyEvents?(pp: PPack & Record<string, unknown>, events: EventBatch): void;
  /** `post_event`. */
  postEvent?(pp: PPack & Record<string, unknown>): void;
}

/**
 * Declares a mechanism from a plain object and hook functions, without decorators and without
 * adding it to the default catalogue. Pass the result to `catalogue({ mechanisms })`.
 *
 * @example
 * ```ts
 * import { catalogue, defineMechanism } from "./mod.ts";
 * const leak = defineMechanism({ name: "leak3", parameters: { gbar: { default: 1e-3 } } }, {
 *   computeCurrents(pp) {
 *     const gbar = pp.gbar as Float64Array;
 *     for (let k = 0; k < pp.width; k++) {
 *       const node = pp.nodeIndex[k];
 *       pp.i[node] += 10 * pp.weight[k] * gbar[k] * (pp.v[node] + 70);
 *     }
 *   },
 * });
 * const cat = await catalogue({ mechanisms: [leak] });
 * ```
 */
export function defineMechanism(
  definition: MechanismDefinition,
  hooks: MechanismHooks | MechanismKernels = {},
): DeclaredMechanism {
  checkOptionKeys(`defineMechanism(${describeName(definition)})`, definition, DEFINITION_KEYS);
  const where = `mechanism '${definition.name}'`;
  const members: Member[] = [];
  for (const section of ["global", "state", "parameter"] as const) {
    const key = section === "global" ? "globals" : section === "state" ? "states" : "parameters";
    const table = definition[key] ?? {};
    checkOptionKeys(`${where}: ${key}`, table, Object.keys(table));
    for (const [name, options] of Object.entries(table)) members.push({ section, name, options });
  }
  checkOptionKeys(`${where}: ions`, definition.ions ?? {}, Object.keys(definition.ions ?? {}));
  for (const [name, options] of Object.entries(definition.ions ?? {})) {
    members.push({ section: "ion", name, options });
  }
  if (definition.randoms !== undefined && !Array.isArray(definition.randoms)) {
    throw new TypeError(`${where}: randoms must be an array of names`);
  }
  for (const name of definition.randoms ?? []) members.push({ section: "random", name });
  const spec = specFromMembers(definition.name, definition, members);
  checkCallbacks(spec.name, hooks);
  return declare(spec, definition, hooks, () => hooks, callerSite(), `defineMechanism '${definition.name}'`);
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
   * yourself, pass the family of that Arbor (`loadArbor()` in arbor.ts picks it from
   * `arbor.__version__`).
   */
  abi?: AbiFamily;
}

/** A built catalogue: pass `path` to `arbor.load_catalogue` or to the host. */
export type Catalogue = LiveCatalogue;

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

/**
 * Builds a catalogue: a private copy of denocat's library holding the mechanisms.
 *
 * @example
 * ```ts
 * import { catalogue } from "./mod.ts";
 * const cat = await catalogue({ abi: "0.7" }); // every @mechanism class declared so far
 * console.log(cat.path); // arbor.load_catalogue(cat.path)
 * ```
 */
export async function catalogue(options: CatalogueOptions = {}): Promise<Catalogue> {
  throwPendingFailures();
  const abi = options.abi ?? "0.7";
  if (options.mechanisms !== undefined) {
    const declared = options.mechanisms.map(declaredOf);
    await planAll(declared);
    return await LiveCatalogue.create(live(declared), abi);
  }
  if (defaultCatalogue === undefined) {
    if (defaultRegistry.length === 0) {
      throw new Error("no mechanism was declared: decorate a class with @mechanism(...) first");
    }
    defaultCatalogue = planAll(defaultRegistry).then(() => LiveCatalogue.create(live(defaultRegistry), abi));
  }
  const cat = await defaultCatalogue;
  if (options.abi !== undefined && cat.abi !== options.abi) cat.setAbi(options.abi);
  return cat;
}

/**
 * Makes the catalogue (as `catalogue()`) and returns the path of its library, for Arbor's
 * `load_catalogue`.
 *
 * @example
 * ```ts
 * import { cataloguePath } from "./mod.ts";
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
 * import { build } from "./mod.ts";
 * const path = await build(); // the same as cataloguePath()
 * ```
 */
export const build: (options?: CatalogueOptions) => Promise<string> = cataloguePath;
