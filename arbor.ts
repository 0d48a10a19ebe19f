/**
 * Real Arbor, from Deno, through the embedded CPython of `python/mod.ts`: load Arbor, pick the
 * catalogue layout from its version, load denocat catalogues into it and run simulations whose
 * mechanisms are TypeScript.
 *
 * ```ts
 * import { loadArbor } from "./arbor.ts";
 * import { catalogue } from "./mod.ts";
 * import { HH } from "./examples/hh.ts";
 *
 * const arb = loadArbor(); // imports arbor, checks its version, remembers the ABI family
 * const props = arb.arbor.callMethod("neuron_cable_properties");
 * arb.extendCatalogue(props, await catalogue({ mechanisms: [HH] }), "ts_"); // "ts_hh"
 * ```
 *
 * Versions: the helpers (`arb.decor()`, `arb.iclamp`, `arb.cableCell`, `arb.recordSpikes`,
 * `arb.probe`, `arb.sample`, `arb.q`, ...) write the same model for Arbor 0.9, 0.10, 0.11 and
 * 0.12, from the table of differences in `arbor_api.ts` ({@link ARBOR_APIS}).
 *
 * Threads: mechanisms written in TypeScript run on Deno's main thread only, so every simulation
 * must use `arbor.context(threads=1)` ({@link Arbor.context}, used by {@link Arbor.simulation}).
 * With more threads Arbor calls mechanisms (and recipe methods) from worker threads: those calls
 * are refused rather than run, and the next bridge call that returns from Python (`arb.run`,
 * `sim.callMethod("run")`, `py.exec` of a whole script, anything) throws the catalogue's error
 * naming the mechanism, the hook and `arbor.context(threads=1)`.
 *
 * Cell groups: {@link Arbor.simulation} puts all cable cells (of a rank) into one cell group,
 * so each hook crosses into JavaScript once per step, not once per cell per step.
 *
 * @module
 */
import { throwPendingFailures } from "./live/catalogue.ts";
import type { AbiFamily } from "./abi/layout.ts";
import type { Catalogue } from "./mod.ts";
import { kw, loadPython, PyObject, type Python, type PythonOptions, tuple } from "./python/mod.ts";
import { ARBOR_APIS, type ArborApi, arborApiForVersion } from "./arbor_api.ts";

export type { AbiFamily, ArborApi, Catalogue, PyObject, Python, PythonOptions };
export { ARBOR_APIS, arborApiForVersion };

/** Options of {@link loadArbor}. */
export interface ArborOptions {
  /** How to find and set up Python (library, executable, extra `sys.path` entries). */
  python?: PythonOptions;
  /**
   * The catalogue layout to use whatever `arbor.__version__` says: an explicit override for
   * unreleased or patched Arbor builds. A wrong value corrupts memory silently.
   */
  abi?: AbiFamily;
}

