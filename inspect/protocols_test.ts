// The protocols of inspect (ICGenealogy's shapes, parameters with units, durations on the step grid,
// docs/inspect.md's table of them), quantities with units, and the decimation of traces.
import assert from "node:assert/strict";
import {
  levels,
  planProtocol,
  PROTOCOL_NAMES,
  PROTOCOL_PARAMETERS,
  protocolParameters,
} from "./protocols.ts";
import { quantity } from "./quantity.ts";
import { decimate } from "./analysis.ts";

Deno.test("protocols: ICGenealogy's shapes, parameters with units, and durations on the step grid", () => {
  const activation = planProtocol("activation", undefined, 0.025);
  assert.equal(activation.sweeps.length, 16);
  assert.equal(activation.steps, 28000); // 100 + 500 + 100 ms
  const sweep = activation.sweeps[3]; // -50 mV
  assert.equal(sweep.level, -50);
  assert.deepEqual([sweep.voltage[3999], sweep.voltage[4000], sweep.voltage[23999], sweep.voltage[24000]], [
    -80,
    -50,
    -50,
    -80,
  ]);
  assert.deepEqual(sweep.measure, [4000, 24000]);
  const inactivation = planProtocol("inactivation", { test: "0.03 V", duration: "1 s" }, 0.025);
  assert.equal(inactivation.parameters.test, 30);
  assert.equal(inactivation.steps, (100 + 1000 + 50 + 100) / 0.025);
  const ramp = planProtocol("ramp", { ramps: "800ms, 400 ms" }, 0.5);
  assert.equal(ramp.steps, (100 + 800 + 400 + 400 + 100) / 0.5);
  assert.equal(Math.max(...ramp.sweeps[0].voltage), 70);
  assert.equal(ramp.sweeps[0].voltage[200 + 800], 70); // the first triangle's top, 400 ms after 100 ms
  const ap = planProtocol("ap", { waveform: { time: [0, 1, 2], v: [-70, 30, -70] } }, 0.5);
  assert.deepEqual([...ap.sweeps[0].voltage], [-70, -20, 30, -20, -70]);
  assert.deepEqual(levels("voltage", -1, 1, 0.1).slice(0, 3), [-1, -0.9, -0.8]);
  assert.equal(protocolParameters("deactivation").activate, 70);
  assert.equal(quantity("temperature", "310.15 K", "temperature"), 37);
  assert.deepEqual(decimate([0, 5, 0, 0, -5, 0, 0, 0], 4), [0, 1, 4, 5, 7]); // each half's extremes, and the ends
});

Deno.test("protocols: docs/inspect.md lists every protocol and every parameter in its table", async () => {
  const docs = await Deno.readTextFile(new URL("../docs/inspect.md", import.meta.url));
  const table = docs.slice(docs.indexOf("| protocol "), docs.indexOf("Where denocat departs"));
  const sections = table.split(/\n\| `(?=[a-z]+`)/).slice(1);
  assert.deepEqual(sections.map((s) => s.slice(0, s.indexOf("`"))), [...PROTOCOL_NAMES]);
  PROTOCOL_NAMES.forEach((name, k) => {
    for (const parameter of Object.keys(PROTOCOL_PARAMETERS[name])) {
      assert.ok(
        sections[k].includes(`\`${parameter}\``),
        `docs/inspect.md: ${name}.${parameter} is not in the table`,
      );
    }
  });
});
