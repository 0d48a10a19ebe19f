/**
 * The JavaScript printer of the kernel plan (live mode): one function per hook, built with
 * `new Function`, that gathers each instance's scalars from the ppack's arrays into locals,
 * evaluates the plan's graph once (kernels inlined, common subexpressions shared, no kernel
 * call, no object, nothing allocated per step), checks every result, and stores it. Every rule
 * (keys, weights, defaults, cnexp) comes from the plan; this file only spells it. The weight and
 * unit rules (e.g. density currents scaled by 10·weight) live in kernels/outputs.ts; `exp` and
 * `expm1` are spelled as kernels/exp.ts's table-driven ones.
 *
 * An opaque kernel (kernels/graph.ts `CallNode`) is printed as a call of the user's function with
 * one reused scope object `x` (only the keys that changed since the instance's last call are
 * set), followed by the checks no graph value needs: the result is an object of allowed keys
 * (a cheap count of its keys, the full check only on a mismatch), each value a number or
 * `undefined` (a string would otherwise be concatenated into the current), and a derivative
 * returns the states its first call returned.
 *
 * @module
 */
import type { CallNode, Op } from "./graph.ts";
import type { HookPlan, MechanismPlan } from "./plan.ts";
import { hookInputs, hookIons, hookRoots, INFIX, schedule, type Spelling } from "./print.ts";
import { allowedKeys, type InputSource, type KernelName } from "./rules.ts";
import { resultName, type Target } from "./outputs.ts";
import { PPACK } from "../ffi/layout.ts";
import { EXP_SCRATCH, EXP_TABLE_HIGH, EXP_TABLE_LOW, inlineExp, inlineExpm1, POW2 } from "./exp.ts";

/** The arrays of one ppack object that the printed hooks read (see kernels/pointwise.ts `Bundle`). */
export interface JsArrays {
  /** Instances. */
  width: number;
  node: Int32Array;
  v: Float64Array;
  temperature: Float64Array;
  diam: Float64Array;
  area: Float64Array;
  weight: Float64Array;
  multiplicity: Int32Array | null;
  peer: Int32Array | null;
  vPeer: Float64Array | null;
  vecCi: Int32Array | null;
  timeSinceSpike: Float64Array | null;
  states: Float64Array[];
  parameters: Float64Array[];
  ionIndex: Int32Array[];
  ionCurrent: Float64Array[];
  ionConductance: (Float64Array | null)[];
  ionReversal: (Float64Array | null)[];
  ionInternal: (Float64Array | null)[];
  ionExternal: (Float64Array | null)[];
  ionDiffusive: (Float64Array | null)[];
  ionValence: number[];
  /** The ppack header as doubles (`dt` at `PPACK.dt / 8`): read directly, not through a getter. */
  header: Float64Array;
  /** The globals, in declaration order. */
  globals: Float64Array;
  /** The CV current and conductance arrays (`pp.i`, `pp.g`). */
  vecI: Float64Array;
  vecG: Float64Array;
}

/** A printed hook: `(pp, arrays, events) => void`; `fail(kernel, what, value, k, cv)` throws. */
export type JsHook = (pp: Record<string, unknown>, b: JsArrays, events?: unknown) => void;

const JS_CALL: Partial<Record<Op, string>> = { mod: "%", pow: "**" };

function jsNumber(value: number): string {
  if (Object.is(value, -0)) return "-0";
  return value < 0 ? `(${value})` : String(value);
}

const lit = (text: string) => JSON.stringify(text);

const planned: Spelling = {
  constant: (value) => (typeof value === "boolean" ? String(value) : jsNumber(value)),
  input: (k) => `x${k}`,
  arg: "arg",
  op(op, args) {
    const infix = INFIX[op] ?? JS_CALL[op];
    if (infix) return `(${args[0]} ${infix} ${args[1]})`;
    if (op === "eq") return `(${args[0]} === ${args[1]})`;
    if (op === "ne") return `(${args[0]} !== ${args[1]})`;
    if (op === "neg") return `(-${args[0]})`;
    if (op === "not") return `(!${args[0]})`;
    if (op === "select") return `(${args[0]} ? ${args[1]} : ${args[2]})`;
    // V8's Math.exp and Math.expm1 cost about twice these table-driven ones (kernels/exp.ts),
    // which are as accurate.
    if (op === "exp") return inlineExp(args[0]);
    if (op === "expm1") return inlineExpm1(args[0]);
    if (op === "defined") return `(${args[0]} !== undefined)`;
    return `Math.${op}(${args.join(", ")})`;
  },
};

