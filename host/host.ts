/**
 * The native ABI test host from TypeScript: load catalogues, lay out CVs, ions, mechanisms,
 * stimuli and probes, then run steps exactly as Arbor's CPU backend would call the catalogue.
 *
 * @module
 */
import { cpuRefusal } from "../ffi/cpu_probe.ts";
import { throwPendingFailures } from "../ffi/failures.ts";
import {
  boolean,
  describePlacement,
  finite,
  finiteList,
  float32,
  index,
  indexList,
  list,
  number,
  parameterValues,
  perCv,
  record,
  string,
} from "./args.ts";
import {
  type CatalogueSource,
  type CvOptions,
  type HostOptions,
  type IonSpecies,
  NEURON_IONS,
  type Placement,
  type PlaceOptions,
  PROBE,
  type RunOptions,
  type RunResult,
} from "./types.ts";
import { releaseAllPPacks } from "../ffi/ppack.ts";
import { ABI_CODE, type AbiFamily } from "../ffi/layout.ts";
import { resolveLibrary } from "../platform/libraries.ts";
import { cString, openLibrary, readCString, reentrantSymbols, symbolAddresses } from "../ffi/open.ts";
import { HOST_REENTRANT_SYMBOLS, HOST_SYMBOLS, type HostLibrary } from "../ffi/symbols.ts";
import { epochEnds } from "./epochs.ts";
import { Progress } from "../platform/progress.ts";

let hostLibrary: HostLibrary | undefined;

/** The host whose run, reset or instantiation is calling mechanisms right now, if any. */
let driving: Host | undefined;

/** At most this many numbers are recorded by one `run` (8 bytes each): run longer spans in pieces. */
const MAX_SAMPLE_VALUES = 2 ** 27;

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

export { NEURON_IONS, PROBE } from "./types.ts";
export type {
  CatalogueSource,
  CvOptions,
  HostOptions,
  IonSpecies,
  PerCv,
  Placement,
  PlaceOptions,
  RunOptions,
  RunResult,
} from "./types.ts";

/** The two clamps of the host: the field that gives each one's level, its C call, its error context. */
const CLAMPS = {
  iclamp: { level: "amplitude", symbol: "host_add_iclamp", what: "adding a current clamp" },
  vclamp: { level: "voltage", symbol: "host_add_vclamp", what: "adding a voltage clamp" },
} as const;

/** The native test host. Create with `Host.create`, release with `close()` (or `using`). */
export class Host {
  #lib: HostLibrary;
  #handle: Deno.PointerObject | null;
  #probeCount = 0;
  #failedRun = false;
  #cvCount: number | undefined;
  #catalogues: readonly CatalogueSource[] = [];
  /** Placements this host made: one from another host would name a different mechanism. */
  #placements = new WeakSet<Placement>();
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
    record("Host.create options", options);
    const catalogues = list("Host.create: catalogues", options.catalogues) as CatalogueSource[];
    catalogues.forEach((source, k) => {
      if (typeof source !== "string") string(`Host.create: catalogues[${k}].path`, record("", source).path);
    });
    const coalesce = boolean("Host.create: coalesceSynapses", options.coalesceSynapses, true);
    const lib = await library();
    const firstAbi = catalogues.find((c): c is { path: string; abi: AbiFamily } =>
      typeof c !== "string" && c.abi !== undefined
    )?.abi;
    const abi = options.abi ?? firstAbi ?? "0.7";
    const code = Object.hasOwn(ABI_CODE, abi) ? ABI_CODE[abi] : undefined;
    if (code === undefined) throw new Error(`unknown ABI '${abi}': use "0.6" or "0.7"`);
    const handle = lib.symbols.host_create(code);
    if (handle === null) throw new Error("host_create failed (out of memory)");
    const host = new Host(lib, handle, abi);
    host.#catalogues = [...catalogues];
    try {
      host.#call(lib.symbols.host_set_coalesce(handle, coalesce ? 1 : 0), "setting coalesceSynapses");
      for (const source of catalogues) {
        const path = typeof source === "string" ? source : source.path;
        if ((source as { closed?: unknown }).closed === true) {
          throw new Error(`host: the catalogue ${path} was closed; build a new one`);
        }
        const refusal = cpuRefusal(path);
        if (refusal !== undefined) throw new Error(`host: ${refusal}`);
        host.#call(lib.symbols.host_load_catalogue(handle, cString(path)), "loading a catalogue");
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

  /** The handle for a call that changes or drives the host: refused from inside a hook. */
  #changing(what: string): Deno.PointerObject {
    const handle = this.#h;
    if (driving !== undefined) {
      throw new Error(
        `host.${what} was called from inside a mechanism hook while a host was running; a hook must ` +
          `not run, reset, change or close a host (it would free or rebuild the arrays the running ` +
          `step uses): do it after run() returns`,
      );
    }
    return handle;
  }

  /** Refuses to drive mechanisms of a catalogue that was closed (C would skip them silently). */
  #checkCatalogues(what: string): void {
    for (const source of this.#catalogues) {
      if (typeof source !== "string" && (source as { closed?: unknown }).closed === true) {
        throw new Error(
          `host.${what}: the catalogue ${source.path} was closed, so its mechanisms can no longer ` +
            `run; close the host too, and build a new catalogue and host`,
        );
      }
    }
  }

