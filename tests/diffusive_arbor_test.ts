// Writes of the diffusive concentration Xd by imported NMODL files, in real Arbor (each version
// ≥ 0.10 this run has; 0.9 has no Xd), against the builtins of Arbor's default catalogue that write
// it: decay, inject, inject_norm_amount and inject_norm_concentration. Two sets of files go through
// denocat's importer:
// - denocat's own tests/data/nmodl/diffusive/*.mod, written with the builtins' equations (always, as
//   every real-Arbor test: required in CI);
// - Arbor's own four files (default/decay.mod, ...), when the folder of Arbor's catalogue sources is
//   here (DENOCAT_ARBOR_MECHANISMS, default /tmp/arbor-src/mechanisms; nothing of it is committed),
//   else listed as skipped.
// tests/support/diffusive_child.ts runs them beside the builtins on sodium with its diffusivity set;
// Xd at three places must agree to ≤ 1e-9 relative (tests/support/modcc_child.ts compareTraces) on
// the js, native and compiled targets (native and compiled where a zig is present).
import assert from "node:assert/strict";
import { basename, join } from "node:path";
import { pathToFileURL } from "node:url";
import { arborEnv, type ArborSite, arborSites, HOW_TO_GET_ARBOR, realTest } from "./support/real_arbor.ts";
import { ROOT, runDenoProgram } from "./support/subprocess.ts";
import { compareTraces } from "./support/modcc_child.ts";
import { DIFFUSIVE_MECHANISMS, type DiffusiveReport, type DiffusiveSpec } from "./support/diffusive_child.ts";
import { importNmodl } from "../nmodl/mod.ts";
import { compileCatalogue } from "../mod.ts";
import { targetsHere } from "./support/targets.ts";

type Builtin = keyof typeof DIFFUSIVE_MECHANISMS;
const BUILTINS = Object.keys(DIFFUSIVE_MECHANISMS) as Builtin[];

/** denocat's own files, by the builtin each has the equations of. */
const OWN: Record<Builtin, string> = {
  decay: "xd_decay.mod",
  inject: "xd_inject.mod",
  inject_norm_amount: "xd_inject_amount.mod",
  inject_norm_concentration: "xd_inject_concentration.mod",
};
const OWN_FOLDER = join(ROOT, "tests/data/nmodl/diffusive");
const ARBOR_FOLDER = join(Deno.env.get("DENOCAT_ARBOR_MECHANISMS") ?? "/tmp/arbor-src/mechanisms", "default");

/** Imports `files` (by builtin) into `dir`: the module paths, a module re-exporting them, the mechanism names. */
async function importAll(files: Record<Builtin, string>, dir: string) {
  const modules: string[] = [];
  const imported = {} as Record<Builtin, string>;
  for (const builtin of BUILTINS) {
    const file = files[builtin];
    const result = await importNmodl(await Deno.readTextFile(file), {
      file,
      denocat: pathToFileURL(join(ROOT, "mod.ts")).href,
    });
    assert.equal(result.name, basename(file, ".mod"));
    const path = join(dir, `${result.name}.ts`);
    await Deno.writeTextFile(path, result.source);
    modules.push(path);
    imported[builtin] = result.name;
  }
  const index = join(dir, "mod.ts");
  await Deno.writeTextFile(
    index,
    modules.map((m) => `export * from ${JSON.stringify(pathToFileURL(m).href)};\n`).join(""),
  );
  return { modules, index, imported };
}

