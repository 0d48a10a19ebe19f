/**
 * Recipes (part of arbor.ts): a Python subclass of `arbor.recipe` whose methods are TypeScript.
 *
 * @module
 */
import type { PyObject, Python } from "../python/mod.ts";

/** TypeScript methods of a recipe (see {@link Arbor.recipe}); gids are numbers. */
export interface RecipeMethods {
  /** Number of cells. */
  numCells: number;
  /** The cell of `gid` (e.g. an `arbor.cable_cell`). */
  cellDescription(gid: number): PyObject;
  /** The kind of `gid` (default `arbor.cell_kind.cable`). */
  cellKind?(gid: number): PyObject;
  /** Probes on `gid`. */
  probes?(gid: number): PyObject[] | PyObject;
  /** Global properties (returned for every kind). */
  globalProperties?: PyObject;
  /** Connections onto `gid`. */
  connectionsOn?(gid: number): PyObject[] | PyObject;
  /** Event generators of `gid`. */
  eventGenerators?(gid: number): PyObject[] | PyObject;
}

/** A recipe object of `methods` (see `Arbor.recipe`). */
export function defineRecipe(py: Python, arbor: PyObject, methods: RecipeMethods): PyObject {
  const members: Record<string, unknown> = {
    num_cells: () => methods.numCells,
    cell_kind: (_self: PyObject, gid: PyObject) =>
      methods.cellKind?.(gid.toJS() as number) ?? arbor.get("cell_kind").get("cable"),
    cell_description: (_self: PyObject, gid: PyObject) => methods.cellDescription(gid.toJS() as number),
  };
  if (methods.probes) {
    const probes = methods.probes;
    members.probes = (_self: PyObject, gid: PyObject) => probes(gid.toJS() as number);
  }
  if (methods.globalProperties) {
    const props = methods.globalProperties;
    members.global_properties = () => props;
  }
  if (methods.connectionsOn) {
    const connections = methods.connectionsOn;
    members.connections_on = (_self: PyObject, gid: PyObject) => connections(gid.toJS() as number);
  }
  if (methods.eventGenerators) {
    const generators = methods.eventGenerators;
    members.event_generators = (_self: PyObject, gid: PyObject) => generators(gid.toJS() as number);
  }
  const cls = py.defineClass("DenocatRecipe", [arbor.get("recipe")], members);
  return cls.call();
}
