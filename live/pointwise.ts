/**
 * The pointwise kernel API at run time: a mechanism written as pure functions of scalars, one
 * compartment at a time, turned into the six raw hooks.
 *
 * Two ways, one set of rules:
 *  - planned (the normal case): the kernels' source was lowered into a kernel plan (kernels/),
 *    and kernels/js.ts printed one JavaScript loop per hook from it: kernels inlined, evaluated
 *    once per instance, nothing allocated per step. compiled mode prints the same plan as C;
 *  - fallback (live/fallback.ts): a kernel the plan cannot express (it calls console.log, reads
 *    `this`, closes over a variable, ...) runs as the user's own function, called from a
 *    generated loop with a reused scope object, every result checked on every call; cnexp then
 *    takes a = f(s + 1) - f(s) from two evaluations and checks linearity numerically at the
 *    first step. The user is told once which kernel and why.
 *
 * Where a rule lives: the weight and unit rules (density currents and conductances scaled by
 * 10·weight, point ones by weight, concentrations by weight for density writers, reversal
 * potentials unweighted) and the result checks are defined and documented in ONE file,
 * kernels/outputs.ts; names, scope keys and allowed result keys in kernels/rules.ts. The
 * printers (kernels/js.ts, kernels/c.ts) only spell the plan. The fallback loops write the
 * same rules out for opaque kernel results; tests run both paths against the same numbers.
 *
 * @module
 */
import type { HookName } from "../abi/layout.ts";
import { type EventBatch, PPACK_RAW, type PPackRaw } from "../abi/ppack.ts";
import type { IonSpec, MechanismSpec } from "../model/spec.ts";
import { ION_FLAG } from "../abi/layout.ts";
import {
  allowedKeys,
  type IntegrationMethod,
  ionScopeNames,
  KERNEL_NAMES,
  type KernelName,
  RESERVED_SCOPE_NAMES,
  unrequestedIonReads,
} from "../kernels/rules.ts";
import type { MechanismPlan } from "../kernels/plan.ts";
import { compileJsHooks, type JsArrays, type JsHook } from "../kernels/js.ts";
import { nonFiniteMessage } from "../kernels/finite.ts";
import { compile, compileAdvance, fallbackHooks, gatherSource } from "./fallback.ts";

export {
  allowedKeys,
  type IntegrationMethod,
  ionScopeNames,
  KERNEL_NAMES,
  type KernelName,
  RESERVED_SCOPE_NAMES,
};

/** Kernels Arbor's calls can reach for each kind. */
const KERNELS_OF_KIND: Record<string, readonly KernelName[]> = {
  density: ["initial", "derivative", "current", "concentrations"],
  point: ["initial", "derivative", "current", "onEvent", "onPostEvent", "concentrations"],
  gap_junction: ["initial", "derivative", "current"],
  reversal_potential: ["initial", "reversalPotential"],
  voltage: [],
};

/** The kernels an object defines. */
export function definedKernels(target: object): KernelName[] {
  return KERNEL_NAMES.filter((name) => typeof (target as Record<string, unknown>)[name] === "function");
}

/**
 * Checks a pointwise declaration: kernels that fit the kind, a known method, names that do not
 * hide scope names, and ion flags that the kernels' writes need.
 */
export function checkPointwise(spec: MechanismSpec, kernels: readonly KernelName[], method: string): void {
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
  if (method !== "cnexp" && method !== "euler") {
    throw new TypeError(`${where}: unknown integration method '${method}'; use "cnexp" or "euler"`);
  }
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
      `${where}: a concentrations kernel needs an ion with writeIntConcentration or writeExtConcentration`,
    );
  }
  if (
    kernels.includes("reversalPotential") && !spec.ions.some((ion) => ion.flags & ION_FLAG.writeRevPotential)
  ) {
    throw new TypeError(`${where}: a reversalPotential kernel needs an ion with writeRevPotential`);
  }
}

function writesConcentration(ion: IonSpec): boolean {
  return (ion.flags & (ION_FLAG.writeIntConcentration | ION_FLAG.writeExtConcentration)) !== 0;
}

