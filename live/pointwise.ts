/**
 * The pointwise kernel API at run time: a mechanism written as pure functions of scalars, one
 * compartment at a time, turned into the six raw hooks.
 *
 * Two ways, one set of rules:
 *  - planned (the normal case): the kernels' source was lowered into a kernel plan (kernels/),
 *    and kernels/js.ts printed one JavaScript loop per hook from it: kernels inlined, evaluated
 *    once per instance, nothing allocated per step. compiled mode prints the same plan as C;
 *  - fallback: a kernel the plan cannot express (it calls console.log, reads `this`, closes over
 *    a variable, ...) runs as the user's own function, called from a generated loop with a
 *    reused scope object; cnexp then takes a = f(s + 1) - f(s) from two evaluations and checks
 *    linearity numerically at the first step. The user is told once which kernel and why.
 *
 * The rules both follow (gathers, weights, units, defaults) are documented and, for the planned
 * way, implemented in kernels/outputs.ts; names and keys come from kernels/rules.ts.
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

type Hook = (pp: Record<string, unknown>, events?: EventBatch) => void;

/** The arrays of one ppack object, read once per instance (see `bundleOf`): what printed hooks read. */
interface Bundle extends JsArrays {
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
class Pointwise {
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
    throw new Error(
      `mechanism '${this.spec.name}': ${kernel}() gave ${describe(value)} for ${what} at instance ${k} ` +
        `(CV ${node}); every result must be a finite number`,
    );
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
      const integrated = keys.flatMap((key, j) => (base[key] === undefined ? [] : [j]));
      // A bad value is reported as what it is before any linearity check looks at it.
      for (const j of integrated) {
        const value: unknown = base[keys[j]];
        if (typeof value !== "number" || value - value !== 0) {
          this.bad("derivative", `state '${keys[j]}'`, value, k, b.node[k]);
        }
      }
      for (const j of integrated) {
        if (this.spec.states[j].assigned) {
          throw new Error(
            `mechanism '${this.spec.name}': derivative() returned '${keys[j]}', which is declared assigned`,
          );
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

/** Builds a JS function from generated source; `scope` names are bound as its parameters. */
function compile<T>(source: string, bindings: Record<string, unknown>): T {
  const names = Object.keys(bindings);
  return new Function(...names, `"use strict";\n${source}`)(...names.map((n) => bindings[n])) as T;
}

const lit = (key: string) => JSON.stringify(key);

/** Compiles the loop `lines` as hook `name(pp, b, events)` and binds it to the ppack's bundle. */
function generatedHook(rt: Pointwise, name: string, lines: string[]): Hook {
  const run = compile<(pp: unknown, b: Bundle, events: EventBatch | undefined) => void>(
    `return function ${name}(pp, b, events) {\n${lines.join("\n")}\n};`,
    { kernels: rt.kernels, x: rt.scope, rt },
  );
  return (pp, events) => run(pp, rt.bundle(pp), events);
}

/** Source that loads scope `x` for instance `k` (inside a loop whose prologue is `prologue`). */
function gatherSource(
  rt: Pointwise,
  options: { init?: boolean } = {},
): { prologue: string[]; body: string[] } {
  const { spec } = rt;
  const prologue = [
    "const node = b.node, V = b.v, T = b.temperature, D = b.diam, A = b.area, W = b.weight;",
    "const peer = b.peer, VP = b.vPeer;",
    "const dt = pp.dt;",
    // dt is meaningless during init (garbage on Arbor 0.9/0.10): NaN makes a kernel that uses it fail.
    options.init ? "x.dt = NaN;" : "x.dt = dt;",
  ];
  const body = [
    "const n = node[k];",
    "x.v = V[n]; x.celsius = T[n]; x.diam = D[n]; x.area = A[n];",
    "if (VP !== null) x.vPeer = VP[peer[k]];",
  ];
  spec.states.forEach((f, j) => {
    prologue.push(`const S${j} = b.states[${j}];`);
    body.push(`x[${lit(f.key)}] = S${j}[k];`);
  });
  spec.parameters.forEach((f, j) => {
    prologue.push(`const P${j} = b.parameters[${j}];`);
    body.push(`x[${lit(f.key)}] = P${j}[k];`);
  });
  for (const f of spec.globals) prologue.push(`x[${lit(f.key)}] = pp[${lit(f.key)}];`);
  spec.randoms.forEach((name, j) => {
    prologue.push(`const R${j} = pp[${lit(name)}];`);
    body.push(`x[${lit(name)}] = R${j}[k];`);
  });
  spec.ions.forEach((ion, j) => {
    const names = ionScopeNames(ion.name);
    prologue.push(
      `const I${j} = b.ionIndex[${j}], E${j} = b.ionReversal[${j}], XI${j} = b.ionInternal[${j}], ` +
        `XO${j} = b.ionExternal[${j}], XD${j} = b.ionDiffusive[${j}], IC${j} = b.ionCurrent[${j}], ` +
        `IG${j} = b.ionConductance[${j}];`,
      `x[${lit(names.valence)}] = b.ionValence[${j}];`,
    );
    body.push(`const at${j} = I${j}[k];`);
    for (
      const [key, array] of [[names.reversal, `E${j}`], [names.internal, `XI${j}`], [
        names.external,
        `XO${j}`,
      ], [names.diffusive, `XD${j}`]]
    ) {
      // Unrequested scalars are accessors that throw, naming the flag (see the constructor).
      if (!rt.unrequested.has(key)) body.push(`x[${lit(key)}] = ${array} === null ? NaN : ${array}[at${j}];`);
    }
  });
  return { prologue, body };
}

/**
 * The check of one result: a number (strings, null, booleans and arrays would be coerced) that is
 * finite (`v - v !== 0` is true for NaN and ±Infinity only). Run on every call: both tests cost
 * next to nothing on a number.
 */
const check = (kernel: KernelName, what: string, value: string) =>
  `if (typeof ${value} !== "number" || ${value} - ${value} !== 0) rt.bad(${lit(kernel)}, ${
    lit(what)
  }, ${value}, k, n);`;

/**
 * The key check of result `r` of `kernel`, on every call: a count of its keys (for-in on an
 * object of one shape allocates nothing) against the count of allowed keys it holds. Only a
 * mismatch (an unknown key, or a key set to undefined) calls the full check, which throws for
 * an unknown key.
 */
function keyCheck(rt: Pointwise, kernel: KernelName, r: string): string {
  const present = rt.allowedKeys(kernel).map((key) => `(${r}[${lit(key)}] !== undefined)`);
  return `if (${r} === null || typeof ${r} !== "object") rt.checkKeys(${lit(kernel)}, ${r}, k, n); ` +
    `else { let keys = 0; for (const _ in ${r}) keys++; ` +
    `if (keys !== ${["0", ...present].join(" + ")}) rt.checkKeys(${lit(kernel)}, ${r}, k, n); }`;
}

/** Writes the states a kernel returned (all of them, or those present when `partial`). */
function storeStates(rt: Pointwise, kernel: KernelName, result: string, partial: boolean): string[] {
  return rt.spec.states.flatMap((f, j) => {
    const value = `${result}[${lit(f.key)}]`;
    const store = [`{ const s = ${value}; ${check(kernel, `state '${f.key}'`, "s")} S${j}[k] = s; }`];
    return partial ? [`if (${value} !== undefined) ${store[0]}`] : store;
  });
}

function compileInit(rt: Pointwise): Hook {
  const { prologue, body } = gatherSource(rt, { init: true });
  const lines = [...prologue, "const M = b.multiplicity;", "for (let k = 0; k < b.width; k++) {", ...body];
  if (rt.kernels.initial) {
    lines.push(
      "const r = kernels.initial(x);",
      keyCheck(rt, "initial", "r"),
    );
    // States initial() leaves out restart from their defaults, so init stays idempotent.
    rt.spec.states.forEach((f, j) => {
      lines.push(
        `{ let s = r[${lit(f.key)}]; if (s === undefined) s = ${f.defaultValue}; ${
          check("initial", `state '${f.key}'`, "s")
        } S${j}[k] = s; }`,
      );
    });
  } else {
    rt.spec.states.forEach((f, j) => lines.push(`S${j}[k] = ${f.defaultValue};`));
  }
  // Coalesced point instances stand for multiplicity[k] synapses: scale every STATE, but not the
  // ASSIGNED variables, as modcc does (5.5).
  const scaled = rt.spec.states.flatMap((f, j) => (f.assigned ? [] : [`S${j}[k] *= M[k];`]));
  lines.push("if (M !== null) {", ...scaled, "}", "}");
  return generatedHook(rt, "init", lines);
}

function compileAdvance(rt: Pointwise): (pp: Record<string, unknown>, b: Bundle) => void {
  const { prologue, body } = gatherSource(rt);
  const integrated = rt.integrated ?? [];
  const keys = rt.spec.states.map((f) => f.key);
  const lines = [
    ...prologue,
    "for (let k = 0; k < b.width; k++) {",
    ...body,
    "const d = kernels.derivative(x);",
    keyCheck(rt, "derivative", "d"),
  ];
  // Every step, each integrated state's value is checked as what it is (left out, not a number,
  // not finite) before anything is computed from it.
  const checkValue = (result: string, j: number) =>
    `{ const f = ${result}[${lit(keys[j])}]; ${check("derivative", `state '${keys[j]}'`, "f")} }`;
  for (const j of integrated) lines.push(checkValue("d", j));
  if (rt.method === "euler") {
    for (const j of integrated) {
      lines.push(
        `{ const s = S${j}[k] + dt * d[${lit(keys[j])}]; ${
          check("derivative", `state '${keys[j]}'`, "s")
        } S${j}[k] = s; }`,
      );
    }
  } else {
    // A second evaluation with every integrated state moved by 1 gives each slope a = f(s+1) - f(s)
    // (a step of 1 needs no division); with the derivative linear in its own state and
    // independent of the others (checked on the first call), f = a*s + b, and modcc's cnexp
    // update follows.
    for (const j of integrated) {
      lines.push(
        `const s${j} = S${j}[k];`,
        `x[${lit(keys[j])}] = s${j} + 1;`,
      );
    }
    lines.push("const e = kernels.derivative(x);", keyCheck(rt, "derivative", "e"));
    for (const j of integrated) lines.push(checkValue("e", j));
    for (const j of integrated) {
      const key = lit(keys[j]);
      lines.push(
        `{ const f = d[${key}], a = e[${key}] - f, c = f - a * s${j}; let s;`,
        `  if (a === 0) s = s${j} + c * dt;`,
        `  else if (c === 0) s = s${j} * ((1 + 0.5 * a * dt) / (1 - 0.5 * a * dt));`,
        `  else { const ca = c / a; s = -ca + (s${j} + ca) * ((1 + 0.5 * a * dt) / (1 - 0.5 * a * dt)); }`,
        `  ${check("derivative", `state '${keys[j]}'`, "s")} S${j}[k] = s; }`,
      );
    }
  }
  lines.push("}");
  return compile(`return function advanceState(pp, b) {\n${lines.join("\n")}\n};`, {
    kernels: rt.kernels,
    x: rt.scope,
    rt,
  });
}

function compileCurrent(rt: Pointwise): Hook {
  const { prologue, body } = gatherSource(rt);
  const { spec } = rt;
  // Density kinds work in mA/cm² and S/cm² (×10 to A/m² and kS/m²); point and gap junction in nA
  // and µS, already scaled to a density by weight = 1000/area (docs/abi.md 5.2).
  const scale = spec.kind === "density" ? "10 * W[k]" : "W[k]";
  const lines = [
    ...prologue,
    "const vecI = pp.i, vecG = pp.g;",
    "for (let k = 0; k < b.width; k++) {",
    ...body,
  ];
  const currentKeys = ["i", ...spec.ions.map((ion) => ionScopeNames(ion.name).current)];
  const conductanceKeys = ["g", ...spec.ions.map((ion) => ionScopeNames(ion.name).conductance)];
  // Each returned value is checked before it is summed: "1" + 2 would concatenate.
  const sum = (result: string, keys: string[], prefix: string) => {
    const terms = keys.map((key, t) => {
      const value = `${result}[${lit(key)}]`;
      lines.push(
        `const ${prefix}${t} = ${value} === undefined ? 0 : ${value};`,
        check("current", `'${key}'`, `${prefix}${t}`),
      );
      return `${prefix}${t}`;
    });
    return terms.join(" + ");
  };
  lines.push("const c = kernels.current(x);", keyCheck(rt, "current", "c"), "const scale = " + scale + ";");
  lines.push(`const I = ${sum("c", currentKeys, "ci")};`, check("current", "the current", "I"));
  lines.push(`let G;`, `if (${conductanceKeys.map((g) => `c[${lit(g)}] === undefined`).join(" && ")}) {`);
  // No conductance given: dI/dV by a forward difference of 1 µV, as NEURON does.
  lines.push("x.v = x.v + 0.001; const c2 = kernels.current(x);", keyCheck(rt, "current", "c2"));
  lines.push(`G = ((${sum("c2", currentKeys, "cd")}) - I) / 0.001;`, "} else {");
  lines.push(`G = ${sum("c", conductanceKeys, "cg")};`, "}");
  lines.push(
    check("current", "the conductance", "G"),
    "const sI = scale * I, sG = scale * G;",
    // A finite current can still overflow once scaled (1e308 A/m² is not a current).
    check("current", "the current times its weight", "sI"),
    check("current", "the conductance times its weight", "sG"),
    "vecI[n] += sI;",
    "vecG[n] += sG;",
  );
  spec.ions.forEach((ion, j) => {
    const names = ionScopeNames(ion.name);
    lines.push(
      `IC${j}[at${j}] += scale * ci${j + 1};`,
      // ABI 0.6 also keeps a per-ion conductance (modcc scales it by 10 for every kind).
      `if (IG${j} !== null) { const gi = c[${lit(names.conductance)}]; if (gi !== undefined) { ${
        check("current", `'${names.conductance}'`, "gi")
      } IG${j}[at${j}] += 10 * W[k] * gi; } }`,
    );
  });
  lines.push("}");
  return generatedHook(rt, "computeCurrents", lines);
}

function compileReversal(rt: Pointwise): Hook {
  const { prologue, body } = gatherSource(rt);
  const lines = [
    ...prologue,
    "for (let k = 0; k < b.width; k++) {",
    ...body,
    "const r = kernels.reversalPotential(x);",
  ];
  lines.push(keyCheck(rt, "reversalPotential", "r"));
  rt.spec.ions.forEach((ion, j) => {
    if (!(ion.flags & ION_FLAG.writeRevPotential)) return;
    const key = ionScopeNames(ion.name).reversal;
    // Reversal potentials are assigned, not accumulated, and carry no weight (5.3).
    lines.push(
      `{ const e = r[${lit(key)}]; if (e !== undefined) { ${
        check("reversalPotential", key, "e")
      } E${j}[at${j}] = e; } }`,
    );
  });
  lines.push("}");
  return generatedHook(rt, "computeCurrents", lines);
}

function compileConcentrations(rt: Pointwise): Hook {
  const { prologue, body } = gatherSource(rt);
  // Density writers add weight·c (the covered fraction); point writers add c unweighted (5.4).
  const factor = rt.spec.kind === "point" ? "1" : "W[k]";
  const lines = [
    ...prologue,
    "for (let k = 0; k < b.width; k++) {",
    ...body,
    "const r = kernels.concentrations(x);",
  ];
  lines.push(keyCheck(rt, "concentrations", "r"));
  rt.spec.ions.forEach((ion, j) => {
    const names = ionScopeNames(ion.name);
    if (ion.flags & ION_FLAG.writeIntConcentration) {
      lines.push(
        `{ const c = r[${lit(names.internal)}]; if (c !== undefined) { ${
          check("concentrations", names.internal, "c")
        } XI${j}[at${j}] += ${factor} * c; } }`,
      );
    }
    if (ion.flags & ION_FLAG.writeExtConcentration) {
      lines.push(
        `{ const c = r[${lit(names.external)}]; if (c !== undefined) { ${
          check("concentrations", names.external, "c")
        } XO${j}[at${j}] += ${factor} * c; } }`,
      );
    }
  });
  lines.push("}");
  return generatedHook(rt, "writeIons", lines);
}

function compileEvents(rt: Pointwise): Hook {
  const { prologue, body } = gatherSource(rt);
  const lines = [
    ...prologue,
    "const target = events.mechIndex, weight = events.weight;",
    "for (let e = 0; e < events.length; e++) {",
    "const k = target[e];",
    "if (!(k < b.width)) throw new Error(`mechanism '${rt.spec.name}': event for instance ${k}, but width is ${b.width}`);",
    ...body,
    "const r = kernels.onEvent(x, weight[e]);",
    keyCheck(rt, "onEvent", "r"),
    ...storeStates(rt, "onEvent", "r", true),
    "}",
  ];
  return generatedHook(rt, "applyEvents", lines);
}

function compilePostEvent(rt: Pointwise): Hook {
  const { prologue, body } = gatherSource(rt);
  const lines = [
    ...prologue,
    "const ci = b.vecCi, since = b.timeSinceSpike, detectors = pp.nDetectors;",
    "if (ci === null || since === null) return;",
    "for (let k = 0; k < b.width; k++) {",
    "const cell = ci[node[k]];",
    "for (let d = 0; d < detectors; d++) {",
    "const t = since[cell * detectors + d];",
    "if (!(t >= 0)) continue;",
    ...body,
    "const r = kernels.onPostEvent(x, t);",
    keyCheck(rt, "onPostEvent", "r"),
    ...storeStates(rt, "onPostEvent", "r", true),
    "}",
    "}",
  ];
  return generatedHook(rt, "postEvent", lines);
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
  if (kernels.initial || spec.states.length > 0) hooks.init = compileInit(rt);
  if (kernels.derivative) hooks.advanceState = (pp) => rt.advance(pp);
  if (kernels.current) hooks.computeCurrents = compileCurrent(rt);
  if (kernels.reversalPotential) hooks.computeCurrents = compileReversal(rt);
  if (kernels.concentrations) hooks.writeIons = compileConcentrations(rt);
  if (kernels.onEvent) hooks.applyEvents = compileEvents(rt);
  if (kernels.onPostEvent) hooks.postEvent = compilePostEvent(rt);
  return hooks;
}
