// A kernel means what its JavaScript means (issue 27): the plan is built from the function that
// runs, with names resolved as JavaScript resolves them; where the source cannot say what runs,
// the js target runs the user's function (one notice naming mechanism, kernel and reason) and the
// native target and compiled catalogues refuse, naming the cause and file:line:column. Each case
// asserts JavaScript's numbers: the trace of a state s under euler, s[k] = s[k-1] + dt * f.
// The case modules are tests/support/kernel_cases/*.ts, or written here when they must be
// edited on disk or do not type-check (a class that defines a method twice).
import assert from "node:assert/strict";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { type Catalogue, catalogue, compileCatalogue, type DeclaredMechanism, Host } from "../mod.ts";
import type { MechanismClass } from "../mechanism/types.ts";
import { planModule } from "../catalogue/planned.ts";
import { LiveCatalogue } from "../ffi/trampoline.ts";
import { NativeCatalogue } from "../catalogue/native.ts";
import { printedBy } from "./support/console.ts";
import { decay, decayFast, decaySlow } from "./support/kernel_cases/factory.ts";
import { loopMechanisms } from "./support/kernel_cases/loop.ts";
import { shadowed } from "./support/kernel_cases/shadow_helper.ts";
import { Fast } from "./support/kernel_cases/local_base.ts";
import { Replaced } from "./support/kernel_cases/replaced.ts";

const dt = 0.025;
const MOD = new URL("../mod.ts", import.meta.url).href;
const folder = await Deno.makeTempDir({ prefix: "denocat-kernel-meaning-" });
addEventListener("unload", () => Deno.removeSync(folder, { recursive: true }));

type Mechanism = MechanismClass | DeclaredMechanism;

/** The trace of state `s` of mechanism `name` on one CV, 20 steps. */
async function trace(cat: Catalogue, name: string): Promise<number[]> {
  using host = await Host.create({ catalogues: [cat], abi: cat.abi });
  host.setCvs({ count: 1, areaUm2: 2 * Math.PI * 3 * 6 }).addNeuronIons();
  const placed = host.place(name, { cvs: [0] });
  const probe = host.probeState(placed, "s");
  return [...host.run({ until: 20 * dt, dt }).probes[probe]];
}

/** Asserts s[k] = s[k-1] + dt * f(s[k-1]) along the trace: the kernel JavaScript runs is f. */
function assertSteps(values: number[], f: (s: number) => number, what: string): void {
  assert.ok(values.length >= 10, `${what}: ${values.length} samples`);
  for (let k = 2; k < values.length; k++) {
    const expected = values[k - 1] + dt * f(values[k - 1]);
    assert.ok(
      Math.abs(values[k] - expected) <= 1e-12 * Math.max(1, Math.abs(expected)),
      `${what}: step ${k}: ${values[k]}, JavaScript's kernel gives ${expected}`,
    );
  }
}

/** On the js target: JavaScript's numbers, and the notice (if `notice`) naming the cause. */
async function onJs(mechanism: Mechanism, name: string, f: (s: number) => number, notice?: RegExp) {
  const { lines, value: cat } = await printedBy(() => catalogue({ mechanisms: [mechanism], target: "js" }));
  try {
    assert.ok(cat instanceof LiveCatalogue);
    assertSteps(await trace(cat, name), f, `${name} (js)`);
  } finally {
    cat.close();
  }
  if (notice === undefined) {
    assert.deepEqual(lines.filter((l) => l.includes(`'${name}'`)), [], "planned: no notice");
  } else {
    const said = lines.filter((l) => l.includes(`mechanism '${name}'`));
    assert.equal(said.length, 1, `one notice for ${name}: ${lines.join("\n")}`);
    assert.match(said[0], /kernel derivative runs as your own function/);
    assert.match(said[0], notice);
  }
}

/** On the native target: refused, naming the cause (`refusal`), or JavaScript's numbers. */
async function onNative(mechanism: Mechanism, name: string, f: (s: number) => number, refusal?: RegExp) {
  if (refusal !== undefined) {
    await assert.rejects(catalogue({ mechanisms: [mechanism], target: "native" }), (error: Error) => {
      assert.match(error.message, new RegExp(`cannot build '${name}'`));
      assert.match(error.message, refusal);
      return true;
    });
    return;
  }
  const cat = await catalogue({ mechanisms: [mechanism], target: "native" });
  try {
    assert.ok(cat instanceof NativeCatalogue);
    assertSteps(await trace(cat, name), f, `${name} (native)`);
  } finally {
    cat.close();
  }
}

