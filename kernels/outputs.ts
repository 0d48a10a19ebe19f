/**
 * The output rules of the kernel plan: how each kernel's returned values become array writes,
 * exactly as Arbor's modcc does around NMODL (docs/abi.md 5.2–5.5). This is the one file where
 * these rules live; both printers only print the stores made here.
 *
 *  - initial: states it leaves out restart from their defaults (init stays idempotent); every
 *    STATE, not the ASSIGNED ones, is scaled by the instance's multiplicity (coalesced synapses);
 *  - derivative: euler s += dt·f, or cnexp (kernels/cnexp.ts); it must return each integrated
 *    state on every path; an assigned state it returns is stored as it is (NMODL's ASSIGNED
 *    values set in DERIVATIVE), not integrated. cnexp's f = a·s + b: a and b are read off the
 *    graph (linearity proven symbolically), or, for an opaque kernel (the user's own function,
 *    which the plan cannot look into), taken from a second call with every state moved by 1:
 *    a = f(s + 1) − f(s), b = f(s) − a·s, after a numeric check of linearity and independence at
 *    each ppack's first step (kernels/pointwise.ts `Pointwise.verify`);
 *  - current: an assigned state it returns is stored as it is (ASSIGNED values set in BREAKPOINT);
 *    I = i + Σ iX and G = g + Σ gX, or dI/dV by a 1 µV forward difference when no
 *    conductance is returned. Density currents are scaled by 10·weight (mA/cm² → A/m²), point
 *    and gap-junction currents by weight (nA, already per area). The per-ion conductivity of
 *    ABI 0.6 is scaled by 10·weight for every kind;
 *  - reversalPotential: eX is assigned, unweighted;
 *  - concentrations: density writers add weight·c, point writers add c unweighted;
 *  - the diffusive concentration Xd (`xd`, an ion with useDiffConcentration), as modcc's
 *    printer writes it: derivative() integrates it as a state (cnexp or euler) and current()
 *    sets it, and both add weight·(new − old) to Arbor's Xd, the old value being the one the
 *    instance read (a point mechanism's weight is 1 here, not 1000/area); initial(),
 *    onEvent() and concentrations() assign it, unweighted;
 *  - onEvent / onPostEvent: the states returned replace the old values, the others stay.
 *
 * An opaque kernel's result is a field per key it may return (kernels/graph.ts): the same rules
 * apply, with "left out" decided when it runs. The call itself only checks what no graph value
 * can be (kernels/js.ts): an object of allowed keys whose values are numbers, and a derivative
 * returning the states of its first call.
 *
 * Every stored kernel result that reaches Arbor's solver is checked: NaN or ±Infinity is an error
 * naming the mechanism, kernel, value, instance and CV (currents and conductances also after
 * scaling: a finite 1e308 overflows once multiplied by 10·weight). Assigned states are
 * intermediate values (as modcc's ASSIGNED): they are stored unchecked, and a bad one is caught
 * where it is used, in a current, conductance, state or ion value.
 *
 * @module
 */
import type { Graph, Node } from "./graph.ts";
import type { MechanismSpec } from "../ffi/spec.ts";
import { ION_FLAG } from "../ffi/layout.ts";
import { cnexpStep, linearCoefficients } from "./cnexp.ts";
import {
  allowedKeys,
  type ConservationLaw,
  diffusiveKeys,
  type IntegrationMethod,
  ionScopeNames,
  type KernelName,
} from "./rules.ts";
import {
  affineForm,
  type Conservation,
  NEWTON_TOLERANCE,
  solveLinear,
  type SparseStep,
  sparseStep,
} from "./sparse.ts";
import { CompileError, ruleError } from "./source.ts";

/** An array a hook writes. */
export type Target =
  | { array: "state"; index: number }
  | { array: "vec_i" | "vec_g" | "vec_v" }
  | {
    array: "ion";
    ion: number;
    field: "current" | "conductance" | "reversal" | "internal" | "external" | "diffusive";
  };

/** One write per instance (or event). Optional targets may be absent (then nothing is written). */
export interface Store {
  /** What is written. */
  target: Target;
  /** Assign or accumulate. */
  mode: "set" | "add";
  /** The value. */
  value: Node;
}

