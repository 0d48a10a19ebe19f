/**
 * The one place where pointwise names and keys are defined: the scope a kernel reads (and where
 * each scalar is gathered from) and the keys each kernel may return; the kernels' names are
 * re-exported from ffi/layout.ts, whose hook table says which hook each fills. The
 * rules that turn returned values into array writes (weights, units, defaults) live next door in
 * kernels/outputs.ts. Both printers (kernels/js.ts, kernels/c.ts) and the fallback runtime of
 * kernels/pointwise.ts read these; none restates them.
 *
 * @module
 */
import { ION_ARRAY_FLAGS, ION_FLAG, KERNEL_NAMES, type KernelName } from "../ffi/layout.ts";
import type { MechanismSpec } from "../ffi/spec.ts";
import { ionNames } from "../ffi/names.ts";

// The kernel names live beside the hook table they fill (ffi/layout.ts HOOK_TABLE), below this layer.
export { KERNEL_NAMES, type KernelName };

/** Kernels with a second parameter (event weight, time since the spike). */
export const KERNELS_WITH_ARGUMENT: ReadonlySet<KernelName> = new Set(["onEvent", "onPostEvent"]);

/**
 * How `derivative` is integrated: `cnexp` (each state exactly, for s' = a·s + b), `euler`
 * (explicit), or `sparse` (backward Euler over all states at once, kernels/sparse.ts: Markov and
 * kinetic schemes, modcc's METHOD sparse) or `stochastic` (Euler–Maruyama: the derivative is
 * linear in the `@random` values, Arbor's normal white noise, each scaled by √dt; modcc's METHOD
 * stochastic), `direct` (no integration: `derivative` returns the states' values after the step,
 * computed from `dt` as the user wrote them; modcc's SOLVE without METHOD of a DERIVATIVE block
 * that assigns its states), or `linear` (no integration either: `derivative` returns, for each
 * state, a residual linear in the states, and each step the states become the solution of
 * residual = 0, as `equilibrium` at init; modcc's SOLVE of a LINEAR block in BREAKPOINT).
 */
export type IntegrationMethod = "cnexp" | "euler" | "sparse" | "stochastic" | "direct" | "linear";

/** Every integration method (for argument checks). */
export const INTEGRATION_METHODS: readonly IntegrationMethod[] = [
  "cnexp",
  "euler",
  "sparse",
  "stochastic",
  "direct",
  "linear",
];

/**
 * A conservation law of a `sparse` system (NMODL's CONSERVE): the weighted sum of some states is a
 * constant. It replaces the equation of its first state in each implicit step.
 */
export interface ConservationLaw {
  /** The states summed: names (weight 1 each), or names with their weights. */
  sum: readonly string[] | Readonly<Record<string, number>>;
  /** The conserved total. */
  equals: number;
}

/** Scope names every kernel sees besides the mechanism's own members. */
export const RESERVED_SCOPE_NAMES: ReadonlySet<string> = new Set([
  "v",
  "dt",
  "celsius",
  "diam",
  "area",
  "vPeer",
]);

/** Scope names of an ion's scalars. */
export function ionScopeNames(
  ion: string,
): {
  reversal: string;
  internal: string;
  external: string;
  diffusive: string;
  valence: string;
  current: string;
  conductance: string;
} {
  // The ppack's index<Ion> is not a scope key.
  const { index: _index, ...scope } = ionNames(ion);
  return scope;
}

/**
 * The diffusive concentrations `spec` may write (`xd` of each ion declared with
 * useDiffConcentration, Arbor's one flag for reading and writing Xd), in ion order.
 */
export function diffusiveKeys(spec: MechanismSpec): string[] {
  return spec.ions.filter((ion) => ion.flags & ION_FLAG.useDiffConcentration).map((ion) =>
    ionScopeNames(ion.name).diffusive
  );
}

/** Keys each kernel may return. */
export function allowedKeys(spec: MechanismSpec, kernel: KernelName): string[] {
  switch (kernel) {
    case "initial":
      // NMODL's INITIAL may set an ion's current or (when written) its reversal potential; modcc
      // stores them in init as compute_currents does (kernels/outputs.ts initOutputs), and
      // assigns Xd.
      return [
        ...spec.states.map((f) => f.key),
        ...spec.ions.map((ion) => ionScopeNames(ion.name).current),
        ...spec.ions.filter((ion) => ion.flags & ION_FLAG.writeRevPotential).map((ion) =>
          ionScopeNames(ion.name).reversal
        ),
        ...diffusiveKeys(spec),
      ];
    case "derivative":
    case "onEvent":
      // Xd as modcc writes it: assigned in apply_events, integrated in advance_state.
      return [...spec.states.map((f) => f.key), ...diffusiveKeys(spec)];
    case "onPostEvent":
      return spec.states.map((f) => f.key);
    case "equilibrium":
      // one equation (a residual that must vanish) per state it solves for
      return spec.states.filter((f) => !f.assigned).map((f) => f.key);
    case "current":
      return [
        "i",
        "g",
        ...spec.ions.flatMap((ion) => [ionScopeNames(ion.name).current, ionScopeNames(ion.name).conductance]),
        // states and ASSIGNED values (NMODL's BREAKPOINT may set them): stored as they are.
        ...spec.states.map((f) => f.key),
        // Xd, changed in compute_currents (NMODL's `xd = ...` in BREAKPOINT)
        ...diffusiveKeys(spec),
      ];
    case "concentrations":
      return spec.ions.flatMap((ion) => [
        ...(ion.flags & ION_FLAG.writeIntConcentration ? [ionScopeNames(ion.name).internal] : []),
        ...(ion.flags & ION_FLAG.writeExtConcentration ? [ionScopeNames(ion.name).external] : []),
        ...(ion.flags & ION_FLAG.useDiffConcentration ? [ionScopeNames(ion.name).diffusive] : []),
      ]);
    case "voltage":
      return ["v"];
    case "reversalPotential":
      return spec.ions.filter((ion) => ion.flags & ION_FLAG.writeRevPotential).map((ion) =>
        ionScopeNames(ion.name).reversal
      );
  }
}

