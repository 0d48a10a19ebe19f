/**
 * `deno task import <file.mod> [-o file.ts] [--name name] [--force]`: translates an NMODL file
 * into a TypeScript pointwise mechanism (printed, or written to `-o`). `main` is also what
 * `denocat import` calls.
 *
 * `-o` is written as every file denocat writes (platform/files.ts): a file the importer did not
 * write, or a symbolic link, is refused unless `--force`; the input itself never; the module
 * appears whole or not at all.
 *
 * @module
 */
import { dirname, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { checkTarget, FileRefusedError, holds, writeFileAtomic } from "../platform/files.ts";
import { DENOCAT_ENTRY, importNmodl, NmodlError } from "../nmodl/mod.ts";

const USAGE =
  "usage: deno task import <file.mod> [-o file.ts] [--name mechanism] [--denocat specifier] [--force]\n" +
  "  -o names the TypeScript file to write (else stdout); an existing file is replaced only when the\n" +
  "  importer wrote it, or with --force";

/** What the importer writes at the top of every module (nmodl/generate.ts): its mark. */
const MARK = "by denocat's NMODL importer";

/** Arbor mechanism names: what `catalogue()` accepts. */
const MECHANISM_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The specifier a module written to `out` (stdout: the working directory) imports denocat by:
 * from a checkout, the relative path from that file to the checkout's mod.ts (the module keeps
 * working when both move together, and holds no path of this machine); from JSR, the package's
 * `jsr:` specifier; else denocat's entry as a URL.
 */
export function denocatFor(out: string | undefined, entry: string = DENOCAT_ENTRY): string {
  const jsr = /^https:\/\/jsr\.io\/(@[^/]+\/[^/]+)\/([^/]+)\/mod\.ts$/.exec(entry);
  if (jsr) return `jsr:${jsr[1]}@${jsr[2]}`;
  if (!entry.startsWith("file:")) return entry;
  const from = out === undefined ? resolve(".") : dirname(resolve(out));
  const path = relative(from, fileURLToPath(entry)).replaceAll("\\", "/");
  return path.startsWith(".") || path.startsWith("/") ? path : `./${path}`;
}

/** The same file? (the same path, or the same inode through a link) */
function sameFile(a: string, b: string): boolean {
  if (resolve(a) === resolve(b)) return true;
  try {
    const [x, y] = [Deno.statSync(a), Deno.statSync(b)];
    return x.dev === y.dev && x.ino !== null && x.ino === y.ino;
  } catch {
    return false;
  }
}

/**
 * Runs the importer with command-line `args`; returns the exit status (0 imported, 1 refused or
 * failed, 2 bad usage). Messages go to stderr, the module to stdout unless `-o` is given.
 *
 * @example
 * ```ts
 * import { main } from "./import.ts";
 * const status = await main(["tests/data/nmodl/hh.mod", "-o", "hh.ts"]);
 * console.log(status); // 0
 * ```
 */
export async function main(args: string[]): Promise<number> {
  let input: string | undefined,
    out: string | undefined,
    name: string | undefined,
    denocat: string | undefined,
    force = false;
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
      else if (a === "--force") force = true;
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
  if (out !== undefined) {
    if (sameFile(out, input)) {
      console.error(
        `-o ${out} is the input file: give the TypeScript file to write (e.g. -o ${
          input.replace(/\.mod$/, "")
        }.ts)\n${USAGE}`,
      );
      return 2;
    }
    if (!/\.(ts|mts)$/.test(out)) {
      console.error(`-o ${out}: the output is a TypeScript module; give a file name ending in .ts\n${USAGE}`);
      return 2;
    }
    try {
      const folder = Deno.statSync(dirname(resolve(out)));
      if (!folder.isDirectory) throw new Error(`${dirname(out)} is not a folder`);
    } catch (error) {
      console.error(
        `cannot write ${out}: ${
          error instanceof Deno.errors.NotFound
            ? `the folder ${dirname(out)} does not exist (create it first)`
            : (error as Error).message
        }`,
      );
      return 1;
    }
    try {
      checkTarget(out, { force, ours: (bytes) => holds(bytes, MARK, 65536) });
    } catch (error) {
      if (!(error instanceof FileRefusedError)) throw error;
      console.error(`refused: ${error.message}`);
      return 1;
    }
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
    if (!MECHANISM_NAME.test(result.name)) {
      const suggestion = result.name.replace(/[^A-Za-z0-9_]/g, "_").replace(/^(?=[0-9])/, "_");
      console.error(
        `refused: ${input}: '${result.name}' (${
          name === undefined ? "the file's stem" : "--name"
        }) is not an Arbor mechanism name (letters, digits and '_', not starting with a digit), and ` +
          `catalogue() would refuse it: pass --name ${suggestion}`,
      );
      return 1;
    }
    if (out === undefined) console.log(result.source);
    else {
      await writeFileAtomic(out, result.source, { force, ours: (bytes) => holds(bytes, MARK, 65536) });
      console.error(`${input}: wrote ${out} (class ${result.className}, mechanism "${result.name}")`);
    }
    for (const note of result.notes) console.error(`note: ${note}`);
    return 0;
  } catch (error) {
    if (error instanceof NmodlError || error instanceof FileRefusedError) {
      console.error(`refused: ${error.message}`);
      return 1;
    }
    // Not the file's fault: said in one line, with the exit status of an error.
    console.error(`error: ${input}: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}

class UsageError extends Error {}

if (import.meta.main) Deno.exit(await main(Deno.args));
