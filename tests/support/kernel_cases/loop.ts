// Mechanisms made in a loop whose variable `rate` shadows a module-level `rate`: each kernel
// reads its own iteration's value (tests/kernel_meaning_test.ts).
import { type DeclaredMechanism, defineMechanism } from "../../../mod.ts";

/** Never what the loop's kernels read. */
export const rate = 100;

const table: [string, number][] = [["meaning_loop_a", 1], ["meaning_loop_b", 3]];

export const loopMechanisms: DeclaredMechanism[] = [];
for (const [name, rate] of table) {
  loopMechanisms.push(
    defineMechanism({ name, method: "euler", states: { s: {} } }, { derivative: () => ({ s: rate }) }),
  );
}
