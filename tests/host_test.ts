// Mechanisms run on the native host: hook order, undefined hooks, view bounds, errors in hooks,
// foreign threads, accumulation, and the HH example's behaviour.
import assert from "node:assert/strict";
import { catalogue, defineMechanism, Host, type MechanismHooks, type PPack } from "../mod.ts";
import { HOOK, type HookName } from "../ffi/layout.ts";
import { resolveLibrary } from "../platform/libraries.ts";
import { HH } from "../examples/hh.ts";

const area = 2 * Math.PI * 3 * 6; // µm², the reference single-CV cell

function recorder(log: string[], name: string, hooks: HookName[]): MechanismHooks {
  const result: Record<string, (pp: PPack) => void> = {};
  for (const hook of hooks) result[hook] = () => log.push(`${name}.${hook}`);
  return result as MechanismHooks;
}

Deno.test("hooks are called in Arbor's order (docs/abi.md 4.1 and 4.2)", async () => {
  const log: string[] = [];
  const all: HookName[] = ["init", "computeCurrents", "advanceState", "writeIons", "postEvent"];
  const cat = await catalogue({
    mechanisms: [
      defineMechanism({ name: "density_b" }, recorder(log, "density_b", all)),
      // density_a uses na, so the ion has support and the reversal mechanism gets instances.
      defineMechanism({ name: "density_a", ions: { na: {} } }, recorder(log, "density_a", all)),
      defineMechanism(
        { name: "syn", kind: "point", hasPostEvents: true },
        recorder(log, "syn", [...all, "applyEvents"]),
      ),
      defineMechanism(
        {
          name: "rev",
          kind: "reversalPotential",
          ions: { na: { writeRevPotential: true, readRevPotential: false } },
        },
        recorder(log, "rev", ["init", "computeCurrents"]),
      ),
      defineMechanism(
        { name: "volt", kind: "voltage" },
        recorder(log, "volt", ["init", "computeCurrents", "advanceState"]),
      ),
    ],
  });
  using host = await Host.create({ catalogues: [cat] });
  host.setCvs({ count: 1, areaUm2: area }).addNeuronIons();
  host.place("density_b", { cvs: [0] });
  host.place("density_a", { cvs: [0] });
  host.place("rev/na");
  host.place("volt", { cvs: [0] });
  const syn = host.place("syn", { cvs: [0] });
  host.event(syn, 0, 0.03, 0.5); // inside the second step [0.025, 0.05)
  host.detector(0, 1000);
  host.instantiate();
  const M = (hook: string) => ["density_a", "density_b", "syn"].map((m) => `${m}.${hook}`);
  assert.deepEqual(log, [
    "volt.init",
    "rev.init",
    ...M("init"), // V, R, M
    ...M("writeIons"),
    "rev.init",
    ...M("init"),
    "volt.init", // R, M, V
  ]);
  log.length = 0;
  host.run({ until: 0.05, dt: 0.025 });
  const step = (events: boolean) => [
    "rev.computeCurrents",
    "density_a.computeCurrents",
    "density_b.computeCurrents",
    ...(events ? ["syn.applyEvents"] : []),
    "syn.computeCurrents",
    ...M("advanceState"),
    ...M("writeIons"),
    "volt.computeCurrents",
    "volt.advanceState",
    ...M("postEvent"),
  ];
  assert.deepEqual(log, [...step(false), ...step(true)]);
  cat.close();
});

Deno.test("hooks a mechanism does not define never cross into JS", async () => {
  let calls = 0;
  const cat = await catalogue({
    mechanisms: [defineMechanism({ name: "only_currents" }, { computeCurrents: () => void calls++ })],
  });
  using host = await Host.create({ catalogues: [cat] });
  host.setCvs({ count: 1, areaUm2: area });
  host.place("only_currents", { cvs: [0] });
  // If init, advanceState or writeIons reached JS, the dispatcher would record an error and
  // run() would throw it.
  const { steps } = host.run({ until: 2.5, dt: 0.025 });
  assert.equal(steps, 100);
  assert.equal(calls, 100);
  cat.close();
});

