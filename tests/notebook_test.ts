// Executes the notebooks of examples/notebooks headless with the Deno kernel, through
// tests/support/run_notebook.py (which keeps the late outputs that nbconvert drops), then checks the
// executed files: no error output, Vega-Lite plots displayed, (for notebook 1) traces that match
// this test's own host run of examples/catalogue/hh.ts, and (for notebook 4) inspect's comparison of
// the imported Allen NaTs with its port.
//
// Needs /usr/bin/python3 with jupyter_client (Debian: jupyter-client) and the Deno kernel
// registered (`deno jupyter --install`). Without them the notebook tests are skipped with a
// message, except when DENOCAT_REQUIRE_NOTEBOOKS=1 (set by .ci/run), where their absence fails.
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { catalogue, runCell } from "../mod.ts";
import { PointwiseHH } from "../examples/catalogue/hh.ts";
import { trap } from "../examples/allen/nats.ts";
import { VEGA_LITE_MIME } from "../plot/mod.ts";
import { denoCommand } from "./support/deno.ts";
import { arborEnv, newestSite, REQUIRE_ARBOR } from "./support/real_arbor.ts";

/** The real Arbor notebook 2 runs in (the newest of this run's), if any. */
const arbor = newestSite();

/** Debian's Python: the one jupyter-client installs into (a pyenv `python3` on PATH may lack it). */
const RUNNER_PYTHON = "/usr/bin/python3";
const NOTEBOOKS = fileURLToPath(new URL("../examples/notebooks/", import.meta.url));
const RUN_NOTEBOOK = fileURLToPath(new URL("./support/run_notebook.py", import.meta.url));

async function output(
  program: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ ok: boolean; stdout: string; text: string }> {
  try {
    const out = await new Deno.Command(program, { args, env, stdout: "piped", stderr: "piped" }).output();
    const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
    return { ok: out.success, stdout: decode(out.stdout), text: decode(out.stdout) + decode(out.stderr) };
  } catch (error) {
    return { ok: false, stdout: "", text: (error as Error).message };
  }
}

/** Why notebooks cannot be executed here, or undefined when they can. */
async function missingRunner(): Promise<string | undefined> {
  const client = await output(RUNNER_PYTHON, ["-c", "import jupyter_client"]);
  if (!client.ok) {
    return `${RUNNER_PYTHON} cannot import jupyter_client (install the Debian package jupyter-client): ` +
      client.text.trim().split("\n").at(-1);
  }
  const specs = await output(RUNNER_PYTHON, ["-m", "jupyter", "kernelspec", "list", "--json"]);
  let kernels: Record<string, { spec?: { argv?: string[] } }> = {};
  try {
    kernels = JSON.parse(specs.stdout).kernelspecs ?? {};
  } catch {
    return `"jupyter kernelspec list --json" printed no JSON: ${specs.text.trim().slice(0, 200)}`;
  }
  const names = Object.keys(kernels);
  if (!names.includes("deno")) {
    return `no Jupyter kernel named "deno" is registered (found: ${names.join(", ") || "none"}); ` +
      `run "deno jupyter --install"`;
  }
  // A registration left by a Deno that is gone (a deleted CI folder) starts no kernel: say so.
  const deno = kernels.deno.spec?.argv?.[0];
  if (deno !== undefined && deno.includes("/") && !(await Deno.stat(deno).then(() => true, () => false))) {
    return `the Jupyter kernel "deno" runs ${deno}, which does not exist; run "deno jupyter --install --force" to register this Deno`;
  }
  return undefined;
}

const missing = await missingRunner();
const required = Deno.env.get("DENOCAT_REQUIRE_NOTEBOOKS") === "1";
if (missing !== undefined && !required) console.log(`skip notebook tests: ${missing}`);

interface Output {
  output_type: string;
  text?: string | string[];
  data?: Record<string, unknown>;
  ename?: string;
  evalue?: string;
}
interface Notebook {
  cells: { cell_type: string; source: string | string[]; outputs?: Output[] }[];
}

