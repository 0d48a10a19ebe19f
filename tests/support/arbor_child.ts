/**
 * The child program of tests/arbor_test.ts: runs in real Arbor (the `arbor` on PYTHONPATH, one version per
 * process; tests/support/real_arbor.ts makes the environment) and prints one JSON report.
 *
 * CHILD_MODE:
 * - "helpers": four one-CV cells with the `passive` leak of examples/arbor/multi.ts (towards
 *   their gid), a clamp, a detector and Arbor's builtin `expsyn`, built with the version-neutral helpers
 *   only, in the default decomposition; reports the API shape, hook widths, final voltages and spikes.
 * - "native:<threads>": the pointwise twin of `passive` as JavaScript on one thread and native
 *   on <threads> threads, and a NaN error from native code on those threads (`native()`).
 * - "threads:<how>": the same network in `arbor.context(threads=2)` with one cell per group,
 *   run by <how> = "run" (arb.run), "callMethod" (sim.callMethod("run")), "exec" (py.exec of
 *   `sim.run`) or "script" (py.exec of a whole Python script that builds and runs everything);
 *   reports the error that reached TypeScript.
 * - "hook-error": a TypeScript hook that throws on its 10th call; reports the error `arb.run` threw.
 * - "gap-junction:<weight>": two `hh` cells joined by Arbor's builtin `gj` through the recipe's
 *   `gapJunctionsOn` with <weight>, only cell 0 clamped; reports each cell's spikes and largest v.
 * - "scenario:<module>": runs `main()` of an examples/arbor module (which checks its own physics).
 * - "mpi:<how>": `arb.mpi()` (needs an Arbor built with MPI), the network over the ranks, and an end by
 *   <how> = "ok", "exit" (Deno.exit) or "throw" (an uncaught error); "mpi4py" imports mpi4py.MPI first
 *   (it initialises MPI) and ends normally.
 *
 * DENOCAT_INJECT_ARBOR_VERSION (an injected fault, for the refusal of unknown versions): the real
 * `arbor.__version__` is overwritten with this text before loadArbor() reads it.
 *
 * @module
 */
import { type Arbor, loadArbor } from "../../arbor/mod.ts";
import { catalogue, type CatalogueTarget, type DeclaredMechanism, defineMechanism } from "../../mod.ts";
import { cylinders } from "../../examples/arbor/common.ts";
import { loadPython } from "../../ffi/python/mod.ts";

const mode = Deno.env.get("CHILD_MODE") ?? "helpers";
const abi = Deno.env.get("DENOCAT_ABI") as "0.6" | "0.7" | undefined;
const injected = Deno.env.get("DENOCAT_INJECT_ARBOR_VERSION");
if (injected !== undefined) loadPython().import("arbor").set("__version__", injected);
const CELLS = 4;
let widths: number[] = [];
/** examples/arbor/multi.ts's `passive` (leak towards the per-cell parameter gid), counting widths. */
const counting = defineMechanism(
  { name: "passive", kind: "density", parameters: { gid: { unit: "", default: -1 } } },
  {
    computeCurrents(pp) {
      widths.push(pp.width);
      const gid = pp.gid as Float64Array;
      for (let k = 0; k < pp.width; k++) {
        const node = pp.nodeIndex[k];
        pp.i[node] += pp.weight[k] * (pp.v[node] - gid[k]) * 1e-2;
        pp.g[node] += pp.weight[k] * 1e-2;
      }
    },
  },
);

/** The pointwise twin of `counting` (mode "native"), the same leak in the kernel's units. */
const pointwisePassive = defineMechanism(
  { name: "passive", kind: "density", parameters: { gid: { unit: "", default: -1 } } },
  { current: (x) => ({ i: 1e-3 * (x.v - x.gid), g: 1e-3 }) },
);
/** The same, but 0/0 (NaN) in the cell whose gid is 2. */
const nanPassive = defineMechanism(
  { name: "passive", kind: "density", parameters: { gid: { unit: "", default: -1 } } },
  { current: (x) => ({ i: 1e-3 * (x.v - x.gid) * ((x.gid - 2) / (x.gid - 2)), g: 1e-3 }) },
);

