/**
 * Arbor's allen-catalogue `NaV` (mechanisms/allen/NaV.mod: the mouse sodium current of Carter et
 * al. 2012, fitted to CA1 pyramidal cells at 37 °C) as a pointwise density mechanism: a Markov
 * scheme of twelve states, integrated with `method: "sparse"` (backward Euler over all states,
 * as modcc integrates a KINETIC block), its initial state the solution of linear equations
 * (`equilibrium()`, NMODL's LINEAR block).
 *
 * The scheme: five closed states C1 … C5 and the open state O in a row, each above an
 * inactivated state I1 … I6 in a second row.
 *
 * ```text
 * C1 ⇌ C2 ⇌ C3 ⇌ C4 ⇌ C5 ⇌ O
 * ⇅    ⇅    ⇅    ⇅    ⇅    ⇅
 * I1 ⇌ I2 ⇌ I3 ⇌ I4 ⇌ I5 ⇌ I6
 * ```
 *
 * Rates (per ms), with NaV.mod's names, all scaled by the temperature factor
 * qt = 2.3^((celsius − 37)/10):
 *  - closed row, left to right: f01 … f04 = 4, 3, 2, 1 × f04 with f04 = alpha·exp(v/x1); right to
 *    left: b01 … b04 = 1, 2, 3, 4 × b01 with b01 = beta·exp(v/x2); C5 → O: f0O = gamma,
 *    O → C5: b0O = delta;
 *  - inactivated row: f11 … f14 = alfac × f01 … f04 and b11 … b14 = b01 … b04 / btfac; I5 ⇌ I6
 *    with the opening and closing rates f0O, b0O;
 *  - down the columns: Ck → Ik with fik = Con·alfac^(k−1), back with bik = Coff/btfac^(k−1);
 *    O → I6 with fin = Oon, back with bin = Ooff.
 *
 * The sum of the states is 1 (NaV.mod's CONSERVE, here `conserve` on the mechanism). The current
 * is ina = gbar·O·(v − ena) (mA/cm²), its conductance gbar·O.
 *
 * Parameters as the builtin's: `gbar` per location (RANGE); every other PARAMETER of NaV.mod is a
 * GLOBAL (modcc makes those not named in RANGE scalars). The ASSIGNED `qt` is set at
 * initialisation and kept per instance (`@state({ assigned: true })`), as modcc keeps a RANGE
 * ASSIGNED.
 *
 * @module
 */
import type { CurrentValues, Ion, Scope, StateValues } from "../../mod.ts";
import { global, ion, mechanism, parameter, PointwiseMechanism, state } from "../../mod.ts";

/** The twelve states of the scheme, in NaV.mod's CONSERVE order. */
const ALL_STATES = ["C1", "C2", "C3", "C4", "C5", "O", "I1", "I2", "I3", "I4", "I5", "I6"];

