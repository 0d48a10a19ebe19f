/**
 * Turning declarations (decorators or plain objects) into validated mechanism specs.
 *
 * Checks that belong to TypeScript live here: option types, names that would clash with the
 * ppack object, and hooks that the mechanism's kind never receives. Everything Arbor itself
 * cares about (identifiers, duplicates, NaN defaults, ranges, limits) is checked once, in C,
 * when the catalogue is built.
 *
 * @module
 */
import { HOOK_NAMES, HOOK_TABLE, type HookName, ION_FLAG, KIND, type MechanismKind } from "../ffi/layout.ts";
import { KERNEL_NAMES } from "../kernels/rules.ts";
import { ionViewNames, RESERVED_PPACK_NAMES } from "../ffi/ppack.ts";
import type { FieldSpec, IonSpec, MechanismSpec } from "../ffi/spec.ts";
import { describeValue } from "../ffi/failures.ts";

/** Options of `@state`, `@parameter` and `@global`. */
export interface FieldOptions {
  /**
   * Name Arbor sees, when it differs from the field name: for example Arbor's `pas` has a
   * parameter `g`, which would hide `pp.g`, so declare `@parameter({ name: "g" }) gbar`.
   */
  name?: string;
  /** Unit text, e.g. `"mV"`; default `""`. */
  unit?: string;
  /** Default value; default 0. */
  default?: number;
  /** Inclusive range; default unbounded. */
  range?: [number, number];
  /**
   * States only: an NMODL ASSIGNED variable kept per instance (such as exp2syn's `factor`), which
   * Arbor lists among the state variables. It is not integrated and, unlike a STATE, is not
   * scaled by `multiplicity` when synapses are coalesced.
   */
  assigned?: boolean;
}

/** Options of `@ion`: every flag of Arbor's `arb_ion_info`. Unset flags are false. */
export interface IonOptions {
  /** Species name; defaults to the field name. */
  name?: string;
  /** Writes Xi (in `writeIons`). */
  writeIntConcentration?: boolean;
  /** Writes Xo (in `writeIons`). */
  writeExtConcentration?: boolean;
  /** Reads Xi (needed on ABI 0.7 to have the array at all). */
  readIntConcentration?: boolean;
  /** Reads Xo (needed on ABI 0.7 to have the array at all). */
  readExtConcentration?: boolean;
  /**
   * Reads and writes the diffusive concentration Xd (`x.<ion>d`, Arbor ≥ 0.10, an ion whose
   * diffusivity is set): `derivative` may integrate it, `current` change it (both add
   * weight·(new − old)), `initial`, `onEvent` and `concentrations` assign it.
   */
  useDiffConcentration?: boolean;
  /** Writes eX (reversal-potential mechanisms). */
  writeRevPotential?: boolean;
  /** Reads eX. Default **true**, since most channels read their reversal potential. */
  readRevPotential?: boolean;
  /** Reads the valence. */
  readValence?: boolean;
  /** Asks Arbor to check the species valence against `expectedValence`. */
  verifyValence?: boolean;
  /** Valence checked when `verifyValence` is set. */
  expectedValence?: number;
}

/** Kind names users may write, mapped to the ABI kind. */
const KIND_ALIASES: Record<string, MechanismKind> = {
  density: "density",
  point: "point",
  reversalPotential: "reversal_potential",
  reversal_potential: "reversal_potential",
  gapJunction: "gap_junction",
  gap_junction: "gap_junction",
  voltage: "voltage",
};

/** Resolves a kind name, with an error listing the valid ones. */
export function resolveKind(kind: string, mechanism: string): MechanismKind {
  const resolved = Object.hasOwn(KIND_ALIASES, kind) ? KIND_ALIASES[kind] : undefined;
  if (resolved === undefined || !(resolved in KIND)) {
    throw new TypeError(
      `mechanism '${mechanism}': unknown kind '${kind}'; use one of density, point, reversalPotential, ` +
        `gapJunction, voltage`,
    );
  }
  return resolved;
}

/** Hooks Arbor calls for each kind (docs/abi.md 4.2), in number order: from ffi/layout.ts's HOOK_TABLE. */
const HOOKS_OF_KIND = Object.fromEntries(
  (Object.keys(KIND) as MechanismKind[]).map((kind): [MechanismKind, readonly HookName[]] => [
    kind,
    HOOK_NAMES.filter((hook) => HOOK_TABLE[hook].kinds.includes(kind)),
  ]),
) as Record<MechanismKind, readonly HookName[]>;

