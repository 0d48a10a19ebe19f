// Fidelity: the TypeScript ports of Arbor's default catalogue on the host reproduce the traces
// recorded from real Arbor (tests/data/arbor), and agree with independent implementations
// when dt and temperature change, so nothing is fitted to one file.
import assert from "node:assert/strict";
import { catalogue } from "../mod.ts";
import { resolveLibrary, sha256Hex } from "../platform/libraries.ts";
import { findZig } from "../platform/toolchain.ts";
import { arborDefaultPorts } from "../examples/catalogue/mod.ts";
import { type CellDescription, runCell } from "../host/cell.ts";
import {
  compareWithReference,
  fidelityViolations,
  loadReferenceCase,
  referenceCaseNames,
} from "../tools/fidelity/reference.ts";

const names = referenceCaseNames();

// The fixtures are measurements copied byte for byte from the traces recorded from real Arbor;
// tests/data/arbor/SHA256SUMS (`sha256sum` format, written when they were copied) pins every data
// file, so an edited, added or lost trace fails here, in a clone with nothing beside it.
Deno.test("tests/data/arbor holds the recorded traces unchanged (SHA256SUMS)", async () => {
  const folder = new URL("./data/arbor/", import.meta.url);
  const listed = new Map(
    Deno.readTextFileSync(new URL("SHA256SUMS", folder)).trim().split("\n").map((line) => {
      const [digest, file] = line.split(/\s+\*?/);
      return [file, digest] as const;
    }),
  );
  const present = [...Deno.readDirSync(folder)].map((e) => e.name)
    .filter((name) => name !== "README.md" && name !== "SHA256SUMS").sort();
  assert.deepEqual(present, [...listed.keys()].sort(), "the data files are the ones SHA256SUMS lists");
  for (const [file, digest] of listed) {
    const actual = await sha256Hex(Deno.readFileSync(new URL(file, folder)));
    assert.equal(actual, digest, `tests/data/arbor/${file} differs from the recorded trace`);
  }
});

Deno.test("every reference case is present", () => {
  assert.deepEqual(names, [
    "exp2syn_events",
    "expsyn_events",
    "hh_gna_override",
    "hh_iclamp",
    "hh_nernst_na",
    "pas_iclamp",
  ]);
});

// Both targets: the ports as JavaScript and as native code (catalogue({ target })). The native
// cases need a zig that is already here: CI's aarch64 run under emulation has none (and no
// network install for that platform), so there they are skipped, not failed.
const zigPresent = await findZig({ install: false }).then(() => true, () => false);
for (const target of ["js", "native"] as const) {
  for (const abi of ["0.7", "0.6"] as const) {
    for (const name of names) {
      Deno.test({
        name: `${name} (${target}, ABI ${abi}): |dV| <= 1e-6 mV, states within 1e-9, same spikes as Arbor`,
        ignore: target === "native" && !zigPresent,
      }, async () => {
        const reference = loadReferenceCase(name);
        const ports = await catalogue({ mechanisms: arborDefaultPorts, abi, target });
        try {
          const comparison = compareWithReference(
            reference,
            await runCell(reference.cell, { catalogues: [ports] }),
          );
          assert.equal(comparison.samples, reference.columns.t.length, "one sample per recorded row");
          assert.deepEqual(fidelityViolations(comparison), []);
          assert.equal(comparison.spikes.length, reference.spikes.length, "spike count");
        } finally {
          ports.close();
        }
      });
    }
  }
}

/** The same case with another step and temperature than the recording. */
function changed(cell: CellDescription, dt: number, temperatureDegC: number): CellDescription {
  return { ...cell, dt, temperatureDegC };
}

const conditions = [{ dt: 0.01, temperatureDegC: 20 }, { dt: 0.05, temperatureDegC: 0 }];

