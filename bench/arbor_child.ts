/**
 * The child of bench/arbor.ts: one process, one real Arbor (the one on `PYTHONPATH`). Times the
 * TypeScript `hh` variants (raw hooks; pointwise on the js target, the native target with
 * `cpu: "native"` and, on x86-64 with AVX2, `cpu: "x86-64-v3"`; compiled with `--cpu baseline` and
 * with `--cpu native`)
 * against Arbor's builtin `hh` in this process and prints one line
 * `BENCH_RESULT <json>` ({@link ChildReport}) on stdout.
 *
 * The model: one cell, one branch (a cylinder of radius 3 µm, 6 µm per CV), discretised into N CVs
 * (`(fixed-per-branch N)`), `hh` painted everywhere, a constant current clamp at the branch's start
 * (0.05 nA on one CV, as in bench/compiled.ts; 2 nA on longer branches, so that they
 * fire). Every variant gets its own `arbor.simulation` over `arbor.context(threads=1)`; between
 * runs `sim.reset()`, so every timed run simulates the same `ms` from the initial state. Rounds
 * run the builtin and every variant one after the other (the order rotates each round); each
 * reports its best (minimum) time.
 *
 * @module
 */
import process from "node:process";
import { loadArbor } from "../arbor/mod.ts";
import { type Catalogue, catalogue, type CatalogueOptions, compileCatalogue } from "../mod.ts";
import { kw, type PyObject, tuple } from "../ffi/python/mod.ts";
import { HH } from "../examples/hh.ts";
import { PointwiseHH } from "../examples/catalogue/hh.ts";
import { NaV } from "../examples/catalogue/nav.ts";

/** What the parent asks for (the first argument, as JSON). */
export interface ChildConfig {
  /** CVs and simulated ms of each size. */
  sizes: { cvs: number; ms: number }[];
  /** Timed runs per simulation (the best counts). */
  repeats: number;
  /** Time step (ms). */
  dt: number;
  /**
   * Which time `best` is the minimum of: `"cpu"`, the CPU time this process used during the run
   * (`process.cpuUsage`, user + system: what the run cost, without the time it waited for a core
   * on a loaded machine), or `"wall"`, the wall-clock time.
   */
  clock: "cpu" | "wall";
  /**
   * The mechanism timed: `"hh"` (default; Arbor's `hh`), or `"nav"`: allen's twelve-state Markov
   * `NaV` (an implicit KINETIC scheme, method sparse) against examples/catalogue/nav.ts, painted with
   * `pas`. The NaV model has no raw-hook variant.
   */
  model?: "hh" | "nav";
}

/** One variant at one size: best time, or why it did not run. */
export interface VariantResult {
  /** Best ms of one run of `ms` simulated ms, by the clock of `ChildConfig.clock`. */
  best?: number;
  /** Every timed run, wall-clock (ms). */
  times?: number[];
  /** Every timed run, CPU time of this process (ms). */
  cpuTimes?: number[];
  /** Largest |V - V_builtin| over all CVs at the last sample, divided by the largest |V_builtin| there. */
  relDiff?: number;
  /** The same, absolute (mV). */
  absDiff?: number;
  /** Why the variant failed (build, simulation or run). */
  error?: string;
}

/** What the child prints after `BENCH_RESULT `. */
export interface ChildReport {
  version: string;
  vectorize: boolean;
  arch: string;
  /** Variant keys in table order; "builtin" is the reference. */
  variants: { key: string; label: string }[];
  sizes: { cvs: number; ms: number; steps: number; results: Record<string, VariantResult> }[];
}

const config = JSON.parse(Deno.args[0]) as ChildConfig;
const { dt } = config;
const log = (line: string) => console.error(`  [arbor child] ${line}`);
const message = (error: unknown) => String((error as Error)?.message ?? error).split("\n")[0];

const arb = loadArbor();
const arborConfig = arb.arbor.callMethod("config").toJS() as Record<string, unknown>;
const props = arb.call("neuron_cable_properties");

/** Whether this is an x86-64 CPU with AVX2 and FMA (what `cpu: "x86-64-v3"` needs). */
function hasAvx2(): boolean {
  if (Deno.build.arch !== "x86_64") return false;
  try {
    const flags = Deno.readTextFileSync("/proc/cpuinfo").match(/^flags\s*:(.*)$/m)?.[1] ?? "";
    return /\bavx2\b/.test(flags) && /\bfma\b/.test(flags);
  } catch {
    return false;
  }
}

