/**
 * The data of `inspect` as tables with units in their headers, and the files it writes: one SVG
 * per figure, and the tables as CSV (one file each) or JSON (one file). Files follow denocat's
 * rule for files a user keeps (platform/files.ts): written whole or not at all, and a file of
 * that name that denocat did not write (by its mark: a comment in an SVG, the `denocat` key of the
 * JSON, a CSV header inspect writes) is left alone unless `force`.
 *
 * @module
 */
import { join } from "node:path";
import { checkTarget, holds, writeFileAtomic } from "../platform/files.ts";
import { type Plot, toSvg } from "../plot/mod.ts";
import { decimate, type ProtocolResult } from "./analysis.ts";
import type { Difference } from "./compare.ts";
import type { GatingCurve } from "./gating.ts";
import { InspectError } from "./quantity.ts";

/** A table: column names with units, and rows. */
export interface Table {
  /** Column headers, units in parentheses (`V (mV)`, `I (mA/cm2)`). */
  columns: string[];
  /** Rows of numbers and text; NaN where a value is undefined. */
  rows: (string | number)[][];
}

/** Trace samples per sweep in tables, by default (0 is every sample). */
export const TRACE_POINTS = 1000;

/** The gating table: one row per mechanism, state and voltage. */
export function gatingTable(curves: readonly GatingCurve[]): Table {
  const units = new Set(curves.map((c) => c.unit || "1"));
  const uniform = units.size <= 1;
  const columns = [
    "mechanism",
    "state",
    "method",
    "V (mV)",
    `steady state (${uniform ? [...units][0] ?? "1" : "unit"})`,
  ];
  if (!uniform) columns.push("unit");
  columns.push("tau (ms)");
  const rows = curves.flatMap((c) =>
    c.v.map((
      v,
      k,
    ) => [c.mechanism, c.state, c.method, v, c.inf[k], ...(uniform ? [] : [c.unit || "1"]), c.tau[k]])
  );
  return { columns, rows };
}

/** The curves of the step protocols: peak, steady and availability against the level. */
export function curvesTable(results: readonly ProtocolResult[]): Table {
  const unit = results[0]?.currentUnit ?? "mA/cm2";
  const rows = results.flatMap((r) =>
    r.curves.flatMap((c) =>
      c.x.map((
        x,
        k,
      ) => [
        r.mechanism,
        r.protocol,
        c.name,
        c.xLabel,
        x,
        c.unit === "1" ? NaN : c.y[k],
        c.unit === "1" ? c.y[k] : NaN,
      ])
    )
  );
  return {
    columns: ["mechanism", "protocol", "measure", "x", "V (mV)", `I (${unit})`, "fraction (1)"],
    rows,
  };
}

/** Every sweep's trace, at most about `points` samples per sweep (0: all), extremes kept. */
export function tracesTable(results: readonly ProtocolResult[], points = TRACE_POINTS): Table {
  const unit = results[0]?.currentUnit ?? "mA/cm2";
  const ions = [...new Set(results.flatMap((r) => r.sweeps.flatMap((s) => Object.keys(s.currents))))]
    .filter((name) => name !== "i");
  const rows: (string | number)[][] = [];
  for (const r of results) {
    for (const sweep of r.sweeps) {
      for (const k of decimate(sweep.currents.i, points)) {
        rows.push([
          r.mechanism,
          r.protocol,
          sweep.label,
          Number((k * r.dt).toPrecision(12)),
          sweep.v[k],
          sweep.currents.i[k],
          ...ions.map((ion) => sweep.currents[ion]?.[k] ?? NaN),
        ]);
      }
    }
  }
  return {
    columns: [
      "mechanism",
      "protocol",
      "sweep",
      "t (ms)",
      "V (mV)",
      `I (${unit})`,
      ...ions.map((i) => `${i} (${unit})`),
    ],
    rows,
  };
}

/** The differences of a comparison. */
export function differencesTable(differences: readonly Difference[]): Table {
  return {
    columns: ["mechanism", "reference", "curve", "largest difference", "unit", "relative (1)", "at"],
    rows: differences.map((d) => [d.mechanism, d.reference, d.curve, d.largest, d.unit, d.relative, d.at]),
  };
}

