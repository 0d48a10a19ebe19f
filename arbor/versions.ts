/**
 * What differs between the Python APIs of the Arbor versions denocat supports, in one table.
 *
 * Every entry was read from Arbor's Python bindings (`python/*.cpp`) at the tags v0.9.0,
 * v0.10.0, v0.11.0 and master (0.12.0-dev, April 2026); the one behaviour that is not visible in
 * the bindings (`spike_recording.all` on 0.12) was observed by running real Arbor 0.12.0-dev.
 * The helpers of `arbor/mod.ts` ({@link ArborApi} through `Arbor.api`) read this table and nothing
 * else, so a new Arbor version is one new row.
 *
 * @module
 */

/** The shape of one Arbor version's Python API (see the module documentation). */
export interface ArborApi {
  /** The minor version this row describes (0.9 → 9). */
  readonly minor: number;
  /**
   * `arbor.units` exists and every physical argument is a quantity (`-65 * U.mV`) — 0.10 and
   * later. On 0.9 the same arguments are plain numbers in Arbor's documented units.
   */
  readonly units: boolean;
  /** The current clamp class: `arbor.iclamp` up to 0.11, `arbor.i_clamp` from 0.12. */
  readonly clamp: "iclamp" | "i_clamp";
  /**
   * `decor.place(locset, clamp, label)` takes a label up to 0.11; from 0.12 it takes none, and
   * passing one is a TypeError.
   */
  readonly clampLabel: boolean;
  /**
   * Probes take a tag (`cable_probe_membrane_voltage(where, tag)`) and are sampled by
   * `(gid, tag)` — 0.10 and later. On 0.9 they take no tag and are sampled by `(gid, index)`.
   */
  readonly probeTags: boolean;
  /**
   * Where a CV policy goes: `decor.discretization(policy)` on 0.9 and 0.10 (gone from the decor
   * in 0.11), `arbor.cable_cell(..., discretization=policy)` from 0.11.
   */
  readonly discretization: "decor" | "cable_cell";
  /**
   * `single_cell_model.probe(what, where, tag, frequency)` takes a tag from 0.10; 0.9 has
   * `probe(what, where, frequency)`.
   */
  readonly modelProbeTag: boolean;
  /**
   * On 0.12, `spike_recording.all` (and `single_cell_model.spikes`) report no spikes of a cell
   * that has no outgoing connection; `spike_recording.local` does. Not visible in the bindings:
   * seen running 0.12.0-dev.
   */
  readonly allMissesUnconnected: boolean;
}

/** Arbor's Python API by minor version (0.9–0.12). */
export const ARBOR_APIS: Readonly<Record<9 | 10 | 11 | 12, ArborApi>> = {
  9: {
    minor: 9,
    units: false,
    clamp: "iclamp",
    clampLabel: true,
    probeTags: false,
    discretization: "decor",
    modelProbeTag: false,
    allMissesUnconnected: false,
  },
  10: {
    minor: 10,
    units: true,
    clamp: "iclamp",
    clampLabel: true,
    probeTags: true,
    discretization: "decor",
    modelProbeTag: true,
    allMissesUnconnected: false,
  },
  11: {
    minor: 11,
    units: true,
    clamp: "iclamp",
    clampLabel: true,
    probeTags: true,
    discretization: "cable_cell",
    modelProbeTag: true,
    allMissesUnconnected: false,
  },
  12: {
    minor: 12,
    units: true,
    clamp: "i_clamp",
    clampLabel: false,
    probeTags: true,
    discretization: "cable_cell",
    modelProbeTag: true,
    allMissesUnconnected: true,
  },
};

/**
 * The API row of an Arbor version string (`"0.11.0"`, `"0.12.0-dev"`), or `undefined` for a
 * version outside 0.9–0.12.
 */
export function arborApiForVersion(version: string): ArborApi | undefined {
  const match = /^0\.(\d+)(?:\D|$)/.exec(version);
  if (match === null) return undefined;
  return (ARBOR_APIS as Record<number, ArborApi>)[Number(match[1])];
}
