// The layers of tools/layers.ts hold in the code: no product folder imports one of equal or higher
// rank (type-only imports included), no product file uses import() of another to dodge a cycle,
// only ffi/ touches Deno's unsafe FFI API, and docs/architecture.md prints the same table.
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  breachesOf,
  layerBreaches,
  LAYERS,
  layerTable,
  OUTSIDE_PRODUCT,
  productFiles,
  ROOT,
  withLayerTable,
} from "../tools/layers.ts";

Deno.test("layers: no product file breaks the layer rule or uses unsafe FFI outside ffi/", async () => {
  const files = await productFiles();
  assert.ok(
    files.includes("ffi/trampoline.ts") && files.includes("mod.ts"),
    `product files: ${files.length}`,
  );
  const breaches = await layerBreaches();
  assert.deepEqual(breaches.map((b) => `${b.at}: ${b.problem}`), []);
});

Deno.test("layers: the rule fails on an upward import, a type-only one, an import() and unsafe FFI", async () => {
  const upward = await breachesOf("ffi/open.ts", `import { catalogue } from "../catalogue/api.ts";\n`);
  assert.equal(upward.length, 1);
  assert.match(
    upward[0].problem,
    /ffi\/ \(rank \d+\) imports catalogue\/api\.ts of catalogue\/ \(rank \d+\)/,
  );
  assert.equal(upward[0].at, "ffi/open.ts:1");
  const typeOnly = await breachesOf(
    "kernels/plan.ts",
    `// x\nimport type { Host } from "../host/host.ts";\n`,
  );
  assert.deepEqual(typeOnly.map((b) => b.at), ["kernels/plan.ts:2"]);
  const reExport = await breachesOf("platform/files.ts", `export { LAYOUT } from "../ffi/layout.ts";\n`);
  assert.equal(reExport.length, 1);
  const dynamic = await breachesOf("catalogue/native.ts", `const m = await import("./emit.ts");\n`);
  assert.match(dynamic[0].problem, /import\(\)/);
  const outside = await breachesOf(
    "host/cell.ts",
    `import { PointwiseHH } from "../examples/catalogue/hh.ts";\n`,
  );
  assert.match(outside[0].problem, /outside the product/);
  const entry = await breachesOf("arbor/core.ts", `import type { Catalogue } from "../mod.ts";\n`);
  assert.match(entry[0].problem, /mod\.ts/);
  const unsafe = await breachesOf("host/host.ts", `const v = new Deno.UnsafePointerView(p);\n`);
  assert.match(unsafe[0].problem, /Deno\.UnsafePointerView outside ffi\//);
  // what is allowed: a lower layer, the same folder, comments, and unsafe FFI inside ffi/
  assert.deepEqual(
    await breachesOf(
      "catalogue/native.ts",
      `import { plan } from "../kernels/plan.ts";\nimport { x } from "./emit.ts";\n` +
        `/** import { y } from "../cli/mod.ts"; Deno.dlopen */\n`,
    ),
    [],
  );
  assert.deepEqual(await breachesOf("ffi/open.ts", `Deno.dlopen(path, symbols);\n`), []);
});

Deno.test("layers: every top-level folder is a layer, outside the product, or c/", async () => {
  const known = new Set([...LAYERS.map((l) => l.path), ...OUTSIDE_PRODUCT, "c/"]);
  const ignored = new Set([
    "zig-out/",
    "zig-cache/",
    ".zig-cache/",
    ".tools/",
    ".git/",
    ".ci/",
    "out/",
    "node_modules/",
  ]);
  const tracked = new TextDecoder().decode(
    (await new Deno.Command("git", { args: ["ls-files"], cwd: ROOT, stdout: "piped" }).output()).stdout,
  ).split("\n").filter((line) => line.includes("/")).map((line) => `${line.split("/")[0]}/`);
  const unknown = [...new Set(tracked)].filter((folder) => !known.has(folder) && !ignored.has(folder));
  assert.deepEqual(unknown, [], "add the folder to LAYERS (tools/layers.ts) or OUTSIDE_PRODUCT");
});

Deno.test("layers: docs/architecture.md shows the table of tools/layers.ts", async () => {
  const doc = await Deno.readTextFile(join(ROOT, "docs", "architecture.md"));
  assert.ok(doc.includes(layerTable()), "run: deno run -A tools/layers.ts --write");
  assert.equal(withLayerTable(doc), doc);
});

Deno.test("layers: docs/architecture.md names every product file in its folder's entry", async () => {
  const doc = await Deno.readTextFile(join(ROOT, "docs", "architecture.md"));
  const guide = doc.slice(doc.indexOf("## What each folder holds"));
  const missing: string[] = [];
  for (const file of await productFiles()) {
    if (file === "mod.ts") continue;
    const folder = LAYERS.find((layer) => layer.path.endsWith("/") && file.startsWith(layer.path))!.path;
    const entry = guide.slice(guide.indexOf(`**\`${folder}\`**`)).split("\n- **")[0];
    const name = file.slice(folder.length).replace(/^python\//, "").replace(/^lower\//, "");
    if (
      !entry.includes(`\`${name}\``) && !(file.startsWith("kernels/lower/") && entry.includes("`lower/`"))
    ) {
      missing.push(file);
    }
  }
  assert.deepEqual(missing, [], 'name them in docs/architecture.md, "What each folder holds"');
});