/** Arbor's allen `NaV`: Carter et al.'s twelve-state sodium channel. */
@mechanism({
  name: "NaV",
  kind: "density",
  method: "sparse",
  conserve: [{ sum: ALL_STATES, equals: 1 }],
})
export class NaV extends PointwiseMechanism {
  /** Maximal conductance density, S/cm². */
  @parameter({ unit: "S/cm2", default: 0.015 })
  gbar!: number;
  /** Inactivation rate C1 → I1 at 37 °C, 1/ms. */
  @global({ unit: "/ms", default: 0.01 })
  Con!: number;
  /** Recovery rate I1 → C1 at 37 °C, 1/ms. */
  @global({ unit: "/ms", default: 40 })
  Coff!: number;
  /** Inactivation rate O → I6 at 37 °C, 1/ms. */
  @global({ unit: "/ms", default: 8 })
  Oon!: number;
  /** Recovery rate I6 → O at 37 °C, 1/ms. */
  @global({ unit: "/ms", default: 0.05 })
  Ooff!: number;
  /** Activation rate C4 → C5 at 0 mV and 37 °C, 1/ms. */
  @global({ unit: "/ms", default: 400 })
  alpha!: number;
  /** Deactivation rate C2 → C1 at 0 mV and 37 °C, 1/ms. */
  @global({ unit: "/ms", default: 12 })
  beta!: number;
  /** Opening rate C5 → O (and I5 → I6) at 37 °C, 1/ms. */
  @global({ unit: "/ms", default: 250 })
  gamma!: number;
  /** Closing rate O → C5 (and I6 → I5) at 37 °C, 1/ms. */
  @global({ unit: "/ms", default: 60 })
  delta!: number;
  /** Activation in the inactivated row is alfac × the closed row's; Ck → Ik is alfac × the column before's. */
  @global({ default: 2.51 })
  alfac!: number;
  /** Deactivation in the inactivated row is the closed row's / btfac; Ik → Ck is the column before's / btfac. */
  @global({ default: 5.32 })
  btfac!: number;
  /** Voltage sensitivity of activation: alpha·exp(v/x1), mV. */
  @global({ unit: "mV", default: 24 })
  x1!: number;
  /** Voltage sensitivity of deactivation: beta·exp(v/x2), mV. */
  @global({ unit: "mV", default: -24 })
  x2!: number;
  /** Closed states, fraction of channels (declared in NaV.mod's STATE order). */
  @state()
  C1!: number;
  @state()
  C2!: number;
  @state()
  C3!: number;
  @state()
  C4!: number;
  @state()
  C5!: number;
  /** Inactivated states below C1 … C5. */
  @state()
  I1!: number;
  @state()
  I2!: number;
  @state()
  I3!: number;
  @state()
  I4!: number;
  @state()
  I5!: number;
  /** The open state. */
  @state()
  O!: number;
  /** The inactivated state below O. */
  @state()
  I6!: number;
  /** Temperature factor of every rate, 2.3^((celsius − 37)/10), set at initialisation. */
  @state({ assigned: true })
  qt!: number;
  /** Sodium: reads ena, writes ina. */
  @ion()
  na!: Ion;

  /** NaV.mod INITIAL: the temperature factor; the states are solved by {@link NaV.equilibrium}. */
  override initial(x: Scope<NaV>): StateValues<NaV> {
    return { qt: Math.pow(2.3, (x.celsius - 37) / 10) };
  }

  /**
   * NaV.mod's LINEAR block `seqinitial`, equation for equation: the balance of C1 … C5, O and
   * I1 … I5 (inflow − outflow = 0), keyed by the state it balances, and the conservation law in
   * place of I6's balance.
   *
   * As written in NaV.mod, I3's equation takes the flow from I4 as `I4*bi3`, where the scheme's
   * I4 → I3 rate is b13 (and I4's own equation uses b13): so the initial state is the solution of
   * these equations, not exactly the scheme's steady state. It is kept as written, because
   * matching Arbor's builtin is the point of this port.
   */
  override equilibrium(x: Scope<NaV>): StateValues<NaV> {
    const qt = x.qt, alfac = x.alfac, ibtf = 1 / x.btfac;
    const f04 = qt * x.alpha * Math.exp(x.v / x.x1), f03 = 2 * f04, f02 = 3 * f04, f01 = 4 * f04;
    const f14 = alfac * f04, f13 = 2 * f14, f12 = 3 * f14, f11 = 4 * f14;
    const b01 = qt * x.beta * Math.exp(x.v / x.x2), b02 = 2 * b01, b03 = 3 * b01, b04 = 4 * b01;
    const b11 = b01 * ibtf, b12 = 2 * b11, b13 = 3 * b11, b14 = 4 * b11;
    const f0O = qt * x.gamma, b0O = qt * x.delta, fin = qt * x.Oon, bin = qt * x.Ooff;
    const fi1 = qt * x.Con, fi2 = fi1 * alfac, fi3 = fi2 * alfac, fi4 = fi3 * alfac, fi5 = fi4 * alfac;
    const bi1 = qt * x.Coff, bi2 = bi1 * ibtf, bi3 = bi2 * ibtf, bi4 = bi3 * ibtf, bi5 = bi4 * ibtf;
    const { C1, C2, C3, C4, C5, O, I1, I2, I3, I4, I5, I6 } = x;
    return {
      C1: I1 * bi1 + C2 * b01 - C1 * (fi1 + f01),
      C2: C1 * f01 + I2 * bi2 + C3 * b02 - C2 * (b01 + fi2 + f02),
      C3: C2 * f02 + I3 * bi3 + C4 * b03 - C3 * (b02 + fi3 + f03),
      C4: C3 * f03 + I4 * bi4 + C5 * b04 - C4 * (b03 + fi4 + f04),
      C5: C4 * f04 + I5 * bi5 + O * b0O - C5 * (b04 + fi5 + f0O),
      O: C5 * f0O + I6 * bin - O * (b0O + fin),
      I1: C1 * fi1 + I2 * b11 - I1 * (bi1 + f11),
      I2: I1 * f11 + C2 * fi2 + I3 * b12 - I2 * (b11 + bi2 + f12),
      I3: I2 * f12 + C3 * fi3 + I4 * bi3 - I3 * (b12 + bi3 + f13), // I4*bi3, not I4*b13: as in NaV.mod
      I4: I3 * f13 + C4 * fi4 + I5 * b14 - I4 * (b13 + bi4 + f14),
      I5: I4 * f14 + C5 * fi5 + I6 * b0O - I5 * (b14 + bi5 + f0O),
      I6: C1 + C2 + C3 + C4 + C5 + O + I1 + I2 + I3 + I4 + I5 + I6 - 1,
    };
  }

