/**
 * An embedded CPython for Deno: find and load libpython, initialise it, and work with Python
 * objects from TypeScript (and TypeScript functions from Python).
 *
 * ```ts
 * import { kw, loadPython } from "./python/mod.ts";
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
 * @module
 */
import { throwPendingFailures } from "../live/catalogue.ts";
import { reentrantSymbols, symbolAddresses } from "../native/library.ts";
import { join } from "node:path";

// ---------------------------------------------------------------------------------------------
// Native symbols

/** The CPython C API functions the bridge calls (all exported since Python 3.8). */
// These are called through `reentrantSymbols` (native/library.ts), never Deno's fast-call path:
// almost any Python API call can run Python code that calls back into JavaScript, and V8 aborts
// ("Lazy deopt after a fast API call") when a fast FFI call re-enters JavaScript.
const PYTHON_SYMBOLS = {
  // void Py_InitializeEx(int initsigs)
  Py_InitializeEx: { parameters: ["i32"], result: "void" },
  // int Py_IsInitialized(void)
  Py_IsInitialized: { parameters: [], result: "i32" },
  // const char* Py_GetVersion(void)
  Py_GetVersion: { parameters: [], result: "pointer" },
  // PyThreadState* PyEval_SaveThread(void)
  PyEval_SaveThread: { parameters: [], result: "pointer" },
  // PyGILState_STATE PyGILState_Ensure(void)
  PyGILState_Ensure: { parameters: [], result: "i32" },
  // void PyGILState_Release(PyGILState_STATE state)
  PyGILState_Release: { parameters: ["i32"], result: "void" },
  // void Py_IncRef(PyObject* o)
  Py_IncRef: { parameters: ["pointer"], result: "void" },
  // void Py_DecRef(PyObject* o)
  Py_DecRef: { parameters: ["pointer"], result: "void" },
  // PyObject* PyImport_ImportModule(const char* name)
  PyImport_ImportModule: { parameters: ["buffer"], result: "pointer" },
  // PyObject* PyObject_GetAttrString(PyObject* o, const char* name)
  PyObject_GetAttrString: { parameters: ["pointer", "buffer"], result: "pointer" },
  // int PyObject_SetAttrString(PyObject* o, const char* name, PyObject* v)
  PyObject_SetAttrString: { parameters: ["pointer", "buffer", "pointer"], result: "i32" },
  // int PyObject_HasAttrString(PyObject* o, const char* name)
  PyObject_HasAttrString: { parameters: ["pointer", "buffer"], result: "i32" },
  // PyObject* PyObject_Call(PyObject* callable, PyObject* args, PyObject* kwargs)
  PyObject_Call: { parameters: ["pointer", "pointer", "pointer"], result: "pointer" },
  // PyObject* PyObject_GetItem(PyObject* o, PyObject* key)
  PyObject_GetItem: { parameters: ["pointer", "pointer"], result: "pointer" },
  // int PyObject_SetItem(PyObject* o, PyObject* key, PyObject* v)
  PyObject_SetItem: { parameters: ["pointer", "pointer", "pointer"], result: "i32" },
  // Py_ssize_t PyObject_Size(PyObject* o)
  PyObject_Size: { parameters: ["pointer"], result: "isize" },
  // PyObject* PyObject_GetIter(PyObject* o)
  PyObject_GetIter: { parameters: ["pointer"], result: "pointer" },
  // PyObject* PyIter_Next(PyObject* o)
  PyIter_Next: { parameters: ["pointer"], result: "pointer" },
  // PyObject* PyObject_Repr(PyObject* o)
  PyObject_Repr: { parameters: ["pointer"], result: "pointer" },
  // PyObject* PyObject_Str(PyObject* o)
  PyObject_Str: { parameters: ["pointer"], result: "pointer" },
  // int PyObject_IsTrue(PyObject* o)
  PyObject_IsTrue: { parameters: ["pointer"], result: "i32" },
  // PyObject* PyObject_Type(PyObject* o)
  PyObject_Type: { parameters: ["pointer"], result: "pointer" },
  // int PyObject_IsInstance(PyObject* inst, PyObject* cls)
  PyObject_IsInstance: { parameters: ["pointer", "pointer"], result: "i32" },
  // int PyObject_RichCompareBool(PyObject* a, PyObject* b, int op)
  PyObject_RichCompareBool: { parameters: ["pointer", "pointer", "i32"], result: "i32" },
  // unsigned long PyType_GetFlags(PyTypeObject* type)
  PyType_GetFlags: { parameters: ["pointer"], result: "u64" },
  // PyObject* PyNumber_Add(PyObject* a, PyObject* b)
  PyNumber_Add: { parameters: ["pointer", "pointer"], result: "pointer" },
  // PyObject* PyNumber_Subtract(PyObject* a, PyObject* b)
  PyNumber_Subtract: { parameters: ["pointer", "pointer"], result: "pointer" },
  // PyObject* PyNumber_Multiply(PyObject* a, PyObject* b)
  PyNumber_Multiply: { parameters: ["pointer", "pointer"], result: "pointer" },
  // PyObject* PyNumber_TrueDivide(PyObject* a, PyObject* b)
  PyNumber_TrueDivide: { parameters: ["pointer", "pointer"], result: "pointer" },
  // PyObject* PyNumber_Negative(PyObject* o)
  PyNumber_Negative: { parameters: ["pointer"], result: "pointer" },
  // PyObject* PyLong_FromLongLong(long long v)
  PyLong_FromLongLong: { parameters: ["i64"], result: "pointer" },
  // long long PyLong_AsLongLong(PyObject* o)
  PyLong_AsLongLong: { parameters: ["pointer"], result: "i64" },
  // PyObject* PyLong_FromString(const char* str, char** pend, int base)
  PyLong_FromString: { parameters: ["buffer", "pointer", "i32"], result: "pointer" },
  // PyObject* PyFloat_FromDouble(double v)
  PyFloat_FromDouble: { parameters: ["f64"], result: "pointer" },
  // double PyFloat_AsDouble(PyObject* o)
  PyFloat_AsDouble: { parameters: ["pointer"], result: "f64" },
  // PyObject* PyBool_FromLong(long v)
  PyBool_FromLong: { parameters: ["i64"], result: "pointer" },
  // PyObject* PyUnicode_FromStringAndSize(const char* s, Py_ssize_t size)
  PyUnicode_FromStringAndSize: { parameters: ["buffer", "isize"], result: "pointer" },
  // const char* PyUnicode_AsUTF8AndSize(PyObject* o, Py_ssize_t* size)
  PyUnicode_AsUTF8AndSize: { parameters: ["pointer", "buffer"], result: "pointer" },
  // PyObject* PyBytes_FromStringAndSize(const char* s, Py_ssize_t size)
  PyBytes_FromStringAndSize: { parameters: ["buffer", "isize"], result: "pointer" },
  // int PyBytes_AsStringAndSize(PyObject* o, char** buffer, Py_ssize_t* length)
  PyBytes_AsStringAndSize: { parameters: ["pointer", "buffer", "buffer"], result: "i32" },
  // PyObject* PyList_New(Py_ssize_t size)
  PyList_New: { parameters: ["isize"], result: "pointer" },
  // int PyList_SetItem(PyObject* list, Py_ssize_t index, PyObject* item)   (steals item)
  PyList_SetItem: { parameters: ["pointer", "isize", "pointer"], result: "i32" },
  // PyObject* PyTuple_New(Py_ssize_t size)
  PyTuple_New: { parameters: ["isize"], result: "pointer" },
  // int PyTuple_SetItem(PyObject* tuple, Py_ssize_t index, PyObject* item)   (steals item)
  PyTuple_SetItem: { parameters: ["pointer", "isize", "pointer"], result: "i32" },
  // PyObject* PyTuple_GetItem(PyObject* tuple, Py_ssize_t index)   (borrowed)
  PyTuple_GetItem: { parameters: ["pointer", "isize"], result: "pointer" },
  // PyObject* PyDict_New(void)
  PyDict_New: { parameters: [], result: "pointer" },
  // int PyDict_SetItem(PyObject* dict, PyObject* key, PyObject* value)
  PyDict_SetItem: { parameters: ["pointer", "pointer", "pointer"], result: "i32" },
  // int PyDict_Next(PyObject* dict, Py_ssize_t* pos, PyObject** key, PyObject** value)   (borrowed)
  PyDict_Next: { parameters: ["pointer", "buffer", "buffer", "buffer"], result: "i32" },
  // PyObject* PyErr_Occurred(void)   (borrowed)
  PyErr_Occurred: { parameters: [], result: "pointer" },
  // void PyErr_Fetch(PyObject** type, PyObject** value, PyObject** traceback)
  PyErr_Fetch: { parameters: ["buffer", "buffer", "buffer"], result: "void" },
  // void PyErr_NormalizeException(PyObject** type, PyObject** value, PyObject** traceback)
  PyErr_NormalizeException: { parameters: ["buffer", "buffer", "buffer"], result: "void" },
  // int PyException_SetTraceback(PyObject* ex, PyObject* tb)
  PyException_SetTraceback: { parameters: ["pointer", "pointer"], result: "i32" },
  // void PyErr_SetObject(PyObject* type, PyObject* value)
  PyErr_SetObject: { parameters: ["pointer", "pointer"], result: "void" },
  // void PyErr_SetString(PyObject* type, const char* message)
  PyErr_SetString: { parameters: ["pointer", "buffer"], result: "void" },
  // void PyErr_Clear(void)
  PyErr_Clear: { parameters: [], result: "void" },
  // PyObject* PyCFunction_NewEx(PyMethodDef* def, PyObject* self, PyObject* module)
  PyCFunction_NewEx: { parameters: ["pointer", "pointer", "pointer"], result: "pointer" },
  // PyObject* PyCapsule_New(void* pointer, const char* name, void (*destructor)(PyObject*))
  PyCapsule_New: { parameters: ["pointer", "pointer", "function"], result: "pointer" },
  // void* PyCapsule_GetPointer(PyObject* capsule, const char* name)
  PyCapsule_GetPointer: { parameters: ["pointer", "pointer"], result: "pointer" },
  // int PyObject_GetBuffer(PyObject* exporter, Py_buffer* view, int flags)
  PyObject_GetBuffer: { parameters: ["pointer", "buffer", "i32"], result: "i32" },
  // void PyBuffer_Release(Py_buffer* view)
  PyBuffer_Release: { parameters: ["buffer"], result: "void" },
} as const satisfies Deno.ForeignLibraryInterface;

