/**
 * `deno run -A bench/checks.ts`: what the safety checks of issue 11 cost. Reports ns per
 * operation for the checked public calls next to the same native call made directly through FFI
 * (the ratio is the price of the TypeScript argument checks), and ns per operation of the paths
 * that copy or release views (index copies at init, event batch copies) and of a step of
 * pointwise kernels on the fallback path, whose every result is checked (type, keys, value). Uses only the public API
 * for the measured side, so the same file runs on an older checkout to compare before and after.
 * Not a test: nothing here asserts a time.
 *
 * @module
 */
import { catalogue, defineMechanism, Host } from "../mod.ts";
import { resolveLibrary } from "../platform/libraries.ts";
import { cString, openLibrary } from "../ffi/open.ts";
import { HOST_SYMBOLS } from "../ffi/symbols.ts";

const area = 2 * Math.PI * 3 * 6;
const dt = 0.025;
const REPEATS = 25;

function best(repeats: number, work: () => number): number {
  const times: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const start = performance.now();
    const count = work();
    times.push((performance.now() - start) * 1e6 / count);
  }
  return Math.min(...times);
}

const syn = defineMechanism({ name: "bsyn", kind: "point" }, {
  applyEvents(_pp, events) {
    if (events.length < 0) throw new Error("unreachable");
  },
});
const dense = defineMechanism({ name: "bdense", ions: { na: {}, k: {}, ca: {} } }, {
  init() {},
  computeCurrents() {},
});
// A pointwise mechanism on the fallback path (the closure counter keeps the plan from taking it):
// every call of its kernels has its result checked for type, keys and value.
let kernelCalls = 0;
const fallbackLeak = defineMechanism({ name: "bleak", states: { s: {} } }, {
  derivative: (x) => (kernelCalls++, { s: -x.s }),
  current: (x) => (kernelCalls++, { i: 1e-4 * (x.v + 65), g: 1e-4 }),
});
const cat = await catalogue({ mechanisms: [syn, dense, fallbackLeak], abi: "0.7" });

async function freshHost(cvs: number): Promise<Host> {
  const host = await Host.create({ catalogues: [cat], abi: "0.7" });
  host.setCvs({ count: cvs, areaUm2: area }).addNeuronIons();
  return host;
}

// The same native calls made directly, without the TypeScript checks.
const raw = openLibrary(await resolveLibrary("denocat_host", "DENOCAT_HOST_LIB"), HOST_SYMBOLS).symbols;
function rawHost(cvs: number): Deno.PointerObject {
  const handle = raw.host_create(7)!;
  raw.host_load_catalogue(handle, cString(cat.path));
  const fill = (x: number) => new Float64Array(cvs).fill(x);
  raw.host_set_cvs(handle, cvs, fill(area), fill(1), fill(0.01), fill(6.3), fill(-65));
  return handle;
}

const EVENTS = 20_000;

const rows: [string, number, number | undefined][] = [];

// 1. host.event(): the argument checks against the bare FFI call.
{
  const checked = await (async () => {
    const times: number[] = [];
    for (let r = 0; r < REPEATS; r++) {
      using host = await freshHost(1);
      const placed = host.place("bsyn", { cvs: [0] });
      const start = performance.now();
      for (let k = 0; k < EVENTS; k++) host.event(placed, 0, k * 1e-3, 1);
      times.push((performance.now() - start) * 1e6 / EVENTS);
    }
    return Math.min(...times);
  })();
  const bare = (() => {
    const times: number[] = [];
    for (let r = 0; r < REPEATS; r++) {
      const handle = rawHost(1);
      const id = raw.host_place(handle, cString("bsyn"), 1, new Uint32Array([0]), null, null);
      const start = performance.now();
      for (let k = 0; k < EVENTS; k++) raw.host_add_event(handle, id, 0, k * 1e-3, 1);
      times.push((performance.now() - start) * 1e6 / EVENTS);
      raw.host_destroy(handle);
    }
    return Math.min(...times);
  })();
  rows.push(["host.event()", checked, bare]);
}

// 2. host.place() of 4096 CVs: per-entry checks of cvs.
{
  const N = 4096;
  const cvs = Array.from({ length: N }, (_, k) => k);
  const checked = await (async () => {
    const times: number[] = [];
    for (let r = 0; r < REPEATS; r++) {
      using host = await freshHost(N);
      const start = performance.now();
      host.place("bdense", { cvs });
      times.push((performance.now() - start) * 1e6);
    }
    return Math.min(...times);
  })();
  const bare = (() => {
    const times: number[] = [];
    for (let r = 0; r < REPEATS; r++) {
      const handle = rawHost(N);
      const start = performance.now();
      raw.host_place(handle, cString("bdense"), N, new Uint32Array(cvs), null, null);
      times.push((performance.now() - start) * 1e6);
      raw.host_destroy(handle);
    }
    return Math.min(...times);
  })();
  rows.push(["host.place(), 4096 CVs", checked, bare]);
}

// 3. reset() of 1024 instances with three ions: two inits, each rebuilding (and copying) the views.
{
  using host = await freshHost(1024);
  host.place("bdense", { cvs: Array.from({ length: 1024 }, (_, k) => k) });
  host.instantiate();
  const perReset = best(REPEATS, () => {
    for (let k = 0; k < 200; k++) host.reset();
    return 200;
  });
  rows.push(["reset(), 1024 CVs, 3 ions", perReset, undefined]);
}

// 4. A step delivering 1000 events to one applyEvents call (the batch is copied for the hook).
{
  using host = await freshHost(1);
  const placed = host.place("bsyn", { cvs: [0] });
  const steps = 200;
  for (let s = 0; s < steps * (REPEATS + 1); s++) {
    for (let e = 0; e < 1000; e++) host.event(placed, 0, (s + 0.5) * dt, 1);
  }
  host.run({ until: steps * dt, dt }); // warm-up
  const perStep = best(REPEATS, () => {
    host.run({ until: host.time + steps * dt, dt });
    return steps;
  });
  rows.push(["step with 1000 events", perStep, undefined]);
}

// 5. A step of a fallback pointwise mechanism on 1024 CVs: four kernel calls per instance (two for
// cnexp's slope, one for current(); no conductance is missing), each result checked.
{
  using host = await freshHost(1024);
  host.place("bleak", { cvs: Array.from({ length: 1024 }, (_, k) => k) });
  const steps = 200;
  host.run({ until: steps * dt, dt }); // warm-up
  const perStep = best(REPEATS, () => {
    host.run({ until: host.time + steps * dt, dt });
    return steps;
  });
  rows.push(["fallback kernels, 1024 CVs", perStep, undefined]);
}

console.log(`denocat bench: cost of the safety checks (best of ${REPEATS}, ns per operation)`);
console.log(
  "operation".padEnd(28) + "checked ns".padStart(12) + "bare FFI ns".padStart(13) + "ratio".padStart(8),
);
for (const [label, checked, bare] of rows) {
  console.log(
    label.padEnd(28) + checked.toFixed(0).padStart(12) +
      (bare === undefined ? "-" : bare.toFixed(0)).padStart(13) +
      (bare === undefined ? "-" : `${(checked / bare).toFixed(2)}x`).padStart(8),
  );
}
console.log("bare FFI: the same host_* call made directly, without the TypeScript argument checks.");
cat.close();
