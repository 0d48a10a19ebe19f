/**
 * `deno task bench` (second part): the cost per step of HH on the native host at 1, 1024 and
 * 16384 CVs, for the pointwise TypeScript port (examples/catalogue/hh.ts) on the JS target, on
 * the native target (`catalogue({ target: "native" })`, with and without the NaN check), the
 * same port compiled to C by `compile/`, and the hand-written C reference (c/reference.c,
 * mechanism "hh"). Reports ns per step and the ratios to hand C. Not a test: nothing here
 * asserts a time.
 *
 * @module
 */
import { catalogue, compileCatalogue, Host } from "../mod.ts";
import { resolveLibrary } from "../platform/libraries.ts";
import { PointwiseHH } from "../examples/catalogue/hh.ts";
import { Progress } from "../platform/progress.ts";

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
  const live = await catalogue({ mechanisms: [PointwiseHH], abi: "0.7", target: "js" });
  const native = await catalogue({ mechanisms: [PointwiseHH], abi: "0.7", target: "native" });
  const unchecked = await catalogue({
    mechanisms: [PointwiseHH],
    abi: "0.7",
    target: "native",
    checkFinite: false,
  });
  const reference = await resolveLibrary("denocat_reference_abi7");
  console.log(`denocat bench: HH per step on the host, dt ${dt} ms, ABI 0.7 (best of 5), ratios to hand C`);
  console.log(
    "CVs".padStart(6) + "hand C ns".padStart(11) + "js".padStart(9) + "native".padStart(9) +
      "unchecked".padStart(11) + "compiled".padStart(10),
  );
  const progress = new Progress({
    label: "bench compiled",
    total: sizes.length,
    unit: "sizes",
    ticking: true,
  });
  for (const [done, { cvs, steps }] of sizes.entries()) {
    progress.update(done);
    // Interleaved twice, best of both, so that drifting machine load hits all alike.
    const best: number[][] = [[], [], [], [], []];
    for (let round = 0; round < 2; round++) {
      best[0].push(await timeRun(reference, cvs, steps));
      if (round === 0) best[1].push(await timeRun(live, cvs, steps)); // the JS target varies less
      best[2].push(await timeRun(native, cvs, steps));
      best[3].push(await timeRun(unchecked, cvs, steps));
      best[4].push(await timeRun(compiledPath, cvs, steps));
    }
    const [r, ts, nat, raw, c] = best.map((times) => Math.min(...times));
    const ratio = (x: number) => `${(x / r).toFixed(3)}x`;
    progress.clear();
    console.log(
      String(cvs).padStart(6) + r.toFixed(0).padStart(11) + ratio(ts).padStart(9) + ratio(nat).padStart(9) +
        ratio(raw).padStart(11) + ratio(c).padStart(10),
    );
  }
  progress.update(sizes.length);
  progress.finish();
  console.log(
    "ns per step include the host's own work (cable solve, clamp, probes): the same for all. native: " +
      'catalogue({ target: "native" }) (NaN check on); unchecked: checkFinite: false.',
  );
  native.close();
  unchecked.close();
  live.close();
} finally {
  await Deno.remove(folder, { recursive: true });
}
