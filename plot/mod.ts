/**
 * Plots of denocat results as Vega-Lite specs: voltage traces, overlaid traces, states, spike
 * rasters, benchmark ratio bars, and general x–y curves in panels (`lines`, `panels`: what
 * `denocat inspect` draws). `toSvg` renders a plot headless through `npm:vega`; in Jupyter
 * (`deno jupyter`) a {@link Plot} displays inline as Vega-Lite with an SVG fallback. Legends show
 * whole labels (no ellipsis).
 *
 * vega and vega-lite are imported lazily, on the first render, so importing denocat never loads them.
 * Rendering prints nothing: the one warning their import causes under Deno (Node's DEP0040, the
 * deprecated `punycode` module, which `node-fetch`'s URL parser requires) is dropped, and no other.
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
import process from "node:process";

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

/** The schema every spec names. */
const SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json";

/** Legends show whole labels: Vega-Lite cuts them at 160 px by default (`labelLimit: 0` is none). */
const CONFIG: VegaLiteSpec = { legend: { labelLimit: 0 } };

function size(options: PlotOptions): VegaLiteSpec {
  return {
    $schema: SCHEMA,
    width: options.width ?? 640,
    height: options.height ?? 320,
    ...(options.title ? { title: options.title } : {}),
    config: CONFIG,
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

/** One curve of {@link lines}: `y[i]` at `x[i]`. */
export interface Curve {
  /** Legend label: one colour per label. */
  label: string;
  /** x values. */
  x: ArrayLike<number>;
  /** y values, as long as `x`. */
  y: ArrayLike<number>;
  /** A second grouping shown as the dash pattern (e.g. the mechanism when colours are sweeps). */
  style?: string;
  /** Curves with the same label and style but another `part` are drawn as separate lines (sweeps). */
  part?: string;
}

/** Options of {@link lines}. */
export interface LinesOptions extends PlotOptions {
  /** Logarithmic y axis (values ≤ 0 are left out). */
  logY?: boolean;
  /** Legend title of the colours (default none). */
  colorTitle?: string;
  /** Legend title of the dash patterns (default none). */
  styleTitle?: string;
  /** A Vega colour scheme for the labels (e.g. `"viridis"` for ordered sweeps); default Vega's categories. */
  colorScheme?: string;
}

/**
 * Curves in one x–y panel: a colour per `label`, a dash pattern per `style`, a separate line per
 * `part`. Points that are not finite are left out (a gap in the data, not a line to 0).
 *
 * @example
 * ```ts
 * import { lines } from "./mod.ts";
 * const v = [-80, -40, 0, 40];
 * const plot = lines([{ label: "m∞", x: v, y: [0.01, 0.2, 0.9, 1] }], { xLabel: "V (mV)", yLabel: "steady state" });
 * ```
 */
export function lines(list: readonly Curve[], options: LinesOptions = {}): Plot {
  if (list.length === 0) throw new RangeError("plot: lines() needs at least one curve");
  const values: { x: number; y: number; label: string; style: string; part: string }[] = [];
  for (const curve of list) {
    if (curve.x.length !== curve.y.length) {
      throw new RangeError(
        `plot: curve "${curve.label}" has ${curve.x.length} x values but ${curve.y.length} y values; ` +
          `pass arrays of the same length`,
      );
    }
    for (let i = 0; i < curve.x.length; i++) {
      const x = curve.x[i], y = curve.y[i];
      if (!Number.isFinite(x) || !Number.isFinite(y) || (options.logY && !(y > 0))) continue;
      values.push({ x, y, label: curve.label, style: curve.style ?? "", part: curve.part ?? "" });
    }
  }
  const styled = list.some((curve) => curve.style !== undefined);
  return new Plot({
    ...size(options),
    data: { values },
    mark: { type: "line", strokeWidth: 1.5, clip: true },
    encoding: {
      x: { field: "x", type: "quantitative", title: options.xLabel ?? "x", scale: { zero: false } },
      y: {
        field: "y",
        type: "quantitative",
        title: options.yLabel ?? "y",
        scale: options.logY ? { type: "log" } : { zero: false },
      },
      color: {
        field: "label",
        type: "nominal",
        title: options.colorTitle ?? null,
        sort: null,
        ...(options.colorScheme ? { scale: { scheme: options.colorScheme } } : {}),
      },
      ...(styled
        ? { strokeDash: { field: "style", type: "nominal", title: options.styleTitle ?? null, sort: null } }
        : {}),
      detail: { field: "part", type: "nominal" },
      order: { field: "x", type: "quantitative" },
    },
  });
}

/**
 * Plots side by side (`columns` per row, default all in one row), each keeping its own scales
 * and legend; `title` over all of them.
 *
 * @example
 * ```ts
 * import { lines, panels } from "./mod.ts";
 * const a = lines([{ label: "a", x: [0, 1], y: [0, 1] }]);
 * const b = lines([{ label: "b", x: [0, 1], y: [1, 0] }]);
 * const both = panels([a, b], { title: "two panels" });
 * ```
 */
export function panels(plots: readonly Plot[], options: { title?: string; columns?: number } = {}): Plot {
  if (plots.length === 0) throw new RangeError("plot: panels() needs at least one plot");
  const inner = plots.map((plot) => {
    const { $schema: _schema, config: _config, ...rest } = plot.spec;
    return rest;
  });
  return new Plot({
    $schema: SCHEMA,
    ...(options.title ? { title: options.title } : {}),
    columns: options.columns ?? plots.length,
    concat: inner,
    resolve: { scale: { color: "independent", strokeDash: "independent" } },
    config: CONFIG,
  });
}

/** Node's DEP0040 (the deprecated `punycode` module): the one warning importing vega causes under Deno. */
const PUNYCODE_WARNING = "DEP0040";

/**
 * Imports vega-lite and vega with Node's `process.emitWarning` wrapped so that DEP0040 alone is
 * dropped while they load (vega's `node-fetch` requires `punycode` through `whatwg-url`); every
 * other warning goes through as before, and the wrapper is removed once they have loaded.
 */
// Full npm: specifiers, as kernels/source.ts imports npm:typescript: a command installed with
// `deno install` runs without this package's import map, where a bare "vega" would not resolve.
type Vega = [typeof import("npm:vega-lite@^5.23.0"), typeof import("npm:vega@^5.33.0")];

async function loadVega(): Promise<Vega> {
  const original = process.emitWarning;
  const filtered = function (this: unknown, warning: string | Error, ...rest: unknown[]): void {
    const options = rest[0];
    const code = typeof options === "object" && options !== null
      ? (options as { code?: unknown }).code
      : rest[1];
    if (code === PUNYCODE_WARNING || (warning as { code?: unknown })?.code === PUNYCODE_WARNING) return;
    return (original as (...args: unknown[]) => void).call(process, warning, ...rest);
  };
  process.emitWarning = filtered as typeof process.emitWarning;
  try {
    // deno-lint-ignore no-import-prefix
    return await Promise.all([import("npm:vega-lite@^5.23.0"), import("npm:vega@^5.33.0")]);
  } finally {
    if (process.emitWarning === filtered) process.emitWarning = original;
  }
}

/** Renders a plot (or a raw Vega-Lite spec) to an SVG string, headless, loading vega on first use. */
export async function toSvg(plot: Plot | VegaLiteSpec): Promise<string> {
  const spec = plot instanceof Plot ? plot.spec : plot;
  const [vl, vega] = await loadVega();
  // deno-lint-ignore no-explicit-any
  const compiled = vl.compile(spec as any).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
