/**
 * The plain description of one mechanism: what decorators produce, what the catalogue
 * registers with the C side, and what the ppack views are built from.
 *
 * @module
 */
import type { MechanismKind } from "./layout.ts";

/** A global, state variable or parameter. */
export interface FieldSpec {
  /** Identifier, as Arbor users write it (`arbor.density("hh", {gnabar: 0.1})`). */
  name: string;
  /** Property of the ppack object that holds it (the decorated field's name). */
  key: string;
  /** Unit text shown by Arbor, e.g. `"mV"` or `"S/cm2"`. */
  unit: string;
  /** Default value. */
  defaultValue: number;
  /** Inclusive [low, high]; Arbor refuses user values outside it. */
  range: [number, number];
  /** States only: an ASSIGNED variable (not integrated, not scaled by multiplicity). */
  assigned?: boolean;
}

/** One ion a mechanism uses, with every flag of `arb_ion_info`. */
export interface IonSpec {
  /** Ion species name, e.g. `"na"`. */
  name: string;
  /** Bit set of `ION_FLAG`. */
  flags: number;
  /** Valence checked by Arbor when `verifyValence` is set. */
  expectedValence: number;
}

/** A complete mechanism description. */
export interface MechanismSpec {
  /** Catalogue name. */
  name: string;
  /** Arbor mechanism kind. */
  kind: MechanismKind;
  /** Whether point instances may be coalesced (see docs/abi.md 5.5). */
  isLinear: boolean;
  /** Whether `postEvent` must be called. */
  hasPostEvents: boolean;
  /** Globals (one value per mechanism). */
  globals: FieldSpec[];
  /** State variables (one value per instance). */
  states: FieldSpec[];
  /** Parameters (one value per instance). */
  parameters: FieldSpec[];
  /** Ions, in declaration order. */
  ions: IonSpec[];
  /** Random variable names. */
  randoms: string[];
}
