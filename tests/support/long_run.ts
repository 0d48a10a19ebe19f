// Child of platform/progress_test.ts: a host run that takes more than the 2 s before a progress line
// appears on any machine, because its hook sleeps 1 ms per step (a lower bound on time, unlike
// arithmetic). 65536 CVs make epochs of the smallest size (1024 steps), so 3072 steps are three
// epochs and the line is drawn after the second (≥ 2.05 s). Prints the step count and final v.
import { catalogue, defineMechanism, Host } from "../../mod.ts";

const sleeper = new Int32Array(new SharedArrayBuffer(4));
const Sleepy = defineMechanism({ name: "sleepy" }, {
  advanceState() {
    Atomics.wait(sleeper, 0, 0, 1); // 1 ms
  },
});
const cvs = 65536, steps = 3072, dt = 0.025;
const cat = await catalogue({ mechanisms: [Sleepy] });
using host = await Host.create({ catalogues: [cat] });
host.setCvs({ count: cvs, areaUm2: 100, vInit: -65 });
host.place("sleepy", { cvs: Array.from({ length: cvs }, (_, k) => k) });
host.iclamp(0, { start: 0, duration: 1e9, amplitude: 0.01 });
host.probeVoltage(0);
const result = host.run({ until: steps * dt, dt });
console.log(`steps ${result.steps} v ${result.probes[0].at(-1)}`);
