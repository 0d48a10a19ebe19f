// catalogue({ target }): the native target agrees with the JavaScript one, reports NaN the same
// way, is cached by content, and "auto" says in one line why it settles for JavaScript.
import assert from "node:assert/strict";
import { type Catalogue, catalogue, type DeclaredMechanism, defineMechanism, Host } from "../mod.ts";
import { NativeCatalogue, nativeCompilerRuns, nativeSource } from "../catalogue/native.ts";
import { listCache } from "../platform/cache.ts";
import { LiveCatalogue } from "../ffi/trampoline.ts";
import { arborDefaultPorts } from "../examples/catalogue/mod.ts";
import { runCell } from "../host/cell.ts";
import { loadReferenceCase } from "../tools/fidelity/reference.ts";
import { printedBy } from "./support/console.ts";

const area = 2 * Math.PI * 3 * 6;

/** Runs `mechanism` on `cvs` one-CV compartments and probes `state` of every instance. */
async function run(cat: Catalogue, name: string, state: string, cvs = 3, until = 1) {
  using host = await Host.create({ catalogues: [cat], abi: cat.abi });
  host.setCvs({ count: cvs, areaUm2: area }).addNeuronIons();
  const p = host.place(name, { cvs: Array.from({ length: cvs }, (_, k) => k) });
  const columns = Array.from({ length: cvs }, (_, k) => host.probeState(p, state, k));
  const result = host.run({ until, dt: 0.025 });
  return columns.map((c) => result.probes[c]);
}

/** Runs `body` and returns what it printed with console.log and console.error. */
const printed = printedBy;

const gate = defineMechanism({
  name: "native_gate",
  method: "cnexp",
  states: { m: {} },
  parameters: { vhalf: { default: -40 } },
}, {
  initial: (x) => ({ m: 1 / (1 + Math.exp(-(x.v - x.vhalf) / 5)) }),
  derivative: (x) => ({ m: (1 / (1 + Math.exp(-(x.v - x.vhalf) / 5)) - x.m) / (1 + x.v * x.v / 1e4) }),
  current: (x) => ({ i: 1e-3 * x.m * (x.v + 70) }),
});

Deno.test("target native: a NativeCatalogue whose traces equal the JavaScript target's to round-off", async () => {
  const js = await catalogue({ mechanisms: [gate], target: "js" });
  const native = await catalogue({ mechanisms: [gate], target: "native" });
  try {
    assert.ok(js instanceof LiveCatalogue);
    assert.ok(native instanceof NativeCatalogue);
    assert.deepEqual(native.names, ["native_gate"]);
    const a = await run(js, "native_gate", "m", 3, 5);
    const b = await run(native, "native_gate", "m", 3, 5);
    for (let cv = 0; cv < 3; cv++) {
      for (let n = 0; n < a[cv].length; n++) {
        assert.ok(Math.abs(a[cv][n] - b[cv][n]) <= 1e-14, `cv ${cv} step ${n}: ${a[cv][n]} vs ${b[cv][n]}`);
      }
    }
  } finally {
    js.close();
    native.close();
  }
});

Deno.test("target native: the Arbor default ports reproduce the JS target on every reference case and both ABIs", async () => {
  for (const abi of ["0.7", "0.6"] as const) {
    const js = await catalogue({ mechanisms: arborDefaultPorts, abi, target: "js" });
    const native = await catalogue({ mechanisms: arborDefaultPorts, abi, target: "native" });
    try {
      assert.ok(native instanceof NativeCatalogue, "every port is pointwise and planned");
      for (const name of ["hh_iclamp", "exp2syn_events", "hh_nernst_na", "pas_iclamp"]) {
        const cell = loadReferenceCase(name).cell;
        const a = await runCell(cell, { catalogues: [js] });
        const b = await runCell(cell, { catalogues: [native] });
        for (const [probe, trace] of Object.entries(a.traces)) {
          const worst = trace.reduce((w, x, k) => Math.max(w, Math.abs(x - b.traces[probe][k])), 0);
          assert.ok(worst <= 1e-9, `${name} ${probe} (ABI ${abi}): ${worst}`);
        }
        assert.deepEqual(a.spikes, b.spikes, `${name} spikes`);
      }
    } finally {
      js.close();
      native.close();
    }
  }
});

Deno.test("setAbi on a native catalogue switches to the other family's library (built or cached), same results", async () => {
  const native = await catalogue({ mechanisms: [gate], target: "native", abi: "0.7" });
  try {
    const seven = native.path;
    const a = await run(native, "native_gate", "m");
    native.setAbi("0.6");
    assert.equal(native.abi, "0.6");
    assert.notEqual(native.path, seven);
    assert.match(native.path, /_abi06\.so$/);
    const b = await run(native, "native_gate", "m");
    assert.deepEqual(a, b);
    assert.throws(() => native.setAbi("0.8" as "0.7"), /unknown ABI '0\.8'/);
  } finally {
    native.close();
  }
});

/** A mechanism whose derivative turns NaN (0/0) at the instance whose parameter is 0. */
function nanMechanism(name: string) {
  return defineMechanism({ name, states: { s: { default: 1 } }, parameters: { p: { default: 1 } } }, {
    derivative: (x) => ({ s: (x.p * 0) / x.p }),
  });
}

