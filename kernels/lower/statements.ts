/**
 * Statements of the kernel subset (see kernels/lower.ts): locals, assignment, blocks, `if` /
 * `else` and `return`, lowered path by path; `Lowerer` is the whole lowerer, exported by
 * kernels/lower.ts.
 *
 * @module
 */
import type { Node, OPS } from "../graph.ts";
import { CompileError, type FunctionNode, type ModuleInfo, ruleError, type TS } from "../source.ts";
import {
  type Body,
  clone,
  type Env,
  type KernelScope,
  type Local,
  type LoweredKernel,
  type Result,
} from "./scope.ts";
import { CallLowerer } from "./calls.ts";

/** Lowers kernels of one mechanism into one graph (helpers and constants shared between them). */
export class Lowerer extends CallLowerer {
  /** Lowers kernel function `fn` (a method, or an arrow / function expression) of `module`. */
  kernel(module: ModuleInfo, fn: FunctionNode, scope: KernelScope): LoweredKernel {
    const ts = this.ts;
    const body: Body = { module, mode: "kernel", env: [new Map()], kernel: scope, fn };
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
          `${where} nests too deeply to translate (${at}): break a long expression into const locals ` +
            `(const a = ...; const b = a + ...), and move a long run of if statements into helper functions`,
          module.display,
          ...this.line(module, fn),
        );
      }
      throw error;
    }
  }
  /** Runs statements `list[i..]` in `env`, then `k`; a `return` ends the path with its result. */
  exec<R>(body: Body, list: readonly TS.Statement[], i: number, env: Env, k: (env: Env) => R): R {
    const ts = this.ts;
    // Straight-line statements run in a loop, not one stack frame each: a kernel of thousands of
    // them (a long imported BREAKPOINT, `s = s + ...` line after line) lowers like a short one.
    for (; i < list.length; i++) {
      const s = list[i];
      if (ts.isVariableStatement(s)) this.declare(body, s, env);
      else if (ts.isExpressionStatement(s)) this.assign(body, s.expression, env);
      else if (!ts.isEmptyStatement(s)) break;
    }
    if (i >= list.length) return k(env);
    const s = list[i];
    const next = (e: Env) => this.exec(body, list, i + 1, e, k);
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
        // Xd of an ion without useDiffConcentration: the flag that lets a kernel read it also lets it write it.
        const flag = scope.unrequested?.get(key)?.includes("useDiffConcentration")
          ? `; a diffusive concentration is written only with useDiffConcentration: true on its ion`
          : "";
        throw ruleError(
          new CompileError(
            `mechanism '${scope.mechanism}': ${scope.kernel}() returned '${key}', which is not one of ${
              scope.allowed.join(", ") || "(nothing)"
            }${flag} (${where.text})`,
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
}
