/**
 * The layers of denocat: one table of the product's folders in rank order, lowest first, and the
 * rule that makes "imports flow one way" checkable. A product file may import a file of its own
 * folder or of a folder ranked LOWER in {@link LAYERS}, never one ranked equal or higher (type-only
 * imports included), and never a folder outside the product (`examples/`, `tests/`, `bench/`,
 * `tools/`). `tests/layers_test.ts` holds the code to this table, and docs/architecture.md's layer
 * table is printed from it (`deno run -A tools/layers.ts --write`).
 *
 * The same test keeps the FFI boundary where {@link FFI_FOLDER} says: only files under it may call
 * `Deno.dlopen` or use `UnsafeCallback`, `UnsafePointerView`, `UnsafeFnPointer` or
 * `UnsafePointer`.
 *
 * @module
 */
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { loadTypeScript } from "../kernels/source.ts";

/** One product folder (or the package entry), with what it is for. */
export interface Layer {
  /** Folder (with a trailing `/`) or a top-level file, relative to the repository root. */
  path: string;
  /** What lives there, in one line. */
  role: string;
}

/** The product's layers, lowest first: each may import only those above it in this list. */
export const LAYERS: readonly Layer[] = [
  { path: "prebuilt/", role: "the manifest of the prebuilt native libraries shipped with a release" },
  {
    path: "platform/",
    role: "this machine: the package root, zig and building the C libraries, the cache folder, " +
      "where each native library is, how files are written, the progress line",
  },
  {
    path: "ffi/",
    role: "the Deno FFI boundary: the ABI layout, the mechanism spec that crosses it, every symbol " +
      "table, opening libraries, ppack views, the trampoline catalogue and its callbacks, hook " +
      "failures, and the CPython bridge (`ffi/python/`)",
  },
  {
    path: "kernels/",
    role: "the kernel plan: TypeScript kernels read, lowered to one expression graph, printed as " +
      "JavaScript or C; the pointwise runtime that runs the JavaScript",
  },
  {
    path: "mechanism/",
    role: "declaring mechanisms: decorators, `defineMechanism`, validation, the registry of " +
      "declared classes",
  },
  {
    path: "catalogue/",
    role: "building catalogues from declared mechanisms: targets (js, native, compiled), the C " +
      "catalogue file, CPU levels, zig builds, `catalogue()` and `compileCatalogue()`",
  },
  {
    path: "host/",
    role: "the native test host: cells, CVs, stimuli and probes, run as Arbor's CPU backend does",
  },
  {
    path: "nmodl/",
    role:
      "the NMODL importer and exporter: .mod files parsed, resolved and printed as TypeScript; plans printed as .mod files",
  },
  {
    path: "arbor/",
    role: "real Arbor through the embedded CPython: loading, versions, recipes, simulations, MPI",
  },
  { path: "plot/", role: "Vega-Lite plots of traces and curves" },
  {
    path: "inspect/",
    role: "seeing a channel: gating curves from the plan, voltage-clamp protocols on the host, " +
      "comparisons, figures and data files",
  },
  { path: "cli/", role: "the `denocat` command: run, compile, import, inspect, cache" },
  { path: "mod.ts", role: "the package entry: the public API of `@denocat/denocat`" },
];

/** Where Deno's unsafe FFI API may be used, and nowhere else in the product. */
export const FFI_FOLDER = "ffi/";

/** Folders outside the product: they may import any layer, and no layer may import them. */
export const OUTSIDE_PRODUCT: readonly string[] = ["examples/", "tests/", "bench/", "tools/", "docs/"];

/** The repository root (this file is `tools/layers.ts`). */
export const ROOT: string = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** The layer a repository-relative path belongs to, or undefined outside the product. */
export function layerOf(path: string): number | undefined {
  const index = LAYERS.findIndex((layer) =>
    layer.path.endsWith("/") ? path.startsWith(layer.path) : path === layer.path
  );
  return index < 0 ? undefined : index;
}

/** One import of a product file. */
export interface ImportEdge {
  /** The importing file, repository-relative. */
  from: string;
  /** The imported file, repository-relative. */
  to: string;
  /** 1-based line of the import. */
  line: number;
  /** Whether it is an `import(...)` expression. */
  dynamic: boolean;
}

/**
 * The relative imports of a TypeScript file's `text`, read with the TypeScript compiler's
 * pre-processor (so an `import` in a comment or a string is not one): static, type-only,
 * re-exports and `import()` with a literal specifier.
 */
