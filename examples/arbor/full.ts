/**
 * Port of arbor_pycat's `tests/full.py`: a mechanism `mech` with a global `e`, states `x` and
 * `Y`, the ion `Na`, a current i = v/10 (A/m² per mV) and a `write_ions` that reads Na's reversal
 * potential, on three soma segments held at -40 mV initially. The leak pulls v to 0: pycat
 * asserts |v| < 1e-10 mV after 30 ms. `init` checks node indices are consecutive, as pycat does.
 *
 * @module
 */
import { catalogue, defineMechanism } from "../../mod.ts";
import type { Arbor } from "../../arbor/mod.ts";
import { runCell } from "../../host/cell.ts";
import { arborOrSkip, cableCell, cylinders, labels, runAsProgram } from "./common.ts";

/** The mechanism of full.py, with pycat's assignments turned into weighted accumulation. */
export const fullMech = defineMechanism(
  {
    name: "mech",
    kind: "density",
    globals: { e: { unit: "mV", default: -70 } },
    states: { x: { unit: "mV", default: -90 }, Y: { unit: "mV", default: -80 } },
    ions: { Na: { readRevPotential: true } },
  },
  {
    init(pp) {
      for (let k = 1; k < pp.width; k++) {
        if (pp.nodeIndex[k] - pp.nodeIndex[k - 1] !== 1) {
          throw new Error("full: node indices are not consecutive");
        }
      }
      const x = pp.x as Float64Array;
      x.fill(10);
    },
    advanceState(pp) {
      const x = pp.x as Float64Array, y = pp.Y as Float64Array, e = pp.e as number;
      for (let k = 0; k < pp.width; k++) x[k] += (y[k] + e - x[k]) * pp.dt;
    },
    computeCurrents(pp) {
      for (let k = 0; k < pp.width; k++) {
        const node = pp.nodeIndex[k];
        pp.i[node] += pp.weight[k] * pp.v[node] / 10;
        pp.g[node] += pp.weight[k] / 10;
      }
    },
    writeIons(pp) {
      const na = pp.ions.Na;
      for (let k = 0; k < pp.width; k++) {
        const erev = na.reversalPotential[na.index[k]];
        if (!Number.isFinite(erev)) throw new Error("full: Na reversal potential is not finite");
      }
    },
  },
);

/**
 * The final voltage of the same mechanism on one CV of denocat's native host (no Arbor needed):
 * the independent expectation. Arbor's three soma branches all carry the mechanism and start
 * at the same voltage, so no axial current flows and one CV describes them.
 */
export async function expected(): Promise<number> {
  const result = await runCell({
    areaUm2: 2 * Math.PI * 3 * 6,
    vInit: -40,
    ions: { Na: { valence: 1, internal: 54.4, external: 2.5, reversal: -77 } },
    density: [{ mechanism: "mech" }],
    probes: ["v"],
    dt: 0.025,
    until: 30,
  }, { catalogues: [await catalogue({ mechanisms: [fullMech] })] });
  const v = result.traces.v;
  return v[v.length - 1];
}

/** |v_Arbor − v_host| at the end may be this large (mV): both have decayed below round-off. */
export const TOLERANCE = 1e-10;

/** Runs the scenario on `arb`; returns the final voltage. */
export async function scenario(arb: Arbor): Promise<{ vEnd: number }> {
  const cat = await catalogue({ mechanisms: [fullMech], abi: arb.abi });
  const tree = cylinders(arb, [1, 1, 1]);
  const labelDict = labels(arb, { soma: "(tag 1)", midpoint: "(location 0 0.5)" });
  const decor = arb.decor()
    .setProperty({ Vm: -40 })
    .paint('"soma"', arb.call("density", "mech"))
    .setIon("Na", { int_con: 54.4, ext_con: 2.5, rev_pot: -77 });
  const props = arb.call("neuron_cable_properties");
  arb.extendCatalogue(props, cat, "");
  arb.setIon(props, "Na", { int_con: 54.4, ext_con: 2.5, rev_pot: -77, valence: 1 });
  const recipe = arb.recipe({
    numCells: 1,
    cellDescription: () => cableCell(arb, tree, decor, labelDict),
    probes: () => [arb.probe("cable_probe_membrane_voltage", ["(root)"], "Um")],
    globalProperties: props,
  });
  const sim = arb.simulation(recipe);
  const handle = arb.sample(sim, 0, { index: 0, tag: "Um" }, 0.1);
  arb.run(sim, 30);
  const v = arb.samples(sim, handle).value;
  const vEnd = v[v.length - 1];
  if (!(Math.abs(vEnd) < 1e-10)) throw new Error(`full: |v| at the end is ${vEnd}, expected < 1e-10`);
  const host = await expected();
  if (!(Math.abs(vEnd - host) < TOLERANCE)) throw new Error(`full: v at the end ${vEnd}, host ${host}`);
  return { vEnd };
}

/** Loads Arbor (or skips) and runs the scenario. */
export async function main(): Promise<{ vEnd: number } | undefined> {
  const arb = arborOrSkip("full");
  return arb && await scenario(arb);
}

if (import.meta.main) await runAsProgram(main);
