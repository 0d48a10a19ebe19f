/**
 * The pointwise kernel API at run time: a mechanism written as pure functions of scalars, one
 * compartment at a time, turned into the six raw hooks.
 *
 * One way, one set of rules: the kernels' source is lowered into a kernel plan (kernels/), and
 * kernels/js.ts prints one JavaScript loop per hook from it: kernels inlined, evaluated once per
 * instance, nothing allocated per step; compiled and native mode print the same plan as C. A
 * kernel the plan cannot express (it calls console.log, reads `this`, closes over a variable,
 * ...) is an opaque call in that plan: the user's own function, called with the reused scope
 * object of this file, its result checked on every call (kernels/js.ts), and everything around
 * it (gather, weights, units, finiteness, cnexp) the plan's. The user is told once which kernel
 * and why (kernels/live.ts).
 *
 * Where a rule lives: the weight and unit rules and the result checks in kernels/outputs.ts;
 * names, scope keys and allowed result keys in kernels/rules.ts. This file holds what the
 * printed hooks call: the arrays of a ppack (`Bundle`), the scope object, and the errors.
 *
 * @module
 */
import { type HookName, ION_FLAG, KERNEL_HOOK, KIND, type MechanismKind } from "../ffi/layout.ts";
import { type EventBatch, PPACK_RAW, type PPackRaw } from "../ffi/ppack.ts";
import type { IonSpec, MechanismSpec } from "../ffi/spec.ts";
import {
  allowedKeys,
  type ConservationLaw,
  INTEGRATION_METHODS,
  type IntegrationMethod,
  ionScopeNames,
  KERNEL_NAMES,
  type KernelName,
  RESERVED_SCOPE_NAMES,
  scopeKeys,
  unrequestedIonReads,
} from "./rules.ts";
import { type MechanismPlan, planHooks } from "./plan.ts";
import { type JsArrays, type JsCalls, type JsHook, makeJsHooks } from "./js.ts";
import { nonFiniteMessage } from "./finite.ts";

export {
  allowedKeys,
  type ConservationLaw,
  type IntegrationMethod,
  ionScopeNames,
  KERNEL_NAMES,
  type KernelName,
  RESERVED_SCOPE_NAMES,
};

/** Kernels Arbor's calls can reach for each kind, in KERNEL_NAMES order: from ffi/layout.ts's HOOK_TABLE. */
const KERNELS_OF_KIND = Object.fromEntries(
  (Object.keys(KIND) as MechanismKind[]).map((kind): [MechanismKind, readonly KernelName[]] => [
    kind,
    KERNEL_NAMES.filter((kernel) => KERNEL_HOOK[kernel].kinds.includes(kind)),
  ]),
) as Record<MechanismKind, readonly KernelName[]>;

/** The kernels an object defines. */
export function definedKernels(target: object): KernelName[] {
  return KERNEL_NAMES.filter((name) => typeof (target as Record<string, unknown>)[name] === "function");
}

/**
 * Checks a pointwise declaration: kernels that fit the kind, a known method, names that do not
 * hide scope names, and ion flags that the kernels' writes need.
 */
