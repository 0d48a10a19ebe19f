/**
 * A dependency-free SVG line plot, enough to look at a voltage trace.
 *
 * @module
 */

/** One line of a plot. */
export interface Series {
  /** Legend text. */
  label: string;
  /** x values. */
  x: ArrayLike<number>;
  /** y values (same length as x). */
  y: ArrayLike<number>;
  /** CSS colour. */
  color: string;
}

/** Options of `lineChart`. */
export interface ChartOptions {
  /** Title above the plot. */
  title: string;
  /** x-axis label. */
  xLabel: string;
  /** y-axis label. */
  yLabel: string;
  /** Width in px; default 900. */
  width?: number;
  /** Height in px; default 420. */
  height?: number;
}

function niceTicks(low: number, high: number, count: number): number[] {
  const span = high - low || 1;
  const rough = span / count;
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((f) => f * magnitude).find((s) => s >= rough)!;
  const ticks = [];
  for (let t = Math.ceil(low / step) * step; t <= high + step * 1e-9; t += step) {
    ticks.push(Number(t.toFixed(10)));
  }
  return ticks;
}

const escape = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/**
 * Renders series as an SVG document.
 *
 * @example
 * ```ts
 * import { lineChart } from "./svg.ts";
 * const svg = lineChart([{ label: "v", x: [0, 1], y: [-65, 20], color: "#c00" }],
 *   { title: "trace", xLabel: "t (ms)", yLabel: "v (mV)" });
 * ```
 */
export function lineChart(series: Series[], options: ChartOptions): string {
  const width = options.width ?? 900;
  const height = options.height ?? 420;
  const margin = { left: 64, right: 16, top: 36, bottom: 48 };
  let xMin = Infinity, xMax = -Infinity, yMin = Infinity, yMax = -Infinity;
  for (const s of series) {
    for (let k = 0; k < s.x.length; k++) {
      xMin = Math.min(xMin, s.x[k]);
      xMax = Math.max(xMax, s.x[k]);
      yMin = Math.min(yMin, s.y[k]);
      yMax = Math.max(yMax, s.y[k]);
    }
  }
  const pad = (yMax - yMin) * 0.05 || 1;
  yMin -= pad;
  yMax += pad;
  const plotWidth = width - margin.left - margin.right;
  const plotHeight = height - margin.top - margin.bottom;
  const px = (x: number) => margin.left + ((x - xMin) / (xMax - xMin || 1)) * plotWidth;
  const py = (y: number) => margin.top + (1 - (y - yMin) / (yMax - yMin)) * plotHeight;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${width / 2}" y="20" text-anchor="middle" font-size="15">${escape(options.title)}</text>`,
  ];
  for (const t of niceTicks(xMin, xMax, 8)) {
    parts.push(
      `<line x1="${px(t)}" x2="${px(t)}" y1="${margin.top}" y2="${margin.top + plotHeight}" stroke="#eee"/>`,
    );
    parts.push(`<text x="${px(t)}" y="${margin.top + plotHeight + 16}" text-anchor="middle">${t}</text>`);
  }
  for (const t of niceTicks(yMin, yMax, 6)) {
    parts.push(
      `<line x1="${margin.left}" x2="${margin.left + plotWidth}" y1="${py(t)}" y2="${py(t)}" stroke="#eee"/>`,
    );
    parts.push(`<text x="${margin.left - 6}" y="${py(t) + 4}" text-anchor="end">${t}</text>`);
  }
  parts.push(
    `<rect x="${margin.left}" y="${margin.top}" width="${plotWidth}" height="${plotHeight}" fill="none" stroke="#333"/>`,
    `<text x="${margin.left + plotWidth / 2}" y="${height - 10}" text-anchor="middle">${
      escape(options.xLabel)
    }</text>`,
    `<text x="16" y="${margin.top + plotHeight / 2}" text-anchor="middle" transform="rotate(-90 16 ${
      margin.top + plotHeight / 2
    })">${escape(options.yLabel)}</text>`,
  );
  series.forEach((s, index) => {
    const points: string[] = [];
    for (let k = 0; k < s.x.length; k++) points.push(`${px(s.x[k]).toFixed(2)},${py(s.y[k]).toFixed(2)}`);
    parts.push(`<polyline fill="none" stroke="${s.color}" stroke-width="1.3" points="${points.join(" ")}"/>`);
    parts.push(
      `<text x="${margin.left + 10}" y="${margin.top + 16 + 14 * index}" fill="${s.color}">${
        escape(s.label)
      }</text>`,
    );
  });
  parts.push("</svg>");
  return parts.join("\n");
}
