/**
 * The TypeScript `hh` (examples/hh.ts, raw hooks), loaded under the prefix `ts_` as `ts_hh`,
 * next to Arbor's builtin `hh` in one simulation: two identical cells with the same current
 * clamp, one per implementation. Prints the largest voltage difference over the run; the
 * TypeScript port follows modcc's cnexp update, so it must agree to round-off (asserted:
 * < 1e-6 mV; arbor-abi.md records 4e-12 mV over 200 ms on Arbor 0.9).
 *
 * @module
 */
import { catalogue } from "../../mod.ts";
import type { Arbor } from "../../arbor.ts";
import { kw } from "../../ffi/python.ts";
import { HH } from "../hh.ts";
import { arborOrSkip, cableCell, cylinders, labels, runAsProgram } from "./common.ts";

/** What the comparison found. */
export interface HHComparison {
  /** Largest |v_builtin − v_ts| over all samples (mV). */
  maxDifference: number;
  /** Peak voltage of the builtin cell (mV): shows the cell spiked. */
  peak: number;
  /** Number of samples compared. */
  samples: number;
}

/** Runs both cells for `tfinal` ms on `arb`. */
export async function scenario(arb: Arbor, tfinal = 100): Promise<HHComparison> {
  const cat = await catalogue({ mechanisms: [HH], abi: arb.abi });
  const props = arb.call("neuron_cable_properties");
  arb.extendCatalogue(props, cat, "ts_");
  const tree = cylinders(arb, [1]);
  const labelDict = labels(arb, { soma: "(tag 1)", midpoint: "(location 0 0.5)" });
  const names = ["hh", "ts_hh"];
  const recipe = arb.recipe({
    numCells: 2,
    cellDescription: (gid) => {
      const decor = arb.call("decor")
        .callMethod("set_property", kw({ Vm: arb.q(-65, "mV") }))
        .callMethod("paint", '"soma"', arb.call("density", names[gid]))
        .callMethod(
          "place",
          '"midpoint"',
          arb.call("iclamp", arb.q(10, "ms"), arb.q(2, "ms"), arb.q(0.8, "nA")),
          "iclamp",
        );
      return cableCell(arb, tree, decor, labelDict);
    },
    probes: () => [arb.probe("cable_probe_membrane_voltage", ['"midpoint"'], "Um")],
    globalProperties: props,
  });
  const sim = arb.simulation(recipe);
  const handles = [0, 1].map((gid) => arb.sample(sim, gid, { index: 0, tag: "Um" }, 0.025));
  arb.run(sim, tfinal, 0.025);
  const [builtin, ours] = handles.map((h) => arb.samples(sim, h).value);
  if (builtin.length !== ours.length || builtin.length === 0) {
    throw new Error(`hh_vs_builtin: ${builtin.length} builtin samples, ${ours.length} TypeScript samples`);
  }
  let maxDifference = 0, peak = -Infinity;
  for (let k = 0; k < builtin.length; k++) {
    maxDifference = Math.max(maxDifference, Math.abs(builtin[k] - ours[k]));
    peak = Math.max(peak, builtin[k]);
  }
  console.log(`hh vs ts_hh: max |dV| = ${maxDifference.toExponential(3)} mV over ${builtin.length} samples`);
  if (!(peak > 0)) throw new Error(`hh_vs_builtin: the builtin cell did not spike (peak ${peak} mV)`);
  if (!(maxDifference < 1e-6)) {
    throw new Error(`hh_vs_builtin: max |dV| = ${maxDifference} mV, expected < 1e-6`);
  }
  return { maxDifference, peak, samples: builtin.length };
}

/** Loads Arbor (or skips) and runs the comparison. */
export async function main(): Promise<HHComparison | undefined> {
  const arb = arborOrSkip("hh_vs_builtin");
  return arb && await scenario(arb);
}

if (import.meta.main) await runAsProgram(main);
