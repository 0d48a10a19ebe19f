/**
 * {@link Decor} (part of arbor/mod.ts): an `arbor.decor` that keeps the results of `paint` and
 * `place`.
 *
 * @module
 */
import { kw, type PyObject } from "../ffi/python/mod.ts";
import type { Arbor } from "./core.ts";
import type { CableProperties, IonValues } from "./units.ts";

/**
 * An `arbor.decor` whose `paint`/`place` results are kept: the bindings of every version
 * return a copy of the decor from most of them (`decor = decor.place(...)`), and `None` from
 * painting a scaled mechanism. Get the Python object with {@link Decor.object}.
 */
export class Decor {
  readonly #arb: Arbor;
  #decor: PyObject;

  /** @internal Use {@link Arbor.decor}. */
  constructor(arb: Arbor, decor: PyObject) {
    this.#arb = arb;
    this.#decor = decor;
  }

  /** The `arbor.decor`, with everything applied so far. */
  get object(): PyObject {
    return this.#decor;
  }

  #keep(result: PyObject): this {
    if (!result.isNone) this.#decor = result;
    return this;
  }

  /** `decor.paint(region, thing)`: a density mechanism, a scaled mechanism, a voltage process. */
  paint(region: string, thing: PyObject): this {
    return this.#keep(this.#decor.callMethod("paint", region, thing));
  }

  /** `decor.paint(region, Vm=, cm=, rL=, tempK=)`: cable properties on a region. */
  paintProperties(region: string, properties: CableProperties): this {
    return this.#keep(this.#decor.callMethod("paint", region, kw(this.#arb.properties(properties))));
  }

  /** `decor.place(locset, thing, label)`: a synapse, a junction or a threshold detector. */
  place(locset: string, thing: PyObject, label: string): this {
    return this.#keep(this.#decor.callMethod("place", locset, thing, label));
  }

  /**
   * A current clamp ({@link Arbor.iclamp}) at `locset`. `label` names the stimuli up to Arbor
   * 0.11; from 0.12 `place` takes no label for clamps and it is dropped.
   */
  stimulus(locset: string, clamp: PyObject, label: string): this {
    const args = this.#arb.api.clampLabel ? [locset, clamp, label] : [locset, clamp];
    return this.#keep(this.#decor.callMethod("place", ...args));
  }

  /** `decor.set_property(Vm=, cm=, rL=, tempK=)`: cell-wide defaults. */
  setProperty(properties: CableProperties): this {
    return this.#keep(this.#decor.callMethod("set_property", kw(this.#arb.properties(properties))));
  }

  /** `decor.set_ion(ion, int_con=, ext_con=, rev_pot=, diff=, method=)`: cell-wide ion defaults. */
  setIon(ion: string, values: IonValues): this {
    return this.#keep(this.#decor.callMethod("set_ion", ion, kw(this.#arb.ionValues(values))));
  }
}