type PythonLibrary = { symbols: Deno.DynamicLibrary<typeof PYTHON_SYMBOLS>["symbols"] };
type Pointer = Deno.PointerObject;

const METH_VARARGS_KEYWORDS = 0x0003;
const PY_EQ = 2;
const PYBUF_RECORDS_RO = 0x001c; // PyBUF_STRIDES | PyBUF_FORMAT
const FLAG = {
  long: 1n << 24n,
  list: 1n << 25n,
  tuple: 1n << 26n,
  bytes: 1n << 27n,
  unicode: 1n << 28n,
  dict: 1n << 29n,
} as const;

// ---------------------------------------------------------------------------------------------
// Public types

/** Options of {@link loadPython}; only the first call initialises, later calls only add `paths`. */
export interface PythonOptions {
  /** Path of libpython; overrides `DENOCAT_PYTHON` and the search. */
  library?: string;
  /** Python executable asked for its library and site-packages (default `python3` on PATH). */
  executable?: string;
  /** Extra directories put first on `sys.path`. */
  paths?: string[];
}

/** A Python exception, thrown in JavaScript. */
export class PythonError extends Error {
  /** Qualified name of the exception type, e.g. `ValueError` or `arbor.ArbFileNotFoundError`. */
  readonly type: string;
  /** `str(exception)`. */
  readonly pythonMessage: string;
  /** The formatted Python traceback (`traceback.format_exception`). */
  readonly traceback: string;
  /** Creates the error; `options.cause` may hold a JavaScript error found in its chain. */
  constructor(type: string, message: string, traceback: string, options?: ErrorOptions) {
    super(`${type}: ${message}`, options);
    this.name = "PythonError";
    this.type = type;
    this.pythonMessage = message;
    this.traceback = traceback;
  }
}

/** Keyword arguments of a call (make them with {@link kw}); a JS function gets them last. */
export class Kwargs {
  /** Argument name to value. */
  readonly values: Record<string, unknown>;
  /** Wraps `values`. */
  constructor(values: Record<string, unknown>) {
    this.values = values;
  }
}

/** Marks keyword arguments: `f.call(1, kw({ reverse: true }))` calls `f(1, reverse=True)`. */
export function kw(values: Record<string, unknown>): Kwargs {
  return new Kwargs(values);
}

