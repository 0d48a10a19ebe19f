// The kernel plan (kernels/): CSE, symbolic cnexp coefficients, linearity refused with the state
// and sub-expression named, no name mangling, uninitialised lets, expression depth. The plan is
// evaluated here by a tiny interpreter of the graph (JavaScript semantics, OPS of graph.ts), so
// these tests check the plan itself, independently of either printer.
import assert from "node:assert/strict";
import { join } from "node:path";
import { defineMechanism, type MechanismDefinition } from "../mod.ts";
import type { HookName } from "../ffi/layout.ts";
import { type Node, OPS, postorder } from "../kernels/graph.ts";
import { buildPlan, locateOwner, type MechanismPlan } from "../kernels/plan.ts";
import { CompileError, loadTypeScript, Sources } from "../kernels/source.ts";
import { MAX_INLINE_DEPTH, schedule } from "../kernels/print.ts";
import { definedKernels } from "../kernels/pointwise.ts";

const folder = await Deno.makeTempDir({ prefix: "denocat-kernels-test-" });
addEventListener("unload", () => Deno.removeSync(folder, { recursive: true }));
let files = 0;

/** Plans one `defineMechanism(definition, { kernels })` written as source text. */
async function plan(definition: MechanismDefinition, kernels: string, top = ""): Promise<MechanismPlan> {
  const file = join(folder, `m${files++}.ts`);
  const call = `defineMechanism(${JSON.stringify(definition)}, {\n${kernels}\n});`;
  await Deno.writeTextFile(file, `${top}\n${call}\n`);
  const declared = defineMechanism({ ...definition, method: undefined }, {});
  const src = new Sources(await loadTypeScript());
  const module = src.module(file);
  const owner = locateOwner(src, module, top.split("\n").length + 1, 1);
  assert.ok(owner, "the call is found");
  const names = (owner.node as unknown as { properties: { name: { text: string } }[] }).properties.map((p) =>
    p.name.text
  );
  return buildPlan(src, owner, {
    spec: declared.spec,
    method: definition.method ?? "cnexp",
    kernels: definedKernels(Object.fromEntries(names.map((n) => [n, () => {}]))),
    owner: "the test object",
  });
}

/** Evaluates a node with JavaScript semantics, inputs by scope key. */
function evaluate(p: MechanismPlan, node: Node, scope: Record<string, number>, arg = NaN): number | boolean {
  const memo = new Map<Node, number | boolean>();
  const run = (n: Node): number | boolean => {
    const known = memo.get(n);
    if (known !== undefined) return known;
    let out: number | boolean;
    if (n.kind === "const") out = n.value;
    else if (n.kind === "input") {
      const key = p.inputs[n.input].key || p.inputs[n.input].source.of;
      out = scope[key] ?? (key === "multiplicity" || key === "weight" ? 1 : NaN);
    } else if (n.kind === "arg") out = arg;
    else if (n.kind === "undef") throw new Error("undef reached evaluation");
    else if (n.kind !== "op" || n.op === "defined") throw new Error("an opaque call reached evaluation");
    else if (n.op === "select") out = run(n.args[0]) ? run(n.args[1]) : run(n.args[2]);
    else out = (OPS[n.op].js as (...a: unknown[]) => number | boolean)(...n.args.map(run));
    memo.set(n, out);
    return out;
  };
  for (const n of postorder([node], (m) => memo.has(m))) run(n); // operands first: no deep recursion
  return run(node);
}

const hook = (p: MechanismPlan, name: HookName) => p.hooks.find((h) => h.hook === name)!;
const countOps = (p: MechanismPlan, op: string) =>
  p.graph.all.filter((n) => n.kind === "op" && n.op === op).length;

Deno.test("plan: a common subexpression is one node, and a helper called twice is inlined once", async () => {
  const p = await plan(
    { name: "cse", parameters: { gbar: {} } },
    `current: (x) => ({ i: rate(x.v) * x.gbar + rate(x.v), g: Math.exp(x.v) + Math.exp(x.v) }),`,
    "const rate = (v: number) => Math.exp(-v / 10);",
  );
  assert.equal(countOps(p, "exp"), 2, "exp(-v/10) once, exp(v) once");
  const current = hook(p, "computeCurrents");
  const I = current.checks.find((c) => c.what === "the current")!.value;
  assert.equal(evaluate(p, I, { v: -10, gbar: 2 }), Math.exp(1) * 2 + Math.exp(1));
});

