// Renders every plot kind to SVG through vega and checks what a reader sees: axis titles, one
// path per series, and tick labels that span the data.
import { fileURLToPath } from "node:url";
import { denoCommand } from "../tests/support/deno.ts";
import { lines, panels, raster, ratios, states, toSvg, traces, VEGA_LITE_MIME, voltage } from "./mod.ts";

function assert(ok: boolean, message: string): void {
  if (!ok) throw new Error(message);
}

/** Marks vega drew of one kind, counted by their ARIA role description ("line mark", "bar", "tick"). */
function marks(svg: string, role: string): number {
  return svg.split(`aria-roledescription="${role}"`).length - 1;
}

/** The data range vega states for an axis: "values from A to B". */
function axisRange(svg: string, axis: "X" | "Y"): [number, number] {
  // vega writes negative numbers with U+2212 MINUS SIGN
  const m = svg.replaceAll("\u2212", "-").match(
    new RegExp(`aria-label="${axis}-axis[^"]*values from (-?[\\d.]+) to (-?[\\d.]+)"`),
  );
  if (!m) throw new Error(`no ${axis} axis range in the SVG`);
  return [Number(m[1]), Number(m[2])];
}

function tickLabels(svg: string): string[] {
  return [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);
}

Deno.test("plot: traces overlay draws one line per series with titled axes", async () => {
  const time = [0, 10, 20, 30, 40];
  const svg = await toSvg(traces([
    { label: "a", time, values: [-65, -20, 30, -70, -65] },
    { label: "b", time, values: [-64, -64, -63, -62, -61] },
    { label: "c", time, values: [-60, -50, -40, -30, -20] },
  ], { xLabel: "time (ms)", yLabel: "v (mV)", title: "three" }));
  assert(svg.startsWith("<svg"), "not an SVG");
  assert(marks(svg, "line mark") === 3, `expected 3 lines, got ${marks(svg, "line mark")}`);
  const labels = tickLabels(svg);
  for (const t of ["time (ms)", "v (mV)", "three", "a", "b", "c"]) {
    assert(labels.includes(t), `missing text ${t}`);
  }
  const [x0, x1] = axisRange(svg, "X"), [y0, y1] = axisRange(svg, "Y");
  assert(x0 === 0 && x1 === 40, `x axis ${x0}..${x1}, want 0..40`);
  assert(y0 <= -70 && y1 >= 30 && y0 > -100 && y1 < 60, `y axis ${y0}..${y1} does not fit [-70, 30]`);
});

Deno.test("plot: voltage and states", async () => {
  const time = [0, 1, 2];
  const one = await toSvg(voltage(time, [-65, 0, -65]));
  assert(marks(one, "line mark") === 1, "voltage: expected 1 line");
  const two = await toSvg(states(time, { "hh.m": [0.05, 0.5, 0.9], "hh.h": [0.6, 0.3, 0.1] }));
  assert(marks(two, "line mark") === 2, "states: expected 2 lines");
  assert(tickLabels(two).includes("hh.m") && tickLabels(two).includes("state"), "states: legend/axis");
});

Deno.test("plot: raster has one tick per spike and one row per source", async () => {
  const svg = await toSvg(raster({ cell0: [5, 15, 25], cell1: [7] }));
  const ticks = marks(svg, "tick");
  assert(ticks === 4, `expected 4 ticks, got ${ticks}`);
  const labels = tickLabels(svg);
  assert(labels.includes("cell0") && labels.includes("cell1"), "raster rows");
});

Deno.test("plot: ratio bars, one per benchmark, y axis reaches the largest ratio", async () => {
  const svg = await toSvg(ratios({ live: 1, compiled: 3.5 }, { yLabel: "speed-up" }));
  const bars = marks(svg, "bar");
  assert(bars === 2, `expected 2 bars, got ${bars}`);
  const [, top] = axisRange(svg, "Y");
  assert(top >= 3.5, `y axis tops at ${top}, below 3.5`);
  assert(tickLabels(svg).includes("speed-up"), "y title");
});

Deno.test("plot: Jupyter display bundle is Vega-Lite with an SVG fallback", async () => {
  const plot = voltage([0, 1], [-65, -64]);
  const display = plot as unknown as Record<symbol, () => Promise<Record<string, unknown>>>;
  const bundle = await display[Symbol.for("Jupyter.display")]();
  assert(bundle[VEGA_LITE_MIME] === plot.spec, "vega-lite entry");
  assert(String(bundle["image/svg+xml"]).startsWith("<svg"), "svg fallback");
});

Deno.test("plot: mismatched lengths are refused by name", () => {
  let message = "";
  try {
    traces([{ label: "bad", time: [0, 1], values: [1] }]);
  } catch (e) {
    message = (e as Error).message;
  }
  assert(message.includes('"bad"') && message.includes("same length"), message);
});

Deno.test("plot: lines() in panels, a colour per label, a dash per style, log y, whole legend labels", async () => {
  const label = "a legend label far longer than the 160 pixels Vega-Lite would cut it at by default";
  const plot = panels([
    lines([
      { label, x: [0, 1, 2], y: [1, 2, 3], style: "first" },
      { label: "b", x: [0, 1, 2], y: [3, 2, NaN], style: "second" },
    ], { xLabel: "V (mV)", yLabel: "steady state" }),
    lines([{ label: "c", x: [0, 1], y: [0.1, 10] }], { logY: true, yLabel: "tau (ms)" }),
  ], { title: "panels" });
  const svg = await toSvg(plot);
  assert(marks(svg, "line mark") === 3, `expected 3 lines, got ${marks(svg, "line mark")}`);
  const labels = tickLabels(svg);
  for (const text of [label, "b", "c", "first", "second", "panels", "V (mV)", "tau (ms)"]) {
    assert(labels.includes(text), `missing text ${text}`);
  }
  assert(!svg.includes("…"), "a label was cut");
});

Deno.test("plot: rendering prints no warning (Node's DEP0040 from vega's node-fetch is dropped), other warnings pass", async () => {
  const script = `import { toSvg, voltage } from ${JSON.stringify(new URL("./mod.ts", import.meta.url).href)};
import process from "node:process";
await toSvg(voltage([0, 1], [-65, -64]));
process.emitWarning("still shown", "DeprecationWarning", "DEP9999");`;
  const out = await denoCommand([
    "run",
    "-A",
    "--config",
    fileURLToPath(new URL("../deno.json", import.meta.url)),
    "-",
  ], {
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = out.stdin.getWriter();
  await writer.write(new TextEncoder().encode(script));
  await writer.close();
  const { success, stderr } = await out.output();
  const text = new TextDecoder().decode(stderr);
  assert(success, text);
  assert(!text.includes("DEP0040") && !text.includes("punycode"), `printed: ${text}`);
  assert(text.includes("DEP9999"), `another warning was hidden too: ${text}`);
});