async function nanError(cat: Catalogue, name: string): Promise<string> {
  using host = await Host.create({ catalogues: [cat], abi: cat.abi });
  host.setCvs({ count: 3, areaUm2: area }).addNeuronIons();
  const placed = host.place(name, { cvs: [0, 1, 2] });
  host.setParameter(placed, "p", [1, 1, 0]);
  try {
    host.run({ until: 0.1, dt: 0.025 });
  } catch (error) {
    return (error as Error).message;
  }
  return "(no error)";
}

Deno.test("a NaN kernel result gives the same error on both targets (mechanism, kernel, state, instance, CV)", async () => {
  const mechanism = nanMechanism("nan_parity");
  const js = await catalogue({ mechanisms: [mechanism], target: "js" });
  const native = await catalogue({ mechanisms: [mechanism], target: "native" });
  try {
    const fromJs = await nanError(js, "nan_parity");
    const fromNative = await nanError(native, "nan_parity");
    assert.match(
      fromJs,
      /^mechanism 'nan_parity': derivative\(\) gave NaN for state 's' at instance 2 \(CV 2\)/,
    );
    assert.equal(fromNative, fromJs);
    // Collected and cleared: the catalogue runs again (and fails again) afterwards.
    assert.equal(await nanError(native, "nan_parity"), fromJs);
  } finally {
    js.close();
    native.close();
  }
});

