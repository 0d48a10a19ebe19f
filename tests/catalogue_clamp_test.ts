// kdrmt and nax (examples/catalogue/) under a voltage clamp on the native host, against the exact
// Padé recurrence of modcc's cnexp step and the exact exponential.
import assert from "node:assert/strict";
import type { Host } from "../mod.ts";
import { Kdrmt, Nax } from "../examples/catalogue/mod.ts";
import { area, pade, report, withHost, worst } from "./support/ports.ts";

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
