// Tables that repeat another table, checked against their source of truth so that drift fails here.
import assert from "node:assert/strict";
import { join, relative } from "node:path";
import { cSources, ROOT } from "./support/sanitizers.ts";
import { nativeLayout } from "./support/native_layout.ts";
import { suiteTestFiles, testFilesUnder } from "./support/test_files.ts";
import { ARBOR_VIEW_LAYOUT } from "./support/arbor_view.ts";
import { HOOK_NAMES, HOOK_TABLE, type HookName, ION_FLAG, KIND, type MechanismKind } from "../ffi/layout.ts";
import type { CustomMechanism } from "../mechanism/types.ts";
import type { MechanismHooks } from "../mechanism/define.ts";
import { PROBE } from "../host/types.ts";
import { ION_FLAGS_FROM_ABI7, ionInfoField, kindEnumerator } from "../catalogue/emit.ts";
import { ionViewNames } from "../ffi/ppack.ts";
import { ionScopeNames } from "../kernels/rules.ts";
import { ionNames } from "../ffi/names.ts";
import { FAILURE_SYMBOLS } from "../kernels/finite.ts";

Deno.test("build.zig builds exactly the .c files of c/host/ (the sanitizer builds read the folder)", () => {
  const buildZig = Deno.readTextFileSync(join(ROOT, "build.zig"));
  const list = /const host_sources = \[_\]\[\]const u8\{([^}]*)\}/.exec(buildZig);
  assert.ok(list, "build.zig has no host_sources list");
  const listed = [...list[1].matchAll(/"([^"]+)"/g)].map((match) => join(ROOT, match[1])).sort();
  assert.deepEqual(listed, cSources("host"), "build.zig host_sources differs from c/host/*.c");
});

Deno.test("build.zig builds exactly the .c files of c/denocat/ (the sanitizer builds read the folder)", () => {
  const buildZig = Deno.readTextFileSync(join(ROOT, "build.zig"));
  const list = /const catalogue_sources = \[_\]\[\]const u8\{([^}]*)\}/.exec(buildZig);
  assert.ok(list, "build.zig has no catalogue_sources list");
  const listed = [...list[1].matchAll(/"([^"]+)"/g)].map((match) => join(ROOT, match[1])).sort();
  assert.deepEqual(listed, cSources("denocat"), "build.zig catalogue_sources differs from c/denocat/*.c");
});

const cText = (file: string) => Deno.readTextFileSync(join(ROOT, "c", file));

/** `#define <prefix><NAME> <integer>` lines of a C file, as NAME -> value. */
function defines(file: string, prefix: string): Map<string, number> {
  const found = new Map<string, number>();
  for (const match of cText(file).matchAll(new RegExp(`^#define ${prefix}(\\w+) (\\d+)\\b`, "gm"))) {
    found.set(match[1], Number(match[2]));
  }
  return found;
}

/** `computeCurrents` -> `COMPUTE_CURRENTS`. */
const macroCase = (name: string) => name.replace(/[A-Z]/g, (letter) => `_${letter}`).toUpperCase();

Deno.test("HOOK_TABLE (ffi/layout.ts) equals the DENOCAT_HOOKS list of c/hooks.h, row by row", () => {
  const list = /#define DENOCAT_HOOKS\(X\)((?:[^\n]*\\\n)*[^\n]*)/.exec(cText("hooks.h"));
  assert.ok(list, "c/hooks.h has no DENOCAT_HOOKS(X) list");
  const rows = [...list[1].matchAll(/X\((\w+), (\w+), (\w+), (\d+)\)/g)];
  const inC = rows.map((row) => ({ macro: row[1], field: row[2], name: row[3], number: Number(row[4]) }));
  const inTs = HOOK_NAMES.map((name) => ({
    macro: macroCase(name),
    field: HOOK_TABLE[name].field,
    name,
    number: HOOK_TABLE[name].number,
  }));
  assert.deepEqual(inC, inTs);
  // The signature of each member in arb_mechanism_interface is the one HOOK_TABLE's `events` says.
  const iface = /typedef struct arb_mechanism_interface \{([^}]*)\}/.exec(cText("arbor_abi.h"));
  assert.ok(iface, "c/arbor_abi.h has no arb_mechanism_interface");
  for (const name of HOOK_NAMES) {
    const { field, events } = HOOK_TABLE[name];
    assert.match(iface[1], new RegExp(`\\barb_mechanism_method${events ? "_events" : ""} ${field};`), name);
  }
  // The headers expand the list; none spells a hook number of its own.
  for (const file of ["denocat.h", "host.h", "catalogue.h", "arbor_abi.h"]) {
    assert.doesNotMatch(cText(file), /#define (DENOCAT|HOST)_HOOK_\w+ \d/, `c/${file} defines a hook number`);
  }
});

