/**
 * The conditions one mechanism is inspected under: its parameter and global values (defaults,
 * then the user's, checked against the declared ranges), the ion species of the compartment,
 * temperature and time step, and what it can show (states to plot, a current to measure).
 *
 * @module
 */
import type { IonSpecies } from "../host/types.ts";
import { NEURON_IONS } from "../host/types.ts";
import { declarationOf, pointwiseInfo } from "../mechanism/declare.ts";
import type { DeclaredMechanism } from "../mechanism/types.ts";
import type { Setup } from "./clamp.ts";
import { describe, InspectError } from "./quantity.ts";

/** What a mechanism offers to inspect. */
export interface Offer {
  /** Non-assigned states (keys), in declaration order: the gating variables. */
  states: string[];
  /** Whether it computes a current. */
  current: boolean;
}

/** What `declared` offers; refuses kinds other than density and point by name. */
export function offerOf(declared: DeclaredMechanism, label: string): Offer {
  const { spec } = declared;
  if (spec.kind !== "density" && spec.kind !== "point") {
    throw new InspectError(
      `mechanism '${label}' is a ${spec.kind.replace("_", " ")} mechanism; inspect shows density and point ` +
        `mechanisms (ion channels, synapses)`,
    );
  }
  const kernels = pointwiseInfo.get(declared)?.request.kernels;
  const current = kernels !== undefined
    ? kernels.includes("current")
    : (declarationOf(declared)?.hooks ?? []).includes("computeCurrents");
  const states = spec.states.filter((f) => !f.assigned).map((f) => f.key);
  if (states.length === 0 && !current) {
    throw new InspectError(
      `mechanism '${label}' has no states and no current: inspect has nothing to show (no gating variable ` +
        `to plot, no current to clamp)`,
    );
  }
  return { states, current };
}

/** Options that shape a setup. */
export interface SetupOptions {
  /** Parameter or global values by Arbor name (or field key), for every mechanism that has them. */
  shared: Readonly<Record<string, number>>;
  /** This mechanism's own values (must all exist in it). */
  own: Readonly<Record<string, number>>;
  /** Ion species values by name, over Arbor's neuron defaults. */
  ions: Readonly<Record<string, IonSpecies>>;
  /** °C. */
  temperature: number;
  /** ms. */
  dt: number;
  /** µm. */
  diamUm: number;
}

/** The setup of `declared` labelled `label`. */
export function setupOf(declared: DeclaredMechanism, label: string, options: SetupOptions): Setup {
  const { spec } = declared;
  const fields = [...spec.parameters, ...spec.globals];
  const find = (name: string) => fields.find((f) => f.name === name) ?? fields.find((f) => f.key === name);
  const value = new Map<string, number>();
  const apply = (name: string, given: unknown, own: boolean) => {
    const field = find(name);
    if (field === undefined) {
      if (!own) return;
      throw new InspectError(
        `mechanism '${label}' has no parameter or global '${name}'; it has ${
          fields.map((f) => f.name).join(", ") || "none"
        }`,
      );
    }
    if (typeof given !== "number" || !Number.isFinite(given)) {
      throw new InspectError(
        `parameter '${name}' of '${label}' must be a finite number of ${field.unit || "its unit"}, got ${
          describe(given)
        }`,
      );
    }
    const [low, high] = field.range;
    if (!(given >= low && given <= high)) {
      throw new InspectError(
        `parameter '${name}' of '${label}' = ${given} is outside its range [${low}, ${high}]${
          field.unit ? ` ${field.unit}` : ""
        }`,
      );
    }
    value.set(field.name, given);
  };
  for (const [name, given] of Object.entries(options.shared)) apply(name, given, false);
  for (const [name, given] of Object.entries(options.own)) apply(name, given, true);
  const ions = spec.ions.map((ion) => {
    const species = options.ions[ion.name] ?? NEURON_IONS[ion.name];
    if (species === undefined) {
      throw new InspectError(
        `mechanism '${label}' uses ion '${ion.name}', which has no default species values; give ions: { ${ion.name}: ` +
          `{ valence, internal, external, reversal } } (--ion ${ion.name}:reversal=...)`,
      );
    }
    return { name: ion.name, species };
  });
  return {
    label,
    spec,
    kind: spec.kind as "density" | "point",
    parameterValues: spec.parameters.map((f) => value.get(f.name) ?? f.defaultValue),
    globalValues: spec.globals.map((f) => value.get(f.name) ?? f.defaultValue),
    ions,
    temperature: options.temperature,
    dt: options.dt,
    diamUm: options.diamUm,
    currentUnit: spec.kind === "density" ? "mA/cm2" : "nA",
  };
}

/** Names given in `shared` that no mechanism of `declared` has: a typo, refused by name. */
export function unknownShared(
  shared: Readonly<Record<string, number>>,
  declared: readonly { declared: DeclaredMechanism; label: string }[],
): void {
  for (const name of Object.keys(shared)) {
    const known = declared.some(({ declared: d }) =>
      [...d.spec.parameters, ...d.spec.globals].some((f) => f.name === name || f.key === name)
    );
    if (!known) {
      const all = [
        ...new Set(declared.flatMap(({ declared: d }) => [...d.spec.parameters, ...d.spec.globals])),
      ]
        .map((f) => f.name);
      throw new InspectError(
        `no mechanism inspected has a parameter or global '${name}' (${
          declared.map((d) => d.label).join(", ")
        } ` +
          `have ${[...new Set(all)].join(", ") || "none"})`,
      );
    }
  }
}
