// How the native target is built (issue 17 on top of catalogue({ target })): for this machine's
// CPU by default, `cpu` and `math` options, and a NaN check that leaves the split compute loops
// vectorizable while naming the same instance as live mode.
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Catalogue, catalogue, defineMechanism, Host } from "../mod.ts";
import { emitCatalogue } from "../catalogue/emit.ts";
import { planModule } from "../catalogue/planned.ts";
import { compilerCommand, includedHeaders } from "../catalogue/build.ts";
import { nativeSource } from "../catalogue/native.ts";
import { findZig } from "../platform/toolchain.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const area = 2 * Math.PI * 3 * 6;

/** A mechanism whose derivative is NaN exactly where its parameter p is 0. */
const nanWhereZero = defineMechanism({
  name: "nan_blocks",
  states: { s: { default: 1 } },
  parameters: { p: { default: 1 } },
}, {
  derivative: (x) => ({ s: (x.p * 0) / x.p }),
});

/** Runs `cvs` instances with p = 0 at `zeros`; the error message, or "(no error)". */
async function errorOf(cat: Catalogue, cvs: number, zeros: number[]): Promise<string> {
  using host = await Host.create({ catalogues: [cat], abi: cat.abi });
  host.setCvs({ count: cvs, areaUm2: area }).addNeuronIons();
  const placed = host.place("nan_blocks", { cvs: Array.from({ length: cvs }, (_, k) => k) });
  host.setParameter(placed, "p", Array.from({ length: cvs }, (_, k) => (zeros.includes(k) ? 0 : 1)));
  try {
    host.run({ until: 0.1, dt: 0.025 });
  } catch (error) {
    return (error as Error).message;
  }
  return "(no error)";
}

Deno.test("NaN in a later block of a split hook: native names the first bad instance, as live mode does", async () => {
  const js = await catalogue({ mechanisms: [nanWhereZero], target: "js" });
  const native = await catalogue({ mechanisms: [nanWhereZero], target: "native" });
  try {
    // Blocks hold 128 instances: 130 and 250 are both in the second (128..255), 5 in the first,
    // 300 and 383 in the third; live mode names the first in instance order.
    for (const zeros of [[250, 130], [5, 300], [383]]) {
      const fromJs = await errorOf(js, 400, zeros);
      const first = Math.min(...zeros);
      assert.match(fromJs, new RegExp(`at instance ${first} \\(CV ${first}\\)`));
      assert.equal(await errorOf(native, 400, zeros), fromJs, `p = 0 at ${zeros}`);
    }
    assert.equal(await errorOf(native, 400, []), "(no error)");
  } finally {
    js.close();
    native.close();
  }
});

