/**
 * denocat: write Arbor mechanisms (ion channels, synapses, ion dynamics) in TypeScript.
 *
 * Declare a mechanism as a class with decorators, build a catalogue, and hand its path to
 * Arbor's `load_catalogue`, or run it on denocat's native test host without Arbor.
 *
 * @example
 * ```ts
 * import { catalogue, CustomMechanism, Host, mechanism, parameter, type PPack } from "./mod.ts";
 *
 * @mechanism({ name: "leak", kind: "density" })
 * class Leak extends CustomMechanism {
 *   @parameter({ unit: "S/cm2", default: 0.001 }) gbar!: Float64Array;
 *   @parameter({ unit: "mV", default: -70 }) erev!: Float64Array;
 *
 *   override computeCurrents(pp: PPack<Leak>) {
 *     for (let k = 0; k < pp.width; k++) {
 *       const node = pp.nodeIndex[k];
 *       const current = pp.gbar[k] * (pp.v[node] - pp.erev[k]); // mA/cm2
 *       pp.i[node] += 10 * pp.weight[k] * current; // accumulate, never assign
 *       pp.g[node] += 10 * pp.weight[k] * pp.gbar[k];
 *     }
 *   }
 * }
 *
 * const cat = await catalogue();
 * const host = await Host.create({ catalogues: [cat] });
 * ```
 *
 * @module
 */

// The package entry: re-exports only. The API lives in api/ (types.ts: ppack, scope and base
// classes; decorators.ts: field decorators; declare.ts: @mechanism and the registry; define.ts:
// defineMechanism; catalogue.ts: catalogue(), cataloguePath(), compileCatalogue()).
export type { AbiFamily, HookName, MechanismKind } from "./abi/layout.ts";
export type { EventBatch, IonViews } from "./abi/ppack.ts";
export type { CatalogueFailure, HookFunction, LiveCatalogue } from "./live/catalogue.ts";
export type { FieldOptions, IonOptions } from "./model/declare.ts";
export type { FieldSpec, IonSpec, MechanismSpec } from "./model/spec.ts";
export type { IntegrationMethod, KernelName } from "./live/pointwise.ts";
export type { CatalogueTarget } from "./native/target.ts";
export type { NativeCatalogue } from "./native/catalogue.ts";
export type { CompiledCatalogue, CompiledLibrary, CompileOptions } from "./compile/catalogue.ts";
// From kernels/source.ts, not compile/: a value re-export from compile/ would load the compiler
// with mod.ts (and close the cycle mod.ts -> compile/ -> compile/translate.ts -> mod.ts).
export { CompileError } from "./kernels/source.ts";
export type { MathMode } from "./compile/cpu.ts";
export {
  type CatalogueSource,
  type CvOptions,
  Host,
  type HostOptions,
  type IonSpecies,
  NEURON_IONS,
  type PerCv,
  type Placement,
  type PlaceOptions,
  type RunOptions,
  type RunResult,
} from "./live/host.ts";
export { configure, type LibraryOptions } from "./native/library.ts";
export {
  type CellDescription,
  type CellResult,
  type ClampDescription,
  type DensityDescription,
  type EventDescription,
  runCell,
  type RunCellOptions,
  type SynapseDescription,
} from "./live/cell.ts";

export {
  type BasePPack,
  type BaseScope,
  type Catalogue,
  type ConcentrationValues,
  type CurrentValues,
  CustomMechanism,
  type DeclaredMechanism,
  type Ion,
  type IonNamedViews,
  type IonScope,
  type KeysOfType,
  type MechanismClass,
  type MechanismOptions,
  PointwiseMechanism,
  type PPack,
  type ReversalValues,
  type Scope,
  type StateValues,
} from "./api/types.ts";
export { global, ion, parameter, random, state } from "./api/decorators.ts";
export { mechanism, type MechanismDeclaration, specOf } from "./api/declare.ts";
export {
  defineMechanism,
  type MechanismDefinition,
  type MechanismHooks,
  type MechanismKernels,
} from "./api/define.ts";
export { build, catalogue, type CatalogueOptions, cataloguePath, compileCatalogue } from "./api/catalogue.ts";
