/**
 * Compiled mode, step 1: reads a TypeScript module with the TypeScript compiler API and turns the
 * kernels of its pointwise mechanisms into C functions.
 *
 * What comes from where:
 *  - every piece of metadata (names, kind, fields, defaults, ranges, ions, flags, method,
 *    isLinear, hasPostEvents, assigned) from the RUNTIME declaration: the module is imported and
 *    each `@mechanism` class is read with `specOf` (mod.ts);
 *  - the kernel BODIES (initial, derivative, current, onEvent, onPostEvent, concentrations,
 *    reversalPotential) from the source text, parsed (never matched with regexes).
 *
 * The documented subset a compiled kernel may use:
 *  - numeric literals, `NaN`, `Infinity`, `Math.PI` / `Math.E` / `Math.LN2` / `Math.LN10` /
 *    `Math.LOG2E` / `Math.LOG10E` / `Math.SQRT2` / `Math.SQRT1_2`, and module-level `const`
 *    numbers (of this module or imported from a relative module), inlined at each use;
 *  - `const` / `let` locals (numbers or booleans), assignment to `let` locals (`=`, `+=`, `-=`,
 *    `*=`, `/=`, `%=`, `**=`, `++`, `--` as statements);
 *  - `+ - * / % **`, unary `-` and `+`, comparisons, `!`, `&&` and `||` on booleans, `?:`,
 *    `if` / `else`;
 *  - `Math.exp expm1 log log1p log2 log10 pow sqrt cbrt abs min max tanh sinh cosh sin cos tan
 *    asin acos atan atan2 floor ceil trunc sign`, with JavaScript's results for NaN and ±0;
 *  - calls to pure helper functions (top-level `function` declarations or `const` arrow /
 *    function expressions) of the same module or imported from a relative module: each becomes
 *    one static C function, translated once; recursion is refused;
 *  - reads of the scope parameter's fields `x.<name>` (states, parameters, globals, randoms, ion
 *    scalars, v / dt / celsius / diam / area / vPeer), also as `const { v, m } = x`;
 *  - `return { key: expr, short, ... }` in kernels (possibly in several branches; derivative
 *    must return the same keys in every branch), `return expr` in helpers.
 *
 * Refused (each with a `CompileError` naming the construct, file:line:column and what to do):
 * loops (refused, not supported: unroll them), `this`, `console.*`, arrays and indexing,
 * strings, object literals other than the returned one, closures, `new`, calls to unknown
 * functions, module-level `let`/`var` (mutable module state), truthiness of numbers, `switch`,
 * `throw`, `try`, and anything else outside the list above.
 *
 * @module
 */