/** Thrown by {@link loadArbor} when `import arbor` fails (not installed, or broken). */
export class ArborUnavailableError extends Error {
  /** Creates the error. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ArborUnavailableError";
  }
}

/**
 * The catalogue layout of an Arbor version: "0.6" for 0.9.x and 0.10.x, "0.7" for 0.11.x and
 * 0.12.x, `undefined` for any other version (older ones use another ppack, newer ones are unknown).
 */
export function abiForArborVersion(version: string): AbiFamily | undefined {
  const match = /^(\d+)\.(\d+)/.exec(version);
  if (match === null || match[1] !== "0") return undefined;
  const minor = Number(match[2]);
  if (minor === 9 || minor === 10) return "0.6";
  if (minor === 11 || minor === 12) return "0.7";
  return undefined;
}

/** A value in Arbor's units: a `value * arbor.units.<unit>` quantity on Arbor ≥ 0.10, a number before. */
export type Quantity = PyObject | number;

/** Cable properties in Arbor's documented units (converted to quantities where Arbor wants them). */
export interface CableProperties {
  /** Initial membrane potential (mV). */
  Vm?: number;
  /** Membrane capacitance (F/m²). */
  cm?: number;
  /** Axial resistivity (Ω·cm). */
  rL?: number;
  /** Temperature (K). */
  tempK?: number;
}

/** Ion species values in Arbor's documented units. */
export interface IonValues {
  /** Initial internal concentration (mM). */
  int_con?: number;
  /** Initial external concentration (mM). */
  ext_con?: number;
  /** Reversal potential (mV). */
  rev_pot?: number;
  /** Valence (properties only). */
  valence?: number;
  /** A reversal-potential mechanism (`arbor.mechanism("nernst/na")`), passed unchanged. */
  method?: PyObject;
}

const PROPERTY_UNITS: Record<keyof CableProperties, string> = {
  Vm: "mV",
  cm: "F/m2",
  rL: "Ohm*cm",
  tempK: "K",
};
const ION_UNITS: Record<string, string | undefined> = { int_con: "mM", ext_con: "mM", rev_pot: "mV" };

/** One spike: the detector's cell and index, and the time (ms). */
export interface Spike {
  /** gid of the cell. */
  gid: number;
  /** Index of the detector on the cell. */
  index: number;
  /** Time (ms). */
  time: number;
}

/** How {@link Arbor.simulation} distributes cells over cell groups. */
export type Decomposition =
  /** One cell group with all cable cells (per rank): a hook crosses once per step. The default. */
  | "one-group"
  /** Arbor's own default, `partition_load_balance` without hints: one cable cell per group. */
  | "arbor"
  /** Groups of this many cable cells. */
  | { cellsPerGroup: number }
  /** Your own `arbor.domain_decomposition`, passed through. */
  | PyObject;

/**
 * An `arbor.decor` whose `paint`/`place` results are kept: the bindings of every version
 * return a copy of the decor from most of them (`decor = decor.place(...)`), and `None` from
 * painting a scaled mechanism. Get the Python object with {@link Decor.object}.
 */
export class Decor {
  readonly #arb: Arbor;
  #decor: PyObject;

  /** @internal Use {@link Arbor.decor}. */
  constructor(arb: Arbor, decor: PyObject) {
    this.#arb = arb;
    this.#decor = decor;
  }

  /** The `arbor.decor`, with everything applied so far. */
  get object(): PyObject {
    return this.#decor;
  }

  #keep(result: PyObject): this {
    if (!result.isNone) this.#decor = result;
    return this;
  }

  /** `decor.paint(region, thing)`: a density mechanism, a scaled mechanism, a voltage process. */
  paint(region: string, thing: PyObject): this {
    return this.#keep(this.#decor.callMethod("paint", region, thing));
  }

  /** `decor.paint(region, Vm=, cm=, rL=, tempK=)`: cable properties on a region. */
  paintProperties(region: string, properties: CableProperties): this {
    return this.#keep(this.#decor.callMethod("paint", region, kw(this.#arb.properties(properties))));
  }

  /** `decor.place(locset, thing, label)`: a synapse, a junction or a threshold detector. */
  place(locset: string, thing: PyObject, label: string): this {
    return this.#keep(this.#decor.callMethod("place", locset, thing, label));
  }

  /**
   * A current clamp ({@link Arbor.iclamp}) at `locset`. `label` names the stimuli up to Arbor
   * 0.11; from 0.12 `place` takes no label for clamps and it is dropped.
   */
  stimulus(locset: string, clamp: PyObject, label: string): this {
    const args = this.#arb.api.clampLabel ? [locset, clamp, label] : [locset, clamp];
    return this.#keep(this.#decor.callMethod("place", ...args));
  }

  /** `decor.set_property(Vm=, cm=, rL=, tempK=)`: cell-wide defaults. */
  setProperty(properties: CableProperties): this {
    return this.#keep(this.#decor.callMethod("set_property", kw(this.#arb.properties(properties))));
  }

  /** `decor.set_ion(ion, int_con=, ext_con=, rev_pot=, method=)`: cell-wide ion defaults. */
  setIon(ion: string, values: IonValues): this {
    return this.#keep(this.#decor.callMethod("set_ion", ion, kw(this.#arb.ionValues(values))));
  }
}