  /** Runs a native call that calls mechanism hooks, marking this host as driving meanwhile. */
  #drive<T>(what: string, action: (handle: Deno.PointerObject) => T): T {
    const handle = this.#changing(what);
    this.#checkCatalogues(what);
    driving = this;
    try {
      return action(handle);
    } finally {
      driving = undefined;
    }
  }

  #placement(what: string, placement: unknown): Placement {
    if (!this.#placements.has(placement as Placement)) {
      throw new TypeError(
        `${what}: ${describePlacement(placement)} is not a placement of this host; pass the object ` +
          `that this host's place() returned`,
      );
    }
    return placement as Placement;
  }

  #cvList(what: string, cvs: unknown): number[] {
    if (this.#cvCount === undefined && list(what, cvs).length > 0) {
      throw new Error(`host: ${what}: call setCvs first`);
    }
    return indexList(what, cvs, this.#cvCount ?? 0, `the ${this.#cvCount} CVs`);
  }

  #cv(what: string, cv: unknown): number {
    if (this.#cvCount === undefined) throw new Error(`host: ${what}: call setCvs first`);
    return index(what, cv, this.#cvCount, `the ${this.#cvCount} CVs`);
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
    const h = this.#changing("setCvs()");
    const n = record("setCvs options", options).count;
    if (typeof n !== "number" || !Number.isInteger(n) || n <= 0 || n > 2 ** 24) {
      throw new RangeError(`setCvs: count must be an integer in [1, 16777216], got ${n}`);
    }
    this.#call(
      this.#lib.symbols.host_set_cvs(
        h,
        n,
        perCv(options.areaUm2, 0, n, "areaUm2"),
        perCv(options.diamUm, 1, n, "diamUm"),
        perCv(options.cm, 0.01, n, "cm"),
        perCv(options.temperatureDegC, 6.3, n, "temperatureDegC"),
        perCv(options.vInit, -65, n, "vInit"),
      ),
      "setting CVs",
    );
    this.#cvCount = n;
    return this;
  }

  /** Declares an ion species with its initial values. */
  addIon(name: string, ion: IonSpecies): this {
    const h = this.#changing("addIon()");
    const what = `addIon('${string("addIon: name", name)}')`;
    record(`${what}: ion`, ion);
    const valence = ion.valence;
    if (typeof valence !== "number" || !Number.isInteger(valence) || Math.abs(valence) > 2 ** 31 - 1) {
      throw new RangeError(`${what}: valence must be an integer, got ${valence}`);
    }
    this.#call(
      this.#lib.symbols.host_add_ion(
        h,
        cString(name),
        valence,
        finite(`${what}: internal`, ion.internal),
        finite(`${what}: external`, ion.external),
        finite(`${what}: reversal`, ion.reversal),
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
    const h = this.#changing("place()");
    const what = `placing '${string("place: name", name)}'`;
    record(`${what}: options`, options);
    const cvs = this.#cvList(`${what}: cvs`, options.cvs ?? []);
    const n = cvs.length;
    const weights = options.weights === undefined
      ? undefined
      : finiteList(`${what}: weights`, options.weights);
    const peers = options.peers === undefined ? undefined : this.#cvList(`${what}: peers`, options.peers);
    for (const [label, entries] of [["weights", weights], ["peers", peers]] as const) {
      if (entries !== undefined && entries.length !== n) {
        throw new RangeError(`${what}: ${label} has ${entries.length} entries but cvs has ${n}`);
      }
    }
    const parameters = Object.entries(record(`${what}: parameters`, options.parameters ?? {}));
    for (const [parameter, value] of parameters) {
      parameterValues(`parameter '${parameter}' of '${name}'`, value, 0);
    }
    const globals = Object.entries(record(`${what}: globals`, options.globals ?? {}));
    for (const [global, value] of globals) number(`${what}: global '${global}'`, value);
    const id = this.#call(
      this.#lib.symbols.host_place(
        h,
        cString(name),
        n,
        n ? new Uint32Array(cvs) : null,
        weights ? new Float64Array(weights) : null,
        peers ? new Uint32Array(peers) : null,
      ),
      what,
    );
    const placement: Placement = Object.freeze({ id, name, count: n });
    this.#placements.add(placement);
    for (const [parameter, value] of parameters) {
      this.setParameter(placement, parameter, value as number | readonly number[]);
    }
    for (const [global, value] of globals) {
      this.#call(
        this.#lib.symbols.host_set_global(h, id, cString(global), value as number),
        `${what}: global '${global}'`,
      );
    }
    return placement;
  }

  /** Per-instance parameter values of a placement (one number for all, or one per instance). */
  setParameter(placement: Placement, name: string, value: number | readonly number[]): this {
    // A reversal-potential placement has no explicit instances (count 0): Arbor gives it one
    // value for every CV of its ion, so it takes exactly one.
    const h = this.#changing("setParameter()");
    this.#placement("setParameter", placement);
    const what = `parameter '${string("setParameter: name", name)}' of '${placement.name}'`;
    const values = parameterValues(what, value, Math.max(1, placement.count));
    this.#call(
      this.#lib.symbols.host_set_parameter(h, placement.id, cString(name), values),
      `parameter '${name}' of '${placement.name}'`,
    );
    return this;
  }

  /** A current clamp: `amplitude` nA (positive depolarises) from `start` for `duration` ms. */
  iclamp(cv: number, clamp: { start: number; duration: number; amplitude: number }): this {
    return this.#clamp("iclamp", cv, clamp);
  }

  /** A voltage clamp holding `voltage` mV from `start` for `duration` ms. */
  vclamp(cv: number, clamp: { start: number; duration: number; voltage: number }): this {
    return this.#clamp("vclamp", cv, clamp);
  }

  /** Checks and adds a current clamp (its level: `amplitude`) or a voltage clamp (`voltage`). */
  #clamp(kind: keyof typeof CLAMPS, cv: unknown, clamp: unknown): this {
    const { level, symbol, what } = CLAMPS[kind];
    const h = this.#changing(`${kind}()`);
    const c = record(`${kind}: clamp`, clamp);
    this.#call(
      this.#lib.symbols[symbol](
        h,
        this.#cv(`${kind}: cv`, cv),
        finite(`${kind}: start`, c.start),
        number(`${kind}: duration`, c.duration),
        finite(`${kind}: ${level}`, c[level]),
      ),
      what,
    );
    return this;
  }

  /** A spike detector on `cv` (upward crossing of `threshold` mV). */
  detector(cv: number, threshold: number): this {
    const h = this.#changing("detector()");
    this.#call(
      this.#lib.symbols.host_add_detector(
        h,
        this.#cv("detector: cv", cv),
        finite("detector: threshold", threshold),
      ),
      "adding a detector",
    );
    return this;
  }

  /**
   * An event of `weight` for instance `instance` (placement order) of a point mechanism at `time`
   * ms. A time before the host's current time is refused (it would never be delivered), and so is
   * a weight that Arbor's 32-bit float weight cannot hold (1e-50 would become 0).
   */
  event(placement: Placement, instance: number, time: number, weight: number): this {
    const h = this.#changing("event()");
    this.#placement("event", placement);
    // Hosts take many thousands of events: the common, valid case builds no message strings.
    const fround = Math.fround(weight);
    const valid = typeof time === "number" && time >= this.time && time < Infinity &&
      typeof instance === "number" && Number.isInteger(instance) && instance >= 0 &&
      instance < placement.count &&
      typeof weight === "number" && Number.isFinite(fround) && (fround !== 0 || weight === 0);
    if (!valid) this.#checkEvent(placement, instance, time, weight);
    const result = this.#lib.symbols.host_add_event(h, placement.id, instance + 0, time, weight);
    if (result < 0) this.#call(result, `adding an event for '${placement.name}'`);
    return this;
  }

  /** Throws the error that names what is wrong with an event's arguments. */
  #checkEvent(placement: Placement, instance: unknown, time: unknown, weight: unknown): void {
    const what = `event for '${placement.name}'`;
    const at = finite(`${what}: time`, time);
    if (at < this.time) {
      throw new RangeError(
        `${what}: time ${at} ms is before the host's current time ${this.time} ms, so it would never ` +
          `be delivered; add events before running past them, or reset() to start over at 0`,
      );
    }
    index(`${what}: instance`, instance, placement.count, `the ${placement.count} instances`);
    float32(`${what}: weight`, weight);
  }

  #probe(kind: number, placement: number, name: string, target: number, what: string): number {
    const column = this.#call(
      this.#lib.symbols.host_add_probe(this.#changing("probe()"), kind, placement, cString(name), target),
      what,
    );
    this.#probeCount++;
    return column - 1;
  }

  /** Records vec_v at a CV; returns the index of its column in `RunResult.probes`. */
  probeVoltage(cv: number): number {
    const at = this.#cv("probeVoltage: cv", cv);
    return this.#probe(PROBE.voltage, -1, "", at, `probing voltage at CV ${at}`);
  }

  /** Records a state variable of one instance (placement order). */
  probeState(placement: Placement, state: string, instance = 0): number {
    this.#placement("probeState", placement);
    const what = `probing '${placement.name}.${string("probeState: state", state)}'`;
    // A reversal-potential placement has no explicit instances: C checks against its ion's support.
    const target = placement.count > 0
      ? index(`${what}: instance`, instance, placement.count, `the ${placement.count} instances`)
      : index(`${what}: instance`, instance, 2 ** 32, "a 32-bit index");
    return this.#probe(PROBE.state, placement.id, state, target, what);
  }

  /** Records an ion value at a CV: field is i, e, int, ext, diff or g. */
  probeIon(ion: string, field: "i" | "e" | "int" | "ext" | "diff" | "g", cv: number): number {
    const what = `probing ion '${string("probeIon: ion", ion)}.${string("probeIon: field", field)}'`;
    return this.#probe(PROBE.ion, -1, `${ion}.${field}`, this.#cv(`${what}: cv`, cv), what);
  }

  /** Records vec_i (A/m²) at a CV, before the solve. */
  probeCurrent(cv: number): number {
    const at = this.#cv("probeCurrent: cv", cv);
    return this.#probe(PROBE.current, -1, "", at, `probing current at CV ${at}`);
  }

  /** Allocates every mechanism and initialises (Arbor's instantiation and reset). */
  instantiate(): this {
    const result = this.#drive("instantiate()", (h) => {
      // Building allocates the arrays anew: release every ppack object over the old ones first.
      releaseAllPPacks("a host was instantiated, which rebuilds the arrays");
      return this.#lib.symbols.host_instantiate(h);
    });
    this.#call(result, "instantiating");
    return this;
  }

  /** Arbor's `simulation.reset()`. */
  reset(): this {
    const result = this.#drive("reset()", (h) => this.#lib.symbols.host_reset(h));
    this.#call(result, "resetting");
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
    this.#changing("run()");
    record("run options", options);
    const until = finite("run: until (ms)", options.until);
    const dt = finite("run: dt (ms)", options.dt);
    if (!(dt > 0)) throw new RangeError(`run: dt must be > 0 ms, got ${dt}`);
    const showProgress = options.progress === undefined
      ? undefined
      : boolean("run: progress", options.progress, true);
    if (this.#failedRun) {
      throw new Error(
        "the previous run stopped on an error, so mechanism states are not trustworthy: call reset() first",
      );
    }
    const now = this.time;
    if (until < now) {
      throw new RangeError(
        `run: until = ${until} ms is before the current time ${now} ms; reset() starts over at 0`,
      );
    }
    if (until > now && now + dt === now) {
      throw new RangeError(`run: dt = ${dt} ms is too small to advance the time from ${now} ms`);
    }
    const capacity = Math.ceil((until - now) / dt) + 2;
    const columns = 1 + this.#probeCount;
    if (capacity * columns > MAX_SAMPLE_VALUES) {
      throw new RangeError(
        `run: until = ${until} ms in steps of dt = ${dt} ms is ${capacity - 2} steps, whose samples ` +
          `(${columns} numbers per step) would exceed ${MAX_SAMPLE_VALUES} numbers; run in shorter pieces`,
      );
    }
    const samples = new Float64Array(capacity * columns);
    const ends = epochEnds(now, until, dt, this.#cvCount ?? 1);
    const progress = ends.length > 1
      ? new Progress({
        label: "host run",
        total: Math.round((until - now) / dt), // the C side's count can differ by one: corrected below
        unit: "steps",
        delayMs: 2000,
        enabled: showProgress,
      })
      : undefined;
    let steps = 0;
    try {
      for (const end of ends) {
        const rest = samples.subarray(Math.min(steps, capacity) * columns);
        const room = Math.max(0, capacity - steps);
        const result = this.#drive("run()", (h) => this.#lib.symbols.host_run(h, end, dt, rest, room));
        try {
          throwPendingFailures();
        } catch (error) {
          this.#failedRun = true; // a hook failed: later calls of the run were skipped, init included
          throw error;
        }
        steps += this.#call(result, "running");
        progress?.update(steps); // between epochs: no hook is running
      }
      progress?.update(steps, steps);
    } finally {
      progress?.finish();
    }
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
    this.#placement("callHookOnForeignThread", placement);
    this.#call(
      this.#lib.symbols.host_call_hook_on_thread(
        this.#changing("callHookOnForeignThread()"),
        placement.id,
        index("callHookOnForeignThread: hook", hook, 6, "the 6 hooks"),
      ),
      "calling from a thread",
    );
  }

  /** Frees the host. The catalogues stay loaded (as in Arbor). */
  close(): void {
    if (this.#handle === null) return;
    this.#changing("close()");
    // The views of every live ppack object may point into this host's arrays.
    releaseAllPPacks("the host that owned its arrays was closed");
    this.#lib.symbols.host_destroy(this.#handle);
    this.#handle = null;
  }

  /** Same as `close()`, for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }
}
