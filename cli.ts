/**
 * The `denocat` command: `denocat run` (a Python Arbor script with TypeScript mechanisms),
 * `denocat compile` (native catalogues, what `deno task catalogue` does), `denocat import`
 * (NMODL to TypeScript) and `denocat cache` (show or clean the cache folder). Install it with
 *
 * ```sh
 * deno install -g -A -n denocat jsr:@denocat/denocat/cli
 * ```
 *
 * Exit codes: 0 ok, 1 error, 2 usage error (`run` passes the script's own exit code through).
 *
 * @example
 * ```ts ignore
 * import { main } from "./cli.ts";
 * const code = await main(["run", "mechanisms.ts", "simulation.py", "--cells", "8"]);
 * ```
 *
 * @module
 */
import { VERSION } from "./prebuilt/manifest.ts";
import { reportEarlyExit, UsageError } from "./cli/usage.ts";

const USAGE = `usage: denocat <command> [options]

Commands:
  run <mechanisms.ts> <script.py> [args...]   run a Python Arbor script with TypeScript mechanisms
  compile <module.ts> [-o folder] ...         compile pointwise mechanisms to native Arbor catalogues
  import <file.mod> ...                       translate an NMODL file to a TypeScript mechanism
  cache [list | clean [--older-than DAYS] [--dry-run]]
                                              show or clean the cache of downloads and native builds

Options:
  -h, --help      help (also: denocat <command> --help)
  --version       the denocat version`;

const IMPORT_USAGE = `usage: denocat import <file.mod> [options]

Translates an NMODL mechanism into a TypeScript mechanism module.`;

// Written by the NMODL importer; looked up at run time, so that this command works (and says so)
// in a version without it.
const NMODL_CLI = new URL("./nmodl/cli.ts", import.meta.url);

async function importNmodl(args: string[]): Promise<number> {
  let importer: { main?: (args: string[]) => Promise<number> };
  try {
    importer = await import(NMODL_CLI.href);
  } catch (error) {
    const missing = (error as { code?: string }).code === "ERR_MODULE_NOT_FOUND" ||
      /Module not found/.test((error as Error).message);
    if (!missing) throw error;
    if (args.includes("-h") || args.includes("--help")) console.log(IMPORT_USAGE);
    console.error("denocat import: not available in this version (no NMODL importer in this package)");
    return 1;
  }
  if (typeof importer.main !== "function") {
    throw new Error(`${NMODL_CLI.href} does not export main(args): this denocat package is inconsistent`);
  }
  return await importer.main(args);
}

/**
 * Runs the `denocat` command line `args` (without the program name); returns the exit code.
 * Errors are printed, not thrown.
 */
export async function main(args: string[]): Promise<number> {
  const [command, ...rest] = args;
  try {
    switch (command) {
      case "run": {
        const { run } = await import("./cli/run.ts");
        return await run(rest);
      }
      case "compile": {
        const compile = await import("./compile/cli.ts");
        return await compile.main(rest, "denocat compile");
      }
      case "import":
        return await importNmodl(rest);
      case "cache": {
        const { cache } = await import("./cli/cache.ts");
        return await cache(rest);
      }
      case "--version":
      case "-V":
        console.log(`denocat ${VERSION}`);
        return 0;
      case "-h":
      case "--help":
      case "help":
        console.log(USAGE);
        return 0;
      case undefined:
        console.error(USAGE);
        return 2;
      default:
        console.error(`denocat: unknown command '${command}'\n${USAGE}`);
        return 2;
    }
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`denocat ${command}: ${error.message}\n${error.usage}`);
      return 2;
    }
    console.error(`denocat ${command}: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}

if (import.meta.main) {
  const finished = reportEarlyExit(`denocat ${Deno.args[0]}`);
  const code = await main(Deno.args);
  finished();
  Deno.exit(code);
}
