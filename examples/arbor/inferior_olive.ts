/**
 * Port of the inferior-olive (de Gruijl) example of arbor_pycat's README: three forward-Euler
 * mechanisms for soma, dendrite and axon (`io_soma_fwd`, `io_dend_fwd`, `io_axon_fwd`), run in
 * `arbor.single_cell_model`. pycat loaded the morphology from `C51A.cell.nml`; here a
 * soma, two dendrites and an axon are built in code with the same region names
 * (`soma_group`, `dendrite_group`, `axon_group`).
 *
 * pycat assigned each compartment's current, computed from its conductances, straight to
 * `pp.i` (A/m²); the kernels below return that same current in the pointwise API's mA/cm²
 * (×0.1), so the dynamics are pycat's. pycat asserts nothing (it plots); this port asserts the
 * trace is finite and physiological (−100 to +60 mV).
 *
 * @module
 */
import { catalogue, defineMechanism } from "../../mod.ts";
import type { Arbor } from "../../arbor/mod.ts";
import { kw } from "../../ffi/python/mod.ts";
import { arborOrSkip, labels, runAsProgram } from "./common.ts";

const g = {
  CaL: 0.045,
  h: 0.015,
  K_Ca: 0.220,
  ld: 1.3e-5,
  la: 1.3e-5,
  ls: 1.3e-5,
  Na_s: 0.030,
  Kdr_s: 0.030,
  K_s: 0.015,
  CaH: 0.010,
  Na_a: 0.200,
  K_a: 0.200,
};
const V = { Na: 55.0, K: -75.0, Ca: 120.0, h: -43.0, l: 10.0 };
/** pycat's current (A/m²) in the pointwise API's mA/cm². */
const A_PER_M2 = 0.1;
const exp = Math.exp;
const alphaX = (v: number) => 0.13 * (v + 25) / (1 - exp(-(v + 25) / 10));
const betaX = (v: number) => 1.69 * exp(-(v + 35) / 80);

const unitless = (names: string[]) => Object.fromEntries(names.map((n) => [n, { unit: "", default: 0 }]));

/** The somatic compartment. */
export const ioSoma = defineMechanism(
  { name: "io_soma_fwd", kind: "density", method: "euler", states: unitless(["k", "l", "h", "n", "x"]) },
  {
    initial: ({ v }) => ({
      k: 1 / (1 + exp(-(v + 61) / 4.2)),
      l: 1 / (1 + exp((v + 85) / 8.5)),
      h: 1 / (1 + exp((v + 70) / 5.8)),
      n: 1 / (1 + exp(-(v + 3) / 10)),
      x: alphaX(v) / (alphaX(v) + betaX(v)),
    }),
    derivative: ({ v, k, l, h, n, x }) => {
      const tauL = 20 * exp((v + 160) / 30) / (1 + exp((v + 84) / 7.3)) + 35;
      const tauH = 3 * exp(-(v + 40) / 33);
      const tauN = 5 + 47 * exp((v + 50) / 900);
      const rateX = alphaX(v) + betaX(v);
      return {
        k: 1 / (1 + exp(-(v + 61) / 4.2)) - k,
        l: (1 / (1 + exp((v + 85) / 8.5)) - l) / tauL,
        h: (1 / (1 + exp((v + 70) / 5.8)) - h) / tauH,
        n: (1 / (1 + exp(-(v + 3) / 10)) - n) / tauN,
        x: (alphaX(v) / rateX - x) * rateX,
      };
    },
    current: ({ v, k, l, h, n, x }) => {
      const mInf = 1 / (1 + exp(-(v + 30) / 5.5));
      const total = g.ls * (v - V.l) + g.CaL * k * k * k * l * (v - V.Ca) +
        g.Na_s * mInf ** 3 * h * (v - V.Na) +
        g.Kdr_s * n ** 4 * (v - V.K) + g.K_s * x ** 4 * (v - V.K);
      return { i: A_PER_M2 * total };
    },
  },
);

/** The dendritic compartment (with its calcium pool as a state). */
export const ioDend = defineMechanism(
  { name: "io_dend_fwd", kind: "density", method: "euler", states: unitless(["caconc", "r", "s", "q"]) },
  {
    initial: ({ v }) => {
      const caconc = 3.715;
      const alphaR = 1.7 / (1 + exp(-(v - 5) / 13.9));
      const betaR = 0.02 * (v + 8.5) / (exp((v + 8.5) / 5) - 1.0);
      const alphaS = Math.min(0.00002 * caconc, 0.01);
      return {
        caconc,
        r: alphaR / (alphaR + betaR),
        s: alphaS / (alphaS + 0.015),
        q: 1 / (1 + exp((v + 80) / 4)),
      };
    },
    derivative: ({ v, caconc, r, s, q }) => {
      const iCaH = g.CaH * r * r * (v - V.Ca);
      const alphaR = 1.7 / (1 + exp(-(v - 5) / 13.9));
      const betaR = 0.02 * (v + 8.5) / (exp((v + 8.5) / 5) - 1.0);
      const rateR = alphaR + betaR;
      const alphaS = 0.00002 * caconc < 0.01 ? 0.00002 * caconc : 0.01;
      const rateS = alphaS + 0.015;
      const rateQ = exp(-0.086 * v - 14.6) + exp(0.070 * v - 1.87);
      return {
        caconc: -3 * iCaH - 0.075 * caconc,
        r: (alphaR / rateR - r) * rateR * 0.2,
        s: (alphaS / rateS - s) * rateS,
        q: (1 / (1 + exp((v + 80) / 4)) - q) * rateQ,
      };
    },
    current: ({ v, s, q }) => {
      // pycat's dendrite current multiplies I_CaH by 0: only the calcium pool sees it.
      const total = g.ld * (v - V.l) + g.K_Ca * s * (v - V.K) + g.h * q * (v - V.h);
      return { i: A_PER_M2 * total };
    },
  },
);

