// The pointwise ports of Arbor's default catalogue (examples/catalogue/) on the native host, each
// against a reference that does not run the port's own code: closed-form solutions of the
// host's and modcc's update rules, physical formulas computed here, an independent hook-level
// implementation (hh), and traces recorded from real Arbor 0.11.0 (tests/data/arbor).
import assert from "node:assert/strict";
import { type Catalogue, catalogue, type CatalogueOptions, defineMechanism, Host } from "../mod.ts";
import { ION_FLAG, KIND } from "../abi/layout.ts";
import { readCatalogueAsArbor } from "./support/arbor_view.ts";
import {
  arborDefaultPorts,
  Exp2Syn,
  ExpSyn,
  Kdrmt,
  Nax,
  Nernst,
  Pas,
  PointwiseHH,
} from "../examples/catalogue/mod.ts";
import { HH } from "../examples/hh.ts";

const area = 2 * Math.PI * 3 * 6; // µm²: the single-CV cylinder of the recorded Arbor traces
const EPS = Number.EPSILON;
const REFERENCE = new URL("./data/arbor/", import.meta.url);

/** modcc's cnexp propagator, the (1,1) Padé approximant of exp (docs/abi.md 5.6). */
const pade = (z: number) => (1 + 0.5 * z) / (1 - 0.5 * z);

/** Runs `body` with a fresh catalogue of `mechanisms` and one host on it; closes both. */
async function withHost<T>(
  mechanisms: NonNullable<CatalogueOptions["mechanisms"]>,
  body: (host: Host, cat: Catalogue) => T | Promise<T>,
): Promise<T> {
  const cat = await catalogue({ mechanisms });
  try {
    using host = await Host.create({ catalogues: [cat] });
    return await body(host, cat);
  } finally {
    cat.close();
  }
}

/** Index of the step [time[k], time[k+1]) that contains t: where the host delivers an event. */
function stepOf(time: Float64Array, t: number): number {
  let k = 0;
  while (k + 1 < time.length && time[k + 1] <= t) k++;
  return k;
}

/** Largest |a[n] − f(n)| over n in [from, a.length). */
function worst(a: ArrayLike<number>, f: (n: number) => number, from = 0): number {
  let max = 0;
  for (let n = from; n < a.length; n++) max = Math.max(max, Math.abs(a[n] - f(n)));
  return max;
}

function report(what: string, value: number, tolerance: number): void {
  console.log(`  ${what}: ${value.toExponential(2)} (tolerance ${tolerance.toExponential(1)})`);
  assert.ok(value <= tolerance, `${what}: ${value} > ${tolerance}`);
}

// ---- metadata --------------------------------------------------------------------------------

