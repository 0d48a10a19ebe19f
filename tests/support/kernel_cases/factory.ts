// A mechanism factory whose kernel reads its parameter `tau`, in a module that also has a
// module-level `tau`: JavaScript's kernel reads the parameter (tests/kernel_meaning_test.ts).
import { type DeclaredMechanism, defineMechanism } from "../../../mod.ts";

/** Never what the factory's kernels read. */
export const tau = 2;

/** A decay s' = -s / tau, tau of this call. */
export function decay(name: string, tau: number): DeclaredMechanism {
  return defineMechanism({ name, method: "euler", states: { s: { default: 1 } } }, {
    derivative: (x) => ({ s: -x.s / tau }),
  });
}

export const decayFast = decay("meaning_decay_fast", 0.5);
export const decaySlow = decay("meaning_decay_slow", 8);
