// Vectorized compiled catalogues (issue 17): the inline math of c/dc_math.h against the C library
// over the whole input range, loops that clang vectorizes, --cpu builds that match Arbor's traces
// and give the same bits as the portable build, --math libm (the C library, scalar), and a
// catalogue that refuses a CPU lacking what it was built for instead of dying with SIGILL.
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { catalogue, compileCatalogue, type CompiledCatalogue, Host } from "../mod.ts";
import { arborDefaultPorts } from "../examples/catalogue/mod.ts";
import { type CellDescription, runCell } from "../host/cell.ts";
import { maxRelative } from "./support/compare.ts";
import { compareWithReference, loadReferenceCase } from "../tools/fidelity/reference.ts";
import { generateCatalogueSource } from "../catalogue/compiled.ts";
import { parseArguments } from "../cli/compile.ts";
import { zigCpu } from "../catalogue/cpu.ts";
import { findZig } from "../platform/toolchain.ts";
import { HOOK_TABLE } from "../ffi/layout.ts";
import { referenceCells } from "./support/compiled_cases.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const folder = await Deno.makeTempDir({ prefix: "denocat-simd-test-" });
addEventListener("unload", () => {
  try {
    Deno.removeSync(folder, { recursive: true });
  } catch { /* already gone */ }
});
const x86 = Deno.build.arch === "x86_64";
const cpuFlags = (() => {
  try {
    return Deno.readTextFileSync("/proc/cpuinfo").match(/^flags\s*:(.*)$/m)?.[1].trim().split(/\s+/) ?? [];
  } catch {
    return [];
  }
})();

async function run(
  command: string,
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  // No LD_PRELOAD for the tools run here: under `deno task test:sanitized` it carries the ASan
  // runtime, with which qemu-x86_64 dies at start (exit 137); the sanitized code is Deno's, not theirs.
  const output = await new Deno.Command(command, {
    args,
    stdout: "piped",
    stderr: "piped",
    env: { LD_PRELOAD: "" },
  })
    .output();
  const text = new TextDecoder();
  return { code: output.code, stdout: text.decode(output.stdout), stderr: text.decode(output.stderr) };
}

async function zigCc(args: string[]): Promise<void> {
  const result = await run(await findZig(), ["cc", ...args]);
  assert.equal(result.code, 0, result.stderr);
}

const builds = new Map<string, Promise<CompiledCatalogue>>();
/** The default-catalogue ports for ABI 0.7 with `cpu` and `math`, built once per test file. */
const ports = (cpu: string, math: "inline" | "libm" = "inline") => {
  const key = `${cpu}-${math}`;
  if (!builds.has(key)) {
    builds.set(
      key,
      compileCatalogue(join(root, "examples/catalogue/mod.ts"), {
        out: folder,
        name: `ports_${key.replaceAll("-", "_")}`,
        abi: "0.7",
        cpu,
        math,
      }),
    );
  }
  return builds.get(key)!.then((c) => c.libraries[0].path);
};

// ---- the inline functions -------------------------------------------------------------------------

interface Score {
  worst: number;
  x: number;
  y: number;
  samples: number;
  specials: number;
  checksum: number;
}

async function ulpScores(cpu: string): Promise<Record<string, Score>> {
  const exe = join(folder, `math_ulp_${cpu}`);
  await zigCc([
    "-O3",
    `-mcpu=${zigCpu(cpu, undefined)}`,
    "-ffp-contract=off",
    `-I${join(root, "c")}`,
    join(root, "tests/support/math_ulp.c"),
    "-o",
    exe,
    "-lm",
  ]);
  const result = await run(exe, ["1000000", "17"]);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stderr, "", "no special value differs from the C library");
  return JSON.parse(result.stdout);
}

