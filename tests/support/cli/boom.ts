// A mechanism whose compute_currents throws, for tests/cli_test.ts: the TypeScript stack must
// reach the Python script (`explode` and this file's name are looked for in it).
import { CustomMechanism, mechanism, type PPack } from "../../../mod.ts";

function explode(message: string): never {
  throw new Error(message);
}

/** Throws at its first compute_currents. */
@mechanism({ name: "boom" })
export class Boom extends CustomMechanism {
  override computeCurrents(pp: PPack<Boom>): void {
    if (pp.width > 0) explode("boom: compute_currents refuses to run");
  }
}

/** Throws at init, which Arbor runs when the simulation is built (no guarded call returns then). */
@mechanism({ name: "boom_init" })
export class BoomInit extends CustomMechanism {
  override init(pp: PPack<BoomInit>): void {
    if (pp.width > 0) explode("boom_init: init refuses to run");
  }
}
