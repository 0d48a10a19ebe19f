"""arbor_pycat's README example (ExampleMech on the soma, Passive on the dendrite), as a Python
script whose mechanisms are TypeScript:

    denocat run examples/python/mechanisms.ts examples/python/example_mech.py

pycat's lines, with only the import changed: `cat = arbor_pycat.build()` is `denocat.build()`,
then `props.catalogue.extend(cat, '')`. ExampleMech needs the calcium ion, which
neuron_cable_properties has on every Arbor denocat supports: this runs on Arbor 0.9 to 0.12
(tests/cli_test.ts runs it in each real Arbor present). Both regions are the one compartment of
common.soma_cell here, so both mechanisms act on it: `example` pulls v towards -x (x, y rotate
with period 2π ms), `passive` towards 0 mV.
"""
import json

import denocat
from common import OneCell, simulate, soma_cell

cat = denocat.build()
print("mechanisms:", ", ".join(denocat.mechanisms))
cell = soma_cell([('"soma"', "example"), ('"dend"', "passive")])
times, voltages, _ = simulate(OneCell(cell, cat), denocat.context(), 10.0)
print("v(%g ms) = %.6f mV" % (times[-1], voltages[-1]))
print("result", json.dumps({"t": times, "v": voltages}))
