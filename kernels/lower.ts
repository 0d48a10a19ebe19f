/**
 * Lowers a kernel's TypeScript (parsed by kernels/source.ts) into the expression graph of
 * kernels/graph.ts. Locals, `if`/`else`, early returns and helper calls disappear: a `let`
 * assigned in a branch becomes a `select`, a return in a branch selects between the results of
 * the paths, and a helper is inlined at each call (shared through CSE). So the printed code has
 * no user names to mangle, and an unassigned `let` is `undefined` on its path in every target.
 *
 * The subset a plan can express:
 *  - numeric literals, `NaN`, `Infinity`, `Math.PI` / `E` / `LN2` / `LN10` / `LOG2E` / `LOG10E` /
 *    `SQRT2` / `SQRT1_2`, `Number.EPSILON` and friends, and module-level `const` numbers (of this
 *    module or imported from a relative module);
 *  - `const` / `let` locals (numbers or booleans), assignment to `let` locals (`=`, `+=`, `-=`,
 *    `*=`, `/=`, `%=`, `**=`, `++`, `--` as statements), blocks, `if` / `else`, early `return`;
 *  - `+ - * / % **`, unary `-` and `+`, comparisons, `!`, `&&` and `||` on booleans, `?:`;
 *  - `Math.exp expm1 log log1p log2 log10 pow sqrt cbrt abs min max tanh sinh cosh sin cos tan
 *    asin acos atan atan2 floor ceil trunc sign`;
 *  - calls to pure helpers (top-level `function` declarations or `const` arrow / function
 *    expressions of the same module or a relative import); recursion is refused;
 *  - reads of the scope parameter `x.<name>`, also as `const { v, m } = x`;
 *  - `return { key: expr, short, ... }` in kernels, `return expr` in helpers.
 *
 * Anything else (loops, `this`, `console.*`, arrays, strings, closures, `new`, unknown calls,
 * mutable module state, truthiness of numbers, `switch`, `throw`, `try`, labels, `debugger`) is a
 * `CompileError` naming the construct, file:line:column and what to do.
 *
 * @module
 */
import type { KernelName } from "./rules.ts";
import type { Graph, Node, OPS, ValueType } from "./graph.ts";
import {
  CompileError,
  type Found,
  type FunctionNode,
  type ModuleInfo,
  ruleError,
  type Sources,
  type TS,
} from "./source.ts";

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

interface Local {
  node: Node;
  mutable: boolean;
}
type Env = Map<string, Local>[];
type Result = Map<string, Node>;

const MATH_CONSTANTS: Record<string, number> = {
  PI: Math.PI,
  E: Math.E,
  LN2: Math.LN2,
  LN10: Math.LN10,
  LOG2E: Math.LOG2E,
  LOG10E: Math.LOG10E,
  SQRT2: Math.SQRT2,
  SQRT1_2: Math.SQRT1_2,
};
const NUMBER_CONSTANTS: Record<string, number> = {
  EPSILON: Number.EPSILON,
  MAX_VALUE: Number.MAX_VALUE,
  MIN_VALUE: Number.MIN_VALUE,
  POSITIVE_INFINITY: Infinity,
  NEGATIVE_INFINITY: -Infinity,
  NaN: NaN,
};
/** Math functions by name: the graph operator and arity (-1: two or more, folded left). */
const MATH_FUNCTIONS: Record<string, { op: keyof typeof OPS; arity: number }> = Object.fromEntries(
  [
    "exp expm1 log log1p log2 log10 sqrt cbrt abs tanh sinh cosh sin cos tan asin acos atan floor ceil trunc sign"
      .split(" ").map((name) => [name, { op: name as keyof typeof OPS, arity: 1 }]),
    [["pow", { op: "pow", arity: 2 }], ["atan2", { op: "atan2", arity: 2 }]],
    [["min", { op: "min", arity: -1 }], ["max", { op: "max", arity: -1 }]],
  ].flat() as [string, { op: keyof typeof OPS; arity: number }][],
);

const clone = (env: Env): Env => env.map((scope) => new Map(scope));

/** One function body being lowered (a kernel, a helper, or a constant's initializer). */
interface Body {
  module: ModuleInfo;
  mode: "kernel" | "helper" | "constant";
  env: Env;
  scopeParam?: string;
  kernel?: KernelScope;
  returnType?: ValueType;
}

/** Lowers kernels of one mechanism into one graph (helpers and constants shared between them). */
export class Lowerer {
  readonly src: Sources;
  readonly g: Graph;
  readonly #helpers = new Map<string, Node>();
  readonly #busy = new Set<string>();
  readonly #constants = new Map<string, Node>();

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