/** The timed model: its builtin, its pointwise port, the port's file, and what else is painted. */
const MODEL = config.model === "nav"
  ? {
    builtin: "allen::NaV",
    name: "NaV",
    port: NaV,
    file: "../examples/catalogue/nav.ts",
    beside: ["pas"],
  }
  : { builtin: "hh", name: "hh", port: PointwiseHH, file: "../examples/catalogue/hh.ts", beside: [] };
if (config.model === "nav") {
  const target = props.get("catalogue");
  target.callMethod("extend", arb.call("allen_catalogue"), "allen::").dispose();
  props.set("catalogue", target);
}

/** The variants: key, label, and how to add its mechanism to `props` (returns its name there). */
const folder = await Deno.makeTempDir({ prefix: "denocat-bench-arbor-" });
const catalogues: Catalogue[] = [];
/** A variant whose catalogue `catalogue()` makes, added to Arbor's catalogue under `prefix`. */
function live(key: string, label: string, prefix: string, options: Omit<CatalogueOptions, "abi">) {
  return {
    key,
    label,
    add: async () => {
      const cat = await catalogue({ ...options, abi: arb.abi });
      catalogues.push(cat);
      arb.extendCatalogue(props, cat, prefix);
      return `${prefix}${MODEL.name}`;
    },
  };
}
const variants: { key: string; label: string; add: () => Promise<string> }[] = [
  ...(config.model === "nav"
    ? []
    : [live("raw", "raw hooks (examples/hh.ts)", "raw_", { mechanisms: [HH] })]),
  live("js", "pointwise, js target", "js_", { mechanisms: [MODEL.port], target: "js" }),
  live("native", "pointwise, native target", "nat_", { mechanisms: [MODEL.port], target: "native" }),
  ...(hasAvx2()
    ? [live(
      "avx2",
      'pointwise, native target, cpu "x86-64-v3" (AVX2, as the vectorized Arbor)',
      "avx2_",
      { mechanisms: [MODEL.port], target: "native", cpu: "x86-64-v3" },
    )]
    : []),
  compiled("compiled", "compiled catalogue (--cpu baseline)", "baseline", "cc_"),
  compiled("compiled_native", "compiled catalogue (--cpu native)", "native", "ccn_"),
];

/** A variant compiled by `compileCatalogue` for `cpu`, loaded with `arbor.load_catalogue` under `prefix`. */
function compiled(key: string, label: string, cpu: string, prefix: string) {
  return {
    key,
    label,
    add: async () => {
      const built = await compileCatalogue(new URL(MODEL.file, import.meta.url), {
        out: folder,
        name: `${MODEL.name.toLowerCase()}_${cpu}`,
        cpu,
        abi: arb.abi,
        progress: false,
      });
      const loaded = arb.arbor.callMethod("load_catalogue", built.libraries[0].path);
      const target = props.get("catalogue");
      target.callMethod("extend", loaded, prefix).dispose();
      props.set("catalogue", target);
      return `${prefix}${MODEL.name}`;
    },
  };
}

const mechanisms = new Map<string, string>([["builtin", MODEL.builtin]]);
const buildErrors = new Map<string, string>();
for (const variant of variants) {
  try {
    mechanisms.set(variant.key, await variant.add());
  } catch (error) {
    buildErrors.set(variant.key, `build: ${message(error)}`);
    log(`${variant.label}: ${message(error)}`);
  }
}

/** A simulation of one N-CV branch with `mechanism` painted on it, sampling every CV near `ms`. */
function simulation(mechanism: string, cvs: number, ms: number): { sim: PyObject; handle: PyObject } {
  const tree = arb.call("segment_tree");
  tree.callMethod(
    "append",
    arb.arbor.get("mnpos"),
    arb.call("mpoint", 0, 0, 0, 3),
    arb.call("mpoint", 6 * cvs, 0, 0, 3),
    kw({ tag: 1 }),
  );
  const labels = arb.call("label_dict", { start: "(location 0 0)" });
  const decor = arb.decor().setProperty({ Vm: -65 });
  for (const other of MODEL.beside) decor.paint("(all)", arb.call("density", other));
  decor
    .paint("(all)", arb.call("density", mechanism))
    .stimulus('"start"', arb.iclamp(0, 1e9, cvs === 1 ? 0.05 : 2), "clamp");
  const cell = arb.cableCell(arb.call("morphology", tree), decor, labels, {
    discretization: `(fixed-per-branch ${cvs})`,
  });
  const recipe = arb.recipe({
    numCells: 1,
    cellDescription: () => cell,
    probes: () => [arb.probe("cable_probe_membrane_voltage_cell", [], "Vcell")],
    globalProperties: props,
  });
  const sim = arb.simulation(recipe); // arbor.context(threads=1): the same for every variant
  const schedule = arb.explicitSchedule([ms - 2 * dt]);
  const handle = sim.callMethod("sample", tuple([0, arb.api.probeTags ? "Vcell" : 0]), schedule);
  return { sim, handle };
}

