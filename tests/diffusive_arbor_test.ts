// Arbor's four default-catalogue files that write the diffusive concentration Xd (decay.mod,
// inject.mod, inject_norm_amount.mod, inject_norm_concentration.mod; read from the folder of Arbor's
// catalogue sources, DENOCAT_ARBOR_MECHANISMS, default /tmp/arbor-src/mechanisms) go through
// denocat's importer, and run in real Arbor (each version ≥ 0.10 this run has; 0.9 has no Xd) beside
// the builtins of the same name, on sodium with its diffusivity set: Xd at three places must agree
// to ≤ 1e-9 relative (tests/support/modcc_child.ts compareTraces) on the js, native and compiled
// targets. The cells are described in tests/support/diffusive_child.ts.
import assert from "node:assert/strict";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { arborEnv, arborSites, HOW_TO_GET_ARBOR, realTest } from "./support/real_arbor.ts";
import { ROOT, runDenoProgram } from "./support/subprocess.ts";
import { compareTraces } from "./support/modcc_child.ts";
import { DIFFUSIVE_MECHANISMS, type DiffusiveReport, type DiffusiveSpec } from "./support/diffusive_child.ts";
import { importNmodl } from "../nmodl/mod.ts";
import { compileCatalogue } from "../mod.ts";
import { targetsHere } from "./support/targets.ts";

const MECHANISMS = Deno.env.get("DENOCAT_ARBOR_MECHANISMS") ?? "/tmp/arbor-src/mechanisms";
const folder = join(MECHANISMS, "default");
const present = (() => {
  try {
    return Object.keys(DIFFUSIVE_MECHANISMS).every((name) =>
      Deno.statSync(join(folder, `${name}.mod`)).isFile
    );
  } catch {
    return false;
  }
})();

/** Imports the four files into `dir`; returns the module paths and a module that re-exports them. */
async function importAll(dir: string): Promise<{ modules: string[]; index: string }> {
  const modules: string[] = [];
  for (const name of Object.keys(DIFFUSIVE_MECHANISMS)) {
    const file = join(folder, `${name}.mod`);
    const imported = await importNmodl(await Deno.readTextFile(file), {
      file,
      denocat: pathToFileURL(join(ROOT, "mod.ts")).href,
    });
    const path = join(dir, `${name}.ts`);
    await Deno.writeTextFile(path, imported.source);
    modules.push(path);
  }
  const index = join(dir, "mod.ts");
  await Deno.writeTextFile(
    index,
    modules.map((m) => `export * from ${JSON.stringify(pathToFileURL(m).href)};\n`).join(""),
  );
  return { modules, index };
}

const sites = arborSites().filter((s) => !s.label.startsWith("0.9"));
const missing = arborSites().length === 0
  ? HOW_TO_GET_ARBOR
  : sites.length === 0
  ? "no Arbor ≥ 0.10 in DENOCAT_ARBOR_SITES (Arbor 0.9 has no diffusive concentration)"
  : !present
  ? `Arbor's catalogue sources are not at ${folder} (set DENOCAT_ARBOR_MECHANISMS to the folder of default/, allen/, bbp/)`
  : undefined;

for (const site of missing === undefined ? sites : [undefined]) {
  realTest(
    `${
      site ? `[Arbor ${site.label}]` : "[Arbor]"
    } xd: imported decay, inject, inject_norm_amount and inject_norm_concentration match Arbor's builtins`,
    missing,
    async () => {
      const dir = await Deno.makeTempDir({ prefix: "denocat-xd-" });
      try {
        const { modules, index } = await importAll(dir);
        const targets: DiffusiveSpec["target"][] = await targetsHere();
        let libraries: Record<string, string> | undefined;
        if (targets.includes("native")) {
          const built = await compileCatalogue(index, { out: join(dir, "out"), name: "xd" });
          libraries = Object.fromEntries(built.libraries.map((l) => [l.abi, l.path]));
          targets.push("compiled");
        }
        for (const target of targets) {
          const spec: DiffusiveSpec = { target, modules, libraries };
          const specPath = join(dir, `spec_${target}.json`);
          await Deno.writeTextFile(specPath, JSON.stringify(spec));
          const run = await runDenoProgram([join(ROOT, "tests/support/diffusive_child.ts")], {
            env: arborEnv(site!.site, { DIFFUSIVE_SPEC: specPath }),
          });
          assert.equal(run.code, 0, run.stderr);
          const report: DiffusiveReport = JSON.parse(run.stdout.trim().split("\n").at(-1)!);
          const worst: string[] = [];
          for (const [name, [builtin, imported]] of Object.entries(report.cells)) {
            assert.equal(builtin.source, "builtin");
            assert.equal(imported.source, "import");
            assert.deepEqual(imported.time, builtin.time);
            assert.equal(builtin.time.length, 200, "5 ms at dt 0.025");
            const time = new Float64Array(builtin.time);
            for (const probe of Object.keys(builtin.traces)) {
              const a = new Float64Array(builtin.traces[probe]), b = new Float64Array(imported.traces[probe]);
              const d = compareTraces(probe, "builtin", "import", time, a, b);
              worst.push(`${name} ${probe} ${d.maxRelative.toExponential(1)}`);
              assert.ok(d.maxRelative <= 1e-9, `${target} ${name} ${probe}: ${JSON.stringify(d)}`);
            }
            // The comparison sees something happen: each event raises Xd at the soma, and it spreads.
            const soma = builtin.traces.soma, tip = builtin.traces.tip;
            const rise = Math.max(...soma.slice(1).map((x, k) => x - soma[k]));
            assert.ok(rise > 1e-3, `${name}: Xd at the soma rises by up to ${rise} mM in a step`);
            assert.ok(tip.some((x, k) => Math.abs(x - soma[k]) > 1e-3), `${name}: Xd differs along the cell`);
          }
          console.log(`  Arbor ${report.arbor}, ${target}: worst relative difference ${worst.join(", ")}`);
        }
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    },
  );
}
