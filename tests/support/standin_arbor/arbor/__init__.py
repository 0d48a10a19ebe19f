"""A stand-in for Arbor's Python module, for denocat's tests (real Arbor is not installable here).

Its API has the shape of one Arbor version, chosen by DENOCAT_STANDIN_ARBOR (default 0.11.0),
as read from Arbor's python/*.cpp at v0.9.0, v0.10.0, v0.11.0 and master (0.12):
  - 0.9: plain numbers, no arbor.units, no probe tags, decor.discretization, arbor.iclamp;
  - 0.10: arbor.units quantities everywhere, probe tags, (gid, tag) sampling;
  - 0.11: the CV policy moves from the decor to cable_cell(..., discretization=);
  - 0.12: arbor.i_clamp replaces arbor.iclamp, and decor.place(locset, i_clamp) takes no label;
    spike_recording.all misses cells without outgoing connections.
Calls that do not fit the version's shape raise TypeError, as pybind11 does.

What it simulates, for real: every cable cell is one CV (area from DENOCAT_STANDIN_AREA, µm²)
driven by the mechanisms of catalogues loaded with load_catalogue, through the catalogue's own
interface functions (ctypes), one ppack per mechanism per cell group, with Arbor's one-CV
voltage update. Cell groups come from the domain decomposition; with context(threads=N) groups
run on N threads (group k on thread k % N, thread 0 the caller's), as Arbor's thread pool does.
Synapses of loaded catalogues get events from event generators and from connections (spikes
cross ranks in epochs of the minimal delay, as in Arbor); ion states (na, k, ca with
neuron_cable_properties' defaults) are provided for ABI 0.7 (0.11, 0.12) only. Builtin
mechanisms are not simulated.

DENOCAT_STANDIN_MPI=1 adds the MPI API (mpi_init, mpi_finalize, mpi_comm, context(mpi=)) and
config()["mpi"] = True; rank and size come from Open MPI's environment, and with
DENOCAT_STANDIN_MPI=mpi4py spikes are gathered over ranks through mpi4py (real MPI).
DENOCAT_STANDIN_LOG names a file that MPI init/finalize calls are appended to.
"""
import copy as _copy
import ctypes as _C
import os as _os
import threading as _threading
from array import array as _array
from types import SimpleNamespace as _NS

from arbor_abi import arb_mechanism

__version__ = _os.environ.get("DENOCAT_STANDIN_ARBOR", "0.11.0")
_MINOR = int(__version__.split(".")[1])
_UNITS = _MINOR >= 10
_MPI = _os.environ.get("DENOCAT_STANDIN_MPI", "")
_AREA = float(_os.environ.get("DENOCAT_STANDIN_AREA", "113.09733552923255"))
calls = []  # what the helpers called, for the tests


def _log(*entry):
    calls.append(entry)


# ------------------------------------------------------------------------------------------
# Units (0.10+): a quantity is a value with a product of named units.

class _Quantity:
    def __init__(self, value, dims):
        self.value, self.dims = float(value), dict(dims)

    def _combine(self, other, sign):
        if isinstance(other, _Quantity):
            dims = dict(self.dims)
            for k, e in other.dims.items():
                dims[k] = dims.get(k, 0) + sign * e
            dims = {k: e for k, e in dims.items() if e != 0}
            v = self.value * other.value if sign > 0 else self.value / other.value
            return _Quantity(v, dims)
        if isinstance(other, (int, float)):
            return _Quantity(self.value * other if sign > 0 else self.value / other, self.dims)
        return NotImplemented

    def __mul__(self, other):
        return self._combine(other, 1)

    __rmul__ = __mul__

    def __truediv__(self, other):
        return self._combine(other, -1)

    def __repr__(self):
        return "%g %s" % (self.value, self.dims)


def _dims(text):
    dims = {}
    sign = 1
    for token in text.replace("/", " / ").replace("*", " * ").split():
        if token == "/":
            sign = -1
        elif token == "*":
            sign = 1
        else:
            dims[token] = dims.get(token, 0) + sign
    return dims


