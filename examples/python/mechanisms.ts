/**
 * The mechanisms of arbor_pycat's README example, for examples/python/example_mech.py: its
 * `Passive` and `ExampleMech`, ported in examples/pycat/.
 *
 * @module
 */
export { Passive } from "../pycat/passive.ts";
export { ExampleMech } from "../pycat/example_mech.ts";
