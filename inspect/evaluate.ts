/**
 * Evaluating a kernel plan's expression graph (kernels/graph.ts) at given input values, outside
 * any host: what `inspect` reads cnexp's a(V) and b(V) with, so that a gating curve is the plan's
 * own arithmetic at each voltage rather than a simulation of it. Operators are JavaScript's (the
 * `OPS` table the graph folds constants with); an opaque kernel (the user's function as a call
 * node) is called on the object the catalogue would call it on.
 *
 * @module
 */
import { type Node, OPS, postorder } from "../kernels/graph.ts";
import type { MechanismPlan } from "../kernels/plan.ts";
import type { InputSource } from "../kernels/rules.ts";
import type { Store } from "../kernels/outputs.ts";

/** A value of the graph: a number, a boolean, `undefined` (a key an opaque kernel left out) or a result object. */
type Value = number | boolean | undefined | Record<string, unknown>;

/** Evaluates a fixed set of roots again and again for new inputs (the walk order is computed once). */
export class Evaluator {
  readonly #order: Node[];
  readonly #target: Record<string, unknown> | undefined;
  readonly #values = new Map<Node, Value>();

  /** `target`: the object whose kernels opaque call nodes call (required when the graph has any). */
  constructor(roots: readonly (Node | null)[], target?: object) {
    this.#order = postorder(roots.filter((r): r is Node => r !== null));
    this.#target = target as Record<string, unknown> | undefined;
  }

  /** Evaluates every root with `inputs[k]` as input k; read the results with {@link value}. */
  run(inputs: ArrayLike<number>): this {
    const values = this.#values;
    values.clear();
    for (const node of this.#order) values.set(node, this.#evaluate(node, inputs));
    return this;
  }

  /** The value of `node` (a root, or a node under one) after the last {@link run}; `null` is 0. */
  value(node: Node | null): number {
    if (node === null) return 0;
    const value = this.#values.get(node);
    if (typeof value === "boolean") return value ? 1 : 0;
    return typeof value === "number" ? value : NaN;
  }

  #evaluate(node: Node, inputs: ArrayLike<number>): Value {
    const of = (n: Node) => this.#values.get(n);
    switch (node.kind) {
      case "const":
        return node.value;
      case "undef":
        return undefined;
      case "input":
        return inputs[node.input];
      case "arg":
        return NaN; // no event, no spike: a gating curve never reads the second kernel argument
      case "field": {
        const result = of(node.args[0]);
        return result !== null && typeof result === "object" ? result[node.key] as Value : undefined;
      }
      case "call": {
        const args = node.args.map(of);
        if (node.guarded && !args[args.length - 1]) return undefined;
        const target = this.#target;
        const kernel = target?.[node.kernel];
        if (typeof kernel !== "function") {
          throw new Error(
            `internal: the plan calls kernel ${node.kernel}, and no object to call it on was given`,
          );
        }
        const scope: Record<string, unknown> = {};
        node.keys.forEach((key, k) => (scope[key] = args[k]));
        const result = node.withArg
          ? kernel.call(target, scope, args[node.keys.length])
          : kernel.call(target, scope);
        return result as Value;
      }
      case "op": {
        if (node.op === "select") return of(node.args[0]) ? of(node.args[1]) : of(node.args[2]);
        if (node.op === "defined") return of(node.args[0]) !== undefined;
        const fn = OPS[node.op].js as (...values: unknown[]) => number | boolean;
        // Arithmetic on undefined reads NaN, as in JavaScript (the plan only lets it through selects).
        return fn(...node.args.map((a) => {
          const v = of(a);
          return v === undefined ? NaN : v;
        }));
      }
    }
  }
}

/** What the inputs of a plan are set to: one compartment under a clamp, at `v`. */
export interface Conditions {
  /** Membrane voltage, mV. */
  v: number;
  /** Temperature, °C. */
  celsius: number;
  /** Time step, ms (a derivative's a and b do not read it; a kernel may). */
  dt: number;
  /** CV diameter, µm. */
  diamUm: number;
  /** CV area, µm². */
  areaUm2: number;
  /** Parameter values, in `spec.parameters` order. */
  parameters: readonly number[];
  /** Global values, in `spec.globals` order. */
  globals: readonly number[];
  /** State values, in `spec.states` order. */
  states: readonly number[];
  /** Per ion of `spec.ions`: reversal potential (mV), concentrations (mM), valence. */
  ions: readonly { reversal: number; internal: number; external: number; valence: number }[];
  /** The instance weight (the output rules read it; a and b do not). */
  weight: number;
}

/** The value an input of `source` has under `c`. */
export function inputValue(source: InputSource, c: Conditions): number {
  switch (source.of) {
    case "node":
      return { v: c.v, temperature: c.celsius, diam: c.diamUm, area: c.areaUm2 }[source.array];
    case "peer":
      return source.fallback;
    case "dt":
      return c.dt;
    case "state":
      return c.states[source.index];
    case "parameter":
      return c.parameters[source.index];
    case "global":
      return c.globals[source.index];
    case "random":
      return source.fallback;
    case "ion": {
      const ion = c.ions[source.ion];
      // The ion's current density of a step is not a property of the channel: reading it here
      // is NaN, which the sweep reports with the voltage, rather than a made-up 0.
      if (source.field === "current") return NaN;
      return source.field === "diffusive" ? ion.internal : ion[source.field];
    }
    case "valence":
      return c.ions[source.ion].valence;
    case "weight":
      return c.weight;
    case "multiplicity":
      return 1;
  }
}

/** The inputs of `plan` under `c`, by input index. */
export function planInputs(plan: MechanismPlan, c: Conditions): Float64Array {
  return Float64Array.from(plan.inputs, (input) => inputValue(input.source, c));
}

/** The state stores of `stores` (the targets that are states), as [state index, value node]. */
export function stateStores(stores: readonly Store[]): [number, Node][] {
  return stores.flatMap((s): [number, Node][] =>
    s.target.array === "state" ? [[s.target.index, s.value]] : []
  );
}
