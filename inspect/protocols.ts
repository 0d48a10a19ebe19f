/**
 * The voltage-clamp protocols of `inspect`, with ICGenealogy's shapes and defaults (Podlaski et
 * al. 2017, eLife 6:e22152; the generic protocols of its `icg-nrn-sim`): activation,
 * inactivation, deactivation, ramp and an action-potential clamp. Each protocol is a family of
 * sweeps, each sweep a voltage waveform sampled at the start of every time step; the parameters
 * (mV, ms, or text with a unit) are checked here and named in every error.
 *
 * ICGenealogy clamps a recorded action-potential train (`APwaveform.dat`, 1.8 s) that denocat does
 * not ship: the `ap` protocol's default is a synthetic train of the same length (three bursts at 10,
 * 50 and 100 Hz), and any recorded waveform can be given instead (`waveform`).
 *
 * @module
 */
import {
  describe,
  type Dimension,
  InspectError,
  membraneVoltage,
  positive,
  quantities,
  type Quantity,
  quantity,
} from "./quantity.ts";

/** A protocol's name. */
export type ProtocolName = "activation" | "inactivation" | "deactivation" | "ramp" | "ap";

/** The protocols, in the order they run and are reported. */
export const PROTOCOL_NAMES: readonly ProtocolName[] = [
  "activation",
  "inactivation",
  "deactivation",
  "ramp",
  "ap",
];

/** A recorded voltage waveform: `v[i]` mV at `time[i]` ms (ascending), linearly interpolated. */
export interface Waveform {
  /** Sample times, ms, ascending, from 0. */
  time: readonly number[];
  /** Voltages, mV. */
  v: readonly number[];
}

/** Activation: from `hold`, one step per level `from`..`to` (by `step`) for `duration`, then back. */
export interface ActivationParameters {
  /** Holding voltage (default -80 mV). */
  hold?: Quantity;
  /** Time at `hold` before the step (default 100 ms). */
  before?: Quantity;
  /** First step level (default -80 mV). */
  from?: Quantity;
  /** Last step level (default 70 mV). */
  to?: Quantity;
  /** Between levels (default 10 mV). */
  step?: Quantity;
  /** Length of the step (default 500 ms). */
  duration?: Quantity;
  /** Time back at `hold` after it (default 100 ms). */
  after?: Quantity;
}

/** Inactivation: conditioning levels `from`..`to` for `duration`, then a test pulse at `test`. */
export interface InactivationParameters {
  /** Holding voltage (default -80 mV). */
  hold?: Quantity;
  /** Time at `hold` first (default 100 ms). */
  before?: Quantity;
  /** First conditioning level (default -100 mV). */
  from?: Quantity;
  /** Last conditioning level (default 40 mV). */
  to?: Quantity;
  /** Between levels (default 10 mV). */
  step?: Quantity;
  /** Length of the conditioning step (default 1500 ms). */
  duration?: Quantity;
  /** Test pulse level (default 30 mV). */
  test?: Quantity;
  /** Test pulse length (default 50 ms). */
  testDuration?: Quantity;
  /** Time back at `hold` (default 100 ms). */
  after?: Quantity;
}

/** Deactivation: activate at `activate`, then step to levels `from`..`to` (tail currents). */
export interface DeactivationParameters {
  /** Holding voltage (default -80 mV). */
  hold?: Quantity;
  /** Time at `hold` first (default 100 ms). */
  before?: Quantity;
  /** Activating level (default 70 mV). */
  activate?: Quantity;
  /** Length of the activating step (default 300 ms). */
  activateDuration?: Quantity;
  /** First level (default -100 mV). */
  from?: Quantity;
  /** Last level (default 40 mV). */
  to?: Quantity;
  /** Between levels (default 10 mV). */
  step?: Quantity;
  /** Length of the step (default 200 ms). */
  duration?: Quantity;
  /** Time back at `hold` (default 100 ms). */
  after?: Quantity;
}

/** Ramp: triangles from `hold` up to `peak` and back, each lasting one entry of `ramps`. */
export interface RampParameters {
  /** Holding voltage (default -80 mV). */
  hold?: Quantity;
  /** Top of every ramp (default 70 mV). */
  peak?: Quantity;
  /** Time at `hold` first (default 100 ms). */
  before?: Quantity;
  /** Length of each triangle, up and down (default 800, 400, 200, 100 ms). */
  ramps?: Quantity | readonly Quantity[];
  /** Time at `hold` between triangles (default 400 ms). */
  between?: Quantity;
  /** Time at `hold` at the end (default 100 ms). */
  after?: Quantity;
}