/** The network of every mode, with helpers only. */
async function network(arb: Arbor, mechanism: DeclaredMechanism = counting, target?: CatalogueTarget) {
  const cat = await catalogue({ mechanisms: [mechanism], abi: arb.abi, target });
  const props = arb.call("neuron_cable_properties");
  arb.extendCatalogue(props, cat, "");
  const morphology = arb.call("morphology", cylinders(arb, [1]));
  const labels = arb.call("label_dict", { soma: "(tag 1)", mid: "(location 0 0.5)" });
  const recipe = arb.recipe({
    numCells: CELLS,
    cellDescription: (gid) => {
      const decor = arb.decor()
        .setProperty({ Vm: 2 })
        .paint('"soma"', arb.call("density", "passive", { gid }))
        .place('"mid"', arb.thresholdDetector(20), "detector")
        .place('"mid"', arb.call("synapse", "expsyn"), "syn")
        .stimulus('"mid"', arb.iclamp(10, 5, 0.1), "clamp");
      return arb.cableCell(morphology, decor, labels, { discretization: "(fixed-per-branch 1)" });
    },
    // Cell 0 -> 1 -> 2; cell 3 has no outgoing connection (0.12's spike_recording.all misses it).
    connectionsOn: (gid) =>
      gid >= 1 && gid <= 2 ? [arb.connection([gid - 1, "detector"], "syn", 0.01, 5)] : [],
    eventGenerators: (gid) => gid === 0 ? [arb.eventGenerator("syn", 0.01, [1, 2])] : [],
    probes: () => [arb.probe("cable_probe_membrane_voltage", ['"mid"'], "Um")],
    globalProperties: props,
  });
  return { cat, recipe, props };
}

async function helpers() {
  const arb = loadArbor(abi ? { abi } : {});
  const { recipe } = await network(arb);
  const sim = arb.simulation(recipe);
  arb.recordSpikes(sim);
  const handles = Array.from(
    { length: CELLS },
    (_, gid) => arb.sample(sim, gid, { index: 0, tag: "Um" }, 0.025),
  );
  widths = [];
  arb.run(sim, 30, 0.025);
  const crossings = widths.length, groupWidths = [...new Set(widths)];
  const vEnd = handles.map((h) => {
    const v = arb.samples(sim, h).value;
    return v[v.length - 1];
  });
  // What the helpers avoid: the other version's calls fail on this shape.
  const strict: Record<string, boolean> = {
    otherClampMissing: !arb.arbor.has(arb.api.clamp === "iclamp" ? "i_clamp" : "iclamp"),
    decorHasDiscretization: arb.call("decor").has("discretization"),
    wrongClampLabelRefused: refused(() => {
      const clamp = arb.iclamp(1, 1, 1);
      arb.call("decor").callMethod("place", '"mid"', clamp, ...(arb.api.clampLabel ? [] : ["label"]));
    }),
    wrongUnitsRefused: refused(() => arb.call("threshold_detector", arb.hasUnits ? -10 : arb.q(-10, "mV"))),
  };
  // spike_recording.all, as Python scripts ported from 0.11 use it.
  const plain = arb.simulation(recipe);
  plain.callMethod("record", arb.arbor.get("spike_recording").get("all"));
  arb.run(plain, 30);
  const late = await catalogue({ mechanisms: [counting], abi: "0.7" });
  arb.extendCatalogue(arb.call("neuron_cable_properties"), late, "late_");
  return {
    strict,
    allSpikes: arb.spikes(plain).length,
    lateCatalogueAbi: late.abi,
    version: arb.version,
    api: arb.api,
    widths: groupWidths,
    crossings,
    vEnd,
    spikes: arb.spikes(sim),
  };
}

function refused(body: () => void): boolean {
  try {
    body();
    return false;
  } catch {
    return true;
  }
}

