/**
 * Arbor's units (part of arbor/mod.ts): quantities, cable properties and ion values in Arbor's
 * documented units, and their conversion to keyword values of the loaded version.
 *
 * @module
 */
import type { PyObject } from "../ffi/python/mod.ts";

/** A value in Arbor's units: a `value * arbor.units.<unit>` quantity on Arbor ≥ 0.10, a number before. */
export type Quantity = PyObject | number;

/** Cable properties in Arbor's documented units (converted to quantities where Arbor wants them). */
export interface CableProperties {
  /** Initial membrane potential (mV). */
  Vm?: number;
  /** Membrane capacitance (F/m²). */
  cm?: number;
  /** Axial resistivity (Ω·cm). */
  rL?: number;
  /** Temperature (K). */
  tempK?: number;
}

/** Ion species values in Arbor's documented units. */
export interface IonValues {
  /** Initial internal concentration (mM). */
  int_con?: number;
  /** Initial external concentration (mM). */
  ext_con?: number;
  /** Reversal potential (mV). */
  rev_pot?: number;
  /**
   * Diffusivity (m²/s, Arbor ≥ 0.10): the ion's diffusive concentration Xd then diffuses, and the
   * mechanisms that use it (`useDiffConcentration`) may be placed.
   */
  diff?: number;
  /** Valence (properties only). */
  valence?: number;
  /** A reversal-potential mechanism (`arbor.mechanism("nernst/na")`), passed unchanged. */
  method?: PyObject;
}

const PROPERTY_UNITS: Record<keyof CableProperties, string> = {
  Vm: "mV",
  cm: "F/m2",
  rL: "Ohm*cm",
  // arbor.units names the kelvin Kelvin (0.10 and later; 0.9 has no units)
  tempK: "Kelvin",
};
const ION_UNITS: Record<string, string | undefined> = {
  int_con: "mM",
  ext_con: "mM",
  rev_pot: "mV",
  diff: "m2/s",
};

/** `value` in Arbor's documented unit, checked: a finite number. */
export function checkNumber(value: unknown, what: string): number {
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw new TypeError(`${what} must be a finite number (in Arbor's documented unit), got ${String(value)}`);
  }
  return value;
}

/**
 * `value * units.<unit>` (`unit` names members of `arbor.units`, optionally joined by `*` and
 * `/`), or `value` itself when this Arbor has no units (0.9).
 */
export function quantity(units: PyObject | undefined, value: number, unit: string): Quantity {
  if (units === undefined) return value;
  // Composite units: "F/m2", "Ohm*cm" (names of arbor.units joined by * and /).
  const parts = unit.split(/([*/])/).map((part) => part.trim());
  let result = units.get(parts[0]).mul(value);
  for (let k = 1; k < parts.length; k += 2) {
    const factor = units.get(parts[k + 1]);
    result = parts[k] === "*" ? result.mul(factor) : result.div(factor);
  }
  return result;
}

/** Cable properties as keyword values for an Arbor with `units` (see {@link quantity}). */
export function propertyValues(
  units: PyObject | undefined,
  properties: CableProperties,
): Record<string, Quantity> {
  const values: Record<string, Quantity> = {};
  for (const [name, value] of Object.entries(properties)) {
    const unit = PROPERTY_UNITS[name as keyof CableProperties];
    if (unit === undefined) {
      throw new TypeError(
        `unknown cable property '${name}': use Vm (mV), cm (F/m²), rL (Ω·cm) or tempK (K)`,
      );
    }
    values[name] = quantity(units, checkNumber(value, name), unit);
  }
  return values;
}

/** Ion values as keyword values for an Arbor with `units` (see {@link quantity}). */
export function ionKeywordValues(units: PyObject | undefined, values: IonValues): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(values)) {
    if (value === undefined) continue;
    if (name === "method") out.method = value;
    else if (name === "valence") out.valence = checkNumber(value, name);
    else {
      const unit = ION_UNITS[name];
      if (unit === undefined) {
        throw new TypeError(
          `unknown ion value '${name}': use int_con (mM), ext_con (mM), rev_pot (mV), diff (m²/s), valence or method`,
        );
      }
      out[name] = quantity(units, checkNumber(value, name), unit);
    }
  }
  return out;
}
