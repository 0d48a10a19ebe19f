/**
 * Recipes (part of arbor/mod.ts): a Python subclass of `arbor.recipe` whose methods are TypeScript.
 *
 * @module
 */
import type { PyObject, Python } from "../ffi/python/mod.ts";

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
  /** Gap junctions onto `gid` (`arbor.gap_junction_connection`s; the cells must share a cell group). */
  gapJunctionsOn?(gid: number): PyObject[] | PyObject;
}

// The per-gid methods read a cache when there is one: Arbor calls recipe methods from its worker threads
// when the context has several, and JavaScript runs only on Deno's thread. `prefetch_recipe` fills the
// cache there first (Arbor.simulation does, for a context with more than one thread).
const RECIPE_HELPERS = `
def per_gid(name):
    def method(self, gid):
        cache = self.__dict__.get("_denocat_cache")
        if cache is not None:
            return cache[name][gid]
        return getattr(self, "_denocat_js_" + name)(gid)
    method.__name__ = name
    return method

def constant(value):
    return lambda self, *args: value

def prefetch_recipe(recipe):
    if not hasattr(recipe, "_denocat_per_gid") or recipe.__dict__.get("_denocat_cache") is not None:
        return
    n = recipe.num_cells()
    recipe._denocat_cache = {
        name: [getattr(recipe, "_denocat_js_" + name)(gid) for gid in range(n)]
        for name in recipe._denocat_per_gid
    }
`;

const helpersOf = new WeakMap<Python, PyObject>();
function recipeHelpers(py: Python): PyObject {
  let helpers = helpersOf.get(py);
  if (helpers === undefined) {
    helpers = py.exec(RECIPE_HELPERS);
    helpersOf.set(py, helpers);
  }
  return helpers;
}

/**
 * Asks every per-gid method of a recipe made by {@link defineRecipe} once, on this thread, and keeps the
 * answers, so that Arbor's worker threads read them instead of calling TypeScript. Other recipes are left
 * as they are.
 */
export function prefetchRecipe(py: Python, recipe: PyObject): void {
  recipeHelpers(py).item("prefetch_recipe").call(recipe).dispose();
}

/** A recipe object of `methods` (see `Arbor.recipe`). */
export function defineRecipe(py: Python, arbor: PyObject, methods: RecipeMethods): PyObject {
  const gidOf = (gid: PyObject) => gid.toJS() as number;
  const perGid: Record<string, ((gid: number) => unknown) | undefined> = {
    cell_kind: (gid) => methods.cellKind?.(gid) ?? arbor.get("cell_kind").get("cable"),
    cell_description: (gid) => methods.cellDescription(gid),
    probes: methods.probes,
    connections_on: methods.connectionsOn,
    event_generators: methods.eventGenerators,
    gap_junctions_on: methods.gapJunctionsOn,
  };
  const helpers = recipeHelpers(py);
  // Values, not JavaScript: Python functions that any thread may call.
  const members: Record<string, unknown> = { num_cells: helpers.item("constant").call(methods.numCells) };
  const names: string[] = [];
  for (const [name, fn] of Object.entries(perGid)) {
    if (fn === undefined) continue;
    names.push(name);
    members[`_denocat_js_${name}`] = (_self: PyObject, gid: PyObject) => fn.call(methods, gidOf(gid));
    members[name] = helpers.item("per_gid").call(name);
  }
  members._denocat_per_gid = names;
  if (methods.globalProperties) {
    members.global_properties = helpers.item("constant").call(methods.globalProperties);
  }
  const cls = py.defineClass("DenocatRecipe", [arbor.get("recipe")], members as Record<string, never>);
  return cls.call();
}