Deno.test("a factory's kernel reads its parameter tau, not the module-level tau", async () => {
  const cause = /'tau' is a parameter of function 'decay' \(.*factory\.ts:9:37\).*\(.*factory\.ts:11:37\)/;
  await onJs(decayFast, "meaning_decay_fast", (s) => -s / 0.5, cause);
  await onJs(decaySlow, "meaning_decay_slow", (s) => -s / 8, cause);
  await onNative(decayFast, "meaning_decay_fast", (s) => -s / 0.5, cause);
  // A call made after the module was imported means the same.
  const late = decay("meaning_decay_late", 4);
  await onJs(late, "meaning_decay_late", (s) => -s / 4, cause);
});

Deno.test("mechanisms made in a loop read their own iteration's value, not the module-level one", async () => {
  const cause = /'rate' is a variable of a for…of loop \(.*loop\.ts:\d+:\d+\)/;
  await onJs(loopMechanisms[0], "meaning_loop_a", () => 1, cause);
  await onJs(loopMechanisms[1], "meaning_loop_b", () => 3, cause);
  await onNative(loopMechanisms[1], "meaning_loop_b", () => 3, cause);
});

Deno.test("a local helper shadowing a module-level helper of the same name is the one called", async () => {
  const cause =
    /'slope' is a function declared inside function 'makeShadowed' \(.*shadow_helper\.ts:\d+:\d+\)/;
  await onJs(shadowed, "meaning_shadow_helper", () => 3, cause);
  await onNative(shadowed, "meaning_shadow_helper", () => 3, cause);
});

Deno.test("class Fast extends the local Base of its function, not the module-level Base (planned, both targets)", async () => {
  await onJs(Fast, "meaning_local_base", () => 4);
  await onNative(Fast, "meaning_local_base", () => 4);
});

Deno.test("a kernel method replaced on the prototype runs as the replacement", async () => {
  const cause =
    /kernel derivative is not the one in the source file.*replaced at run time \(.*replaced\.ts:10:3\)/;
  await onJs(Replaced, "meaning_replaced", () => 5, cause);
  await onNative(Replaced, "meaning_replaced", () => 5, cause);
});

/** Writes a case module into the temporary folder and imports it. */
async function importCase(file: string, text: string): Promise<Record<string, unknown>> {
  const path = join(folder, file);
  await Deno.writeTextFile(path, text.replaceAll("MOD", MOD));
  return await import(pathToFileURL(path).href);
}

Deno.test("a class that defines its kernel twice runs the last definition: not guessed, run as written", async () => {
  // Not valid TypeScript (a duplicate method), but valid JavaScript: the last one wins.
  const { Twice } = await importCase(
    "twice.ts",
    `import { mechanism, PointwiseMechanism, state } from "MOD";
@mechanism({ name: "meaning_twice", method: "euler" })
export class Twice extends PointwiseMechanism {
  @state({ default: 0 })
  s!: number;
  derivative(_x) {
    return { s: 1 };
  }
  derivative(_x) {
    return { s: 2 };
  }
}
`,
  );
  const cause =
    /class Twice defines derivative 2 times \(.*twice\.ts:6:3, .*twice\.ts:9:3\): JavaScript runs the last one/;
  await onJs(Twice as MechanismClass, "meaning_twice", () => 2, cause);
  await onNative(Twice as MechanismClass, "meaning_twice", () => 2, cause);
});

Deno.test("a method and an arrow field of the same name: the field runs (an own property); not guessed", async () => {
  const { Both } = await importCase(
    "both.ts",
    `import { mechanism, PointwiseMechanism, state } from "MOD";
@mechanism({ name: "meaning_field", method: "euler" })
export class Both extends PointwiseMechanism {
  @state({ default: 0 })
  s!: number;
  derivative(_x) {
    return { s: 1 };
  }
  derivative = (_x) => ({ s: 3 });
}
`,
  );
  const cause = /class Both defines derivative 2 times/;
  await onJs(Both as MechanismClass, "meaning_field", () => 3, cause);
  await onNative(Both as MechanismClass, "meaning_field", () => 3, cause);
});

