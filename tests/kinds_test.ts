// Every mechanism kind of the ABI, through the raw hook API and the pointwise kernel API.
import assert from "node:assert/strict";
import { catalogue, type DeclaredMechanism, defineMechanism, Host } from "../mod.ts";
import { targetsHere } from "./support/targets.ts";

const area = 2 * Math.PI * 3 * 6;

async function hostWith(mechanisms: DeclaredMechanism[], cvs = 1, abi: "0.6" | "0.7" = "0.7") {
  const cat = await catalogue({ mechanisms, abi });
  const host = await Host.create({ catalogues: [cat] });
  host.setCvs({ count: cvs, areaUm2: area }).addNeuronIons();
  return { cat, host };
}

// ---- point ------------------------------------------------------------------------------------

// A pointwise synapse with forward-Euler decay, used by several tests below.
const kernelSynapse = defineMechanism({
  name: "kernel_syn",
  kind: "point",
  method: "euler",
  states: { s: {} },
}, {
  derivative: (x) => ({ s: -x.s / 2 }),
  onEvent: (x, weight) => ({ s: x.s + weight }),
  current: (x) => ({ i: x.s * (x.v - 0), g: x.s }),
});

Deno.test("point, raw: events reach exactly their instance, with their weights", async () => {
  const synapse = defineMechanism({ name: "counter", kind: "point", states: { total: {} } }, {
    applyEvents(pp, events) {
      const total = pp.total as Float64Array;
      for (let e = 0; e < events.length; e++) total[events.mechIndex[e]] += events.weight[e];
    },
  });
  const { cat, host } = await hostWith([synapse], 3);
  // Instances are sorted by CV (Arbor's order); events name them in placement order.
  const p = host.place("counter", { cvs: [2, 0, 1] });
  host.event(p, 0, 0.01, 1).event(p, 0, 0.5, 2).event(p, 1, 0.3, 10).event(p, 2, 0.3, 100).event(
    p,
    2,
    0.31,
    1000,
  );
  const columns = [0, 1, 2].map((k) => host.probeState(p, "total", k));
  const { probes } = host.run({ until: 1, dt: 0.025 });
  const last = (c: number) => probes[c][probes[c].length - 1];
  assert.deepEqual(columns.map(last), [3, 10, 1100]);
  host.close();
  cat.close();
});

Deno.test("point, pointwise: three events of different weights sum, with Euler decay between them", async () => {
  const { cat, host } = await hostWith([kernelSynapse], 2);
  const p = host.place("kernel_syn", { cvs: [0, 1] });
  const dt = 0.025;
  host.event(p, 0, 1.0, 0.5).event(p, 0, 2.0, 0.25).event(p, 0, 2.0, 0.125);
  const s0 = host.probeState(p, "s", 0), s1 = host.probeState(p, "s", 1);
  const { probes, time } = host.run({ until: 4, dt });
  // Independent recurrence. The sample of step n is taken after that step's events were added
  // and before the Euler update s <- s + h·(-s/2), where step n is [n·dt, (n+1)·dt) and
  // h = (n+1)·dt - n·dt as Arbor computes it.
  const events = [[1.0, 0.5], [2.0, 0.25], [2.0, 0.125]];
  let expected = 0;
  for (let n = 0; n < time.length; n++) {
    assert.equal(time[n], n * dt);
    for (const [t, weight] of events) if (n * dt <= t && t < (n + 1) * dt) expected += weight;
    assert.ok(Math.abs(probes[s0][n] - expected) <= 1e-15, `step ${n}: ${probes[s0][n]} vs ${expected}`);
    expected = expected + ((n + 1) * dt - n * dt) * (-expected / 2);
  }
  assert.ok(probes[s1].every((value) => value === 0), "instance 1 got no event");
  host.close();
  cat.close();
});

