/**
 * The one way from declared mechanisms to the plans a C catalogue is printed from.
 *
 * Every target plans a mechanism the same way: from the place where it was declared, from the
 * functions that run (kernels/live.ts, kernels/running.ts), through mechanism/declare.ts (`planAll`
 * once per declaration for `catalogue()`, `planNow` afresh for each compile, so that a file edited
 * since the declaration is refused rather than compiled from a stale plan). What differs is only what a target accepts: the
 * JavaScript target runs a kernel the plan cannot express as the user's own function (an opaque
 * call), while C has no such thing, so the native target and compiled catalogues take a plan only
 * when every kernel was lowered ({@link strictPlan}), and refuse with the reason and the location
 * otherwise.
 *
 * Compiled mode ({@link planModule}) imports a module, which declares its mechanisms, and takes
 * from the registry the `@mechanism` classes declared in that module and in the relative modules
 * it imports, in source order. The native target takes the mechanisms given to `catalogue()`. Both
 * end in {@link plannedCatalogue}: plans with the unique C name prefixes catalogue/emit.ts prints.
 *
 * @module
 */
import { fileURLToPath, pathToFileURL } from "node:url";
import { resolve } from "node:path";
import { locateOwner, type MechanismPlan } from "../kernels/plan.ts";
import { CompileError, loadTypeScript, type ModuleInfo, Sources } from "../kernels/source.ts";
import { declarationOf, defaultRegistry, planNow } from "../mechanism/declare.ts";
import type { DeclaredMechanism } from "../mechanism/types.ts";

export { CompileError };

/** One mechanism of a C catalogue: its plan and the prefix of its C names. */
export interface PlannedMechanism {
  /** Its kernel plan, every kernel lowered. */
  plan: MechanismPlan;
  /** Prefix of every C name of this mechanism (`mech_hh`). */
  prefix: string;
}

