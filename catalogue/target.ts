/**
 * Which target a catalogue runs on (`catalogue({ target })`), and the one line that says why
 * when `"auto"` settles for JavaScript. docs/targets.md describes the rules to users:
 *
 * - `"js"`: a live catalogue; kernels run as printed JavaScript (or as the user's functions).
 * - `"native"`: every mechanism must be pointwise with a plan; zig may be installed from npm.
 * - `"auto"`: native when every mechanism has a plan and a zig is already present (nothing is
 *   downloaded); otherwise JavaScript, with one line naming the reason.
 *
 * Raw hooks (`CustomMechanism`) run only as JavaScript. A catalogue mixing them with pointwise
 * mechanisms runs whole as JavaScript: one library cannot hold trampoline slots and native
 * hooks, and splitting it silently would change the `path` Arbor loads. Two catalogues (one per
 * kind) give the pointwise ones native speed.
 *
 * @module
 */
import type { AbiFamily } from "../ffi/layout.ts";
import type { MechanismPlan } from "../kernels/plan.ts";
import type { LiveCatalogue } from "../ffi/trampoline.ts";
import { checkMath, type MathMode, zigCpu } from "./cpu.ts";
import { NativeCatalogue } from "./native.ts";
import { findZig, IS_CHECKOUT } from "../platform/toolchain.ts";

/** Where a catalogue's kernels run. */
export type CatalogueTarget = "js" | "native" | "auto";

/** The targets, for argument checks. */
export const CATALOGUE_TARGETS: readonly CatalogueTarget[] = ["js", "native", "auto"];

/** How native code is built: the `checkFinite`, `cpu` and `math` options of `catalogue()`. */
export interface NativeBuild {
  /** Check kernel results for NaN and infinity. */
  checkFinite: boolean;
  /** A `--cpu` name of compiled catalogues (catalogue/cpu.ts); "native" is this machine. */
  cpu: string;
  /** The math of the loops (catalogue/cpu.ts). */
  math: MathMode;
}

/**
 * Checks the native build options of `catalogue()` and fills in the defaults (checkFinite true,
 * cpu "native": built where it runs, math "inline"); throws a TypeError naming the bad option.
 */
export function nativeBuildOf(
  options: { checkFinite?: unknown; cpu?: unknown; math?: unknown },
): NativeBuild {
  const { checkFinite = true, cpu = "native", math = "inline" } = options;
  if (typeof checkFinite !== "boolean") {
    throw new TypeError(`catalogue: checkFinite must be true or false, got ${JSON.stringify(checkFinite)}`);
  }
  if (typeof cpu !== "string") {
    throw new TypeError(`catalogue: cpu must be a string, got ${JSON.stringify(cpu)}`);
  }
  if (typeof math !== "string") {
    throw new TypeError(`catalogue: math must be a string, got ${JSON.stringify(math)}`);
  }
  try {
    zigCpu(cpu, undefined);
    return { checkFinite, cpu, math: checkMath(math) };
  } catch (error) {
    throw new TypeError(`catalogue: ${(error as Error).message}`);
  }
}

/** One mechanism of a catalogue, as the target choice sees it. */
export interface TargetEntry {
  /** Mechanism name. */
  name: string;
  /** Whether it is a pointwise mechanism (else: raw hooks). */
  pointwise: boolean;
  /** Its kernel plan (pointwise only; none when a kernel runs as the user's function). */
  plan?: MechanismPlan;
  /** Why it has no plan: the one-line notice of kernels/live.ts. */
  notice?: string;
}

/** Options of `assembleCatalogue`. */
export interface AssembleOptions {
  /** Requested target. */
  target: CatalogueTarget;
  /** Layout family. */
  abi: AbiFamily;
  /** How native code is built (`nativeBuildOf`). */
  build: NativeBuild;
  /** Builds the JavaScript (live) catalogue. */
  live: () => Promise<LiveCatalogue>;
  /** Runs the declaration checks a live catalogue makes (names, limits), before a native build. */
  validate: () => Promise<void>;
  /** Prints one notice line (console.log by default; tests may capture it). */
  print?: (line: string) => void;
}

// What was already said in this process (a plan notice, or a catalogue line): once, not per
// catalogue, and a plan notice once whichever target said it.
const said = new Set<string>();

function say(key: string, print: (line: string) => void, line = key): void {
  if (said.has(key)) return;
  said.add(key);
  print(line);
}

function list(names: string[]): string {
  return names.map((n) => `'${n}'`).join(", ");
}

/** Builds the catalogue on the target `options.target` resolves to, saying why when it is not native. */
export async function assembleCatalogue(
  entries: readonly TargetEntry[],
  options: AssembleOptions,
): Promise<LiveCatalogue | NativeCatalogue> {
  // stderr: a program that prints results (JSON, CSV) to stdout keeps its output clean.
  const print = options.print ?? ((line: string) => console.error(line));
  const { target } = options;
  const fallback = entries.filter((e) => e.pointwise && e.plan === undefined);
  const raw = entries.filter((e) => !e.pointwise).map((e) => e.name);
  if (target === "js" || (target === "auto" && raw.length === entries.length)) {
    // Nothing could run natively (or nothing was asked to): no line beyond the plan notices.
    for (const e of fallback) say(e.notice!, print);
    return await options.live();
  }
  let reason: string | undefined;
  if (raw.length > 0) {
    reason =
      `${raw.length === 1 ? "mechanism" : "mechanisms"} ${list(raw)} ${
        raw.length === 1 ? "uses" : "use"
      } raw hooks, which run only as JavaScript (give the pointwise mechanisms a catalogue of their own ` +
      `to run them natively)`;
  } else if (fallback.length > 0) {
    reason = fallback.map((e) => e.notice!.replace(/^denocat: /, "")).join("; ");
  }
  if (target === "native") {
    if (reason !== undefined) {
      throw new Error(
        `catalogue({ target: "native" }) cannot build ${list(entries.map((e) => e.name))}: ${reason}`,
      );
    }
    return await buildNativeCatalogue(entries, options, true);
  }
  if (reason === undefined && Deno.permissions.querySync({ name: "run" }).state !== "granted") {
    reason = "building native code runs zig, which needs --allow-run";
  }
  if (reason === undefined) {
    try {
      // auto never downloads: a zig that is not present means JavaScript.
      await findZig({ install: false });
    } catch (error) {
      reason = IS_CHECKOUT ? `zig not found: ${(error as Error).message}` : (error as Error).message;
    }
  }
  if (reason === undefined) {
    await options.validate(); // a bad declaration is an error on every target, not a fallback
    try {
      return await buildNativeCatalogue(entries, options, false);
    } catch (error) {
      reason = `the native build failed: ${(error as Error).message.split("\n")[0]}`;
    }
  }
  if (fallback.length > 0 && raw.length === 0) {
    // The plan notice is the one line; it says what the catalogue became.
    for (const e of fallback) say(e.notice!, print, `${e.notice!}; so its catalogue runs as JavaScript`);
  } else {
    say(`denocat: catalogue of ${list(entries.map((e) => e.name))} runs as JavaScript: ${reason}`, print);
  }
  return await options.live();
}

async function buildNativeCatalogue(
  entries: readonly TargetEntry[],
  options: AssembleOptions,
  install: boolean,
): Promise<NativeCatalogue> {
  await options.validate();
  return await NativeCatalogue.create(entries.map((e) => e.plan!), {
    abi: options.abi,
    ...options.build,
    install,
  });
}