Deno.test("point and density on one CV both contribute current", async () => {
  const leak = defineMechanism({ name: "leak_kernel", parameters: { gbar: { default: 1e-3 } } }, {
    current: (x) => ({ i: x.gbar * (x.v + 65), g: x.gbar }),
  });
  const { cat, host } = await hostWith([leak, kernelSynapse]);
  host.place("leak_kernel", { cvs: [0] });
  const p = host.place("kernel_syn", { cvs: [0] });
  host.event(p, 0, 0, 0.01);
  const current = host.probeCurrent(0), v = host.probeVoltage(0);
  const { probes } = host.run({ until: 0.05, dt: 0.025 });
  // Step 0: v = -65, so the leak gives 0 and the synapse (s = the event's weight, a float32 in
  // the ABI) gives w·s·(v - 0) nA with w = 1000/area; step 1 adds the leak at the new voltage.
  const w = 1000 / area;
  const weight = Math.fround(0.01);
  assert.ok(Math.abs(probes[current][0] - w * weight * -65) < 1e-12, `${probes[current][0]}`);
  const v1 = probes[v][1];
  const s1 = weight * (1 - 0.025 / 2);
  const expected = 10 * 1e-3 * (v1 + 65) + w * s1 * v1;
  assert.ok(Math.abs(probes[current][1] - expected) < 1e-12, `${probes[current][1]} vs ${expected}`);
  host.close();
  cat.close();
});

// ---- reversal potential -------------------------------------------------------------------------

for (const api of ["raw", "pointwise"] as const) {
  Deno.test(`reversal potential, ${api}: eX is assigned at the start of each step, before other currents`, async () => {
    const ions = {
      x: {
        readIntConcentration: true,
        readExtConcentration: true,
        writeRevPotential: true,
        readRevPotential: false,
      },
    };
    const rev = api === "raw"
      ? defineMechanism({ name: "ratio", kind: "reversalPotential", ions }, {
        computeCurrents(pp) {
          const e = pp.ex as Float64Array, xi = pp.xi as Float64Array, xo = pp.xo as Float64Array;
          const index = pp.indexX as Int32Array;
          for (let k = 0; k < pp.width; k++) e[index[k]] = 10 * Math.log(xo[index[k]] / xi[index[k]]);
        },
      })
      : defineMechanism({ name: "ratio", kind: "reversalPotential", ions }, {
        reversalPotential: (x) => ({ ex: 10 * Math.log(x.xo / x.xi) }),
      });
    const reader = defineMechanism({
      name: "reader",
      ions: { na: { readRevPotential: true } },
      states: { seen: {} },
    }, {
      computeCurrents(pp) {
        const seen = pp.seen as Float64Array, ena = pp.ena as Float64Array, index = pp.indexNa as Int32Array;
        for (let k = 0; k < pp.width; k++) seen[k] = ena[index[k]];
      },
    });
    const { cat, host } = await hostWith([rev, reader], 2);
    const r = host.place("reader", { cvs: [0, 1] });
    host.place("ratio/na"); // Arbor's derived name: the mechanism's ion x is bound to na
    const e = host.probeIon("na", "e", 1);
    const seen = host.probeState(r, "seen", 1);
    const { probes } = host.run({ until: 0.1, dt: 0.025 });
    const expected = 10 * Math.log(140 / 10); // neuron_cable_properties: nai 10, nao 140 mM
    assert.ok(probes[e].every((value) => Math.abs(value - expected) < 1e-12), `eNa ${probes[e]}`);
    assert.ok(
      probes[seen].every((value) => Math.abs(value - expected) < 1e-12),
      "computeCurrents of M saw the new eX",
    );
    host.close();
    cat.close();
  });
}

// ---- ion concentration writers --------------------------------------------------------------------

for (const api of ["raw", "pointwise"] as const) {
  Deno.test(`concentration writer, ${api}: Xi = masked default + weight·c, reset before each write`, async () => {
    const ions = { ca: { writeIntConcentration: true, readIntConcentration: true, readRevPotential: false } };
    const writer = api === "raw"
      ? defineMechanism({ name: "pump", ions, parameters: { target: { default: 1e-3 } } }, {
        writeIons(pp) {
          const cai = pp.cai as Float64Array,
            index = pp.indexCa as Int32Array,
            target = pp.target as Float64Array;
          for (let k = 0; k < pp.width; k++) cai[index[k]] += pp.weight[k] * target[k];
        },
      })
      : defineMechanism({ name: "pump", ions, parameters: { target: { default: 1e-3 } } }, {
        concentrations: (x) => ({ cai: x.target }),
      });
    const user = defineMechanism({ name: "user", ions: { ca: { readIntConcentration: true } } }, {});
    const { cat, host } = await hostWith([writer, user], 3);
    host.place("user", { cvs: [0, 1, 2] });
    host.place("pump", { cvs: [0, 1], weights: [1, 0.25], parameters: { target: [2e-3, 4e-3] } });
    const c0 = host.probeIon("ca", "int", 0),
      c1 = host.probeIon("ca", "int", 1),
      c2 = host.probeIon("ca", "int", 2);
    const { probes } = host.run({ until: 0.1, dt: 0.025 });
    const last = (c: number) => probes[c][probes[c].length - 1];
    // Fully covered CV 0: the writer alone; CV 1: 3/4 of the default plus 1/4 of the writer's
    // value; CV 2: no writer, the default 5e-5 mM.
    assert.ok(Math.abs(last(c0) - 2e-3) < 1e-18, `${last(c0)}`);
    assert.ok(Math.abs(last(c1) - (0.75 * 5e-5 + 0.25 * 4e-3)) < 1e-18, `${last(c1)}`);
    assert.equal(last(c2), 5e-5);
    host.close();
    cat.close();
  });
}

