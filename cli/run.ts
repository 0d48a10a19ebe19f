/**
 * `denocat run <mechanisms.ts> <script.py> [args...]`: an existing Python Arbor script, with
 * TypeScript mechanisms. Imports the module (every `@mechanism` it declares), builds the
 * catalogue, and runs the script as `__main__` in the embedded Python with a `denocat` module
 * (see `cli/python_module.ts`).
 *
 * @module
 */
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { type Catalogue, catalogue, type CatalogueOptions } from "../catalogue/api.ts";
import { loadPython } from "../ffi/python/mod.ts";
import { runScript } from "../ffi/python/script.ts";
import { denocatModule } from "./python_module.ts";
import { UsageError } from "./usage.ts";

/** Help text of `denocat run`. */
export const RUN_USAGE = `usage: denocat run [--target js|native|auto] <mechanisms.ts> <script.py> [args...]

Runs a Python Arbor script with the mechanisms of a TypeScript module. The module is imported,
every @mechanism class it declares goes into one catalogue, and the script runs as __main__
(sys.argv = [script.py, args...]) with a module 'denocat' to import:

  import arbor, denocat
  cat = denocat.catalogue()         # or denocat.build(); in the layout of this arbor
  props = arbor.neuron_cable_properties()
  props.catalogue.extend(cat, "")
  context = denocat.context()       # threads=1: the mechanisms run as JavaScript

A TypeScript hook that fails raises denocat.MechanismError (with its TypeScript stack) where the
Arbor call returns; uncaught, the command exits with 1. Exit code: the script's own (sys.exit),
1 for an error, 2 for a usage error.

Options (before <mechanisms.ts>; everything after the script is the script's):
  --target js|native|auto   where the mechanisms run (the default of catalogue())
  -h, --help                this text`;

// catalogue({ target }) exists (catalogue/target.ts); kept as a switch so that a build without it
// refuses --target rather than ignoring it.
const CATALOGUE_HAS_TARGET = true;

const TARGETS = ["js", "native", "auto"] as const;

/** What the command line of `denocat run` says. */
export interface RunArguments {
  /** The TypeScript module with the mechanisms. */
  module: string;
  /** The Python script. */
  script: string;
  /** The script's own arguments. */
  args: string[];
  /** `--target`, when given. */
  target?: (typeof TARGETS)[number];
}

/**
 * Parses `denocat run`'s arguments: "help" for `-h`/`--help` before the module (after the
 * script they are the script's); throws {@link UsageError} on a mistake.
 */
export function parseRunArguments(args: string[]): RunArguments | "help" {
  let target: RunArguments["target"];
  let k = 0;
  for (; k < args.length && args[k].startsWith("-"); k++) {
    const arg = args[k];
    if (arg === "--target") {
      const value = args[++k];
      if (!TARGETS.includes(value as (typeof TARGETS)[number])) {
        throw new UsageError(`--target must be js, native or auto, got ${value ?? "nothing"}`, RUN_USAGE);
      }
      target = value as RunArguments["target"];
    } else if (arg === "-h" || arg === "--help") return "help";
    else if (arg === "--") {
      k++;
      break;
    } else throw new UsageError(`unknown option ${arg}`, RUN_USAGE);
  }
  const [module, script, ...rest] = args.slice(k);
  if (module === undefined || script === undefined) {
    throw new UsageError("give the TypeScript module and the Python script", RUN_USAGE);
  }
  if (!/\.(ts|mts|tsx|js|mjs)$/.test(module)) {
    throw new UsageError(
      `${module} is not a TypeScript or JavaScript module (.ts, .mts, .js, .mjs)`,
      RUN_USAGE,
    );
  }
  return { module, script, args: rest, ...(target === undefined ? {} : { target }) };
}

async function buildCatalogue(module: string, target: RunArguments["target"]): Promise<Catalogue> {
  const url = pathToFileURL(resolve(module));
  try {
    await Deno.stat(resolve(module));
  } catch {
    throw new Error(`no TypeScript module at ${module}`);
  }
  await import(url.href);
  const options: CatalogueOptions = {};
  if (target !== undefined) {
    if (!CATALOGUE_HAS_TARGET) {
      throw new UsageError(
        `--target is not available in this version (catalogue() has one target)`,
        RUN_USAGE,
      );
    }
    options.target = target;
  }
  try {
    return await catalogue(options);
  } catch (error) {
    if (/no mechanism was declared/.test((error as Error).message)) {
      throw new Error(
        `${module} declared no @mechanism class for this denocat (${
          new URL("../mod.ts", import.meta.url).href
        }): ` +
          `decorate its classes with @mechanism(...), and import denocat from the same place as this command`,
      );
    }
    throw error;
  }
}

/** Runs `denocat run ...`; returns the exit code. */
export async function run(args: string[]): Promise<number> {
  const parsed = parseRunArguments(args);
  if (parsed === "help") {
    console.log(RUN_USAGE);
    return 0;
  }
  const cat = await buildCatalogue(parsed.module, parsed.target);
  const py = loadPython();
  // A native catalogue needs no JavaScript thread: Arbor may run it on any number of threads.
  const live = (cat as { target?: string }).target !== "native";
  const module = denocatModule(py, { catalogue: cat, live });
  const bridge = module.get("_check");
  try {
    return runScript(py, parsed.script, parsed.args, { modules: { denocat: module }, finish: bridge });
  } finally {
    bridge.dispose();
  }
}
