# The NEURON child of tests/nmodl_export_test.ts: one NEURON simulation of one compiled mechanism
# library (nrnivmodl's libnrnmech.so). Run with /usr/bin/python3 (Debian's python3-neuron):
#   python3 neuron_child.py <libnrnmech.so> <spec.json>
# spec: {"cases": [{"name": ..., "kind": "density" | "point", "states": [...]}], "tfinal": ms, "dt": ms}
# One cell per case, all in the one simulation: a 20 um x 6 um soma with NEURON's builtin hh (so
# the voltage spikes and sweeps the mechanism's range), a current clamp (5 ms, 25 ms, 0.12 nA), and
# the mechanism inserted (density) or placed at the middle with two NetStims (point: small weights
# early, larger ones later). Tables are switched off (usetable_<name> = 0): the exported file has
# none, and a table is an interpolation, not the equations. Prints one JSON line: per case the time,
# the membrane voltage and every state, sampled each step.
import json
import sys

from neuron import h

library, spec_path = sys.argv[1], sys.argv[2]
with open(spec_path) as f:
    spec = json.load(f)
h.nrn_load_dll(library)

keep = []
recorded = []
for case in spec["cases"]:
    name = case["name"]
    sec = h.Section(name=f"cell_{name}")
    sec.L, sec.diam, sec.nseg = 20, 6, 1
    sec.insert("hh")
    stim = h.IClamp(sec(0.5))
    stim.delay, stim.dur, stim.amp = 5, 25, 0.12
    keep += [sec, stim]
    if hasattr(h, f"usetable_{name}"):
        setattr(h, f"usetable_{name}", 0)
    if case["kind"] == "density":
        sec.insert(name)
        refs = {s: getattr(sec(0.5), f"_ref_{s}_{name}") for s in case["states"]}
    else:
        syn = getattr(h, name)(sec(0.5))
        keep.append(syn)
        for start, interval, number, weight in ((2, 2, 4, 0.0004), (20, 0.5, 2, 0.003)):
            ns = h.NetStim()
            ns.start, ns.interval, ns.number, ns.noise = start, interval, number, 0
            nc = h.NetCon(ns, syn)
            nc.weight[0], nc.delay = weight, 0
            keep += [ns, nc]
        refs = {s: getattr(syn, f"_ref_{s}") for s in case["states"]}
    vectors = {"v": h.Vector().record(sec(0.5)._ref_v)}
    for s, ref in refs.items():
        vectors[s] = h.Vector().record(ref)
    recorded.append((case["name"], vectors))
time = h.Vector().record(h._ref_t)

h.dt = spec["dt"]
h.finitialize(-65)
while h.t < spec["tfinal"] - spec["dt"] / 2:
    h.fadvance()

print(json.dumps({
    "time": list(time),
    "cases": {name: {k: list(v) for k, v in vectors.items()} for name, vectors in recorded},
}))