Deno.test("Arbor sees every port's names, defaults, units, kind and ion flags as in its .mod file", async () => {
  const cat = await catalogue({ mechanisms: arborDefaultPorts });
  try {
    const byName = Object.fromEntries(readCatalogueAsArbor(cat.path, "0.7").map((m) => [m.name, m]));
    const table = (fields: { name: string; defaultValue: number; unit: string }[]) =>
      Object.fromEntries(fields.map((f) => [f.name, [f.defaultValue, f.unit]]));
    const names = (fields: { name: string }[]) => fields.map((f) => f.name);
    const readRev = ION_FLAG.readRevPotential;
    // Typed from mechanisms/default/*.mod (Arbor 0.10.0 to 0.12.0-dev). Parameters are the
    // PARAMETERs named in RANGE; modcc makes the other PARAMETERs globals. States are the STATE
    // variables followed by the ASSIGNED ones (modcc's state table order).
    const expected: Record<string, {
      kind: number;
      isLinear: boolean;
      globals: Record<string, [number, string]>;
      parameters: Record<string, [number, string]>;
      states: string[];
      ions: { name: string; flags: number; expectedValence: number }[];
    }> = {
      hh: {
        kind: KIND.density,
        isLinear: false,
        globals: {},
        parameters: {
          gnabar: [0.12, "S/cm2"],
          gkbar: [0.036, "S/cm2"],
          gl: [0.0003, "S/cm2"],
          el: [-54.3, "mV"],
        },
        states: ["m", "h", "n", "q10"],
        ions: [{ name: "na", flags: readRev, expectedValence: 0 }, {
          name: "k",
          flags: readRev,
          expectedValence: 0,
        }],
      },
      pas: {
        kind: KIND.density,
        isLinear: false,
        globals: { e: [-70, "mV"] },
        parameters: { g: [0.001, "S/cm2"] },
        states: [],
        ions: [],
      },
      expsyn: {
        kind: KIND.point,
        isLinear: true,
        globals: {},
        parameters: { tau: [2.0, "ms"], e: [0, "mV"] },
        states: ["g"],
        ions: [],
      },
      exp2syn: {
        kind: KIND.point,
        isLinear: true, // as modcc; `factor` is assigned, so coalescing leaves it unscaled
        globals: {},
        parameters: { tau1: [0.5, "ms"], tau2: [2, "ms"], e: [0, "mV"] },
        states: ["A", "B", "factor"],
        ions: [],
      },
      nernst: {
        kind: KIND.reversal_potential,
        isLinear: false,
        globals: {
          R: [8.31446261815324, "joule/kelvin/mole"],
          F: [96485.3321233100184, "coulomb/mole"],
        },
        parameters: {},
        states: ["coeff"],
        ions: [{
          name: "x",
          flags: ION_FLAG.readIntConcentration | ION_FLAG.readExtConcentration |
            ION_FLAG.writeRevPotential | ION_FLAG.readValence,
          expectedValence: 0,
        }],
      },
      kdrmt: {
        kind: KIND.density,
        isLinear: false,
        globals: {
          a0m: [0.0035, ""],
          zetam: [0.055, ""],
          gmm: [0.5, ""],
          q10: [3, ""],
          alpm: [0, ""],
          betm: [0, ""],
        },
        parameters: { gbar: [0.002, "mho/cm2"], vhalfm: [-50, ""] },
        states: ["m"],
        ions: [{ name: "k", flags: readRev, expectedValence: 0 }],
      },
      nax: {
        kind: KIND.density,
        isLinear: false,
        globals: {
          tha: [-30, "mV"],
          qa: [7.2, "mV"],
          Ra: [0.4, "/ms"],
          Rb: [0.124, "/ms"],
          thi1: [-45, "mV"],
          thi2: [-45, "mV"],
          qd: [1.5, "mV"],
          qg: [1.5, "mV"],
          mmin: [0.02, ""],
          hmin: [0.5, ""],
          q10: [2, ""],
          Rg: [0.01, "/ms"],
          Rd: [0.03, "/ms"],
          thinf: [-50, "mV"],
          qinf: [4, "mV"],
        },
        parameters: { sh: [5, "mV"], gbar: [0.010, "mho/cm2"] },
        states: ["m", "h"],
        ions: [{ name: "na", flags: readRev, expectedValence: 0 }],
      },
    };
    assert.deepEqual(Object.keys(byName).sort(), Object.keys(expected).sort());
    for (const [name, want] of Object.entries(expected)) {
      const got = byName[name];
      assert.equal(got.kind, want.kind, `${name}: kind`);
      assert.equal(got.isLinear, want.isLinear, `${name}: is_linear`);
      assert.equal(got.hasPostEvents, false, `${name}: has_post_events`);
      assert.deepEqual(table(got.globals), want.globals, `${name}: globals`);
      assert.deepEqual(table(got.parameters), want.parameters, `${name}: parameters`);
      if (name !== "hh") assert.deepEqual(names(got.states), want.states, `${name}: states`);
      else assert.deepEqual(names(got.states).sort(), [...want.states].sort(), `${name}: states`);
      assert.deepEqual(got.ions, want.ions, `${name}: ions`);
    }
  } finally {
    cat.close();
  }
});

// ---- pas -------------------------------------------------------------------------------------

Deno.test("pas: v relaxes to e as the implicit-Euler recurrence says, and to O(dt) of the exact exponential", async () => {
  await withHost([Pas], (host) => {
    const cm = 0.01, dt = 0.025, until = 10;
    // CV 0: pas with its defaults (g = 0.001 S/cm², e = -70 mV). CV 1: the global e changed by
    // Arbor's derived name, g overridden, and covering 40% of the CV.
    const cases = [
      { cv: 0, g: 0.001, e: -70, weight: 1, v0: -20 },
      { cv: 1, g: 0.005, e: -55, weight: 0.4, v0: 10 },
    ];
    host.setCvs({ count: 2, areaUm2: area, cm, vInit: cases.map((c) => c.v0) });
    host.place("pas", { cvs: [0] });
    host.place("pas/e=-55", { cvs: [1], weights: [0.4], parameters: { g: 0.005 } });
    const columns = cases.map((c) => ({ v: host.probeVoltage(c.cv), i: host.probeCurrent(c.cv) }));
    const { probes } = host.run({ until, dt });
    for (const c of cases) {
      const v = probes[columns[c.cv].v], i = probes[columns[c.cv].i];
      // Units: 10·weight·g (S/cm² -> kS/m²) is the conductance G the mechanism adds to vec_g,
      // and vec_i = G·(v - e) in A/m². The host's solve
      //   (C/dt + A·G)·V' = (C/dt + A·G)·V - A·G·(V - e),  C = cm·A,
      // gives V' - e = (V - e)/(1 + k) with k = G·dt/cm (kS/m²·ms / (F/m²) is dimensionless):
      //   V_n = e + (V_0 - e)·(1 + k)^-n.
      const G = 10 * c.weight * c.g;
      const k = G * dt / cm;
      const delta = c.v0 - c.e;
      // Round-off: each step rounds a handful of operations on numbers of size <= M, and the
      // recurrence contracts errors (factor 1/(1 + k) < 1), so over N steps they stay below
      // 8·N·eps·M.
      const M = Math.max(Math.abs(c.v0), Math.abs(c.e));
      report(
        `pas CV ${c.cv}: max |V - e - (V0 - e)(1+k)^-n| (mV)`,
        worst(v, (n) => c.e + delta * Math.pow(1 + k, -n)),
        8 * v.length * EPS * M,
      );
      // The exact solution of C dV/dt = -A·G·(V - e) is e + (V0 - e)·exp(-t·G/cm). With x = n·k,
      // (1 + k)^-n = exp(-x)·exp(x·(k - ln(1 + k))/k) and 0 <= k - ln(1 + k) <= k²/2, so
      // |V_n - exact| <= |V0 - e|·x·e^-x·(k/2)·e^(x·k/2) <= |V0 - e|·k/(2e·(1 - k/2)): first
      // order in dt. The run covers x = 1, where the leading term |V0 - e|·k/(2e) is reached.
      const exponential = worst(v, (n) => c.e + delta * Math.exp(-n * k));
      const bound = Math.abs(delta) * k / (2 * Math.E * (1 - k / 2));
      report(`pas CV ${c.cv}: max |V - exact exponential| (mV)`, exponential, bound);
      assert.ok(exponential >= 0.9 * Math.abs(delta) * k / (2 * Math.E), "the error is the O(dt) term");
      // vec_i before the solve: 10·weight·g·(v - e), in A/m².
      report(
        `pas CV ${c.cv}: max |vec_i - 10·w·g·(v - e)| (A/m²)`,
        worst(i, (n) => G * (v[n] - c.e)),
        4 * EPS * Math.abs(G * M),
      );
    }
  });
});