/** Action-potential clamp: a synthetic spike train, or a recorded `waveform`. */
export interface ApParameters {
  /** Resting voltage between spikes (default -65 mV). */
  rest?: Quantity;
  /** Spike peak (default 40 mV). */
  peak?: Quantity;
  /** After-hyperpolarisation trough (default -75 mV). */
  trough?: Quantity;
  /** Rise time, rest to peak (default 0.5 ms). */
  rise?: Quantity;
  /** Fall time, peak to trough (default 1.5 ms). */
  fall?: Quantity;
  /** Time constant of the return from trough to rest (default 10 ms). */
  recovery?: Quantity;
  /** Spike times (default: 5 at 10 Hz from 100 ms, 10 at 50 Hz from 700 ms, 20 at 100 Hz from 1100 ms). */
  times?: Quantity | readonly Quantity[];
  /** Length of the sweep (default 1800 ms). */
  duration?: Quantity;
  /** A recorded waveform instead of the synthetic train (its last time is the length). */
  waveform?: Waveform;
}

/** Which protocols to run, each `true` (defaults) or with parameters to override. */
export interface ProtocolSettings {
  /** Activation steps. */
  activation?: boolean | ActivationParameters;
  /** Steady-state inactivation. */
  inactivation?: boolean | InactivationParameters;
  /** Deactivation (tail currents). */
  deactivation?: boolean | DeactivationParameters;
  /** Ramps. */
  ramp?: boolean | RampParameters;
  /** Action-potential clamp. */
  ap?: boolean | ApParameters;
}

/** One parameter of a protocol: its dimension, default, and whether it is a list. */
interface ParameterSpec {
  dimension: Dimension | "waveform";
  default?: number | readonly number[];
  list?: boolean;
  doc: string;
}

const TRAIN: number[] = [
  ...Array.from({ length: 5 }, (_, k) => 100 + 100 * k),
  ...Array.from({ length: 10 }, (_, k) => 700 + 20 * k),
  ...Array.from({ length: 20 }, (_, k) => 1100 + 10 * k),
];

const v = (value: number, doc: string): ParameterSpec => ({ dimension: "voltage", default: value, doc });
const t = (value: number, doc: string): ParameterSpec => ({ dimension: "time", default: value, doc });

/** Every protocol's parameters with their defaults, in the order docs/inspect.md lists them. */
export const PROTOCOL_PARAMETERS: Readonly<Record<ProtocolName, Readonly<Record<string, ParameterSpec>>>> = {
  activation: {
    hold: v(-80, "holding voltage"),
    before: t(100, "time at hold before the step"),
    from: v(-80, "first step level"),
    to: v(70, "last step level"),
    step: v(10, "between levels"),
    duration: t(500, "length of the step"),
    after: t(100, "time back at hold"),
  },
  inactivation: {
    hold: v(-80, "holding voltage"),
    before: t(100, "time at hold first"),
    from: v(-100, "first conditioning level"),
    to: v(40, "last conditioning level"),
    step: v(10, "between levels"),
    duration: t(1500, "length of the conditioning step"),
    test: v(30, "test pulse level"),
    testDuration: t(50, "test pulse length"),
    after: t(100, "time back at hold"),
  },
  deactivation: {
    hold: v(-80, "holding voltage"),
    before: t(100, "time at hold first"),
    activate: v(70, "activating level"),
    activateDuration: t(300, "length of the activating step"),
    from: v(-100, "first level"),
    to: v(40, "last level"),
    step: v(10, "between levels"),
    duration: t(200, "length of the step"),
    after: t(100, "time back at hold"),
  },
  ramp: {
    hold: v(-80, "holding voltage"),
    peak: v(70, "top of every ramp"),
    before: t(100, "time at hold first"),
    ramps: { dimension: "time", default: [800, 400, 200, 100], list: true, doc: "length of each triangle" },
    between: t(400, "time at hold between triangles"),
    after: t(100, "time at hold at the end"),
  },
  ap: {
    rest: v(-65, "resting voltage between spikes"),
    peak: v(40, "spike peak"),
    trough: v(-75, "after-hyperpolarisation trough"),
    rise: t(0.5, "rise time, rest to peak"),
    fall: t(1.5, "fall time, peak to trough"),
    recovery: t(10, "time constant of the return to rest"),
    times: { dimension: "time", default: TRAIN, list: true, doc: "spike times" },
    duration: t(1800, "length of the sweep"),
    waveform: { dimension: "waveform", doc: "a recorded waveform {time, v} instead of the train" },
  },
};

