/**
 * Arbor's default-catalogue `kdrmt` (mechanisms/default/kdrmt.mod: the delayed-rectifier K
 * current of mitral cells, Wang et al. 1996, M. Migliore 2002; the equations are the same from
 * Arbor 0.9.0 to 0.12.0-dev) as a pointwise density mechanism.
 *
 * Where each piece comes from in kdrmt.mod:
 *  - `USEION k READ ek WRITE ik`: reads eK, writes the K current;
 *  - `RANGE gbar, vhalfm`: these two PARAMETERs are per-location parameters. modcc makes every
 *    other PARAMETER (not named in RANGE) a scalar, i.e. a GLOBAL of the mechanism: a0m, zetam,
 *    gmm, q10, alpm and betm (the last two are declared but never used, as in the .mod file);
 *  - `PARAMETER { gbar = 0.002 (mho/cm2)  a0m = 0.0035  vhalfm = -50  zetam = 0.055  gmm = 0.5
 *    q10 = 3  alpm = 0  betm = 0 }`: defaults and units (`v` and `celsius` there are the built-in
 *    voltage and temperature, not parameters);
 *  - `FUNCTION minf(v) { minf = 1/(1 + exp((21 - v)/10)) }`;
 *  - `INITIAL { m = minf(v) }`;
 *  - `DERIVATIVE states`: `qt = q10^(0.1*(celsius - 24))`, `tmp = zetam*(v - vhalfm)`,
 *    `m' = qt*a0m*(1 + exp(tmp))*(minf(v) - m)*exp(-gmm*tmp)`, with `METHOD cnexp`;
 *  - `BREAKPOINT { gk = gbar*m  ik = gk*(v - ek) }`: mA/cm²; the conductance dI/dV is `gk`.
 *
 * Integration: m' is linear in m (m' = a·m + b with a = -qt·a0m·(1 + e^tmp)·e^(-gmm·tmp) and
 * b = -a·minf(v)), so cnexp applies, as in Arbor. modcc's general linear case updates
 * m = -b/a + (m + b/a)·exp_pade_11(a·dt), i.e. m = minf + (m - minf)·exp_pade_11(-dt/tau) with
 * tau = -1/a; denocat's cnexp reads a and b off two evaluations of `derivative` and applies the
 * same formula (docs/abi.md 5.6).
 *
 * @module
 */
import type { CurrentValues, Ion, Scope, StateValues } from "../../mod.ts";
import { global, ion, mechanism, parameter, PointwiseMechanism, state } from "../../mod.ts";

/** kdrmt.mod `FUNCTION minf(v)`: steady-state activation at v (mV). */
export function kdrmtMinf(v: number): number {
  return 1 / (1 + Math.exp((21 - v) / 10));
}

/** Arbor's `kdrmt`: delayed-rectifier K channel with one activation gate m. */
@mechanism({ name: "kdrmt", kind: "density", method: "cnexp" })
export class Kdrmt extends PointwiseMechanism {
  /** Maximal conductance density, mho/cm² (= S/cm²). */
  @parameter({ unit: "mho/cm2", default: 0.002 })
  gbar!: number;
  /** Half-activation voltage of the time constant, mV. */
  @parameter({ default: -50 })
  vhalfm!: number;
  /** Rate scale, 1/ms. */
  @global({ default: 0.0035 })
  a0m!: number;
  /** Voltage sensitivity of the time constant, 1/mV. */
  @global({ default: 0.055 })
  zetam!: number;
  /** Asymmetry of the time constant. */
  @global({ default: 0.5 })
  gmm!: number;
  /** Temperature coefficient (reference 24 °C). */
  @global({ default: 3 })
  q10!: number;
  /** Declared in kdrmt.mod, unused. */
  @global({ default: 0 })
  alpm!: number;
  /** Declared in kdrmt.mod, unused. */
  @global({ default: 0 })
  betm!: number;
  /** Activation gate. */
  @state()
  m!: number;
  /** Potassium. */
  @ion()
  k!: Ion;

  /** kdrmt.mod INITIAL: `m = minf(v)`. */
  override initial(x: Scope<Kdrmt>): StateValues<Kdrmt> {
    return { m: kdrmtMinf(x.v) };
  }

  /** kdrmt.mod DERIVATIVE states. */
  override derivative(x: Scope<Kdrmt>): StateValues<Kdrmt> {
    const qt = Math.pow(x.q10, 0.1 * (x.celsius - 24));
    const tmp = x.zetam * (x.v - x.vhalfm);
    return { m: qt * x.a0m * (1 + Math.exp(tmp)) * (kdrmtMinf(x.v) - x.m) * Math.exp(-x.gmm * tmp) };
  }

  /** kdrmt.mod BREAKPOINT: `ik = gbar*m*(v - ek)` (mA/cm²), conductance `gbar*m` (S/cm²). */
  override current(x: Scope<Kdrmt>): CurrentValues<Kdrmt> {
    const gk = x.gbar * x.m;
    return { ik: gk * (x.v - x.ek), gk };
  }
}