Deno.test("a module edited on disk after it was imported: the imported kernel runs, the file is not planned", async () => {
  const text = (rate: number) =>
    `import { mechanism, PointwiseMechanism, state } from "MOD";
@mechanism({ name: "meaning_edited", method: "euler" })
export class Edited extends PointwiseMechanism {
  @state({ default: 0 })
  s!: number;
  override derivative() {
    return { s: ${rate} };
  }
}
`;
  const { Edited } = await importCase("edited.ts", text(1));
  await new Promise((resolve) => setTimeout(resolve, 50)); // past any coarse file-time tick
  await Deno.writeTextFile(join(folder, "edited.ts"), text(7).replaceAll("MOD", MOD));
  const cause =
    /kernel derivative is not the one in the source file: the file was edited after the module was imported.*\(.*edited\.ts:6:3\)/;
  await onJs(Edited as MechanismClass, "meaning_edited", () => 1, cause);
  await onNative(Edited as MechanismClass, "meaning_edited", () => 1, cause);
});

Deno.test("a module whose constant was edited on disk after it was imported: the imported value runs", async () => {
  const text = (rate: number) =>
    `import { defineMechanism } from "MOD";
const rate = ${rate};
export const edited = defineMechanism({ name: "meaning_edited_const", method: "euler", states: { s: {} } }, {
  derivative: () => ({ s: rate }),
});
`;
  const { edited } = await importCase("edited_const.ts", text(1));
  await new Promise((resolve) => setTimeout(resolve, 50));
  await Deno.writeTextFile(join(folder, "edited_const.ts"), text(7).replaceAll("MOD", MOD));
  const cause =
    /edited_const\.ts was modified on disk .* after mechanism 'meaning_edited_const' \(defineMechanism 'meaning_edited_const', .*edited_const\.ts:3:\d+\) was declared/;
  await onJs(edited as DeclaredMechanism, "meaning_edited_const", () => 1, cause);
  await onNative(edited as DeclaredMechanism, "meaning_edited_const", () => 1, cause);
});

Deno.test("compileCatalogue of a module edited since this process imported it is refused, naming the file", async () => {
  const text = (factor: number, initial: number) =>
    `import { mechanism, parameter, PointwiseMechanism, type Scope, state } from "MOD";
@mechanism({ name: "meaning_compiled", method: "euler" })
export class Compiled extends PointwiseMechanism {
  @state({ default: 0 })
  s!: number;
  @parameter({ default: ${initial} })
  p!: number;
  override derivative(x: Scope<Compiled>) {
    return { s: ${factor} * x.p };
  }
}
`;
  const path = join(folder, "compiled.ts");
  await Deno.writeTextFile(path, text(1, 1).replaceAll("MOD", MOD));
  const first = await planModule(path);
  assert.deepEqual(first.mechanisms.map((m) => m.plan.spec.name), ["meaning_compiled"]);
  await new Promise((resolve) => setTimeout(resolve, 50));
  // The second compile in this process would combine the new kernel with the old defaults.
  await Deno.writeTextFile(path, text(2, 5).replaceAll("MOD", MOD));
  await assert.rejects(
    compileCatalogue(path, { out: join(folder, "out") }),
    /kernel derivative is not the one in the source file: the file was edited after the module was imported.*compiled\.ts:8:3/,
  );
});

Deno.test("a helper with a default parameter is refused for that cause, not as a wrong argument count", async () => {
  const { withDefault } = await importCase(
    "default_parameter.ts",
    `import { defineMechanism } from "MOD";
function rate(v: number, k = 2): number {
  return k * v;
}
export const withDefault = defineMechanism({ name: "meaning_default", method: "euler", states: { s: {} } }, {
  derivative: (x) => ({ s: rate(x.s) }),
});
`,
  );
  const cause =
    /default parameters are not supported in a compiled kernel: give helper 'rate' plain parameters.*default_parameter\.ts:2:26\)/;
  await onJs(withDefault as DeclaredMechanism, "meaning_default", (s) => 2 * s, cause);
  await onNative(withDefault as DeclaredMechanism, "meaning_default", (s) => 2 * s, cause);
});
