/**
 * Real Arbor, from Deno, through the embedded CPython of `ffi/python.ts`: load Arbor, pick the
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
 * Threads: mechanisms written in TypeScript run on Deno's main thread only, so every simulation
 * must use `arbor.context(threads=1)` ({@link Arbor.context}, used by {@link Arbor.simulation}).
 * With more threads Arbor calls mechanisms (and recipe methods) from worker threads: those calls
 * are refused rather than run, and the run ends with the catalogue's error naming the
 * mechanism, the hook and `arbor.context(threads=1)`.
 *
 * @module
 */
import { throwPendingFailures } from "./ffi/catalogue.ts";
import type { AbiFamily } from "./ffi/layout.ts";
import type { Catalogue } from "./mod.ts";
import { kw, loadPython, type PyObject, type Python, type PythonOptions } from "./ffi/python.ts";

export type { AbiFamily, Catalogue, PyObject, Python, PythonOptions };

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
  /** `arbor.units` (Arbor ≥ 0.10), or undefined for the plain numbers of Arbor 0.9. */
  readonly units: PyObject | undefined;
  readonly #loaded = new Map<string, PyObject>();

  /** @internal Use {@link loadArbor}. */
  constructor(py: Python, arbor: PyObject, version: string, abi: AbiFamily) {
    this.py = py;
    this.arbor = arbor;
    this.version = version;
    this.abi = abi;
    this.units = arbor.has("units") ? arbor.get("units") : undefined;
  }

  /** True on Arbor ≥ 0.10, whose API takes unit quantities (and probe tags). */
  get hasUnits(): boolean {
    return this.units !== undefined;
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

  /** `arbor.context(threads=1, gpu_id=None)`: the only context TypeScript mechanisms can run in. */
  context(): PyObject {
    return this.arbor.callMethod("context", kw({ threads: 1, gpu_id: null }));
  }

  /**
   * `arbor.simulation(recipe, context)` with a one-thread context unless `options.context` is
   * given. A context with more threads is passed through: Arbor then calls TypeScript from worker
   * threads, those calls are refused, and the error naming `arbor.context(threads=1)` is thrown
   * here or by {@link Arbor.run}.
   */
  simulation(recipe: PyObject, options: { context?: PyObject; seed?: number } = {}): PyObject {
    throwPendingFailures();
    const context = options.context ?? this.context();
    const extra = options.seed === undefined ? {} : { seed: options.seed };
    let sim: PyObject;
    try {
      sim = this.arbor.callMethod("simulation", recipe, kw({ context, ...extra }));
    } catch (error) {
      throwPendingFailures(); // a hook's own error explains the failure better
      throw error;
    }
    throwPendingFailures();
    return sim;
  }

  /**
   * `sim.run(tfinal, dt)` (ms), then rethrows the first error a TypeScript hook raised during the
   * run, as the original JS error.
   */
  run(sim: PyObject, tfinal: number, dt = 0.025): void {
    throwPendingFailures();
    try {
      sim.callMethod("run", kw({ tfinal: this.q(tfinal, "ms"), dt: this.q(dt, "ms") })).dispose();
    } catch (error) {
      throwPendingFailures();
      throw error;
    }
    throwPendingFailures();
  }

  /**
   * `model.run(tfinal, dt)` of an `arbor.single_cell_model` (ms; it uses its own one-thread
   * context), then rethrows the first error a TypeScript hook raised, as the original JS error.
   */
  runModel(model: PyObject, tfinal: number, dt = 0.025): void {
    throwPendingFailures();
    try {
      model.callMethod("run", this.q(tfinal, "ms"), this.q(dt, "ms")).dispose();
    } catch (error) {
      throwPendingFailures();
      throw error;
    }
    throwPendingFailures();
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
    return this.arbor.callMethod(kind, ...args, ...(this.hasUnits ? [tag] : []));
  }

  /**
   * `sim.sample(...)` of probe `index` (0.9) / `tag` (≥ 0.10) on cell `gid`, every `dt` ms.
   */
  sample(sim: PyObject, gid: number, probe: { index: number; tag: string }, dt: number): PyObject {
    const id = this.py.toPython([gid, this.hasUnits ? probe.tag : probe.index]);
    const address = this.py.builtins.callMethod("tuple", id);
    const schedule = this.arbor.callMethod("regular_schedule", this.q(dt, "ms"));
    return sim.callMethod("sample", address, schedule);
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
  arborInstance = new Arbor(py, arbor, version, abi);
  return arborInstance;
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
