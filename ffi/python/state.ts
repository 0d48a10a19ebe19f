/**
 * The loaded interpreter (module state), the GIL wrappers, Python errors raised as JS errors and JS errors raised into Python.
 *
 * Part of the CPython bridge; the public API is re-exported by ffi/python/mod.ts.
 *
 * @module
 */
import { PythonError } from "./types.ts";

import { cString } from "../open.ts";
import { throwPendingFailures } from "../failures.ts";
import type { Pointer, PythonLibrary } from "./symbols.ts";

// ---------------------------------------------------------------------------------------------
// Module state

export interface State {
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

/** Records the interpreter once ffi/python/bridge.ts has initialised it. */
export function setState(loaded: State): void {
  state = loaded;
}

/** The loaded interpreter, or undefined before the first loadPython(). */
export function loadedState(): State | undefined {
  return state;
}

export const encoder = new TextEncoder();
export const decoder = new TextDecoder();

export function S(): State {
  if (state === undefined) throw new Error("Python is not loaded: call loadPython() first");
  return state;
}

export function addr(p: Deno.PointerValue): bigint {
  return p === null ? 0n : Deno.UnsafePointer.value(p) as bigint;
}

export function ptrOf(value: bigint): Deno.PointerValue {
  return Deno.UnsafePointer.create(value);
}

/** Runs `body` holding the GIL, without the failure check of {@link gil} (releasing references). */
export function gilQuiet<T>(body: () => T): T {
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
export function gil<T>(body: () => T): T {
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
export const registry = new FinalizationRegistry<bigint>((address) => {
  if (state === undefined) return;
  gilQuiet(() => state!.lib.symbols.Py_DecRef(ptrOf(address)));
});

export const OWN = Symbol("own");

/** Raises a pending Python error as a JS error (the original one if it came from JS). */
export function throwPython(context?: string): never {
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
        // _describe returns (name, text, formatted, id); read it here rather than with the
        // conversions of convert.ts, which build on this module.
        const item = (k: number) => lib.PyTuple_GetItem(info, BigInt(k))!;
        typeName = stringOf(item(0));
        message = stringOf(item(1));
        traceText = stringOf(item(2));
        jsId = Number(lib.PyLong_AsLongLong(item(3)));
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

export function check(p: Deno.PointerValue, context?: string): Pointer {
  if (p === null) throwPython(context);
  return p;
}

export function checkStatus(status: number | bigint, context?: string): void {
  if (Number(status) === -1) throwPython(context);
}

/** Calls `owner.name(*args)` with owned argument pointers borrowed; returns a new reference. */
export function callRaw(owner: Pointer, name: string, args: Pointer[]): Pointer {
  const lib = S().lib.symbols;
  const fn = check(lib.PyObject_GetAttrString(owner, cString(name)), name);
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

export const jsErrors = new Map<number, unknown>();
let nextErrorId = 1;
export const MAX_PENDING_JS_ERRORS = 1024;

export function raiseIntoPython(error: unknown): void {
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

export function newString(text: string): Pointer {
  const bytes = encoder.encode(text);
  return check(S().lib.symbols.PyUnicode_FromStringAndSize(bytes, BigInt(bytes.length)));
}

export function stringOf(p: Pointer): string {
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