/** One CSV cell: numbers in full, NaN as an empty cell, text quoted when it must be. */
function cell(value: string | number): string {
  if (typeof value === "number") return Number.isNaN(value) ? "" : String(value);
  return /[",\n\r]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

/** A table as CSV text (header line first). */
export function toCsv(table: Table): string {
  return [table.columns, ...table.rows].map((row) => row.map(cell).join(",")).join("\n") + "\n";
}

/** The mark of an SVG inspect wrote. */
const SVG_MARK = "<!-- written by denocat inspect -->";

/** `svg` with the mark after its opening tag. */
function marked(svg: string): string {
  const end = svg.indexOf(">", svg.indexOf("<svg"));
  return end < 0 ? svg : `${svg.slice(0, end + 1)}${SVG_MARK}${svg.slice(end + 1)}`;
}

/** Formats of the data files. */
export type DataFormat = "csv" | "json" | "none";

/** Options of writing an inspection's files. */
export interface WriteOptions {
  /** The folder (made when missing). */
  out: string;
  /** Data format (default `csv`); `none` writes figures only. */
  format?: DataFormat;
  /** Write the SVG figures (default true). */
  figures?: boolean;
  /** Replace files of those names that denocat did not write. */
  force?: boolean;
}

/** What there is to write. */
export interface Written {
  /** Figures by name. */
  figures: Record<string, Plot>;
  /** Tables by name. */
  tables: Record<string, Table>;
  /** The JSON header: what was inspected and how. */
  about: Record<string, unknown>;
}

/** Writes figures and tables into `options.out`; returns the paths written, in order. */
export async function writeFiles(what: Written, options: WriteOptions): Promise<string[]> {
  const format = options.format ?? "csv";
  if (!["csv", "json", "none"].includes(format)) {
    throw new InspectError(`format must be csv, json or none, got ${JSON.stringify(format)}`);
  }
  await Deno.mkdir(options.out, { recursive: true });
  const files: [string, string, (bytes: Uint8Array) => boolean][] = [];
  if (options.figures ?? true) {
    for (const [name, plot] of Object.entries(what.figures)) {
      files.push([`${name}.svg`, marked(await toSvg(plot)), (bytes) => holds(bytes, SVG_MARK, 4096)]);
    }
  }
  if (format === "csv") {
    for (const [name, table] of Object.entries(what.tables)) {
      const text = toCsv(table);
      const header = text.slice(0, text.indexOf("\n"));
      // A CSV has no room for a mark: one whose header is a table header inspect writes is ours.
      const ours = (bytes: Uint8Array) => {
        const first = new TextDecoder().decode(bytes.subarray(0, 4096)).split("\n")[0];
        return first === header || HEADER_STARTS.some((start) => first.startsWith(start));
      };
      files.push([`${name}.csv`, text, ours]);
    }
  } else if (format === "json") {
    const json = JSON.stringify({ denocat: "inspect", ...what.about, tables: what.tables }, jsonNumber);
    files.push(["inspect.json", json + "\n", (bytes) => holds(bytes, `"denocat":"inspect"`, 64)]);
  }
  const paths = files.map(([name]) => join(options.out, name));
  // Every file is checked before any is written: a refusal leaves the folder as it was.
  files.forEach(([, , ours], k) => checkTarget(paths[k], { force: options.force, ours }));
  for (const [k, [, data, ours]] of files.entries()) {
    await writeFileAtomic(paths[k], data, { force: options.force, ours });
  }
  return paths;
}

/** How the headers of inspect's CSV tables begin. */
const HEADER_STARTS = [
  "mechanism,state,method,V (mV),steady state",
  "mechanism,protocol,measure,x,V (mV),I (",
  "mechanism,protocol,sweep,t (ms),V (mV),I (",
  "mechanism,reference,curve,largest difference,unit",
];

/** JSON has no NaN or Infinity: they become null. */
function jsonNumber(_key: string, value: unknown): unknown {
  return typeof value === "number" && !Number.isFinite(value) ? null : value;
}
