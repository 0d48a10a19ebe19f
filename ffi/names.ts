/**
 * The names an ion gives a mechanism: `ina`, `gna`, `ena`, `nai`, `nao`, `nad`, `valenceNa`,
 * `indexNa` for `na`. Defined once here; the ppack object's view names (ffi/ppack.ts
 * `ionViewNames`) and the kernel scope keys (kernels/rules.ts `ionScopeNames`) both read them.
 *
 * @module
 */

/** Every name derived from the ion `ion`. */
export interface IonNames {
  /** `i<ion>`: current density (ppack view and kernel output). */
  readonly current: string;
  /** `g<ion>`: conductivity (ppack view and kernel output). */
  readonly conductance: string;
  /** `e<ion>`: reversal potential. */
  readonly reversal: string;
  /** `<ion>i`: internal concentration. */
  readonly internal: string;
  /** `<ion>o`: external concentration. */
  readonly external: string;
  /** `<ion>d`: diffusive concentration. */
  readonly diffusive: string;
  /** `valence<Ion>`: the species valence. */
  readonly valence: string;
  /** `index<Ion>`: instance to ion array position (ppack only). */
  readonly index: string;
}

/**
 * The names derived from an ion.
 *
 * @example
 * ```ts
 * import { ionNames } from "./names.ts";
 * console.log(ionNames("na").valence); // "valenceNa"
 * ```
 */
export function ionNames(ion: string): IonNames {
  const capital = ion.charAt(0).toUpperCase() + ion.slice(1);
  return {
    // This order is the kernel scope's order (kernels/rules.ts ionScopeNames).
    reversal: `e${ion}`,
    internal: `${ion}i`,
    external: `${ion}o`,
    diffusive: `${ion}d`,
    valence: `valence${capital}`,
    current: `i${ion}`,
    conductance: `g${ion}`,
    index: `index${capital}`,
  };
}