/** A JavaScript array that converts to a Python tuple rather than a list. */
export class PyTuple {
  /** The elements. */
  readonly items: readonly unknown[];
  /** Wraps `items`. */
  constructor(items: readonly unknown[]) {
    this.items = items;
  }
}

/** `tuple([a, b])` converts to the Python tuple `(a, b)`. */
export function tuple(items: readonly unknown[]): PyTuple {
  return new PyTuple(items);
}

/** A number that converts to a Python `float` even when it is integral (`pyFloat(1)` → `1.0`). */
export class PyFloat {
  /** The value. */
  readonly value: number;
  /** Wraps `value`. */
  constructor(value: number) {
    this.value = value;
  }
}

/** `pyFloat(1)` converts to the Python float `1.0` (plain integral numbers become `int`). */
export function pyFloat(value: number): PyFloat {
  return new PyFloat(value);
}

/** A buffer-protocol object copied out of Python: data in C order, shape and struct format. */
export interface PyBufferData {
  /** Copied elements: Float64Array for `d`, 8-byte ints and `e`; Float32Array for `f`;
   * Int32Array for signed ints up to 4 bytes; Uint32Array for `H`/`I`; Uint8Array for `B`/`?`/`c`. */
  data: Float64Array | Float32Array | Int32Array | Uint32Array | Uint8Array;
  /** Shape (one entry per dimension; `[n]` for 1-D). */
  shape: number[];
  /** The struct format string Python reported (e.g. `d`, `<i`, `B`). */
  format: string;
}

/** A value that converts to Python: JS primitives, arrays, plain objects, functions, proxies. */
export type ToPython = unknown;

// ---------------------------------------------------------------------------------------------
// Module state

interface State {
  lib: PythonLibrary;
  none: bigint;
  trueObj: bigint;
  falseObj: bigint;
  floatType: bigint;
  boolType: bigint;
  helpers: Pointer;
  jsErrorType: Pointer;
  builtins: Pointer;
  libraryPath: string;
}

let state: State | undefined;
let instance: Python | undefined;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function cstr(text: string): Uint8Array<ArrayBuffer> {
  const bytes = encoder.encode(text);
  const out = new Uint8Array(bytes.length + 1);
  out.set(bytes);
  return out;
}

function S(): State {
  if (state === undefined) throw new Error("Python is not loaded: call loadPython() first");
  return state;
}

function addr(p: Deno.PointerValue): bigint {
  return p === null ? 0n : Deno.UnsafePointer.value(p) as bigint;
}

function ptrOf(value: bigint): Deno.PointerValue {
  return Deno.UnsafePointer.create(value);
}

/** Runs `body` holding the GIL, without the failure check of {@link gil} (releasing references). */
function gilQuiet<T>(body: () => T): T {
  const lib = S().lib.symbols;
  const token = lib.PyGILState_Ensure();
  try {
    return body();
  } finally {
    lib.PyGILState_Release(token);
  }
}

/** How many bridge calls are running Python right now (nested when Python calls JS back). */
let pythonDepth = 0;

/**
 * Runs `body` holding the GIL (re-entrant: safe from callbacks and while Arbor released it).
 *
 * No silent path: when the outermost bridge call returns from Python, a failure recorded by any
 * live catalogue meanwhile (a hook that threw, or a hook Arbor called from a worker thread and
 * the catalogue refused) is thrown here, whatever the call was: `sim.run` through
 * `callMethod`, `py.exec` of a whole script, a property read. When Python raised as well, the
 * catalogue's failure wins, because it says why the Python call failed.
 */
function gil<T>(body: () => T): T {
  pythonDepth++;
  try {
    return gilQuiet(body);
  } finally {
    // A pending failure thrown here replaces the result, or Python's own error.
    pythonDepth--;
    if (pythonDepth === 0) throwPendingFailures();
  }
}

// References owned by proxies are released by dispose() or, failing that, by the registry.
const registry = new FinalizationRegistry<bigint>((address) => {
  if (state === undefined) return;
  gilQuiet(() => state!.lib.symbols.Py_DecRef(ptrOf(address)));
});

const OWN = Symbol("own");

/** Raises a pending Python error as a JS error (the original one if it came from JS). */
function throwPython(context?: string): never {
  const s = S();
  const lib = s.lib.symbols;
  if (lib.PyErr_Occurred() === null) {
    throw new Error(`Python call failed without an exception${context ? ` (${context})` : ""}`);
  }
  const t = new BigUint64Array(1), v = new BigUint64Array(1), tb = new BigUint64Array(1);
  lib.PyErr_Fetch(t, v, tb);
  lib.PyErr_NormalizeException(t, v, tb);
  const type = ptrOf(t[0]), value = ptrOf(v[0]), trace = ptrOf(tb[0]);
  try {
    if (value !== null && trace !== null) lib.PyException_SetTraceback(value, trace);
    let typeName = "Exception", message = "", traceText = "";
    let jsId = -1;
    try {
      const info = callRaw(s.helpers, "_describe", [
        type ?? ptrOf(s.none)!,
        value ?? ptrOf(s.none)!,
        trace ?? ptrOf(s.none)!,
      ]);
      try {
        const [name, text, formatted, id] = toJSValue(info, 2) as [string, string, string, number];
        typeName = name;
        message = text;
        traceText = formatted;
        jsId = id;
      } finally {
        lib.Py_DecRef(info);
      }
    } catch {
      lib.PyErr_Clear();
    }
    if (jsId >= 0 && jsErrors.has(jsId)) {
      const original = jsErrors.get(jsId);
      // The exception itself came from JS: give back the original error object.
      if (typeName.endsWith("JSError") && message.startsWith(`[js#${jsId}]`)) {
        jsErrors.delete(jsId);
        throw original;
      }
      throw new PythonError(typeName, message, traceText, { cause: original });
    }
    throw new PythonError(typeName, message, traceText);
  } finally {
    if (type !== null) lib.Py_DecRef(type);
    if (value !== null) lib.Py_DecRef(value);
    if (trace !== null) lib.Py_DecRef(trace);
  }
}

function check(p: Deno.PointerValue, context?: string): Pointer {
  if (p === null) throwPython(context);
  return p;
}

function checkStatus(status: number | bigint, context?: string): void {
  if (Number(status) === -1) throwPython(context);
}

