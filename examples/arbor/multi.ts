/**
 * Port of arbor_pycat's `tests/multi.py`: four cells, each with a `passive` leak towards its own
 * gid (a per-cell parameter) on the dendrites. pycat asserts every cell's final voltage, rounded
 * to 3 decimals, equals its gid.
 *
 * @module
 */
import { catalogue, defineMechanism } from "../../mod.ts";
import type { Arbor } from "../../arbor/mod.ts";
import { runCell } from "../../host/cell.ts";
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

/**
 * Each cell's final voltage on one CV of denocat's native host running the same `passive`
 * (no Arbor needed): the independent expectation.
 */
export async function expected(): Promise<number[]> {
  const cat = await catalogue({ mechanisms: [multiPassive] });
  const out: number[] = [];
  for (let gid = 0; gid < CELLS; gid++) {
    const result = await runCell({
      areaUm2: 2 * Math.PI * 3 * 6,
      vInit: 2,
      ions: {},
      density: [{ mechanism: "passive", params: { gid: 1e-10 + gid } }],
      probes: ["v"],
      dt: 0.025,
      until: 30,
    }, { catalogues: [cat] });
    out.push(result.traces.v[result.traces.v.length - 1]);
  }
  return out;
}

/**
 * |v_Arbor − v_host| at the end may be this large (mV). Both relax to gid; Arbor's unleaky
 * soma adds capacitance (τ ≈ 1.5 ms instead of 1 ms), which leaves at most 2·e^(−20) ≈ 4e-9 mV.
 */
export const TOLERANCE = 1e-6;

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
      const decor = arb.decor()
        .setProperty({ Vm: 2 })
        .paint('"dend"', arb.call("density", "passive", { gid: 1e-10 + gid }));
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
  const host = await expected();
  vEnd.forEach((v, gid) => {
    if (Math.round(v * 1000) / 1000 !== gid) {
      throw new Error(`multi: cell ${gid} ends at ${v} mV, expected ${gid}`);
    }
    if (!(Math.abs(v - host[gid]) < TOLERANCE)) {
      throw new Error(`multi: cell ${gid} ends at ${v} mV, the host at ${host[gid]} mV`);
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