/** Titles of the protocols, for figures and tables. */
export const PROTOCOL_TITLES: Readonly<Record<ProtocolName, string>> = {
  activation: "activation",
  inactivation: "inactivation",
  deactivation: "deactivation",
  ramp: "ramp",
  ap: "action-potential clamp",
};

/** One piece of a sweep: `from` to `to` mV, linearly, over `steps` time steps. */
interface Segment {
  steps: number;
  from: number;
  to: number;
}

/** One sweep: its waveform and the level it steps to (the x of the protocol's curves). */
export interface SweepPlan {
  /** The swept level (mV), or undefined for a protocol of one sweep. */
  level?: number;
  /** Legend label, e.g. `-40 mV`. */
  label: string;
  /** Voltage at the start of every step 0..steps (steps + 1 values). */
  voltage: Float64Array;
  /** Steps [start, end) of the segment the protocol measures, if any. */
  measure?: [number, number];
}

/** A protocol made concrete for one time step. */
export interface ProtocolPlan {
  /** Which protocol. */
  name: ProtocolName;
  /** Its parameters after defaults and units (mV, ms; lists as arrays). */
  parameters: Record<string, number | number[]>;
  /** Every sweep, same length. */
  sweeps: SweepPlan[];
  /** Time steps per sweep. */
  steps: number;
  /** What the measured segment's x is called (`step V`, `conditioning V`), when there is one. */
  measures?: string;
}

/** The levels `from`, `from + step`, ... up to `to` (included when it falls on the grid). */
export function levels(what: string, from: number, to: number, step: number, limit = 10_000): number[] {
  membraneVoltage(`${what}.from`, from);
  membraneVoltage(`${what}.to`, to);
  positive(`${what}.step`, step, "mV");
  if (!(from <= to)) {
    throw new InspectError(`${what}: from = ${from} mV is above to = ${to} mV; give from <= to`);
  }
  const count = Math.floor((to - from) / step + 1e-9) + 1;
  if (count > limit) {
    throw new InspectError(
      `${what}: ${from}..${to} mV in steps of ${step} mV is ${count} levels, more than ${limit}; take a larger step`,
    );
  }
  // By multiplication, not accumulation: -100 + 7·10 is -30 exactly, a sum of tenths is not.
  return Array.from({ length: count }, (_, k) => roundLevel(from + k * step));
}

/** A level computed as from + k·step, with the rounding of a decimal grid removed (0.1·3 → 0.3). */
function roundLevel(x: number): number {
  const rounded = Number(x.toPrecision(12));
  return Math.abs(rounded - x) <= 1e-9 * Math.max(1, Math.abs(x)) ? rounded : x;
}

/** The parameters of `name` after the user's `given`, in mV and ms; unknown names are refused. */
export function protocolParameters(
  name: ProtocolName,
  given: Record<string, unknown> = {},
): Record<string, number | number[]> {
  const specs = PROTOCOL_PARAMETERS[name];
  for (const key of Object.keys(given)) {
    if (!Object.hasOwn(specs, key)) {
      throw new InspectError(
        `protocol ${name} has no parameter '${key}'; its parameters are ${Object.keys(specs).join(", ")}`,
      );
    }
  }
  const out: Record<string, number | number[]> = {};
  for (const [key, spec] of Object.entries(specs)) {
    if (spec.dimension === "waveform") continue;
    const value = given[key] ?? spec.default;
    const what = `${name}.${key}`;
    out[key] = spec.list
      ? quantities(what, typeof value === "number" ? [value] : value, spec.dimension)
      : quantity(what, value, spec.dimension);
    if (spec.dimension === "voltage") membraneVoltage(what, out[key] as number);
  }
  return out;
}

/** Whole steps of `dt` in `ms`; a duration that is no whole number of steps is refused by name. */
function stepsOf(what: string, ms: number, dt: number, allowZero = true): number {
  if (!(ms >= 0) || (!allowZero && ms === 0)) {
    throw new InspectError(`${what} must be ${allowZero ? "at least 0" : "greater than 0"} ms, got ${ms} ms`);
  }
  const steps = Math.round(ms / dt);
  if (Math.abs(steps * dt - ms) > 1e-9 * Math.max(1, ms)) {
    throw new InspectError(
      `${what} = ${ms} ms is not a whole number of time steps of dt = ${dt} ms; make it a multiple of dt`,
    );
  }
  return steps;
}

