// The module graph of every package entry (deno.json "exports"): no static import cycle, and the
// TypeScript compiler (npm:typescript, used by compiled mode) is never statically reachable from
// mod.ts, so that `import "denocat"` stays cheap and the compiler is loaded only when compiling.
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { ROOT } from "./support/sanitizers.ts";

interface Dependency {
  code?: { specifier?: string };
  isDynamic?: boolean;
}
interface GraphModule {
  specifier: string;
  dependencies?: Dependency[];
}

const exportsOf = JSON.parse(Deno.readTextFileSync(`${ROOT}/deno.json`)).exports as Record<string, string>;

/** Static runtime edges (type-only and dynamic imports erase or defer, so they cannot cycle). */
async function staticGraph(entry: string): Promise<{ root: string; edges: Map<string, string[]> }> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", entry],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(output.success, new TextDecoder().decode(output.stderr));
  const graph = JSON.parse(new TextDecoder().decode(output.stdout)) as {
    roots: string[];
    modules: GraphModule[];
  };
  const edges = new Map<string, string[]>();
  for (const module of graph.modules) {
    edges.set(
      module.specifier,
      (module.dependencies ?? [])
        .filter((dependency) => !dependency.isDynamic && dependency.code?.specifier)
        .map((dependency) => dependency.code!.specifier!),
    );
  }
  return { root: graph.roots[0], edges };
}

/** Every module reachable from `root` along static edges (what loading `root` evaluates). */
function staticallyReachable(root: string, edges: Map<string, string[]>): Set<string> {
  const seen = new Set<string>([root]);
  const pending = [root];
  while (pending.length > 0) {
    for (const next of edges.get(pending.pop()!) ?? []) {
      if (!seen.has(next)) {
        seen.add(next);
        pending.push(next);
      }
    }
  }
  return seen;
}

function shortName(specifier: string): string {
  return specifier.startsWith("file:") ? fileURLToPath(specifier).slice(ROOT.length) : specifier;
}

/** The first cycle found by depth-first search, as a list of modules, or undefined. */
export function findCycle(edges: Map<string, string[]>): string[] | undefined {
  const state = new Map<string, "open" | "done">();
  const path: string[] = [];
  const visit = (node: string): string[] | undefined => {
    state.set(node, "open");
    path.push(node);
    for (const next of edges.get(node) ?? []) {
      if (state.get(next) === "open") return [...path.slice(path.indexOf(next)), next];
      if (state.get(next) === undefined) {
        const cycle = visit(next);
        if (cycle) return cycle;
      }
    }
    path.pop();
    state.set(node, "done");
    return undefined;
  };
  for (const node of edges.keys()) {
    if (state.get(node) === undefined) {
      const cycle = visit(node);
      if (cycle) return cycle;
    }
  }
  return undefined;
}

Deno.test("findCycle finds a cycle and passes a tree (the check itself can fail)", () => {
  const cyclic = new Map([["a", ["b"]], ["b", ["c"]], ["c", ["a"]], ["d", ["a"]]]);
  assert.deepEqual(findCycle(cyclic), ["a", "b", "c", "a"]);
  assert.equal(findCycle(new Map([["a", ["b", "c"]], ["b", ["c"]], ["c", []]])), undefined);
});

for (const [name, entry] of Object.entries(exportsOf)) {
  Deno.test(`no static import cycle under the "${name}" export (${entry})`, async () => {
    const { edges } = await staticGraph(entry);
    const cycle = findCycle(edges);
    assert.equal(cycle, undefined, `import cycle: ${cycle?.map(shortName).join(" -> ")}`);
  });
}

Deno.test("mod.ts does not statically reach npm:typescript (the compiler stays a lazy import)", async () => {
  const { root, edges } = await staticGraph(exportsOf["."]);
  const reachable = staticallyReachable(root, edges);
  assert.ok([...reachable].some((specifier) => specifier.endsWith("/ffi/trampoline.ts")), "graph is empty");
  const compiler = [...reachable].filter((specifier) => /^npm:\/?typescript@/.test(specifier));
  assert.deepEqual(compiler, [], `statically reachable from mod.ts: ${compiler.join(", ")}`);
});