/** Calls `owner.name(*args)` with owned argument pointers borrowed; returns a new reference. */
function callRaw(owner: Pointer, name: string, args: Pointer[]): Pointer {
  const lib = S().lib.symbols;
  const fn = check(lib.PyObject_GetAttrString(owner, cstr(name)), name);
  try {
    const t = check(lib.PyTuple_New(BigInt(args.length)));
    args.forEach((a, k) => {
      lib.Py_IncRef(a);
      lib.PyTuple_SetItem(t, BigInt(k), a);
    });
    try {
      return check(lib.PyObject_Call(fn, t, null), name);
    } finally {
      lib.Py_DecRef(t);
    }
  } finally {
    lib.Py_DecRef(fn);
  }
}

// ---------------------------------------------------------------------------------------------
// JS errors raised into Python: a side table, so the original error comes back to JS

const jsErrors = new Map<number, unknown>();
let nextErrorId = 1;
const MAX_PENDING_JS_ERRORS = 1024;

function raiseIntoPython(error: unknown): void {
  const s = S();
  const lib = s.lib.symbols;
  const id = nextErrorId++;
  jsErrors.set(id, error);
  if (jsErrors.size > MAX_PENDING_JS_ERRORS) jsErrors.delete(jsErrors.keys().next().value!);
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  const message = `[js#${id}] ${text}`;
  const args = lib.PyTuple_New(2n);
  if (args === null) return;
  lib.PyTuple_SetItem(args, 0n, newString(message));
  lib.PyTuple_SetItem(args, 1n, lib.PyLong_FromLongLong(BigInt(id)));
  const exception = lib.PyObject_Call(s.jsErrorType, args, null);
  lib.Py_DecRef(args);
  if (exception === null) return; // the constructor's own error is pending
  lib.PyErr_SetObject(s.jsErrorType, exception);
  lib.Py_DecRef(exception);
}

// ---------------------------------------------------------------------------------------------
// JS functions callable from Python

const jsFunctions = new Map<number, (...args: unknown[]) => unknown>();
let nextFunctionId = 1;
let methodDef: Uint8Array<ArrayBuffer> | undefined;
const keepAlive: unknown[] = [];
let capsuleDestructor: Deno.UnsafeCallback<
  { readonly parameters: readonly ["pointer"]; readonly result: "void" }
>;

function functionId(capsule: Deno.PointerValue): number {
  return Number(addr(S().lib.symbols.PyCapsule_GetPointer(capsule, null)));
}

function installCallbacks(): void {
  const lib = S().lib.symbols;
  const dispatch = new Deno.UnsafeCallback(
    { parameters: ["pointer", "pointer", "pointer"], result: "pointer" } as const,
    (self, args, kwargs): Deno.PointerValue => {
      try {
        const fn = jsFunctions.get(functionId(self));
        if (fn === undefined) throw new Error("denocat: this JavaScript function was released");
        const n = Number(lib.PyObject_Size(args));
        const values: unknown[] = [];
        for (let k = 0; k < n; k++) values.push(borrowed(lib.PyTuple_GetItem(args, BigInt(k))!));
        if (kwargs !== null && Number(lib.PyObject_Size(kwargs)) > 0) {
          const named: Record<string, PyObject> = {};
          for (const [key, value] of dictEntries(kwargs)) named[key] = borrowed(value);
          values.push(new Kwargs(named));
        }
        try {
          const result = fn(...values);
          if (result instanceof Promise) {
            result.catch(() => {});
            throw new TypeError(
              "a JavaScript function called from Python returned a Promise: it must be synchronous",
            );
          }
          return toPythonNew(result);
        } finally {
          // Arguments are borrowed for the call (keep one with .clone()).
          for (const value of values) {
            if (value instanceof PyObject) value.dispose();
            else if (value instanceof Kwargs) {
              for (const named of Object.values(value.values)) (named as PyObject).dispose();
            }
          }
        }
      } catch (error) {
        raiseIntoPython(error);
        return null;
      }
    },
  );
  capsuleDestructor = new Deno.UnsafeCallback(
    { parameters: ["pointer"], result: "void" } as const,
    (capsule) => {
      jsFunctions.delete(functionId(capsule));
    },
  );
  // struct PyMethodDef { const char* ml_name; PyCFunction ml_meth; int ml_flags; const char* ml_doc; }
  const name = cstr("denocat_js_function");
  methodDef = new Uint8Array(32);
  const view = new DataView(methodDef.buffer);
  view.setBigUint64(0, addr(Deno.UnsafePointer.of(name)), true);
  view.setBigUint64(8, addr(dispatch.pointer), true);
  view.setInt32(16, METH_VARARGS_KEYWORDS, true);
  view.setBigUint64(24, 0n, true);
  keepAlive.push(name, dispatch, capsuleDestructor, methodDef);
}

/** A new reference to a Python callable that runs `fn` (arguments as PyObject proxies). */
function newCallable(fn: (...args: never[]) => unknown): Pointer {
  const s = S();
  const lib = s.lib.symbols;
  const id = nextFunctionId++;
  jsFunctions.set(id, fn as (...args: unknown[]) => unknown);
  const capsule = lib.PyCapsule_New(ptrOf(BigInt(id)), null, capsuleDestructor.pointer);
  if (capsule === null) {
    jsFunctions.delete(id);
    throwPython("PyCapsule_New");
  }
  const raw = lib.PyCFunction_NewEx(Deno.UnsafePointer.of(methodDef!), capsule, null);
  lib.Py_DecRef(capsule); // the function holds it; its destructor forgets `fn`
  check(raw, "PyCFunction_NewEx");
  try {
    const name = newString(fn.name || "js_function");
    try {
      return callRaw(s.helpers, "_wrap", [raw!, name]);
    } finally {
      lib.Py_DecRef(name);
    }
  } finally {
    lib.Py_DecRef(raw);
  }
}

// ---------------------------------------------------------------------------------------------
// Conversions

function newString(text: string): Pointer {
  const bytes = encoder.encode(text);
  return check(S().lib.symbols.PyUnicode_FromStringAndSize(bytes, BigInt(bytes.length)));
}

