"""The stand-in's simulation: one-CV cable cells driven through the catalogues' C interface.

Per cell group and mechanism one ppack, as Arbor's cable cell groups have; the one-CV update,
clamp, event and detector rules of denocat's native host (c/host.c): events are delivered at the
start of the step that contains their time, before compute_currents; point mechanisms get the
weight 1000/area. Spikes are exchanged between epochs of the minimal connection delay; over MPI
ranks (DENOCAT_STANDIN_MPI=mpi4py) with MPI_Allgather.
"""
import ctypes as C
import math
import threading
from array import array

from arbor_abi import (arb_deliverable_event_data, arb_deliverable_event_stream, arb_ion_info_v07,
                       arb_ion_state_v07, arb_mechanism_ppack, f64p, i32p)

from . import (_AREA, _MINOR, _MPI, _UNITS, _clamp, _log, _num,
               cell_kind, density, partition_load_balance, synapse, threshold_detector)
from . import context as _context

_KIND_POINT = 1


# neuron_cable_properties' ion defaults: valence, Xi, Xo, eX.
_IONS = {"na": (1, 10.0, 140.0, 50.0), "k": (1, 54.4, 2.5, -77.0),
         "ca": (2, 5e-5, 2.0, 12.5 * math.log(2 / 5e-5))}


def _items(cell, kind):
    return [it for it in cell.decor.items if it[0] == "place" and isinstance(it[2], kind)]