// ---- expsyn ----------------------------------------------------------------------------------

Deno.test("expsyn: g after events is the sum of weight·pade(-dt/tau)^n; events reach only their instance", async () => {
  await withHost([ExpSyn], (host) => {
    const dt = 0.025, until = 20;
    host.setCvs({ count: 3, areaUm2: area, vInit: -65 });
    // Instances 0 and 1 on CVs 0 and 1; instances 2 and 3 share CV 2 with equal parameters, so
    // the host merges them as Arbor does for a linear mechanism (expsyn is linear in modcc).
    const taus = [2, 5, 3, 3], es = [0, -10, 0, 0], cvs = [0, 1, 2, 2];
    const syn = host.place("expsyn", { cvs, parameters: { tau: taus, e: es } });
    const events: [number, number, number][] = [
      [0, 1.0, 0.01], // one event
      [1, 2.0, 0.02], // three events of different weights, two of them in the same step
      [1, 6.0, 0.005],
      [1, 6.01, 0.012],
      [2, 3.0, 0.004], // one event to each merged synapse
      [3, 4.0, 0.006],
    ];
    for (const [instance, t, w] of events) host.event(syn, instance, t, w);
    const g = [0, 1, 2, 3].map((k) => host.probeState(syn, "g", k));
    const v = [0, 1, 2].map((cv) => host.probeVoltage(cv));
    const i = [0, 1, 2].map((cv) => host.probeCurrent(cv));
    const { probes, time } = host.run({ until, dt });
    // Event weights are single-precision floats in the ABI (arb_weight_type), hence fround.
    // An event is applied at the start of the step that contains its time, before the sample;
    // each later step multiplies g by pade(-dt/tau) (cnexp of g' = -g/tau). Round-off: n <= 800
    // steps of one multiplication each drift by about n·eps/2 relative, under 1e-13.
    const response = (instances: number[], tau: number) => (n: number) => {
      let sum = 0;
      for (const [instance, t, w] of events) {
        const s = stepOf(time, t);
        if (instances.includes(instance) && n >= s) sum += Math.fround(w) * Math.pow(pade(-dt / tau), n - s);
      }
      return sum;
    };
    // Whose events each probe sees: its own; the two merged synapses share one state.
    const groups = [[0], [1], [2, 3], [2, 3]];
    const expected = groups.map((group, k) => response(group, taus[k]));
    for (let k = 0; k < 4; k++) {
      const trace = probes[g[k]];
      const peak = Math.max(...trace);
      report(
        `expsyn instance ${k}: max |g - sum of w·pade^n| / max g`,
        worst(trace, expected[k]) / peak,
        1e-13,
      );
      const first = Math.min(
        ...events.filter((e) => groups[k].includes(e[0])).map((e) => stepOf(time, e[1])),
      );
      assert.ok(
        trace.subarray(0, first).every((x) => x === 0),
        `instance ${k} is exactly 0 before its first event`,
      );
    }
    // The current each CV receives: (1000/area)·g·(v - e), nA over µm² in A/m² (docs/abi.md 5.2).
    for (let cv = 0; cv < 3; cv++) {
      const k = cv; // instance k sits on CV k; on CV 2 the merged instance counts once
      const scale = 1000 / area;
      const reference = (n: number) => scale * expected[k](n) * (probes[v[cv]][n] - es[k]);
      const size = Math.max(...probes[i[cv]].map(Math.abs));
      report(
        `expsyn CV ${cv}: max |vec_i - (1000/A)·g·(v - e)| / max |vec_i|`,
        worst(probes[i[cv]], reference) / size,
        1e-13,
      );
    }
  });
});

