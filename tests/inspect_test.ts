// inspect(): gating curves against closed forms (hh's α/β, exact to 1e-12; measured ones against a
// known relaxation), the clamp against Ohm's law (pas, and a point leak in nA), comparisons that
// find a changed parameter in the right curve with the right size, the NMODL import of an Allen
// channel against its hand-written port, the js and native targets alike, and bad input named. The
// protocol shapes, units and the docs' parameter table are unit-tested in inspect/protocols_test.ts.
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  checkInspectOptions,
  CustomMechanism,
  defineMechanism,
  inspect,
  InspectError,
  mechanism,
  parameter,
  type PPack,
  state,
} from "../mod.ts";
import { exprelr, PointwiseHH } from "../examples/catalogue/hh.ts";
import { Pas } from "../examples/catalogue/pas.ts";
import { NaTsPort, trap } from "../examples/allen/nats.ts";
import { HH } from "../examples/hh.ts";

const NATS_MOD = new URL("../examples/allen/NaTs.mod", import.meta.url);

/** Arbor's hh rates (examples/catalogue/hh.ts), 1/ms at 6.3 °C. */
const RATES = {
  m: [(v: number) => exprelr(-0.1 * v - 4.0), (v: number) => 4.0 * Math.exp(-(v + 65.0) / 18.0)],
  h: [
    (v: number) => 0.07 * Math.exp(-0.05 * v - 3.25),
    (v: number) => 1.0 / (Math.exp(-0.1 * v - 3.5) + 1.0),
  ],
  n: [(v: number) => 0.1 * exprelr(-0.1 * v - 5.5), (v: number) => 0.125 * Math.exp(-0.0125 * v - 0.8125)],
} as const;

const relative = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

for (const celsius of [6.3, 20]) {
  Deno.test(`inspect hh at ${celsius} °C: x∞ and τ of m, h, n are the closed-form α/β to 1e-12 over -100..60 mV`, async () => {
    const result = await inspect(PointwiseHH, { protocols: false, temperature: celsius });
    const q10 = Math.pow(3, 0.1 * celsius - 0.63);
    assert.deepEqual(result.voltages, Array.from({ length: 161 }, (_, k) => -100 + k));
    assert.deepEqual(result.gating.map((c) => `${c.state} ${c.method}`), ["m exact", "h exact", "n exact"]);
    for (const curve of result.gating) {
      const [alpha, beta] = RATES[curve.state as keyof typeof RATES];
      let worst = 0;
      curve.v.forEach((v, k) => {
        const a = alpha(v), b = beta(v);
        worst = Math.max(
          worst,
          relative(curve.inf[k], a / (a + b)),
          relative(curve.tau[k], 1 / ((a + b) * q10)),
        );
      });
      assert.ok(worst <= 1e-12, `${curve.state}: worst relative difference ${worst}`);
    }
  });
}

Deno.test("inspect pas: every I–V of the step protocols is the line g·(V − e) to 1e-12, in mA/cm2, and no gating", async () => {
  const g = 0.002, e = -65;
  const result = await inspect({ source: Pas, parameters: { g, e } }, {
    protocols: { activation: true, deactivation: { from: -120, to: 60, step: 20 } },
  });
  assert.equal(result.mechanisms[0].currentUnit, "mA/cm2");
  assert.equal(result.gating.length, 0);
  assert.match(result.notes.join("\n"), /pas has no states: no gating curves/);
  for (const protocol of result.protocols) {
    for (const curve of protocol.curves) {
      curve.x.forEach((v, k) => {
        const expected = g * (v - e);
        assert.ok(
          Math.abs(curve.y[k] - expected) <= 1e-12 * Math.max(Math.abs(expected), 1e-3),
          `${protocol.protocol} ${curve.name} at ${v} mV: ${curve.y[k]} vs ${expected}`,
        );
      });
    }
    // Every sample, not only the curves: the current follows the clamp voltage step by step.
    for (const sweep of protocol.sweeps) {
      sweep.currents.i.forEach((i, k) => {
        const expected = g * (sweep.v[k] - e);
        assert.ok(
          Math.abs(i - expected) <= 1e-12 * Math.max(Math.abs(expected), 1e-3),
          `${sweep.label}, sample ${k}`,
        );
      });
    }
  }
  const deactivation = result.protocols.find((p) => p.protocol === "deactivation")!;
  assert.deepEqual(deactivation.curves[0].x, [-120, -100, -80, -60, -40, -20, 0, 20, 40, 60]);
});

