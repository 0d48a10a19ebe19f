/**
 * What both printers share: which gathered inputs and arrays a hook touches, and the schedule
 * of its expression graph into temporaries. A node used more than once becomes one temporary
 * (evaluated once); a node used once is inlined into its user until the expression gets deeper
 * than `MAX_INLINE_DEPTH`, so no printed expression exceeds a C compiler's nesting limit (a
 * 300-term sum prints as a chain of temporaries). Temporaries are numbered, never named after
 * user locals: there is nothing to mangle.
 *
 * @module
 */
import {
  type CallNode,
  dependencies,
  type Node,
  type Op,
  operands,
  postorder,
  type ValueType,
} from "./graph.ts";
import type { HookPlan, MechanismPlan } from "./plan.ts";

/** Deepest expression printed in one statement. */
export const MAX_INLINE_DEPTH = 24;

/** How a printer spells leaves and operators. */
export interface Spelling {
  /** A constant. */
  constant(value: number | boolean): string;
  /** The local holding gathered input `index`. */
  input(index: number): string;
  /** The kernel's second parameter. */
  arg: string;
  /** An operator applied to printed operands, parenthesised as a whole when needed. */
  op(op: Op, args: string[]): string;
  /**
   * The statements of an opaque call (kernels/graph.ts `CallNode`) whose result is named `name`,
   * with its operands printed as `args`. Only the JavaScript printer can call a user's function.
   */
  call?(node: CallNode, args: string[], name: string): string[];
  /** Field `key` of the opaque call printed as `call`. */
  field?(call: CallNode, code: string, key: string): string;
  /**
   * For a language without a conditional expression (NMODL): the statements that set temporary
   * `name` to `cond ? a : b`. With it, every select is a temporary, and a boolean is never one
   * (it is printed where it is used).
   */
  select?(cond: string, a: string, b: string, name: string): string[];
}

/** Options of {@link schedule} for a printer that needs more than the default. */
export interface ScheduleOptions {
  /**
   * The operands the printer prints a node from (default: all of them); with `special`, a node
   * the printer spells as one call of its own (NMODL's `exprelr` for `1+x == 1 ? 1 : x/expm1(x)`).
   */
  operands?: (n: Node) => readonly Node[];
  /** The spelling of a node `operands` shortened, from its printed operands; undefined for others. */
  special?: (n: Node, args: string[]) => string | undefined;
  /**
   * Nodes never made temporaries, roots included (NMODL: what depends on a state must stay in
   * the equation, where modcc's solvers see it).
   */
  inline?: (n: Node) => boolean;
  /** Nodes always made temporaries (NMODL: what a solver must see as one name, free of the states). */
  force?: (n: Node) => boolean;
}

/** One temporary: `const <type> <name> = <code>;`. */
export interface Temporary {
  /** Its name (`t0`, `t1`, ...). */
  name: string;
  /** Its type. */
  type: ValueType;
  /** Its value. */
  code: string;
  /** Instead of `const <name> = <code>`: the statements of an opaque call that name its result. */
  statements?: string[];
}

/** A hook's graph, scheduled: the temporaries in order, and the printed form of each root. */
export interface Schedule {
  /** Temporaries, operands before users. */
  temps: Temporary[];
  /** Printed form of a root (a temporary's name or a leaf). */
  of(node: Node): string;
}

/** The roots of a hook: every checked and stored value. */
export function hookRoots(hook: HookPlan): Node[] {
  return [...hook.checks.map((c) => c.value), ...hook.stores.map((s) => s.value)];
}

/** Input indices a hook reads, ascending. */
export function hookInputs(hook: HookPlan): number[] {
  const memo = new Map<Node, Set<number>>();
  const used = new Set<number>();
  for (const root of hookRoots(hook)) for (const k of dependencies(root, memo)) used.add(k);
  return [...used].sort((a, b) => a - b);
}

/** Ion indices whose index array a hook needs (to gather or to store). */
export function hookIons(plan: MechanismPlan, hook: HookPlan): number[] {
  const ions = new Set<number>();
  for (const k of hookInputs(hook)) {
    const source = plan.inputs[k].source;
    if (source.of === "ion" || source.of === "valence") ions.add(source.ion);
  }
  for (const store of hook.stores) if (store.target.array === "ion") ions.add(store.target.ion);
  return [...ions].sort((a, b) => a - b);
}

