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
 * A kernel the plan cannot lower is one opaque `call` node: the user's own function, called with
 * the scope values its operands hold; each key of its result is a `field` node, a number or
 * `undefined` at run time (tested by the `defined` operator). Everything around the call (gather,
 * output rules, checks, stores, cnexp) is the same graph as for a lowered kernel.
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

/** An operator name; `defined` tests whether an opaque result's field is not `undefined`. */
export type Op = keyof typeof OPS | "select" | "defined";

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
    | CallNode
    | { readonly kind: "field"; readonly key: string; readonly args: readonly [Node] }
  );

/**
 * An opaque kernel call: `kernels[kernel](x)` (with the event weight or time since the spike as
 * second argument when `withArg`), after `x[keys[i]] = args[i]` for each scope key. When
 * `guarded`, the last operand is a condition and the call is made only when it holds (a field of
 * a call not made is `undefined`).
 */
export type CallNode = {
  readonly kind: "call";
  readonly kernel: string;
  readonly keys: readonly string[];
  readonly args: readonly Node[];
  readonly withArg: boolean;
  readonly guarded: boolean;
};

/** The operands of a node (none for a leaf). */
export function operands(node: Node): readonly Node[] {
  return node.kind === "op" || node.kind === "call" || node.kind === "field" ? node.args : [];
}

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

  /**
   * An opaque call of kernel `kernel` with scope `keys` set to `args` (then the second argument
   * `arg`, then the guard `when`); see `CallNode`.
   */
  call(kernel: string, keys: readonly string[], args: readonly Node[], arg?: Node, when?: Node): Node {
    const all = [...args, ...(arg ? [arg] : []), ...(when ? [when] : [])];
    return this.#make(
      `call:${kernel}:${arg ? 1 : 0}${when ? 1 : 0}:${keys.join(",")}(${all.map((n) => n.id).join(",")})`,
      { kind: "call", kernel, keys, args: all, withArg: arg !== undefined, guarded: when !== undefined },
      "num",
    );
  }

  /** Field `key` of an opaque call's result: a number, or `undefined`. */
  field(call: Node, key: string): Node {
    return this.#make(
      `field(${call.id},${JSON.stringify(key)})`,
      { kind: "field", key, args: [call] },
      "num",
      true,
    );
  }

  /** Whether opaque field `node` is not `undefined` at run time. */
  isDefined(node: Node): Node {
    return this.#make(`defined(${node.id})`, { kind: "op", op: "defined", args: [node] }, "bool");
  }

  /** `cond ? a : b`; keeps `undef` operands (the only operator that does). */
  select(cond: Node, a: Node, b: Node): Node {
    if (cond.kind === "const") return cond.value ? a : b;
    if (a === b) return a;
    // `defined(f) ? f : b` is undefined only where b is.
    const guarded = cond.kind === "op" && cond.op === "defined" && cond.args[0] === a;
    return this.#make(
      `select(${cond.id},${a.id},${b.id})`,
      { kind: "op", op: "select", args: [cond, a, b] },
      a.type,
      (a.mayBeUndef && !guarded) || b.mayBeUndef,
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
    if (node.kind === "field") return this.select(this.isDefined(node), node, fallback);
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

  /**
   * `node` with input nodes replaced (`map` by input index); shares every unchanged subgraph. An
   * opaque call whose operands change is a second call; with `when`, it is made only when `when`
   * holds (a forward difference that only one branch uses).
   */
  substitute(
    node: Node,
    map: ReadonlyMap<number, Node>,
    memo: Map<Node, Node> = new Map(),
    when?: Node,
  ): Node {
    for (const n of postorder([node], (m) => memo.has(m))) memo.set(n, this.#substituted(n, map, memo, when));
    return memo.get(node)!;
  }

  /** `n` with its operands replaced by their substitutes in `memo` (see `substitute`). */
  #substituted(node: Node, map: ReadonlyMap<number, Node>, memo: Map<Node, Node>, when?: Node): Node {
    if (node.kind === "input") return map.get(node.input) ?? node;
    if (node.kind !== "op" && node.kind !== "call" && node.kind !== "field") return node;
    const args = node.args.map((a) => memo.get(a)!);
    if (args.every((a, k) => a === node.args[k])) return node;
    if (node.kind === "field") return this.field(args[0], node.key);
    if (node.kind === "call") {
      const scope = args.slice(0, node.keys.length);
      const arg = node.withArg ? args[node.keys.length] : undefined;
      const guard = node.guarded ? args[args.length - 1] : undefined;
      const both = guard && when ? this.op("and", guard, when) : guard ?? when;
      return this.call(node.kernel, node.keys, scope, arg, both);
    }
    if (node.op === "select") return this.select(args[0], args[1], args[2]);
    if (node.op === "defined") return this.isDefined(args[0]);
    return this.op(node.op, ...args);
  }
}