for (const { dt, temperatureDegC } of conditions) {
  for (const name of ["pas_iclamp", "hh_iclamp", "hh_gna_override", "expsyn_events"]) {
    Deno.test(`${name} at dt ${dt} ms and ${temperatureDegC} °C: ports agree with the hand-written C catalogue`, async () => {
      const cell = changed(loadReferenceCase(name).cell, dt, temperatureDegC);
      const ports = await catalogue({ mechanisms: arborDefaultPorts });
      try {
        const ts = await runCell(cell, { catalogues: [ports] });
        const c = await runCell(cell, { catalogues: [await resolveLibrary("denocat_reference_abi7")] });
        for (const [probe, trace] of Object.entries(ts.traces)) {
          let worst = 0;
          for (let k = 0; k < trace.length; k++) {
            worst = Math.max(worst, Math.abs(trace[k] - c.traces[probe][k]));
          }
          assert.ok(worst <= (probe === "v" ? 1e-6 : 1e-9), `${probe}: max difference ${worst}`);
        }
        assert.deepEqual(ts.spikes.length, c.spikes.length);
        assert.ok(ts.time.length === Math.round(cell.until / dt), `${ts.time.length} steps`);
      } finally {
        ports.close();
      }
    });
  }

  Deno.test(`exp2syn_events at dt ${dt} ms and ${temperatureDegC} °C: A and B follow the Padé recurrence`, async () => {
    const cell = changed(loadReferenceCase("exp2syn_events").cell, dt, temperatureDegC);
    const ports = await catalogue({ mechanisms: arborDefaultPorts });
    try {
      const { time, traces } = await runCell(cell, { catalogues: [ports] });
      const { tau1, tau2 } = cell.synapses![0].params as { tau1: number; tau2: number };
      const tp = (tau1 * tau2) / (tau2 - tau1) * Math.log(tau2 / tau1);
      const factor = 1 / (-Math.exp(-tp / tau1) + Math.exp(-tp / tau2));
      const pade = (z: number) => (1 + 0.5 * z) / (1 - 0.5 * z);
      let a = 0, b = 0;
      for (let n = 0; n < time.length; n++) {
        for (const e of cell.synapses![0].events!) {
          if (n * dt <= e.t && e.t < (n + 1) * dt) {
            a += Math.fround(e.weight) * factor;
            b += Math.fround(e.weight) * factor;
          }
        }
        assert.ok(Math.abs(traces["exp2syn.A"][n] - a) <= 1e-12, `A at step ${n}`);
        assert.ok(Math.abs(traces["exp2syn.B"][n] - b) <= 1e-12, `B at step ${n}`);
        const h = (n + 1) * dt - n * dt;
        a *= pade(-h / tau1);
        b *= pade(-h / tau2);
      }
    } finally {
      ports.close();
    }
  });

  Deno.test(`hh_nernst_na at dt ${dt} ms and ${temperatureDegC} °C: eNa is the Nernst potential, and V matches C hh at that eNa`, async () => {
    const reference = loadReferenceCase("hh_nernst_na");
    const cell = { ...changed(reference.cell, dt, temperatureDegC), probes: ["v", "ion:na.e@0"] };
    const nernst = 8.31446261815324 * (temperatureDegC + 273.15) / 96485.3321233100184 * 1000 *
      Math.log(140 / 10);
    const ports = await catalogue({ mechanisms: arborDefaultPorts });
    try {
      const ts = await runCell(cell, { catalogues: [ports] });
      assert.ok(ts.traces["ion:na.e@0"].every((e) => Math.abs(e - nernst) < 1e-12), "eNa");
      // Independent run: C hh, no nernst, the sodium reversal potential preset to the same value.
      const c = await runCell(
        {
          ...cell,
          reversalPotentials: [],
          ions: {
            na: { valence: 1, internal: 10, external: 140, reversal: nernst },
            k: { valence: 1, internal: 54.4, external: 2.5, reversal: -77 },
            ca: { valence: 2, internal: 5e-5, external: 2, reversal: 12.5 * Math.log(2 / 5e-5) },
          },
        },
        { catalogues: [await resolveLibrary("denocat_reference_abi7")] },
      );
      let worst = 0;
      for (let k = 0; k < ts.time.length; k++) {
        worst = Math.max(worst, Math.abs(ts.traces.v[k] - c.traces.v[k]));
      }
      assert.ok(worst <= 1e-6, `max |dV| ${worst}`);
      assert.equal(ts.spikes.length, c.spikes.length);
    } finally {
      ports.close();
    }
  });
}
