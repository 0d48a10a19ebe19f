// Compiled mode (compile/): the ports of Arbor's default catalogue and the inferior-olive example
// compiled to C run on the host exactly like live mode (max relative difference <= 1e-9), match
// Arbor's recorded traces, refuse everything outside the subset with a located message and no
// library left behind, and run clean under ASan + UBSan.
import assert from "node:assert/strict";
import { buildSanitizedLibrary, runDenoSanitized, SANITIZE_FLAGS } from "./support/sanitizers.ts";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { catalogue, compileCatalogue, type CompiledCatalogue, CompileError } from "../mod.ts";
import { arborDefaultPorts } from "../examples/catalogue/mod.ts";
import { IoAxon, IoDend, IoSoma } from "../examples/inferior_olive.ts";
import { type CellDescription, runCell } from "../host/cell.ts";
import { maxRelative } from "./support/compare.ts";
import { compareWithReference, loadReferenceCase } from "../tools/fidelity/reference.ts";
import { generateCatalogueSource } from "../catalogue/compiled.ts";
import { parseArguments } from "../cli/compile.ts";
import type { AbiFamily } from "../ffi/layout.ts";
import { channelCells, inferiorOliveCell, referenceCells } from "./support/compiled_cases.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const outFolder = await Deno.makeTempDir({ prefix: "denocat-compile-test-" });
addEventListener("unload", () => {
  try {
    Deno.removeSync(outFolder, { recursive: true });
  } catch { /* already gone */ }
});

let ports: Promise<CompiledCatalogue> | undefined;
let olive: Promise<CompiledCatalogue> | undefined;
const compiledPorts = () =>
  ports ??= compileCatalogue(join(root, "examples/catalogue/mod.ts"), { out: outFolder, name: "ports" });
const compiledOlive = () =>
  olive ??= compileCatalogue(join(root, "examples/inferior_olive.ts"), { out: outFolder });
const library = (c: CompiledCatalogue, abi: AbiFamily) => c.libraries.find((l) => l.abi === abi)!.path;

async function parity(
  cell: CellDescription,
  live: { path: string; abi?: AbiFamily },
  compiled: string,
  abi: AbiFamily,
) {
  const a = await runCell(cell, { catalogues: [live], abi });
  const b = await runCell(cell, { catalogues: [compiled], abi });
  assert.deepEqual(b.spikes.length, a.spikes.length, "spike count");
  return { relative: maxRelative(a, b), live: a, compiled: b };
}

// ---- (a) parity, (b) Arbor's traces ---------------------------------------------------------------

