/**
 * `deno task bench` (part): why `arb.simulation()` puts all cable cells into one cell group.
 *
 * On the native host a "cell group" of N one-CV cells is one placement over N CVs: each hook
 * crosses into JavaScript once per step. Arbor's default partition (one cell per group) is N
 * placements of one CV each: N crossings per hook per step. Both layouts run the same N HH
 * cells (clamped so they keep spiking); the bench reports ms per simulated 100 ms and the ratio
 * N placements / one placement, for the raw-hook TS `hh`, the pointwise TS `hh` and the
 * hand-written C `hh` (whose calls cost nothing to cross). Not a test: nothing here asserts a
 * time.
 *
 * @module
 */
import { catalogue, Host } from "../mod.ts";
import { resolveLibrary } from "../platform/libraries.ts";
import { HH } from "../examples/hh.ts";
import { PointwiseHH } from "../examples/catalogue/hh.ts";
import { Progress } from "../platform/progress.ts";

const area = 2 * Math.PI * 3 * 6;
const dt = 0.025;
const simulated = 100; // ms per timed run
const CELLS = [16, 256];

function setUp(host: Host, cells: number): void {
  host.setCvs({ count: cells, areaUm2: area, vInit: -65 }).addNeuronIons();
  host.place("hh", { cvs: Array.from({ length: cells }, (_, k) => k) });
  for (let cv = 0; cv < cells; cv++) host.iclamp(cv, { start: 0, duration: 1e9, amplitude: 0.05 });
}

/**
 * ms per `simulated` ms of `cells` cells: one host with one placement over all CVs (one group),
 * or one one-CV host per cell run one after the other (one group per cell: a host places a
 * mechanism name once, and Arbor advances each group separately anyway).
 */
async function timeRun(source: string | { path: string }, cells: number, grouped: boolean): Promise<number> {
  const hosts: Host[] = [];
  try {
    for (let k = 0; k < (grouped ? 1 : cells); k++) {
      const host = await Host.create({ catalogues: [source], abi: "0.7" });
      hosts.push(host);
      setUp(host, grouped ? cells : 1);
    }
    const advance = (ms: number) => {
      for (const host of hosts) host.run({ until: host.time + ms, dt });
    };
    advance(10); // warm up the JIT and the caches
    const best: number[] = [];
    for (let repeat = 0; repeat < 3; repeat++) {
      const start = performance.now();
      advance(simulated);
      best.push(performance.now() - start);
    }
    return Math.min(...best);
  } finally {
    for (const host of hosts) host.close();
  }
}

const live = await catalogue({ mechanisms: [HH], abi: "0.7" });
const pointwise = await catalogue({ mechanisms: [PointwiseHH], abi: "0.7", target: "js" });
const native = await resolveLibrary("denocat_reference_abi7");
const sources: [string, string | { path: string }][] = [
  ["TS hh, raw hooks", live],
  ["TS hh, pointwise", pointwise],
  ["C hh (reference)", native],
];

console.log(`denocat bench: N one-CV HH cells, ${simulated} ms at dt ${dt} ms (best of 3), native host`);
console.log(
  "mechanism".padEnd(20) + "cells".padStart(7) + "N groups ms".padStart(13) + "1 group ms".padStart(12) +
    "N/1".padStart(8),
);
const progress = new Progress({
  label: "bench cell groups",
  total: CELLS.length * sources.length,
  unit: "cases",
  ticking: true,
});
let done = 0;
for (const cells of CELLS) {
  for (const [label, source] of sources) {
    const separate = await timeRun(source, cells, false);
    const grouped = await timeRun(source, cells, true);
    progress.clear();
    console.log(
      label.padEnd(20) + String(cells).padStart(7) + separate.toFixed(1).padStart(13) +
        grouped.toFixed(1).padStart(12) + `${(separate / grouped).toFixed(2)}x`.padStart(8),
    );
    progress.update(++done);
  }
}
progress.finish();
console.log(
  "N groups: one placement per cell (Arbor's default partition); 1 group: one placement over N CVs.",
);
