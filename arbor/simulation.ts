/**
 * Simulations (part of arbor/mod.ts): cell-group decomposition, spikes and samples.
 *
 * @module
 */
import { kw, PyObject } from "../ffi/python/mod.ts";

/** One spike: the detector's cell and index, and the time (ms). */
export interface Spike {
  /** gid of the cell. */
  gid: number;
  /** Index of the detector on the cell. */
  index: number;
  /** Time (ms). */
  time: number;
}

/** How {@link Arbor.simulation} distributes cells over cell groups. */
export type Decomposition =
  /** One cell group with all cable cells (per rank): a hook crosses once per step. The default. */
  | "one-group"
  /** Arbor's own default, `partition_load_balance` without hints: one cable cell per group. */
  | "arbor"
  /** Groups of this many cable cells. */
  | { cellsPerGroup: number }
  /** Your own `arbor.domain_decomposition`, passed through. */
  | PyObject;

/**
 * The decomposition of `recipe` on `context` that {@link Decomposition} names (see
 * `Arbor.decomposition`).
 */
export function domainDecomposition(
  arbor: PyObject,
  recipe: PyObject,
  context: PyObject,
  decomposition: Decomposition,
): PyObject {
  if (decomposition instanceof PyObject) return decomposition;
  if (decomposition === "arbor") return arbor.callMethod("partition_load_balance", recipe, context);
  let size: number;
  if (decomposition === "one-group") size = Math.max(1, recipe.callMethod("num_cells").number());
  else {
    size = decomposition.cellsPerGroup;
    if (!Number.isInteger(size) || size < 1) {
      throw new RangeError(`decomposition: cellsPerGroup must be a positive integer, got ${size}`);
    }
  }
  const hint = arbor.callMethod("partition_hint", kw({ cpu_group_size: size }));
  const hints = new Map([[arbor.get("cell_kind").get("cable"), hint]]);
  return arbor.callMethod("partition_load_balance", recipe, context, hints);
}

/** Python helpers of {@link Arbor} (code that is identical on every version). */
export const ARBOR_HELPERS = `
def spikes(sim):
    # Arbor returns a structured array ((gid, index), time); iterate it the same way everywhere.
    rows = [(int(gid), int(index), float(time)) for (gid, index), time in sim.spikes()]
    rows.sort(key=lambda r: (r[2], r[0], r[1]))
    return rows
`;

/** The first sample set of `handle` in `sim`: times (ms) and values. */
export function readSamples(sim: PyObject, handle: PyObject): { time: Float64Array; value: Float64Array } {
  const all = sim.callMethod("samples", handle);
  if (all.len() === 0) throw new Error("no samples were recorded for this handle");
  const data = all.item(0).item(0).buffer();
  if (data.shape.length !== 2 || data.shape[1] < 2) {
    throw new Error(
      `samples of this handle have shape [${data.shape}], expected [rows, 2 or more] (time, value, ...)`,
    );
  }
  const rows = data.shape[0], columns = data.shape[1];
  const time = new Float64Array(rows), value = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    time[r] = data.data[r * columns];
    value[r] = data.data[r * columns + 1];
  }
  return { time, value };
}
