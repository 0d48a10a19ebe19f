/**
 * Port of arbor_pycat's `Passive` example (README), line for line.
 *
 * pycat:   pp.i[pp.node_index] = pp.v[pp.node_index] * 1e-2
 * denocat: the same current, but *accumulated* (pycat's `=` erased every other mechanism's
 * current on the CV), scaled by the instance weight, and with its derivative written to pp.g.
 *
 * @module
 */
import { CustomMechanism, mechanism, type PPack } from "../../mod.ts";

/** A leak towards 0 mV: i = 1e-2 A/m² per mV. */
@mechanism({ name: "passive" })
export class Passive extends CustomMechanism {
  override init(_pp: PPack<Passive>): void {
    // pycat's init_mechanism did nothing (it printed dir(pp)).
  }

  override computeCurrents(pp: PPack<Passive>): void {
    for (let k = 0; k < pp.width; k++) {
      const node = pp.nodeIndex[k];
      pp.i[node] += pp.weight[k] * pp.v[node] * 1e-2;
      pp.g[node] += pp.weight[k] * 1e-2; // dI/dV in kS/m2: (A/m2)/mV
    }
  }
}
