/**
 * The types a mechanism is written against: ppack and scope views, the two base classes, and the
 * declaration records every other mechanism/ module passes around. Types only, plus two classes
 * with no code, so every module may import this one without a cycle.
 *
 * @module
 */
import type { HookFunction } from "../ffi/trampoline.ts";
import type { HookName } from "../ffi/layout.ts";
import type { EventBatch, IonViews } from "../ffi/ppack.ts";
import type { MechanismSpec } from "../ffi/spec.ts";
import type { ConservationLaw, IntegrationMethod } from "../kernels/rules.ts";

/** Marker type of an `@ion` field: the field's name is the ion's name. */
export type Ion = { readonly ion: unique symbol };

/** What every ppack object has, whatever the mechanism. */
export interface BasePPack {
  /** Number of instances of this mechanism in the cell group. */
  readonly width: number;
  /** Step length in ms, read fresh from Arbor at every access (meaningless during `init`). */
  readonly dt: number;
  /** Arbor's id of this mechanism within its cell group. */
  readonly mechanismId: number;
  /** Number of spike detectors per cell (post-event mechanisms only). */
  readonly nDetectors: number;
  /** Membrane voltage per CV (mV); index with `nodeIndex[k]`. */
  readonly v: Float64Array;
  /** Membrane current density per CV (A/m²): accumulate with `+=`. */
  readonly i: Float64Array;
  /** Membrane conductance per CV (kS/m²), the derivative dI/dV: accumulate with `+=`. */
  readonly g: Float64Array;
  /** Temperature per CV (°C). */
  readonly temperatureDegC: Float64Array;
  /** Diameter per CV (µm). */
  readonly diamUm: Float64Array;
  /** Lateral area per CV (µm²). */
  readonly areaUm2: Float64Array;
  /** CV of each instance (a copy: writing it never changes the arrays Arbor indexes with). */
  readonly nodeIndex: Int32Array;
  /** Weight of each instance (density: covered fraction; point: 1000/area). */
  readonly weight: Float64Array;
  /** Merged synapse count per instance (coalesced point mechanisms only; else throws). */
  readonly multiplicity: Int32Array;
  /** Peer CV per instance (gap junctions only; else throws). */
  readonly peerIndex: Int32Array;
  /** Voltage array indexed by `peerIndex[k]` (gap junctions only; else throws). */
  readonly vPeer: Float64Array;
  /** Cell index per CV (post-event groups only; else throws). */
  readonly vecCi: Int32Array;
  /** Per cell and detector: ms since a spike in this step, or -1 (post-event groups only). */
  readonly timeSinceSpike: Float64Array;
  /** The views of every ion by species name. */
  readonly ions: Readonly<Record<string, IonViews>>;
}

/** Names of the members of `M` whose type is `T` (used to derive `PPack<M>`). */
export type KeysOfType<M, T> = { [K in keyof M]-?: M[K] extends T ? K : never }[keyof M] & string;
/** The ppack views of ion species `X`, named as arbor_pycat names them (`iX`, `eX`, `Xi`, ...). */
export type IonNamedViews<X extends string> =
  & { readonly [K in `i${X}` | `g${X}` | `e${X}` | `${X}i` | `${X}o` | `${X}d`]: Float64Array }
  & { readonly [K in `valence${Capitalize<X>}`]: Float64Array }
  & { readonly [K in `index${Capitalize<X>}`]: Int32Array };

/**
 * The ppack object a hook receives for mechanism class `M`: the base views, plus one
 * `Float64Array` per state, parameter and random variable, one number per global, and the named
 * views of every ion (for ion `ca`: `ica`, `gca`, `eca`, `cai`, `cao`, `cad`, `valenceCa`, `indexCa`).
 */
export type PPack<M = unknown> =
  & BasePPack
  & { readonly [K in KeysOfType<M, Float64Array>]: Float64Array }
  & { readonly [K in KeysOfType<M, number>]: number }
  & IonNamedViews<KeysOfType<M, Ion>>;

/**
 * Base class of mechanisms. Define only the hooks you need: hooks left undefined are never
 * called, and cost nothing. Hook names follow arbor_pycat's, in camelCase.
 */
export abstract class CustomMechanism {
  /** `init_mechanism`: runs twice per reset; set every state here. */
  init?(pp: PPack): void;
  /** `advance_state`: integrate states over `pp.dt`. */
  advanceState?(pp: PPack): void;
  /** `compute_currents`: add currents into `pp.i` and conductances into `pp.g` (and ion currents). */
  computeCurrents?(pp: PPack): void;
  /** `write_ions`: add concentrations into `Xi`/`Xo`. */
  writeIons?(pp: PPack): void;
  /** `apply_events` (point mechanisms): the events of this step, all in one batch (copies the hook may keep). */
  applyEvents?(pp: PPack, events: EventBatch): void;
  /** `post_event` (point mechanisms with `hasPostEvents`). */
  postEvent?(pp: PPack): void;
}