/** The axonal compartment. */
export const ioAxon = defineMechanism(
  { name: "io_axon_fwd", kind: "density", method: "euler", states: unitless(["h", "x"]) },
  {
    initial: ({ v }) => ({ h: 1 / (1 + exp((v + 60) / 5.8)), x: alphaX(v) / (alphaX(v) + betaX(v)) }),
    derivative: ({ v, h, x }) => {
      const tauH = 1.5 * exp(-(v + 40) / 33);
      const rateX = alphaX(v) + betaX(v);
      return { h: (1 / (1 + exp((v + 60) / 5.8)) - h) / tauH, x: (alphaX(v) / rateX - x) * rateX };
    },
    current: ({ v, h, x }) => {
      const mInf = 1 / (1 + exp(-(v + 30) / 5.5));
      const total = g.la * (v - V.l) + g.Na_a * mInf ** 3 * h * (v - V.Na) + g.K_a * x ** 4 * (v - V.K);
      return { i: A_PER_M2 * total };
    },
  },
);

/** Range of the somatic voltage trace. */
export interface OliveResult {
  /** Lowest voltage (mV). */
  min: number;
  /** Highest voltage (mV). */
  max: number;
  /** Number of samples. */
  samples: number;
}

/** A soma (tag 1), an axon (tag 2) and two dendrites (tag 3), built in code. */
function morphology(arb: Arbor) {
  const tree = arb.call("segment_tree");
  const p = (x: number, y: number, r: number) => arb.call("mpoint", x, y, 0, r);
  const soma = tree.callMethod("append", arb.arbor.get("mnpos"), p(-10, 0, 10), p(10, 0, 10), kw({ tag: 1 }));
  tree.callMethod("append", soma, p(10, 0, 0.5), p(110, 0, 0.5), kw({ tag: 2 }));
  const trunk = tree.callMethod("append", soma, p(-10, 0, 1.5), p(-60, 0, 1.5), kw({ tag: 3 }));
  tree.callMethod("append", trunk, p(-60, 0, 1), p(-160, 60, 1), kw({ tag: 3 }));
  tree.callMethod("append", trunk, p(-60, 0, 1), p(-160, -60, 1), kw({ tag: 3 }));
  return arb.call("morphology", tree);
}

/** Runs the olive cell for `tfinal` ms on `arb`. */
export async function scenario(arb: Arbor, tfinal = 1000): Promise<OliveResult> {
  const cat = await catalogue({ mechanisms: [ioSoma, ioDend, ioAxon], abi: arb.abi });
  const labelDict = labels(arb, { soma_group: "(tag 1)", axon_group: "(tag 2)", dendrite_group: "(tag 3)" });
  const decor = arb.decor()
    .paint('"soma_group"', arb.call("density", "io_soma_fwd"))
    .paint('"dendrite_group"', arb.call("density", "io_dend_fwd"))
    .paint('"axon_group"', arb.call("density", "io_axon_fwd"))
    .setProperty({ cm: 0.01, rL: 100, Vm: -60 });
  const cell = arb.cableCell(morphology(arb), decor, labelDict);
  // single_cell_model runs with its own one-thread context and keeps the GIL.
  const model = arb.call("single_cell_model", cell);
  const props = model.get("properties");
  arb.extendCatalogue(props, cat, "");
  model.set("properties", props);
  arb.modelProbeVoltage(model, "(root)", "Um", 1);
  arb.runModel(model, tfinal, 0.1);
  const trace = model.get("traces").item(0).get("value").toJS() as ArrayLike<number>;
  const values = Array.from(trace);
  const min = Math.min(...values), max = Math.max(...values);
  console.log(`inferior olive: ${values.length} samples, v in [${min.toFixed(2)}, ${max.toFixed(2)}] mV`);
  if (values.length === 0 || !values.every(Number.isFinite)) {
    throw new Error("inferior_olive: trace is not finite");
  }
  if (!(min > -100 && max < 60)) throw new Error(`inferior_olive: v left [-100, 60] mV: [${min}, ${max}]`);
  return { min, max, samples: values.length };
}

/** Loads Arbor (or skips) and runs the olive cell. */
export async function main(): Promise<OliveResult | undefined> {
  const arb = arborOrSkip("inferior_olive");
  return arb && await scenario(arb);
}

if (import.meta.main) await runAsProgram(main);