function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Converts `value` to a new Python reference (GIL held by the caller). */
function toPythonNew(value: ToPython): Pointer {
  const s = S();
  const lib = s.lib.symbols;
  if (value instanceof PyObject) {
    const p = value.pointer;
    lib.Py_IncRef(p);
    return p;
  }
  if (value === null || value === undefined) {
    const none = ptrOf(s.none)!;
    lib.Py_IncRef(none);
    return none;
  }
  switch (typeof value) {
    case "boolean":
      return check(lib.PyBool_FromLong(value ? 1n : 0n));
    case "number":
      if (Number.isSafeInteger(value) && !Object.is(value, -0)) {
        return check(lib.PyLong_FromLongLong(BigInt(value)));
      }
      return check(lib.PyFloat_FromDouble(value));
    case "bigint":
      return check(lib.PyLong_FromString(cstr(value.toString()), null, 10));
    case "string":
      return newString(value);
    case "function":
      return newCallable(value as (...args: never[]) => unknown);
  }
  if (value instanceof PyFloat) return check(lib.PyFloat_FromDouble(value.value));
  if (value instanceof Uint8Array) return check(lib.PyBytes_FromStringAndSize(value, BigInt(value.length)));
  if (value instanceof PyTuple) return sequence(value.items, true);
  if (Array.isArray(value)) return sequence(value, false);
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    return sequence(Array.from(value as unknown as ArrayLike<number | bigint>), false);
  }
  if (value instanceof Map) return dict(value.entries());
  if (value instanceof Kwargs) throw new TypeError("kw(...) is only allowed as the last argument of a call");
  if (typeof value === "object" && isPlainObject(value)) return dict(Object.entries(value));
  throw new TypeError(`cannot convert ${Object.prototype.toString.call(value)} to Python`);
}

function sequence(items: readonly unknown[], isTuple: boolean): Pointer {
  const lib = S().lib.symbols;
  const out = check(isTuple ? lib.PyTuple_New(BigInt(items.length)) : lib.PyList_New(BigInt(items.length)));
  try {
    items.forEach((item, k) => {
      const p = toPythonNew(item);
      (isTuple ? lib.PyTuple_SetItem : lib.PyList_SetItem)(out, BigInt(k), p); // steals p
    });
  } catch (error) {
    lib.Py_DecRef(out);
    throw error;
  }
  return out;
}

function dict(entries: Iterable<[unknown, unknown]>): Pointer {
  const lib = S().lib.symbols;
  const out = check(lib.PyDict_New());
  try {
    for (const [key, value] of entries) {
      const k = toPythonNew(key);
      try {
        const v = toPythonNew(value);
        try {
          checkStatus(lib.PyDict_SetItem(out, k, v));
        } finally {
          lib.Py_DecRef(v);
        }
      } finally {
        lib.Py_DecRef(k);
      }
    }
  } catch (error) {
    lib.Py_DecRef(out);
    throw error;
  }
  return out;
}

function* dictEntries(d: Pointer): Generator<[string, Pointer]> {
  const lib = S().lib.symbols;
  const pos = new BigInt64Array(1), key = new BigUint64Array(1), value = new BigUint64Array(1);
  while (lib.PyDict_Next(d, pos, key, value) !== 0) {
    yield [stringOf(ptrOf(key[0])!), ptrOf(value[0])!];
  }
}

function stringOf(p: Pointer): string {
  const lib = S().lib.symbols;
  const size = new BigInt64Array(1);
  const utf8 = lib.PyUnicode_AsUTF8AndSize(p, size);
  if (utf8 === null) {
    const s = check(lib.PyObject_Str(p));
    try {
      return stringOf(s);
    } finally {
      lib.Py_DecRef(s);
    }
  }
  const n = Number(size[0]);
  return n === 0 ? "" : decoder.decode(new Uint8Array(Deno.UnsafePointerView.getArrayBuffer(utf8, n)));
}

/** A proxy owning a new reference to a borrowed pointer. */
function borrowed(p: Pointer): PyObject {
  S().lib.symbols.Py_IncRef(p);
  return new PyObject(OWN, p);
}

/** Converts `p` (borrowed) to JS; `depth` limits how far containers are converted. */
function toJSValue(p: Pointer, depth = Infinity): unknown {
  const s = S();
  const lib = s.lib.symbols;
  const a = addr(p);
  if (a === s.none) return null;
  if (a === s.trueObj) return true;
  if (a === s.falseObj) return false;
  const type = check(lib.PyObject_Type(p));
  const typeAddress = addr(type);
  const flags = lib.PyType_GetFlags(type) as bigint;
  lib.Py_DecRef(type);
  if (typeAddress === s.floatType) return lib.PyFloat_AsDouble(p);
  if (typeAddress === s.boolType) return lib.PyObject_IsTrue(p) === 1;
  if (flags & FLAG.long) {
    const value = lib.PyLong_AsLongLong(p) as bigint;
    if (value === -1n && lib.PyErr_Occurred() !== null) {
      lib.PyErr_Clear();
      return BigInt(strOf(p));
    }
    const n = Number(value);
    return Number.isSafeInteger(n) ? n : BigInt(value);
  }
  if (flags & FLAG.unicode) return stringOf(p);
  if (flags & FLAG.bytes) {
    const data = new BigUint64Array(1), size = new BigInt64Array(1);
    checkStatus(lib.PyBytes_AsStringAndSize(p, data, size));
    const n = Number(size[0]);
    return n === 0
      ? new Uint8Array(0)
      : new Uint8Array(Deno.UnsafePointerView.getArrayBuffer(ptrOf(data[0])!, n).slice(0));
  }
  if (depth <= 0) return borrowed(p);
  if (flags & (FLAG.list | FLAG.tuple)) {
    const out: unknown[] = [];
    const it = check(lib.PyObject_GetIter(p));
    try {
      for (let item = lib.PyIter_Next(it); item !== null; item = lib.PyIter_Next(it)) {
        try {
          out.push(toJSValue(item, depth - 1));
        } finally {
          lib.Py_DecRef(item);
        }
      }
      if (lib.PyErr_Occurred() !== null) throwPython();
    } finally {
      lib.Py_DecRef(it);
    }
    return out;
  }
  if (flags & FLAG.dict) {
    const out: Record<string, unknown> = {};
    for (const [key, value] of dictEntries(p)) out[key] = toJSValue(value, depth - 1);
    return out;
  }
  const buffer = readBuffer(p, false);
  if (buffer !== undefined) return buffer.data;
  return borrowed(p);
}

function strOf(p: Pointer): string {
  const lib = S().lib.symbols;
  const s = check(lib.PyObject_Str(p));
  try {
    return stringOf(s);
  } finally {
    lib.Py_DecRef(s);
  }
}

