/**
 * Field decorators (`@state`, `@parameter`, `@global`, `@ion`, `@random`): each records one member
 * on the class's decorator metadata; `@mechanism` (mechanism/declare.ts) reads the list when the
 * class is done.
 *
 * @module
 */
import type { FieldOptions, IonOptions } from "./validate.ts";

/** One declared field of a mechanism, as the field decorators record it. */
export type Member =
  | { section: "global" | "state" | "parameter"; name: string; options: FieldOptions }
  | { section: "ion"; name: string; options: IonOptions }
  | { section: "random"; name: string };

/** Key of the member list in a class's decorator metadata. */
export const MEMBERS = Symbol("denocat.members");

function membersOf(metadata: DecoratorMetadataObject): Member[] {
  // Metadata objects inherit from the superclass's: copy on first own write.
  if (!Object.hasOwn(metadata, MEMBERS)) metadata[MEMBERS] = [...((metadata[MEMBERS] as Member[]) ?? [])];
  return metadata[MEMBERS] as Member[];
}

function fieldDecorator(section: "global" | "state" | "parameter", options: FieldOptions | undefined) {
  return (_value: undefined, context: ClassFieldDecoratorContext): void => {
    if (context.static || context.private || typeof context.name !== "string") {
      throw new TypeError(`@${section} needs a public, non-static field with a string name`);
    }
    membersOf(context.metadata).push({ section, name: context.name, options: options ?? {} });
  };
}

/**
 * Declares a state variable: one `Float64Array` entry per instance, `pp.<name>`.
 *
 * @example
 * ```ts
 * import { CustomMechanism, mechanism, state } from "../mod.ts";
 * @mechanism({ name: "gate" })
 * class Gate extends CustomMechanism {
 *   @state({ unit: "1", default: 0 }) m!: Float64Array;
 * }
 * ```
 */
export function state(
  options?: FieldOptions,
): (value: undefined, context: ClassFieldDecoratorContext) => void {
  return fieldDecorator("state", options);
}

/**
 * Declares a parameter: set per location by Arbor users (`arbor.density("m", {name: value})`).
 *
 * @example
 * ```ts
 * import { CustomMechanism, mechanism, parameter } from "../mod.ts";
 * @mechanism({ name: "leak2" })
 * class Leak2 extends CustomMechanism {
 *   @parameter({ unit: "S/cm2", default: 0.001, range: [0, Infinity] }) gbar!: Float64Array;
 * }
 * ```
 */
export function parameter(
  options?: FieldOptions,
): (value: undefined, context: ClassFieldDecoratorContext) => void {
  return fieldDecorator("parameter", options);
}

/**
 * Declares a global: one read-only number per mechanism, `pp.<name>`, overridable in Arbor with
 * a derived name (`"m/name=value"`).
 *
 * @example
 * ```ts
 * import { CustomMechanism, global, mechanism } from "../mod.ts";
 * @mechanism({ name: "scaled" })
 * class Scaled extends CustomMechanism {
 *   @global({ unit: "1", default: 3 }) q10!: number;
 * }
 * ```
 */
export function global(
  options?: FieldOptions,
): (value: undefined, context: ClassFieldDecoratorContext) => void {
  return fieldDecorator("global", options);
}

/**
 * Declares an ion the mechanism uses; the field name is the species name (or `options.name`).
 * Gives `pp.iX`, `pp.eX`, `pp.Xi`, `pp.Xo`, `pp.Xd`, `pp.gX` (ABI 0.6), `pp.valenceX`, `pp.indexX`.
 *
 * @example
 * ```ts
 * import { CustomMechanism, type Ion, ion, mechanism } from "../mod.ts";
 * @mechanism({ name: "capump" })
 * class CaPump extends CustomMechanism {
 *   @ion({ writeIntConcentration: true, verifyValence: true, expectedValence: 2 }) ca!: Ion;
 * }
 * ```
 */
export function ion(options?: IonOptions): (value: undefined, context: ClassFieldDecoratorContext) => void {
  return (_value, context) => {
    if (context.static || context.private || typeof context.name !== "string") {
      throw new TypeError("@ion needs a public, non-static field with a string name");
    }
    membersOf(context.metadata).push({ section: "ion", name: context.name, options: options ?? {} });
  };
}

/**
 * Declares a random variable: `pp.<name>` holds one standard-normal draw per instance, renewed
 * by Arbor before every `advanceState` (scale it by √dt yourself).
 *
 * @example
 * ```ts
 * import { CustomMechanism, mechanism, random } from "../mod.ts";
 * @mechanism({ name: "noisy" })
 * class Noisy extends CustomMechanism {
 *   @random() noise!: Float64Array;
 * }
 * ```
 */
export function random(): (value: undefined, context: ClassFieldDecoratorContext) => void {
  return (_value, context) => {
    if (context.static || context.private || typeof context.name !== "string") {
      throw new TypeError("@random needs a public, non-static field with a string name");
    }
    membersOf(context.metadata).push({ section: "random", name: context.name });
  };
}