/** Runs the child on every target here and checks each pair of cells. */
async function compare(site: ArborSite, files: Record<Builtin, string>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "denocat-xd-" });
  try {
    const { modules, index, imported } = await importAll(files, dir);
    const targets: DiffusiveSpec["target"][] = await targetsHere();
    let libraries: Record<string, string> | undefined;
    if (targets.includes("native")) {
      const built = await compileCatalogue(index, { out: join(dir, "out"), name: "xd" });
      libraries = Object.fromEntries(built.libraries.map((l) => [l.abi, l.path]));
      targets.push("compiled");
    }
    for (const target of targets) {
      const spec: DiffusiveSpec = { target, modules, imported, libraries };
      const specPath = join(dir, `spec_${target}.json`);
      await Deno.writeTextFile(specPath, JSON.stringify(spec));
      const run = await runDenoProgram([join(ROOT, "tests/support/diffusive_child.ts")], {
        env: arborEnv(site.site, { DIFFUSIVE_SPEC: specPath }),
      });
      assert.equal(run.code, 0, run.stderr);
      const report: DiffusiveReport = JSON.parse(run.stdout.trim().split("\n").at(-1)!);
      assert.deepEqual(Object.keys(report.cells).sort(), [...BUILTINS].sort());
      const worst: string[] = [];
      for (const [name, [builtin, ours]] of Object.entries(report.cells)) {
        assert.equal(builtin.source, "builtin");
        assert.equal(ours.source, "import");
        assert.deepEqual(ours.time, builtin.time);
        assert.equal(builtin.time.length, 200, "5 ms at dt 0.025");
        const time = new Float64Array(builtin.time);
        let largest = 0;
        for (const probe of Object.keys(builtin.traces)) {
          const a = new Float64Array(builtin.traces[probe]), b = new Float64Array(ours.traces[probe]);
          const d = compareTraces(probe, "builtin", "import", time, a, b);
          largest = Math.max(largest, d.maxRelative);
          assert.ok(d.maxRelative <= 1e-9, `${target} ${name} ${probe}: ${JSON.stringify(d)}`);
        }
        worst.push(`${name} ${largest.toExponential(1)}`);
        // The comparison sees something happen: the events raise Xd at the soma, and it spreads.
        const soma = builtin.traces.soma, tip = builtin.traces.tip;
        const rise = Math.max(...soma.slice(1).map((x, k) => x - soma[k]));
        assert.ok(rise > 1e-3, `${name}: Xd at the soma rises by up to ${rise} mM in a step`);
        assert.ok(tip.some((x, k) => Math.abs(x - soma[k]) > 1e-3), `${name}: Xd differs along the cell`);
      }
      console.log(`  Arbor ${report.arbor}, ${target}: worst relative difference in Xd: ${worst.join(", ")}`);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const sites = arborSites().filter((s) => !s.label.startsWith("0.9"));
const noSite = arborSites().length === 0
  ? HOW_TO_GET_ARBOR
  : sites.length === 0
  ? "no Arbor ≥ 0.10 in DENOCAT_ARBOR_SITES (Arbor 0.9 has no diffusive concentration)"
  : undefined;
const arborFiles = Object.fromEntries(BUILTINS.map((b) => [b, join(ARBOR_FOLDER, `${b}.mod`)])) as Record<
  Builtin,
  string
>;
const noSources = Object.values(arborFiles).every((f) => {
    try {
      return Deno.statSync(f).isFile;
    } catch {
      return false;
    }
  })
  ? undefined
  : `Arbor's catalogue sources are not at ${ARBOR_FOLDER} (DENOCAT_ARBOR_MECHANISMS names the folder ` +
    `that holds default/)`;

for (const site of noSite === undefined ? sites : [undefined]) {
  const label = site ? `[Arbor ${site.label}]` : "[Arbor]";
  realTest(
    `${label} xd: tests/data/nmodl/diffusive, imported, matches Arbor's decay, inject, inject_norm_amount and inject_norm_concentration`,
    noSite,
    () =>
      compare(
        site!,
        Object.fromEntries(BUILTINS.map((b) => [b, join(OWN_FOLDER, OWN[b])])) as Record<Builtin, string>,
      ),
  );
  // Arbor's own files are not part of a checkout: without them this one is skipped, even in CI.
  const name = `${label} xd: Arbor's default/decay.mod, inject.mod, inject_norm_amount.mod and ` +
    `inject_norm_concentration.mod, imported, match the builtins`;
  const skip = noSite ?? noSources;
  if (skip !== undefined && noSite === undefined) {
    Deno.test({ name: `${name} (skipped: ${skip})`, ignore: true, fn: () => {} });
  } else if (skip === undefined) {
    Deno.test(name, () => compare(site!, arborFiles));
  }
}
