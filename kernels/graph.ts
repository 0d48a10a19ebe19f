/**
 * The expression graph of a kernel plan: pure double/boolean operations, hash-consed so that a
 * common subexpression exists once (CSE by construction), folded where every operand is known
 * (with JavaScript's own arithmetic and Math functions, so live and compiled code see the same
 * constant), and free of names: locals disappear while a kernel is lowered, so no printer ever
 * has to mangle a user's identifier.
 *
 * `undef` stands for JavaScript's `undefined` (an uninitialised `let`, a key left out on one
 * path). It only ever travels through `select`; the plan replaces it by each output's rule
 * (default, 0, old value) before anything is printed, and arithmetic sees NaN, as JavaScript does.
 *
 * @module
 */

/** Value type of a node. */
export type ValueType = "num" | "bool";

/** Operators and pure functions, with their operand count and JavaScript semantics. */
export const OPS = {
  add: { arity: 2, type: "num", js: (a: number, b: number) => a + b },
  sub: { arity: 2, type: "num", js: (a: number, b: number) => a - b },
  mul: { arity: 2, type: "num", js: (a: number, b: number) => a * b },
  div: { arity: 2, type: "num", js: (a: number, b: number) => a / b },
  mod: { arity: 2, type: "num", js: (a: number, b: number) => a % b },
  pow: { arity: 2, type: "num", js: Math.pow },
  neg: { arity: 1, type: "num", js: (a: number) => -a },
  min: { arity: 2, type: "num", js: Math.min },
  max: { arity: 2, type: "num", js: Math.max },
  atan2: { arity: 2, type: "num", js: Math.atan2 },
  exp: { arity: 1, type: "num", js: Math.exp },
  expm1: { arity: 1, type: "num", js: Math.expm1 },
  log: { arity: 1, type: "num", js: Math.log },
  log1p: { arity: 1, type: "num", js: Math.log1p },
  log2: { arity: 1, type: "num", js: Math.log2 },
  log10: { arity: 1, type: "num", js: Math.log10 },
  sqrt: { arity: 1, type: "num", js: Math.sqrt },
  cbrt: { arity: 1, type: "num", js: Math.cbrt },
  abs: { arity: 1, type: "num", js: Math.abs },
  tanh: { arity: 1, type: "num", js: Math.tanh },
  sinh: { arity: 1, type: "num", js: Math.sinh },
  cosh: { arity: 1, type: "num", js: Math.cosh },
  sin: { arity: 1, type: "num", js: Math.sin },
  cos: { arity: 1, type: "num", js: Math.cos },
  tan: { arity: 1, type: "num", js: Math.tan },
  asin: { arity: 1, type: "num", js: Math.asin },
  acos: { arity: 1, type: "num", js: Math.acos },
  atan: { arity: 1, type: "num", js: Math.atan },
  floor: { arity: 1, type: "num", js: Math.floor },
  ceil: { arity: 1, type: "num", js: Math.ceil },
  trunc: { arity: 1, type: "num", js: Math.trunc },
  sign: { arity: 1, type: "num", js: Math.sign },
  lt: { arity: 2, type: "bool", js: (a: number, b: number) => a < b },
  le: { arity: 2, type: "bool", js: (a: number, b: number) => a <= b },
  gt: { arity: 2, type: "bool", js: (a: number, b: number) => a > b },
  ge: { arity: 2, type: "bool", js: (a: number, b: number) => a >= b },
  eq: { arity: 2, type: "bool", js: (a: number, b: number) => a === b },
  ne: { arity: 2, type: "bool", js: (a: number, b: number) => a !== b },
  and: { arity: 2, type: "bool", js: (a: boolean, b: boolean) => a && b },
  or: { arity: 2, type: "bool", js: (a: boolean, b: boolean) => a || b },
  not: { arity: 1, type: "bool", js: (a: boolean) => !a },
} as const;

/** An operator name. */
export type Op = keyof typeof OPS | "select";

/** Where a node first came from in the user's source (for error messages). */
export interface Origin {
  /** Source text of the expression. */
  text: string;
  /** `file:line:column`. */
  at: string;
}

/** One node of the graph. Nodes are immutable and unique per builder (compare by identity). */
export type Node =
  & { readonly id: number; readonly type: ValueType; origin?: Origin; readonly mayBeUndef: boolean }
  & (
    | { readonly kind: "const"; readonly value: number | boolean }
    | { readonly kind: "undef" }
    | { readonly kind: "input"; readonly input: number }
    | { readonly kind: "arg" }
    | { readonly kind: "op"; readonly op: Op; readonly args: readonly Node[] }
  );

/** Builds nodes; one builder per mechanism, so equal expressions of one plan are one node. */
export class Graph {
  readonly #nodes = new Map<string, Node>();
  #next = 0;
  /** Every node made, in creation order (operands before users). */
  readonly all: Node[] = [];

