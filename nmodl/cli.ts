/**
 * `deno task import <file.mod> [-o file.ts] [--name name]`: translates an NMODL file into a
 * TypeScript pointwise mechanism (printed, or written to `-o`). `main` is also what
 * `denocat import` calls.
 *
 * @module
 */
import { dirname, isAbsolute, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { DENOCAT_ENTRY, importNmodl, NmodlError } from "./mod.ts";

const USAGE = "usage: deno task import <file.mod> [-o file.ts] [--name mechanism] [--denocat specifier]";

/**
 * The specifier a module written to `out` imports denocat by: a relative path when `out` lies in
 * this checkout (so the checkout can move), else denocat's entry as a URL.
 */
function denocatFor(out: string | undefined): string {
  if (out === undefined || !DENOCAT_ENTRY.startsWith("file:")) return DENOCAT_ENTRY;
  const entry = fileURLToPath(DENOCAT_ENTRY);
  const inside = relative(dirname(entry), resolve(out));
  if (inside.startsWith("..") || isAbsolute(inside)) return DENOCAT_ENTRY;
  const path = relative(dirname(resolve(out)), entry).replaceAll("\\", "/");
  return path.startsWith(".") ? path : `./${path}`;
}

/**
 * Runs the importer with command-line `args`; returns the exit status (0 imported, 1 refused or
 * failed, 2 bad usage). Messages go to stderr, the module to stdout unless `-o` is given.
 *
 * @example
 * ```ts
 * import { main } from "./cli.ts";
 * const status = await main(["tests/data/nmodl/hh.mod", "-o", "hh.ts"]);
 * console.log(status); // 0
 * ```
 */
export async function main(args: string[]): Promise<number> {
  let input: string | undefined,
    out: string | undefined,
    name: string | undefined,
    denocat: string | undefined;
  for (let k = 0; k < args.length; k++) {
    const a = args[k];
    const value = () => {
      const v = args[++k];
      if (v === undefined) throw new UsageError(`${a} needs a value`);
      return v;
    };
    try {
      if (a === "-o" || a === "--output") out = value();
      else if (a === "--name") name = value();
      else if (a === "--denocat") denocat = value();
      else if (a === "-h" || a === "--help") {
        console.log(USAGE);
        return 0;
      } else if (a.startsWith("-")) throw new UsageError(`unknown option ${a}`);
      else if (input === undefined) input = a;
      else throw new UsageError(`a second input file ${a}: import one file at a time`);
    } catch (error) {
      console.error(`${(error as Error).message}\n${USAGE}`);
      return 2;
    }
  }
  if (input === undefined) {
    console.error(`no .mod file given\n${USAGE}`);
    return 2;
  }
  let text: string;
  try {
    text = await Deno.readTextFile(input);
  } catch (error) {
    console.error(`cannot read ${input}: ${(error as Error).message}`);
    return 1;
  }
  try {
    const result = await importNmodl(text, { file: input, name, denocat: denocat ?? denocatFor(out) });
    if (out === undefined) console.log(result.source);
    else {
      await Deno.writeTextFile(out, result.source);
      console.error(`${input}: wrote ${out} (class ${result.className}, mechanism "${result.name}")`);
    }
    for (const note of result.notes) console.error(`note: ${note}`);
    return 0;
  } catch (error) {
    if (error instanceof NmodlError) {
      console.error(`refused: ${error.message}`);
      return 1;
    }
    throw error;
  }
}

class UsageError extends Error {}

if (import.meta.main) Deno.exit(await main(Deno.args));
