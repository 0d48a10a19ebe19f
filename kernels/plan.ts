/**
 * The kernel plan of one pointwise mechanism: what each hook gathers, computes and writes, as
 * one expression graph (kernels/graph.ts) shared by every kernel of the mechanism, lowered from
 * the source (kernels/lower.ts) and turned into checks and stores by the output rules
 * (kernels/outputs.ts). The JavaScript printer (kernels/js.ts, live mode) and the C printer
 * (kernels/c.ts, compiled and native mode) print it; they agree by construction.
 *
 * Live mode may ask for opaque kernels (`PlanRequest.opaque`): a kernel that cannot be lowered
 * (or whose source is not the function that runs) becomes one call of the user's own function in
 * the same graph (kernels/graph.ts `CallNode`), and everything around it is planned as usual. Only
 * the JavaScript printer can print such a plan; `MechanismPlan.opaque` says which kernels and why.
 *
 * @module
 */
import { type HookName, KERNEL_HOOK } from "../ffi/layout.ts";
import type { MechanismSpec } from "../ffi/spec.ts";
import { Graph, type Node } from "./graph.ts";
import { type LoweredKernel, Lowerer } from "./lower.ts";
import {
  advanceOutputs,
  type CnexpCoefficients,
  concentrationOutputs,
  currentOutputs,
  currentReadScale,
  eventOutputs,
  initOutputs,
  type Outputs,
  reversalOutputs,
  type RuleContext,
  voltageOutputs,
} from "./outputs.ts";
import {
  allowedKeys,
  type ConservationLaw,
  type Input,
  type IntegrationMethod,
  type KernelName,
  KERNELS_WITH_ARGUMENT,
  planInputs,
  unrequestedIonReads,
} from "./rules.ts";
import {
  CompileError,
  type FunctionNode,
  type ModuleInfo,
  ruleError,
  type Sources,
  type TS,
} from "./source.ts";
import { classChain, findRunningKernel, type KernelOwner, NotRunningError } from "./running.ts";

/** How a hook loops. */
export type Loop = "instances" | "events" | "post";

/** One hook: its loop, and the checks and stores of one instance (or event). */
export interface HookPlan extends Outputs {
  /** Which hook (a name of ffi/layout.ts's HOOK_TABLE). */
  hook: HookName;
  /** How it loops. */
  loop: Loop;
  /** The kernel it runs (none: init without initial()). */
  kernel?: KernelName;
  /** `file:line:column` of that kernel. */
  at?: string;
}

/** The plan of one mechanism. */
export interface MechanismPlan {
  /** Runtime spec. */
  spec: MechanismSpec;
  /** Integration method. */
  method: IntegrationMethod;
  /** Class (or `defineMechanism` object) the kernels come from. */
  owner: string;
  /** `file:line:column` of the declaration. */
  at: string;
  /** Every scalar a hook may gather (index = input node index). */
  inputs: Input[];
  /** The expression graph. */
  graph: Graph;
  /** Hooks, in ABI order. */
  hooks: HookPlan[];
  /** States `derivative` integrates. */
  integrated: number[];
  /**
   * With method cnexp: each integrated state's derivative as a·s + b (kernels/outputs.ts), the
   * nodes the advance hook's update is built from; empty for euler. `denocat inspect` evaluates
   * them for the exact steady state −b/a and time constant −1/a.
   */
  coefficients: CnexpCoefficients[];
  /** Kernels that run as the user's own function (opaque calls), each with why and where. */
  opaque: OpaqueKernel[];
  /**
   * What each kernel returned, key by key, as graph nodes before the output rules (a key left
   * out on some path holds `undef` there): the equations as written, which the NMODL printer
   * (nmodl/export.ts) prints and the output rules turn into the hooks' stores.
   */
  results: Partial<Record<KernelName, ReadonlyMap<string, Node>>>;
  /** Conservation laws of a `sparse` system (NMODL's CONSERVE), as declared. */
  conserve?: readonly ConservationLaw[];
}

/** A kernel the plan calls as the user's function. */
export interface OpaqueKernel {
  /** Which kernel. */
  kernel: KernelName;
  /** Why it was not lowered (with file:line:column). */
  reason: string;
  /** The error that said so. */
  error?: CompileError;
}

export type { KernelOwner };

/**
 * Finds kernel `name` of `owner` in the source alone, as a method or an arrow / function field
 * (or inherited, following `extends` as JavaScript resolves it). Without the running object,
 * this cannot tell which of two definitions runs: `buildPlan` uses `findRunningKernel` when the
 * request carries it.
 */
