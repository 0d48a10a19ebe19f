// WHITE_NOISE with METHOD stochastic against modcc in real Arbor: tests/data/nmodl/stochastic/noise.mod
// is built with arbor-build-catalogue and imported with denocat; each build drives one cell in a
// simulation of its own with the same seed, so both draw the same white noise (one simulation
// would give the two cells different streams, which is why the file is not in tests/modcc_test.ts).
// Voltage and the noisy conductance must agree to 1e-9 relative on the js and native targets. The
// import's export (denocat export, nmodl/export.ts) is built by modcc too and runs as a third
// simulation, which must agree with the import alike.
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { importNmodl } from "../nmodl/mod.ts";
import { exportNmodl } from "../nmodl/export.ts";
import { arborEnv, buildWithModcc, modccBuild, realTest } from "./support/real_arbor.ts";
import { runDenoProgram } from "./support/subprocess.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const FILE = join(ROOT, "tests/data/nmodl/stochastic/noise.mod");
const { site, missing } = modccBuild();

const CHILD = (modcc: string, exported: string, module: string, target: string) => `
import { loadArbor } from ${JSON.stringify(join(ROOT, "arbor/mod.ts"))};
import { catalogue } from ${JSON.stringify(join(ROOT, "mod.ts"))};
import { cableCell, cylinders, labels } from ${JSON.stringify(join(ROOT, "examples/arbor/common.ts"))};
const arb = loadArbor();
const { Noise } = await import(${JSON.stringify(`file://${module}`)});
const ours = await catalogue({ mechanisms: [Noise], abi: arb.abi, target: ${JSON.stringify(target)} });
function run(name) {
  const props = arb.call("neuron_cable_properties");
  props.get("catalogue").callMethod("extend", arb.call("load_catalogue", ${
  JSON.stringify(modcc)
}), "m1::").dispose();
  props.get("catalogue").callMethod("extend", arb.call("load_catalogue", ${
  JSON.stringify(exported)
}), "m3::").dispose();
  arb.extendCatalogue(props, ours, "m2::");
  const decor = arb.decor().setProperty({ Vm: -65 }).paint('"soma"', arb.call("density", "hh"))
    .paint('"soma"', arb.call("density", name));
  const recipe = arb.recipe({
    numCells: 1,
    cellDescription: () => cableCell(arb, cylinders(arb, [1]), decor, labels(arb, { soma: "(tag 1)" })),
    probes: () => [
      arb.probe("cable_probe_membrane_voltage", ["(location 0 0.5)"], "v"),
      arb.probe("cable_probe_density_state", ["(location 0 0.5)", name, "g"], "g"),
    ],
    globalProperties: props,
  });
  const sim = arb.simulation(recipe, { seed: 42 });
  const v = arb.sample(sim, 0, { index: 0, tag: "v" }, 0.025);
  const g = arb.sample(sim, 0, { index: 0, tag: "g" }, 0.025);
  arb.run(sim, 40);
  return { v: [...arb.samples(sim, v).value], g: [...arb.samples(sim, g).value] };
}
// m1::, m2:: and m3:: sort alike against hh: with prefixes that sort on different sides of hh (modcc::,
// denocat::) the two runs drew different noise (the stream follows the mechanism's place in the cell).
console.log(JSON.stringify({ modcc: run("m1::noise"), denocat: run("m2::noise"), exported: run("m3::noise") }));
`;

realTest(
  "[Arbor 0.11] stochastic: an imported WHITE_NOISE mechanism, and its export built by modcc, draw modcc's noise and integrate it alike",
  missing,
  async () => {
    const tmp = await Deno.makeTempDir({ prefix: "denocat-stochastic-" });
    try {
      const text = await Deno.readTextFile(FILE);
      const mods = join(tmp, "mods");
      await Deno.mkdir(mods);
      await Deno.writeTextFile(join(mods, "noise.mod"), text);
      const library = await buildWithModcc(mods, tmp);
      const imported = await importNmodl(text, { file: FILE, denocat: join(ROOT, "mod.ts"), format: false });
      assert.match(imported.source, /method: "stochastic"/);
      const module = join(tmp, "noise.ts");
      await Deno.writeTextFile(module, imported.source);
      const { Noise } = await import(`file://${module}`);
      const exportFolder = join(tmp, "export");
      await Deno.mkdir(join(exportFolder, "mods"), { recursive: true });
      const exported = await exportNmodl(Noise);
      assert.match(exported.text, /SOLVE states METHOD stochastic/);
      await Deno.writeTextFile(join(exportFolder, "mods", exported.file), exported.text);
      const exportLibrary = await buildWithModcc(join(exportFolder, "mods"), exportFolder);
      for (const target of ["js", "native"]) {
        const program = join(tmp, `child_${target}.ts`);
        await Deno.writeTextFile(program, CHILD(library, exportLibrary, module, target));
        const run = await runDenoProgram(["--no-lock", program], { env: arborEnv(site!.site) });
        assert.equal(run.code, 0, run.stderr);
        const runs = JSON.parse(run.stdout.trim().split("\n").at(-1)!);
        for (
          const [probe, pair] of [["v", "modcc"], ["g", "modcc"], ["v", "exported"], [
            "g",
            "exported",
          ]] as const
        ) {
          const a: number[] = runs[pair][probe], b: number[] = runs.denocat[probe];
          assert.equal(a.length, b.length);
          const floor = 1e-3 * Math.max(...a.map(Math.abs));
          const worst = Math.max(
            ...a.map((x, k) => Math.abs(x - b[k]) / Math.max(Math.abs(x), Math.abs(b[k]), floor)),
          );
          assert.ok(
            worst <= 1e-9,
            `${target} ${probe}, ${pair} vs denocat: worst relative difference ${worst}`,
          );
          console.log(
            `  ${target} ${probe}, ${pair} vs denocat: worst relative difference ${worst.toExponential(2)}`,
          );
          assert.ok(new Set(a.map((x) => x.toPrecision(6))).size > 100, `${probe} moves: the noise is drawn`);
        }
      }
    } finally {
      await Deno.remove(tmp, { recursive: true });
    }
  },
);
