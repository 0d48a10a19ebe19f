// The embedded CPython bridge (ffi/python/mod.ts) against the machine's real libpython, no Arbor:
// reference counts and garbage collection of proxies, the GIL from other Python threads, library
// and sys.path discovery, and an end-to-end run of the exact path Arbor takes into a denocat
// catalogue, driven from Python with ctypes.
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { catalogue, defineMechanism } from "../mod.ts";
import { kw, loadPython, type PyObject, tuple } from "../ffi/python/mod.ts";

const SUPPORT = fileURLToPath(new URL("./support", import.meta.url));

const py = loadPython();
const sys = py.import("sys");
const refcount = (o: PyObject) => sys.callMethod("getrefcount", o).toJS() as number;

Deno.test("python: no reference leaks over 100k calls and 100k callbacks", () => {
  const pending = py.pendingJsErrors;
  const obj = py.eval("object()");
  const identity = py.eval("lambda x: [x]");
  const base = refcount(obj);
  for (let k = 0; k < 100_000; k++) {
    using _r = identity.call(obj, kw({}));
  }
  assert.equal(refcount(obj), base, "JS → Python calls");
  const cb = py.callable((x: PyObject) => x);
  const loop = py.eval("lambda f, o: all(f(o) is o for _ in range(100000))");
  assert.equal(loop.call(cb, obj).toJS(), true);
  assert.equal(refcount(obj), base, "Python → JS callbacks");
  // Conversions of containers release every element.
  const s = py.toPython("shared");
  const before = refcount(s);
  for (let k = 0; k < 10_000; k++) {
    using l = py.toPython([s, { key: s }, tuple([s])]);
    l.toJS();
  }
  assert.equal(refcount(s), before, "containers");
  // JS functions are forgotten when Python drops them.
  const live = py.liveJsFunctions;
  for (let k = 0; k < 1000; k++) py.callable(() => k).dispose();
  assert.equal(py.liveJsFunctions, live);
  // A JS error raised through Python and back leaves nothing behind.
  const error = new Error("round trip");
  const thrower = py.callable(() => {
    throw error;
  });
  for (let k = 0; k < 1000; k++) assert.throws(() => thrower.call(), (e: unknown) => e === error);
  assert.equal(py.pendingJsErrors, pending);
});