Deno.test("views have exactly the lengths Arbor allocates", async () => {
  const seen: Record<string, number> = {};
  const cat = await catalogue({
    mechanisms: [
      defineMechanism({
        name: "sizes",
        states: { s: {} },
        parameters: { p: { default: 2 } },
        globals: { q: { default: 7 } },
        ions: { ca: { readIntConcentration: true } },
      }, {
        init(pp) {
          for (
            const key of [
              "v",
              "i",
              "g",
              "areaUm2",
              "nodeIndex",
              "weight",
              "s",
              "p",
              "cai",
              "ica",
              "indexCa",
              "valenceCa",
            ]
          ) {
            seen[key] = (pp[key as keyof typeof pp] as ArrayLike<number>).length;
          }
          seen.width = pp.width;
          seen.q = pp.q as number;
          seen.valence = (pp.valenceCa as Float64Array)[0];
          seen.maxIndexCa = Math.max(...(pp.indexCa as Int32Array));
        },
      }),
      // A second user of ca on other CVs widens the ion's support beyond this mechanism's.
      defineMechanism({ name: "other", ions: { ca: {} } }, {}),
    ],
  });
  using host = await Host.create({ catalogues: [cat] });
  host.setCvs({ count: 6, areaUm2: area }).addNeuronIons();
  host.place("other", { cvs: [0, 5] });
  host.place("sizes", { cvs: [1, 3] });
  host.instantiate();
  assert.deepEqual(seen, {
    v: 4,
    i: 4,
    g: 4,
    areaUm2: 4, // max(node_index) + 1 = 3 + 1
    nodeIndex: 2,
    weight: 2,
    s: 2,
    p: 2,
    width: 2,
    q: 7,
    cai: 3,
    ica: 3,
    indexCa: 2,
    maxIndexCa: 2, // support {0,1,3,5}: CVs 1 and 3 sit at 1 and 2
    valenceCa: 1,
    valence: 2,
  });
  cat.close();
});

Deno.test("on ABI 0.7 an ion array the flags did not ask for is a clear error, and gX is gone", async () => {
  const errors: string[] = [];
  const cat = await catalogue({
    mechanisms: [defineMechanism({ name: "reads_cai", ions: { ca: { readRevPotential: true } } }, {
      init(pp) {
        for (const key of ["cai", "gca"]) {
          try {
            (pp[key as keyof typeof pp] as Float64Array)[0];
          } catch (error) {
            errors.push((error as Error).message);
          }
        }
      },
    })],
  });
  using host = await Host.create({ catalogues: [cat] });
  host.setCvs({ count: 1, areaUm2: area }).addNeuronIons();
  host.place("reads_cai", { cvs: [0] });
  host.instantiate();
  assert.match(
    errors[0],
    /pp.cai of ion 'ca' is not allocated by Arbor 0.11\+ unless the ion declares readIntConcentration/,
  );
  assert.match(errors[1], /pp.gca \(ion conductivity\) does not exist in ABI 0.7/);
  cat.close();
});

for (
  const hook of ["init", "computeCurrents", "advanceState", "writeIons", "applyEvents", "postEvent"] as const
) {
  Deno.test(`an error thrown in ${hook} surfaces as that error, and later calls are skipped`, async () => {
    const thrown = new Error(`boom in ${hook}`);
    let callsAfter = 0;
    let failed = false;
    const hooks: MechanismHooks = {
      [hook]: () => {
        if (failed) callsAfter++;
        failed = true;
        throw thrown;
      },
    };
    const point = hook === "applyEvents" || hook === "postEvent";
    const cat = await catalogue({
      mechanisms: [
        defineMechanism({
          name: "faulty",
          kind: point ? "point" : "density",
          hasPostEvents: hook === "postEvent",
        }, hooks),
      ],
    });
    using host = await Host.create({ catalogues: [cat] });
    host.setCvs({ count: 1, areaUm2: area });
    const placed = host.place("faulty", { cvs: [0] });
    if (hook === "applyEvents") host.event(placed, 0, 0.1, 1);
    host.detector(0, 1000);
    assert.throws(() => host.run({ until: 1, dt: 0.025 }), (error) => error === thrown);
    assert.equal(callsAfter, 0, "the catalogue skipped every call after the failure");
    assert.match(thrown.stack ?? "", /host_test\.ts/, "the original stack is kept");
    cat.close();
  });
}

Deno.test("a call from a foreign thread never runs JS and is reported", async () => {
  let calls = 0;
  const cat = await catalogue({
    mechanisms: [defineMechanism({ name: "guarded" }, { computeCurrents: () => void calls++ })],
  });
  using host = await Host.create({ catalogues: [cat] });
  host.setCvs({ count: 1, areaUm2: area });
  const placed = host.place("guarded", { cvs: [0] });
  host.instantiate();
  // The refusal is reported by the very next public call, here the one that made the thread.
  assert.throws(
    () => host.callHookOnForeignThread(placed, HOOK.computeCurrents),
    /mechanism 'guarded': computeCurrents was called from a thread other than the one that runs JavaScript.*arbor\.context\(threads=1\)/,
  );
  assert.equal(calls, 0);
  // Once reported, the catalogue works again on the right thread.
  host.run({ until: 0.2, dt: 0.025 });
  assert.ok(calls > 0);
  cat.close();
});