/** A value that must be finite, or the hook fails naming it. */
export interface Check {
  /** Kernel that produced it. */
  kernel: KernelName;
  /** What it is, e.g. `state 'm'` or `the current`. */
  what: string;
  /** The value. */
  value: Node;
}

/** The writes of one hook and the checks that precede them. */
export interface Outputs {
  /** Checks, all evaluated before any store. */
  checks: Check[];
  /** Stores, in order. */
  stores: Store[];
}

/** What the rules need: the graph, the spec, and the input node of each scope key. */
export interface RuleContext {
  g: Graph;
  spec: MechanismSpec;
  /** Input node by scope key. */
  scope: ReadonlyMap<string, Node>;
  /** Input index by scope key. */
  index: ReadonlyMap<string, number>;
  /** The instance weight and multiplicity inputs. */
  weight: Node;
  multiplicity: Node;
}

/** The unit and weight numbers of the rules above. */
export const OUTPUT_UNITS = {
  /** Density currents (mA/cm²) and conductances (S/cm²) times 10 are A/m² and kS/m² (docs/abi.md 5.2). */
  densityScale: 10,
  /** ABI 0.6's per-ion conductivity is scaled by 10·weight for every kind, as modcc does. */
  ionConductanceScale: 10,
  /** The voltage step (mV) of dI/dV by forward difference when current() returns no conductance. */
  forwardDifferenceMv: 0.001,
} as const;

/** The current and conductance factor of `kind` besides the weight: 10 for density, else 1. */
export function currentScale(kind: MechanismSpec["kind"]): number {
  return kind === "density" ? OUTPUT_UNITS.densityScale : 1;
}

/**
 * The factor by which a kernel's read of an ion current (x.ica) scales Arbor's current density
 * (A/m²): 0.1 for density mechanisms (mA/cm²), 1 for the others, as modcc reads it.
 */
export function currentReadScale(kind: MechanismSpec["kind"]): number {
  return kind === "density" ? 1 / OUTPUT_UNITS.densityScale : 1;
}

/** Whether `kind`'s concentration writes are weighted (density: the covered fraction) or not (point). */
export function concentrationsWeighted(kind: MechanismSpec["kind"]): boolean {
  return kind !== "point";
}

/**
 * The diffusive concentrations a kernel's result holds, by ion: the ion's position in
 * `spec.ions`, the scope key (`xd`) and the value returned.
 */
function diffusiveResults(
  spec: MechanismSpec,
  result: Map<string, Node> | undefined,
): { ion: number; key: string; value: Node }[] {
  const keys = new Set(diffusiveKeys(spec));
  return spec.ions.flatMap((ion, j) => {
    const key = ionScopeNames(ion.name).diffusive;
    const value = result?.get(key);
    return keys.has(key) && value !== undefined ? [{ ion: j, key, value }] : [];
  });
}

/**
 * Xd assigned (init, apply_events, write_ions), unweighted, as modcc writes it there: a path
 * that returns none leaves Arbor's value.
 */
function diffusiveAssignments(
  c: RuleContext,
  kernel: KernelName,
  result: Map<string, Node> | undefined,
): Outputs {
  const out: Outputs = { checks: [], stores: [] };
  for (const { ion, key, value: returned } of diffusiveResults(c.spec, result)) {
    const value = c.g.replaceUndef(returned, c.scope.get(key)!);
    out.checks.push({ kernel, what: key, value });
    out.stores.push({ target: { array: "ion", ion, field: "diffusive" }, mode: "set", value });
  }
  return out;
}

/**
 * Xd changed in advance_state or compute_currents: Arbor's value gets weight·(new − old) added,
 * `old` being the value the instance read (modcc: `xd -= Xd[n]; Xd[n] = fma(w, xd, Xd[n])`), with
 * the weight of concentrations (density: the covered fraction; point: 1).
 */
function diffusiveChange(c: RuleContext, ion: number, key: string, value: Node): Store {
  const { g, spec } = c;
  const change = g.op("sub", value, c.scope.get(key)!);
  return {
    target: { array: "ion", ion, field: "diffusive" },
    mode: "add",
    value: concentrationsWeighted(spec.kind) ? g.op("mul", c.weight, change) : change,
  };
}