export function checkPointwise(
  spec: MechanismSpec,
  kernels: readonly KernelName[],
  method: string,
  conserve?: unknown,
): void {
  const where = `mechanism '${spec.name}'`;
  const allowed = KERNELS_OF_KIND[spec.kind];
  if (allowed.length === 0) {
    throw new TypeError(`${where}: kind '${spec.kind}' has no pointwise form; write it with raw hooks`);
  }
  for (const kernel of kernels) {
    if (!allowed.includes(kernel)) {
      throw new TypeError(
        `${where}: kernel ${kernel} does not fit kind '${spec.kind}' (it allows ${allowed.join(", ")})`,
      );
    }
  }
  if (!(INTEGRATION_METHODS as readonly string[]).includes(method)) {
    throw new TypeError(
      `${where}: unknown integration method '${method}'; use ${
        INTEGRATION_METHODS.map((m) => `"${m}"`).join(", ")
      }`,
    );
  }
  if (conserve !== undefined) checkConservation(spec, method, conserve);
  if (spec.hasPostEvents !== kernels.includes("onPostEvent")) {
    throw new TypeError(`${where}: hasPostEvents and an onPostEvent kernel go together`);
  }
  const members = [...spec.globals, ...spec.states, ...spec.parameters].map((f) => f.key).concat(
    spec.randoms,
  );
  for (const name of members) {
    if (RESERVED_SCOPE_NAMES.has(name)) {
      throw new TypeError(`${where}: member '${name}' hides the kernel scope's '${name}'; rename the field`);
    }
  }
  if (kernels.includes("concentrations") && !spec.ions.some((ion) => writesConcentration(ion))) {
    throw new TypeError(
      `${where}: a concentrations kernel needs an ion with writeIntConcentration, writeExtConcentration ` +
        `or useDiffConcentration`,
    );
  }
  if (
    kernels.includes("reversalPotential") && !spec.ions.some((ion) => ion.flags & ION_FLAG.writeRevPotential)
  ) {
    throw new TypeError(`${where}: a reversalPotential kernel needs an ion with writeRevPotential`);
  }
}

/** Checks the `conserve` option: laws over states, for method sparse, with finite weights and totals. */
function checkConservation(spec: MechanismSpec, method: string, conserve: unknown): void {
  const where = `mechanism '${spec.name}'`;
  if (method !== "sparse") {
    throw new TypeError(
      `${where}: conserve applies to method "sparse" (an implicit system), not "${method}"`,
    );
  }
  if (!Array.isArray(conserve)) {
    throw new TypeError(`${where}: conserve must be an array of laws like { sum: ["C", "O"], equals: 1 }`);
  }
  const states = new Set(spec.states.filter((f) => !f.assigned).map((f) => f.key));
  conserve.forEach((law: unknown, k) => {
    const at = `${where}: conserve[${k}]`;
    const { sum, equals, ...rest } = (law ?? {}) as { sum?: unknown; equals?: unknown };
    if (typeof law !== "object" || law === null || Object.keys(rest).length > 0) {
      throw new TypeError(`${at} must be { sum, equals }, got ${JSON.stringify(law)}`);
    }
    const terms: [string, unknown][] = Array.isArray(sum)
      ? sum.map((key) => [String(key), 1])
      : typeof sum === "object" && sum !== null
      ? Object.entries(sum)
      : [];
    if (terms.length === 0) throw new TypeError(`${at}: sum must name at least one state`);
    for (const [key, weight] of terms) {
      if (!states.has(key)) {
        throw new TypeError(`${at}: '${key}' is not a state of this mechanism (${[...states].join(", ")})`);
      }
      if (typeof weight !== "number" || !Number.isFinite(weight) || weight === 0) {
        throw new TypeError(`${at}: the weight of '${key}' must be a finite number other than 0`);
      }
    }
    if (typeof equals !== "number" || !Number.isFinite(equals)) {
      throw new TypeError(`${at}: equals must be a finite number`);
    }
  });
}

function writesConcentration(ion: IonSpec): boolean {
  return (ion.flags &
    (ION_FLAG.writeIntConcentration | ION_FLAG.writeExtConcentration | ION_FLAG.useDiffConcentration)) !== 0;
}

/** A kernel target: any object whose kernel methods are called with it as `this`. */
export type KernelTarget = Partial<Record<KernelName, (...args: never[]) => unknown>>;

/** A raw hook as the trampoline catalogue calls it. */
export type Hook = (pp: Record<string, unknown>, events?: EventBatch) => void;

/** The arrays of one ppack object, read once per ppack (see `Pointwise.bundle`): what printed hooks read. */
export type Bundle = JsArrays;

