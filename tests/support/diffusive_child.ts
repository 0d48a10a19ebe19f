/**
 * The child program of tests/diffusive_arbor_test.ts: one real Arbor simulation (Arbor ≥ 0.10) of
 * Arbor's default-catalogue mechanisms that write the diffusive concentration Xd, each as the
 * builtin and as denocat's import of a `.mod` file with its equations (Arbor's own, or denocat's
 * tests/data/nmodl/diffusive), in pairs of cells that differ only in which of the two the pair
 * compares (by the builtin's name):
 * - `decay`: the mechanism compared, painted on the dendrite (so the CV that holds the soma's end is
 *   covered in part, with a weight below 1); the builtin `inject` in both cells;
 * - `inject`, `inject_norm_amount`, `inject_norm_concentration`: the synapse compared; the builtin
 *   `decay` painted on the dendrite in both cells.
 * Every mechanism is bound to sodium (`decay/x=na`), whose diffusivity is set on the cell, as in
 * Arbor's python/example/diffusion.py: a 6 µm soma (radius 3 µm) and a 30 µm dendrite (radius 1 µm) in one
 * branch,
 * CVs of at most 5 µm, the synapse at the soma's middle, receiving events of several weights.
 * Probes: Xd of sodium at the soma, at the dendrite's middle and at its end.
 *
 * Input: `DIFFUSIVE_SPEC`, the path of a {@link DiffusiveSpec} JSON file. Run it with the environment
 * of `arborEnv(site)` (tests/support/real_arbor.ts). Prints one {@link DiffusiveReport} as JSON, the
 * last line of stdout.
 *
 * @module
 */
import { pathToFileURL } from "node:url";
import { loadArbor } from "../../arbor/mod.ts";
import { catalogue, type MechanismClass, PointwiseMechanism } from "../../mod.ts";
import { kw } from "../../ffi/python/mod.ts";

/** What the child runs. */
export interface DiffusiveSpec {
  /** "js" or "native" (a live catalogue of the modules), or "compiled" (the libraries below). */
  target: "js" | "native" | "compiled";
  /** The modules denocat's importer wrote, one per file. */
  modules: string[];
  /** The imported mechanism (its name in denocat's catalogue) of each builtin of {@link DIFFUSIVE_MECHANISMS}. */
  imported: Record<keyof typeof DIFFUSIVE_MECHANISMS, string>;
  /** compiled: the library of each ABI family, by family ("0.6", "0.7"). */
  libraries?: Record<string, string>;
}

/** One cell's recording. */
export interface DiffusiveCell {
  /** "builtin" or "import". */
  source: string;
  /** Sample times (ms). */
  time: number[];
  /** Xd of sodium (mM) by probe: "soma", "dendrite", "tip". */
  traces: Record<string, number[]>;
}

/** The child's report: by compared mechanism, the builtin's cell, then the import's. */
export interface DiffusiveReport {
  arbor: string;
  target: string;
  cells: Record<string, DiffusiveCell[]>;
}

/** The compared builtins and their kind. */
export const DIFFUSIVE_MECHANISMS = {
  decay: "density",
  inject: "point",
  inject_norm_amount: "point",
  inject_norm_concentration: "point",
} as const;

/**
 * The probes: Xd of sodium at these locations. The soma and dendrite form one unbranched branch,
 * 36 µm long: the soma is its first 6 µm.
 */
export const DIFFUSIVE_PROBES = {
  soma: "(location 0 0.08)",
  dendrite: "(location 0 0.6)",
  tip: "(location 0 1)",
};

const TFINAL = 5, DT = 0.025;

