/**
 * Implicit integration on the plan (`method: "sparse"`), as modcc does it for `METHOD sparse` and
 * for KINETIC schemes (modcc/solvers.cpp, read for the semantics; the code is this project's):
 *
 * - the derivative G of the integrated states s is tested for linearity symbolically (every
 *   coefficient ∂Gᵢ/∂sⱼ free of the states). A **linear** system is stepped by backward Euler,
 *   (I − dt·A)·s' = s + dt·b, solved per instance by Gaussian elimination unrolled into the graph
 *   (no pivoting: I − dt·A of a reaction scheme is diagonally dominant). modcc takes only
 *   homogeneous linear systems (b = 0; the importer refuses the others as modcc does);
 * - a **non-linear** system takes modcc's three Newton iterations from y = s:
 *   F(y) = y − s − dt·G(y), J(y) = I − dt·∂G/∂y, y ← y − J⁻¹·F(y), with ∂G/∂y differentiated
 *   symbolically (kernels/sparse.ts `derivative`);
 * - a **conservation law** Σ cⱼ·sⱼ = total (CONSERVE) replaces the row of its first state;
 * - **steady state** (STEADYSTATE sparse in INITIAL) solves A·s = 0 with the conservation rows.
 *
 * Everything is graph nodes, so both printers print it as they print any arithmetic.
 *
 * @module
 */
import { dependencies, evaluate, type Graph, type Node, postorder } from "./graph.ts";
import { CompileError, ruleError } from "./source.ts";

/** A coefficient; `null` is an exact zero (never printed as `0 * x`, which is NaN for x = ∞). */
type Coefficient = Node | null;

/** f = Σ aⱼ·sⱼ + b over the states (by index into the state list). */
export interface AffineForm {
  /** aⱼ for each state j. */
  a: Coefficient[];
  /** The term free of the states. */
  b: Coefficient;
}

/** A conservation law: Σ coefficient·state = total. */
export interface Conservation {
  /** Coefficient of each state it sums, by state index (in the order written: the first names the row). */
  terms: { state: number; coefficient: number }[];
  /** The conserved total. */
  total: Node;
}

/** One system of integrated states. */
export interface SparseSystem {
  /** Mechanism name, for messages. */
  mechanism: string;
  /** State keys, in equation order. */
  keys: readonly string[];
  /** Input index of each state. */
  inputs: readonly number[];
  /** The derivative of each state. */
  derivatives: readonly Node[];
  /** Conservation laws (CONSERVE), if any. */
  conserve?: readonly Conservation[];
  /**
   * Input values at which the laws are checked against the derivatives when the plan is made
   * (say, a few voltages with the parameters at their defaults), each described for the error.
   */
  samples?: readonly { describe: string; input: (index: number) => number }[];
}

/** What a step gives: the states after it, and (Newton) whether its iterations converged. */
export interface SparseStep {
  /** The states after the step, in the system's order. */
  values: Node[];
  /**
   * Non-linear systems: true where the last of modcc's three Newton corrections is within
   * {@link NEWTON_TOLERANCE} of every state (relative to the state before and after the step).
   */
  converged?: Node;
}

/**
 * The relative size of the last Newton correction above which a non-linear step has not
 * converged. modcc takes three iterations and never checks; denocat refuses the result instead.
 */
export const NEWTON_TOLERANCE = 1e-6;

/**
 * Checks that each law is conserved by the derivatives' linear forms, Σᵢ cᵢ·aᵢⱼ = 0 for every
 * state j (up to rounding), at each of the system's sample points; a scheme that breaks a law it
 * declares is refused with where it breaks.
 */
function checkConserved(system: SparseSystem, forms: readonly AffineForm[]): void {
  for (const law of system.conserve ?? []) {
    const named = law.terms.map((t) =>
      `${t.coefficient === 1 ? "" : `${t.coefficient}·`}${system.keys[t.state]}`
    );
    for (const sample of system.samples ?? []) {
      const memo = new Map<Node, number | boolean | undefined>();
      for (let j = 0; j < system.keys.length; j++) {
        let sum = 0, size = 0, known = true;
        for (const { state, coefficient } of law.terms) {
          const a = forms[state].a[j];
          const value = a === null ? 0 : evaluate(a, sample.input, memo);
          if (typeof value !== "number" || !Number.isFinite(value)) known = false;
          else (sum += coefficient * value, size += Math.abs(coefficient * value));
        }
        if (known && Math.abs(sum) > 1e-9 * size) {
          throw ruleError(
            new CompileError(
              `mechanism '${system.mechanism}': its derivatives do not conserve the law ${
                named.join(" + ")
              } = ` +
                `${
                  law.total.kind === "const" ? law.total.value : "its total"
                } it declares: at ${sample.describe}, ` +
                `the weighted sum of their rates changes by ${
                  Number(sum.toPrecision(3))
                } per unit of state ` +
                `'${
                  system.keys[j]
                }'; in a scheme that conserves it every reaction moves amount between the ` +
                `summed states only: fix the law (conserve) or the rates`,
            ),
          );
        }
      }
    }
  }
}