// ---- exp2syn ---------------------------------------------------------------------------------

/** Maximum of f on [a, b] for a unimodal f, by golden-section search. */
function goldenMax(f: (t: number) => number, a: number, b: number): number {
  const r = (Math.sqrt(5) - 1) / 2;
  let x1 = b - r * (b - a), x2 = a + r * (b - a);
  let f1 = f(x1), f2 = f(x2);
  for (let k = 0; k < 200; k++) {
    if (f1 < f2) {
      a = x1, x1 = x2, f1 = f2, x2 = a + r * (b - a), f2 = f(x2);
    } else {
      b = x2, x2 = x1, f2 = f1, x1 = b - r * (b - a), f1 = f(x1);
    }
  }
  return Math.max(f1, f2);
}

Deno.test("exp2syn: A and B follow weight·factor·pade^n, and factor normalises the peak to the weight", async () => {
  await withHost([Exp2Syn], (host) => {
    const dt = 0.025, until = 30;
    host.setCvs({ count: 2, areaUm2: area, vInit: -65 });
    const cases = [
      { tau1: 0.5, tau2: 2, e: 0, t: 1.0, w: 0.01 }, // the defaults
      { tau1: 1, tau2: 7, e: -20, t: 2.0, w: 0.03 },
    ];
    const syn = host.place("exp2syn", {
      cvs: [0, 1],
      parameters: {
        tau1: cases.map((c) => c.tau1),
        tau2: cases.map((c) => c.tau2),
        e: cases.map((c) => c.e),
      },
    });
    cases.forEach((c, k) => host.event(syn, k, c.t, c.w));
    const columns = cases.map((_, k) => ({
      A: host.probeState(syn, "A", k),
      B: host.probeState(syn, "B", k),
      factor: host.probeState(syn, "factor", k),
      v: host.probeVoltage(k),
      i: host.probeCurrent(k),
    }));
    const { probes, time } = host.run({ until, dt });
    cases.forEach((c, k) => {
      const col = columns[k];
      // The normalisation: one event of weight w gives the conductance
      // w·factor·(exp(-t/tau2) - exp(-t/tau1)), whose maximum must be w. Found here twice: by
      // calculus (the peak is where the derivative vanishes, tp = ln(tau1/tau2)/(1/tau2 - 1/tau1))
      // and by a numerical maximisation that knows nothing of tp.
      const shape = (t: number) => Math.exp(-t / c.tau2) - Math.exp(-t / c.tau1);
      const tp = Math.log(c.tau1 / c.tau2) / (1 / c.tau2 - 1 / c.tau1);
      const analytic = 1 / shape(tp);
      const numeric = 1 / goldenMax(shape, 0, 20 * c.tau2);
      const factor = probes[col.factor];
      report(
        `exp2syn ${k}: |factor - 1/peak (calculus)| / factor`,
        Math.abs(factor[0] - analytic) / analytic,
        1e-14,
      );
      report(
        `exp2syn ${k}: |factor - 1/peak (numerical)| / factor`,
        Math.abs(factor[0] - numeric) / numeric,
        1e-13,
      );
      assert.ok(factor.every((f) => f === factor[0]), "factor stays constant (it is not integrated)");
      // After the event of step s: A_n = w·factor·pade(-dt/tau1)^(n-s), B_n likewise with tau2.
      const s = stepOf(time, c.t);
      const jump = Math.fround(c.w) * analytic;
      const A = (n: number) => n < s ? 0 : jump * Math.pow(pade(-dt / c.tau1), n - s);
      const B = (n: number) => n < s ? 0 : jump * Math.pow(pade(-dt / c.tau2), n - s);
      report(
        `exp2syn ${k}: max |A - w·factor·pade(-dt/tau1)^n| / (w·factor)`,
        worst(probes[col.A], A) / jump,
        1e-13,
      );
      report(
        `exp2syn ${k}: max |B - w·factor·pade(-dt/tau2)^n| / (w·factor)`,
        worst(probes[col.B], B) / jump,
        1e-13,
      );
      // Current (1000/area)·(B - A)·(v - e) in A/m².
      const current = (n: number) => (1000 / area) * (B(n) - A(n)) * (probes[col.v][n] - c.e);
      const size = Math.max(...probes[col.i].map(Math.abs));
      report(
        `exp2syn ${k}: max |vec_i - (1000/A)(B - A)(v - e)| / max |vec_i|`,
        worst(probes[col.i], current) / size,
        1e-12,
      );
    });
  });
});

// ---- nernst ----------------------------------------------------------------------------------

