/**
 * Typed-array views over an Arbor `arb_mechanism_ppack`, built once per instance at
 * `init_mechanism` and reused by every later hook call.
 *
 * Lengths follow what Arbor allocates (arbor-abi.md 3.2–3.5): arrays reached through `node_index`
 * (`v`, `i`, `g`, geometry) are `max(node_index) + 1` long, ion arrays `max(ion index) + 1`, and
 * per-instance arrays exactly `width`. Nothing here reads past those lengths. `dt` and the random
 * numbers are re-read from the ppack at every access because Arbor rewrites them every step.
 *
 * @module
 */
import { type AbiFamily, ION_STATE, PPACK } from "./layout.ts";
import type { IonSpec, MechanismSpec } from "./spec.ts";

const View = Deno.UnsafePointerView;

/** Names every ppack object owns; mechanism fields may not reuse them. */
export const RESERVED_PPACK_NAMES: ReadonlySet<string> = new Set([
  "width",
  "dt",
  "mechanismId",
  "nDetectors",
  "v",
  "i",
  "g",
  "temperatureDegC",
  "diamUm",
  "areaUm2",
  "nodeIndex",
  "weight",
  "multiplicity",
  "peerIndex",
  "vPeer",
  "vecCi",
  "timeSinceSpike",
  "ions",
  "events",
]);

/** Views of one ion's arrays for one instance. Missing arrays throw when touched. */
export interface IonViews {
  /** iX, current density (A/m²). */
  readonly currentDensity: Float64Array;
  /** gX, conductivity (kS/m²); ABI 0.6 only. */
  readonly conductivity: Float64Array;
  /** eX, reversal potential (mV). */
  readonly reversalPotential: Float64Array;
  /** Xi, internal concentration (mM). */
  readonly internalConcentration: Float64Array;
  /** Xo, external concentration (mM). */
  readonly externalConcentration: Float64Array;
  /** Xd, diffusive concentration (mM). */
  readonly diffusiveConcentration: Float64Array;
  /** One element: the species valence. */
  readonly charge: Float64Array;
  /** Instance to ion array position. */
  readonly index: Int32Array;
}

/** The names under which an ion's views appear on the ppack object, e.g. `ina`, `nai`, `indexNa`. */
export function ionViewNames(ion: string): Record<keyof IonViews, string> {
  const capital = ion.charAt(0).toUpperCase() + ion.slice(1);
  return {
    currentDensity: `i${ion}`,
    conductivity: `g${ion}`,
    reversalPotential: `e${ion}`,
    internalConcentration: `${ion}i`,
    externalConcentration: `${ion}o`,
    diffusiveConcentration: `${ion}d`,
    charge: `valence${capital}`,
    index: `index${capital}`,
  };
}

function f64(pointer: Deno.PointerValue, length: number): Float64Array<ArrayBuffer> {
  if (pointer === null || length === 0) return new Float64Array(0);
  return new Float64Array(View.getArrayBuffer(pointer, length * 8));
}

function i32(pointer: Deno.PointerValue, length: number): Int32Array<ArrayBuffer> {
  if (pointer === null || length === 0) return new Int32Array(0);
  return new Int32Array(View.getArrayBuffer(pointer, length * 4));
}

function maxPlusOne(index: Int32Array): number {
  let max = -1;
  for (let k = 0; k < index.length; k++) if (index[k] > max) max = index[k];
  return max + 1;
}

/** Defines a property whose every access throws `message` (for arrays Arbor left NULL). */
function unavailable(target: object, name: string, message: string): void {
  Object.defineProperty(target, name, {
    enumerable: true,
    get() {
      throw new Error(message);
    },
    set() {
      throw new Error(message);
    },
  });
}

function value(target: object, name: string, view: unknown): void {
  Object.defineProperty(target, name, { enumerable: true, value: view, writable: false });
}

/** Reads a 64-bit address from a Uint32Array view as a number key (exact below 2^53). */
function addressKey(words: Uint32Array, wordIndex: number): number {
  return words[wordIndex] + words[wordIndex + 1] * 4294967296;
}

