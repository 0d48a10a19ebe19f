/**
 * The child program of tests/scheme_ports_arbor_test.ts: one real Arbor simulation of four cells,
 * two per port of examples/catalogue/ that uses the scheme API, Arbor's builtin against the port:
 * - `allen::NaV` and `denocat::NaV` (examples/catalogue/nav.ts);
 * - `bbp::CaDynamics_E2` and `denocat::CaDynamics_E2` (examples/catalogue/cadynamics.ts), each
 *   with the builtin `bbp::Ca_HVA` (gCa_HVAbar 0.002 S/cm²) painted too, so that ica is not 0.
 * Every cell is the same otherwise: a 20 µm cylinder of radius 3 µm in three CVs at the default
 * temperature of `neuron_cable_properties()` (6.3 °C),
 * Arbor's builtin `hh` painted everywhere, a current clamp at the middle (5 ms to 30 ms, 0.12 nA)
 * and a threshold detector there at -10 mV. Probes at the middle: the voltage, every state of the
 * mechanism, and for CaDynamics_E2 the calcium ion's internal concentration and current density.
 *
 * Input: `SCHEME_PORTS_TARGET`, denocat's target for the ports ("js", "native", or "compiled": a
 * compiled catalogue of the two modules loaded with Arbor's load_catalogue). Run it with the
 * environment of `arborEnv(site)` (tests/support/real_arbor.ts). Prints one {@link SchemeReport}
 * as JSON, the last line of stdout.
 *
 * @module
 */
import { loadArbor } from "../../arbor/mod.ts";
import { join } from "node:path";
import { catalogue, type CatalogueTarget, compileCatalogue } from "../../mod.ts";
import { kw } from "../../ffi/python/mod.ts";
import { NaV } from "../../examples/catalogue/nav.ts";
import { CaDynamicsE2 } from "../../examples/catalogue/cadynamics.ts";

/** One cell's recording. */
export interface CellTraces {
  /** "builtin" or "port". */
  source: string;
  /** The mechanism placed, with its catalogue prefix. */
  mechanism: string;
  /** Spike times (ms). */
  spikes: number[];
  /** Sample times (ms), the same for every probe. */
  time: number[];
  /** Samples by probe: "v", a state's name, or "ion cai" / "ion ica". */
  traces: Record<string, number[]>;
}

/** The child's report. */
export interface SchemeReport {
  arbor: string;
  target: string;
  /** Temperature of the cells (°C): the properties' temperature (K) − 273.15, as Arbor's `celsius`. */
  celsius: number;
  /** By mechanism name ("NaV", "CaDynamics_E2"): the builtin's cell, then the port's. */
  cells: Record<string, CellTraces[]>;
}

/** NaV's states (Arbor's names) and its ASSIGNED qt. */
export const NAV_PROBES = ["C1", "C2", "C3", "C4", "C5", "O", "I1", "I2", "I3", "I4", "I5", "I6", "qt"];
/** CaDynamics_E2's state, and the calcium ion it writes and whose current it reads. */
export const CADYNAMICS_PROBES = ["cai", "ion cai", "ion ica"];

const TFINAL = 40, DT = 0.025;

interface Cell {
  name: string;
  source: string;
  mechanism: string;
  probes: string[];
  calcium: boolean;
}