function readBuffer(p: Pointer, required: boolean): PyBufferData | undefined {
  const lib = S().lib.symbols;
  // Py_buffer: buf 0, obj 8, len 16, itemsize 24, readonly 32, ndim 36, format 40, shape 48,
  // strides 56, suboffsets 64, internal 72; 80 bytes.
  const view = new Uint8Array(80);
  if (lib.PyObject_GetBuffer(p, view, PYBUF_RECORDS_RO) !== 0) {
    if (required) throwPython("PyObject_GetBuffer");
    lib.PyErr_Clear();
    return undefined;
  }
  try {
    const dv = new DataView(view.buffer);
    const buf = ptrOf(dv.getBigUint64(0, true));
    const itemsize = Number(dv.getBigInt64(24, true));
    const ndim = dv.getInt32(36, true);
    const formatPointer = ptrOf(dv.getBigUint64(40, true));
    const format = formatPointer === null ? "B" : Deno.UnsafePointerView.getCString(formatPointer);
    const shapePointer = ptrOf(dv.getBigUint64(48, true));
    const stridePointer = ptrOf(dv.getBigUint64(56, true));
    const shape: number[] = [];
    const strides: number[] = [];
    for (let d = 0; d < ndim; d++) {
      shape.push(Number(new Deno.UnsafePointerView(shapePointer!).getBigInt64(8 * d)));
      strides.push(
        stridePointer === null ? 0 : Number(new Deno.UnsafePointerView(stridePointer).getBigInt64(8 * d)),
      );
    }
    if (stridePointer === null) { // C-contiguous
      for (let d = ndim - 1, step = itemsize; d >= 0; d--) {
        strides[d] = step;
        step *= shape[d];
      }
    }
    const count = shape.reduce((x, y) => x * y, 1);
    let code = format;
    if (/^[@=<!>]/.test(code)) {
      if (code[0] === ">" || code[0] === "!") {
        throw new TypeError(`buffer format '${format}' is big-endian: not supported`);
      }
      code = code.slice(1);
    }
    const make = (): PyBufferData["data"] => {
      switch (code) {
        case "d":
        case "e":
        case "q":
        case "Q":
          return new Float64Array(count);
        case "l":
        case "n":
          return itemsize === 8 ? new Float64Array(count) : new Int32Array(count);
        case "L":
        case "N":
          return itemsize === 8 ? new Float64Array(count) : new Uint32Array(count);
        case "f":
          return new Float32Array(count);
        case "b":
        case "h":
        case "i":
          return new Int32Array(count);
        case "H":
        case "I":
          return new Uint32Array(count);
        case "B":
        case "?":
        case "c":
          return new Uint8Array(count);
      }
      throw new TypeError(`buffer format '${format}' is not supported`);
    };
    const data = make();
    if (count === 0) return { data, shape, format };
    const view2 = new Deno.UnsafePointerView(buf!);
    const read = readerFor(code, itemsize, view2);
    const index = new Array(ndim).fill(0);
    for (let n = 0; n < count; n++) {
      let offset = 0;
      for (let d = 0; d < ndim; d++) offset += index[d] * strides[d];
      data[n] = read(offset);
      for (let d = ndim - 1; d >= 0; d--) {
        if (++index[d] < shape[d]) break;
        index[d] = 0;
      }
    }
    return { data, shape: ndim === 0 ? [] : shape, format };
  } finally {
    lib.PyBuffer_Release(view);
  }
}

function readerFor(code: string, itemsize: number, v: Deno.UnsafePointerView): (offset: number) => number {
  switch (code) {
    case "d":
      return (o) => v.getFloat64(o);
    case "f":
      return (o) => v.getFloat32(o);
    case "e":
      return (o) => halfToNumber(v.getUint16(o));
    case "b":
      return (o) => v.getInt8(o);
    case "h":
      return (o) => v.getInt16(o);
    case "i":
      return (o) => v.getInt32(o);
    case "H":
      return (o) => v.getUint16(o);
    case "I":
      return (o) => v.getUint32(o);
    case "B":
    case "?":
    case "c":
      return (o) => v.getUint8(o);
    case "q":
      return (o) => Number(v.getBigInt64(o));
    case "Q":
      return (o) => Number(v.getBigUint64(o));
    case "l":
    case "n":
      return itemsize === 8 ? (o) => Number(v.getBigInt64(o)) : (o) => v.getInt32(o);
    case "L":
    case "N":
      return itemsize === 8 ? (o) => Number(v.getBigUint64(o)) : (o) => v.getUint32(o);
  }
  throw new TypeError(`buffer format '${code}' is not supported`);
}

function halfToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 31) return fraction ? NaN : sign * Infinity;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

function splitKwargs(args: unknown[]): [unknown[], Kwargs | undefined] {
  const last = args[args.length - 1];
  return last instanceof Kwargs ? [args.slice(0, -1), last] : [args, undefined];
}

// ---------------------------------------------------------------------------------------------
// Proxy

/**
 * A Python object. It owns one reference, released by `dispose()` (or `using`), or by the
 * garbage collector when the proxy is collected.
 */
export class PyObject {
  #address: bigint;