function zeroSafe(g: Graph) {
  const add = (x: Coefficient, y: Coefficient) => (x === null ? y : y === null ? x : g.op("add", x, y));
  const sub = (x: Coefficient, y: Coefficient) =>
    y === null ? x : x === null ? g.op("neg", y) : g.op("sub", x, y);
  const mul = (x: Coefficient, y: Coefficient) => (x === null || y === null ? null : g.op("mul", x, y));
  const neg = (x: Coefficient) => x && g.op("neg", x);
  return { add, sub, mul, neg };
}

/**
 * `f` as an affine form of the states `inputs`, or undefined when it is not linear in them (a
 * product of two terms that depend on states, a division by one, a function of one, a branch
 * chosen by one): modcc's linear test, made on the graph.
 */
export function affineForm(g: Graph, f: Node, inputs: readonly number[]): AffineForm | undefined {
  const deps = new Map<Node, Set<number>>();
  const stateSet = new Set(inputs);
  const depends = (n: Node) => [...dependencies(n, deps)].some((d) => stateSet.has(d));
  const { add, sub, neg } = zeroSafe(g);
  const none = (): Coefficient[] => inputs.map(() => null);
  const memo = new Map<Node, AffineForm | undefined>();
  const form = (n: Node): AffineForm | undefined => {
    if (memo.has(n)) return memo.get(n);
    let out: AffineForm | undefined;
    if (!depends(n)) out = { a: none(), b: n };
    else if (n.kind === "input") {
      out = { a: inputs.map((k) => (k === n.input ? g.constant(1) : null)), b: null };
    } else if (n.kind !== "op") out = undefined;
    else {
      const [x, y, z] = n.args;
      const p = () => form(x), q = () => form(y);
      switch (n.op) {
        case "add":
        case "sub": {
          const u = p(), v = q();
          const combine = n.op === "add" ? add : sub;
          out = u && v && { a: u.a.map((c, j) => combine(c, v.a[j])), b: combine(u.b, v.b) };
          break;
        }
        case "neg": {
          const u = p();
          out = u && { a: u.a.map(neg), b: neg(u.b) };
          break;
        }
        case "mul": {
          if (depends(x) && depends(y)) break;
          const u = form(depends(x) ? x : y), k = depends(x) ? y : x;
          const scale = (c: Coefficient) => c && (depends(x) ? g.op("mul", c, k) : g.op("mul", k, c));
          out = u && { a: u.a.map(scale), b: scale(u.b) };
          break;
        }
        case "div": {
          if (depends(y)) break;
          const u = p();
          out = u && { a: u.a.map((c) => c && g.op("div", c, y)), b: u.b && g.op("div", u.b, y) };
          break;
        }
        case "select": {
          if (depends(x)) break;
          const u = form(y), v = form(z);
          const pick = (c: Coefficient, d: Coefficient) =>
            c === null && d === null ? null : g.select(x, c ?? g.constant(0), d ?? g.constant(0));
          out = u && v && { a: u.a.map((c, j) => pick(c, v.a[j])), b: pick(u.b, v.b) };
          break;
        }
      }
    }
    memo.set(n, out);
    return out;
  };
  for (const n of postorder([f], (m) => memo.has(m) || !depends(m))) form(n);
  return form(f);
}

/**
 * ∂node/∂(input `input`), symbolically; null is an exact zero. Throws for an operation modcc cannot
 * differentiate either (min, max, abs, a branch chosen by the state...), naming it.
 */