const joined = (text: string | string[] | undefined) => Array.isArray(text) ? text.join("") : text ?? "";

/**
 * Executes `examples/notebooks/<name>` into a temporary file and returns the executed notebook; `env` goes
 * to the runner and so to the kernel it starts.
 */
async function execute(
  name: string,
  env: Record<string, string> = {},
): Promise<{ notebook: Notebook; outputs: Output[]; stdout: string }> {
  const folder = await Deno.makeTempDir({ prefix: "denocat-notebook-test-" });
  try {
    const target = `${folder}/${name}`;
    // Not nbconvert: under load, Deno's kernel can publish a display after the cell's "idle" status,
    // and nbclient drops it silently (tests/support/run_notebook.py explains and works around it).
    const run = await output(RUNNER_PYTHON, [
      RUN_NOTEBOOK,
      `${NOTEBOOKS}${name}`,
      target,
      "--kernel",
      "deno",
    ], env);
    // The runner writes the notebook even when a cell fails, so that the failing cell is named below.
    let notebook: Notebook;
    try {
      notebook = JSON.parse(await Deno.readTextFile(target));
    } catch (error) {
      throw new Error(`executing ${name} wrote no notebook (${error}):\n${run.text}`);
    }
    const outputs = notebook.cells.flatMap((cell) => cell.outputs ?? []);
    const errors = outputs.filter((o) => o.output_type === "error");
    assert.equal(
      errors.length,
      0,
      `${name}: error output: ${errors.map((e) => `${e.ename}: ${e.evalue}`).join("; ")}`,
    );
    assert.ok(run.ok, `executing ${name} failed:\n${run.text}`);
    const stdout = outputs.filter((o) => o.output_type === "stream").map((o) => joined(o.text)).join("");
    return { notebook, outputs, stdout };
  } finally {
    await Deno.remove(folder, { recursive: true });
  }
}

/** The Vega-Lite specs the notebook displayed; each must come with its SVG fallback. */
function vegaLiteSpecs(name: string, outputs: Output[]): Record<string, unknown>[] {
  const specs = outputs.filter((o) => o.data?.[VEGA_LITE_MIME] !== undefined).map((o) => {
    assert.ok(joined(o.data!["image/svg+xml"] as string[]).includes("<svg"), `${name}: no SVG fallback`);
    return o.data![VEGA_LITE_MIME] as Record<string, unknown>;
  });
  assert.ok(specs.length > 0, `${name}: no output of MIME type ${VEGA_LITE_MIME}`);
  return specs;
}

interface NotebookRun {
  params: Record<string, number>;
  time: number[];
  v: number[];
  spikes: number[];
}

function largestDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length, "trace lengths differ");
  let largest = 0;
  for (let k = 0; k < a.length; k++) largest = Math.max(largest, Math.abs(a[k] - b[k]));
  return largest;
}

Deno.test({
  name:
    "notebooks: jupyter_client and the Deno kernel are available (required where DENOCAT_REQUIRE_NOTEBOOKS=1)",
  ignore: !required,
  fn: () => assert.equal(missing, undefined, missing),
});