// ---- gap junctions ----------------------------------------------------------------------------------

for (const api of ["raw", "pointwise"] as const) {
  Deno.test(`gap junction, ${api}: current g·(v - vPeer) through peer_index, in nA scaled by weight`, async () => {
    const junction = api === "raw"
      ? defineMechanism({ name: "gj", kind: "gapJunction", parameters: { gbar: { default: 0.01 } } }, {
        computeCurrents(pp) {
          const gbar = pp.gbar as Float64Array;
          for (let k = 0; k < pp.width; k++) {
            const node = pp.nodeIndex[k];
            const dv = pp.v[node] - pp.vPeer[pp.peerIndex[k]];
            pp.i[node] += pp.weight[k] * gbar[k] * dv;
            pp.g[node] += pp.weight[k] * gbar[k];
          }
        },
      })
      : defineMechanism({ name: "gj", kind: "gapJunction", parameters: { gbar: { default: 0.01 } } }, {
        current: (x) => ({ i: x.gbar * (x.v - x.vPeer), g: x.gbar }),
      });
    const cat = await catalogue({ mechanisms: [junction] });
    using host = await Host.create({ catalogues: [cat] });
    host.setCvs({ count: 2, areaUm2: [area, 2 * area], vInit: [-70, -50] });
    host.place("gj", { cvs: [0, 1], peers: [1, 0], weights: [1, 1] });
    const i0 = host.probeCurrent(0), i1 = host.probeCurrent(1);
    const { probes } = host.run({ until: 0.025, dt: 0.025 });
    // nA over µm² as A/m²: weight = 1000/area (docs/abi.md 3.2).
    assert.ok(Math.abs(probes[i0][0] - (1000 / area) * 0.01 * -20) < 1e-12, `${probes[i0][0]}`);
    assert.ok(Math.abs(probes[i1][0] - (1000 / (2 * area)) * 0.01 * 20) < 1e-12, `${probes[i1][0]}`);
    cat.close();
  });
}

// ---- voltage processes ------------------------------------------------------------------------------

Deno.test("voltage process, raw: writes v after the other mechanisms' state update, as Arbor does", async () => {
  const order: string[] = [];
  const hold = defineMechanism({ name: "hold", kind: "voltage", parameters: { target: { default: -30 } } }, {
    computeCurrents: () => void order.push("voltage.computeCurrents"),
    advanceState(pp) {
      order.push("voltage.advanceState");
      const target = pp.target as Float64Array;
      for (let k = 0; k < pp.width; k++) pp.v[pp.nodeIndex[k]] = target[k];
    },
  });
  const density = defineMechanism({ name: "watcher" }, {
    advanceState: () => void order.push("density.advanceState"),
  });
  const { cat, host } = await hostWith([hold, density], 2);
  host.place("hold", { cvs: [1], parameters: { target: -30 } });
  host.place("watcher", { cvs: [0, 1] });
  const v0 = host.probeVoltage(0), v1 = host.probeVoltage(1);
  const { probes } = host.run({ until: 0.05, dt: 0.025 });
  assert.deepEqual([...probes[v1]], [-65, -30]);
  assert.deepEqual([...probes[v0]], [-65, -65]);
  assert.deepEqual(order.slice(0, 3), [
    "density.advanceState",
    "voltage.computeCurrents",
    "voltage.advanceState",
  ]);
  host.close();
  cat.close();
});