Deno.test("nernst/na and nernst/ca: eX = 1000·RT/(zF)·ln(Xo/Xi) at 6.3 °C and 37 °C", async () => {
  // A mechanism that only uses na and ca, so that both ions live on both CVs.
  const users = defineMechanism({ name: "ion_users", ions: { na: {}, ca: {} } });
  await withHost([Nernst, users], (host) => {
    const temperatures = [6.3, 37];
    const ions = {
      na: { valence: 1, internal: 12, external: 145, reversal: 50 },
      ca: { valence: 2, internal: 1e-4, external: 2.5, reversal: 100 },
    };
    host.setCvs({ count: 2, areaUm2: area, temperatureDegC: temperatures });
    for (const [name, ion] of Object.entries(ions)) host.addIon(name, ion);
    host.place("ion_users", { cvs: [0, 1] });
    host.place("nernst/na");
    host.place("nernst/ca");
    const columns = (["na", "ca"] as const).flatMap((name) =>
      [0, 1].map((cv) => ({ name, cv, e: host.probeIon(name, "e", cv) }))
    );
    const { probes } = host.run({ until: 1, dt: 0.025 });
    // R = N_A·k_B and F = N_A·e, from the exact SI defining constants (2019).
    const NA = 6.02214076e23, kB = 1.380649e-23, qe = 1.602176634e-19;
    const R = NA * kB, F = NA * qe;
    for (const { name, cv, e } of columns) {
      const ion = ions[name];
      const T = temperatures[cv] + 273.15;
      const expected = 1000 * R * T * Math.log(ion.external / ion.internal) / (ion.valence * F);
      const trace = probes[e];
      assert.ok(trace.every((x) => x === trace[0]), "assigned each step, never accumulated");
      report(
        `nernst/${name} at ${temperatures[cv]} °C: |eX - RT/(zF)·ln(Xo/Xi)| / |eX|`,
        Math.abs(trace[0] - expected) / Math.abs(expected),
        1e-14,
      );
    }
  });
});

// ---- hh --------------------------------------------------------------------------------------

interface Recorded {
  meta: {
    cv_area_um2: number;
    Vm_init_mV: number;
    temperature_degC: number;
    dt_ms: number;
    tfinal_ms: number;
    density: { mechanism: string; params: Record<string, number> }[];
    iclamp: { tstart_ms: number; duration_ms: number; amplitude_nA: number } | null;
    synapse: { mechanism: string; params: Record<string, number> } | null;
    events: { t_ms: number; weight: number }[] | null;
    nernst_ion: string | null;
    columns: string[];
    spikes_ms: number[];
  };
  rows: number[][];
}

function recorded(name: string): Recorded {
  const meta = JSON.parse(Deno.readTextFileSync(new URL(`${name}.json`, REFERENCE)));
  const lines = Deno.readTextFileSync(new URL(`${name}.csv`, REFERENCE)).trim().split("\n");
  assert.deepEqual(lines[0].split(","), meta.columns);
  return { meta, rows: lines.slice(1).map((line) => line.split(",").map(Number)) };
}

/** Runs a recorded case on the host: one CV, the same mechanisms, clamp, events and probes. */
function runRecorded(host: Host, { meta }: Recorded) {
  host.setCvs({
    count: 1,
    areaUm2: meta.cv_area_um2,
    vInit: meta.Vm_init_mV,
    temperatureDegC: meta.temperature_degC,
  });
  host.addNeuronIons();
  const placed: Record<string, ReturnType<Host["place"]>> = {};
  for (const d of meta.density) {
    placed[d.mechanism] = host.place(d.mechanism, { cvs: [0], parameters: d.params });
  }
  if (meta.synapse) {
    const p = host.place(meta.synapse.mechanism, { cvs: [0], parameters: meta.synapse.params });
    placed[meta.synapse.mechanism] = p;
    for (const e of meta.events ?? []) host.event(p, 0, e.t_ms, e.weight);
  }
  if (meta.nernst_ion) host.place(`nernst/${meta.nernst_ion}`);
  if (meta.iclamp) {
    host.iclamp(0, {
      start: meta.iclamp.tstart_ms,
      duration: meta.iclamp.duration_ms,
      amplitude: meta.iclamp.amplitude_nA,
    });
  }
  host.detector(0, -10);
  for (const column of meta.columns.slice(1)) {
    if (column === "v_mV") host.probeVoltage(0);
    else {
      const [mechanism, state] = column.split(".");
      host.probeState(placed[mechanism], state);
    }
  }
  const result = host.run({ until: meta.tfinal_ms, dt: meta.dt_ms });
  return { ...result, spikes: [...host.spikes().times] };
}

Deno.test("hh (pointwise) equals the raw-hook HH of examples/hh.ts within 1e-9 mV", async () => {
  const case_ = recorded("hh_iclamp");
  const pointwise = await withHost([PointwiseHH], (host) => runRecorded(host, case_));
  const raw = await withHost([HH], (host) => runRecorded(host, case_));
  assert.equal(pointwise.steps, raw.steps);
  case_.meta.columns.slice(1).forEach((column, c) => {
    const tolerance = column === "v_mV" ? 1e-9 : 1e-12;
    report(
      `hh ${column}: max |pointwise - raw hooks|`,
      worst(pointwise.probes[c], (n) => raw.probes[c][n]),
      tolerance,
    );
  });
  assert.deepEqual(pointwise.spikes.length, raw.spikes.length);
});