  /** Lowers kernel function `fn` (a method, or an arrow / function expression) of `module`. */
  kernel(module: ModuleInfo, fn: FunctionNode, scope: KernelScope): LoweredKernel {
    const ts = this.ts;
    const body: Body = { module, mode: "kernel", env: [new Map()], kernel: scope };
    const params = fn.parameters;
    const wantsArg = scope.kernel === "onEvent" || scope.kernel === "onPostEvent";
    if (params.length > (wantsArg ? 2 : 1)) {
      this.fail(body, params[params.length - 1], `an extra parameter of ${scope.kernel}`);
    }
    if (params[0]) {
      if (!ts.isIdentifier(params[0].name)) {
        this.fail(
          body,
          params[0],
          "destructuring in the kernel's parameter list",
          "write (x) and const { v } = x",
        );
      }
      body.scopeParam = params[0].name.text;
    }
    if (wantsArg && params[1]) {
      if (!ts.isIdentifier(params[1].name)) {
        this.fail(body, params[1], "destructuring of the second parameter");
      }
      body.env[0].set(params[1].name.text, { node: this.g.arg(), mutable: true });
    }
    const where = `${scope.owner}.${scope.kernel}()`;
    const at = this.at(module, fn);
    if (!fn.body) this.fail(body, fn, `kernel ${scope.kernel} without a body`);
    try {
      let result: Result;
      if (ts.isBlock(fn.body)) {
        result = this.exec<Result>(body, fn.body.statements, 0, body.env, () => {
          throw new CompileError(
            `${where} may end without returning an object: end every path with return { ... } (${at})`,
            module.display,
            ...this.line(module, fn),
          );
        });
      } else result = this.returned(body, fn.body, fn.body);
      return { result, at };
    } catch (error) {
      if (error instanceof RangeError) {
        throw new CompileError(
          `${where} nests expressions too deeply to translate (${at}): split it into const locals`,
          module.display,
          ...this.line(module, fn),
        );
      }
      throw error;
    }
  }

  line(module: ModuleInfo, node: TS.Node): [number, number] {
    const at = this.src.where(module, node);
    return [at.line, at.column];
  }

  /** Runs statements `list[i..]` in `env`, then `k`; a `return` ends the path with its result. */
  exec<R>(body: Body, list: readonly TS.Statement[], i: number, env: Env, k: (env: Env) => R): R {
    const ts = this.ts;
    if (i >= list.length) return k(env);
    const s = list[i];
    const next = (e: Env) => this.exec(body, list, i + 1, e, k);
    if (ts.isVariableStatement(s)) {
      this.declare(body, s, env);
      return next(env);
    }
    if (ts.isExpressionStatement(s)) {
      this.assign(body, s.expression, env);
      return next(env);
    }
    if (ts.isEmptyStatement(s)) return next(env);
    if (ts.isBlock(s)) {
      env.push(new Map());
      return this.exec(body, s.statements, 0, env, (e) => {
        e.pop();
        return next(e);
      });
    }
    if (ts.isIfStatement(s)) {
      const cond = this.expression(body, s.expression, env);
      if (cond.type !== "bool") {
        this.fail(
          body,
          s.expression,
          "a condition that is a number (JavaScript truthiness)",
          "compare explicitly, e.g. x !== 0",
        );
      }
      const branch = <T>(statement: TS.Statement | undefined, e: Env, then: (e: Env) => T): T => {
        if (statement === undefined) return then(e);
        e.push(new Map());
        const statements = ts.isBlock(statement) ? statement.statements : [statement];
        return this.exec(body, statements, 0, e, (after) => {
          after.pop();
          return then(after);
        });
      };
      if (this.returns(s)) {
        const a = branch(s.thenStatement, clone(env), next);
        const b = branch(s.elseStatement, clone(env), next);
        return this.merge(body, cond, a, b) as R;
      }
      const a = branch(s.thenStatement, clone(env), (e) => e);
      const b = branch(s.elseStatement, clone(env), (e) => e);
      const merged = env.map((scope, level) =>
        new Map([...scope.keys()].map((name) => {
          const x = a[level].get(name)!, y = b[level].get(name)!;
          return [name, x.node === y.node ? x : { ...x, node: this.g.select(cond, x.node, y.node) }];
        }))
      );
      return next(merged);
    }
    if (ts.isReturnStatement(s)) return this.returnStatement(body, s, env) as R;
    return this.refuseStatement(body, s);
  }

