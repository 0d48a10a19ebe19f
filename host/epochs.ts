/**
 * How `Host.run` splits a long run into epochs, so that a progress line can be drawn between
 * them (never from inside a hook, and never while native code runs).
 *
 * The split depends only on the run itself (CV count, step count), never on whether a terminal
 * is attached, so a run gives the same numbers with and without progress. A run of at most
 * {@link epochSteps} steps is one `host_run` call, one epoch, as before; a longer one is
 * consecutive epochs of that many steps, exactly as Arbor itself advances a network in epochs:
 * each epoch lays out its steps from its own start time, so step times can differ from one long
 * epoch's by rounding (≈1e-16 relative).
 *
 * @module
 */

/** Steps × CVs in one epoch: about 0.1–0.5 s of host work for hh, so progress redraws often enough. */
const EPOCH_WORK = 2 ** 26;
/** Bounds on the steps of one epoch. */
const MIN_EPOCH_STEPS = 1024, MAX_EPOCH_STEPS = 65536;

/** Steps per epoch for a host with `cvs` CVs. */
export function epochSteps(cvs: number): number {
  return Math.min(MAX_EPOCH_STEPS, Math.max(MIN_EPOCH_STEPS, Math.floor(EPOCH_WORK / Math.max(1, cvs))));
}

/**
 * End times of the epochs of a run from `start` to `until` in steps of `dt`: `[until]` for a short
 * run, else `start + k·n·dt` for k = 1, 2, … and finally `until`. The last epoch is at least half
 * an epoch long, so no epoch ends in a sliver of a step.
 */
export function epochEnds(start: number, until: number, dt: number, cvs: number): number[] {
  const n = epochSteps(cvs);
  if (!((until - start) / dt > n)) return [until];
  const ends: number[] = [];
  for (let k = 1;; k++) {
    const end = start + k * n * dt;
    if (!(until - end > 0.5 * n * dt)) break;
    ends.push(end);
  }
  ends.push(until);
  return ends;
}