Deno.test("hh (pointwise) reproduces Arbor 0.11's recorded hh_iclamp trace", async () => {
  const case_ = recorded("hh_iclamp");
  const run = await withHost([PointwiseHH], (host) => runRecorded(host, case_));
  const { rows, meta } = case_;
  assert.equal(run.steps, rows.length);
  assert.ok(run.time.every((t, n) => t === rows[n][0]), "the host samples at Arbor's times");
  const before = rows.findIndex((row) => row[0] >= 59.9); // the clamp switches off at 60 ms
  meta.columns.slice(1).forEach((column, c) => {
    const trace = rows.map((row) => row[c + 1]);
    const differences = Array.from(trace, (x, n) => Math.abs(run.probes[c][n] - x));
    const early = Math.max(...differences.slice(0, before));
    const all = Math.max(...differences);
    report(`hh_iclamp ${column}: max |port - Arbor| for t < 59.9 ms`, early, column === "v_mV" ? 1e-6 : 1e-8);
    report(
      `hh_iclamp ${column}: max |port - Arbor| over all ${meta.tfinal_ms} ms`,
      all,
      column === "v_mV" ? 1e-9 : 1e-12,
    );
  });
  assert.equal(run.spikes.length, meta.spikes_ms.length);
  run.spikes.forEach((t, k) =>
    report(`hh_iclamp spike ${k}: |t - Arbor's| (ms)`, Math.abs(t - meta.spikes_ms[k]), 1e-9)
  );
});

Deno.test("pas, expsyn, exp2syn, nernst and hh reproduce Arbor 0.11's other recorded traces", async () => {
  for (const name of ["pas_iclamp", "hh_gna_override", "hh_nernst_na", "expsyn_events", "exp2syn_events"]) {
    const case_ = recorded(name);
    const run = await withHost(arborDefaultPorts, (host) => runRecorded(host, case_));
    const { rows, meta } = case_;
    assert.equal(run.steps, rows.length, name);
    meta.columns.slice(1).forEach((column, c) => {
      const difference = worst(run.probes[c], (n) => rows[n][c + 1]);
      report(`${name} ${column}: max |port - Arbor|`, difference, column === "v_mV" ? 1e-9 : 1e-12);
    });
    assert.equal(run.spikes.length, meta.spikes_ms.length, `${name}: spike count`);
    run.spikes.forEach((t, k) =>
      report(`${name} spike ${k}: |t - Arbor's| (ms)`, Math.abs(t - meta.spikes_ms[k]), 1e-9)
    );
  }
});

// ---- kdrmt and nax under a voltage clamp -----------------------------------------------------

// Reference integration for a channel under a voltage clamp. At constant v each gate obeys
// s' = (inf - s)/tau with constant inf and tau, whose exact solution is
// s(t) = inf + (s0 - inf)·exp(-t/tau), and modcc's cnexp step maps s to inf + (s - inf)·P with
// P = pade(-dt/tau), so after j steps s_j = inf + (s0 - inf)·P^j exactly (up to round-off).
//
// Holding v constant on the host takes two things. host.vclamp re-imposes v after every step,
// but, as in Arbor (docs/abi.md 4.2), advance_state runs after the cable solve and before any
// clamp, so it sees v moved by the solve, by dt·i/cm. The CVs therefore get cm = 1e18 F/m²:
// the solve then moves v by under 1e-17 mV, far below one ulp of v, so every advance_state and
// every compute_currents sees the clamp voltage.
//
// Timing: the CVs start at v0 (init sets the gates to their steady state there); the clamp
// window opens at dt/2, so the first clamp is applied at the end of step 1. Advances 0 and 1
// run at v0 (leaving the gates at steady state), and every later advance at vh: the sample of
// step n (taken before that step's solve) shows the gate after n - 2 steps at vh, n >= 2.
//
// Against the exact exponential: ln pade(-h) = -2·atanh(h/2) = -(h + c) with h = dt/tau and
// c = 2·atanh(h/2) - h = h³/12 + O(h⁵) > 0, so P^j = exp(-x)·exp(-x·c/h) with x = j·h, and
// |P^j - exp(-x)| <= exp(-x)·x·c/h <= (c/h)/e: the Padé error is bounded by
// |s0 - inf|·(2·atanh(h/2)/h - 1)/e ≈ |s0 - inf|·h²/(12e), second order in dt, and reached near
// x = 1 when the run covers it.
const HOLD_CM = 1e18;

interface Gate {
  inf: (v: number) => number;
  tau: (v: number) => number;
}

interface ClampCase {
  v0: number;
  vh: number;
  celsius: number;
  parameters: Record<string, number>;
}

