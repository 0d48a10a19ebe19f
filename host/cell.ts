/**
 * A declarative description of a cell for the native host, and the one function that runs it.
 *
 * The fidelity cases of `tests/data/arbor`, the demo and users all go through
 * `runCell`: describe CVs, ions, mechanisms with overrides, synapses with events, clamps,
 * detectors and probes; get back the sampled traces and the spikes.
 *
 * @example
 * ```ts
 * import { runCell } from "./cell.ts";
 * import { catalogue } from "../mod.ts";
 * import { PointwiseHH } from "../examples/catalogue/hh.ts";
 *
 * const result = await runCell({
 *   areaUm2: 113.097,
 *   ions: "neuron",
 *   density: [{ mechanism: "hh" }],
 *   iclamps: [{ start: 10, duration: 50, amplitude: 0.2 }],
 *   detectors: [{ threshold: -10 }],
 *   probes: ["v", "hh.m"],
 *   dt: 0.025,
 *   until: 100,
 * }, { catalogues: [await catalogue({ mechanisms: [PointwiseHH] })] });
 * console.log(result.spikes, result.traces["hh.m"].length);
 * ```
 *
 * @module
 */
import { type CatalogueSource, Host, type IonSpecies, NEURON_IONS, type Placement } from "./host.ts";
import type { AbiFamily } from "../ffi/layout.ts";

/** A density mechanism painted on CVs. */
export interface DensityDescription {
  /** Mechanism name, possibly derived (`"pas/e=-70"`). */
  mechanism: string;
  /** Parameter overrides: one value for every CV, or one per CV. */
  params?: Record<string, number | number[]>;
  /** CVs it covers (default: all). */
  cvs?: number[];
  /** Covered fraction per CV (default 1). */
  weights?: number[];
}

/** One event for a synapse. */
export interface EventDescription {
  /** Delivery time (ms). */
  t: number;
  /** Connection weight (µS for `expsyn`/`exp2syn`). */
  weight: number;
}

/** A point mechanism at one CV, with its events. */
export interface SynapseDescription {
  /** Mechanism name. */
  mechanism: string;
  /** Parameter values. */
  params?: Record<string, number>;
  /** CV (default 0). */
  cv?: number;
  /** Events addressed to this synapse. */
  events?: EventDescription[];
}

/** A current clamp (positive amplitude depolarises). */
export interface ClampDescription {
  /** Onset (ms). */
  start: number;
  /** Duration (ms). */
  duration: number;
  /** Amplitude (nA). */
  amplitude: number;
  /** CV (default 0). */
  cv?: number;
}

/** Everything `runCell` needs. */
export interface CellDescription {
  /** Number of CVs (default 1); every CV is an isolated compartment. */
  cvs?: number;
  /** Lateral area per CV (µm²). */
  areaUm2: number | number[];
  /** Diameter per CV (µm, default 1). */
  diamUm?: number | number[];
  /** Membrane capacitance (F/m², default 0.01 as in Arbor's neuron_cable_properties). */
  cm?: number;
  /** Initial voltage (mV, default -65). */
  vInit?: number;
  /** Temperature (°C, default 6.3). */
  temperatureDegC?: number;
  /** Ion species, or `"neuron"` for the defaults of `neuron_cable_properties`. */
  ions?: "neuron" | Record<string, IonSpecies>;
  /** Density mechanisms. */
  density?: DensityDescription[];
  /** Reversal-potential mechanisms, by derived name (e.g. `"nernst/na"`). */
  reversalPotentials?: string[];
  /** Synapses. */
  synapses?: SynapseDescription[];
  /** Current clamps. */
  iclamps?: ClampDescription[];
  /** Voltage clamps. */
  vclamps?: { start: number; duration: number; voltage: number; cv?: number }[];
  /** Spike detectors (upward threshold crossing, mV). */
  detectors?: { threshold: number; cv?: number }[];
  /**
   * What to record: `"v"` (CV 0), `"v@3"` (CV 3), `"<mechanism>.<state>"` (instance 0 of a
   * density mechanism or of the first synapse with that mechanism), `"<mechanism>.<state>@k"`,
   * or `"ion:<ion>.<field>@cv"` (field i, e, int, ext, diff, g).
   */
  probes?: string[];
  /** Step (ms). */
  dt: number;
  /** End time (ms). */
  until: number;
}

/** Where the mechanisms come from. */
export interface RunCellOptions {
  /** Catalogues (live or compiled) holding every mechanism the description names. */
  catalogues: CatalogueSource[];
  /** Layout family (default: the catalogues'). */
  abi?: AbiFamily;
}

/** The result of `runCell`. */
export interface CellResult {
  /** Sample times: the start of every step (ms). */
  time: Float64Array;
  /** One trace per probe, keyed by the probe text. */
  traces: Record<string, Float64Array>;
  /** Spike times of every detector, in detection order (ms). */
  spikes: number[];
}

function perCvList(
  value: number | number[] | undefined,
  count: number,
  what: string,
): number[] | number | undefined {
  if (Array.isArray(value) && value.length !== count) {
    throw new RangeError(`${what}: ${value.length} values for ${count} CVs`);
  }
  return value;
}

const ION_FIELDS = ["i", "e", "int", "ext", "diff", "g"] as const;
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

type ParsedProbe =
  | { kind: "v"; at: number }
  | { kind: "ion"; ion: string; field: (typeof ION_FIELDS)[number]; at: number }
  | { kind: "state"; mechanism: string; state: string; at: number };

