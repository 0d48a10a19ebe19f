/**
 * The TypeScript side's single table of Arbor ABI offsets and denocat constants.
 *
 * Every number here also exists in C (`c/arbor_abi.h`, `c/denocat.h`, `c/hooks.h`), where static asserts pin
 * it; `ffi/layout_test.ts` compares this table with what the compiled library reports through
 * `denocat_layout_table()`, so the two cannot drift apart silently.
 *
 * @module
 */

/** ABI layout families: 0.6 is Arbor 0.9.x–0.10.x, 0.7 is Arbor 0.11.x–0.12.x. */
export type AbiFamily = "0.6" | "0.7";

/** The number `denocat_set_abi` takes for each family. */
export const ABI_CODE: Record<AbiFamily, number> = { "0.6": 6, "0.7": 7 };

/** Offsets inside `arb_mechanism_ppack` (224 bytes, identical in both families). */
export const PPACK = {
  size: 224,
  width: 0,
  n_detectors: 4,
  vec_ci: 8,
  dt: 16,
  vec_v: 24,
  vec_i: 32,
  vec_g: 40,
  temperature_degC: 48,
  diam_um: 56,
  area_um2: 64,
  time_since_spike: 72,
  node_index: 80,
  peer_index: 88,
  multiplicity: 96,
  weight: 104,
  mechanism_id: 112,
  events: 120,
  index_constraints: 136,
  parameters: 184,
  state_vars: 192,
  globals: 200,
  ion_states: 208,
  random_numbers: 216,
} as const;

/** Offsets inside one `arb_ion_state` record; `undefined` where the family lacks the field. */
export interface IonStateLayout {
  /** Record size in bytes. */
  size: number;
  /** iX. */
  current_density: number;
  /** gX, ABI 0.6 only. */
  conductivity: number | undefined;
  /** eX. */
  reversal_potential: number;
  /** Xi. */
  internal_concentration: number;
  /** Xo. */
  external_concentration: number;
  /** Xd. */
  diffusive_concentration: number;
  /** One element: the valence. */
  ionic_charge: number;
  /** Instance to ion-support position. */
  index: number;
}

/** `arb_ion_state` per family. */
export const ION_STATE: Record<AbiFamily, IonStateLayout> = {
  "0.6": {
    size: 64,
    current_density: 0,
    conductivity: 8,
    reversal_potential: 16,
    internal_concentration: 24,
    external_concentration: 32,
    diffusive_concentration: 40,
    ionic_charge: 48,
    index: 56,
  },
  "0.7": {
    size: 56,
    current_density: 0,
    conductivity: undefined,
    reversal_potential: 8,
    internal_concentration: 16,
    external_concentration: 24,
    diffusive_concentration: 32,
    ionic_charge: 40,
    index: 48,
  },
};

/**
 * Every C layout entry this table vouches for, keyed as `denocat_layout_table()` names them
 * (`sizeof.T` or `T.field`). The layout test checks each against the compiled library.
 */
export function expectedLayout(): Record<string, number> {
  const table: Record<string, number> = {};
  for (const [field, offset] of Object.entries(PPACK)) {
    table[field === "size" ? "sizeof.arb_mechanism_ppack" : `arb_mechanism_ppack.${field}`] = offset;
  }
  for (const [family, suffix] of [["0.6", "v06"], ["0.7", "v07"]] as const) {
    for (const [field, offset] of Object.entries(ION_STATE[family])) {
      if (offset === undefined) continue;
      table[field === "size" ? `sizeof.arb_ion_state_${suffix}` : `arb_ion_state_${suffix}.${field}`] =
        offset;
    }
  }
  for (const [name, value] of Object.entries(CONSTANTS)) table[name] = value;
  return table;
}

/** Name of a hook as users write it on a mechanism class (a key of {@link HOOK_TABLE}). */
export type HookName =
  | "init"
  | "computeCurrents"
  | "applyEvents"
  | "advanceState"
  | "writeIons"
  | "postEvent";

/** Names of the kernels a pointwise mechanism may define (each fills one hook: {@link HOOK_TABLE}). */
export type KernelName =
  | "initial"
  | "equilibrium"
  | "derivative"
  | "current"
  | "onEvent"
  | "onPostEvent"
  | "concentrations"
  | "reversalPotential"
  | "voltage";

/** Every kernel name, in the order hooks are generated. */
export const KERNEL_NAMES: readonly KernelName[] = [
  "initial",
  "equilibrium",
  "derivative",
  "current",
  "onEvent",
  "onPostEvent",
  "concentrations",
  "reversalPotential",
  "voltage",
];