/** What the checks of compute_currents' results name (the non-finite error says it). */
export const CURRENT_CHECKS = {
  current: "the current",
  conductance: "the conductance",
  scaledCurrent: "the current times its weight",
  scaledConductance: "the conductance times its weight",
} as const;

/**
 * What the checks of method sparse name: a state of the implicit step (said after its name: a
 * singular system gives a non-finite state), and the convergence of a non-linear step (NaN where
 * the last Newton correction exceeds kernels/sparse.ts's NEWTON_TOLERANCE of a state).
 */
export const SPARSE_CHECKS = {
  state: " from the implicit step of method sparse (is its system singular here?)",
  newton: `the convergence of modcc's three Newton iterations of method sparse (NaN: their last correction ` +
    `exceeds ${NEWTON_TOLERANCE} of a state; a smaller dt helps)`,
} as const;

/** How a check and an error name kernel result `key` (a state, a current term, an ion value). */
export function resultName(spec: MechanismSpec, kernel: KernelName, key: string): string {
  if (spec.states.some((f) => f.key === key)) return `state '${key}'`;
  return kernel === "current" ? `'${key}'` : key;
}

/** A boolean node: whether `node` is defined (not `undefined`) on the path taken. */
export function defined(g: Graph, node: Node): Node {
  if (!node.mayBeUndef) return g.constant(true);
  if (node.kind === "undef") return g.constant(false);
  if (node.kind === "field") return g.isDefined(node);
  if (node.kind === "op" && node.op === "select") {
    return g.select(node.args[0], defined(g, node.args[1]), defined(g, node.args[2]));
  }
  return g.constant(true);
}

const sum = (g: Graph, terms: Node[]) =>
  terms.length === 0 ? g.constant(0) : terms.reduce((acc, t) => g.op("add", acc, t));

/**
 * init: initial() (or the defaults) per instance; then, with an equilibrium() kernel, the states it
 * solves for are the solution of its equations (one residual per state, linear in the states),
 * with the ASSIGNED values initial() just set (NMODL's SOLVE of a LINEAR block, or of a KINETIC
 * scheme at STEADYSTATE, at the end of INITIAL).
 */
export function initOutputs(
  c: RuleContext,
  result: Map<string, Node> | undefined,
  equilibrium?: { result: Map<string, Node>; at: string },
): Outputs {
  const { g, spec } = c;
  const out: Outputs = { checks: [], stores: [] };
  const values = spec.states.map((f) => {
    const fallback = g.constant(f.defaultValue);
    const returned = result?.get(f.key);
    return returned === undefined ? fallback : g.replaceUndef(returned, fallback);
  });
  const solved = equilibrium && equilibriumValues(c, equilibrium.result, values, equilibrium.at);
  spec.states.forEach((f, index) => {
    const value = solved?.get(index) ?? values[index];
    const kernel: KernelName = solved?.has(index) ? "equilibrium" : "initial";
    if ((result?.has(f.key) || solved?.has(index)) && !f.assigned) {
      out.checks.push({ kernel, what: resultName(spec, kernel, f.key), value });
    }
    out.stores.push({
      target: { array: "state", index },
      mode: "set",
      value: f.assigned ? value : g.op("mul", value, c.multiplicity),
    });
  });
  for (const more of [initialIonOutputs(c, result), diffusiveAssignments(c, "initial", result)]) {
    out.checks.push(...more.checks);
    out.stores.push(...more.stores);
  }
  return out;
}

/**
 * The ion values initial() returns, stored as modcc's init stores an INITIAL's writes: an ion
 * current is added to the ion's current density with compute_currents' weight and unit (no
 * conductance, no membrane current), a written reversal potential is assigned. Arbor zeroes the
 * currents before the first step, so such a current is seen only by the INITIAL of mechanisms
 * initialised after it (Arbor's reset runs every init twice).
 */
