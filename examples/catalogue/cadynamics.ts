/**
 * Arbor's bbp-catalogue `CaDynamics_E2` (mechanisms/bbp/CaDynamics_E2.mod, after Destexhe et al.
 * 1994) as a pointwise density mechanism: the free calcium concentration in a thin shell under the
 * membrane, filled by the calcium current and relaxing to a floor.
 *
 * d[Ca]ᵢ/dt = −5000·ica·gamma/(F·depth) − ([Ca]ᵢ − minCai)/decay
 *
 * The first term is the influx: ica (mA/cm², inward negative) carries ica/(2F) mol of Ca²⁺ per
 * unit area and time; spread over a shell `depth` µm deep, of which the fraction `gamma` stays
 * free (not buffered), that is 10⁴·ica·gamma/(2·F·depth) mM/ms, written as 5000/F as the .mod
 * file writes it (so the arithmetic is the builtin's). The second is removal with time constant
 * `decay`.
 *
 * The concentration is a STATE named `cai` that the mechanism writes to the calcium ion
 * (`USEION ca READ ica WRITE cai`): here the state field `shellCai`, whose Arbor name is `cai`
 * (in the scope, `x.cai` is the ion's concentration), an ion with `writeIntConcentration`, and a
 * `concentrations()` kernel that gives the state to the ion after every step. It starts at
 * `initCai`. The derivative is linear in the state, so `cnexp` integrates it, as modcc does.
 *
 * Parameters as the builtin's: F (Faraday's constant, the value of the .mod file) is a GLOBAL;
 * gamma, decay, depth, minCai and initCai are per location (RANGE). The state has no unit in
 * Arbor's mechanism info (the .mod file declares none); it is in mM.
 *
 * @module
 */
import type { ConcentrationValues, Ion, Scope, StateValues } from "../../mod.ts";
import { global, ion, mechanism, parameter, PointwiseMechanism, state } from "../../mod.ts";

/** Arbor's bbp `CaDynamics_E2`: calcium in a submembrane shell. */
@mechanism({ name: "CaDynamics_E2", kind: "density", method: "cnexp" })
export class CaDynamicsE2 extends PointwiseMechanism {
  /** Faraday's constant, C/mol. */
  @global({ unit: "coulomb/mole", default: 96485.3321233100184 })
  F!: number;
  /** Fraction of the entering calcium that stays free (not buffered). */
  @parameter({ default: 0.05 })
  gamma!: number;
  /** Time constant of removal, ms. */
  @parameter({ unit: "ms", default: 80 })
  decay!: number;
  /** Depth of the shell, µm. */
  @parameter({ unit: "um", default: 0.1 })
  depth!: number;
  /** The concentration removal relaxes to, mM. */
  @parameter({ unit: "mM", default: 1e-4 })
  minCai!: number;
  /** The concentration at initialisation, mM. */
  @parameter({ default: 5e-5 })
  initCai!: number;
  /** Free calcium in the shell, mM: Arbor's state `cai`, written to the ion. */
  @state({ name: "cai" })
  shellCai!: number;
  /** Calcium: reads ica, writes the internal concentration. */
  @ion({ readRevPotential: false, writeIntConcentration: true })
  ca!: Ion;

  /** CaDynamics_E2.mod INITIAL: `cai = initCai`. */
  override initial(x: Scope<CaDynamicsE2>): StateValues<CaDynamicsE2> {
    return { shellCai: x.initCai };
  }

  /** CaDynamics_E2.mod DERIVATIVE: influx of the calcium current, removal towards minCai. */
  override derivative(x: Scope<CaDynamicsE2>): StateValues<CaDynamicsE2> {
    const influx = -5000 * x.ica * x.gamma / (x.F * x.depth);
    return { shellCai: influx - (x.shellCai - x.minCai) / x.decay };
  }

  /** `WRITE cai`: the ion's internal concentration is the shell's. */
  override concentrations(x: Scope<CaDynamicsE2>): ConcentrationValues<CaDynamicsE2> {
    return { cai: x.shellCai };
  }
}
