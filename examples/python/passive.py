"""arbor_pycat's Passive example as a Python script whose mechanism is TypeScript:

    denocat run examples/pycat/passive.ts examples/python/passive.py [tfinal_ms]

With arbor_pycat the mechanism was a Python class and `cat = arbor_pycat.build()`; here it is
examples/pycat/passive.ts and `cat = denocat.build()`. The rest is plain Arbor.

One compartment at -65 mV with only the leak `passive` (i = 1e-2 A/m² per mV, towards 0 mV) and
cm = 0.01 F/m²: v relaxes to 0 mV with the time constant cm / g = 0.01 / 10 s = 1 ms, in steps
of Arbor's implicit Euler: v(n dt) = -65 mV / (1 + dt / 1 ms)^n.
"""
import json
import math
import sys

import denocat
from common import OneCell, simulate, soma_cell

tfinal = float(sys.argv[1]) if len(sys.argv) > 1 else 5.0
cat = denocat.build()  # arbor_pycat: cat = arbor_pycat.build()
recipe = OneCell(soma_cell([('"soma"', "passive")]), cat)
dt = 0.025
times, voltages, _ = simulate(recipe, denocat.context(), tfinal, dt)

expected = -65.0 / (1 + dt / 1.0) ** round(times[-1] / dt)
print("v(%g ms) = %.6f mV; implicit Euler with a 1 ms time constant: %.6f mV (exact: %.6f mV)"
      % (times[-1], voltages[-1], expected, -65.0 * math.exp(-times[-1])))
print("result", json.dumps({"t": times[-1], "v": voltages[-1], "expected": expected}))
