/**
 * PyObject: a JS proxy owning one reference to a Python object.
 *
 * Part of the CPython bridge; the public API is re-exported by ffi/python/mod.ts.
 *
 * @module
 */
import { cString } from "../open.ts";
import { type Pointer, PY_EQ } from "./symbols.ts";
import type { PyBufferData, ToPython } from "./types.ts";
import {
  addr,
  check,
  checkStatus,
  gil,
  gilQuiet,
  OWN,
  ptrOf,
  registry,
  S,
  stringOf,
  throwPython,
} from "./state.ts";
import {
  bindProxyClass,
  borrowed,
  dict,
  readBuffer,
  sequence,
  splitKwargs,
  strOf,
  toJSValue,
  toPythonNew,
} from "./convert.ts";

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
      new PyObject(OWN, check(S().lib.symbols.PyObject_GetAttrString(this.pointer, cString(name)), name))
    );
  }

  /** `hasattr(self, name)`. */
  has(name: string): boolean {
    return gil(() => S().lib.symbols.PyObject_HasAttrString(this.pointer, cString(name)) === 1);
  }

  /** `setattr(self, name, value)`. */
  set(name: string, value: ToPython): void {
    gil(() => {
      const lib = S().lib.symbols;
      const v = toPythonNew(value);
      try {
        checkStatus(lib.PyObject_SetAttrString(this.pointer, cString(name), v), name);
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
      const fn = check(lib.PyObject_GetAttrString(this.pointer, cString(name)), name);
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

bindProxyClass({ own: (p) => new PyObject(OWN, p), is: (value) => value instanceof PyObject });