export function findKernel(
  src: Sources,
  owner: KernelOwner,
  name: string,
): { module: ModuleInfo; fn: FunctionNode } | undefined {
  const ts = src.ts;
  const functionOf = (e: TS.Expression | undefined) =>
    e && (ts.isArrowFunction(e) || ts.isFunctionExpression(e)) ? e : undefined;
  const named = (n: TS.PropertyName | undefined) =>
    n !== undefined && (ts.isIdentifier(n) || ts.isStringLiteral(n)) && n.text === name;
  if (owner.kind === "object") {
    for (const p of owner.node.properties) {
      if (!named(p.name)) continue;
      if (ts.isMethodDeclaration(p)) return { module: owner.module, fn: p };
      if (ts.isPropertyAssignment(p)) {
        const fn = functionOf(p.initializer);
        if (fn) return { module: owner.module, fn };
        src.fail(owner.module, p, `kernel ${name} given as something other than a function`);
      }
    }
    return undefined;
  }
  for (const level of classChain(src, owner)) {
    for (const member of level.node.members) {
      if (!named(member.name)) continue;
      if (ts.isMethodDeclaration(member) && member.body) return { module: level.module, fn: member };
      if (ts.isPropertyDeclaration(member)) {
        const fn = functionOf(member.initializer);
        if (fn) return { module: level.module, fn };
      }
    }
  }
  return undefined;
}

/** Everything `buildPlan` needs besides the source. */
export interface PlanRequest {
  /** Runtime spec (the source of every piece of metadata). */
  spec: MechanismSpec;
  /** Integration method. */
  method: IntegrationMethod;
  /** Kernels defined at run time. */
  kernels: readonly KernelName[];
  /** Name of the class or object, for messages. */
  owner: string;
  /**
   * What JavaScript runs: the object the hooks call the kernels on (an instance of the class, or
   * the `defineMechanism` object), and when the declaration was made (ms since the epoch). With
   * it, each kernel is planned from the function that runs, and a file changed on disk since
   * the declaration is not planned (see kernels/running.ts). Without it (tests of the plan
   * alone), kernels are found in the source.
   */
  runtime?: { target: object; declaredAt?: number };
  /**
   * Live mode: a kernel that cannot be lowered becomes an opaque call instead of an error (a
   * broken rule is still an error).
   */
  opaque?: boolean;
  /** Conservation laws of a `sparse` system (NMODL's CONSERVE). */
  conserve?: readonly ConservationLaw[];
}

/** Kernels that do not loop over instances: over the events of a call, or the detectors' spikes. */
const LOOP_OF: Partial<Record<KernelName, Loop>> = { onEvent: "events", onPostEvent: "post" };

/** The hook each kernel fills (ffi/layout.ts's HOOK_TABLE) and how it loops. */
function hookOf(kernel: KernelName): { hook: HookName; loop: Loop } {
  return { hook: KERNEL_HOOK[kernel].hook, loop: LOOP_OF[kernel] ?? "instances" };
}

/**
 * Builds the plan of one mechanism whose kernels are in `owner`. Throws a CompileError when a
 * kernel leaves the subset (see kernels/lower.ts) or breaks a rule (cnexp linearity, keys).
 */
export function buildPlan(src: Sources, owner: KernelOwner, request: PlanRequest): MechanismPlan {
  const since = request.runtime?.declaredAt;
  const what = () =>
    `mechanism '${request.spec.name}' (${request.owner}, ${src.where(owner.module, owner.node).text})`;
  const stale = () => since === undefined ? undefined : src.stale(since, what());
  let plan: MechanismPlan;
  try {
    plan = planOf(src, owner, request);
  } catch (error) {
    if (error instanceof NotRunningError) throw error; // the precise reason: this kernel was edited
    // An error read from a file edited since the import is not an error of the code that runs.
    throw stale() ?? error;
  }
  const edited = stale();
  // A kernel whose source was edited is the precise reason (over the file's date).
  if (edited) throw plan.opaque.find((o) => o.error instanceof NotRunningError)?.error ?? edited;
  return plan;
}

/** The hooks a mechanism with `kernels` gets (before any plan is made). */
export function planHooks(spec: MechanismSpec, kernels: readonly KernelName[]): HookName[] {
  const hooks = kernels.includes("initial") || spec.states.length > 0 ? [hookOf("initial").hook] : [];
  for (const kernel of kernels) if (kernel !== "initial") hooks.push(hookOf(kernel).hook);
  return [...new Set(hooks)];
}

