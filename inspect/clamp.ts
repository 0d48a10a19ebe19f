/**
 * The voltage clamp of `inspect`: one isolated compartment per sweep on the native test host,
 * whose membrane voltage follows the sweep's waveform exactly.
 *
 * How the voltage is held. The host's own `vclamp` holds a constant level over a window; a ramp or
 * an action-potential waveform would need one window per step, checked every step. Instead a
 * voltage process (Arbor's `VOLTAGE_PROCESS` kind, a small raw-hook mechanism defined here) sets
 * each compartment's voltage to its waveform's next value at the end of every step, after the
 * cable solve and the state update, as Arbor runs voltage processes (docs/abi.md 4.2); at reset it
 * sets the first value before any other mechanism's init. The mechanism under test therefore
 * computes its current at step i at exactly the waveform's V(i·dt). Its `advance_state` runs after
 * the solve has moved v by dt·i/cm: the compartments get cm = 1e100 F/m², so that move is far
 * below one rounding unit of any voltage a protocol asks for. Currents are the host's `vec_i`
 * sampled at the start of each step (before the solve): in A/m², reported in mA/cm² for a density
 * mechanism (÷ 10) and in nA for a point mechanism (one synapse on a 1000 µm² compartment, whose
 * weight 1000/area is 1).
 *
 * @module
 */
import { Host } from "../host/host.ts";
import type { IonSpecies } from "../host/types.ts";
import { defineMechanism } from "../mechanism/define.ts";
import type { DeclaredMechanism } from "../mechanism/types.ts";
import { type Catalogue, catalogue } from "../catalogue/api.ts";
import type { MechanismSpec } from "../ffi/spec.ts";
import type { Progress } from "../platform/progress.ts";
import { InspectError } from "./quantity.ts";

/** The compartments' capacitance, F/m²: large enough that the cable solve never moves the clamped v. */
export const CLAMP_CM = 1e100;

/** The compartments' area, µm²: a point mechanism's weight 1000/area is then 1 (its current in nA). */
export const CLAMP_AREA_UM2 = 1000;

/** The name of the voltage process that clamps. */
export const CLAMP_MECHANISM = "denocat_inspect_clamp";

/** Everything fixed about one mechanism under the clamp. */
export interface Setup {
  /** Its label. */
  label: string;
  /** Its spec. */
  spec: MechanismSpec;
  /** density or point. */
  kind: "density" | "point";
  /** Parameter values by Arbor name (every parameter, defaults included), in spec order. */
  parameterValues: number[];
  /** Global values, in spec order. */
  globalValues: number[];
  /** The ions it uses, each with the species values the compartments get. */
  ions: { name: string; species: IonSpecies }[];
  /** Temperature, °C. */
  temperature: number;
  /** Time step, ms. */
  dt: number;
  /** CV diameter, µm. */
  diamUm: number;
  /** Unit of its currents. */
  currentUnit: "mA/cm2" | "nA";
}

/** What one run recorded, per sweep. */
export interface Recorded {
  /** Per sweep: "i" (the total) and one entry per ion current ("ina"), each `steps` samples. */
  currents: Record<string, Float64Array>[];
  /** Per sweep, per requested state: `steps` samples (only when recorded). */
  states: Record<string, Float64Array>[];
}

/** A chunk of a run, for online analysis: rows `first`..`first + rows - 1` of every sweep. */
export interface Chunk {
  /** Step index of the first row. */
  first: number;
  /** Rows in this chunk. */
  rows: number;
  /** Per sweep, per requested state, this chunk's samples. */
  states: Record<string, Float64Array>[];
}

/** How to run one protocol's sweeps. */
export interface RunRequest {
  /** Per sweep: the voltage at steps 0..steps (steps + 1 values). */
  voltages: readonly Float64Array[];
  /** States (by key) to probe. */
  states?: readonly string[];
  /** Keep every sample of the currents and states (default true); false: only `visit` sees them. */
  record?: boolean;
  /** Steps to run (default: the waveforms' length); past a waveform's end its last value holds. */
  steps?: number;
  /** Called when the steps are done: more steps to run (0 or nothing: stop). Only without `record`. */
  extend?: () => number;
  /** Called after every chunk, in order. */
  visit?: (chunk: Chunk) => void;
  /** Names sweep `k` in errors, e.g. "activation sweep at -40 mV". */
  sweep: (k: number) => string;
  /** Shared progress line. */
  progress?: ProgressCount;
}

/** A progress line shared by the runs of one `inspect` call: steps done and expected, over all sweeps. */
export interface ProgressCount {
  /** The line. */
  line: Progress;
  /** Sweep-steps done so far. */
  done: number;
  /** Sweep-steps expected in all. */
  total: number;
}

/** At most this many numbers per chunk of a run (the host allocates them per `run`). */
const CHUNK_NUMBERS = 1 << 21;

/** One clamp rig per `inspect` call: the voltage-process catalogue and the waveform it plays. */
export class ClampRig {
  #playing: readonly Float64Array[] = [];
  #step = 0;
  #catalogue: Promise<Catalogue> | undefined;
  readonly #clamp: DeclaredMechanism;

