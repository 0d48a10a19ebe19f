/**
 * The types of the native test host's API (`Host` in host/host.ts): options of `Host.create`, CVs,
 * ions, placements, runs, and the probe kinds shared with `c/host.h`.
 *
 * @module
 */
import type { AbiFamily } from "../ffi/layout.ts";

/** Something with a library path: a `Catalogue`, or a plain path string. */
export type CatalogueSource = string | { readonly path: string; readonly abi?: AbiFamily };

/** Options of `Host.create`. */
export interface HostOptions {
  /** Catalogues to load (live catalogues or paths of compiled ones). */
  catalogues: CatalogueSource[];
  /** Layout family; defaults to the first live catalogue's, else "0.7". */
  abi?: AbiFamily;
  /**
   * Arbor's `coalesce_synapses`; default true, as in Arbor. When on, the point instances of a
   * mechanism with `isLinear` and no random variables that share a CV and have bit-identical
   * parameter values merge into one instance whose `multiplicity` counts them (otherwise
   * `multiplicity` is NULL). Events, state probes and per-instance parameters keep using
   * placement-order instance numbers.
   */
  coalesceSynapses?: boolean;
}

/** A per-CV value given once for all CVs or as one value per CV. */
export type PerCv = number | readonly number[];

/** Geometry and electrical properties of the host's CVs. */
export interface CvOptions {
  /** Number of CVs (independent compartments). */
  count: number;
  /** Lateral area per CV in µm². */
  areaUm2: PerCv;
  /** Diameter per CV in µm; default 1. */
  diamUm?: PerCv;
  /** Membrane capacitance in F/m²; default 0.01 (Arbor's neuron default). */
  cm?: PerCv;
  /** Temperature in °C; default 6.3 (Arbor's neuron default). */
  temperatureDegC?: PerCv;
  /** Initial membrane voltage in mV; default -65. */
  vInit?: PerCv;
}

/** Initial values of an ion species. */
export interface IonSpecies {
  /** Charge of the species. */
  valence: number;
  /** Xi in mM. */
  internal: number;
  /** Xo in mM. */
  external: number;
  /** eX in mV. */
  reversal: number;
}

/** The ion defaults of Arbor's `neuron_cable_properties`. */
export const NEURON_IONS: Readonly<Record<string, IonSpecies>> = {
  na: { valence: 1, internal: 10, external: 140, reversal: 50 },
  k: { valence: 1, internal: 54.4, external: 2.5, reversal: -77 },
  ca: { valence: 2, internal: 5e-5, external: 2, reversal: 12.5 * Math.log(2 / 5e-5) },
};

/** How to place a mechanism. */
export interface PlaceOptions {
  /** CVs of the instances (density: ascending, one each; point: any order). */
  cvs?: readonly number[];
  /** Density: covered fraction per instance; gap junction: connection weight. */
  weights?: readonly number[];
  /** Gap junctions: peer CV per instance. */
  peers?: readonly number[];
  /** Parameter overrides: one value for all instances, or one per instance. */
  parameters?: Readonly<Record<string, number | readonly number[]>>;
  /** Global overrides. */
  globals?: Readonly<Record<string, number>>;
}

/** What `run` returns. */
export interface RunResult {
  /** Sample times (the start of each step, ms). */
  time: Float64Array;
  /** One column per probe, in the order the probes were added. */
  probes: Float64Array[];
  /** Number of steps taken. */
  steps: number;
}

/** Options of `run`. */
export interface RunOptions {
  /** Time to advance to (ms). */
  until: number;
  /** Step length (ms). */
  dt: number;
  /**
   * Progress line on the terminal for a run that takes over ~2 s (default: shown on a terminal,
   * not in CI, not with `DENOCAT_PROGRESS=0`); `false` silences it. Runs longer than one epoch
   * (host/epochs.ts) are split into epochs either way, so this never changes the numbers.
   */
  progress?: boolean;
}

/** A placed mechanism. */
export interface Placement {
  /** Host placement id. */
  readonly id: number;
  /** Mechanism name as placed (with any derivation). */
  readonly name: string;
  /** Number of instances. */
  readonly count: number;
}

/** Probe kinds shared with `c/host.h` (HOST_PROBE_*; tests/mirrors_test.ts checks them). */
export const PROBE = { voltage: 0, state: 1, ion: 2, current: 3 } as const;
