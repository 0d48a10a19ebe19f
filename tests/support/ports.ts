// Shared by the tests of the ports of Arbor's default catalogue (tests/catalogue_*_test.ts): a host
// on a fresh catalogue, modcc's Padé propagator, and the tolerance report each test prints.
import assert from "node:assert/strict";
import { type Catalogue, catalogue, type CatalogueOptions, Host } from "../../mod.ts";

export const area = 2 * Math.PI * 3 * 6; // µm²: the single-CV cylinder of the recorded Arbor traces
export const EPS = Number.EPSILON;

/** modcc's cnexp propagator, the (1,1) Padé approximant of exp (docs/abi.md 5.6). */
export const pade = (z: number) => (1 + 0.5 * z) / (1 - 0.5 * z);

/** Runs `body` with a fresh catalogue of `mechanisms` and one host on it; closes both. */
export async function withHost<T>(
  mechanisms: NonNullable<CatalogueOptions["mechanisms"]>,
  body: (host: Host, cat: Catalogue) => T | Promise<T>,
): Promise<T> {
  const cat = await catalogue({ mechanisms });
  try {
    using host = await Host.create({ catalogues: [cat] });
    return await body(host, cat);
  } finally {
    cat.close();
  }
}

/** Index of the step [time[k], time[k+1]) that contains t: where the host delivers an event. */
export function stepOf(time: Float64Array, t: number): number {
  let k = 0;
  while (k + 1 < time.length && time[k + 1] <= t) k++;
  return k;
}

/** Largest |a[n] − f(n)| over n in [from, a.length). */
export function worst(a: ArrayLike<number>, f: (n: number) => number, from = 0): number {
  let max = 0;
  for (let n = from; n < a.length; n++) max = Math.max(max, Math.abs(a[n] - f(n)));
  return max;
}

/** Prints `what` and asserts that `value` is within `tolerance`. */
export function report(what: string, value: number, tolerance: number): void {
  console.log(`  ${what}: ${value.toExponential(2)} (tolerance ${tolerance.toExponential(1)})`);
  assert.ok(value <= tolerance, `${what}: ${value} > ${tolerance}`);
}