// The compiler API is pinned here rather than in deno.json (whose imports stay empty), and is
// loaded lazily: importing mod.ts never pulls it in.
// deno-lint-ignore no-import-prefix
import type * as TS from "npm:typescript@5.6.3";
import { dirname, isAbsolute, join, relative, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { type IntegrationMethod, ionScopeNames, type KernelName } from "../ffi/pointwise.ts";
import { ION_FLAG } from "../ffi/layout.ts";
import type { MechanismSpec } from "../ffi/spec.ts";
import { REPOSITORY_ROOT } from "../ffi/toolchain.ts";
import { specOf } from "../mod.ts";

/** An input the compiler cannot translate: names the construct, where it is, and what to do. */
export class CompileError extends Error {
  /** File of the offending construct (as given, or relative to the working directory). */
  readonly file: string;
  /** 1-based line, or 0 when the error is about the whole module. */
  readonly line: number;
  /** 1-based column, or 0. */
  readonly column: number;

  /** Makes the error; `message` already holds the location text. */
  constructor(message: string, file = "", line = 0, column = 0) {
    super(message);
    this.name = "CompileError";
    this.file = file;
    this.line = line;
    this.column = column;
  }
}

type TypeScriptApi = typeof TS;
let typescriptApi: Promise<TypeScriptApi> | undefined;

/** The TypeScript compiler, loaded on first use (it is large; mod.ts users never pay for it). */
export function loadTypeScript(): Promise<TypeScriptApi> {
  // deno-lint-ignore no-import-prefix
  typescriptApi ??= import("npm:typescript@5.6.3").then((m) => (m.default ?? m) as TypeScriptApi);
  return typescriptApi;
}

/** A value type in the subset. */
type CType = "num" | "bool";
interface CExpr {
  code: string;
  type: CType;
}

/** One kernel in C. */
export interface KernelC {
  /** Kernel name. */
  kernel: KernelName;
  /** C function name. */
  cName: string;
  /** The C definition. */
  code: string;
  /** Keys any return statement may set. */
  keys: Set<string>;
}

/** One mechanism, translated. */
export interface TranslatedMechanism {
  /** Runtime spec. */
  spec: MechanismSpec;
  /** Integration method. */
  method: IntegrationMethod;
  /** Class name in the source. */
  className: string;
  /** `file:line` of the class. */
  location: string;
  /** Prefix of every C name of this mechanism (`mech_hh`). */
  prefix: string;
  /** Scope fields: TS key and C struct member, in struct order. */
  scope: { key: string; field: string }[];
  /** Translated kernels. */
  kernels: Partial<Record<KernelName, KernelC>>;
  /** Indices of the states `derivative` integrates. */
  integrated: number[];
}

/** What `translateModule` returns. */
export interface Translation {
  /** The module's path. */
  module: string;
  /** Translated mechanisms, in discovery order. */
  mechanisms: TranslatedMechanism[];
  /** Helper functions in C, callees before callers. */
  helpers: string[];
  /** Messages about skipped mechanisms. */
  notes: string[];
  /** Source files read. */
  sources: string[];
}

/** Options of `translateModule`. */
export interface TranslateOptions {
  /** Skip raw-hook mechanisms with a note instead of failing. */
  skipRaw?: boolean;
}

// ---- names -------------------------------------------------------------------------------------

const C_KEYWORDS = new Set(
  ("auto break case char const continue default do double else enum extern float for goto if inline int " +
    "long register restrict return short signed sizeof static struct switch typedef union unsigned void " +
    "volatile while _Bool _Complex _Imaginary _Alignas _Alignof _Atomic _Generic _Noreturn _Static_assert " +
    "_Thread_local bool true false asm typeof").split(" "),
);
const C_RESERVED = new Set(
  ("exp expm1 log log1p log2 log10 pow sqrt cbrt fabs fmin fmax tanh sinh cosh sin cos tan asin acos atan " +
    "atan2 floor ceil trunc fmod round isnan isinf isfinite signbit fpclassify copysign NAN INFINITY " +
    "HUGE_VAL DBL_MAX DBL_MIN DBL_TRUE_MIN errno main abs labs div ldiv size_t ptrdiff_t uint32_t uint64_t " +
    "int32_t int64_t NULL offsetof M_PI M_E j0 j1 jn y0 y1 yn gamma lgamma tgamma erf erfc exp2 hypot " +
    "frexp ldexp modf nan").split(" "),
);

/** A C identifier for a TS identifier: keeps it when it is safe, else appends `_`. */
export function cIdentifier(name: string, reserved = true): string {
  let id = name.replace(/[^A-Za-z0-9_]/g, "_");
  if (/^[0-9]/.test(id)) id = "_" + id;
  if (C_KEYWORDS.has(id) || (reserved && C_RESERVED.has(id)) || id.startsWith("dc_") || id.startsWith("__")) {
    id += "_";
  }
  return id;
}

/** Keys each kernel may return (as ffi/pointwise.ts allows them). */
export function allowedKeys(spec: MechanismSpec, kernel: KernelName): string[] {
  switch (kernel) {
    case "initial":
    case "derivative":
    case "onEvent":
    case "onPostEvent":
      return spec.states.map((f) => f.key);
    case "current":
      return [
        "i",
        "g",
        ...spec.ions.flatMap((ion) => [ionScopeNames(ion.name).current, ionScopeNames(ion.name).conductance]),
      ];
    case "concentrations":
      return spec.ions.flatMap((ion) => [
        ...(ion.flags & ION_FLAG.writeIntConcentration ? [ionScopeNames(ion.name).internal] : []),
        ...(ion.flags & ION_FLAG.writeExtConcentration ? [ionScopeNames(ion.name).external] : []),
      ]);
    case "reversalPotential":
      return spec.ions.filter((ion) => ion.flags & ION_FLAG.writeRevPotential).map((ion) =>
        ionScopeNames(ion.name).reversal
      );
  }
}

/** Result struct group of a kernel. */
export function resultGroup(kernel: KernelName): "states" | "current" | "conc" | "rev" {
  return kernel === "current"
    ? "current"
    : kernel === "concentrations"
    ? "conc"
    : kernel === "reversalPotential"
    ? "rev"
    : "states";
}

/** The scope keys of a mechanism, in the order of the C scope struct. */
export function scopeKeys(spec: MechanismSpec): string[] {
  const keys = ["v", "dt", "celsius", "diam", "area", "vPeer"];
  for (const f of [...spec.states, ...spec.parameters, ...spec.globals]) keys.push(f.key);
  keys.push(...spec.randoms);
  for (const ion of spec.ions) {
    const n = ionScopeNames(ion.name);
    keys.push(n.reversal, n.internal, n.external, n.diffusive, n.valence);
  }
  return keys;
}

/** Struct member name for a scope or result key (only C keywords need changing there). */
export function fieldName(key: string): string {
  const id = cIdentifier(key, false);
  return id === "dc_present" ? "dc_present_" : id;
}

// ---- module model ------------------------------------------------------------------------------

interface ModuleInfo {
  path: string;
  display: string;
  source: TS.SourceFile;
  functions: Map<string, TS.FunctionDeclaration | TS.ArrowFunction | TS.FunctionExpression>;
  consts: Map<string, TS.Expression>;
  mutable: Map<string, TS.Node>;
  imports: Map<string, { from: string; name: string }>;
  exportAs: Map<string, { local: string; from?: string }>;
  exportStar: string[];
  classes: Map<string, TS.ClassDeclaration>;
}

function displayPath(path: string): string {
  const rel = relative(Deno.cwd(), path);
  return rel.startsWith("..") || isAbsolute(rel) ? path : rel;
}

/** Files of denocat itself: never scanned for mechanisms. */
function isLibraryFile(path: string): boolean {
  const rel = relative(REPOSITORY_ROOT, path);
  if (rel.startsWith("..") || isAbsolute(rel)) return false;
  return rel === "mod.ts" || /^(ffi|compile|host)\//.test(rel);
}

class Program {
  readonly ts: TypeScriptApi;
  readonly modules = new Map<string, ModuleInfo>();
  /** Helper C definitions by key, in completion order (callees first). */
  readonly helperCode: string[] = [];
  readonly helpers = new Map<string, { cName: string; type: CType; arity: number } | "busy">();
  readonly helperNames = new Set<string>();
  readonly constBusy = new Set<string>();

  constructor(ts: TypeScriptApi) {
    this.ts = ts;
  }

  module(path: string): ModuleInfo {
    const known = this.modules.get(path);
    if (known) return known;
    const ts = this.ts;
    let text: string;
    try {
      text = Deno.readTextFileSync(path);
    } catch (cause) {
      throw new CompileError(`cannot read ${path}: ${(cause as Error).message}`, path);
    }
    const source = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
    const info: ModuleInfo = {
      path,
      display: displayPath(path),
      source,
      functions: new Map(),
      consts: new Map(),
      mutable: new Map(),
      imports: new Map(),
      exportAs: new Map(),
      exportStar: [],
      classes: new Map(),
    };
    const exported = (node: TS.Node) =>
      ts.canHaveModifiers(node) &&
      (ts.getModifiers(node) ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword);
    for (const statement of source.statements) {
      if (ts.isFunctionDeclaration(statement) && statement.name && statement.body) {
        info.functions.set(statement.name.text, statement);
        if (exported(statement)) info.exportAs.set(statement.name.text, { local: statement.name.text });
      } else if (ts.isVariableStatement(statement)) {
        const isConst = (statement.declarationList.flags & ts.NodeFlags.Const) !== 0;
        for (const d of statement.declarationList.declarations) {
          if (!ts.isIdentifier(d.name)) continue;
          const name = d.name.text;
          if (exported(statement)) info.exportAs.set(name, { local: name });
          if (!isConst) info.mutable.set(name, d);
          else if (
            d.initializer && (ts.isArrowFunction(d.initializer) || ts.isFunctionExpression(d.initializer))
          ) {
            info.functions.set(name, d.initializer);
          } else if (d.initializer) info.consts.set(name, d.initializer);
        }
      } else if (ts.isClassDeclaration(statement) && statement.name) {
        info.classes.set(statement.name.text, statement);
        if (exported(statement)) info.exportAs.set(statement.name.text, { local: statement.name.text });
      } else if (ts.isImportDeclaration(statement) && ts.isStringLiteral(statement.moduleSpecifier)) {
        const from = statement.moduleSpecifier.text;
        const bindings = statement.importClause?.namedBindings;
        if (bindings && ts.isNamedImports(bindings) && !statement.importClause?.isTypeOnly) {
          for (const element of bindings.elements) {
            info.imports.set(element.name.text, { from, name: (element.propertyName ?? element.name).text });
          }
        }
      } else if (ts.isExportDeclaration(statement) && !statement.isTypeOnly) {
        const from = statement.moduleSpecifier && ts.isStringLiteral(statement.moduleSpecifier)
          ? statement.moduleSpecifier.text
          : undefined;
        if (statement.exportClause && ts.isNamedExports(statement.exportClause)) {
          for (const element of statement.exportClause.elements) {
            info.exportAs.set(element.name.text, {
              local: (element.propertyName ?? element.name).text,
              from,
            });
          }
        } else if (from) info.exportStar.push(from);
      }
    }
    this.modules.set(path, info);
    return info;
  }

  /** Resolves a relative module specifier of `from`, or undefined for a non-relative one. */
  resolveSpecifier(from: ModuleInfo, specifier: string): string | undefined {
    if (specifier.startsWith("file:")) return fileURLToPath(specifier);
    if (!specifier.startsWith("./") && !specifier.startsWith("../")) return undefined;
    return resolve(dirname(from.path), specifier);
  }

  /** Finds what top-level `name` of `module` is, following imports and re-exports. */
  lookup(
    module: ModuleInfo,
    name: string,
    seen = new Set<string>(),
  ):
    | {
      module: ModuleInfo;
      kind: "function";
      node: TS.FunctionDeclaration | TS.ArrowFunction | TS.FunctionExpression;
    }
    | { module: ModuleInfo; kind: "const"; node: TS.Expression }
    | { module: ModuleInfo; kind: "mutable"; node: TS.Node }
    | { module: ModuleInfo; kind: "class"; node: TS.ClassDeclaration }
    | undefined {
    const key = `${module.path}#${name}`;
    if (seen.has(key)) return undefined;
    seen.add(key);
    const fn = module.functions.get(name);
    if (fn) return { module, kind: "function", node: fn };
    const value = module.consts.get(name);
    if (value) return { module, kind: "const", node: value };
    const mutable = module.mutable.get(name);
    if (mutable) return { module, kind: "mutable", node: mutable };
    const cls = module.classes.get(name);
    if (cls) return { module, kind: "class", node: cls };
    const imported = module.imports.get(name);
    if (imported) {
      const path = this.resolveSpecifier(module, imported.from);
      if (path === undefined || isLibraryFile(path)) return undefined;
      return this.lookupExport(this.module(path), imported.name, seen);
    }
    return undefined;
  }

  lookupExport(module: ModuleInfo, name: string, seen: Set<string>): ReturnType<Program["lookup"]> {
    const entry = module.exportAs.get(name);
    if (entry) {
      if (entry.from === undefined) return this.lookup(module, entry.local, seen);
      const path = this.resolveSpecifier(module, entry.from);
      if (path === undefined || isLibraryFile(path)) return undefined;
      return this.lookupExport(this.module(path), entry.local, seen);
    }
    for (const star of module.exportStar) {
      const path = this.resolveSpecifier(module, star);
      if (path === undefined || isLibraryFile(path)) continue;
      const found = this.lookupExport(this.module(path), name, seen);
      if (found) return found;
    }
    return undefined;
  }

  /** Relative modules `module` imports or re-exports from (denocat's own files excluded). */
  dependencies(module: ModuleInfo): string[] {
    const ts = this.ts;
    const out: string[] = [];
    for (const statement of module.source.statements) {
      if (
        (ts.isImportDeclaration(statement) || ts.isExportDeclaration(statement)) &&
        statement.moduleSpecifier && ts.isStringLiteral(statement.moduleSpecifier)
      ) {
        const path = this.resolveSpecifier(module, statement.moduleSpecifier.text);
        if (path !== undefined && !isLibraryFile(path) && /\.[cm]?tsx?$/.test(path)) out.push(path);
      }
    }
    return out;
  }

  where(module: ModuleInfo, node: TS.Node): { text: string; line: number; column: number } {
    const { line, character } = module.source.getLineAndCharacterOfPosition(node.getStart(module.source));
    return { text: `${module.display}:${line + 1}:${character + 1}`, line: line + 1, column: character + 1 };
  }

  fail(module: ModuleInfo, node: TS.Node, construct: string, advice?: string): never {
    const at = this.where(module, node);
    throw new CompileError(
      `${construct} is not supported in a compiled kernel (${at.text}): ${
        advice ??
          "rewrite it with the documented subset (see compile/translate.ts) or keep this mechanism live"
      }`,
      module.display,
      at.line,
      at.column,
    );
  }

  failAt(module: ModuleInfo, node: TS.Node, message: string): never {
    const at = this.where(module, node);
    throw new CompileError(`${message} (${at.text})`, module.display, at.line, at.column);
  }

  /** The C function of helper `name` found in `module`, translated on first use. */
  helper(
    found: { module: ModuleInfo; node: TS.FunctionDeclaration | TS.ArrowFunction | TS.FunctionExpression },
    name: string,
    call: { module: ModuleInfo; node: TS.Node },
  ): { cName: string; type: CType; arity: number } {
    const key = `${found.module.path}#${name}`;
    const known = this.helpers.get(key);
    if (known === "busy") {
      this.failAt(
        call.module,
        call.node,
        `recursion (helper '${name}' calls itself, directly or through other helpers) is not supported in a ` +
          `compiled kernel: rewrite it without recursion or keep this mechanism live`,
      );
    }
    if (known) return known;
    this.helpers.set(key, "busy");
    const ts = this.ts;
    const fn = found.node;
    const stem = found.module.path.replace(/^.*\//, "").replace(/\.[^.]*$/, "");
    let cName = `fn_${cIdentifier(stem, false)}_${cIdentifier(name, false)}`;
    for (let k = 2; this.helperNames.has(cName); k++) {
      cName = `fn_${cIdentifier(stem, false)}_${cIdentifier(name, false)}_${k}`;
    }
    this.helperNames.add(cName);
    const fx = new FunctionContext(this, found.module, "helper");
    const params: string[] = [];
    for (const p of fn.parameters) {
      if (!ts.isIdentifier(p.name) || p.initializer || p.dotDotDotToken || p.questionToken) {
        this.fail(
          found.module,
          p,
          "a helper parameter that is not a plain identifier (default, rest or destructuring)",
        );
      }
      if (p.type && p.type.kind !== ts.SyntaxKind.NumberKeyword) {
        this.fail(
          found.module,
          p,
          "a helper parameter that is not a number",
          "helpers take and return numbers",
        );
      }
      params.push(`double ${fx.declare(p.name.text, "num", true)}`);
    }
    let body: string[];
    if (fn.body && ts.isBlock(fn.body)) {
      if (!fx.alwaysReturns(fn.body.statements)) {
        this.failAt(
          found.module,
          fn,
          `helper '${name}' may end without returning a number: end every path with return`,
        );
      }
      body = fx.statements(fn.body.statements, 1);
    } else if (fn.body) {
      const e = fx.expression(fn.body as TS.Expression);
      fx.returnType = e.type;
      body = [`  return ${strip(e.code)};`];
    } else this.fail(found.module, fn, "a helper without a body");
    const type = fx.returnType ?? "num";
    const at = this.where(found.module, fn);
    // Helpers are pure ("const"), so the compiler may share their calls between cnexp's two
    // evaluations of derivative(). Once inlined that knowledge is lost for calls that sit in a
    // branch (exprelr's expm1), so a helper that branches stays out of line; straight-line
    // helpers are inlined and their libm calls are shared anyway.
    const attributes = fx.branches
      ? "static __attribute__((const, noinline))"
      : "static inline __attribute__((const))";
    const code = [
      `/* ${at.text.replace(/:\d+$/, "")} helper ${name} */`,
      `${attributes} ${type === "num" ? "double" : "bool"} ${cName}(${params.join(", ") || "void"}) {`,
      ...body,
      "}",
    ].join("\n");
    this.helperCode.push(code);
    const result = { cName, type, arity: fn.parameters.length };
    this.helpers.set(key, result);
    return result;
  }

  /** The inlined C expression of module constant `name`. */
  constant(
    found: { module: ModuleInfo; node: TS.Expression },
    name: string,
    use: { module: ModuleInfo; node: TS.Node },
  ): CExpr {
    const key = `${found.module.path}#${name}`;
    if (this.constBusy.has(key)) {
      this.failAt(use.module, use.node, `constant '${name}' is defined in terms of itself`);
    }
    this.constBusy.add(key);
    try {
      const e = new FunctionContext(this, found.module, "constant").expression(found.node);
      return { code: `(${strip(e.code)})`, type: e.type };
    } finally {
      this.constBusy.delete(key);
    }
  }
}

/** Removes one pair of enclosing parentheses when they enclose the whole text. */
function strip(code: string): string {
  if (!code.startsWith("(") || !code.endsWith(")")) return code;
  let depth = 0;
  for (let k = 0; k < code.length; k++) {
    if (code[k] === "(") depth++;
    else if (code[k] === ")") depth--;
    if (depth === 0 && k < code.length - 1) return code;
  }
  return code.slice(1, -1);
}

/** A C double literal that parses back to exactly `value`. */
export function cNumber(value: number): string {
  if (Number.isNaN(value)) return "NAN";
  if (value === Infinity) return "INFINITY";
  if (value === -Infinity) return "(-INFINITY)";
  if (Object.is(value, -0)) return "(-0.0)";
  const text = String(value); // shortest round-trip form
  const literal = /[.e]/.test(text) ? text : `${text}.0`;
  return value < 0 ? `(${literal})` : literal;
}

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

/** Math functions: C name and arity (-1: two or more, folded left). */
const MATH_FUNCTIONS: Record<string, { c: string; arity: number }> = {
  exp: { c: "exp", arity: 1 },
  expm1: { c: "expm1", arity: 1 },
  log: { c: "log", arity: 1 },
  log1p: { c: "log1p", arity: 1 },
  log2: { c: "log2", arity: 1 },
  log10: { c: "log10", arity: 1 },
  pow: { c: "dc_pow", arity: 2 },
  sqrt: { c: "sqrt", arity: 1 },
  cbrt: { c: "cbrt", arity: 1 },
  abs: { c: "fabs", arity: 1 },
  min: { c: "dc_min", arity: -1 },
  max: { c: "dc_max", arity: -1 },
  tanh: { c: "tanh", arity: 1 },
  sinh: { c: "sinh", arity: 1 },
  cosh: { c: "cosh", arity: 1 },
  sin: { c: "sin", arity: 1 },
  cos: { c: "cos", arity: 1 },
  tan: { c: "tan", arity: 1 },
  asin: { c: "asin", arity: 1 },
  acos: { c: "acos", arity: 1 },
  atan: { c: "atan", arity: 1 },
  atan2: { c: "atan2", arity: 2 },
  floor: { c: "floor", arity: 1 },
  ceil: { c: "ceil", arity: 1 },
  trunc: { c: "trunc", arity: 1 },
  sign: { c: "dc_sign", arity: 1 },
};

interface Local {
  cName: string;
  type: CType;
  mutable: boolean;
}

/** Translation state of one function body (kernel, helper or constant initializer). */
class FunctionContext {
  readonly p: Program;
  readonly module: ModuleInfo;
  readonly mode: "kernel" | "helper" | "constant";
  readonly scopes: Map<string, Local>[] = [new Map()];
  returnType: CType | undefined;
  /** Whether the body branches (if or ?:): such helpers stay out of line (see Program.helper). */
  branches = false;
  // kernel mode
  scopeParam: string | undefined;
  scopeFields = new Map<string, string>();
  mechanism = "";
  kernel: KernelName | undefined;
  allowed: string[] = [];
  returnedKeys = new Set<string>();
  keySets: string[][] = [];

  constructor(p: Program, module: ModuleInfo, mode: "kernel" | "helper" | "constant") {
    this.p = p;
    this.module = module;
    this.mode = mode;
  }

  fail(node: TS.Node, construct: string, advice?: string): never {
    return this.p.fail(this.module, node, construct, advice);
  }

  declare(name: string, type: CType, mutable: boolean): string {
    // C scopes nest like TS blocks, so a TS name can keep its name (internal names start with dc_).
    const cName = cIdentifier(name);
    this.scopes[this.scopes.length - 1].set(name, { cName, type, mutable });
    return cName;
  }

  lookupLocal(name: string): Local | undefined {
    for (let k = this.scopes.length - 1; k >= 0; k--) {
      const found = this.scopes[k].get(name);
      if (found) return found;
    }
    return undefined;
  }

  alwaysReturns(statements: readonly TS.Statement[]): boolean {
    const ts = this.p.ts;
    const returns = (s: TS.Statement): boolean =>
      ts.isReturnStatement(s) ||
      (ts.isBlock(s) && this.alwaysReturns(s.statements)) ||
      (ts.isIfStatement(s) && s.elseStatement !== undefined && returns(s.thenStatement) &&
        returns(s.elseStatement));
    return statements.some(returns);
  }

  statements(list: readonly TS.Statement[], depth: number): string[] {
    this.scopes.push(new Map());
    try {
      return list.flatMap((s) => this.statement(s, depth));
    } finally {
      this.scopes.pop();
    }
  }

  statement(s: TS.Statement, depth: number): string[] {
    const ts = this.p.ts;
    const pad = "  ".repeat(depth);
    if (ts.isVariableStatement(s)) {
      const list = s.declarationList;
      const isConst = (list.flags & ts.NodeFlags.Const) !== 0;
      const isLet = (list.flags & ts.NodeFlags.Let) !== 0;
      if (!isConst && !isLet) this.fail(s, "var", "use const or let");
      const out: string[] = [];
      for (const d of list.declarations) {
        if (ts.isObjectBindingPattern(d.name)) {
          if (!d.initializer || !this.isScopeParam(d.initializer)) {
            this.fail(d, "destructuring of anything but the scope parameter");
          }
          for (const element of d.name.elements) {
            if (element.dotDotDotToken || element.initializer || !ts.isIdentifier(element.name)) {
              this.fail(element, "a rest element, default value or nested pattern in destructuring");
            }
            const key = element.propertyName && ts.isIdentifier(element.propertyName)
              ? element.propertyName.text
              : element.name.text;
            const value = this.scopeRead(key, element);
            const cName = this.declare(element.name.text, "num", !isConst);
            out.push(`${pad}${isConst ? "const " : ""}double ${cName} = ${value};`);
          }
          continue;
        }
        if (!ts.isIdentifier(d.name)) this.fail(d, "array destructuring");
        if (!d.initializer) {
          if (isConst) this.fail(d, "a const without initializer");
          if (d.type && d.type.kind !== ts.SyntaxKind.NumberKeyword) {
            this.fail(d, "an uninitialised let that is not a number", "initialise it");
          }
          const cName = this.declare(d.name.text, "num", true);
          out.push(`${pad}double ${cName} = NAN; /* undefined until assigned */`);
          continue;
        }
        const e = this.expression(d.initializer);
        const cName = this.declare(d.name.text, e.type, !isConst);
        out.push(
          `${pad}${isConst ? "const " : ""}${e.type === "num" ? "double" : "bool"} ${cName} = ${
            strip(e.code)
          };`,
        );
      }
      return out;
    }
    if (ts.isExpressionStatement(s)) return [`${pad}${this.assignment(s.expression)};`];
    if (ts.isIfStatement(s)) {
      this.branches = true;
      const cond = this.expression(s.expression);
      if (cond.type !== "bool") {
        this.fail(
          s.expression,
          "a condition that is a number (JavaScript truthiness)",
          "compare explicitly, e.g. x !== 0",
        );
      }
      const out = [`${pad}if (${strip(cond.code)}) {`, ...this.branch(s.thenStatement, depth + 1)];
      if (s.elseStatement) out.push(`${pad}} else {`, ...this.branch(s.elseStatement, depth + 1));
      out.push(`${pad}}`);
      return out;
    }
    if (ts.isBlock(s)) return [`${pad}{`, ...this.statements(s.statements, depth + 1), `${pad}}`];
    if (ts.isEmptyStatement(s)) return [];
    if (ts.isReturnStatement(s)) return this.returnStatement(s, depth);
    if (ts.isForStatement(s) || ts.isForOfStatement(s) || ts.isForInStatement(s)) {
      this.fail(
        s,
        "a for loop",
        "loops are refused in compiled kernels: unroll it, or keep this mechanism live",
      );
    }
    if (ts.isWhileStatement(s) || ts.isDoStatement(s)) {
      this.fail(
        s,
        "a while loop",
        "loops are refused in compiled kernels: unroll it, or keep this mechanism live",
      );
    }
    if (ts.isSwitchStatement(s)) this.fail(s, "switch", "use if / else");
    if (ts.isThrowStatement(s)) {
      this.fail(s, "throw", "compiled kernels cannot throw; remove it or keep this mechanism live");
    }
    if (ts.isTryStatement(s)) this.fail(s, "try / catch");
    if (ts.isFunctionDeclaration(s)) {
      this.fail(s, "a nested function", "move it to the top level of the module");
    }
    if (ts.isClassDeclaration(s)) this.fail(s, "a nested class");
    return this.fail(s, `the statement ${ts.SyntaxKind[s.kind]}`);
  }

  branch(s: TS.Statement, depth: number): string[] {
    return this.p.ts.isBlock(s) ? this.statements(s.statements, depth) : this.statements([s], depth);
  }

  assignment(e: TS.Expression): string {
    const ts = this.p.ts;
    const target = (node: TS.Expression): Local => {
      if (ts.isParenthesizedExpression(node)) return target(node.expression);
      if (!ts.isIdentifier(node)) {
        if (ts.isPropertyAccessExpression(node) && this.isScopeParam(node.expression)) {
          this.fail(node, "assignment to a scope field", "kernels return new values instead of assigning");
        }
        this.fail(node, "assignment to anything but a let local");
      }
      const local = this.lookupLocal(node.text);
      if (!local) {
        const found = this.p.lookup(this.module, node.text);
        if (found?.kind === "mutable") {
          this.fail(node, "assignment to module state", "keep kernels free of side effects");
        }
        this.fail(node, `assignment to unknown name '${node.text}'`);
      }
      if (!local.mutable) this.fail(node, `assignment to const '${node.text}'`, "declare it with let");
      return local;
    };
    if (ts.isBinaryExpression(e)) {
      const op = e.operatorToken.kind;
      const ops: Partial<Record<number, string>> = {
        [ts.SyntaxKind.PlusEqualsToken]: "+",
        [ts.SyntaxKind.MinusEqualsToken]: "-",
        [ts.SyntaxKind.AsteriskEqualsToken]: "*",
        [ts.SyntaxKind.SlashEqualsToken]: "/",
      };
      if (op === ts.SyntaxKind.EqualsToken) {
        const local = target(e.left);
        const value = this.expression(e.right);
        if (value.type !== local.type) {
          this.fail(e.right, "assigning a value of another type than the local's");
        }
        return `${local.cName} = ${strip(value.code)}`;
      }
      if (
        ops[op] !== undefined || op === ts.SyntaxKind.AsteriskAsteriskEqualsToken ||
        op === ts.SyntaxKind.PercentEqualsToken
      ) {
        const local = target(e.left);
        const value = this.expression(e.right);
        if (local.type !== "num" || value.type !== "num") this.fail(e, "compound assignment on booleans");
        if (op === ts.SyntaxKind.AsteriskAsteriskEqualsToken) {
          return `${local.cName} = dc_pow(${local.cName}, ${strip(value.code)})`;
        }
        if (op === ts.SyntaxKind.PercentEqualsToken) {
          return `${local.cName} = fmod(${local.cName}, ${strip(value.code)})`;
        }
        return `${local.cName} = ${local.cName} ${ops[op]} ${value.code}`;
      }
    }
    if (
      (ts.isPrefixUnaryExpression(e) || ts.isPostfixUnaryExpression(e)) &&
      (e.operator === ts.SyntaxKind.PlusPlusToken || e.operator === ts.SyntaxKind.MinusMinusToken)
    ) {
      const local = target(e.operand);
      if (local.type !== "num") this.fail(e, "++ or -- on a boolean");
      return `${local.cName} = ${local.cName} ${e.operator === ts.SyntaxKind.PlusPlusToken ? "+" : "-"} 1.0`;
    }
    if (ts.isCallExpression(e)) {
      this.expression(e); // reports console.log and friends precisely
      this.fail(e, "a call whose result is discarded", "kernels have no side effects; remove it");
    }
    return this.fail(e, "an expression statement", "only assignments to let locals may stand alone");
  }

  returnStatement(s: TS.ReturnStatement, depth: number): string[] {
    const ts = this.p.ts;
    const pad = "  ".repeat(depth);
    if (this.mode !== "kernel") {
      if (!s.expression) this.fail(s, "return without a value", "helpers return a number");
      const e = this.expression(s.expression);
      if (this.returnType !== undefined && this.returnType !== e.type) {
        this.fail(s.expression, "returning both numbers and booleans from one helper");
      }
      this.returnType = e.type;
      return [`${pad}return ${strip(e.code)};`];
    }
    let value = s.expression;
    while (
      value &&
      (ts.isParenthesizedExpression(value) || ts.isAsExpression(value) || ts.isSatisfiesExpression(value))
    ) {
      value = value.expression;
    }
    if (!value || !ts.isObjectLiteralExpression(value)) {
      this.fail(s, "a kernel return that is not an object literal", "write return { key: value, ... }");
    }
    const out: string[] = [];
    const keys: string[] = [];
    for (const property of value.properties) {
      let key: string;
      let expr: CExpr;
      if (ts.isPropertyAssignment(property)) {
        const name = property.name;
        if (ts.isIdentifier(name) || ts.isStringLiteral(name)) key = name.text;
        else this.fail(name, "a computed key in the returned object");
        expr = this.expression(property.initializer);
      } else if (ts.isShorthandPropertyAssignment(property)) {
        key = property.name.text;
        expr = this.expression(property.name);
      } else if (ts.isSpreadAssignment(property)) {
        this.fail(property, "spread in the returned object");
      } else this.fail(property, "a method or accessor in the returned object");
      if (!this.allowed.includes(key)) {
        this.p.failAt(
          this.module,
          property,
          `mechanism '${this.mechanism}': ${this.kernel}() returns '${key}', which is not one of ${
            this.allowed.join(", ") || "(nothing)"
          }`,
        );
      }
      if (expr.type !== "num") this.fail(property, "a returned value that is a boolean", "return numbers");
      if (!keys.includes(key)) keys.push(key);
      out.push(`${pad}dc_r->${fieldName(key)} = ${strip(expr.code)};`);
    }
    let mask = 0n;
    for (const key of keys) {
      mask |= 1n << BigInt(this.allowed.indexOf(key));
      this.returnedKeys.add(key);
    }
    this.keySets.push(keys);
    out.push(
      `${pad}dc_r->dc_present = UINT64_C(0x${mask.toString(16)}); /* ${keys.join(", ") || "nothing"} */`,
    );
    out.push(`${pad}return;`);
    return out;
  }

  isScopeParam(e: TS.Expression): boolean {
    const ts = this.p.ts;
    while (ts.isParenthesizedExpression(e) || ts.isNonNullExpression(e) || ts.isAsExpression(e)) {
      e = e.expression;
    }
    return this.mode === "kernel" && ts.isIdentifier(e) && e.text === this.scopeParam &&
      !this.lookupLocal(e.text);
  }

  scopeRead(key: string, node: TS.Node): string {
    const field = this.scopeFields.get(key);
    if (field === undefined) {
      this.p.failAt(
        this.module,
        node,
        `${this.scopeParam}.${key} is not in the kernel scope of mechanism '${this.mechanism}' (its scope has ${
          [...this.scopeFields.keys()].join(", ")
        }): declare it as a field or fix the name`,
      );
    }
    return `dc_x->${field}`;
  }

  expression(e: TS.Expression): CExpr {
    const ts = this.p.ts;
    if (ts.isNumericLiteral(e)) return { code: cNumber(Number(e.text.replace(/_/g, ""))), type: "num" };
    if (ts.isParenthesizedExpression(e)) return this.expression(e.expression);
    if (
      ts.isAsExpression(e) || ts.isNonNullExpression(e) || ts.isSatisfiesExpression(e) ||
      ts.isTypeAssertionExpression(e)
    ) {
      return this.expression(e.expression);
    }
    if (e.kind === ts.SyntaxKind.TrueKeyword) return { code: "true", type: "bool" };
    if (e.kind === ts.SyntaxKind.FalseKeyword) return { code: "false", type: "bool" };
    if (e.kind === ts.SyntaxKind.ThisKeyword) {
      this.fail(e, "`this` access", "kernels are pure functions of their scope: read x.<name> instead");
    }
    if (ts.isPrefixUnaryExpression(e)) {
      const operand = this.expression(e.operand);
      switch (e.operator) {
        case ts.SyntaxKind.MinusToken:
          if (operand.type !== "num") this.fail(e, "unary minus on a boolean");
          return { code: `(-${operand.code})`, type: "num" };
        case ts.SyntaxKind.PlusToken:
          if (operand.type !== "num") this.fail(e, "unary plus on a boolean");
          return operand;
        case ts.SyntaxKind.ExclamationToken:
          if (operand.type !== "bool") {
            this.fail(e, "! on a number (JavaScript truthiness)", "compare explicitly");
          }
          return { code: `(!${operand.code})`, type: "bool" };
        case ts.SyntaxKind.TildeToken:
          this.fail(
            e,
            "the bitwise operator ~",
            "JavaScript converts to 32-bit integers there; use Math functions",
          );
          break;
        default:
          this.fail(e, "++ or -- inside an expression", "write the increment as its own statement");
      }
    }
    if (ts.isPostfixUnaryExpression(e)) {
      this.fail(e, "++ or -- inside an expression", "write it as its own statement");
    }
    if (ts.isBinaryExpression(e)) return this.binary(e);
    if (ts.isConditionalExpression(e)) {
      this.branches = true;
      const cond = this.expression(e.condition);
      if (cond.type !== "bool") {
        this.fail(e.condition, "a condition that is a number (JavaScript truthiness)", "compare explicitly");
      }
      const a = this.expression(e.whenTrue);
      const b = this.expression(e.whenFalse);
      if (a.type !== b.type) this.fail(e, "a ?: whose branches have different types");
      return { code: `(${cond.code} ? ${a.code} : ${b.code})`, type: a.type };
    }
    if (ts.isIdentifier(e)) return this.identifier(e);
    if (ts.isPropertyAccessExpression(e)) {
      if (this.isScopeParam(e.expression)) return { code: this.scopeRead(e.name.text, e), type: "num" };
      if (ts.isIdentifier(e.expression) && e.expression.text === "Math" && !this.lookupLocal("Math")) {
        const value = MATH_CONSTANTS[e.name.text];
        if (value === undefined) this.fail(e, `Math.${e.name.text} as a value`);
        return { code: cNumber(value), type: "num" };
      }
      if (ts.isIdentifier(e.expression) && e.expression.text === "console") {
        this.fail(e, `console.${e.name.text}`, "remove it or keep this mechanism live");
      }
      if (ts.isIdentifier(e.expression) && e.expression.text === "Number") {
        const constants: Record<string, number> = {
          EPSILON: Number.EPSILON,
          MAX_VALUE: Number.MAX_VALUE,
          MIN_VALUE: Number.MIN_VALUE,
          POSITIVE_INFINITY: Infinity,
          NEGATIVE_INFINITY: -Infinity,
          NaN: NaN,
        };
        if (e.name.text in constants) return { code: cNumber(constants[e.name.text]), type: "num" };
      }
      if (e.expression.kind === ts.SyntaxKind.ThisKeyword) {
        this.fail(e, "`this` access", "kernels are pure functions of their scope: read x.<name> instead");
      }
      if (ts.isPropertyAccessExpression(e.expression) && this.isScopeParam(e.expression.expression)) {
        this.fail(e, "a property of a scope value (string or object operations)", "scope fields are numbers");
      }
      return this.fail(e, `the property access '${e.getText(this.module.source)}'`);
    }
    if (ts.isCallExpression(e)) return this.call(e);
    if (ts.isElementAccessExpression(e)) {
      this.fail(e, "array indexing", "kernels read scalars only: use x.<name>");
    }
    if (ts.isArrayLiteralExpression(e)) this.fail(e, "array allocation", "kernels work on scalars only");
    if (ts.isStringLiteral(e) || ts.isNoSubstitutionTemplateLiteral(e) || ts.isTemplateExpression(e)) {
      this.fail(e, "string operations", "kernels compute numbers only");
    }
    if (ts.isObjectLiteralExpression(e)) this.fail(e, "an object literal other than the returned one");
    if (ts.isArrowFunction(e) || ts.isFunctionExpression(e)) {
      this.fail(e, "a closure", "move the function to the top level of the module, taking numbers");
    }
    if (ts.isNewExpression(e)) this.fail(e, "new", "kernels allocate nothing");
    if (ts.isTypeOfExpression(e)) this.fail(e, "typeof");
    if (e.kind === ts.SyntaxKind.NullKeyword) this.fail(e, "null");
    if (ts.isAwaitExpression(e)) this.fail(e, "await");
    return this.fail(e, `the expression ${ts.SyntaxKind[e.kind]}`);
  }

  identifier(e: TS.Identifier): CExpr {
    const name = e.text;
    const local = this.lookupLocal(name);
    if (local) return { code: local.cName, type: local.type };
    if (this.mode === "kernel" && name === this.scopeParam) {
      this.fail(
        e,
        "using the scope object as a value",
        "read its fields x.<name> and pass numbers to helpers",
      );
    }
    if (name === "NaN") return { code: "NAN", type: "num" };
    if (name === "Infinity") return { code: "INFINITY", type: "num" };
    if (name === "undefined") this.fail(e, "undefined", "leave the key out of the returned object instead");
    const found = this.p.lookup(this.module, name);
    if (found?.kind === "const") return this.p.constant(found, name, { module: this.module, node: e });
    if (found?.kind === "mutable") {
      const at = this.p.where(found.module, found.node);
      this.fail(
        e,
        `a closure over mutable module state ('${name}', declared with let/var at ${at.text})`,
        "make it a module-level const number, or a @global / @parameter of the mechanism",
      );
    }
    if (found?.kind === "function") this.fail(e, `the function '${name}' used as a value`, "call it");
    return this.fail(e, `the unknown name '${name}'`, "use locals, module constants, helpers or x.<name>");
  }

  binary(e: TS.BinaryExpression): CExpr {
    const ts = this.p.ts;
    const op = e.operatorToken.kind;
    const K = ts.SyntaxKind;
    if (
      op === K.EqualsToken || op === K.PlusEqualsToken || op === K.MinusEqualsToken ||
      op === K.AsteriskEqualsToken ||
      op === K.SlashEqualsToken || op === K.PercentEqualsToken || op === K.AsteriskAsteriskEqualsToken
    ) {
      this.fail(e, "an assignment inside an expression", "assign in its own statement");
    }
    if (op === K.CommaToken) this.fail(e, "the comma operator");
    if (op === K.QuestionQuestionToken) {
      this.fail(e, "??", "every scope field is a number; no fallback is needed");
    }
    if (op === K.InKeyword || op === K.InstanceOfKeyword) this.fail(e, ts.tokenToString(op) ?? "in");
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
        e,
        `the bitwise operator ${ts.tokenToString(op)}`,
        "JavaScript converts to 32-bit integers there; use Math functions",
      );
    }
    const a = this.expression(e.left);
    const b = this.expression(e.right);
    const arithmetic: Partial<Record<number, string>> = {
      [K.PlusToken]: "+",
      [K.MinusToken]: "-",
      [K.AsteriskToken]: "*",
      [K.SlashToken]: "/",
    };
    const compare: Partial<Record<number, string>> = {
      [K.LessThanToken]: "<",
      [K.LessThanEqualsToken]: "<=",
      [K.GreaterThanToken]: ">",
      [K.GreaterThanEqualsToken]: ">=",
      [K.EqualsEqualsEqualsToken]: "==",
      [K.EqualsEqualsToken]: "==",
      [K.ExclamationEqualsEqualsToken]: "!=",
      [K.ExclamationEqualsToken]: "!=",
    };
    if (arithmetic[op] || op === K.AsteriskAsteriskToken || op === K.PercentToken) {
      if (a.type !== "num" || b.type !== "num") this.fail(e, "arithmetic on booleans");
      if (op === K.AsteriskAsteriskToken) {
        return { code: `dc_pow(${strip(a.code)}, ${strip(b.code)})`, type: "num" };
      }
      if (op === K.PercentToken) return { code: `fmod(${strip(a.code)}, ${strip(b.code)})`, type: "num" };
      return { code: `(${a.code} ${arithmetic[op]} ${b.code})`, type: "num" };
    }
    if (compare[op]) {
      const equality = compare[op] === "==" || compare[op] === "!=";
      if (a.type !== b.type || (!equality && a.type !== "num")) {
        this.fail(e, "comparing values of different types");
      }
      return { code: `(${a.code} ${compare[op]} ${b.code})`, type: "bool" };
    }
    if (op === K.AmpersandAmpersandToken || op === K.BarBarToken) {
      if (a.type !== "bool" || b.type !== "bool") {
        this.fail(
          e,
          `${ts.tokenToString(op)} on numbers (it returns an operand in JavaScript)`,
          "use comparisons and ?:",
        );
      }
      return {
        code: `(${a.code} ${op === K.AmpersandAmpersandToken ? "&&" : "||"} ${b.code})`,
        type: "bool",
      };
    }
    return this.fail(e, `the operator ${ts.tokenToString(op)}`);
  }

  call(e: TS.CallExpression): CExpr {
    const ts = this.p.ts;
    const callee = e.expression;
    const args = () =>
      e.arguments.map((arg) => {
        if (ts.isSpreadElement(arg)) this.fail(arg, "spread arguments");
        const value = this.expression(arg);
        if (value.type !== "num") {
          this.fail(arg, "a boolean argument", "helpers and Math functions take numbers");
        }
        return strip(value.code);
      });
    if (ts.isPropertyAccessExpression(callee) && ts.isIdentifier(callee.expression)) {
      const object = callee.expression.text;
      const method = callee.name.text;
      if (object === "console") this.fail(e, `console.${method}`, "remove it or keep this mechanism live");
      if (object === "Math" && !this.lookupLocal("Math")) {
        const fn = MATH_FUNCTIONS[method];
        if (!fn) {
          this.fail(
            e,
            `Math.${method}`,
            "use one of the supported Math functions, or keep this mechanism live",
          );
        }
        const values = args();
        if (fn.arity === -1) {
          if (values.length < 1) this.fail(e, `Math.${method} without arguments`);
          return { code: values.reduce((acc, v) => `${fn.c}(${acc}, ${v})`), type: "num" };
        }
        if (values.length !== fn.arity) {
          this.fail(e, `Math.${method} with ${values.length} arguments`, `it takes ${fn.arity}`);
        }
        return { code: `${fn.c}(${values.join(", ")})`, type: "num" };
      }
    }
    if (ts.isIdentifier(callee)) {
      const name = callee.text;
      if (this.lookupLocal(name)) this.fail(e, `calling the local '${name}'`);
      const found = this.p.lookup(this.module, name);
      if (found?.kind === "function") {
        const helper = this.p.helper(found, name, { module: this.module, node: e });
        const values = args();
        if (values.length !== helper.arity) {
          this.fail(e, `a call of '${name}' with ${values.length} arguments`, `it takes ${helper.arity}`);
        }
        return { code: `${helper.cName}(${values.join(", ")})`, type: helper.type };
      }
      return this.fail(
        e,
        `a call to the unknown function '${name}'`,
        "call Math functions or pure helpers defined (or imported from a relative module) at the top level, or keep this mechanism live",
      );
    }
    return this.fail(
      e,
      `a call to '${callee.getText(this.module.source)}'`,
      "call Math functions or top-level helpers only",
    );
  }
}

