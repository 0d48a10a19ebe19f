/**
 * `@mechanism` and the declaration registry: a class or definition becomes a `DeclaredMechanism`
 * (checked spec + how to make its hooks); pointwise kernels are wrapped into generated hooks and
 * planned (`planAll` once for `catalogue()`, `planNow` afresh for each compile). Every declaration
 * keeps a record of where it was made, which is how compiled mode finds the mechanisms of a module
 * (catalogue/planned.ts).
 *
 * @module
 */
import type { HookFunction } from "../ffi/trampoline.ts";
import {
  checkCallbacks,
  checkOptionKeys,
  checkSpec,
  definedHooks,
  fieldSpec,
  ionSpec,
  resolveKind,
} from "./validate.ts";
import type { HookName } from "../ffi/layout.ts";
import {
  checkPointwise,
  type ConservationLaw,
  definedKernels,
  type IntegrationMethod,
  type KernelName,
  type KernelTarget,
  pointwiseHookNames,
  pointwiseHooks,
} from "../kernels/pointwise.ts";
import type { MechanismSpec } from "../ffi/spec.ts";
import type { MechanismPlan } from "../kernels/plan.ts";
import { callerSite, type DeclarationSite, planLive } from "../kernels/live.ts";
import {
  CustomMechanism,
  type DeclaredMechanism,
  type MechanismClass,
  type MechanismOptions,
  PointwiseMechanism,
} from "./types.ts";
import { type Member, MEMBERS } from "./decorators.ts";

/** Mechanism of each `@mechanism` class. */
export const declaredClasses = new WeakMap<object, DeclaredMechanism>();
export const declaredOptions = new WeakMap<object, MechanismOptions>();
export const defaultRegistry: DeclaredMechanism[] = [];
/** The default catalogue, once built, per target and check choice. */
/**
 * Set once `catalogue()` has built a catalogue of {@link defaultRegistry}: later declarations
 * would be missing from it, so they are refused.
 */
let defaultRegistryClosed = false;

/** Closes {@link defaultRegistry}: called by `catalogue()` when it builds the default catalogue. */
export function closeDefaultRegistry(): void {
  defaultRegistryClosed = true;
}

/** Option names of `@mechanism`. */
const MECHANISM_OPTION_KEYS = ["name", "kind", "isLinear", "hasPostEvents", "method", "conserve"] as const;
/** Option names of `defineMechanism`'s definition. */
export const DEFINITION_KEYS = [
  ...MECHANISM_OPTION_KEYS,
  "globals",
  "states",
  "parameters",
  "ions",
  "randoms",
] as const;

