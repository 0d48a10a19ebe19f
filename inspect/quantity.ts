/**
 * Quantities of `denocat inspect`: voltages, times and temperatures given as numbers (in mV, ms
 * and °C) or as text with a unit (`"-80 mV"`, `"0.5 s"`, `"310.15 K"`), checked where they are
 * read so that a mistake is named by the parameter it was given for: a wrong unit
 * (`activation.hold = "100 ms"`), a value that is no number, one outside what makes sense.
 *
 * @module
 */

/** What a quantity measures, with the unit its numbers are in. */
export type Dimension = "voltage" | "time" | "temperature";

/** A number in the dimension's unit (mV, ms, °C), or text with a unit such as `"-80 mV"`. */
export type Quantity = number | string;

/** The unit plain numbers are in, per dimension. */
export const BASE_UNIT: Readonly<Record<Dimension, string>> = {
  voltage: "mV",
  time: "ms",
  temperature: "°C",
};

/** Units understood per dimension: how a value in that unit becomes one in the base unit. */
const UNITS: Readonly<Record<string, { dimension: Dimension; toBase: (x: number) => number }>> = {
  mV: { dimension: "voltage", toBase: (x) => x },
  V: { dimension: "voltage", toBase: (x) => x * 1000 },
  uV: { dimension: "voltage", toBase: (x) => x / 1000 },
  "µV": { dimension: "voltage", toBase: (x) => x / 1000 },
  ms: { dimension: "time", toBase: (x) => x },
  s: { dimension: "time", toBase: (x) => x * 1000 },
  us: { dimension: "time", toBase: (x) => x / 1000 },
  "µs": { dimension: "time", toBase: (x) => x / 1000 },
  degC: { dimension: "temperature", toBase: (x) => x },
  "°C": { dimension: "temperature", toBase: (x) => x },
  celsius: { dimension: "temperature", toBase: (x) => x },
  K: { dimension: "temperature", toBase: (x) => x - 273.15 },
};

/** An error in what was asked of `inspect`: a parameter, a range, a source. */
export class InspectError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "InspectError";
  }
}

const QUANTITY = /^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*([^\s\d].*?)?\s*$/;

/**
 * The value of `value` in the base unit of `dimension`; `what` names it in errors (e.g.
 * `"activation.hold"`).
 *
 * @example
 * ```ts
 * import { quantity } from "./quantity.ts";
 * quantity("activation.hold", "-0.08 V", "voltage"); // -80
 * quantity("ramp.after", 100, "time"); // 100
 * ```
 */
export function quantity(what: string, value: unknown, dimension: Dimension): number {
  const base = BASE_UNIT[dimension];
  if (typeof value === "number") {
    if (!Number.isFinite(value)) {
      throw new InspectError(`${what} must be a finite number of ${base}, got ${value}`);
    }
    return value;
  }
  if (typeof value !== "string") {
    throw new InspectError(
      `${what} must be a number of ${base} or text with a unit such as "${example(dimension)}", got ${
        describe(value)
      }`,
    );
  }
  const match = QUANTITY.exec(value);
  if (!match) {
    throw new InspectError(
      `${what}: "${value}" is not a ${dimension}; give a number of ${base} or text such as "${
        example(dimension)
      }"`,
    );
  }
  const number = Number(match[1]);
  const unit = match[2];
  if (unit === undefined) return number;
  const known = UNITS[unit];
  if (known === undefined) {
    throw new InspectError(
      `${what}: unknown unit '${unit}' in "${value}"; a ${dimension} takes ${unitsOf(dimension)}`,
    );
  }
  if (known.dimension !== dimension) {
    throw new InspectError(
      `${what}: "${value}" is a ${known.dimension}, but ${what} is a ${dimension} (${unitsOf(dimension)})`,
    );
  }
  return known.toBase(number);
}

/** A list of quantities: an array, or text separated by commas (`"800 ms, 400 ms"`). */
export function quantities(what: string, value: unknown, dimension: Dimension): number[] {
  const items = typeof value === "string" ? value.split(",").filter((s) => s.trim() !== "") : value;
  if (!Array.isArray(items) || items.length === 0) {
    throw new InspectError(`${what} must be a non-empty list of ${dimension}s, got ${describe(value)}`);
  }
  return items.map((item, k) => quantity(`${what}[${k}]`, item, dimension));
}

/** Throws unless `value` > 0 (a duration, a step). */
export function positive(what: string, value: number, unit: string): number {
  if (!(value > 0)) throw new InspectError(`${what} must be greater than 0 ${unit}, got ${value} ${unit}`);
  return value;
}

/** The largest |voltage| a protocol may ask for: beyond it no channel model is meant to be read. */
export const VOLTAGE_LIMIT = 1000;

/** Throws unless `value` is a membrane voltage that makes sense (|V| ≤ 1000 mV). */
export function membraneVoltage(what: string, value: number): number {
  if (Math.abs(value) > VOLTAGE_LIMIT) {
    throw new InspectError(
      `${what} = ${value} mV is outside ±${VOLTAGE_LIMIT} mV; voltages are in mV (did you mean ${
        value / 1000
      } V?)`,
    );
  }
  return value;
}

function unitsOf(dimension: Dimension): string {
  return Object.entries(UNITS).filter(([, u]) => u.dimension === dimension).map(([name]) => name).join(", ");
}

function example(dimension: Dimension): string {
  return { voltage: "-80 mV", time: "100 ms", temperature: "34 degC" }[dimension];
}

/** A value for a message: short, typed. */
export function describe(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (value === null || value === undefined || typeof value !== "object") return String(value);
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