/**
 * The plan of a mechanism whose every kernel runs as the user's function, for `reason` (no source
 * to plan from: the declaration's file was not found or has changed since).
 */
export function opaquePlan(
  request: PlanRequest,
  at: string,
  reason: string,
  error?: CompileError,
): MechanismPlan {
  return planOf(undefined, undefined, { ...request, opaque: true }, { at, reason, error });
}

function planOf(
  src: Sources | undefined,
  owner: KernelOwner | undefined,
  request: PlanRequest,
  none?: { at: string; reason: string; error?: CompileError },
): MechanismPlan {
  const { spec, method } = request;
  const g = new Graph();
  const inputs = planInputs(spec);
  const index = new Map<string, number>();
  const scope = new Map<string, Node>();
  const unrequested = unrequestedIonReads(spec);
  inputs.forEach((input, k) => {
    if (input.key === "") return;
    index.set(input.key, k);
    // An ion's current density is A/m² in Arbor; a density mechanism reads mA/cm², as modcc scales it.
    const ionCurrent = input.source.of === "ion" && input.source.field === "current";
    scope.set(
      input.key,
      ionCurrent ? g.op("mul", g.input(k), g.constant(currentReadScale(spec.kind))) : g.input(k),
    );
  });
  const context: RuleContext = {
    g,
    spec,
    scope,
    index,
    weight: g.input(inputs.findIndex((i) => i.source.of === "weight")),
    multiplicity: g.input(inputs.findIndex((i) => i.source.of === "multiplicity")),
  };
  const lowerer = src && new Lowerer(src, g);
  const at = none?.at ?? src!.where(owner!.module, owner!.node).text;
  const opaque: OpaqueKernel[] = [];
  const lowerSource = (kernel: KernelName): LoweredKernel => {
    const found = request.runtime
      ? findRunningKernel(src!, owner!, request.runtime.target, kernel, request.owner)
      : findKernel(src!, owner!, kernel);
    if (!found) {
      throw new CompileError(
        `${request.owner} (${at}) has a ${kernel} kernel at run time, but its source was not found in the class ` +
          `or the classes it extends: define it as a method`,
        owner!.module.display,
        ...lowerer!.line(owner!.module, owner!.node),
      );
    }
    try {
      return lowerer!.kernel(found.module, found.fn, {
        mechanism: spec.name,
        owner: request.owner,
        kernel,
        allowed: allowedKeys(spec, kernel),
        scope: kernelScope(kernel),
        unrequested,
      });
    } catch (error) {
      if (error instanceof CompileError) error.kernel ??= kernel;
      throw error;
    }
  };
  // dt is meaningless during init (garbage on Arbor 0.9/0.10): NaN makes a kernel that uses it fail.
  const kernelScope = (kernel: KernelName) =>
    kernel === "initial" || kernel === "equilibrium" ? new Map([...scope, ["dt", g.constant(NaN)]]) : scope;
  // The user's function, called with the scope it would see (an unrequested ion value is an
  // accessor that throws, naming the flag: it is not set); each key it may return is a field.
  const call = (kernel: KernelName, where: string): LoweredKernel => {
    const keys = [...scope.keys()].filter((key) => !unrequested.has(key));
    const values = kernelScope(kernel);
    const node = g.call(
      kernel,
      keys,
      keys.map((key) => values.get(key)!),
      KERNELS_WITH_ARGUMENT.has(kernel) ? g.arg() : undefined,
    );
    return { result: new Map(allowedKeys(spec, kernel).map((key) => [key, g.field(node, key)])), at: where };
  };
  const lower = (kernel: KernelName): LoweredKernel => {
    if (none) {
      opaque.push({ kernel, reason: none.reason, error: none.error });
      return call(kernel, at);
    }
    try {
      return lowerSource(kernel);
    } catch (error) {
      if (!request.opaque || !(error instanceof CompileError) || error.rule) throw error;
      opaque.push({ kernel, reason: error.message, error });
      const where = error.line > 0 ? `${error.file}:${error.line}:${error.column}` : at;
      return call(kernel, where);
    }
  };
  const hooks: HookPlan[] = [];
  const results: Partial<Record<KernelName, ReadonlyMap<string, Node>>> = {};
  let integrated: number[] = [];
  let coefficients: CnexpCoefficients[] = [];
  const has = (k: KernelName) => request.kernels.includes(k);
  // A kernel whose values are solved for (a linear system, an implicit step) must be in the
  // graph: an opaque call gives numbers, not the equations. Such a kernel is refused as a rule.
  const solvable = (kernel: KernelName, lowered: LoweredKernel, what: string): LoweredKernel => {
    const reason = opaque.find((o) => o.kernel === kernel);
    if (reason === undefined) return lowered;
    throw ruleError(
      new CompileError(
        `mechanism '${spec.name}': ${what}, so ${kernel}() must be a kernel the plan can read, and it is not: ` +
          reason.reason,
        reason.error?.file,
        reason.error?.line,
        reason.error?.column,
      ),
    );
  };
  if (has("initial") || has("equilibrium") || spec.states.length > 0) {
    const lowered = has("initial") ? lower("initial") : undefined;
    const equilibrium = has("equilibrium")
      ? solvable("equilibrium", lower("equilibrium"), "equilibrium() is solved as a linear system")
      : undefined;
    if (lowered) results.initial = lowered.result;
    if (equilibrium) results.equilibrium = equilibrium.result;
    let outputs: Outputs;
    try {
      outputs = initOutputs(context, lowered?.result, equilibrium);
    } catch (error) {
      if (error instanceof CompileError) error.kernel ??= equilibrium ? "equilibrium" : "initial";
      throw error;
    }
    hooks.push({
      ...hookOf("initial"),
      kernel: lowered ? "initial" : equilibrium && "equilibrium",
      at: lowered?.at ?? equilibrium?.at,
      ...outputs,
    });
  }
  for (
    const kernel of [
      "derivative",
      "current",
      "reversalPotential",
      "concentrations",
      "onEvent",
      "onPostEvent",
      "voltage",
    ] as const
  ) {
    if (!has(kernel)) continue;
    const lowered =
      kernel === "derivative" && (method === "sparse" || method === "stochastic" || method === "linear")
        ? solvable(
          kernel,
          lower(kernel),
          method === "sparse"
            ? "method sparse solves its states implicitly"
            : method === "linear"
            ? "method linear solves its residuals for the states"
            : "method stochastic splits the derivative into its drift and its white noise",
        )
        : lower(kernel);
    results[kernel] = lowered.result;
    let outputs: Outputs;
    try {
      if (kernel === "derivative") {
        const advance = advanceOutputs(context, lowered.result, method, lowered.at, request.conserve);
        integrated = advance.integrated;
        coefficients = advance.coefficients;
        outputs = advance;
      } else if (kernel === "current") outputs = currentOutputs(context, lowered.result);
      else if (kernel === "reversalPotential") outputs = reversalOutputs(context, lowered.result);
      else if (kernel === "concentrations") outputs = concentrationOutputs(context, lowered.result);
      else if (kernel === "voltage") outputs = voltageOutputs(context, lowered.result);
      else outputs = eventOutputs(context, kernel, lowered.result);
    } catch (error) {
      if (error instanceof CompileError) error.kernel ??= kernel;
      throw error;
    }
    hooks.push({
      ...hookOf(kernel),
      kernel,
      at: lowered.at,
      checks: outputs.checks,
      stores: outputs.stores,
    });
  }
  return {
    spec,
    method,
    owner: request.owner,
    at,
    inputs,
    graph: g,
    hooks,
    integrated,
    coefficients,
    opaque,
    results,
    ...(request.conserve ? { conserve: request.conserve } : {}),
  };
}