/** An ion array a scalar is gathered from (through the ion's own index). */
/** `current` is the ion's current density, summed over the mechanisms that wrote it this step (NMODL's READ ica). */
export type IonField = "reversal" | "internal" | "external" | "diffusive" | "current";

/**
 * Where one gathered scalar comes from. `fallback` is its value when the array does not exist
 * for this mechanism, ABI or host (no peers, no random numbers, no such ion array).
 */
export type InputSource =
  | { of: "node"; array: "v" | "temperature" | "diam" | "area" }
  | { of: "peer"; fallback: number }
  | { of: "dt" }
  | { of: "state" | "parameter"; index: number }
  | { of: "random"; index: number; fallback: number }
  | { of: "global"; index: number }
  | { of: "ion"; ion: number; field: IonField; fallback: number }
  | { of: "valence"; ion: number; fallback: number }
  | { of: "weight" }
  | { of: "multiplicity"; fallback: number };

/** One gathered scalar: its scope key (empty for inputs only the plan reads) and its source. */
export interface Input {
  /** `x.<key>` in a kernel, or "" for weight and multiplicity. */
  key: string;
  /** Where it comes from. */
  source: InputSource;
}

/**
 * Every scalar a plan of `spec` may gather, scope keys first (in the order of the scope): the
 * base scalars, states, parameters, globals, randoms, each ion's scalars, then the instance
 * weight and multiplicity, which only the output rules read.
 */
export function planInputs(spec: MechanismSpec): Input[] {
  const inputs: Input[] = [
    { key: "v", source: { of: "node", array: "v" } },
    { key: "dt", source: { of: "dt" } },
    { key: "celsius", source: { of: "node", array: "temperature" } },
    { key: "diam", source: { of: "node", array: "diam" } },
    { key: "area", source: { of: "node", array: "area" } },
    { key: "vPeer", source: { of: "peer", fallback: NaN } },
  ];
  spec.states.forEach((f, index) => inputs.push({ key: f.key, source: { of: "state", index } }));
  spec.parameters.forEach((f, index) => inputs.push({ key: f.key, source: { of: "parameter", index } }));
  spec.globals.forEach((f, index) => inputs.push({ key: f.key, source: { of: "global", index } }));
  spec.randoms.forEach((name, index) =>
    inputs.push({ key: name, source: { of: "random", index, fallback: NaN } })
  );
  spec.ions.forEach((ion, j) => {
    const names = ionScopeNames(ion.name);
    for (const field of ["reversal", "internal", "external", "diffusive", "current"] as const) {
      inputs.push({ key: names[field], source: { of: "ion", ion: j, field, fallback: NaN } });
    }
    inputs.push({ key: names.valence, source: { of: "valence", ion: j, fallback: NaN } });
  });
  inputs.push({ key: "", source: { of: "weight" } });
  // Coalesced point instances stand for multiplicity[k] synapses (docs/abi.md 5.5); 1 elsewhere.
  inputs.push({ key: "", source: { of: "multiplicity", fallback: 1 } });
  return inputs;
}

/**
 * The ion scalars of `spec`'s scope that its declaration did not ask Arbor for, each with the
 * error a kernel reading it gets (naming the ion and the flag to add): Arbor fills those arrays
 * only when a mechanism declares the flag, so a read would see garbage, zero or NaN.
 */
export function unrequestedIonReads(spec: MechanismSpec): Map<string, string> {
  const out = new Map<string, string>();
  for (const ion of spec.ions) {
    const names = ionScopeNames(ion.name);
    for (
      const [field, flags] of Object.entries(ION_ARRAY_FLAGS) as [
        keyof typeof ION_ARRAY_FLAGS,
        readonly (keyof typeof ION_FLAG)[],
      ][]
    ) {
      if (flags.some((flag) => ion.flags & ION_FLAG[flag])) continue;
      out.set(
        names[field],
        `mechanism '${spec.name}': a kernel reads x.${
          names[field]
        }, but ion '${ion.name}' does not declare ` +
          `${flags.join(" or ")}; add ${flags[0]}: true to the ion's options`,
      );
    }
  }
  return out;
}

/** The scope keys of `spec`, in scope order. */
export function scopeKeys(spec: MechanismSpec): string[] {
  return planInputs(spec).filter((input) => input.key !== "").map((input) => input.key);
}
