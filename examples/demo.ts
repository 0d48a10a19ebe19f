/**
 * `deno task demo`: the TypeScript Hodgkin–Huxley on the native test host, one cylindrical CV
 * with a current clamp, described with the same cell format the fidelity cases use
 * (host/cell.ts). Prints a summary and writes `out/hh_demo.svg`.
 *
 * @module
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { catalogue } from "../mod.ts";
import { runCell } from "../host/cell.ts";
import { HH } from "./hh.ts";
import { toSvg, traces } from "../plot/mod.ts";

const radius = 3, length = 6; // µm: the single-CV cell of tests/data/arbor
const area = 2 * Math.PI * radius * length;
const clamp = { start: 10, duration: 80, amplitude: 0.05 }; // nA
const dt = 0.025, until = 100; // ms

const cat = await catalogue({ mechanisms: [HH] });
const started = performance.now();
const result = await runCell({
  areaUm2: area,
  diamUm: 2 * radius,
  cm: 0.01,
  temperatureDegC: 6.3,
  vInit: -65,
  ions: "neuron",
  density: [{ mechanism: "hh" }],
  iclamps: [clamp],
  detectors: [{ threshold: -10 }],
  probes: ["v", "hh.m"],
  dt,
  until,
}, { catalogues: [cat] });
const elapsed = performance.now() - started;

const v = result.traces.v;
const steps = result.time.length;
let peak = -Infinity;
for (const value of v) peak = Math.max(peak, value);
const spikes = result.spikes;
console.log(`denocat demo: TypeScript hh on the native host`);
console.log(`  cell: one CV, area ${area.toFixed(3)} µm², cm 0.01 F/m², 6.3 °C, neuron ions`);
console.log(`  clamp: ${clamp.amplitude} nA from ${clamp.start} ms for ${clamp.duration} ms; dt ${dt} ms`);
console.log(`  steps: ${steps} in ${elapsed.toFixed(1)} ms (${(elapsed * 1e3 / steps).toFixed(2)} µs/step)`);
console.log(
  `  spikes (-10 mV): ${spikes.length}${
    spikes.length ? ` at ${spikes.map((t) => t.toFixed(2)).join(", ")} ms` : ""
  }`,
);
console.log(
  `  peak ${peak.toFixed(2)} mV; v at 0 ms ${v[0].toFixed(3)} mV; final ${v[v.length - 1].toFixed(3)} mV`,
);
console.log(`  m at rest ${result.traces["hh.m"][0].toFixed(5)}`);

const output = join(dirname(dirname(fileURLToPath(import.meta.url))), "out", "hh_demo.svg");
mkdirSync(dirname(output), { recursive: true });
const plot = traces([{ label: "v (TypeScript hh)", time: result.time, values: v }], {
  title: `denocat: TypeScript hh on the native host, ${clamp.amplitude} nA clamp, ${spikes.length} spikes`,
  xLabel: "time (ms)",
  yLabel: "membrane voltage (mV)",
});
writeFileSync(output, await toSvg(plot));
console.log(`  plot: ${output}`);