/** Schedules the graph under `roots`; temporaries are named `${prefix}0`, `${prefix}1`, ... */
export function schedule(
  roots: Node[],
  spell: Spelling,
  prefix = "t",
  options: ScheduleOptions = {},
): Schedule {
  const edges = options.operands ?? operands;
  const inline = options.inline ?? (() => false);
  // Every node is walked without recursion (kernels/graph.ts `postorder`), operands first.
  const order = postorder(roots, undefined, edges);
  const uses = new Map<Node, number>();
  for (const n of order) for (const a of edges(n)) uses.set(a, (uses.get(a) ?? 0) + 1);
  for (const root of roots) uses.set(root, 2); // roots are always named (unless inline)
  const force = options.force ?? (() => false);
  const named = (n: Node, depth: number) =>
    !inline(n) && (force(n) || !(spell.select && n.type === "bool") &&
        ((uses.get(n) ?? 0) > 1 || depth > MAX_INLINE_DEPTH ||
          (spell.select !== undefined && n.kind === "op" && n.op === "select")));
  const temps: Temporary[] = [];
  const printed = new Map<Node, { code: string; depth: number }>();
  const print = (n: Node): { code: string; depth: number } => {
    const known = printed.get(n);
    if (known) return known;
    let out: { code: string; depth: number };
    if (n.kind === "const") out = { code: spell.constant(n.value), depth: 0 };
    else if (n.kind === "input") out = { code: spell.input(n.input), depth: 0 };
    else if (n.kind === "arg") out = { code: spell.arg, depth: 0 };
    else if (n.kind === "undef") throw new Error("internal: undefined reached a printer");
    else if (n.kind === "call") {
      if (!spell.call) {
        throw new Error("internal: an opaque kernel call reached a printer that cannot call JavaScript");
      }
      const args = n.args.map((a) => print(a).code);
      const name = `${prefix}${temps.length}`;
      temps.push({ name, type: n.type, code: "", statements: spell.call(n, args, name) });
      out = { code: name, depth: 0 };
    } else if (n.kind === "field") {
      const call = n.args[0];
      out = { code: spell.field!(call as Node & CallNode, print(call).code, n.key), depth: 1 };
      if ((uses.get(n) ?? 0) > 1) {
        const name = `${prefix}${temps.length}`;
        temps.push({ name, type: n.type, code: out.code });
        out = { code: name, depth: 0 };
      }
    } else {
      const args = edges(n).map(print);
      const codes = args.map((a) => a.code);
      const code = options.special?.(n, codes) ?? spell.op(n.op, codes);
      const depth = 1 + Math.max(...args.map((a) => a.depth));
      if (named(n, depth)) {
        const name = `${prefix}${temps.length}`;
        const select = spell.select && n.op === "select" && options.special?.(n, codes) === undefined
          ? spell.select(codes[0], codes[1], codes[2], name)
          : undefined;
        temps.push({ name, type: n.type, code: strip(code), ...(select ? { statements: select } : {}) });
        out = { code: name, depth: 0 };
      } else out = { code, depth };
    }
    printed.set(n, out);
    return out;
  };
  // In walk order, each node's operands are printed before it: print never recurses deeply.
  for (const n of order) print(n);
  return { temps, of: (n) => print(n).code };
}

/** Removes one pair of enclosing parentheses when they enclose the whole text. */
export function strip(code: string): string {
  if (!code.startsWith("(") || !code.endsWith(")")) return code;
  let depth = 0;
  for (let k = 0; k < code.length; k++) {
    if (code[k] === "(") depth++;
    else if (code[k] === ")") depth--;
    if (depth === 0 && k < code.length - 1) return code;
  }
  return code.slice(1, -1);
}

/** Infix spellings shared by JavaScript and C (the rest is each printer's own). */
export const INFIX: Partial<Record<Op, string>> = {
  add: "+",
  sub: "-",
  mul: "*",
  div: "/",
  lt: "<",
  le: "<=",
  gt: ">",
  ge: ">=",
  and: "&&",
  or: "||",
};
