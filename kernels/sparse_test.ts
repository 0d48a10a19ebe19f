import assert from "node:assert/strict";
import { evaluate as evaluateNode, Graph, type Node } from "./graph.ts";
import { affineForm, derivative, solveLinear, sparseStep, steadyState } from "./sparse.ts";

/** Evaluates a node with JavaScript semantics; inputs by index. */
const evaluate = (node: Node, inputs: readonly number[]) => evaluateNode(node, (k) => inputs[k]) as number;

// Inputs: 0 = C, 1 = O, 2 = I (states), 3 = kf, 4 = kb, 5 = dt
const C = 0, O = 1, I = 2, KF = 3, KB = 4, DT = 5;

function scheme(g: Graph) {
  const [c, o, i, kf, kb] = [C, O, I, KF, KB].map((k) => g.input(k));
  // C <-> O (kf, kb), O <-> I (kb, kf)
  const r1 = g.op("sub", g.op("mul", kf, c), g.op("mul", kb, o));
  const r2 = g.op("sub", g.op("mul", kb, o), g.op("mul", kf, i));
  return {
    mechanism: "scheme",
    keys: ["C", "O", "I"],
    inputs: [C, O, I],
    derivatives: [g.op("neg", r1), g.op("sub", r1, r2), r2],
  };
}

Deno.test("sparse: a reaction scheme is linear and homogeneous; a product of states is not linear", () => {
  const g = new Graph();
  const system = scheme(g);
  const form = affineForm(g, system.derivatives[1], system.inputs)!;
  assert.equal(form.b, null, "no term free of the states");
  const values = [0.2, 0.3, 0.5, 2, 3, 0.1];
  assert.equal(evaluate(form.a[0]!, values), 2); // ∂O'/∂C = kf
  assert.equal(evaluate(form.a[1]!, values), -3 - 3); // ∂O'/∂O = -kb - kb
  assert.equal(evaluate(form.a[2]!, values), 2); // ∂O'/∂I = kf
  assert.equal(affineForm(g, g.op("mul", g.input(C), g.input(O)), system.inputs), undefined);
  assert.equal(affineForm(g, g.op("exp", g.input(C)), system.inputs), undefined);
});

Deno.test("sparse: a linear step is backward Euler, solved exactly", () => {
  const g = new Graph();
  const system = scheme(g);
  const next = sparseStep(g, system, g.input(DT)).values;
  const [c, o, i, kf, kb, dt] = [0.2, 0.3, 0.5, 2, 3, 0.1];
  const values = [c, o, i, kf, kb, dt];
  const x = next.map((n) => evaluate(n, values));
  // x - dt*A x = s, row by row
  const A = [[-kf, kb, 0], [kf, -2 * kb, kf], [0, kb, -kf]];
  for (let r = 0; r < 3; r++) {
    const lhs = x[r] - dt * A[r].reduce((sum, a, j) => sum + a * x[j], 0);
    assert.ok(Math.abs(lhs - values[r]) < 1e-15, `row ${r}: ${lhs} vs ${values[r]}`);
  }
  assert.ok(Math.abs(x[0] + x[1] + x[2] - 1) < 1e-15, "the scheme conserves the total");
});

Deno.test("sparse: a conservation law replaces the row of its first state", () => {
  const g = new Graph();
  const system = {
    ...scheme(g),
    conserve: [{
      terms: [{ state: O, coefficient: 1 }, { state: C, coefficient: 1 }, { state: I, coefficient: 1 }],
      total: g.constant(1),
    }],
  };
  const values = [0.25, 0.25, 0.25, 2, 3, 0.1]; // states sum to 0.75: the law makes the step sum to 1
  const x = sparseStep(g, system, g.input(DT)).values.map((n) => evaluate(n, values));
  assert.ok(Math.abs(x[0] + x[1] + x[2] - 1) < 1e-15);
  const steady = steadyState(g, system).map((n) => evaluate(n, values));
  // kf*C = kb*O and kb*O = kf*I, sum 1
  assert.ok(
    Math.abs(2 * steady[0] - 3 * steady[1]) < 1e-15 && Math.abs(3 * steady[1] - 2 * steady[2]) < 1e-15,
  );
  assert.ok(Math.abs(steady[0] + steady[1] + steady[2] - 1) < 1e-15);
  assert.throws(() => steadyState(g, scheme(g)), /needs a conservation law/);
});

Deno.test("sparse: a non-linear system takes modcc's three Newton iterations", () => {
  const g = new Graph();
  const s = g.input(0), dt = g.input(1);
  // s' = -s², from s = 1 with dt = 0.5
  const next = sparseStep(g, {
    mechanism: "square",
    keys: ["s"],
    inputs: [0],
    derivatives: [g.op("neg", g.op("mul", s, s))],
  }, dt).values;
  let y = 1;
  for (let k = 0; k < 3; k++) y -= (y - 1 + 0.5 * y * y) / (1 + 0.5 * 2 * y);
  assert.ok(Math.abs(evaluate(next[0], [1, 0.5]) - y) < 1e-15);
});

Deno.test("sparse: derivatives match finite differences; min is refused by name", () => {
  const g = new Graph();
  const x = g.input(0), k = g.input(1);
  const exprs = [
    g.op("div", g.op("exp", g.op("mul", k, x)), g.op("add", x, g.constant(3))),
    g.op("pow", x, g.constant(2.5)),
    g.op("pow", k, x),
    g.op("tanh", g.op("sqrt", x)),
    g.op("log", g.op("cos", g.op("sin", x))),
  ];
  for (const e of exprs) {
    const d = derivative(g, e, 0, "m")!;
    const at = 0.7, h = 1e-6;
    const numeric = (evaluate(e, [at + h, 1.3]) - evaluate(e, [at - h, 1.3])) / (2 * h);
    assert.ok(Math.abs(evaluate(d, [at, 1.3]) - numeric) < 1e-6 * Math.max(1, Math.abs(numeric)));
  }
  assert.throws(() => derivative(g, g.op("min", x, k), 0, "m"), /applies min to a state/);
  assert.equal(derivative(g, k, 0, "m"), null);
});

Deno.test("sparse: a missing diagonal takes a row below; a singular system is a clear error", () => {
  const g = new Graph();
  const x = solveLinear(g, [[null, g.constant(2)], [g.constant(4), g.constant(1)]], [
    g.constant(6),
    g.constant(7),
  ], "m");
  assert.deepEqual(x.map((n) => evaluate(n, [])), [1, 3]);
  assert.throws(
    () => solveLinear(g, [[null, g.constant(1)], [null, g.constant(2)]], [g.constant(1), g.constant(1)], "m"),
    /state 1 has no term in its own state after elimination, nor does any row below it/,
  );
});