/** One hook of Arbor's `arb_mechanism_interface`: a row of {@link HOOK_TABLE}. */
export interface HookRow {
  /** The number that crosses the FFI (`DENOCAT_HOOK_*` of `c/hooks.h`); bit `1 << number` in a hook mask. */
  readonly number: number;
  /** Its member of `arb_mechanism_interface` (`c/arbor_abi.h`), e.g. `apply_events`. */
  readonly field: string;
  /** Whether its C function takes the event stream too (`arb_mechanism_method_events`). */
  readonly events: boolean;
  /** The kinds Arbor calls it for (docs/abi.md 4.2): a hook defined for another kind is refused. */
  readonly kinds: readonly MechanismKind[];
  /** The pointwise kernels that fill it, each with the kinds that may define that kernel. */
  readonly kernels: Readonly<Partial<Record<KernelName, readonly MechanismKind[]>>>;
}

/**
 * The one table of hooks, a row per hook by the name users write, in number order. Every other
 * hook map is derived from it: {@link HOOK}, {@link HOOK_NAMES}, {@link KERNEL_HOOK}, the layout
 * entries `hook.<name>`, the hooks each kind may define (mechanism/validate.ts), the kernels each
 * kind may define (kernels/pointwise.ts), the hook of each kernel (kernels/plan.ts) and the
 * interface a generated catalogue prints (catalogue/emit.ts). Its C twin is the X-macro list of
 * `c/hooks.h`; tests/mirrors_test.ts compares them.
 *
 * @example
 * ```ts
 * HOOK_TABLE.applyEvents.field; // "apply_events"
 * HOOK_TABLE.applyEvents.kinds; // ["point"]
 * ```
 */
export const HOOK_TABLE: Readonly<Record<HookName, HookRow>> = {
  init: {
    number: 0,
    field: "init_mechanism",
    events: false,
    kinds: ["density", "point", "reversal_potential", "gap_junction", "voltage"],
    kernels: {
      initial: ["density", "point", "reversal_potential", "gap_junction", "voltage"],
      // the states' initial values as the solution of linear equations, after initial()
      equilibrium: ["density", "point", "gap_junction", "voltage"],
    },
  },
  computeCurrents: {
    number: 1,
    field: "compute_currents",
    events: false,
    kinds: ["density", "point", "reversal_potential", "gap_junction", "voltage"],
    kernels: {
      current: ["density", "point", "gap_junction"],
      reversalPotential: ["reversal_potential"],
      // a voltage process assigns the membrane voltage (NMODL's VOLTAGE_PROCESS)
      voltage: ["voltage"],
    },
  },
  applyEvents: {
    number: 2,
    field: "apply_events",
    events: true,
    kinds: ["point"],
    kernels: { onEvent: ["point"] },
  },
  advanceState: {
    number: 3,
    field: "advance_state",
    events: false,
    kinds: ["density", "point", "gap_junction", "voltage"],
    kernels: { derivative: ["density", "point", "gap_junction", "voltage"] },
  },
  writeIons: {
    number: 4,
    field: "write_ions",
    events: false,
    kinds: ["density", "point", "gap_junction"],
    kernels: { concentrations: ["density", "point"] },
  },
  postEvent: {
    number: 5,
    field: "post_event",
    events: false,
    kinds: ["density", "point", "gap_junction"],
    kernels: { onPostEvent: ["point"] },
  },
};

/** Hook names indexed by hook number (from {@link HOOK_TABLE}). */
export const HOOK_NAMES: readonly HookName[] = (Object.keys(HOOK_TABLE) as HookName[])
  .sort((a, b) => HOOK_TABLE[a].number - HOOK_TABLE[b].number);

/** Hook numbers shared with `c/hooks.h` (bit `1 << hook` in a hook mask), from {@link HOOK_TABLE}. */
export const HOOK: Readonly<Record<HookName, number>> = Object.fromEntries(
  HOOK_NAMES.map((name) => [name, HOOK_TABLE[name].number]),
) as Record<HookName, number>;

/** The hook each pointwise kernel fills, and the kinds that may define the kernel (from {@link HOOK_TABLE}). */
export const KERNEL_HOOK: Readonly<Record<KernelName, { hook: HookName; kinds: readonly MechanismKind[] }>> =
  Object.fromEntries(
    HOOK_NAMES.flatMap((hook) =>
      (Object.entries(HOOK_TABLE[hook].kernels) as [KernelName, readonly MechanismKind[]][]).map((
        [kernel, kinds],
      ) => [kernel, { hook, kinds }])
    ),
  ) as Record<KernelName, { hook: HookName; kinds: readonly MechanismKind[] }>;

/** Field sections of `denocat_add_field`. */
export const SECTION = { global: 0, state: 1, parameter: 2 } as const;

/** Mechanism flags of `denocat_add_mechanism`. */
export const MECHANISM_FLAG = { isLinear: 1, hasPostEvents: 2 } as const;

/** Ion flag bits of `denocat_add_ion`, one per bool of `arb_ion_info`. */
export const ION_FLAG = {
  writeIntConcentration: 1 << 0,
  writeExtConcentration: 1 << 1,
  readIntConcentration: 1 << 2,
  readExtConcentration: 1 << 3,
  useDiffConcentration: 1 << 4,
  writeRevPotential: 1 << 5,
  readRevPotential: 1 << 6,
  readValence: 1 << 7,
  verifyValence: 1 << 8,
} as const;