Deno.test("dc_math.h: exp, expm1, log within 1 ulp and pow within 2 ulp of the C library over the full range", async () => {
  const portable = await ulpScores("baseline");
  const bound: Record<string, number> = { exp: 1, expm1: 1, log: 1, pow: 2 };
  for (const [name, score] of Object.entries(portable)) {
    console.log(
      `  ${name}: worst ${score.worst} ulp over ${score.samples} samples (at x=${score.x}${
        name === "pow" ? `, y=${score.y}` : ""
      })`,
    );
    assert.ok(score.samples >= 1_000_000, `${name}: samples`);
    assert.equal(score.specials, 0, `${name}: special values (NaN, inf, zeros, exact results)`);
    assert.ok(score.worst <= bound[name], `${name}: ${score.worst} ulp at ${score.x}, ${score.y}`);
  }
  // The widest vectors and FMA of this machine give the same bits (the ops are IEEE-exact).
  const native = await ulpScores("native");
  for (const name of Object.keys(portable)) {
    assert.equal(native[name].checksum, portable[name].checksum, `${name}: native and baseline agree`);
  }
});

// ---- loops that vectorize --------------------------------------------------------------------------

Deno.test("clang vectorizes the compute loops of hh; only the scatter loop stays scalar", async () => {
  const { code } = await generateCatalogueSource(join(root, "examples/catalogue/hh.ts"));
  const source = join(folder, "hh_vectorize.c");
  await Deno.writeTextFile(source, code);
  const result = await run(await findZig(), [
    "cc",
    "-O3",
    `-mcpu=${x86 ? "x86_64_v3" : "baseline"}`,
    "-ffp-contract=off",
    "-std=c11",
    `-I${join(root, "c")}`,
    "-DDENOCAT_COMPILED_ABI=7",
    "-Rpass=loop-vectorize",
    "-Rpass-missed=loop-vectorize",
    "-Wno-everything",
    "-c",
    source,
    "-o",
    join(folder, "hh_vectorize.o"),
  ]);
  const lines = code.split("\n");
  const loopOf = (remark: string) => {
    const line = Number(remark.match(/hh_vectorize\.c:(\d+):/)?.[1]);
    // The function a remark's line is in.
    for (let k = line - 1; k >= 0; k--) {
      const match = lines[k].match(/^static void (\w+)\(/);
      if (match) return match[1];
    }
    return "?";
  };
  const remarks = result.stderr.split("\n").filter((line) => line.includes("remark"));
  const vectorized = remarks.filter((r) => r.includes("vectorized loop")).map(loopOf);
  console.log(`  vectorized: ${vectorized.join(", ")}`);
  for (const hook of ["init", "advanceState", "computeCurrents"] as const) {
    const name = `mech_hh_hook_${HOOK_TABLE[hook].field}`;
    assert.ok(vectorized.includes(name), `the ${hook} loop vectorizes:\n${result.stderr}`);
  }
});

// ---- fidelity -----------------------------------------------------------------------------------------

Deno.test("--cpu native: Arbor's recorded traces to <= 1e-6 mV with the same spikes, and the bits of --cpu baseline", async () => {
  const native = await ports("native");
  const portable = await ports("baseline");
  for (const { name, cell } of referenceCells("0.7")) {
    const reference = loadReferenceCase(name);
    const result = await runCell(reference.cell, { catalogues: [native], abi: "0.7" });
    const comparison = compareWithReference(reference, result);
    console.log(`  ${name}: max |dV| ${comparison.maxVoltage.toExponential(2)} mV`);
    assert.ok(comparison.maxVoltage <= 1e-6, `${name}: max |dV| ${comparison.maxVoltage}`);
    assert.equal(comparison.spikes.length, reference.spikes.length, `${name}: spikes`);
    assert.ok(comparison.maxSpikeShift <= 1e-9, `${name}: spike shift`);
    const a = await runCell(cell, { catalogues: [native], abi: "0.7" });
    const b = await runCell(cell, { catalogues: [portable], abi: "0.7" });
    assert.equal(maxRelative(a, b), 0, `${name}: native and baseline builds differ`);
  }
});

Deno.test("300 expsyn on 3 CVs (blocks of 128, several instances per CV): compiled scatters add up like live mode", async () => {
  const cell: CellDescription = {
    cvs: 3,
    areaUm2: 2 * Math.PI * 3 * 6,
    ions: "neuron",
    density: [{ mechanism: "hh" }],
    // Distinct tau per synapse, so that none coalesce: 100 instances share each CV.
    synapses: Array.from({ length: 300 }, (_, k) => ({
      mechanism: "expsyn",
      cv: k % 3,
      params: { tau: 1 + 0.01 * k },
      events: [{ t: 1 + (k % 7), weight: 0.0002 * (1 + (k % 5)) }],
    })),
    detectors: [{ threshold: -10, cv: 0 }],
    probes: ["v@0", "v@1", "v@2", "expsyn.g@0", "expsyn.g@299"],
    dt: 0.025,
    until: 20,
  };
  const live = await catalogue({ mechanisms: arborDefaultPorts, abi: "0.7" });
  try {
    const a = await runCell(cell, { catalogues: [live], abi: "0.7" });
    const b = await runCell(cell, { catalogues: [await ports("baseline")], abi: "0.7" });
    const c = await runCell(cell, { catalogues: [await ports("native")], abi: "0.7" });
    const relative = maxRelative(a, b);
    console.log(`  compiled vs live: ${relative.toExponential(2)} relative, ${a.spikes.length} spikes`);
    assert.ok(a.spikes.length >= 1, "the synapses make CV 0 fire");
    assert.equal(b.spikes.length, a.spikes.length);
    assert.ok(relative <= 1e-9, `${relative}`);
    assert.equal(maxRelative(b, c), 0, "native and baseline builds differ");
  } finally {
    live.close();
  }
});

// Live mode runs V8's Math.exp and friends, which are not the C library's: they differ in the
// last bit for some arguments, so no C build is bit for bit with live mode (docs/compile.md).
// The libm build is the scalar build of before this option existed: same operations, same C
// library calls, one instance after the other.
Deno.test("--math libm and --math inline agree with live mode to round-off; libm keeps the scalar code", async () => {
  const exact = await ports("baseline", "libm");
  const fast = await ports("baseline", "inline");
  const live = await catalogue({ mechanisms: arborDefaultPorts, abi: "0.7" });
  try {
    for (const { name, cell } of referenceCells("0.7")) {
      const a = await runCell(cell, { catalogues: [live], abi: "0.7" });
      const b = await runCell(cell, { catalogues: [exact], abi: "0.7" });
      const c = await runCell(cell, { catalogues: [fast], abi: "0.7" });
      const libm = maxRelative(a, b), inline = maxRelative(a, c);
      console.log(
        `  ${name}: relative to live: libm ${libm.toExponential(2)}, inline ${inline.toExponential(2)}`,
      );
      assert.equal(b.spikes.length, a.spikes.length, `${name}: spikes (libm)`);
      assert.equal(c.spikes.length, a.spikes.length, `${name}: spikes (inline)`);
      assert.ok(libm <= 1e-9, `${name}: libm ${libm}`);
      assert.ok(inline <= 1e-9, `${name}: inline math ${inline}`);
    }
  } finally {
    live.close();
  }
  const { code } = await generateCatalogueSource(join(root, "examples/catalogue/hh.ts"), { math: "libm" });
  // c/catalogue.h defines dc_exp as the C library's exp when DC_CATALOGUE_MATH_INLINE is 0.
  assert.match(code, /^#define DC_CATALOGUE_MATH_INLINE 0\b/m, "the libm build calls the C library");
  assert.match(
    await Deno.readTextFile(join(root, "c/catalogue.h")),
    /#if DC_CATALOGUE_MATH_INLINE\n[^]*#else\n[^]*double dc_exp\(double x\) \{\n {2}return exp\(x\);/,
  );
});

// ---- the CPU check -----------------------------------------------------------------------------------

Deno.test({
  name: "a catalogue built for a CPU this machine lacks is refused with a message naming what is missing",
  ignore: !x86 || cpuFlags.includes("avx512f") || cpuFlags.length === 0,
  async fn() {
    const v4 = await ports("x86-64-v4");
    await assert.rejects(
      Host.create({ catalogues: [v4], abi: "0.7" }),
      /compiled with --cpu x86-64-v4 and needs AVX-512F, which this CPU lacks: rebuild it with --cpu baseline/,
    );
  },
});

Deno.test({
  name:
    "under qemu-x86_64 -cpu Nehalem, get_catalogue of an x86-64-v3 build returns NULL with a message, no SIGILL",
  ignore: !x86 || (await run("sh", ["-c", "command -v qemu-x86_64"]).catch(() => ({ code: 1 }))).code !== 0,
  async fn() {
    const loader = join(folder, "load_catalogue");
    await zigCc(["-O1", join(root, "tests/support/load_catalogue.c"), "-o", loader, "-ldl"]);
    const v3 = await ports("x86-64-v3");
    const portable = await ports("baseline");
    const refused = await run("qemu-x86_64", ["-cpu", "Nehalem", loader, v3]);
    assert.equal(refused.code, 0, `no crash: ${refused.stderr}`);
    assert.match(refused.stdout, /count 0, NULL/);
    assert.match(refused.stderr, /compiled with --cpu x86-64-v3 and needs AVX, which this CPU lacks/);
    const accepted = await run("qemu-x86_64", ["-cpu", "Nehalem", loader, portable]);
    assert.equal(accepted.code, 0, accepted.stderr);
    assert.match(accepted.stdout, /count [1-9]\d*, records/);
  },
});

const armSysroot = "/usr/aarch64-linux-gnu";
const hasArmQemu =
  (await run("sh", ["-c", "command -v qemu-aarch64"]).catch(() => ({ code: 1 }))).code === 0 &&
  (() => {
    try {
      return Deno.statSync(armSysroot).isDirectory;
    } catch {
      return false;
    }
  })();

Deno.test({
  name:
    "under qemu-aarch64 -cpu cortex-a53, a --cpu neoverse-n1 build refuses (LSE atomics) and baseline loads",
  ignore: !hasArmQemu,
  async fn() {
    const loader = join(folder, "load_catalogue_arm");
    await zigCc([
      "-target",
      "aarch64-linux-gnu",
      "-O1",
      join(root, "tests/support/load_catalogue.c"),
      "-o",
      loader,
      "-ldl",
    ]);
    const build = async (cpu: string) =>
      (await compileCatalogue(join(root, "examples/catalogue/pas.ts"), {
        out: folder,
        name: `pas_arm_${cpu.replaceAll("-", "_")}`,
        abi: "0.7",
        target: "aarch64-linux-gnu",
        cpu,
      })).libraries[0].path;
    const qemu = (library: string) =>
      run("qemu-aarch64", ["-L", armSysroot, "-cpu", "cortex-a53", loader, library]);
    const refused = await qemu(await build("neoverse-n1"));
    assert.equal(refused.code, 0, `no crash: ${refused.stderr}`);
    assert.match(refused.stdout, /count 0, NULL/);
    assert.match(
      refused.stderr,
      /compiled with --cpu neoverse-n1 and needs LSE atomics, which this CPU lacks/,
    );
    const accepted = await qemu(await build("baseline"));
    assert.equal(accepted.code, 0, accepted.stderr);
    assert.match(accepted.stdout, /count 1, records/);
  },
});

Deno.test("--cpu and --math on the command line; unknown names are refused with the choices", async () => {
  assert.deepEqual(parseArguments(["m.ts", "--cpu", "native", "--math", "libm"]), {
    module: "m.ts",
    options: { cpu: "native", math: "libm" },
  });
  assert.throws(() => parseArguments(["m.ts", "--math", "fast"]), /--math must be inline or libm/);
  await assert.rejects(
    compileCatalogue(join(root, "examples/catalogue/pas.ts"), { out: folder, cpu: "pentium" }),
    /unknown CPU 'pentium' for x86_64: use one of baseline, x86-64-v2, x86-64-v3, x86-64-v4, native|unknown CPU 'pentium' for aarch64/,
  );
  await assert.rejects(
    compileCatalogue(join(root, "examples/catalogue/pas.ts"), {
      out: folder,
      cpu: "native",
      target: x86 ? "aarch64-linux-gnu" : "x86_64-linux-gnu",
    }),
    /--cpu native describes this .* machine, not the .* target/,
  );
});
