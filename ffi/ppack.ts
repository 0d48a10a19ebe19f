/**
 * Typed-array views over an Arbor `arb_mechanism_ppack`, built once per instance at
 * `init_mechanism` and reused by every later hook call.
 *
 * Lengths follow what Arbor allocates (docs/abi.md 3.2–3.5): arrays reached through `node_index`
 * (`v`, `i`, `g`, geometry) are `max(node_index) + 1` long, ion arrays `max(ion index) + 1`, and
 * per-instance arrays exactly `width`. Nothing here reads past those lengths. `dt` and the random
 * numbers are re-read from the ppack at every access because Arbor rewrites them every step.
 *
 * Memory safety:
 *  - Index arrays (`nodeIndex`, `indexX`, `peerIndex`, `multiplicity`, `vecCi`) are JavaScript
 *    copies taken when the views are built. Arbor (and the host) index their own arrays with the
 *    originals, so a hook that writes an index can only confuse itself, never make native code
 *    write out of bounds; and view lengths come from Arbor's untouched originals.
 *  - A ppack object is released when its instance is rebound (a new init or instantiation), when
 *    its catalogue closes, and when a host is closed or instantiated: its buffers are detached (a
 *    kept typed array reads `undefined` and writes nothing) and every property throws.
 *
 * @module
 */
import { type AbiFamily, ION_ARRAY_FLAGS, ION_STATE, PPACK } from "./layout.ts";
import type { IonSpec, MechanismSpec } from "./spec.ts";
import { ionNames } from "./names.ts";

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
  const names = ionNames(ion);
  return {
    currentDensity: names.current,
    conductivity: names.conductance,
    reversalPotential: names.reversal,
    internalConcentration: names.internal,
    externalConcentration: names.external,
    diffusiveConcentration: names.diffusive,
    charge: names.valence,
    index: names.index,
  };
}

/** The native buffers of one ppack object's views, detached when the object is released. */
type Buffers = ArrayBuffer[];

function f64(buffers: Buffers, pointer: Deno.PointerValue, length: number): Float64Array<ArrayBuffer> {
  if (pointer === null || length === 0) return new Float64Array(0);
  const buffer = View.getArrayBuffer(pointer, length * 8);
  buffers.push(buffer);
  return new Float64Array(buffer);
}

/** A JavaScript copy of a native index array (see the module documentation). */
function i32Copy(pointer: Deno.PointerValue, length: number): Int32Array<ArrayBuffer> {
  if (pointer === null || length === 0) return new Int32Array(0);
  return new Int32Array(View.getArrayBuffer(pointer, length * 4)).slice();
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
    configurable: true,
    get() {
      throw new Error(message);
    },
    set() {
      throw new Error(message);
    },
  });
}

// Configurable, so that release() can turn every property into a throwing accessor; reading a
// configurable data property is exactly as fast as reading a frozen one.
function value(target: object, name: string, view: unknown): void {
  Object.defineProperty(target, name, { enumerable: true, configurable: true, value: view, writable: false });
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
  buffers: Buffers,
): { views: IonViews; names: Record<keyof IonViews, string> } {
  const layout = ION_STATE[abi];
  const record = new View(base);
  const index = i32Copy(record.getPointer(layout.index), width);
  const length = maxPlusOne(index);
  const views = {} as Record<keyof IonViews, unknown>;
  const names = ionViewNames(ion.name);
  const arrays: [keyof IonViews, number | undefined, string][] = [
    ["currentDensity", layout.current_density, ""],
    ["conductivity", layout.conductivity, ""],
    ["reversalPotential", layout.reversal_potential, ION_ARRAY_FLAGS.reversal.join(" or ")],
    ["internalConcentration", layout.internal_concentration, ION_ARRAY_FLAGS.internal.join(" or ")],
    ["externalConcentration", layout.external_concentration, ION_ARRAY_FLAGS.external.join(" or ")],
    ["diffusiveConcentration", layout.diffusive_concentration, ION_ARRAY_FLAGS.diffusive.join(" or ")],
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
    value(views, field, f64(buffers, pointer, length));
  }
  value(views, "charge", f64(buffers, record.getPointer(layout.ionic_charge), 1));
  value(views, "index", index);
  return { views: views as IonViews, names };
}

/**
 * The event batch handed to `applyEvents`: every event of one Arbor call (never split into
 * chunks), exactly `length` entries in each array. The arrays are copies owned by the hook: a
 * batch kept after the call keeps its events.
 */
export interface EventBatch {
  /** Number of events in this batch. */
  readonly length: number;
  /** Target instance of each event, in `[0, width)`. */
  readonly mechIndex: Uint32Array;
  /** Weight of each event (µS for the stock synapses). */
  readonly weight: Float32Array;
}

