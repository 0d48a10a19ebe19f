/**
 * The child program of tests/modcc_test.ts: one real Arbor simulation in which every compared
 * mechanism runs twice (three times with a builtin), once as built by Arbor's modcc
 * (`modcc::<name>`) and once as denocat's import of the same `.mod` file (`denocat::<name>`, target
 * "js" or "native"), both catalogues extended into the same `neuron_cable_properties().catalogue`.
 * Prints one JSON report ({@link ChildReport}) as the last line of stdout.
 *
 * Input: `MODCC_SPEC`, the path of a {@link ChildSpec} JSON file. Run it with the environment of
 * `arborEnv(site)` (tests/support/real_arbor.ts).
 *
 * tests/arbor_catalogue_test.ts uses it without modcc (no `modccCatalogue`: Arbor's builtins are
 * the reference, looked up in the properties' catalogue, which holds Arbor's default catalogue
 * and its allen and bbp catalogues as `allen::` and `bbp::`), and with the target "compiled" (the
 * denocat mechanisms come from a library of `compileCatalogue`, `compiledLibrary`).
 *
 * Every cell is the same: a 20 µm cylinder of radius 3 µm in three CVs, Arbor's builtin `hh`
 * painted everywhere so that the voltage spikes and sweeps the mechanism's whole range (unless the
 * case says `background: false`), a threshold detector at -10 mV at the middle, a current clamp
 * there, and the probes there. Then, by the mechanism's kind:
 * - density: the mechanism painted everywhere with its defaults;
 * - point: the mechanism as synapse "syn" at the middle, with two event generators (small weights
 *   early, larger ones later; the cell spikes, so POST_EVENT blocks run too);
 * - gap junction: the mechanism as junction "gj" at the middle of the cell and of a second cell
 *   without the current clamp, joined by a gap junction of weight {@link JUNCTION_WEIGHT} (the
 *   second cell is a helper: not probed, not compared);
 * - voltage process: the mechanism painted everywhere as a voltage process;
 * - reversal potential: the mechanism as the method of the ion it writes (bound to `na` when its
 *   ion is not one of the cell's).
 * Probes: the membrane voltage, and every STATE that both builds declare
 * (`cable_probe_density_state`, `cable_probe_point_state`; none for a reversal potential
 * mechanism, a voltage process or a gap junction), and, for a case with `xd` (a mechanism that
 * reads or writes the diffusive concentration), Xd at the middle (`cable_probe_ion_diff_concentration`,
 * probe "xd"; the ion bound to sodium, whose diffusivity is set on the case's cells; a density
 * mechanism's cells also get Arbor's builtin `inject` as the synapse, with the events above). A case's
 * `extras` (builtins that supply what the mechanism reads, such as a calcium current) are painted
 * on each of its cells.
 *
 * @module
 */
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { type Arbor, loadArbor } from "../../arbor/mod.ts";
import { catalogue, type CatalogueTarget, type MechanismClass } from "../../mod.ts";
import { kw, type PyObject } from "../../ffi/python/mod.ts";
import { denoCommand } from "./deno.ts";
import { arborEnv } from "./real_arbor.ts";

/** One mechanism to compare. */
export interface ChildCase {
  /** The case's label (the `.mod` file). */
  id: string;
  /** The mechanism's name in both catalogues (modcc names it by its SUFFIX / POINT_PROCESS). */
  name: string;
  /** The TypeScript module denocat's importer wrote. */
  module: string;
  /** The class it exports. */
  className: string;
  /**
   * An Arbor builtin with the same physics, compared too (with modcc: parameters set to the
   * file's defaults; without modcc, where the builtin is the reference built from the same file,
   * with its own defaults). A name of the allen or bbp catalogue takes its prefix: "allen::NaV".
   */
  builtin?: string;
  /** false: no background `hh` (for the file of Arbor's `hh` itself, which cannot be painted twice). */
  background?: boolean;
  /** Builtin density mechanisms painted on every cell of the case (e.g. a calcium current). */
  extras?: { mechanism: string; parameters: Record<string, number> }[];
  /**
   * The ion whose diffusive concentration Xd the mechanism reads or writes: bound to sodium when
   * it is not one of the cell's ions (`name/x=na`), the ion's diffusivity set to
   * {@link XD_DIFFUSIVITY} on the case's cells, and Xd probed at the middle (probe "xd").
   */
  xd?: string;
  /** Parameters set on the mechanism in the modcc and denocat cells alike (none: the file's defaults). */
  parameters?: Record<string, number>;
}