// ---- mechanisms --------------------------------------------------------------------------------

function hasMechanismDecorator(ts: TypeScriptApi, cls: TS.ClassDeclaration): boolean {
  return (ts.getDecorators(cls) ?? []).some((d) => {
    const e = d.expression;
    const callee = ts.isCallExpression(e) ? e.expression : e;
    return (ts.isIdentifier(callee) && callee.text === "mechanism") ||
      (ts.isPropertyAccessExpression(callee) && callee.name.text === "mechanism");
  });
}

/** Finds the method `name` in `cls` or in a class it extends (same module or relative import). */
function findMethod(
  p: Program,
  module: ModuleInfo,
  cls: TS.ClassDeclaration,
  name: string,
): { module: ModuleInfo; method: TS.MethodDeclaration } | undefined {
  const ts = p.ts;
  for (const member of cls.members) {
    if (
      ts.isMethodDeclaration(member) && member.name && ts.isIdentifier(member.name) &&
      member.name.text === name
    ) {
      return { module, method: member };
    }
    if (ts.isPropertyDeclaration(member) && ts.isIdentifier(member.name) && member.name.text === name) {
      p.fail(
        module,
        member,
        `kernel ${name} written as a property`,
        `write it as a method: ${name}(x) { ... }`,
      );
    }
  }
  const heritage = cls.heritageClauses?.find((h) => h.token === ts.SyntaxKind.ExtendsKeyword)?.types[0];
  if (heritage && ts.isIdentifier(heritage.expression)) {
    const found = p.lookup(module, heritage.expression.text);
    if (found?.kind === "class") return findMethod(p, found.module, found.node, name);
  }
  return undefined;
}

