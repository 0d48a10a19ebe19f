// The pointwise kernel API: integration rules, scatter rules, and every error it promises.
import assert from "node:assert/strict";
import { catalogue, type DeclaredMechanism, defineMechanism, Host } from "../mod.ts";
import { denoCommand } from "./support/deno.ts";
import { printedBy } from "./support/console.ts";
import { targetsHere } from "./support/targets.ts";

const area = 2 * Math.PI * 3 * 6;
const pade = (z: number) => (1 + 0.5 * z) / (1 - 0.5 * z);

type Run = { values: Float64Array; time: Float64Array };

async function runOn(
  mechanism: DeclaredMechanism,
  options: { cvs?: number; until?: number; state?: string },
  target: "js" | "auto",
): Promise<{ run?: Run; error?: Error; native: boolean }> {
  const cat = await catalogue({ mechanisms: [mechanism], target });
  try {
    using host = await Host.create({ catalogues: [cat] });
    const count = options.cvs ?? 1;
    host.setCvs({ count, areaUm2: area }).addNeuronIons();
    const p = host.place(mechanism.spec.name, { cvs: Array.from({ length: count }, (_, k) => k) });
    const column = options.state ? host.probeState(p, options.state) : host.probeVoltage(0);
    const result = host.run({ until: options.until ?? 1, dt: 0.025 });
    return { run: { values: result.probes[column], time: result.time }, native: "target" in cat };
  } catch (error) {
    return { error: error as Error, native: "target" in cat };
  } finally {
    cat.close();
  }
}

/**
 * Runs `mechanism` on the JS target, and again under "auto": where that is native, its values
 * (to round-off of the math library) or its error (word for word) must be the JS target's.
 */
async function run(
  mechanism: DeclaredMechanism,
  options: { cvs?: number; until?: number; state?: string } = {},
): Promise<Run> {
  const js = await runOn(mechanism, options, "js");
  const auto = await runOn(mechanism, options, "auto");
  if (auto.native) {
    assert.equal(auto.error?.message, js.error?.message, "native and JS fail alike");
    js.run?.values.forEach((x, n) => {
      const y = auto.run!.values[n];
      assert.ok(
        x === y || Math.abs(x - y) <= 1e-12 * Math.max(1, Math.abs(x)),
        `native step ${n}: ${y} vs js ${x}`,
      );
    });
  }
  if (js.error) throw js.error;
  return js.run!;
}

Deno.test("cnexp reproduces modcc's Padé update for s' = (B - s)/A exactly", async () => {
  const gate = defineMechanism({ name: "gate", method: "cnexp", states: { s: {} } }, {
    initial: () => ({ s: 0.1 }),
    derivative: (x) => ({ s: (0.8 - x.s) / 5 }),
  });
  const { values } = await run(gate, { state: "s", until: 5 });
  values.forEach((s, n) => {
    const expected = 0.8 + (0.1 - 0.8) * pade(-0.025 / 5) ** n;
    assert.ok(Math.abs(s - expected) <= 1e-14, `step ${n}: ${s} vs ${expected}`);
  });
});

Deno.test("cnexp with b = 0 is s·pade(a·dt); with a = 0 it is s + b·dt", async () => {
  const decay = defineMechanism({ name: "decay", method: "cnexp", states: { s: {} } }, {
    initial: () => ({ s: 3 }),
    derivative: (x) => ({ s: -x.s / 2 }),
  });
  const ramp = defineMechanism({ name: "ramp", method: "cnexp", states: { s: {} } }, {
    derivative: () => ({ s: 4 }),
  });
  const a = await run(decay, { state: "s" });
  a.values.forEach((s, n) => assert.ok(Math.abs(s - 3 * pade(-0.025 / 2) ** n) <= 1e-14, `decay step ${n}`));
  const b = await run(ramp, { state: "s" });
  b.values.forEach((s, n) => assert.ok(Math.abs(s - 4 * 0.025 * n) <= 1e-13, `ramp step ${n}: ${s}`));
});

Deno.test("euler integrates any derivative, nonlinear ones included", async () => {
  const logistic = defineMechanism({ name: "logistic", method: "euler", states: { s: { default: 0.1 } } }, {
    derivative: (x) => ({ s: x.s * (1 - x.s) }),
  });
  const { values, time } = await run(logistic, { state: "s" });
  let expected = 0.1;
  values.forEach((s, n) => {
    assert.equal(s, expected, `step ${n}`);
    // Each step's dt is t_end - t_begin of the accumulated times, as in Arbor.
    const dt = n + 1 < time.length ? time[n + 1] - time[n] : 0;
    expected = expected + dt * (expected * (1 - expected));
  });
});

