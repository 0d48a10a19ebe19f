// The embedded CPython bridge (python/mod.ts) against the machine's real libpython, no Arbor:
// conversions both ways, exceptions both ways, callbacks, classes, kwargs, the GIL, lifetimes,
// the buffer protocol, library and sys.path discovery, and an end-to-end run of the exact path
// Arbor takes into a denocat catalogue, driven from Python with ctypes.
import assert from "node:assert/strict";
import { join } from "node:path";
import { catalogue, defineMechanism } from "../mod.ts";
import { kw, Kwargs, loadPython, pyFloat, type PyObject, PythonError, tuple } from "../python/mod.ts";

const py = loadPython();
const sys = py.import("sys");
const refcount = (o: PyObject) => sys.callMethod("getrefcount", o).toJS() as number;

Deno.test("python: scalars convert both ways", () => {
  const cases: [unknown, string][] = [
    [1, "1"],
    [-7, "-7"],
    [2.5, "2.5"],
    [-0, "-0.0"],
    [1e300, "1e+300"],
    [NaN, "nan"],
    [true, "True"],
    [false, "False"],
    [null, "None"],
    [undefined, "None"],
    ["héllo ✓", "'héllo ✓'"],
    ["", "''"],
    [2n ** 70n, "1180591620717411303424"],
    [pyFloat(3), "3.0"],
  ];
  for (const [value, repr] of cases) {
    using o = py.toPython(value);
    assert.equal(o.repr(), repr, `repr of ${String(value)}`);
  }
  assert.equal(py.eval("3").toJS(), 3);
  assert.equal(py.eval("3.25").toJS(), 3.25);
  assert.equal(py.eval("True").toJS(), true);
  assert.equal(py.eval("None").toJS(), null);
  assert.equal(py.eval("'a\\u00e9\\U0001F600'").toJS(), "aé😀");
  assert.equal(py.eval("2**70").toJS(), 2n ** 70n);
  assert.equal(py.eval("-(2**63)").toJS(), -(2n ** 63n));
  assert.equal(py.eval("2**53 - 1").toJS(), Number.MAX_SAFE_INTEGER);
  assert.equal(py.eval("type(1)").toJS() instanceof Object, true); // a proxy
  assert.ok(py.none.isNone);
  assert.equal(py.eval("7").number(), 7);
  assert.equal(py.eval("0.5").truthy(), true);
  assert.equal(py.eval("[]").truthy(), false);
});

Deno.test("python: containers, bytes and typed arrays convert both ways", () => {
  using list = py.toPython([1, "two", [3.5, null]]);
  assert.equal(list.repr(), "[1, 'two', [3.5, None]]");
  using t = py.toPython(tuple([1, tuple([])]));
  assert.equal(t.repr(), "(1, ())");
  using d = py.toPython({ a: 1, nested: { b: [true] } });
  assert.equal(d.repr(), "{'a': 1, 'nested': {'b': [True]}}");
  using m = py.toPython(new Map<unknown, unknown>([[1, "one"], ["k", 2]]));
  assert.equal(m.repr(), "{1: 'one', 'k': 2}");
  using bytes = py.toPython(new Uint8Array([0, 255, 10]));
  assert.equal(bytes.repr(), "b'\\x00\\xff\\n'");
  using floats = py.toPython(new Float64Array([0.5, 1]));
  assert.equal(floats.repr(), "[0.5, 1]");
  assert.deepEqual(py.eval("(1, [2, (3,)], {'x': b'ab'})").toJS(), [1, [2, [3]], {
    x: new Uint8Array([97, 98]),
  }]);
  assert.deepEqual(py.eval("{'a': None, 1: 'int key'}").toJS(), { a: null, 1: "int key" });
  assert.deepEqual(py.eval("b''").toJS(), new Uint8Array(0));
  assert.equal(list.len(), 3);
  assert.equal(list.item(1).toJS(), "two");
  assert.equal(list.item(-1).item(0).toJS(), 3.5);
  list.setItem(0, "first");
  assert.equal(list.item(0).toJS(), "first");
  d.setItem("c", [1]);
  assert.deepEqual(d.item("c").toJS(), [1]);
  assert.deepEqual([...py.eval("range(4)")].map((x) => x.toJS()), [0, 1, 2, 3]);
  assert.deepEqual([...py.eval("{'p': 1, 'q': 2}")].map((x) => x.toJS()), ["p", "q"]);
  assert.throws(() => py.toPython(new Date()), /cannot convert \[object Date\] to Python/);
  assert.throws(() => py.toPython([kw({ a: 1 })]), /only allowed as the last argument/);
});