Deno.test("checkFinite: false drops the native check: NaN is stored, no error", async () => {
  const native = await catalogue({
    mechanisms: [nanMechanism("nan_unchecked")],
    target: "native",
    checkFinite: false,
  });
  try {
    assert.equal(await nanError(native, "nan_unchecked"), "(no error)");
    assert.doesNotMatch(nativeSource([], false), /dc_fail|DC_STOPPED|DC_FAILURE_TEMPLATE/);
    assert.match(nativeSource([], false), /^#define DC_CATALOGUE_CHECK_FINITE 0\b/m);
    assert.match(nativeSource([], true), /^#define DC_CATALOGUE_CHECK_FINITE 1\b/m);
  } finally {
    native.close();
  }
  await assert.rejects(
    catalogue({ mechanisms: [gate], checkFinite: "no" as unknown as boolean }),
    /checkFinite must be true or false, got "no"/,
  );
  await assert.rejects(
    catalogue({ mechanisms: [gate], target: "wasm" as "js" }),
    /target must be one of "js", "native", "auto", got "wasm"/,
  );
});

Deno.test("the second catalogue() of the same mechanisms loads the cached library: no compiler run", async () => {
  // A default no earlier run used, so the first build is a cache miss in any cache folder.
  const fresh = Math.random();
  const unique = () =>
    defineMechanism({ name: "cached", states: { s: { default: fresh } } }, {
      derivative: (x) => ({ s: -x.s }),
    });
  const before = nativeCompilerRuns();
  const first = await catalogue({ mechanisms: [unique()], target: "native" });
  assert.equal(nativeCompilerRuns(), before + 1, "a new source compiles once");
  // `denocat cache` lists the build, and a hit marks it as used (what clean --older-than reads).
  const listed = (await listCache()).find((e) => e.files.includes(first.path));
  assert.equal(listed?.kind, "native", `listCache() does not list ${first.path}`);
  assert.deepEqual(listed.files, [first.path, first.path.replace(/\.so$/, ".c")]);
  const longAgo = new Date(Date.now() - 90 * 86_400_000);
  Deno.utimeSync(first.path, longAgo, longAgo);
  const second = await catalogue({ mechanisms: [unique()], target: "native" });
  const used = Deno.statSync(first.path).mtime!.getTime();
  assert.ok(used > longAgo.getTime() + 86_400_000, "a cache hit refreshes the library's time");
  const third = await catalogue({ mechanisms: [unique()] }); // auto: the same library
  try {
    assert.equal(nativeCompilerRuns(), before + 1, "the same source is found in the cache");
    assert.equal(second.path, first.path);
    assert.equal(third.path, first.path);
    assert.deepEqual(await run(second, "cached", "s"), await run(first, "cached", "s"));
  } finally {
    for (const c of [first, second, third]) c.close();
    // The library of a random default serves no later run: leave the cache as it was.
    await Deno.remove(first.path);
    await Deno.remove(first.path.replace(/\.so$/, ".c"));
  }
});

Deno.test("auto: a kernel with console.log runs as JavaScript, prints, and says so in one line; without it, native", async () => {
  const chatty = defineMechanism({ name: "chatty_auto", states: { s: {} } }, {
    initial(x) {
      console.log(`initial at v = ${x.v}`);
      return { s: 2 };
    },
  });
  const quiet = defineMechanism({ name: "quiet_auto", states: { s: {} } }, {
    initial(_x) {
      return { s: 2 };
    },
  });
  const loud = await printed(async () => {
    const cat = await catalogue({ mechanisms: [chatty] });
    const values = await run(cat, "chatty_auto", "s", 1);
    cat.close();
    return { cat, values };
  });
  assert.ok(loud.value.cat instanceof LiveCatalogue);
  assert.equal(loud.value.values[0][0], 2);
  const notices = loud.lines.filter((line) => line.startsWith("denocat:"));
  assert.equal(notices.length, 1, loud.lines.join("\n"));
  assert.match(
    notices[0],
    /^denocat: mechanism 'chatty_auto': kernel initial runs as your own function .*console\.log.*; so its catalogue runs as JavaScript$/,
  );
  assert.ok(loud.lines.some((line) => line.startsWith("initial at v = ")), "the kernel's own output");
  const silent = await printed(async () => {
    const cat = await catalogue({ mechanisms: [quiet] });
    const values = await run(cat, "quiet_auto", "s", 1);
    cat.close();
    return { cat, values };
  });
  assert.deepEqual(silent.lines, []);
  assert.ok(silent.value.cat instanceof NativeCatalogue, "the same class without console.log runs native");
  assert.equal(silent.value.values[0][0], 2);
  await assert.rejects(
    catalogue({ mechanisms: [chatty], target: "native" }),
    /catalogue\(\{ target: "native" \}\) cannot build 'chatty_auto': mechanism 'chatty_auto': kernel initial runs as your own function/,
  );
});

const raw = defineMechanism({ name: "raw_leak", kind: "density" }, { computeCurrents() {} });

Deno.test("raw hooks run as JavaScript: alone silently under auto; mixed with pointwise, the catalogue says so", async () => {
  const alone = await printed(() => catalogue({ mechanisms: [raw] }));
  assert.deepEqual(alone.lines, []);
  assert.ok(alone.value instanceof LiveCatalogue);
  alone.value.close();
  const mixed = await printed(() => catalogue({ mechanisms: [gate, raw] }));
  assert.ok(mixed.value instanceof LiveCatalogue);
  mixed.value.close();
  assert.deepEqual(mixed.lines, [
    "denocat: catalogue of 'native_gate', 'raw_leak' runs as JavaScript: mechanism 'raw_leak' uses raw hooks, " +
    "which run only as JavaScript (give the pointwise mechanisms a catalogue of their own to run them natively)",
  ]);
  await assert.rejects(catalogue({ mechanisms: [gate, raw], target: "native" }), /'raw_leak' uses raw hooks/);
  await assert.rejects(catalogue({ mechanisms: [raw], target: "native" }), /'raw_leak' uses raw hooks/);
});

Deno.test("auto without a usable zig runs as JavaScript with one line naming the reason; native refuses", async () => {
  const before = Deno.env.get("ZIG");
  Deno.env.set("ZIG", "/nonexistent/zig");
  try {
    const mechanism: DeclaredMechanism = defineMechanism({ name: "no_zig", states: { s: {} } }, {
      initial: () => ({ s: 3 }),
    });
    const out = await printed(() => catalogue({ mechanisms: [mechanism] }));
    assert.ok(out.value instanceof LiveCatalogue);
    out.value.close();
    assert.equal(out.lines.length, 1, out.lines.join("\n"));
    assert.match(
      out.lines[0],
      /^denocat: catalogue of 'no_zig' runs as JavaScript: zig not found: ZIG=\/nonexistent\/zig does not run/,
    );
    await assert.rejects(catalogue({ mechanisms: [mechanism], target: "native" }), /ZIG=\/nonexistent\/zig/);
  } finally {
    if (before === undefined) Deno.env.delete("ZIG");
    else Deno.env.set("ZIG", before);
  }
});

Deno.test("finite results whose sum overflows are no error on either target (the native probe re-checks each)", async () => {
  const big = defineMechanism({ name: "big_states", states: { a: {}, b: {} } }, {
    initial: () => ({ a: 1e308, b: 1.5e308 }),
  });
  for (const target of ["js", "native"] as const) {
    const cat = await catalogue({ mechanisms: [big], target });
    try {
      assert.equal("target" in cat, target === "native");
      assert.deepEqual((await run(cat, "big_states", "b", 2, 0.05)).map((trace) => trace[0]), [
        1.5e308,
        1.5e308,
      ]);
    } finally {
      cat.close();
    }
  }
});

Deno.test("compiled catalogues and the native target print the same hook functions (one C printer)", async () => {
  const { generateCatalogueSource } = await import("../catalogue/compiled.ts");
  const { PointwiseHH } = await import("../examples/catalogue/hh.ts");
  const compiled =
    (await generateCatalogueSource(new URL("../examples/catalogue/hh.ts", import.meta.url))).code;
  const native = await catalogue({ mechanisms: [PointwiseHH], target: "native", checkFinite: false });
  try {
    // The C file is kept beside the cached library.
    const source = await Deno.readTextFile(native.path.replace(/\.so$/, ".c"));
    const hooks = (code: string) =>
      code.match(/static void mech_hh_hook_\w+\([^)]*\) \{\n[\s\S]*?\n\}\n/g) ?? [];
    assert.ok(hooks(compiled).length >= 3, "hh has init, current and advance hooks");
    assert.deepEqual(hooks(source), hooks(compiled));
  } finally {
    native.close();
  }
});