Deno.test("plan: cnexp coefficients are derived symbolically (a = -1/5, b = 0.8/5 folded)", async () => {
  const p = await plan(
    { name: "gate", method: "cnexp", states: { s: {} } },
    `derivative: (x) => ({ s: (0.8 - x.s) / 5 }),`,
  );
  const advance = hook(p, "advanceState");
  assert.deepEqual(p.integrated, [0]);
  assert.equal(countOps(p, "select"), 0, "with constant a and b the a = 0 and b = 0 cases fold away");
  const dt = 0.025, s = 0.3;
  const a = -1 / 5, b = 0.8 / 5, z = 0.5 * (a * dt);
  const expected = -(b / a) + (s + b / a) * ((1 + z) / (1 - z));
  assert.equal(evaluate(p, advance.stores[0].value, { s, dt }), expected);
});

Deno.test("plan: a derivative that is not linear is refused, naming the state and the sub-expression", async () => {
  const refused = (kernel: string, pattern: RegExp) =>
    assert.rejects(plan({ name: "nl", method: "cnexp", states: { s: {}, t: {} } }, kernel), (e) => {
      assert.ok(e instanceof CompileError);
      assert.match(e.message, pattern);
      return true;
    });
  await refused(
    `derivative: (x) => ({ s: x.s > 0.9 ? -x.s : -10 * x.s }),`,
    /derivative of state 's' to be linear in 's'.*`x\.s > 0\.9` \(.*m\d+\.ts:\d+:\d+\) chooses a branch by a condition on 's'/,
  );
  await refused(
    `derivative: (x) => ({ s: -x.s * x.s }),`,
    /`-x\.s \* x\.s` .* multiplies two terms that depend on 's'/,
  );
  await refused(`derivative: (x) => ({ s: Math.exp(x.s) }),`, /`Math\.exp\(x\.s\)` .* applies exp/);
  await refused(
    `derivative: (x) => ({ s: -x.s, t: x.s - x.t }),`,
    /derivative of state 't' may only depend on 't', but it changes with state 's'/,
  );
  // euler takes the same kernel.
  await plan(
    { name: "nl_euler", method: "euler", states: { s: {} } },
    `derivative: (x) => ({ s: x.s > 0.9 ? -x.s : -10 * x.s }),`,
  );
});

Deno.test("plan: locals named a_b and a$b, or café and cafè, stay apart (nothing is mangled)", async () => {
  const p = await plan(
    { name: "names" },
    `current(x) {
      const a_b = 1;
      const a$b = 2;
      const café = 3;
      const cafè = 4;
      return { i: a_b * 10 + café + 0 * a$b * cafè * x.v, g: 0 };
    },`,
  );
  const I = hook(p, "computeCurrents").checks[0].value;
  assert.equal(evaluate(p, I, { v: 1 }), 13);
});

Deno.test("plan: a let left unassigned on one path keeps the state's default in initial()", async () => {
  const p = await plan(
    { name: "uninit", states: { s: { default: 7 } } },
    `initial(x) {
      let y;
      if (x.v > 0) y = 1;
      return { s: y };
    },`,
  );
  const init = hook(p, "init");
  assert.equal(evaluate(p, init.stores[0].value, { v: 5 }), 1);
  assert.equal(evaluate(p, init.stores[0].value, { v: -5 }), 7, "undefined on this path: the default");
  await assert.rejects(
    plan(
      { name: "uninit_d", method: "euler", states: { s: {} } },
      `derivative(x) { let y; if (x.v > 0) y = 1; return { s: y }; },`,
    ),
    /derivative\(\) leaves state 's' undefined on some path/,
  );
});