  refuseStatement(body: Body, s: TS.Statement): never {
    const ts = this.ts;
    if (ts.isForStatement(s) || ts.isForOfStatement(s) || ts.isForInStatement(s)) {
      this.fail(
        body,
        s,
        "a for loop",
        "loops are refused in compiled kernels: unroll it, or keep this mechanism live",
      );
    }
    if (ts.isWhileStatement(s) || ts.isDoStatement(s)) {
      this.fail(
        body,
        s,
        "a while loop",
        "loops are refused in compiled kernels: unroll it, or keep this mechanism live",
      );
    }
    if (ts.isSwitchStatement(s)) this.fail(body, s, "switch", "use if / else");
    if (ts.isThrowStatement(s)) {
      this.fail(body, s, "throw", "compiled kernels cannot throw; remove it or keep this mechanism live");
    }
    if (ts.isTryStatement(s)) this.fail(body, s, "try / catch");
    if (ts.isFunctionDeclaration(s)) {
      this.fail(body, s, "a nested function", "move it to the top level of the module");
    }
    if (ts.isClassDeclaration(s)) this.fail(body, s, "a nested class");
    if (ts.isLabeledStatement(s)) this.fail(body, s, "a labelled statement", "remove the label");
    if (ts.isDebuggerStatement(s)) this.fail(body, s, "debugger", "remove it");
    if (ts.isBreakOrContinueStatement(s)) this.fail(body, s, "break / continue");
    return this.fail(body, s, `the statement '${s.getText(body.module.source).split("\n")[0].slice(0, 40)}'`);
  }

  /** Whether a statement holds a `return` (outside nested functions). */
  returns(s: TS.Node): boolean {
    const ts = this.ts;
    if (ts.isReturnStatement(s)) return true;
    if (ts.isFunctionLike(s)) return false;
    return ts.forEachChild(s, (child) => this.returns(child) || undefined) ?? false;
  }

  merge(body: Body, cond: Node, a: unknown, b: unknown): unknown {
    if (body.mode !== "kernel") {
      const x = a as Node, y = b as Node;
      if (x.type !== y.type) throw new Error("internal: helper paths of different types");
      return this.g.select(cond, x, y);
    }
    const x = a as Result, y = b as Result;
    const out: Result = new Map();
    for (const key of new Set([...x.keys(), ...y.keys()])) {
      out.set(key, this.g.select(cond, x.get(key) ?? this.g.undef(), y.get(key) ?? this.g.undef()));
    }
    return out;
  }

  declare(body: Body, s: TS.VariableStatement, env: Env): void {
    const ts = this.ts;
    const list = s.declarationList;
    const isConst = (list.flags & ts.NodeFlags.Const) !== 0;
    const isLet = (list.flags & ts.NodeFlags.Let) !== 0;
    if (!isConst && !isLet) this.fail(body, s, "var", "use const or let");
    const top = env[env.length - 1];
    for (const d of list.declarations) {
      if (ts.isObjectBindingPattern(d.name)) {
        if (!d.initializer || !this.isScopeParam(body, d.initializer, env)) {
          this.fail(body, d, "destructuring of anything but the scope parameter");
        }
        for (const element of d.name.elements) {
          if (element.dotDotDotToken || element.initializer || !ts.isIdentifier(element.name)) {
            this.fail(body, element, "a rest element, default value or nested pattern in destructuring");
          }
          const key = element.propertyName && ts.isIdentifier(element.propertyName)
            ? element.propertyName.text
            : element.name.text;
          top.set(element.name.text, { node: this.scopeRead(body, key, element), mutable: !isConst });
        }
        continue;
      }
      if (!ts.isIdentifier(d.name)) this.fail(body, d, "array destructuring");
      if (!d.initializer) {
        if (isConst) this.fail(body, d, "a const without initializer");
        if (d.type && d.type.kind !== ts.SyntaxKind.NumberKeyword) {
          this.fail(body, d, "an uninitialised let that is not a number", "initialise it");
        }
        top.set(d.name.text, { node: this.g.undef(), mutable: true });
        continue;
      }
      top.set(d.name.text, { node: this.expression(body, d.initializer, env), mutable: !isConst });
    }
  }

  lookupLocal(env: Env, name: string): { level: number; local: Local } | undefined {
    for (let level = env.length - 1; level >= 0; level--) {
      const local = env[level].get(name);
      if (local) return { level, local };
    }
    return undefined;
  }