Deno.test("voltage process, pointwise: voltage() assigns v in compute_currents, after the others' states; js and native alike", async () => {
  // A limiter (NMODL's v_limit): v = max(min(v, high), low), while a clamp current pushes v up.
  const limit = defineMechanism({
    name: "limit",
    kind: "voltage",
    globals: { high: { default: -40 }, low: { default: -80 } },
  }, {
    voltage: (x) => ({ v: Math.max(Math.min(x.v, x.high), x.low) }),
  });
  const traces: Float64Array[] = [];
  for (const target of await targetsHere()) {
    const cat = await catalogue({ mechanisms: [limit], target });
    try {
      using host = await Host.create({ catalogues: [cat] });
      host.setCvs({ count: 2, areaUm2: area });
      host.place("limit", { cvs: [1] });
      host.iclamp(0, { start: 0, duration: 1e9, amplitude: 0.5 });
      host.iclamp(1, { start: 0, duration: 1e9, amplitude: 0.5 });
      const v0 = host.probeVoltage(0), v1 = host.probeVoltage(1);
      const { probes } = host.run({ until: 5, dt: 0.025 });
      assert.ok(probes[v0].at(-1)! > -40, "the free CV rises above the limit");
      assert.ok(probes[v1].every((v) => v <= -40), "the limited CV never exceeds it");
      assert.equal(probes[v1].at(-1), -40);
      traces.push(probes[v1]);
    } finally {
      cat.close();
    }
  }
  if (traces.length > 1) {
    assert.deepEqual([...traces[1]], [...traces[0]], "native prints the same arithmetic");
  }
  assert.throws(
    () => defineMechanism({ name: "vp", kind: "voltage" }, { current: () => ({}) }),
    /kernel current does not fit kind 'voltage' \(it allows initial, equilibrium, derivative, voltage\)/,
  );
});

// ---- ion values set by initial() (NMODL's INITIAL writing ica or eX, as modcc stores them) -----------

Deno.test("initial() may set an ion current and a written eX: stored in init as modcc does; js and native alike", async () => {
  // A channel whose initial() sets ica (added with compute_currents' weight and unit, 10·weight
  // for density), a reversal-potential mechanism whose initial() sets eca, and a reader that
  // records, in its own initial(), the ica and eca Arbor's second init round shows it: Arbor (and
  // the host) initialise mechanisms of a kind in the order of their names, so the reader is named
  // to come after the source; currents are zeroed between the rounds, so it sees this round's ica.
  const source = defineMechanism({ name: "ica_a_source", ions: { ca: {} } }, {
    initial: () => ({ ica: 2.5 }),
    current: (x) => ({ ica: 0 * x.v }),
  });
  const nernst = defineMechanism({
    name: "eca_init",
    kind: "reversalPotential",
    ions: { ca: { writeRevPotential: true } },
  }, {
    initial: () => ({ eca: 42 }),
    reversalPotential: () => ({ eca: 50 }),
  });
  const reader = defineMechanism({
    name: "ica_b_reader",
    ions: { ca: { readRevPotential: true } },
    states: { seenI: {}, seenE: {} },
  }, {
    initial: (x) => ({ seenI: x.ica, seenE: x.eca }),
  });
  for (const target of await targetsHere()) {
    const cat = await catalogue({ mechanisms: [source, nernst, reader], target });
    try {
      using host = await Host.create({ catalogues: [cat] });
      host.setCvs({ count: 1, areaUm2: area }).addNeuronIons();
      host.place("eca_init");
      host.place("ica_a_source", { cvs: [0] });
      const r = host.place("ica_b_reader", { cvs: [0] });
      const seenI = host.probeState(r, "seenI", 0), seenE = host.probeState(r, "seenE", 0);
      const { probes } = host.run({ until: 0.05, dt: 0.025 });
      assert.equal(probes[seenI][0], 2.5, `${target}: the reader's INITIAL sees the source's ica (mA/cm²)`);
      assert.equal(probes[seenE][0], 42, `${target}: eX set by initial()`);
    } finally {
      cat.close();
    }
  }
  // eX only where the mechanism writes it
  const bad = defineMechanism({ name: "bad_init", ions: { ca: {} } }, { initial: () => ({ eca: 1 }) });
  await assert.rejects(
    () => catalogue({ mechanisms: [bad] }),
    /initial\(\) returned 'eca', which is not one of ica/,
  );
});