Deno.test("python: attributes, calls with keyword arguments, str and repr", () => {
  const ns = py.exec("class C:\n    pass\ndef f(a, b=2, *, c=3):\n    return [a, b, c]\n");
  const f = ns.item("f");
  assert.deepEqual(f.call(1).toJS(), [1, 2, 3]);
  assert.deepEqual(f.call(1, kw({ c: "see", b: null })).toJS(), [1, null, "see"]);
  assert.deepEqual(py.builtins.callMethod("sorted", [3, 1, 2], kw({ reverse: true })).toJS(), [3, 2, 1]);
  const c = ns.item("C").call();
  c.set("answer", 42);
  assert.ok(c.has("answer"));
  assert.ok(!c.has("question"));
  assert.equal(c.get("answer").toJS(), 42);
  assert.equal(py.toPython("text").toString(), "text");
  assert.equal(String(py.toPython([1])), "[1]");
  assert.ok(c.isInstance(ns.item("C")));
  assert.ok(py.toPython([1, 2]).equals([1, 2]));
  assert.ok(!py.toPython([1, 2]).equals([2, 1]));
});

Deno.test("python: arithmetic for unit quantities (mul, add, sub, div, neg)", () => {
  // A stand-in for arbor.units: a quantity class with the operators Arbor >= 0.10 defines.
  const U = py.exec(`
class Q:
    def __init__(self, v, unit): self.v, self.unit = v, unit
    def __mul__(self, k): return Q(self.v * k, self.unit)
    __rmul__ = __mul__
    def __add__(self, o): return Q(self.v + o.v, self.unit)
    def __sub__(self, o): return Q(self.v - o.v, self.unit)
    def __truediv__(self, k): return Q(self.v / k, self.unit)
    def __neg__(self): return Q(-self.v, self.unit)
    def __repr__(self): return "%g %s" % (self.v, self.unit)
mV = Q(1, "mV")
`);
  const mV = U.item("mV");
  assert.equal(mV.mul(-65).repr(), "-65 mV");
  assert.equal(mV.mul(2).add(mV.mul(3)).sub(mV).div(2).neg().repr(), "-2 mV");
  assert.equal(py.toPython(6).mul(7).toJS(), 42);
  assert.equal(py.toPython(1).div(4).toJS(), 0.25);
  assert.throws(
    () => py.toPython("a").sub(1),
    (e: unknown) => e instanceof PythonError && e.type === "TypeError",
  );
});