/** Arbor loaded into the embedded Python. */
export class Arbor {
  /** The Python bridge. */
  readonly py: Python;
  /** The `arbor` module. */
  readonly arbor: PyObject;
  /** `arbor.__version__`. */
  readonly version: string;
  /** The catalogue layout this Arbor reads. */
  readonly abi: AbiFamily;
  /** What this version's Python API looks like (the row of {@link ARBOR_APIS}). */
  readonly api: ArborApi;
  /** `arbor.units` (Arbor ≥ 0.10), or undefined for the plain numbers of Arbor 0.9. */
  readonly units: PyObject | undefined;
  readonly #loaded = new Map<string, PyObject>();
  #helpers: PyObject | undefined;
  #mpi: ArborMpi | undefined;

  /** @internal Use {@link loadArbor}. */
  constructor(py: Python, arbor: PyObject, version: string, abi: AbiFamily, api: ArborApi) {
    this.py = py;
    this.arbor = arbor;
    this.version = version;
    this.abi = abi;
    this.api = api;
    this.units = api.units ? arbor.get("units") : undefined;
  }

  /** True on Arbor ≥ 0.10, whose API takes unit quantities (and probe tags). */
  get hasUnits(): boolean {
    return this.api.units;
  }

  /**
   * `value * arbor.units.<unit>` on Arbor ≥ 0.10, `value` on 0.9 (where Arbor's documented
   * units are implied: ms, mV, nA, mM, µm, Ω·cm, F/m², K, kHz). `unit` names members of
   * `arbor.units`, optionally joined by `*` and `/` (e.g. `"F/m2"`, `"Ohm*cm"`).
   */
  q(value: number, unit: string): Quantity {
    if (this.units === undefined) return value;
    // Composite units: "F/m2", "Ohm*cm" (names of arbor.units joined by * and /).
    const parts = unit.split(/([*/])/).map((part) => part.trim());
    let result = this.units.get(parts[0]).mul(value);
    for (let k = 1; k < parts.length; k += 2) {
      const factor = this.units.get(parts[k + 1]);
      result = parts[k] === "*" ? result.mul(factor) : result.div(factor);
    }
    return result;
  }

  /** `arbor.<name>(...args)`. */
  call(name: string, ...args: unknown[]): PyObject {
    return this.arbor.callMethod(name, ...args);
  }

  /** @internal Cable properties as keyword values of this version. */
  properties(properties: CableProperties): Record<string, Quantity> {
    const values: Record<string, Quantity> = {};
    for (const [name, value] of Object.entries(properties)) {
      const unit = PROPERTY_UNITS[name as keyof CableProperties];
      if (unit === undefined) {
        throw new TypeError(
          `unknown cable property '${name}': use Vm (mV), cm (F/m²), rL (Ω·cm) or tempK (K)`,
        );
      }
      values[name] = this.q(checkNumber(value, name), unit);
    }
    return values;
  }

