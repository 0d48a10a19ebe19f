// The two ports of examples/catalogue/ that use the scheme API against Arbor's builtins, in one
// real Arbor simulation (tests/support/scheme_ports_child.ts) per target, js, native and compiled:
// - NaV (nav.ts, allen's twelve-state sodium channel: method "sparse", conserve, equilibrium());
// - CaDynamics_E2 (cadynamics.ts, bbp's calcium shell: a state written to the ion as cai, reading
//   ica, with bbp's Ca_HVA supplying the calcium current).
// Every probe (voltage, every state, for CaDynamics_E2 also the ion's cai and ica) is compared with
// compareTraces' relative measure over 40 ms at dt 0.025; the spikes must be the same.
//
// NaV's initial state is checked on its own against the exact solution of NaV.mod's LINEAR block
// (a rational Gaussian elimination in tests/support/nav_linear.ts, of a matrix built from a table
// of the scheme's reactions, not from the port's code): the port's is exact to round-off, the
// builtin's (modcc's compiled solve of the same equations) is off by up to a few 1e-9 relative. That difference, amplified by
// the spikes, is all that separates the two cells afterwards: NaV's tolerance is proportional to it.
import assert from "node:assert/strict";
import { join } from "node:path";
import { arborEnv, onNewestArbor } from "./support/real_arbor.ts";
import { ROOT, runDenoProgram } from "./support/subprocess.ts";
import { compareTraces } from "./support/modcc_child.ts";
import type { CellTraces, SchemeReport } from "./support/scheme_ports_child.ts";
import {
  NAV_STATES as STATES,
  navLinearSystem,
  scaledResidual,
  solveExactly,
  worstRelative,
} from "./support/nav_linear.ts";

/** Every probe of the port's cell against the builtin's: the worst relative difference of each. */
function compareCells(builtin: CellTraces, port: CellTraces): Record<string, number> {
  assert.deepEqual(port.time, builtin.time);
  assert.equal(builtin.time.length, 1600, "40 ms at dt 0.025");
  const time = new Float64Array(builtin.time);
  return Object.fromEntries(
    Object.keys(builtin.traces).map((probe) => [
      probe,
      compareTraces(
        probe,
        "builtin",
        "port",
        time,
        new Float64Array(builtin.traces[probe]),
        new Float64Array(port.traces[probe]),
      ).maxRelative,
    ]),
  );
}

function sameSpikes(builtin: CellTraces, port: CellTraces, tolerance: number): number {
  assert.ok(builtin.spikes.length >= 2, `the builtin's cell spikes: ${builtin.spikes}`);
  assert.equal(port.spikes.length, builtin.spikes.length, `spikes ${port.spikes} vs ${builtin.spikes}`);
  const worst = Math.max(...port.spikes.map((t, k) => Math.abs(t - builtin.spikes[k])));
  assert.ok(worst <= tolerance, `spike times differ by up to ${worst} ms`);
  return worst;
}

const format = (worst: Record<string, number>) =>
  Object.entries(worst).map(([probe, d]) => `${probe} ${d.toExponential(1)}`).join(", ");

