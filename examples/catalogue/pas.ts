/**
 * Arbor's default-catalogue `pas` (mechanisms/default/pas.mod, unchanged from Arbor 0.9.0 to
 * 0.12.0-dev) as a pointwise density mechanism: a passive leak.
 *
 * Where each piece comes from in pas.mod:
 *  - `NEURON { RANGE g  GLOBAL e  NONSPECIFIC_CURRENT i }`: `g` is a parameter (per location),
 *    `e` a global (one value per mechanism, set in Arbor with a derived name such as
 *    `"pas/e=-65"`);
 *  - `PARAMETER { g = .001 (S/cm2)  e = -70 (mV) }`: the defaults and units;
 *  - `BREAKPOINT { i = g*(v - e) }`: the current, in mA/cm² (density kind). modcc differentiates
 *    it symbolically, so the conductance dI/dV written into `vec_g` is `g` itself; the kernel
 *    returns it explicitly instead of leaving denocat to take a finite difference;
 *  - `INITIAL {}` and no STATE: nothing to initialise or integrate.
 *
 * `g` would hide `pp.g` (the shared conductance array) in denocat, so the field is called `gbar`
 * and declared with `name: "g"`: Arbor, and every host, still see a parameter `g`.
 *
 * @module
 */
import {
  type CurrentValues,
  global,
  mechanism,
  parameter,
  PointwiseMechanism,
  type Scope,
} from "../../mod.ts";

/** Arbor's `pas`: `i = g·(v − e)` with parameter `g` (S/cm²) and global `e` (mV). */
@mechanism({ name: "pas", kind: "density" })
export class Pas extends PointwiseMechanism {
  /** Leak conductance density (Arbor name `g`), S/cm². */
  @parameter({ name: "g", unit: "S/cm2", default: 0.001 })
  gbar!: number;
  /** Leak reversal potential, mV; a GLOBAL in pas.mod. */
  @global({ unit: "mV", default: -70 })
  e!: number;

  /** pas.mod BREAKPOINT: `i = g*(v - e)` (mA/cm²) and its derivative `g` (S/cm²). */
  override current(x: Scope<Pas>): CurrentValues<Pas> {
    return { i: x.gbar * (x.v - x.e), g: x.gbar };
  }
}
