/**
 * Gating curves: each state's steady state x∞(V) and time constant τx(V).
 *
 * Exact, for every state the kernel plan integrates with cnexp: the plan writes the derivative as
 * a·x + b (kernels/cnexp.ts), so x∞ = −b/a and τ = −1/a, with a and b the plan's own graph nodes
 * evaluated at each V (inspect/evaluate.ts). The inputs are those of a compartment clamped at V:
 * init runs first at V (it sets the assigned values a derivative may read, such as a q10), then the
 * current kernel's assigned values, then a and b.
 *
 * Measured, for the others (euler, raw hooks): two sweeps per voltage on the clamp, one stepping
 * from the lowest voltage of the range and one from the highest. The steady state is where both
 * end (they must agree, else the run is extended, up to a limit); the time constant is the area
 * time constant τ = ∫(x − x∞) dt / (x(0) − x∞) of the sweep that moved the state more, which for
 * one exponential is its time constant (for the trapezoid sum of cnexp's Padé steps, exactly) and
 * for several is their mean relaxation time.
 *
 * @module
 */
import type { MechanismPlan } from "../kernels/plan.ts";
import type { Catalogue } from "../catalogue/api.ts";
import { type Conditions, Evaluator, planInputs, stateStores } from "./evaluate.ts";
import { CLAMP_AREA_UM2, type ClampRig, type ProgressCount, type Setup } from "./clamp.ts";
import { InspectError } from "./quantity.ts";

/** One state's gating curve. */
export interface GatingCurve {
  /** Label of the mechanism. */
  mechanism: string;
  /** The state's name. */
  state: string;
  /** The state's unit (`1` for a gate). */
  unit: string;
  /** `exact` (from the plan's cnexp coefficients) or `measured` (clamp steps). */
  method: "exact" | "measured";
  /** Voltages, mV. */
  v: number[];
  /** Steady state at each voltage, in `unit`. */
  inf: number[];
  /** Time constant at each voltage, ms (NaN where it cannot be told: no relaxation, or a = 0). */
  tau: number[];
}

/** The conditions of `setup` at voltage `v` with `states`. */
export function conditionsOf(setup: Setup, v: number, states: number[]): Conditions {
  return {
    v,
    celsius: setup.temperature,
    dt: setup.dt,
    diamUm: setup.diamUm,
    areaUm2: CLAMP_AREA_UM2,
    parameters: setup.parameterValues,
    globals: setup.globalValues,
    states,
    ions: setup.ions.map(({ species }) => ({
      reversal: species.reversal,
      internal: species.internal,
      external: species.external,
      valence: species.valence,
    })),
    weight: setup.kind === "density" ? 1 : 1000 / CLAMP_AREA_UM2,
  };
}

/**
 * The exact curves of every state `plan` integrates with cnexp; `target` is the object the
 * plan's opaque kernels (if any) are called on.
 */
export function exactGating(
  setup: Setup,
  plan: MechanismPlan,
  target: object | undefined,
  voltages: number[],
): GatingCurve[] {
  if (plan.method !== "cnexp" || plan.coefficients.length === 0) return [];
  const { spec } = setup;
  const hook = (name: string) => plan.hooks.find((h) => h.hook === name);
  const init = stateStores(hook("init")?.stores ?? []);
  const assigned = stateStores(hook("current")?.stores ?? []);
  const initial = new Evaluator(init.map(([, node]) => node), target);
  const current = new Evaluator(assigned.map(([, node]) => node), target);
  const advance = new Evaluator(plan.coefficients.flatMap((c) => [c.a, c.b]), target);
  const curves = plan.coefficients.map((c): GatingCurve => {
    const field = spec.states[c.state];
    return {
      mechanism: setup.label,
      state: field.name,
      unit: field.unit,
      method: "exact",
      v: voltages,
      inf: [],
      tau: [],
    };
  });
  for (const v of voltages) {
    const states = spec.states.map((f) => f.defaultValue);
    const inputs = () => planInputs(plan, conditionsOf(setup, v, states));
    initial.run(inputs());
    for (const [j, node] of init) states[j] = initial.value(node);
    if (assigned.length > 0) {
      current.run(inputs());
      for (const [j, node] of assigned) states[j] = current.value(node);
    }
    advance.run(inputs());
    plan.coefficients.forEach((c, k) => {
      const a = advance.value(c.a), b = advance.value(c.b);
      for (const [name, value] of [["a", a], ["b", b]] as const) {
        if (!Number.isFinite(value)) {
          throw new InspectError(
            `mechanism '${setup.label}': at V = ${v} mV the derivative of state '${curves[k].state}' is a·${
              curves[k].state
            } + b with ${name} = ${value} (${plan.at}); a rate there is 0/0 or overflows: guard it (as exprelr ` +
              `does), or inspect a voltage range that avoids ${v} mV`,
          );
        }
      }
      curves[k].inf.push(a === 0 ? NaN : -b / a);
      curves[k].tau.push(a === 0 ? NaN : -1 / a);
    });
  }
  return curves;
}

