"""The script of tests/nmodl_arbor_test.ts: `denocat run <imported hh.ts> imported_hh.py`.

Runs the mechanism that denocat's NMODL importer made of hh.mod in Arbor (here the stand-in
arbor) on one compartment, under the prefix "imported_" so that it cannot be confused with
Arbor's builtin hh, and prints the voltage trace as one line "result <json>".
"""
import json
import os
import sys

import denocat

sys.path.insert(1, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "examples", "python"))
from common import OneCell, simulate, soma_cell  # noqa: E402


class Imported(OneCell):
    def __init__(self, cell, catalogue):
        OneCell.__init__(self, cell, catalogue)
        self.props = __import__("arbor").neuron_cable_properties()
        self.props.catalogue.extend(catalogue, "imported_")


cell = soma_cell([('"soma"', "imported_hh")], vm=-60.0)
times, voltages, _ = simulate(Imported(cell, denocat.catalogue()), denocat.context(), 20.0)
print("result", json.dumps({"t": times, "v": voltages}))