@mechanism({ name: "leak_point", kind: "point" })
class LeakPoint extends CustomMechanism {
  @parameter({ unit: "uS", default: 0.004 })
  gs!: Float64Array;

  override computeCurrents(pp: PPack<LeakPoint>): void {
    for (let k = 0; k < pp.width; k++) {
      const node = pp.nodeIndex[k];
      pp.i[node] += pp.weight[k] * pp.gs[k] * (pp.v[node] + 70); // nA, weighted as Arbor does
      pp.g[node] += pp.weight[k] * pp.gs[k];
    }
  }
}

Deno.test("inspect a point mechanism with raw hooks: currents in nA, I = g·(V − e) exactly", async () => {
  const result = await inspect(LeakPoint, { protocols: ["activation"] });
  assert.equal(result.mechanisms[0].kind, "point");
  assert.equal(result.mechanisms[0].currentUnit, "nA");
  const steady = result.protocols[0].curves.find((c) => c.name === "steady")!;
  steady.x.forEach((v, k) => assert.equal(steady.y[k], 0.004 * (v + 70), `at ${v} mV`));
  assert.match(result.tables().curves.columns.join(","), /I \(nA\)/);
});

// A gate with a known steady state and time constant, integrated exactly by raw hooks (no plan:
// its curves are measured on the clamp).
const gateInf = (v: number) => 1 / (1 + Math.exp(-(v + 30) / 8));
const gateTau = (v: number) => 2 + 6 / (1 + Math.exp((v + 40) / 12));

@mechanism({ name: "raw_gate", kind: "density" })
class RawGate extends CustomMechanism {
  @state({ unit: "1", default: 0 })
  x!: Float64Array;

  override init(pp: PPack<RawGate>): void {
    for (let k = 0; k < pp.width; k++) pp.x[k] = gateInf(pp.v[pp.nodeIndex[k]]);
  }

  override advanceState(pp: PPack<RawGate>): void {
    for (let k = 0; k < pp.width; k++) {
      const v = pp.v[pp.nodeIndex[k]], inf = gateInf(v);
      pp.x[k] = inf + (pp.x[k] - inf) * Math.exp(-pp.dt / gateTau(v));
    }
  }

  override computeCurrents(pp: PPack<RawGate>): void {
    for (let k = 0; k < pp.width; k++) pp.i[pp.nodeIndex[k]] += 10 * pp.weight[k] * 1e-3 * pp.x[k];
  }
}

Deno.test("inspect a raw-hook gate: x∞ and τ measured on the clamp match the closed forms", async () => {
  const result = await inspect(RawGate, { protocols: false, voltage: { from: -90, to: 30, step: 5 } });
  const [curve] = result.gating;
  assert.equal(curve.method, "measured");
  assert.match(result.notes.join("\n"), /x measured on the clamp \(raw hooks\)/);
  curve.v.forEach((v, k) => {
    assert.ok(Math.abs(curve.inf[k] - gateInf(v)) <= 1e-9, `x∞(${v}) = ${curve.inf[k]} vs ${gateInf(v)}`);
    // The area time constant of the exact exponential sampled every dt: τ·(1 + (dt/τ)²/12).
    assert.ok(relative(curve.tau[k], gateTau(v)) <= 1e-4, `τ(${v}) = ${curve.tau[k]} vs ${gateTau(v)}`);
  });
});

Deno.test("inspect the raw-hook HH (examples/hh.ts): its measured curves equal the pointwise hh's exact ones", async () => {
  const result = await inspect([PointwiseHH, HH], { protocols: false });
  assert.deepEqual(result.mechanisms.map((m) => m.label), [
    "hh (examples/catalogue/hh.ts)",
    "hh (examples/hh.ts)",
  ]);
  assert.deepEqual(result.gating.map((c) => c.method), [
    "exact",
    "exact",
    "exact",
    "measured",
    "measured",
    "measured",
  ]);
  for (const d of result.differences) {
    // Steady states to round-off; time constants to the area method's truncation (settled to 1e-6).
    assert.ok(d.relative <= (d.curve.startsWith("τ") ? 1e-7 : 1e-10), `${d.curve}: ${d.relative} at ${d.at}`);
  }
});

