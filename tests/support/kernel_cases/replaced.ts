// A kernel method replaced on the prototype after the class: JavaScript calls the replacement
// (tests/kernel_meaning_test.ts).
import { mechanism, PointwiseMechanism, type Scope, state } from "../../../mod.ts";

@mechanism({ name: "meaning_replaced", method: "euler" })
export class Replaced extends PointwiseMechanism {
  @state({ default: 0 })
  s!: number;

  override derivative(_x: Scope<Replaced>) {
    return { s: 1 };
  }
}

Replaced.prototype.derivative = function (_x: Scope<Replaced>) {
  return { s: 5 };
};
