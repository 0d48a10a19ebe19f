/**
 * `deno task bench` (second part): the cost per step of HH on the native host at 1, 1024 and
 * 16384 CVs, for the live pointwise TypeScript port (examples/catalogue/hh.ts), the same port
 * compiled to C by `compile/`, and the hand-written C reference (c/reference.c, mechanism "hh").
 * Reports ns per step and the ratios. Not a test: nothing here asserts a time.
 *
 * @module
 */
import { catalogue, compileCatalogue, Host } from "../mod.ts";
import { resolveLibrary } from "../native/library.ts";
import { PointwiseHH } from "../examples/catalogue/hh.ts";
import { Progress } from "../native/progress.ts";

const area = 2 * Math.PI * 3 * 6;
const dt = 0.025;
const sizes = [
  { cvs: 1, steps: 40_000 },
  { cvs: 1024, steps: 1_000 },
  { cvs: 16384, steps: 100 },
];

async function timeRun(source: string | { path: string }, cvs: number, steps: number): Promise<number> {
  using host = await Host.create({ catalogues: [source], abi: "0.7" });
  host.setCvs({ count: cvs, areaUm2: area, vInit: -65 }).addNeuronIons();
  host.place("hh", { cvs: Array.from({ length: cvs }, (_, k) => k) });
  host.iclamp(0, { start: 0, duration: 1e9, amplitude: 0.05 }); // keep CV 0 spiking
  host.run({ until: Math.max(1, steps / 10) * dt, dt }); // warm up the JIT and the caches
  const times: number[] = [];
  for (let repeat = 0; repeat < 5; repeat++) {
    const start = performance.now();
    host.run({ until: host.time + steps * dt, dt });
    times.push((performance.now() - start) * 1e6 / steps);
  }
  return Math.min(...times); // ns per step, best of 5
}

const folder = await Deno.makeTempDir({ prefix: "denocat-bench-" });
try {
  const compiled = await compileCatalogue(new URL("../examples/catalogue/hh.ts", import.meta.url), {
    out: folder,
    abi: "0.7",
  });
  const compiledPath = compiled.libraries[0].path;
  const live = await catalogue({ mechanisms: [PointwiseHH], abi: "0.7" });
  const reference = await resolveLibrary("denocat_reference_abi7");
  console.log(`denocat bench: HH per step on the host, dt ${dt} ms, ABI 0.7 (best of 5)`);
  console.log(
    "CVs".padStart(6) + "live TS ns".padStart(14) + "compiled ns".padStart(14) + "hand C ns".padStart(12) +
      "live/C".padStart(9) + "compiled/C".padStart(12) + "live/compiled".padStart(15),
  );
  const progress = new Progress({
    label: "bench compiled",
    total: sizes.length,
    unit: "sizes",
    ticking: true,
  });
  for (const [done, { cvs, steps }] of sizes.entries()) {
    progress.update(done);
    // Interleave the three so that drifting machine load hits all alike.
    const ts = await timeRun(live, cvs, steps);
    const cc = await timeRun(compiledPath, cvs, steps);
    const ref = await timeRun(reference, cvs, steps);
    const cc2 = await timeRun(compiledPath, cvs, steps);
    const ref2 = await timeRun(reference, cvs, steps);
    const c = Math.min(cc, cc2), r = Math.min(ref, ref2);
    progress.clear();
    console.log(
      String(cvs).padStart(6) + ts.toFixed(0).padStart(14) + c.toFixed(0).padStart(14) +
        r.toFixed(0).padStart(12) +
        `${(ts / r).toFixed(2)}x`.padStart(9) + `${(c / r).toFixed(3)}x`.padStart(12) +
        `${(ts / c).toFixed(2)}x`.padStart(15),
    );
  }
  progress.update(sizes.length);
  progress.finish();
  console.log(
    "ns per step include the host's own work (cable solve, clamp, probes): the same for all three.",
  );
  live.close();
} finally {
  await Deno.remove(folder, { recursive: true });
}