Deno.test("python: a Python exception becomes a PythonError with type, message and traceback", () => {
  const ns = py.exec("def inner():\n    raise ValueError('bad value 7')\ndef outer():\n    inner()\n");
  try {
    ns.item("outer").call();
    assert.fail("no error");
  } catch (error) {
    assert.ok(error instanceof PythonError);
    assert.equal(error.type, "ValueError");
    assert.equal(error.pythonMessage, "bad value 7");
    assert.equal(error.message, "ValueError: bad value 7");
    assert.match(error.traceback, /Traceback \(most recent call last\)/);
    assert.match(error.traceback, /in outer/);
    assert.match(error.traceback, /in inner/);
  }
  assert.throws(() => py.import("no_such_module_denocat"), (e: unknown) => {
    return e instanceof PythonError && e.type === "ModuleNotFoundError" &&
      /no_such_module_denocat/.test(e.message);
  });
  assert.throws(
    () => py.eval("{}").item("missing"),
    (e: unknown) => e instanceof PythonError && e.type === "KeyError",
  );
  assert.throws(
    () => py.eval("1").get("nope"),
    (e: unknown) => e instanceof PythonError && e.type === "AttributeError",
  );
  assert.throws(
    () => py.eval("1/0"),
    (e: unknown) => e instanceof PythonError && e.type === "ZeroDivisionError",
  );
  // The interpreter is left clean: later calls work.
  assert.equal(py.eval("1 + 1").toJS(), 2);
});

Deno.test("python: JS functions are Python callables; arguments, kwargs and results convert", () => {
  const seen: unknown[] = [];
  const f = py.callable((...args: unknown[]) => {
    for (const a of args) {
      seen.push(
        a instanceof Kwargs
          ? Object.fromEntries(Object.entries(a.values).map(([k, v]) => [k, (v as PyObject).toJS()]))
          : (a as PyObject).toJS(),
      );
    }
    return { sum: args.length, list: [1, "x"] };
  });
  const caller = py.eval("lambda f: f(1, 'two', [3], key=4.5)");
  assert.deepEqual(caller.call(f).toJS(), { sum: 4, list: [1, "x"] });
  assert.deepEqual(seen, [1, "two", [3], { key: 4.5 }]);
  // Functions passed as arguments convert on the fly, with a proper name.
  const doubled = py.builtins.callMethod(
    "list",
    py.builtins.get("map").call((x: PyObject) => 2 * x.number(), [1, 2]),
  );
  assert.deepEqual(doubled.toJS(), [2, 4]);
  function namedFunction() {
    return null;
  }
  assert.equal(py.callable(namedFunction).get("__name__").toJS(), "namedFunction");
  // An argument kept beyond the call with clone() stays valid.
  let kept: PyObject | undefined;
  py.eval("lambda f: f([9, 8])").call((x: PyObject) => {
    kept = x.clone();
  });
  assert.deepEqual(kept!.toJS(), [9, 8]);
  kept!.dispose();
  assert.throws(() => kept!.toJS(), /disposed/);
});