/** Samples segments at steps 0..total (the value at `total` is the last segment's end). */
function sample(segments: readonly Segment[]): Float64Array {
  const total = segments.reduce((n, s) => n + s.steps, 0);
  const out = new Float64Array(total + 1);
  let at = 0;
  for (const s of segments) {
    for (let k = 0; k < s.steps; k++) out[at + k] = s.from + (s.to - s.from) * (k / s.steps);
    at += s.steps;
  }
  out[total] = segments.length > 0 ? segments[segments.length - 1].to : 0;
  return out;
}

const flat = (steps: number, level: number): Segment => ({ steps, from: level, to: level });

/** Builds protocol `name` for time step `dt` (ms) from its `given` parameters. */
export function planProtocol(
  name: ProtocolName,
  given: Record<string, unknown> | undefined,
  dt: number,
): ProtocolPlan {
  if (given !== undefined && (typeof given !== "object" || given === null || Array.isArray(given))) {
    throw new InspectError(
      `protocol ${name}: settings must be true, false or an object of parameters, got ${describe(given)}`,
    );
  }
  const p = protocolParameters(name, given);
  const n = (key: string) => p[key] as number;
  const steps = (key: string, allowZero = true) => stepsOf(`${name}.${key}`, n(key), dt, allowZero);
  const label = (level: number) => `${level} mV`;
  switch (name) {
    case "activation":
    case "inactivation":
    case "deactivation": {
      const grid = levels(name, n("from"), n("to"), n("step"), 1000);
      const hold = n("hold");
      const sweeps = grid.map((level): SweepPlan => {
        const segments: Segment[] = [flat(steps("before"), hold)];
        let measure: [number, number];
        const start = () => segments.reduce((s, x) => s + x.steps, 0);
        if (name === "activation") {
          const at = start();
          segments.push(flat(steps("duration", false), level));
          measure = [at, at + segments[1].steps];
        } else if (name === "inactivation") {
          segments.push(flat(steps("duration"), level));
          const at = start();
          segments.push(flat(steps("testDuration", false), n("test")));
          measure = [at, at + segments[2].steps];
        } else {
          segments.push(flat(steps("activateDuration"), n("activate")));
          const at = start();
          segments.push(flat(steps("duration", false), level));
          measure = [at, at + segments[2].steps];
        }
        segments.push(flat(steps("after"), hold));
        return { level, label: label(level), voltage: sample(segments), measure };
      });
      const measures = { activation: "step V", inactivation: "conditioning V", deactivation: "step V" }[name];
      return { name, parameters: p, sweeps, steps: sweeps[0].voltage.length - 1, measures };
    }
    case "ramp": {
      const hold = n("hold"), peak = n("peak");
      const segments: Segment[] = [flat(steps("before"), hold)];
      (p.ramps as number[]).forEach((ms, k) => {
        const total = stepsOf(`ramp.ramps[${k}]`, ms, dt, false);
        if (total % 2 !== 0) {
          throw new InspectError(
            `ramp.ramps[${k}] = ${ms} ms is an odd number of time steps (${total}); the ramp rises for half of it and ` +
              `falls for the other half: make it an even multiple of dt = ${dt} ms`,
          );
        }
        if (k > 0) segments.push(flat(steps("between"), hold));
        segments.push({ steps: total / 2, from: hold, to: peak }, { steps: total / 2, from: peak, to: hold });
      });
      segments.push(flat(steps("after"), hold));
      const voltage = sample(segments);
      return { name, parameters: p, sweeps: [{ label: "ramp", voltage }], steps: voltage.length - 1 };
    }
    case "ap": {
      const waveform = given?.waveform;
      const voltage = waveform === undefined ? train(p, dt) : recorded(waveform, dt);
      if (waveform !== undefined) {
        for (const key of Object.keys(given ?? {})) {
          if (key !== "waveform") {
            throw new InspectError(
              `ap.${key} shapes the synthetic train; with ap.waveform give no other ap parameter`,
            );
          }
        }
      }
      const parameters = waveform === undefined ? p : { duration: (voltage.length - 1) * dt };
      return { name, parameters, sweeps: [{ label: "ap", voltage }], steps: voltage.length - 1 };
    }
  }
}

