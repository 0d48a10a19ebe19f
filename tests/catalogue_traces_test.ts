// The pointwise hh port against an independent hook-level implementation (examples/hh.ts), and the
// ports of Arbor's default catalogue against traces recorded from real Arbor 0.11.0
// (tests/data/arbor).
import assert from "node:assert/strict";
import type { Host } from "../mod.ts";
import { arborDefaultPorts, PointwiseHH } from "../examples/catalogue/mod.ts";
import { HH } from "../examples/hh.ts";
import { report, withHost, worst } from "./support/ports.ts";

const REFERENCE = new URL("./data/arbor/", import.meta.url);

// ---- hh --------------------------------------------------------------------------------------

interface Recorded {
  meta: {
    cv_area_um2: number;
    Vm_init_mV: number;
    temperature_degC: number;
    dt_ms: number;
    tfinal_ms: number;
    density: { mechanism: string; params: Record<string, number> }[];
    iclamp: { tstart_ms: number; duration_ms: number; amplitude_nA: number } | null;
    synapse: { mechanism: string; params: Record<string, number> } | null;
    events: { t_ms: number; weight: number }[] | null;
    nernst_ion: string | null;
    columns: string[];
    spikes_ms: number[];
  };
  rows: number[][];
}

function recorded(name: string): Recorded {
  const meta = JSON.parse(Deno.readTextFileSync(new URL(`${name}.json`, REFERENCE)));
  const lines = Deno.readTextFileSync(new URL(`${name}.csv`, REFERENCE)).trim().split("\n");
  assert.deepEqual(lines[0].split(","), meta.columns);
  return { meta, rows: lines.slice(1).map((line) => line.split(",").map(Number)) };
}

/** Runs a recorded case on the host: one CV, the same mechanisms, clamp, events and probes. */
function runRecorded(host: Host, { meta }: Recorded) {
  host.setCvs({
    count: 1,
    areaUm2: meta.cv_area_um2,
    vInit: meta.Vm_init_mV,
    temperatureDegC: meta.temperature_degC,
  });
  host.addNeuronIons();
  const placed: Record<string, ReturnType<Host["place"]>> = {};
  for (const d of meta.density) {
    placed[d.mechanism] = host.place(d.mechanism, { cvs: [0], parameters: d.params });
  }
  if (meta.synapse) {
    const p = host.place(meta.synapse.mechanism, { cvs: [0], parameters: meta.synapse.params });
    placed[meta.synapse.mechanism] = p;
    for (const e of meta.events ?? []) host.event(p, 0, e.t_ms, e.weight);
  }
  if (meta.nernst_ion) host.place(`nernst/${meta.nernst_ion}`);
  if (meta.iclamp) {
    host.iclamp(0, {
      start: meta.iclamp.tstart_ms,
      duration: meta.iclamp.duration_ms,
      amplitude: meta.iclamp.amplitude_nA,
    });
  }
  host.detector(0, -10);
  for (const column of meta.columns.slice(1)) {
    if (column === "v_mV") host.probeVoltage(0);
    else {
      const [mechanism, state] = column.split(".");
      host.probeState(placed[mechanism], state);
    }
  }
  const result = host.run({ until: meta.tfinal_ms, dt: meta.dt_ms });
  return { ...result, spikes: [...host.spikes().times] };
}

Deno.test("hh (pointwise) equals the raw-hook HH of examples/hh.ts within 1e-9 mV", async () => {
  const case_ = recorded("hh_iclamp");
  const pointwise = await withHost([PointwiseHH], (host) => runRecorded(host, case_));
  const raw = await withHost([HH], (host) => runRecorded(host, case_));
  assert.equal(pointwise.steps, raw.steps);
  case_.meta.columns.slice(1).forEach((column, c) => {
    const tolerance = column === "v_mV" ? 1e-9 : 1e-12;
    report(
      `hh ${column}: max |pointwise - raw hooks|`,
      worst(pointwise.probes[c], (n) => raw.probes[c][n]),
      tolerance,
    );
  });
  assert.deepEqual(pointwise.spikes.length, raw.spikes.length);
});

Deno.test("hh (pointwise) reproduces Arbor 0.11's recorded hh_iclamp trace", async () => {
  const case_ = recorded("hh_iclamp");
  const run = await withHost([PointwiseHH], (host) => runRecorded(host, case_));
  const { rows, meta } = case_;
  assert.equal(run.steps, rows.length);
  assert.ok(run.time.every((t, n) => t === rows[n][0]), "the host samples at Arbor's times");
  const before = rows.findIndex((row) => row[0] >= 59.9); // the clamp switches off at 60 ms
  meta.columns.slice(1).forEach((column, c) => {
    const trace = rows.map((row) => row[c + 1]);
    const differences = Array.from(trace, (x, n) => Math.abs(run.probes[c][n] - x));
    const early = Math.max(...differences.slice(0, before));
    const all = Math.max(...differences);
    report(`hh_iclamp ${column}: max |port - Arbor| for t < 59.9 ms`, early, column === "v_mV" ? 1e-6 : 1e-8);
    report(
      `hh_iclamp ${column}: max |port - Arbor| over all ${meta.tfinal_ms} ms`,
      all,
      column === "v_mV" ? 1e-9 : 1e-12,
    );
  });
  assert.equal(run.spikes.length, meta.spikes_ms.length);
  run.spikes.forEach((t, k) =>
    report(`hh_iclamp spike ${k}: |t - Arbor's| (ms)`, Math.abs(t - meta.spikes_ms[k]), 1e-9)
  );
});

Deno.test("pas, expsyn, exp2syn, nernst and hh reproduce Arbor 0.11's other recorded traces", async () => {
  for (const name of ["pas_iclamp", "hh_gna_override", "hh_nernst_na", "expsyn_events", "exp2syn_events"]) {
    const case_ = recorded(name);
    const run = await withHost(arborDefaultPorts, (host) => runRecorded(host, case_));
    const { rows, meta } = case_;
    assert.equal(run.steps, rows.length, name);
    meta.columns.slice(1).forEach((column, c) => {
      const difference = worst(run.probes[c], (n) => rows[n][c + 1]);
      report(`${name} ${column}: max |port - Arbor|`, difference, column === "v_mV" ? 1e-9 : 1e-12);
    });
    assert.equal(run.spikes.length, meta.spikes_ms.length, `${name}: spike count`);
    run.spikes.forEach((t, k) =>
      report(`${name} spike ${k}: |t - Arbor's| (ms)`, Math.abs(t - meta.spikes_ms[k]), 1e-9)
    );
  }
});