/** The scalars a pointwise kernel reads for one compartment and instance. */
export interface BaseScope {
  /** Membrane voltage of the instance's CV (mV). */
  readonly v: number;
  /** Step length (ms); meaningless in `initial`. */
  readonly dt: number;
  /** Temperature of the CV (°C). */
  readonly celsius: number;
  /** Diameter of the CV (µm). */
  readonly diam: number;
  /** Lateral area of the CV (µm²). */
  readonly area: number;
  /** Gap junctions: voltage of the peer CV (mV); NaN otherwise. */
  readonly vPeer: number;
}

/**
 * The ion scalars of species `X` in a kernel scope: `eX`, `Xi`, `Xo`, `Xd`, `valenceX`, and `iX`,
 * the ion's current density of the step (NMODL's `READ ica`).
 */
export type IonScope<X extends string> = {
  readonly [K in `i${X}` | `e${X}` | `${X}i` | `${X}o` | `${X}d` | `valence${Capitalize<X>}`]: number;
};

/**
 * What a kernel of pointwise mechanism `M` reads: the base scalars, every state, parameter,
 * global and random variable (fields typed `number`) by name, and the scalars of every ion.
 */
export type Scope<M = unknown> =
  & BaseScope
  & { readonly [K in KeysOfType<M, number>]: number }
  & IonScope<KeysOfType<M, Ion>>;

/**
 * State values a kernel returns (`initial`, `derivative`, `onEvent`, `onPostEvent`), and `Xd`,
 * the diffusive concentration (mM) of an ion declared with `useDiffConcentration` (Arbor ≥ 0.10):
 * `derivative` integrates it like a state and adds weight·(new − old) to Arbor's Xd; `initial`
 * and `onEvent` assign it (`onPostEvent` may not return it), as modcc writes NMODL's `WRITE xd`.
 *
 * @example
 * ```ts
 * import { ion, type Ion, mechanism, parameter, PointwiseMechanism, type Scope } from "../mod.ts";
 * // Arbor's default `decay`: xd' = -tau·xd
 * @mechanism({ name: "decay", kind: "density", method: "cnexp" })
 * class Decay extends PointwiseMechanism {
 *   @parameter({ default: 5 }) tau!: number;
 *   @ion({ readRevPotential: false, useDiffConcentration: true }) x!: Ion;
 *   override derivative(x: Scope<Decay>) {
 *     return { xd: -x.tau * x.xd };
 *   }
 * }
 * ```
 */
export type StateValues<M = unknown> =
  & { [K in KeysOfType<M, number>]?: number }
  & { [K in `${KeysOfType<M, Ion>}d`]?: number };

/**
 * What `initial` returns: state values, and optionally ion values NMODL's INITIAL may set, stored
 * in init as modcc does: `iX` added to the ion's current density with the weight rules of
 * `current` (Arbor zeroes it before the first step: only the INITIAL of mechanisms initialised
 * later reads it), and `eX` of an ion whose reversal potential the mechanism writes.
 */
export type InitialValues<M = unknown> =
  & StateValues<M>
  & { [K in `i${KeysOfType<M, Ion>}` | `e${KeysOfType<M, Ion>}`]?: number };

/**
 * What `current` returns: `i` (non-specific current), `iX` per ion, and optionally the
 * conductances dI/dV `g` and `gX`. Density: mA/cm² and S/cm²; point and gap junction: nA and µS.
 * Without any conductance, dI/dV is taken by a 1 µV forward difference. It may also return
 * states (stored as they are, unscaled, after the currents: NMODL's STATE and ASSIGNED values set
 * in BREAKPOINT, as modcc's compute_currents stores them); any other field is refused when the
 * catalogue is made.
 */
export type CurrentValues<M = unknown> =
  & { i?: number; g?: number }
  & { [K in `i${KeysOfType<M, Ion>}` | `g${KeysOfType<M, Ion>}` | `${KeysOfType<M, Ion>}d`]?: number }
  & { [K in KeysOfType<M, number>]?: number };

/**
 * What `concentrations` returns: `Xi`/`Xo` per written ion (mM), added with the weight rules, and
 * `Xd` (mM, an ion with `useDiffConcentration`), assigned as modcc's write_ions does.
 */
export type ConcentrationValues<M = unknown> = {
  [K in `${KeysOfType<M, Ion>}i` | `${KeysOfType<M, Ion>}o` | `${KeysOfType<M, Ion>}d`]?: number;
};

/** What `voltage` returns: the membrane voltage (mV) a voltage process assigns, or nothing to leave it. */
export type VoltageValues = { v?: number };