  assign(body: Body, e: TS.Expression, env: Env): void {
    const ts = this.ts;
    const K = ts.SyntaxKind;
    const target = (node: TS.Expression): { level: number; name: string; local: Local } => {
      if (ts.isParenthesizedExpression(node)) return target(node.expression);
      if (!ts.isIdentifier(node)) {
        if (ts.isPropertyAccessExpression(node) && this.isScopeParam(body, node.expression, env)) {
          this.fail(
            body,
            node,
            "assignment to a scope field",
            "kernels return new values instead of assigning",
          );
        }
        this.fail(body, node, "assignment to anything but a let local");
      }
      const found = this.lookupLocal(env, node.text);
      if (!found) {
        if (this.src.lookup(body.module, node.text)?.kind === "mutable") {
          this.fail(body, node, "assignment to module state", "keep kernels free of side effects");
        }
        this.fail(body, node, `assignment to unknown name '${node.text}'`);
      }
      if (!found.local.mutable) {
        this.fail(body, node, `assignment to const '${node.text}'`, "declare it with let");
      }
      return { ...found, name: node.text };
    };
    const set = (t: { level: number; name: string; local: Local }, node: Node, at: TS.Node) => {
      if (node.type !== t.local.node.type && !t.local.node.mayBeUndef) {
        this.fail(body, at, "assigning a value of another type than the local's");
      }
      env[t.level].set(t.name, { ...t.local, node });
    };
    const compound: Partial<Record<number, keyof typeof OPS>> = {
      [K.PlusEqualsToken]: "add",
      [K.MinusEqualsToken]: "sub",
      [K.AsteriskEqualsToken]: "mul",
      [K.SlashEqualsToken]: "div",
      [K.PercentEqualsToken]: "mod",
      [K.AsteriskAsteriskEqualsToken]: "pow",
    };
    if (ts.isBinaryExpression(e)) {
      const op = e.operatorToken.kind;
      if (op === K.EqualsToken) {
        const t = target(e.left);
        return set(t, this.expression(body, e.right, env), e.right);
      }
      const fn = compound[op];
      if (fn) {
        const t = target(e.left);
        const value = this.expression(body, e.right, env);
        if (t.local.node.type !== "num" || value.type !== "num") {
          this.fail(body, e, "compound assignment on booleans");
        }
        return set(t, this.origin(body, e, this.g.op(fn, t.local.node, value)), e);
      }
    }
    if (
      (ts.isPrefixUnaryExpression(e) || ts.isPostfixUnaryExpression(e)) &&
      (e.operator === K.PlusPlusToken || e.operator === K.MinusMinusToken)
    ) {
      const t = target(e.operand);
      if (t.local.node.type !== "num") this.fail(body, e, "++ or -- on a boolean");
      return set(
        t,
        this.g.op(e.operator === K.PlusPlusToken ? "add" : "sub", t.local.node, this.g.constant(1)),
        e,
      );
    }
    if (ts.isCallExpression(e)) {
      this.expression(body, e, env); // reports console.log and friends precisely
      this.fail(body, e, "a call whose result is discarded", "kernels have no side effects; remove it");
    }
    this.fail(body, e, "an expression statement", "only assignments to let locals may stand alone");
  }

  returnStatement(body: Body, s: TS.ReturnStatement, env: Env): Node | Result {
    if (body.mode !== "kernel") {
      if (!s.expression) this.fail(body, s, "return without a value", "helpers return a number");
      const e = this.expression(body, s.expression, env);
      if (body.returnType !== undefined && body.returnType !== e.type) {
        this.fail(body, s.expression, "returning both numbers and booleans from one helper");
      }
      body.returnType = e.type;
      return this.g.numeric(e);
    }
    if (!s.expression) {
      this.fail(body, s, "a kernel return that is not an object literal", "write return { key: value, ... }");
    }
    return this.returned(body, s.expression, s, env);
  }

