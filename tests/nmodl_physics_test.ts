// Physics of imported NMODL files: hh.mod, passive.mod, expsyn.mod and exp2syn.mod (copied from
// Debian's python3-nmodl into tests/data/nmodl) run on the host and match the hand ports of
// Arbor's builtins in examples/catalogue to 1e-9 relative, on the recorded reference protocols.
import assert from "node:assert/strict";
import { catalogue } from "../mod.ts";
import { arborDefaultPorts } from "../examples/catalogue/mod.ts";
import { type CellDescription, runCell } from "../live/cell.ts";
import { loadReferenceCase } from "../fidelity/reference.ts";
import { loadNmodl } from "./support/nmodl.ts";

const data = (file: string) => new URL(`./data/nmodl/${file}`, import.meta.url).pathname;

// The NMODL examples' defaults differ from Arbor's (expsyn tau 0.1 ms vs 2 ms; exp2syn tau1 0.1,
// tau2 10 vs 0.5, 2): the protocols give every synapse parameter explicitly, Arbor's defaults
// fill the rest, so both runs see the same values.
const ARBOR_SYNAPSE_DEFAULTS: Record<string, Record<string, number>> = {
  expsyn: { tau: 2, e: 0 },
  exp2syn: { tau1: 0.5, tau2: 2, e: 0 },
};

function withArborDefaults(cell: CellDescription): CellDescription {
  return {
    ...cell,
    synapses: (cell.synapses ?? []).map((s) => ({
      ...s,
      params: { ...ARBOR_SYNAPSE_DEFAULTS[s.mechanism], ...s.params },
    })),
  };
}

/** max over samples of |a - b| / max(|a|, |b|), with values below `floor` compared absolutely. */
function worstRelative(a: Float64Array, b: Float64Array, floor = 1e-12): number {
  let worst = 0;
  for (let k = 0; k < a.length; k++) {
    const scale = Math.max(Math.abs(a[k]), Math.abs(b[k]), floor);
    worst = Math.max(worst, Math.abs(a[k] - b[k]) / scale);
  }
  return Number.isNaN(a[a.length - 1]) || Number.isNaN(b[b.length - 1]) ? Infinity : worst;
}

const imported = async () => {
  const hh = await loadNmodl(data("hh.mod"));
  const pas = await loadNmodl(data("passive.mod"), { name: "pas" });
  const expsyn = await loadNmodl(data("expsyn.mod"));
  const exp2syn = await loadNmodl(data("exp2syn.mod"));
  return [hh, pas, expsyn, exp2syn];
};

for (const name of ["hh_iclamp", "hh_gna_override", "pas_iclamp", "expsyn_events", "exp2syn_events"]) {
  for (const { dt, temperatureDegC } of [{ dt: 0, temperatureDegC: 0 }, { dt: 0.01, temperatureDegC: 20 }]) {
    const variant = dt === 0 ? "as recorded" : `at dt ${dt} ms and ${temperatureDegC} °C`;
    Deno.test(`imported .mod files match the ports of Arbor's builtins on ${name} (${variant}) to 1e-9 relative`, async () => {
      const recorded = loadReferenceCase(name).cell;
      const cell = withArborDefaults(dt === 0 ? recorded : { ...recorded, dt, temperatureDegC });
      const mechanisms = await imported();
      assert.deepEqual(mechanisms.map((m) => m.name), ["hh", "pas", "expsyn", "exp2syn"]);
      const fromNmodl = await catalogue({ mechanisms: mechanisms.map((m) => m.cls) });
      const ports = await catalogue({ mechanisms: arborDefaultPorts });
      try {
        const a = await runCell(cell, { catalogues: [fromNmodl] });
        const b = await runCell(cell, { catalogues: [ports] });
        assert.ok(a.time.length > 100, `${a.time.length} samples`);
        for (const probe of Object.keys(b.traces)) {
          const worst = worstRelative(a.traces[probe], b.traces[probe]);
          if (Deno.env.get("DENOCAT_NMODL_VERBOSE")) console.log(name, probe, worst);
          assert.ok(worst <= 1e-9, `${probe}: worst relative difference ${worst}`);
        }
        assert.deepEqual(a.spikes.length, b.spikes.length);
      } finally {
        fromNmodl.close();
        ports.close();
      }
    });
  }
}

Deno.test("an imported reversal-potential mechanism (VALENCE z, WRITE ex) matches the nernst port on hh_nernst_na", async () => {
  const cell = loadReferenceCase("hh_nernst_na").cell;
  const hh = await loadNmodl(data("hh.mod"));
  const nernst = await loadNmodl(data("reversal.mod"), { name: "nernst" });
  assert.match(nernst.source, /kind: "reversalPotential"/);
  const fromNmodl = await catalogue({ mechanisms: [hh.cls, nernst.cls] });
  const ports = await catalogue({ mechanisms: arborDefaultPorts });
  try {
    const probes = [...(cell.probes ?? []), "ion:na.e@0"];
    const a = await runCell({ ...cell, probes }, { catalogues: [fromNmodl] });
    const b = await runCell({ ...cell, probes }, { catalogues: [ports] });
    for (const probe of probes) {
      const worst = worstRelative(a.traces[probe], b.traces[probe]);
      assert.ok(worst <= 1e-9, `${probe}: worst relative difference ${worst}`);
    }
    const expected = 8.31446261815324 * (cell.temperatureDegC! + 273.15) / 96485.3321233100184 * 1000 *
      Math.log(140 / 10);
    assert.ok(
      Math.abs(a.traces["ion:na.e@0"][5] - expected) <= 1e-12 * expected,
      `eNa ${a.traces["ion:na.e@0"][5]} mV`,
    );
    assert.equal(a.spikes.length, b.spikes.length);
  } finally {
    fromNmodl.close();
    ports.close();
  }
});
