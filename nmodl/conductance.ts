/**
 * The conductances dI/dV of an imported BREAKPOINT, found symbolically as Arbor's modcc does, so
 * that the current kernel returns `g` and `gX` exactly instead of leaving denocat to take a 1 µV
 * forward difference. Only straight-line BREAKPOINTs (each value set once, no `if`) with
 * arithmetic, exp, log and constant powers of v are differentiated; otherwise (FUNCTIONs of v)
 * no conductance is returned and the difference is used.
 *
 * @module
 */
import type { RExpr, RStmt, Var } from "./ir.ts";

const ZERO: RExpr = { k: "num", text: "0", value: 0 };
const ONE: RExpr = { k: "num", text: "1", value: 1 };
const isZero = (e: RExpr) => e.k === "num" && e.value === 0;
const isOne = (e: RExpr) => e.k === "num" && e.value === 1;

function add(a: RExpr, b: RExpr): RExpr {
  return isZero(a) ? b : isZero(b) ? a : { k: "bin", op: "+", l: a, r: b };
}
function sub(a: RExpr, b: RExpr): RExpr {
  return isZero(b) ? a : isZero(a) ? { k: "un", op: "-", e: b } : { k: "bin", op: "-", l: a, r: b };
}
function mul(a: RExpr, b: RExpr): RExpr {
  if (isZero(a) || isZero(b)) return ZERO;
  return isOne(a) ? b : isOne(b) ? a : { k: "bin", op: "*", l: a, r: b };
}
function div(a: RExpr, b: RExpr): RExpr {
  return isZero(a) ? ZERO : isOne(b) ? a : { k: "bin", op: "/", l: a, r: b };
}

/** d e / dV, given the derivative of each variable set so far; undefined when not differentiable here. */
function derive(e: RExpr, known: Map<Var, RExpr>): RExpr | undefined {
  switch (e.k) {
    case "num":
      return ZERO;
    case "raw":
      return e.isV ? ONE : ZERO;
    case "var":
      if (e.v.isV) return ONE;
      return known.get(e.v) ?? (e.v.writes === 0 ? ZERO : undefined);
    case "un": {
      if (e.op === "!") return undefined;
      const d = derive(e.e, known);
      return d && (isZero(d) ? ZERO : { k: "un", op: "-", e: d });
    }
    case "bin": {
      const dl = derive(e.l, known), dr = derive(e.r, known);
      if (!dl || !dr) return undefined;
      if (e.op === "+") return add(dl, dr);
      if (e.op === "-") return sub(dl, dr);
      if (e.op === "*") return add(mul(dl, e.r), mul(e.l, dr));
      if (e.op === "/") {
        if (isZero(dr)) return div(dl, e.r);
        return div(sub(mul(dl, e.r), mul(e.l, dr)), { k: "bin", op: "*", l: e.r, r: e.r });
      }
      return isZero(dl) && isZero(dr) ? ZERO : undefined;
    }
    case "call": {
      const ds = e.args.map((a) => derive(a, known));
      if (ds.some((d) => d === undefined)) return undefined;
      if (ds.every((d) => isZero(d!))) return ZERO;
      const [u] = e.args, [du] = ds as RExpr[];
      // The chain rule through the builtins a current usually holds.
      if (e.fn === "Math.exp") return mul(e, du);
      if (e.fn === "Math.log") return div(du, u);
      if (e.fn === "Math.pow" && e.args[1].k === "num" && isZero(ds[1]!)) {
        const n = e.args[1];
        const lower: RExpr = {
          k: "call",
          fn: "Math.pow",
          args: [u, { k: "num", text: String(n.value - 1), value: n.value - 1 }],
        };
        return mul(mul(n, lower), du);
      }
      return undefined;
    }
  }
}

/**
 * The derivative with respect to v of each variable of `outputs` after `stmts`, or undefined
 * when the statements are not one straight line of single assignments.
 */
export function conductances(stmts: RStmt[], outputs: Var[]): Map<Var, RExpr> | undefined {
  const known = new Map<Var, RExpr>();
  for (const s of stmts) {
    if (s.k === "note") continue;
    if (s.k !== "set" || s.v.writes !== 1) return undefined;
    const d = derive(s.e, known);
    if (!d) return undefined;
    known.set(s.v, d);
  }
  const result = new Map<Var, RExpr>();
  for (const v of outputs) {
    const d = known.get(v);
    if (!d) return undefined;
    result.set(v, d);
  }
  return result;
}