  /** @internal Ion values as keyword values of this version. */
  ionValues(values: IonValues): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(values)) {
      if (value === undefined) continue;
      if (name === "method") out.method = value;
      else if (name === "valence") out.valence = checkNumber(value, name);
      else {
        const unit = ION_UNITS[name];
        if (unit === undefined) {
          throw new TypeError(
            `unknown ion value '${name}': use int_con (mM), ext_con (mM), rev_pot (mV), valence or method`,
          );
        }
        out[name] = this.q(checkNumber(value, name), unit);
      }
    }
    return out;
  }

  /**
   * `properties.set_ion(ion, int_con=, ext_con=, rev_pot=, valence=, method=)` on
   * `arbor.neuron_cable_properties()` (or a model's properties), values in Arbor's documented
   * units.
   */
  setIon(properties: PyObject, ion: string, values: IonValues): void {
    properties.callMethod("set_ion", ion, kw(this.ionValues(values))).dispose();
  }

  /** A new, empty {@link Decor}. */
  decor(): Decor {
    return new Decor(this, this.arbor.callMethod("decor"));
  }

  /**
   * A current clamp from `start` for `duration` ms of `current` nA (`frequency` kHz, `phase`
   * rad): `arbor.iclamp` up to 0.11, `arbor.i_clamp` from 0.12. Place it with
   * {@link Decor.stimulus}.
   */
  iclamp(
    start: number,
    duration: number,
    current: number,
    options: { frequency?: number; phase?: number } = {},
  ): PyObject {
    const extra: Record<string, Quantity> = {};
    if (options.frequency !== undefined) {
      extra.frequency = this.q(checkNumber(options.frequency, "frequency"), "kHz");
    }
    if (options.phase !== undefined) extra.phase = this.q(checkNumber(options.phase, "phase"), "rad");
    return this.arbor.callMethod(
      this.api.clamp,
      this.q(checkNumber(start, "start"), "ms"),
      this.q(checkNumber(duration, "duration"), "ms"),
      this.q(checkNumber(current, "current"), "nA"),
      kw(extra),
    );
  }

  /** `arbor.threshold_detector(threshold)` (mV). */
  thresholdDetector(threshold: number): PyObject {
    return this.arbor.callMethod("threshold_detector", this.q(checkNumber(threshold, "threshold"), "mV"));
  }

  /**
   * `arbor.cable_cell(morphology, decor, labels)`, with a CV policy (an s-expression such as
   * `"(max-extent 10)"`) where this version takes it: on the decor (0.9, 0.10) or as the
   * `discretization` argument (≥ 0.11).
   */
  cableCell(
    morphology: PyObject,
    decor: Decor | PyObject,
    labels: PyObject,
    options: { discretization?: string } = {},
  ): PyObject {
    let d = decor instanceof Decor ? decor.object : decor;
    if (options.discretization === undefined) {
      return this.arbor.callMethod("cable_cell", morphology, d, labels);
    }
    const policy = this.arbor.callMethod("cv_policy", options.discretization);
    if (this.api.discretization === "decor") {
      const result = d.callMethod("discretization", policy);
      if (!result.isNone) d = result;
      return this.arbor.callMethod("cable_cell", morphology, d, labels);
    }
    return this.arbor.callMethod("cable_cell", morphology, d, labels, kw({ discretization: policy }));
  }

  /** `arbor.connection((gid, label), dest, weight, delay)`; `delay` in ms. */
  connection(source: [number, string], dest: string, weight: number, delay: number): PyObject {
    return this.arbor.callMethod(
      "connection",
      tuple(source),
      dest,
      checkNumber(weight, "weight"),
      this.q(checkNumber(delay, "delay"), "ms"),
    );
  }

  /** `arbor.explicit_schedule(times)` (ms). */
  explicitSchedule(times: number[]): PyObject {
    return this.arbor.callMethod(
      "explicit_schedule",
      times.map((t, k) => this.q(checkNumber(t, `times[${k}]`), "ms")),
    );
  }

  /** `arbor.regular_schedule(dt)` (ms). */
  regularSchedule(dt: number): PyObject {
    return this.arbor.callMethod("regular_schedule", this.q(checkNumber(dt, "dt"), "ms"));
  }

  /** `arbor.event_generator(target, weight, arbor.explicit_schedule(times))`; `times` in ms. */
  eventGenerator(target: string, weight: number, times: number[]): PyObject {
    return this.arbor.callMethod(
      "event_generator",
      target,
      checkNumber(weight, "weight"),
      this.explicitSchedule(times),
    );
  }

  /**
   * Loads a denocat catalogue into Arbor: sets its layout to this Arbor's family first (before
   * Arbor reads it), then `arbor.load_catalogue(path)`. Loading the same catalogue again returns
   * the first result.
   */
  loadCatalogue(cat: Catalogue): PyObject {
    const known = this.#loaded.get(cat.path);
    if (known !== undefined) return known;
    if (cat.abi !== this.abi) cat.setAbi(this.abi);
    const loaded = this.arbor.callMethod("load_catalogue", cat.path);
    this.#loaded.set(cat.path, loaded);
    return loaded;
  }

  /**
   * Adds a denocat catalogue to cable-cell properties (`arbor.neuron_cable_properties()` or
   * `single_cell_model.properties`) under `prefix` (e.g. `"ts_"` to place `ts_hh` beside the
   * builtin `hh`). The prefix is always passed: Arbor 0.9/0.10 have no default for it.
   */
  extendCatalogue(properties: PyObject, cat: Catalogue, prefix = ""): void {
    const loaded = this.loadCatalogue(cat);
    const target = properties.get("catalogue");
    target.callMethod("extend", loaded, prefix).dispose();
    properties.set("catalogue", target); // a no-op where Arbor returned a reference
  }

  /**
   * `arbor.context(threads=1, gpu_id=None)`: the only context live TypeScript mechanisms can
   * run in. `options.threads` > 1 is for native and compiled catalogues only; `options.mpi` is
   * an `arbor.mpi_comm()` (see `mpi()`).
   */
  context(options: { threads?: number; mpi?: PyObject } = {}): PyObject {
    const threads = options.threads ?? 1;
    if (!Number.isInteger(threads) || threads < 1) {
      throw new RangeError(`context: threads must be a positive integer, got ${threads}`);
    }
    const extra = options.mpi === undefined ? {} : { mpi: options.mpi };
    return this.arbor.callMethod("context", kw({ threads, gpu_id: null, ...extra }));
  }

  /**
   * The domain decomposition {@link Arbor.simulation} uses by default: all cable cells of a
   * rank in one cell group, via `arbor.partition_load_balance` with
   * `partition_hint(cpu_group_size=num_cells)`. Arbor's own default puts each cell in its own
   * group, so each hook of a live mechanism would cross into JavaScript once per cell per step.
   */
  decomposition(recipe: PyObject, context: PyObject, decomposition: Decomposition = "one-group"): PyObject {
    if (decomposition instanceof PyObject) return decomposition;
    if (decomposition === "arbor") return this.arbor.callMethod("partition_load_balance", recipe, context);
    let size: number;
    if (decomposition === "one-group") size = Math.max(1, recipe.callMethod("num_cells").number());
    else {
      size = decomposition.cellsPerGroup;
      if (!Number.isInteger(size) || size < 1) {
        throw new RangeError(`decomposition: cellsPerGroup must be a positive integer, got ${size}`);
      }
    }
    const hint = this.arbor.callMethod("partition_hint", kw({ cpu_group_size: size }));
    const hints = new Map([[this.arbor.get("cell_kind").get("cable"), hint]]);
    return this.arbor.callMethod("partition_load_balance", recipe, context, hints);
  }

  /**
   * `arbor.simulation(recipe, context, domains)`: a one-thread context unless `options.context`
   * is given, and all cable cells in one cell group unless `options.decomposition` says
   * otherwise ({@link Decomposition}). A context with more threads is passed through: Arbor
   * then calls TypeScript from worker threads, those calls are refused, and the error naming
   * the mechanism, the hook and `arbor.context(threads=1)` is thrown by the call that returns
   * from Python next (this one, {@link Arbor.run}, or any other bridge call).
   */
  simulation(
    recipe: PyObject,
    options: { context?: PyObject; seed?: number; decomposition?: Decomposition } = {},
  ): PyObject {
    throwPendingFailures();
    const context = options.context ?? this.context();
    const domains = this.decomposition(recipe, context, options.decomposition);
    const extra = options.seed === undefined ? {} : { seed: options.seed };
    return this.arbor.callMethod("simulation", recipe, kw({ context, domains, ...extra }));
  }

  /**
   * `sim.run(tfinal, dt)` (ms). A TypeScript hook's error, or a refused call from a worker
   * thread, is thrown as soon as Python returns (the bridge checks every live catalogue).
   */
  run(sim: PyObject, tfinal: number, dt = 0.025): void {
    throwPendingFailures();
    sim.callMethod("run", kw({ tfinal: this.q(tfinal, "ms"), dt: this.q(dt, "ms") })).dispose();
  }

  /**
   * `model.run(tfinal, dt)` of an `arbor.single_cell_model` (ms; it uses its own one-thread
   * context); hook failures are thrown as in {@link Arbor.run}.
   */
  runModel(model: PyObject, tfinal: number, dt = 0.025): void {
    throwPendingFailures();
    model.callMethod("run", this.q(tfinal, "ms"), this.q(dt, "ms")).dispose();
  }

  /**
   * Starts recording spikes so that {@link Arbor.spikes} sees every cell's spikes, connected or
   * not: `spike_recording.all` (gathered over MPI ranks), except on Arbor 0.12 with one rank,
   * where `all` misses cells without outgoing connections and `local` is the same set. On 0.12
   * over several ranks, `all` is used and unconnected cells' spikes are missing (Arbor's
   * behaviour; connect them or gather `local` spikes yourself).
   */
  recordSpikes(sim: PyObject, context?: PyObject): void {
    const ranks = context === undefined ? 1 : context.get("ranks").number();
    const policy = this.api.allMissesUnconnected && ranks === 1 ? "local" : "all";
    sim.callMethod("record", this.arbor.get("spike_recording").get(policy)).dispose();
  }

  /** The recorded spikes, sorted by time, then gid, then index. */
  spikes(sim: PyObject): Spike[] {
    const rows = this.#pythonHelpers().callMethod("spikes", sim).toJS() as [number, number, number][];
    return rows.map(([gid, index, time]) => ({ gid, index, time }));
  }

  /**
   * Spikes of an `arbor.single_cell_model` (ms). Refused on Arbor 0.12, where
   * `single_cell_model.spikes` is empty for its (necessarily unconnected) cell.
   */
  modelSpikes(model: PyObject): number[] {
    if (this.api.allMissesUnconnected) {
      throw new Error(
        `Arbor ${this.version}: single_cell_model.spikes reports no spikes for a cell without outgoing ` +
          `connections; use arb.simulation() with arb.recordSpikes() and arb.spikes() instead`,
      );
    }
    return Array.from(model.get("spikes").toJS() as ArrayLike<number>);
  }

  /**
   * `model.probe("voltage", where, tag, frequency)` of a `single_cell_model`; `frequency` in kHz.
   * Arbor 0.9 takes no tag.
   */
  modelProbeVoltage(model: PyObject, where: string, tag: string, frequency: number): void {
    const values: Record<string, unknown> = {
      where,
      frequency: this.q(checkNumber(frequency, "frequency"), "kHz"),
    };
    if (this.api.modelProbeTag) values.tag = tag;
    model.callMethod("probe", "voltage", kw(values)).dispose();
  }

  /**
   * MPI for this process (one rank): initialises MPI once (`arbor.mpi_init()`, unless MPI is
   * already initialised, e.g. by mpi4py), and gives a one-thread MPI context with `rank` and
   * `ranks`. MPI is finalised exactly once when the program ends — normally, by `Deno.exit`, or
   * by an uncaught error — so `mpirun` does not report a rank that "exited without calling
   * finalize". Calling it again returns the same {@link ArborMpi}. Throws when this Arbor was
   * built without MPI (`arbor.config()["mpi"]` is false), saying what to install.
   *
   * ```ts ignore
   * const { context, rank, ranks } = arb.mpi(); // mpirun -n 4 deno run -A model.ts
   * const sim = arb.simulation(recipe, { context }); // one cell group per rank
   * ```
   */
  mpi(): ArborMpi {
    if (this.#mpi !== undefined) return this.#mpi;
    const config = this.arbor.callMethod("config");
    if (!config.item("mpi").truthy()) {
      throw new Error(
        `Arbor ${this.version} was built without MPI (arbor.config()["mpi"] is False). Install an MPI ` +
          `library (Debian/Ubuntu: apt-get install openmpi-bin libopenmpi-dev) and an Arbor built with it ` +
          `(CMAKE_ARGS="-DARB_WITH_MPI=ON" pip install --no-binary arbor arbor), then launch with ` +
          `mpirun -n N deno run -A <program>.`,
      );
    }
    const arbor = this.arbor;
    const initialisedHere = !arbor.callMethod("mpi_is_initialized").truthy();
    if (initialisedHere) arbor.callMethod("mpi_init").dispose();
    let finalised = false;
    const finalize = () => {
      if (finalised) return;
      finalised = true;
      for (const [event, listener] of listeners) globalThis.removeEventListener(event, listener);
      // Only the one who initialised MPI finalises it (mpi4py finalises its own at exit).
      if (initialisedHere && !arbor.callMethod("mpi_is_finalized").truthy()) {
        arbor.callMethod("mpi_finalize").dispose();
      }
    };
    const listeners: [string, () => void][] = [["unload", finalize], ["error", finalize], [
      "unhandledrejection",
      finalize,
    ]];
    for (const [event, listener] of listeners) globalThis.addEventListener(event, listener);
    const context = this.context({ mpi: arbor.callMethod("mpi_comm") });
    this.#mpi = {
      context,
      rank: context.get("rank").number(),
      ranks: context.get("ranks").number(),
      finalize,
    };
    return this.#mpi;
  }

  #pythonHelpers(): PyObject {
    if (this.#helpers === undefined) {
      const namespace = this.py.exec(ARBOR_HELPERS);
      this.#helpers = this.py.builtins.callMethod("type", "denocat_arbor", tuple([]), namespace);
    }
    return this.#helpers;
  }

  /**
   * A recipe whose methods are TypeScript: a Python subclass of `arbor.recipe`. `cellKind`
   * defaults to cable cells; `globalProperties` to `properties` when given.
   */
  recipe(methods: RecipeMethods): PyObject {
    const arbor = this.arbor;
    const members: Record<string, unknown> = {
      num_cells: () => methods.numCells,
      cell_kind: (_self: PyObject, gid: PyObject) =>
        methods.cellKind?.(gid.toJS() as number) ?? arbor.get("cell_kind").get("cable"),
      cell_description: (_self: PyObject, gid: PyObject) => methods.cellDescription(gid.toJS() as number),
    };
    if (methods.probes) {
      const probes = methods.probes;
      members.probes = (_self: PyObject, gid: PyObject) => probes(gid.toJS() as number);
    }
    if (methods.globalProperties) {
      const props = methods.globalProperties;
      members.global_properties = () => props;
    }
    if (methods.connectionsOn) {
      const connections = methods.connectionsOn;
      members.connections_on = (_self: PyObject, gid: PyObject) => connections(gid.toJS() as number);
    }
    if (methods.eventGenerators) {
      const generators = methods.eventGenerators;
      members.event_generators = (_self: PyObject, gid: PyObject) => generators(gid.toJS() as number);
    }
    const cls = this.py.defineClass("DenocatRecipe", [arbor.get("recipe")], members);
    return cls.call();
  }

  /** A probe: `arbor.<kind>(...args)` on 0.9, `arbor.<kind>(...args, tag)` on ≥ 0.10. */
  probe(kind: string, args: unknown[], tag: string): PyObject {
    return this.arbor.callMethod(kind, ...args, ...(this.api.probeTags ? [tag] : []));
  }

  /**
   * `sim.sample(...)` of probe `index` (0.9) / `tag` (≥ 0.10) on cell `gid`, every `dt` ms.
   */
  sample(sim: PyObject, gid: number, probe: { index: number; tag: string }, dt: number): PyObject {
    const address = tuple([gid, this.api.probeTags ? probe.tag : probe.index]);
    return sim.callMethod("sample", address, this.regularSchedule(dt));
  }

  /** The first sample set of `handle`: times (ms) and values. */
  samples(sim: PyObject, handle: PyObject): { time: Float64Array; value: Float64Array } {
    const all = sim.callMethod("samples", handle);
    if (all.len() === 0) throw new Error("no samples were recorded for this handle");
    const data = all.item(0).item(0).buffer();
    if (data.shape.length !== 2 || data.shape[1] < 2) {
      throw new Error(
        `samples of this handle have shape [${data.shape}], expected [rows, 2 or more] (time, value, ...)`,
      );
    }
    const rows = data.shape[0], columns = data.shape[1];
    const time = new Float64Array(rows), value = new Float64Array(rows);
    for (let r = 0; r < rows; r++) {
      time[r] = data.data[r * columns];
      value[r] = data.data[r * columns + 1];
    }
    return { time, value };
  }
}