async function run(spec: DiffusiveSpec): Promise<DiffusiveReport> {
  const arb = loadArbor();
  const props = arb.call("neuron_cable_properties");
  if (spec.target === "compiled") {
    const path = spec.libraries?.[arb.abi];
    if (path === undefined) throw new Error(`no compiled library for ABI ${arb.abi}`);
    const cat = props.get("catalogue");
    cat.callMethod("extend", arb.arbor.callMethod("load_catalogue", path), "denocat::").dispose();
    props.set("catalogue", cat);
  } else {
    const classes: MechanismClass[] = [];
    for (const module of spec.modules) {
      const exports = await import(pathToFileURL(module).href) as Record<string, unknown>;
      classes.push(
        ...Object.values(exports).filter((value): value is MechanismClass =>
          typeof value === "function" && value.prototype instanceof PointwiseMechanism
        ),
      );
    }
    const ours = await catalogue({ mechanisms: classes, abi: arb.abi, target: spec.target });
    arb.extendCatalogue(props, ours, "denocat::");
  }

  const cells = Object.keys(DIFFUSIVE_MECHANISMS).flatMap((name) =>
    ["builtin", "import"].map((source) => ({ name, source }))
  );
  const tree = arb.call("segment_tree");
  const soma = tree.callMethod(
    "append",
    arb.arbor.get("mnpos"),
    arb.call("mpoint", -3, 0, 0, 3),
    arb.call("mpoint", 3, 0, 0, 3),
    kw({ tag: 1 }),
  );
  tree.callMethod(
    "append",
    soma,
    arb.call("mpoint", 3, 0, 0, 1),
    arb.call("mpoint", 33, 0, 0, 1),
    kw({ tag: 3 }),
  );
  const morphology = arb.call("morphology", tree);
  const labels = arb.call("label_dict", { dendrite: "(tag 3)", soma: DIFFUSIVE_PROBES.soma });
  const tags = Object.keys(DIFFUSIVE_PROBES);

  const recipe = arb.recipe({
    numCells: cells.length,
    cellDescription: (gid) => {
      const { name, source } = cells[gid];
      const compared = (builtin: string) =>
        `${
          builtin === name && source === "import"
            ? `denocat::${spec.imported[builtin as keyof typeof DIFFUSIVE_MECHANISMS]}`
            : builtin
        }/x=na`;
      const synapse = name === "decay" ? "inject" : name;
      const decor = arb.decor()
        .setIon("na", { int_con: 1, ext_con: 140, rev_pot: 50, diff: 0.005 })
        .paint('"dendrite"', arb.call("density", compared("decay"), { tau: 2 }))
        .place('"soma"', arb.call("synapse", compared(synapse), { alpha: 150 }), "syn");
      return arb.cableCell(morphology, decor, labels, { discretization: "(max-extent 5)" });
    },
    probes: () =>
      Object.entries(DIFFUSIVE_PROBES).map(([tag, where]) =>
        arb.probe("cable_probe_ion_diff_concentration", [where, "na"], tag)
      ),
    eventGenerators: () => [
      arb.eventGenerator("syn", 0.05, [0, 1.5]),
      arb.eventGenerator("syn", 0.2, [0.5, 3.2]),
    ],
    globalProperties: props,
  });
  const sim = arb.simulation(recipe);
  const handles = cells.map((_, gid) => tags.map((tag, index) => arb.sample(sim, gid, { index, tag }, DT)));
  arb.run(sim, TFINAL, DT);

  const report: DiffusiveReport = { arbor: arb.version, target: spec.target, cells: {} };
  cells.forEach((cell, gid) => {
    const traces: Record<string, number[]> = {};
    let time: number[] = [];
    tags.forEach((tag, k) => {
      const samples = arb.samples(sim, handles[gid][k]);
      time = [...samples.time];
      traces[tag] = [...samples.value];
    });
    (report.cells[cell.name] ??= []).push({ source: cell.source, time, traces });
  });
  return report;
}

if (import.meta.main) {
  const spec = JSON.parse(await Deno.readTextFile(Deno.env.get("DIFFUSIVE_SPEC")!)) as DiffusiveSpec;
  console.log(JSON.stringify(await run(spec)));
}