Deno.test("plan: early returns select between results; keys outside the allowed set are refused", async () => {
  const p = await plan(
    { name: "paths", states: { s: { default: 2 } } },
    `onEvent(x, w) {
      if (w > 1) return { s: x.s + w };
      return {};
    },`,
  );
  const store = p.hooks.find((h) => h.hook === "applyEvents")!.stores[0].value;
  assert.equal(evaluate(p, store, { s: 3 }, 5), 8);
  assert.equal(evaluate(p, store, { s: 3 }, 0.5), 3, "left out: the old value stays");
  await assert.rejects(
    plan({ name: "typo", ions: { na: {} } }, `current: (x) => ({ ik: x.v, g: 0 }),`),
    /current\(\) returned 'ik', which is not one of i, g, ina, gna/,
  );
});

Deno.test("plan: a 300-term sum prints with no expression deeper than the inline limit", async () => {
  const terms = Array.from({ length: 300 }, (_, k) => `${k + 1} * x.v`).join(" + ");
  const p = await plan({ name: "long" }, `current: (x) => ({ i: ${terms}, g: 0 }),`);
  const I = hook(p, "computeCurrents").checks[0].value;
  assert.equal(evaluate(p, I, { v: 2 }), 2 * 300 * 301 / 2);
  const s = schedule([I], {
    constant: String,
    input: (k) => `x${k}`,
    arg: "arg",
    op: (op, args) => `${op}(${args.join(",")})`,
  });
  const nesting = (code: string) => {
    let depth = 0, deepest = 0;
    for (const c of code) {
      if (c === "(") deepest = Math.max(deepest, ++depth);
      else if (c === ")") depth--;
    }
    return deepest;
  };
  const deepest = Math.max(...s.temps.map((t) => nesting(t.code)));
  assert.ok(deepest <= MAX_INLINE_DEPTH + 1, `deepest nesting ${deepest}`);
  assert.ok(s.temps.length >= 300 / MAX_INLINE_DEPTH, `${s.temps.length} temporaries`);
});

Deno.test("plan: 5,000 accumulating statements (a long imported BREAKPOINT) are planned, not refused", async () => {
  const parameters = Object.fromEntries(Array.from({ length: 50 }, (_, k) => [`p${k}`, {}]));
  const lines = Array.from({ length: 5000 }, (_, k) => `s = s + x.p${k % 50} * ${k + 1};`);
  const p = await plan(
    { name: "breakpoint", parameters },
    `current(x) {\nlet s = 0;\n${lines.join("\n")}\nreturn { i: s * (x.v + 65), g: s };\n},`,
  );
  const G = hook(p, "computeCurrents").checks.find((c) => c.what === "the conductance")!.value;
  const scope = Object.fromEntries(Array.from({ length: 50 }, (_, k) => [`p${k}`, k]));
  let expected = 0;
  for (let k = 0; k < 5000; k++) expected = expected + (k % 50) * (k + 1);
  assert.equal(evaluate(p, G, scope), expected);
  // Printed without recursion, and with no expression deeper than the inline limit.
  const s = schedule([G], {
    constant: String,
    input: (k) => `x${k}`,
    arg: "arg",
    op: (op, a) => `${op}(${a})`,
  });
  assert.ok(s.temps.length >= 5000 / MAX_INLINE_DEPTH, `${s.temps.length} temporaries`);
});

Deno.test("plan: one expression too deep to translate is refused with advice that works", async () => {
  const terms = Array.from({ length: 20000 }, () => "x.v").join(" + ");
  await assert.rejects(plan({ name: "deep_sum" }, `current: (x) => ({ i: ${terms}, g: 0 }),`), (e) => {
    assert.ok(e instanceof CompileError);
    assert.match(
      e.message,
      /nests too deeply to translate \(.*m\d+\.ts:\d+:\d+\): break a long expression into const locals/,
    );
    return true;
  });
});

Deno.test("plan: statements outside the subset name the construct (debugger, labels)", async () => {
  await assert.rejects(
    plan({ name: "dbg" }, `current(x) { debugger; return { i: x.v }; },`),
    /debugger is not supported in a compiled kernel \(.*m\d+\.ts:\d+:\d+\)/,
  );
  await assert.rejects(
    plan({ name: "lbl" }, `current(x) { block: { break block; } return { i: x.v }; },`),
    /a labelled statement is not supported/,
  );
});
