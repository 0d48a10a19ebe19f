/**
 * `denocat export <module.ts> -o DIR [--dialect arbor|neuron]`: every `@mechanism` class (and
 * `defineMechanism` declaration) the module exports, printed as one NMODL file `DIR/<name>.mod` (nmodl/export.ts). `main` is what
 * `denocat export` calls.
 *
 * The output folder is denocat's: a folder holding any file that denocat export did not write
 * (its first line is not {@link EXPORT_MARK}) is refused before anything is written, so a user's
 * file is never replaced; files denocat wrote are replaced, each whole or not at all
 * (platform/files.ts). A mechanism that cannot be exported is named with the reason, the others
 * are still written, and the exit status is then 1.
 *
 * @module
 */
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { FileRefusedError, writeFileAtomic } from "../platform/files.ts";
import {
  EXPORT_MARK,
  exportNmodl,
  ExportRefusal,
  NMODL_DIALECTS,
  type NmodlDialect,
} from "../nmodl/export.ts";
import { declarationOf, declaredClasses } from "../mechanism/declare.ts";
import type { DeclaredMechanism } from "../mechanism/types.ts";

const USAGE = "usage: denocat export <module.ts> -o DIR [--dialect arbor|neuron]\n" +
  "  writes DIR/<name>.mod for every @mechanism class the module exports; DIR may hold only files\n" +
  "  denocat export wrote (they are replaced); --dialect arbor (Arbor's modcc, the default) or neuron";

/** Whether the file's bytes begin with the export mark (denocat wrote it). */
function ours(bytes: Uint8Array): boolean {
  return new TextDecoder().decode(bytes.subarray(0, EXPORT_MARK.length * 4)).startsWith(EXPORT_MARK);
}

/**
 * Runs `denocat export` with command-line `args`; returns the exit status (0 every mechanism
 * written, 1 some refused or failed, 2 bad usage).
 *
 * @example
 * ```ts ignore
 * import { main } from "./export.ts";
 * const status = await main(["examples/catalogue/hh.ts", "-o", "nmodl-out"]);
 * console.log(status); // 0
 * ```
 */
export async function main(args: string[]): Promise<number> {
  let input: string | undefined, out: string | undefined, dialect: NmodlDialect = "arbor";
  for (let k = 0; k < args.length; k++) {
    const a = args[k];
    const value = () => args[++k];
    if (a === "-o" || a === "--output") out = value();
    else if (a === "--dialect") {
      const d = value();
      if (!NMODL_DIALECTS.includes(d as NmodlDialect)) {
        console.error(`--dialect ${d ?? "(missing)"}: use ${NMODL_DIALECTS.join(" or ")}\n${USAGE}`);
        return 2;
      }
      dialect = d as NmodlDialect;
    } else if (a === "-h" || a === "--help") {
      console.log(USAGE);
      return 0;
    } else if (a.startsWith("-")) {
      console.error(`unknown option ${a}\n${USAGE}`);
      return 2;
    } else if (input === undefined) input = a;
    else {
      console.error(`a second module ${a}: export one module at a time\n${USAGE}`);
      return 2;
    }
  }
  if (input === undefined || out === undefined) {
    console.error(`${input === undefined ? "no module given" : "no output folder given (-o DIR)"}\n${USAGE}`);
    return 2;
  }
  if (!/\.(ts|mts|js|mjs)$/.test(input)) {
    console.error(`${input}: give the TypeScript module that declares the mechanisms (.ts)\n${USAGE}`);
    return 2;
  }
  // The folder: created when missing; refused when it holds anything denocat export did not write.
  try {
    const info = Deno.statSync(out);
    if (!info.isDirectory) {
      console.error(`refused: -o ${out} is not a folder`);
      return 1;
    }
    const foreign: string[] = [];
    for (const entry of Deno.readDirSync(out)) {
      const path = join(out, entry.name);
      const mine = entry.isFile && entry.name.endsWith(".mod") && ours(Deno.readFileSync(path));
      if (!mine) foreign.push(entry.name);
    }
    if (foreign.length > 0) {
      console.error(
        `refused: -o ${out} holds ${
          foreign.length === 1 ? "a file" : "files"
        } denocat export did not write (${foreign.sort().slice(0, 5).join(", ")}${
          foreign.length > 5 ? ", ..." : ""
        }): give an empty or new folder, or one that only denocat export wrote to`,
      );
      return 1;
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    try {
      Deno.mkdirSync(out);
    } catch (cause) {
      console.error(`cannot create the folder ${out}: ${(cause as Error).message}`);
      return 1;
    }
  }
  let module: Record<string, unknown>;
  try {
    module = await import(pathToFileURL(resolve(input)).href);
  } catch (error) {
    console.error(`error: importing ${input} failed: ${(error as Error).message}`);
    return 1;
  }
  // @mechanism classes, and defineMechanism declarations.
  const classes = Object.entries(module).filter(([, value]) =>
    typeof value === "function"
      ? declaredClasses.has(value)
      : typeof value === "object" && value !== null && declarationOf(value as DeclaredMechanism) !== undefined
  ) as [string, (abstract new () => unknown) | DeclaredMechanism][];
  if (classes.length === 0) {
    console.error(
      `refused: ${input} exports no @mechanism class or defineMechanism declaration: nothing to export`,
    );
    return 1;
  }
  let status = 0;
  const written = new Map<string, string>();
  for (const [name, cls] of classes) {
    try {
      const result = await exportNmodl(cls, { dialect });
      const path = join(out, result.file);
      const before = written.get(result.file);
      if (before !== undefined) {
        console.error(`refused: ${name}: mechanism '${result.name}' was written already, from ${before}`);
        status = 1;
        continue;
      }
      written.set(result.file, name);
      await writeFileAtomic(path, result.text, { ours });
      console.error(`${name}: wrote ${path}`);
      for (const note of result.notes) console.error(`note: ${note}`);
    } catch (error) {
      if (error instanceof ExportRefusal || error instanceof FileRefusedError) {
        console.error(`refused: ${name}: ${error.message}`);
      } else console.error(`error: ${name}: ${error instanceof Error ? error.message : String(error)}`);
      status = 1;
    }
  }
  return status;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
