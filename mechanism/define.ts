/**
 * `defineMechanism`: the decorator-free declaration, from a plain object and functions.
 *
 * @module
 */
import type { EventBatch } from "../ffi/ppack.ts";
import { checkCallbacks, checkOptionKeys, type FieldOptions, type IonOptions } from "./validate.ts";
import { callerSite } from "../kernels/live.ts";
import type { DeclaredMechanism, MechanismOptions, PPack, Scope } from "./types.ts";
import type { Member } from "./decorators.ts";
import { declare, DEFINITION_KEYS, describeName, specFromMembers } from "./declare.ts";

/** A plain-object mechanism declaration, for `defineMechanism`. */
export interface MechanismDefinition extends MechanismOptions {
  /** Catalogue name. */
  name: string;
  /** Globals by name. */
  globals?: Record<string, FieldOptions>;
  /** State variables by name. */
  states?: Record<string, FieldOptions>;
  /** Parameters by name. */
  parameters?: Record<string, FieldOptions>;
  /** Ions by species name. */
  ions?: Record<string, IonOptions>;
  /** Random variable names. */
  randoms?: string[];
}

/** Kernels of a plain-object pointwise mechanism; the scope is untyped beyond the base names. */
export interface MechanismKernels {
  /** Initial state values. */
  initial?(x: Scope & Record<string, number>): Record<string, number | undefined>;
  /** Initial states as the solution of linear equations: one residual per state, 0 at the solution. */
  equilibrium?(x: Scope & Record<string, number>): Record<string, number | undefined>;
  /** Time derivatives of the states (per ms). */
  derivative?(x: Scope & Record<string, number>): Record<string, number | undefined>;
  /** Currents and conductances. */
  current?(x: Scope & Record<string, number>): Record<string, number | undefined>;
  /** New state values when an event of `weight` arrives. */
  onEvent?(x: Scope & Record<string, number>, weight: number): Record<string, number | undefined>;
  /** New state values after a spike `timeSinceSpike` ms before the step's end. */
  onPostEvent?(x: Scope & Record<string, number>, timeSinceSpike: number): Record<string, number | undefined>;
  /** Concentrations to add into Xi/Xo. */
  concentrations?(x: Scope & Record<string, number>): Record<string, number | undefined>;
  /** Reversal potentials to assign. */
  reversalPotential?(x: Scope & Record<string, number>): Record<string, number | undefined>;
  /** Voltage processes: the membrane voltage to assign. */
  voltage?(x: Scope & Record<string, number>): Record<string, number | undefined>;
}

/** Hooks of a plain-object mechanism; `pp` is untyped beyond the base views. */
export interface MechanismHooks {
  /** `init_mechanism`. */
  init?(pp: PPack & Record<string, unknown>): void;
  /** `advance_state`. */
  advanceState?(pp: PPack & Record<string, unknown>): void;
  /** `compute_currents`. */
  computeCurrents?(pp: PPack & Record<string, unknown>): void;
  /** `write_ions`. */
  writeIons?(pp: PPack & Record<string, unknown>): void;
  /** `apply_events`. */
  applyEvents?(pp: PPack & Record<string, unknown>, events: EventBatch): void;
  /** `post_event`. */
  postEvent?(pp: PPack & Record<string, unknown>): void;
}

/**
 * Declares a mechanism from a plain object and hook functions, without decorators and without
 * adding it to the default catalogue. Pass the result to `catalogue({ mechanisms })`.
 *
 * @example
 * ```ts
 * import { catalogue, defineMechanism } from "../mod.ts";
 * const leak = defineMechanism({ name: "leak3", parameters: { gbar: { default: 1e-3 } } }, {
 *   computeCurrents(pp) {
 *     const gbar = pp.gbar as Float64Array;
 *     for (let k = 0; k < pp.width; k++) {
 *       const node = pp.nodeIndex[k];
 *       pp.i[node] += 10 * pp.weight[k] * gbar[k] * (pp.v[node] + 70);
 *     }
 *   },
 * });
 * const cat = await catalogue({ mechanisms: [leak] });
 * ```
 */
export function defineMechanism(
  definition: MechanismDefinition,
  hooks: MechanismHooks | MechanismKernels = {},
): DeclaredMechanism {
  checkOptionKeys(`defineMechanism(${describeName(definition)})`, definition, DEFINITION_KEYS);
  const where = `mechanism '${definition.name}'`;
  const members: Member[] = [];
  for (const section of ["global", "state", "parameter"] as const) {
    const key = section === "global" ? "globals" : section === "state" ? "states" : "parameters";
    const table = definition[key] ?? {};
    checkOptionKeys(`${where}: ${key}`, table, Object.keys(table));
    for (const [name, options] of Object.entries(table)) members.push({ section, name, options });
  }
  checkOptionKeys(`${where}: ions`, definition.ions ?? {}, Object.keys(definition.ions ?? {}));
  for (const [name, options] of Object.entries(definition.ions ?? {})) {
    members.push({ section: "ion", name, options });
  }
  if (definition.randoms !== undefined && !Array.isArray(definition.randoms)) {
    throw new TypeError(`${where}: randoms must be an array of names`);
  }
  for (const name of definition.randoms ?? []) members.push({ section: "random", name });
  const spec = specFromMembers(definition.name, definition, members);
  checkCallbacks(spec.name, hooks);
  return declare(spec, definition, hooks, () => hooks, callerSite(), `defineMechanism '${definition.name}'`);
}