  /** The result of `return <value>` (or an arrow function's expression body). */
  returned(body: Body, value: TS.Expression, at: TS.Node, env: Env = body.env): Result {
    const ts = this.ts;
    while (
      ts.isParenthesizedExpression(value) || ts.isAsExpression(value) || ts.isSatisfiesExpression(value)
    ) {
      value = value.expression;
    }
    if (!ts.isObjectLiteralExpression(value)) {
      this.fail(
        body,
        at,
        "a kernel return that is not an object literal",
        "write return { key: value, ... }",
      );
    }
    const scope = body.kernel!;
    const result: Result = new Map();
    for (const property of value.properties) {
      let key: string;
      let node: Node;
      if (ts.isPropertyAssignment(property)) {
        const name = property.name;
        if (ts.isIdentifier(name) || ts.isStringLiteral(name)) key = name.text;
        else this.fail(body, name, "a computed key in the returned object");
        node = this.expression(body, property.initializer, env);
      } else if (ts.isShorthandPropertyAssignment(property)) {
        key = property.name.text;
        node = this.expression(body, property.name, env);
      } else if (ts.isSpreadAssignment(property)) {
        this.fail(body, property, "spread in the returned object");
      } else this.fail(body, property, "a method or accessor in the returned object");
      if (!scope.allowed.includes(key)) {
        const where = this.src.where(body.module, property);
        throw ruleError(
          new CompileError(
            `mechanism '${scope.mechanism}': ${scope.kernel}() returned '${key}', which is not one of ${
              scope.allowed.join(", ") || "(nothing)"
            } (${where.text})`,
            body.module.display,
            where.line,
            where.column,
          ),
        );
      }
      if (node.type !== "num") {
        this.fail(body, property, "a returned value that is a boolean", "return numbers");
      }
      result.set(key, node);
    }
    return result;
  }

  isScopeParam(body: Body, e: TS.Expression, env: Env): boolean {
    const ts = this.ts;
    while (ts.isParenthesizedExpression(e) || ts.isNonNullExpression(e) || ts.isAsExpression(e)) {
      e = e.expression;
    }
    return body.mode === "kernel" && ts.isIdentifier(e) && e.text === body.scopeParam &&
      !this.lookupLocal(env, e.text);
  }

  scopeRead(body: Body, key: string, node: TS.Node): Node {
    const scope = body.kernel!;
    const found = scope.scope.get(key);
    if (found === undefined) {
      const where = this.src.where(body.module, node);
      throw ruleError(
        new CompileError(
          `${body.scopeParam}.${key} is not in the kernel scope of mechanism '${scope.mechanism}' (its scope has ${
            [...scope.scope.keys()].join(", ")
          }): declare it as a field or fix the name (${where.text})`,
          body.module.display,
          where.line,
          where.column,
        ),
      );
    }
    const unrequested = scope.unrequested?.get(key);
    if (unrequested !== undefined) {
      const where = this.src.where(body.module, node);
      throw ruleError(
        new CompileError(`${unrequested} (${where.text})`, body.module.display, where.line, where.column),
      );
    }
    return found;
  }

  /** Records where an operation node first came from (for the plan's error messages). */
  origin(body: Body, e: TS.Node, node: Node): Node {
    if (node.kind === "op" && node.origin === undefined) {
      node.origin = { text: e.getText(body.module.source), at: this.at(body.module, e) };
    }
    return node;
  }

  expression(body: Body, e: TS.Expression, env: Env): Node {
    return this.origin(body, e, this.expr(body, e, env));
  }

