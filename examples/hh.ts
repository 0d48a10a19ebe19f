/**
 * Hodgkin–Huxley written against the raw hook API, with the semantics of Arbor's builtin `hh`
 * (default catalogue, METHOD cnexp): the same rates, q10, units and update rule. Run it with
 * `deno task demo`, or load `(await catalogue()).path` into Arbor.
 *
 * What makes it match Arbor to round-off (docs/abi.md 5.2 and 5.6):
 *  - the state update is hh.mod's derivative, solved by modcc's cnexp rule with the (1,1) Padé
 *    approximant of exp;
 *  - currents and the conductance dI/dV are accumulated with the density factor 10·weight;
 *  - ionic currents go into both pp.i and the ion's current density.
 *
 * @module
 */
import { CustomMechanism, type Ion, ion, mechanism, parameter, type PPack, state } from "../mod.ts";

/** x / (exp(x) - 1), continuous at 0. */
export function exprelr(x: number): number {
  return 1.0 + x === 1.0 ? 1.0 : x / Math.expm1(x);
}

/** The (1,1) Padé approximant of exp(z) that modcc's cnexp uses. */
export function expPade11(z: number): number {
  return (1 + 0.5 * z) / (1 - 0.5 * z);
}

/** Opening and closing rates (1/ms at 6.3 °C, v in mV), as Arbor's hh.mod defines them. */
export const mAlpha = (v: number): number => exprelr(-0.1 * v - 4.0);
/** @see mAlpha */
export const mBeta = (v: number): number => 4.0 * Math.exp(-(v + 65.0) / 18.0);
/** @see mAlpha */
export const hAlpha = (v: number): number => 0.07 * Math.exp(-0.05 * v - 3.25);
/** @see mAlpha */
export const hBeta = (v: number): number => 1.0 / (Math.exp(-0.1 * v - 3.5) + 1.0);
/** @see mAlpha */
export const nAlpha = (v: number): number => 0.1 * exprelr(-0.1 * v - 5.5);
/** @see mAlpha */
export const nBeta = (v: number): number => 0.125 * Math.exp(-0.0125 * v - 0.8125);

/**
 * One cnexp step of hh.mod's `s' = (alpha - s*(alpha + beta))*q10`, linear in s with
 * a = -(alpha + beta)*q10 and b = alpha*q10: s = -b/a + (s + b/a)·exp_pade_11(a·dt).
 */
export function gateStep(s: number, alpha: number, beta: number, q10: number, dt: number): number {
  const a = -(alpha + beta) * q10;
  const ba = (alpha * q10) / a;
  return -ba + (s + ba) * expPade11(a * dt);
}

const q10Of = (celsius: number) => Math.pow(3.0, 0.1 * celsius - 0.63);

/** Arbor's `hh`, in TypeScript. */
@mechanism({ name: "hh", kind: "density" })
export class HH extends CustomMechanism {
  @parameter({ unit: "S/cm2", default: 0.12, range: [0, Infinity] })
  gnabar!: Float64Array;
  @parameter({ unit: "S/cm2", default: 0.036, range: [0, Infinity] })
  gkbar!: Float64Array;
  @parameter({ unit: "S/cm2", default: 0.0003, range: [0, Infinity] })
  gl!: Float64Array;
  @parameter({ unit: "mV", default: -54.3 })
  el!: Float64Array;
  @state({ unit: "1" })
  m!: Float64Array;
  @state({ unit: "1" })
  h!: Float64Array;
  @state({ unit: "1" })
  n!: Float64Array;
  @ion({ readRevPotential: true })
  na!: Ion;
  @ion({ readRevPotential: true })
  k!: Ion;

  override init(pp: PPack<HH>): void {
    for (let k = 0; k < pp.width; k++) {
      const v = pp.v[pp.nodeIndex[k]];
      pp.m[k] = mAlpha(v) / (mAlpha(v) + mBeta(v));
      pp.h[k] = hAlpha(v) / (hAlpha(v) + hBeta(v));
      pp.n[k] = nAlpha(v) / (nAlpha(v) + nBeta(v));
    }
  }

  override advanceState(pp: PPack<HH>): void {
    const dt = pp.dt;
    for (let k = 0; k < pp.width; k++) {
      const node = pp.nodeIndex[k];
      const v = pp.v[node];
      const q10 = q10Of(pp.temperatureDegC[node]);
      pp.m[k] = gateStep(pp.m[k], mAlpha(v), mBeta(v), q10, dt);
      pp.h[k] = gateStep(pp.h[k], hAlpha(v), hBeta(v), q10, dt);
      pp.n[k] = gateStep(pp.n[k], nAlpha(v), nBeta(v), q10, dt);
    }
  }

  override computeCurrents(pp: PPack<HH>): void {
    for (let k = 0; k < pp.width; k++) {
      const node = pp.nodeIndex[k];
      const v = pp.v[node];
      const m = pp.m[k];
      const n2 = pp.n[k] * pp.n[k];
      const gk = pp.gkbar[k] * n2 * n2;
      const gna = pp.gnabar[k] * m * m * m * pp.h[k];
      const ina = gna * (v - pp.ena[pp.indexNa[k]]);
      const ik = gk * (v - pp.ek[pp.indexK[k]]);
      const il = pp.gl[k] * (v - pp.el[k]);
      const scale = 10 * pp.weight[k]; // mA/cm2 -> A/m2, times the covered fraction
      // modcc sums a mechanism's currents in alphabetical order of their names.
      pp.i[node] += scale * (ik + il + ina);
      pp.g[node] += scale * (gk + pp.gl[k] + gna);
      pp.ina[pp.indexNa[k]] += scale * ina;
      pp.ik[pp.indexK[k]] += scale * ik;
    }
  }
}
