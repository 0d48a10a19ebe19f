/**
 * Shared pieces of the Arbor scenarios: loading Arbor (or skipping with one line), the small
 * morphologies pycat's tests use, and a recipe over one cell description.
 *
 * @module
 */
import { type Arbor, type Decor, tryLoadArbor } from "../../arbor/mod.ts";
import { kw, type PyObject } from "../../ffi/python/mod.ts";

/** Arbor, or `undefined` after printing one skip line naming the scenario and the reason. */
export function arborOrSkip(scenario: string): Arbor | undefined {
  const arb = tryLoadArbor();
  if (arb instanceof Error) {
    const reason = arb.cause instanceof Error ? arb.cause.message : arb.message;
    console.log(`skip ${scenario}: arbor is not importable (${reason.split("\n")[0]})`);
    return undefined;
  }
  return arb;
}

/** A segment tree of 6 µm cylinders (radius 3 µm), all attached to the root, one per tag. */
export function cylinders(arb: Arbor, tags: number[]): PyObject {
  const tree = arb.call("segment_tree");
  const mnpos = arb.arbor.get("mnpos");
  for (const tag of tags) {
    tree.callMethod(
      "append",
      mnpos,
      arb.call("mpoint", -3, 0, 0, 3),
      arb.call("mpoint", 3, 0, 0, 3),
      kw({ tag }),
    );
  }
  return tree;
}

/** `arbor.label_dict(labels)`. */
export function labels(arb: Arbor, entries: Record<string, string>): PyObject {
  return arb.call("label_dict", entries);
}

/** `arbor.cable_cell(arbor.morphology(tree), decor, labels)`, through the version-neutral helper. */
export function cableCell(arb: Arbor, tree: PyObject, decor: Decor, labelDict: PyObject): PyObject {
  return arb.cableCell(arb.call("morphology", tree), decor, labelDict);
}

/** Runs `main` when the module is the program: prints its result and exits non-zero on failure. */
export async function runAsProgram(main: () => Promise<unknown>): Promise<void> {
  try {
    const result = await main();
    if (result !== undefined) console.log(result);
  } catch (error) {
    console.error(error);
    Deno.exit(1);
  }
}