/** What the child runs. */
export interface ChildSpec {
  /** The catalogue `arbor-build-catalogue` built from the same files (none: no modcc cells). */
  modccCatalogue?: string;
  /** denocat's target for the imported classes, or "compiled": `compiledLibrary`. */
  target: CatalogueTarget | "compiled";
  /** The library of `compileCatalogue` that holds every case (target "compiled" only). */
  compiledLibrary?: string;
  /** The mechanisms. */
  cases: ChildCase[];
  /** Simulated time and step (ms). */
  tfinal: number;
  dt: number;
}

/** Arbor's `mechanism_info`, as plain values. */
export interface MechanismInfo {
  kind: string;
  parameters: Record<string, { default: number; min: number; max: number; units: string }>;
  globals: Record<string, { default: number; min: number; max: number; units: string }>;
  state: string[];
  ions: Record<string, Record<string, boolean>>;
  linear: boolean;
  postEvents: boolean;
}

/** The largest difference between two traces of one probe. */
export interface ProbeDifference {
  /** "v" or the STATE's name. */
  probe: string;
  /** The reference cell ("modcc" or "builtin") and the compared one. */
  reference: string;
  compared: string;
  /** max over samples of |a − b| / max(|a|, |b|, floor); floor = 1e-3 · max |a| of the trace. */
  maxRelative: number;
  /** Largest |a − b| (the probe's unit). */
  maxAbsolute: number;
  /** Time of the largest relative difference (ms), and the two values there. */
  at: number;
  values: [number, number];
  /** Samples compared, and the trace's largest |value|. */
  samples: number;
  peak: number;
  /** The two values at the first sample (t = 0: after initialisation, before the first step). */
  first: [number, number];
  /** The smallest and largest value of the reference trace. */
  range: [number, number];
}

/** One mechanism's result. */
export interface CaseReport {
  id: string;
  name: string;
  kind: string;
  /** The mechanism_info of each build (modcc if any, denocat, and the builtin if any). */
  info: Record<string, MechanismInfo>;
  /** The STATEs compared, and those only one build declares (with the build). */
  states: string[];
  onlyIn: Record<string, string[]>;
  /** Spikes per cell (by source). */
  spikes: Record<string, number>;
  /** The spike times (ms) per cell (by source). */
  spikeTimes: Record<string, number[]>;
  /** A gap junction's helper cells: spikes per cell (by source). */
  peerSpikes?: Record<string, number>;
  probes: ProbeDifference[];
}

/** The child's report. */
export interface ChildReport {
  arbor: string;
  target: string;
  /** Wall time of the Arbor part (s): building the cells and running the simulation. */
  seconds: number;
  cases: CaseReport[];
}

const INFO_HELPERS = `
def info(cat, name):
    m = cat[name]
    def field(f):
        return {'default': float(f.default), 'min': float(f.min), 'max': float(f.max), 'units': str(f.units)}
    flags = ('read_rev_pot', 'read_int_con', 'read_ext_con', 'write_rev_pot', 'write_int_con', 'write_ext_con')
    return {
        'kind': str(m.kind),
        'parameters': {k: field(v) for k, v in m.parameters.items()},
        'globals': {k: field(v) for k, v in m.globals.items()},
        'state': sorted(m.state),
        'ions': {k: {f: bool(getattr(v, f)) for f in flags} for k, v in m.ions.items()},
        'linear': bool(m.linear),
        'postEvents': bool(m.post_events),
    }
`;

/** How a cell places the mechanism of `source` ("modcc", "denocat", "builtin"). */
interface Cell {
  case: ChildCase;
  source: string;
  mechanism: string;
  kind: "density" | "point" | "reversal" | "voltage" | "junction";
  /** Parameters, and the name with `/global=value` suffixes (builtins get the file's defaults). */
  parameters: Record<string, number>;
  ion?: { ion: string; bound: string };
  /** A gap junction's partner cell (gid), and whether this cell is that helper (no clamp, not compared). */
  peer?: number;
  helper?: boolean;
}

