/**
 * The native ABI test host from TypeScript: load catalogues, lay out CVs, ions, mechanisms,
 * stimuli and probes, then run steps exactly as Arbor's CPU backend would call the catalogue.
 *
 * @module
 */
import { throwPendingFailures } from "./catalogue.ts";
import { ABI_CODE, type AbiFamily } from "./layout.ts";
import {
  cString,
  openLibrary,
  readCString,
  reentrantSymbols,
  resolveLibrary,
  symbolAddresses,
} from "./library.ts";
import { HOST_REENTRANT_SYMBOLS, HOST_SYMBOLS, type HostLibrary } from "./symbols.ts";

let hostLibrary: HostLibrary | undefined;

async function library(): Promise<HostLibrary> {
  if (hostLibrary === undefined) {
    const path = await resolveLibrary("denocat_host", "DENOCAT_HOST_LIB");
    const plain = openLibrary(path, HOST_SYMBOLS);
    hostLibrary = {
      symbols: { ...plain.symbols, ...reentrantSymbols(HOST_REENTRANT_SYMBOLS, symbolAddresses(path)) },
    };
  }
  return hostLibrary;
}

/** Something with a library path: a `Catalogue`, or a plain path string. */
export type CatalogueSource = string | { readonly path: string; readonly abi?: AbiFamily };

/** Options of `Host.create`. */
export interface HostOptions {
  /** Catalogues to load (live catalogues or paths of compiled ones). */
  catalogues: CatalogueSource[];
  /** Layout family; defaults to the first live catalogue's, else "0.7". */
  abi?: AbiFamily;
  /**
   * Arbor's `coalesce_synapses`; default true, as in Arbor. When on, the point instances of a
   * mechanism with `isLinear` and no random variables that share a CV and have bit-identical
   * parameter values merge into one instance whose `multiplicity` counts them (otherwise
   * `multiplicity` is NULL). Events, state probes and per-instance parameters keep using
   * placement-order instance numbers.
   */
  coalesceSynapses?: boolean;
}

/** A per-CV value given once for all CVs or as one value per CV. */
export type PerCv = number | readonly number[];

/** Geometry and electrical properties of the host's CVs. */
export interface CvOptions {
  /** Number of CVs (independent compartments). */
  count: number;
  /** Lateral area per CV in µm². */
  areaUm2: PerCv;
  /** Diameter per CV in µm; default 1. */
  diamUm?: PerCv;
  /** Membrane capacitance in F/m²; default 0.01 (Arbor's neuron default). */
  cm?: PerCv;
  /** Temperature in °C; default 6.3 (Arbor's neuron default). */
  temperatureDegC?: PerCv;
  /** Initial membrane voltage in mV; default -65. */
  vInit?: PerCv;
}

/** Initial values of an ion species. */
export interface IonSpecies {
  /** Charge of the species. */
  valence: number;
  /** Xi in mM. */
  internal: number;
  /** Xo in mM. */
  external: number;
  /** eX in mV. */
  reversal: number;
}

/** The ion defaults of Arbor's `neuron_cable_properties`. */
export const NEURON_IONS: Readonly<Record<string, IonSpecies>> = {
  na: { valence: 1, internal: 10, external: 140, reversal: 50 },
  k: { valence: 1, internal: 54.4, external: 2.5, reversal: -77 },
  ca: { valence: 2, internal: 5e-5, external: 2, reversal: 12.5 * Math.log(2 / 5e-5) },
};

/** How to place a mechanism. */
export interface PlaceOptions {
  /** CVs of the instances (density: ascending, one each; point: any order). */
  cvs?: readonly number[];
  /** Density: covered fraction per instance; gap junction: connection weight. */
  weights?: readonly number[];
  /** Gap junctions: peer CV per instance. */
  peers?: readonly number[];
  /** Parameter overrides: one value for all instances, or one per instance. */
  parameters?: Readonly<Record<string, number | readonly number[]>>;
  /** Global overrides. */
  globals?: Readonly<Record<string, number>>;
}

/** What `run` returns. */
export interface RunResult {
  /** Sample times (the start of each step, ms). */
  time: Float64Array;
  /** One column per probe, in the order the probes were added. */
  probes: Float64Array[];
  /** Number of steps taken. */
  steps: number;
}

