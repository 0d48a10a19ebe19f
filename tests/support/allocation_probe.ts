// Runs pointwise hh on the host for a number of steps (`deno run -A --v8-flags=--trace-gc
// allocation_probe.ts <steps> [fallback]`), so that a test can count V8's garbage collections:
// hooks that allocate nothing per step add none as the step count grows.
import { catalogue, defineMechanism, Host } from "../../mod.ts";
import { PointwiseHH } from "../../examples/catalogue/hh.ts";

const steps = Number(Deno.args[0]);
const fallback = Deno.args[1] === "fallback";
let calls = 0;
// The same leak as a plan can express it, and as it cannot (the closure counter makes it fall back).
const leak = fallback
  ? defineMechanism({ name: "leak" }, { current: (x) => (calls++, { i: 1e-4 * (x.v + 65), g: 1e-4 }) })
  : defineMechanism({ name: "leak" }, { current: (x) => ({ i: 1e-4 * (x.v + 65), g: 1e-4 }) });
const cat = await catalogue({ mechanisms: [PointwiseHH, leak], target: "js" }); // what it measures is the JS target
using host = await Host.create({ catalogues: [cat] });
const cvs = 64;
host.setCvs({ count: cvs, areaUm2: 2 * Math.PI * 3 * 6, vInit: -65 }).addNeuronIons();
host.place("hh", { cvs: Array.from({ length: cvs }, (_, k) => k) });
host.place("leak", { cvs: Array.from({ length: cvs }, (_, k) => k) });
host.iclamp(0, { start: 0, duration: 1e9, amplitude: 0.05 });
host.run({ until: 50 * 0.025, dt: 0.025 }); // warm up: the JIT settles
console.log(`allocation_probe: start ${calls}`);
host.run({ until: host.time + steps * 0.025, dt: 0.025 });
console.log(`allocation_probe: done ${calls}`);
cat.close();