/** Makes a field spec from decorator options, checking their types. */
export function fieldSpec(
  mechanism: string,
  what: string,
  key: string,
  options: FieldOptions = {},
): FieldSpec {
  checkOptionKeys(`mechanism '${mechanism}': ${what} '${key}'`, options, FIELD_OPTION_KEYS);
  const name = options.name ?? key;
  const where = `mechanism '${mechanism}': ${what} '${name}'`;
  if (typeof name !== "string") throw new TypeError(`${where}: name must be a string`);
  const unit = options.unit ?? "";
  if (typeof unit !== "string") throw new TypeError(`${where}: unit must be a string`);
  const defaultValue = options.default ?? 0;
  if (typeof defaultValue !== "number") throw new TypeError(`${where}: default must be a number`);
  const range = options.range ?? [-Infinity, Infinity];
  if (!Array.isArray(range) || range.length !== 2 || range.some((x) => typeof x !== "number")) {
    throw new TypeError(`${where}: range must be [low, high] numbers`);
  }
  if (
    options.assigned !== undefined && (what !== "state variable" || typeof options.assigned !== "boolean")
  ) {
    throw new TypeError(`${where}: assigned is a true/false option of state variables only`);
  }
  return { name, key, unit, defaultValue, range: [range[0], range[1]], assigned: options.assigned ?? false };
}

/** Makes an ion spec from decorator options. */
export function ionSpec(mechanism: string, fieldName: string, options: IonOptions = {}): IonSpec {
  checkOptionKeys(`mechanism '${mechanism}': ion '${fieldName}'`, options, ION_OPTION_KEYS);
  const name = options.name ?? fieldName;
  const flagOptions: Record<string, unknown> = { readRevPotential: true, ...options };
  let flags = 0;
  for (const [flag, bit] of Object.entries(ION_FLAG)) {
    const value = flagOptions[flag];
    if (value === undefined) continue;
    if (typeof value !== "boolean") {
      throw new TypeError(`mechanism '${mechanism}': ion '${name}': ${flag} must be true or false`);
    }
    if (value) flags |= bit;
  }
  const expectedValence = options.expectedValence ?? 0;
  if (!Number.isInteger(expectedValence)) {
    throw new TypeError(`mechanism '${mechanism}': ion '${name}': expectedValence must be an integer`);
  }
  if (options.verifyValence && options.expectedValence === undefined) {
    throw new TypeError(`mechanism '${mechanism}': ion '${name}': verifyValence needs expectedValence`);
  }
  return { name, flags, expectedValence };
}

/**
 * Final TypeScript-side checks of a complete spec and the hooks it defines.
 * Throws a `TypeError` naming the mechanism and the offending member.
 */
export function checkSpec(spec: MechanismSpec, hooks: readonly HookName[]): void {
  const where = `mechanism '${spec.name}'`;
  const allowed = HOOKS_OF_KIND[spec.kind];
  for (const hook of hooks) {
    if (!allowed.includes(hook)) {
      throw new TypeError(
        `${where}: hook ${hook} does not fit kind '${spec.kind}': Arbor never calls it for that kind ` +
          `(it calls ${allowed.join(", ")})`,
      );
    }
  }
  if (spec.hasPostEvents && spec.kind !== "point") {
    throw new TypeError(`${where}: hasPostEvents is only meaningful for point mechanisms`);
  }
  if (spec.hasPostEvents && !hooks.includes("postEvent")) {
    throw new TypeError(`${where}: hasPostEvents is set but the mechanism defines no postEvent hook`);
  }
  const members = [...spec.globals, ...spec.states, ...spec.parameters].map((f) => f.key).concat(
    spec.randoms,
  );
  const ionNames = new Map<string, string>();
  for (const ion of spec.ions) {
    for (const generated of Object.values(ionViewNames(ion.name))) {
      if (RESERVED_PPACK_NAMES.has(generated)) {
        throw new TypeError(
          `${where}: ion '${ion.name}' would be pp.${generated}, which is already pp.${generated} of ` +
            `the ppack object; an ion of this name cannot be used`,
        );
      }
      const other = ionNames.get(generated);
      if (other !== undefined && other !== ion.name) {
        throw new TypeError(
          `${where}: ions '${other}' and '${ion.name}' would both be pp.${generated}; rename one`,
        );
      }
      ionNames.set(generated, ion.name);
    }
  }
  const seen = new Set<string>();
  for (const name of members) {
    if (seen.has(name)) throw new TypeError(`${where}: member '${name}' is declared twice`);
    seen.add(name);
    if (RESERVED_PPACK_NAMES.has(name)) {
      throw new TypeError(
        `${where}: member '${name}' clashes with pp.${name} of the ppack object; rename the field ` +
          `(keep Arbor's name with the option name: "${name}")`,
      );
    }
    const ion = ionNames.get(name);
    if (ion !== undefined) {
      throw new TypeError(`${where}: member '${name}' clashes with pp.${name} of ion '${ion}'; rename it`);
    }
  }
}

