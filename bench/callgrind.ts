/**
 * `deno run -A bench/callgrind.ts [cvs] [steps]`: instructions executed by the `hh` hooks at
 * 1024 CVs (default), counted by valgrind's callgrind, for the native target (built for this
 * CPU; NaN check on and off), the compiled catalogue (`--cpu baseline`, the default, and
 * `--cpu native`) and the hand-written C reference (c/reference.c). Instruction
 * counts do not depend on machine load, unlike times. Needs valgrind; not a test.
 *
 * The driver (bench/callgrind_hh.c) runs the host from C, and callgrind collects only inside
 * functions named `hh_*` (c/reference.c) or `mech_hh_hook_*` (generated C), callees included
 * (exp from libm), so the host's own work is left out.
 *
 * @module
 */
import { join } from "node:path";
import { catalogue, compileCatalogue } from "../mod.ts";
import { resolveLibrary } from "../platform/libraries.ts";
import { BUILD_OUTPUT, findZig, REPOSITORY_ROOT } from "../platform/toolchain.ts";
import { PointwiseHH } from "../examples/catalogue/hh.ts";

const cvs = Number(Deno.args[0] ?? 1024);
const steps = Number(Deno.args[1] ?? 100);

async function run(program: string, args: string[]): Promise<string> {
  const out = await new Deno.Command(program, { args, stdout: "piped", stderr: "piped" }).output();
  const text = new TextDecoder().decode(out.stderr);
  if (!out.success) throw new Error(`${program} ${args.join(" ")} failed:\n${text}`);
  return text;
}

const folder = await Deno.makeTempDir({ prefix: "denocat-callgrind-" });
try {
  const driver = join(folder, "callgrind_hh");
  await run(await findZig(), [
    "cc",
    "-O2",
    `-I${join(REPOSITORY_ROOT, "c")}`,
    join(REPOSITORY_ROOT, "bench", "callgrind_hh.c"),
    `-L${BUILD_OUTPUT}`,
    "-ldenocat_host",
    `-Wl,-rpath,${BUILD_OUTPUT}`,
    "-o",
    driver,
  ]);
  const native = await catalogue({ mechanisms: [PointwiseHH], abi: "0.7", target: "native" });
  const unchecked = await catalogue({
    mechanisms: [PointwiseHH],
    abi: "0.7",
    target: "native",
    checkFinite: false,
  });
  const compiled = await compileCatalogue(new URL("../examples/catalogue/hh.ts", import.meta.url), {
    out: folder,
    abi: "0.7",
  });
  const compiledNative = await compileCatalogue(new URL("../examples/catalogue/hh.ts", import.meta.url), {
    out: join(folder, "native"),
    abi: "0.7",
    cpu: "native",
  });
  const libraries: [string, string][] = [
    ["hand C (c/reference.c)", await resolveLibrary("denocat_reference_abi7")],
    ["native", native.path],
    ["native, checkFinite: false", unchecked.path],
    ["compiled (deno task catalogue)", compiled.libraries[0].path],
    ["compiled --cpu native", compiledNative.libraries[0].path],
  ];
  const counts: number[] = [];
  for (const [, path] of libraries) {
    const text = await run("valgrind", [
      "--tool=callgrind",
      `--callgrind-out-file=${join(folder, "callgrind.out")}`,
      "--toggle-collect=hh_*",
      "--toggle-collect=mech_hh_hook_*",
      driver,
      path,
      String(cvs),
      String(steps),
    ]);
    const match = text.match(/Collected\s*:\s*(\d+)/);
    if (!match) throw new Error(`no callgrind total in:\n${text}`);
    counts.push(Number(match[1]));
  }
  console.log(`denocat bench: instructions in the hh hooks, ${cvs} CVs, ${steps} steps (callgrind)`);
  libraries.forEach(([label], k) => {
    console.log(
      label.padEnd(32) + String(counts[k]).padStart(14) +
        `${(counts[k] / counts[0]).toFixed(3)}x`.padStart(10),
    );
  });
  native.close();
  unchecked.close();
} finally {
  await Deno.remove(folder, { recursive: true });
}