/** `true` exactly when the two types are the same set. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

Deno.test("the hook methods of the user API (CustomMechanism, MechanismHooks) are HOOK_TABLE's names", () => {
  // Checked by the type checker: a method added to or missing from either makes this file fail to compile.
  const custom: Same<keyof CustomMechanism, HookName> = true;
  const hooks: Same<keyof MechanismHooks, HookName> = true;
  assert.ok(custom && hooks);
});

Deno.test("PROBE (host/types.ts) equals HOST_PROBE_* of c/host.h", () => {
  assert.deepEqual(
    new Map(Object.entries(PROBE).map(([name, value]) => [macroCase(name), value])),
    defines("host.h", "HOST_PROBE_"),
  );
});

Deno.test("FAILURE_SYMBOLS (kernels/finite.ts) are the functions c/catalogue.h's failure record exports", () => {
  const header = cText("catalogue.h");
  for (const name of Object.values(FAILURE_SYMBOLS)) {
    assert.match(
      header,
      new RegExp(`^DC_EXPORT [^;]*\\b${name}\\(void\\);$`, "m"),
      `${name} in c/catalogue.h`,
    );
  }
});

Deno.test("KIND (ffi/layout.ts) and catalogue/emit.ts's kind enumerators equal c/arbor_abi.h's enum", () => {
  const inC = new Map<string, number>();
  for (const match of cText("arbor_abi.h").matchAll(/^\s*(arb_mechanism_kind_\w+) = (\d+),/gm)) {
    inC.set(match[1], Number(match[2]));
  }
  assert.ok(inC.size >= 5, "no arb_mechanism_kind enum found in c/arbor_abi.h");
  for (const [kind, value] of Object.entries(KIND) as [MechanismKind, number][]) {
    assert.equal(inC.get(kindEnumerator(kind)), value, `${kindEnumerator(kind)} in c/arbor_abi.h`);
  }
});

Deno.test("catalogue/emit.ts's arb_ion_info fields exist in the C structs of each ABI", async () => {
  const native = await nativeLayout();
  for (const flag of Object.keys(ION_FLAG) as (keyof typeof ION_FLAG)[]) {
    const field = ionInfoField(flag);
    assert.ok(native.has(`arb_ion_info_v07.${field}`), `arb_ion_info_v07 has no ${field}`);
    assert.equal(
      native.has(`arb_ion_info_v06.${field}`),
      !ION_FLAGS_FROM_ABI7.has(flag),
      `arb_ion_info_v06.${field}: ION_FLAGS_FROM_ABI7 is wrong`,
    );
  }
});

Deno.test("tests/support/arbor_view.ts offsets equal the C library's layout table", async () => {
  const native = await nativeLayout();
  for (const [name, value] of Object.entries(ARBOR_VIEW_LAYOUT)) {
    assert.equal(native.get(name), value, `${name}: arbor_view.ts says ${value}, C says ${native.get(name)}`);
  }
});

Deno.test("tests/support/arbor_abi.py (ctypes) equals the C library's layout table", async () => {
  const folder = join(ROOT, "tests", "support");
  const script = "import json, arbor_abi; print(json.dumps(arbor_abi.layout()))";
  const run = await new Deno.Command("python3", {
    args: ["-c", script],
    env: { PYTHONPATH: folder },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  assert.ok(run.success, `python3 could not read arbor_abi.py: ${decoder.decode(run.stderr)}`);
  const mirror: Record<string, number> = JSON.parse(decoder.decode(run.stdout));
  const native = await nativeLayout();
  const structs = new Set(
    Object.keys(mirror).filter((name) => name.startsWith("sizeof.")).map((n) => n.slice(7)),
  );
  assert.ok(structs.size >= 10, `arbor_abi.py mirrors only ${[...structs].join(", ")}`);
  for (const [name, value] of Object.entries(mirror)) {
    assert.equal(native.get(name), value, `${name}: arbor_abi.py says ${value}, C says ${native.get(name)}`);
  }
  // Every field C has for a mirrored struct is in the mirror too (no field left out of a ctypes struct).
  const missing = [...native.keys()].filter((name) => structs.has(name.split(".")[0]) && !(name in mirror));
  assert.deepEqual(missing, [], "fields of c/arbor_abi.h that arbor_abi.py lacks");
});

Deno.test("every *_test.ts of the repository is under deno.json's test.include (deno task test runs it)", () => {
  const everywhere = testFilesUnder(ROOT).map((file) => relative(ROOT, file));
  assert.ok(everywhere.includes("ffi/layout_test.ts") && everywhere.includes("tests/mirrors_test.ts"));
  const suite = new Set(suiteTestFiles());
  assert.deepEqual(everywhere.filter((file) => !suite.has(file)), []);
});

Deno.test("ionViewNames (ppack) and ionScopeNames (kernels) are the one list of ffi/names.ts", () => {
  const names = ionNames("ca");
  assert.deepEqual(new Set(Object.values(ionViewNames("ca"))), new Set(Object.values(names)));
  assert.deepEqual(
    new Set(Object.values(ionScopeNames("ca"))),
    new Set(Object.values(names).filter((name) => name !== names.index)),
  );
  assert.equal(names.valence, "valenceCa");
});