/** What `reversalPotential` returns: `eX` per written ion (mV), assigned. */
export type ReversalValues<M = unknown> = { [K in `e${KeysOfType<M, Ion>}`]?: number };

/**
 * Base class of pointwise mechanisms: define kernels, pure functions of one compartment's
 * scalars, instead of hooks. Fields are typed `number`. denocat gathers, integrates
 * (`method`: cnexp, euler or sparse) and scatter-adds with Arbor's rules; kernels never index
 * arrays.
 *
 * @example
 * ```ts
 * import { mechanism, parameter, PointwiseMechanism, type Scope, state } from "../mod.ts";
 * @mechanism({ name: "decay", kind: "density", method: "cnexp" })
 * class Decay extends PointwiseMechanism {
 *   @parameter({ unit: "ms", default: 5 }) tau!: number;
 *   @state() s!: number;
 *   override initial(_x: Scope<Decay>) {
 *     return { s: 1 };
 *   }
 *   override derivative(x: Scope<Decay>) {
 *     return { s: -x.s / x.tau };
 *   }
 * }
 * ```
 */
export abstract class PointwiseMechanism {
  /**
   * Initial state values (states left out start from their defaults), and optionally ion values
   * (see {@link InitialValues}); runs at every init.
   */
  initial?(x: Scope): InitialValues;
  /**
   * Initial states as the solution of linear equations (NMODL's LINEAR block, or a kinetic scheme
   * at STEADYSTATE): for each state, a residual that is 0 at the solution, linear in the states.
   * Runs after `initial`, whose ASSIGNED values it sees.
   */
  equilibrium?(x: Scope): StateValues;
  /** Time derivative of each integrated state, per ms. */
  derivative?(x: Scope): StateValues;
  /** Currents (and optionally conductances) of the instance. */
  current?(x: Scope): CurrentValues;
  /** Point mechanisms: new state values when an event of `weight` arrives. */
  onEvent?(x: Scope, weight: number): StateValues;
  /** Point mechanisms with `hasPostEvents`: new state values after a spike `timeSinceSpike` ms ago. */
  onPostEvent?(x: Scope, timeSinceSpike: number): StateValues;
  /** Ion writers: concentrations to add into Xi/Xo (in `write_ions`). */
  concentrations?(x: Scope): ConcentrationValues;
  /** Reversal-potential mechanisms: eX to assign (in `compute_currents`). */
  reversalPotential?(x: Scope): ReversalValues;
  /** Voltage processes: the membrane voltage to assign (in `compute_currents`), as NMODL's VOLTAGE_PROCESS. */
  voltage?(x: Scope): VoltageValues;
}

/** Options of `@mechanism`. */
export interface MechanismOptions {
  /** Catalogue name; defaults to the class name. */
  name?: string;
  /** `density` (default), `point`, `reversalPotential`, `gapJunction` or `voltage`. */
  kind?: string;
  /** Allows Arbor to coalesce point instances (then state must be scaled by `multiplicity`). Default false. */
  isLinear?: boolean;
  /** Asks Arbor to call `postEvent` (point mechanisms). Default false. */
  hasPostEvents?: boolean;
  /**
   * Pointwise mechanisms: how `derivative` is integrated: `"cnexp"` (default; each state exactly
   * for s' = a·s + b), `"euler"` (explicit), or `"sparse"` (backward Euler over all states at
   * once: kinetic and Markov schemes; a non-linear system takes three Newton iterations, as modcc),
   * or `"stochastic"` (Euler–Maruyama: the derivative is linear in its `@random` white noise, each
   * value scaled by √dt, as modcc's METHOD stochastic), `"direct"` (`derivative` returns the
   * states' values after the step, computed from `x.dt`; modcc's SOLVE without METHOD), or
   * `"linear"` (`derivative` returns a residual per state, linear in the states; each step the
   * states become the solution; modcc's SOLVE of a LINEAR block in BREAKPOINT).
   */
  method?: IntegrationMethod;
  /**
   * Method `"sparse"`: conservation laws, each replacing the equation of its first state in the
   * implicit step (NMODL's CONSERVE), e.g. `[{ sum: ["C", "O", "I"], equals: 1 }]`.
   */
  conserve?: readonly ConservationLaw[];
}

/** A class that `@mechanism` can decorate. */
export type MechanismClass = new () => CustomMechanism | PointwiseMechanism;

/** A declared mechanism: its spec and how to make the object its hooks run on. */
export interface DeclaredMechanism {
  /** The validated description. */
  readonly spec: MechanismSpec;
  /** Makes a fresh hook target (one per catalogue, so catalogues share no state). */
  readonly instantiate: () => { target: object; hooks: Partial<Record<HookName, HookFunction>> };
}