/**
 * The spelling of a hook with opaque calls: `x` is the scope object, `kernels` the object the
 * kernels are called on, `calls` the checks of `JsCalls`.
 */
function callSpelling(plan: MechanismPlan): Spelling {
  // What x holds on this path of one instance's body: a key is set again only when it changes.
  const holds = new Map<string, string>();
  const { spec } = plan;
  return {
    ...planned,
    field: (call, code, key) => `${code}${call.guarded ? "?." : ""}[${lit(key)}]`,
    call(node: CallNode, args: string[], name: string): string[] {
      const kernel = node.kernel as KernelName;
      const sets: string[] = [];
      const after = new Map(holds);
      node.keys.forEach((key, i) => {
        if (holds.get(key) === args[i]) return;
        sets.push(`x[${lit(key)}] = ${args[i]};`);
        after.set(key, args[i]);
      });
      const extra = node.withArg ? `, ${args[node.keys.length]}` : "";
      const r = name;
      const allowed = allowedKeys(spec, kernel);
      const present = allowed.map((key) => `(${r}[${lit(key)}] !== undefined)`);
      const checks = [
        `if (${r} === null || typeof ${r} !== "object") calls.keys(${lit(kernel)}, ${r}, k, n); ` +
        `else { let count = 0; for (const _ in ${r}) count++; ` +
        `if (count !== ${["0", ...present].join(" + ")}) calls.keys(${lit(kernel)}, ${r}, k, n); }`,
        ...allowed.map((key) =>
          `if (typeof ${r}[${lit(key)}] !== "number" && ${r}[${lit(key)}] !== undefined) fail(${
            lit(kernel)
          }, ${lit(resultName(spec, kernel, key))}, ${r}[${lit(key)}], k, n);`
        ),
      ];
      if (kernel === "derivative") {
        // Which integrated states it returned, as bits; the first call fixes them.
        const bits = spec.states.flatMap((f, j) =>
          f.assigned || j > 52 ? [] : [`(${r}[${lit(f.key)}] === undefined ? 0 : ${2 ** j})`]
        );
        if (bits.length > 0) {
          checks.push(
            `{ const mask = ${
              bits.join(" + ")
            }; if (mask !== calls.returned) calls.states(${r}, mask, k, n); }`,
          );
        }
        // cnexp's a = f(s + 1) - f(s) holds only for f linear in each state and free of the others:
        // checked on every instance at a ppack's first step (JsCalls.verify; kernels/outputs.ts).
        if (plan.method === "cnexp") checks.push(`if (calls.verifying) calls.verify(${r}, k, n);`);
      }
      const invoke = `kernels.${kernel}(x${extra})`;
      if (!node.guarded) {
        for (const [key, value] of after) holds.set(key, value);
        return [...sets, `const ${r} = ${invoke};`, ...checks];
      }
      // Made only when its guard holds: afterwards x holds one of two things.
      for (const key of after.keys()) if (holds.get(key) !== after.get(key)) holds.delete(key);
      return [`let ${r};`, `if (${args[args.length - 1]}) {`, ...sets, `${r} = ${invoke};`, ...checks, "}"];
    },
  };
}

const ION: Record<string, string> = {
  reversal: "E",
  internal: "XI",
  external: "XO",
  diffusive: "XD",
  current: "IC",
  conductance: "IG",
};

