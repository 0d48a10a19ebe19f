/**
 * The function JavaScript runs for a kernel, and the source a plan may be built from. A plan
 * means what the kernel means in JavaScript only if it is built from that function: found as
 * JavaScript finds it (an own property of the object the hooks call, i.e. a class field, else
 * the prototype chain as it stands when the plan is made), and matched against the one source
 * definition it came from by its own text (`Function.prototype.toString()`, compared as syntax
 * with the types stripped, since Deno runs transpiled code). When they differ (the file was
 * edited after the module was imported, a method was replaced at run time, the class defines
 * the name twice, the function comes from a class whose source cannot be followed) the plan
 * is not made: a `CompileError` (not a rule) says why, so live mode runs the user's function
 * and the native target and compiled catalogues refuse.
 *
 * @module
 */
import { CompileError, type FunctionNode, type ModuleInfo, type Sources, type TS } from "./source.ts";

/**
 * The source definition of a kernel is not the function that runs (edited, or replaced at run
 * time): the most precise reason a plan is not made, kept over any other.
 */
export class NotRunningError extends CompileError {}

/** Where the kernels are: a class (and the classes it extends) or an object literal. */
export type KernelOwner =
  | { kind: "class"; module: ModuleInfo; node: TS.ClassDeclaration }
  | { kind: "object"; module: ModuleInfo; node: TS.ObjectLiteralExpression };

/** One class of a chain: the class and the module that declares it. */
export interface ChainClass {
  module: ModuleInfo;
  node: TS.ClassDeclaration;
}

/**
 * The classes `owner` extends, itself first, following each `extends <name>` as JavaScript
 * resolves the name (the binder: a local class of an enclosing function shadows a module-level
 * one; an import is followed into a relative module). Stops at a class whose base is not a
 * class declaration denocat can read (its own `PointwiseMechanism`, an expression, a mixin).
 */
export function classChain(src: Sources, owner: ChainClass): ChainClass[] {
  const ts = src.ts;
  const chain = [owner];
  for (let level = owner;;) {
    const heritage = level.node.heritageClauses?.find((h) => h.token === ts.SyntaxKind.ExtendsKeyword)
      ?.types[0];
    if (!heritage || !ts.isIdentifier(heritage.expression)) break;
    const binding = src.binding(level.module, heritage.expression);
    let next: ChainClass | undefined;
    if (binding.scope === "local" && ts.isClassDeclaration(binding.declaration)) {
      next = { module: level.module, node: binding.declaration };
    } else if (binding.scope === "module") {
      const found = src.lookup(level.module, heritage.expression.text);
      if (found?.kind === "class") next = { module: found.module, node: found.node };
    }
    if (next === undefined || chain.some((c) => c.node === next.node)) break;
    chain.push(next);
    level = next;
  }
  return chain;
}

/** The function JavaScript calls for kernel `name` of `target`, and how deep it was found. */
export interface Running {
  /** The function. */
  fn: (...args: never[]) => unknown;
  /** 0: an own property of `target` (a class field); 1: its prototype (the class); 2: the base class... */
  depth: number;
  /** The object holding it. */
  holder: object;
}

/** Finds what `target[name]` is, as JavaScript looks it up; a string says why it cannot be planned. */
export function runningKernel(target: object, name: string): Running | string {
  let depth = 0;
  for (let o: object | null = target; o !== null; o = Object.getPrototypeOf(o), depth++) {
    const descriptor = Object.getOwnPropertyDescriptor(o, name);
    if (descriptor === undefined) continue;
    if (!("value" in descriptor)) return `kernel ${name} is an accessor (get/set), evaluated on every call`;
    if (typeof descriptor.value !== "function") return `kernel ${name} is not a function`;
    return { fn: descriptor.value, depth, holder: o };
  }
  return `kernel ${name} is not defined`;
}

/** Parses the text `Function.prototype.toString()` gives: a method, an arrow or a function expression. */
export function parseFunctionText(ts: typeof TS, text: string): FunctionNode | undefined {
  for (const [open, close] of [["(", ")"], ["({", "})"]]) {
    const file = ts.createSourceFile("running.ts", `${open}${text}\n${close};`, ts.ScriptTarget.Latest, true);
    const diagnostics = (file as unknown as { parseDiagnostics?: unknown[] }).parseDiagnostics ?? [];
    const statement = file.statements[0];
    if (diagnostics.length > 0 || file.statements.length !== 1 || !ts.isExpressionStatement(statement)) {
      continue;
    }
    let e: TS.Expression = statement.expression;
    while (ts.isParenthesizedExpression(e)) e = e.expression;
    if (open === "(" && (ts.isArrowFunction(e) || ts.isFunctionExpression(e))) return e;
    if (open === "({" && ts.isObjectLiteralExpression(e) && e.properties.length === 1) {
      const method = e.properties[0];
      if (ts.isMethodDeclaration(method) && method.body) return method;
    }
  }
  return undefined;
}

