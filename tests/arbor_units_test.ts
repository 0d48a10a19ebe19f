// Cable properties in Arbor's units on every version: tempK reached the cell as kelvins (it named
// arbor.units.K, which Arbor 0.11 and 0.12 do not have: every tempK failed with an AttributeError).
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { arborEnv, perArborVersion } from "./support/real_arbor.ts";
import { runDenoProgram } from "./support/subprocess.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

const CHILD = `
import { loadArbor } from ${JSON.stringify(join(ROOT, "arbor/mod.ts"))};
import { cableCell, cylinders, labels } from ${JSON.stringify(join(ROOT, "examples/arbor/common.ts"))};
const arb = loadArbor();
function spikes(tempK) {
  const decor = arb.decor().setProperty(tempK === undefined ? { Vm: -65 } : { Vm: -65, tempK })
    .paint('"soma"', arb.call("density", "hh"))
    .stimulus('"mid"', arb.iclamp(2, 40, 0.1), "clamp")
    .place('"mid"', arb.thresholdDetector(-10), "detector");
  const recipe = arb.recipe({
    numCells: 1,
    cellDescription: () => cableCell(arb, cylinders(arb, [1]), decor, labels(arb, { soma: "(tag 1)", mid: "(location 0 0.5)" })),
    globalProperties: arb.call("neuron_cable_properties"),
  });
  const sim = arb.simulation(recipe);
  arb.recordSpikes(sim);
  arb.run(sim, 50);
  return arb.spikes(sim).map((s) => s.time);
}
console.log(JSON.stringify({ defaults: spikes(undefined), cold: spikes(279.45), warm: spikes(300) }));
`;

perArborVersion(
  "cable properties: tempK is kelvins (hh at 6.3 °C as by default, faster when warm)",
  async (site) => {
    const folder = await Deno.makeTempDir({ prefix: "denocat-units-" });
    try {
      const program = join(folder, "child.ts");
      await Deno.writeTextFile(program, CHILD);
      const run = await runDenoProgram(["--no-lock", program], { env: arborEnv(site.site) });
      assert.equal(run.code, 0, run.stderr);
      const { defaults, cold, warm } = JSON.parse(run.stdout.trim().split("\n").at(-1)!);
      assert.ok(defaults.length > 0, "the cell spikes");
      // Arbor's default temperature is 6.3 °C = 279.45 K: the same spikes
      assert.deepEqual(cold, defaults);
      assert.notDeepEqual(warm, defaults, "at 300 K hh's rates change the spikes");
    } finally {
      await Deno.remove(folder, { recursive: true });
    }
  },
);