  expr(body: Body, e: TS.Expression, env: Env): Node {
    const ts = this.ts;
    const g = this.g;
    if (ts.isNumericLiteral(e)) return g.constant(Number(e.text.replace(/_/g, "")));
    if (
      ts.isParenthesizedExpression(e) || ts.isAsExpression(e) || ts.isNonNullExpression(e) ||
      ts.isSatisfiesExpression(e) || ts.isTypeAssertionExpression(e)
    ) {
      return this.expression(body, e.expression, env);
    }
    if (e.kind === ts.SyntaxKind.TrueKeyword) return g.constant(true);
    if (e.kind === ts.SyntaxKind.FalseKeyword) return g.constant(false);
    if (e.kind === ts.SyntaxKind.ThisKeyword) {
      this.fail(body, e, "`this` access", "kernels are pure functions of their scope: read x.<name> instead");
    }
    if (ts.isPrefixUnaryExpression(e)) {
      const operand = this.expression(body, e.operand, env);
      switch (e.operator) {
        case ts.SyntaxKind.MinusToken:
          if (operand.type !== "num") this.fail(body, e, "unary minus on a boolean");
          return g.op("neg", operand);
        case ts.SyntaxKind.PlusToken:
          if (operand.type !== "num") this.fail(body, e, "unary plus on a boolean");
          return g.numeric(operand);
        case ts.SyntaxKind.ExclamationToken:
          if (operand.type !== "bool") {
            this.fail(body, e, "! on a number (JavaScript truthiness)", "compare explicitly");
          }
          return g.op("not", operand);
        case ts.SyntaxKind.TildeToken:
          this.fail(
            body,
            e,
            "the bitwise operator ~",
            "JavaScript converts to 32-bit integers there; use Math functions",
          );
          break;
        default:
          this.fail(body, e, "++ or -- inside an expression", "write the increment as its own statement");
      }
    }
    if (ts.isPostfixUnaryExpression(e)) {
      this.fail(body, e, "++ or -- inside an expression", "write it as its own statement");
    }
    if (ts.isBinaryExpression(e)) return this.binary(body, e, env);
    if (ts.isConditionalExpression(e)) {
      const cond = this.expression(body, e.condition, env);
      if (cond.type !== "bool") {
        this.fail(
          body,
          e.condition,
          "a condition that is a number (JavaScript truthiness)",
          "compare explicitly",
        );
      }
      const a = this.expression(body, e.whenTrue, env);
      const b = this.expression(body, e.whenFalse, env);
      if (a.type !== b.type) this.fail(body, e, "a ?: whose branches have different types");
      return g.select(cond, a, b);
    }
    if (ts.isIdentifier(e)) return this.identifier(body, e, env);
    if (ts.isPropertyAccessExpression(e)) {
      if (this.isScopeParam(body, e.expression, env)) return this.scopeRead(body, e.name.text, e);
      const object = ts.isIdentifier(e.expression) && !this.lookupLocal(env, e.expression.text)
        ? e.expression.text
        : undefined;
      if (object === "Math") {
        const value = MATH_CONSTANTS[e.name.text];
        if (value === undefined) this.fail(body, e, `Math.${e.name.text} as a value`);
        return g.constant(value);
      }
      if (object === "console") {
        this.fail(body, e, `console.${e.name.text}`, "remove it or keep this mechanism live");
      }
      if (object === "Number" && e.name.text in NUMBER_CONSTANTS) {
        return g.constant(NUMBER_CONSTANTS[e.name.text]);
      }
      if (e.expression.kind === ts.SyntaxKind.ThisKeyword) {
        this.fail(
          body,
          e,
          "`this` access",
          "kernels are pure functions of their scope: read x.<name> instead",
        );
      }
      if (
        ts.isPropertyAccessExpression(e.expression) && this.isScopeParam(body, e.expression.expression, env)
      ) {
        this.fail(
          body,
          e,
          "a property of a scope value (string or object operations)",
          "scope fields are numbers",
        );
      }
      return this.fail(body, e, `the property access '${e.getText(body.module.source)}'`);
    }
    if (ts.isCallExpression(e)) return this.call(body, e, env);
    if (ts.isElementAccessExpression(e)) {
      this.fail(body, e, "array indexing", "kernels read scalars only: use x.<name>");
    }
    if (ts.isArrayLiteralExpression(e)) {
      this.fail(body, e, "array allocation", "kernels work on scalars only");
    }
    if (ts.isStringLiteral(e) || ts.isNoSubstitutionTemplateLiteral(e) || ts.isTemplateExpression(e)) {
      this.fail(body, e, "string operations", "kernels compute numbers only");
    }
    if (ts.isObjectLiteralExpression(e)) this.fail(body, e, "an object literal other than the returned one");
    if (ts.isArrowFunction(e) || ts.isFunctionExpression(e)) {
      this.fail(body, e, "a closure", "move the function to the top level of the module, taking numbers");
    }
    if (ts.isNewExpression(e)) this.fail(body, e, "new", "kernels allocate nothing");
    if (ts.isTypeOfExpression(e)) this.fail(body, e, "typeof");
    if (e.kind === ts.SyntaxKind.NullKeyword) this.fail(body, e, "null");
    if (ts.isAwaitExpression(e)) this.fail(body, e, "await");
    return this.fail(body, e, `the expression '${e.getText(body.module.source).slice(0, 40)}'`);
  }

  identifier(body: Body, e: TS.Identifier, env: Env): Node {
    const name = e.text;
    const found = this.lookupLocal(env, name);
    if (found) return found.local.node;
    if (body.mode === "kernel" && name === body.scopeParam) {
      this.fail(
        body,
        e,
        "using the scope object as a value",
        "read its fields x.<name> and pass numbers to helpers",
      );
    }
    if (name === "NaN") return this.g.constant(NaN);
    if (name === "Infinity") return this.g.constant(Infinity);
    if (name === "undefined") return this.g.undef(); // a key left out, on this path
    const top = this.src.lookup(body.module, name);
    if (top?.kind === "const") return this.constant(top, name, body, e);
    if (top?.kind === "mutable") {
      const at = this.src.where(top.module, top.node);
      this.fail(
        body,
        e,
        `a closure over mutable module state ('${name}', declared with let/var at ${at.text})`,
        "make it a module-level const number, or a @global / @parameter of the mechanism",
      );
    }
    if (top?.kind === "function") this.fail(body, e, `the function '${name}' used as a value`, "call it");
    return this.fail(
      body,
      e,
      `the unknown name '${name}'`,
      "use locals, module constants, helpers or x.<name>",
    );
  }

