/**
 * What a protocol's sweeps show: the current traces, and for the step protocols the curves read
 * off the measured segment of every sweep (the test step of activation and deactivation, the test
 * pulse of inactivation): the peak current (the sample of largest magnitude, with its sign), the
 * steady-state current (the segment's last sample), and for inactivation the availability (peak
 * over the largest peak magnitude).
 *
 * @module
 */
import { PROTOCOL_TITLES, type ProtocolName, type ProtocolPlan } from "./protocols.ts";
import type { Recorded, Setup } from "./clamp.ts";

/** One sweep of a protocol as recorded. */
export interface SweepResult {
  /** The swept level (mV), for the step protocols. */
  level?: number;
  /** Legend label (`-40 mV`, `ramp`). */
  label: string;
  /** Clamp voltage at the start of each step, mV. */
  v: Float64Array;
  /** Currents at the start of each step: `i` (the total) and per ion (`ina`), in the mechanism's unit. */
  currents: Record<string, Float64Array>;
}

/** A curve read off a protocol: `y[k]` at level `x[k]`. */
export interface ProtocolCurve {
  /** `peak`, `steady` or `availability`. */
  name: "peak" | "steady" | "availability";
  /** What x is (`step V`, `conditioning V`), mV. */
  xLabel: string;
  /** Levels, mV. */
  x: number[];
  /** Values: a current in `unit`, or (availability) a fraction. */
  y: number[];
  /** The unit of `y` (`mA/cm2`, `nA`, or `1`). */
  unit: string;
}

/** One protocol run on one mechanism. */
export interface ProtocolResult {
  /** Which protocol. */
  protocol: ProtocolName;
  /** Its title. */
  title: string;
  /** The mechanism's label. */
  mechanism: string;
  /** The time step, ms: sample k is at k·dt. */
  dt: number;
  /** The parameters it ran with (mV, ms). */
  parameters: Record<string, number | number[]>;
  /** The unit of the currents. */
  currentUnit: string;
  /** The current the curves are read off and the figure shows: `i` (the total) or an ion's (`ina`). */
  current: string;
  /** Every sweep. */
  sweeps: SweepResult[];
  /** The curves read off the sweeps (none for ramp and ap). */
  curves: ProtocolCurve[];
}

/** The result of `plan` run on `setup` (recorded by the clamp rig), its curves read off `current`. */
export function analyse(plan: ProtocolPlan, setup: Setup, recorded: Recorded, current = "i"): ProtocolResult {
  const sweeps = plan.sweeps.map((sweep, k): SweepResult => {
    const currents: Record<string, Float64Array> = { i: recorded.currents[k].i };
    // An ion current that is zero throughout (an ion only read), or the total itself (the one
    // current of a single-ion channel), is left out.
    for (const [name, values] of Object.entries(recorded.currents[k])) {
      if (name === "i") continue;
      const zero = recorded.currents.every((c) => c[name].every((x) => x === 0));
      const total = recorded.currents.every((c) => c[name].every((x, j) => x === c.i[j]));
      if ((!zero && !total) || name === current) currents[name] = values;
    }
    return { level: sweep.level, label: sweep.label, v: sweep.voltage.subarray(0, plan.steps), currents };
  });
  const curves: ProtocolCurve[] = [];
  const measured = plan.sweeps.filter((s) => s.measure !== undefined && s.level !== undefined);
  if (measured.length > 0 && measured.length === plan.sweeps.length) {
    const x = plan.sweeps.map((s) => s.level!);
    const xLabel = plan.measures ?? "V";
    const of = (k: number) => sweeps[k].currents[current] ?? recorded.currents[k][current];
    const peak = plan.sweeps.map((s, k) => peakOf(of(k), s.measure!));
    const steady = plan.sweeps.map((s, k) => of(k)[s.measure![1] - 1]);
    curves.push({ name: "peak", xLabel, x, y: peak, unit: setup.currentUnit });
    if (plan.name === "inactivation") {
      const largest = peak.reduce((m, y) => (Math.abs(y) > Math.abs(m) ? y : m), 0);
      curves.push({
        name: "availability",
        xLabel,
        x,
        y: peak.map((y) => (largest === 0 ? NaN : y / largest)),
        unit: "1",
      });
    } else curves.push({ name: "steady", xLabel, x, y: steady, unit: setup.currentUnit });
  }
  return {
    protocol: plan.name,
    title: PROTOCOL_TITLES[plan.name],
    mechanism: setup.label,
    dt: setup.dt,
    parameters: plan.parameters,
    currentUnit: setup.currentUnit,
    current,
    sweeps,
    curves,
  };
}

/** The sample of largest magnitude in steps [from, to), with its sign. */
function peakOf(values: Float64Array, [from, to]: [number, number]): number {
  let peak = 0;
  for (let k = from; k < to; k++) if (Math.abs(values[k]) > Math.abs(peak)) peak = values[k];
  return peak;
}

/**
 * At most about `points` samples of a trace, for figures and trace tables: the first and last
 * sample of each of `points / 2` buckets' extremes (smallest and largest), in time order, so that
 * a brief peak survives; every sample when there are fewer. Returns sample indices.
 */
export function decimate(values: ArrayLike<number>, points: number): number[] {
  const n = values.length;
  if (points <= 0 || n <= points) return Array.from({ length: n }, (_, k) => k);
  const buckets = Math.max(1, Math.floor(points / 2));
  const out: number[] = [];
  for (let b = 0; b < buckets; b++) {
    const from = Math.floor((b * n) / buckets), to = Math.floor(((b + 1) * n) / buckets);
    if (to <= from) continue;
    let low = from, high = from;
    for (let k = from; k < to; k++) {
      if (values[k] < values[low]) low = k;
      if (values[k] > values[high]) high = k;
    }
    if (low === high) out.push(low);
    else out.push(Math.min(low, high), Math.max(low, high));
  }
  if (out[out.length - 1] !== n - 1) out.push(n - 1);
  if (out[0] !== 0) out.unshift(0);
  return out;
}
