/**
 * Port of arbor_pycat's `ExampleMech` (README): states x and y rotating in phase space, an
 * ion `ca` with a valence check, and a calcium write.
 *
 * Differences from pycat, each one a pycat footgun:
 *  - currents and concentrations are accumulated with the instance weight, not assigned;
 *  - pycat also wrote `pp.eca = +80`: Arbor refuses a mechanism that writes both a
 *    concentration and a reversal potential, so that line is not ported.
 *
 * @module
 */
import { CustomMechanism, type Ion, ion, mechanism, type PPack, state } from "../../mod.ts";

/** pycat's example mechanism. */
@mechanism({ name: "example" })
export class ExampleMech extends CustomMechanism {
  @state({ unit: "mV", default: 1 })
  x!: Float64Array;
  @state({ unit: "mV", default: 0 })
  y!: Float64Array;
  @ion({ writeIntConcentration: true, verifyValence: true, expectedValence: 2 })
  ca!: Ion;

  override init(pp: PPack<ExampleMech>): void {
    for (let k = 0; k < pp.width; k++) pp.v[pp.nodeIndex[k]] = 10;
  }

  override advanceState(pp: PPack<ExampleMech>): void {
    for (let k = 0; k < pp.width; k++) {
      const dx = pp.y[k] * pp.dt;
      const dy = -pp.x[k] * pp.dt;
      pp.x[k] += dx;
      pp.y[k] += dy;
    }
  }

  override computeCurrents(pp: PPack<ExampleMech>): void {
    for (let k = 0; k < pp.width; k++) {
      const node = pp.nodeIndex[k];
      pp.i[node] += pp.weight[k] * (pp.v[node] + pp.x[k]) * 1e-1;
      pp.g[node] += pp.weight[k] * 1e-1;
    }
  }

  override writeIons(pp: PPack<ExampleMech>): void {
    for (let k = 0; k < pp.width; k++) {
      pp.cai[pp.indexCa[k]] += pp.weight[k] * -pp.v[pp.nodeIndex[k]];
    }
  }
}
