/**
 * The inferior-olive neuron of de Gruijl et al. (2012) as three pointwise density mechanisms,
 * ported from the `Soma`, `Dend` and `Axon` kernels of arbor_pycat's README (which integrates
 * them with forward Euler, hence `method: "euler"` here):
 *
 *  - `io_soma`: leak, low-threshold Ca (CaV3.1, gates k and l), Na (instantaneous m, gate h),
 *    delayed-rectifier K (n) and K (x);
 *  - `io_dend`: leak, high-threshold Ca (r; its current multiplied by 0 in the seed, as here),
 *    Ca-activated K (s, driven by the Ca concentration state `caconc`) and the H current (q);
 *  - `io_axon`: leak, Na (h) and K (x).
 *
 * Units as in the seed: conductances in mS/cm², voltages in mV, so each current sum is in µA/cm²;
 * the kernels return it ×1e-3 in mA/cm² (denocat's density unit). They return no conductance, so
 * dI/dV comes from denocat's 1 µV forward difference. Reversal potentials are the seed's
 * constants, not ion species. Compile with
 * `deno task catalogue examples/inferior_olive.ts` and paint `io_soma`, `io_dend`, `io_axon`.
 *
 * @module
 */
import { mechanism, PointwiseMechanism, type Scope, state, type StateValues } from "../mod.ts";

// Channel conductances, mS/cm² (the seed's module constants).
const g_CaL = 0.045; // low-threshold calcium (CaV3.1)
const g_h = 0.015; // H current (HCN)
const g_K_Ca = 0.220; // Ca-activated potassium (BK)
const g_ld = 1.3e-5; // leak, dendrite
const g_la = 1.3e-5; // leak, axon
const g_ls = 1.3e-5; // leak, soma
const g_Na_s = 0.030; // sodium, soma
const g_Kdr_s = 0.030; // delayed rectifier, soma
const g_K_s = 0.015; // potassium, soma
const g_CaH = 0.010; // high-threshold calcium (CaV2.1)
const g_Na_a = 0.200; // sodium, axon
const g_K_a = 0.200; // potassium, axon

// Reversal potentials, mV.
const V_Na = 55.0;
const V_K = -75.0;
const V_Ca = 120.0;
const V_h = -43.0;
const V_l = 10.0;

/** µA/cm² (the seed's current unit) to mA/cm². */
const UA_TO_MA = 1e-3;

/** Opening rate of the somatic and axonal K gate x, 1/ms. */
export function alphaX(v: number): number {
  return 0.13 * (v + 25) / (1 - Math.exp(-(v + 25) / 10));
}

/** Closing rate of the K gate x, 1/ms. */
export function betaX(v: number): number {
  return 1.69 * Math.exp(-(v + 35) / 80);
}

/** Instantaneous Na activation. */
const mInf = (v: number) => 1 / (1 + Math.exp(-(v + 30) / 5.5));

/** Opening rate of the dendritic Ca gate r. */
const alphaR = (v: number) => 1.7 / (1 + Math.exp(-(v - 5) / 13.9));
/** Closing rate of the dendritic Ca gate r. */
const betaR = (v: number) => 0.02 * (v + 8.5) / (Math.exp((v + 8.5) / 5) - 1.0);
/** Ca-dependent opening rate of the BK gate s, saturating at 0.01. */
const alphaS = (caconc: number) => (0.00002 * caconc < 0.01 ? 0.00002 * caconc : 0.01);

/** Soma of the de Gruijl inferior-olive cell. */
@mechanism({ name: "io_soma", kind: "density", method: "euler" })
export class IoSoma extends PointwiseMechanism {
  /** CaV3.1 activation. */
  @state()
  k!: number;
  /** CaV3.1 inactivation. */
  @state()
  l!: number;
  /** Na inactivation. */
  @state()
  h!: number;
  /** Delayed-rectifier activation. */
  @state()
  n!: number;
  /** K activation. */
  @state()
  x!: number;

  /** Soma.init: every gate at its steady state. */
  override initial(s: Scope<IoSoma>): StateValues<IoSoma> {
    const v = s.v;
    return {
      k: 1 / (1 + Math.exp(-(v + 61) / 4.2)),
      l: 1 / (1 + Math.exp((v + 85) / 8.5)),
      h: 1 / (1 + Math.exp((v + 70) / 5.8)),
      n: 1 / (1 + Math.exp(-(v + 3) / 10)),
      x: alphaX(v) / (alphaX(v) + betaX(v)),
    };
  }

  /** Soma.state_gradient. */
  override derivative(s: Scope<IoSoma>): StateValues<IoSoma> {
    const v = s.v;
    const k_inf = 1 / (1 + Math.exp(-(v + 61) / 4.2));
    const l_inf = 1 / (1 + Math.exp((v + 85) / 8.5));
    const tau_l = (20 * Math.exp((v + 160) / 30) / (1 + Math.exp((v + 84) / 7.3))) + 35;
    const h_inf = 1 / (1 + Math.exp((v + 70) / 5.8));
    const tau_h = 3 * Math.exp(-(v + 40) / 33);
    const n_inf = 1 / (1 + Math.exp(-(v + 3) / 10));
    const tau_n = 5 + (47 * Math.exp((v + 50) / 900));
    const tau_x_inv = alphaX(v) + betaX(v);
    const x_inf = alphaX(v) / tau_x_inv;
    return {
      k: k_inf - s.k,
      l: (l_inf - s.l) / tau_l,
      h: (h_inf - s.h) / tau_h,
      n: (n_inf - s.n) / tau_n,
      x: (x_inf - s.x) * tau_x_inv,
    };
  }