/** Why an ion array may be missing on ABI 0.7, for the error a user sees. */
function missingIonArray(mechanism: string, ion: IonSpec, field: string, flags: string): string {
  return `mechanism '${mechanism}': ${field} of ion '${ion.name}' is not allocated by Arbor 0.11+ ` +
    `unless the ion declares ${flags}; add it to @ion(...) of '${ion.name}'`;
}

function buildIonViews(
  mechanism: string,
  ion: IonSpec,
  base: Deno.PointerObject,
  abi: AbiFamily,
  width: number,
): { views: IonViews; names: Record<keyof IonViews, string> } {
  const layout = ION_STATE[abi];
  const record = new View(base);
  const index = i32(record.getPointer(layout.index), width);
  const length = maxPlusOne(index);
  const views = {} as Record<keyof IonViews, unknown>;
  const names = ionViewNames(ion.name);
  const arrays: [keyof IonViews, number | undefined, string][] = [
    ["currentDensity", layout.current_density, ""],
    ["conductivity", layout.conductivity, ""],
    ["reversalPotential", layout.reversal_potential, "readRevPotential or writeRevPotential"],
    ["internalConcentration", layout.internal_concentration, "readIntConcentration or writeIntConcentration"],
    ["externalConcentration", layout.external_concentration, "readExtConcentration or writeExtConcentration"],
    ["diffusiveConcentration", layout.diffusive_concentration, "useDiffConcentration"],
  ];
  for (const [field, offset, flags] of arrays) {
    if (offset === undefined) {
      unavailable(
        views,
        field,
        `mechanism '${mechanism}': pp.${names[field]} (ion conductivity) does not exist in ABI 0.7 ` +
          `(Arbor 0.11+); write the conductance into pp.g only`,
      );
      continue;
    }
    const pointer = record.getPointer(offset);
    if (pointer === null) {
      unavailable(views, field, missingIonArray(mechanism, ion, `pp.${names[field]}`, flags));
      continue;
    }
    value(views, field, f64(pointer, length));
  }
  value(views, "charge", f64(record.getPointer(layout.ionic_charge), 1));
  value(views, "index", index);
  return { views: views as IonViews, names };
}

/** The event batch handed to `applyEvents`: exactly `length` entries in each view. */
export interface EventBatch {
  /** Number of events in this batch. */
  readonly length: number;
  /** Target instance of each event, in `[0, width)`. */
  readonly mechIndex: Uint32Array;
  /** Weight of each event (µS for the stock synapses). */
  readonly weight: Float32Array;
}

/**
 * Builds the ppack object for one instance. `spec` gives the names; `ppack` is Arbor's pointer.
 */
