"""What the example scripts share: one-compartment cells in a recipe, written for Arbor 0.9 to 0.12.

The differences between those versions are the ones arbor/mod.ts's helpers cover: unit quantities
from 0.10 (arbor.units), probe tags from 0.10, the CV policy and iclamp/i_clamp. The scripts
import this file as a plain module: denocat run puts the script's folder first on sys.path, as
python3 does.
"""
import arbor

MINOR = int(arbor.__version__.split(".")[1])
U = getattr(arbor, "units", None)  # Arbor >= 0.10


def q(value, unit):
    """value * arbor.units.<unit> on Arbor >= 0.10, the plain number on 0.9."""
    return value if U is None else value * getattr(U, unit)


def soma_cell(paint, vm=-65.0, detector=None):
    """A 6 µm long, 3 µm radius cylinder ("soma", one CV) with `paint` as [(region, mechanism name)],
    and a threshold detector at `detector` mV when given."""
    tree = arbor.segment_tree()
    tree.append(arbor.mnpos, arbor.mpoint(-3, 0, 0, 3), arbor.mpoint(3, 0, 0, 3), tag=1)
    labels = arbor.label_dict({"soma": "(tag 1)", "dend": "(tag 1)", "midpoint": "(location 0 0.5)"})
    decor = arbor.decor()
    decor = decor.set_property(Vm=q(vm, "mV"))  # paint/place return a copy: keep it
    for region, name in paint:
        decor = decor.paint(region, arbor.density(name))
    if detector is not None:
        decor = decor.place('"midpoint"', arbor.threshold_detector(q(detector, "mV")), "detector")
    return arbor.cable_cell(arbor.morphology(tree), decor, labels)


class OneCell(arbor.recipe):
    """One cell with the catalogue's mechanisms in its properties and a voltage probe "Um"."""

    def __init__(self, cell, catalogue):
        arbor.recipe.__init__(self)
        self.cell = cell
        self.props = arbor.neuron_cable_properties()
        self.props.catalogue.extend(catalogue, "")  # the TypeScript mechanisms under their own names

    def num_cells(self):
        return 1

    def cell_kind(self, gid):
        return arbor.cell_kind.cable

    def cell_description(self, gid):
        return self.cell

    def probes(self, gid):
        probe = arbor.cable_probe_membrane_voltage('"midpoint"', *(["Um"] if U is not None else []))
        return [probe]

    def global_properties(self, kind):
        return self.props


def simulate(recipe, context, tfinal, dt=0.025):
    """Runs the recipe for tfinal ms; returns (times, voltages) of the probe, sampled every step,
    and the spikes as (time, gid) pairs."""
    sim = arbor.simulation(recipe, context)
    sim.record(arbor.spike_recording.local if MINOR >= 12 else arbor.spike_recording.all)
    handle = sim.sample((0, "Um" if U is not None else 0), arbor.regular_schedule(q(dt, "ms")))
    sim.run(q(tfinal, "ms"), q(dt, "ms"))
    data = sim.samples(handle)[0][0]
    rows = data.shape[0]
    times = [float(data[k, 0]) for k in range(rows)]
    voltages = [float(data[k, 1]) for k in range(rows)]
    spikes = [(float(time), int(gid)) for (gid, _index), time in sim.spikes()]
    return times, voltages, spikes
