/**
 * The shared part of kernels/lower.ts: what a kernel reads and returns, the lowering state of one
 * function body, the constants and Math functions of the subset, and the base of the lowerer with
 * what every layer uses (errors, positions, locals). The layers stack as expressions.ts, calls.ts
 * (helpers are inlined, so a call runs statements again: `exec` is declared here) and
 * statements.ts, whose `Lowerer` is the class kernels/lower.ts exports.
 *
 * @module
 */
import type { KernelName } from "../rules.ts";
import type { Graph, Node, OPS, ValueType } from "../graph.ts";
import type { ModuleInfo, Sources, TS } from "../source.ts";

/** What a kernel reads and may return. */
export interface KernelScope {
  /** Mechanism name, for messages. */
  mechanism: string;
  /** Class (or object) name, for messages. */
  owner: string;
  /** Which kernel. */
  kernel: KernelName;
  /** Keys it may return. */
  allowed: readonly string[];
  /** The node of each scope key. */
  scope: ReadonlyMap<string, Node>;
  /** Scope keys the declaration did not request (ion scalars without their flag): the error of each. */
  unrequested?: ReadonlyMap<string, string>;
}

/** A lowered kernel: each returned key's value (`undef` on paths that leave it out). */
export interface LoweredKernel {
  /** Value of each key returned on some path. */
  result: Map<string, Node>;
  /** `file:line:column` of the kernel. */
  at: string;
}

/** A local variable: its current node, and whether it may be assigned. */
export interface Local {
  node: Node;
  mutable: boolean;
}
/** Scopes of locals, innermost last. */
export type Env = Map<string, Local>[];
/** A kernel's returned keys and their values. */
export type Result = Map<string, Node>;

/** `Math.<name>` constants of the subset. */
export const MATH_CONSTANTS: Record<string, number> = {
  PI: Math.PI,
  E: Math.E,
  LN2: Math.LN2,
  LN10: Math.LN10,
  LOG2E: Math.LOG2E,
  LOG10E: Math.LOG10E,
  SQRT2: Math.SQRT2,
  SQRT1_2: Math.SQRT1_2,
};
/** `Number.<name>` constants of the subset. */
export const NUMBER_CONSTANTS: Record<string, number> = {
  EPSILON: Number.EPSILON,
  MAX_VALUE: Number.MAX_VALUE,
  MIN_VALUE: Number.MIN_VALUE,
  POSITIVE_INFINITY: Infinity,
  NEGATIVE_INFINITY: -Infinity,
  NaN: NaN,
};
/** Math functions by name: the graph operator and arity (-1: two or more, folded left). */
export const MATH_FUNCTIONS: Record<string, { op: keyof typeof OPS; arity: number }> = Object.fromEntries(
  [
    "exp expm1 log log1p log2 log10 sqrt cbrt abs tanh sinh cosh sin cos tan asin acos atan floor ceil trunc sign"
      .split(" ").map((name) => [name, { op: name as keyof typeof OPS, arity: 1 }]),
    [["pow", { op: "pow", arity: 2 }], ["atan2", { op: "atan2", arity: 2 }]],
    [["min", { op: "min", arity: -1 }], ["max", { op: "max", arity: -1 }]],
  ].flat() as [string, { op: keyof typeof OPS; arity: number }][],
);

/** A copy of `env` whose scopes can be changed without touching the original's. */
export const clone = (env: Env): Env => env.map((scope) => new Map(scope));

/** One function body being lowered (a kernel, a helper, or a constant's initializer). */
export interface Body {
  module: ModuleInfo;
  mode: "kernel" | "helper" | "constant";
  env: Env;
  scopeParam?: string;
  kernel?: KernelScope;
  returnType?: ValueType;
  /** The function whose body this is (none for a constant's initializer). */
  fn?: TS.Node;
}

/** The base of the lowerer: the graph, the sources, errors and positions, local lookup. */
export abstract class LowererBase {
  readonly src: Sources;
  readonly g: Graph;
  /** Helpers and constants being lowered, by `module#name`: a repeat is recursion. */
  protected readonly busy = new Set<string>();

  constructor(src: Sources, g: Graph) {
    this.src = src;
    this.g = g;
  }

  get ts(): typeof TS {
    return this.src.ts;
  }

  fail(body: Body, node: TS.Node, construct: string, advice?: string): never {
    return this.src.fail(body.module, node, construct, advice);
  }

  at(module: ModuleInfo, node: TS.Node): string {
    return this.src.where(module, node).text;
  }

  line(module: ModuleInfo, node: TS.Node): [number, number] {
    const at = this.src.where(module, node);
    return [at.line, at.column];
  }

  lookupLocal(env: Env, name: string): { level: number; local: Local } | undefined {
    for (let level = env.length - 1; level >= 0; level--) {
      const local = env[level].get(name);
      if (local) return { level, local };
    }
    return undefined;
  }

  /**
   * Where a name that no local of the lowered body binds is bound, as JavaScript resolves it
   * (the binder of kernels/source.ts): "global" (no declaration in the module: `Math`, `NaN`, or
   * an unknown name) or "module" (a top-level declaration or import). A name bound by an
   * enclosing function, parameter, block or loop is refused: its value belongs to the call or
   * the iteration that made the function, which a plan of the source cannot know.
   */
  outer(body: Body, id: TS.Identifier): "global" | "module" {
    const binding = this.src.binding(body.module, id);
    if (binding.scope !== "local") return binding.scope;
    const declaration = binding.declaration;
    const inside = body.fn !== undefined && declaration.pos >= body.fn.pos && declaration.end <= body.fn.end;
    if (inside) {
      const what = declaration === body.fn
        ? "the function's own name, used as a value"
        : `read before its declaration (${this.at(body.module, declaration)}), which throws in JavaScript`;
      this.src.failAt(body.module, id, `'${id.text}' is ${what}`);
    }
    return this.src.failAt(
      body.module,
      id,
      `'${id.text}' is ${this.src.describeLocal(body.module, declaration)}, not a module-level const, ` +
        `function or class: the function closes over a value of the call or loop that made it, which a plan ` +
        `of the source cannot know`,
    );
  }

  /** Records where an operation node first came from (for the plan's error messages). */
  origin(body: Body, e: TS.Node, node: Node): Node {
    if (node.kind === "op" && node.origin === undefined) {
      node.origin = { text: e.getText(body.module.source), at: this.at(body.module, e) };
    }
    return node;
  }

  /** Lowers an expression to a node (expressions.ts). */
  abstract expression(body: Body, e: TS.Expression, env: Env): Node;

  /** Runs statements `list[i..]` in `env`, then `k`; a `return` ends the path (statements.ts). */
  abstract exec<R>(body: Body, list: readonly TS.Statement[], i: number, env: Env, k: (env: Env) => R): R;

  /** Lowers a call (calls.ts). */
  abstract call(body: Body, e: TS.CallExpression, env: Env): Node;
}
