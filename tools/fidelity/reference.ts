/**
 * The traces recorded from real Arbor in `tests/data/arbor/` (see its README): loading a
 * case as a `CellDescription`, and comparing a run with it.
 *
 * @module
 */
import { join } from "node:path";
import { fileURLToPath as fromFileUrl } from "node:url";
import type { CellDescription, CellResult } from "../../host/cell.ts";

/** One reference case: its parameters, turned into a cell, and the recorded columns. */
export interface ReferenceCase {
  /** Case name (file stem). */
  name: string;
  /** The JSON file's contents. */
  parameters: Record<string, unknown>;
  /** The cell and run the JSON describes. */
  cell: CellDescription;
  /** Recorded columns by probe text (`"v"`, `"hh.m"`, ...), plus `"t"`. */
  columns: Record<string, Float64Array>;
  /** Spike times Arbor's -10 mV detector saw. */
  spikes: number[];
}

/** What `compareWithReference` measures. */
export interface Comparison {
  /** Case name. */
  name: string;
  /** Samples compared. */
  samples: number;
  /** max |V - V_ref| (mV). */
  maxVoltage: number;
  /** max |state - state_ref| over every probed state. */
  maxState: number;
  /** Spike times of the run. */
  spikes: number[];
  /** Spike times of the reference. */
  referenceSpikes: number[];
  /** max |t - t_ref| over paired spikes (Infinity when the counts differ). */
  maxSpikeShift: number;
}

/**
 * How close a faithful run must come to a recorded trace: what `deno task fidelity` and
 * `tests/fidelity_test.ts` both require (round-off is ~1e-13 mV; these leave room for libm).
 */
export const FIDELITY_TOLERANCE = { voltageMv: 1e-6, state: 1e-9, spikeShiftMs: 1e-9 } as const;

/** What of `comparison` exceeds {@link FIDELITY_TOLERANCE}, one sentence each (empty when faithful). */
export function fidelityViolations(comparison: Comparison): string[] {
  const found: string[] = [];
  const { voltageMv, state, spikeShiftMs } = FIDELITY_TOLERANCE;
  if (!(comparison.maxVoltage <= voltageMv)) {
    found.push(`max |dV| ${comparison.maxVoltage} mV > ${voltageMv}`);
  }
  if (!(comparison.maxState <= state)) found.push(`max |d state| ${comparison.maxState} > ${state}`);
  if (comparison.spikes.length !== comparison.referenceSpikes.length) {
    found.push(`${comparison.spikes.length} spikes, Arbor had ${comparison.referenceSpikes.length}`);
  } else if (!(comparison.maxSpikeShift <= spikeShiftMs)) {
    found.push(`spike times shifted by ${comparison.maxSpikeShift} ms > ${spikeShiftMs}`);
  }
  return found;
}

/**
 * The folder of the recorded traces: `$DENOCAT_REFERENCE`, else the checkout's `tests/data/arbor`
 * (the traces are test fixtures, so they are not part of the published package).
 */
export function referenceFolder(): string {
  const explicit = Deno.env.get("DENOCAT_REFERENCE");
  if (explicit !== undefined) return explicit;
  const inCheckout = new URL("../../tests/data/arbor", import.meta.url);
  if (inCheckout.protocol !== "file:") {
    throw new Error(
      `the recorded Arbor traces ship with a checkout of denocat (tests/data/arbor), not with the package ` +
        `imported from ${inCheckout.origin}: set DENOCAT_REFERENCE to a folder holding them`,
    );
  }
  return fromFileUrl(inCheckout);
}

/** Names of every case in the reference folder. */
export function referenceCaseNames(folder = referenceFolder()): string[] {
  return [...Deno.readDirSync(folder)].filter((e) => e.name.endsWith(".json")).map((e) => e.name.slice(0, -5))
    .sort();
}

const columnProbe = (column: string) => (column === "v_mV" ? "v" : column === "t_ms" ? "t" : column);

/**
 * Loads `<name>.json` and `<name>.csv` and turns the JSON's parameters into a cell description:
 * a cylinder CV with Arbor's neuron_cable_properties (cm 0.01 F/m², ions na/k/ca), the density
 * mechanisms with their overrides, the synapse with its events, the current clamp, `nernst/<ion>`
 * when asked for, a -10 mV detector and one probe per recorded column.
 */
export function loadReferenceCase(name: string, folder = referenceFolder()): ReferenceCase {
  // deno-lint-ignore no-explicit-any
  const json: any = JSON.parse(Deno.readTextFileSync(join(folder, `${name}.json`)));
  const lines = Deno.readTextFileSync(join(folder, `${name}.csv`)).trim().split("\n");
  const header = lines[0].split(",");
  const rows = lines.slice(1).map((line) => line.split(",").map(Number));
  const columns: Record<string, Float64Array> = {};
  header.forEach((column, c) => (columns[columnProbe(column)] = Float64Array.from(rows, (row) => row[c])));
  const cell: CellDescription = {
    areaUm2: json.cv_area_um2,
    diamUm: 2 * json.cylinder_radius_um,
    cm: 0.01,
    vInit: json.Vm_init_mV,
    temperatureDegC: json.temperature_degC,
    ions: "neuron",
    density: (json.density ?? []).map((d: { mechanism: string; params: Record<string, number> }) => ({
      mechanism: d.mechanism,
      params: d.params,
    })),
    reversalPotentials: json.nernst_ion ? [`nernst/${json.nernst_ion}`] : [],
    synapses: json.synapse
      ? [{
        mechanism: json.synapse.mechanism,
        params: json.synapse.params,
        events: (json.events ?? []).map((e: { t_ms: number; weight: number }) => ({
          t: e.t_ms,
          weight: e.weight,
        })),
      }]
      : [],
    iclamps: json.iclamp
      ? [{
        start: json.iclamp.tstart_ms,
        duration: json.iclamp.duration_ms,
        amplitude: json.iclamp.amplitude_nA,
      }]
      : [],
    detectors: [{ threshold: -10 }],
    probes: header.slice(1).map(columnProbe),
    dt: json.dt_ms,
    until: json.tfinal_ms,
  };
  return { name, parameters: json, cell, columns, spikes: json.spikes_ms ?? [] };
}

/** Compares a run of `reference.cell` with the recorded columns and spikes. */
export function compareWithReference(reference: ReferenceCase, result: CellResult): Comparison {
  const samples = Math.min(result.time.length, reference.columns.t.length);
  let maxVoltage = 0, maxState = 0;
  for (const [probe, trace] of Object.entries(result.traces)) {
    const recorded = reference.columns[probe];
    if (recorded === undefined) continue;
    let worst = 0;
    for (let k = 0; k < samples; k++) worst = Math.max(worst, Math.abs(trace[k] - recorded[k]));
    if (Number.isNaN(trace[samples - 1])) worst = Infinity;
    if (probe === "v") maxVoltage = worst;
    else maxState = Math.max(maxState, worst);
  }
  const same = result.spikes.length === reference.spikes.length;
  const maxSpikeShift = same
    ? result.spikes.reduce((worst, t, k) => Math.max(worst, Math.abs(t - reference.spikes[k])), 0)
    : Infinity;
  return {
    name: reference.name,
    samples,
    maxVoltage,
    maxState,
    spikes: result.spikes,
    referenceSpikes: reference.spikes,
    maxSpikeShift,
  };
}