/**
 * A function's syntax with everything TypeScript adds stripped (types, `as`, `!`, `satisfies`,
 * access modifiers) and what a printer may change normalized (parentheses, spacing, comments,
 * how a number or string is spelled): equal for a source function and the transpiled text of
 * the same function, different for any change that can change what it computes.
 */
export function functionShape(ts: typeof TS, fn: FunctionNode): string {
  const K = ts.SyntaxKind;
  const out: string[] = [];
  const stripped = new Set<number>([
    K.PublicKeyword,
    K.PrivateKeyword,
    K.ProtectedKeyword,
    K.ReadonlyKeyword,
    K.OverrideKeyword,
    K.DeclareKeyword,
    K.AbstractKeyword,
  ]);
  const visit = (n: TS.Node): void => {
    if (ts.isTypeNode(n) || ts.isTypeParameterDeclaration(n) || ts.isDecorator(n) || stripped.has(n.kind)) {
      return;
    }
    if (
      ts.isParenthesizedExpression(n) || ts.isAsExpression(n) || ts.isNonNullExpression(n) ||
      ts.isSatisfiesExpression(n) || ts.isTypeAssertionExpression(n)
    ) {
      return visit(n.expression);
    }
    if (
      (n.kind === K.QuestionToken || n.kind === K.ExclamationToken) && n.parent &&
      (ts.isParameter(n.parent) || ts.isPropertyDeclaration(n.parent) || ts.isMethodDeclaration(n.parent) ||
        ts.isVariableDeclaration(n.parent))
    ) {
      return;
    }
    if (ts.isParameter(n) && ts.isIdentifier(n.name) && n.name.text === "this") return;
    if (ts.isIdentifier(n) || ts.isPrivateIdentifier(n)) return void out.push(`id:${n.text}`);
    if (ts.isNumericLiteral(n)) return void out.push(`num:${Number(n.text.replace(/_/g, ""))}`);
    if (ts.isBigIntLiteral(n)) return void out.push(`big:${n.text.replace(/_/g, "")}`);
    if (ts.isStringLiteral(n) || ts.isNoSubstitutionTemplateLiteral(n)) {
      return void out.push(`str:${JSON.stringify(n.text)}`);
    }
    if (ts.isTemplateHead(n) || ts.isTemplateMiddle(n) || ts.isTemplateTail(n)) {
      return void out.push(`tpl:${n.kind}:${JSON.stringify(n.text)}`);
    }
    if (ts.isRegularExpressionLiteral(n)) return void out.push(`re:${n.text}`);
    let head = `(${n.kind}`;
    if (ts.isPrefixUnaryExpression(n) || ts.isPostfixUnaryExpression(n)) head += `:${n.operator}`;
    if (ts.isVariableDeclarationList(n)) head += `:${n.flags & (ts.NodeFlags.Let | ts.NodeFlags.Const)}`;
    if (ts.isMetaProperty(n)) head += `:${n.keywordToken}`;
    if (n.flags & ts.NodeFlags.OptionalChain) head += "?.";
    out.push(head);
    ts.forEachChild(n, visit);
    out.push(")");
  };
  const kind = ts.isArrowFunction(fn) ? "arrow" : ts.isMethodDeclaration(fn) ? "method" : "function";
  const async = (ts.getModifiers(fn) ?? []).some((m) => m.kind === K.AsyncKeyword);
  out.push(kind, fn.asteriskToken ? "*" : "", async ? "async" : "");
  if (ts.isFunctionExpression(fn) && fn.name) out.push(`name:${fn.name.text}`);
  out.push("params");
  fn.parameters.forEach(visit);
  out.push("body");
  if (fn.body) visit(fn.body);
  return out.join(" ");
}

/** The members of a class (not static) or properties of an object literal named `name`. */
function definitions(
  ts: typeof TS,
  members: readonly (TS.ClassElement | TS.ObjectLiteralElementLike)[],
  name: string,
): (TS.ClassElement | TS.ObjectLiteralElementLike)[] {
  return members.filter((m) => {
    if (ts.isSpreadAssignment(m) || ts.isClassStaticBlockDeclaration(m) || ts.isSemicolonClassElement(m)) {
      return false;
    }
    if ((ts.getModifiers(m as TS.HasModifiers) ?? []).some((x) => x.kind === ts.SyntaxKind.StaticKeyword)) {
      return false;
    }
    if (ts.isMethodDeclaration(m) && !m.body) return false; // an overload signature: types only
    if (ts.isIndexSignatureDeclaration(m) || ts.isConstructorDeclaration(m)) return false;
    const n = m.name;
    return n !== undefined && (ts.isIdentifier(n) || ts.isStringLiteral(n) || ts.isNumericLiteral(n)) &&
      n.text === name;
  });
}