function gatherCode(source: InputSource): string {
  switch (source.of) {
    case "node":
      return { v: "V", temperature: "T", diam: "D", area: "A" }[source.array] + "[n]";
    case "peer":
      return `VP === null ? ${jsNumber(source.fallback)} : VP[peer[k]]`;
    case "dt":
      return "dt";
    case "state":
      return `S${source.index}[k]`;
    case "parameter":
      return `P${source.index}[k]`;
    case "global":
      return `G${source.index}`;
    case "random":
      return `R${source.index} === null ? ${jsNumber(source.fallback)} : R${source.index}[k]`;
    case "ion": {
      const array = `${ION[source.field]}${source.ion}`;
      return `${array} === null ? ${jsNumber(source.fallback)} : ${array}[at${source.ion}]`;
    }
    case "valence":
      return `Z${source.ion}`;
    case "weight":
      return "W[k]";
    case "multiplicity":
      return `M === null ? ${jsNumber(source.fallback)} : M[k]`;
  }
}

function targetCode(target: Target): { lvalue: string; optional?: string } {
  switch (target.array) {
    case "state":
      return { lvalue: `S${target.index}[k]` };
    case "vec_i":
      return { lvalue: "vecI[n]" };
    case "vec_g":
      return { lvalue: "vecG[n]" };
    case "vec_v":
      return { lvalue: "V[n]" };
    case "ion": {
      const array = `${ION[target.field]}${target.ion}`;
      return {
        lvalue: `${array}[at${target.ion}]`,
        optional: target.field === "current" ? undefined : array,
      };
    }
  }
}

/** The views a hook may read, as `[local, expression]`: printed only if the hook uses them. */
function prologue(plan: MechanismPlan, ions: number[]): [string, string][] {
  const { spec } = plan;
  const views: [string, string][] = [
    ["node", "b.node"],
    ["V", "b.v"],
    ["T", "b.temperature"],
    ["D", "b.diam"],
    ["A", "b.area"],
    ["W", "b.weight"],
    ["M", "b.multiplicity"],
    ["peer", "b.peer"],
    ["VP", "b.vPeer"],
    ["dt", `b.header[${PPACK.dt / 8}]`],
    ["vecI", "b.vecI"],
    ["vecG", "b.vecG"],
  ];
  spec.states.forEach((_, j) => views.push([`S${j}`, `b.states[${j}]`]));
  spec.parameters.forEach((_, j) => views.push([`P${j}`, `b.parameters[${j}]`]));
  spec.globals.forEach((_, j) => views.push([`G${j}`, `b.globals[${j}]`]));
  // Arbor rotates the random-number slots every step: the view is read per call, never cached.
  spec.randoms.forEach((name, j) => views.push([`R${j}`, `pp[${JSON.stringify(name)}] ?? null`]));
  for (const j of ions) {
    views.push(
      [`I${j}`, `b.ionIndex[${j}]`],
      [`E${j}`, `b.ionReversal[${j}]`],
      [`XI${j}`, `b.ionInternal[${j}]`],
      [`XO${j}`, `b.ionExternal[${j}]`],
      [`XD${j}`, `b.ionDiffusive[${j}]`],
      [`IC${j}`, `b.ionCurrent[${j}]`],
      [`IG${j}`, `b.ionConductance[${j}]`],
      [`Z${j}`, `b.ionValence[${j}]`],
    );
  }
  return views;
}

function body(plan: MechanismPlan, hook: HookPlan): string[] {
  const lines: string[] = [];
  for (const j of hookIons(plan, hook)) lines.push(`const at${j} = I${j}[k];`);
  for (const k of hookInputs(hook)) lines.push(`const x${k} = ${gatherCode(plan.inputs[k].source)};`);
  const s = schedule(hookRoots(hook), plan.opaque.length > 0 ? callSpelling(plan) : planned);
  for (const t of s.temps) lines.push(...(t.statements ?? [`const ${t.name} = ${t.code};`]));
  // `v - v !== 0` is true for NaN and ±Infinity only: one cheap test for both.
  hook.checks.forEach((c) => {
    const value = s.of(c.value);
    lines.push(
      `if (${value} - ${value} !== 0) fail(${JSON.stringify(c.kernel)}, ${
        JSON.stringify(c.what)
      }, ${value}, k, n);`,
    );
  });
  for (const store of hook.stores) {
    const { lvalue, optional } = targetCode(store.target);
    const write = `${lvalue} ${store.mode === "add" ? "+=" : "="} ${s.of(store.value)};`;
    lines.push(optional ? `if (${optional} !== null) ${write}` : write);
  }
  return lines;
}