  /** @internal Use the bridge's methods to get proxies. */
  constructor(token: typeof OWN, pointer: Pointer) {
    if (token !== OWN) throw new TypeError("PyObject cannot be constructed directly");
    this.#address = addr(pointer);
    registry.register(this, this.#address, this);
  }

  /** The raw `PyObject*` (borrowed: valid while this proxy is not disposed). */
  get pointer(): Deno.PointerObject {
    if (this.#address === 0n) throw new Error("this Python object was disposed");
    return ptrOf(this.#address)!;
  }

  /** The raw address as a number (for ctypes-style interop). */
  get address(): bigint {
    return this.#address;
  }

  /** Releases the reference now. Further use throws. */
  dispose(): void {
    if (this.#address === 0n) return;
    const p = ptrOf(this.#address);
    this.#address = 0n;
    registry.unregister(this);
    gilQuiet(() => S().lib.symbols.Py_DecRef(p));
  }

  /** `using obj = ...` releases the reference at the end of the block. */
  [Symbol.dispose](): void {
    this.dispose();
  }

  /** A new proxy with its own reference (keep a callback argument beyond the call with it). */
  clone(): PyObject {
    return gil(() => borrowed(this.pointer));
  }

  /** `getattr(self, name)`. */
  get(name: string): PyObject {
    return gil(() =>
      new PyObject(OWN, check(S().lib.symbols.PyObject_GetAttrString(this.pointer, cstr(name)), name))
    );
  }

  /** `hasattr(self, name)`. */
  has(name: string): boolean {
    return gil(() => S().lib.symbols.PyObject_HasAttrString(this.pointer, cstr(name)) === 1);
  }

  /** `setattr(self, name, value)`. */
  set(name: string, value: ToPython): void {
    gil(() => {
      const lib = S().lib.symbols;
      const v = toPythonNew(value);
      try {
        checkStatus(lib.PyObject_SetAttrString(this.pointer, cstr(name), v), name);
      } finally {
        lib.Py_DecRef(v);
      }
    });
  }

  /** `self(*args, **kw)`; end `args` with `kw({...})` for keyword arguments. */
  call(...args: ToPython[]): PyObject {
    return gil(() => new PyObject(OWN, this.#callPointer(this.pointer, args)));
  }

  /** `self.name(*args, **kw)`. */
  callMethod(name: string, ...args: ToPython[]): PyObject {
    return gil(() => {
      const lib = S().lib.symbols;
      const fn = check(lib.PyObject_GetAttrString(this.pointer, cstr(name)), name);
      try {
        return new PyObject(OWN, this.#callPointer(fn, args, name));
      } finally {
        lib.Py_DecRef(fn);
      }
    });
  }

  #callPointer(fn: Pointer, all: ToPython[], context?: string): Pointer {
    const lib = S().lib.symbols;
    const [args, kwargs] = splitKwargs(all);
    const t = sequence(args, true);
    try {
      const k = kwargs === undefined ? null : dict(Object.entries(kwargs.values));
      try {
        return check(lib.PyObject_Call(fn, t, k), context);
      } finally {
        if (k !== null) lib.Py_DecRef(k);
      }
    } finally {
      lib.Py_DecRef(t);
    }
  }

  /** `self[key]`. */
  item(key: ToPython): PyObject {
    return gil(() => {
      const lib = S().lib.symbols;
      const k = toPythonNew(key);
      try {
        return new PyObject(OWN, check(lib.PyObject_GetItem(this.pointer, k)));
      } finally {
        lib.Py_DecRef(k);
      }
    });
  }

  /** `self[key] = value`. */
  setItem(key: ToPython, value: ToPython): void {
    gil(() => {
      const lib = S().lib.symbols;
      const k = toPythonNew(key);
      try {
        const v = toPythonNew(value);
        try {
          checkStatus(lib.PyObject_SetItem(this.pointer, k, v));
        } finally {
          lib.Py_DecRef(v);
        }
      } finally {
        lib.Py_DecRef(k);
      }
    });
  }

  /** `len(self)`. */
  len(): number {
    return gil(() => {
      const n = Number(S().lib.symbols.PyObject_Size(this.pointer));
      if (n < 0) throwPython("len");
      return n;
    });
  }

  /** Iterates `iter(self)`, yielding proxies. */
  *[Symbol.iterator](): Generator<PyObject> {
    const it = gil(() => new PyObject(OWN, check(S().lib.symbols.PyObject_GetIter(this.pointer))));
    try {
      while (true) {
        const next = gil(() => {
          const lib = S().lib.symbols;
          const item = lib.PyIter_Next(it.pointer);
          if (item === null) {
            if (lib.PyErr_Occurred() !== null) throwPython("iteration");
            return undefined;
          }
          return new PyObject(OWN, item);
        });
        if (next === undefined) return;
        yield next;
      }
    } finally {
      it.dispose();
    }
  }

  /** `repr(self)`. */
  repr(): string {
    return gil(() => {
      const lib = S().lib.symbols;
      const r = check(lib.PyObject_Repr(this.pointer));
      try {
        return stringOf(r);
      } finally {
        lib.Py_DecRef(r);
      }
    });
  }

  /** `str(self)`. */
  toString(): string {
    return gil(() => strOf(this.pointer));
  }

  /** `bool(self)`. */
  truthy(): boolean {
    return gil(() => {
      const r = S().lib.symbols.PyObject_IsTrue(this.pointer);
      if (r < 0) throwPython("bool");
      return r === 1;
    });
  }

  /** `self is None`. */
  get isNone(): boolean {
    return this.#address === S().none;
  }

  /** `self == other`. */
  equals(other: ToPython): boolean {
    return gil(() => {
      const lib = S().lib.symbols;
      const o = toPythonNew(other);
      try {
        const r = lib.PyObject_RichCompareBool(this.pointer, o, PY_EQ);
        if (r < 0) throwPython("==");
        return r === 1;
      } finally {
        lib.Py_DecRef(o);
      }
    });
  }

  /** `isinstance(self, cls)`. */
  isInstance(cls: PyObject): boolean {
    return gil(() => {
      const r = S().lib.symbols.PyObject_IsInstance(this.pointer, cls.pointer);
      if (r < 0) throwPython("isinstance");
      return r === 1;
    });
  }

  #binary(
    op: "PyNumber_Add" | "PyNumber_Subtract" | "PyNumber_Multiply" | "PyNumber_TrueDivide",
    other: ToPython,
  ) {
    return gil(() => {
      const lib = S().lib.symbols;
      const o = toPythonNew(other);
      try {
        return new PyObject(OWN, check(lib[op](this.pointer, o), op));
      } finally {
        lib.Py_DecRef(o);
      }
    });
  }

  /** `self + other`. */
  add(other: ToPython): PyObject {
    return this.#binary("PyNumber_Add", other);
  }

  /** `self - other`. */
  sub(other: ToPython): PyObject {
    return this.#binary("PyNumber_Subtract", other);
  }

  /** `self * other` (e.g. `U.get("mV").mul(-65)` for `-65 * U.mV`). */
  mul(other: ToPython): PyObject {
    return this.#binary("PyNumber_Multiply", other);
  }

  /** `self / other`. */
  div(other: ToPython): PyObject {
    return this.#binary("PyNumber_TrueDivide", other);
  }

  /** `-self`. */
  neg(): PyObject {
    return gil(() => new PyObject(OWN, check(S().lib.symbols.PyNumber_Negative(this.pointer))));
  }

  /**
   * Converts to JavaScript: None → null, bool, int (number, or bigint when large), float, str,
   * bytes → Uint8Array, list/tuple → array, dict → object (recursively), a buffer-protocol
   * object → a copied typed array (see {@link PyObject.buffer}); anything else → a new proxy.
   */
  toJS(): unknown {
    return gil(() => toJSValue(this.pointer));
  }

  /** `float(self)` as a JS number. */
  number(): number {
    return gil(() => {
      const lib = S().lib.symbols;
      const value = lib.PyFloat_AsDouble(this.pointer);
      if (value === -1 && lib.PyErr_Occurred() !== null) throwPython("float");
      return value;
    });
  }

  /** Copies a buffer-protocol object (numpy array, array.array, memoryview) out of Python. */
  buffer(): PyBufferData {
    return gil(() => readBuffer(this.pointer, true)!);
  }
}

// ---------------------------------------------------------------------------------------------
// Finding and loading libpython

interface PythonInfo {
  executable: string;
  version: string;
  libdir: string | null;
  ldlibrary: string | null;
  instsoname: string | null;
  multiarch: string | null;
  base_prefix: string;
  base_exec_prefix: string;
  sites: string[];
}

const QUERY = [
  "import json, sys, sysconfig, site",
  "v = sysconfig.get_config_var",
  "sites = list(getattr(site, 'getsitepackages', lambda: [])())",
  "user = site.getusersitepackages() if site.ENABLE_USER_SITE else None",
  "sites += [user] if user else []",
  "print(json.dumps({'executable': sys.executable, 'version': '%d.%d' % sys.version_info[:2],",
  " 'libdir': v('LIBDIR'), 'ldlibrary': v('LDLIBRARY'), 'instsoname': v('INSTSONAME'),",
  " 'multiarch': v('MULTIARCH'), 'base_prefix': sys.base_prefix,",
  " 'base_exec_prefix': sys.base_exec_prefix, 'sites': sites}))",
].join("\n");

function askPython(executable: string): PythonInfo | string {
  try {
    const out = new Deno.Command(executable, { args: ["-c", QUERY], stdout: "piped", stderr: "piped" })
      .outputSync();
    if (!out.success) return `${executable} failed: ${decoder.decode(out.stderr).trim()}`;
    return JSON.parse(decoder.decode(out.stdout)) as PythonInfo;
  } catch (error) {
    return `${executable} could not be run (${(error as Error).message})`;
  }
}

function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

function versionOfLibrary(path: string): string | undefined {
  return /python(3\.\d+)/.exec(path)?.[1];
}

interface Located {
  path: string;
  info?: PythonInfo;
  tried: string[];
}

function locate(options: PythonOptions): Located {
  const tried: string[] = [];
  const explicit = options.library ?? Deno.env.get("DENOCAT_PYTHON");
  const executable = options.executable ?? "python3";
  const answer = askPython(executable);
  const info = typeof answer === "string" ? undefined : answer;
  if (explicit) {
    if (!isFile(explicit)) {
      throw new Error(
        `${options.library ? "options.library" : "DENOCAT_PYTHON"}=${explicit} does not name a readable file`,
      );
    }
    return { path: explicit, info: info?.version === versionOfLibrary(explicit) ? info : undefined, tried };
  }
  if (info === undefined) tried.push(answer as string);
  else if (info.libdir) {
    for (const name of [info.instsoname, info.ldlibrary]) {
      if (!name || name.endsWith(".a")) continue;
      for (const dir of [info.libdir, info.multiarch ? join(info.libdir, info.multiarch) : undefined]) {
        if (dir === undefined) continue;
        const path = join(dir, name);
        if (isFile(path)) return { path, info, tried };
        tried.push(path);
      }
    }
    if (![info.instsoname, info.ldlibrary].some((n) => n && !n.endsWith(".a"))) {
      tried.push(`${info.executable} (built without a shared libpython)`);
    }
  }
  const os = Deno.build.os;
  for (let minor = 13; minor >= 8; minor--) {
    const v = `3.${minor}`;
    const names = os === "darwin"
      ? [`/opt/homebrew/lib/libpython${v}.dylib`, `/usr/local/lib/libpython${v}.dylib`]
      : [
        `/usr/lib/x86_64-linux-gnu/libpython${v}.so.1.0`,
        `/usr/lib/aarch64-linux-gnu/libpython${v}.so.1.0`,
        `/usr/lib64/libpython${v}.so.1.0`,
        `/usr/lib/libpython${v}.so.1.0`,
        `/usr/local/lib/libpython${v}.so.1.0`,
        `/usr/lib/x86_64-linux-gnu/libpython${v}.so`,
        `/usr/lib64/libpython${v}.so`,
        `/usr/local/lib/libpython${v}.so`,
      ];
    for (const path of names) {
      if (isFile(path)) return { path, info: info?.version === v ? info : undefined, tried };
      tried.push(path);
    }
  }
  throw new Error(
    "could not find libpython 3.8–3.13. Set DENOCAT_PYTHON to the path of libpython3.X.so, or put a " +
      `python3 built with --enable-shared on PATH. Tried:\n  ${tried.join("\n  ")}`,
  );
}

const HELPERS = `
import sys, _thread, traceback
_owner = _thread.get_ident()

class JSError(Exception):
    """An error thrown by a JavaScript function that Python called."""
    def __init__(self, message, js_id=-1):
        super().__init__(message)
        self.js_id = js_id

def _wrap(raw, name):
    def js_function(*args, **kwargs):
        if _thread.get_ident() != _owner:
            raise RuntimeError(
                "denocat: the JavaScript function %r was called from a thread other than Deno's "
                "main thread, where JavaScript runs; run Arbor single-threaded: "
                "arbor.context(threads=1)" % name)
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
  state = {
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
  };
  gil(() => {
    const s = state!;
    const l = lib.symbols;
    s.builtins = check(l.PyImport_ImportModule(cstr("builtins")), "import builtins");
    const types = check(l.PyImport_ImportModule(cstr("types")), "import types");
    const name = newString("__denocat__");
    const module = callRaw(types, "ModuleType", [name]);
    l.Py_DecRef(name);
    l.Py_DecRef(types);
    const code = newString(HELPERS);
    const namespace = check(l.PyObject_GetAttrString(module, cstr("__dict__")));
    l.Py_DecRef(callRaw(s.builtins, "exec", [code, namespace]));
    l.Py_DecRef(namespace);
    l.Py_DecRef(code);
    s.helpers = module;
    s.jsErrorType = check(l.PyObject_GetAttrString(module, cstr("JSError")));
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
      new PyObject(OWN, check(S().lib.symbols.PyImport_ImportModule(cstr(name)), `import ${name}`))
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
  if (state === undefined) initialise(options);
  instance = new Python(OWN);
  return instance;
}