  /** Soma.compute_current, in mA/cm². */
  override current(s: Scope<IoSoma>) {
    const v = s.v;
    const I_leak = g_ls * (v - V_l);
    const Ical = g_CaL * s.k * s.k * s.k * s.l * (v - V_Ca);
    const Ina = g_Na_s * mInf(v) ** 3 * s.h * (v - V_Na);
    const Ikdr = g_Kdr_s * s.n ** 4 * (v - V_K);
    const Ik = g_K_s * s.x ** 4 * (v - V_K);
    return { i: UA_TO_MA * (I_leak + Ik + Ikdr + Ina + Ical) };
  }
}

/** Dendrite of the de Gruijl inferior-olive cell. */
@mechanism({ name: "io_dend", kind: "density", method: "euler" })
export class IoDend extends PointwiseMechanism {
  /** Ca concentration (arbitrary units of the model). */
  @state()
  caconc!: number;
  /** High-threshold Ca activation. */
  @state()
  r!: number;
  /** BK activation. */
  @state()
  s!: number;
  /** H-current activation. */
  @state()
  q!: number;

  /** Dend.init. */
  override initial(x: Scope<IoDend>): StateValues<IoDend> {
    const v = x.v;
    const caconc = 3.715;
    const r = alphaR(v) / (alphaR(v) + betaR(v));
    const s = alphaS(caconc) / (alphaS(caconc) + 0.015);
    const q = 1 / (1 + Math.exp((v + 80) / 4));
    return { caconc, r, s, q };
  }

  /** Dend.state_gradient. */
  override derivative(x: Scope<IoDend>): StateValues<IoDend> {
    const v = x.v;
    const Icah = g_CaH * x.r * x.r * (v - V_Ca);
    const tau_r_inv5 = alphaR(v) + betaR(v);
    const r_inf = alphaR(v) / tau_r_inv5;
    const alpha_s = alphaS(x.caconc);
    const tau_s_inv = alpha_s + 0.015;
    const s_inf = alpha_s / tau_s_inv;
    const q_inf = 1 / (1 + Math.exp((v + 80) / 4));
    const tau_q_inv = Math.exp(-0.086 * v - 14.6) + Math.exp(0.070 * v - 1.87);
    return {
      caconc: -3 * Icah - 0.075 * x.caconc,
      r: (r_inf - x.r) * tau_r_inv5 * 0.2,
      s: (s_inf - x.s) * tau_s_inv,
      q: (q_inf - x.q) * tau_q_inv,
    };
  }

  /** Dend.compute_current, in mA/cm² (the Ca current is switched off, as in the seed). */
  override current(x: Scope<IoDend>) {
    const v = x.v;
    const I_leak = g_ld * (v - V_l);
    const Icah = g_CaH * x.r * x.r * (v - V_Ca) * 0;
    const Ikca = g_K_Ca * x.s * (v - V_K);
    const Ih = g_h * x.q * (v - V_h);
    return { i: UA_TO_MA * (I_leak + Icah + Ikca + Ih) };
  }
}

/** Axon of the de Gruijl inferior-olive cell. */
@mechanism({ name: "io_axon", kind: "density", method: "euler" })
export class IoAxon extends PointwiseMechanism {
  /** Na inactivation. */
  @state()
  h!: number;
  /** K activation. */
  @state()
  x!: number;

  /** Axon.init. */
  override initial(s: Scope<IoAxon>): StateValues<IoAxon> {
    const v = s.v;
    const tau_x_inv = alphaX(v) + betaX(v);
    return { h: 1 / (1 + Math.exp((v + 60) / 5.8)), x: alphaX(v) / tau_x_inv };
  }

  /** Axon.state_gradient. */
  override derivative(s: Scope<IoAxon>): StateValues<IoAxon> {
    const v = s.v;
    const h_inf = 1 / (1 + Math.exp((v + 60) / 5.8));
    const tau_h = 1.5 * Math.exp(-(v + 40) / 33);
    const tau_x_inv = alphaX(v) + betaX(v);
    const x_inf = alphaX(v) / tau_x_inv;
    return { h: (h_inf - s.h) / tau_h, x: (x_inf - s.x) * tau_x_inv };
  }

  /** Axon.compute_current, in mA/cm². */
  override current(s: Scope<IoAxon>) {
    const v = s.v;
    const I_leak = g_la * (v - V_l);
    const Ina = g_Na_a * mInf(v) ** 3 * s.h * (v - V_Na);
    const Ik = g_K_a * s.x ** 4 * (v - V_K);
    return { i: UA_TO_MA * (I_leak + Ina + Ik) };
  }
}
