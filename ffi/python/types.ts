/**
 * The public value types of the bridge: options, errors and the wrappers that pick a Python type.
 *
 * Part of the CPython bridge; the public API is re-exported by ffi/python/mod.ts.
 *
 * @module
 */

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
