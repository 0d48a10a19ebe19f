/**
 * Pointwise TypeScript ports of mechanisms of Arbor's default catalogue: `hh`, `pas`, `expsyn`,
 * `exp2syn`, `nernst`, `kdrmt` and `nax`, each with Arbor's names, defaults, units, constants and
 * integration method. Build a catalogue of them with
 * `catalogue({ mechanisms: arborDefaultPorts })`.
 *
 * Ports of other Arbor catalogues are in this folder but not in this list (nor exported here, so
 * that compiling this module builds the default catalogue's ports only): `nav.ts` (allen `NaV`) and
 * `cadynamics.ts` (bbp `CaDynamics_E2`), examples of kinetic schemes and concentration states.
 *
 * @module
 */
import type { MechanismClass } from "../../mod.ts";
import { PointwiseHH } from "./hh.ts";
import { Pas } from "./pas.ts";
import { ExpSyn } from "./expsyn.ts";
import { Exp2Syn } from "./exp2syn.ts";
import { Nernst } from "./nernst.ts";
import { Kdrmt } from "./kdrmt.ts";
import { Nax } from "./nax.ts";

export { exprelr, PointwiseHH } from "./hh.ts";
export { Pas } from "./pas.ts";
export { ExpSyn } from "./expsyn.ts";
export { Exp2Syn, exp2synFactor } from "./exp2syn.ts";
export { Nernst } from "./nernst.ts";
export { Kdrmt, kdrmtMinf } from "./kdrmt.ts";
export { Nax, naxTrap0 } from "./nax.ts";

/** Every port, in the order above, for `catalogue({ mechanisms: arborDefaultPorts })`. */
export const arborDefaultPorts: MechanismClass[] = [PointwiseHH, Pas, ExpSyn, Exp2Syn, Nernst, Kdrmt, Nax];
