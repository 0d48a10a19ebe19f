/**
 * The importer's intermediate form of a kernel or module function: statements whose names are
 * resolved to variables (a kernel's own values, block locals, function parameters) or to fixed
 * text (`x.v`, a module constant). nmodl/resolve.ts builds it; nmodl/print.ts prints it.
 *
 * @module
 */

/** A value a kernel or function computes (or reads from its scope when it never sets it). */
export interface Var {
  /** The NMODL name it came from (for naming and messages). */
  nmodl: string;
  /** The TypeScript name, chosen once every variable of the body is known. */
  ts: string;
  /** The TypeScript name preferred (defaults to `nmodl`). */
  prefer?: string;
  /** Text of a read when the body never sets it, and its initial value when read before set. */
  scopeRead?: string;
  /** A function parameter (declared in the signature). */
  param?: boolean;
  /** The scope's membrane voltage (for conductances dI/dV). */
  isV?: boolean;
  /** Number of assignments to it in the body (counted when resolved). */
  writes: number;
}

/** An expression with resolved names. */
export type RExpr =
  | { k: "num"; text: string; value: number }
  | { k: "var"; v: Var }
  | { k: "raw"; text: string; isV?: boolean }
  | { k: "un"; op: "-" | "!"; e: RExpr }
  | { k: "bin"; op: string; l: RExpr; r: RExpr }
  | { k: "call"; fn: string; args: RExpr[] };

/** A block: its statements and the variables declared in it. */
export interface RBlock {
  stmts: RStmt[];
  owned: Var[];
}

/** A statement with resolved names; `comments` are the .mod file's comments before it. */
export type RStmt =
  | { k: "set"; v: Var; e: RExpr; comments: string[] }
  | { k: "if"; c: RExpr; then: RBlock; else: RBlock; comments: string[] }
  | { k: "note"; comments: string[] };

/** Makes a variable. */
export function newVar(nmodl: string, options: Partial<Var> = {}): Var {
  return { nmodl, ts: "", writes: 0, ...options };
}

/** Calls `visit` on every variable `e` reads. */
export function readsOf(e: RExpr, visit: (v: Var) => void): void {
  if (e.k === "var") visit(e.v);
  else if (e.k === "un") readsOf(e.e, visit);
  else if (e.k === "bin") (readsOf(e.l, visit), readsOf(e.r, visit));
  else if (e.k === "call") e.args.forEach((a) => readsOf(a, visit));
}

/** Whether statement `s` (deeply) reads or sets `v`. */
export function touches(s: RStmt, v: Var): boolean {
  let found = false;
  const check = (e: RExpr) => readsOf(e, (r) => (found ||= r === v));
  if (s.k === "set") {
    if (s.v === v) return true;
    check(s.e);
  } else if (s.k === "if") {
    check(s.c);
    if (!found) found = s.then.stmts.some((t) => touches(t, v)) || s.else.stmts.some((t) => touches(t, v));
  }
  return found;
}

/** Read counts of every variable in `stmts` and `extra` expressions. */
export function countReads(stmts: RStmt[], extra: RExpr[] = []): Map<Var, number> {
  const counts = new Map<Var, number>();
  const add = (e: RExpr) => readsOf(e, (v) => counts.set(v, (counts.get(v) ?? 0) + 1));
  const walk = (list: RStmt[]) => {
    for (const s of list) {
      if (s.k === "set") add(s.e);
      else if (s.k === "if") (add(s.c), walk(s.then.stmts), walk(s.else.stmts));
    }
  };
  walk(stmts);
  extra.forEach(add);
  return counts;
}

/**
 * Removes assignments to variables nobody reads (kernels are pure, so they have no effect),
 * until none is left; `keep` are the variables the body returns. Comments of removed
 * statements stay, as notes.
 */
export function removeDeadAssignments(block: RBlock, keep: Set<Var>, extra: () => RExpr[]): void {
  for (;;) {
    const reads = countReads(block.stmts, extra());
    let removed = false;
    const prune = (list: RStmt[]): RStmt[] =>
      list.flatMap((s): RStmt[] => {
        if (s.k === "set" && !keep.has(s.v) && !s.v.param && (reads.get(s.v) ?? 0) === 0) {
          removed = true;
          s.v.writes--;
          return s.comments.length ? [{ k: "note", comments: s.comments }] : [];
        }
        if (s.k === "if") {
          s.then.stmts = prune(s.then.stmts);
          s.else.stmts = prune(s.else.stmts);
          if (s.then.stmts.length === 0 && s.else.stmts.length === 0) {
            removed = true;
            return s.comments.length ? [{ k: "note", comments: s.comments }] : [];
          }
        }
        return [s];
      });
    block.stmts = prune(block.stmts);
    if (!removed) return;
  }
}

/**
 * What a block does with the values `tracked` selects: the ones it reads before it has set them
 * on every path (it reads the value an earlier block left), and the ones it sets on every path.
 */
export function dataflow(
  block: RBlock,
  tracked: (v: Var) => boolean,
): { incoming: Set<Var>; definite: Set<Var> } {
  const incoming = new Set<Var>();
  const read = (e: RExpr, set: Set<Var>) => readsOf(e, (v) => tracked(v) && !set.has(v) && incoming.add(v));
  const walk = (stmts: RStmt[], set: Set<Var>): Set<Var> => {
    for (const s of stmts) {
      if (s.k === "set") {
        read(s.e, set);
        if (tracked(s.v)) set.add(s.v);
      } else if (s.k === "if") {
        read(s.c, set);
        const a = walk(s.then.stmts, new Set(set)), b = walk(s.else.stmts, new Set(set));
        for (const v of a) if (b.has(v)) set.add(v);
      }
    }
    return set;
  };
  return { incoming, definite: walk(block.stmts, new Set()) };
}
