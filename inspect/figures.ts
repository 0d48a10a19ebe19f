/**
 * The figures of `inspect`, as Vega-Lite plots of the `plot` module: gating curves (steady state
 * and time constant against voltage, the time constant on a log axis), and per protocol the
 * current traces beside the curves read off them (or the clamp voltage, for the ramp and the
 * action-potential clamp). One mechanism: a colour per state or per sweep. Several: a colour per
 * mechanism, so that a difference shows as two colours apart.
 *
 * @module
 */
import { type Curve, lines, panels, type Plot } from "../plot/mod.ts";
import { decimate, type ProtocolResult } from "./analysis.ts";
import type { GatingCurve } from "./gating.ts";

/** Samples per sweep in a figure (the extremes of each bucket are kept: a brief peak stays). */
export const FIGURE_POINTS = 600;

const WIDTH = 420, HEIGHT = 300;

/** Steady states and time constants of every state of every mechanism. */
export function gatingFigure(curves: readonly GatingCurve[], temperature: number): Plot {
  const several = new Set(curves.map((c) => c.mechanism)).size > 1;
  const series = (pick: (c: GatingCurve) => number[]): Curve[] =>
    curves.map((c) => ({
      label: c.state,
      x: c.v,
      y: pick(c),
      ...(several ? { style: c.mechanism } : {}),
    }));
  const measured = curves.some((c) => c.method === "measured");
  const tauPositive = curves.every((c) => c.tau.every((t) => !(t <= 0)));
  return panels([
    lines(series((c) => c.inf), {
      xLabel: "V (mV)",
      yLabel: "steady state",
      title: "steady state x∞(V)",
      colorTitle: "state",
      styleTitle: "mechanism",
      width: WIDTH,
      height: HEIGHT,
    }),
    lines(series((c) => c.tau), {
      xLabel: "V (mV)",
      yLabel: "time constant (ms)",
      title: `time constant τx(V)${measured ? " (some measured)" : ""}`,
      logY: tauPositive,
      colorTitle: "state",
      styleTitle: "mechanism",
      width: WIDTH,
      height: HEIGHT,
    }),
  ], { title: `gating of ${labels(curves.map((c) => c.mechanism))} at ${temperature} °C` });
}

/** One protocol, every mechanism that ran it. */
export function protocolFigure(results: readonly ProtocolResult[], temperature: number): Plot {
  const several = results.length > 1;
  const first = results[0];
  const unit = first.currentUnit;
  const traces: Curve[] = [];
  const voltage: Curve[] = [];
  for (const result of results) {
    result.sweeps.forEach((sweep) => {
      const values = sweep.currents[result.current] ?? new Float64Array(sweep.v.length);
      const keep = decimate(values, FIGURE_POINTS);
      const time = keep.map((k) => k * result.dt);
      traces.push({
        label: several ? result.mechanism : sweep.label,
        x: time,
        y: keep.map((k) => values[k]),
        part: sweep.label,
      });
    });
  }
  for (const sweep of first.sweeps) {
    const keep = decimate(sweep.v, FIGURE_POINTS);
    voltage.push({
      label: "clamp",
      x: keep.map((k) => k * first.dt),
      y: keep.map((k) => sweep.v[k]),
      part: sweep.label,
    });
  }
  const currentPanel = lines(traces, {
    xLabel: "t (ms)",
    yLabel: `${first.current === "i" ? "I" : first.current} (${unit})`,
    title: first.current === "i" ? "current" : `current ${first.current}`,
    colorTitle: several ? "mechanism" : "sweep",
    ...(several || first.sweeps.length < 3 ? {} : { colorScheme: "viridis" }),
    width: WIDTH,
    height: HEIGHT,
  });
  // Inactivation shows its availability (a fraction); the others their peak and steady currents.
  const shown = (name: string) => first.protocol === "inactivation" ? name === "availability" : true;
  const styled = several && first.curves.filter((c) => shown(c.name)).length > 1;
  const curves: Curve[] = results.flatMap((result) =>
    result.curves.filter((curve) => shown(curve.name)).map((curve) => ({
      label: several ? result.mechanism : curve.name,
      x: curve.x,
      y: curve.y,
      ...(styled ? { style: curve.name } : {}),
    }))
  );
  const second = curves.length > 0
    ? lines(curves, {
      xLabel: `${first.curves[0].xLabel} (mV)`,
      yLabel: first.protocol === "inactivation"
        ? "availability (peak / largest peak)"
        : `${first.current === "i" ? "I" : first.current} (${unit})`,
      title: first.curves.filter((c) => shown(c.name)).map((c) => c.name).join(" and "),
      ...(several ? { colorTitle: "mechanism", styleTitle: "measure" } : {}),
      width: WIDTH,
      height: HEIGHT,
    })
    : lines(voltage, {
      xLabel: "t (ms)",
      yLabel: "V (mV)",
      title: "clamp voltage",
      width: WIDTH,
      height: HEIGHT,
    });
  return panels([currentPanel, second], {
    title: `${first.title} of ${labels(results.map((r) => r.mechanism))} at ${temperature} °C`,
  });
}

function labels(list: readonly string[]): string {
  const unique = [...new Set(list)];
  return unique.length <= 1
    ? unique[0] ?? ""
    : `${unique.slice(0, -1).join(", ")} and ${unique[unique.length - 1]}`;
}