/** A kernel's result value as an error message shows it: what it is, not what it coerces to. */
function describe(value: unknown): string {
  if (typeof value === "number") return String(value);
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (typeof value === "string") return `${JSON.stringify(value)} (a string)`;
  if (Array.isArray(value)) return `an array`;
  if (typeof value === "object") return "an object";
  return `${String(value)} (a ${typeof value})`;
}

/** Where a ppack object keeps its bundle. */
const BUNDLE = Symbol("denocat.pointwise.bundle");

function optional<T>(read: () => T): T | null {
  try {
    return read();
  } catch {
    return null; // the array does not exist for this mechanism or ABI
  }
}

/**
 * The pointwise runtime of one mechanism in one catalogue: what its printed hooks call (the
 * arrays of a ppack, and for opaque kernels the object, the scope and the result checks).
 */
export class Pointwise implements JsCalls {
  readonly spec: MechanismSpec;
  readonly kernels: KernelTarget;
  /** The one scope object every opaque kernel call reads (reused: no allocation per call). */
  readonly scope: Record<string, number> = {};
  /** The states (bits) the derivative's first call returned; -1 before it. */
  returned = -1;
  /** See JsCalls.verifying. */
  verifying = false;

  constructor(spec: MechanismSpec, kernels: KernelTarget) {
    this.spec = spec;
    this.kernels = kernels;
    // Every scope key exists from the start, so the object keeps one shape; NaN (a double, not
    // a small integer) makes V8 store the fields as unboxed doubles instead of allocating.
    for (const key of scopeKeys(spec)) this.scope[key] = NaN;
    // Ion scalars the declaration did not ask Arbor for: reading one names the flag to add.
    this.unrequested = unrequestedIonReads(spec);
    for (const [key, message] of this.unrequested) {
      Object.defineProperty(this.scope, key, {
        enumerable: true,
        get() {
          throw new Error(message);
        },
      });
    }
  }

  /** Scope keys whose ion flag is missing (see kernels/rules.ts `unrequestedIonReads`). */
  readonly unrequested: ReadonlyMap<string, string>;

  /** The last ppack object seen and its bundle: one comparison per call for the usual case. */
  #lastPP: unknown = undefined;
  #lastBundle: Bundle | undefined = undefined;

  bundle(pp: Record<string | symbol, unknown>): Bundle {
    if (pp === this.#lastPP) return this.#lastBundle!;
    let b = pp[BUNDLE] as Bundle | undefined;
    if (b === undefined) b = this.#newBundle(pp);
    this.#lastPP = pp;
    this.#lastBundle = b;
    return b;
  }

  #newBundle(pp: Record<string | symbol, unknown>): Bundle {
    const ions = this.spec.ions.map((ion) => (pp.ions as Record<string, Record<string, unknown>>)[ion.name]);
    const b: Bundle = {
      width: pp.width as number,
      node: pp.nodeIndex as Int32Array,
      v: pp.v as Float64Array,
      temperature: pp.temperatureDegC as Float64Array,
      diam: pp.diamUm as Float64Array,
      area: pp.areaUm2 as Float64Array,
      weight: pp.weight as Float64Array,
      multiplicity: optional(() => pp.multiplicity as Int32Array),
      peer: optional(() => pp.peerIndex as Int32Array),
      vPeer: optional(() => pp.vPeer as Float64Array),
      vecCi: optional(() => pp.vecCi as Int32Array),
      timeSinceSpike: optional(() => pp.timeSinceSpike as Float64Array),
      states: this.spec.states.map((f) => pp[f.key] as Float64Array),
      parameters: this.spec.parameters.map((f) => pp[f.key] as Float64Array),
      ionIndex: ions.map((ion) => ion.index as Int32Array),
      ionCurrent: ions.map((ion) => ion.currentDensity as Float64Array),
      ionConductance: ions.map((ion) => optional(() => ion.conductivity as Float64Array)),
      ionReversal: ions.map((ion) => optional(() => ion.reversalPotential as Float64Array)),
      ionInternal: ions.map((ion) => optional(() => ion.internalConcentration as Float64Array)),
      ionExternal: ions.map((ion) => optional(() => ion.externalConcentration as Float64Array)),
      ionDiffusive: ions.map((ion) => optional(() => ion.diffusiveConcentration as Float64Array)),
      ionValence: ions.map((ion) => (ion.charge as Float64Array)[0]),
      header: (pp[PPACK_RAW] as PPackRaw).header,
      globals: (pp[PPACK_RAW] as PPackRaw).globals,
      vecI: pp.i as Float64Array,
      vecG: pp.g as Float64Array,
    };
    // Cached on the ppack object itself: it is rebuilt at every init, and so is the bundle.
    pp[BUNDLE] = b;
    return b;
  }

