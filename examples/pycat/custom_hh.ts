/**
 * Port of arbor_pycat's `custom_hh` (README): Hodgkin–Huxley with forward Euler, fixed reversal
 * potentials as parameters, and a built-in periodic stimulus (0.05 mA/cm² during the last 5 ms of
 * every 100 ms), line for line.
 *
 * Differences from pycat, each one a pycat footgun:
 *  - pycat's advance_state read `pp.v` without `node_index`; here every CV access goes through
 *    `pp.nodeIndex[k]`;
 *  - pycat assigned `pp.i = ...` in mA/cm²; here the current is accumulated in A/m² (×10) with
 *    the instance weight, and the conductance is written to `pp.g`.
 *
 * @module
 */
import { CustomMechanism, mechanism, parameter, type PPack, state } from "../../mod.ts";

/** pycat's exprelr: 1 where x is close to 0. */
export const exprelr = (x: number): number => Math.abs(x) <= 1e-8 ? 1 : x / Math.expm1(x);
/** Rate functions of the classic HH model (mV, ms). */
export const alpha_m = (V: number): number => exprelr(-0.1 * V - 4.0);
/** @see alpha_m */
export const alpha_h = (V: number): number => 0.07 * Math.exp(-0.05 * V - 3.25);
/** @see alpha_m */
export const alpha_n = (V: number): number => 0.1 * exprelr(-0.1 * V - 5.5);
/** @see alpha_m */
export const beta_m = (V: number): number => 4.0 * Math.exp(-(V + 65.0) / 18.0);
/** @see alpha_m */
export const beta_h = (V: number): number => 1.0 / (Math.exp(-0.1 * V - 3.5) + 1.0);
/** @see alpha_m */
export const beta_n = (V: number): number => 0.125 * Math.exp(-0.0125 * V - 0.8125);

/** pycat's custom_hh. */
@mechanism({ name: "custom_hh", kind: "density" })
export class CustomHH extends CustomMechanism {
  @state({ unit: "", default: 0 })
  m!: Float64Array;
  @state({ unit: "", default: 0 })
  h!: Float64Array;
  @state({ unit: "", default: 0 })
  n!: Float64Array;
  @state({ unit: "", default: 0 })
  t!: Float64Array;
  @parameter({ unit: "", default: 0.120 })
  gna!: Float64Array;
  @parameter({ unit: "", default: 0.036 })
  gk!: Float64Array;
  @parameter({ unit: "", default: 0.0003 })
  gl!: Float64Array;
  @parameter({ unit: "", default: 55 })
  ena!: Float64Array;
  @parameter({ unit: "", default: -77 })
  ek!: Float64Array;
  @parameter({ unit: "", default: -65 })
  el!: Float64Array;

  override init(pp: PPack<CustomHH>): void {
    for (let k = 0; k < pp.width; k++) {
      const v = pp.v[pp.nodeIndex[k]];
      pp.m[k] = alpha_m(v) / (alpha_m(v) + beta_m(v));
      pp.h[k] = alpha_h(v) / (alpha_h(v) + beta_h(v));
      pp.n[k] = alpha_n(v) / (alpha_n(v) + beta_n(v));
      pp.t[k] = 0; // init runs on every reset: restart the stimulus clock too
    }
  }

  override advanceState(pp: PPack<CustomHH>): void {
    for (let k = 0; k < pp.width; k++) {
      const v = pp.v[pp.nodeIndex[k]];
      pp.t[k] += pp.dt;
      pp.m[k] += pp.dt * (alpha_m(v) * (1 - pp.m[k]) - beta_m(v) * pp.m[k]);
      pp.h[k] += pp.dt * (alpha_h(v) * (1 - pp.h[k]) - beta_h(v) * pp.h[k]);
      pp.n[k] += pp.dt * (alpha_n(v) * (1 - pp.n[k]) - beta_n(v) * pp.n[k]);
    }
  }

  override computeCurrents(pp: PPack<CustomHH>): void {
    for (let k = 0; k < pp.width; k++) {
      const node = pp.nodeIndex[k];
      const v = pp.v[node];
      const gna = pp.gna[k] * pp.m[k] ** 3 * pp.h[k];
      const gk = pp.gk[k] * pp.n[k] ** 4;
      const ina = gna * (v - pp.ena[k]);
      const ik = gk * (v - pp.ek[k]);
      const il = pp.gl[k] * (v - pp.el[k]);
      const iapp = pp.t[k] % 100 > 95 ? 0.05 : 0;
      pp.i[node] += 10 * pp.weight[k] * (ina + ik + il - iapp);
      pp.g[node] += 10 * pp.weight[k] * (gna + gk + pp.gl[k]);
    }
  }
}