  /** Defines the voltage process (its catalogue is built on first use). */
  constructor() {
    const set = (pp: { width: number; nodeIndex: Int32Array; v: Float64Array }, step: number) => {
      for (let k = 0; k < pp.width; k++) {
        const node = pp.nodeIndex[k];
        const wave = this.#playing[node];
        if (wave !== undefined) pp.v[node] = wave[Math.min(step, wave.length - 1)];
      }
    };
    this.#clamp = defineMechanism({ name: CLAMP_MECHANISM, kind: "voltage" }, {
      init: (pp) => {
        this.#step = 0;
        set(pp, 0);
      },
      advanceState: (pp) => set(pp, ++this.#step),
    });
  }

  /** Runs `request`'s sweeps of the mechanism of `mechanisms` (a catalogue with it) under `setup`. */
  async run(setup: Setup, mechanisms: Catalogue, request: RunRequest): Promise<Recorded> {
    const clamp = await (this.#catalogue ??= catalogue({ mechanisms: [this.#clamp], target: "js" }));
    const { voltages, states = [] } = request;
    const record = request.record ?? true;
    const count = voltages.length;
    let steps = request.steps ?? voltages[0].length - 1;
    const { spec } = setup;
    using host = await Host.create({ catalogues: [mechanisms, clamp] });
    host.setCvs({
      count,
      areaUm2: CLAMP_AREA_UM2,
      diamUm: setup.diamUm,
      cm: CLAMP_CM,
      temperatureDegC: setup.temperature,
      vInit: voltages.map((w) => w[0]),
    });
    for (const { name, species } of setup.ions) host.addIon(name, species);
    const cvs = Array.from({ length: count }, (_, k) => k);
    const placement = host.place(spec.name, {
      cvs,
      parameters: Object.fromEntries(spec.parameters.map((f, j) => [f.name, setup.parameterValues[j]])),
      globals: Object.fromEntries(spec.globals.map((f, j) => [f.name, setup.globalValues[j]])),
    });
    host.place(CLAMP_MECHANISM, { cvs });
    const stateNames = states.map((key) => {
      const field = spec.states.find((f) => f.key === key);
      if (field === undefined) throw new Error(`internal: '${spec.name}' has no state ${key}`);
      return field.name;
    });
    const columns = cvs.map((cv) => ({
      i: host.probeCurrent(cv),
      ions: setup.ions.map((ion) => host.probeIon(ion.name, "i", cv)),
      states: stateNames.map((name) => host.probeState(placement, name, cv)),
    }));
    const probeCount = columns.length * (1 + setup.ions.length + states.length) + 1;
    const chunk = Math.max(1, Math.floor(CHUNK_NUMBERS / probeCount));
    const currents = Array.from({ length: count }, () => {
      const out: Record<string, Float64Array> = { i: new Float64Array(record ? steps : 0) };
      for (const ion of setup.ions) out[`i${ion.name}`] = new Float64Array(record ? steps : 0);
      return out;
    });
    const recordedStates = Array.from(
      { length: count },
      () => Object.fromEntries(states.map((key) => [key, new Float64Array(record ? steps : 0)])),
    );
    // A density current is 10·weight·I A/m² (weight 1); a point current weight·I with weight 1000/area = 1.
    const toUnit = setup.kind === "density" ? (x: number) => x / 10 : (x: number) => x;
    this.#playing = voltages;
    try {
      for (let first = 0, rows = 0;; first += rows) {
        if (first >= steps) {
          // Done, unless the caller asks for more (an unrecorded run only: recorded arrays are sized).
          const more = record ? 0 : request.extend?.() ?? 0;
          if (!(more > 0)) break;
          steps += more;
        }
        rows = Math.min(chunk, steps - first);
        let result;
        try {
          result = host.run({ until: (first + rows) * setup.dt, dt: setup.dt, progress: false });
        } catch (error) {
          throw namedFailure(error as Error, request, first * setup.dt, (first + rows) * setup.dt);
        }
        if (result.steps !== rows) {
          throw new Error(`internal: the host ran ${result.steps} steps where ${rows} were asked`);
        }
        const chunkStates = columns.map((c) =>
          Object.fromEntries(states.map((key, s) => [key, result.probes[c.states[s]]]))
        );
        columns.forEach((c, k) => {
          if (!record) return;
          const out = currents[k];
          const total = result.probes[c.i];
          for (let r = 0; r < rows; r++) out.i[first + r] = toUnit(total[r]);
          setup.ions.forEach((ion, j) => {
            const values = result.probes[c.ions[j]], target = out[`i${ion.name}`];
            for (let r = 0; r < rows; r++) target[first + r] = toUnit(values[r]);
          });
          for (const key of states) recordedStates[k][key].set(chunkStates[k][key], first);
        });
        request.visit?.({ first, rows, states: chunkStates });
        if (request.progress) {
          const p = request.progress;
          p.done += rows * count;
          p.total = Math.max(p.total, p.done);
          p.line.update(p.done, p.total);
        }
      }
    } finally {
      this.#playing = [];
    }
    return { currents, states: recordedStates };
  }

  /** Closes the voltage process's catalogue. */
  async close(): Promise<void> {
    const pending = this.#catalogue;
    this.#catalogue = undefined;
    if (pending) (await pending.catch(() => undefined))?.close();
  }
}

/** A host failure (a kernel's NaN names instance and CV) with the sweep and time it happened in. */
function namedFailure(error: Error, request: RunRequest, from: number, to: number): Error {
  const cv = /\(CV (\d+)\)/.exec(error.message);
  const where = cv ? request.sweep(Number(cv[1])) : `one of the sweeps (${request.sweep(0)} ...)`;
  const failure = new InspectError(
    `${where}, between t = ${format(from)} and ${format(to)} ms: ${error.message}`,
  );
  failure.cause = error;
  return failure;
}

function format(ms: number): string {
  return Number(ms.toPrecision(10)).toString();
}
