// `class Fast extends Base` inside a function whose local `Base` shadows the module-level
// `Base`: Fast inherits the local Base's derivative (tests/kernel_meaning_test.ts).
import { mechanism, PointwiseMechanism, type Scope, state } from "../../../mod.ts";

/** Never what Fast inherits. */
export class Base extends PointwiseMechanism {
  override derivative(_x: Scope) {
    return { s: 1 };
  }
}

export function makeFast() {
  class Base extends PointwiseMechanism {
    override derivative(_x: Scope) {
      return { s: 4 };
    }
  }
  @mechanism({ name: "meaning_local_base", method: "euler" })
  class Fast extends Base {
    @state({ default: 0 })
    s!: number;
  }
  return Fast;
}

export const Fast = makeFast();