Deno.test("inspect an euler mechanism: measured, its steady state exact and τ within the Euler bias dt/2", async () => {
  const euler = defineMechanism({ name: "euler_gate", method: "euler", states: { x: {} } }, {
    initial: (x) => ({ x: 1 / (1 + Math.exp(-(x.v + 30) / 8)) }),
    derivative: (x) => ({
      x: (1 / (1 + Math.exp(-(x.v + 30) / 8)) - x.x) / (2 + 6 / (1 + Math.exp((x.v + 40) / 12))),
    }),
    current: (x) => ({ i: 1e-3 * x.x }),
  });
  const result = await inspect(euler, { protocols: false, voltage: { from: -90, to: 30, step: 10 } });
  const [curve] = result.gating;
  assert.equal(curve.method, "measured");
  curve.v.forEach((v, k) => {
    assert.ok(Math.abs(curve.inf[k] - gateInf(v)) <= 1e-9, `x∞(${v})`);
    assert.ok(
      Math.abs(curve.tau[k] - (gateTau(v) - 0.025 / 2)) <= 1e-6 * gateTau(v),
      `τ(${v}) = ${curve.tau[k]}`,
    );
  });
});

Deno.test("inspect compare: a changed gkbar shows in the current curves with the right size, not in gating", async () => {
  const gkbar = 0.036, changed = 0.05;
  const result = await inspect(
    [{ source: PointwiseHH, label: "hh" }, {
      source: PointwiseHH,
      label: "hh, gkbar changed",
      parameters: { gkbar: changed },
    }],
    { protocols: ["activation"] },
  );
  const of = (curve: string) => result.differences.find((d) => d.curve === curve)!;
  for (const state of ["m", "h", "n"]) {
    assert.equal(of(`${state} steady state`).largest, 0);
    assert.equal(of(`τ${state}`).largest, 0);
  }
  // After 500 ms at a level the states are at steady state: ΔI = Δgk·n∞⁴·(V − ek).
  const [alpha, beta] = RATES.n;
  const levels = Array.from({ length: 16 }, (_, k) => -80 + 10 * k);
  const expected = levels.map((v) => (changed - gkbar) * (alpha(v) / (alpha(v) + beta(v))) ** 4 * (v + 77));
  const largest = Math.max(...expected.map(Math.abs));
  const steady = of("activation steady");
  assert.ok(relative(steady.largest, largest) <= 1e-6, `activation steady: ${steady.largest} vs ${largest}`);
  assert.equal(steady.at, `step V = ${levels[expected.map(Math.abs).indexOf(largest)]} mV`);
  assert.equal(steady.unit, "mA/cm2");
  assert.ok(result.largestDifference()!.curve.startsWith("activation "), result.summary());
  assert.match(result.summary(), /largest differences of hh, gkbar changed from hh:/);
});

Deno.test("inspect the Allen NaTs: the NMODL import and the hand-written port agree; a changed hvhalf moves only h", async () => {
  const same = await inspect([NATS_MOD, NaTsPort], {
    temperature: 34,
    protocols: ["activation", "inactivation"],
  });
  assert.deepEqual(same.mechanisms.map((m) => m.label), ["NaTs (NaTs.mod)", "NaTs (nats.ts)"]);
  for (const d of same.differences) assert.ok(d.relative <= 1e-12, `${d.curve}: ${d.relative}`);
  const moved = await inspect(
    [NATS_MOD, { source: NaTsPort, label: "port, hvhalf -60", parameters: { hvhalf: -60 } }],
    { temperature: 34, protocols: false },
  );
  const of = (curve: string) => moved.differences.find((d) => d.curve === curve)!;
  assert.ok(of("m steady state").relative <= 1e-15 && of("τm").relative <= 1e-15);
  const hInf = (v: number, half: number) => {
    const a = 0.015 * trap(v - half, 6), b = 0.015 * trap(half - v, 6);
    return a / (a + b);
  };
  const expected = Math.max(...moved.voltages.map((v) => Math.abs(hInf(v, -60) - hInf(v, -66))));
  assert.ok(
    relative(of("h steady state").largest, expected) <= 1e-12,
    `${of("h steady state").largest} vs ${expected}`,
  );
  assert.equal(moved.largestDifference()!.curve, "h steady state");
});

