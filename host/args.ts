/**
 * Argument checks of the public host API, made in TypeScript before any value reaches FFI: Deno
 * would otherwise truncate `1.7` to CV 1, turn `NaN` into 0 and `-1` into 4294967295, or fail
 * deep inside with "Invalid FFI u32 type". Every error names the argument and the value received.
 *
 * @module
 */
import { describeValue } from "../ffi/failures.ts";
import type { PerCv } from "./types.ts";

/** A clear error for argument `what`: `expected` describes what it must be. */
function wrong(what: string, expected: string, value: unknown): RangeError {
  return new RangeError(`${what} must be ${expected}, got ${describeValue(value)}`);
}

/** `value` as a number that is neither NaN nor a non-number. */
export function number(what: string, value: unknown): number {
  if (typeof value !== "number" || Number.isNaN(value)) throw wrong(what, "a number", value);
  return value;
}

/** `value` as a finite number. */
export function finite(what: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isFinite(value)) throw wrong(what, "a finite number", value);
  return value;
}

/** `value` as an integer in `[0, limit)`; `limit` names what bounds it, e.g. "the 4 CVs". */
export function index(what: string, value: unknown, limit: number, of: string): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0) {
    throw wrong(what, "an integer >= 0", value);
  }
  if (value >= limit) throw new RangeError(`${what} is ${value}, out of range for ${of}`);
  return value + 0; // -0 is an integer, but Deno's u32 conversion refuses it
}

/**
 * `values` as an array of indices in `[0, limit)`; messages name the entry (`what[k]`). The loop
 * builds no string unless an entry is wrong, so long lists cost little.
 */
export function indexList(what: string, values: unknown, limit: number, of: string): number[] {
  const entries = list(what, values);
  const out = new Array<number>(entries.length);
  for (let k = 0; k < entries.length; k++) {
    const x = entries[k];
    out[k] = typeof x === "number" && Number.isInteger(x) && x >= 0 && x < limit
      ? x + 0
      : index(`${what}[${k}]`, x, limit, of);
  }
  return out;
}

/** `values` as an array of finite numbers; messages name the entry (`what[k]`). */
export function finiteList(what: string, values: unknown): number[] {
  const entries = list(what, values);
  const out = new Array<number>(entries.length);
  for (let k = 0; k < entries.length; k++) {
    const x = entries[k];
    out[k] = typeof x === "number" && Number.isFinite(x) ? x : finite(`${what}[${k}]`, x);
  }
  return out;
}

/** `value` as a string. */
export function string(what: string, value: unknown): string {
  if (typeof value !== "string") throw wrong(what, "a string", value);
  return value;
}

/** `value` as a boolean, or `fallback` when undefined. */
export function boolean(what: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== "boolean") throw wrong(what, "true or false", value);
  return value;
}

/** `value` as an array (of anything; check the entries separately). */
export function list(what: string, value: unknown): readonly unknown[] {
  if (!Array.isArray(value)) throw wrong(what, "an array", value);
  return value;
}

/** `value` as an object of named values. */
export function record(what: string, value: unknown): Readonly<Record<string, unknown>> {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw wrong(what, "an object", value);
  }
  return value as Record<string, unknown>;
}

/** Smallest positive float32 (a subnormal): Arbor's event weights are 32-bit floats. */
const FLOAT32_TINY = 2 ** -149;
/** Largest finite float32. */
const FLOAT32_MAX = (2 - 2 ** -23) * 2 ** 127;

/**
 * `value` as an event weight: finite, and representable as Arbor's 32-bit float weight without
 * becoming 0 or infinite (1e-50 would silently turn into 0, 1e39 into Infinity).
 */
export function float32(what: string, value: unknown): number {
  const weight = finite(what, value);
  const rounded = Math.fround(weight);
  if (weight !== 0 && rounded === 0) {
    throw new RangeError(
      `${what} ${weight} is too small for Arbor's 32-bit float event weight and would become 0 ` +
        `(the smallest is about ${FLOAT32_TINY.toPrecision(2)}); rescale the mechanism's units`,
    );
  }
  if (!Number.isFinite(rounded)) {
    throw new RangeError(
      `${what} ${weight} is too large for Arbor's 32-bit float event weight (at most about ` +
        `${FLOAT32_MAX.toPrecision(3)}); rescale the mechanism's units`,
    );
  }
  return weight;
}

/** A per-CV value (one for all CVs, or one each) as `count` checked numbers. */
export function perCv(
  value: PerCv | undefined,
  fallback: number,
  count: number,
  what: string,
): Float64Array<ArrayBuffer> {
  const values = new Float64Array(count);
  if (value === undefined || typeof value === "number") values.fill(finite(what, value ?? fallback));
  else {
    const entries = finiteList(what, value);
    if (entries.length !== count) {
      throw new RangeError(`${what}: expected ${count} values (one per CV), got ${entries.length}`);
    }
    values.set(entries);
  }
  return values;
}

/** How an error names a placement argument (its name, when it has one). */
export function describePlacement(placement: unknown): string {
  const name = (placement as { name?: unknown } | null)?.name;
  return typeof name === "string" ? `placement '${name}'` : "the value given";
}

/** Checked parameter values: one number for all `expected` instances, or one each (0: any count). */
export function parameterValues(what: string, value: unknown, expected: number): Float64Array<ArrayBuffer> {
  if (typeof value === "number") return new Float64Array(Math.max(1, expected)).fill(number(what, value));
  const entries = list(`${what}: value (a number, or one number per instance)`, value);
  if (expected > 0 && entries.length !== expected) {
    throw new RangeError(`${what}: expected ${expected} values, got ${entries.length}`);
  }
  const values = new Float64Array(entries.length);
  for (let k = 0; k < entries.length; k++) {
    const x = entries[k];
    values[k] = typeof x === "number" && !Number.isNaN(x) ? x : number(`${what}[${k}]`, x);
  }
  return values;
}
