/**
 * Live mode's way to the kernel plan: a declaration records where and when it was made (the
 * stack frame of `@mechanism(...)` or `defineMechanism(...)`); at `catalogue()` time that source
 * is parsed (the TypeScript compiler is loaded then, once) and the plan is built from the
 * functions that run (kernels/running.ts), with names resolved as JavaScript resolves them. A
 * kernel the plan cannot express, or whose source is not the function that runs, is an opaque
 * call of the user's own function inside the same plan (kernels/plan.ts), and the user is told
 * once, in one line, which kernel and why. A
 * kernel that breaks a rule (a non-linear cnexp derivative, an unknown key) is refused exactly
 * as compiled mode refuses it.
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { buildPlan, locateOwner, type MechanismPlan, opaquePlan, type PlanRequest } from "./plan.ts";
import { CompileError, loadTypeScript, Sources } from "./source.ts";

/** Where a declaration was made. */
export interface DeclarationSite {
  /** `file:` URL of the module. */
  url: string;
  /** 1-based line. */
  line: number;
  /** 1-based column. */
  column: number;
  /**
   * When the declaration was made (ms since the epoch): a file changed on disk after it is not
   * the code that runs, and is not planned.
   */
  time?: number;
}

/**
 * The site of the caller of the function that calls this (`depth` frames up from it), read
 * from a stack trace; undefined when it is not a local file.
 */
export function callerSite(depth = 2): DeclarationSite | undefined {
  const lines = (new Error().stack ?? "").split("\n").slice(1);
  const frame = lines[depth];
  // V8 prints the path decoded: it may hold spaces, parentheses and any other character.
  const match = frame?.match(/(file:\/\/.*):(\d+):(\d+)\)?\s*$/);
  if (!match) return undefined;
  const url = match[1].replace(/^.*?\((?=file:\/\/)/, "");
  return { url: new URL(url).href, line: Number(match[2]), column: Number(match[3]), time: Date.now() };
}

/**
 * What a live plan attempt gave: the plan, and when a kernel runs as the user's own function (an
 * opaque call: JavaScript only), the one-line notice that says which and why.
 */
export type LivePlan = { plan: MechanismPlan; notice?: string };

/** The notice of a plan's opaque kernels, or undefined when every kernel was lowered. */
export function opaqueNotice(plan: MechanismPlan): string | undefined {
  if (plan.opaque.length === 0) return undefined;
  const reasons = new Map<string, string[]>();
  for (const { kernel, reason } of plan.opaque) reasons.set(reason, [...(reasons.get(reason) ?? []), kernel]);
  const parts = [...reasons].map(([reason, kernels]) =>
    `${
      kernels.length === 1 ? `kernel ${kernels[0]} runs` : `kernels ${kernels.join(", ")} run`
    } as your own function (slower, checked numerically): ${reason}`
  );
  return `denocat: mechanism '${plan.spec.name}': ${parts.join("; ")}`;
}

/** Builds the live plan of one declaration; throws only for a broken rule (`CompileError.rule`). */
export async function planLive(request: PlanRequest, site: DeclarationSite | undefined): Promise<LivePlan> {
  request = { ...request, opaque: true };
  const at = site ? `${site.url}:${site.line}:${site.column}` : request.owner;
  const opaque = (reason: string, error?: CompileError): LivePlan => {
    const plan = opaquePlan(request, at, reason, error);
    return { plan, notice: opaqueNotice(plan) };
  };
  if (site === undefined) return opaque("the declaration's source file was not found");
  if (request.runtime !== undefined) {
    request = { ...request, runtime: { ...request.runtime, declaredAt: site.time } };
  }
  let src: Sources;
  try {
    src = new Sources(await loadTypeScript());
  } catch (error) {
    return opaque(`the TypeScript compiler could not be loaded (${(error as Error).message})`);
  }
  try {
    const module = src.module(fileURLToPath(site.url));
    const owner = locateOwner(src, module, site.line, site.column);
    if (owner === undefined) {
      const edited = site.time === undefined
        ? undefined
        : src.stale(site.time, `mechanism '${name(request)}'`);
      return opaque(
        edited?.message ?? `no declaration was found at ${module.display}:${site.line}:${site.column}`,
        edited ?? new CompileError(
          `mechanism '${
            name(request)
          }': no declaration was found at ${module.display}:${site.line}:${site.column}`,
          module.display,
          site.line,
          site.column,
        ),
      );
    }
    const plan = buildPlan(src, owner, request);
    return { plan, notice: opaqueNotice(plan) };
  } catch (error) {
    if (!(error instanceof CompileError)) throw error;
    if (error.rule) throw error;
    return opaque(error.message, error);
  }
}

const name = (request: PlanRequest) => request.spec.name;