if _UNITS:
    units = _NS(**{name: _Quantity(1, {name: 1})
                   for name in ["ms", "s", "mV", "V", "nA", "mM", "kHz", "Hz", "F", "m2", "Ohm",
                                "cm", "K", "Kelvin", "rad", "um", "uS"]})


def _num(x, unit, what):
    """The number Arbor would take for `what` in `unit`: a quantity (0.10+) or a plain number."""
    if _UNITS:
        if not isinstance(x, _Quantity):
            raise TypeError("%s: expected a quantity in %s (Arbor %s), got %r" % (what, unit, __version__, x))
        if x.dims != _dims(unit):
            raise TypeError("%s: expected %s, got %r" % (what, unit, x))
        return x.value
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        raise TypeError("%s: expected a number in %s (Arbor %s has no units), got %r" % (what, unit, __version__, x))
    return float(x)


# ------------------------------------------------------------------------------------------
# Morphology, labels, mechanisms, stimuli

mnpos = 2**32 - 1


class mpoint:
    def __init__(self, x, y, z, radius):
        self.x, self.y, self.z, self.radius = x, y, z, radius


class segment_tree:
    def __init__(self):
        self.segments = []

    def append(self, parent, prox, dist, tag):
        self.segments.append((parent, prox, dist, tag))
        return len(self.segments) - 1


class morphology:
    def __init__(self, tree):
        self.tree = tree


class label_dict:
    def __init__(self, entries=None):
        self.entries = dict(entries or {})


class density:
    def __init__(self, name, params=None):
        self.name, self.params = name, dict(params or {})


class synapse(density):
    pass


class mechanism(density):
    pass


class scaled_mechanism:
    def __init__(self, mech):
        self.mech = mech


class _clamp:
    def __init__(self, tstart, duration, current, *, frequency=None, phase=None):
        self.tstart = _num(tstart, "ms", "tstart")
        self.duration = _num(duration, "ms", "duration")
        self.current = _num(current, "nA", "current")
        if frequency is not None:
            _num(frequency, "kHz", "frequency")


if _MINOR >= 12:
    class i_clamp(_clamp):
        pass
else:
    class iclamp(_clamp):
        pass


class threshold_detector:
    def __init__(self, threshold):
        self.threshold = _num(threshold, "mV", "threshold")


class cv_policy:
    def __init__(self, expression):
        if not isinstance(expression, str):
            raise TypeError("cv_policy(expression: str)")
        self.expression = expression


class decor:
    """paint/place mutate the decor and return a copy of it (pybind11 returns by value); painting a
    scaled mechanism returns None — both as in every version's bindings."""

    def __init__(self):
        self.items = []
        self.defaults = {}

    def _copy(self):
        return _copy.deepcopy(self)

    def paint(self, region, what=None, **props):
        if isinstance(what, scaled_mechanism):
            self.items.append(("paint", region, what.mech))
            return None
        if what is None:
            for name, value in props.items():
                _num(value, _PROPERTY_UNITS[name], name)
            self.items.append(("paint", region, props))
        else:
            if not isinstance(what, density):
                raise TypeError("decor.paint: unsupported %r" % (what,))
            self.items.append(("paint", region, what))
        return self._copy()

    def place(self, locset, what, *rest):
        if isinstance(what, _clamp):
            if _MINOR >= 12 and rest:
                raise TypeError("place(): incompatible function arguments (Arbor 0.12: place(locations, i_clamp))")
            if _MINOR < 12 and len(rest) != 1:
                raise TypeError("place(): incompatible function arguments (place(locations, iclamp, label))")
        elif len(rest) != 1 or not isinstance(rest[0], str):
            raise TypeError("place(): incompatible function arguments (place(locations, item, label))")
        self.items.append(("place", locset, what) + tuple(rest))
        return self._copy()

    def set_property(self, **props):
        for name, value in props.items():
            self.defaults[name] = _num(value, _PROPERTY_UNITS[name], name)
        return self._copy()

    def set_ion(self, ion, **values):
        for name, value in values.items():
            if name in _ION_UNITS:
                _num(value, _ION_UNITS[name], name)
        return self._copy()

    if _MINOR < 11:
        def discretization(self, policy):
            if not isinstance(policy, (cv_policy, str)):
                raise TypeError("discretization(policy)")
            self.policy = policy
            return self._copy()


