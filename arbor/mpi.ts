/**
 * MPI (part of arbor/mod.ts): initialising and finalising MPI once for the process, and the rank's
 * one-thread MPI context.
 *
 * @module
 */
import type { PyObject } from "../ffi/python/mod.ts";
import type { Arbor } from "./core.ts";

/** What {@link Arbor.mpi} gives: this rank's one-thread MPI context. */
export interface ArborMpi {
  /** `arbor.context(threads=1, gpu_id=None, mpi=arbor.mpi_comm())`. */
  readonly context: PyObject;
  /** This process's rank. */
  readonly rank: number;
  /** Number of ranks. */
  readonly ranks: number;
  /** Finalises MPI now (otherwise done once when the program ends); later calls do nothing. */
  finalize(): void;
}

/**
 * Initialises MPI unless it already is (by mpi4py, say), arranges for it to be finalised exactly once
 * when the program ends (also when another library initialised it), and makes the rank's context (see `Arbor.mpi`, which calls this once).
 */
export function startMpi(arb: Arbor): ArborMpi {
  const config = arb.arbor.callMethod("config");
  if (!config.item("mpi").truthy()) {
    throw new Error(
      `Arbor ${arb.version} was built without MPI (arbor.config()["mpi"] is False). Install an MPI ` +
        `library (Debian/Ubuntu: apt-get install openmpi-bin libopenmpi-dev) and an Arbor built with it ` +
        `(CMAKE_ARGS="-DARB_WITH_MPI=ON" pip install --no-binary arbor arbor), then launch with ` +
        `mpirun -n N deno run -A <program>.`,
    );
  }
  const arbor = arb.arbor;
  if (!arbor.callMethod("mpi_is_initialized").truthy()) arbor.callMethod("mpi_init").dispose();
  let finalised = false;
  const finalize = () => {
    if (finalised) return;
    finalised = true;
    for (const [event, listener] of listeners) globalThis.removeEventListener(event, listener);
    // Whoever initialised MPI: mpi4py finalises its own in Py_AtExit, which an embedded Python never
    // reaches (Deno exits without Py_Finalize), and a rank that ends without MPI_Finalize is an abnormal
    // termination for mpirun.
    if (!arbor.callMethod("mpi_is_finalized").truthy()) {
      arbor.callMethod("mpi_finalize").dispose();
    }
  };
  const listeners: [string, () => void][] = [["unload", finalize], ["error", finalize], [
    "unhandledrejection",
    finalize,
  ]];
  for (const [event, listener] of listeners) globalThis.addEventListener(event, listener);
  const context = arb.context({ mpi: arbor.callMethod("mpi_comm") });
  return {
    context,
    rank: context.get("rank").number(),
    ranks: context.get("ranks").number(),
    finalize,
  };
}