async function run(target: CatalogueTarget | "compiled"): Promise<SchemeReport> {
  const arb = loadArbor();
  const props = arb.call("neuron_cable_properties");
  const cat = props.get("catalogue");
  cat.callMethod("extend", arb.call("allen_catalogue"), "allen::").dispose();
  cat.callMethod("extend", arb.call("bbp_catalogue"), "bbp::").dispose();
  let folder: string | undefined;
  if (target === "compiled") {
    // a compiled catalogue of the two example modules, loaded as Arbor loads any catalogue
    folder = await Deno.makeTempDir({ prefix: "denocat-scheme-ports-" });
    const index = join(folder, "index.ts");
    await Deno.writeTextFile(
      index,
      ["nav.ts", "cadynamics.ts"].map((f) =>
        `import "${new URL(`../../examples/catalogue/${f}`, import.meta.url).href}";\n`
      )
        .join(""),
    );
    const compiled = await compileCatalogue(index, {
      out: join(folder, "out"),
      abi: arb.abi,
      progress: false,
    });
    cat.callMethod("extend", arb.arbor.callMethod("load_catalogue", compiled.libraries[0].path), "denocat::")
      .dispose();
    props.set("catalogue", cat);
  } else {
    props.set("catalogue", cat);
    arb.extendCatalogue(
      props,
      await catalogue({ mechanisms: [NaV, CaDynamicsE2], abi: arb.abi, target }),
      "denocat::",
    );
  }

  const cells: Cell[] = [
    { name: "NaV", source: "builtin", mechanism: "allen::NaV", probes: NAV_PROBES, calcium: false },
    { name: "NaV", source: "port", mechanism: "denocat::NaV", probes: NAV_PROBES, calcium: false },
    ...["bbp", "denocat"].map((prefix) => ({
      name: "CaDynamics_E2",
      source: prefix === "bbp" ? "builtin" : "port",
      mechanism: `${prefix}::CaDynamics_E2`,
      probes: CADYNAMICS_PROBES,
      calcium: true,
    })),
  ];

  const tree = arb.call("segment_tree");
  tree.callMethod(
    "append",
    arb.arbor.get("mnpos"),
    arb.call("mpoint", -10, 0, 0, 3),
    arb.call("mpoint", 10, 0, 0, 3),
    kw({ tag: 1 }),
  );
  const morphology = arb.call("morphology", tree);
  const labels = arb.call("label_dict", { all: "(all)", mid: "(location 0 0.5)" });
  const probe = (cell: Cell, name: string) =>
    name === "ion cai"
      ? arb.probe("cable_probe_ion_int_concentration", ['"mid"', "ca"], name)
      : name === "ion ica"
      ? arb.probe("cable_probe_ion_current_density", ['"mid"', "ca"], name)
      : arb.probe("cable_probe_density_state", ['"mid"', cell.mechanism, name], name);

  const recipe = arb.recipe({
    numCells: cells.length,
    cellDescription: (gid) => {
      const cell = cells[gid];
      const decor = arb.decor()
        .setProperty({ Vm: -65 })
        .paint('"all"', arb.call("density", "hh"))
        .paint('"all"', arb.call("density", cell.mechanism))
        .stimulus('"mid"', arb.iclamp(5, 25, 0.12), "clamp")
        .place('"mid"', arb.thresholdDetector(-10), "detector");
      if (cell.calcium) {
        decor.paint(
          '"all"',
          arb.call("density", arb.call("mechanism", "bbp::Ca_HVA", { gCa_HVAbar: 0.002 })),
        );
      }
      return arb.cableCell(morphology, decor, labels, { discretization: "(fixed-per-branch 3)" });
    },
    probes: (gid) => [
      arb.probe("cable_probe_membrane_voltage", ['"mid"'], "v"),
      ...cells[gid].probes.map((name) => probe(cells[gid], name)),
    ],
    globalProperties: props,
  });
  const sim = arb.simulation(recipe);
  arb.recordSpikes(sim);
  const handles = cells.map((cell, gid) =>
    ["v", ...cell.probes].map((name, index) => ({
      name,
      handle: arb.sample(sim, gid, { index, tag: name }, DT),
    }))
  );
  arb.run(sim, TFINAL, DT);
  const spikes = arb.spikes(sim);

  const report: SchemeReport = {
    arbor: arb.version,
    target,
    celsius: props.get("temperature").number() - 273.15,
    cells: {},
  };
  cells.forEach((cell, gid) => {
    const traces: Record<string, number[]> = {};
    let time: number[] = [];
    for (const { name, handle } of handles[gid]) {
      const samples = arb.samples(sim, handle);
      time = [...samples.time];
      traces[name] = [...samples.value];
    }
    (report.cells[cell.name] ??= []).push({
      source: cell.source,
      mechanism: cell.mechanism,
      spikes: spikes.filter((s) => s.gid === gid).map((s) => s.time),
      time,
      traces,
    });
  });
  if (folder !== undefined) await Deno.remove(folder, { recursive: true });
  return report;
}

if (import.meta.main) {
  const target = (Deno.env.get("SCHEME_PORTS_TARGET") ?? "js") as CatalogueTarget | "compiled";
  console.log(JSON.stringify(await run(target)));
}