Deno.test("cnexp refuses a derivative that is not linear in its state, naming the state", async () => {
  const bad = defineMechanism({ name: "square", method: "cnexp", states: { m: { default: 0.5 }, q: {} } }, {
    derivative: (x) => ({ m: -x.m * x.m, q: -x.q }),
  });
  await assert.rejects(
    run(bad, { state: "m" }),
    /mechanism 'square': method cnexp needs the derivative of state 'm' to be linear in 'm' \(s' = a\*s \+ b\), but `-x\.m \* x\.m` \(.*pointwise_test\.ts:\d+:\d+\) multiplies two terms that depend on 'm'; use method "euler"/,
  );
});

Deno.test("cnexp refuses a derivative that depends on another integrated state", async () => {
  const coupled = defineMechanism(
    { name: "coupled", method: "cnexp", states: { a: { default: 1 }, b: {} } },
    {
      derivative: (x) => ({ a: -x.a, b: x.a - x.b }),
    },
  );
  await assert.rejects(
    run(coupled),
    /derivative of state 'b' may only depend on 'b', but it changes with state 'a'/,
  );
});

Deno.test("a kernel returning NaN names the mechanism, kernel, state and compartment", async () => {
  const nan = defineMechanism({ name: "broken", method: "euler", states: { s: {} } }, {
    derivative: (x) => ({ s: x.area > 1e9 ? 0 : Math.sqrt(-1 - x.s) + (x.v > 0 ? 0 : NaN) }),
  });
  await assert.rejects(
    run(nan, { cvs: 3 }),
    /mechanism 'broken': derivative\(\) gave NaN for state 's' at instance 0 \(CV 0\)/,
  );
  const current = defineMechanism({ name: "broken_current" }, {
    current: (x) => ({ i: x.v > -100 ? Infinity : 0, g: 0 }),
  });
  await assert.rejects(
    run(current),
    /mechanism 'broken_current': current\(\) gave Infinity for the current at instance 0 \(CV 0\)/,
  );
  const missing = defineMechanism({ name: "forgot", states: { s: {} } }, {
    initial: (x) => ({ s: x.s > 10 ? 1 : undefined }),
  });
  // A state left out of initial() starts from its default: not an error.
  await run(missing);
});

Deno.test("a kernel returning an unknown key is an error naming the key", async () => {
  const typo = defineMechanism({ name: "typo", ions: { na: {} } }, { current: (x) => ({ ik: x.v, g: 0 }) });
  await assert.rejects(run(typo), /current\(\) returned 'ik', which is not one of i, g, ina, gna/);
  const typoState = defineMechanism({ name: "typo_state", states: { m: {} } }, { initial: () => ({ n: 1 }) });
  await assert.rejects(run(typoState), /initial\(\) returned 'n', which is not one of m/);
});

Deno.test("declarations that cannot work are refused when declared", () => {
  const throwsLike = (fn: () => unknown, pattern: RegExp) => assert.throws(fn, pattern);
  throwsLike(
    () => defineMechanism({ name: "mixed" }, { computeCurrents() {}, current: () => ({}) } as never),
    /mechanism 'mixed' defines raw hooks \(computeCurrents\) and pointwise kernels \(current\); use one API per mechanism/,
  );
  throwsLike(
    () => defineMechanism({ name: "d", kind: "density" }, { onEvent: () => ({}) }),
    /kernel onEvent does not fit kind 'density'/,
  );
  throwsLike(
    () => defineMechanism({ name: "d", method: "rk4" as "euler" }, { derivative: () => ({}) }),
    /unknown integration method 'rk4'; use "cnexp", "euler", "sparse"/,
  );
  throwsLike(
    () => defineMechanism({ name: "d", method: "euler" }, { computeCurrents() {} }),
    /method applies to pointwise kernels, and it defines none/,
  );
  throwsLike(
    () => defineMechanism({ name: "d", states: { celsius: {} } }, { derivative: () => ({}) }),
    /member 'celsius' hides the kernel scope's 'celsius'/,
  );
  throwsLike(
    () => defineMechanism({ name: "d", ions: { ca: {} } }, { concentrations: () => ({}) }),
    /a concentrations kernel needs an ion with writeIntConcentration, writeExtConcentration or useDiffConcentration/,
  );
  throwsLike(
    () => defineMechanism({ name: "d", kind: "point" }, { onPostEvent: () => ({}) }),
    /hasPostEvents and an onPostEvent kernel go together/,
  );
});

Deno.test("initial() runs at every reset and states it leaves out restart from their defaults", async () => {
  const counter = defineMechanism(
    { name: "counter", method: "euler", states: { s: { default: 7 }, t: {} } },
    {
      initial: () => ({ t: 0 }),
      derivative: () => ({ s: 1, t: 1 }),
    },
  );
  const cat = await catalogue({ mechanisms: [counter] });
  using host = await Host.create({ catalogues: [cat] });
  host.setCvs({ count: 1, areaUm2: area });
  const p = host.place("counter", { cvs: [0] });
  const s = host.probeState(p, "s");
  const first = host.run({ until: 1, dt: 0.025 });
  host.reset();
  const second = host.run({ until: 1, dt: 0.025 });
  assert.equal(first.probes[s][0], 7);
  assert.deepEqual([...second.probes[s]], [...first.probes[s]], "init is idempotent");
  cat.close();
});

Deno.test("current(): density scales by 10·weight, and dI/dV is a 1 µV difference when no g is given", async () => {
  let calls = 0;
  const ohmic = defineMechanism({ name: "ohmic", parameters: { gbar: { default: 2e-3 } } }, {
    current: (x) => (calls++, { i: x.gbar * (x.v + 60) }),
  });
  const cat = await catalogue({ mechanisms: [ohmic] });
  using host = await Host.create({ catalogues: [cat] });
  host.setCvs({ count: 2, areaUm2: area, vInit: -65 });
  host.place("ohmic", { cvs: [0, 1], weights: [1, 0.5] });
  const i0 = host.probeCurrent(0), i1 = host.probeCurrent(1);
  const { probes } = host.run({ until: 0.025, dt: 0.025 });
  assert.ok(Math.abs(probes[i0][0] - 10 * 1 * 2e-3 * -5) < 1e-15);
  assert.ok(Math.abs(probes[i1][0] - 10 * 0.5 * 2e-3 * -5) < 1e-15);
  assert.equal(calls, 4, "two instances, two evaluations each (the second for dI/dV)");
  cat.close();
});

Deno.test("dt is NaN in initial(): it is meaningless during init (garbage on Arbor 0.9/0.10)", async () => {
  const usesDt = defineMechanism({ name: "uses_dt", states: { s: {} } }, { initial: (x) => ({ s: x.dt }) });
  await assert.rejects(run(usesDt), /initial\(\) gave NaN for state 's' at instance 0 \(CV 0\)/);
});

// ---- the kernel plan in live mode ---------------------------------------------------------------

Deno.test("cnexp refuses s > 0.9 ? -s : -10*s (it passed the numeric check), naming the state and the condition", async () => {
  const bad = defineMechanism({ name: "branchy", method: "cnexp", states: { s: { default: 0.5 } } }, {
    derivative: (x) => ({ s: x.s > 0.9 ? -x.s : -10 * x.s }),
  });
  await assert.rejects(
    run(bad, { state: "s" }),
    /mechanism 'branchy': method cnexp needs the derivative of state 's' to be linear in 's'.*`x\.s > 0\.9` \(.*pointwise_test\.ts:\d+:\d+\) chooses a branch by a condition on 's'/,
  );
});

/** Runs `body` and returns what it printed with console.log and console.error (notices). */
const printed = async (body: () => Promise<unknown>): Promise<string[]> => (await printedBy(body)).lines;

Deno.test("a kernel with console.log runs as the user's function, prints, and says so once in one line", async () => {
  const chatty = defineMechanism({ name: "chatty", states: { s: {} } }, {
    initial(x) {
      console.log(`initial at v = ${x.v}`);
      return { s: 2 };
    },
  });
  const quiet = defineMechanism({ name: "quiet", states: { s: {} } }, {
    initial(_x) {
      return { s: 2 };
    },
  });
  const lines = await printed(async () => {
    const first = await run(chatty, { state: "s" });
    await run(chatty, { state: "s" });
    assert.equal(first.values[0], 2);
  });
  const notices = lines.filter((line) => line.startsWith("denocat:"));
  assert.equal(notices.length, 1, lines.join("\n"));
  assert.match(
    notices[0],
    /^denocat: mechanism 'chatty': kernel initial runs as your own function .*console\.log .*pointwise_test\.ts:\d+:\d+/,
  );
  assert.ok(lines.some((line) => line.startsWith("initial at v = ")), "the kernel's own output");
  const quietLines = await printed(() => run(quiet, { state: "s" }));
  // (Under "auto" without a zig, run() may say that the catalogue runs as JavaScript: not this.)
  assert.deepEqual(
    quietLines.filter((line) => /as your own function/.test(line)),
    [],
    "the same kernel without console.log is planned: no notice",
  );
});

Deno.test("planned hooks allocate nothing per step: density, point with events, ion writer, js and native targets (V8 collections do not grow)", async () => {
  const probe = new URL("./support/allocation_probe.ts", import.meta.url).pathname;
  const collections = async (steps: number, mode = "") => {
    const output = await denoCommand(["run", "-A", "--v8-flags=--trace-gc", probe, String(steps), mode], {
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(output.stdout);
    assert.ok(output.success, new TextDecoder().decode(output.stderr));
    assert.match(text, /allocation_probe: done/);
    // Planned mode really is planned: no mechanism of the probe fell back to the user's functions.
    if (mode === "") assert.doesNotMatch(text, /^denocat: /m);
    return text.split("\n").filter((line) => /Scavenge|Mark-Compact|Mark-sweep/.test(line)).length;
  };
  const short = await collections(1_000);
  const long = await collections(20_000);
  // 64 CVs × 19 000 more steps of hh, a leak, a synapse with events and a calcium writer: one
  // allocation per instance and step would be about 1.2 million objects per mechanism, dozens of
  // scavenges.
  assert.ok(long - short <= 3, `${short} collections for 1000 steps, ${long} for 20000`);
  const fallbackShort = await collections(1_000, "fallback");
  const fallbackLong = await collections(20_000, "fallback");
  let nativeNote = "";
  if ((await targetsHere()).includes("native")) {
    const nativeShort = await collections(1_000, "native");
    const nativeLong = await collections(20_000, "native");
    assert.ok(
      nativeLong - nativeShort <= 3,
      `native: ${nativeShort} collections for 1000 steps, ${nativeLong} for 20000`,
    );
    nativeNote = `; native target: ${nativeShort} -> ${nativeLong}`;
  }
  console.log(
    `  planned: ${short} -> ${long} collections; user's function (fallback): ${fallbackShort} -> ${fallbackLong}${nativeNote}`,
  );
});

Deno.test("x.ica is the ion's current density of the step in mA/cm², summed over its writers (NMODL's READ ica)", async () => {
  const { runCell } = await import("../mod.ts");
  // Two writers of ica (1 and 0.5 mA/cm² at weight 1) and a reader that integrates s' = x.ica.
  const writerA = defineMechanism({ name: "ica_a", kind: "density", ions: { ca: {} } }, {
    current: () => ({ ica: 1 }),
  });
  const writerB = defineMechanism({ name: "ica_b", kind: "density", ions: { ca: {} } }, {
    current: () => ({ ica: 0.5 }),
  });
  const reader = defineMechanism({
    name: "ica_reader",
    kind: "density",
    method: "euler",
    states: { s: {} },
    ions: { ca: {} },
  }, {
    initial: () => ({ s: 0 }),
    derivative: (x) => ({ s: x.ica }),
  });
  for (const target of await targetsHere()) {
    const cat = await catalogue({ mechanisms: [writerA, writerB, reader], target });
    try {
      const run = await runCell({
        areaUm2: 500,
        ions: { ca: { valence: 2, internal: 5e-5, external: 2, reversal: 120 } },
        density: [{ mechanism: "ica_a" }, { mechanism: "ica_b" }, { mechanism: "ica_reader" }],
        vclamps: [{ start: 0, duration: 1e9, voltage: -65 }],
        probes: ["ica_reader.s"],
        dt: 0.025,
        until: 1,
      }, { catalogues: [cat] });
      const s = run.traces["ica_reader.s"];
      for (let n = 1; n < s.length; n++) {
        assert.ok(Math.abs(s[n] - 1.5 * 0.025 * n) <= 1e-12, `${target} step ${n}: ${s[n]}`);
      }
    } finally {
      cat.close();
    }
  }
});
