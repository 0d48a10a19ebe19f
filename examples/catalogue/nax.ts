/**
 * Arbor's default-catalogue `nax` (mechanisms/default/nax.mod: axonal Na current without slow
 * inactivation, M. Migliore 1997, with the threshold shift `sh` of 2002) as a pointwise density
 * mechanism. The port follows the .mod file of Arbor 0.10.0 to 0.12.0-dev (the same text; 0.9.0
 * differs only in where `v` is declared).
 *
 * Where each piece comes from in nax.mod:
 *  - `USEION na READ ena WRITE ina`;
 *  - `RANGE gbar, sh`: the two per-location parameters. modcc makes every other PARAMETER a
 *    scalar, i.e. a GLOBAL: tha, qa, Ra, Rb, thi1, thi2, qd, qg, mmin, hmin, q10, Rg, Rd, thinf,
 *    qinf (thi2 is declared but no longer used by the equations);
 *  - `PARAMETER { ... }`: the defaults and units below (`celsius` and `v` there are built-ins);
 *  - `FUNCTION trap0(v, a, q) { trap0 = a*q*exprelr(v/q) }`, with Arbor's exprelr
 *    x/(exp(x) - 1) (1 at x = 0);
 *  - `INITIAL`: u = tha + sh - v, a = trap0(u, Ra, qa), b = trap0(-u, Rb, qa), m = a/(a + b);
 *    h = 1/(1 + exp((v - thinf - sh)/qinf)) (the h rates computed there are not used);
 *  - `DERIVATIVE states`: iq = q10^(-0.1*(celsius - 24)); m as above with
 *    mtau = max(iq/(a + b), mmin), minf = a/(a + b); then u = thi1 + sh - v,
 *    a = trap0(u, Rd, qd), b = trap0(-u, Rg, qg), htau = max(iq/(a + b), hmin), hinf as in
 *    INITIAL; `m' = (minf - m)/mtau`, `h' = (hinf - h)/htau`, with `METHOD cnexp`;
 *  - `BREAKPOINT { gna = gbar*m*m*m*h  ina = gna*(v - ena) }`: mA/cm²; dI/dV is `gna`.
 *
 * Integration: each derivative has the "gating" form (inf - s)/tau, linear in its own state and
 * independent of the other one, so cnexp applies, as in Arbor. modcc recognises that form and
 * emits s = inf + (s - inf)·exp_pade_11(-dt/tau); denocat's cnexp finds a = -1/tau and
 * b = inf/tau from two evaluations of `derivative` and applies -b/a + (s + b/a)·exp_pade_11(a·dt),
 * the same update up to round-off (docs/abi.md 5.6).
 *
 * @module
 */
import type { CurrentValues, Ion, Scope, StateValues } from "../../mod.ts";
import { global, ion, mechanism, parameter, PointwiseMechanism, state } from "../../mod.ts";
import { exprelr } from "./hh.ts";

/** nax.mod `FUNCTION trap0(v, a, q)`: a·q·exprelr(v/q), i.e. a·v/(exp(v/q) - 1). */
export function naxTrap0(v: number, a: number, q: number): number {
  return a * q * exprelr(v / q);
}

/** Arbor's `nax`: axonal Na channel, gates m³h. */
@mechanism({ name: "nax", kind: "density", method: "cnexp" })
export class Nax extends PointwiseMechanism {
  /** Threshold shift, mV. */
  @parameter({ unit: "mV", default: 5 })
  sh!: number;
  /** Maximal conductance density, mho/cm² (= S/cm²). */
  @parameter({ unit: "mho/cm2", default: 0.010 })
  gbar!: number;
  /** Half-activation voltage, mV. */
  @global({ unit: "mV", default: -30 })
  tha!: number;
  /** Activation slope, mV. */
  @global({ unit: "mV", default: 7.2 })
  qa!: number;
  /** Opening rate, 1/ms. */
  @global({ unit: "/ms", default: 0.4 })
  Ra!: number;
  /** Closing rate, 1/ms. */
  @global({ unit: "/ms", default: 0.124 })
  Rb!: number;
  /** Half-inactivation voltage of the rates, mV. */
  @global({ unit: "mV", default: -45 })
  thi1!: number;
  /** Declared in nax.mod, unused by its equations, mV. */
  @global({ unit: "mV", default: -45 })
  thi2!: number;
  /** Inactivation rate slope, mV. */
  @global({ unit: "mV", default: 1.5 })
  qd!: number;
  /** Recovery rate slope, mV. */
  @global({ unit: "mV", default: 1.5 })
  qg!: number;
  /** Lower bound of mtau, ms. */
  @global({ default: 0.02 })
  mmin!: number;
  /** Lower bound of htau, ms. */
  @global({ default: 0.5 })
  hmin!: number;
  /** Temperature coefficient (reference 24 °C). */
  @global({ default: 2 })
  q10!: number;
  /** Recovery rate, 1/ms. */
  @global({ unit: "/ms", default: 0.01 })
  Rg!: number;
  /** Inactivation rate, 1/ms. */
  @global({ unit: "/ms", default: 0.03 })
  Rd!: number;
  /** Half-inactivation voltage of hinf, mV. */
  @global({ unit: "mV", default: -50 })
  thinf!: number;
  /** Slope of hinf, mV. */
  @global({ unit: "mV", default: 4 })
  qinf!: number;
  /** Activation gate. */
  @state()
  m!: number;
  /** Inactivation gate. */
  @state()
  h!: number;
  /** Sodium. */
  @ion()
  na!: Ion;

  /** nax.mod INITIAL. */
  override initial(x: Scope<Nax>): StateValues<Nax> {
    const u = x.tha + x.sh - x.v;
    const a = naxTrap0(u, x.Ra, x.qa);
    const b = naxTrap0(-u, x.Rb, x.qa);
    return { m: a / (a + b), h: 1 / (1 + Math.exp((x.v - x.thinf - x.sh) / x.qinf)) };
  }

  /** nax.mod DERIVATIVE states. */
  override derivative(x: Scope<Nax>): StateValues<Nax> {
    const iq = Math.pow(x.q10, -0.1 * (x.celsius - 24));
    let u = x.tha + x.sh - x.v;
    let a = naxTrap0(u, x.Ra, x.qa);
    let b = naxTrap0(-u, x.Rb, x.qa);
    const mtau = Math.max(iq / (a + b), x.mmin);
    const minf = a / (a + b);
    u = x.thi1 + x.sh - x.v;
    a = naxTrap0(u, x.Rd, x.qd);
    b = naxTrap0(-u, x.Rg, x.qg);
    const htau = Math.max(iq / (a + b), x.hmin);
    const hinf = 1 / (1 + Math.exp((x.v - x.thinf - x.sh) / x.qinf));
    return { m: (minf - x.m) / mtau, h: (hinf - x.h) / htau };
  }

  /** nax.mod BREAKPOINT: `ina = gbar*m*m*m*h*(v - ena)` (mA/cm²), conductance `gbar*m*m*m*h`. */
  override current(x: Scope<Nax>): CurrentValues<Nax> {
    const gna = x.gbar * x.m * x.m * x.m * x.h;
    return { ina: gna * (x.v - x.ena), gna };
  }
}