/**
 * The nodes under `roots`, each after its operands (as a recursive walk would finish them, left
 * to right), without recursion: a chain of thousands of operations (a long sum built line by
 * line) needs no stack. `skip` prunes nodes already known; `edges` (default: every operand) says
 * which operands a walk follows.
 */
export function postorder(
  roots: readonly Node[],
  skip: (n: Node) => boolean = () => false,
  edges: (n: Node) => readonly Node[] = operands,
): Node[] {
  const out: Node[] = [];
  const seen = new Set<Node>();
  const stack: { node: Node; args: readonly Node[]; next: number }[] = [];
  const enter = (n: Node) => {
    if (seen.has(n) || skip(n)) return;
    seen.add(n);
    stack.push({ node: n, args: edges(n), next: 0 });
  };
  for (const root of roots) {
    enter(root);
    while (stack.length > 0) {
      const top = stack[stack.length - 1];
      if (top.next < top.args.length) enter(top.args[top.next++]);
      else {
        stack.pop();
        out.push(top.node);
      }
    }
  }
  return out;
}

/**
 * The value of `node` with JavaScript's semantics, its inputs given by `input` (by index), or
 * `undefined` where it holds what only a run knows (a user's call, its fields, an argument). The
 * plan's own checks evaluate equations at sample points with it (kernels/sparse.ts).
 *
 * @example
 * ```ts
 * const g = new Graph();
 * evaluate(g.op("add", g.input(0), g.constant(1)), () => 2); // 3
 * ```
 */
export function evaluate(
  node: Node,
  input: (index: number) => number,
  memo = new Map<Node, number | boolean | undefined>(),
): number | boolean | undefined {
  for (const n of postorder([node], (m) => memo.has(m))) {
    const args = operands(n).map((a) => memo.get(a));
    let out: number | boolean | undefined;
    if (n.kind === "const") out = n.value;
    else if (n.kind === "input") out = input(n.input);
    else if (n.kind !== "op" || n.op === "defined" || args.some((a) => a === undefined)) out = undefined;
    else if (n.op === "select") out = args[0] ? args[1] : args[2];
    else out = (OPS[n.op].js as (...a: unknown[]) => number | boolean)(...args);
    memo.set(n, out);
  }
  return memo.get(node);
}

/** The input indices a node depends on (memoised per call site through `memo`). */
export function dependencies(node: Node, memo = new Map<Node, Set<number>>()): Set<number> {
  for (const n of postorder([node], (m) => memo.has(m))) {
    const out = new Set<number>();
    if (n.kind === "input") out.add(n.input);
    for (const a of operands(n)) for (const d of memo.get(a)!) out.add(d);
    memo.set(n, out);
  }
  return memo.get(node)!;
}

/** Depth of the deepest operand chain under `node` (a 300-term sum has depth 300). */
export function depth(node: Node, memo = new Map<Node, number>()): number {
  for (const n of postorder([node], (m) => memo.has(m))) {
    const args = operands(n);
    memo.set(n, args.length > 0 ? 1 + Math.max(...args.map((a) => memo.get(a)!)) : 0);
  }
  return memo.get(node)!;
}
