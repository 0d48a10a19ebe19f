/**
 * Port of arbor_pycat's `tests/api.py`: the `example` mechanism (rotating states, writes cai) on
 * the soma and `passive` on two dendrite segments; a custom `Na` species in the properties. Run
 * 30 ms and check the membrane voltage and internal calcium stay small, as pycat asserts
 * (|v| < 2 mV, |cai| < 2 mM at the end).
 *
 * Run it with `deno run -A examples/arbor/api.ts` (prints one skip line without Arbor).
 *
 * @module
 */
import { catalogue } from "../../mod.ts";
import type { Arbor } from "../../arbor/mod.ts";
import { ExampleMech } from "../pycat/example_mech.ts";
import { Passive } from "../pycat/passive.ts";
import { arborOrSkip, cableCell, cylinders, labels, runAsProgram } from "./common.ts";

/** What the scenario measured. */
export interface ApiResult {
  /** Voltage at the root at the end of the run (mV). */
  vEnd: number;
  /** Internal calcium at the root at the end of the run (mM). */
  caiEnd: number;
}

/** Runs the scenario on `arb` and asserts pycat's conditions. */
export async function scenario(arb: Arbor): Promise<ApiResult> {
  const cat = await catalogue({ mechanisms: [ExampleMech, Passive], abi: arb.abi });
  const tree = cylinders(arb, [1, 2, 2]);
  const labelDict = labels(arb, { soma: "(tag 1)", dend: "(tag 2)", midpoint: "(location 0 0.5)" });
  const decor = arb.decor()
    .setProperty({ Vm: -40 })
    .paint('"soma"', arb.call("density", "example"))
    .paint('"dend"', arb.call("density", "passive"));
  const props = arb.call("neuron_cable_properties");
  arb.extendCatalogue(props, cat, "");
  arb.setIon(props, "Na", { int_con: 54.4, ext_con: 2.5, rev_pot: -77, valence: 1 });
  const recipe = arb.recipe({
    numCells: 1,
    cellDescription: () => cableCell(arb, tree, decor, labelDict),
    probes: () => [
      arb.probe("cable_probe_membrane_voltage", ["(root)"], "Um"),
      arb.probe("cable_probe_ion_int_concentration", ["(root)", "ca"], "cai"),
    ],
    globalProperties: props,
  });
  const sim = arb.simulation(recipe);
  const v = arb.sample(sim, 0, { index: 0, tag: "Um" }, 0.1);
  const ca = arb.sample(sim, 0, { index: 1, tag: "cai" }, 0.1);
  arb.run(sim, 30);
  const voltage = arb.samples(sim, v).value;
  const cai = arb.samples(sim, ca).value;
  const result = { vEnd: voltage[voltage.length - 1], caiEnd: cai[cai.length - 1] };
  if (!(Math.abs(result.vEnd) < 2)) throw new Error(`api: |v| at the end is ${result.vEnd}, expected < 2`);
  if (!(Math.abs(result.caiEnd) < 2)) {
    throw new Error(`api: |cai| at the end is ${result.caiEnd}, expected < 2`);
  }
  return result;
}

/** Loads Arbor (or skips) and runs the scenario. */
export async function main(): Promise<ApiResult | undefined> {
  const arb = arborOrSkip("api");
  return arb && await scenario(arb);
}

if (import.meta.main) await runAsProgram(main);