/** The diffusivity (m²/s) of the ion of a case's `xd` (as Arbor's python/example/diffusion.py sets it). */
export const XD_DIFFUSIVITY = 0.005;

/**
 * The cell's ion that a mechanism's ion `name` is bound to (a reversal potential's ion, Xd's): its
 * own when the cell has it, else sodium (`mechanism/name=na`).
 */
function boundIon(name: string): string {
  return CELL_IONS.includes(name) ? name : "na";
}

/** The weight of the gap junction between a junction mechanism's two cells. */
export const JUNCTION_WEIGHT = 0.05;

const CELL_IONS = ["na", "k", "ca"];

function kindOf(info: MechanismInfo): Cell["kind"] {
  if (info.kind.startsWith("density")) return "density";
  if (info.kind.startsWith("point")) return "point";
  if (info.kind.startsWith("reversal")) return "reversal";
  if (info.kind.startsWith("voltage")) return "voltage";
  if (info.kind.startsWith("gap junction")) return "junction";
  throw new Error(`unsupported mechanism kind '${info.kind}'`);
}

/** The builtin's name and parameters that set everything the file declares to the file's defaults. */
function builtinPlacement(file: MechanismInfo, builtin: MechanismInfo, name: string) {
  const parameters: Record<string, number> = {};
  const globals: string[] = [];
  for (const [key, field] of [...Object.entries(file.parameters), ...Object.entries(file.globals)]) {
    if (key in builtin.parameters) parameters[key] = field.default;
    else if (key in builtin.globals) globals.push(`${key}=${field.default}`);
    else throw new Error(`builtin ${name} has no parameter or global '${key}'`);
  }
  return { mechanism: globals.length === 0 ? name : `${name}/${globals.join(",")}`, parameters };
}

/**
 * The differences between two mechanism_infos (of the builds `names`), one phrase each; units are
 * compared without spaces (modcc writes "S / cm2").
 */
export function infoDifferences(a: MechanismInfo, b: MechanismInfo, names = ["modcc", "denocat"]): string[] {
  const out: string[] = [];
  if (a.kind !== b.kind) out.push(`kind ${a.kind} / ${b.kind}`);
  for (const table of ["parameters", "globals"] as const) {
    for (const key of new Set([...Object.keys(a[table]), ...Object.keys(b[table])])) {
      const [x, y] = [a[table][key], b[table][key]];
      if (x === undefined || y === undefined) out.push(`${table} ${key}: only in ${x ? names[0] : names[1]}`);
      else {
        for (const field of ["default", "min", "max", "units"] as const) {
          const same = field === "units"
            ? x.units.replace(/\s/g, "") === y.units.replace(/\s/g, "")
            : x[field] === y[field];
          if (!same) out.push(`${table} ${key}.${field} ${x[field]} / ${y[field]}`);
        }
      }
    }
  }
  for (const key of new Set([...Object.keys(a.ions), ...Object.keys(b.ions)])) {
    const [x, y] = [a.ions[key], b.ions[key]];
    if (x === undefined || y === undefined) out.push(`ion ${key}: only in ${x ? names[0] : names[1]}`);
    else {
      for (const flag of Object.keys(x)) {
        if (x[flag] !== y[flag]) out.push(`ion ${key} ${flag} ${x[flag]} / ${y[flag]}`);
      }
    }
  }
  if (a.linear !== b.linear) out.push(`linear ${a.linear} / ${b.linear}`);
  if (a.postEvents !== b.postEvents) out.push(`post_events ${a.postEvents} / ${b.postEvents}`);
  return out;
}

/**
 * The largest relative difference of trace `b` from the reference `a`: max over samples of
 * |a − b| / max(|a|, |b|, floor), floor = 1e-3 · max |a| (at least 1e-300), so values near 0 are
 * compared against a thousandth of the trace's scale instead of themselves.
 */
/**
 * Runs this file as a child under the real Arbor of `site` (a site-packages folder) with `spec`,
 * written into `dir` as `spec-<label>.json`, and returns its report; `label` also names the child
 * in the error when it fails.
 */
