// The arbor_pycat ports in examples/pycat run on the host and do what the originals assert.
import assert from "node:assert/strict";
import { catalogue, Host } from "../mod.ts";
import { Passive } from "../examples/pycat/passive.ts";
import { ExampleMech } from "../examples/pycat/example_mech.ts";
import { CustomHH } from "../examples/pycat/custom_hh.ts";

const area = 2 * Math.PI * 3 * 6;

Deno.test("pycat Passive: v decays to 0 exactly as backward Euler predicts", async () => {
  const cat = await catalogue({ mechanisms: [Passive] });
  using host = await Host.create({ catalogues: [cat] });
  host.setCvs({ count: 1, areaUm2: area, cm: 0.01, vInit: -65 });
  host.place("passive", { cvs: [0] });
  host.probeVoltage(0);
  const dt = 0.025;
  const { probes } = host.run({ until: 5, dt });
  // g = 1e-2 kS/m² and cm = 0.01 F/m²: each implicit step divides v by 1 + g·dt/cm = 1.025.
  probes[0].forEach((v, n) => {
    const expected = -65 / 1.025 ** n;
    assert.ok(
      Math.abs(v - expected) <= 1e-12 * Math.abs(expected) + 1e-300,
      `step ${n}: ${v} vs ${expected}`,
    );
  });
  cat.close();
});

Deno.test("pycat api.py: example on the soma, passive on the dendrites; |v| and |cai| end below 2", async () => {
  const cat = await catalogue({ mechanisms: [Passive, ExampleMech] });
  using host = await Host.create({ catalogues: [cat] });
  // api.py: three 6 µm-long, radius-3 cylinders (soma tag 1, two dendrites tag 2), Vm = -40.
  host.setCvs({ count: 3, areaUm2: area, diamUm: 6, vInit: -40 }).addNeuronIons();
  host.place("example", { cvs: [0] });
  host.place("passive", { cvs: [1, 2] });
  host.probeVoltage(0);
  host.probeIon("ca", "int", 0);
  const { probes } = host.run({ until: 30, dt: 0.025 });
  const v = probes[0], cai = probes[1];
  assert.equal(v[0], 10, "init set the soma to 10 mV");
  assert.ok(Math.abs(v[v.length - 1]) < 2, `v[-1] = ${v[v.length - 1]}`);
  assert.ok(Math.abs(cai[cai.length - 1]) < 2, `cai[-1] = ${cai[cai.length - 1]}`);
  cat.close();
});

Deno.test("pycat custom_hh: fires only in its built-in stimulus window (95-100 ms of each 100 ms)", async () => {
  const cat = await catalogue({ mechanisms: [CustomHH] });
  using host = await Host.create({ catalogues: [cat] });
  host.setCvs({ count: 1, areaUm2: area, vInit: -65 });
  const hh = host.place("custom_hh", { cvs: [0] });
  host.detector(0, -10);
  host.probeState(hh, "t");
  const { probes } = host.run({ until: 200, dt: 0.025 });
  const spikes = [...host.spikes().times];
  assert.ok(spikes.length >= 2, `spikes ${spikes}`);
  for (const t of spikes) assert.ok(t % 100 > 95, `spike at ${t} ms outside the stimulus window`);
  assert.ok(spikes.some((t) => t < 100) && spikes.some((t) => t > 100), "one burst per period");
  assert.ok(
    Math.abs(probes[0][probes[0].length - 1] - 199.975) < 1e-9,
    "the mechanism's own clock follows dt",
  );
  cat.close();
});
