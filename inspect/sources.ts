/**
 * Where the mechanisms `inspect` looks at come from: a `@mechanism` class, a `defineMechanism`
 * result, a TypeScript or JavaScript module (imported; the mechanisms it exports or declares), or
 * an NMODL `.mod` file (imported with the NMODL importer into a temporary module, then loaded).
 * Each becomes one declared mechanism with a label for legends and reports.
 *
 * @module
 */
import { basename, join, relative, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { importNmodl } from "../nmodl/mod.ts";
import { declarationOf, declaredClasses, defaultRegistry } from "../mechanism/declare.ts";
import type { DeclaredMechanism, MechanismClass } from "../mechanism/types.ts";
import { describe, InspectError } from "./quantity.ts";

/** A mechanism to inspect: a declared class or definition, or the path of a module or a `.mod` file. */
export type InspectSource = MechanismClass | DeclaredMechanism | string | URL;

/** A source with what to call it and how to set it up. */
export interface InspectEntry {
  /** The mechanism, or where it is. */
  source: InspectSource;
  /** Which mechanism of a module that declares several (its catalogue name, or its class name). */
  mechanism?: string;
  /** Legend and report label (default: the mechanism name, with its file when two would be equal). */
  label?: string;
  /** Parameter or global values of this one (by Arbor name), over `InspectOptions.parameters`. */
  parameters?: Readonly<Record<string, number>>;
}

/** A source resolved to one declared mechanism. */
export interface ResolvedSource {
  /** The mechanism. */
  declared: DeclaredMechanism;
  /** Its label. */
  label: string;
  /** Where it came from: a file name, or a class name. */
  origin: string;
  /** The file it came from (absolute), when known. */
  file?: string;
  /** This entry's own parameter values. */
  parameters: Readonly<Record<string, number>>;
}

/** File extensions Deno imports as modules. */
const MODULE = /\.(ts|mts|cts|tsx|js|mjs|cjs|jsx)$/;

/** Whether `value` is a declared mechanism object (`defineMechanism`'s result). */
function isDeclared(value: unknown): value is DeclaredMechanism {
  return typeof value === "object" && value !== null &&
    declarationOf(value as DeclaredMechanism) !== undefined;
}

/** A temporary folder for the modules of imported `.mod` files, removed by `cleanup`. */
export class Workspace {
  #folder: string | undefined;

  /** Writes `text` as a new module named after `stem`; returns its path. */
  async module(stem: string, text: string): Promise<string> {
    this.#folder ??= await Deno.makeTempDir({ prefix: "denocat-inspect-" });
    const path = join(
      this.#folder,
      `${stem.replace(/[^A-Za-z0-9_-]/g, "_")}_${crypto.randomUUID().slice(0, 8)}.ts`,
    );
    await Deno.writeTextFile(path, text);
    return path;
  }

  /** Removes the folder (the modules stay loaded). */
  async cleanup(): Promise<void> {
    if (this.#folder !== undefined) await Deno.remove(this.#folder, { recursive: true }).catch(() => {});
    this.#folder = undefined;
  }
}

/** Resolves one entry (a plain source is an entry without options). */
export async function resolveSource(
  entry: InspectSource | InspectEntry,
  fallbackName: string | undefined,
  workspace: Workspace,
): Promise<ResolvedSource> {
  const given = isEntry(entry) ? entry : { source: entry };
  const wanted = given.mechanism ?? fallbackName;
  const { source } = given;
  const parameters = given.parameters ?? {};
  let found: { declared: DeclaredMechanism; origin: string; file?: string };
  if (typeof source === "function") {
    const declared = declaredClasses.get(source);
    if (declared === undefined) {
      throw new InspectError(`class ${source.name} is not a mechanism: decorate it with @mechanism(...)`);
    }
    const file = fileOf(declared);
    found = { declared, origin: file ? basename(file) : `class ${source.name}`, file };
  } else if (isDeclared(source)) {
    const file = fileOf(source);
    found = { declared: source, origin: file ? basename(file) : declarationOf(source)!.owner, file };
  } else if (typeof source === "string" || source instanceof URL) {
    const path = source instanceof URL || source.startsWith("file:")
      ? fileURLToPath(source)
      : resolve(source);
    found = {
      ...(path.endsWith(".mod")
        ? await fromNmodl(path, wanted, workspace)
        : await fromModule(path, String(source), wanted)),
      file: path,
    };
  } else {
    throw new InspectError(
      `inspect: a source is a @mechanism class, a defineMechanism result, or the path of a module or a .mod ` +
        `file; got ${describe(source)}`,
    );
  }
  return {
    ...found,
    label: given.label ?? found.declared.spec.name,
    parameters,
  };
}

/** The file a mechanism was declared in, when it is a local file. */
function fileOf(declared: DeclaredMechanism): string | undefined {
  const url = declarationOf(declared)?.site?.url;
  return url?.startsWith("file:") ? fileURLToPath(url) : undefined;
}

function isEntry(value: unknown): value is InspectEntry {
  return typeof value === "object" && value !== null && !(value instanceof URL) && !isDeclared(value) &&
    "source" in value;
}

async function fromNmodl(
  path: string,
  wanted: string | undefined,
  workspace: Workspace,
): Promise<{ declared: DeclaredMechanism; origin: string }> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    throw new InspectError(`no NMODL file at ${path} (${(error as Error).message})`);
  }
  const file = basename(path);
  const result = await importNmodl(text, { file: path, format: false });
  if (wanted !== undefined && wanted !== result.name && wanted !== result.className) {
    throw new InspectError(`${file} declares mechanism '${result.name}', not '${wanted}'`);
  }
  const module = await workspace.module(result.name, result.source);
  const loaded = await import(pathToFileURL(module).href);
  const declared = declaredClasses.get(loaded[result.className]);
  if (declared === undefined) {
    throw new Error(`internal: the module imported from ${file} declares no class ${result.className}`);
  }
  return { declared, origin: file };
}

