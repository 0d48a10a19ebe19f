/**
 * Arbor's default-catalogue `hh` (hh.mod) as a pointwise mechanism: the same parameters, states,
 * ions, rates, q10 and cnexp integration, written as kernels of one compartment.
 *
 * @module
 */
import {
  type CurrentValues,
  type Ion,
  ion,
  mechanism,
  parameter,
  PointwiseMechanism,
  type Scope,
  state,
  type StateValues,
} from "../../mod.ts";

/** x / (exp(x) - 1), continuous at 0 (Arbor's exprelr). */
export function exprelr(x: number): number {
  return 1.0 + x === 1.0 ? 1.0 : x / Math.expm1(x);
}

const mAlpha = (v: number) => exprelr(-0.1 * v - 4.0);
const mBeta = (v: number) => 4.0 * Math.exp(-(v + 65.0) / 18.0);
const hAlpha = (v: number) => 0.07 * Math.exp(-0.05 * v - 3.25);
const hBeta = (v: number) => 1.0 / (Math.exp(-0.1 * v - 3.5) + 1.0);
const nAlpha = (v: number) => 0.1 * exprelr(-0.1 * v - 5.5);
const nBeta = (v: number) => 0.125 * Math.exp(-0.0125 * v - 0.8125);

/** Arbor's `hh`, pointwise. */
@mechanism({ name: "hh", kind: "density", method: "cnexp" })
export class PointwiseHH extends PointwiseMechanism {
  @parameter({ unit: "S/cm2", default: 0.12 })
  gnabar!: number;
  @parameter({ unit: "S/cm2", default: 0.036 })
  gkbar!: number;
  @parameter({ unit: "S/cm2", default: 0.0003 })
  gl!: number;
  @parameter({ unit: "mV", default: -54.3 })
  el!: number;
  @state()
  m!: number;
  @state()
  h!: number;
  @state()
  n!: number;
  @state({ assigned: true })
  q10!: number;
  @ion()
  na!: Ion;
  @ion()
  k!: Ion;

  override initial(x: Scope<PointwiseHH>): StateValues<PointwiseHH> {
    return {
      q10: Math.pow(3, 0.1 * x.celsius - 0.63),
      m: mAlpha(x.v) / (mAlpha(x.v) + mBeta(x.v)),
      h: hAlpha(x.v) / (hAlpha(x.v) + hBeta(x.v)),
      n: nAlpha(x.v) / (nAlpha(x.v) + nBeta(x.v)),
    };
  }

  override derivative(x: Scope<PointwiseHH>): StateValues<PointwiseHH> {
    const v = x.v;
    return {
      m: (mAlpha(v) - x.m * (mAlpha(v) + mBeta(v))) * x.q10,
      h: (hAlpha(v) - x.h * (hAlpha(v) + hBeta(v))) * x.q10,
      n: (nAlpha(v) - x.n * (nAlpha(v) + nBeta(v))) * x.q10,
    };
  }

  override current(x: Scope<PointwiseHH>): CurrentValues<PointwiseHH> {
    const n2 = x.n * x.n;
    const gk = x.gkbar * n2 * n2;
    const gna = x.gnabar * x.m * x.m * x.m * x.h;
    return {
      ina: gna * (x.v - x.ena),
      ik: gk * (x.v - x.ek),
      i: x.gl * (x.v - x.el),
      gna,
      gk,
      g: x.gl,
    };
  }
}