/** Options of {@link measuredGating}, ms. */
export interface MeasureOptions {
  /** Time at the holding voltage before the step. */
  prepulse: number;
  /** Length of the step, and of each extension while a state has not settled. */
  settle: number;
  /** The longest step before a state that has not settled is an error. */
  limit: number;
}

/** Settled: the ends from below and from above differ by at most this fraction of the larger excursion. */
const SETTLED = 1e-6;

/** The measured curves of `states` (keys) of the mechanism in `mechanisms`, on the clamp rig. */
export async function measuredGating(
  setup: Setup,
  rig: ClampRig,
  mechanisms: Catalogue,
  states: readonly string[],
  voltages: number[],
  options: MeasureOptions,
  progress?: ProgressCount,
): Promise<GatingCurve[]> {
  if (states.length === 0) return [];
  const { dt } = setup;
  const stepsOf = (ms: number) => Math.max(1, Math.round(ms / dt));
  const onset = stepsOf(options.prepulse);
  const holds = [voltages[0], voltages[voltages.length - 1]];
  // Sweep 2j + h: from holds[h] to voltages[j]; the clamp holds its last value beyond the table.
  const tables = voltages.flatMap((v) =>
    holds.map((hold) => {
      const table = new Float64Array(onset + 1).fill(hold);
      table[onset] = v;
      return table;
    })
  );
  const n = tables.length;
  const first = states.map(() => new Float64Array(n)); // x at the onset
  const sum = states.map(() => new Float64Array(n)); // Σ (x_i − x_onset) from the onset on
  const last = states.map(() => new Float64Array(n)); // the latest x
  let end = 0; // the step index of `last`
  const settleSteps = stepsOf(options.settle), limitSteps = stepsOf(options.limit) + onset;
  let total = onset + settleSteps;
  let unsettled: { state: number; j: number; gap: number } | undefined;
  const check = () => {
    unsettled = undefined;
    states.forEach((_, q) => {
      voltages.forEach((_, j) => {
        const [a, b] = [2 * j, 2 * j + 1];
        const gap = Math.abs(last[q][a] - last[q][b]);
        const scale = Math.max(Math.abs(last[q][a] - first[q][a]), Math.abs(last[q][b] - first[q][b]));
        if (gap > SETTLED * scale + 1e-300 && (unsettled === undefined || gap > unsettled.gap)) {
          unsettled = { state: q, j, gap };
        }
      });
    });
    return unsettled;
  };
  await rig.run(setup, mechanisms, {
    voltages: tables,
    states,
    record: false,
    steps: total,
    extend: () => {
      if (check() === undefined || total >= limitSteps) return 0;
      const more = Math.min(settleSteps, limitSteps - total);
      total += more;
      if (progress) progress.total += more * n;
      return more;
    },
    visit: (chunk) => {
      for (let q = 0; q < states.length; q++) {
        for (let k = 0; k < n; k++) {
          const values = chunk.states[k][states[q]];
          let s = sum[q][k];
          for (let r = 0; r < chunk.rows; r++) {
            const i = chunk.first + r;
            if (i < onset) continue;
            if (i === onset) first[q][k] = values[r];
            s += values[r] - first[q][k];
          }
          sum[q][k] = s;
          last[q][k] = values[chunk.rows - 1];
        }
      }
      end = chunk.first + chunk.rows - 1;
    },
    sweep: (k) => `gating sweep to ${voltages[Math.floor(k / 2)]} mV from ${holds[k % 2]} mV`,
    progress,
  });
  if (check() !== undefined) {
    const { state, j, gap } = unsettled!;
    const field = setup.spec.states.find((f) => f.key === states[state])!;
    throw new InspectError(
      `mechanism '${setup.label}': state '${field.name}' did not settle at V = ${voltages[j]} mV within ${
        (total - onset) * dt
      } ms (from ${holds[0]} and ${holds[1]} mV it ends ${gap.toExponential(2)} apart); raise gating.limit ` +
        `(--gating-limit) or check that it has a steady state there`,
    );
  }
  return states.map((key, q): GatingCurve => {
    const field = setup.spec.states.find((f) => f.key === key)!;
    const inf = voltages.map((_, j) => (last[q][2 * j] + last[q][2 * j + 1]) / 2);
    const excursion = Math.max(...inf.map(Math.abs), 1e-300);
    const tau = voltages.map((_, j) => {
      // The sweep that moved the state more tells its time constant better.
      const k =
        Math.abs(last[q][2 * j] - first[q][2 * j]) >= Math.abs(last[q][2 * j + 1] - first[q][2 * j + 1])
          ? 2 * j
          : 2 * j + 1;
      const moved = last[q][k] - first[q][k];
      if (!(Math.abs(moved) > 1e-9 * excursion)) return NaN;
      return dt * (end - onset + 0.5 - sum[q][k] / moved);
    });
    return {
      mechanism: setup.label,
      state: field.name,
      unit: field.unit,
      method: "measured",
      v: voltages,
      inf,
      tau,
    };
  });
}
