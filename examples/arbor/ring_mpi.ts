/**
 * A ring of 8 one-CV cells with the live TypeScript `hh` (examples/hh.ts) and `expsyn`
 * (examples/catalogue/expsyn.ts), cell i → i+1 (mod 8) with a 5 ms delay and weight 0.01 µS, one
 * event into cell 0 at 1 ms; 100 ms. Rank 0 prints every spike, gathered by Arbor over the ranks.
 *
 * ```sh
 * deno run -A examples/arbor/ring_mpi.ts                       # one rank, no MPI
 * mpirun -n 4 deno run -A examples/arbor/ring_mpi.ts           # one Deno process per rank
 * ```
 *
 * Live mechanisms run on one thread per rank (`arb.mpi()` gives a one-thread MPI context), so
 * the ring scales by ranks; each rank's cells form one cell group. The spikes are the same for
 * every number of ranks. Launched by mpirun (Open MPI, MPICH, Slurm's PMI) it uses MPI and needs
 * an Arbor built with it; otherwise it runs as one rank. For compiled catalogues, the same ring
 * as a plain Python script is `examples/arbor/ring_mpi.py`.
 *
 * @module
 */
import { catalogue } from "../../mod.ts";
import type { Arbor, Spike } from "../../arbor/mod.ts";
import { HH } from "../hh.ts";
import { ExpSyn } from "../catalogue/expsyn.ts";
import { arborOrSkip, cylinders, runAsProgram } from "./common.ts";

/** The ring's parameters. */
export const RING = { cells: 8, delay: 5, weight: 0.01, firstEvent: 1, tfinal: 100, threshold: -10 } as const;

/** What one rank computed. */
export interface RingResult {
  /** This rank. */
  rank: number;
  /** Number of ranks. */
  ranks: number;
  /** Every spike of the ring (all ranks), sorted by time. */
  spikes: Spike[];
}

/** True when a launcher (mpirun, srun) started this process as one of several ranks. */
export function launchedByMpi(): boolean {
  return ["OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK", "MPI_LOCALNRANKS"].some((name) =>
    Deno.env.get(name) !== undefined
  );
}

/** Runs the ring on `arb`, over MPI when `mpi` is true. */
export async function scenario(arb: Arbor, mpi = launchedByMpi()): Promise<RingResult> {
  const ranks = mpi ? arb.mpi() : undefined;
  const context = ranks?.context ?? arb.context();
  const cat = await catalogue({ mechanisms: [HH, ExpSyn], abi: arb.abi });
  const props = arb.call("neuron_cable_properties");
  arb.extendCatalogue(props, cat, "ts_");
  const morphology = arb.call("morphology", cylinders(arb, [1]));
  const labels = arb.call("label_dict", { soma: "(tag 1)", midpoint: "(location 0 0.5)" });
  const decor = arb.decor()
    .setProperty({ Vm: -65 })
    .paint('"soma"', arb.call("density", "ts_hh"))
    .place('"midpoint"', arb.call("synapse", "ts_expsyn"), "syn")
    .place('"midpoint"', arb.thresholdDetector(RING.threshold), "detector");
  const recipe = arb.recipe({
    numCells: RING.cells,
    cellDescription: () => arb.cableCell(morphology, decor, labels),
    connectionsOn: (gid) => [
      arb.connection([(gid + RING.cells - 1) % RING.cells, "detector"], "syn", RING.weight, RING.delay),
    ],
    eventGenerators: (gid) => gid === 0 ? [arb.eventGenerator("syn", RING.weight, [RING.firstEvent])] : [],
    globalProperties: props,
  });
  const sim = arb.simulation(recipe, { context }); // one cell group per rank
  arb.recordSpikes(sim, context); // spike_recording.all: gathered over the ranks
  arb.run(sim, RING.tfinal);
  const result = { rank: ranks?.rank ?? 0, ranks: ranks?.ranks ?? 1, spikes: arb.spikes(sim) };
  if (result.spikes.length === 0) throw new Error("ring_mpi: no spikes; the ring did not start");
  return result;
}

/** Loads Arbor (or skips), runs the ring; rank 0 prints the spikes as one JSON line. */
export async function main(): Promise<RingResult | undefined> {
  const arb = arborOrSkip("ring_mpi");
  if (arb === undefined) return undefined;
  const result = await scenario(arb);
  if (result.rank === 0) console.log(JSON.stringify(result));
  return result;
}

if (import.meta.main) await runAsProgram(async () => void await main());