/**
 * The ion flags (any one of them) that make Arbor fill each per-ion array: the reversal potential,
 * the internal, external and diffusive concentrations. Arbor leaves an array unset unless the
 * mechanism declares one of its flags, so the ppack views and the kernel scope both refuse reads
 * without them (ffi/ppack.ts, kernels/rules.ts).
 */
export const ION_ARRAY_FLAGS: Readonly<
  Record<"reversal" | "internal" | "external" | "diffusive", readonly (keyof typeof ION_FLAG)[]>
> = {
  reversal: ["readRevPotential", "writeRevPotential"],
  internal: ["readIntConcentration", "writeIntConcentration"],
  external: ["readExtConcentration", "writeExtConcentration"],
  diffusive: ["useDiffConcentration"],
};

/**
 * The range Arbor is given for a field. An unbounded side (±Infinity in a declaration) becomes
 * ∓DBL_MAX, as Arbor's documentation recommends for arb_field_info. The one place of this rule:
 * live catalogues pass the result to `denocat_add_field`, compiled catalogues print it.
 */
export function arbFieldRange(range: readonly [number, number]): [number, number] {
  const [low, high] = range;
  // A range that holds no finite value ([inf, x], [x, -inf]) passes unchanged, so that
  // c/denocat/declare.c rejects it with the bounds the user wrote.
  if (low === Infinity || high === -Infinity) return [low, high];
  return [low === -Infinity ? -Number.MAX_VALUE : low, high === Infinity ? Number.MAX_VALUE : high];
}

/** `arb_mechanism_kind` values. */
export const KIND: Readonly<Record<MechanismKind, number>> = {
  point: 1,
  density: 2,
  reversal_potential: 3,
  gap_junction: 4,
  voltage: 5,
};

/** Name of a mechanism kind, as the ABI spells it. */
export type MechanismKind = "point" | "density" | "reversal_potential" | "gap_junction" | "voltage";

/** Or-ed into the hook number of a dispatch call when the instance's views must be rebuilt. */
export const DISPATCH_REBIND = 0x100;

/** Word of each argument in `denocat_call_args()` (the dispatch callback itself takes none). */
export const CALL_ARG = { slot: 0, hook: 1, instance: 2, count: 3 } as const;

/** Reasons `denocat_failure()` reports. */
export const FAILURE = { none: 0, hookThrew: 1, foreignThread: 2, notInstalled: 3, reentered: 4 } as const;

/** Limits of the trampoline catalogue. */
export const LIMIT = {
  mechanisms: 64,
  fields: 128,
  ions: 16,
  random: 16,
  name: 63,
  unit: 63,
  /** Initial entries of the event buffer, which grows to hold one call's events. */
  eventCapacity: 1024,
} as const;

/** Constants as `denocat_layout_table()` names them. */
const CONSTANTS: Record<string, number> = {
  "const.MAX_MECHANISMS": LIMIT.mechanisms,
  "const.MAX_FIELDS": LIMIT.fields,
  "const.MAX_IONS": LIMIT.ions,
  "const.MAX_RANDOM": LIMIT.random,
  "const.MAX_NAME": LIMIT.name,
  "const.MAX_UNIT": LIMIT.unit,
  "const.EVENT_CAPACITY": LIMIT.eventCapacity,
  "const.ABI_0_6": ABI_CODE["0.6"],
  "const.ABI_0_7": ABI_CODE["0.7"],
  ...Object.fromEntries(HOOK_NAMES.map((name) => [`hook.${name}`, HOOK[name]])),
  "section.global": SECTION.global,
  "section.state": SECTION.state,
  "section.parameter": SECTION.parameter,
  "mech.is_linear": MECHANISM_FLAG.isLinear,
  "mech.has_post_events": MECHANISM_FLAG.hasPostEvents,
  "ion.write_int": ION_FLAG.writeIntConcentration,
  "ion.write_ext": ION_FLAG.writeExtConcentration,
  "ion.read_int": ION_FLAG.readIntConcentration,
  "ion.read_ext": ION_FLAG.readExtConcentration,
  "ion.use_diff": ION_FLAG.useDiffConcentration,
  "ion.write_rev": ION_FLAG.writeRevPotential,
  "ion.read_rev": ION_FLAG.readRevPotential,
  "ion.read_valence": ION_FLAG.readValence,
  "ion.verify_valence": ION_FLAG.verifyValence,
  "dispatch.rebind": DISPATCH_REBIND,
  "call.slot": CALL_ARG.slot,
  "call.hook": CALL_ARG.hook,
  "call.instance": CALL_ARG.instance,
  "call.count": CALL_ARG.count,
  "failure.hook_threw": FAILURE.hookThrew,
  "failure.foreign_thread": FAILURE.foreignThread,
  "failure.not_installed": FAILURE.notInstalled,
  "failure.reentered": FAILURE.reentered,
};