/**
 * The raw views of a ppack object, for generated code that must not pay a getter per call
 * (kernels/js.ts): the header as doubles (`dt` at `PPACK.dt / 8`) and the globals. Detached with
 * the rest when the object is released, so a stale object reads `undefined` here too.
 */
export const PPACK_RAW: unique symbol = Symbol("denocat.ppack.raw");

/** What `pp[PPACK_RAW]` holds. */
export interface PPackRaw {
  /** The ppack header, as doubles. */
  header: Float64Array;
  /** The mechanism's globals, in declaration order. */
  globals: Float64Array;
}

/**
 * Builds the ppack object for one instance. `spec` gives the names; `ppack` is Arbor's pointer.
 */
export function buildPPack(
  spec: MechanismSpec,
  ppack: Deno.PointerObject,
  abi: AbiFamily,
  buffers: ArrayBuffer[] = [],
): Record<string, unknown> {
  const raw = new View(ppack);
  const header = View.getArrayBuffer(ppack, PPACK.size);
  buffers.push(header);
  const words = new Uint32Array(header);
  const doubles = new Float64Array(words.buffer);
  const width = raw.getUint32(PPACK.width);
  const nodeIndex = i32Copy(raw.getPointer(PPACK.node_index), width);
  const cvCount = maxPlusOne(nodeIndex);
  const pp: Record<string, unknown> = {};
  value(pp, "width", width);
  Object.defineProperty(pp, "dt", { enumerable: true, configurable: true, get: () => doubles[PPACK.dt / 8] });
  value(pp, "mechanismId", raw.getUint32(PPACK.mechanism_id));
  value(pp, "nDetectors", raw.getInt32(PPACK.n_detectors));
  value(pp, "v", f64(buffers, raw.getPointer(PPACK.vec_v), cvCount));
  value(pp, "i", f64(buffers, raw.getPointer(PPACK.vec_i), cvCount));
  value(pp, "g", f64(buffers, raw.getPointer(PPACK.vec_g), cvCount));
  value(pp, "temperatureDegC", f64(buffers, raw.getPointer(PPACK.temperature_degC), cvCount));
  value(pp, "diamUm", f64(buffers, raw.getPointer(PPACK.diam_um), cvCount));
  value(pp, "areaUm2", f64(buffers, raw.getPointer(PPACK.area_um2), cvCount));
  value(pp, "nodeIndex", nodeIndex);
  value(pp, "weight", f64(buffers, raw.getPointer(PPACK.weight), width));

  const multiplicity = raw.getPointer(PPACK.multiplicity);
  if (multiplicity === null) {
    unavailable(
      pp,
      "multiplicity",
      `mechanism '${spec.name}': pp.multiplicity is NULL: Arbor sets it only for ` +
        `coalesced point mechanisms (isLinear true, no random variables)`,
    );
  } else value(pp, "multiplicity", i32Copy(multiplicity, width));

  const peerPointer = raw.getPointer(PPACK.peer_index);
  if (peerPointer === null) {
    const message =
      `mechanism '${spec.name}': pp.peerIndex and pp.vPeer exist only for gap-junction mechanisms`;
    unavailable(pp, "peerIndex", message);
    unavailable(pp, "vPeer", message);
  } else {
    const peerIndex = i32Copy(peerPointer, width);
    value(pp, "peerIndex", peerIndex);
    // vPeer is vec_v seen through peer_index: sized to reach the largest peer CV.
    value(pp, "vPeer", f64(buffers, raw.getPointer(PPACK.vec_v), Math.max(cvCount, maxPlusOne(peerIndex))));
  }

  const ciPointer = raw.getPointer(PPACK.vec_ci);
  const spikePointer = raw.getPointer(PPACK.time_since_spike);
  if (ciPointer === null || spikePointer === null) {
    const message = `mechanism '${spec.name}': pp.vecCi and pp.timeSinceSpike exist only when a point ` +
      `mechanism of the cell group declares hasPostEvents`;
    unavailable(pp, "vecCi", message);
    unavailable(pp, "timeSinceSpike", message);
  } else {
    const vecCi = i32Copy(ciPointer, cvCount);
    value(pp, "vecCi", vecCi);
    value(
      pp,
      "timeSinceSpike",
      f64(buffers, spikePointer, maxPlusOne(vecCi) * raw.getInt32(PPACK.n_detectors)),
    );
  }

  const parameters = raw.getPointer(PPACK.parameters);
  spec.parameters.forEach((field, k) => {
    value(pp, field.key, f64(buffers, new View(parameters!).getPointer(k * 8), width));
  });
  const states = raw.getPointer(PPACK.state_vars);
  spec.states.forEach((field, k) => {
    value(pp, field.key, f64(buffers, new View(states!).getPointer(k * 8), width));
  });
  const globals = f64(buffers, raw.getPointer(PPACK.globals), spec.globals.length);
  spec.globals.forEach((field, k) => {
    Object.defineProperty(pp, field.key, { enumerable: true, configurable: true, get: () => globals[k] });
  });
  const rawViews: PPackRaw = { header: doubles, globals };
  Object.defineProperty(pp, PPACK_RAW, { value: rawViews, enumerable: false });

  // random_numbers switches between four slots every step: cache one view set per slot address.
  const randomSlots = new Map<number, Float64Array[]>();
  spec.randoms.forEach((name, k) => {
    Object.defineProperty(pp, name, {
      enumerable: true,
      configurable: true,
      get: () => {
        const key = addressKey(words, PPACK.random_numbers / 4);
        let views = randomSlots.get(key);
        if (views === undefined) {
          const table = new View(raw.getPointer(PPACK.random_numbers)!);
          views = spec.randoms.map((_, r) => f64(buffers, table.getPointer(r * 8), width));
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
    const { views, names } = buildIonViews(spec.name, ion, base, abi, width, buffers);
    ions[ion.name] = views;
    for (const field of Object.keys(names) as (keyof IonViews)[]) {
      const descriptor = Object.getOwnPropertyDescriptor(views, field)!;
      Object.defineProperty(pp, names[field], descriptor);
    }
  });
  value(pp, "ions", ions);
  return pp;
}

/**
 * Releases a ppack object: detaches its native buffers (views kept elsewhere read `undefined` and
 * write nothing, so no access reaches freed memory) and makes every property throw `reason`.
 */
export function releasePPack(
  mechanism: string,
  pp: Record<string, unknown>,
  buffers: readonly ArrayBuffer[],
  reason: string,
): void {
  for (const buffer of buffers) if (!buffer.detached) buffer.transfer(0);
  const message = `mechanism '${mechanism}': this ppack object is stale (${reason}); a hook may use ` +
    `the pp it receives only during that call: keep numbers, or copies of arrays, instead`;
  const stale = () => {
    throw new Error(message);
  };
  for (const name of Object.keys(pp)) {
    Object.defineProperty(pp, name, { enumerable: true, configurable: true, get: stale, set: stale });
  }
}

const caches = new Set<PPackCache>();

/**
 * The ppack objects of one catalogue, by instance id, built on first use and rebuilt whenever C
 * says the instance was rebound. `objects[instance]` is `undefined` when it must be (re)built.
 */
export class PPackCache {
  /** The ppack object of each instance id (read on every hook call: kept a plain array). */
  readonly objects: (Record<string, unknown> | undefined)[] = [];
  /** The slot each object was built for. */
  readonly slots: number[] = [];
  #buffers: (ArrayBuffer[] | undefined)[] = [];
  #specs: readonly MechanismSpec[];

  /** `specs` by slot. */
  constructor(specs: readonly MechanismSpec[]) {
    this.#specs = specs;
    caches.add(this);
  }

  /** Builds the object of `instance` (releasing the previous one) over the ppack at `pointer`. */
  build(
    slot: number,
    instance: number,
    pointer: Deno.PointerObject,
    abi: AbiFamily,
  ): Record<string, unknown> {
    this.#release(instance, "its instance was initialised again, and Arbor may have moved its arrays");
    const buffers: ArrayBuffer[] = [];
    const pp = buildPPack(this.#specs[slot], pointer, abi, buffers);
    this.objects[instance] = pp;
    this.slots[instance] = slot;
    this.#buffers[instance] = buffers;
    return pp;
  }

  #release(instance: number, reason: string): void {
    const pp = this.objects[instance];
    if (pp === undefined) return;
    releasePPack(this.#specs[this.slots[instance]].name, pp, this.#buffers[instance] ?? [], reason);
    this.objects[instance] = undefined;
    this.#buffers[instance] = undefined;
  }

  /** Releases every object (they are rebuilt on their next hook call). */
  releaseAll(reason: string): void {
    for (let instance = 0; instance < this.objects.length; instance++) this.#release(instance, reason);
  }

  /** Releases every object for good: the catalogue closed. */
  dispose(): void {
    this.releaseAll("its catalogue was closed");
    caches.delete(this);
  }
}

/**
 * Releases the ppack objects of every live catalogue: called before a host frees or rebuilds the
 * arrays they view. Objects still in use are rebuilt at their next hook call.
 */
export function releaseAllPPacks(reason: string): void {
  for (const cache of caches) cache.releaseAll(reason);
}
