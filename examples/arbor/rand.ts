/**
 * Port of arbor_pycat's `tests/rand.py`: a mechanism `rt` with one random variable that sets
 * the voltage of its CV to the draw in every `compute_currents`. Over 1000 ms sampled every
 * 0.1 ms, pycat asserts the voltage has |mean| < 0.05 and |std − 1| < 0.05 (standard normals).
 *
 * @module
 */
import { catalogue, defineMechanism } from "../../mod.ts";
import type { Arbor } from "../../arbor/mod.ts";
import { arborOrSkip, cableCell, cylinders, labels, runAsProgram } from "./common.ts";

/** rand.py's `rt`. */
export const randomVoltage = defineMechanism(
  { name: "rt", kind: "density", randoms: ["rand"] },
  {
    computeCurrents(pp) {
      const rand = pp.rand as Float64Array;
      for (let k = 0; k < pp.width; k++) pp.v[pp.nodeIndex[k]] = rand[k];
    },
  },
);

/** Mean and standard deviation of the sampled voltage. */
export interface RandResult {
  /** Mean (mV). */
  mean: number;
  /** Standard deviation (mV). */
  std: number;
}

/** Runs the scenario on `arb`. */
export async function scenario(arb: Arbor): Promise<RandResult> {
  const cat = await catalogue({ mechanisms: [randomVoltage], abi: arb.abi });
  const tree = cylinders(arb, [1]);
  const labelDict = labels(arb, { soma: "(tag 1)", midpoint: "(location 0 0.5)" });
  const decor = arb.decor()
    .setProperty({ Vm: -40 })
    .paint('"soma"', arb.call("density", "rt"));
  const props = arb.call("neuron_cable_properties");
  arb.extendCatalogue(props, cat, "");
  const recipe = arb.recipe({
    numCells: 1,
    cellDescription: () => cableCell(arb, tree, decor, labelDict),
    probes: () => [arb.probe("cable_probe_membrane_voltage", ["(root)"], "Um")],
    globalProperties: props,
  });
  const sim = arb.simulation(recipe);
  const handle = arb.sample(sim, 0, { index: 0, tag: "Um" }, 0.1);
  arb.run(sim, 1000);
  const v = arb.samples(sim, handle).value;
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  const std = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length);
  if (!(Math.abs(mean) < 0.05)) throw new Error(`rand: mean ${mean}, expected |mean| < 0.05`);
  if (!(Math.abs(std - 1) < 0.05)) throw new Error(`rand: std ${std}, expected |std - 1| < 0.05`);
  return { mean, std };
}

/** Loads Arbor (or skips) and runs the scenario. */
export async function main(): Promise<RandResult | undefined> {
  const arb = arborOrSkip("rand");
  return arb && await scenario(arb);
}

if (import.meta.main) await runAsProgram(main);