function initialIonOutputs(c: RuleContext, result: Map<string, Node> | undefined): Outputs {
  const { g, spec } = c;
  const out: Outputs = { checks: [], stores: [] };
  if (result === undefined) return out;
  const scale = currentWeight(c);
  spec.ions.forEach((ion, j) => {
    const names = ionScopeNames(ion.name);
    if (result.has(names.current)) {
      const value = g.op("mul", scale, g.replaceUndef(result.get(names.current)!, g.constant(0)));
      out.checks.push({ kernel: "initial", what: `${names.current} times its weight`, value });
      out.stores.push({ target: { array: "ion", ion: j, field: "current" }, mode: "add", value });
    }
    if (ion.flags & ION_FLAG.writeRevPotential && result.has(names.reversal)) {
      const value = g.replaceUndef(result.get(names.reversal)!, c.scope.get(names.reversal)!);
      out.checks.push({ kernel: "initial", what: names.reversal, value });
      out.stores.push({ target: { array: "ion", ion: j, field: "reversal" }, mode: "set", value });
    }
  });
  return out;
}

/** The factor of a current (and conductance) of `c`'s mechanism in Arbor's arrays: unit × weight. */
function currentWeight(c: RuleContext): Node {
  const unit = currentScale(c.spec.kind);
  return unit === 1 ? c.weight : c.g.op("mul", c.g.constant(unit), c.weight);
}

/**
 * The states equilibrium() solves for (by state index): its residuals, with each ASSIGNED state
 * read as the value initial() gave it, are an affine form A·s + b in the other states; s solves
 * A·s = −b (kernels/sparse.ts).
 */
function equilibriumValues(
  c: RuleContext,
  residuals: Map<string, Node>,
  initial: Node[],
  at: string,
): Map<number, Node> {
  const { g, spec } = c;
  const where = `mechanism '${spec.name}'`;
  const unknowns = spec.states.flatMap((f, index) => (f.assigned ? [] : [index]));
  for (const index of unknowns) {
    const key = spec.states[index].key;
    const residual = residuals.get(key);
    if (residual === undefined || residual.mayBeUndef) {
      throw ruleError(
        new CompileError(
          `${where}: equilibrium() gives no equation for state '${key}'${
            residual ? " on some path" : ""
          } (${at}); ` +
            `return one residual (an expression that is 0 at equilibrium) for every state`,
        ),
      );
    }
  }
  const assigned = new Map(
    spec.states.flatMap((f, index) => (f.assigned ? [[c.index.get(f.key)!, initial[index]] as const] : [])),
  );
  const memo = new Map<Node, Node>();
  const inputs = unknowns.map((index) => c.index.get(spec.states[index].key)!);
  const forms = unknowns.map((index) => {
    const key = spec.states[index].key;
    const form = affineForm(g, g.substitute(residuals.get(key)!, assigned, memo), inputs);
    if (form === undefined) {
      throw ruleError(
        new CompileError(
          `${where}: the equation equilibrium() gives for state '${key}' (${at}) is not linear in the states; ` +
            `equilibrium() solves linear equations only`,
        ),
      );
    }
    return form;
  });
  const solution = solveLinear(
    g,
    forms.map((form) => form.a),
    forms.map((form) => (form.b === null ? null : g.op("neg", form.b))),
    spec.name,
  );
  return new Map(unknowns.map((index, k) => [index, solution[k]]));
}

/**
 * cnexp's coefficients of one integrated state: its derivative is a·s + b, with `a` and `b` graph
 * nodes free of s (`null` is an exact zero). For an opaque derivative they are the plan's own
 * a = f(s + 1) − f(s) and b = f(s) − a·s, with the user's function as calls in the graph.
 */
export interface CnexpCoefficients {
  /** Index of the state in `spec.states`. */
  state: number;
  /** ∂f/∂s (per ms). */
  a: Node | null;
  /** f at s = 0 (state units per ms). */
  b: Node | null;
}