/** Options of `run`. */
export interface RunOptions {
  /** Time to advance to (ms). */
  until: number;
  /** Step length (ms). */
  dt: number;
}

/** A placed mechanism. */
export interface Placement {
  /** Host placement id. */
  readonly id: number;
  /** Mechanism name as placed (with any derivation). */
  readonly name: string;
  /** Number of instances. */
  readonly count: number;
}

const PROBE = { voltage: 0, state: 1, ion: 2, current: 3 } as const;

function perCv(
  value: PerCv | undefined,
  fallback: number,
  count: number,
  what: string,
): Float64Array<ArrayBuffer> {
  const values = new Float64Array(count);
  if (value === undefined || typeof value === "number") values.fill(value ?? fallback);
  else {
    if (value.length !== count) {
      throw new RangeError(`${what}: expected ${count} values (one per CV), got ${value.length}`);
    }
    values.set(value);
  }
  return values;
}

/** The native test host. Create with `Host.create`, release with `close()` (or `using`). */
export class Host {
  #lib: HostLibrary;
  #handle: Deno.PointerObject | null;
  #probeCount = 0;
  #failedRun = false;
  /** Layout family the host runs. */
  readonly abi: AbiFamily;

  private constructor(lib: HostLibrary, handle: Deno.PointerObject, abi: AbiFamily) {
    this.#lib = lib;
    this.#handle = handle;
    this.abi = abi;
  }