/** The hooks an object defines, in hook order. */
export function definedHooks(target: object): HookName[] {
  return HOOK_NAMES.filter((name) => typeof (target as Record<string, unknown>)[name] === "function");
}

/** Option names of `@state`, `@parameter` and `@global`. */
export const FIELD_OPTION_KEYS: readonly (keyof FieldOptions)[] = [
  "name",
  "unit",
  "default",
  "range",
  "assigned",
];
/** Option names of `@ion`. */
export const ION_OPTION_KEYS: readonly string[] = ["name", ...Object.keys(ION_FLAG), "expectedValence"];

/** The number of single-character edits (with swaps of neighbours) between `a` and `b`. */
export function editDistance(a: string, b: string): number {
  const rows = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) rows[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      rows[i][j] = Math.min(rows[i - 1][j] + 1, rows[i][j - 1] + 1, rows[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        rows[i][j] = Math.min(rows[i][j], rows[i - 2][j - 2] + 1);
      }
    }
  }
  return rows[a.length][b.length];
}

/**
 * The closest of `known` to `name` (at most `limit` edits, or equal ignoring case), if any. The
 * default limit grows with the length, so `writeInternalConcentration` still finds
 * `writeIntConcentration`.
 */
export function closestName(
  name: string,
  known: readonly string[],
  limit = Math.max(2, Math.floor(name.length / 4)),
): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const distance = candidate.toLowerCase() === name.toLowerCase() ? 0.5 : editDistance(name, candidate);
    if (distance <= limit && distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/** Refuses `options` that are not an object or hold a key outside `allowed` (a typo, usually). */
export function checkOptionKeys(where: string, options: unknown, allowed: readonly string[]): void {
  if (options === null || typeof options !== "object" || Array.isArray(options)) {
    throw new TypeError(`${where}: options must be an object, got ${describeValue(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (allowed.includes(key)) continue;
    const guess = closestName(key, allowed);
    throw new TypeError(
      `${where}: unknown option '${key}'${guess ? `; did you mean '${guess}'?` : ""} (options: ` +
        `${allowed.join(", ")})`,
    );
  }
}

const ASYNC_KINDS: Record<string, string> = {
  "[object AsyncFunction]": "an async function",
  "[object GeneratorFunction]": "a generator function",
  "[object AsyncGeneratorFunction]": "an async generator function",
};

/** Hook and kernel names: a method one edit away from one of them is a typo. */
const CALLBACK_NAMES: readonly string[] = [...HOOK_NAMES, ...KERNEL_NAMES];

/** Every method name of a hook target: own and inherited up to (not including) `stop`s. */
function methodNames(target: object, stop: readonly object[]): string[] {
  const names: string[] = [];
  for (let object: object | null = target; object !== null; object = Object.getPrototypeOf(object)) {
    if (object === Object.prototype || stop.includes(object)) break;
    for (const name of Object.getOwnPropertyNames(object)) {
      const descriptor = Object.getOwnPropertyDescriptor(object, name)!;
      if (name !== "constructor" && typeof descriptor.value === "function") names.push(name);
    }
  }
  return names;
}

/**
 * Refuses, for the mechanism `mechanism` with hook or kernel object `target`: a method one edit
 * away from a hook or kernel name (`computeCurrent`, `derivatives`), and hooks or kernels that are
 * async or generator functions (their bodies would run after Arbor has moved on).
 */
export function checkCallbacks(mechanism: string, target: object, stop: readonly object[] = []): void {
  for (const name of methodNames(target, stop)) {
    const fn = (target as Record<string, unknown>)[name];
    if (CALLBACK_NAMES.includes(name)) {
      const kind = ASYNC_KINDS[Object.prototype.toString.call(fn)];
      if (kind !== undefined) {
        throw new TypeError(
          `mechanism '${mechanism}': ${name} is ${kind}; hooks and kernels must be plain synchronous ` +
            `functions (Arbor calls them inside its step and cannot wait): remove async, await and yield`,
        );
      }
      continue;
    }
    const guess = closestName(name, CALLBACK_NAMES, 1);
    if (guess !== undefined) {
      throw new TypeError(
        `mechanism '${mechanism}': method ${name} is not a hook or kernel, and would never be called; ` +
          `did you mean ${guess}? (rename it if it is a helper)`,
      );
    }
  }
}