  /** Throws the error for a non-finite or missing kernel result. */
  bad(kernel: KernelName, what: string, value: unknown, k: number, node: number): never {
    if (value === undefined && kernel === "derivative") {
      throw new Error(
        `mechanism '${this.spec.name}': derivative() left out ${what} at instance ${k} (CV ${node}), but ` +
          `returned it at the first step; return every integrated state on every path and step`,
      );
    }
    // One template with the native target's C (kernels/finite.ts).
    throw new Error(nonFiniteMessage(this.spec.name, kernel, what, describe(value), String(k), String(node)));
  }

  /**
   * Throws unless `result` is an object whose keys `kernel` may return. The printed hooks call it
   * only when their cheap count of the result's keys does not match (kernels/js.ts).
   */
  keys(kernel: string, result: unknown, k: number, node: number): void {
    const allowed = allowedKeys(this.spec, kernel as KernelName);
    const at = `at instance ${k} (CV ${node})`;
    if (result === null || typeof result !== "object" || Array.isArray(result)) {
      throw new TypeError(
        `mechanism '${this.spec.name}': ${kernel}() must return an object, got ${describe(result)} ${at}`,
      );
    }
    for (const key in result) {
      if (!allowed.includes(key)) {
        throw new TypeError(
          `mechanism '${this.spec.name}': ${kernel}() returned '${key}', which is not one of ${
            allowed.join(", ") || "(nothing)"
          } (${at})`,
        );
      }
    }
  }

