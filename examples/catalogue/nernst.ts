/**
 * Arbor's default-catalogue `nernst` (mechanisms/default/nernst.mod, unchanged from Arbor 0.9.0
 * to 0.12.0-dev) as a pointwise reversal-potential mechanism: the Nernst potential of a generic
 * ion `x`, bound to a real species by a derived name, e.g. `"nernst/na"`.
 *
 * Where each piece comes from in nernst.mod:
 *  - `USEION x READ xi, xo WRITE ex VALENCE zx`: the ion flags readIntConcentration,
 *    readExtConcentration, writeRevPotential and readValence; eX is not read
 *    (readRevPotential false);
 *  - `GLOBAL R, F` with `R = 8.31446261815324 (joule/kelvin/mole)` and
 *    `F = 96485.3321233100184 (coulomb/mole)` (the exact SI values);
 *  - `ASSIGNED { coeff }` with `RANGE coeff`: listed by modcc as a state variable, so a state here;
 *  - `INITIAL { coeff = R*(celsius + 273.15)/(zx*F)*1000 }`: RT/(zF) in mV, per CV (celsius is
 *    the CV's temperature), evaluated in the .mod file's order;
 *  - `BREAKPOINT { ex = coeff*log(xo/xi) }`: assigned (never accumulated, never weighted) in
 *    `compute_currents`, which Arbor calls for reversal-potential mechanisms at the start of
 *    every step (docs/abi.md 4.2 step 3, 5.3).
 *
 * @module
 */
import {
  global,
  type Ion,
  ion,
  mechanism,
  PointwiseMechanism,
  type ReversalValues,
  type Scope,
  state,
  type StateValues,
} from "../../mod.ts";

/** Arbor's `nernst`: eX = RT/(zF)·ln(Xo/Xi), for the ion given by the derived name. */
@mechanism({ name: "nernst", kind: "reversalPotential" })
export class Nernst extends PointwiseMechanism {
  /** Gas constant, J/(K·mol). */
  @global({ unit: "joule/kelvin/mole", default: 8.31446261815324 })
  R!: number;
  /** Faraday constant, C/mol. */
  @global({ unit: "coulomb/mole", default: 96485.3321233100184 })
  F!: number;
  /** RT/(zF) in mV, from `initial` (an ASSIGNED variable in nernst.mod). */
  @state({ assigned: true })
  coeff!: number;
  /** The generic ion; place as `nernst/<species>`. */
  @ion({
    readIntConcentration: true,
    readExtConcentration: true,
    writeRevPotential: true,
    readRevPotential: false,
    readValence: true,
  })
  x!: Ion;

  /** nernst.mod INITIAL: `coeff = R*(celsius + 273.15)/(zx*F)*1000`. */
  override initial(s: Scope<Nernst>): StateValues<Nernst> {
    return { coeff: s.R * (s.celsius + 273.15) / (s.valenceX * s.F) * 1000 };
  }

  /** nernst.mod BREAKPOINT: `ex = coeff*log(xo/xi)`. */
  override reversalPotential(s: Scope<Nernst>): ReversalValues<Nernst> {
    return { ex: s.coeff * Math.log(s.xo / s.xi) };
  }
}
