/**
 * Comparing mechanisms: every curve of every mechanism against the same curve of the first one
 * (the reference), at the same voltages and times: the largest difference per curve, where it is,
 * and its size relative to the reference curve's largest magnitude. A porting error (a changed
 * constant, a wrong sign) shows as the curves it moves, and by how much.
 *
 * @module
 */
import type { GatingCurve } from "./gating.ts";
import type { ProtocolResult } from "./analysis.ts";

/** The largest difference of one curve between a mechanism and the reference. */
export interface Difference {
  /** The curve, e.g. `m steady state`, `τm`, `activation peak`, `activation current`. */
  curve: string;
  /** The mechanism compared (its label). */
  mechanism: string;
  /** The reference (the first mechanism's label). */
  reference: string;
  /** Largest |mechanism − reference|, in `unit` (Infinity where one is defined and the other not). */
  largest: number;
  /** `largest` over the reference curve's largest magnitude (0 when both are 0 throughout). */
  relative: number;
  /** Unit of the curve. */
  unit: string;
  /** Where the largest difference is (`V = -40 mV`, `t = 12.5 ms, sweep -40 mV`). */
  at: string;
}

/** Running maximum of |a − b| over pairs, with where it happened (two indices, named at the end). */
class Largest {
  largest = 0;
  scale = 0;
  where: [number, number] = [-1, -1];
  add(a: number, b: number, j: number, k: number): void {
    const aBad = !Number.isFinite(a), bBad = !Number.isFinite(b);
    if (aBad && bBad) return;
    const difference = aBad !== bBad ? Infinity : Math.abs(a - b);
    if (!aBad && Math.abs(a) > this.scale) this.scale = Math.abs(a);
    if (difference > this.largest) {
      this.largest = difference;
      this.where = [j, k];
    }
  }
  relative(): number {
    return this.largest === 0 ? 0 : this.scale === 0 ? Infinity : this.largest / this.scale;
  }
}

/** Every difference of `mechanism` against `reference`, curve by curve (both must have the curve). */
export function compare(
  reference: string,
  mechanism: string,
  gating: readonly GatingCurve[],
  protocols: readonly ProtocolResult[],
): Difference[] {
  const out: Difference[] = [];
  const push = (curve: string, unit: string, m: Largest, at: (j: number, k: number) => string) =>
    out.push({
      curve,
      mechanism,
      reference,
      largest: m.largest,
      relative: m.relative(),
      unit,
      at: m.largest > 0 ? at(...m.where) : "",
    });
  const mine = (label: string) => gating.filter((g) => g.mechanism === label);
  for (const ref of mine(reference)) {
    const other = mine(mechanism).find((g) => g.state === ref.state);
    if (other === undefined) continue;
    const inf = new Largest(), tau = new Largest();
    ref.v.forEach((_, k) => {
      inf.add(ref.inf[k], other.inf[k], 0, k);
      tau.add(ref.tau[k], other.tau[k], 0, k);
    });
    const at = (_: number, k: number) => `V = ${ref.v[k]} mV`;
    push(`${ref.state} steady state`, ref.unit || "1", inf, at);
    push(`τ${ref.state}`, "ms", tau, at);
  }
  for (const ref of protocols.filter((p) => p.mechanism === reference)) {
    const other = protocols.find((p) => p.mechanism === mechanism && p.protocol === ref.protocol);
    if (other === undefined) continue;
    for (const curve of ref.curves) {
      const theirs = other.curves.find((c) => c.name === curve.name);
      if (theirs === undefined) continue;
      const m = new Largest();
      curve.x.forEach((_, k) => m.add(curve.y[k], theirs.y[k], 0, k));
      push(`${ref.protocol} ${curve.name}`, curve.unit, m, (_, k) => `${curve.xLabel} = ${curve.x[k]} mV`);
    }
    const currents = new Set(ref.sweeps.flatMap((s) => Object.keys(s.currents)));
    for (const name of currents) {
      const m = new Largest();
      ref.sweeps.forEach((sweep, j) => {
        const a = sweep.currents[name], b = other.sweeps[j]?.currents[name];
        if (a === undefined || b === undefined) return;
        for (let k = 0; k < a.length; k++) m.add(a[k], b[k], j, k);
      });
      push(
        `${ref.protocol} ${name === "i" ? "current" : name}`,
        ref.currentUnit,
        m,
        (j, k) => `t = ${Number((k * ref.dt).toPrecision(10))} ms, sweep ${ref.sweeps[j].label}`,
      );
    }
  }
  return out;
}

/** Differences as text lines: one block per compared mechanism, the largest relative one marked. */
export function formatDifferences(differences: readonly Difference[]): string[] {
  const lines: string[] = [];
  const byMechanism = new Map<string, Difference[]>();
  for (const d of differences) byMechanism.set(d.mechanism, [...(byMechanism.get(d.mechanism) ?? []), d]);
  for (const [mechanism, list] of byMechanism) {
    lines.push(`largest differences of ${mechanism} from ${list[0].reference}:`);
    const worst = list.reduce((w, d) => (d.relative > w.relative ? d : w), list[0]);
    const width = Math.max(...list.map((d) => d.curve.length));
    for (const d of list) {
      const size = (d.largest === 0 ? "0" : d.largest.toExponential(2)) +
        (d.unit === "1" ? "" : ` ${d.unit}`);
      const relative = d.largest === 0 ? "" : ` (${d.relative.toExponential(1)} relative)`;
      lines.push(
        `  ${d.curve.padEnd(width)}  ${size}${relative}${d.at && d.largest > 0 ? ` at ${d.at}` : ""}${
          d === worst && d.largest > 0 ? "  <- largest" : ""
        }`,
      );
    }
  }
  return lines;
}