function clampRun(
  host: Host,
  mechanism: string,
  cases: ClampCase[],
  states: string[],
  ion: string,
  dt: number,
  until: number,
) {
  host.setCvs({
    count: cases.length,
    areaUm2: area,
    cm: HOLD_CM,
    temperatureDegC: cases.map((c) => c.celsius),
    vInit: cases.map((c) => c.v0),
  });
  host.addNeuronIons();
  const keys = [...new Set(cases.flatMap((c) => Object.keys(c.parameters)))];
  const placement = host.place(mechanism, {
    cvs: cases.map((_, k) => k),
    parameters: Object.fromEntries(keys.map((key) => [key, cases.map((c) => c.parameters[key])])),
  });
  cases.forEach((c, cv) => host.vclamp(cv, { start: dt / 2, duration: 1e9, voltage: c.vh }));
  const columns = cases.map((_, cv) => ({
    v: host.probeVoltage(cv),
    i: host.probeCurrent(cv),
    ion: host.probeIon(ion, "i", cv),
    states: states.map((s) => host.probeState(placement, s, cv)),
  }));
  const { probes } = host.run({ until, dt });
  return columns.map((c) => ({
    v: probes[c.v],
    i: probes[c.i],
    ion: probes[c.ion],
    states: c.states.map((s) => probes[s]),
  }));
}

/** Checks one gate's trace on one clamped CV; returns the reference trace. */
function checkGate(
  label: string,
  trace: Float64Array,
  gate: Gate,
  c: ClampCase,
  dt: number,
): (n: number) => number {
  const s0 = gate.inf(c.v0), inf = gate.inf(c.vh), tau = gate.tau(c.vh);
  const h = dt / tau;
  const P = pade(-h);
  const padeTrace = (n: number) => n < 2 ? s0 : inf + (s0 - inf) * Math.pow(P, n - 2);
  const exactTrace = (n: number) => n < 2 ? s0 : inf + (s0 - inf) * Math.exp(-(n - 2) * h);
  report(`${label}: max |s - (inf + (s0 - inf)·pade(-dt/tau)^n)|`, worst(trace, padeTrace), 1e-12);
  const exact = worst(trace, exactTrace);
  const bound = Math.abs(s0 - inf) * padeExcess(h) / Math.E;
  report(
    `${label}: max |s - exact exponential| (dt/tau = ${h.toPrecision(3)})`,
    exact,
    bound * (1 + 1e-6) + 1e-13,
  );
  // In the small-step regime (h <= 0.1), where the run reaches x = 1 and round-off is small next
  // to it, the difference is the O(dt²) Padé term itself, not something smaller.
  if (h <= 0.1 && (trace.length - 3) * h >= 1.5 && bound > 1e-10) {
    console.log(`    (measured / bound = ${(exact / bound).toFixed(4)})`);
    assert.ok(exact >= 0.9 * bound, `${label}: ${exact} is not the Padé error ${bound}`);
  }
  return padeTrace;
}

/**
 * c/h = 2·atanh(h/2)/h - 1 = y²/3 + y⁴/5 + y⁶/7 + ... with y = h/2 (h < 2), by its series when y
 * is small (the closed form cancels there).
 */
function padeExcess(h: number): number {
  const y = h / 2;
  if (y >= 0.1) return Math.atanh(y) / y - 1;
  let sum = 0, power = y * y;
  for (let k = 3; power > 1e-30; k += 2, power *= y * y) sum += power / k;
  return sum;
}

/** Steady state of a logistic gate: 1/(1 + exp(x)), written as (1 - tanh(x/2))/2. */
const logistic = (x: number) => (1 - Math.tanh(x / 2)) / 2;