Deno.test("the native target builds for this CPU with inline math by default; cpu and math choose otherwise", async () => {
  const fresh = Math.random(); // a default no earlier run used: each build below is its own
  const gate = () =>
    defineMechanism({ name: "native_cpu_gate", method: "cnexp", states: { m: { default: fresh } } }, {
      derivative: (x) => ({ m: Math.exp(-x.v / 20) * (1 - x.m) - x.m }),
    });
  const byDefault = await catalogue({ mechanisms: [gate()], target: "native" });
  const portable = await catalogue({ mechanisms: [gate()], target: "native", cpu: "baseline", math: "libm" });
  const js = await catalogue({ mechanisms: [gate()], target: "js" });
  try {
    assert.notEqual(byDefault.path, portable.path, "the cpu and math are part of the cache key");
    const codeOf = (cat: Catalogue) => Deno.readTextFileSync(cat.path.replace(/\.so$/, ".c"));
    // The parameters of c/catalogue.h: denocat_cpu() returns DC_CATALOGUE_CPU, and the math
    // is c/dc_math.h's when DC_CATALOGUE_MATH_INLINE is 1.
    assert.match(codeOf(byDefault), /^#define DC_CATALOGUE_CPU "native"/m);
    assert.match(codeOf(byDefault), /^#define DC_CATALOGUE_MATH_INLINE 1\b/m);
    assert.match(codeOf(portable), /^#define DC_CATALOGUE_CPU "baseline"/m);
    assert.match(codeOf(portable), /^#define DC_CATALOGUE_MATH_INLINE 0\b/m);
    const trace = async (cat: Catalogue) => {
      using host = await Host.create({ catalogues: [cat], abi: cat.abi });
      host.setCvs({ count: 3, areaUm2: area }).addNeuronIons();
      const p = host.place("native_cpu_gate", { cvs: [0, 1, 2] });
      const column = host.probeState(p, "m", 2);
      return host.run({ until: 1, dt: 0.025 }).probes[column];
    };
    const [a, b, c] = [await trace(byDefault), await trace(portable), await trace(js)];
    for (let k = 0; k < c.length; k++) {
      assert.ok(Math.abs(a[k] - c[k]) <= 1e-12, `native, inline math, step ${k}: ${a[k]} vs ${c[k]}`);
      assert.ok(Math.abs(b[k] - c[k]) <= 1e-12, `baseline, libm, step ${k}: ${b[k]} vs ${c[k]}`);
    }
  } finally {
    for (const cat of [byDefault, portable, js]) cat.close();
  }
  await assert.rejects(
    catalogue({ mechanisms: [gate()], cpu: "pentium" }),
    /catalogue: unknown CPU 'pentium' for \w+: use one of baseline/,
  );
  await assert.rejects(
    catalogue({ mechanisms: [gate()], math: "fast" as "libm" }),
    /catalogue: unknown math 'fast'/,
  );
  await assert.rejects(
    catalogue({ mechanisms: [gate()], cpu: 3 as unknown as string }),
    /cpu must be a string/,
  );
});

Deno.test("the native target's cache key covers every header the generated C includes, nested ones too", async () => {
  for (const checkFinite of [true, false]) {
    const headers = await includedHeaders(nativeSource([], checkFinite));
    // c/catalogue.h (the fixed C of every catalogue) and the headers it includes.
    assert.deepEqual(headers.map((h) => h.name), ["catalogue.h", "arbor_abi.h", "dc_math.h"]);
    for (const { name, text } of headers) {
      assert.equal(text, await Deno.readTextFile(join(root, "c", name)), `${name} is read from c/`);
    }
  }
});

for (const checkFinite of [true, false]) {
  // Unchecked, a split block joins its results as the checked one does (kernels/c.ts, DC_KEEP).
  const flag = checkFinite ? "dc_bad" : "dc_join";
  Deno.test(`${checkFinite ? "with" : "without"} the NaN check, clang vectorizes every split compute loop of hh, which ORs its ${flag} (x86-64-v3)`, async () => {
    if (Deno.build.arch !== "x86_64") return; // the remark names x86 vector widths; aarch64 is NEON
    const planned = await planModule(join(root, "examples/catalogue/hh.ts"));
    const code = emitCatalogue(planned, { name: "hh_checked", checkFinite, cpu: "x86-64-v3" });
    const folder = await Deno.makeTempDir({ prefix: "denocat-native-build-" });
    try {
      const source = join(folder, "hh_checked.c");
      await Deno.writeTextFile(source, code);
      const output = await new Deno.Command(await findZig(), {
        args: [
          "cc",
          "-O3",
          "-mcpu=x86_64_v3",
          "-ffp-contract=off",
          "-std=c11",
          `-I${join(root, "c")}`,
          "-DDENOCAT_COMPILED_ABI=7",
          "-Rpass=loop-vectorize",
          "-Wno-everything",
          "-c",
          source,
          "-o",
          join(folder, "hh_checked.o"),
        ],
        stdout: "piped",
        stderr: "piped",
      }).output();
      const stderr = new TextDecoder().decode(output.stderr);
      assert.ok(output.success, stderr);
      const vectorized = new Set(
        [...stderr.matchAll(/hh_checked\.c:(\d+):\d+: remark: vectorized loop/g)].map((m) => Number(m[1])),
      );
      // The compute loop of a split block is the line after its flag.
      const lines = code.split("\n");
      const declared = `uint64_t ${flag} = 0;`;
      const computeLoops = lines.flatMap((line, k) => (line.trim() === declared ? [k + 2] : []));
      assert.equal(computeLoops.length, 3, `init, advance and current are split, each with its ${flag}`);
      assert.equal(lines.filter((line) => line.trim().startsWith(`${flag} |= dc_nonfinite_bits(`)).length, 3);
      for (const line of computeLoops) {
        assert.ok(vectorized.has(line), `line ${line} (${lines[line - 1].trim()}) vectorizes:\n${stderr}`);
      }
    } finally {
      await Deno.remove(folder, { recursive: true });
    }
  });
}

Deno.test("x86-64-v4 builds vectorize hh's loops 8 doubles wide (compilerCommand's -mprefer-vector-width=512)", async () => {
  if (Deno.build.arch !== "x86_64") return; // the flag and the remark's widths are x86's
  const planned = await planModule(join(root, "examples/catalogue/hh.ts"));
  const code = emitCatalogue(planned, { name: "hh_v4", checkFinite: true, cpu: "x86-64-v4" });
  const folder = await Deno.makeTempDir({ prefix: "denocat-native-build-" });
  try {
    const source = join(folder, "hh_v4.c");
    await Deno.writeTextFile(source, code);
    // The command every compiled catalogue and native target uses, asked for the vectorizer's remarks.
    const [program, ...args] = compilerCommand(
      source,
      join(folder, "hh_v4.so"),
      "0.7",
      await findZig(),
      undefined,
      undefined,
      "x86-64-v4",
    );
    const output = await new Deno.Command(program, {
      args: [...args, "-Rpass=loop-vectorize", "-Wno-everything"],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(output.stderr);
    assert.ok(output.success, stderr);
    const widths = [
      ...stderr.matchAll(/hh_v4\.c:\d+:\d+: remark: vectorized loop \(vectorization width: (\d+)/g),
    ]
      .map((m) => Number(m[1]));
    // init, advance and current: three compute loops at least (clang's tuning for x86-64-v4 alone gives 4).
    assert.ok(widths.length >= 3, `clang vectorized ${widths.length} loops:\n${stderr}`);
    assert.deepEqual(widths.filter((w) => w !== 8), [], `every loop 8 doubles wide:\n${stderr}`);
  } finally {
    await Deno.remove(folder, { recursive: true });
  }
});
