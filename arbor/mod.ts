/**
 * Real Arbor, from Deno, through the embedded CPython of `ffi/python/mod.ts`: load Arbor, pick the
 * catalogue layout from its version, load denocat catalogues into it and run simulations whose
 * mechanisms are TypeScript.
 *
 * ```ts
 * import { loadArbor } from "./mod.ts";
 * import { catalogue } from "../mod.ts";
 * import { HH } from "../examples/hh.ts";
 *
 * const arb = loadArbor(); // imports arbor, checks its version, remembers the ABI family
 * const props = arb.arbor.callMethod("neuron_cable_properties");
 * arb.extendCatalogue(props, await catalogue({ mechanisms: [HH] }), "ts_"); // "ts_hh"
 * ```
 *
 * Versions: the helpers (`arb.decor()`, `arb.iclamp`, `arb.cableCell`, `arb.recordSpikes`,
 * `arb.probe`, `arb.sample`, `arb.q`, ...) write the same model for Arbor 0.9, 0.10, 0.11 and
 * 0.12, from the table of differences in `arbor/versions.ts` ({@link ARBOR_APIS}).
 *
 * Threads: mechanisms written in TypeScript run on Deno's main thread only, so every simulation
 * must use `arbor.context(threads=1)` ({@link Arbor.context}, used by {@link Arbor.simulation}).
 * With more threads Arbor calls mechanisms (and recipe methods) from worker threads: those calls
 * are refused rather than run, and the next bridge call that returns from Python (`arb.run`,
 * `sim.callMethod("run")`, `py.exec` of a whole script, anything) throws the catalogue's error
 * naming the mechanism, the hook and `arbor.context(threads=1)`.
 *
 * Cell groups: {@link Arbor.simulation} puts all cable cells (of a rank) into one cell group,
 * so each hook crosses into JavaScript once per step, not once per cell per step.
 *
 * @module
 */
export type { AbiFamily } from "../ffi/layout.ts";
export type { Catalogue } from "../catalogue/api.ts";
export type { PyObject, Python, PythonOptions } from "../ffi/python/mod.ts";
export { ARBOR_APIS, type ArborApi, arborApiForVersion } from "./versions.ts";
export { Arbor } from "./core.ts";
export { Decor } from "./decor.ts";
export {
  abiForArborVersion,
  type ArborOptions,
  ArborUnavailableError,
  loadArbor,
  tryLoadArbor,
} from "./load.ts";
export type { ArborMpi } from "./mpi.ts";
export type { RecipeMethods } from "./recipes.ts";
export type { Decomposition, Spike } from "./simulation.ts";
export type { CableProperties, IonValues, Quantity } from "./units.ts";
