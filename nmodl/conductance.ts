/**
 * The conductances of an imported BREAKPOINT, by modcc's rule (modcc/module.cpp, the
 * compute_currents rewriter, and modcc/symdiff.cpp): for each current, the first assignment to it
 * (in source order, into if/else branches) gives the partial derivative of its right-hand side
 * with respect to `v`, in which every other name (LOCALs, ASSIGNED values, parameters, a
 * PROCEDURE's values) is a constant and a FUNCTION call is a constant too (modcc lowers each call
 * into a local before it differentiates). Builtins are differentiated by the chain rule where modcc
 * does (exp, log, sin, cos, sqrt, tanh, sigmoid, relu, `^`; the steps and signum give 0); where
 * modcc cannot differentiate (fabs, exprelr, min, max, a comparison) the current contributes no
 * conductance, as in modcc. The conductance is the sum, evaluated after the whole block (modcc
 * appends `conductivity_ = ...` at its end), so the current kernel returns `g`/`gX` and denocat
 * never takes its 1 µV forward difference for an imported mechanism.
 *
 * @module
 */
import type { RBlock, RExpr, RStmt, Var } from "./ir.ts";
import { readsOf } from "./ir.ts";

const ZERO: RExpr = { k: "num", text: "0", value: 0 };
const ONE: RExpr = { k: "num", text: "1", value: 1 };
const num = (value: number): RExpr => ({ k: "num", text: String(value), value });
const isZero = (e: RExpr) => e.k === "num" && e.value === 0;
const isOne = (e: RExpr) => e.k === "num" && e.value === 1;

function add(a: RExpr, b: RExpr): RExpr {
  return isZero(a) ? b : isZero(b) ? a : { k: "bin", op: "+", l: a, r: b };
}
function sub(a: RExpr, b: RExpr): RExpr {
  return isZero(b) ? a : isZero(a) ? neg(b) : { k: "bin", op: "-", l: a, r: b };
}
function neg(a: RExpr): RExpr {
  return isZero(a) ? ZERO : a.k === "un" && a.op === "-" ? a.e : { k: "un", op: "-", e: a };
}
function mul(a: RExpr, b: RExpr): RExpr {
  if (isZero(a) || isZero(b)) return ZERO;
  return isOne(a) ? b : isOne(b) ? a : { k: "bin", op: "*", l: a, r: b };
}
function div(a: RExpr, b: RExpr): RExpr {
  return isZero(a) ? ZERO : isOne(b) ? a : { k: "bin", op: "/", l: a, r: b };
}
const call = (fn: string, ...args: RExpr[]): RExpr => ({ k: "call", fn, args });

/** Whether `e` reads the membrane voltage. */
function involvesV(e: RExpr): boolean {
  if (e.k === "raw") return e.isV === true;
  let found = false;
  readsOf(e, (v) => (found ||= v.isV === true));
  if (e.k === "var") return e.v.isV === true;
  return found;
}

/** Builtins (as resolve.ts spells them) modcc has no derivative of: the current then adds no conductance. */
const NOT_DIFFERENTIATED = new Set(["Math.abs", "exprelr", "Math.min", "Math.max"]);

/**
 * ∂e/∂v with every name but `v` constant; undefined where modcc's symbolic differentiation fails
 * (then modcc leaves that current out of the conductance). `functions` are the module functions
 * made from FUNCTIONs (constants here: modcc lowers their calls into locals first).
 */