/** The source of one hook, as the body of `function(pp, b, events)`. */
export function printJsHook(plan: MechanismPlan, hook: HookPlan): string {
  const instance = body(plan, hook);
  const lines: string[] = [];
  if (hook.loop === "events") {
    lines.push(
      "const target = events.mechIndex, weight = events.weight;",
      "for (let e = 0; e < events.length; e++) {",
      "const k = target[e];",
      `if (!(k < b.width)) throw new Error(\`mechanism '${plan.spec.name}': event for instance \${k}, but width is \${b.width}\`);`,
      "const n = node[k];",
      "const arg = weight[e];",
      ...instance,
      "}",
    );
  } else if (hook.loop === "post") {
    lines.push(
      "const ci = b.vecCi, since = b.timeSinceSpike, detectors = pp.nDetectors;",
      "if (ci === null || since === null) return;",
      "for (let k = 0; k < b.width; k++) {",
      "const n = node[k];",
      "const cell = ci[n];",
      "for (let d = 0; d < detectors; d++) {",
      "const arg = since[cell * detectors + d];",
      "if (!(arg >= 0)) continue;",
      ...instance,
      "}",
      "}",
    );
  } else {
    lines.push("for (let k = 0, width = b.width; k < width; k++) {", "const n = node[k];", ...instance, "}");
  }
  // Only the views the loop reads are loaded: each is a property read per call, which at 1 CV
  // is a visible part of the hook's fixed cost.
  const loop = lines.join("\n");
  const used = prologue(plan, hookIons(plan, hook)).filter(([local]) =>
    new RegExp(`\\b${local}\\b`).test(loop)
  );
  return [...used.map(([local, expression]) => `const ${local} = ${expression};`), loop].join("\n");
}

/** What the hooks of a plan with opaque kernels call (see `callSpelling`). */
export interface JsCalls {
  /** The object whose kernels are called (`this` of each call). */
  kernels: object;
  /** The one scope object every call reads. */
  scope: Record<string, number>;
  /** The states (as bits) the derivative's first call returned; -1 before it. */
  returned: number;
  /** Throws unless `result` is an object of keys `kernel` may return. */
  keys(kernel: string, result: unknown, k: number, cv: number): void;
  /** Fixes (first call) or checks the states a derivative returns, as bits of `mask`. */
  states(result: Record<string, unknown>, mask: number, k: number, cv: number): void;
  /** Set while a ppack's first advanceState runs: opaque cnexp derivatives are then verified. */
  verifying: boolean;
  /**
   * Throws unless the opaque derivative that gave `result` (with the scope as it is now) is linear
   * in each integrated state and independent of the others (cnexp's precondition).
   */
  verify(result: Record<string, unknown>, k: number, cv: number): void;
}

/**
 * Makes every hook of `plan` as a JavaScript function (printed, then evaluated with `new Function`);
 * `fail` is called (and must throw) for a non-finite result or, from an opaque call, a value that
 * is no number. Returns the hooks by their plan names.
 */
export function makeJsHooks(
  plan: MechanismPlan,
  fail: (kernel: string, what: string, value: unknown, k: number, cv: number) => never,
  calls?: JsCalls,
): Partial<Record<HookPlan["hook"], JsHook>> {
  if (plan.opaque.length > 0 && calls === undefined) {
    throw new Error(`internal: mechanism '${plan.spec.name}' calls its kernels, and no object was given`);
  }
  const out: Partial<Record<HookPlan["hook"], JsHook>> = {};
  for (const hook of plan.hooks) {
    const source = `"use strict";\nreturn function ${hook.hook}(pp, b, events) {\n${EXP_SCRATCH}\n${
      printJsHook(plan, hook)
    }\n};`;
    out[hook.hook] = new Function("fail", "high", "low", "pow2", "kernels", "x", "calls", source)(
      fail,
      EXP_TABLE_HIGH,
      EXP_TABLE_LOW,
      POW2,
      calls?.kernels,
      calls?.scope,
      calls,
    ) as JsHook;
  }
  return out;
}
