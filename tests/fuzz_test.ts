// Issue 11, proof: random bad input with a fixed seed and a bounded number of cases. Every case
// must either give a correct result or fail with an Error that names the thing concerned; no
// case may crash the process. Host arguments and hook behaviour (throws, wrong writes, re-entry,
// promises, kept views) run in a subprocess (tests/support/fuzz_cases.ts), so that a crash is
// seen as a signal instead of killing the test runner; declarations run here.
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { catalogue, defineMechanism } from "../mod.ts";
import { generator } from "./support/random.ts";

const SEED = 20261202;

Deno.test("fuzz: random host arguments and hook behaviour never crash, never go wrong silently", async () => {
  const child = fileURLToPath(new URL("./support/fuzz_cases.ts", import.meta.url));
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", child, String(SEED), "400", "200"],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  const lines = decoder.decode(output.stdout).trim().split("\n").map((line) => JSON.parse(line));
  const last = lines.at(-1);
  assert.equal(output.signal, null, `the child was killed by ${output.signal} after ${JSON.stringify(last)}`);
  assert.equal(output.code, 0, decoder.decode(output.stderr));
  assert.deepEqual(last, { done: true }, "every case ran");
  const cases = lines.slice(0, -1);
  assert.equal(cases.length, 600);
  const wrong = cases.filter((c) => c.outcome === "wrong");
  assert.deepEqual(wrong, [], "cases that returned a wrong result or an error naming the wrong thing");
  // The generator reaches both sides: accepted calls (checked for their result) and refused ones.
  assert.ok(cases.filter((c) => c.outcome === "ok").length >= 50);
  assert.ok(cases.filter((c) => c.outcome === "error").length >= 300);
});

Deno.test("fuzz: random declarations are accepted exactly as given, or refused naming the mechanism", async () => {
  const random = generator(SEED);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
  const values: readonly unknown[] = [
    0,
    1,
    -1,
    0.5,
    NaN,
    Infinity,
    -Infinity,
    1e308,
    "mV",
    "",
    "x",
    true,
    false,
    null,
    undefined,
    [],
    [0, 1],
    [1, 0],
    [-Infinity, Infinity],
    [Infinity, Infinity],
    [NaN, 1],
    {},
    2,
  ];
  const fieldKeys = ["name", "unit", "default", "range", "assigned", "defualt", "units", "Range"];
  const ionKeys = [
    "name",
    "writeIntConcentration",
    "readRevPotential",
    "verifyValence",
    "expectedValence",
    "writeIntConc",
  ];
  const mechanismKeys = ["kind", "isLinear", "hasPostEvents", "method", "kinds", "isLiner"];
  let accepted = 0;
  let refused = 0;
  for (let n = 0; n < 150; n++) {
    const name = `fz${n}`;
    // A third of the cases are well formed, so that acceptance is checked too.
    const sound = random() < 0.35;
    const field: Record<string, unknown> = sound
      ? { unit: pick(["mV", "1", ""]), default: pick([0, 1, -2.5]) }
      : {};
    if (!sound) {
      for (let k = 0; k < 1 + Math.floor(random() * 2); k++) field[pick(fieldKeys)] = pick(values);
    }
    const ion: Record<string, unknown> = {};
    if (!sound && random() < 0.5) ion[pick(ionKeys)] = pick(values);
    const definition: Record<string, unknown> = { name, states: { s: field } };
    if (random() < 0.4) {
      definition.ions = { [sound ? pick(["na", "k"]) : pick(["na", "ons", "vecC", "k"])]: ion };
    }
    if (!sound && random() < 0.4) definition[pick(mechanismKeys)] = pick(values);
    const hookName = sound
      ? pick(["computeCurrents", "advanceState", "rates"])
      : pick(["computeCurrents", "computeCurrent", "advanceState", "advancestate", "rates"]);
    const hooks = { [hookName]() {} };
    let spec;
    try {
      const declared = defineMechanism(definition as never, hooks as never);
      (await catalogue({ mechanisms: [declared] })).close();
      spec = declared.spec;
    } catch (error) {
      assert.ok(error instanceof Error, `case ${n}: threw ${String(error)}`);
      assert.match(
        error.message,
        new RegExp(`^(defineMechanism\\('${name}'\\)|mechanism '${name}'|cannot add mechanism '${name}')`),
        `case ${n}: ${JSON.stringify(definition)}`,
      );
      refused++;
      continue;
    }
    // Accepted: the spec holds exactly what was declared.
    accepted++;
    const state = spec.states[0];
    const declaredDefault = field.default ?? 0;
    assert.equal(state.defaultValue, declaredDefault, `case ${n}`);
    assert.ok(Number.isFinite(state.defaultValue), `case ${n}: default ${state.defaultValue}`);
    assert.equal(state.unit, field.unit ?? "", `case ${n}`);
    assert.equal(state.name, field.name ?? "s", `case ${n}`);
    for (const key of Object.keys(field)) {
      assert.ok(["name", "unit", "default", "range", "assigned"].includes(key));
    }
    assert.ok(!["computeCurrent", "advancestate"].includes(hookName), `case ${n}: typo ${hookName} accepted`);
  }
  assert.ok(accepted >= 30, `${accepted} accepted`);
  assert.ok(refused >= 50, `${refused} refused`);
});