async function fromModule(
  path: string,
  shown: string,
  wanted: string | undefined,
): Promise<{ declared: DeclaredMechanism; origin: string }> {
  if (!MODULE.test(path)) {
    throw new InspectError(
      `${shown} is neither a TypeScript or JavaScript module (.ts, .mts, .tsx, .js, .mjs) nor an NMODL file (.mod)`,
    );
  }
  try {
    await Deno.stat(path);
  } catch {
    throw new InspectError(`no module at ${shown}`);
  }
  const url = pathToFileURL(path).href;
  let exports: Record<string, unknown>;
  try {
    exports = await import(url);
  } catch (error) {
    throw new InspectError(`importing ${shown} failed: ${(error as Error).message}`);
  }
  // What it exports, then what it declared without exporting, in declaration order.
  const candidates: { declared: DeclaredMechanism; names: string[] }[] = [];
  const add = (declared: DeclaredMechanism, ...names: string[]) => {
    const known = candidates.find((c) => c.declared === declared);
    if (known) known.names.push(...names);
    else candidates.push({ declared, names: [declared.spec.name, ...names] });
  };
  for (const [name, value] of Object.entries(exports)) {
    if (typeof value === "function" && declaredClasses.has(value)) {
      add(declaredClasses.get(value)!, name, value.name);
    } else if (isDeclared(value)) add(value, name);
  }
  for (const declared of defaultRegistry) {
    if (declarationOf(declared)?.site?.url === url) add(declared);
  }
  // In declaration order (a module namespace lists its exports alphabetically).
  const rank = (d: DeclaredMechanism) => {
    const k = defaultRegistry.indexOf(d);
    return k < 0 ? Infinity : k;
  };
  candidates.sort((a, b) => rank(a.declared) - rank(b.declared));
  const file = basename(path);
  if (candidates.length === 0) {
    throw new InspectError(
      `${shown} declares no mechanism: decorate a class with @mechanism(...) and export it`,
    );
  }
  if (wanted !== undefined) {
    const match = candidates.find((c) => c.names.includes(wanted));
    if (match === undefined) {
      throw new InspectError(
        `${shown} has no mechanism '${wanted}'; it declares ${
          candidates.map((c) => c.declared.spec.name).join(", ")
        }`,
      );
    }
    return { declared: match.declared, origin: file };
  }
  if (candidates.length > 1) {
    throw new InspectError(
      `${shown} declares ${candidates.length} mechanisms (${
        candidates.map((c) => c.declared.spec.name).join(", ")
      }): choose one with --mechanism NAME (mechanism: "NAME")`,
    );
  }
  return { declared: candidates[0].declared, origin: file };
}

/** A path as a person reads it: from the working folder when it lies below it, else whole. */
function shown(path: string): string {
  const from = relative(Deno.cwd(), path);
  return from === "" || from.startsWith("..") ? path : from;
}

/**
 * Labels made unique: a label two sources share gets each one's origin in parentheses (its file
 * name), or its path from the working folder where two files share a name, or a number.
 */
export function uniqueLabels(sources: ResolvedSource[]): ResolvedSource[] {
  const shared = (list: ResolvedSource[], k: number) =>
    list.filter((s) => s.label === list[k].label).length > 1;
  let out = sources.map((s, k) => (shared(sources, k) ? { ...s, label: `${s.label} (${s.origin})` } : s));
  out = out.map((s, k) =>
    shared(out, k) && s.file !== undefined ? { ...s, label: `${sources[k].label} (${shown(s.file)})` } : s
  );
  const seen = new Map<string, number>();
  return out.map((s) => {
    const n = (seen.get(s.label) ?? 0) + 1;
    seen.set(s.label, n);
    return n > 1 ? { ...s, label: `${s.label} #${n}` } : s;
  });
}
