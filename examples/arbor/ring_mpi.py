"""The ring of examples/arbor/ring_mpi.ts as a plain Python Arbor script, for compiled catalogues.

No Deno in the process: compile the TypeScript mechanisms once, then run this with any number of
threads and ranks (compiled catalogues are thread-safe):

    deno task catalogue examples/catalogue/mod.ts -o build      # hh, expsyn, ... for both ABIs
    python3 examples/arbor/ring_mpi.py build                     # one rank, one thread
    mpirun -n 4 python3 examples/arbor/ring_mpi.py build --threads 2

A ring of 8 one-CV cells with the TypeScript `hh` and `expsyn` (as `ts_hh`, `ts_expsyn`), cell
i -> i+1 (mod 8), 5 ms delay, weight 0.01 uS, one event into cell 0 at 1 ms; 100 ms. Rank 0
prints every spike, gathered by Arbor over the ranks. Written for Arbor 0.9 to 0.12 (the same
differences the helpers of arbor/mod.ts cover: units, iclamp/i_clamp, spike recording on 0.12).
Not run here: real Arbor is not installable on the machine this was written on.
"""
import argparse
import json
import os

import arbor

MINOR = int(arbor.__version__.split(".")[1])
U = getattr(arbor, "units", None)  # Arbor >= 0.10


def q(value, unit):
    """value * arbor.units.<unit> on Arbor >= 0.10, the plain number on 0.9."""
    return value if U is None else value * getattr(U, unit)


parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("build", help="folder of the compiled catalogue (deno task catalogue ... -o build)")
parser.add_argument("--name", default="catalogue", help="catalogue base name (default: catalogue)")
parser.add_argument("--threads", type=int, default=1)
args = parser.parse_args()

abi = "abi07" if MINOR >= 11 else "abi06"  # Arbor cannot tell the layouts apart: choose by version
cat = arbor.load_catalogue(os.path.abspath(os.path.join(args.build, "%s_%s.so" % (args.name, abi))))
props = arbor.neuron_cable_properties()
props.catalogue.extend(cat, "ts_")

mpi = arbor.config()["mpi"] and any(k in os.environ for k in ("OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK"))
if mpi:
    arbor.mpi_init()
    context = arbor.context(threads=args.threads, gpu_id=None, mpi=arbor.mpi_comm())
else:
    context = arbor.context(threads=args.threads, gpu_id=None)

CELLS, DELAY, WEIGHT = 8, 5.0, 0.01
tree = arbor.segment_tree()
tree.append(arbor.mnpos, arbor.mpoint(-3, 0, 0, 3), arbor.mpoint(3, 0, 0, 3), tag=1)
morphology = arbor.morphology(tree)
labels = arbor.label_dict({"soma": "(tag 1)", "midpoint": "(location 0 0.5)"})
decor = arbor.decor()
decor = decor.set_property(Vm=q(-65, "mV"))  # paint/place return a copy: keep it
decor = decor.paint('"soma"', arbor.density("ts_hh"))
decor = decor.place('"midpoint"', arbor.synapse("ts_expsyn"), "syn")
decor = decor.place('"midpoint"', arbor.threshold_detector(q(-10, "mV")), "detector")
cell = arbor.cable_cell(morphology, decor, labels)


class Ring(arbor.recipe):
    def __init__(self):
        arbor.recipe.__init__(self)

    def num_cells(self):
        return CELLS

    def cell_kind(self, gid):
        return arbor.cell_kind.cable

    def cell_description(self, gid):
        return cell

    def connections_on(self, gid):
        return [arbor.connection(((gid + CELLS - 1) % CELLS, "detector"), "syn", WEIGHT, q(DELAY, "ms"))]

    def event_generators(self, gid):
        if gid != 0:
            return []
        return [arbor.event_generator("syn", WEIGHT, arbor.explicit_schedule([q(1, "ms")]))]

    def global_properties(self, kind):
        return props


recipe = Ring()
# All cells of a rank in one cell group (compiled catalogues do not need it, live ones do).
hints = {arbor.cell_kind.cable: arbor.partition_hint(cpu_group_size=CELLS)}
sim = arbor.simulation(recipe, context, arbor.partition_load_balance(recipe, context, hints))
# Every cell of the ring has an outgoing connection, so spike_recording.all sees all spikes on
# every version (0.12 drops only those of unconnected cells).
sim.record(arbor.spike_recording.all)
sim.run(q(100, "ms"), q(0.025, "ms"))
if context.rank == 0:
    spikes = sorted((float(t), int(gid), int(i)) for (gid, i), t in sim.spikes())
    print(json.dumps({"ranks": context.ranks, "spikes": [{"gid": g, "index": i, "time": t} for t, g, i in spikes]}))
if mpi:
    arbor.mpi_finalize()  # otherwise mpirun exits with 1 ("called init but exited without finalize")
