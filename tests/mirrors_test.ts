// Tables that repeat another table, checked against their source of truth so that drift fails here.
import assert from "node:assert/strict";
import { join } from "node:path";
import { cSources, ROOT } from "./support/sanitizers.ts";

Deno.test("build.zig builds exactly the .c files of c/host/ (the sanitizer builds read the folder)", () => {
  const buildZig = Deno.readTextFileSync(join(ROOT, "build.zig"));
  const list = /const host_sources = \[_\]\[\]const u8\{([^}]*)\}/.exec(buildZig);
  assert.ok(list, "build.zig has no host_sources list");
  const listed = [...list[1].matchAll(/"([^"]+)"/g)].map((match) => join(ROOT, match[1])).sort();
  assert.deepEqual(listed, cSources("host"), "build.zig host_sources differs from c/host/*.c");
});