Deno.test("the compiled catalogue holds every port, built for both ABI families with denocat_abi", async () => {
  const built = await compiledPorts();
  assert.deepEqual(built.mechanisms, ["hh", "pas", "expsyn", "exp2syn", "nernst", "kdrmt", "nax"]);
  assert.deepEqual(built.libraries.map((l) => l.abi), ["0.6", "0.7"]);
  for (const { abi, path } of built.libraries) {
    assert.match(path, new RegExp(`ports_abi0${abi[2]}\\.so$`));
    const lib = Deno.dlopen(path, { denocat_abi: { parameters: [], result: "u32" } });
    try {
      assert.equal(lib.symbols.denocat_abi(), Number(abi[2]));
    } finally {
      lib.close();
    }
  }
  const c = await Deno.readTextFile(built.source);
  assert.match(
    c,
    /examples\/catalogue\/hh\.ts:\d+ PointwiseHH\.derivative/,
    "each C function names its TS source line",
  );
  assert.match(built.usage, /arbor\.load_catalogue\(".*ports_abi07\.so"\)/);
  assert.doesNotMatch(
    c,
    /^static (?!const )[^(]*=/m,
    "no mutable global state: every file-scope table is const",
  );
});

for (const abi of ["0.7", "0.6"] as const) {
  Deno.test(`parity ABI ${abi}: hh, pas, expsyn, exp2syn, nernst (Arbor's cases) live vs compiled <= 1e-9 relative`, async () => {
    const live = await catalogue({ mechanisms: arborDefaultPorts, abi, target: "js" });
    try {
      const compiled = library(await compiledPorts(), abi);
      for (const { name, cell } of referenceCells(abi)) {
        const { relative } = await parity(cell, live, compiled, abi);
        console.log(`  ${name}: max relative difference ${relative.toExponential(2)}`);
        assert.ok(relative <= 1e-9, `${name}: ${relative}`);
      }
    } finally {
      live.close();
    }
  });

  Deno.test(`parity ABI ${abi}: kdrmt and nax under current and voltage clamps, live vs compiled <= 1e-9 relative`, async () => {
    const live = await catalogue({ mechanisms: arborDefaultPorts, abi, target: "js" });
    try {
      const compiled = library(await compiledPorts(), abi);
      for (const { name, cell } of channelCells(abi)) {
        const { relative, live: run } = await parity(cell, live, compiled, abi);
        console.log(
          `  ${name}: max relative difference ${relative.toExponential(2)}, ${run.spikes.length} spikes`,
        );
        assert.ok(relative <= 1e-9, `${name}: ${relative}`);
      }
      const fires = await runCell(channelCells(abi)[0].cell, { catalogues: [compiled], abi });
      assert.ok(
        fires.spikes.length >= 1,
        `the clamp protocol makes the cell fire (${fires.spikes.length} spikes)`,
      );
    } finally {
      live.close();
    }
  });

  Deno.test(`Arbor's recorded traces ABI ${abi}: the compiled catalogue gives |dV| <= 1e-6 mV and the same spikes`, async () => {
    const compiled = library(await compiledPorts(), abi);
    for (const { name } of referenceCells(abi)) {
      const reference = loadReferenceCase(name);
      const comparison = compareWithReference(
        reference,
        await runCell(reference.cell, { catalogues: [compiled], abi }),
      );
      console.log(`  ${name}: max |dV| ${comparison.maxVoltage.toExponential(2)} mV`);
      assert.equal(comparison.samples, reference.columns.t.length);
      assert.ok(comparison.maxVoltage <= 1e-6, `${name}: max |dV| ${comparison.maxVoltage}`);
      assert.ok(comparison.maxState <= 1e-9, `${name}: max |d state| ${comparison.maxState}`);
      assert.equal(comparison.spikes.length, reference.spikes.length);
      assert.ok(comparison.maxSpikeShift <= 1e-9);
    }
  });
}

// ---- (c) the inferior olive ---------------------------------------------------------------------

Deno.test("inferior olive (de Gruijl soma, dendrite, axon): compiles, runs, and agrees with live mode", async () => {
  const built = await compiledOlive();
  assert.deepEqual(built.mechanisms, ["io_soma", "io_dend", "io_axon"]);
  for (const abi of ["0.7", "0.6"] as const) {
    const live = await catalogue({ mechanisms: [IoSoma, IoDend, IoAxon], abi, target: "js" });
    try {
      const { relative, compiled } = await parity(inferiorOliveCell, live, library(built, abi), abi);
      console.log(`  ABI ${abi}: max relative difference ${relative.toExponential(2)}`);
      assert.ok(relative <= 1e-9, `${relative}`);
      const soma = compiled.traces["v@0"];
      assert.ok(Math.max(...soma) - Math.min(...soma) > 20, "the pulse drives the soma well away from rest");
      assert.ok(soma.every(Number.isFinite));
    } finally {
      live.close();
    }
  }
});

// ---- (d) compiler errors ------------------------------------------------------------------------

const MOD = new URL("../mod.ts", import.meta.url).href;

interface BadCase {
  what: string;
  /** Lines before the class. */
  top?: string;
  /** Body of `current(x)`, before its return. */
  body?: string;
  /** Full class text instead of the template. */
  cls?: string;
  /** Text at which the error must point. */
  marker: string;
  /** Expected message fragments. */
  message: RegExp[];
}

const template = (name: string, body: string) =>
  `@mechanism({ name: "${name}", kind: "density" })
export class Bad extends PointwiseMechanism {
  @state()
  s!: number;
  override current(x: Scope<Bad>) {
${body}
    return { i: x.s };
  }
}
`;

const badCases: BadCase[] = [
  {
    what: "console.log",
    body: "    console.log(x.v);",
    marker: "console.log(x.v)",
    message: [/console\.log is not supported in a compiled kernel/, /remove it or keep this mechanism live/],
  },
  {
    what: "closure over mutable module state",
    top: "let counter = 0;",
    body: "    const c = counter * 2;",
    marker: "counter * 2",
    message: [/closure over mutable module state \('counter'/, /make it a module-level const/],
  },
  {
    what: "array allocation",
    body: "    const a = [1, 2];",
    marker: "[1, 2]",
    message: [/array allocation is not supported/],
  },
  {
    what: "array indexing",
    top: "const table = 3;",
    body: "    const a = x.v; const b = (x as unknown as number[])[0];",
    marker: "(x as unknown as number[])[0]",
    message: [/array indexing is not supported/],
  },
  {
    what: "string operations",
    body: '    const label = "v=" + x.v;',
    marker: '"v="',
    message: [/string operations is not supported/],
  },
  {
    what: "unknown function",
    body: "    const y = mystery(x.v);",
    marker: "mystery(x.v)",
    message: [/call to the unknown function 'mystery'/],
  },
  {
    what: "this access",
    body: "    const y = this.s;",
    marker: "this.s",
    message: [/`this` access is not supported/],
  },
  {
    what: "for loop",
    body: "    let y = 0;\n    for (let k = 0; k < 3; k++) y += x.v;",
    marker: "for (let k",
    message: [/a for loop is not supported/, /unroll it/],
  },
  {
    what: "recursion",
    top: "function fact(n: number): number {\n  return n <= 1 ? 1 : n * fact(n - 1);\n}",
    body: "    const y = fact(x.v);",
    marker: "fact(n - 1)",
    message: [/recursion/, /helper 'fact'/],
  },
  {
    what: "unknown scope field",
    body: "    const y = x.nothere;",
    marker: "x.nothere",
    message: [/x\.nothere is not in the kernel scope of mechanism/],
  },
  {
    what: "number truthiness",
    body: "    const y = x.v ? 1 : 2;",
    marker: "x.v ?",
    message: [/JavaScript truthiness/],
  },
  {
    what: "raw hooks",
    cls: `@mechanism({ name: "raw_hooks", kind: "density" })
export class Raw extends CustomMechanism {
  override computeCurrents(_pp: PPack<Raw>) {}
}
`,
    marker: "@mechanism",
    message: [/uses raw hooks \(computeCurrents\)/, /--skip-raw/],
  },
];

function location(text: string, marker: string): { line: number; column: number } {
  const at = text.indexOf(marker);
  assert.ok(at >= 0, `marker ${marker}`);
  const before = text.slice(0, at).split("\n");
  return { line: before.length, column: before[before.length - 1].length + 1 };
}

badCases.forEach((bad, index) => {
  Deno.test(`compile error: ${bad.what} is refused with file:line:column and no library is written`, async () => {
    const folder = await Deno.makeTempDir({ prefix: "denocat-bad-" });
    try {
      const file = join(folder, `bad_${index}.ts`);
      const text = [
        `import { CustomMechanism, mechanism, PointwiseMechanism, type PPack, type Scope, state } from "${MOD}";`,
        bad.top ?? "",
        bad.cls ?? template(`bad_${index}`, bad.body ?? ""),
      ].join("\n");
      await Deno.writeTextFile(file, text);
      const out = join(folder, "out");
      const error = await compileCatalogue(file, { out, abi: "0.7" }).then(
        () => assert.fail("compiled"),
        (e) => e,
      );
      assert.ok(error instanceof CompileError, String(error));
      for (const pattern of bad.message) assert.match(error.message, pattern);
      const { line, column } = location(text, bad.marker);
      assert.match(error.message, new RegExp(`bad_${index}\\.ts:${line}:${column}\\b`), error.message);
      assert.equal(error.line, line);
      assert.equal(error.column, column);
      const written = [...Deno.readDirSync(folder)].map((e) => e.name);
      assert.deepEqual(written, [`bad_${index}.ts`], "nothing written, not even the output folder");
    } finally {
      await Deno.remove(folder, { recursive: true });
    }
  });
});

Deno.test("compiled mode applies live mode's declaration checks (duplicate Arbor names, NaN defaults, ranges)", async () => {
  const cases: [string, RegExp][] = [
    [
      `@parameter({ name: "x" }) a!: number;\n  @state({ name: "x" }) b!: number;`,
      /parameter 'x' clashes with the state variable of the same name/,
    ],
    [`@state({ default: NaN }) s!: number;`, /state variable 's' has a NaN default/],
    [`@parameter({ default: 5, range: [0, 1] }) p!: number;`, /default 5 lies outside its range \[0, 1\]/],
    [`@parameter() bad_name_\u00e9!: number;`, /is not a valid identifier/],
  ];
  for (const [fields, message] of cases) {
    const folder = await Deno.makeTempDir({ prefix: "denocat-decl-" });
    try {
      const file = join(folder, "decl.ts");
      await Deno.writeTextFile(
        file,
        `import { mechanism, parameter, PointwiseMechanism, type Scope, state } from "${MOD}";
@mechanism({ name: "decl", kind: "density" })
export class Decl extends PointwiseMechanism {
  ${fields}
  override current(x: Scope<Decl>) {
    return { i: x.v * 0 };
  }
}
`,
      );
      await assert.rejects(compileCatalogue(file, { out: join(folder, "out"), abi: "0.7" }), message);
      assert.deepEqual([...Deno.readDirSync(folder)].map((e) => e.name), ["decl.ts"], "nothing written");
    } finally {
      await Deno.remove(folder, { recursive: true });
    }
  }
});

Deno.test("skipRaw leaves a raw-hook mechanism out with a note and compiles the rest", async () => {
  const folder = await Deno.makeTempDir({ prefix: "denocat-skip-" });
  try {
    const file = join(folder, "mixed.ts");
    await Deno.writeTextFile(
      file,
      `import { CustomMechanism, mechanism, PointwiseMechanism, type PPack, type Scope } from "${MOD}";
@mechanism({ name: "mixed_raw", kind: "density" })
export class Raw extends CustomMechanism {
  override computeCurrents(_pp: PPack<Raw>) {}
}
@mechanism({ name: "mixed_leak", kind: "density" })
export class Leak extends PointwiseMechanism {
  override current(x: Scope<Leak>) {
    return { i: 1e-3 * (x.v + 65), g: 1e-3 };
  }
}
`,
    );
    const built = await compileCatalogue(file, { out: join(folder, "out"), abi: "0.7", skipRaw: true });
    assert.deepEqual(built.mechanisms, ["mixed_leak"]);
    assert.equal(built.notes.length, 1);
    assert.match(built.notes[0], /skipped mechanism 'mixed_raw'/);
  } finally {
    await Deno.remove(folder, { recursive: true });
  }
});

Deno.test("a C compiler failure leaves no library behind", async () => {
  const folder = await Deno.makeTempDir({ prefix: "denocat-ccfail-" });
  try {
    const error = await compileCatalogue(join(root, "examples/catalogue/pas.ts"), {
      out: join(folder, "out"),
      compiler: ["gcc", "-DDENOCAT_COMPILED_ABI_BROKEN", "-include", "/nonexistent/header.h"],
    }).then(() => assert.fail("compiled"), (e) => e);
    assert.ok(error instanceof CompileError);
    assert.match(error.message, /compiling the generated C for ABI 0\.6 failed/);
    assert.deepEqual([...Deno.readDirSync(folder)], []);
  } finally {
    await Deno.remove(folder, { recursive: true });
  }
});

Deno.test("the CLI parses its options", () => {
  assert.deepEqual(parseArguments(["m.ts", "-o", "out", "--abi", "0.6", "--name", "cat", "--skip-raw"]), {
    module: "m.ts",
    options: { out: "out", abi: "0.6", name: "cat", skipRaw: true },
  });
  assert.throws(() => parseArguments(["m.ts", "--abi", "0.8"]), /--abi must be/);
  assert.throws(() => parseArguments([]), /usage/);
});

// ---- (e) sanitizers ----------------------------------------------------------------------------

Deno.test("generated catalogues built with gcc -fsanitize=address,undefined run clean on an ASan host", async () => {
  const folder = await Deno.makeTempDir({ prefix: "denocat-compile-asan-" });
  try {
    await buildSanitizedLibrary("host", join(folder, "libdenocat_host.so"));
    const compiler = ["gcc", ...SANITIZE_FLAGS, "-Wall", "-Wextra", "-Werror"];
    const portsAsan = await compileCatalogue(join(root, "examples/catalogue/mod.ts"), {
      out: folder,
      name: "ports_asan",
      compiler,
    });
    const oliveAsan = await compileCatalogue(join(root, "examples/inferior_olive.ts"), {
      out: folder,
      name: "olive_asan",
      compiler,
    });
    for (const abi of ["0.6", "0.7"] as const) {
      const output = await runDenoSanitized(
        [
          "run",
          "-A",
          join(root, "tests/support/compiled_cases.ts"),
          library(portsAsan, abi),
          abi,
          library(oliveAsan, abi),
        ],
        { DENOCAT_HOST_LIB: join(folder, "libdenocat_host.so") },
      );
      assert.match(output, new RegExp(`compiled_cases: ABI ${abi.replace(".", "\\.")} ok \\(\\d+ runs\\)`));
    }
  } finally {
    await Deno.remove(folder, { recursive: true });
  }
});

Deno.test("generateCatalogueSource gives C that names both ABI families and no .so", async () => {
  const { name, code } = await generateCatalogueSource(join(root, "examples/catalogue/pas.ts"));
  assert.equal(name, "pas");
  // The ABI family block and denocat_abi() are the fixed C of c/catalogue.h, which the file includes.
  assert.match(code, /^#include "catalogue\.h"$/m);
  assert.match(code, /^#define DC_CATALOGUE_NAME "pas"$/m);
  const header = await Deno.readTextFile(join(root, "c/catalogue.h"));
  assert.match(header, /DENOCAT_COMPILED_ABI == 6/);
  assert.match(header, /uint32_t denocat_abi\(void\)/);
  // The vector width of the build (docs/abi.md 9): Arbor pads and aligns the arrays to it.
  assert.match(code, /\.partition_width = DC_VECTOR_BYTES \/ sizeof\(arb_value_type\),/);
  assert.match(code, /\.alignment = DC_VECTOR_BYTES,/);
});

// ---- (f) live and compiled agree where they used to diverge (kernel plan) ----------------------------

Deno.test("live and compiled agree: a_b beside a$b, café beside cafè, an unassigned let, a 300-term sum", async () => {
  const folder = await Deno.makeTempDir({ prefix: "denocat-diverge-" });
  try {
    const file = join(folder, "diverge.ts");
    const terms = Array.from({ length: 300 }, (_, k) => `${(k + 1) * 1e-6} * (x.v + 65)`).join(" + ");
    await Deno.writeTextFile(
      file,
      `import { mechanism, PointwiseMechanism, type Scope, state } from "${MOD}";
@mechanism({ name: "diverge", kind: "density", method: "euler" })
export class Diverge extends PointwiseMechanism {
  @state({ default: 7 })
  s!: number;
  @state({ default: 3 })
  u!: number;
  override initial(x: Scope<Diverge>) {
    const a_b = 1;
    const a$b = 2;
    const café = 10;
    const cafè = 20;
    let y;
    if (x.v > 0) y = 1;
    return { s: a_b + café + 0 * a$b * cafè, u: y };
  }
  override derivative(x: Scope<Diverge>) {
    return { s: 0 * x.s, u: 0 * x.u };
  }
  override current(x: Scope<Diverge>) {
    return { i: ${terms}, g: 0 };
  }
}
`,
    );
    const built = await compileCatalogue(file, { out: join(folder, "out"), abi: "0.7" });
    const { Diverge } = await import(file);
    const live = await catalogue({ mechanisms: [Diverge], abi: "0.7", target: "js" });
    const cell: CellDescription = {
      areaUm2: 100,
      vInit: -65,
      density: [{ mechanism: "diverge" }],
      iclamps: [{ start: 0, duration: 1, amplitude: 0.1 }],
      probes: ["v", "diverge.s", "diverge.u"],
      until: 1,
      dt: 0.025,
    };
    try {
      const a = await runCell(cell, { catalogues: [live], abi: "0.7" });
      const b = await runCell(cell, { catalogues: [library(built, "0.7")], abi: "0.7" });
      assert.equal(a.traces["diverge.s"][0], 11, "live: a_b + café");
      assert.equal(b.traces["diverge.s"][0], 11, "compiled: a_b + café");
      assert.equal(a.traces["diverge.u"][0], 3, "live: the unassigned let keeps the default");
      assert.equal(b.traces["diverge.u"][0], 3, "compiled: the unassigned let keeps the default");
      assert.ok(maxRelative(a, b) <= 1e-12, `the 300-term current: ${maxRelative(a, b)}`);
      assert.ok(a.traces["v"].at(-1)! !== -65, "the clamp moved v");
    } finally {
      live.close();
    }
  } finally {
    await Deno.remove(folder, { recursive: true });
  }
});

// ---- cross compilation --------------------------------------------------------------------------

Deno.test("--target aarch64-linux-gnu cross compiles an ARM catalogue; an unknown target is refused", async () => {
  const out = join(outFolder, "aarch64");
  const built = await compileCatalogue(join(root, "examples/catalogue/pas.ts"), {
    out,
    abi: "0.7",
    target: "aarch64-linux-gnu",
  });
  const bytes = Deno.readFileSync(built.libraries[0].path);
  assert.deepEqual([...bytes.subarray(0, 4)], [0x7f, 0x45, 0x4c, 0x46], "an ELF file");
  assert.equal(new DataView(bytes.buffer).getUint16(18, true), 183, "e_machine EM_AARCH64");
  await assert.rejects(
    compileCatalogue(join(root, "examples/catalogue/pas.ts"), {
      out: join(outFolder, "sparc"),
      target: "sparc",
    }),
    /unknown target 'sparc': use one of x86_64-linux-gnu, aarch64-linux-gnu/,
  );
  assert.throws(() => Deno.statSync(join(outFolder, "sparc")), Deno.errors.NotFound, "nothing written");
});
