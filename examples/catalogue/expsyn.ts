/**
 * Arbor's default-catalogue `expsyn` (mechanisms/default/expsyn.mod, unchanged from Arbor 0.9.0
 * to 0.12.0-dev) as a pointwise point mechanism: a synapse whose conductance jumps by the event
 * weight and decays exponentially.
 *
 * Where each piece comes from in expsyn.mod:
 *  - `PARAMETER { tau = 2.0 (ms)  e = 0 (mV) }` with `RANGE tau, e`: two per-synapse parameters;
 *  - `STATE { g (uS) }` and `INITIAL { g = 0 }`;
 *  - `DERIVATIVE state { g' = -g/tau }` with `SOLVE state METHOD cnexp`: homogeneous and linear
 *    in g, so modcc's update is `g = g·exp_pade_11(-dt/tau)` (docs/abi.md 5.6); denocat's cnexp
 *    finds the same slope from the kernel and applies the same Padé step;
 *  - `BREAKPOINT { i = g*(v - e) }`: nA for a point process (conductance in µS times mV); the
 *    conductance dI/dV is `g`;
 *  - `NET_RECEIVE(weight) { g = g + weight }`: the `onEvent` kernel (weight in µS).
 *
 * Arbor's modcc marks `expsyn` linear (its derivative, current and NET_RECEIVE are linear and
 * homogeneous in g), so Arbor may coalesce identical synapses on one CV; the port declares
 * `isLinear: true` too, and denocat scales the state by the multiplicity at init as modcc does.
 *
 * The state is called `g` in Arbor, which would hide `pp.g`; the field is `gsyn`, declared with
 * `name: "g"`, so Arbor and the hosts still see a state `g`.
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

/** Arbor's `expsyn`: single-exponential conductance synapse. */
@mechanism({ name: "expsyn", kind: "point", method: "cnexp", isLinear: true })
export class ExpSyn extends PointwiseMechanism {
  /** Decay time constant, ms. */
  @parameter({ unit: "ms", default: 2.0 })
  tau!: number;
  /** Synaptic reversal potential, mV. */
  @parameter({ unit: "mV", default: 0 })
  e!: number;
  /** Synaptic conductance (Arbor name `g`), µS. */
  @state({ name: "g", unit: "uS" })
  gsyn!: number;

  /** expsyn.mod INITIAL: `g = 0`. */
  override initial(_x: Scope<ExpSyn>): StateValues<ExpSyn> {
    return { gsyn: 0 };
  }

  /** expsyn.mod DERIVATIVE: `g' = -g/tau`. */
  override derivative(x: Scope<ExpSyn>): StateValues<ExpSyn> {
    return { gsyn: -x.gsyn / x.tau };
  }

  /** expsyn.mod BREAKPOINT: `i = g*(v - e)` (nA), conductance `g` (µS). */
  override current(x: Scope<ExpSyn>): CurrentValues<ExpSyn> {
    return { i: x.gsyn * (x.v - x.e), g: x.gsyn };
  }

  /** expsyn.mod NET_RECEIVE: `g = g + weight`. */
  override onEvent(x: Scope<ExpSyn>, weight: number): StateValues<ExpSyn> {
    return { gsyn: x.gsyn + weight };
  }
}
