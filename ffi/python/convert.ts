/**
 * Conversions between JS values and Python objects, including JS functions callable from Python.
 *
 * Part of the CPython bridge; the public API is re-exported by ffi/python/mod.ts.
 *
 * @module
 */
import { cString } from "../open.ts";
import { FLAG, METH_VARARGS_KEYWORDS, type Pointer, PYBUF_RECORDS_RO } from "./symbols.ts";
import { Kwargs, type PyBufferData, PyFloat, PyTuple, type ToPython } from "./types.ts";
import {
  addr,
  callRaw,
  check,
  checkStatus,
  newString,
  ptrOf,
  raiseIntoPython,
  S,
  stringOf,
  throwPython,
} from "./state.ts";
import type { PyObject } from "./proxy.ts";

/**
 * What the conversions need of PyObject (ffi/python/proxy.ts), which itself converts with this
 * module: proxy.ts binds it when it loads, so that no static import cycle exists.
 */
interface ProxyClass {
  /** A proxy that owns the (new) reference `p`. */
  own(p: Pointer): PyObject;
  /** Whether `value` is a proxy. */
  is(value: unknown): value is PyObject;
}

let proxies: ProxyClass | undefined;

/** Called once by ffi/python/proxy.ts. */
export function bindProxyClass(bound: ProxyClass): void {
  proxies = bound;
}

function proxyClass(): ProxyClass {
  if (proxies === undefined) throw new Error("denocat internal error: ffi/python/proxy.ts was not loaded");
  return proxies;
}

function isProxy(value: unknown): value is PyObject {
  return proxyClass().is(value);
}

// ---------------------------------------------------------------------------------------------
// JS functions callable from Python

export const jsFunctions = new Map<number, (...args: unknown[]) => unknown>();
let nextFunctionId = 1;
let methodDef: Uint8Array<ArrayBuffer> | undefined;
export const keepAlive: unknown[] = [];
let capsuleDestructor: Deno.UnsafeCallback<
  { readonly parameters: readonly ["pointer"]; readonly result: "void" }
>;

export function functionId(capsule: Deno.PointerValue): number {
  return Number(addr(S().lib.symbols.PyCapsule_GetPointer(capsule, null)));
}

export function installCallbacks(): void {
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
            if (isProxy(value)) value.dispose();
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
  const name = cString("denocat_js_function");
  methodDef = new Uint8Array(32);
  const view = new DataView(methodDef.buffer);
  view.setBigUint64(0, addr(Deno.UnsafePointer.of(name)), true);
  view.setBigUint64(8, addr(dispatch.pointer), true);
  view.setInt32(16, METH_VARARGS_KEYWORDS, true);
  view.setBigUint64(24, 0n, true);
  keepAlive.push(name, dispatch, capsuleDestructor, methodDef);
}

/** A new reference to a Python callable that runs `fn` (arguments as PyObject proxies). */
export function newCallable(fn: (...args: never[]) => unknown): Pointer {
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

export function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Converts `value` to a new Python reference (GIL held by the caller). */
export function toPythonNew(value: ToPython): Pointer {
  const s = S();
  const lib = s.lib.symbols;
  if (isProxy(value)) {
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
      return check(lib.PyLong_FromString(cString(value.toString()), null, 10));
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

export function sequence(items: readonly unknown[], isTuple: boolean): Pointer {
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

export function dict(entries: Iterable<[unknown, unknown]>): Pointer {
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

export function* dictEntries(d: Pointer): Generator<[string, Pointer]> {
  const lib = S().lib.symbols;
  const pos = new BigInt64Array(1), key = new BigUint64Array(1), value = new BigUint64Array(1);
  while (lib.PyDict_Next(d, pos, key, value) !== 0) {
    yield [stringOf(ptrOf(key[0])!), ptrOf(value[0])!];
  }
}

/** A proxy owning a new reference to a borrowed pointer. */
export function borrowed(p: Pointer): PyObject {
  S().lib.symbols.Py_IncRef(p);
  return proxyClass().own(p);
}

/** Converts `p` (borrowed) to JS; `depth` limits how far containers are converted. */
export function toJSValue(p: Pointer, depth = Infinity): unknown {
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

export function strOf(p: Pointer): string {
  const lib = S().lib.symbols;
  const s = check(lib.PyObject_Str(p));
  try {
    return stringOf(s);
  } finally {
    lib.Py_DecRef(s);
  }
}

export function readBuffer(p: Pointer, required: boolean): PyBufferData | undefined {
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

export function readerFor(
  code: string,
  itemsize: number,
  v: Deno.UnsafePointerView,
): (offset: number) => number {
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

export function halfToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 31) return fraction ? NaN : sign * Infinity;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

export function splitKwargs(args: unknown[]): [unknown[], Kwargs | undefined] {
  const last = args[args.length - 1];
  return last instanceof Kwargs ? [args.slice(0, -1), last] : [args, undefined];
}
