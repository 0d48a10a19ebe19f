// The embedded CPython bridge (ffi/python/mod.ts) against the machine's real libpython, no Arbor:
// conversions both ways, exceptions both ways, callbacks, classes, kwargs, the with-helper and the
// buffer protocol. Lifetimes, threads, discovery and the end-to-end catalogue run are in
// python_lifetime_test.ts.
import assert from "node:assert/strict";
import { kw, Kwargs, loadPython, pyFloat, type PyObject, PythonError, tuple } from "../ffi/python/mod.ts";
import { askPython, libraryOf, locate, ownsLibrary } from "../ffi/python/locate.ts";

const py = loadPython();

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
  // The bridge's operators on a class with those of a quantity (arbor.units itself: tests/arbor_test.ts).
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

Deno.test("python: an explicit libpython is matched with its own executable, never another Python of its version", () => {
  // Every libpython this machine has where we can see one: Debian's and that of the python3 on PATH.
  const libraries = new Set<string>();
  const onPath = askPython("python3");
  if (typeof onPath !== "string") {
    const own = libraryOf(onPath);
    if (own) libraries.add(own);
  }
  for (const path of ["/usr/lib/x86_64-linux-gnu/libpython3.11.so.1.0", Deno.env.get("DENOCAT_PYTHON")]) {
    if (path) {
      try {
        Deno.statSync(path);
        libraries.add(path);
      } catch { /* not on this machine */ }
    }
  }
  assert.ok(libraries.size > 0, "no libpython found at all");
  for (const library of libraries) {
    const located = locate({ library });
    assert.equal(located.path, library);
    // The standard library that PYTHONHOME points at comes from `info`: it must be this library's.
    if (located.info !== undefined) {
      assert.ok(ownsLibrary(located.info, library), `${library}: ${located.info.executable}`);
    }
  }
});
