"""arbor_pycat's Hodgkin-Huxley example (custom_hh) as a Python script whose mechanism is
TypeScript:

    denocat run examples/pycat/custom_hh.ts examples/python/hh.py [--tfinal 200]

The mechanism (examples/pycat/custom_hh.ts) brings its own stimulus: 0.05 mA/cm² during the last
5 ms of every 100 ms, so the cell fires once shortly after 95 ms, 195 ms, ...
"""
import argparse
import json

import denocat
from common import OneCell, simulate, soma_cell

parser = argparse.ArgumentParser(description="custom_hh, with its built-in periodic stimulus")
parser.add_argument("--tfinal", type=float, default=200.0, help="simulated time (ms)")
args = parser.parse_args()

cat = denocat.catalogue()
cell = soma_cell([('"soma"', "custom_hh")], vm=-65.0, detector=-10.0)
times, voltages, spikes = simulate(OneCell(cell, cat), denocat.context(), args.tfinal)
for time, gid in spikes:
    print("spike of cell %d at %.3f ms" % (gid, time))
print("result", json.dumps({"spikes": [time for time, _ in spikes], "v_max": max(voltages)}))
