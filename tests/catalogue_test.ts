// The pointwise ports of Arbor's default catalogue (examples/catalogue/) on the native host, each
// against a reference that does not run the port's own code: closed-form solutions of the
// host's and modcc's update rules and physical formulas computed here. hh against an independent
// hook-level implementation and Arbor's recorded traces is in catalogue_traces_test.ts; kdrmt and
// nax under a voltage clamp in catalogue_clamp_test.ts.
import assert from "node:assert/strict";
import { catalogue, defineMechanism } from "../mod.ts";
import { ION_FLAG, KIND } from "../ffi/layout.ts";
import { readCatalogueAsArbor } from "./support/arbor_view.ts";
import { arborDefaultPorts, Exp2Syn, ExpSyn, Nernst, Pas } from "../examples/catalogue/mod.ts";
import { area, EPS, pade, report, stepOf, withHost, worst } from "./support/ports.ts";

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