Deno.test("current() may return a state: stored as it is after the currents (NMODL's STATE set in BREAKPOINT); js and native alike", async () => {
  // s grows by 1/ms (euler) and current() caps it at 0.1: the cap holds in the stored state.
  const capped = defineMechanism({
    name: "capped",
    kind: "density",
    method: "euler",
    states: { s: {} },
  }, {
    derivative: () => ({ s: 1 }),
    current: (x) => ({ i: 0 * x.v + x.s, g: 0, s: x.s > 0.1 ? 0.1 : x.s }),
  });
  for (const target of await targetsHere()) {
    const cat = await catalogue({ mechanisms: [capped], target });
    try {
      using host = await Host.create({ catalogues: [cat] });
      host.setCvs({ count: 1, areaUm2: area });
      const r = host.place("capped", { cvs: [0] });
      const s = host.probeState(r, "s", 0);
      const { probes } = host.run({ until: 0.5, dt: 0.025 });
      // samples are taken after compute_currents (as in Arbor): the capped value; without the
      // store, s would reach 0.5
      assert.ok(probes[s].every((value) => value <= 0.1), `${target}: ${probes[s]}`);
      assert.equal(probes[s].at(-1), 0.1, `${target}: the cap holds`);
    } finally {
      cat.close();
    }
  }
});

// ---- post events ----------------------------------------------------------------------------------

for (const api of ["raw", "pointwise"] as const) {
  Deno.test(`post events, ${api}: time since the spike reaches the synapse after a crossing`, async () => {
    const seen: number[] = [];
    const stdp = api === "raw"
      ? defineMechanism({
        name: "stdp",
        kind: "point",
        hasPostEvents: true,
        states: { last: { default: -1 } },
      }, {
        postEvent(pp) {
          const last = pp.last as Float64Array;
          for (let k = 0; k < pp.width; k++) {
            const cell = pp.vecCi[pp.nodeIndex[k]];
            for (let d = 0; d < pp.nDetectors; d++) {
              const t = pp.timeSinceSpike[cell * pp.nDetectors + d];
              if (t >= 0) {
                last[k] = t;
                seen.push(t);
              }
            }
          }
        },
      })
      : defineMechanism({
        name: "stdp",
        kind: "point",
        hasPostEvents: true,
        states: { last: { default: -1 } },
      }, {
        onPostEvent: (_x, t) => {
          seen.push(t);
          return { last: t };
        },
      });
    const { cat, host } = await hostWith([stdp]);
    const p = host.place("stdp", { cvs: [0] });
    host.vclamp(0, { start: 0.1, duration: 1, voltage: 20 });
    host.detector(0, 0);
    const last = host.probeState(p, "last");
    const { probes } = host.run({ until: 0.5, dt: 0.025 });
    assert.equal(host.spikes().times.length, 1);
    assert.equal(seen.length, 1);
    assert.ok(seen[0] >= 0 && seen[0] <= 0.025, `time since spike ${seen[0]}`);
    assert.equal(probes[last][probes[last].length - 1], seen[0]);
    host.close();
    cat.close();
  });
}

// ---- random variables, globals, per-location parameters ---------------------------------------------

for (const api of ["raw", "pointwise"] as const) {
  Deno.test(`random variables, ${api}: one standard-normal draw per instance and step`, async () => {
    const draws: number[] = [];
    const noisy = api === "raw"
      ? defineMechanism({ name: "noisy", randoms: ["w"] }, {
        advanceState(pp) {
          const w = pp.w as Float64Array;
          for (let k = 0; k < pp.width; k++) draws.push(w[k]);
        },
      })
      : defineMechanism({ name: "noisy", randoms: ["w"], states: { s: {} }, method: "euler" }, {
        derivative: (x) => {
          draws.push(x.w);
          return { s: 0 };
        },
      });
    const { cat, host } = await hostWith([noisy], 50);
    host.place("noisy", { cvs: Array.from({ length: 50 }, (_, k) => k) });
    host.run({ until: 100, dt: 0.025 });
    const mean = draws.reduce((a, b) => a + b, 0) / draws.length;
    const sd = Math.sqrt(draws.reduce((a, b) => a + (b - mean) ** 2, 0) / draws.length);
    const n = draws.length;
    assert.ok(n >= 4000 * 50, `${n} draws`);
    // Five standard errors: a fixed seed gives one fixed sample, which must look standard normal.
    assert.ok(Math.abs(mean) < 5 / Math.sqrt(n), `mean ${mean}`);
    assert.ok(Math.abs(sd - 1) < 5 / Math.sqrt(2 * n), `sd ${sd}`);
    assert.ok(new Set(draws).size > draws.length * 0.99, "draws differ across instances and steps");
    host.close();
    cat.close();
  });
}

