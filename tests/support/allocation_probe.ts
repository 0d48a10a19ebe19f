// Runs pointwise mechanisms on the host for a number of steps (`deno run -A --v8-flags=--trace-gc
// allocation_probe.ts <steps> [fallback|native]`), so that a test can count V8's garbage collections:
// hooks that allocate nothing per step add none as the step count grows. It covers a density
// mechanism that reads and writes ion currents (hh), a point mechanism that takes an event every
// step, and a mechanism that writes an ion concentration.
import { catalogue, defineMechanism, Host } from "../../mod.ts";
import { PointwiseHH } from "../../examples/catalogue/hh.ts";

const steps = Number(Deno.args[0]);
const fallback = Deno.args[1] === "fallback";
// native: the same mechanisms on the native target (the hooks are C; what allocates per step there
// would be the host's crossings and the failure check around them).
const native = Deno.args[1] === "native";
let calls = 0;
// The same leak as a plan can express it, and as it cannot (the closure counter makes it fall back).
const leak = fallback
  ? defineMechanism({ name: "leak" }, { current: (x) => (calls++, { i: 1e-4 * (x.v + 65), g: 1e-4 }) })
  : defineMechanism({ name: "leak" }, { current: (x) => ({ i: 1e-4 * (x.v + 65), g: 1e-4 }) });
const synapse = defineMechanism({ name: "syn", kind: "point", states: { gs: {} } }, {
  onEvent: (x, weight) => ({ gs: x.gs + weight }),
  derivative: (x) => ({ gs: -x.gs / 2 }),
  current: (x) => ({ i: x.gs * x.v, g: x.gs }),
});
const calcium = defineMechanism({ name: "cadyn", ions: { ca: { writeIntConcentration: true } } }, {
  concentrations: (x) => ({ cai: 5e-5 * (1 + Math.exp(x.v / 100)) }),
});
// What it measures is the JS target, or the native one.
const cat = await catalogue({
  mechanisms: [PointwiseHH, leak, synapse, calcium],
  target: native ? "native" : "js",
});
using host = await Host.create({ catalogues: [cat] });
const cvs = 64;
const all = Array.from({ length: cvs }, (_, k) => k);
const dt = 0.025;
host.setCvs({ count: cvs, areaUm2: 2 * Math.PI * 3 * 6, vInit: -65 }).addNeuronIons();
host.place("hh", { cvs: all });
host.place("leak", { cvs: all });
const synapses = host.place("syn", { cvs: all });
host.place("cadyn", { cvs: all });
host.iclamp(0, { start: 0, duration: 1e9, amplitude: 0.05 });
// An event every 4th step (the host's valid event path allocates nothing itself; the dispatch
// copies each batch, a few hundred bytes, so that a batch kept after the hook keeps its events).
for (let step = 0; step < 50 + steps; step += 4) host.event(synapses, step % cvs, (step + 0.5) * dt, 1e-4);
host.run({ until: 50 * dt, dt }); // warm up: the JIT settles
console.log(`allocation_probe: start ${calls}`);
host.run({ until: host.time + steps * dt, dt });
console.log(`allocation_probe: done ${calls}`);
cat.close();