/** The function a member defines: a method, or an arrow / function expression as its value. */
function functionOf(ts: typeof TS, member: TS.Node): FunctionNode | undefined {
  if (ts.isMethodDeclaration(member) && member.body) return member;
  const value = ts.isPropertyDeclaration(member) || ts.isPropertyAssignment(member)
    ? member.initializer
    : undefined;
  return value && (ts.isArrowFunction(value) || ts.isFunctionExpression(value)) ? value : undefined;
}

/**
 * Finds the source of the function JavaScript runs for kernel `name` of `target`, declared by
 * `owner`; throws a CompileError (not a rule: the kernel runs as written) naming the kernel,
 * the reason and where, when the source is not that function or cannot be told apart.
 */
export function findRunningKernel(
  src: Sources,
  owner: KernelOwner,
  target: object,
  name: string,
  ownerName: string,
): { module: ModuleInfo; fn: FunctionNode } {
  const ts = src.ts;
  const fail = (module: ModuleInfo, node: TS.Node, reason: string): never => {
    const at = src.where(module, node);
    const error = new CompileError(`${reason} (${at.text})`, module.display, at.line, at.column);
    error.kernel = name;
    throw error;
  };
  const running = runningKernel(target, name);
  if (typeof running === "string") return fail(owner.module, owner.node, `${running} on ${ownerName}`);
  const text = Function.prototype.toString.call(running.fn);
  const parsed = parseFunctionText(ts, text);
  if (parsed === undefined) {
    return fail(
      owner.module,
      owner.node,
      `the source text of kernel ${name} is not available (a bound, native or proxied function)`,
    );
  }
  let level: { module: ModuleInfo; node: TS.ClassDeclaration | TS.ObjectLiteralExpression; what: string };
  if (owner.kind === "object") {
    if (running.depth !== 0) {
      return fail(
        owner.module,
        owner.node,
        `kernel ${name} is inherited by the object, not one of its properties`,
      );
    }
    level = { module: owner.module, node: owner.node, what: "the object" };
  } else {
    const chain = classChain(src, owner);
    const classOf = (c: ChainClass) => `class ${c.node.name?.text ?? "(anonymous)"}`;
    if (running.depth === 0) {
      const declaring = chain.find((c) =>
        definitions(ts, c.node.members, name).some((m) => ts.isPropertyDeclaration(m))
      );
      if (declaring === undefined) {
        return fail(
          owner.module,
          owner.node,
          `kernel ${name} is set on the instance at run time (in a constructor?), not declared as a method or ` +
            `field of ${ownerName} or the classes it extends`,
        );
      }
      level = { ...declaring, what: classOf(declaring) };
    } else {
      const at = chain[running.depth - 1];
      const ctor = (running.holder as { constructor?: { name?: unknown } }).constructor;
      const runtimeName = typeof ctor?.name === "string" ? ctor.name : "(unknown)";
      // Depth 1 is the class itself (the target is one of its instances); deeper, the running
      // prototype must be the class the source's extends clause names.
      const named = at?.node.name?.text;
      if (at === undefined || (running.depth > 1 && named !== undefined && runtimeName !== named)) {
        return fail(
          owner.module,
          owner.node,
          `kernel ${name} comes from class ${runtimeName}, whose source does not follow from ${ownerName}'s ` +
            `extends clauses`,
        );
      }
      level = { ...at, what: classOf(at) };
    }
  }
  const members = ts.isObjectLiteralExpression(level.node) ? level.node.properties : level.node.members;
  const found = definitions(ts, members, name);
  if (found.length > 1) {
    const places = found.map((m) => src.where(level.module, m).text).join(", ");
    return fail(
      level.module,
      found[found.length - 1],
      `${level.what} defines ${name} ${found.length} times (${places}): JavaScript runs the last one; ` +
        `remove the others`,
    );
  }
  if (found.length === 0) {
    return fail(level.module, level.node, `kernel ${name} was not found in ${level.what}`);
  }
  const fn = functionOf(ts, found[0]);
  if (fn === undefined) {
    return fail(level.module, found[0], `kernel ${name} is given as something other than a function`);
  }
  if (functionShape(ts, fn) !== functionShape(ts, parsed)) {
    const at = src.where(level.module, found[0]);
    const error = new NotRunningError(
      `the function that runs for kernel ${name} is not the one in the source file: the file was edited ` +
        `after the module was imported, or the function was replaced at run time (${at.text})`,
      level.module.display,
      at.line,
      at.column,
    );
    error.kernel = name;
    throw error;
  }
  return { module: level.module, fn };
}
