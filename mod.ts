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
export type { AbiFamily, HookName, MechanismKind } from "./ffi/layout.ts";
export type { EventBatch, IonViews } from "./ffi/ppack.ts";
export type { CatalogueFailure } from "./ffi/failures.ts";
export type { HookFunction, LiveCatalogue } from "./ffi/trampoline.ts";
export type { FieldOptions, IonOptions } from "./mechanism/validate.ts";
export type { FieldSpec, IonSpec, MechanismSpec } from "./ffi/spec.ts";
export type { ConservationLaw, IntegrationMethod, KernelName } from "./kernels/pointwise.ts";
export type { CatalogueTarget } from "./catalogue/target.ts";
export type { NativeCatalogue } from "./catalogue/native.ts";
export type { CompiledCatalogue, CompiledLibrary, CompileOptions } from "./catalogue/compiled.ts";
// From kernels/source.ts, not compile/: a value re-export from compile/ would load the compiler
// with mod.ts (and close the cycle mod.ts -> compile/ -> catalogue/translate.ts -> mod.ts).
export { CompileError } from "./kernels/source.ts";
export type { MathMode } from "./catalogue/cpu.ts";
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
} from "./host/host.ts";
export { configure, type LibraryOptions } from "./platform/libraries.ts";
export {
  type CellDescription,
  type CellResult,
  type ClampDescription,
  type DensityDescription,
  type EventDescription,
  runCell,
  type RunCellOptions,
  type SynapseDescription,
} from "./host/cell.ts";

export {
  type BasePPack,
  type BaseScope,
  type ConcentrationValues,
  type CurrentValues,
  CustomMechanism,
  type DeclaredMechanism,
  type InitialValues,
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
  type VoltageValues,
} from "./mechanism/types.ts";
export { global, ion, parameter, random, state } from "./mechanism/decorators.ts";
export { mechanism, type MechanismDeclaration, specOf } from "./mechanism/declare.ts";
export {
  defineMechanism,
  type MechanismDefinition,
  type MechanismHooks,
  type MechanismKernels,
} from "./mechanism/define.ts";
export {
  build,
  type Catalogue,
  catalogue,
  type CatalogueOptions,
  cataloguePath,
  compileCatalogue,
} from "./catalogue/api.ts";
export {
  type ActivationParameters,
  type ApParameters,
  checkInspectOptions,
  type DataFormat,
  type DeactivationParameters,
  type Difference,
  type GatingCurve,
  type GatingOptions,
  type InactivationParameters,
  inspect,
  type InspectedMechanism,
  type InspectEntry,
  InspectError,
  Inspection,
  type InspectOptions,
  type InspectSource,
  type ProtocolCurve,
  type ProtocolName,
  type ProtocolResult,
  type ProtocolSettings,
  type Quantity,
  type RampParameters,
  type SweepResult,
  type Table,
  type VoltageRange,
  type Waveform,
  type WriteOptions,
} from "./inspect/mod.ts";
export type { Plot, VegaLiteSpec } from "./plot/mod.ts";