Deno.test("pp.dt is re-read from the ppack at every access (the cached view sees each step's dt)", async () => {
  const seen: number[] = [];
  const objects = new Set<unknown>();
  const cat = await catalogue({
    mechanisms: [defineMechanism({ name: "clock" }, {
      advanceState(pp) {
        seen.push(pp.dt);
        objects.add(pp);
      },
    })],
  });
  using host = await Host.create({ catalogues: [cat] });
  host.setCvs({ count: 1, areaUm2: area });
  host.place("clock", { cvs: [0] });
  host.run({ until: 0.06, dt: 0.025 }); // the last step is 0.01 ms
  host.run({ until: 0.1, dt: 0.02 });
  assert.equal(objects.size, 1, "one ppack object, built at init and reused");
  assert.deepEqual(seen.map((dt) => Number(dt.toFixed(12))), [0.025, 0.025, 0.01, 0.02, 0.02]);
  cat.close();
});

Deno.test("on ABI 0.6 every ion array exists, including gX", async () => {
  const lengths: number[] = [];
  const cat = await catalogue({
    abi: "0.6",
    mechanisms: [defineMechanism({ name: "old_ions", ions: { ca: {} } }, {
      computeCurrents(pp) {
        const gca = pp.gca as Float64Array, cai = pp.cai as Float64Array;
        gca[(pp.indexCa as Int32Array)[0]] += 10 * pp.weight[0] * 0.5;
        lengths.push(gca.length, cai.length);
      },
    })],
  });
  using host = await Host.create({ catalogues: [cat] });
  assert.equal(host.abi, "0.6");
  host.setCvs({ count: 1, areaUm2: area }).addNeuronIons();
  host.place("old_ions", { cvs: [0] });
  host.probeIon("ca", "g", 0);
  const { probes } = host.run({ until: 0.025, dt: 0.025 });
  assert.deepEqual(lengths, [1, 1]);
  assert.deepEqual([...probes[0]], [5]);
  cat.close();
});

Deno.test("a mechanism without init gets fresh views when a new simulation reuses its catalogue", async () => {
  // The second host may place the instance at the address the first one freed; the catalogue
  // must still hand JS views of the new arrays (run under ASan by tests/native_test.ts).
  const mirror = defineMechanism({ name: "mirror" }, {
    computeCurrents(pp) {
      for (let k = 0; k < pp.width; k++) {
        pp.i[pp.nodeIndex[k]] += pp.weight[k] * (pp.v[pp.nodeIndex[k]] + 100);
      }
    },
  });
  const cat = await catalogue({ mechanisms: [mirror] });
  for (const [count, vInit] of [[1, -65], [8, -40], [3, -10]]) {
    using host = await Host.create({ catalogues: [cat] });
    host.setCvs({ count, areaUm2: area, vInit });
    host.place("mirror", { cvs: Array.from({ length: count }, (_, k) => k) });
    const last = host.probeCurrent(count - 1);
    const { probes } = host.run({ until: 0.025, dt: 0.025 });
    assert.equal(probes[last][0], vInit + 100, `${count} CVs`);
  }
  cat.close();
});

Deno.test("two mechanisms on one CV both contribute current (accumulate, never assign)", async () => {
  const constant = (name: string, current: number) =>
    defineMechanism({ name }, {
      computeCurrents(pp) {
        for (let k = 0; k < pp.width; k++) pp.i[pp.nodeIndex[k]] += pp.weight[k] * current;
      },
    });
  const cat = await catalogue({ mechanisms: [constant("first", 1.25), constant("second", 2.5)] });
  using host = await Host.create({ catalogues: [cat] });
  host.setCvs({ count: 2, areaUm2: area });
  host.place("first", { cvs: [0, 1] });
  host.place("second", { cvs: [1] });
  const at0 = host.probeCurrent(0);
  const at1 = host.probeCurrent(1);
  const { probes } = host.run({ until: 0.1, dt: 0.025 });
  assert.deepEqual([...probes[at0]], [1.25, 1.25, 1.25, 1.25]);
  assert.deepEqual([...probes[at1]], [3.75, 3.75, 3.75, 3.75]);
  cat.close();
});