/** Python helpers of {@link Arbor} (code that is identical on every version). */
const ARBOR_HELPERS = `
def spikes(sim):
    # Arbor returns a structured array ((gid, index), time); iterate it the same way everywhere.
    rows = [(int(gid), int(index), float(time)) for (gid, index), time in sim.spikes()]
    rows.sort(key=lambda r: (r[2], r[0], r[1]))
    return rows
`;

function checkNumber(value: unknown, what: string): number {
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw new TypeError(`${what} must be a finite number (in Arbor's documented unit), got ${String(value)}`);
  }
  return value;
}

/** What {@link Arbor.mpi} gives: this rank's one-thread MPI context. */
export interface ArborMpi {
  /** `arbor.context(threads=1, gpu_id=None, mpi=arbor.mpi_comm())`. */
  readonly context: PyObject;
  /** This process's rank. */
  readonly rank: number;
  /** Number of ranks. */
  readonly ranks: number;
  /** Finalises MPI now (otherwise done once when the program ends); later calls do nothing. */
  finalize(): void;
}

/** TypeScript methods of a recipe (see {@link Arbor.recipe}); gids are numbers. */
export interface RecipeMethods {
  /** Number of cells. */
  numCells: number;
  /** The cell of `gid` (e.g. an `arbor.cable_cell`). */
  cellDescription(gid: number): PyObject;
  /** The kind of `gid` (default `arbor.cell_kind.cable`). */
  cellKind?(gid: number): PyObject;
  /** Probes on `gid`. */
  probes?(gid: number): PyObject[] | PyObject;
  /** Global properties (returned for every kind). */
  globalProperties?: PyObject;
  /** Connections onto `gid`. */
  connectionsOn?(gid: number): PyObject[] | PyObject;
  /** Event generators of `gid`. */
  eventGenerators?(gid: number): PyObject[] | PyObject;
}