export async function runModccChild(
  site: string,
  label: string,
  spec: ChildSpec,
  dir: string,
): Promise<ChildReport> {
  const path = join(dir, `spec-${label}.json`);
  await Deno.writeTextFile(path, JSON.stringify(spec));
  const out = await denoCommand(["run", "-A", "--no-lock", fileURLToPath(import.meta.url)], {
    env: arborEnv(site, { MODCC_SPEC: path }),
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  const stdout = decoder.decode(out.stdout), stderr = decoder.decode(out.stderr);
  if (!out.success) throw new Error(`the ${label} child failed:\n${stdout}\n${stderr}`);
  return JSON.parse(stdout.trim().split("\n").at(-1)!) as ChildReport;
}

export function compareTraces(
  probe: string,
  reference: string,
  compared: string,
  time: Float64Array,
  a: Float64Array,
  b: Float64Array,
): ProbeDifference {
  if (a.length !== b.length || a.length === 0) {
    throw new Error(`${probe}: ${a.length} ${reference} samples, ${b.length} ${compared} samples`);
  }
  let peak = 0, min = Infinity, max = -Infinity;
  for (const x of a) peak = Math.max(peak, Math.abs(x)), min = Math.min(min, x), max = Math.max(max, x);
  const floor = Math.max(1e-3 * peak, 1e-300);
  let maxRelative = 0, maxAbsolute = 0, at = time[0], values: [number, number] = [a[0], b[0]];
  for (let k = 0; k < a.length; k++) {
    const d = Math.abs(a[k] - b[k]);
    // A NaN on either side counts as the largest difference JSON can carry (Infinity would be null).
    const r = Number.isNaN(d) ? Number.MAX_VALUE : d / Math.max(Math.abs(a[k]), Math.abs(b[k]), floor);
    maxAbsolute = Math.max(maxAbsolute, d);
    if (r > maxRelative) {
      maxRelative = r;
      at = time[k];
      values = [a[k], b[k]];
    }
  }
  return {
    probe,
    reference,
    compared,
    maxRelative,
    maxAbsolute,
    at,
    values,
    samples: a.length,
    peak,
    first: [a[0], b[0]],
    range: [min, max],
  };
}

async function run(arb: Arbor, spec: ChildSpec): Promise<ChildReport> {
  const classes: MechanismClass[] = [];
  for (const c of spec.cases) {
    const module = await import(pathToFileURL(c.module).href);
    classes.push(module[c.className] as MechanismClass);
  }
  const started = performance.now();
  const props = arb.call("neuron_cable_properties");
  const target = props.get("catalogue");
  target.callMethod("extend", arb.call("allen_catalogue"), "allen::").dispose();
  target.callMethod("extend", arb.call("bbp_catalogue"), "bbp::").dispose();
  const modcc = spec.modccCatalogue === undefined
    ? undefined
    : arb.call("load_catalogue", spec.modccCatalogue);
  if (modcc !== undefined) target.callMethod("extend", modcc, "modcc::").dispose();
  let ours: PyObject;
  if (spec.target === "compiled") {
    if (spec.compiledLibrary === undefined) throw new Error("target compiled needs compiledLibrary");
    ours = arb.call("load_catalogue", spec.compiledLibrary);
  } else {
    ours = arb.loadCatalogue(await catalogue({ mechanisms: classes, abi: arb.abi, target: spec.target }));
  }
  target.callMethod("extend", ours, "denocat::").dispose();
  props.set("catalogue", target);
  // Builtins by their name in the properties' catalogue ("hh", "allen::NaV").
  const builtins = props.get("catalogue");
  const helpers = arb.py.exec(INFO_HELPERS);
  const info = (from: PyObject, name: string) =>
    helpers.item("info").call(from, name).toJS() as unknown as MechanismInfo;

  const cells: Cell[] = [];
  const reports: CaseReport[] = [];
  for (const c of spec.cases) {
    const infos: Record<string, MechanismInfo> = { denocat: info(ours, c.name) };
    if (modcc !== undefined) infos.modcc = info(modcc, c.name);
    if (c.builtin !== undefined) infos.builtin = info(builtins, c.builtin);
    // The reference: modcc's build, else the builtin.
    const reference = modcc !== undefined ? "modcc" : "builtin";
    if (infos[reference] === undefined) {
      throw new Error(`${c.id}: neither modcc nor a builtin to compare with`);
    }
    const kind = kindOf(infos[reference]);
    const [theirStates, ourStates] = [new Set(infos[reference].state), new Set(infos.denocat.state)];
    // Arbor has no probe of a voltage process's or a gap junction's state: its effect on v is compared
    const states = kind === "reversal" || kind === "voltage" || kind === "junction"
      ? []
      : [...theirStates].filter((s) => ourStates.has(s));
    const onlyIn = {
      [reference]: [...theirStates].filter((s) => !ourStates.has(s)),
      denocat: [...ourStates].filter((s) => !theirStates.has(s)),
    };
    let ion: Cell["ion"];
    if (kind === "reversal") {
      const [name] = Object.keys(infos[reference].ions);
      ion = { ion: name, bound: boundIon(name) };
    }
    const add = (cell: Cell) => {
      cells.push(cell);
      if (kind !== "junction") return;
      // The helper half of the junction: the same mechanism on a cell without the clamp.
      cell.peer = cells.length;
      cells.push({ ...cell, helper: true, peer: cells.length - 1 });
    };
    const xdBound = c.xd === undefined ? undefined : boundIon(c.xd);
    const rename = c.xd !== undefined && xdBound !== c.xd ? `/${c.xd}=${xdBound}` : "";
    for (const source of modcc !== undefined ? ["modcc", "denocat"] as const : ["denocat"] as const) {
      add({
        case: c,
        source,
        mechanism: `${source}::${c.name}${rename}`,
        kind,
        parameters: { ...c.parameters },
        ion,
      });
    }
    if (c.builtin !== undefined) {
      const placed = modcc !== undefined
        ? builtinPlacement(infos.modcc, infos.builtin, c.builtin)
        : { mechanism: c.builtin, parameters: {} };
      add({ case: c, source: "builtin", kind, ion, ...placed });
    }
    reports.push({
      id: c.id,
      name: c.name,
      kind,
      info: infos,
      states: [...states].sort(),
      onlyIn,
      spikes: {},
      spikeTimes: {},
      probes: [],
    });
  }

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
  const reportOf = (c: ChildCase) => reports.find((r) => r.id === c.id)!;

  const recipe = arb.recipe({
    numCells: cells.length,
    cellDescription: (gid) => {
      const cell = cells[gid];
      const decor = arb.decor()
        .setProperty({ Vm: -65 })
        .place('"mid"', arb.thresholdDetector(-10), "detector");
      if (cell.case.background !== false) decor.paint('"all"', arb.call("density", "hh"));
      if (cell.case.xd !== undefined) {
        const bound = boundIon(cell.case.xd);
        decor.setIon(bound, { diff: XD_DIFFUSIVITY });
        // A density mechanism of Xd gets something to act on: Arbor's builtin inject as the synapse.
        if (cell.kind === "density") {
          decor.place('"mid"', arb.call("synapse", arb.call("mechanism", `inject/x=${bound}`, {})), "syn");
        }
      }
      if (!cell.helper) decor.stimulus('"mid"', arb.iclamp(5, 25, 0.12), "clamp");
      for (const extra of cell.case.extras ?? []) {
        decor.paint('"all"', arb.call("density", arb.call("mechanism", extra.mechanism, extra.parameters)));
      }
      const mechanism = arb.call("mechanism", cell.mechanism, cell.parameters);
      if (cell.kind === "density") decor.paint('"all"', arb.call("density", mechanism));
      else if (cell.kind === "point") decor.place('"mid"', arb.call("synapse", mechanism), "syn");
      else if (cell.kind === "voltage") decor.paint('"all"', arb.call("voltage_process", mechanism));
      else if (cell.kind === "junction") decor.place('"mid"', arb.call("junction", mechanism), "gj");
      else {
        const { ion, bound } = cell.ion!;
        const rename = `${ion}=${bound}`;
        const derived = cell.mechanism.includes("/")
          ? `${cell.mechanism},${rename}`
          : `${cell.mechanism}/${rename}`;
        const method = ion === bound ? mechanism : arb.call("mechanism", derived, cell.parameters);
        decor.setIon(bound, { method });
      }
      return arb.cableCell(morphology, decor, labels, { discretization: "(fixed-per-branch 3)" });
    },
    probes: (gid) => {
      const cell = cells[gid];
      if (cell.helper) return [];
      const probes = [arb.probe("cable_probe_membrane_voltage", ['"mid"'], "v")];
      if (cell.case.xd !== undefined) {
        const bound = boundIon(cell.case.xd);
        probes.push(arb.probe("cable_probe_ion_diff_concentration", ['"mid"', bound], "xd"));
      }
      // By the name without `/global=value` (an ion renamed for Xd stays: it names another mechanism).
      const probed = cell.case.xd === undefined ? cell.mechanism.split("/")[0] : cell.mechanism;
      for (const state of reportOf(cell.case).states) {
        probes.push(
          cell.kind === "point"
            ? arb.probe("cable_probe_point_state", ["syn", probed, state], state)
            : arb.probe("cable_probe_density_state", ['"mid"', probed, state], state),
        );
      }
      return probes;
    },
    eventGenerators: (gid) =>
      cells[gid].kind === "point" || cells[gid].kind === "density" && cells[gid].case.xd !== undefined
        ? [arb.eventGenerator("syn", 0.0004, [2, 4, 6, 8]), arb.eventGenerator("syn", 0.003, [20, 20.5, 32])]
        : [],
    gapJunctionsOn: (gid) => {
      const peer = cells[gid].peer;
      if (peer === undefined) return [];
      const label = (g: number) => arb.call("cell_global_label", g, "gj");
      return [arb.call("gap_junction_connection", label(peer), "gj", JUNCTION_WEIGHT)];
    },
    globalProperties: props,
  });
  const sim = arb.simulation(recipe);
  arb.recordSpikes(sim);
  const handles = cells.map((cell, gid) => {
    if (cell.helper) return [];
    const names = ["v", ...(cell.case.xd !== undefined ? ["xd"] : []), ...reportOf(cell.case).states];
    return names.map((name, index) => ({
      name,
      handle: arb.sample(sim, gid, { index, tag: name }, spec.dt),
    }));
  });
  arb.run(sim, spec.tfinal, spec.dt);
  const spikes = arb.spikes(sim);

  const traces = handles.map((list) =>
    list.map(({ name, handle }) => ({ name, ...arb.samples(sim, handle) }))
  );
  for (const report of reports) {
    const gids = cells.map((cell, gid) => ({ cell, gid }))
      .filter(({ cell }) => cell.case.id === report.id && !cell.helper);
    for (const { cell, gid } of gids) {
      report.spikes[cell.source] = spikes.filter((s) => s.gid === gid).length;
      report.spikeTimes[cell.source] = spikes.filter((s) => s.gid === gid).map((s) => s.time);
      if (cell.peer !== undefined) {
        report.peerSpikes ??= {};
        report.peerSpikes[cell.source] = spikes.filter((s) => s.gid === cell.peer).length;
      }
    }
    const bySource = (source: string) => gids.find(({ cell }) => cell.source === source)?.gid;
    const pairs: [string, string][] = [];
    if (bySource("modcc") !== undefined) pairs.push(["modcc", "denocat"]);
    if (bySource("builtin") !== undefined) pairs.push(["builtin", "denocat"]);
    if (bySource("builtin") !== undefined && bySource("modcc") !== undefined) {
      pairs.push(["builtin", "modcc"]);
    }
    for (const [reference, compared] of pairs) {
      const a = traces[bySource(reference)!], b = traces[bySource(compared)!];
      for (let k = 0; k < a.length; k++) {
        report.probes.push(compareTraces(a[k].name, reference, compared, a[k].time, a[k].value, b[k].value));
      }
    }
  }
  return {
    arbor: arb.version,
    target: spec.target,
    seconds: (performance.now() - started) / 1000,
    cases: reports,
  };
}

if (import.meta.main) {
  const spec = JSON.parse(await Deno.readTextFile(Deno.env.get("MODCC_SPEC")!)) as ChildSpec;
  const report = await run(loadArbor(), spec);
  console.log(JSON.stringify(report));
}