Deno.test("python: a JS error thrown through Python comes back as the original error", () => {
  class MyError extends Error {}
  const original = new MyError("from TS");
  const thrower = py.callable(() => {
    throw original;
  });
  // Directly.
  assert.throws(() => thrower.call(), (e: unknown) => e === original);
  // Through Python frames.
  const through = py.exec("def through(f):\n    return [f()]\n").item("through");
  assert.throws(() => through.call(thrower), (e: unknown) => e === original);
  // Python sees a JSError carrying the message, and can catch it.
  const catcher = py.exec(
    "def catch(f):\n    try:\n        f()\n    except Exception as e:\n        return type(e).__name__ + ': ' + str(e)\n",
  ).item("catch");
  assert.match(catcher.call(thrower).toJS() as string, /^JSError: \[js#\d+\] Error: from TS$/);
  // Python raising another exception while handling it: a PythonError, caused by the original.
  const wrap = py.exec(
    "def wrap(f):\n    try:\n        f()\n    except Exception as e:\n        raise RuntimeError('wrapped') from e\n",
  ).item("wrap");
  assert.throws(() => wrap.call(thrower), (e: unknown) => {
    return e instanceof PythonError && e.type === "RuntimeError" && e.cause === original;
  });
  // Non-Error values thrown survive as well.
  assert.throws(() =>
    py.callable(() => {
      throw "a string";
    }).call(), (e: unknown) => e === "a string");
  // An async function is refused, as a Python exception.
  assert.throws(() => py.callable(() => Promise.resolve(1)).call(), /must be synchronous/);
});

Deno.test("python: subclassing a Python class with TS methods (type(name, bases, dict))", () => {
  const Base = py.exec(`
class Base:
    def __init__(self):
        self.calls = []
    def run(self, n):
        return [self.describe(k) for k in range(n)] + [self.total()]
    def total(self):
        return -1
`).item("Base");
  const Sub = py.defineClass("Sub", [Base], {
    describe: (self: PyObject, k: PyObject) => {
      self.get("calls").callMethod("append", k);
      return `item ${k.toJS()}`;
    },
    total: (self: PyObject) => self.get("calls").len(),
    constant: 12,
  });
  const obj = Sub.call();
  assert.deepEqual(obj.callMethod("run", 3).toJS(), ["item 0", "item 1", "item 2", 3]);
  assert.equal(obj.get("constant").toJS(), 12);
  assert.equal(Sub.get("__name__").toJS(), "Sub");
  assert.ok(obj.isInstance(Base));
  // Python code calls the TS override through normal dispatch.
  assert.deepEqual(py.eval("lambda o: o.total()").call(obj).toJS(), 3);
});

Deno.test("python: the with-helper calls __enter__ and __exit__, also when the body throws", () => {
  const ns = py.exec(`
log = []
class M:
    def __enter__(self):
        log.append("enter")
        return 5
    def __exit__(self, t, v, tb):
        log.append(("exit", t.__name__ if t else None))
        return False
`);
  assert.equal(py.with(ns.item("M").call(), (value) => value.toJS()), 5);
  const boom = new Error("inside with");
  assert.throws(() =>
    py.with(ns.item("M").call(), () => {
      throw boom;
    }), (e: unknown) => e === boom);
  assert.deepEqual(ns.item("log").toJS(), ["enter", ["exit", null], "enter", ["exit", "JSError"]]);
});

Deno.test("python: the buffer protocol copies array.array and memoryview data with shape", () => {
  const array = py.import("array");
  const d = array.callMethod("array", "d", [1.5, -2, 3e10]).buffer();
  assert.ok(d.data instanceof Float64Array);
  assert.deepEqual([...d.data], [1.5, -2, 3e10]);
  assert.deepEqual(d.shape, [3]);
  const i = array.callMethod("array", "i", [1, -2, 3]).buffer();
  assert.ok(i.data instanceof Int32Array);
  assert.deepEqual([...i.data], [1, -2, 3]);
  const f = array.callMethod("array", "f", [0.5]).toJS();
  assert.ok(f instanceof Float32Array);
  const q = array.callMethod("array", "q", [2 ** 40, -5]).buffer();
  assert.ok(q.data instanceof Float64Array);
  assert.deepEqual([...q.data], [2 ** 40, -5]);
  const b = array.callMethod("array", "B", [0, 255]).buffer();
  assert.ok(b.data instanceof Uint8Array);
  // 2-D memoryview (C order) and a strided view.
  const m = py.eval("memoryview(__import__('array').array('d', range(6))).cast('B').cast('d', (2, 3))")
    .buffer();
  assert.deepEqual(m.shape, [2, 3]);
  assert.deepEqual([...m.data], [0, 1, 2, 3, 4, 5]);
  const strided = py.eval("memoryview(__import__('array').array('i', range(10)))[1::3]").buffer();
  assert.deepEqual(strided.shape, [3]);
  assert.deepEqual([...strided.data], [1, 4, 7]);
  const bytearray = py.eval("bytearray(b'xyz')").toJS();
  assert.deepEqual(bytearray, new Uint8Array([120, 121, 122]));
  // A copy: changing the Python object afterwards does not change the JS data.
  const arr = array.callMethod("array", "d", [1]);
  const copy = arr.buffer().data;
  arr.setItem(0, 2);
  assert.equal(copy[0], 1);
  // A non-buffer object: buffer() throws a PythonError, toJS() gives a proxy.
  assert.throws(
    () => py.eval("object()").buffer(),
    (e: unknown) => e instanceof PythonError && e.type === "TypeError",
  );
});

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
  assert.match(result.item("out").item(0).toJS() as string, /other than Deno's main thread.*threads=1/);
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
    const out = py.exec(E2E_DRIVER, py.toPython({ path: cat.path })).item("result").toJS() as Record<
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
    const bridge = new URL("../python/mod.ts", import.meta.url).href;
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

class FieldInfo(C.Structure):
    _fields_ = [("name", C.c_char_p), ("unit", C.c_char_p), ("default_value", C.c_double),
                ("range_low", C.c_double), ("range_high", C.c_double)]

class MechanismType(C.Structure):
    _fields_ = [("abi_version", C.c_ulong), ("fingerprint", C.c_char_p), ("name", C.c_char_p),
                ("kind", C.c_uint32), ("is_linear", C.c_bool), ("has_post_events", C.c_bool),
                ("globals", C.POINTER(FieldInfo)), ("n_globals", C.c_uint32),
                ("state_vars", C.POINTER(FieldInfo)), ("n_state_vars", C.c_uint32),
                ("parameters", C.POINTER(FieldInfo)), ("n_parameters", C.c_uint32),
                ("ions", C.c_void_p), ("n_ions", C.c_uint32),
                ("random_variables", C.c_void_p), ("n_random_variables", C.c_uint32)]

PPackFn = C.CFUNCTYPE(None, C.c_void_p)
EventsFn = C.CFUNCTYPE(None, C.c_void_p, C.c_void_p)

class Interface(C.Structure):
    _fields_ = [("backend", C.c_uint32), ("partition_width", C.c_uint32), ("alignment", C.c_uint32),
                ("init_mechanism", PPackFn), ("compute_currents", PPackFn), ("apply_events", EventsFn),
                ("advance_state", PPackFn), ("write_ions", PPackFn), ("post_event", PPackFn)]

class Mechanism(C.Structure):
    _fields_ = [("type", C.CFUNCTYPE(MechanismType)),
                ("i_cpu", C.CFUNCTYPE(C.POINTER(Interface))),
                ("i_gpu", C.CFUNCTYPE(C.POINTER(Interface)))]

class EventStream(C.Structure):
    _fields_ = [("begin", C.c_void_p), ("end", C.c_void_p)]

class Constraints(C.Structure):
    _fields_ = [("n_contiguous", C.c_uint32), ("n_constant", C.c_uint32), ("n_independent", C.c_uint32),
                ("n_none", C.c_uint32), ("contiguous", C.c_void_p), ("constant", C.c_void_p),
                ("independent", C.c_void_p), ("none", C.c_void_p)]

D = C.POINTER(C.c_double)
I = C.POINTER(C.c_int)

class PPack(C.Structure):
    _fields_ = [("width", C.c_uint32), ("n_detectors", C.c_int), ("vec_ci", I), ("dt", C.c_double),
                ("vec_v", D), ("vec_i", D), ("vec_g", D), ("temperature_degC", D), ("diam_um", D),
                ("area_um2", D), ("time_since_spike", D), ("node_index", I), ("peer_index", I),
                ("multiplicity", I), ("weight", D), ("mechanism_id", C.c_uint32),
                ("events", EventStream), ("index_constraints", Constraints),
                ("parameters", C.POINTER(D)), ("state_vars", C.POINTER(D)), ("globals", D),
                ("ion_states", C.c_void_p), ("random_numbers", C.c_void_p)]

assert C.sizeof(MechanismType) == 112 and C.sizeof(Interface) == 64
assert C.sizeof(Mechanism) == 24 and C.sizeof(PPack) == 224

lib = C.CDLL(path)  # what Arbor's load_catalogue does: dlopen by path
lib.get_catalogue.restype = C.POINTER(Mechanism)
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