Deno.test("inspect on the native target: the same gating curves and currents as the js target", async () => {
  const options = { protocols: ["activation"] as const, voltage: { from: -80, to: 40, step: 5 } };
  const js = await inspect(PointwiseHH, { ...options, protocols: [...options.protocols] });
  const native = await inspect(PointwiseHH, {
    ...options,
    protocols: [...options.protocols],
    target: "native",
  });
  assert.equal(native.mechanisms[0].target, "native");
  js.gating.forEach((curve, j) => {
    curve.inf.forEach((x, k) => assert.equal(native.gating[j].inf[k], x)); // the same plan, evaluated alike
  });
  const [a, b] = [js.protocols[0], native.protocols[0]];
  a.sweeps.forEach((sweep, j) => {
    sweep.currents.i.forEach((i, k) => {
      assert.ok(
        Math.abs(i - b.sweeps[j].currents.i[k]) <= 1e-12 * Math.max(1, Math.abs(i)),
        `sweep ${sweep.label}, ${k}`,
      );
    });
  });
});

Deno.test("inspect: figures are Vega-Lite with whole legend labels; tables carry units; files written and refused", async () => {
  const result = await inspect(PointwiseHH, { protocols: ["activation", "ap"], current: "ina" });
  assert.deepEqual(result.figureNames, ["gating", "activation", "ap"]);
  const spec = result.figure("gating").spec;
  assert.deepEqual((spec.config as { legend: unknown }).legend, { labelLimit: 0 });
  assert.equal(result.protocols[0].current, "ina");
  const tables = result.tables(200);
  assert.deepEqual(tables.gating.columns, [
    "mechanism",
    "state",
    "method",
    "V (mV)",
    "steady state (1)",
    "tau (ms)",
  ]);
  assert.deepEqual(tables.traces.columns, [
    "mechanism",
    "protocol",
    "sweep",
    "t (ms)",
    "V (mV)",
    "I (mA/cm2)",
    "ina (mA/cm2)",
    "ik (mA/cm2)",
  ]);
  const folder = await Deno.makeTempDir({ prefix: "denocat-inspect-test-" });
  try {
    const paths = await result.write({ out: folder, format: "json", tracePoints: 100 });
    assert.deepEqual(paths.map((p) => p.slice(folder.length + 1)), [
      "gating.svg",
      "activation.svg",
      "ap.svg",
      "inspect.json",
    ]);
    const json = JSON.parse(await Deno.readTextFile(join(folder, "inspect.json")));
    assert.equal(json.denocat, "inspect");
    assert.deepEqual(Object.keys(json.tables), ["gating", "curves", "traces"]);
    const svg = await Deno.readTextFile(join(folder, "activation.svg"));
    assert.ok(svg.startsWith("<svg") && svg.includes("denocat inspect"));
    // Written again: its own files are replaced; a file of the user's is refused, then replaced with force.
    await result.write({ out: folder, format: "csv" });
    await Deno.writeTextFile(join(folder, "gating.csv"), "my notes\n");
    await assert.rejects(
      result.write({ out: folder, format: "csv" }),
      /gating\.csv exists and denocat did not write it/,
    );
    assert.equal(await Deno.readTextFile(join(folder, "gating.csv")), "my notes\n");
    await result.write({ out: folder, format: "csv", force: true });
    assert.match(await Deno.readTextFile(join(folder, "gating.csv")), /^mechanism,state,method,V \(mV\)/);
  } finally {
    await Deno.remove(folder, { recursive: true });
  }
});