Deno.test("python: proxies left to the garbage collector are released", async () => {
  const obj = py.eval("object()");
  const base = refcount(obj);
  const make = () => {
    for (let k = 0; k < 2000; k++) py.toPython([obj]);
  };
  make();
  assert.ok(refcount(obj) > base);
  // deno-lint-ignore no-explicit-any
  const gc = (globalThis as any).gc as (() => void) | undefined;
  for (let round = 0; round < 50 && refcount(obj) > base; round++) {
    gc?.();
    // Allocate to encourage a collection when --expose-gc is not set.
    const junk: unknown[] = [];
    for (let k = 0; k < 20_000; k++) junk.push({ k });
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  console.log(`  refcount after GC: ${refcount(obj)} (base ${base})`);
  assert.ok(refcount(obj) < base + 2000, "the finalization registry released proxies");
});

Deno.test("python: a JS function called from another Python thread raises instead of crashing", () => {
  let calls = 0;
  const f = py.callable(() => ++calls);
  const result = py.exec(
    `
import threading
out = []
def target():
    try:
        f()
        out.append("ran")
    except RuntimeError as e:
        out.append(str(e))
t = threading.Thread(target=target)
t.start()
t.join()
`,
    py.toPython({ f }),
  );
  assert.equal(calls, 0);
  // A thread the script started: the advice is the caller's thread, not Arbor's thread count.
  assert.match(
    result.item("out").item(0).toJS() as string,
    /called from the Python thread 'Thread-1 \(target\)'; JavaScript runs on the main thread only/,
  );
  assert.equal(f.call().toJS(), 1); // still fine on this thread
});

Deno.test("python: end to end: a ctypes driver calls the catalogue as Arbor does, TS hooks run", async () => {
  const log: string[] = [];
  const math = py.import("math");
  const mech = defineMechanism(
    {
      name: "e2e_leak",
      kind: "density",
      parameters: { gbar: { unit: "S/cm2", default: 0.001 }, erev: { unit: "mV", default: -70 } },
      states: { s: { unit: "1", default: 0 } },
    },
    {
      init(pp: never) {
        const p = pp as unknown as { width: number; v: Float64Array; nodeIndex: Int32Array; s: Float64Array };
        log.push("init");
        for (let k = 0; k < p.width; k++) p.s[k] = 2 * p.v[p.nodeIndex[k]];
      },
      computeCurrents(pp: never) {
        const p = pp as unknown as {
          width: number;
          v: Float64Array;
          i: Float64Array;
          g: Float64Array;
          nodeIndex: Int32Array;
          weight: Float64Array;
          gbar: Float64Array;
          erev: Float64Array;
          s: Float64Array;
        };
        // Python is in a foreign call (ctypes released the GIL): calling it back takes the GIL.
        const e = math.callMethod("exp", 0).toJS() as number;
        log.push("compute_currents");
        for (let k = 0; k < p.width; k++) {
          const node = p.nodeIndex[k];
          const scale = 10 * p.weight[k] * e;
          p.i[node] += scale * p.gbar[k] * (p.v[node] - p.erev[k]);
          p.g[node] += scale * p.gbar[k];
          p.s[k] += 1;
        }
      },
    },
  );
  const cat = await catalogue({ mechanisms: [mech] });
  try {
    const out = py.exec(E2E_DRIVER, py.toPython({ path: cat.path, support: SUPPORT })).item("result")
      .toJS() as Record<
        string,
        unknown
      >;
    assert.equal(out.count, 1);
    assert.equal(out.name, "e2e_leak");
    assert.equal(out.kind, 2);
    assert.equal(out.abi_version, 0);
    assert.deepEqual(out.parameters, [["gbar", "S/cm2", 0.001], ["erev", "mV", -70]]);
    assert.deepEqual(out.states, ["s"]);
    assert.equal(out.backend, 1);
    assert.equal(out.gpu_is_null, true);
    const v = -65, w = 0.5, gbar = 0.002, erev = -70;
    assert.ok(Math.abs((out.i as number) - (0.25 + 10 * w * gbar * (v - erev))) < 1e-15, `i = ${out.i}`);
    assert.ok(Math.abs((out.g as number) - (0.125 + 10 * w * gbar)) < 1e-15, `g = ${out.g}`);
    assert.equal(out.s, 2 * v + 1);
    assert.deepEqual(log, ["init", "init", "compute_currents"]);
    cat.throwIfFailed();
  } finally {
    cat.close();
  }
});

Deno.test("python: library discovery, PYTHONPATH, VIRTUAL_ENV and extra paths (subprocess)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "denocat-py-" });
  try {
    const pythonVersion = (py.eval("'%d.%d' % __import__('sys').version_info[:2]").toJS()) as string;
    const fromPath = join(dir, "pp");
    const venv = join(dir, "venv");
    const venvSite = join(venv, "lib", `python${pythonVersion}`, "site-packages");
    const extra = join(dir, "extra");
    for (const [folder, module] of [[fromPath, "mod_pp"], [venvSite, "mod_venv"], [extra, "mod_extra"]]) {
      await Deno.mkdir(folder, { recursive: true });
      await Deno.writeTextFile(join(folder, `${module}.py`), `WHERE = ${JSON.stringify(module)}\n`);
    }
    const bridge = new URL("../ffi/python/mod.ts", import.meta.url).href;
    const script = join(dir, "child.ts");
    await Deno.writeTextFile(
      script,
      `import { loadPython } from ${JSON.stringify(bridge)};
const py = loadPython({ paths: [${JSON.stringify(extra)}] });
const path = py.import("sys").get("path").toJS() as string[];
console.log(JSON.stringify({
  modules: ["mod_pp", "mod_venv", "mod_extra"].map((m) => py.import(m).get("WHERE").toJS()),
  first: path[0],
  library: py.libraryPath,
}));`,
    );
    const run = (env: Record<string, string>) =>
      new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", "--no-lock", script],
        env,
        stdout: "piped",
        stderr: "piped",
      }).output();
    const ok = await run({ PYTHONPATH: fromPath, VIRTUAL_ENV: venv });
    const text = new TextDecoder().decode(ok.stdout);
    assert.ok(ok.success, new TextDecoder().decode(ok.stderr));
    const report = JSON.parse(text);
    assert.deepEqual(report.modules, ["mod_pp", "mod_venv", "mod_extra"]);
    assert.equal(report.first, extra);
    assert.match(report.library, /libpython3\.\d+/);
    // An explicit library path that does not exist: a clear error naming it.
    const bad = await run({ DENOCAT_PYTHON: join(dir, "nope.so") });
    assert.ok(!bad.success);
    assert.match(
      new TextDecoder().decode(bad.stderr),
      /DENOCAT_PYTHON=.*nope\.so does not name a readable file/,
    );
    // A file that is not a library at all: refused before dlopen, naming it.
    const notLib = join(dir, "libpython3.99.so");
    await Deno.writeTextFile(notLib, "not a library");
    const wrong = await run({ DENOCAT_PYTHON: notLib });
    assert.ok(!wrong.success);
    assert.match(
      new TextDecoder().decode(wrong.stderr),
      /libpython3\.99\.so cannot be loaded: it is not a shared library/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** The Python side of the end-to-end test: Arbor's load_catalogue and one CPU step, in ctypes. */
const E2E_DRIVER = `
import ctypes as C
import sys

# The one ctypes mirror of c/arbor_abi.h (tests/mirrors_test.ts checks it). The folder leaves sys.path
# again: it holds the test helpers' other Python files, which later imports in this process must not find.
sys.path.insert(0, support)
try:
    from arbor_abi import arb_mechanism, arb_mechanism_ppack as PPack, f64p as D, i32p as I
finally:
    sys.path.remove(support)

lib = C.CDLL(path)  # what Arbor's load_catalogue does: dlopen by path
lib.get_catalogue.restype = C.POINTER(arb_mechanism)
lib.get_catalogue.argtypes = [C.POINTER(C.c_int)]
count = C.c_int(-1)
records = lib.get_catalogue(C.byref(count))
record = records[0]
t = record.type()
cpu = record.i_cpu()
gpu = record.i_gpu()
iface = cpu.contents

def doubles(*values):
    return (C.c_double * len(values))(*values)

v, i, g = doubles(-65.0), doubles(0.25), doubles(0.125)  # other mechanisms already contributed
gbar, erev = doubles(0.002), doubles(-70.0)
s = doubles(t.state_vars[0].default_value)
pp = PPack()
pp.width = 1
pp.dt = 0.0  # meaningless during init, as in Arbor
pp.vec_v, pp.vec_i, pp.vec_g = C.cast(v, D), C.cast(i, D), C.cast(g, D)
temperature, diam, area = doubles(6.3), doubles(6.0), doubles(113.1)
pp.temperature_degC, pp.diam_um, pp.area_um2 = C.cast(temperature, D), C.cast(diam, D), C.cast(area, D)
node_index = (C.c_int * 1)(0)
pp.node_index = C.cast(node_index, I)
weight = doubles(0.5)
pp.weight = C.cast(weight, D)
parameters = (D * 2)(C.cast(gbar, D), C.cast(erev, D))
states = (D * 1)(C.cast(s, D))
pp.parameters = C.cast(parameters, C.POINTER(D))
pp.state_vars = C.cast(states, C.POINTER(D))

iface.init_mechanism(C.addressof(pp))
iface.init_mechanism(C.addressof(pp))  # Arbor initialises twice per reset
pp.dt = 0.025
iface.compute_currents(C.addressof(pp))

result = {
    "count": count.value,
    "name": t.name.decode(),
    "kind": t.kind,
    "abi_version": t.abi_version,
    "parameters": [[t.parameters[k].name.decode(), t.parameters[k].unit.decode(), t.parameters[k].default_value]
                   for k in range(t.n_parameters)],
    "states": [t.state_vars[k].name.decode() for k in range(t.n_state_vars)],
    "backend": iface.backend,
    "gpu_is_null": not bool(gpu),
    "i": i[0], "g": g[0], "s": s[0],
}
`;