export function derivative(g: Graph, node: Node, input: number, mechanism: string): Coefficient {
  const deps = new Map<Node, Set<number>>();
  const depends = (n: Node) => dependencies(n, deps).has(input);
  const { add, sub, mul, neg } = zeroSafe(g);
  const div = (x: Coefficient, y: Node) => x && g.op("div", x, y);
  const memo = new Map<Node, Coefficient>();
  const refuse = (n: Node): never => {
    const what = n.kind === "op" ? n.op : n.kind;
    throw ruleError(
      new CompileError(
        `mechanism '${mechanism}': the Newton iteration of method sparse needs the derivative of ` +
          `${
            n.origin ? `\`${n.origin.text}\` (${n.origin.at})` : "an expression"
          }, which applies ${what} to a state; ` +
          `write it with +, -, *, /, pow, exp, log, sqrt, sin, cos or tanh`,
      ),
    );
  };
  const d = (n: Node): Coefficient => {
    if (!depends(n)) return null;
    if (n.kind === "input") return g.constant(1);
    if (n.kind !== "op") return refuse(n);
    const [x, y, z] = n.args;
    const dx = () => memo.get(x) ?? null, dy = () => memo.get(y) ?? null;
    switch (n.op) {
      case "add":
        return add(dx(), dy());
      case "sub":
        return sub(dx(), dy());
      case "neg":
        return neg(dx());
      case "mul":
        return add(mul(dx(), y), mul(x, dy()));
      case "div":
        // (x/y)' = x'/y - x·y'/y²
        return sub(div(dx(), y), div(mul(x, dy()), g.op("mul", y, y)));
      case "pow": {
        if (!depends(y)) return mul(mul(y, g.op("pow", x, g.op("sub", y, g.constant(1)))), dx());
        // (x^y)' = x^y·(y'·ln x + y·x'/x)
        return mul(n, add(mul(dy(), g.op("log", x)), div(mul(y, dx()), x)));
      }
      case "exp":
        return mul(n, dx());
      case "log":
        return div(dx(), x);
      case "sqrt":
        return div(dx(), g.op("mul", g.constant(2), n));
      case "sin":
        return mul(g.op("cos", x), dx());
      case "cos":
        return neg(mul(g.op("sin", x), dx()));
      case "tanh":
        return mul(g.op("sub", g.constant(1), g.op("mul", n, n)), dx());
      case "select": {
        if (depends(x)) return refuse(n);
        const a = memo.get(y) ?? null, b = memo.get(z) ?? null;
        return a === null && b === null ? null : g.select(x, a ?? g.constant(0), b ?? g.constant(0));
      }
      default:
        return refuse(n);
    }
  };
  for (const n of postorder([node], (m) => memo.has(m) || !depends(m))) memo.set(n, d(n));
  return memo.get(node) ?? null;
}

/**
 * Solves M·x = r by Gaussian elimination with structural pivoting, unrolled into the graph;
 * `null` entries are exact zeros (no work is printed for them).
 */
export function solveLinear(
  g: Graph,
  matrix: Coefficient[][],
  rhs: Coefficient[],
  mechanism: string,
): Node[] {
  const n = rhs.length;
  const { sub, mul } = zeroSafe(g);
  const M = matrix.map((row) => [...row]);
  const r = [...rhs];
  for (let k = 0; k < n; k++) {
    // Structural pivoting (values are known only at run time): the row's own entry if it has
    // one, else the first row below with a term in this column, as modcc's elimination picks.
    if (M[k][k] === null) {
      const p = M.findIndex((row, i) => i > k && row[k] !== null);
      if (p > k) {
        [M[k], M[p]] = [M[p], M[k]];
        [r[k], r[p]] = [r[p], r[k]];
      }
    }
    const pivot = M[k][k];
    if (pivot === null) {
      throw ruleError(
        new CompileError(
          `mechanism '${mechanism}': the linear system of its states cannot be solved: state ${k + 1} has ` +
            `no term in its own state after elimination, nor does any row below it: the system is singular`,
        ),
      );
    }
    for (let i = k + 1; i < n; i++) {
      if (M[i][k] === null) continue;
      const factor = g.op("div", M[i][k]!, pivot);
      for (let j = k + 1; j < n; j++) M[i][j] = sub(M[i][j], mul(factor, M[k][j]));
      r[i] = sub(r[i], mul(factor, r[k]));
      M[i][k] = null;
    }
  }
  const x: Node[] = new Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let sum = r[i];
    for (let j = i + 1; j < n; j++) sum = sub(sum, mul(M[i][j], x[j]));
    x[i] = g.op("div", sum ?? g.constant(0), M[i][i]!);
  }
  return x;
}

/** Replaces the row of each conservation law's first state by the law (modcc's CONSERVE). */
function conserveRows(
  g: Graph,
  matrix: Coefficient[][],
  rhs: Coefficient[],
  laws: readonly Conservation[],
): void {
  for (const law of laws) {
    const row = law.terms[0].state;
    matrix[row] = matrix[row].map(() => null);
    for (const { state, coefficient } of law.terms) matrix[row][state] = g.constant(coefficient);
    rhs[row] = law.total;
  }
}

/** Whether the system is linear, and its affine forms when it is. */
function linearForms(g: Graph, system: SparseSystem): AffineForm[] | undefined {
  const forms = system.derivatives.map((f) => affineForm(g, f, system.inputs));
  return forms.every((f) => f !== undefined) ? forms as AffineForm[] : undefined;
}

/**
 * The states after one backward-Euler step of length `dt` (see the module documentation): a
 * linear solve, or three Newton iterations for a non-linear system.
 */
export function sparseStep(g: Graph, system: SparseSystem, dt: Node): SparseStep {
  const states = system.inputs.map((k) => g.input(k));
  const forms = linearForms(g, system);
  if (forms !== undefined) {
    checkConserved(system, forms);
    const matrix: Coefficient[][] = forms.map((form, i) =>
      form.a.map((c, j) => {
        const scaled = c && g.op("mul", c, dt);
        return i === j
          ? (scaled ? g.op("sub", g.constant(1), scaled) : g.constant(1))
          : scaled && g.op("neg", scaled);
      })
    );
    const rhs: Coefficient[] = forms.map((form, i) =>
      form.b ? g.op("add", states[i], g.op("mul", form.b, dt)) : states[i]
    );
    conserveRows(g, matrix, rhs, system.conserve ?? []);
    return { values: solveLinear(g, matrix, rhs, system.mechanism) };
  }
  if ((system.conserve ?? []).length > 0) {
    throw ruleError(
      new CompileError(
        `mechanism '${system.mechanism}': a conservation law (CONSERVE) needs a linear system, and the derivative ` +
          `of ${system.keys.join(", ")} is not linear in them; drop the law or make the scheme linear`,
      ),
    );
  }
  // ∂Gᵢ/∂sⱼ once, in terms of the states; each iteration substitutes the current y.
  const jacobian = system.derivatives.map((f) =>
    system.inputs.map((input) => derivative(g, f, input, system.mechanism))
  );
  let y = states;
  let corrections: Node[] = [];
  for (let iteration = 0; iteration < 3; iteration++) {
    const at = new Map(system.inputs.map((input, j) => [input, y[j]]));
    const memo = new Map<Node, Node>();
    const G = system.derivatives.map((f) => g.substitute(f, at, memo));
    const F = y.map((yi, i) => g.op("sub", yi, g.op("add", states[i], g.op("mul", dt, G[i]))));
    const J: Coefficient[][] = jacobian.map((row, i) =>
      row.map((c, j) => {
        const scaled = c && g.op("mul", g.substitute(c, at, memo), dt);
        return i === j
          ? (scaled ? g.op("sub", g.constant(1), scaled) : g.constant(1))
          : scaled && g.op("neg", scaled);
      })
    );
    corrections = solveLinear(g, J, F, system.mechanism);
    y = y.map((yi, i) => g.op("sub", yi, corrections[i]));
  }
  // |δᵢ| ≤ tolerance·(|yᵢ| + |sᵢ|) for every state (false for a NaN correction too)
  const converged = corrections.map((delta, i) =>
    g.op(
      "le",
      g.op("abs", delta),
      g.op("mul", g.constant(NEWTON_TOLERANCE), g.op("add", g.op("abs", y[i]), g.op("abs", states[i]))),
    )
  ).reduce((all, ok) => g.op("and", all, ok));
  return { values: y, converged };
}

/**
 * The steady state of a linear system with conservation laws: A·s = −b with the laws' rows
 * (modcc's STEADYSTATE sparse, made in INITIAL). Throws without a law (A is singular) or for a
 * non-linear system.
 */
export function steadyState(g: Graph, system: SparseSystem): Node[] {
  const forms = linearForms(g, system);
  const fail = (why: string): never => {
    throw ruleError(
      new CompileError(
        `mechanism '${system.mechanism}': the steady state of ${system.keys.join(", ")} ${why}`,
      ),
    );
  };
  if (forms === undefined) fail("needs a linear system");
  if ((system.conserve ?? []).length === 0) {
    fail("needs a conservation law (CONSERVE): without one it is not unique");
  }
  const { neg } = zeroSafe(g);
  checkConserved(system, forms!);
  const matrix: Coefficient[][] = forms!.map((form) => [...form.a]);
  const rhs: Coefficient[] = forms!.map((form) => neg(form.b));
  conserveRows(g, matrix, rhs, system.conserve!);
  return solveLinear(g, matrix, rhs, system.mechanism);
}