function translateKernel(
  p: Program,
  where: { module: ModuleInfo; method: TS.MethodDeclaration },
  mech: TranslatedMechanism,
  className: string,
  kernel: KernelName,
): KernelC {
  const ts = p.ts;
  const { module, method } = where;
  const fx = new FunctionContext(p, module, "kernel");
  fx.mechanism = mech.spec.name;
  fx.kernel = kernel;
  fx.allowed = allowedKeys(mech.spec, kernel);
  for (const { key, field } of mech.scope) fx.scopeFields.set(key, field);
  const params = method.parameters;
  const wantsArg = kernel === "onEvent" || kernel === "onPostEvent";
  if (params.length > (wantsArg ? 2 : 1)) {
    p.fail(module, params[params.length - 1], `an extra parameter of ${kernel}`);
  }
  if (params[0]) {
    if (!ts.isIdentifier(params[0].name)) {
      p.fail(
        module,
        params[0],
        "destructuring in the kernel's parameter list",
        "write (x) and const { v } = x",
      );
    }
    fx.scopeParam = params[0].name.text;
  }
  let argName = "dc_arg";
  if (wantsArg && params[1]) {
    if (!ts.isIdentifier(params[1].name)) p.fail(module, params[1], "destructuring of the second parameter");
    argName = fx.declare(params[1].name.text, "num", true);
  }
  if (!method.body) p.fail(module, method, `kernel ${kernel} without a body`);
  if (!fx.alwaysReturns(method.body.statements)) {
    p.failAt(
      module,
      method,
      `${className}.${kernel}() may end without returning an object: end every path with return { ... }`,
    );
  }
  const body = fx.statements(method.body.statements, 1);
  if (kernel === "derivative") {
    const first = fx.keySets[0].slice().sort().join();
    if (fx.keySets.some((keys) => keys.slice().sort().join() !== first)) {
      p.failAt(
        module,
        method,
        `${className}.derivative() must return the same states in every branch for compiled mode`,
      );
    }
    for (const key of fx.keySets[0]) {
      const field = mech.spec.states.find((f) => f.key === key);
      if (field?.assigned) {
        p.failAt(
          module,
          method,
          `mechanism '${mech.spec.name}': derivative() returns '${key}', which is declared assigned`,
        );
      }
    }
  }
  const group = resultGroup(kernel);
  const cName = `${mech.prefix}_${kernel}`;
  const at = p.where(module, method);
  const argument = wantsArg ? `, double ${argName}` : "";
  const code = [
    `/* ${at.text.replace(/:\d+$/, "")} ${className}.${kernel} */`,
    `static inline void ${cName}(const ${mech.prefix}_scope* dc_x${argument}, ${mech.prefix}_out_${group}* dc_r) {`,
    `  (void)dc_x;`,
    ...(wantsArg ? [`  (void)${argName};`] : []),
    ...body,
    "}",
  ].join("\n");
  return { kernel, cName, code, keys: fx.returnedKeys };
}

