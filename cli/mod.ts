/**
 * The `denocat` command: `denocat run` (a Python Arbor script with TypeScript mechanisms),
 * `denocat compile` (native catalogues, what `deno task catalogue` does), `denocat import`
 * (NMODL to TypeScript), `denocat export` (TypeScript mechanisms to NMODL), `denocat inspect` (gating curves and voltage-clamp protocols of a
 * channel, figures and data) and `denocat cache` (show or clean the cache folder). Install it with
 *
 * ```sh
 * deno install -g -A -n denocat jsr:@denocat/denocat/cli
 * ```
 *
 * Exit codes: 0 ok, 1 error, 2 usage error (`run` passes the script's own exit code through).
 *
 * @example
 * ```ts ignore
 * import { main } from "./mod.ts";
 * const code = await main(["run", "mechanisms.ts", "simulation.py", "--cells", "8"]);
 * ```
 *
 * @module
 */
import { VERSION } from "../prebuilt/manifest.ts";
import { reportEarlyExit, UsageError } from "./usage.ts";
import { run } from "./run.ts";
import { main as compileMain } from "./compile.ts";
import { cache } from "./cache.ts";
import { main as importMain } from "./import.ts";
import { main as exportMain } from "./export.ts";
import { main as inspectMain } from "./inspect.ts";

const USAGE = `usage: denocat <command> [options]

Commands:
  run <mechanisms.ts> <script.py> [args...]   run a Python Arbor script with TypeScript mechanisms
  compile <module.ts> [-o folder] ...         compile pointwise mechanisms to native Arbor catalogues
  import <file.mod> ...                       translate an NMODL file to a TypeScript mechanism
  export <module.ts> -o DIR [--dialect D]     print the module's mechanisms as NMODL files (arbor, neuron)
  inspect <module.ts | file.mod>... [options] gating curves and voltage-clamp protocols of a channel,
                                              as SVG figures and CSV or JSON; several are compared
  cache [list | clean [--older-than DAYS] [--dry-run]]
                                              show or clean the cache of downloads and native builds

Options:
  -h, --help      help (also: denocat <command> --help)
  --version       the denocat version`;

/**
 * Runs the `denocat` command line `args` (without the program name); returns the exit code.
 * Errors are printed, not thrown.
 */
export async function main(args: string[]): Promise<number> {
  const [command, ...rest] = args;
  try {
    switch (command) {
      case "run":
        return await run(rest);
      case "compile":
        return await compileMain(rest, "denocat compile");
      case "import":
        return await importMain(rest);
      case "export":
        return await exportMain(rest);
      case "inspect":
        return await inspectMain(rest);
      case "cache":
        return await cache(rest);
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
