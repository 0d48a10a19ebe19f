/**
 * Loading and initialising the interpreter, and the Python object of loadPython().
 *
 * Part of the CPython bridge; the public API is re-exported by ffi/python/mod.ts.
 *
 * @module
 */
import { join } from "node:path";
import { cString, reentrantSymbols, symbolAddresses } from "../open.ts";
import { type Pointer, PYTHON_SYMBOLS, type PythonLibrary } from "./symbols.ts";
import { type PythonOptions, type ToPython, tuple } from "./types.ts";
import {
  addr,
  callRaw,
  check,
  gil,
  jsErrors,
  loadedState,
  newString,
  OWN,
  ptrOf,
  S,
  setState,
} from "./state.ts";
import { borrowed, installCallbacks, jsFunctions, newCallable, toPythonNew } from "./convert.ts";
import { PyObject } from "./proxy.ts";
import { locate, versionOfLibrary } from "./locate.ts";

const HELPERS = `
import sys, _thread, traceback
_owner = _thread.get_ident()

class JSError(Exception):
    """An error thrown by a JavaScript function that Python called."""
    def __init__(self, message, js_id=-1):
        super().__init__(message)
        self.js_id = js_id

def _foreign_thread(name):
    threading = sys.modules.get("threading")
    thread = threading._active.get(_thread.get_ident()) if threading is not None else None
    if thread is not None and not isinstance(thread, threading._DummyThread):
        # A thread the script started: one Arbor thread would not help; the caller's thread is the cause.
        return ("denocat: the JavaScript function %r was called from the Python thread %r; JavaScript "
                "runs on the main thread only: call it from the script's main thread" % (name, thread.name))
    return ("denocat: the JavaScript function %r was called from a thread other than Deno's "
            "main thread, where JavaScript runs; run Arbor single-threaded: "
            "arbor.context(threads=1)" % name)

def _wrap(raw, name):
    def js_function(*args, **kwargs):
        if _thread.get_ident() != _owner:
            raise RuntimeError(_foreign_thread(name))
        return raw(*args, **kwargs)
    js_function.__name__ = name
    js_function.__qualname__ = name
    return js_function

def _find_js(e):
    seen = set()
    while e is not None and id(e) not in seen:
        seen.add(id(e))
        if isinstance(e, JSError):
            return e.js_id
        e = e.__cause__ or e.__context__
    return -1

def _describe(t, v, tb):
    name = getattr(t, "__qualname__", str(t))
    module = getattr(t, "__module__", "builtins")
    if module not in ("builtins", "__main__", None):
        name = module + "." + name
    try:
        text = str(v)
    except Exception:
        text = "<unprintable exception>"
    try:
        formatted = "".join(traceback.format_exception(t, v, tb))
    except Exception:
        formatted = name + ": " + text
    return (name, text, formatted, _find_js(v))

def _setup(paths, sites):
    import os, site
    known = set(sys.path)
    first_site = next((k for k, p in enumerate(sys.path) if p.endswith("-packages")), len(sys.path))
    for directory in sites:
        if os.path.isdir(directory) and directory not in known:
            sys.path.insert(first_site, directory)
            first_site += 1
            known.add(directory)
    for directory in sites:
        if os.path.isdir(directory):
            site.addsitedir(directory)
    _add_paths(paths)
    if not getattr(sys, "argv", None):
        sys.argv = [""]

def _add_paths(paths):
    for directory in reversed(paths):
        if directory in sys.path:
            sys.path.remove(directory)
        sys.path.insert(0, directory)

def _with(manager, body):
    exit = type(manager).__exit__
    value = type(manager).__enter__(manager)
    try:
        result = body(value)
    except BaseException:
        if not exit(manager, *sys.exc_info()):
            raise
        return None
    exit(manager, None, None, None)
    return result
`;

function initialise(options: PythonOptions): void {
  const located = locate(options);
  const { path, info } = located;
  const symbol = symbolAddresses(path, { global: true, hint: ": is it really libpython?" });
  let lib: PythonLibrary;
  try {
    lib = {
      symbols: reentrantSymbols(PYTHON_SYMBOLS, symbol),
    };
  } catch (cause) {
    throw new Error(`could not load ${path} as libpython: ${(cause as Error).message}`, { cause });
  }
  const already = lib.symbols.Py_IsInitialized() !== 0;
  if (!already) {
    // When the library is the python3 executable's own, point PYTHONHOME at its installation so the
    // embedded interpreter finds the right standard library (not another Python on the system).
    const home = Deno.env.get("PYTHONHOME");
    const setHome = home === undefined && info !== undefined;
    if (setHome) Deno.env.set("PYTHONHOME", `${info.base_prefix}:${info.base_exec_prefix}`);
    try {
      lib.symbols.Py_InitializeEx(0);
    } finally {
      if (setHome) Deno.env.delete("PYTHONHOME");
    }
    if (lib.symbols.Py_IsInitialized() === 0) throw new Error(`Py_InitializeEx failed for ${path}`);
  }
  // Initialisation leaves the GIL held by this thread: give it back, every call takes it.
  if (!already) lib.symbols.PyEval_SaveThread();
  setState({
    lib,
    none: addr(symbol("_Py_NoneStruct")),
    trueObj: addr(symbol("_Py_TrueStruct")),
    falseObj: addr(symbol("_Py_FalseStruct")),
    floatType: addr(symbol("PyFloat_Type")),
    boolType: addr(symbol("PyBool_Type")),
    helpers: null as unknown as Pointer,
    jsErrorType: null as unknown as Pointer,
    builtins: null as unknown as Pointer,
    libraryPath: path,
  });
  gil(() => {
    const s = S();
    const l = lib.symbols;
    s.builtins = check(l.PyImport_ImportModule(cString("builtins")), "import builtins");
    const types = check(l.PyImport_ImportModule(cString("types")), "import types");
    const name = newString("__denocat__");
    const module = callRaw(types, "ModuleType", [name]);
    l.Py_DecRef(name);
    l.Py_DecRef(types);
    const code = newString(HELPERS);
    const namespace = check(l.PyObject_GetAttrString(module, cString("__dict__")));
    l.Py_DecRef(callRaw(s.builtins, "exec", [code, namespace]));
    l.Py_DecRef(namespace);
    l.Py_DecRef(code);
    s.helpers = module;
    s.jsErrorType = check(l.PyObject_GetAttrString(module, cString("JSError")));
    installCallbacks();
    const sites: string[] = [];
    const venv = Deno.env.get("VIRTUAL_ENV");
    const version = info?.version ?? versionOfLibrary(path);
    if (venv && version) sites.push(join(venv, "lib", `python${version}`, "site-packages"));
    if (info) sites.push(...info.sites);
    const paths = toPythonNew(options.paths ?? []);
    const siteList = toPythonNew(sites);
    try {
      l.Py_DecRef(callRaw(module, "_setup", [paths, siteList]));
    } finally {
      l.Py_DecRef(paths);
      l.Py_DecRef(siteList);
    }
  });
}

