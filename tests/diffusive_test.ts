// Writes of the diffusive concentration Xd (an ion with useDiffConcentration) by pointwise kernels,
// on the native test host, js and native targets, against closed forms of modcc's rules
// (kernels/outputs.ts): derivative() integrates xd and adds weight·(new − old); current() adds
// weight·(new − old) (a point mechanism's weight is 1); initial(), onEvent() and concentrations()
// assign it. The host does not diffuse (no diffusivity): Xd changes only by the mechanisms' writes.
// The same kernels in real Arbor, against Arbor's builtins: tests/diffusive_arbor_test.ts.
import assert from "node:assert/strict";
import { catalogue, type DeclaredMechanism, defineMechanism, Host, NEURON_IONS } from "../mod.ts";
import { targetsHere } from "./support/targets.ts";

const area = 2 * Math.PI * 3 * 6;
const X0 = NEURON_IONS.ca.internal;
const ions = { ca: { useDiffConcentration: true, readRevPotential: false } };

// A mechanism that only uses Xd, on every CV: the ion's support (the host, as Arbor, has the ion's
// arrays only where a mechanism uses it).
const reader = defineMechanism({ name: "xd_reader", ions }, { initial: () => ({}) });

async function hostWith(mechanisms: DeclaredMechanism[], target: "js" | "native", cvs: number) {
  const cat = await catalogue({ mechanisms: [...mechanisms, reader], target });
  const host = await Host.create({ catalogues: [cat] });
  host.setCvs({ count: cvs, areaUm2: area }).addNeuronIons();
  host.place("xd_reader", { cvs: [...Array(cvs).keys()] });
  return { cat, host };
}

const relative = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

// Arbor's default decay.mod: xd' = -tau·xd, cnexp.
const decay = defineMechanism({
  name: "xd_decay",
  method: "cnexp",
  ions,
  parameters: { tau: { default: 5 } },
}, {
  derivative: (x) => ({ cad: -x.tau * x.cad }),
});

// Arbor's default inject.mod: BREAKPOINT xd = xd + beta; beta = 0, NET_RECEIVE beta = alpha·weight.
const inject = defineMechanism({
  name: "xd_inject",
  kind: "point",
  ions,
  parameters: { alpha: { default: 200 } },
  states: { beta: { assigned: true } },
}, {
  initial: () => ({ beta: 0 }),
  current: (x) => ({ cad: x.cad + x.beta, beta: 0 }),
  onEvent: (x, weight) => ({ beta: x.alpha * weight }),
});

for (const target of await targetsHere()) {
  Deno.test(`xd, ${target}: derivative() integrates Xd by cnexp and adds weight·(new − old)`, async () => {
    const { cat, host } = await hostWith([decay], target, 3);
    host.place("xd_decay", { cvs: [0, 1], weights: [1, 0.25], parameters: { tau: [5, 2] } });
    const probes = [0, 1, 2].map((cv) => host.probeIon("ca", "diff", cv));
    const dt = 0.025;
    const { probes: traces } = host.run({ until: 1, dt });
    // cnexp's step of xd' = −tau·xd is xd·r, r = (1 − tau·dt/2)/(1 + tau·dt/2) (modcc's Padé form of
    // exp(−tau·dt)); each step Xd ← Xd + w·(Xd·r − Xd), so Xd_n = X0·(1 − w·(1 − r))^n after n steps;
    // the host samples step k after its events and compute_currents, before its advance_state and
    // write_ions (as tests/kinds_test.ts says), so sample k follows k updates.
    const r = (tau: number) => (1 - tau * dt / 2) / (1 + tau * dt / 2);
    const expected = (w: number, tau: number, n: number) => X0 * Math.pow(1 - w * (1 - r(tau)), n);
    let worst = 0;
    traces[probes[0]].forEach((value, k) => {
      worst = Math.max(worst, relative(value, expected(1, 5, k)));
      worst = Math.max(worst, relative(traces[probes[1]][k], expected(0.25, 2, k)));
      assert.equal(traces[probes[2]][k], X0, "a CV without the mechanism keeps its Xd");
    });
    assert.ok(worst <= 1e-12, `worst relative difference ${worst}`);
    assert.ok(traces[probes[0]].at(-1)! < 0.01 * X0, "Xd decays");
    host.close();
    cat.close();
  });

  Deno.test(`xd, ${target}: current() adds its change unweighted for a point mechanism; events set beta`, async () => {
    const { cat, host } = await hostWith([inject], target, 2);
    // Two instances on CV 0 (their changes add up), one on CV 1.
    const p = host.place("xd_inject", { cvs: [0, 0, 1], parameters: { alpha: [200, 100, 50] } });
    host.event(p, 0, 0.1, 0.5).event(p, 1, 0.1, 2).event(p, 2, 0.3, 1);
    const d0 = host.probeIon("ca", "diff", 0), d1 = host.probeIon("ca", "diff", 1);
    const beta = host.probeState(p, "beta", 0);
    const { probes, time } = host.run({ until: 0.5, dt: 0.025 });
    // An event delivered in a step is seen by the next compute_currents: Xd jumps once, by alpha·weight
    // of every instance of the CV, and beta is back to 0 after it.
    const last = probes[d0].length - 1;
    assert.ok(relative(probes[d0][last], X0 + 200 * 0.5 + 100 * 2) <= 1e-15, `${probes[d0][last]}`);
    assert.ok(relative(probes[d1][last], X0 + 50) <= 1e-15, `${probes[d1][last]}`);
    assert.equal(probes[beta][last], 0);
    const jump0 = time.findIndex((_, k) => probes[d0][k] > 1);
    const jump1 = time.findIndex((_, k) => probes[d1][k] > 1);
    assert.ok(jump0 >= 0 && jump1 > jump0, `Xd jumps at ${time[jump0]} (CV 0) and ${time[jump1]} (CV 1)`);
    assert.equal(probes[d0][jump0 - 1], X0, "no change before the event");
    host.close();
    cat.close();
  });

  Deno.test(`xd, ${target}: initial() and concentrations() assign Xd, unweighted`, async () => {
    const setter = defineMechanism({
      name: "xd_set",
      ions,
      parameters: { level: { default: 3 } },
    }, {
      initial: (x) => ({ cad: 2 * x.level }),
      concentrations: (x) => ({ cad: x.cad + x.level }),
    });
    const { cat, host } = await hostWith([setter], target, 2);
    host.place("xd_set", { cvs: [0], weights: [0.25] });
    const d0 = host.probeIon("ca", "diff", 0), d1 = host.probeIon("ca", "diff", 1);
    const { probes } = host.run({ until: 0.1, dt: 0.025 });
    // init sets 6; each write_ions adds level (3), whatever the weight; sample k precedes step k's
    // write_ions.
    assert.deepEqual([...probes[d0]], [6, 9, 12, 15]);
    assert.deepEqual([...probes[d1]], [X0, X0, X0, X0]);
    host.close();
    cat.close();
  });
}