/** advance_state: the integrated states, which they are, and (cnexp) each one's a and b. */
export function advanceOutputs(
  c: RuleContext,
  result: Map<string, Node>,
  method: IntegrationMethod,
  at: string,
  conserve: readonly ConservationLaw[] = [],
): Outputs & { integrated: number[]; coefficients: CnexpCoefficients[] } {
  const { g, spec } = c;
  const out: Outputs & { integrated: number[]; coefficients: CnexpCoefficients[] } = {
    checks: [],
    stores: [],
    integrated: [],
    coefficients: [],
  };
  const where = `mechanism '${spec.name}'`;
  // An opaque kernel's result: whether a state is returned is known when it runs.
  const opaque = [...result.values()].some((n) => n.kind === "field");
  const diffusive = diffusiveResults(spec, result);
  for (const key of result.keys()) {
    const field = spec.states.find((f) => f.key === key);
    if (field?.assigned || opaque) continue;
    if (result.get(key)!.mayBeUndef) {
      throw ruleError(
        new CompileError(
          `${where}: derivative() leaves ${
            field ? "state " : ""
          }'${key}' undefined on some path (a key left ` +
            `out, or a let never assigned) (${at}); return every integrated state on every path`,
        ),
      );
    }
  }
  if (
    diffusive.length > 0 && (method === "sparse" || method === "stochastic" || opaque && method === "cnexp")
  ) {
    throw ruleError(
      new CompileError(
        `${where}: derivative() integrates the diffusive concentration ${
          diffusive.map((d) => `'${d.key}'`).join(", ")
        } (${at}), which ${
          opaque
            ? "needs a derivative the plan can read with method cnexp (it is called as an opaque function)"
            : `method ${method} does not integrate`
        }; use method "cnexp" or "euler" with a derivative written in the kernel subset`,
      ),
    );
  }
  const integrated = spec.states.flatMap((f, j) => (result.has(f.key) && !f.assigned ? [j] : []));
  const dt = c.scope.get("dt")!;
  const others = new Map(integrated.map((j) => [c.index.get(spec.states[j].key)!, spec.states[j].key]));
  // Under cnexp a state's derivative may not depend on an integrated Xd either, nor Xd's on a state.
  const withDiffusive = new Map([...others, ...diffusive.map((d) => [c.index.get(d.key)!, d.key] as const)]);
  // Opaque: every integrated state moved by 1, for a second call (a = f(s + 1) - f(s)).
  const moved = new Map(
    [...others.keys()].map((input) => [input, g.op("add", g.input(input), g.constant(1))]),
  );
  const step = method === "sparse" ? sparseValues(c, result, integrated, conserve, at) : undefined;
  if (step?.converged) {
    // checked as a number: finite where the iterations converged (kernels/finite.ts's one test)
    out.checks.push({
      kernel: "derivative",
      what: SPARSE_CHECKS.newton,
      value: g.select(step.converged, g.constant(0), g.constant(NaN)),
    });
  }
  const implicit = step
    ? step.values
    : method === "stochastic"
    ? eulerMaruyama(c, result, integrated, at)
    : method === "linear"
    ? linearValues(c, result, integrated, at)
    : undefined;
  for (const [position, j] of integrated.entries()) {
    const key = spec.states[j].key;
    const s = c.scope.get(key)!;
    const f = result.get(key)!;
    let value: Node;
    if (implicit) value = implicit[position];
    else if (method === "euler") value = g.op("add", s, g.op("mul", dt, f));
    else if (method === "direct") value = f;
    else if (opaque) {
      const a = g.op("sub", g.substitute(f, moved), f);
      const b = g.op("sub", f, g.op("mul", a, s));
      out.coefficients.push({ state: j, a, b });
      value = cnexpStep(g, s, dt, { a, b });
    } else {
      const input = c.index.get(key)!;
      const rest = new Map([...withDiffusive].filter(([k]) => k !== input));
      const coefficients = linearCoefficients(g, f, { mechanism: spec.name, key, input, others: rest });
      out.coefficients.push({ state: j, ...coefficients });
      value = cnexpStep(g, s, dt, coefficients);
    }
    // A state an opaque derivative does not return (at its first call, nor since) is kept.
    if (opaque) value = g.select(g.isDefined(f), value, s);
    out.checks.push({
      kernel: "derivative",
      what: `${resultName(spec, "derivative", key)}${method === "sparse" ? SPARSE_CHECKS.state : ""}`,
      value,
    });
    out.stores.push({ target: { array: "state", index: j }, mode: "set", value });
  }
  // Xd integrated like a state, from the value this instance reads; its change is added to Arbor's.
  for (const { ion, key, value: f } of diffusive) {
    const s = c.scope.get(key)!;
    let value: Node;
    if (method === "euler") value = g.op("add", s, g.op("mul", dt, f));
    else {
      const input = c.index.get(key)!;
      const rest = new Map([...withDiffusive].filter(([k]) => k !== input));
      value = cnexpStep(
        g,
        s,
        dt,
        linearCoefficients(g, f, { mechanism: spec.name, key, input, others: rest }),
      );
    }
    if (opaque) value = g.select(g.isDefined(f), value, s);
    out.checks.push({ kernel: "derivative", what: key, value });
    out.stores.push(diffusiveChange(c, ion, key, value));
  }
  out.stores.push(...assignedStores(c, result));
  out.integrated = integrated;
  return out;
}