/**
 * Finds the declaration a stack frame points at: a class whose `@mechanism(...)` decorator, or
 * a `defineMechanism(...)` call whose object literal of kernels, starts at `line:column`.
 */
export function locateOwner(
  src: Sources,
  module: ModuleInfo,
  line: number,
  column: number,
): KernelOwner | undefined {
  const ts = src.ts;
  const position = (n: TS.Node) => src.where(module, n);
  let found: KernelOwner | undefined;
  const visit = (n: TS.Node): void => {
    if (found) return;
    if (ts.isClassDeclaration(n) || ts.isClassExpression(n)) {
      for (const d of ts.getDecorators(n) ?? []) {
        const at = position(d.expression);
        if (at.line === line && at.column === column && ts.isClassDeclaration(n)) {
          found = { kind: "class", module, node: n };
          return;
        }
      }
    }
    if (ts.isCallExpression(n)) {
      const callee = n.expression;
      const name = ts.isPropertyAccessExpression(callee) ? callee.name : callee;
      const at = [position(n), position(name)];
      const kernels = n.arguments[1];
      if (
        at.some((a) => a.line === line && a.column === column) && kernels &&
        ts.isObjectLiteralExpression(kernels)
      ) {
        found = { kind: "object", module, node: kernels };
        return;
      }
    }
    ts.forEachChild(n, visit);
  };
  visit(module.source);
  return found;
}