  #make(key: string, fields: Record<string, unknown>, type: ValueType, mayBeUndef = false): Node {
    const known = this.#nodes.get(key);
    if (known) return known;
    const node = { id: this.#next++, type, mayBeUndef, ...fields } as Node;
    this.#nodes.set(key, node);
    this.all.push(node);
    return node;
  }

  /** A number or boolean constant (-0 and NaN kept apart from 0). */
  constant(value: number | boolean): Node {
    const key = typeof value === "boolean" ? `b:${value}` : `c:${Object.is(value, -0) ? "-0" : value}`;
    return this.#make(key, { kind: "const", value }, typeof value === "boolean" ? "bool" : "num");
  }

  /** JavaScript's `undefined` as a kernel value. */
  undef(): Node {
    return this.#make("undef", { kind: "undef" }, "num", true);
  }

  /** A gathered scalar (index into the plan's inputs). */
  input(index: number): Node {
    return this.#make(`i:${index}`, { kind: "input", input: index }, "num");
  }

  /** The second kernel parameter (event weight, time since spike). */
  arg(): Node {
    return this.#make("arg", { kind: "arg" }, "num");
  }

  /** `cond ? a : b`; keeps `undef` operands (the only operator that does). */
  select(cond: Node, a: Node, b: Node): Node {
    if (cond.kind === "const") return cond.value ? a : b;
    if (a === b) return a;
    return this.#make(
      `select(${cond.id},${a.id},${b.id})`,
      { kind: "op", op: "select", args: [cond, a, b] },
      a.type,
      a.mayBeUndef || b.mayBeUndef,
    );
  }

  /** An operator applied to operands; `undef` operands read as NaN, constants fold. */
  op(op: keyof typeof OPS, ...operands: Node[]): Node {
    const spec = OPS[op];
    if (operands.length !== spec.arity) throw new Error(`internal: ${op} takes ${spec.arity} operands`);
    const args = operands.map((a) => this.numeric(a));
    if (args.every((a) => a.kind === "const")) {
      const values = args.map((a) => (a as { value: number | boolean }).value);
      return this.constant((spec.js as (...v: unknown[]) => number | boolean)(...values));
    }
    const [a, b] = args;
    // Identities that hold for every double, NaN and -0 included.
    if (op === "mul" && a.kind === "const" && a.value === 1) return b;
    if ((op === "mul" || op === "div") && b.kind === "const" && b.value === 1) return a;
    if (op === "neg" && a.kind === "op" && a.op === "neg") return a.args[0];
    if (op === "not" && a.kind === "op" && a.op === "not") return a.args[0];
    return this.#make(`${op}(${args.map((n) => n.id).join(",")})`, { kind: "op", op, args }, spec.type);
  }

  /** `node` with every `undef` leaf replaced by `fallback` (an output rule, or NaN for arithmetic). */
  replaceUndef(node: Node, fallback: Node): Node {
    if (!node.mayBeUndef) return node;
    if (node.kind === "undef") return fallback;
    if (node.kind === "op" && node.op === "select") {
      const [c, a, b] = node.args;
      return this.select(c, this.replaceUndef(a, fallback), this.replaceUndef(b, fallback));
    }
    return node;
  }

  /** What arithmetic sees: `undefined` becomes NaN, as in JavaScript. */
  numeric(node: Node): Node {
    return node.mayBeUndef ? this.replaceUndef(node, this.constant(NaN)) : node;
  }

  /** `node` with input nodes replaced (`map` by input index); shares every unchanged subgraph. */
  substitute(node: Node, map: ReadonlyMap<number, Node>, memo: Map<Node, Node> = new Map()): Node {
    const known = memo.get(node);
    if (known) return known;
    let out = node;
    if (node.kind === "input") out = map.get(node.input) ?? node;
    else if (node.kind === "op") {
      const args = node.args.map((a) => this.substitute(a, map, memo));
      if (args.some((a, k) => a !== node.args[k])) {
        out = node.op === "select" ? this.select(args[0], args[1], args[2]) : this.op(node.op, ...args);
      }
    }
    memo.set(node, out);
    return out;
  }
}

/** The input indices a node depends on (memoised per call site through `memo`). */
export function dependencies(node: Node, memo = new Map<Node, Set<number>>()): Set<number> {
  const known = memo.get(node);
  if (known) return known;
  let out: Set<number>;
  if (node.kind === "input") out = new Set([node.input]);
  else if (node.kind === "op") {
    out = new Set();
    for (const a of node.args) for (const d of dependencies(a, memo)) out.add(d);
  } else out = new Set();
  memo.set(node, out);
  return out;
}

/** Depth of the deepest operand chain under `node` (a 300-term sum has depth 300). */
export function depth(node: Node, memo = new Map<Node, number>()): number {
  const known = memo.get(node);
  if (known !== undefined) return known;
  const out = node.kind === "op" ? 1 + Math.max(...node.args.map((a) => depth(a, memo))) : 0;
  memo.set(node, out);
  return out;
}
