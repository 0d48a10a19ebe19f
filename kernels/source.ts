/**
 * Source files of pointwise mechanisms, read with the TypeScript compiler API: each module once,
 * with its top-level functions, constants, classes, imports and re-exports, so that a kernel's
 * helpers and constants can be found across relative modules. Also the one error type of the
 * kernel plan, `CompileError`, which names the construct, file:line:column and what to do.
 *
 * @module
 */
// The compiler API is pinned here rather than in deno.json (whose imports stay empty), and is
// loaded lazily: importing mod.ts never pulls it in.
// deno-lint-ignore no-import-prefix
import type * as TS from "npm:typescript@5.6.3";
import { dirname, isAbsolute, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { REPOSITORY_ROOT } from "../platform/toolchain.ts";

export type { TS };

/** Marks `error` as a broken rule (see `CompileError.rule`) and returns it. */
export function ruleError(error: CompileError): CompileError {
  error.rule = true;
  return error;
}

/** An input the compiler cannot translate: names the construct, where it is, and what to do. */
export class CompileError extends Error {
  /** File of the offending construct (as given, or relative to the working directory). */
  readonly file: string;
  /** 1-based line, or 0 when the error is about the whole module. */
  readonly line: number;
  /** 1-based column, or 0. */
  readonly column: number;
  /**
   * True when the input breaks a rule of the kernel API (a non-linear cnexp derivative, an
   * unknown key): live mode refuses it too. False when the plan merely cannot express it (live
   * mode then runs the user's own function).
   */
  rule = false;
  /** The kernel concerned, when known. */
  kernel?: string;

  /** Makes the error; `message` already holds the location text. */
  constructor(message: string, file = "", line = 0, column = 0) {
    super(message);
    this.name = "CompileError";
    this.file = file;
    this.line = line;
    this.column = column;
  }
}

/** The TypeScript compiler API module. */
export type TypeScriptApi = typeof TS;
let typescriptApi: Promise<TypeScriptApi> | undefined;

/** The TypeScript compiler, loaded on first use (it is large; mod.ts users never pay for it). */
export function loadTypeScript(): Promise<TypeScriptApi> {
  // deno-lint-ignore no-import-prefix
  typescriptApi ??= import("npm:typescript@5.6.3").then((m) => (m.default ?? m) as TypeScriptApi);
  return typescriptApi;
}

/** A function-like node that can hold a kernel or a helper. */
export type FunctionNode =
  | TS.FunctionDeclaration
  | TS.ArrowFunction
  | TS.FunctionExpression
  | TS.MethodDeclaration;

/** One source file and its top-level declarations. */
export interface ModuleInfo {
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
  /** Modification time of the file when it was read (ms since the epoch), when known. */
  mtime?: number;
  /** The binder's view of the file (made on first use, `Sources.binding`). */
  checker?: TS.TypeChecker;
}

/**
 * How JavaScript resolves a name at one place of a module, as the TypeScript binder sees it:
 * no declaration in the module (a global such as `Math`, or an unknown name), a declaration at
 * the top level of the module (including an import), or one bound by an enclosing function,
 * parameter, block or loop.
 */
export type Binding =
  | { scope: "global" }
  | { scope: "module"; declaration: TS.Declaration }
  | { scope: "local"; declaration: TS.Declaration };

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

/** What a top-level name of a module is. */
export type Found =
  | {
    module: ModuleInfo;
    kind: "function";
    node: TS.FunctionDeclaration | TS.ArrowFunction | TS.FunctionExpression;
  }
  | { module: ModuleInfo; kind: "const"; node: TS.Expression }
  | { module: ModuleInfo; kind: "mutable"; node: TS.Node }
  | { module: ModuleInfo; kind: "class"; node: TS.ClassDeclaration };

/** The modules read so far (one per plan build), and lookups across them. */
export class Sources {
  readonly ts: TypeScriptApi;
  readonly modules = new Map<string, ModuleInfo>();

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
    let mtime: number | undefined;
    try {
      mtime = Deno.statSync(path).mtime?.getTime();
    } catch {
      mtime = undefined; // read but not stat-able: no freshness check
    }
    const info: ModuleInfo = {
      mtime,
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
  lookup(module: ModuleInfo, name: string, seen = new Set<string>()): Found | undefined {
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

  lookupExport(module: ModuleInfo, name: string, seen: Set<string>): Found | undefined {
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

  /** The TypeScript binder of `module` (one program of that file alone: no lib, no imports read). */
  checker(module: ModuleInfo): TS.TypeChecker {
    if (module.checker) return module.checker;
    const ts = this.ts;
    const file = module.source.fileName;
    const host: TS.CompilerHost = {
      getSourceFile: (name) => (name === file ? module.source : undefined),
      getDefaultLibFileName: () => "lib.d.ts",
      writeFile: () => {},
      getCurrentDirectory: () => dirname(file),
      getCanonicalFileName: (name) => name,
      useCaseSensitiveFileNames: () => true,
      getNewLine: () => "\n",
      fileExists: (name) => name === file,
      readFile: () => undefined,
    };
    const options = { noLib: true, noResolve: true, types: [], allowJs: true };
    module.checker = ts.createProgram({ rootNames: [file], options, host }).getTypeChecker();
    return module.checker;
  }

  /** What identifier `id` of `module` refers to, as JavaScript resolves it (see `Binding`). */
  binding(module: ModuleInfo, id: TS.Identifier): Binding {
    const ts = this.ts;
    const checker = this.checker(module);
    const parent = id.parent;
    const symbol = parent && ts.isShorthandPropertyAssignment(parent) && parent.name === id
      ? checker.getShorthandAssignmentValueSymbol(parent)
      : checker.getSymbolAtLocation(id);
    const declaration = symbol?.declarations?.[0];
    if (declaration === undefined || declaration.getSourceFile() !== module.source) {
      return { scope: "global" };
    }
    return { scope: this.isTopLevel(declaration) ? "module" : "local", declaration };
  }

  /** Whether a declaration is made by a top-level statement of its file (an import included). */
  isTopLevel(declaration: TS.Node): boolean {
    const ts = this.ts;
    let n: TS.Node = declaration;
    while (ts.isBindingElement(n) || ts.isObjectBindingPattern(n) || ts.isArrayBindingPattern(n)) {
      n = n.parent;
    }
    if (ts.isVariableDeclaration(n)) {
      const statement = n.parent.parent;
      return ts.isVariableStatement(statement) && ts.isSourceFile(statement.parent);
    }
    if (ts.isImportSpecifier(n) || ts.isNamespaceImport(n) || ts.isImportClause(n)) return true;
    if (ts.isImportEqualsDeclaration(n)) return ts.isSourceFile(n.parent);
    if (
      ts.isFunctionDeclaration(n) || ts.isClassDeclaration(n) || ts.isEnumDeclaration(n) ||
      ts.isModuleDeclaration(n)
    ) {
      return ts.isSourceFile(n.parent);
    }
    return false;
  }

  /**
   * What binds a name that is not at module level, for messages: "a parameter of function
   * 'decay' (m.ts:3:25)", "a variable of a for…of loop (m.ts:9:14)", ...
   */
  describeLocal(module: ModuleInfo, declaration: TS.Node): string {
    const ts = this.ts;
    const at = this.where(module, declaration).text;
    const enclosing = (n: TS.Node): string => {
      for (let p = n.parent; p !== undefined; p = p.parent) {
        if (ts.isFunctionDeclaration(p) || ts.isFunctionExpression(p)) {
          return p.name ? `function '${p.name.text}'` : "an anonymous function";
        }
        if (ts.isMethodDeclaration(p) && ts.isIdentifier(p.name)) return `method '${p.name.text}'`;
        if (ts.isArrowFunction(p)) return "an arrow function";
        if (ts.isConstructorDeclaration(p)) return "a constructor";
      }
      return "a block";
    };
    let n: TS.Node = declaration;
    while (ts.isBindingElement(n) || ts.isObjectBindingPattern(n) || ts.isArrayBindingPattern(n)) {
      n = n.parent;
    }
    if (ts.isParameter(n)) return `a parameter of ${enclosing(n)} (${at})`;
    if (ts.isVariableDeclaration(n)) {
      const loop = n.parent.parent;
      if (ts.isForOfStatement(loop)) return `a variable of a for…of loop (${at})`;
      if (ts.isForInStatement(loop)) return `a variable of a for…in loop (${at})`;
      if (ts.isForStatement(loop)) return `a variable of a for loop (${at})`;
      if (ts.isCatchClause(n.parent)) return `the variable of a catch clause (${at})`;
      const flags = n.parent.flags;
      const keyword = flags & ts.NodeFlags.Const ? "const" : flags & ts.NodeFlags.Let ? "let" : "var";
      return `a local ${keyword} of ${enclosing(n)} (${at})`;
    }
    if (ts.isFunctionDeclaration(n)) return `a function declared inside ${enclosing(n)} (${at})`;
    if (ts.isClassDeclaration(n) || ts.isClassExpression(n)) {
      return `a class declared inside ${enclosing(n)} (${at})`;
    }
    return `a local declaration of ${enclosing(n)} (${at})`;
  }

  /**
   * The error for a file read here that changed on disk after `since` (ms since the epoch, when
   * the declaration was made): what runs is the imported version, not the file. A modification
   * time in the future is not taken as an edit.
   */
  stale(since: number, what: string): CompileError | undefined {
    const now = Date.now();
    for (const module of this.modules.values()) {
      if (module.mtime === undefined || !(module.mtime > since && module.mtime <= now)) continue;
      return new CompileError(
        `${module.display} was modified on disk (${
          new Date(module.mtime).toISOString()
        }) after ${what} was ` +
          `declared from the module imported before (${
            new Date(since).toISOString()
          }): the file is not the ` +
          `code that runs (import the module again, or restart the process, to plan the edited file)`,
        module.display,
      );
    }
    return undefined;
  }

  where(module: ModuleInfo, node: TS.Node): { text: string; line: number; column: number } {
    const { line, character } = module.source.getLineAndCharacterOfPosition(node.getStart(module.source));
    return { text: `${module.display}:${line + 1}:${character + 1}`, line: line + 1, column: character + 1 };
  }

  /** Throws the error for an unsupported construct. */
  fail(module: ModuleInfo, node: TS.Node, construct: string, advice?: string): never {
    const at = this.where(module, node);
    throw new CompileError(
      `${construct} is not supported in a compiled kernel (${at.text}): ${
        advice ??
          "rewrite it with the documented subset (see kernels/lower.ts) or keep this mechanism live"
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
}
