/**
 * cnexp on the plan: each integrated state's derivative f is decomposed symbolically as
 * f = a·s + b, with a = ∂f/∂s and b = f|s=0 as graph nodes free of s. A derivative that is not of
 * that form, or that reads another integrated state, is refused with an error naming the state
 * and the sub-expression at fault. The update is modcc's:
 * s' = -b/a + (s + b/a)·exp_pade_11(a·dt), s·exp_pade_11(a·dt) when b = 0, s + b·dt when a = 0.
 *
 * @module
 */
import { dependencies, type Graph, type Node, type Origin, postorder } from "./graph.ts";
import { CompileError, ruleError } from "./source.ts";

/** Linear coefficients; `null` is an exact zero (never printed as `0 * x`, which is NaN for x = ∞). */
interface Affine {
  a: Node | null;
  b: Node | null;
}

/** What the decomposition needs to know about one state. */
export interface CnexpState {
  /** Mechanism name, for messages. */
  mechanism: string;
  /** State key. */
  key: string;
  /** Input index of the state. */
  input: number;
  /** Input indices and keys of the other integrated states. */
  others: ReadonlyMap<number, string>;
}

function where(origin: Origin | undefined): string {
  return origin ? `\`${origin.text}\` (${origin.at})` : "an expression";
}

/** Decomposes `f` as a·s + b; throws a CompileError naming the state and the offending sub-expression. */
export function linearCoefficients(g: Graph, f: Node, state: CnexpState): Affine {
  const deps = new Map<Node, Set<number>>();
  const depends = (n: Node) => dependencies(n, deps).has(state.input);
  const s = state.key;
  const refuse = (node: Node, reason: string): never => {
    throw ruleError(
      new CompileError(
        `mechanism '${state.mechanism}': method cnexp needs the derivative of state '${s}' to be linear in '${s}' ` +
          `(s' = a*s + b), but ${where(node.origin)} ${reason}; use method "euler" or rewrite the derivative`,
      ),
    );
  };
  for (const [input, other] of state.others) {
    if (dependencies(f, deps).has(input)) {
      throw ruleError(
        new CompileError(
          `mechanism '${state.mechanism}': with method cnexp the derivative of state '${s}' may only depend on ` +
            `'${s}', but it changes with state '${other}' (in ${where(f.origin)}); use method "euler"`,
        ),
      );
    }
  }
  const zero = g.constant(0);
  const add = (x: Node | null, y: Node | null) => (x === null ? y : y === null ? x : g.op("add", x, y));
  const sub = (x: Node | null, y: Node | null) =>
    y === null ? x : x === null ? g.op("neg", y) : g.op("sub", x, y);
  const memo = new Map<Node, Affine>();
  const affine = (n: Node): Affine => {
    const known = memo.get(n);
    if (known) return known;
    let out: Affine;
    if (!depends(n)) out = { a: null, b: n };
    else if (n.kind === "input") out = { a: g.constant(1), b: null };
    else if (n.kind !== "op") throw new Error("internal: a leaf that depends on a state");
    else {
      const [x, y, z] = n.args;
      switch (n.op) {
        case "add":
        case "sub": {
          const p = affine(x), q = affine(y);
          const combine = n.op === "add" ? add : sub;
          out = { a: combine(p.a, q.a), b: combine(p.b, q.b) };
          break;
        }
        case "neg": {
          const p = affine(x);
          out = { a: p.a && g.op("neg", p.a), b: p.b && g.op("neg", p.b) };
          break;
        }
        case "mul": {
          if (depends(x) && depends(y)) refuse(n, `multiplies two terms that depend on '${s}'`);
          const p = affine(depends(x) ? x : y), k = depends(x) ? y : x;
          const scale = (c: Node | null) => c && (depends(x) ? g.op("mul", c, k) : g.op("mul", k, c));
          out = { a: scale(p.a), b: scale(p.b) };
          break;
        }
        case "div": {
          if (depends(y)) refuse(n, `divides by a term that depends on '${s}'`);
          const p = affine(x);
          out = { a: p.a && g.op("div", p.a, y), b: p.b && g.op("div", p.b, y) };
          break;
        }
        case "select": {
          if (depends(x)) refuse(x.origin ? x : n, `chooses a branch by a condition on '${s}'`);
          const p = affine(y), q = affine(z);
          const pick = (u: Node | null, v: Node | null) =>
            u === null && v === null ? null : g.select(x, u ?? zero, v ?? zero);
          out = { a: pick(p.a, q.a), b: pick(p.b, q.b) };
          break;
        }
        default:
          refuse(n, `applies ${n.op} to a term that depends on '${s}'`);
      }
    }
    memo.set(n, out!);
    return out!;
  };
  // The walk affine() takes, operands first, so that its recursion is one level deep even for a
  // derivative built from thousands of statements.
  const follows = (n: Node): readonly Node[] => {
    if (!depends(n) || n.kind !== "op") return [];
    const [x, y, z] = n.args;
    switch (n.op) {
      case "add":
      case "sub":
        return [x, y];
      case "neg":
        return [x];
      case "mul":
        return depends(x) && depends(y) ? [] : [depends(x) ? x : y];
      case "div":
        return depends(y) ? [] : [x];
      case "select":
        return depends(x) ? [] : [y, z];
      default:
        return [];
    }
  };
  for (const n of postorder([f], (m) => memo.has(m), follows)) affine(n);
  return affine(f);
}

/** The new value of state node `s` after one cnexp step of length `dt` with s' = a·s + b. */
export function cnexpStep(g: Graph, s: Node, dt: Node, { a, b }: Affine): Node {
  const euler = (c: Node) => g.op("add", s, g.op("mul", c, dt));
  if (a === null) return b === null ? s : euler(b);
  const half = g.op("mul", g.constant(0.5), g.op("mul", a, dt));
  const pade = g.op("div", g.op("add", g.constant(1), half), g.op("sub", g.constant(1), half));
  const decay = g.op("mul", s, pade);
  if (b === null) return decay;
  const ba = g.op("div", b, a);
  const full = g.op("add", g.op("neg", ba), g.op("mul", g.op("add", s, ba), pade));
  const zero = g.constant(0);
  return g.select(g.op("eq", a, zero), euler(b), g.select(g.op("eq", b, zero), decay, full));
}