/**
 * Parses a probe text strictly (`CellDescription.probes`): `v`, `<mechanism>.<state>` or
 * `ion:<ion>.<field>`, each optionally followed by `@<k>` with k a decimal integer ≥ 0 (default 0).
 * Anything else (`v@`, `v@0x1`, `v@ 1`, `hh.m.typo`) is an error naming the probe.
 */
function parseProbe(probe: string): ParsedProbe {
  const fail = (why: string): never => {
    throw new Error(
      `probe '${probe}': ${why}; write "v", "<mechanism>.<state>" or "ion:<ion>.<field>", optionally ` +
        `followed by "@<k>" (a CV or instance, k = 0, 1, 2, ...)`,
    );
  };
  if (typeof probe !== "string") fail(`a probe is a string, not ${typeof probe}`);
  const at = probe.indexOf("@");
  const what = at < 0 ? probe : probe.slice(0, at);
  let index = 0;
  if (at >= 0) {
    const text = probe.slice(at + 1);
    if (!/^(0|[1-9][0-9]*)$/.test(text)) fail(`'@${text}' is not a CV or instance (a decimal integer ≥ 0)`);
    index = Number(text);
    if (!Number.isSafeInteger(index)) fail(`'@${text}' is too large`);
  }
  if (what === "v") return { kind: "v", at: index };
  if (what.startsWith("ion:")) {
    const parts = what.slice(4).split(".");
    if (parts.length !== 2 || !NAME.test(parts[0])) fail(`'${what}' is not "ion:<ion>.<field>"`);
    const field = parts[1] as (typeof ION_FIELDS)[number];
    if (!ION_FIELDS.includes(field)) fail(`'${parts[1]}' is not an ion field (${ION_FIELDS.join(", ")})`);
    return { kind: "ion", ion: parts[0], field, at: index };
  }
  const parts = what.split(".");
  if (parts.length !== 2 || !NAME.test(parts[0]) || !NAME.test(parts[1])) {
    fail(`'${what}' is not "<mechanism>.<state>"`);
  }
  return { kind: "state", mechanism: parts[0], state: parts[1], at: index };
}

/** Runs a described cell on a fresh native host and returns its traces and spikes. */
export async function runCell(cell: CellDescription, options: RunCellOptions): Promise<CellResult> {
  using host = await Host.create({ catalogues: options.catalogues, abi: options.abi });
  const count = cell.cvs ?? 1;
  host.setCvs({
    count,
    areaUm2: perCvList(cell.areaUm2, count, "areaUm2")!,
    diamUm: perCvList(cell.diamUm, count, "diamUm"),
    cm: cell.cm ?? 0.01,
    temperatureDegC: cell.temperatureDegC ?? 6.3,
    vInit: cell.vInit ?? -65,
  });
  const ions = cell.ions === "neuron" || cell.ions === undefined ? NEURON_IONS : cell.ions;
  for (const [name, ion] of Object.entries(ions)) host.addIon(name, ion);

  const placements = new Map<string, Placement>();
  const allCvs = Array.from({ length: count }, (_, k) => k);
  for (const density of cell.density ?? []) {
    const cvs = density.cvs ?? allCvs;
    const placement = host.place(density.mechanism, { cvs, weights: density.weights });
    for (const [name, value] of Object.entries(density.params ?? {})) {
      host.setParameter(placement, name, value);
    }
    placements.set(density.mechanism.split("/")[0], placement);
  }
  for (const name of cell.reversalPotentials ?? []) host.place(name);
  // All synapses of one mechanism form one placement, as in Arbor's one mechanism per group.
  const byMechanism = new Map<string, SynapseDescription[]>();
  for (const synapse of cell.synapses ?? []) {
    byMechanism.set(synapse.mechanism, [...(byMechanism.get(synapse.mechanism) ?? []), synapse]);
  }
  for (const [mechanism, synapses] of byMechanism) {
    const placement = host.place(mechanism, { cvs: synapses.map((s) => s.cv ?? 0) });
    const names = new Set(synapses.flatMap((s) => Object.keys(s.params ?? {})));
    for (const name of names) {
      if (synapses.some((s) => s.params?.[name] === undefined)) {
        throw new Error(`synapses of '${mechanism}': set parameter '${name}' on all of them or on none`);
      }
      host.setParameter(placement, name, synapses.map((s) => s.params![name]));
    }
    synapses.forEach((synapse, instance) => {
      for (const event of synapse.events ?? []) host.event(placement, instance, event.t, event.weight);
    });
    placements.set(mechanism.split("/")[0], placement);
  }
  for (const clamp of cell.iclamps ?? []) host.iclamp(clamp.cv ?? 0, clamp);
  for (const clamp of cell.vclamps ?? []) host.vclamp(clamp.cv ?? 0, clamp);
  for (const detector of cell.detectors ?? []) host.detector(detector.cv ?? 0, detector.threshold);

  const probes = cell.probes ?? ["v"];
  const columns = probes.map((probe) => {
    const parsed = parseProbe(probe);
    if (parsed.kind === "v") return host.probeVoltage(parsed.at);
    if (parsed.kind === "ion") return host.probeIon(parsed.ion, parsed.field, parsed.at);
    const placement = placements.get(parsed.mechanism);
    if (placement === undefined) {
      throw new Error(
        `probe '${probe}': no placed mechanism '${parsed.mechanism}' (placed: ${
          [...placements.keys()].join(", ") || "none"
        })`,
      );
    }
    return host.probeState(placement, parsed.state, parsed.at);
  });
  const result = host.run({ until: cell.until, dt: cell.dt });
  const traces: Record<string, Float64Array> = {};
  probes.forEach((probe, k) => (traces[probe] = result.probes[columns[k]]));
  return { time: result.time, traces, spikes: [...host.spikes().times] };
}
