/**
 * Port of arbor_pycat's `tests/multi.py`: four cells, each with a `passive` leak towards its own
 * gid (a per-cell parameter) on the dendrites. pycat asserts every cell's final voltage, rounded
 * to 3 decimals, equals its gid.
 *
 * @module
 */
import { catalogue, defineMechanism } from "../../mod.ts";
import type { Arbor } from "../../arbor.ts";
import { kw } from "../../ffi/python.ts";
import { arborOrSkip, cableCell, cylinders, labels, runAsProgram } from "./common.ts";

/** multi.py's `passive`: i = (v - gid)·1e-2 A/m², accumulated with the instance weight. */
export const multiPassive = defineMechanism(
  { name: "passive", kind: "density", parameters: { gid: { unit: "", default: -1 } } },
  {
    computeCurrents(pp) {
      const gid = pp.gid as Float64Array;
      for (let k = 0; k < pp.width; k++) {
        const node = pp.nodeIndex[k];
        pp.i[node] += pp.weight[k] * (pp.v[node] - gid[k]) * 1e-2;
        pp.g[node] += pp.weight[k] * 1e-2;
      }
    },
  },
);

const CELLS = 4;

/** Runs the scenario on `arb`; returns each cell's final voltage. */
export async function scenario(arb: Arbor): Promise<{ vEnd: number[] }> {
  const cat = await catalogue({ mechanisms: [multiPassive], abi: arb.abi });
  const tree = cylinders(arb, [1, 2, 2]);
  const labelDict = labels(arb, { soma: "(tag 1)", dend: "(tag 2)", midpoint: "(location 0 0.5)" });
  const props = arb.call("neuron_cable_properties");
  arb.extendCatalogue(props, cat, "");
  const recipe = arb.recipe({
    numCells: CELLS,
    cellDescription: (gid) => {
      const decor = arb.call("decor")
        .callMethod("set_property", kw({ Vm: arb.q(2, "mV") }))
        .callMethod("paint", '"dend"', arb.call("density", "passive", { gid: 1e-10 + gid }));
      return cableCell(arb, tree, decor, labelDict);
    },
    probes: () => [arb.probe("cable_probe_membrane_voltage", ["(root)"], "Um")],
    globalProperties: props,
  });
  const sim = arb.simulation(recipe);
  const handles = Array.from(
    { length: CELLS },
    (_, gid) => arb.sample(sim, gid, { index: 0, tag: "Um" }, 0.1),
  );
  arb.run(sim, 30);
  const vEnd = handles.map((h) => {
    const v = arb.samples(sim, h).value;
    return v[v.length - 1];
  });
  vEnd.forEach((v, gid) => {
    if (Math.round(v * 1000) / 1000 !== gid) {
      throw new Error(`multi: cell ${gid} ends at ${v} mV, expected ${gid}`);
    }
  });
  return { vEnd };
}

/** Loads Arbor (or skips) and runs the scenario. */
export async function main(): Promise<{ vEnd: number[] } | undefined> {
  const arb = arborOrSkip("multi");
  return arb && await scenario(arb);
}

if (import.meta.main) await runAsProgram(main);