/**
 * method linear: the integrated states solve derivative()'s residuals = 0 (each an affine form in
 * them, as equilibrium()'s at init), by the elimination of kernels/sparse.ts: modcc's SOLVE of a
 * LINEAR block in BREAKPOINT.
 */
function linearValues(c: RuleContext, result: Map<string, Node>, integrated: number[], at: string): Node[] {
  const { g, spec } = c;
  const inputs = integrated.map((j) => c.index.get(spec.states[j].key)!);
  const forms = integrated.map((j) => {
    const key = spec.states[j].key;
    const residual = result.get(key)!;
    const form = residual.mayBeUndef ? undefined : affineForm(g, residual, inputs);
    if (form === undefined) {
      throw ruleError(
        new CompileError(
          `mechanism '${spec.name}': method linear needs derivative() to return, for state '${key}', a residual ` +
            `linear in the states on every path (${at}); return lhs − rhs of a linear equation`,
        ),
      );
    }
    return form;
  });
  return solveLinear(
    g,
    forms.map((form) => form.a),
    forms.map((form) => (form.b === null ? null : g.op("neg", form.b))),
    spec.name,
  );
}

/**
 * method stochastic: modcc's Euler–Maruyama step, s' = s + f·dt + Σ_k l_k·√dt·W_k, where f is the
 * derivative with every white noise W_k (a `@random` value) at 0 and l_k = ∂/∂W_k (the derivative
 * must be linear in them). As modcc prints it, the states are updated one after the other, each
 * seeing the new values of those before it.
 */
function eulerMaruyama(c: RuleContext, result: Map<string, Node>, integrated: number[], at: string): Node[] {
  const { g, spec } = c;
  const noise = spec.randoms.map((name) => c.index.get(name)!);
  const dt = c.scope.get("dt")!;
  // modcc: s_ = dt^0.5, w_k = s_ * W_k
  const root = g.op("pow", dt, g.constant(0.5));
  const scaled = noise.map((input) => g.op("mul", root, g.input(input)));
  const zero = new Map(noise.map((input) => [input, g.constant(0)]));
  const updated = new Map<number, Node>();
  return integrated.map((j) => {
    const key = spec.states[j].key;
    const memo = new Map<Node, Node>();
    const f = g.substitute(result.get(key)!, updated, memo);
    const form = affineForm(g, f, noise);
    if (form === undefined) {
      throw ruleError(
        new CompileError(
          `mechanism '${spec.name}': method stochastic needs the derivative of state '${key}' to be linear in ` +
            `the white noise (${spec.randoms.join(", ")}) (${at}): it is not a valid SDE`,
        ),
      );
    }
    const deterministic = g.substitute(f, zero);
    let value = g.op("add", c.scope.get(key)!, g.op("mul", deterministic, dt));
    form.a.forEach((l, k) => {
      if (l !== null) value = g.op("add", value, g.op("mul", l, scaled[k]));
    });
    updated.set(c.index.get(key)!, value);
    return value;
  });
}

/** method sparse: the integrated states after one implicit step (kernels/sparse.ts). */
function sparseValues(
  c: RuleContext,
  result: Map<string, Node>,
  integrated: number[],
  laws: readonly ConservationLaw[],
  at: string,
): SparseStep {
  const { g, spec } = c;
  const keys = integrated.map((j) => spec.states[j].key);
  const conserve = laws.map((law): Conservation => {
    const sum = Array.isArray(law.sum)
      ? (law.sum as readonly string[]).map((key) => [key, 1] as const)
      : Object.entries(law.sum as Record<string, number>);
    return {
      terms: sum.map(([key, coefficient]) => {
        const state = keys.indexOf(key);
        if (state < 0) {
          throw ruleError(
            new CompileError(
              `mechanism '${spec.name}': the conservation law sums state '${key}', which derivative() does not ` +
                `integrate (${at}); a law may sum only the states of the implicit system (${
                  keys.join(", ")
                })`,
            ),
          );
        }
        return { state, coefficient };
      }),
      total: g.constant(law.equals),
    };
  });
  return sparseStep(g, {
    mechanism: spec.name,
    keys,
    inputs: keys.map((key) => c.index.get(key)!),
    derivatives: integrated.map((j) => result.get(spec.states[j].key)!),
    conserve,
    samples: lawSamples(c),
  }, c.scope.get("dt")!);
}