  constant(found: Found & { kind: "const" }, name: string, use: Body, at: TS.Node): Node {
    const key = `${found.module.path}#${name}`;
    const known = this.#constants.get(key);
    if (known) return known;
    if (this.#busy.has(key)) {
      this.src.failAt(use.module, at, `constant '${name}' is defined in terms of itself`);
    }
    this.#busy.add(key);
    try {
      const node = this.expression({ module: found.module, mode: "constant", env: [new Map()] }, found.node, [
        new Map(),
      ]);
      this.#constants.set(key, node);
      return node;
    } finally {
      this.#busy.delete(key);
    }
  }

  binary(body: Body, e: TS.BinaryExpression, env: Env): Node {
    const ts = this.ts;
    const K = ts.SyntaxKind;
    const op = e.operatorToken.kind;
    const assignments = [
      K.EqualsToken,
      K.PlusEqualsToken,
      K.MinusEqualsToken,
      K.AsteriskEqualsToken,
      K.SlashEqualsToken,
      K.PercentEqualsToken,
      K.AsteriskAsteriskEqualsToken,
    ];
    if (assignments.includes(op)) {
      this.fail(body, e, "an assignment inside an expression", "assign in its own statement");
    }
    if (op === K.CommaToken) this.fail(body, e, "the comma operator");
    if (op === K.QuestionQuestionToken) {
      this.fail(body, e, "??", "every scope field is a number; no fallback is needed");
    }
    if (op === K.InKeyword || op === K.InstanceOfKeyword) this.fail(body, e, ts.tokenToString(op) ?? "in");
    const bitwise = [
      K.AmpersandToken,
      K.BarToken,
      K.CaretToken,
      K.LessThanLessThanToken,
      K.GreaterThanGreaterThanToken,
      K.GreaterThanGreaterThanGreaterThanToken,
    ];
    if (bitwise.includes(op)) {
      this.fail(
        body,
        e,
        `the bitwise operator ${ts.tokenToString(op)}`,
        "JavaScript converts to 32-bit integers there; use Math functions",
      );
    }
    const a = this.expression(body, e.left, env);
    const b = this.expression(body, e.right, env);
    const arithmetic: Partial<Record<number, keyof typeof OPS>> = {
      [K.PlusToken]: "add",
      [K.MinusToken]: "sub",
      [K.AsteriskToken]: "mul",
      [K.SlashToken]: "div",
      [K.PercentToken]: "mod",
      [K.AsteriskAsteriskToken]: "pow",
    };
    const compare: Partial<Record<number, keyof typeof OPS>> = {
      [K.LessThanToken]: "lt",
      [K.LessThanEqualsToken]: "le",
      [K.GreaterThanToken]: "gt",
      [K.GreaterThanEqualsToken]: "ge",
      [K.EqualsEqualsEqualsToken]: "eq",
      [K.EqualsEqualsToken]: "eq",
      [K.ExclamationEqualsEqualsToken]: "ne",
      [K.ExclamationEqualsToken]: "ne",
    };
    const arith = arithmetic[op];
    if (arith) {
      if (a.type !== "num" || b.type !== "num") this.fail(body, e, "arithmetic on booleans");
      return this.g.op(arith, a, b);
    }
    const cmp = compare[op];
    if (cmp) {
      const equality = cmp === "eq" || cmp === "ne";
      if (a.type !== b.type || (!equality && a.type !== "num")) {
        this.fail(body, e, "comparing values of different types");
      }
      if (equality && (a.mayBeUndef || b.mayBeUndef)) {
        this.fail(body, e, "comparing a let that may still be undefined", "initialise the let");
      }
      if (equality && a.type === "bool") {
        return this.g.op(
          cmp === "eq" ? "eq" : "ne",
          this.g.select(a, this.g.constant(1), this.g.constant(0)),
          this.g.select(b, this.g.constant(1), this.g.constant(0)),
        );
      }
      return this.g.op(cmp, a, b);
    }
    if (op === K.AmpersandAmpersandToken || op === K.BarBarToken) {
      if (a.type !== "bool" || b.type !== "bool") {
        this.fail(
          body,
          e,
          `${ts.tokenToString(op)} on numbers (it returns an operand in JavaScript)`,
          "use comparisons and ?:",
        );
      }
      return this.g.op(op === K.AmpersandAmpersandToken ? "and" : "or", a, b);
    }
    return this.fail(body, e, `the operator ${ts.tokenToString(op)}`);
  }

