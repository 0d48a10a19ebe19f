// A local helper that shadows a module-level helper of the same name: the kernel calls the
// local one (tests/kernel_meaning_test.ts).
import { type DeclaredMechanism, defineMechanism } from "../../../mod.ts";

/** Never what the kernel calls. */
export function slope(_v: number): number {
  return 1;
}

export function makeShadowed(): DeclaredMechanism {
  function slope(_v: number): number {
    return 3;
  }
  return defineMechanism({ name: "meaning_shadow_helper", method: "euler", states: { s: {} } }, {
    derivative: (x) => ({ s: slope(x.v) }),
  });
}

export const shadowed = makeShadowed();