Deno.test({
  name: "notebook 1: runs without errors, plots Vega-Lite, and its traces match a host run of the channel",
  ignore: missing !== undefined,
  async fn() {
    const name = "1_write_run_plot.ipynb";
    const { outputs } = await execute(name);
    const specs = vegaLiteSpecs(name, outputs);
    const data = outputs.map((o) => o.data?.["application/json"] as Record<string, unknown> | undefined)
      .find((json) => json?.denocat === "notebook-1 traces");
    assert.ok(data, `${name}: no application/json output with the traces`);
    const cell = data.cell as Parameters<typeof runCell>[0];
    const runs = data.runs as NotebookRun[];
    assert.equal(runs.length, 2, "the notebook runs the cell twice: before and after the change");

    const cat = await catalogue({ mechanisms: [PointwiseHH] });
    for (const run of runs) {
      const ours = await runCell({ ...cell, density: [{ mechanism: "hh", params: run.params }] }, {
        catalogues: [cat],
      });
      const what = `run with ${JSON.stringify(run.params)}`;
      // The notebook's channel cell is a copy of examples/catalogue/hh.ts: the same arithmetic.
      assert.ok(largestDifference(ours.time, run.time) === 0, `${what}: sample times differ`);
      const dv = largestDifference(ours.traces.v, run.v);
      assert.ok(
        dv <= 1e-9,
        `${what}: |v(notebook) - v(host)| = ${dv} mV; keep the channel cell equal to hh.ts`,
      );
      assert.equal(run.spikes.length, ours.spikes.length, `${what}: spike counts differ`);
      assert.ok(largestDifference(ours.spikes, run.spikes) <= 1e-9, `${what}: spike times differ`);
      // The plots show these numbers: some displayed spec has a series equal to this run's trace.
      const plotted = specs.some((spec) => {
        const rows = (spec.data as { values?: { value: number; series: string }[] })?.values ?? [];
        const series = new Map<string, number[]>();
        for (const row of rows) series.set(row.series, [...(series.get(row.series) ?? []), row.value]);
        return [...series.values()].some((values) =>
          values.length === run.v.length && largestDifference(values, run.v) === 0
        );
      });
      const shown = specs.map((spec) => (spec.data as { values?: unknown[] })?.values?.length ?? 0);
      assert.ok(plotted, `${what}: none of the ${specs.length} plots (rows: ${shown}) shows this trace`);
    }
    assert.ok(runs[0].spikes.length > 0, "the clamped cell spikes");
    assert.ok(
      largestDifference(runs[0].v, runs[1].v) > 1,
      "changing gkbar changes the trace by more than 1 mV somewhere",
    );
    cat.close();
  },
});

Deno.test({
  name: `notebook 2: runs to the end, in real Arbor ${
    arbor ? arbor.label : "(none here: says it is not installed)"
  }`,
  ignore: missing !== undefined,
  async fn() {
    const name = "2_arbor_vs_builtin.ipynb";
    // With a real Arbor the kernel imports it (PYTHONPATH, the run's one Python), and the notebook's Arbor
    // cells must run; without, it must say so.
    const { outputs, stdout } = await execute(name, arbor ? arborEnv(arbor.site) : {});
    vegaLiteSpecs(name, outputs);
    const compared = /largest \|v\(builtin hh\) - v\(ts_hh\)\| in Arbor: (\S+) mV/.exec(stdout);
    if (arbor !== undefined || REQUIRE_ARBOR) {
      assert.ok(compared, `${name}: no comparison with Arbor's builtin hh was printed:\n${stdout}`);
      assert.ok(Number(compared[1]) < 1e-6, `${name}: builtin and ts_hh differ by ${compared[1]} mV`);
      assert.match(
        stdout,
        new RegExp(`Arbor ${(arbor?.label ?? "").replace(".", "\\.")}`),
        "the kernel's Arbor",
      );
    } else {
      assert.match(stdout, /Arbor is not installed/, `${name}: neither a comparison nor "not installed"`);
      const markdown = outputs.some((o) =>
        joined(o.data?.["text/markdown"] as string[]).includes("not installed")
      );
      assert.ok(markdown, `${name}: the "Arbor is not installed" note is not displayed`);
    }
  },
});

Deno.test({
  name: "notebook 3: compiles the channel, matches live mode, and plots live/compiled ratios",
  ignore: missing !== undefined,
  async fn() {
    const name = "3_compile_and_time.ipynb";
    const { outputs, stdout } = await execute(name);
    const specs = vegaLiteSpecs(name, outputs);
    const dv = /largest \|v\(live\) - v\(compiled\)\| over \d+ steps: (\S+) mV/.exec(stdout);
    assert.ok(dv && Number(dv[1]) < 1e-6, `${name}: live and compiled traces: ${dv?.[1] ?? "not printed"}`);
    const bars = specs.flatMap((spec) =>
      (spec.layer as { mark?: unknown; data?: { values: unknown[] } }[]) ?? []
    )
      .filter((layer) => layer.mark === "bar").flatMap((layer) => layer.data!.values as { ratio: number }[]);
    assert.equal(bars.length, 2, `${name}: expected 2 ratio bars, got ${bars.length}`);
    for (const bar of bars) assert.ok(Number.isFinite(bar.ratio) && bar.ratio > 0, `ratio ${bar.ratio}`);
  },
});