export function specFromMembers(
  name: string,
  options: MechanismOptions,
  members: readonly Member[],
): MechanismSpec {
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

export function describeName(definition: unknown): string {
  const name = (definition as { name?: unknown } | null)?.name;
  return typeof name === "string" ? `'${name}'` : "";
}

function checkDefaultRegistryOpen(name: string): void {
  if (defaultRegistryClosed) {
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
 * import { CustomMechanism, mechanism, type PPack } from "../mod.ts";
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
 * of a pointwise mechanism are turned into generated hooks (kernels/pointwise.ts).
 */
export function declare(
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
    for (const option of ["method", "conserve"] as const) {
      if (options[option] === undefined) continue;
      throw new TypeError(
        `mechanism '${spec.name}': ${option} applies to pointwise kernels, and it defines none`,
      );
    }
    checkSpec(spec, hooks);
    const raw: DeclaredMechanism = {
      spec,
      instantiate: () => {
        const object = create();
        return { target: object, hooks: hooksOf(object) };
      },
    };
    declarationRecords.set(raw, { site, owner, hooks, pointwise: false });
    return raw;
  }
  if (hooks.length > 0) {
    throw new TypeError(
      `mechanism '${spec.name}' defines raw hooks (${hooks.join(", ")}) and pointwise kernels ` +
        `(${kernels.join(", ")}); use one API per mechanism`,
    );
  }
  const method = (options.method ?? "cnexp") as IntegrationMethod;
  checkPointwise(spec, kernels, method, options.conserve);
  const conserve = options.conserve;
  const info: PointwiseInfo = { request: { spec, method, kernels, owner, conserve }, site, create };
  // The generated hooks are what Arbor will call: the usual kind and name checks apply to them.
  checkSpec(spec, pointwiseHookNames(spec, kernels));
  const declared: DeclaredMechanism = {
    spec,
    instantiate: () => {
      if (info.plan === undefined) {
        throw new Error(`internal: mechanism '${spec.name}' is instantiated before it was planned (planAll)`);
      }
      const object = create();
      const hooks = pointwiseHooks(spec, object as KernelTarget, info.plan);
      return { target: object, hooks: hooks as Partial<Record<HookName, HookFunction>> };
    },
  };
  pointwiseInfo.set(declared, info);
  declarationRecords.set(declared, { site, owner, hooks: [], pointwise: true });
  return declared;
}

/** What live mode needs to plan a pointwise declaration (kernels/live.ts). */
interface PointwiseInfo {
  request: {
    spec: MechanismSpec;
    method: IntegrationMethod;
    kernels: KernelName[];
    owner: string;
    conserve?: readonly ConservationLaw[];
  };
  site?: DeclarationSite;
  /** Makes the object whose kernels the hooks call (what the plan must mean). */
  create: () => object;
  /** The plan attempt, made once per declaration. */
  planning?: Promise<void>;
  /** The plan, once made. */
  plan?: MechanismPlan;
  /** Which kernels run as the user's functions (opaque calls: JavaScript only) and why, in one line. */
  notice?: string;
}

export const pointwiseInfo = new WeakMap<DeclaredMechanism, PointwiseInfo>();

/** Where and as what a mechanism was declared: what compiled mode needs to find it in a module. */
export interface DeclarationRecord {
  /** Where `@mechanism(...)` or `defineMechanism(...)` stands (undefined outside a local file). */
  readonly site?: DeclarationSite;
  /** `class X` or `defineMechanism 'x'`, for messages. */
  readonly owner: string;
  /** Its raw hooks (empty for a pointwise mechanism). */
  readonly hooks: readonly HookName[];
  /** Whether it is written as pointwise kernels (then `planAll` plans it). */
  readonly pointwise: boolean;
}

const declarationRecords = new WeakMap<DeclaredMechanism, DeclarationRecord>();

/** The record of a declaration made by `declare` (every declaration has one). */
export function declarationOf(declared: DeclaredMechanism): DeclarationRecord | undefined {
  return declarationRecords.get(declared);
}

/** The plan of a pointwise declaration once `planAll` made it; undefined for raw hooks. */
export function planOf(declared: DeclaredMechanism): MechanismPlan | undefined {
  return pointwiseInfo.get(declared)?.plan;
}

/** A plan attempt made now. The kernels are looked up on an object made now: the prototype chain as it stands now. */
function planLiveNow(info: PointwiseInfo): ReturnType<typeof planLive> {
  return planLive({ ...info.request, runtime: { target: info.create() } }, info.site);
}

/**
 * A plan of a pointwise declaration made now from its source as it is, not kept (compiled mode:
 * a file edited since the declaration is refused, never planned from its new text or reused from
 * an earlier compile). Undefined for raw hooks.
 */
export async function planNow(declared: DeclaredMechanism): Promise<MechanismPlan | undefined> {
  const info = pointwiseInfo.get(declared);
  return info && (await planLiveNow(info)).plan;
}

/** Plans every pointwise declaration of `declared` that has not been planned yet (once each). */
export async function planAll(declared: readonly DeclaredMechanism[]): Promise<void> {
  await Promise.all(declared.map((d) => {
    const info = pointwiseInfo.get(d);
    if (info === undefined) return undefined;
    info.planning ??= planLiveNow(info).then(
      (result) => {
        info.plan = result.plan;
        // Printed by catalogue/target.ts, once: which kernel runs as the user's own function, and why.
        info.notice = result.notice;
      },
    );
    return info.planning;
  }));
}

function hooksOf(object: object): Partial<Record<HookName, HookFunction>> {
  const hooks: Partial<Record<HookName, HookFunction>> = {};
  for (const name of definedHooks(object)) hooks[name] = (object as Record<HookName, HookFunction>)[name];
  return hooks;
}

/** What `specOf` tells about a `@mechanism` class (the public accessor of a class's declaration). */
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
 * import { specOf } from "../mod.ts";
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