Deno.test("inspect bad input: ranges, steps, units and parameters are named", () => {
  const refused: [Parameters<typeof checkInspectOptions>[0], RegExp][] = [
    [{ voltage: { from: 20, to: -20 } }, /voltage: from = 20 mV is above to = -20 mV/],
    [{ voltage: { step: 0 } }, /voltage\.step must be greater than 0 mV, got 0 mV/],
    [{ voltage: { step: "1 ms" } }, /voltage\.step: "1 ms" is a time, but voltage\.step is a voltage/],
    [{ voltage: { to: 6000 } }, /voltage\.to = 6000 mV is outside ±1000 mV/],
    [{ temperature: "34 mV" }, /temperature: "34 mV" is a voltage, but temperature is a temperature/],
    [{ dt: -1 }, /dt must be greater than 0 ms/],
    [
      { protocols: { activation: { hold: "100 ms" } } },
      /activation\.hold: "100 ms" is a time, but activation\.hold is a voltage/,
    ],
    [{ protocols: { activation: { hold: "-80 mv" } } }, /activation\.hold: unknown unit 'mv'/],
    [
      { protocols: { activation: { holding: -80 } as never } },
      /protocol activation has no parameter 'holding'; its parameters are hold, before/,
    ],
    [
      { protocols: { activation: { duration: "100.01 ms" } } },
      /activation\.duration = 100\.01 ms is not a whole number of time steps/,
    ],
    [
      { protocols: { ramp: { ramps: [800.025] } } },
      /ramp\.ramps\[0\] = 800.025 ms is an odd number of time steps/,
    ],
    [{ protocols: ["activation", "iv"] as never }, /unknown protocol "iv"/],
    [{ gating: { settle: "0 s" } }, /gating\.settle must be greater than 0 ms/],
    [{ target: "gpu" as never }, /target must be "js" or "native"/],
    [{ colour: 1 } as never, /unknown option 'colour'/],
  ];
  for (const [options, message] of refused) {
    assert.throws(
      () => checkInspectOptions(options),
      (e: Error) => e instanceof InspectError && message.test(e.message),
      JSON.stringify(options),
    );
  }
});

Deno.test("inspect bad input: mechanisms without states or current, unknown parameters, NaN named by its voltage", async () => {
  const nothing = defineMechanism({ name: "nothing", parameters: { p: {} } }, { init: () => {} });
  await assert.rejects(
    inspect(nothing),
    /mechanism 'nothing' has no states and no current: inspect has nothing to show/,
  );
  await assert.rejects(
    inspect(Pas, { gating: true }),
    /mechanism 'pas' has no states: it has no gating curves to show/,
  );
  await assert.rejects(
    inspect({ source: Pas, parameters: { gbar2: 1 } }),
    /mechanism 'pas' has no parameter or global 'gbar2'; it has g, e/,
  );
  await assert.rejects(
    inspect(Pas, { parameters: { gnabar: 1 } }),
    /no mechanism inspected has a parameter or global 'gnabar'/,
  );
  await assert.rejects(inspect(Pas, { current: "ina" }), /current: 'pas' has no current "ina"; it has i/);
  // A rate written without a guard is 0/0 at -40 mV: the exact curve names the voltage.
  const naive = defineMechanism({ name: "naive", states: { m: {} } }, {
    derivative: (x) => ({ m: (x.v + 40) / (1 - Math.exp(-(x.v + 40) / 10)) * (1 - x.m) - x.m }),
    current: (x) => ({ i: 1e-3 * x.m * (x.v + 70) }),
  });
  await assert.rejects(
    inspect(naive, { protocols: false }),
    /'naive': at V = -40 mV the derivative of state 'm' is a·m \+ b with a = NaN/,
  );
  // A current that is NaN above 5 mV: the sweep that ran into it is named.
  const broken = defineMechanism({ name: "broken" }, {
    current: (x) => ({ i: x.v > 5 ? NaN : 1e-3 * (x.v + 70) }),
  });
  await assert.rejects(
    inspect(broken, { protocols: ["activation"] }),
    /broken: activation sweep 10 mV, between t = 0 and .* ms: mechanism 'broken': current\(\) gave NaN/,
  );
  await assert.rejects(
    inspect("tests/inspect_test.no"),
    /is neither a TypeScript or JavaScript module .* nor an NMODL file/,
  );
  await assert.rejects(
    inspect("examples/catalogue/mod.ts"),
    /declares 7 mechanisms \(hh, pas, expsyn, exp2syn, nernst, kdrmt, nax\): choose one/,
  );
  await assert.rejects(
    inspect([Pas, LeakPoint]),
    /inspect compares mechanisms of one kind: 'pas' is density, 'leak_point' is point/,
  );
});