let arborInstance: Arbor | undefined;

/**
 * Imports Arbor into the embedded Python and chooses the catalogue layout from
 * `arbor.__version__` (0.9/0.10 → "0.6", 0.11/0.12 → "0.7"). Unknown versions are refused
 * unless `options.abi` names the layout. Throws {@link ArborUnavailableError} when `import arbor`
 * fails.
 */
export function loadArbor(options: ArborOptions = {}): Arbor {
  if (arborInstance !== undefined) {
    if (options.abi !== undefined && options.abi !== arborInstance.abi) {
      throw new Error(
        `Arbor is already loaded with ABI ${arborInstance.abi}; cannot switch to ${options.abi}`,
      );
    }
    return arborInstance;
  }
  const py = loadPython(options.python);
  let arbor: PyObject;
  try {
    arbor = py.import("arbor");
  } catch (cause) {
    throw new ArborUnavailableError(
      `cannot import arbor (${(cause as Error).message}); install it with "pip install arbor" for the ` +
        `Python that provides ${py.libraryPath}`,
      { cause },
    );
  }
  const version = arbor.get("__version__").toString();
  const abi = options.abi ?? abiForArborVersion(version);
  if (abi === undefined) {
    throw new Error(
      `Arbor ${version} is not supported: denocat knows the catalogue layouts of Arbor 0.9–0.12. If ` +
        `this Arbor's mechanism ABI is known to match one, pass loadArbor({ abi: "0.6" | "0.7" }).`,
    );
  }
  arborInstance = new Arbor(py, arbor, version, abi, apiOf(arbor, version));
  return arborInstance;
}

