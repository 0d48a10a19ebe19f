/**
 * An embedded CPython for Deno: find and load libpython, initialise it, and work with Python
 * objects from TypeScript (and TypeScript functions from Python).
 *
 * ```ts
 * import { kw, loadPython } from "./ffi/python/mod.ts";
 * const py = loadPython();
 * const math = py.import("math");
 * console.log(math.callMethod("hypot", 3, 4).toJS()); // 5
 * const sorted = py.builtins.callMethod("sorted", [3, 1, 2], kw({ reverse: true })).toJS(); // [3, 2, 1]
 * ```
 *
 * Finding libpython, in order: `options.library` or `DENOCAT_PYTHON` (a path); the shared library
 * of the `python3` on `PATH` (asked for `sysconfig` `LIBDIR` + `INSTSONAME`/`LDLIBRARY`); common
 * system paths for Python 3.13 down to 3.8. The library is first opened with libc's
 * `dlopen(path, RTLD_NOW | RTLD_GLOBAL)`, so extension modules (numpy, arbor) find its symbols, and
 * then with `Deno.dlopen` for the functions used here.
 *
 * `sys.path`: the interpreter's own defaults, `PYTHONPATH`, then the site-packages of
 * `VIRTUAL_ENV` and of the `python3` executable (when it is the same Python version, so a
 * `pip install`ed package is found), and `options.paths` first of all.
 *
 * The GIL: after initialisation the GIL is released; every operation takes it with
 * `PyGILState_Ensure` and gives it back with `PyGILState_Release`. This also holds for
 * JavaScript called from Python while Python code (e.g. Arbor's `simulation.run`) released it.
 *
 * JavaScript functions converted to Python only run on the thread that loaded the bridge (the
 * Deno main thread). A call from another Python thread raises a Python `RuntimeError` instead of
 * crashing Deno.
 *
 * No silent path: whenever the outermost bridge call returns from Python, failures that live
 * denocat catalogues recorded meanwhile (a hook threw, or Arbor called a hook from a worker
 * thread and the call was refused) are thrown, so `py.exec` of a whole Arbor script reports them
 * just as `arb.run` does.
 *
 * Not supported: free-threaded ("3.13t") builds, and Python 2 or 3.7 and older.
 *
 * The bridge is split by layer: symbols.ts (the C API table), types.ts (public value types),
 * state.ts (the loaded interpreter, the GIL, errors), convert.ts (JS <-> Python values),
 * proxy.ts (PyObject), locate.ts (finding libpython) and bridge.ts (loading, `Python`). This
 * module only re-exports their public API.
 *
 * @module
 */
export { kw, Kwargs, PyFloat, pyFloat, PythonError, PyTuple, tuple } from "./types.ts";
export type { PyBufferData, PythonOptions, ToPython } from "./types.ts";
export { PyObject } from "./proxy.ts";
export { loadPython, Python } from "./bridge.ts";
