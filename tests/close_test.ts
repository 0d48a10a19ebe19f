// After cat.close(), Arbor still holds the catalogue it loaded (it never unloads one) and may call
// its mechanisms again: C refuses those calls, and the refusal must be reported, not lost (issue 11,
// item 10, for the Arbor path). In real Arbor (the newest version present,
// tests/support/real_arbor.ts), in a fresh process; without it the test is listed as skipped (under
// DENOCAT_REQUIRE_ARBOR=1 it fails).
import assert from "node:assert/strict";
import { arborEnv, onNewestArbor } from "./support/real_arbor.ts";
import { runDeno } from "./support/subprocess.ts";

const CHILD = `
import { loadArbor } from "./arbor/mod.ts";
import { catalogue } from "./mod.ts";
import { Passive } from "./examples/pycat/passive.ts";

const arb = loadArbor();
const cat = await catalogue({ mechanisms: [Passive] });
const loaded = arb.loadCatalogue(cat);
const sim = arb.py.exec(\`
import sys
sys.path.insert(0, "examples/python")
import arbor
from common import OneCell, soma_cell
sim = arbor.simulation(OneCell(soma_cell([('"soma"', "passive")]), cat), arbor.context(threads=1, gpu_id=None))
\`, arb.py.toPython({ cat: loaded })).item("sim");
const report: Record<string, unknown> = {};
arb.run(sim, 0.1);
report.before = "ran";
cat.close();
for (const attempt of ["first", "second"]) {
  try {
    arb.run(sim, attempt === "first" ? 0.2 : 0.3);
    report[attempt] = "silent";
  } catch (error) {
    report[attempt] = (error as Error).message;
  }
}
console.log(JSON.stringify(report));
`;

onNewestArbor(
  "close: Arbor's calls after cat.close() are reported by the next bridge call, every time",
  async (site) => {
    const run = await runDeno(CHILD, arborEnv(site.site));
    assert.equal(run.code, 0, run.output);
    const report = JSON.parse(run.output.trim().split("\n").at(-1)!);
    assert.equal(report.before, "ran");
    for (const attempt of ["first", "second"]) {
      assert.match(
        report[attempt],
        /^denocat: mechanism 'passive' \(\w+\) of the catalogue .* was called after cat\.close\(\): the call was skipped/,
        attempt,
      );
    }
  },
);
