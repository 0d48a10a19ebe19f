/**
 * `deno task bench`: cost of live TypeScript hooks against hand-written C mechanisms, both run
 * by the same native host in the same process. Reports ns per step, ns per hook call, and the
 * TS/C ratio. Not a test: nothing here asserts a time.
 *
 * @module
 */
import { catalogue, defineMechanism, Host } from "../mod.ts";
import { resolveLibrary } from "../platform/libraries.ts";
import { HH } from "../examples/hh.ts";
import { PointwiseHH } from "../examples/catalogue/hh.ts";
import { Progress } from "../platform/progress.ts";

const area = 2 * Math.PI * 3 * 6;
const dt = 0.025;

// The three hooks Arbor calls every step for a density mechanism, each empty.
const emptyTs = defineMechanism({ name: "empty" }, {
  computeCurrents() {},
  advanceState() {},
  writeIons() {},
});

interface Case {
  label: string;
  mechanism: string;
  cvs: number;
  steps: number;
  /** Hook calls per step that cross into JS for the TS version. */
  hooksPerStep: number;
  /** Use the pointwise kernel port (examples/catalogue/hh.ts) instead of the raw-hook one. */
  pointwise?: boolean;
}

const cases: Case[] = [
  { label: "empty hooks, 1 CV", mechanism: "empty", cvs: 1, steps: 100_000, hooksPerStep: 3 },
  { label: "hh, 1 CV", mechanism: "hh", cvs: 1, steps: 40_000, hooksPerStep: 2 },
  { label: "hh, 1024 CVs", mechanism: "hh", cvs: 1024, steps: 1_000, hooksPerStep: 2 },
  // Pointwise hh has no writeIons work: computeCurrents and advanceState cross, as for raw hh.
  { label: "hh pointwise, 1 CV", mechanism: "hh", cvs: 1, steps: 40_000, hooksPerStep: 2, pointwise: true },
  { label: "hh pointwise, 1024", mechanism: "hh", cvs: 1024, steps: 1_000, hooksPerStep: 2, pointwise: true },
  { label: "hh pointwise, 16384", mechanism: "hh", cvs: 16384, steps: 100, hooksPerStep: 2, pointwise: true },
];

const REPEATS = 5;

async function prepare(catalogues: (string | { path: string })[], c: Case): Promise<Host> {
  const host = await Host.create({ catalogues, abi: "0.7" });
  host.setCvs({ count: c.cvs, areaUm2: area, vInit: -65 }).addNeuronIons();
  host.place(c.mechanism, { cvs: Array.from({ length: c.cvs }, (_, k) => k) });
  host.iclamp(0, { start: 0, duration: 1e9, amplitude: 0.05 }); // keep hh spiking
  host.run({ until: (c.steps / 10) * dt, dt }); // warm up the JIT and the caches
  return host;
}

/** ns per step of `c` for each host: runs alternate between them, so load changes hit both. */
function timeRuns(hosts: Host[], c: Case): number[] {
  const best = hosts.map(() => Infinity);
  for (let repeat = 0; repeat < REPEATS; repeat++) {
    hosts.forEach((host, h) => {
      const start = performance.now();
      host.run({ until: host.time + c.steps * dt, dt });
      best[h] = Math.min(best[h], (performance.now() - start) * 1e6 / c.steps);
    });
  }
  return best;
}

const live = await catalogue({ mechanisms: [HH, emptyTs], abi: "0.7" });
const livePointwise = await catalogue({ mechanisms: [PointwiseHH], abi: "0.7", target: "js" });
const native = await resolveLibrary("denocat_reference_abi7");

console.log(
  `denocat bench: live TypeScript hooks vs hand-written C, same host, dt ${dt} ms (best of ${REPEATS}, interleaved)`,
);
console.log(
  "case".padEnd(20) + "TS ns/step".padStart(13) + "C ns/step".padStart(12) + "TS ns/hook".padStart(12) +
    "overhead ns/hook".padStart(18) + "TS/C".padStart(9),
);
// On a terminal only (stderr): the table on stdout stays clean when piped.
const progress = new Progress({ label: "bench hooks", total: cases.length, unit: "cases", ticking: true });
for (const [done, c] of cases.entries()) {
  progress.update(done);
  using tsHost = await prepare([c.pointwise ? livePointwise : live], c);
  using cHost = await prepare([native], c);
  const [ts, cRef] = timeRuns([tsHost, cHost], c);
  const perHook = ts / c.hooksPerStep;
  const overhead = (ts - cRef) / c.hooksPerStep;
  progress.clear();
  console.log(
    c.label.padEnd(20) + ts.toFixed(0).padStart(13) + cRef.toFixed(0).padStart(12) +
      perHook.toFixed(0).padStart(12) +
      overhead.toFixed(0).padStart(18) + `${(ts / cRef).toFixed(2)}x`.padStart(9),
  );
}
progress.update(cases.length);
progress.finish();
console.log(
  "TS ns/hook: TS time per step / JS-crossing hooks per step; overhead: (TS - C) per crossing hook.",
);