class _Group:
    def __init__(self, gids, cells, mechanisms):
        self.gids = list(gids)
        n = len(gids)
        self.v = (C.c_double * n)(*[c.decor.defaults.get("Vm", -65.0) for c in cells])
        self.i, self.g = (C.c_double * n)(), (C.c_double * n)()
        self.cm = [c.decor.defaults.get("cm", 0.01) for c in cells]
        self.stimuli = [[it[2] for it in _items(c, _clamp)] for c in cells]
        self.detectors = [[it[2].threshold for it in _items(c, threshold_detector)] for c in cells]
        self.keep, self.instances, self.targets, self.ions = [], [], {}, {}
        self.pending = []  # (time, instance, mech_index, weight)
        for name in self._names(cells):
            if name not in mechanisms:
                continue  # a builtin: not simulated by the stand-in
            t, iface = mechanisms[name]
            if t.kind == _KIND_POINT:
                members = [(k, it) for k, c in enumerate(cells) for it in _items(c, synapse) if it[2].name == name]
            else:
                members = [(k, it) for k, c in enumerate(cells) for it in c.decor.items
                           if it[0] == "paint" and isinstance(it[2], density) and it[2].name == name]
            slot = len(self.instances)
            for index, (k, it) in enumerate(members):
                if t.kind == _KIND_POINT:
                    self.targets.setdefault((self.gids[k], it[3]), (slot, index))
            self.instances.append(self._ppack(t, iface, members))

    @staticmethod
    def _names(cells):
        names = []
        for c in cells:
            for it in c.decor.items:
                if isinstance(it[2], density) and it[2].name not in names:
                    names.append(it[2].name)
        return names

    def _doubles(self, values):
        array_ = (C.c_double * max(len(values), 1))(*values)
        self.keep.append(array_)
        return array_

    def _ion(self, name):
        if name not in self.ions:
            if _MINOR < 11:
                raise NotImplementedError("the stand-in provides ion states for ABI 0.7 (Arbor 0.11+) only")
            valence, xi, xo, e = _IONS[name]
            n = len(self.gids)
            self.ions[name] = [self._doubles([0.0] * n), self._doubles([e] * n), self._doubles([xi] * n),
                               self._doubles([xo] * n), self._doubles([xi] * n), self._doubles([valence])]
        return self.ions[name]

    def _ppack(self, t, iface, members):
        w = len(members)
        point = t.kind == _KIND_POINT
        pp = C.cast(self._doubles([0.0] * 28), C.POINTER(arb_mechanism_ppack)).contents  # zeroed, kept alive
        pp.width = w
        pp.vec_v, pp.vec_i, pp.vec_g = C.cast(self.v, f64p), C.cast(self.i, f64p), C.cast(self.g, f64p)
        node = (C.c_int * max(w, 1))(*[k for k, _ in members])
        self.keep.append(node)
        pp.node_index = C.cast(node, i32p)
        pp.weight = C.cast(self._doubles([1000.0 / _AREA if point else 1.0] * w), f64p)
        pp.temperature_degC = C.cast(self._doubles([6.3] * w), f64p)
        pp.diam_um = C.cast(self._doubles([6.0] * w), f64p)
        pp.area_um2 = C.cast(self._doubles([_AREA] * w), f64p)
        tables = []
        for section, count in ((t.parameters, t.n_parameters), (t.state_vars, t.n_state_vars)):
            columns = []
            for k in range(count):
                field = section[k].name.decode()
                values = [it[2].params.get(field, section[k].default_value) for _, it in members]
                columns.append(C.cast(self._doubles(values), f64p))
            table = (f64p * max(count, 1))(*columns)
            self.keep.append(table)
            tables.append(C.cast(table, C.POINTER(f64p)))
        pp.parameters, pp.state_vars = tables
        pp.globals = C.cast(self._doubles([t.globals[k].default_value for k in range(t.n_globals)]), f64p)
        if t.n_ions:
            infos = C.cast(t.ions, C.POINTER(arb_ion_info_v07))
            states = (arb_ion_state_v07 * t.n_ions)()
            for k in range(t.n_ions):
                arrays = self._ion(infos[k].name.decode())
                index = (C.c_int * max(w, 1))(*[m for m, _ in members])
                self.keep.append(index)
                states[k] = arb_ion_state_v07(*[C.cast(a, f64p) for a in arrays], C.cast(index, i32p))
            self.keep.append(states)
            pp.ion_states = C.addressof(states)
        return (pp, iface)

    def init(self):
        for pp, iface in self.instances:
            pp.dt = 0.0
            iface.init_mechanism(C.addressof(pp))

    def step(self, t, dt, spikes):
        n = len(self.gids)
        for k in range(n):
            self.i[k] = self.g[k] = 0.0
        for arrays in self.ions.values():
            for k in range(n):
                arrays[0][k] = 0.0
        due = [e for e in self.pending if e[0] < t + dt]
        self.pending = [e for e in self.pending if e[0] >= t + dt]
        due.sort(key=lambda e: (e[1], e[2], e[0], e[3]))
        for slot, (pp, iface) in enumerate(self.instances):
            pp.dt = dt
            mine = [e for e in due if e[1] == slot]
            if mine:
                data = (arb_deliverable_event_data * len(mine))(*[arb_deliverable_event_data(e[2], e[3]) for e in mine])
                stream = arb_deliverable_event_stream(C.addressof(data), C.addressof(data) + C.sizeof(data))
                iface.apply_events(C.addressof(pp), C.addressof(stream))
            iface.compute_currents(C.addressof(pp))
        for k in range(n):
            stim = sum(s.current for s in self.stimuli[k] if s.tstart <= t < s.tstart + s.duration)
            current = self.i[k] - stim * 1e3 / _AREA
            before = self.v[k]
            # One isolated CV, linearised implicit Euler (as denocat's native host, c/host.c).
            self.v[k] = after = before - current / (self.cm[k] / dt + self.g[k])
            for index, threshold in enumerate(self.detectors[k]):
                if before < threshold <= after:
                    spikes.append(((self.gids[k], index), t + dt * (threshold - before) / (after - before)))
        for pp, iface in self.instances:
            iface.advance_state(C.addressof(pp))