/**
 * Where conservation laws are checked when the plan is made: four voltages, every parameter and
 * global at its default, 1 for the other inputs (states, concentrations, ...), dt 0.025 ms.
 */
function lawSamples(c: RuleContext): { describe: string; input: (index: number) => number }[] {
  const { spec } = c;
  const defaults = new Map<number, number>();
  for (const f of [...spec.parameters, ...spec.globals]) defaults.set(c.index.get(f.key)!, f.defaultValue);
  defaults.set(c.index.get("dt")!, 0.025);
  const v = c.index.get("v")!;
  return [-80, -40, 0, 40].map((mV) => ({
    describe: `v = ${mV} mV with the parameters at their defaults`,
    input: (index: number) => (index === v ? mV : defaults.get(index) ?? 1),
  }));
}

/**
 * voltage (a voltage process): the `v` it returns is assigned to the CV's voltage, unweighted, as
 * modcc writes a VOLTAGE_PROCESS's v; a path that returns none leaves the voltage alone.
 */
export function voltageOutputs(c: RuleContext, result: Map<string, Node>): Outputs {
  const returned = result.get("v");
  if (returned === undefined) return { checks: [], stores: [] };
  const value = c.g.replaceUndef(returned, c.scope.get("v")!);
  return {
    checks: [{ kernel: "voltage", what: "the voltage", value }],
    stores: [{ target: { array: "vec_v" }, mode: "set", value }],
  };
}

/**
 * The states a kernel returned that are stored as they are (a path that leaves one out keeps the
 * old value): the assigned ones, or with `every` all of them (current(): modcc's compute_currents
 * stores a STATE that BREAKPOINT sets, unscaled).
 */
function assignedStores(c: RuleContext, result: Map<string, Node>, every = false): Store[] {
  return c.spec.states.flatMap((f, index): Store[] => {
    const returned = result.get(f.key);
    if (!(f.assigned || every) || returned === undefined) return [];
    const value = c.g.replaceUndef(returned, c.scope.get(f.key)!);
    return [{ target: { array: "state", index }, mode: "set", value }];
  });
}

/** No conductance returned: dI/dV by a forward difference of 1 µV, as NEURON does. */
function forwardDifference(c: RuleContext, I: Node, given: Node): Node {
  const { g } = c;
  if (given.kind === "const" && given.value) return g.constant(NaN); // never taken: not built
  const v = c.index.get("v")!;
  const step = g.constant(OUTPUT_UNITS.forwardDifferenceMv);
  // An opaque current() is called a second time only when it returns no conductance.
  const shifted = g.substitute(
    I,
    new Map([[v, g.op("add", c.scope.get("v")!, step)]]),
    new Map(),
    g.op("not", given),
  );
  return g.op("div", g.op("sub", shifted, I), step);
}