  call(body: Body, e: TS.CallExpression, env: Env): Node {
    const ts = this.ts;
    const callee = e.expression;
    const args = () =>
      e.arguments.map((arg) => {
        if (ts.isSpreadElement(arg)) this.fail(body, arg, "spread arguments");
        const value = this.expression(body, arg, env);
        if (value.type !== "num") {
          this.fail(body, arg, "a boolean argument", "helpers and Math functions take numbers");
        }
        return value;
      });
    if (ts.isPropertyAccessExpression(callee) && ts.isIdentifier(callee.expression)) {
      const object = callee.expression.text;
      const method = callee.name.text;
      if (object === "console") {
        this.fail(body, e, `console.${method}`, "remove it or keep this mechanism live");
      }
      if (object === "Math" && !this.lookupLocal(env, "Math")) {
        const fn = MATH_FUNCTIONS[method];
        if (!fn) {
          this.fail(
            body,
            e,
            `Math.${method}`,
            "use one of the supported Math functions, or keep this mechanism live",
          );
        }
        const values = args();
        if (fn.arity === -1) {
          if (values.length < 1) this.fail(body, e, `Math.${method} without arguments`);
          if (values.length === 1) return this.g.numeric(values[0]);
          return values.reduce((acc, v) => this.g.op(fn.op, acc, v));
        }
        if (values.length !== fn.arity) {
          this.fail(body, e, `Math.${method} with ${values.length} arguments`, `it takes ${fn.arity}`);
        }
        return this.g.op(fn.op, ...values);
      }
    }
    if (ts.isIdentifier(callee)) {
      const name = callee.text;
      if (this.lookupLocal(env, name)) this.fail(body, e, `calling the local '${name}'`);
      const found = this.src.lookup(body.module, name);
      if (found?.kind === "function") return this.helper(found, name, args(), body, e);
      return this.fail(
        body,
        e,
        `a call to the unknown function '${name}'`,
        "call Math functions or pure helpers defined (or imported from a relative module) at the top level, or keep this mechanism live",
      );
    }
    return this.fail(
      body,
      e,
      `a call to '${callee.getText(body.module.source)}'`,
      "call Math functions or top-level helpers only",
    );
  }

  /** Inlines helper `name` at a call with argument nodes `args`. */
  helper(found: Found & { kind: "function" }, name: string, args: Node[], use: Body, call: TS.Node): Node {
    const ts = this.ts;
    const key = `${found.module.path}#${name}`;
    if (this.#busy.has(key)) {
      this.src.failAt(
        use.module,
        call,
        `recursion (helper '${name}' calls itself, directly or through other helpers) is not supported in a ` +
          `compiled kernel: rewrite it without recursion or keep this mechanism live`,
      );
    }
    const fn = found.node;
    if (args.length !== fn.parameters.length) {
      this.fail(
        use,
        call,
        `a call of '${name}' with ${args.length} arguments`,
        `it takes ${fn.parameters.length}`,
      );
    }
    const memo = `${key}(${args.map((a) => a.id).join(",")})`;
    const known = this.#helpers.get(memo);
    if (known) return known;
    const body: Body = { module: found.module, mode: "helper", env: [new Map()] };
    fn.parameters.forEach((p, k) => {
      if (!ts.isIdentifier(p.name) || p.initializer || p.dotDotDotToken || p.questionToken) {
        this.fail(
          body,
          p,
          "a helper parameter that is not a plain identifier (default, rest or destructuring)",
        );
      }
      if (p.type && p.type.kind !== ts.SyntaxKind.NumberKeyword) {
        this.fail(body, p, "a helper parameter that is not a number", "helpers take and return numbers");
      }
      body.env[0].set(p.name.text, { node: this.g.numeric(args[k]), mutable: true });
    });
    this.#busy.add(key);
    try {
      let node: Node;
      if (!fn.body) this.fail(body, fn, "a helper without a body");
      if (ts.isBlock(fn.body)) {
        node = this.exec<Node>(
          body,
          fn.body.statements,
          0,
          body.env,
          () =>
            this.src.failAt(
              found.module,
              fn,
              `helper '${name}' may end without returning a number: end every path with return`,
            ),
        );
      } else node = this.g.numeric(this.expression(body, fn.body, body.env));
      this.#helpers.set(memo, node);
      return node;
    } finally {
      this.#busy.delete(key);
    }
  }
}
