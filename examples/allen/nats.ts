/**
 * The transient sodium current `NaTs` of the Allen Institute's cell-type models (Colbert and Pan
 * 2002), `examples/allen/NaTs.mod`, ported by hand to a pointwise mechanism. The two are compared
 * with `denocat inspect examples/allen/NaTs.mod examples/allen/nats.ts` and in notebook 4
 * (`examples/notebooks/4_inspect_a_channel.ipynb`).
 *
 * The equations: m³h gating; m and h relax to x∞ = α/(α + β) with τ = 1/((α + β)·q), where
 * q = 2.3^((T − 23)/10), αm = 0.182·trap(−40 − V, 6), βm = 0.124·trap(V + 40, 6),
 * αh = 0.015·trap(V + 66, 6), βh = 0.015·trap(−66 − V, 6) and trap(x, k) = x/(e^(x/k) − 1),
 * written here as k·exprelr(x/k) (no 0/0 at x = 0); ina = gbar·m³h·(V − ena) in mA/cm².
 *
 * @module
 */
import {
  type CurrentValues,
  global,
  type Ion,
  ion,
  mechanism,
  parameter,
  PointwiseMechanism,
  type Scope,
  state,
  type StateValues,
} from "../../mod.ts";

/** x/(exp(x) − 1), 1 at x = 0. */
function exprelr(x: number): number {
  return 1 + x === 1 ? 1 : x / Math.expm1(x);
}

/** x/(exp(x/k) − 1), continuous at x = 0. */
export function trap(x: number, k: number): number {
  return k * exprelr(x / k);
}

/** `NaTs` by hand: the names, defaults and units of NaTs.mod, the rates written as TypeScript. */
@mechanism({ name: "NaTs", kind: "density", method: "cnexp" })
export class NaTsPort extends PointwiseMechanism {
  /** Maximal conductance density, S/cm². */
  @parameter({ unit: "S/cm2", default: 0.00001 })
  gbar!: number;
  /** αm factor, 1/ms. */
  @global({ default: 0.182 })
  malphaF!: number;
  /** βm factor, 1/ms. */
  @global({ default: 0.124 })
  mbetaF!: number;
  /** Half-activation of m, mV. */
  @global({ unit: "mV", default: -40 })
  mvhalf!: number;
  /** Slope of m, mV. */
  @global({ unit: "mV", default: 6 })
  mk!: number;
  /** αh factor, 1/ms. */
  @global({ default: 0.015 })
  halphaF!: number;
  /** βh factor, 1/ms. */
  @global({ default: 0.015 })
  hbetaF!: number;
  /** Half-inactivation of h, mV. */
  @global({ unit: "mV", default: -66 })
  hvhalf!: number;
  /** Slope of h, mV. */
  @global({ unit: "mV", default: 6 })
  hk!: number;
  /** Activation. */
  @state()
  m!: number;
  /** Inactivation. */
  @state()
  h!: number;
  /** Reads ena, writes ina. */
  @ion({ readRevPotential: true })
  na!: Ion;

  override initial(x: Scope<NaTsPort>): StateValues<NaTsPort> {
    const am = x.malphaF * trap(x.mvhalf - x.v, x.mk), bm = x.mbetaF * trap(x.v - x.mvhalf, x.mk);
    const ah = x.halphaF * trap(x.v - x.hvhalf, x.hk), bh = x.hbetaF * trap(x.hvhalf - x.v, x.hk);
    return { m: am / (am + bm), h: ah / (ah + bh) };
  }

  override derivative(x: Scope<NaTsPort>): StateValues<NaTsPort> {
    const q = Math.pow(2.3, (x.celsius - 23) / 10);
    const am = x.malphaF * trap(x.mvhalf - x.v, x.mk), bm = x.mbetaF * trap(x.v - x.mvhalf, x.mk);
    const ah = x.halphaF * trap(x.v - x.hvhalf, x.hk), bh = x.hbetaF * trap(x.hvhalf - x.v, x.hk);
    const mInf = am / (am + bm), mTau = 1 / ((am + bm) * q);
    const hInf = ah / (ah + bh), hTau = 1 / ((ah + bh) * q);
    return { m: (mInf - x.m) / mTau, h: (hInf - x.h) / hTau };
  }

  override current(x: Scope<NaTsPort>): CurrentValues<NaTsPort> {
    const gna = x.gbar * x.m * x.m * x.m * x.h;
    return { ina: gna * (x.v - x.ena), gna };
  }
}
