"""The script of tests/nmodl_arbor_test.ts: `denocat run <imported hh.ts> imported_hh.py`.

Runs the mechanism that denocat's NMODL importer made of hh.mod in real Arbor on one
compartment, under the prefix "imported_" so that it cannot be confused with Arbor's builtin hh,
and prints the voltage trace as one line "result <json>".
"""
import json
import os
import sys

import arbor
import denocat

sys.path.insert(1, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "examples", "python"))
from common import OneCell, simulate, soma_cell  # noqa: E402


class Imported(OneCell):
    # Not OneCell.__init__: it extends the properties under the mechanisms' own names, and Arbor
    # refuses a second "hh" beside its builtin one ("mechanism hh already exists").
    def __init__(self, cell, catalogue):
        arbor.recipe.__init__(self)
        self.cell = cell
        self.props = arbor.neuron_cable_properties()
        self.props.catalogue.extend(catalogue, "imported_")


cell = soma_cell([('"soma"', "imported_hh")], vm=-60.0)
times, voltages, _ = simulate(Imported(cell, denocat.catalogue()), denocat.context(), 20.0)
print("result", json.dumps({"t": times, "v": voltages}))