onNewestArbor(
  "scheme ports: examples/catalogue NaV (sparse, conserve, equilibrium) and CaDynamics_E2 (cai written) match Arbor's builtins",
  async (site) => {
    for (const target of ["js", "native", "compiled"]) {
      const run = await runDenoProgram([join(ROOT, "tests/support/scheme_ports_child.ts")], {
        env: arborEnv(site.site, { SCHEME_PORTS_TARGET: target }),
      });
      assert.equal(run.code, 0, run.stderr);
      const report: SchemeReport = JSON.parse(run.stdout.trim().split("\n").at(-1)!);
      assert.equal(report.target, target);

      // NaV: the initial state first, against the exact solution of NaV.mod's LINEAR block.
      const [navBuiltin, navPort] = report.cells.NaV;
      const v0 = navPort.traces.v[0], qt = navPort.traces.qt[0];
      assert.equal(v0, -65);
      assert.equal(navBuiltin.traces.v[0], -65);
      assert.ok(Math.abs(qt - Math.pow(2.3, (report.celsius - 37) / 10)) <= 1e-15, `qt ${qt}`);
      const { A, r } = navLinearSystem(v0, qt);
      const solution = solveExactly(A, r);
      const initial = (cell: CellTraces) => STATES.map((s) => cell.traces[s][0]);
      const portResidual = scaledResidual(A, r, initial(navPort));
      const portToExact = worstRelative(initial(navPort), solution);
      const builtinToExact = worstRelative(initial(navBuiltin), solution);
      console.log(
        `  ${target}: NaV's initial state: port ${portToExact.toExponential(1)} from the exact solution ` +
          `(residual ${portResidual.toExponential(1)}), builtin ${builtinToExact.toExponential(1)}`,
      );
      assert.ok(portResidual <= 1e-14, `the port's initial state leaves a residual of ${portResidual}`);
      assert.ok(portToExact <= 1e-12, `the port's initial state is ${portToExact} from the exact solution`);
      // modcc's compiled solve of the same twelve equations loses digits (up to 3.1e-9, see below).
      assert.ok(
        builtinToExact <= 1e-8,
        `the builtin's initial state is ${builtinToExact} from the exact one`,
      );
      // The I3 equation as NaV.mod writes it matters: with the scheme's b13 instead of bi3 the port's
      // initial state would be another one.
      const scheme = navLinearSystem(v0, qt);
      scheme.A[STATES.indexOf("I3")][STATES.indexOf("I4")] = 3 * (qt * 12 * Math.exp(v0 / -24)) / 5.32;
      assert.ok(scaledResidual(scheme.A, scheme.r, initial(navPort)) > 1e-3, "NaV.mod's I3 equation is kept");

      // NaV over time: the difference of the initial states grows through the spikes, ~450-fold in v;
      // nothing else separates the two cells (a copy of the port that starts from the builtin's
      // initial state instead of solving agreed to 3.5e-11 in v with Arbor 0.12: measured once, not
      // part of this test). How far the builtin starts from the exact solution depends on the
      // version: measured 8.7e-13 (0.9), 3.1e-9 (0.11), 9.6e-10 (0.12), giving a worst difference in
      // v of 8.6e-10, 1.4e-6 and 4.2e-7. The bound follows that cause.
      const navBound = 1e-8 + 2000 * builtinToExact;
      const nav = compareCells(navBuiltin, navPort);
      console.log(`  ${target}: NaV, worst relative difference per probe: ${format(nav)}`);
      for (const [probe, worst] of Object.entries(nav)) {
        assert.ok(
          worst <= navBound,
          `${target} NaV ${probe}: worst relative difference ${worst} > ${navBound}`,
        );
      }
      assert.ok(Math.max(...navPort.traces.O) > 0.1, "the channel opens");
      const navSpikes = sameSpikes(navBuiltin, navPort, 1e-6);

      // CaDynamics_E2: the same arithmetic as the builtin's.
      const [caBuiltin, caPort] = report.cells.CaDynamics_E2;
      const ca = compareCells(caBuiltin, caPort);
      console.log(`  ${target}: CaDynamics_E2, worst relative difference per probe: ${format(ca)}`);
      for (const [probe, worst] of Object.entries(ca)) {
        assert.ok(worst <= 1e-9, `${target} CaDynamics_E2 ${probe}: worst relative difference ${worst}`);
      }
      assert.ok(Math.min(...caPort.traces["ion ica"]) < -0.1, "Ca_HVA carries an inward calcium current");
      assert.ok(Math.max(...caPort.traces.cai) > 100 * caPort.traces.cai[0], "the shell fills with calcium");
      const caSpikes = sameSpikes(caBuiltin, caPort, 1e-9);
      console.log(
        `  ${target}: spike times differ by up to ${navSpikes} ms (NaV), ${caSpikes} ms (CaDynamics_E2)`,
      );
    }
  },
);