_PROPERTY_UNITS = {"Vm": "mV", "cm": "F/m2", "rL": "Ohm*cm", "tempK": "K"}
_ION_UNITS = {"int_con": "mM", "ext_con": "mM", "rev_pot": "mV"}


class cable_cell:
    if _MINOR >= 11:
        def __init__(self, morph, dec, labels=None, discretization=None):
            self._init(morph, dec, labels)
            if discretization is not None and not isinstance(discretization, cv_policy):
                raise TypeError("cable_cell: discretization must be an arbor.cv_policy")
            self.policy = discretization
    else:
        def __init__(self, morph, dec, labels=None):
            self._init(morph, dec, labels)
            self.policy = getattr(dec, "policy", None)

    def _init(self, morph, dec, labels):
        if not isinstance(dec, decor):
            raise TypeError("cable_cell: decor expected, got %r" % (dec,))
        self.morphology, self.decor, self.labels = morph, _copy.deepcopy(dec), labels


# ------------------------------------------------------------------------------------------
# Recipes, schedules, connections

class cell_kind:
    cable = "cable"
    spike_source = "spike_source"
    lif = "lif"
    benchmark = "benchmark"


class recipe:
    def __init__(self):
        pass

    def num_cells(self):
        return 0

    def cell_kind(self, gid):
        return cell_kind.cable

    def connections_on(self, gid):
        return []

    def event_generators(self, gid):
        return []

    def probes(self, gid):
        return []

    def global_properties(self, kind):
        return None


class explicit_schedule:
    def __init__(self, times):
        self.times = [_num(t, "ms", "time") for t in times]


class regular_schedule:
    def __init__(self, dt):
        self.dt = _num(dt, "ms", "dt")


class event_generator:
    def __init__(self, target, weight, sched):
        self.target, self.weight, self.sched = target, weight, sched


class connection:
    def __init__(self, source, dest, weight, delay):
        if not isinstance(source, tuple) or len(source) != 2:
            raise TypeError("connection: source is (gid, label)")
        self.source, self.dest, self.weight = source, dest, float(weight)
        self.delay = _num(delay, "ms", "delay")


def _probe(kind, n_args):
    def make(*args):
        want = n_args + (1 if _UNITS else 0)
        if len(args) != want:
            raise TypeError("%s takes %d arguments on Arbor %s, got %d" % (kind, want, __version__, len(args)))
        return _NS(kind=kind, args=args[:n_args], tag=args[n_args] if _UNITS else None)
    return make


cable_probe_membrane_voltage = _probe("cable_probe_membrane_voltage", 1)
cable_probe_ion_int_concentration = _probe("cable_probe_ion_int_concentration", 2)
spike_recording = _NS(off="off", local="local", all="all")


# ------------------------------------------------------------------------------------------
# Catalogues: loaded through the catalogue's own C interface, as Arbor's load_catalogue does
# (the structs are arbor_abi.py's, beside this package).


class catalogue:
    def __init__(self, mechanisms=None):
        self.mechanisms = dict(mechanisms or {})

    def extend(self, other, prefix):
        for name, mech in other.mechanisms.items():
            self.mechanisms[prefix + name] = mech

    def __contains__(self, name):
        return name in self.mechanisms


_libraries = []


def load_catalogue(path):
    _log("load_catalogue", _os.path.basename(path))
    lib = _C.CDLL(path)
    _libraries.append(lib)
    lib.get_catalogue.restype = _C.POINTER(arb_mechanism)
    lib.get_catalogue.argtypes = [_C.POINTER(_C.c_int)]
    count = _C.c_int(0)
    records = lib.get_catalogue(_C.byref(count))
    mechanisms = {}
    for k in range(count.value):
        t = records[k].type()
        mechanisms[t.name.decode()] = (t, records[k].i_cpu().contents)
    return catalogue(mechanisms)


class cable_global_properties:
    def __init__(self):
        self.catalogue = catalogue()

    def set_ion(self, ion, **values):
        for name, value in values.items():
            if name in _ION_UNITS:
                _num(value, _ION_UNITS[name], name)

    def set_property(self, **props):
        for name, value in props.items():
            _num(value, _PROPERTY_UNITS[name], name)