/** The voltages of every CV at the last sample of `handle`. */
function lastVoltages(sim: PyObject, handle: PyObject): Float64Array {
  const all = sim.callMethod("samples", handle);
  if (all.len() === 0) throw new Error("no samples recorded");
  const { shape, data } = all.item(0).item(0).buffer();
  const [rows, columns] = shape;
  if (rows === 0) throw new Error("no sample rows recorded");
  return Float64Array.from(data.subarray((rows - 1) * columns + 1, rows * columns));
}

const report: ChildReport = {
  version: arb.version,
  vectorize: Boolean(arborConfig.vectorize),
  arch: String(arborConfig.arch),
  variants: [
    { key: "builtin", label: `Arbor builtin ${MODEL.builtin}` },
    ...variants.map(({ key, label }) => ({ key, label })),
  ],
  sizes: [],
};

for (const { cvs, ms } of config.sizes) {
  const results: Record<string, VariantResult> = {};
  const sims = new Map<string, { sim: PyObject; handle: PyObject }>();
  for (const { key } of report.variants) {
    const mechanism = mechanisms.get(key);
    if (mechanism === undefined) {
      results[key] = { error: buildErrors.get(key) };
      continue;
    }
    try {
      const made = simulation(mechanism, cvs, ms);
      arb.run(made.sim, Math.min(ms / 4, 25), dt); // warm up the JIT and the caches
      made.sim.callMethod("reset").dispose();
      sims.set(key, made);
      results[key] = { times: [], cpuTimes: [] };
    } catch (error) {
      results[key] = { error: `simulation: ${message(error)}` };
      log(`${cvs} CVs, ${key}: ${message(error)}`);
    }
  }
  const keys = [...sims.keys()];
  for (let round = 0; round < config.repeats; round++) {
    const order = keys.map((_, k) => keys[(k + round) % keys.length]);
    for (const key of order) {
      const { sim } = sims.get(key) ?? {};
      if (sim === undefined) continue;
      try {
        if (round > 0) sim.callMethod("reset").dispose();
        const cpuStart = process.cpuUsage();
        const start = performance.now();
        arb.run(sim, ms, dt);
        const wall = performance.now() - start;
        const cpu = process.cpuUsage(cpuStart);
        results[key].times!.push(wall);
        results[key].cpuTimes!.push((cpu.user + cpu.system) / 1000);
      } catch (error) {
        results[key] = { error: `run: ${message(error)}` };
        sims.delete(key);
        log(`${cvs} CVs, ${key}: ${message(error)}`);
      }
    }
  }
  const voltages = new Map<string, Float64Array>();
  for (const [key, { sim, handle }] of sims) {
    try {
      voltages.set(key, lastVoltages(sim, handle));
    } catch (error) {
      results[key] = { error: `samples: ${message(error)}` };
    }
  }
  const reference = voltages.get("builtin");
  for (const [key, v] of voltages) {
    const result = results[key];
    const times = config.clock === "cpu" ? result.cpuTimes : result.times;
    if (times !== undefined) result.best = Math.min(...times);
    if (key === "builtin" || reference === undefined) continue;
    if (v.length !== reference.length) {
      results[key] = { error: `samples: ${v.length} CVs, the builtin ${reference.length}` };
      continue;
    }
    let absDiff = 0, scale = 0;
    for (let k = 0; k < v.length; k++) {
      absDiff = Math.max(absDiff, Math.abs(v[k] - reference[k]));
      scale = Math.max(scale, Math.abs(reference[k]));
    }
    result.absDiff = absDiff;
    result.relDiff = absDiff / scale;
  }
  for (const { sim, handle } of sims.values()) {
    handle.dispose();
    sim.dispose();
  }
  report.sizes.push({ cvs, ms, steps: Math.round(ms / dt), results });
  log(`${cvs} CVs done`);
}

for (const cat of catalogues) cat.close();
await Deno.remove(folder, { recursive: true });
console.log(`BENCH_RESULT ${JSON.stringify(report)}`);