/** The synthetic spike train of the `ap` protocol, sampled at every step. */
function train(p: Record<string, number | number[]>, dt: number): Float64Array {
  const [rest, peak, trough] = [p.rest, p.peak, p.trough] as number[];
  const rise = positive("ap.rise", p.rise as number, "ms");
  const fall = positive("ap.fall", p.fall as number, "ms");
  const recovery = positive("ap.recovery", p.recovery as number, "ms");
  const total = stepsOf("ap.duration", p.duration as number, dt, false);
  const times = [...(p.times as number[])].sort((a, b) => a - b);
  times.forEach((time, k) => {
    if (!(time >= 0 && time <= (p.duration as number))) {
      throw new InspectError(`ap.times[${k}] = ${time} ms is outside the sweep, 0..${p.duration} ms`);
    }
  });
  // One spike, s ms after its start: a smooth rise to the peak, a smooth fall below rest to the
  // trough, and an exponential return to rest; spikes add where they overlap.
  const smooth = (x: number) => x <= 0 ? 0 : x >= 1 ? 1 : 0.5 - 0.5 * Math.cos(Math.PI * x);
  const spike = (s: number): number => {
    if (s <= 0) return 0;
    if (s < rise) return (peak - rest) * smooth(s / rise);
    if (s < rise + fall) {
      const x = smooth((s - rise) / fall);
      return (peak - rest) * (1 - x) + (trough - rest) * x;
    }
    return (trough - rest) * Math.exp(-(s - rise - fall) / recovery);
  };
  const out = new Float64Array(total + 1);
  for (let i = 0; i <= total; i++) {
    const time = i * dt;
    let value = rest;
    for (const start of times) {
      if (start > time) break;
      if (time - start < rise + fall + 40 * recovery) value += spike(time - start);
    }
    out[i] = value;
  }
  return out;
}

/** A recorded waveform, linearly interpolated at every step; its time must start at 0 and ascend. */
function recorded(waveform: unknown, dt: number): Float64Array {
  const w = waveform as Partial<Waveform> | null;
  if (w === null || typeof w !== "object" || !Array.isArray(w.time) || !Array.isArray(w.v)) {
    throw new InspectError(
      `ap.waveform must be { time: number[] (ms), v: number[] (mV) }, got ${describe(waveform)}`,
    );
  }
  const { time, v } = w as Waveform;
  if (time.length !== v.length || time.length < 2) {
    throw new InspectError(
      `ap.waveform has ${time.length} times and ${v.length} voltages; give two or more, as many of each`,
    );
  }
  time.forEach((x, k) => {
    if (!Number.isFinite(x) || (k > 0 && !(x > time[k - 1]))) {
      throw new InspectError(`ap.waveform.time[${k}] = ${x} ms: times must be finite and ascending`);
    }
    membraneVoltage(`ap.waveform.v[${k}]`, Number.isFinite(v[k]) ? v[k] : NaN);
    if (!Number.isFinite(v[k])) throw new InspectError(`ap.waveform.v[${k}] = ${v[k]} is not a number of mV`);
  });
  if (time[0] !== 0) {
    throw new InspectError(`ap.waveform.time[0] = ${time[0]} ms: the waveform must start at 0 ms`);
  }
  const total = Math.floor(time[time.length - 1] / dt + 1e-9);
  const out = new Float64Array(total + 1);
  let j = 0;
  for (let i = 0; i <= total; i++) {
    const at = i * dt;
    while (j < time.length - 2 && time[j + 1] <= at) j++;
    const x = Math.min(1, (at - time[j]) / (time[j + 1] - time[j]));
    out[i] = v[j] + (v[j + 1] - v[j]) * x;
  }
  return out;
}

/** Reads a waveform from CSV text: two numeric columns, time (ms) and voltage (mV); a header line is skipped. */
export function parseWaveform(text: string, file: string): Waveform {
  const time: number[] = [], v: number[] = [];
  text.split(/\r?\n/).forEach((line, k) => {
    const trimmed = line.trim();
    if (trimmed === "" || trimmed.startsWith("#")) return;
    const cells = trimmed.split(/[,;\s]+/);
    const [a, b] = [Number(cells[0]), Number(cells[1])];
    if (cells.length < 2 || !Number.isFinite(a) || !Number.isFinite(b)) {
      if (time.length === 0 && k === 0) return; // a header
      throw new InspectError(
        `${file}:${k + 1}: expected two numbers, time (ms) and voltage (mV), got "${trimmed}"`,
      );
    }
    time.push(a);
    v.push(b);
  });
  return { time, v };
}
