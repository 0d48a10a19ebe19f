/**
 * Arbor's default-catalogue `exp2syn` (mechanisms/default/exp2syn.mod, unchanged from Arbor
 * 0.9.0 to 0.12.0-dev) as a pointwise point mechanism: a synapse whose conductance is the
 * difference of two exponentials, normalised so that one event of weight w peaks at w.
 *
 * Where each piece comes from in exp2syn.mod:
 *  - `PARAMETER { tau1 = 0.5 (ms)  tau2 = 2 (ms)  e = 0 (mV) }` with `RANGE tau1, tau2, e`;
 *  - `STATE { A B }` and `ASSIGNED { factor }`: modcc lists ASSIGNED variables after the states
 *    in the mechanism's state table, so here `factor` is the third state;
 *  - `INITIAL`: `A = 0`, `B = 0`, `tp = (tau1*tau2)/(tau2 - tau1) * log(tau2/tau1)` (the time of
 *    the peak of exp(-t/tau2) - exp(-t/tau1)) and `factor = 1 / (-exp(-tp/tau1) + exp(-tp/tau2))`;
 *  - `DERIVATIVE state { A' = -A/tau1  B' = -B/tau2 }` with `METHOD cnexp`: each homogeneous and
 *    linear in its own state, so `A = A·exp_pade_11(-dt/tau1)` and likewise B (docs/abi.md
 *    5.6). `derivative()` does not return `factor`, so it is not integrated: it keeps its
 *    initial value, as an ASSIGNED variable that only INITIAL sets;
 *  - `BREAKPOINT { i = (B - A)*(v - e) }`: nA; the conductance dI/dV is `B - A` (µS);
 *  - `NET_RECEIVE(weight) { A = A + weight*factor  B = B + weight*factor }`.
 *
 * `isLinear` is true, as modcc marks Arbor's exp2syn, so identical synapses may be coalesced.
 * Coalescing scales every STATE by the multiplicity at init but not ASSIGNED variables (modcc
 * scales only STATE arrays): `factor` is therefore declared `assigned`, which keeps it unscaled.
 *
 * @module
 */
import {
  type CurrentValues,
  mechanism,
  parameter,
  PointwiseMechanism,
  type Scope,
  state,
  type StateValues,
} from "../../mod.ts";

/**
 * The normalisation of exp2syn.mod's INITIAL: 1 / (exp(-tp/tau2) - exp(-tp/tau1)) with the peak
 * time tp = tau1·tau2/(tau2 - tau1)·ln(tau2/tau1), evaluated in the .mod file's order.
 */
export function exp2synFactor(tau1: number, tau2: number): number {
  const tp = (tau1 * tau2) / (tau2 - tau1) * Math.log(tau2 / tau1);
  return 1 / (-Math.exp(-tp / tau1) + Math.exp(-tp / tau2));
}

/** Arbor's `exp2syn`: double-exponential conductance synapse. */
@mechanism({ name: "exp2syn", kind: "point", method: "cnexp", isLinear: true })
export class Exp2Syn extends PointwiseMechanism {
  /** Rise time constant, ms. */
  @parameter({ unit: "ms", default: 0.5 })
  tau1!: number;
  /** Decay time constant, ms. */
  @parameter({ unit: "ms", default: 2 })
  tau2!: number;
  /** Synaptic reversal potential, mV. */
  @parameter({ unit: "mV", default: 0 })
  e!: number;
  /** Rising component (subtracted), µS. */
  @state()
  A!: number;
  /** Decaying component, µS. */
  @state()
  B!: number;
  /** Peak normalisation (an ASSIGNED variable in exp2syn.mod), set once in `initial`. */
  @state({ assigned: true })
  factor!: number;

  /** exp2syn.mod INITIAL. */
  override initial(x: Scope<Exp2Syn>): StateValues<Exp2Syn> {
    return { A: 0, B: 0, factor: exp2synFactor(x.tau1, x.tau2) };
  }

  /** exp2syn.mod DERIVATIVE: `A' = -A/tau1`, `B' = -B/tau2` (factor is left out: constant). */
  override derivative(x: Scope<Exp2Syn>): StateValues<Exp2Syn> {
    return { A: -x.A / x.tau1, B: -x.B / x.tau2 };
  }

  /** exp2syn.mod BREAKPOINT: `i = (B - A)*(v - e)` (nA), conductance `B - A` (µS). */
  override current(x: Scope<Exp2Syn>): CurrentValues<Exp2Syn> {
    const g = x.B - x.A;
    return { i: g * (x.v - x.e), g };
  }

  /** exp2syn.mod NET_RECEIVE: A and B both grow by `weight*factor`. */
  override onEvent(x: Scope<Exp2Syn>, weight: number): StateValues<Exp2Syn> {
    const jump = weight * x.factor;
    return { A: x.A + jump, B: x.B + jump };
  }
}