  /**
   * The states an opaque derivative returns (as bits of `mask`) are those of its first call: a
   * state it leaves out later, or returns only later, is an error naming it.
   */
  states(result: Record<string, unknown>, mask: number, k: number, node: number): void {
    if (this.returned === -1) {
      this.returned = mask;
      return;
    }
    this.spec.states.forEach((f, j) => {
      const bit = j > 52 ? 0 : 2 ** j;
      if (f.assigned || bit === 0 || Math.floor(mask / bit) % 2 === Math.floor(this.returned / bit) % 2) {
        return;
      }
      if (result[f.key] === undefined) this.bad("derivative", `state '${f.key}'`, undefined, k, node);
      throw new Error(
        `mechanism '${this.spec.name}': derivative() returned state '${f.key}' at instance ${k} (CV ${node}), ` +
          `but not at the first step; return every integrated state on every path and step`,
      );
    });
  }
  /**
   * cnexp needs an opaque derivative linear in each integrated state and independent of the others
   * (kernels/outputs.ts takes a = f(s + 1) - f(s) with every state moved at once). Checked at a
   * ppack's first step on every instance, with the scope as the call just saw it: each state is
   * moved by h and 2h (h below the largest doubles), and the second difference must vanish while
   * the other states' derivatives stay as they were.
   */
  verify(result: Record<string, unknown>, k: number, node: number): void {
    const x = this.scope;
    const f = (this.kernels.derivative as (x: Record<string, number>) => Record<string, unknown>).bind(
      this.kernels,
    );
    const integrated = this.spec.states.filter((s) => !s.assigned && result[s.key] !== undefined).map((s) =>
      s.key
    );
    // A bad value is reported as what it is before any linearity check looks at it.
    for (const key of integrated) {
      const value = result[key];
      if (typeof value !== "number" || value - value !== 0) {
        this.bad("derivative", `state '${key}'`, value, k, node);
      }
    }
    for (const key of integrated) {
      const s = x[key];
      let h = 0.5 * (1 + Math.abs(s));
      if (!(Math.abs(s + 2 * h) < Infinity)) h = -h;
      let one: Record<string, unknown>, two: unknown;
      try {
        x[key] = s + h;
        one = f(x);
        x[key] = s + 2 * h;
        two = f(x)?.[key];
      } finally {
        x[key] = s;
      }
      for (const [value, at] of [[one?.[key], s + h], [two, s + 2 * h]] as [unknown, number][]) {
        if (typeof value !== "number" || value - value !== 0) {
          this.bad(
            "derivative",
            `state '${key}' (evaluated at ${key} = ${at} to check linearity)`,
            value,
            k,
            node,
          );
        }
      }
      const base = result[key] as number, first = one![key] as number, second = two as number;
      const size = Math.abs(second) + 2 * Math.abs(first) + Math.abs(base);
      if (!(Math.abs(second - 2 * first + base) <= 1e-9 * size + 1e-300)) {
        throw new Error(
          `mechanism '${this.spec.name}': method cnexp needs the derivative of state '${key}' to be linear ` +
            `in '${key}' (s' = a*s + b), but it is not (at instance ${k}, CV ${node}); ` +
            `use method "euler" or rewrite the derivative`,
        );
      }
      for (const other of integrated) {
        if (other !== key && !Object.is(one![other], result[other])) {
          throw new Error(
            `mechanism '${this.spec.name}': with method cnexp the derivative of state '${other}' may only ` +
              `depend on '${other}', but it changes with state '${key}'; use method "euler"`,
          );
        }
      }
    }
  }
}

/**
 * Turns the kernels of a pointwise mechanism into raw hooks for the trampoline catalogue: the
 * hooks printed from `plan`, whose opaque kernels (if any) are called on `kernels`. Each call
 * makes fresh code and a fresh scope, so catalogues share nothing.
 */
export function pointwiseHooks(
  spec: MechanismSpec,
  kernels: KernelTarget,
  plan: MechanismPlan,
): Partial<Record<HookName, Hook>> {
  const rt = new Pointwise(spec, kernels);
  const hooks: Partial<Record<HookName, Hook>> = {};
  const fail = (kernel: string, what: string, value: unknown, k: number, cv: number) =>
    rt.bad(kernel as KernelName, what, value, k, cv);
  // An opaque cnexp derivative is verified at each ppack's first step (Pointwise.verify); a ppack
  // counts as verified only once every instance passed, so a failed check is repeated.
  const verify = plan.method === "cnexp" && plan.opaque.some((o) => o.kernel === "derivative");
  const verified = new WeakSet<Bundle>();
  for (const [name, run] of Object.entries(makeJsHooks(plan, fail, rt)) as [HookName, JsHook][]) {
    hooks[name] = verify && name === "advanceState"
      ? (pp, events) => {
        const b = rt.bundle(pp);
        if (verified.has(b)) return run(pp, b, events);
        rt.verifying = true;
        try {
          run(pp, b, events);
        } finally {
          rt.verifying = false;
        }
        verified.add(b);
      }
      : (pp, events) => run(pp, rt.bundle(pp), events);
  }
  return hooks;
}

/** The raw hooks a pointwise mechanism with `kernels` gets (before it is planned). */
export function pointwiseHookNames(spec: MechanismSpec, kernels: readonly KernelName[]): HookName[] {
  return planHooks(spec, kernels);
}
