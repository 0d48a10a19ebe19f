/**
 * `deno run -A bench/simd.ts`: the hooks of compiled pointwise `hh` (examples/catalogue/hh.ts)
 * against the scalar hand-written C of c/reference.c, alone (bench/hook_driver.c, no host
 * around them), at 1024 and 16384 CVs: `--cpu baseline`, `--cpu native` and `--math libm`.
 * Reports ns per instance and step (best of 5, interleaved), the ratios to the hand-written C,
 * the SIMD width of this CPU, and callgrind's instruction counts when valgrind is installed.
 * Not a test: nothing here asserts a time.
 *
 * @module
 */
import { join } from "node:path";
import { compileCatalogue } from "../mod.ts";
import { resolveLibrary } from "../platform/libraries.ts";
import { findZig, REPOSITORY_ROOT } from "../platform/toolchain.ts";

const sizes = [1024, 16384];
const work = 4_000_000; // instance-steps per timed run

function simdWidth(): string {
  try {
    const flags = Deno.readTextFileSync("/proc/cpuinfo").match(/^(flags|Features)\s*:(.*)$/m)?.[2] ?? "";
    const has = (flag: string) => new RegExp(`\\b${flag}\\b`).test(flags);
    if (has("avx512f")) return "AVX-512: 8 doubles per vector";
    if (has("avx2")) return "AVX2: 4 doubles per vector";
    if (has("asimd")) return "NEON: 2 doubles per vector";
    return "SSE2: 2 doubles per vector";
  } catch {
    return "unknown (no /proc/cpuinfo)";
  }
}

async function output(command: string, args: string[]): Promise<string> {
  const result = await new Deno.Command(command, { args, stdout: "piped", stderr: "piped" }).output();
  if (!result.success) {
    throw new Error(`${command} ${args.join(" ")}: ${new TextDecoder().decode(result.stderr)}`);
  }
  return new TextDecoder().decode(result.stdout) + new TextDecoder().decode(result.stderr);
}

const folder = await Deno.makeTempDir({ prefix: "denocat-bench-simd-" });
try {
  const hh = new URL("../examples/catalogue/hh.ts", import.meta.url);
  const build = async (name: string, options: { cpu?: string; math?: "inline" | "libm" }) =>
    (await compileCatalogue(hh, { out: folder, abi: "0.7", name, ...options })).libraries[0].path;
  const libraries: [string, string][] = [
    ["hand C (c/reference.c)", await resolveLibrary("denocat_reference_abi7")],
    ["compiled --math libm", await build("hh_libm", { math: "libm" })],
    ["compiled --cpu baseline", await build("hh_baseline", { cpu: "baseline" })],
    ["compiled --cpu native", await build("hh_native", { cpu: "native" })],
  ];
  const driver = join(folder, "hook_driver");
  await output(await findZig(), [
    "cc",
    "-O2",
    `-I${join(REPOSITORY_ROOT, "c")}`,
    join(REPOSITORY_ROOT, "bench/hook_driver.c"),
    "-o",
    driver,
    "-ldl",
    "-lm",
  ]);
  console.log(`denocat bench: hh hooks alone (compute_currents + advance_state), ABI 0.7, best of 5`);
  console.log(`SIMD on this CPU: ${simdWidth()}`);
  for (const width of sizes) {
    const best = libraries.map(() => Infinity);
    for (let repeat = 0; repeat < 5; repeat++) {
      for (const [k, [, path]] of libraries.entries()) {
        const line = await output(driver, [path, "hh", String(width), String(Math.round(work / width))]);
        best[k] = Math.min(best[k], JSON.parse(line).ns_per_instance_step);
      }
    }
    console.log(`\n${width} CVs`.padEnd(32) + "ns/instance/step".padStart(18) + "hand C / this".padStart(15));
    for (const [k, [label]] of libraries.entries()) {
      console.log(
        label.padEnd(31) + best[k].toFixed(2).padStart(18) +
          `${(best[0] / best[k]).toFixed(2)}x`.padStart(15),
      );
    }
  }
  // Instruction counts: deterministic, unlike times on a shared machine.
  const valgrind = await output("valgrind", ["--version"]).catch(() => undefined);
  if (valgrind === undefined) console.log("\ncallgrind: valgrind is not installed");
  else {
    const steps = 20, width = 1024;
    console.log(
      `\ncallgrind instructions in run_steps, ${width} CVs, ${steps + 10} steps (incl. 10 warm-up):`,
    );
    const counts: number[] = [];
    for (const [label, path] of libraries) {
      const out = join(folder, "callgrind.out");
      try {
        await output("valgrind", [
          "--tool=callgrind",
          "--toggle-collect=run_steps",
          `--callgrind-out-file=${out}`,
          driver,
          path,
          "hh",
          String(width),
          String(steps),
        ]);
        const total = Number((await Deno.readTextFile(out)).match(/^totals:\s*(\d+)/m)?.[1]);
        counts.push(total);
        console.log(
          label.padEnd(31) + String(total).padStart(14) +
            `${(total / (width * (steps + 10))).toFixed(0)} per instance-step`.padStart(26) +
            `${(counts[0] / total).toFixed(2)}x fewer than hand C`.padStart(26),
        );
      } catch (error) {
        console.log(`${label.padEnd(31)} valgrind failed (${(error as Error).message.split("\n")[0]})`);
      }
    }
  }
} finally {
  await Deno.remove(folder, { recursive: true });
}
