/**
 * Expressions of the kernel subset (see kernels/lower.ts): literals, names, module constants,
 * scope reads, operators and `?:`. Calls are lowered in calls.ts.
 *
 * @module
 */
import type { Node, OPS } from "../graph.ts";
import { CompileError, type Found, ruleError, type TS } from "../source.ts";
import { type Body, type Env, LowererBase, MATH_CONSTANTS, NUMBER_CONSTANTS } from "./scope.ts";

/** Global objects whose members the subset knows. */
const GLOBAL_OBJECTS = new Set(["Math", "Number", "console"]);

/** Lowers expressions (the layer under calls.ts and statements.ts). */
export abstract class ExpressionLowerer extends LowererBase {
  readonly #constants = new Map<string, Node>();

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
      // Math, Number and console only when the name is the global one (not shadowed anywhere).
      const object = ts.isIdentifier(e.expression) && !this.lookupLocal(env, e.expression.text) &&
          GLOBAL_OBJECTS.has(e.expression.text) && this.outer(body, e.expression) === "global"
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
    // A name no local binds must be bound at the module's top level, or be a global.
    if (this.outer(body, e) === "global") {
      if (name === "NaN") return this.g.constant(NaN);
      if (name === "Infinity") return this.g.constant(Infinity);
      if (name === "undefined") return this.g.undef(); // a key left out, on this path
    }
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
    if (this.busy.has(key)) {
      this.src.failAt(use.module, at, `constant '${name}' is defined in terms of itself`);
    }
    this.busy.add(key);
    try {
      const node = this.expression({ module: found.module, mode: "constant", env: [new Map()] }, found.node, [
        new Map(),
      ]);
      this.#constants.set(key, node);
      return node;
    } finally {
      this.busy.delete(key);
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
}