export async function importsOf(path: string, text: string): Promise<ImportEdge[]> {
  const ts = await loadTypeScript();
  const info = ts.preProcessFile(text, true, true);
  const lineOf = (pos: number) => text.slice(0, pos).split("\n").length;
  const edges: ImportEdge[] = [];
  for (const imported of info.importedFiles) {
    if (!imported.fileName.startsWith(".")) continue;
    const to = relative(ROOT, resolve(ROOT, dirname(path), imported.fileName));
    // pos is the specifier's opening quote; an import() has its parenthesis right before it
    const before = text.slice(Math.max(0, imported.pos - 12), imported.pos);
    edges.push({ from: path, to, line: lineOf(imported.pos), dynamic: /import\s*\(\s*$/.test(before) });
  }
  return edges;
}

/** Every product TypeScript file (tests beside the code excluded), repository-relative. */
export async function productFiles(): Promise<string[]> {
  const files: string[] = [];
  async function walk(folder: string): Promise<void> {
    for await (const entry of Deno.readDir(join(ROOT, folder))) {
      const path = folder === "" ? entry.name : `${folder}/${entry.name}`;
      if (entry.isDirectory) {
        if (layerOf(`${path}/`) !== undefined || LAYERS.some((l) => l.path.startsWith(`${path}/`))) {
          await walk(path);
        }
      } else if (path.endsWith(".ts") && !path.endsWith("_test.ts") && layerOf(path) !== undefined) {
        files.push(path);
      }
    }
  }
  await walk("");
  return files.sort();
}

/** A breach of the layer rule, in words. */
export interface LayerBreach {
  /** `file:line`. */
  at: string;
  /** What is wrong. */
  problem: string;
}

/**
 * The imports of one product file (`path`, repository-relative, with its `text`) that break the
 * rule of {@link LAYERS}, and its uses of Deno's unsafe FFI API outside {@link FFI_FOLDER}.
 */
export async function breachesOf(path: string, text: string): Promise<LayerBreach[]> {
  const from = layerOf(path);
  if (from === undefined) return [];
  const breaches: LayerBreach[] = [];
  for (const edge of await importsOf(path, text)) {
    const at = `${path}:${edge.line}`;
    const to = layerOf(edge.to);
    if (edge.dynamic) {
      breaches.push({ at, problem: `imports ${edge.to} with import(): import it statically` });
    }
    if (to === undefined) {
      breaches.push({ at, problem: `imports ${edge.to}, which is outside the product` });
    } else if (to >= from && LAYERS[to].path !== LAYERS[from].path) {
      breaches.push({
        at,
        problem: `${LAYERS[from].path} (rank ${from + 1}) imports ${edge.to} of ${LAYERS[to].path} ` +
          `(rank ${to + 1}): a layer imports only lower ones`,
      });
    }
  }
  if (!path.startsWith(FFI_FOLDER)) {
    // comments blanked (line numbers kept): prose may name the API
    const code = text.replace(/\/\*[\s\S]*?\*\//g, (comment) => comment.replace(/[^\n]/g, " "));
    code.split("\n").forEach((line, index) => {
      const match = line.replace(/\/\/.*$/, "").match(UNSAFE_FFI);
      if (match) {
        breaches.push({ at: `${path}:${index + 1}`, problem: `uses Deno.${match[1]} outside ${FFI_FOLDER}` });
      }
    });
  }
  return breaches;
}

const UNSAFE_FFI = /\bDeno\.(dlopen|UnsafeCallback|UnsafePointerView|UnsafeFnPointer|UnsafePointer)\b/;

/** Every breach of the layers in the product as it is on disk. */
export async function layerBreaches(): Promise<LayerBreach[]> {
  const breaches: LayerBreach[] = [];
  for (const file of await productFiles()) {
    breaches.push(...await breachesOf(file, await Deno.readTextFile(join(ROOT, file))));
  }
  return breaches;
}

const TABLE_START = "<!-- layers: printed by `deno run -A tools/layers.ts --write`; do not edit -->\n" +
  "<!-- deno-fmt-ignore-start -->";
const TABLE_END = "<!-- deno-fmt-ignore-end -->\n<!-- /layers -->";

/** The layer table of docs/architecture.md, printed from {@link LAYERS}. */
export function layerTable(): string {
  const rows = LAYERS.map((layer, index) => `| ${index + 1} | \`${layer.path}\` | ${layer.role} |`);
  return [TABLE_START, "| rank | folder | what it holds |", "| ---: | --- | --- |", ...rows, TABLE_END].join(
    "\n",
  );
}

/** docs/architecture.md with its layer table replaced by {@link layerTable}'s. */
export function withLayerTable(doc: string): string {
  const start = doc.indexOf(TABLE_START);
  const end = doc.indexOf(TABLE_END);
  if (start < 0 || end < start) {
    throw new Error(`docs/architecture.md has no layer table between ${TABLE_START} and ${TABLE_END}`);
  }
  return doc.slice(0, start) + layerTable() + doc.slice(end + TABLE_END.length);
}

if (import.meta.main) {
  const doc = join(ROOT, "docs", "architecture.md");
  if (Deno.args.includes("--write")) {
    await Deno.writeTextFile(doc, withLayerTable(await Deno.readTextFile(doc)));
  }
  const breaches = await layerBreaches();
  for (const breach of breaches) console.log(`${breach.at}: ${breach.problem}`);
  console.log(`${breaches.length} breach(es) of the layers`);
}