Deno.test("xd: refused where its rule does not hold, naming the mechanism and the key", async () => {
  const sparse = defineMechanism({ name: "xd_sparse", method: "sparse", ions }, {
    derivative: (x) => ({ cad: -x.cad }),
  });
  await assert.rejects(
    () => catalogue({ mechanisms: [sparse], target: "js" }),
    /mechanism 'xd_sparse': derivative\(\) integrates the diffusive concentration 'cad'.*method sparse does not integrate/,
  );
  const coupled = defineMechanism({
    name: "xd_coupled",
    method: "cnexp",
    ions,
    states: { m: {} },
  }, {
    derivative: (x) => ({ m: -x.m, cad: x.m - x.cad }),
  });
  await assert.rejects(
    () => catalogue({ mechanisms: [coupled], target: "js" }),
    /mechanism 'xd_coupled': with method cnexp the derivative of state 'cad' may only depend on 'cad', but it changes with state 'm'/,
  );
  const undeclared = defineMechanism({ name: "xd_undeclared", ions: { ca: { readRevPotential: false } } }, {
    current: (x) => ({ cad: x.v }),
  });
  await assert.rejects(
    () => catalogue({ mechanisms: [undeclared], target: "js" }),
    /mechanism 'xd_undeclared': current\(\) returned 'cad', which is not one of i, g, ica, gca; a diffusive concentration is written only with useDiffConcentration: true on its ion/,
  );
});

Deno.test("xd, js: onEvent() assigns Xd; a kernel that runs as its own function (opaque) writes it too", async () => {
  const events = defineMechanism({ name: "xd_event", kind: "point", ions }, {
    onEvent: (_x, weight) => ({ cad: weight }),
  });
  const looping = defineMechanism({ name: "xd_loop", kind: "point", ions }, {
    // A loop: outside the kernel subset, so current() runs as the user's function.
    current: (x) => {
      let value = x.cad;
      for (let k = 0; k < 2; k++) value += 0.5;
      return { cad: value };
    },
  });
  const { cat, host } = await hostWith([events, looping], "js", 2);
  const p = host.place("xd_event", { cvs: [0] });
  host.place("xd_loop", { cvs: [1] });
  host.event(p, 0, 0.06, 7);
  const d0 = host.probeIon("ca", "diff", 0), d1 = host.probeIon("ca", "diff", 1);
  const { probes } = host.run({ until: 0.1, dt: 0.025 });
  // The event is delivered in the third step (0.05 to 0.075), before its sample.
  assert.deepEqual([...probes[d0]], [X0, X0, 7, 7]);
  // Each compute_currents adds 1 (new − old, unweighted for a point mechanism), before its sample.
  probes[d1].forEach((value, k) => assert.ok(Math.abs(value - (X0 + k + 1)) < 1e-12, `${k}: ${value}`));
  host.close();
  cat.close();
});

Deno.test("xd: an opaque cnexp derivative that may integrate Xd is refused, naming the mechanism", async () => {
  const opaque = defineMechanism({ name: "xd_opaque", method: "cnexp", ions }, {
    derivative: (x) => {
      let rate = 0;
      for (let k = 0; k < 1; k++) rate -= x.cad;
      return { cad: rate };
    },
  });
  await assert.rejects(
    () => catalogue({ mechanisms: [opaque], target: "js" }),
    /mechanism 'xd_opaque': derivative\(\) integrates the diffusive concentration 'cad'.*opaque function/,
  );
});