async function runHH(source: string | { path: string }, amplitude: number, until: number) {
  using host = await Host.create({ catalogues: [source], abi: "0.7" });
  host.setCvs({ count: 1, areaUm2: area, cm: 0.01, temperatureDegC: 6.3, vInit: -65 }).addNeuronIons();
  const hh = host.place("hh", { cvs: [0] });
  if (amplitude !== 0) host.iclamp(0, { start: 10, duration: 80, amplitude });
  host.detector(0, -10);
  host.probeVoltage(0);
  host.probeState(hh, "n");
  const result = host.run({ until, dt: 0.025 });
  return { v: result.probes[0], n: result.probes[1], spikes: [...host.spikes().times] };
}

Deno.test("the HH example fires in a current clamp", async () => {
  const cat = await catalogue({ mechanisms: [HH] });
  const { v, spikes } = await runHH(cat, 0.05, 100);
  assert.ok(spikes.length >= 7 && spikes.length <= 11, `spike count ${spikes.length}`);
  assert.ok(spikes.every((t) => t > 10 && t < 90), "spikes only while the clamp is on");
  const peak = Math.max(...v);
  assert.ok(peak > 30 && peak < 50, `peak ${peak} mV`);
  cat.close();
});

Deno.test("the HH example rests stably with no stimulus", async () => {
  const cat = await catalogue({ mechanisms: [HH] });
  const { v, spikes } = await runHH(cat, 0, 200);
  assert.equal(spikes.length, 0);
  const drift = Math.max(...v.map((x) => Math.abs(x - v[0])));
  assert.ok(drift < 0.1, `resting drift ${drift} mV`);
  const lastStep = Math.abs(v[v.length - 1] - v[v.length - 2]);
  assert.ok(lastStep < 1e-6, `still moving by ${lastStep} mV per step`);
  cat.close();
});

Deno.test("the TS HH and the hand-written C hh give the same trace", async () => {
  const cat = await catalogue({ mechanisms: [HH] });
  const ts = await runHH(cat, 0.05, 100);
  const c = await runHH(await resolveLibrary("denocat_reference_abi7"), 0.05, 100);
  let worst = 0;
  for (let k = 0; k < ts.v.length; k++) worst = Math.max(worst, Math.abs(ts.v[k] - c.v[k]));
  assert.ok(worst < 1e-9, `max |dV| ${worst} mV`);
  assert.equal(ts.spikes.length, c.spikes.length);
  cat.close();
});

Deno.test("after a hook fails, run() asks for reset() and a reset run works", async () => {
  let fail = true;
  const flaky = defineMechanism({ name: "flaky", states: { s: {} } }, {
    init(pp) {
      (pp.s as Float64Array).fill(1);
    },
    computeCurrents() {
      if (fail) throw new Error("flaky failed");
    },
  });
  const cat = await catalogue({ mechanisms: [flaky] });
  using host = await Host.create({ catalogues: [cat] });
  host.setCvs({ count: 1, areaUm2: area });
  const p = host.place("flaky", { cvs: [0] });
  const s = host.probeState(p, "s");
  assert.throws(() => host.run({ until: 0.1, dt: 0.025 }), /flaky failed/);
  assert.throws(() => host.run({ until: 0.2, dt: 0.025 }), /call reset\(\) first/);
  fail = false;
  host.reset();
  const { probes } = host.run({ until: 0.05, dt: 0.025 });
  assert.deepEqual([...probes[s]], [1, 1]);
  cat.close();
});

Deno.test("a closed catalogue refuses late calls instead of running freed callbacks", async () => {
  const cat = await catalogue({ mechanisms: [defineMechanism({ name: "gone" }, { computeCurrents() {} })] });
  const path = cat.path;
  using host = await Host.create({ catalogues: [path] }); // loaded by path, like Arbor
  host.setCvs({ count: 1, areaUm2: area });
  host.place("gone", { cvs: [0] });
  host.instantiate();
  cat.close(); // the library stays mapped (the host keeps it open); the callback is gone
  // Must not crash: C refuses, nothing reaches JS; and the refused calls are reported, not lost.
  assert.throws(
    () => host.run({ until: 0.05, dt: 0.025 }),
    /^Error: denocat: mechanism 'gone' \(computeCurrents\) of the catalogue .* was called after cat\.close\(\)/,
  );
});