class simulation:
    def __init__(self, recipe, context=None, domains=None, seed=0):
        self.context = context if context is not None else _context()
        self.domains = domains if domains is not None else partition_load_balance(recipe, self.context)
        _log("simulation", [g.gids for g in self.domains.groups])
        props = recipe.global_properties(cell_kind.cable)
        mechanisms = props.catalogue.mechanisms if props is not None else {}
        self.sources, self.connections = set(), []
        for gid in range(recipe.num_cells()):
            for c in recipe.connections_on(gid):
                self.sources.add(c.source[0])
                self.connections.append((c.source[0], gid, c.dest, c.weight, c.delay))
        self.min_delay = min([c[4] for c in self.connections], default=math.inf)
        self.probes, self.groups, self.by_gid = {}, [], {}
        for g in self.domains.groups:
            cells = [recipe.cell_description(gid) for gid in g.gids]
            for gid in g.gids:
                self.probes[gid] = list(recipe.probes(gid))
            group = _Group(g.gids, cells, mechanisms)
            for gid in g.gids:
                self.by_gid[gid] = group
                for generator in recipe.event_generators(gid):
                    for time in generator.sched.times:
                        self._event(gid, generator.target, time, generator.weight)
            self.groups.append(group)
        self.t, self.steps, self.policy, self.spike_record, self.samplers = 0.0, 0, "off", [], []
        for group in self.groups:
            group.init()

    def _event(self, gid, label, time, weight):
        group = self.by_gid[gid]
        target = group.targets.get((gid, label))
        if target is not None:
            group.pending.append((time, target[0], target[1], weight))

    def record(self, policy):
        self.policy = policy

    def sample(self, address, sched):
        gid, which = address
        if _UNITS and not isinstance(which, str):
            raise TypeError("sample: (gid, tag) expected on this Arbor")
        probes = self.probes[gid]
        index = [k for k, p in enumerate(probes) if p.tag == which][0] if _UNITS else which
        self.samplers.append((gid, index, sched.dt, []))
        return len(self.samplers) - 1

    def samples(self, handle):
        rows = self.samplers[handle][3]
        flat = array("d", [x for row in rows for x in row])
        return [(memoryview(flat).cast("B").cast("d", [len(rows), 2]), "meta")]

    def _sample(self):
        for gid, index, every, rows in self.samplers:
            if gid in self.by_gid and abs(self.t / every - round(self.t / every)) < 1e-9:
                group = self.by_gid[gid]
                rows.append((self.t, group.v[group.gids.index(gid)]))

    def _exchange(self, local):
        mpi = getattr(self.context, "mpi", None)
        if mpi is None or self.context.ranks == 1:
            return list(local)
        if _MPI != "mpi4py":
            raise RuntimeError("the stand-in exchanges spikes between ranks only with DENOCAT_STANDIN_MPI=mpi4py")
        return [s for part in mpi.comm.allgather(local) for s in part]

    def run(self, tfinal, dt=None):
        tfinal = _num(tfinal, "ms", "tfinal")
        dt = 0.025 if dt is None else _num(dt, "ms", "dt")
        threads = max(1, self.context.threads)
        while self.t < tfinal - 1e-9:
            epoch_end = min(tfinal, self.t + self.min_delay)
            local = []
            lanes = [[] for _ in range(threads)]

            def work(lane, t):
                for k, group in enumerate(self.groups):
                    if k % threads == lane:
                        group.step(t, dt, lanes[lane])

            while self.t < epoch_end - 1e-9:
                self._sample()
                workers = [threading.Thread(target=work, args=(lane, self.t)) for lane in range(1, threads)]
                for w in workers:
                    w.start()
                work(0, self.t)
                for w in workers:
                    w.join()
                # Times are counted in steps, so that event times on the grid stay on it.
                self.steps += 1
                self.t = self.steps * dt
            for lane in lanes:
                local.extend(lane)
            everyone = self._exchange(local)
            for (source, _index), time in everyone:
                for src, target, label, weight, delay in self.connections:
                    if src == source and target in self.by_gid:
                        self._event(target, label, time + delay, weight)
            if self.policy == "local":
                self.spike_record.extend(sorted(local, key=lambda s: (s[1], s[0])))
            elif self.policy == "all":
                kept = [s for s in everyone if _MINOR < 12 or s[0][0] in self.sources]
                self.spike_record.extend(sorted(kept, key=lambda s: (s[1], s[0])))
        return self.t

    def spikes(self):
        return list(self.spike_record)
