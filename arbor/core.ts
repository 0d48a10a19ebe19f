/**
 * The {@link Arbor} class (part of arbor/mod.ts): Arbor loaded into the embedded Python, with helpers
 * that write the same model on every supported version. Units, decors, simulations, MPI and
 * recipes are in the modules beside this one.
 *
 * @module
 */
import { throwPendingFailures } from "../ffi/failures.ts";
import type { AbiFamily } from "../ffi/layout.ts";
import type { Catalogue } from "../catalogue/api.ts";
import { kw, type PyObject, type Python, tuple } from "../ffi/python/mod.ts";
import type { ArborApi } from "./versions.ts";
import { Decor } from "./decor.ts";
import { type ArborMpi, startMpi } from "./mpi.ts";
import { defineRecipe, prefetchRecipe, type RecipeMethods } from "./recipes.ts";
import {
  ARBOR_HELPERS,
  type Decomposition,
  domainDecomposition,
  readSamples,
  type Spike,
} from "./simulation.ts";
import {
  type CableProperties,
  checkNumber,
  ionKeywordValues,
  type IonValues,
  propertyValues,
  type Quantity,
  quantity,
} from "./units.ts";

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
    return quantity(this.units, value, unit);
  }

  /** `arbor.<name>(...args)`. */
  call(name: string, ...args: unknown[]): PyObject {
    return this.arbor.callMethod(name, ...args);
  }

  /** @internal Cable properties as keyword values of this version. */
  properties(properties: CableProperties): Record<string, Quantity> {
    return propertyValues(this.units, properties);
  }

  /** @internal Ion values as keyword values of this version. */
  ionValues(values: IonValues): Record<string, unknown> {
    return ionKeywordValues(this.units, values);
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
    return domainDecomposition(this.arbor, recipe, context, decomposition);
  }

  /**
   * `arbor.simulation(recipe, context, domains)`: a one-thread context unless `options.context`
   * is given, and all cable cells in one cell group unless `options.decomposition` says
   * otherwise ({@link Decomposition}). A context with more threads is passed through, and a
   * recipe of {@link Arbor.recipe} is first asked for every cell's description, probes,
   * connections and generators on this thread (Arbor asks for them from its worker threads).
   * Live mechanisms' hooks are then called from worker threads too: those calls are refused, and
   * the error naming the mechanism, the hook and `arbor.context(threads=1)` is thrown by the call
   * that returns from Python next (this one, {@link Arbor.run}, or any other bridge call). Native
   * and compiled catalogues run on every thread.
   */
  simulation(
    recipe: PyObject,
    options: { context?: PyObject; seed?: number; decomposition?: Decomposition } = {},
  ): PyObject {
    throwPendingFailures();
    const context = options.context ?? this.context();
    if (context.get("threads").number() > 1) prefetchRecipe(this.py, recipe);
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
    this.#mpi ??= startMpi(this);
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
    return defineRecipe(this.py, this.arbor, methods);
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
    return readSamples(sim, handle);
  }
}