const SCRIPT = `
import arbor
props = arbor.neuron_cable_properties()
props.catalogue.extend(arbor.load_catalogue(path), "")
class Recipe(arbor.recipe):
    def __init__(self):
        arbor.recipe.__init__(self)
    def num_cells(self):
        return 4
    def cell_kind(self, gid):
        return arbor.cell_kind.cable
    def cell_description(self, gid):
        tree = arbor.segment_tree()
        tree.append(arbor.mnpos, arbor.mpoint(-3, 0, 0, 3), arbor.mpoint(3, 0, 0, 3), tag=1)
        decor = arbor.decor().paint('"soma"', arbor.density("passive", {"gid": gid}))
        return arbor.cable_cell(arbor.morphology(tree), decor, arbor.label_dict({"soma": "(tag 1)"}))
    def global_properties(self, kind):
        return props
recipe = Recipe()
context = arbor.context(threads=2, gpu_id=None)
hints = {arbor.cell_kind.cable: arbor.partition_hint(cpu_group_size=1)}
sim = arbor.simulation(recipe, context, arbor.partition_load_balance(recipe, context, hints))
sim.run(5 * arbor.units.ms, 0.025 * arbor.units.ms)
`;

async function threads(how: string) {
  const arb = loadArbor(abi ? { abi } : {});
  const { recipe, cat } = await network(arb);
  try {
    if (how === "script") {
      arb.loadCatalogue(cat); // sets the catalogue's layout to this Arbor's before Python loads it
      arb.py.exec(SCRIPT, arb.py.toPython({ path: cat.path }));
    } else {
      const context = arb.context({ threads: 2 });
      const sim = arb.simulation(recipe, { context, decomposition: { cellsPerGroup: 1 } });
      const q = (v: number) => arb.q(v, "ms");
      if (how === "run") arb.run(sim, 5);
      else if (how === "callMethod") sim.callMethod("run", q(5), q(0.025));
      else if (how === "exec") arb.py.exec("sim.run(t, dt)", arb.py.toPython({ sim, t: q(5), dt: q(0.025) }));
      else throw new Error(`unknown way to run: ${how}`);
    }
    return { error: null };
  } catch (error) {
    return { error: String((error as Error).message ?? error) };
  }
}

/** MPI (an Arbor built with it, under mpirun): init once, finalise once at the end however the program ends. */
async function mpi(how: string) {
  const arb = loadArbor(abi ? { abi } : {});
  // "mpi4py": mpi4py initialises MPI first (MPI_Init at import), as in scripts that use both.
  if (how === "mpi4py") arb.py.import("mpi4py.MPI");
  let first;
  try {
    first = arb.mpi();
  } catch (error) {
    return { error: (error as Error).message };
  }
  const again = arb.mpi();
  const { recipe } = await network(arb);
  const sim = arb.simulation(recipe, { context: first.context });
  arb.recordSpikes(sim, first.context);
  arb.run(sim, 30);
  const report = {
    same: first === again,
    rank: first.rank,
    ranks: first.ranks,
    spikes: arb.spikes(sim).length,
    initialised: arb.call("mpi_is_initialized").truthy(),
  };
  if (how === "throw") {
    console.log(JSON.stringify(report));
    throw new Error("failed on purpose after MPI was initialised");
  }
  if (how === "exit") {
    console.log(JSON.stringify(report));
    Deno.exit(0);
  }
  return report;
}

/**
 * Mode "native": the pointwise passive leak as JavaScript on one thread and as native code on
 * `threads` Arbor threads (one cell per group), and the NaN error of native code on those threads.
 */
