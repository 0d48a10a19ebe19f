/**
 * The cnexp check of an imported DERIVATIVE block, made at import with the statement's position
 * instead of later at `catalogue()`. modcc's cnexp (modcc/solvers.cpp) needs each `x' = f` to be
 * linear in x alone: f = a·x + b with a and b free of every state. It takes every other name in f
 * as a constant, so a LOCAL or ASSIGNED value DERIVATIVE computes from a state is frozen at its
 * value before the step ("will not be integrated in time"), while denocat's kernel plan would
 * integrate through it: such an equation is refused too, as is a read of x after `x' = ...`
 * (modcc's update is in place, so the read would see the new value).
 *
 * @module
 */
import type { Body, Expr, NmodlFile, Position, Statement } from "./ast.ts";
import { NmodlError } from "./error.ts";
import type { Symbols } from "./symbols.ts";

/** Names `e` reads. */
function names(e: Expr, out = new Set<string>()): Set<string> {
  if (e.kind === "name") out.add(e.name);
  else if (e.kind === "unary") names(e.operand, out);
  else if (e.kind === "binary") (names(e.left, out), names(e.right, out));
  else if (e.kind === "call") e.args.forEach((a) => names(a, out));
  return out;
}

/** Why `e` is not of the form a·x + b with a, b free of `x` (undefined when it is). */
function nonlinear(e: Expr, x: string): { at: Position; why: string } | undefined {
  const has = (f: Expr) => names(f).has(x);
  if (!has(e)) return undefined;
  switch (e.kind) {
    case "name":
    case "number":
      return undefined;
    case "unary":
      return e.op === "-" ? nonlinear(e.operand, x) : { at: e.at, why: `negates a condition on ${x}` };
    case "call":
      return { at: e.at, why: `calls ${e.name} with ${x} in an argument` };
    case "binary":
      if (e.op === "+" || e.op === "-") return nonlinear(e.left, x) ?? nonlinear(e.right, x);
      if (e.op === "*") {
        if (has(e.left) && has(e.right)) return { at: e.at, why: `multiplies two terms that hold ${x}` };
        return nonlinear(has(e.left) ? e.left : e.right, x);
      }
      if (e.op === "/") {
        if (has(e.right)) return { at: e.at, why: `divides by a term that holds ${x}` };
        return nonlinear(e.left, x);
      }
      return { at: e.at, why: `applies ${e.op} to ${x}` };
  }
}

/** Refuses what modcc's cnexp would not integrate as denocat's plan does (see the module doc). */
export function checkCnexp(file: NmodlFile, symbols: Symbols, body: Body): void {
  // The diffusive concentration a DERIVATIVE integrates is a state here (modcc updates it in place too).
  const states = new Set(
    [...symbols.byName.values()].filter((s) => s.role === "state" || s.role === "diffusive").map((s) =>
      s.name
    ),
  );
  const fail = (at: Position, construct: string, advice: string): never => {
    throw new NmodlError(construct, file.file, at.line, at.column, advice);
  };
  // Values DERIVATIVE sets from a state (through LOCALs, ASSIGNED values and PROCEDUREs).
  const fromState = new Set<string>();
  const integrated = new Set<string>();
  const touchesState = (e: Expr) => [...names(e)].some((n) => states.has(n) || fromState.has(n));
  const readAfterUpdate = (e: Expr, at: Position) => {
    for (const n of names(e)) {
      if (integrated.has(n)) {
        fail(
          at,
          `a read of the state ${n} after ${n}' = ... under METHOD cnexp`,
          `modcc updates ${n} in place there, so this read would see the new value; move it before ${n}' = ...`,
        );
      }
    }
  };
  const procedureReadsState = (name: string, seen = new Set<string>()): boolean => {
    const p = file.procedures.find((q) => q.name === name);
    if (!p || seen.has(name)) return false;
    seen.add(name);
    const walk = (list: Statement[]): boolean =>
      list.some((s) =>
        s.kind === "assign"
          ? [...names(s.value)].some((n) => states.has(n))
          : s.kind === "if"
          ? [...names(s.condition)].some((n) => states.has(n)) || walk(s.then) || walk(s.otherwise)
          : s.kind === "call"
          ? s.call.args.some((a) => [...names(a)].some((n) => states.has(n))) ||
            procedureReadsState(s.call.name, seen)
          : false
      );
    return walk(p.statements);
  };
  const walk = (list: Statement[], condition: boolean) => {
    for (const s of list) {
      if (s.kind === "assign") {
        readAfterUpdate(s.value, s.at);
        if (touchesState(s.value) || condition) fromState.add(s.target);
        else fromState.delete(s.target);
      } else if (s.kind === "call") {
        s.call.args.forEach((a) => readAfterUpdate(a, s.at));
        const procedure = file.procedures.find((p) => p.name === s.call.name);
        if (procedure && (s.call.args.some(touchesState) || procedureReadsState(s.call.name) || condition)) {
          const written = new Set<string>();
          const collect = (l: Statement[]) =>
            l.forEach((t) =>
              t.kind === "assign"
                ? written.add(t.target)
                : t.kind === "if"
                ? (collect(t.then), collect(t.otherwise))
                : 0
            );
          collect(procedure.statements);
          written.forEach((n) => fromState.add(n));
        }
      } else if (s.kind === "if") {
        readAfterUpdate(s.condition, s.at);
        const dependent = condition || touchesState(s.condition);
        walk(s.then, dependent);
        walk(s.otherwise, dependent);
      } else if (s.kind === "derivative") {
        for (const n of names(s.value)) {
          if (states.has(n) && n !== s.state) {
            fail(
              s.at,
              `${s.state}' = ... reads the state ${n} under METHOD cnexp`,
              `cnexp integrates each state alone (modcc: "System not diagonal linear for cnexp"); use METHOD euler (denocat only) or rewrite it`,
            );
          }
          if (fromState.has(n)) {
            fail(
              s.at,
              `${s.state}' = ... reads ${n}, which DERIVATIVE computes from a state, under METHOD cnexp`,
              `modcc takes ${n} as a constant over the step (its value before the step: "not integrated in time"), ` +
                `denocat's cnexp would integrate through it; write the state into the equation itself`,
            );
          }
        }
        readAfterUpdate(s.value, s.at);
        const bad = nonlinear(s.value, s.state);
        if (bad) {
          fail(
            bad.at,
            `${s.state}' = ... is not linear in ${s.state} under METHOD cnexp: it ${bad.why}`,
            `cnexp needs ${s.state}' = a*${s.state} + b with a, b free of ${s.state}; use METHOD euler (denocat only) or rewrite it`,
          );
        }
        if (condition) {
          fail(
            s.at,
            `${s.state}' = ... under a condition that depends on a state, under METHOD cnexp`,
            "cnexp needs the equation free of conditions on states; use METHOD euler (denocat only)",
          );
        }
        integrated.add(s.state);
      }
    }
  };
  walk(body.statements, false);
}
