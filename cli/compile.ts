/**
 * `deno task catalogue <module.ts> [-o out] [--abi 0.6|0.7|both] [--name prefix] [--skip-raw] [--target triple]`
 * `[--cpu baseline|x86-64-v2|x86-64-v3|x86-64-v4|native|...] [--math inline|libm]`:
 * compiles every registered pointwise mechanism of a module into one native Arbor catalogue per
 * ABI family, and prints how to load it from Python and from TypeScript.
 *
 * @module
 */
import type { AbiFamily } from "../ffi/layout.ts";
import { PREBUILT_TARGETS } from "../platform/toolchain.ts";
import { compileCatalogue, CompileError, type CompileOptions } from "../catalogue/compiled.ts";
import { zigCpu } from "../catalogue/cpu.ts";
import { reportEarlyExit } from "./usage.ts";

const USAGE =
  "usage: deno task catalogue <module.ts> [-o out] [--abi 0.6|0.7|both] [--name prefix] [--skip-raw] [--target triple]\n" +
  "         [--cpu baseline|x86-64-v2|x86-64-v3|x86-64-v4|native|neoverse-n1|neoverse-v1|apple-m1|a64fx]\n" +
  "         [--math inline|libm] [--force]   (docs/compile.md, CPU options)\n" +
  "  -o names a folder (default: the working directory); <name>.c and <name>_abi06/07.so there are\n" +
  "  replaced only when an earlier compile wrote them, or with --force";

/** The module extensions Deno imports as TypeScript or JavaScript (as `denocat run` accepts). */
const MODULE = /\.(ts|mts|cts|tsx|js|mjs|cjs|jsx)$/;

/** Parses the command line; throws with the usage text on a mistake. */
export function parseArguments(args: string[]): { module: string; options: CompileOptions } {
  let module: string | undefined;
  const options: CompileOptions = {};
  for (let k = 0; k < args.length; k++) {
    const arg = args[k];
    const value = () => {
      const next = args[++k];
      if (next === undefined) throw new Error(`${arg} needs a value\n${USAGE}`);
      return next;
    };
    if (arg === "-o" || arg === "--out") options.out = value();
    else if (arg === "--abi") {
      const abi = value();
      if (abi !== "0.6" && abi !== "0.7" && abi !== "both") {
        throw new Error(`--abi must be 0.6, 0.7 or both\n${USAGE}`);
      }
      options.abi = abi as AbiFamily | "both";
    } else if (arg === "--name") options.name = value();
    else if (arg === "--skip-raw") options.skipRaw = true;
    else if (arg === "--force") options.force = true;
    else if (arg === "--target") {
      const target = value();
      const targets = PREBUILT_TARGETS.map((t) => t.target);
      if (!targets.includes(target)) {
        throw new Error(`unknown --target '${target}': use one of ${targets.join(", ")}\n${USAGE}`);
      }
      options.target = target;
    } else if (arg === "--cpu") options.cpu = value();
    else if (arg === "--math") {
      const math = value();
      if (math !== "inline" && math !== "libm") throw new Error(`--math must be inline or libm\n${USAGE}`);
      options.math = math;
    } else if (arg === "-h" || arg === "--help") throw new Error(USAGE);
    else if (arg.startsWith("-")) throw new Error(`unknown option ${arg}\n${USAGE}`);
    else if (module === undefined) module = arg;
    else throw new Error(`more than one module given\n${USAGE}`);
  }
  if (module === undefined) throw new Error(USAGE);
  if (!MODULE.test(module)) {
    throw new Error(
      `${module} is not a TypeScript or JavaScript module (.ts, .mts, .tsx, .js, .mjs)\n${USAGE}`,
    );
  }
  if (options.cpu !== undefined) {
    try {
      zigCpu(options.cpu, options.target);
    } catch (error) {
      throw new Error(`${(error as Error).message}\n${USAGE}`);
    }
  }
  return { module, options };
}

/**
 * Runs the command line `args`; returns the exit code: 0, 1 for an error, 2 for a usage error.
 * `program` names the command in messages (`denocat compile` when run from `cli/mod.ts`).
 */
export async function main(args: string[], program = "deno task catalogue"): Promise<number> {
  const named = (text: string) => text.replaceAll("deno task catalogue", program);
  if (args.includes("-h") || args.includes("--help")) {
    console.log(named(USAGE));
    return 0;
  }
  let parsed: ReturnType<typeof parseArguments>;
  try {
    parsed = parseArguments(args);
  } catch (error) {
    // parseArguments only throws for the command line itself.
    console.error(named((error as Error).message));
    return 2;
  }
  try {
    const result = await compileCatalogue(parsed.module, parsed.options);
    for (const note of result.notes) console.log(`note: ${note}`);
    console.log(`compiled ${result.mechanisms.join(", ")} into catalogue '${result.name}'`);
    console.log(`  C source: ${result.source}`);
    for (const library of result.libraries) console.log(`  ABI ${library.abi}: ${library.path}`);
    console.log("");
    console.log(result.usage);
    return 0;
  } catch (error) {
    console.error(error instanceof CompileError ? `error: ${error.message}` : (error as Error).message);
    return 1;
  }
}

if (import.meta.main) {
  const finished = reportEarlyExit("deno task catalogue");
  const code = await main(Deno.args);
  finished();
  Deno.exit(code);
}