/** A kernel target: any object whose kernel methods are called with it as `this`. */
export type KernelTarget = Partial<Record<KernelName, (...args: never[]) => unknown>>;

/** A raw hook as the trampoline catalogue calls it. */
export type Hook = (pp: Record<string, unknown>, events?: EventBatch) => void;

/** The arrays of one ppack object, read once per instance (see `bundleOf`): what printed hooks read. */
export interface Bundle extends JsArrays {
  /** One-time checks done for this ppack object ("verified derivative"). */
  checked: Set<string>;
}

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

/** The pointwise runtime of one mechanism in one catalogue: its hooks and their helpers. */
export class Pointwise {
  readonly spec: MechanismSpec;
  readonly kernels: KernelTarget;
  readonly method: IntegrationMethod;
  /** The one scope object every kernel call reads (reused: no allocation per call). */
  readonly scope: Record<string, number> = {};
  /** State indices the derivative kernel returns; fixed on its first call. */
  integrated: number[] | undefined;
  #advance: ((pp: Record<string, unknown>, b: Bundle) => void) | undefined;
  #gather: ((pp: Record<string, unknown>, b: Bundle, k: number) => void) | undefined;

  constructor(spec: MechanismSpec, kernels: KernelTarget, method: IntegrationMethod) {
    this.spec = spec;
    this.kernels = kernels;
    this.method = method;
    // Every scope key exists from the start, so the object keeps one shape; NaN (a double, not
    // a small integer) makes V8 store the fields as unboxed doubles instead of allocating.
    for (const key of ["v", "dt", "celsius", "diam", "area", "vPeer"]) this.scope[key] = NaN;
    for (const field of [...spec.states, ...spec.parameters, ...spec.globals]) this.scope[field.key] = NaN;
    for (const name of spec.randoms) this.scope[name] = NaN;
    for (const ion of spec.ions) {
      const names = ionScopeNames(ion.name);
      for (const key of [names.reversal, names.internal, names.external, names.diffusive, names.valence]) {
        this.scope[key] = NaN;
      }
    }
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
      checked: new Set(),
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

  /** Loads the scope with instance `k`'s values: the generated loops' own gather, as a function. */
  gather(pp: Record<string, unknown>, b: Bundle, k: number): void {
    this.#gather ??= (() => {
      const { prologue, body } = gatherSource(this);
      return compile<(pp: Record<string, unknown>, b: Bundle, k: number) => void>(
        `return function gather(pp, b, k) {\n${[...prologue, ...body].join("\n")}\n};`,
        { x: this.scope },
      );
    })();
    this.#gather(pp, b, k);
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
   * Throws unless `result` is an object whose keys `kernel` may return. The generated loops call
   * it only when their cheap count of the result's keys does not match (see `keyCheck`).
   */
  checkKeys(kernel: KernelName, result: unknown, k: number, node: number): void {
    const allowed = this.allowedKeys(kernel);
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

  /** Keys each kernel may return. */
  allowedKeys(kernel: KernelName): string[] {
    return allowedKeys(this.spec, kernel);
  }

  /**
   * First `advanceState` of a ppack: discovers which states `derivative` integrates and, for
   * cnexp, checks on every instance that each derivative is linear in its own state and does
   * not depend on the other integrated states.
   */
  verifyDerivative(pp: Record<string, unknown>, b: Bundle): void {
    const f = (this.kernels.derivative as (x: Record<string, number>) => Record<string, number>).bind(
      this.kernels,
    );
    const x = this.scope;
    const keys = this.spec.states.map((s) => s.key);
    for (let k = 0; k < b.width; k++) {
      this.gather(pp, b, k);
      const base = f(x);
      this.checkKeys("derivative", base, k, b.node[k]);
      // Assigned states it returns are stored as they are, not integrated (kernels/outputs.ts).
      const integrated = keys.flatMap((key, j) =>
        base[key] === undefined || this.spec.states[j].assigned ? [] : [j]
      );
      // A bad value is reported as what it is before any linearity check looks at it.
      for (const j of integrated) {
        const value: unknown = base[keys[j]];
        if (typeof value !== "number" || value - value !== 0) {
          this.bad("derivative", `state '${keys[j]}'`, value, k, b.node[k]);
        }
      }
      if (this.integrated === undefined) this.integrated = integrated;
      else if (integrated.join() !== this.integrated.join()) {
        throw new Error(
          `mechanism '${this.spec.name}': derivative() must return the same states for every instance`,
        );
      }
      if (this.method !== "cnexp") continue;
      const baseValues = integrated.map((j) => base[keys[j]]);
      for (const j of integrated) {
        const key = keys[j];
        const s = b.states[j][k];
        // Probe away from the largest doubles: s + 2h must not overflow for a state near them.
        let h = 0.5 * (1 + Math.abs(s));
        if (!(Math.abs(s + 2 * h) < Infinity)) h = -h;
        x[key] = s + h;
        const one = f(x);
        const oneValues = integrated.map((i) => one[keys[i]]);
        x[key] = s + 2 * h;
        const two = f(x)[key];
        x[key] = s;
        for (const [value, at] of [[one[key], s + h], [two, s + 2 * h]]) {
          if (typeof value !== "number" || value - value !== 0) {
            this.bad(
              "derivative",
              `state '${key}' (evaluated at ${key} = ${at} to check linearity)`,
              value,
              k,
              b.node[k],
            );
          }
        }
        const secondDifference = two - 2 * one[key] + base[key];
        const size = Math.abs(two) + 2 * Math.abs(one[key]) + Math.abs(base[key]);
        if (!(Math.abs(secondDifference) <= 1e-9 * size + 1e-300)) {
          throw new Error(
            `mechanism '${this.spec.name}': method cnexp needs the derivative of state '${key}' to be linear ` +
              `in '${key}' (s' = a*s + b), but it is not (at instance ${k}, CV ${b.node[k]}); ` +
              `use method "euler" or rewrite the derivative`,
          );
        }
        integrated.forEach((i, position) => {
          if (i !== j && !Object.is(oneValues[position], baseValues[position])) {
            throw new Error(
              `mechanism '${this.spec.name}': with method cnexp the derivative of state '${
                keys[i]
              }' may only ` +
                `depend on '${keys[i]}', but it changes with state '${key}'; use method "euler"`,
            );
          }
        });
      }
    }
  }

  advance(pp: Record<string, unknown>): void {
    const b = this.bundle(pp);
    // Marked only once every instance passed, so a failed check is repeated on the next call.
    if (!b.checked.has("verified derivative")) {
      this.verifyDerivative(pp, b);
      b.checked.add("verified derivative");
    }
    this.#advance ??= compileAdvance(this);
    this.#advance(pp, b);
  }
}

/** The raw hook each plan hook becomes. */
const PLAN_HOOKS: Record<MechanismPlan["hooks"][number]["hook"], HookName> = {
  init: "init",
  advance: "advanceState",
  current: "computeCurrents",
  ions: "writeIons",
  events: "applyEvents",
  post: "postEvent",
};

/**
 * Turns the kernels of a pointwise mechanism into raw hooks for the trampoline catalogue: the
 * hooks printed from `plan` when there is one, else loops around the user's own kernels.
 * Each call makes fresh code and a fresh scope, so catalogues share nothing.
 */
export function pointwiseHooks(
  spec: MechanismSpec,
  kernels: KernelTarget,
  method: IntegrationMethod,
  plan?: MechanismPlan,
): Partial<Record<HookName, Hook>> {
  const rt = new Pointwise(spec, kernels, method);
  const hooks: Partial<Record<HookName, Hook>> = {};
  if (plan !== undefined) {
    const fail = (kernel: string, what: string, value: number, k: number, cv: number) =>
      rt.bad(kernel as KernelName, what, value, k, cv);
    for (const [name, run] of Object.entries(compileJsHooks(plan, fail)) as [string, JsHook][]) {
      hooks[PLAN_HOOKS[name as keyof typeof PLAN_HOOKS]] = (pp, events) => run(pp, rt.bundle(pp), events);
    }
    return hooks;
  }
  return fallbackHooks(rt);
}