export function partialV(e: RExpr, functions: ReadonlySet<string>): RExpr | undefined {
  if (!involvesV(e)) return ZERO;
  const d = (x: RExpr) => partialV(x, functions);
  switch (e.k) {
    case "num":
      return ZERO;
    case "raw":
      return e.isV ? ONE : ZERO;
    case "var":
      return e.v.isV ? ONE : ZERO;
    case "un": {
      if (e.op === "!") return undefined;
      const inner = d(e.e);
      return inner && neg(inner);
    }
    case "bin": {
      if (!["+", "-", "*", "/"].includes(e.op)) return undefined;
      const dl = d(e.l), dr = d(e.r);
      if (!dl || !dr) return undefined;
      if (e.op === "+") return add(dl, dr);
      if (e.op === "-") return sub(dl, dr);
      if (e.op === "*") return add(mul(e.l, dr), mul(dl, e.r));
      return sub(div(dl, e.r), mul(div(e.l, mul(e.r, e.r)), dr));
    }
    case "call": {
      if (functions.has(e.fn)) return ZERO;
      if (["step_right", "step_left", "step", "Math.sign", "Math.floor", "Math.ceil"].includes(e.fn)) {
        return ZERO;
      }
      if (NOT_DIFFERENTIATED.has(e.fn)) return undefined;
      const [u, w] = e.args;
      const du = d(u);
      if (!du) return undefined;
      switch (e.fn) {
        case "Math.exp":
          return mul(du, e);
        case "Math.expm1":
          return mul(du, call("Math.exp", u));
        case "Math.log":
          return div(du, u);
        case "Math.log10":
          return div(du, mul(u, call("Math.log", num(10))));
        case "Math.log1p":
          return div(du, add(ONE, u));
        case "Math.sin":
          return mul(call("Math.cos", u), du);
        case "Math.cos":
          return mul(neg(call("Math.sin", u)), du);
        case "Math.tan":
          return div(du, mul(call("Math.cos", u), call("Math.cos", u)));
        case "Math.sinh":
          return mul(call("Math.cosh", u), du);
        case "Math.cosh":
          return mul(call("Math.sinh", u), du);
        case "Math.tanh":
          return mul(sub(ONE, call("Math.pow", call("Math.tanh", u), num(2))), du);
        case "Math.sqrt":
          return mul(mul(num(0.5), call("Math.pow", u, num(-0.5))), du);
        case "Math.asin":
          return div(du, call("Math.sqrt", sub(ONE, mul(u, u))));
        case "Math.acos":
          return neg(div(du, call("Math.sqrt", sub(ONE, mul(u, u)))));
        case "Math.atan":
          return div(du, add(ONE, mul(u, u)));
        case "sigmoid":
          return mul(mul(call("sigmoid", u), sub(ONE, call("sigmoid", u))), du);
        case "relu":
          return mul(call("step", u), du);
        case "Math.pow": {
          // modcc's rule for a^b: b'·log(a)·a^b + b·a^(b-1)·a'.
          const dw = d(w);
          if (!dw) return undefined;
          return add(
            mul(dw, mul(call("Math.log", u), e)),
            mul(w, mul(call("Math.pow", u, sub(w, ONE)), du)),
          );
        }
        case "Math.atan2": {
          // atan2(y, x)' = (x·y' − y·x') / (x² + y²).
          const dw = d(w);
          if (!dw) return undefined;
          return div(sub(mul(w, du), mul(u, dw)), add(mul(u, u), mul(w, w)));
        }
      }
      return undefined;
    }
  }
}

/** What the rule gives for one current. */
export interface CurrentConductance {
  /** The current's variable. */
  current: Var;
  /** Its conductance; zero when modcc gives none (no `v` in it, or not differentiable). */
  g: RExpr;
  /** Why it is zero although the assignment reads `v` (for a note), if so. */
  undifferentiated?: boolean;
  /** Variables the conductance reads that are declared inside an if/else branch (not visible at the end). */
  branchVars: Var[];
}

/**
 * modcc's conductance of each current of `currents` set in `block`: the partial derivative in v of
 * the right-hand side of its first assignment, to be evaluated after the block.
 */
export function conductances(
  block: RBlock,
  currents: Var[],
  functions: ReadonlySet<string>,
): Map<Var, CurrentConductance> {
  const result = new Map<Var, CurrentConductance>();
  const branchOwned = new Set<Var>();
  const walk = (stmts: RStmt[], nested: boolean) => {
    for (const s of stmts) {
      if (s.k === "set" && currents.includes(s.v) && !result.has(s.v)) {
        const g = partialV(s.e, functions);
        const branchVars: Var[] = [];
        if (g) readsOf(g, (v) => branchOwned.has(v) && !branchVars.includes(v) && branchVars.push(v));
        result.set(s.v, {
          current: s.v,
          g: g ?? ZERO,
          undifferentiated: g === undefined ? true : undefined,
          branchVars: nested ? branchVars : [],
        });
      } else if (s.k === "if") {
        s.then.owned.forEach((v) => branchOwned.add(v));
        s.else.owned.forEach((v) => branchOwned.add(v));
        walk(s.then.stmts, true);
        walk(s.else.stmts, true);
      }
    }
  };
  walk(block.stmts, false);
  for (const v of currents) {
    if (!result.has(v)) result.set(v, { current: v, g: ZERO, branchVars: [] });
  }
  return result;
}