/** compute_currents of a current() kernel. */
export function currentOutputs(c: RuleContext, result: Map<string, Node>): Outputs {
  const { g, spec } = c;
  const zero = g.constant(0);
  const present = (keys: string[]) => keys.filter((key) => result.has(key));
  const value = (key: string) => g.replaceUndef(result.get(key)!, zero);
  const currents = present(["i", ...spec.ions.map((ion) => ionScopeNames(ion.name).current)]);
  const conductances = present(["g", ...spec.ions.map((ion) => ionScopeNames(ion.name).conductance)]);
  const I = sum(g, currents.map(value));
  const given = conductances.map((key) => defined(g, result.get(key)!)).reduce(
    (acc, d) => g.op("or", acc, d),
    g.constant(false),
  );
  const G = g.select(given, sum(g, conductances.map(value)), forwardDifference(c, I, given));
  const ionConductanceScale = g.op("mul", g.constant(OUTPUT_UNITS.ionConductanceScale), c.weight);
  const scale = currentWeight(c);
  const scaledI = g.op("mul", scale, I);
  const scaledG = g.op("mul", scale, G);
  const out: Outputs = {
    checks: [
      { kernel: "current", what: CURRENT_CHECKS.current, value: I },
      { kernel: "current", what: CURRENT_CHECKS.conductance, value: G },
      // A finite current can still overflow once scaled (1e308 A/m² is not a current).
      { kernel: "current", what: CURRENT_CHECKS.scaledCurrent, value: scaledI },
      { kernel: "current", what: CURRENT_CHECKS.scaledConductance, value: scaledG },
    ],
    stores: [
      { target: { array: "vec_i" }, mode: "add", value: scaledI },
      { target: { array: "vec_g" }, mode: "add", value: scaledG },
      ...assignedStores(c, result, true),
    ],
  };
  spec.ions.forEach((ion, j) => {
    const names = ionScopeNames(ion.name);
    if (result.has(names.current)) {
      out.stores.push({
        target: { array: "ion", ion: j, field: "current" },
        mode: "add",
        value: g.op("mul", scale, value(names.current)),
      });
    }
    if (result.has(names.conductance)) {
      out.stores.push({
        target: { array: "ion", ion: j, field: "conductance" },
        mode: "add",
        value: g.op("mul", ionConductanceScale, value(names.conductance)),
      });
    }
  });
  for (const { ion, key, value: returned } of diffusiveResults(spec, result)) {
    const value = g.replaceUndef(returned, c.scope.get(key)!);
    out.checks.push({ kernel: "current", what: key, value });
    out.stores.push(diffusiveChange(c, ion, key, value));
  }
  return out;
}

/** compute_currents of a reversalPotential() kernel. */
export function reversalOutputs(c: RuleContext, result: Map<string, Node>): Outputs {
  const out: Outputs = { checks: [], stores: [] };
  c.spec.ions.forEach((ion, j) => {
    const key = ionScopeNames(ion.name).reversal;
    if (!(ion.flags & ION_FLAG.writeRevPotential) || !result.has(key)) return;
    const value = c.g.replaceUndef(result.get(key)!, c.scope.get(key)!);
    out.checks.push({
      kernel: "reversalPotential",
      what: resultName(c.spec, "reversalPotential", key),
      value,
    });
    out.stores.push({ target: { array: "ion", ion: j, field: "reversal" }, mode: "set", value });
  });
  return out;
}

/** write_ions of a concentrations() kernel. */
export function concentrationOutputs(c: RuleContext, result: Map<string, Node>): Outputs {
  const { g, spec } = c;
  const out: Outputs = { checks: [], stores: [] };
  const factor = concentrationsWeighted(spec.kind) ? c.weight : g.constant(1);
  spec.ions.forEach((ion, j) => {
    const names = ionScopeNames(ion.name);
    const fields = [
      [ION_FLAG.writeIntConcentration, names.internal, "internal"],
      [ION_FLAG.writeExtConcentration, names.external, "external"],
    ] as const;
    for (const [flag, key, field] of fields) {
      if (!(ion.flags & flag) || !result.has(key)) continue;
      const value = g.replaceUndef(result.get(key)!, g.constant(0));
      out.checks.push({ kernel: "concentrations", what: resultName(spec, "concentrations", key), value });
      out.stores.push({
        target: { array: "ion", ion: j, field },
        mode: "add",
        value: g.op("mul", factor, value),
      });
    }
  });
  const xd = diffusiveAssignments(c, "concentrations", result);
  out.checks.push(...xd.checks);
  out.stores.push(...xd.stores);
  return out;
}

/** apply_events / post_event: returned states replace the old ones. */
export function eventOutputs(c: RuleContext, kernel: KernelName, result: Map<string, Node>): Outputs {
  const out: Outputs = { checks: [], stores: [] };
  c.spec.states.forEach((f, index) => {
    if (!result.has(f.key)) return;
    const value = c.g.replaceUndef(result.get(f.key)!, c.scope.get(f.key)!);
    if (!f.assigned) out.checks.push({ kernel, what: resultName(c.spec, kernel, f.key), value });
    out.stores.push({ target: { array: "state", index }, mode: "set", value });
  });
  const xd = diffusiveAssignments(c, kernel, result);
  out.checks.push(...xd.checks);
  out.stores.push(...xd.stores);
  return out;
}

export { allowedKeys };
