/**
 * The TypeScript `hh` (examples/hh.ts, raw hooks), loaded under the prefix `ts_` as `ts_hh`,
 * next to Arbor's builtin `hh` in one simulation: two identical cells with the same current
 * clamp, one per implementation. Prints the largest voltage difference over the run; the
 * TypeScript port follows modcc's cnexp update, so it must agree to round-off (asserted:
 * < 1e-6 mV; docs/abi.md records 4e-12 mV over 200 ms on Arbor 0.9). Both cells' spikes
 * (recorded with `arb.recordSpikes`, which also sees these unconnected cells on Arbor 0.12)
 * must match, in count and within {@link SPIKE_TIME_TOLERANCE}, the same cell run on
 * denocat's native host.
 *
 * @module
 */
import { catalogue } from "../../mod.ts";
import type { Arbor } from "../../arbor/mod.ts";
import { runCell } from "../../host/cell.ts";
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
  /** Spike times of the builtin cell (gid 0) and of the TypeScript cell (gid 1), ms. */
  spikes: [number[], number[]];
  /** Spike times of the same cell on denocat's native host (the independent expectation), ms. */
  expected: number[];
}

/** The cell: a 6 µm cylinder of radius 3 µm (one CV), 0.8 nA from 10 ms for 2 ms, detector at -10 mV. */
const CELL = { area: 2 * Math.PI * 3 * 6, clamp: { start: 10, duration: 2, amplitude: 0.8 }, threshold: -10 };
/**
 * Spike times may differ from the host's by this much (ms): the host solves the same one-CV
 * cell with the same cnexp updates, so only Arbor's CV geometry and round-off remain.
 */
export const SPIKE_TIME_TOLERANCE = 0.05;

/** Spike times of the TypeScript `hh` cell on the native host, for `tfinal` ms (no Arbor needed). */
export async function expected(tfinal = 100): Promise<number[]> {
  const result = await runCell({
    areaUm2: CELL.area,
    vInit: -65,
    ions: "neuron",
    density: [{ mechanism: "hh" }],
    iclamps: [CELL.clamp],
    detectors: [{ threshold: CELL.threshold }],
    probes: ["v"],
    dt: 0.025,
    until: tfinal,
  }, { catalogues: [await catalogue({ mechanisms: [HH] })] });
  return result.spikes;
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
      const decor = arb.decor()
        .setProperty({ Vm: -65 })
        .paint('"soma"', arb.call("density", names[gid]))
        .stimulus(
          '"midpoint"',
          arb.iclamp(CELL.clamp.start, CELL.clamp.duration, CELL.clamp.amplitude),
          "iclamp",
        )
        .place('"midpoint"', arb.thresholdDetector(CELL.threshold), "detector");
      return cableCell(arb, tree, decor, labelDict);
    },
    probes: () => [arb.probe("cable_probe_membrane_voltage", ['"midpoint"'], "Um")],
    globalProperties: props,
  });
  const sim = arb.simulation(recipe);
  arb.recordSpikes(sim);
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
  const all = arb.spikes(sim);
  const spikes: [number[], number[]] = [0, 1].map((gid) =>
    all.filter((s) => s.gid === gid).map((s) => s.time)
  ) as [number[], number[]];
  const host = await expected(tfinal);
  console.log(
    `hh vs ts_hh: max |dV| = ${maxDifference.toExponential(3)} mV over ${builtin.length} samples; ` +
      `spikes ${JSON.stringify(spikes)}, host ${JSON.stringify(host)}`,
  );
  if (!(peak > 0)) throw new Error(`hh_vs_builtin: the builtin cell did not spike (peak ${peak} mV)`);
  if (!(maxDifference < 1e-6)) {
    throw new Error(`hh_vs_builtin: max |dV| = ${maxDifference} mV, expected < 1e-6`);
  }
  for (const [gid, times] of spikes.entries()) {
    if (times.length !== host.length) {
      throw new Error(
        `hh_vs_builtin: cell ${gid} spiked ${times.length} times, the host ${host.length} times`,
      );
    }
    times.forEach((t, k) => {
      if (!(Math.abs(t - host[k]) < SPIKE_TIME_TOLERANCE)) {
        throw new Error(`hh_vs_builtin: cell ${gid} spike ${k} at ${t} ms, host ${host[k]} ms`);
      }
    });
  }
  return { maxDifference, peak, samples: builtin.length, spikes, expected: host };
}

/** Loads Arbor (or skips) and runs the comparison. */
export async function main(): Promise<HHComparison | undefined> {
  const arb = arborOrSkip("hh_vs_builtin");
  return arb && await scenario(arb);
}

if (import.meta.main) await runAsProgram(main);
