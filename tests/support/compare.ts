// What the compiled-catalogue tests (compile_test.ts, simd_test.ts) compare cell runs with.
import assert from "node:assert/strict";
import type { CellResult } from "../../host/cell.ts";

/** Max over every probe and sample of |a - b| / max(|a|, |b|) (0 where both are 0). */
export function maxRelative(a: CellResult, b: CellResult): number {
  let worst = 0;
  for (const [probe, trace] of Object.entries(a.traces)) {
    const other = b.traces[probe];
    assert.equal(other.length, trace.length, `${probe}: sample count`);
    for (let k = 0; k < trace.length; k++) {
      const difference = Math.abs(trace[k] - other[k]);
      if (difference === 0) continue;
      if (!Number.isFinite(difference)) return Infinity;
      worst = Math.max(worst, difference / Math.max(Math.abs(trace[k]), Math.abs(other[k])));
    }
  }
  return worst;
}