export function buildPPack(
  spec: MechanismSpec,
  ppack: Deno.PointerObject,
  abi: AbiFamily,
): Record<string, unknown> {
  const raw = new View(ppack);
  const words = new Uint32Array(View.getArrayBuffer(ppack, PPACK.size));
  const doubles = new Float64Array(words.buffer);
  const width = raw.getUint32(PPACK.width);
  const nodeIndex = i32(raw.getPointer(PPACK.node_index), width);
  const cvCount = maxPlusOne(nodeIndex);
  const pp: Record<string, unknown> = {};
  value(pp, "width", width);
  Object.defineProperty(pp, "dt", { enumerable: true, get: () => doubles[PPACK.dt / 8] });
  value(pp, "mechanismId", raw.getUint32(PPACK.mechanism_id));
  value(pp, "nDetectors", raw.getInt32(PPACK.n_detectors));
  value(pp, "v", f64(raw.getPointer(PPACK.vec_v), cvCount));
  value(pp, "i", f64(raw.getPointer(PPACK.vec_i), cvCount));
  value(pp, "g", f64(raw.getPointer(PPACK.vec_g), cvCount));
  value(pp, "temperatureDegC", f64(raw.getPointer(PPACK.temperature_degC), cvCount));
  value(pp, "diamUm", f64(raw.getPointer(PPACK.diam_um), cvCount));
  value(pp, "areaUm2", f64(raw.getPointer(PPACK.area_um2), cvCount));
  value(pp, "nodeIndex", nodeIndex);
  value(pp, "weight", f64(raw.getPointer(PPACK.weight), width));

  const multiplicity = raw.getPointer(PPACK.multiplicity);
  if (multiplicity === null) {
    unavailable(
      pp,
      "multiplicity",
      `mechanism '${spec.name}': pp.multiplicity is NULL: Arbor sets it only for ` +
        `coalesced point mechanisms (isLinear true, no random variables)`,
    );
  } else value(pp, "multiplicity", i32(multiplicity, width));

  const peerPointer = raw.getPointer(PPACK.peer_index);
  if (peerPointer === null) {
    const message =
      `mechanism '${spec.name}': pp.peerIndex and pp.vPeer exist only for gap-junction mechanisms`;
    unavailable(pp, "peerIndex", message);
    unavailable(pp, "vPeer", message);
  } else {
    const peerIndex = i32(peerPointer, width);
    value(pp, "peerIndex", peerIndex);
    // vPeer is vec_v seen through peer_index: sized to reach the largest peer CV.
    value(pp, "vPeer", f64(raw.getPointer(PPACK.vec_v), Math.max(cvCount, maxPlusOne(peerIndex))));
  }

  const ciPointer = raw.getPointer(PPACK.vec_ci);
  const spikePointer = raw.getPointer(PPACK.time_since_spike);
  if (ciPointer === null || spikePointer === null) {
    const message = `mechanism '${spec.name}': pp.vecCi and pp.timeSinceSpike exist only when a point ` +
      `mechanism of the cell group declares hasPostEvents`;
    unavailable(pp, "vecCi", message);
    unavailable(pp, "timeSinceSpike", message);
  } else {
    const vecCi = i32(ciPointer, cvCount);
    value(pp, "vecCi", vecCi);
    value(pp, "timeSinceSpike", f64(spikePointer, maxPlusOne(vecCi) * raw.getInt32(PPACK.n_detectors)));
  }

  const parameters = raw.getPointer(PPACK.parameters);
  spec.parameters.forEach((field, k) => {
    value(pp, field.key, f64(new View(parameters!).getPointer(k * 8), width));
  });
  const states = raw.getPointer(PPACK.state_vars);
  spec.states.forEach((field, k) => {
    value(pp, field.key, f64(new View(states!).getPointer(k * 8), width));
  });
  const globals = f64(raw.getPointer(PPACK.globals), spec.globals.length);
  spec.globals.forEach((field, k) => {
    Object.defineProperty(pp, field.key, { enumerable: true, get: () => globals[k] });
  });

  // random_numbers switches between four slots every step: cache one view set per slot address.
  const randomSlots = new Map<number, Float64Array[]>();
  spec.randoms.forEach((name, k) => {
    Object.defineProperty(pp, name, {
      enumerable: true,
      get: () => {
        const key = addressKey(words, PPACK.random_numbers / 4);
        let views = randomSlots.get(key);
        if (views === undefined) {
          const table = new View(raw.getPointer(PPACK.random_numbers)!);
          views = spec.randoms.map((_, r) => f64(table.getPointer(r * 8), width));
          randomSlots.set(key, views);
        }
        return views[k];
      },
    });
  });

  const ions: Record<string, IonViews> = {};
  const ionStates = raw.getPointer(PPACK.ion_states);
  spec.ions.forEach((ion, k) => {
    const base = Deno.UnsafePointer.offset(ionStates!, k * ION_STATE[abi].size)!;
    const { views, names } = buildIonViews(spec.name, ion, base, abi, width);
    ions[ion.name] = views;
    for (const field of Object.keys(names) as (keyof IonViews)[]) {
      const descriptor = Object.getOwnPropertyDescriptor(views, field)!;
      Object.defineProperty(pp, names[field], descriptor);
    }
  });
  value(pp, "ions", ions);
  return pp;
}
