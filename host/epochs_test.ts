// Host.run splits a long run into epochs (host/epochs.ts) so that a progress line can be drawn
// between them: the split must give the same numbers as running those epochs by hand, keep the
// sample rows contiguous, and never depend on whether progress is shown.
import assert from "node:assert/strict";
import { catalogue, Host } from "../mod.ts";
import { epochEnds, epochSteps } from "./epochs.ts";
import { PointwiseHH } from "../examples/catalogue/hh.ts";

Deno.test("epochs: a short run is one epoch; a long one is epochs of epochSteps steps, the last at least half", () => {
  assert.deepEqual(epochEnds(0, 100, 0.025, 1), [100]);
  const n = epochSteps(1);
  assert.equal(n, 65536);
  assert.deepEqual(epochEnds(0, n * 0.025, 0.025, 1), [n * 0.025], "exactly one epoch of steps");
  const ends = epochEnds(0, 4500, 0.025, 1); // 180000 steps: 65536, 65536, then 48928 > n/2
  assert.deepEqual(ends, [n * 0.025, 2 * n * 0.025, 4500]);
  const merged = epochEnds(0, 2.2 * n * 0.025, 0.025, 1); // the 0.2-epoch tail joins the last epoch
  assert.deepEqual(merged, [n * 0.025, 2.2 * n * 0.025]);
  assert.equal(epochSteps(16384), 4096);
  assert.equal(epochSteps(1e9), 1024);
});

async function hhHost(cat: { path: string }): Promise<Host> {
  const host = await Host.create({ catalogues: [cat] });
  host.setCvs({ count: 1, areaUm2: 2 * Math.PI * 3 * 6, vInit: -65 }).addNeuronIons();
  host.place("hh", { cvs: [0] });
  host.iclamp(0, { start: 5, duration: 1e9, amplitude: 0.05 }); // keeps it spiking across epochs
  host.probeVoltage(0);
  return host;
}

Deno.test("epochs: a run over three epochs equals the same epochs run by hand, with or without progress", async () => {
  const cat = await catalogue({ mechanisms: [PointwiseHH] });
  const dt = 0.025, until = 4500; // 180000 steps
  const runs = [];
  for (const progress of [false, true]) {
    using host = await hhHost(cat);
    runs.push(host.run({ until, dt, progress }));
  }
  using byHand = await hhHost(cat);
  const pieces = epochEnds(0, until, dt, 1).map((end) => byHand.run({ until: end, dt }));
  const time = Float64Array.from(pieces.flatMap((p) => [...p.time]));
  const v = Float64Array.from(pieces.flatMap((p) => [...p.probes[0]]));
  for (const run of runs) {
    assert.equal(run.steps, 180000);
    assert.equal(run.time.length, 180000);
    assert.deepEqual(run.time, time);
    assert.deepEqual(run.probes[0], v);
  }
  // Rows are contiguous across epoch boundaries: every sample time is k·dt to rounding.
  let worst = 0;
  runs[0].time.forEach((t, k) => (worst = Math.max(worst, Math.abs(t - k * dt))));
  assert.ok(worst < 1e-9, `sample times drift from k·dt by ${worst} ms`);
  let peak = -Infinity;
  for (let k = 160000; k < 180000; k++) peak = Math.max(peak, v[k]);
  assert.ok(peak > 0, "still spiking in the last epoch");
  cat.close();
});

Deno.test("epochs: run({ progress }) takes only true or false", async () => {
  const cat = await catalogue({ mechanisms: [PointwiseHH] });
  using host = await hhHost(cat);
  assert.throws(
    () => host.run({ until: 1, dt: 0.025, progress: "no" as unknown as boolean }),
    /run: progress must be true or false, got/,
  );
  cat.close();
});
