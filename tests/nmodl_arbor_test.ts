// An imported NMODL file in Arbor through the bridge: hh.mod (python3-nmodl's example, copied into
// tests/data/nmodl) goes through `deno task import`, then `denocat run` loads the generated class
// into real Arbor (the newest version present, tests/support/real_arbor.ts) from a Python script,
// and the trace there equals the native host's run of the same generated class. Without real Arbor
// the test is listed as skipped (under DENOCAT_REQUIRE_ARBOR=1 it fails).
import assert from "node:assert/strict";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { arborEnv, onNewestArbor } from "./support/real_arbor.ts";
import { ROOT, runDenoProgram } from "./support/subprocess.ts";
import { runCell } from "../host/cell.ts";
import { catalogue, type MechanismClass, PointwiseMechanism } from "../mod.ts";

const run = (args: string[], env: Record<string, string> = {}) => runDenoProgram(args, { env });

onNewestArbor(
  "nmodl: an imported hh.mod runs in Arbor through denocat run, as on the native host",
  async (site) => {
    const dir = await Deno.makeTempDir({ prefix: "denocat-nmodl-arbor-" });
    try {
      const ts = join(dir, "hh_imported.ts");
      const denocat = pathToFileURL(join(ROOT, "mod.ts")).href;
      const imported = await run([
        "cli/import.ts",
        "tests/data/nmodl/hh.mod",
        "-o",
        ts,
        "--denocat",
        denocat,
      ]);
      assert.equal(imported.code, 0, imported.stderr);

      const arbor = await run(
        ["cli/mod.ts", "run", ts, "tests/support/cli/imported_hh.py"],
        arborEnv(site.site),
      );
      assert.equal(arbor.code, 0, arbor.stderr);
      const line = arbor.stdout.split("\n").find((l) => l.startsWith("result "));
      assert.ok(line, arbor.stdout);
      const { t, v } = JSON.parse(line.slice(7)) as { t: number[]; v: number[] };

      // The module exports the mechanism class and hh.mod's FUNCTIONs as plain functions.
      const module = await import(pathToFileURL(ts).href) as Record<string, unknown>;
      const classes = Object.values(module).filter((value): value is MechanismClass =>
        typeof value === "function" && value.prototype instanceof PointwiseMechanism
      );
      assert.equal(classes.length, 1);
      const host = await runCell({
        areaUm2: 2 * Math.PI * 3 * 6,
        ions: "neuron",
        vInit: -60,
        density: [{ mechanism: "hh" }],
        probes: ["v"],
        dt: 0.025,
        until: 20,
      }, { catalogues: [await catalogue({ mechanisms: classes })] });
      assert.equal(t.length, host.time.length);
      for (let k = 0; k < t.length; k++) {
        assert.ok(Math.abs(t[k] - host.time[k]) < 1e-12, `t[${k}]`);
        assert.ok(Math.abs(v[k] - host.traces.v[k]) < 1e-9, `v(${t[k]}) = ${v[k]}, host ${host.traces.v[k]}`);
      }
      assert.ok(Math.max(...v) - Math.min(...v) > 1, "the imported channel moves the voltage");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);