async function native(threads: number) {
  const arb = loadArbor(abi ? { abi } : {});
  const simulate = async (mechanism: DeclaredMechanism, target: CatalogueTarget, count: number) => {
    const { recipe, cat } = await network(arb, mechanism, target);
    const sim = arb.simulation(recipe, {
      context: arb.context({ threads: count }),
      decomposition: { cellsPerGroup: 1 },
    });
    const handles = Array.from(
      { length: CELLS },
      (_, gid) => arb.sample(sim, gid, { index: 0, tag: "Um" }, 0.025),
    );
    arb.run(sim, 30, 0.025);
    const vEnd = handles.map((h) => {
      const v = arb.samples(sim, h).value;
      return v[v.length - 1];
    });
    return { catalogue: cat.constructor.name, vEnd };
  };
  const js = await simulate(pointwisePassive, "js", 1);
  const compiled = await simulate(pointwisePassive, "native", threads);
  let error = null;
  try {
    await simulate(nanPassive, "native", threads);
  } catch (thrown) {
    error = (thrown as Error).message;
  }
  return { js, native: compiled, error };
}

/** Mode "hook-error": the error of a hook that throws reaches TypeScript as itself, with its stack. */
async function hookError() {
  const arb = loadArbor(abi ? { abi } : {});
  let calls = 0;
  const failing = defineMechanism({
    name: "passive",
    kind: "density",
    parameters: { gid: { unit: "", default: -1 } },
  }, {
    computeCurrents() {
      if (++calls === 10) throw new Error("hook failed on purpose");
    },
  });
  const { recipe } = await network(arb, failing);
  try {
    arb.run(arb.simulation(recipe), 5);
    return { error: null, calls };
  } catch (error) {
    return { error: (error as Error).message, stack: (error as Error).stack ?? "", calls };
  }
}

/** Mode "gap-junction:<weight>": the recipe's gapJunctionsOn joins two cells. */
function gapJunction(weight: number) {
  const arb = loadArbor(abi ? { abi } : {});
  const morphology = arb.call("morphology", cylinders(arb, [1]));
  const labels = arb.call("label_dict", { soma: "(tag 1)", mid: "(location 0 0.5)" });
  const recipe = arb.recipe({
    numCells: 2,
    cellDescription: (gid) => {
      const decor = arb.decor()
        .setProperty({ Vm: -65 })
        .paint('"soma"', arb.call("density", "hh"))
        .place('"mid"', arb.thresholdDetector(-10), "detector")
        .place('"mid"', arb.call("junction", "gj"), "gj");
      if (gid === 0) decor.stimulus('"mid"', arb.iclamp(5, 20, 0.1), "clamp");
      return arb.cableCell(morphology, decor, labels, { discretization: "(fixed-per-branch 1)" });
    },
    gapJunctionsOn: (gid) => [
      arb.call("gap_junction_connection", arb.call("cell_global_label", 1 - gid, "gj"), "gj", weight),
    ],
    probes: () => [arb.probe("cable_probe_membrane_voltage", ['"mid"'], "Um")],
    globalProperties: arb.call("neuron_cable_properties"),
  });
  const sim = arb.simulation(recipe);
  arb.recordSpikes(sim);
  const handles = [0, 1].map((gid) => arb.sample(sim, gid, { index: 0, tag: "Um" }, 0.025));
  arb.run(sim, 30, 0.025);
  const spikes = arb.spikes(sim);
  return {
    spikes: [0, 1].map((gid) => spikes.filter((s) => s.gid === gid).length),
    vMax: handles.map((h) => Math.max(...arb.samples(sim, h).value)),
  };
}

/** Mode "scenario:<module>": one of examples/arbor's scenarios, whose main() checks its own physics. */
async function scenario(module: string) {
  const { main } = await import(new URL(`../../${module}`, import.meta.url).href);
  const result = await main();
  if (result === undefined) throw new Error(`${module} skipped although this process has a real Arbor`);
  return { version: loadArbor().version, result };
}

const report: unknown = mode === "helpers"
  ? await helpers()
  : mode.startsWith("scenario:")
  ? await scenario(mode.slice("scenario:".length))
  : mode === "hook-error"
  ? await hookError()
  : mode.startsWith("gap-junction:")
  ? gapJunction(Number(mode.split(":")[1]))
  : mode.startsWith("native")
  ? await native(Number(mode.split(":")[1]))
  : mode.startsWith("mpi")
  ? await mpi(mode.split(":")[1])
  : await threads(mode.split(":")[1]);
console.log(JSON.stringify(report));