/**
 * The API row of `version`; for a version newer than the table (loaded with an explicit `abi`),
 * the newest row. Then the module is checked against the row where that is cheap (units and
 * the clamp class), so a mismatch is an error here rather than a confusing one later.
 */
function apiOf(arbor: PyObject, version: string): ArborApi {
  const newest = Math.max(...Object.keys(ARBOR_APIS).map(Number)) as keyof typeof ARBOR_APIS;
  const api = arborApiForVersion(version) ?? ARBOR_APIS[newest];
  const problems: string[] = [];
  if (arbor.has("units") !== api.units) {
    problems.push(api.units ? "arbor.units is missing" : "arbor.units exists although 0.9 has none");
  }
  if (!arbor.has(api.clamp)) problems.push(`arbor.${api.clamp} is missing`);
  if (problems.length > 0) {
    throw new Error(
      `Arbor ${version} does not have the Python API of Arbor 0.${api.minor} that denocat expects: ` +
        `${problems.join(", ")}. Is this a patched or unreleased Arbor? See ARBOR_APIS in arbor_api.ts.`,
    );
  }
  return api;
}

/**
 * `loadArbor()`, or the reason it is unavailable (for examples and tests that skip without
 * Arbor). Other errors (an unsupported version, no libpython) are thrown.
 */
export function tryLoadArbor(options: ArborOptions = {}): Arbor | ArborUnavailableError {
  try {
    return loadArbor(options);
  } catch (error) {
    if (error instanceof ArborUnavailableError) return error;
    throw error;
  }
}
