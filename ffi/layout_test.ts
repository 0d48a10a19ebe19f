// The TypeScript layout table (ffi/layout.ts) against what the compiled C library reports.
import assert from "node:assert/strict";
import { expectedLayout, HOOK_NAMES, HOOK_TABLE, KERNEL_HOOK, KERNEL_NAMES, KIND } from "./layout.ts";
import { nativeLayout } from "../tests/support/native_layout.ts";

Deno.test("every TypeScript offset and constant equals the C library's", async () => {
  const native = await nativeLayout();
  const expected = expectedLayout();
  assert.ok(
    Object.keys(expected).length > 60,
    "the TS table covers the ppack, both ion states and constants",
  );
  for (const [name, value] of Object.entries(expected)) {
    assert.ok(native.has(name), `C does not export ${name}`);
    assert.equal(value, native.get(name), `${name}: TS says ${value}, C says ${native.get(name)}`);
  }
});

Deno.test("every C field of the structs TS reads is in the TS table", async () => {
  const native = await nativeLayout();
  const expected = expectedLayout();
  const mirrored = [
    "arb_mechanism_ppack.",
    "arb_ion_state_v06.",
    "arb_ion_state_v07.",
    "const.",
    "hook.",
    "ion.",
  ];
  for (const name of native.keys()) {
    if (mirrored.some((prefix) => name.startsWith(prefix))) {
      assert.ok(name in expected, `ffi/layout.ts lacks ${name}`);
    }
  }
});

Deno.test("the C table matches the measured ABI numbers of docs/abi.md", async () => {
  const native = await nativeLayout();
  // Spot checks straight from the document's tables, independent of ffi/layout.ts.
  const documented: Record<string, number> = {
    "sizeof.arb_mechanism_ppack": 224,
    "sizeof.arb_ion_state_v06": 64,
    "sizeof.arb_ion_state_v07": 56,
    "sizeof.arb_ion_info_v06": 24,
    "sizeof.arb_ion_info_v07": 24,
    "sizeof.arb_mechanism_type": 112,
    "sizeof.arb_mechanism_interface": 64,
    "arb_ion_info_v06.expected_valence": 16,
    "arb_ion_info_v07.expected_valence": 20,
    "arb_ion_info_v07.read_rev_potential": 14,
    "arb_mechanism_ppack.random_numbers": 216,
    "arb_mechanism_type.n_random_variables": 104,
  };
  for (const [name, value] of Object.entries(documented)) assert.equal(native.get(name), value, name);
});

Deno.test("HOOK_TABLE: numbers 0..n-1 in row order, every kernel fills one hook, a kernel's kinds are its hook's", () => {
  assert.deepEqual(
    Object.values(HOOK_TABLE).map((row) => row.number),
    HOOK_NAMES.map((_, k) => k),
    "rows are in number order, numbered from 0 without gaps (HOOK_NAMES indexes by number)",
  );
  assert.deepEqual(HOOK_NAMES, Object.keys(HOOK_TABLE));
  const filled = HOOK_NAMES.flatMap((hook) => Object.keys(HOOK_TABLE[hook].kernels));
  assert.deepEqual([...filled].sort(), [...KERNEL_NAMES].sort(), "each kernel is in exactly one row");
  for (const kernel of KERNEL_NAMES) {
    const { hook, kinds } = KERNEL_HOOK[kernel];
    for (const kind of kinds) {
      assert.ok(
        HOOK_TABLE[hook].kinds.includes(kind),
        `${kernel} for kind ${kind}: Arbor never calls ${hook}`,
      );
    }
  }
  for (const row of Object.values(HOOK_TABLE)) {
    for (const kind of row.kinds) assert.ok(kind in KIND, `unknown kind ${kind}`);
  }
});
