// WHITE_NOISE with METHOD stochastic against modcc in real Arbor: tests/data/nmodl/stochastic/noise.mod
// is built with arbor-build-catalogue and imported with denocat; each build drives one cell in a
// simulation of its own with the same seed, so both draw the same white noise (one simulation
// would give the two cells different streams, which is why the file is not in tests/modcc_test.ts).
// Voltage and the noisy conductance must agree to 1e-9 relative on the js and native targets.
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { importNmodl } from "../nmodl/mod.ts";
import { arborEnv, buildWithModcc, modccBuild, realTest } from "./support/real_arbor.ts";
import { runDenoProgram } from "./support/subprocess.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const FILE = join(ROOT, "tests/data/nmodl/stochastic/noise.mod");
const { site, missing } = modccBuild();

const CHILD = (modcc: string, module: string, target: string) => `
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
// m1:: and m2:: sort alike against hh: with prefixes that sort on different sides of hh (modcc::,
// denocat::) the two runs drew different noise (the stream follows the mechanism's place in the cell).
console.log(JSON.stringify({ modcc: run("m1::noise"), denocat: run("m2::noise") }));
`;

realTest(
  "[Arbor 0.11] stochastic: an imported WHITE_NOISE mechanism draws modcc's noise and integrates it alike",
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
      for (const target of ["js", "native"]) {
        const program = join(tmp, `child_${target}.ts`);
        await Deno.writeTextFile(program, CHILD(library, module, target));
        const run = await runDenoProgram(["--no-lock", program], { env: arborEnv(site!.site) });
        assert.equal(run.code, 0, run.stderr);
        const { modcc, denocat } = JSON.parse(run.stdout.trim().split("\n").at(-1)!);
        for (const probe of ["v", "g"] as const) {
          const a: number[] = modcc[probe], b: number[] = denocat[probe];
          assert.equal(a.length, b.length);
          const floor = 1e-3 * Math.max(...a.map(Math.abs));
          const worst = Math.max(
            ...a.map((x, k) => Math.abs(x - b[k]) / Math.max(Math.abs(x), Math.abs(b[k]), floor)),
          );
          assert.ok(worst <= 1e-9, `${target} ${probe}: worst relative difference ${worst}`);
          assert.ok(new Set(a.map((x) => x.toPrecision(6))).size > 100, `${probe} moves: the noise is drawn`);
        }
      }
    } finally {
      await Deno.remove(tmp, { recursive: true });
    }
  },
);