def neuron_cable_properties():
    return cable_global_properties()


# ------------------------------------------------------------------------------------------
# Contexts, MPI, decomposition

_mpi_state = {"init": 0, "finalize": 0}


def _mpi_log(what):
    path = _os.environ.get("DENOCAT_STANDIN_LOG")
    if path:
        with open(path, "a") as f:
            f.write("%s %s\n" % (what, _os.environ.get("OMPI_COMM_WORLD_RANK", "0")))


def config():
    return {"mpi": bool(_MPI), "gpu": None, "version": __version__}


if _MPI:
    def mpi_init():
        if _mpi_state["init"]:
            raise RuntimeError("MPI_Init called twice")
        _mpi_state["init"] += 1
        _mpi_log("init")
        if _MPI == "mpi4py":
            import mpi4py
            mpi4py.rc.initialize = True
            from mpi4py import MPI  # noqa: F401  (MPI_Init happens here)

    def mpi_finalize():
        if not _mpi_state["init"] or _mpi_state["finalize"]:
            raise RuntimeError("MPI_Finalize without MPI_Init, or twice")
        _mpi_state["finalize"] += 1
        _mpi_log("finalize")
        if _MPI == "mpi4py":
            from mpi4py import MPI
            MPI.Finalize()

    def mpi_is_initialized():
        return bool(_mpi_state["init"])

    def mpi_is_finalized():
        return bool(_mpi_state["finalize"])

    class mpi_comm:
        def __init__(self, comm=None):
            if not _mpi_state["init"]:
                raise RuntimeError("mpi_comm before mpi_init")
            if _MPI == "mpi4py":
                from mpi4py import MPI
                self.comm = comm or MPI.COMM_WORLD
                self.rank, self.size = self.comm.Get_rank(), self.comm.Get_size()
            else:
                self.comm = None
                self.rank = int(_os.environ.get("OMPI_COMM_WORLD_RANK", "0"))
                self.size = int(_os.environ.get("OMPI_COMM_WORLD_SIZE", "1"))


class context:
    def __init__(self, threads=1, gpu_id=None, mpi=None):
        if mpi is not None and not _MPI:
            raise TypeError("context: this Arbor was built without MPI")
        _log("context", threads, gpu_id, mpi is not None)
        self.threads, self.mpi = threads, mpi
        self.rank = mpi.rank if mpi is not None else 0
        self.ranks = mpi.size if mpi is not None else 1
        self.has_mpi = mpi is not None


class partition_hint:
    def __init__(self, cpu_group_size=1, gpu_group_size=2**62, prefer_gpu=True):
        self.cpu_group_size = cpu_group_size


class group_description:
    def __init__(self, kind, gids, backend="multicore"):
        self.kind, self.gids, self.backend = kind, list(gids), backend


class domain_decomposition:
    def __init__(self, groups, num_global_cells, domain_id, num_domains):
        self.groups = groups
        self.num_groups = len(groups)
        self.num_local_cells = sum(len(g.gids) for g in groups)
        self.num_global_cells = num_global_cells
        self.domain_id, self.num_domains = domain_id, num_domains


def partition_load_balance(recipe, context, hints=None):
    hints = dict(hints or {})
    n = recipe.num_cells()
    lo, hi = context.rank * n // context.ranks, (context.rank + 1) * n // context.ranks
    groups, by_kind = [], {}
    for gid in range(lo, hi):
        by_kind.setdefault(recipe.cell_kind(gid), []).append(gid)
    for kind, gids in by_kind.items():
        size = hints[kind].cpu_group_size if kind in hints else 1
        for k in range(0, len(gids), size):
            groups.append(group_description(kind, gids[k:k + size]))
    _log("partition_load_balance", n, {k: h.cpu_group_size for k, h in hints.items()})
    return domain_decomposition(groups, n, context.rank, context.ranks)


# ------------------------------------------------------------------------------------------
# The simulation (in _sim.py, which uses the names above)

from ._sim import simulation  # noqa: E402
