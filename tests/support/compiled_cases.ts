// Cell protocols shared by tests/compile_test.ts and the sanitizer run of a compiled catalogue
// (run as a script: `deno run -A tests/support/compiled_cases.ts <catalogue.so> <0.6|0.7>`).
import type { CellDescription } from "../../host/cell.ts";
import { runCell } from "../../host/cell.ts";
import { loadReferenceCase, referenceCaseNames } from "../../tools/fidelity/reference.ts";
import type { AbiFamily } from "../../ffi/layout.ts";

/** The recorded Arbor cases, with ion probes added where the case writes ions. */
export function referenceCells(abi: AbiFamily): { name: string; cell: CellDescription }[] {
  return referenceCaseNames().map((name) => {
    const cell = loadReferenceCase(name).cell;
    const probes = [...(cell.probes ?? ["v"])];
    if (name.startsWith("hh")) {
      probes.push("ion:na.i@0", "ion:k.i@0");
      if (abi === "0.6") probes.push("ion:na.g@0", "ion:k.g@0");
    }
    if (name === "hh_nernst_na") probes.push("ion:na.e@0");
    return { name, cell: { ...cell, probes } };
  });
}

/** kdrmt and nax with pas: a current clamp that makes the cell fire, at 24 °C (their q10 reference) and 35 °C. */
export function channelCells(abi: AbiFamily): { name: string; cell: CellDescription }[] {
  const base = (temperatureDegC: number): CellDescription => ({
    areaUm2: 2 * Math.PI * 3 * 6,
    vInit: -65,
    temperatureDegC,
    ions: "neuron",
    density: [
      { mechanism: "nax", params: { gbar: 0.06 } },
      { mechanism: "kdrmt", params: { gbar: 0.03 } },
      { mechanism: "pas/e=-65", params: { g: 0.0001 } },
    ],
    iclamps: [{ start: 5, duration: 40, amplitude: 0.2 }],
    detectors: [{ threshold: -10 }],
    probes: [
      "v",
      "nax.m",
      "nax.h",
      "kdrmt.m",
      "ion:na.i@0",
      "ion:k.i@0",
      ...(abi === "0.6" ? ["ion:na.g@0", "ion:k.g@0"] : []),
    ],
    dt: 0.025,
    until: 60,
  });
  const vclamp: CellDescription = {
    ...base(24),
    iclamps: [],
    vclamps: [
      { start: 2, duration: 5, voltage: -20 },
      { start: 7, duration: 5, voltage: 10 },
      { start: 12, duration: 8, voltage: -50 },
    ],
    until: 25,
  };
  return [
    { name: "nax+kdrmt iclamp 24 °C", cell: base(24) },
    { name: "nax+kdrmt iclamp 35 °C", cell: base(35) },
    { name: "nax+kdrmt vclamp steps", cell: vclamp },
  ];
}

/** The inferior-olive cell: soma, dendrite and axon mechanisms on three CVs, a pulse on soma and axon. */
export const inferiorOliveCell: CellDescription = {
  cvs: 3,
  areaUm2: [500, 500, 500],
  vInit: -60,
  ions: {},
  density: [
    { mechanism: "io_soma", cvs: [0] },
    { mechanism: "io_dend", cvs: [1] },
    { mechanism: "io_axon", cvs: [2] },
  ],
  iclamps: [
    { start: 50, duration: 5, amplitude: 0.05, cv: 0 },
    { start: 50, duration: 5, amplitude: 0.05, cv: 2 },
  ],
  detectors: [{ threshold: -20, cv: 0 }],
  probes: ["v@0", "v@1", "v@2", "io_soma.k", "io_soma.x", "io_dend.caconc", "io_dend.q", "io_axon.h"],
  dt: 0.025,
  until: 300,
};

if (import.meta.main) {
  const [path, abi, ioPath] = Deno.args as [string, AbiFamily, string | undefined];
  let runs = 0;
  for (const { cell } of [...referenceCells(abi), ...channelCells(abi)]) {
    await runCell(cell, { catalogues: [path], abi });
    runs++;
  }
  if (ioPath) {
    await runCell(inferiorOliveCell, { catalogues: [ioPath], abi });
    runs++;
  }
  console.log(`compiled_cases: ABI ${abi} ok (${runs} runs)`);
}