  /**
   * Creates a host and loads catalogues into it.
   *
   * @example
   * ```ts
   * import { catalogue, Host } from "../mod.ts";
   * const host = await Host.create({ catalogues: [await catalogue()] });
   * ```
   */
  static async create(options: HostOptions): Promise<Host> {
    throwPendingFailures();
    const lib = await library();
    const firstAbi = options.catalogues.find((c): c is { path: string; abi: AbiFamily } =>
      typeof c !== "string" && c.abi !== undefined
    )?.abi;
    const abi = options.abi ?? firstAbi ?? "0.7";
    const code = ABI_CODE[abi];
    if (code === undefined) throw new Error(`unknown ABI '${abi}': use "0.6" or "0.7"`);
    const handle = lib.symbols.host_create(code);
    if (handle === null) throw new Error("host_create failed (out of memory)");
    const host = new Host(lib, handle, abi);
    try {
      host.#call(
        lib.symbols.host_set_coalesce(handle, (options.coalesceSynapses ?? true) ? 1 : 0),
        "setting coalesceSynapses",
      );
      for (const source of options.catalogues) {
        host.#call(
          lib.symbols.host_load_catalogue(handle, cString(typeof source === "string" ? source : source.path)),
          "loading a catalogue",
        );
      }
    } catch (error) {
      host.close();
      throw error;
    }
    return host;
  }

  get #h(): Deno.PointerObject {
    if (this.#handle === null) throw new Error("this host was closed");
    return this.#handle;
  }

  #call(result: number, what: string): number {
    throwPendingFailures();
    if (result < 0) throw new Error(`host: ${what}: ${readCString(this.#lib.symbols.host_error(this.#h))}`);
    return result;
  }

  /** Names and kinds of every mechanism the loaded catalogues offer. */
  mechanisms(): { name: string; kind: number }[] {
    const s = this.#lib.symbols;
    const count = s.host_mechanism_count(this.#h);
    return Array.from({ length: count }, (_, k) => ({
      name: readCString(s.host_mechanism_name(this.#h, k)),
      kind: s.host_mechanism_kind(this.#h, k),
    }));
  }

  /** Declares the CVs (each an independent compartment). */
  setCvs(options: CvOptions): this {
    const n = options.count;
    if (!Number.isInteger(n) || n <= 0) throw new RangeError(`count must be a positive integer, got ${n}`);
    this.#call(
      this.#lib.symbols.host_set_cvs(
        this.#h,
        n,
        perCv(options.areaUm2, 0, n, "areaUm2"),
        perCv(options.diamUm, 1, n, "diamUm"),
        perCv(options.cm, 0.01, n, "cm"),
        perCv(options.temperatureDegC, 6.3, n, "temperatureDegC"),
        perCv(options.vInit, -65, n, "vInit"),
      ),
      "setting CVs",
    );
    return this;
  }

  /** Declares an ion species with its initial values. */
  addIon(name: string, ion: IonSpecies): this {
    this.#call(
      this.#lib.symbols.host_add_ion(
        this.#h,
        cString(name),
        ion.valence,
        ion.internal,
        ion.external,
        ion.reversal,
      ),
      `adding ion '${name}'`,
    );
    return this;
  }

  /** Declares na, k and ca with the defaults of Arbor's `neuron_cable_properties`. */
  addNeuronIons(): this {
    for (const [name, ion] of Object.entries(NEURON_IONS)) this.addIon(name, ion);
    return this;
  }

  /** Places a mechanism (see `c/host.h` for the per-kind rules). */
  place(name: string, options: PlaceOptions = {}): Placement {
    const cvs = options.cvs ?? [];
    const n = cvs.length;
    const what = `placing '${name}'`;
    for (const [label, list] of [["weights", options.weights], ["peers", options.peers]] as const) {
      if (list !== undefined && list.length !== n) {
        throw new RangeError(`${what}: ${label} has ${list.length} entries but cvs has ${n}`);
      }
    }
    const id = this.#call(
      this.#lib.symbols.host_place(
        this.#h,
        cString(name),
        n,
        n ? new Uint32Array(cvs) : null,
        options.weights ? new Float64Array(options.weights) : null,
        options.peers ? new Uint32Array(options.peers) : null,
      ),
      what,
    );
    const placement = { id, name, count: n };
    for (const [parameter, value] of Object.entries(options.parameters ?? {})) {
      this.setParameter(placement, parameter, value);
    }
    for (const [global, value] of Object.entries(options.globals ?? {})) {
      this.#call(
        this.#lib.symbols.host_set_global(this.#h, id, cString(global), value),
        `${what}: global '${global}'`,
      );
    }
    return placement;
  }

  /** Per-instance parameter values of a placement (one number for all, or one per instance). */
  setParameter(placement: Placement, name: string, value: number | readonly number[]): this {
    // A reversal-potential placement has no explicit instances (count 0): Arbor gives it one
    // value for every CV of its ion, so it takes exactly one.
    const expected = Math.max(1, placement.count);
    const values = new Float64Array(expected);
    if (typeof value === "number") values.fill(value);
    else {
      if (value.length !== expected) {
        throw new RangeError(
          `parameter '${name}' of '${placement.name}': expected ${expected} values, got ${value.length}`,
        );
      }
      values.set(value);
    }
    this.#call(
      this.#lib.symbols.host_set_parameter(this.#h, placement.id, cString(name), values),
      `parameter '${name}' of '${placement.name}'`,
    );
    return this;
  }

  /** A current clamp: `amplitude` nA (positive depolarises) from `start` for `duration` ms. */
  iclamp(cv: number, clamp: { start: number; duration: number; amplitude: number }): this {
    this.#call(
      this.#lib.symbols.host_add_iclamp(this.#h, cv, clamp.start, clamp.duration, clamp.amplitude),
      "adding a current clamp",
    );
    return this;
  }

  /** A voltage clamp holding `voltage` mV from `start` for `duration` ms. */
  vclamp(cv: number, clamp: { start: number; duration: number; voltage: number }): this {
    this.#call(
      this.#lib.symbols.host_add_vclamp(this.#h, cv, clamp.start, clamp.duration, clamp.voltage),
      "adding a voltage clamp",
    );
    return this;
  }

  /** A spike detector on `cv` (upward crossing of `threshold` mV). */
  detector(cv: number, threshold: number): this {
    this.#call(this.#lib.symbols.host_add_detector(this.#h, cv, threshold), "adding a detector");
    return this;
  }

  /** An event of `weight` for instance `instance` (placement order) of a point mechanism at `time` ms. */
  event(placement: Placement, instance: number, time: number, weight: number): this {
    this.#call(
      this.#lib.symbols.host_add_event(this.#h, placement.id, instance, time, weight),
      `adding an event for '${placement.name}'`,
    );
    return this;
  }

  #probe(kind: number, placement: number, name: string, target: number, what: string): number {
    const column = this.#call(
      this.#lib.symbols.host_add_probe(this.#h, kind, placement, cString(name), target),
      what,
    );
    this.#probeCount++;
    return column - 1;
  }

  /** Records vec_v at a CV; returns the index of its column in `RunResult.probes`. */
  probeVoltage(cv: number): number {
    return this.#probe(PROBE.voltage, -1, "", cv, `probing voltage at CV ${cv}`);
  }

  /** Records a state variable of one instance (placement order). */
  probeState(placement: Placement, state: string, instance = 0): number {
    return this.#probe(PROBE.state, placement.id, state, instance, `probing '${placement.name}.${state}'`);
  }

  /** Records an ion value at a CV: field is i, e, int, ext, diff or g. */
  probeIon(ion: string, field: "i" | "e" | "int" | "ext" | "diff" | "g", cv: number): number {
    return this.#probe(PROBE.ion, -1, `${ion}.${field}`, cv, `probing ion '${ion}.${field}'`);
  }

  /** Records vec_i (A/m²) at a CV, before the solve. */
  probeCurrent(cv: number): number {
    return this.#probe(PROBE.current, -1, "", cv, `probing current at CV ${cv}`);
  }

  /** Allocates every mechanism and initialises (Arbor's instantiation and reset). */
  instantiate(): this {
    this.#call(this.#lib.symbols.host_instantiate(this.#h), "instantiating");
    return this;
  }

  /** Arbor's `simulation.reset()`. */
  reset(): this {
    this.#call(this.#lib.symbols.host_reset(this.#h), "resetting");
    this.#failedRun = false;
    return this;
  }

  /** Current simulation time (ms). */
  get time(): number {
    return this.#lib.symbols.host_time(this.#h);
  }

  /**
   * Runs to `until` in steps of `dt`; instantiates first if needed. A hook that threw during
   * the run is rethrown here as the original error.
   */
  run(options: RunOptions): RunResult {
    const { until, dt } = options;
    if (!(dt > 0)) throw new RangeError(`dt must be > 0 ms, got ${dt}`);
    if (this.#failedRun) {
      throw new Error(
        "the previous run stopped on an error, so mechanism states are not trustworthy: call reset() first",
      );
    }
    const remaining = Math.max(0, until - this.time);
    const capacity = Math.ceil(remaining / dt) + 2;
    const columns = 1 + this.#probeCount;
    const samples = new Float64Array(capacity * columns);
    const result = this.#lib.symbols.host_run(this.#h, until, dt, samples, capacity);
    try {
      throwPendingFailures();
    } catch (error) {
      this.#failedRun = true; // a hook failed: later calls of the run were skipped, init included
      throw error;
    }
    const steps = this.#call(result, "running");
    const rows = Math.min(steps, capacity);
    const time = new Float64Array(rows);
    const probes = Array.from({ length: this.#probeCount }, () => new Float64Array(rows));
    for (let r = 0; r < rows; r++) {
      time[r] = samples[r * columns];
      for (let p = 0; p < this.#probeCount; p++) probes[p][r] = samples[r * columns + 1 + p];
    }
    return { time, probes, steps };
  }

  /** Spike times (ms) and detector indices since the last reset. */
  spikes(): { times: Float64Array; detectors: Uint32Array } {
    const count = this.#lib.symbols.host_spike_count(this.#h);
    const times = new Float64Array(count);
    const detectors = new Uint32Array(count);
    this.#call(this.#lib.symbols.host_spikes(this.#h, times, detectors, count), "reading spikes");
    return { times, detectors };
  }

  /** Test support: calls one hook of a placement from a new native thread. */
  callHookOnForeignThread(placement: Placement, hook: number): void {
    this.#call(
      this.#lib.symbols.host_call_hook_on_thread(this.#h, placement.id, hook),
      "calling from a thread",
    );
  }

  /** Frees the host. The catalogues stay loaded (as in Arbor). */
  close(): void {
    if (this.#handle !== null) this.#lib.symbols.host_destroy(this.#handle);
    this.#handle = null;
  }

  /** Same as `close()`, for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }
}