Deno.test({
  name:
    "notebook 4: inspects the imported Allen NaTs against its port: equal to round-off, the changed hvhalf found in h",
  ignore: missing !== undefined,
  async fn() {
    const name = "4_inspect_a_channel.ipynb";
    const { outputs, stdout } = await execute(name);
    const specs = vegaLiteSpecs(name, outputs);
    assert.ok(
      specs.length >= 4,
      `${name}: ${specs.length} plots, expected gating, activation, inactivation, gating`,
    );
    const data = outputs.map((o) => o.data?.["application/json"] as Record<string, unknown> | undefined)
      .find((json) => json?.denocat === "notebook-4 differences");
    assert.ok(data, `${name}: no application/json output with the differences`);
    type Row = { curve: string; largest: number; relative: number; at?: string };
    const same = data.same as Row[], wrong = data.wrong as Row[];
    assert.ok(same.length >= 8, `${name}: ${same.length} compared curves`);
    for (const d of same) {
      assert.ok(d.relative <= 1e-12, `import and port differ in ${d.curve} by ${d.relative}`);
    }
    const of = (curve: string) => wrong.find((d) => d.curve === curve)!;
    assert.ok(of("m steady state").relative <= 1e-15 && of("τm").relative <= 1e-15, "hvhalf moved m");
    // h∞ of NaTs with its half-inactivation at -60 and at -66 mV, largest apart over -100..60 mV.
    const hInf = (v: number, half: number) => {
      const a = 0.015 * trap(v - half, 6), b = 0.015 * trap(half - v, 6);
      return a / (a + b);
    };
    const voltages = Array.from({ length: 161 }, (_, k) => -100 + k);
    const expected = Math.max(...voltages.map((v) => Math.abs(hInf(v, -60) - hInf(v, -66))));
    const h = of("h steady state");
    assert.ok(
      Math.abs(h.largest - expected) <= 1e-12 * expected,
      `h steady state: ${h.largest} vs ${expected}`,
    );
    assert.match(stdout, /largest difference: h steady state, 2\.449e-1 at V = -63 mV/);
  },
});

Deno.test("notebooks: the code of every notebook type-checks, including paths that cannot run here", async () => {
  // Notebook 2's Arbor cells only run where Arbor is installed; `deno check` still sees them.
  const folder = await Deno.makeTempDir({ prefix: "denocat-notebook-check-" });
  try {
    const files: string[] = [];
    for await (const entry of Deno.readDir(NOTEBOOKS)) {
      if (!entry.name.endsWith(".ipynb")) continue;
      const notebook: Notebook = JSON.parse(await Deno.readTextFile(`${NOTEBOOKS}${entry.name}`));
      const code = notebook.cells.filter((cell) => cell.cell_type === "code").map((cell) =>
        joined(cell.source)
      )
        .join("\n")
        // The cells import by paths relative to the notebook's folder: make them absolute here.
        .replaceAll(
          /from "(\.\.?\/[^"]+)"/g,
          (_, path) => `from "${new URL(path, `file://${NOTEBOOKS}`).href}"`,
        );
      const file = `${folder}/${entry.name.replace(/\.ipynb$/, ".ts")}`;
      await Deno.writeTextFile(file, `export {};\n${code}\n`);
      files.push(file);
    }
    assert.equal(files.length, 4, "four notebooks");
    const config = fileURLToPath(new URL("../deno.json", import.meta.url));
    const checked = await denoCommand(["check", "--config", config, ...files], {
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.ok(
      checked.success,
      `deno check of the notebooks' code:\n${new TextDecoder().decode(checked.stderr)}`,
    );
  } finally {
    await Deno.remove(folder, { recursive: true });
  }
});