  /**
   * NaV.mod's KINETIC block `activation`: each reaction's net rate (forward flow − backward flow,
   * fraction per ms), then each state's rate of change as the flows into it minus those out of it.
   * Integrated by backward Euler with the conservation law in place of C1's equation.
   */
  override derivative(x: Scope<NaV>): StateValues<NaV> {
    const qt = x.qt, alfac = x.alfac, ibtf = 1 / x.btfac;
    const f04 = qt * x.alpha * Math.exp(x.v / x.x1), f03 = 2 * f04, f02 = 3 * f04, f01 = 4 * f04;
    const f14 = alfac * f04, f13 = 2 * f14, f12 = 3 * f14, f11 = 4 * f14;
    const b01 = qt * x.beta * Math.exp(x.v / x.x2), b02 = 2 * b01, b03 = 3 * b01, b04 = 4 * b01;
    const b11 = b01 * ibtf, b12 = 2 * b11, b13 = 3 * b11, b14 = 4 * b11;
    const f0O = qt * x.gamma, b0O = qt * x.delta, fin = qt * x.Oon, bin = qt * x.Ooff;
    const fi1 = qt * x.Con, fi2 = fi1 * alfac, fi3 = fi2 * alfac, fi4 = fi3 * alfac, fi5 = fi4 * alfac;
    const bi1 = qt * x.Coff, bi2 = bi1 * ibtf, bi3 = bi2 * ibtf, bi4 = bi3 * ibtf, bi5 = bi4 * ibtf;
    const { C1, C2, C3, C4, C5, O, I1, I2, I3, I4, I5, I6 } = x;

    // The closed row and the opening step.
    const c1c2 = C1 * f01 - C2 * b01;
    const c2c3 = C2 * f02 - C3 * b02;
    const c3c4 = C3 * f03 - C4 * b03;
    const c4c5 = C4 * f04 - C5 * b04;
    const c5o = C5 * f0O - O * b0O;
    // The inactivated row.
    const i1i2 = I1 * f11 - I2 * b11;
    const i2i3 = I2 * f12 - I3 * b12;
    const i3i4 = I3 * f13 - I4 * b13;
    const i4i5 = I4 * f14 - I5 * b14;
    const i5i6 = I5 * f0O - I6 * b0O;
    // Down the columns: inactivation.
    const c1i1 = C1 * fi1 - I1 * bi1;
    const c2i2 = C2 * fi2 - I2 * bi2;
    const c3i3 = C3 * fi3 - I3 * bi3;
    const c4i4 = C4 * fi4 - I4 * bi4;
    const c5i5 = C5 * fi5 - I5 * bi5;
    const oi6 = O * fin - I6 * bin;

    return {
      C1: -c1c2 - c1i1,
      C2: c1c2 - c2c3 - c2i2,
      C3: c2c3 - c3c4 - c3i3,
      C4: c3c4 - c4c5 - c4i4,
      C5: c4c5 - c5o - c5i5,
      O: c5o - oi6,
      I1: c1i1 - i1i2,
      I2: i1i2 + c2i2 - i2i3,
      I3: i2i3 + c3i3 - i3i4,
      I4: i3i4 + c4i4 - i4i5,
      I5: i4i5 + c5i5 - i5i6,
      I6: i5i6 + oi6,
    };
  }

  /** NaV.mod BREAKPOINT: `ina = gbar*O*(v - ena)` (mA/cm²), conductance `gbar*O`. */
  override current(x: Scope<NaV>): CurrentValues<NaV> {
    const gna = x.gbar * x.O;
    return { ina: gna * (x.v - x.ena), gna };
  }
}