Deno.test("kdrmt under a voltage clamp: m follows the exact Padé recurrence to 1e-12, the exponential to O(dt²), and ik = gbar·m·(v - ek)", async () => {
  await withHost([Kdrmt], (host) => {
    const dt = 0.025, until = 40, ek = -77;
    // kdrmt.mod, written out again: minf = 1/(1 + exp((21 - v)/10)); the rate of m is
    // qt·a0m·(1 + e^u)·e^(-gmm·u) with u = zetam·(v - vhalfm) and qt = q10^((celsius - 24)/10),
    // so tau = e^(gmm·u)/(qt·a0m·(1 + e^u)).
    const gate = (c: ClampCase): Gate => ({
      inf: (v) => logistic((21 - v) / 10),
      tau: (v) => {
        const u = 0.055 * (v - (c.parameters.vhalfm ?? -50));
        return Math.exp(0.5 * u) / (Math.pow(3, (c.celsius - 24) / 10) * 0.0035 * (1 + Math.exp(u)));
      },
    });
    const cases: ClampCase[] = [
      { v0: -65, vh: -20, celsius: 6.3, parameters: { gbar: 0.002, vhalfm: -50 } },
      { v0: -65, vh: 10, celsius: 24, parameters: { gbar: 0.004, vhalfm: -40 } },
      { v0: -65, vh: 30, celsius: 35, parameters: { gbar: 0.002, vhalfm: -50 } },
      { v0: 20, vh: -80, celsius: 35, parameters: { gbar: 0.002, vhalfm: -50 } },
    ];
    const runs = clampRun(host, "kdrmt", cases, ["m"], "k", dt, until);
    cases.forEach((c, cv) => {
      const run = runs[cv];
      assert.ok(run.v.every((v, n) => v === (n < 2 ? c.v0 : c.vh)), `CV ${cv}: v is v0, then exactly vh`);
      const m = checkGate(
        `kdrmt CV ${cv} (${c.v0} -> ${c.vh} mV, ${c.celsius} °C) m`,
        run.states[0],
        gate(c),
        c,
        dt,
      );
      // ik in mA/cm², times 10 (density, weight 1) in A/m², into vec_i and the K current alike.
      const current = (n: number) => 10 * c.parameters.gbar * m(n) * (run.v[n] - ek);
      const size = Math.max(...run.i.map(Math.abs));
      report(
        `kdrmt CV ${cv}: max |vec_i - 10·gbar·m·(v - ek)| / max |vec_i|`,
        worst(run.i, current) / size,
        1e-11,
      );
      assert.deepEqual(run.ion, run.i, "the ionic current goes into vec_i and into ik");
    });
  });
});

Deno.test("nax under a voltage clamp: m and h follow the exact Padé recurrence to 1e-12, the exponential to O(dt²), and ina = gbar·m³h·(v - ena)", async () => {
  await withHost([Nax], (host) => {
    const dt = 0.025, until = 40, ena = 50;
    // nax.mod, written out again. trap0(u, a, q) = a·q·exprelr(u/q) = a·u/(exp(u/q) - 1), a·q at
    // u = 0. The rate scale is iq = q10^(-(celsius - 24)/10), q10 = 2.
    const trap = (u: number, a: number, q: number) => u === 0 ? a * q : a * u / Math.expm1(u / q);
    const iq = (c: ClampCase) => Math.pow(2, -(c.celsius - 24) / 10);
    const sh = (c: ClampCase) => c.parameters.sh ?? 5;
    const mGate = (c: ClampCase): Gate => {
      const rates = (v: number) => {
        const u = -30 + sh(c) - v;
        return [trap(u, 0.4, 7.2), trap(-u, 0.124, 7.2)];
      };
      return {
        inf: (v) => {
          const [a, b] = rates(v);
          return a / (a + b);
        },
        tau: (v) => {
          const [a, b] = rates(v);
          return Math.max(iq(c) / (a + b), 0.02);
        },
      };
    };
    const hGate = (c: ClampCase): Gate => ({
      inf: (v) => logistic((v + 50 - sh(c)) / 4),
      tau: (v) => {
        const u = -45 + sh(c) - v;
        return Math.max(iq(c) / (trap(u, 0.03, 1.5) + trap(-u, 0.01, 1.5)), 0.5);
      },
    });
    const cases: ClampCase[] = [
      { v0: -65, vh: -30, celsius: 6.3, parameters: { gbar: 0.01, sh: 5 } },
      { v0: -65, vh: -10, celsius: 24, parameters: { gbar: 0.02, sh: 0 } },
      { v0: -65, vh: 10, celsius: 35, parameters: { gbar: 0.01, sh: 5 } }, // htau = hmin
      { v0: -65, vh: 40, celsius: 35, parameters: { gbar: 0.01, sh: 5 } }, // mtau = mmin
      { v0: -30, vh: -80, celsius: 35, parameters: { gbar: 0.01, sh: 5 } }, // recovery
    ];
    // The max() branches really are taken where the comments say.
    assert.equal(hGate(cases[2]).tau(10), 0.5);
    assert.equal(mGate(cases[3]).tau(40), 0.02);
    const runs = clampRun(host, "nax", cases, ["m", "h"], "na", dt, until);
    cases.forEach((c, cv) => {
      const run = runs[cv];
      assert.ok(run.v.every((v, n) => v === (n < 2 ? c.v0 : c.vh)), `CV ${cv}: v is v0, then exactly vh`);
      const label = `nax CV ${cv} (${c.v0} -> ${c.vh} mV, ${c.celsius} °C)`;
      const m = checkGate(`${label} m`, run.states[0], mGate(c), c, dt);
      const h = checkGate(`${label} h`, run.states[1], hGate(c), c, dt);
      const current = (n: number) => 10 * c.parameters.gbar * m(n) ** 3 * h(n) * (run.v[n] - ena);
      const size = Math.max(...run.i.map(Math.abs));
      report(
        `${label}: max |vec_i - 10·gbar·m³h·(v - ena)| / max |vec_i|`,
        worst(run.i, current) / size,
        1e-11,
      );
      assert.deepEqual(run.ion, run.i, "the ionic current goes into vec_i and into ina");
    });
  });
});
