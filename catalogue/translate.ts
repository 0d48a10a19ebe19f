/**
 * Compiled mode, step 1: reads a TypeScript module, finds its `@mechanism` classes (and those of
 * the relative modules it imports), and builds the kernel plan of each pointwise one
 * (kernels/plan.ts), which catalogue/emit.ts prints as C.
 *
 * What comes from where:
 *  - every piece of metadata (names, kind, fields, defaults, ranges, ions, flags, method,
 *    isLinear, hasPostEvents, assigned) from the RUNTIME declaration: the module is imported and
 *    each `@mechanism` class is read with `specOf` (mod.ts);
 *  - the kernel BODIES from the source text, parsed with the TypeScript compiler API (never
 *    matched with regexes), in the subset documented in kernels/lower.ts, and only where that
 *    text is the function the imported class runs (kernels/running.ts): a module edited after
 *    this process imported it is refused, naming the file.
 *
 * @module
 */
import { join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { REPOSITORY_ROOT } from "../platform/toolchain.ts";
import { kernelRuntimeOf, specOf } from "../mechanism/declare.ts";
import { buildPlan, type MechanismPlan } from "../kernels/plan.ts";
import { CompileError, loadTypeScript, type ModuleInfo, Sources, type TS } from "../kernels/source.ts";

export { CompileError, loadTypeScript };

/** One mechanism, planned. */
export interface TranslatedMechanism {
  /** Its kernel plan. */
  plan: MechanismPlan;
  /** Class name in the source. */
  className: string;
  /** `file:line` of the class. */
  location: string;
  /** Prefix of every C name of this mechanism (`mech_hh`). */
  prefix: string;
}

/** What `translateModule` returns. */
export interface Translation {
  /** The module's path. */
  module: string;
  /** Planned mechanisms, in discovery order. */
  mechanisms: TranslatedMechanism[];
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

/** An ASCII C identifier stem for a mechanism name (the prefix is made unique by a counter). */
function cStem(name: string): string {
  return name.replace(/[^A-Za-z0-9_]/g, "_");
}

/**
 * The C name prefix of a mechanism (`mech_hh`), made unique among `taken` (and added to it).
 * Every C name of a mechanism is `<prefix>_<suffix>`, so two prefixes where one followed by `_`
 * begins the other could collide (`mech_a` + `_hook_write_ions` is `mech_a_hook_write` + `_ions`, for
 * the legal names `a` and `a_hook_write`): such a prefix is refused too, and the later mechanism becomes
 * `mech2_<stem>` (`mech3_...`), which neither begins nor is begun by another.
 */
export function uniquePrefix(name: string, taken: Set<string>): string {
  const stem = cStem(name);
  const clashes = (prefix: string) =>
    [...taken].some((t) => t === prefix || t.startsWith(`${prefix}_`) || prefix.startsWith(`${t}_`));
  let prefix = `mech_${stem}`;
  for (let k = 2; clashes(prefix); k++) prefix = `mech${k}_${stem}`;
  taken.add(prefix);
  return prefix;
}

function hasMechanismDecorator(ts: typeof TS, cls: TS.ClassDeclaration): boolean {
  return (ts.getDecorators(cls) ?? []).some((d) => {
    const e = d.expression;
    const callee = ts.isCallExpression(e) ? e.expression : e;
    return (ts.isIdentifier(callee) && callee.text === "mechanism") ||
      (ts.isPropertyAccessExpression(callee) && callee.name.text === "mechanism");
  });
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
  const p = new Sources(ts);
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
      const prefix = uniquePrefix(spec.name, prefixes);
      const plan = buildPlan(p, { kind: "class", module, node: cls }, {
        spec,
        method: declaration.method,
        kernels: declaration.kernels,
        owner: `class ${className}`,
        // The functions that run: a file edited since this process imported it is refused.
        runtime: kernelRuntimeOf(runtime),
      });
      const mech: TranslatedMechanism = { plan, className, location: at.text.replace(/:\d+$/, ""), prefix };
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
  return { module: path, mechanisms, notes, sources: order.map((m) => m.display) };
}

/** Joins a path to the repository root (for tests and tools). */
export function repositoryPath(...parts: string[]): string {
  return join(REPOSITORY_ROOT, ...parts);
}