/** The mechanisms of one C catalogue, planned. */
export interface PlannedCatalogue {
  /** In catalogue order. */
  mechanisms: PlannedMechanism[];
  /** Source files the plans were read from, for the C file's header comment. */
  sources: string[];
  /** Notes (raw-hook mechanisms left out with `skipRaw`). */
  notes: string[];
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
 *
 * @example
 * ```ts
 * const taken = new Set<string>();
 * uniquePrefix("hh", taken); // "mech_hh"
 * uniquePrefix("hh", taken); // "mech2_hh"
 * ```
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

/** The file of a plan's `at` (`file:line:column`). */
function fileOf(at: string): string {
  return at.replace(/:\d+:\d+$/, "");
}

/**
 * The plan as C can run it: every kernel lowered. A kernel that would run as the user's own
 * function in JavaScript is refused here with the error that kept it from being lowered (its
 * file:line:column), or with the reason the whole declaration could not be read.
 *
 * @example
 * ```ts ignore
 * const plan = strictPlan((await planNow(declared))!); // throws CompileError when a kernel is opaque
 * ```
 */
export function strictPlan(plan: MechanismPlan): MechanismPlan {
  const first = plan.opaque[0];
  if (first === undefined) return plan;
  if (first.error !== undefined) throw first.error;
  throw new CompileError(
    `mechanism '${plan.spec.name}' (${plan.owner}, ${plan.at}): ${first.reason}`,
    fileOf(plan.at),
  );
}

/**
 * The C catalogue of `plans`, in the order given: each gets a unique C name prefix.
 *
 * @example
 * ```ts ignore
 * const planned = plannedCatalogue(plans);
 * planned.mechanisms.map((m) => m.prefix); // ["mech_hh", "mech_pas"]
 * ```
 */
export function plannedCatalogue(plans: readonly MechanismPlan[], notes: string[] = []): PlannedCatalogue {
  const taken = new Set<string>();
  return {
    mechanisms: plans.map((plan) => ({ plan, prefix: uniquePrefix(plan.spec.name, taken) })),
    sources: [...new Set(plans.map((plan) => fileOf(plan.at)))],
    notes,
  };
}

/** Options of {@link planModule}. */
export interface PlanModuleOptions {
  /** Leave raw-hook mechanisms out with a note instead of failing. */
  skipRaw?: boolean;
}

/**
 * Imports `modulePath` and plans, for C, every `@mechanism` class declared in it or in the
 * relative modules it imports (in the order of a depth-first walk of those imports, then of the
 * source). Throws a `CompileError` with file:line:column for anything C cannot run.
 *
 * @example
 * ```ts ignore
 * const planned = await planModule("examples/catalogue/mod.ts");
 * planned.mechanisms.map((m) => m.plan.spec.name); // ["hh", "pas", ...]
 * ```
 */
export async function planModule(
  modulePath: string,
  options: PlanModuleOptions = {},
): Promise<PlannedCatalogue> {
  const path = modulePath.startsWith("file:") ? fileURLToPath(modulePath) : resolve(modulePath);
  const sources = new Sources(await loadTypeScript());
  const entry = sources.module(path);
  // Importing declares every mechanism of the module: the registry is the source of metadata.
  try {
    await import(pathToFileURL(path).href);
  } catch (cause) {
    throw new CompileError(`importing ${entry.display} failed: ${(cause as Error).message}`, entry.display);
  }
  const order = new Map<string, ModuleInfo>();
  const visit = (module: ModuleInfo) => {
    if (order.has(module.path)) return;
    order.set(module.path, module);
    for (const dependency of sources.dependencies(module)) visit(sources.module(dependency));
  };
  visit(entry);
  const rank = [...order.keys()];
  const found: {
    declared: DeclaredMechanism;
    module: ModuleInfo;
    line: number;
    column: number;
    owner: string;
  }[] = [];
  for (const declared of defaultRegistry) {
    const record = declarationOf(declared);
    if (record?.site === undefined || !record.site.url.startsWith("file:")) continue;
    const module = order.get(fileURLToPath(record.site.url));
    if (module === undefined) continue;
    // The class as the source has it (its decorator included), for messages; else the call site.
    const node = locateOwner(sources, module, record.site.line, record.site.column)?.node;
    const { line, column } = node ? sources.where(module, node) : record.site;
    found.push({ declared, module, line, column, owner: record.owner });
  }
  found.sort((a, b) =>
    rank.indexOf(a.module.path) - rank.indexOf(b.module.path) || a.line - b.line || a.column - b.column
  );
  const notes: string[] = [];
  const names = new Map<string, string>();
  const selected: DeclaredMechanism[] = [];
  for (const { declared, module, line, column, owner } of found) {
    const at = `${module.display}:${line}:${column}`;
    const { spec } = declared;
    const record = declarationOf(declared)!;
    if (!record.pointwise) {
      const message = `mechanism '${spec.name}' (${owner}, ${at}) uses raw hooks (${
        record.hooks.join(", ") || "none"
      }), which cannot be compiled to C: only pointwise kernels can`;
      if (options.skipRaw) {
        notes.push(`skipped ${message}; it stays live-only`);
        continue;
      }
      throw new CompileError(
        `${message}. Rewrite it as a PointwiseMechanism, or pass --skip-raw (skipRaw) to leave it out`,
        module.display,
        line,
        column,
      );
    }
    const previous = names.get(spec.name);
    if (previous !== undefined) {
      throw new CompileError(
        `mechanism name '${spec.name}' is declared twice (${previous} and ${at})`,
        module.display,
        line,
        column,
      );
    }
    names.set(spec.name, at);
    selected.push(declared);
  }
  if (selected.length === 0) {
    throw new CompileError(
      `${entry.display} declares no compilable @mechanism class${
        notes.length ? ` (${notes.join("; ")})` : ""
      }`,
      entry.display,
    );
  }
  const plans: MechanismPlan[] = [];
  for (const declared of selected) plans.push(strictPlan((await planNow(declared))!));
  const planned = plannedCatalogue(plans, notes);
  // Every module read, not only those that declare: the C file names what it was made from.
  planned.sources = [...order.values()].map((module) => module.display);
  return planned;
}