Deno.test("globals and per-location parameter overrides reach the kernels", async () => {
  const seen: number[][] = [];
  const mech = defineMechanism(
    {
      name: "tuned",
      globals: { scale: { default: 2 } },
      parameters: { p: { default: 1 } },
      states: { s: {} },
    },
    { initial: (x) => (seen.push([x.scale, x.p]), { s: x.scale * x.p }) },
  );
  const { cat, host } = await hostWith([mech], 3);
  host.place("tuned/scale=3", { cvs: [0, 1, 2], parameters: { p: [1, 10, 100] } });
  host.instantiate();
  assert.deepEqual(seen.slice(0, 3), [[3, 1], [3, 10], [3, 100]]);
  host.close();
  cat.close();
});

// ---- coalesced point mechanisms --------------------------------------------------------------------

for (const api of ["raw", "pointwise"] as const) {
  Deno.test(`coalesced synapses, ${api}: multiplicity counts merged instances and scales the state`, async () => {
    const widths: number[] = [];
    const linear = api === "raw"
      ? defineMechanism({ name: "lin", kind: "point", isLinear: true, states: { s: {} } }, {
        init(pp) {
          widths.push(pp.width);
          const s = pp.s as Float64Array;
          for (let k = 0; k < pp.width; k++) s[k] = 1 * pp.multiplicity[k]; // modcc scales state at init
        },
        applyEvents(pp, events) {
          const s = pp.s as Float64Array;
          for (let e = 0; e < events.length; e++) s[events.mechIndex[e]] += events.weight[e];
        },
      })
      : defineMechanism({ name: "lin", kind: "point", isLinear: true, states: { s: {} } }, {
        initial: () => ({ s: 1 }),
        onEvent: (x, weight) => ({ s: x.s + weight }),
      });
    const { cat, host } = await hostWith([linear], 2);
    const p = host.place("lin", { cvs: [0, 0, 1] }); // the first two merge
    host.event(p, 1, 0.01, 0.5);
    const merged = host.probeState(p, "s", 0), alone = host.probeState(p, "s", 2);
    const { probes } = host.run({ until: 0.05, dt: 0.025 });
    assert.deepEqual(
      [...probes[merged]],
      [2.5, 2.5],
      "two synapses: state 2, then the event to the second one",
    );
    assert.deepEqual([...probes[alone]], [1, 1]);
    if (api === "raw") assert.equal(widths[0], 2);
    host.close();
    cat.close();
  });
}

Deno.test("Host.create({ coalesceSynapses: false }) keeps every synapse apart", async () => {
  const linear = defineMechanism({ name: "lin2", kind: "point", isLinear: true, states: { s: {} } }, {
    initial: () => ({ s: 1 }),
  });
  const cat = await catalogue({ mechanisms: [linear] });
  using host = await Host.create({ catalogues: [cat], coalesceSynapses: false });
  host.setCvs({ count: 1, areaUm2: area });
  const p = host.place("lin2", { cvs: [0, 0] });
  const first = host.probeState(p, "s", 0);
  const { probes } = host.run({ until: 0.025, dt: 0.025 });
  assert.deepEqual([...probes[first]], [1]);
  cat.close();
});

Deno.test("coalescing scales STATE variables but not assigned ones (exp2syn's factor)", async () => {
  const twin = defineMechanism({
    name: "twin",
    kind: "point",
    isLinear: true,
    states: { s: {}, factor: { assigned: true } },
  }, {
    initial: () => ({ s: 1, factor: 3 }),
    onEvent: (x, weight) => ({ s: x.s + weight * x.factor }),
  });
  const { cat, host } = await hostWith([twin]);
  const p = host.place("twin", { cvs: [0, 0] });
  host.event(p, 0, 0, 1);
  const s = host.probeState(p, "s"), factor = host.probeState(p, "factor");
  const { probes } = host.run({ until: 0.025, dt: 0.025 });
  assert.deepEqual([probes[s][0], probes[factor][0]], [2 + 3, 3]);
  assert.throws(
    () => defineMechanism({ name: "x", parameters: { p: { assigned: true } } }, { current: () => ({}) }),
    /assigned is a true\/false option of state variables only/,
  );
  host.close();
  cat.close();
});