// ---------------------------------------------------------------------------------------------
// The bridge

/** The embedded interpreter. Get it with {@link loadPython}. */
export class Python {
  /** The `builtins` module. */
  readonly builtins: PyObject;
  /** `None`. */
  readonly none: PyObject;
  /** Path of the loaded libpython. */
  readonly libraryPath: string;
  /** `sys.version`. */
  readonly version: string;

  /** @internal Use {@link loadPython}. */
  constructor(token: typeof OWN) {
    if (token !== OWN) throw new TypeError("use loadPython()");
    const s = S();
    this.builtins = gil(() => borrowed(s.builtins));
    this.none = gil(() => borrowed(ptrOf(s.none)!));
    this.libraryPath = s.libraryPath;
    this.version = Deno.UnsafePointerView.getCString(s.lib.symbols.Py_GetVersion()!);
  }

  /** `import name` (dotted names return the submodule). */
  import(name: string): PyObject {
    return gil(() =>
      new PyObject(OWN, check(S().lib.symbols.PyImport_ImportModule(cString(name)), `import ${name}`))
    );
  }

  /** Converts a JS value to a Python object (see {@link ToPython}). */
  toPython(value: ToPython): PyObject {
    return gil(() => new PyObject(OWN, toPythonNew(value)));
  }

  /**
   * A Python callable running `fn`. It gets PyObject arguments (and a final {@link Kwargs} when
   * called with keywords), which are borrowed for the call: they are disposed when `fn` returns,
   * so `clone()` one to keep it. The result is converted with {@link Python.toPython}.
   */
  callable(fn: (...args: never[]) => unknown): PyObject {
    return gil(() => new PyObject(OWN, newCallable(fn)));
  }

  /**
   * `type(name, bases, members)`: a Python class. Function members become methods whose first
   * argument is `self` (as a PyObject). A class without `__init__` inherits its bases' one, which
   * is what pybind11 classes such as `arbor.recipe` require.
   */
  defineClass(name: string, bases: PyObject[], members: Record<string, ToPython>): PyObject {
    return this.builtins.get("type").call(name, tuple(bases), members);
  }

  /** Evaluates a Python expression; `globals` defaults to a fresh dict with builtins. */
  eval(expression: string, globals?: PyObject): PyObject {
    return this.builtins.callMethod("eval", expression, globals ?? this.toPython({}));
  }

  /** Executes Python statements in `globals` (a new dict when omitted), which is returned. */
  exec(code: string, globals?: PyObject): PyObject {
    const namespace = globals ?? this.toPython({});
    this.builtins.callMethod("exec", code, namespace).dispose();
    return namespace;
  }

  /** `with manager as value: body(value)`: `__exit__` gets the exception when `body` throws. */
  with<T>(manager: PyObject, body: (value: PyObject) => T): T {
    let result: T | undefined;
    const run = (value: PyObject) => {
      result = body(value);
      return null;
    };
    gil(() => {
      const fn = this.callable(run);
      try {
        const helpers = borrowed(S().helpers);
        try {
          helpers.callMethod("_with", manager, fn).dispose();
        } finally {
          helpers.dispose();
        }
      } finally {
        fn.dispose();
      }
    });
    return result as T;
  }

  /** Puts directories first on `sys.path`. */
  addPaths(paths: string[]): void {
    const helpers = gil(() => borrowed(S().helpers));
    try {
      helpers.callMethod("_add_paths", paths).dispose();
    } finally {
      helpers.dispose();
    }
  }

  /** Number of JS errors raised into Python that have not come back yet (for leak tests). */
  get pendingJsErrors(): number {
    return jsErrors.size;
  }

  /** Number of live JS functions referenced from Python (for leak tests). */
  get liveJsFunctions(): number {
    return jsFunctions.size;
  }
}

/** The one Python of this process, made by the first loadPython(). */
let instance: Python | undefined;

/**
 * Loads and initialises the embedded Python once per process (later calls return the same
 * bridge and only add `options.paths` to `sys.path`). Needs `--allow-ffi`, `--allow-env`,
 * `--allow-read` and (to ask `python3`) `--allow-run`.
 */
export function loadPython(options: PythonOptions = {}): Python {
  if (instance !== undefined) {
    if (options.paths?.length) instance.addPaths(options.paths);
    return instance;
  }
  if (loadedState() === undefined) initialise(options);
  instance = new Python(OWN);
  return instance;
}
