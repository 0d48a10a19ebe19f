/**
 * NMODL import: turns a `.mod` file (the dialect Arbor accepts) into a readable TypeScript
 * pointwise mechanism that runs live, compiles with `deno task catalogue`, and keeps Arbor's
 * names, units, defaults and ranges. See docs/nmodl.md.
 *
 * @example
 * ```ts
 * import { importNmodl } from "./mod.ts";
 * const { source, className } = await importNmodl(
 *   "NEURON { SUFFIX leak NONSPECIFIC_CURRENT i RANGE g }\n" +
 *     "PARAMETER { g = 0.001 (S/cm2) }\nBREAKPOINT { i = g*(v + 65) }",
 *   { file: "leak.mod", format: false },
 * );
 * console.log(className, source.length > 0);
 * ```
 *
 * @module
 */
import { generateMechanism } from "./generate.ts";
import { parseNmodl } from "./parser.ts";

export { NmodlError } from "./error.ts";
export {
  EXPORT_MARK,
  type ExportedNmodl,
  exportNmodl,
  type ExportOptions,
  ExportRefusal,
  NMODL_DIALECTS,
  type NmodlDialect,
} from "./export.ts";

/** Options of {@link importNmodl}. */
export interface ImportOptions {
  /** The file's name, for errors and the default mechanism name (its stem); default `"<input>"`. */
  file?: string;
  /** Catalogue name; default: the file's stem, as Arbor's modcc names mechanisms. */
  name?: string;
  /** Module specifier the generated code imports denocat from; default: this package's mod.ts. */
  denocat?: string;
  /** Format the output with `deno fmt` (needs permission to run Deno); default true. */
  format?: boolean;
}

/** What {@link importNmodl} returns. */
export interface ImportResult {
  /** The TypeScript module. */
  source: string;
  /** Mechanism name in the catalogue. */
  name: string;
  /** The exported class. */
  className: string;
  /** Where the translation differs from NMODL's semantics, one sentence each. */
  notes: string[];
}

/** The specifier of denocat's entry module, as a URL. */
export const DENOCAT_ENTRY: string = new URL("../mod.ts", import.meta.url).href;

/**
 * Translates the NMODL text `source` into a TypeScript pointwise mechanism module. Throws an
 * `NmodlError` naming the construct and its file:line:column for anything it cannot translate.
 *
 * @example
 * ```ts
 * import { importNmodl } from "./mod.ts";
 * const text = await Deno.readTextFile("tests/data/nmodl/passive.mod");
 * const result = await importNmodl(text, { file: "passive.mod" });
 * await Deno.writeTextFile("passive.ts", result.source);
 * ```
 */
export async function importNmodl(source: string, options: ImportOptions = {}): Promise<ImportResult> {
  const file = options.file ?? "<input>";
  const tree = parseNmodl(source, file);
  const generated = generateMechanism(tree, {
    name: options.name,
    denocat: options.denocat ?? DENOCAT_ENTRY,
  });
  const notes = [...generated.notes];
  let text = generated.source;
  if (options.format !== false) {
    const formatted = await formatTypeScript(generated.source, FORMAT_TIMEOUT_MS).catch((error: Error) => {
      if (error instanceof Deno.errors.NotCapable || error instanceof Deno.errors.PermissionDenied) {
        throw error;
      }
      return error;
    });
    if (typeof formatted === "string") text = formatted;
    else {
      // deno fmt gives up (or takes minutes) on deeply nested calls; the module is still valid.
      notes.push(`the module is not formatted: ${formatted.message.split("\n")[0]}`);
    }
  }
  return { source: text, name: generated.name, className: generated.className, notes };
}

/** How long `deno fmt` may take before the module is returned unformatted (minutes on deeply nested calls). */
const FORMAT_TIMEOUT_MS = 20_000;

/**
 * Formats TypeScript with `deno fmt` (this project's line width, 110); with `timeoutMs`, a
 * formatter still running then is stopped and an error thrown.
 */
export async function formatTypeScript(source: string, timeoutMs?: number): Promise<string> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["fmt", "--ext=ts", "--line-width=110", "-"],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let timedOut = false;
  const timer = timeoutMs === undefined ? undefined : setTimeout(() => {
    timedOut = true;
    try {
      child.kill("SIGKILL");
    } catch {
      // ended already
    }
  }, timeoutMs);
  let result: Deno.CommandOutput;
  try {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(source)).catch(() => {});
    await writer.close().catch(() => {});
    result = await child.output();
  } finally {
    clearTimeout(timer);
  }
  const { code, stdout, stderr } = result;
  if (timedOut) throw new Error(`deno fmt did not finish within ${timeoutMs! / 1000} s`);
  if (code !== 0) {
    const why = new TextDecoder().decode(stderr).trim().split("\n")[0];
    throw new Error(
      `deno fmt could not format the generated code (${
        result.signal ? `signal ${result.signal}` : `exit code ${code}`
      })${why ? `: ${why}` : ""}`,
    );
  }
  return new TextDecoder().decode(stdout);
}
