/**
 * Calls in the kernel subset (see kernels/lower.ts): `Math` functions, and pure helpers, which are
 * inlined at each call (shared through CSE) by lowering their body again with the argument nodes.
 *
 * @module
 */
import type { Node } from "../graph.ts";
import type { Found, TS } from "../source.ts";
import type { Body, Env } from "./scope.ts";
import { MATH_FUNCTIONS } from "./scope.ts";
import { ExpressionLowerer } from "./expressions.ts";

/** Lowers calls (the layer under statements.ts). */
export abstract class CallLowerer extends ExpressionLowerer {
  readonly #helpers = new Map<string, Node>();

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
      if (
        object === "Math" && !this.lookupLocal(env, "Math") &&
        this.outer(body, callee.expression) === "global"
      ) {
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
      // A helper bound by an enclosing function (one that shadows a top-level helper, too) is refused.
      const found = this.outer(body, callee) === "module" ? this.src.lookup(body.module, name) : undefined;
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
    if (this.busy.has(key)) {
      this.src.failAt(
        use.module,
        call,
        `recursion (helper '${name}' calls itself, directly or through other helpers) is not supported in a ` +
          `compiled kernel: rewrite it without recursion or keep this mechanism live`,
      );
    }
    const fn = found.node;
    const body: Body = { module: found.module, mode: "helper", env: [new Map()], fn };
    // The parameter list first: a default or rest parameter is the cause, not the argument count.
    for (const p of fn.parameters) {
      const what = p.initializer
        ? "default parameters are not supported"
        : p.dotDotDotToken
        ? "rest parameters are not supported"
        : p.questionToken
        ? "optional parameters are not supported"
        : !ts.isIdentifier(p.name)
        ? "destructuring parameters are not supported"
        : undefined;
      if (what !== undefined) {
        this.src.failAt(
          found.module,
          p,
          `${what} in a compiled kernel: give helper '${name}' plain parameters and pass every argument`,
        );
      }
    }
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
    fn.parameters.forEach((p, k) => {
      if (!ts.isIdentifier(p.name)) throw new Error("internal: checked above");
      if (p.type && p.type.kind !== ts.SyntaxKind.NumberKeyword) {
        this.fail(body, p, "a helper parameter that is not a number", "helpers take and return numbers");
      }
      body.env[0].set(p.name.text, { node: this.g.numeric(args[k]), mutable: true });
    });
    this.busy.add(key);
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
      this.busy.delete(key);
    }
  }
}