/**
 * Imports `modulePath`, finds its `@mechanism` classes (and those of the relative modules it
 * imports), and translates the kernels of each pointwise one into C.
 */
export async function translateModule(
  modulePath: string,
  options: TranslateOptions = {},
): Promise<Translation> {
  const path = modulePath.startsWith("file:") ? fileURLToPath(modulePath) : resolve(modulePath);
  const ts = await loadTypeScript();
  const p = new Program(ts);
  const entry = p.module(path);
  // Importing registers every mechanism with its runtime declaration (the source of metadata).
  try {
    await import(pathToFileURL(path).href);
  } catch (cause) {
    throw new CompileError(`importing ${entry.display} failed: ${(cause as Error).message}`, entry.display);
  }
  const order: ModuleInfo[] = [];
  const visit = (module: ModuleInfo, seen: Set<string>) => {
    if (seen.has(module.path)) return;
    seen.add(module.path);
    order.push(module);
    for (const dependency of p.dependencies(module)) visit(p.module(dependency), seen);
  };
  visit(entry, new Set());
  const mechanisms: TranslatedMechanism[] = [];
  const notes: string[] = [];
  const names = new Map<string, string>();
  const prefixes = new Set<string>();
  for (const module of order) {
    for (const [className, cls] of module.classes) {
      if (!hasMechanismDecorator(ts, cls)) continue;
      const namespace = await import(pathToFileURL(module.path).href) as Record<string, unknown>;
      const runtime = Object.values(namespace).find((value) =>
        typeof value === "function" && value.name === className && specOf(value)
      );
      const at = p.where(module, cls);
      if (runtime === undefined) {
        throw new CompileError(
          `class ${className} (${at.text}) is decorated with @mechanism but not exported: export it so that the ` +
            `compiler can read its declaration`,
          module.display,
          at.line,
          at.column,
        );
      }
      const declaration = specOf(runtime)!;
      const { spec } = declaration;
      if (declaration.kernels.length === 0) {
        const message = `mechanism '${spec.name}' (class ${className}, ${at.text}) uses raw hooks (${
          declaration.hooks.join(", ") || "none"
        }), which cannot be compiled to C: only pointwise kernels can`;
        if (options.skipRaw) {
          notes.push(`skipped ${message}; it stays live-only`);
          continue;
        }
        throw new CompileError(
          `${message}. Rewrite it as a PointwiseMechanism, or pass --skip-raw (skipRaw) to leave it out`,
          module.display,
          at.line,
          at.column,
        );
      }
      const previous = names.get(spec.name);
      if (previous) {
        throw new CompileError(
          `mechanism name '${spec.name}' is declared twice (${previous} and ${at.text})`,
          module.display,
          at.line,
          at.column,
        );
      }
      names.set(spec.name, at.text);
      let prefix = `mech_${cIdentifier(spec.name, false)}`;
      for (let k = 2; prefixes.has(prefix); k++) prefix = `mech_${cIdentifier(spec.name, false)}_${k}`;
      prefixes.add(prefix);
      const mech: TranslatedMechanism = {
        spec,
        method: declaration.method,
        className,
        location: at.text.replace(/:\d+$/, ""),
        prefix,
        scope: scopeKeys(spec).map((key) => ({ key, field: fieldName(key) })),
        kernels: {},
        integrated: [],
      };
      for (const kernel of declaration.kernels) {
        const where = findMethod(p, module, cls, kernel);
        if (!where) {
          throw new CompileError(
            `class ${className} (${at.text}) has a ${kernel} kernel at run time, but its source was not found in the class ` +
              `or the classes it extends: define it as a method`,
            module.display,
            at.line,
            at.column,
          );
        }
        mech.kernels[kernel] = translateKernel(p, where, mech, className, kernel);
      }
      const derivative = mech.kernels.derivative;
      if (derivative) mech.integrated = spec.states.flatMap((f, j) => derivative.keys.has(f.key) ? [j] : []);
      mechanisms.push(mech);
    }
  }
  if (mechanisms.length === 0) {
    throw new CompileError(
      `${entry.display} declares no compilable @mechanism class${
        notes.length ? ` (${notes.join("; ")})` : ""
      }`,
      entry.display,
    );
  }
  return { module: path, mechanisms, helpers: p.helperCode, notes, sources: order.map((m) => m.display) };
}

/** Joins a path to the repository root (for tests and tools). */
export function repositoryPath(...parts: string[]): string {
  return join(REPOSITORY_ROOT, ...parts);
}
