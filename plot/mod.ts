/**
 * Plots of denocat results as Vega-Lite specs: voltage traces, overlaid traces, states, spike
 * rasters and benchmark ratio bars. `toSvg` renders a plot headless through `npm:vega`; in Jupyter
 * (`deno jupyter`) a {@link Plot} displays inline as Vega-Lite with an SVG fallback.
 *
 * vega and vega-lite are imported lazily, on the first render, so importing denocat never loads them.
 *
 * @example
 * ```ts
 * import { traces, toSvg } from "@denocat/denocat/plot";
 * const plot = traces([{ label: "v", time: [0, 1, 2], values: [-65, -60, -64] }]);
 * const svg: string = await toSvg(plot);
 * ```
 *
 * @module
 */

/** A Vega-Lite specification, as JSON. */
export type VegaLiteSpec = Record<string, unknown>;

/** One named series: `values[i]` at `time[i]` (ms). */
export interface Trace {
  /** Legend label. */
  label: string;
  /** Sample times (ms). */
  time: ArrayLike<number>;
  /** Sample values, as long as `time`. */
  values: ArrayLike<number>;
}

/** Axis titles and a plot title. */
export interface PlotOptions {
  /** Plot title. */
  title?: string;
  /** x axis title. */
  xLabel?: string;
  /** y axis title. */
  yLabel?: string;
  /** Width in pixels (default 640). */
  width?: number;
  /** Height in pixels (default 320). */
  height?: number;
}

/** The Vega-Lite MIME type Jupyter renders. */
export const VEGA_LITE_MIME = "application/vnd.vegalite.v5+json";

/** A plot: its Vega-Lite spec; displays itself inline in Deno's Jupyter kernel. */
export class Plot {
  /** The Vega-Lite spec. */
  readonly spec: VegaLiteSpec;
  /** Wraps a spec. */
  constructor(spec: VegaLiteSpec) {
    this.spec = spec;
  }
  /** Deno's Jupyter display protocol: Vega-Lite with an SVG fallback. */
  async [Symbol.for("Jupyter.display")](): Promise<Record<string, unknown>> {
    return { [VEGA_LITE_MIME]: this.spec, "image/svg+xml": await toSvg(this) };
  }
}

function size(options: PlotOptions): VegaLiteSpec {
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v5.json",
    width: options.width ?? 640,
    height: options.height ?? 320,
    ...(options.title ? { title: options.title } : {}),
  };
}

function rows(list: readonly Trace[]): { t: number; value: number; series: string }[] {
  const out: { t: number; value: number; series: string }[] = [];
  for (const trace of list) {
    if (trace.time.length !== trace.values.length) {
      throw new RangeError(
        `plot: trace "${trace.label}" has ${trace.time.length} times but ${trace.values.length} values; ` +
          `pass arrays of the same length`,
      );
    }
    for (let i = 0; i < trace.time.length; i++) {
      out.push({ t: trace.time[i], value: trace.values[i], series: trace.label });
    }
  }
  return out;
}

/** Several traces overlaid as lines, one colour per trace. */
export function traces(list: readonly Trace[], options: PlotOptions = {}): Plot {
  if (list.length === 0) throw new RangeError("plot: traces() needs at least one trace");
  return new Plot({
    ...size(options),
    data: { values: rows(list) },
    mark: { type: "line", strokeWidth: 1.5 },
    encoding: {
      x: { field: "t", type: "quantitative", title: options.xLabel ?? "time (ms)" },
      y: { field: "value", type: "quantitative", title: options.yLabel ?? "v (mV)", scale: { zero: false } },
      color: { field: "series", type: "nominal", title: null },
    },
  });
}

/** One voltage trace. */
export function voltage(time: ArrayLike<number>, v: ArrayLike<number>, options: PlotOptions = {}): Plot {
  return traces([{ label: "v", time, values: v }], options);
}

/** State variables (e.g. `hh.m`, `hh.h`, `hh.n`) from a `traces` record, overlaid on one axis. */
export function states(
  time: ArrayLike<number>,
  record: Readonly<Record<string, ArrayLike<number>>>,
  options: PlotOptions = {},
): Plot {
  const list = Object.entries(record).map(([label, values]) => ({ label, time, values }));
  return traces(list, { yLabel: "state", ...options });
}

/** A spike raster: one row per source, a tick per spike time (ms). */
export function raster(spikes: Readonly<Record<string, readonly number[]>>, options: PlotOptions = {}): Plot {
  const values = Object.entries(spikes).flatMap(([source, times]) => times.map((t) => ({ t, source })));
  return new Plot({
    ...size(options),
    data: { values },
    mark: "tick",
    encoding: {
      x: { field: "t", type: "quantitative", title: options.xLabel ?? "time (ms)" },
      y: { field: "source", type: "nominal", title: options.yLabel ?? "source" },
    },
  });
}

/** A bar chart of benchmark ratios (e.g. compiled time / live time), with a rule at 1. */
export function ratios(bars: Readonly<Record<string, number>>, options: PlotOptions = {}): Plot {
  const values = Object.entries(bars).map(([name, ratio]) => ({ name, ratio }));
  return new Plot({
    ...size(options),
    layer: [
      {
        data: { values },
        mark: "bar",
        encoding: {
          x: { field: "name", type: "nominal", title: options.xLabel ?? null, sort: null },
          y: { field: "ratio", type: "quantitative", title: options.yLabel ?? "ratio" },
        },
      },
      {
        data: { values: [{ one: 1 }] },
        mark: { type: "rule", color: "gray" },
        encoding: { y: { field: "one", type: "quantitative" } },
      },
    ],
  });
}

/** Renders a plot (or a raw Vega-Lite spec) to an SVG string, headless, loading vega on first use. */
export async function toSvg(plot: Plot | VegaLiteSpec): Promise<string> {
  const spec = plot instanceof Plot ? plot.spec : plot;
  const [vl, vega] = await Promise.all([import("vega-lite"), import("vega")]);
  // deno-lint-ignore no-explicit-any
  const compiled = vl.compile(spec as any).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
