/**
 * `deno run -A bench/callgrind_arbor.ts [cvs] [steps]`: instructions per simulation step of real
 * Arbor 0.11 (the 0.11 entry of DENOCAT_ARBOR_SITES) running the `hh` of bench/arbor.ts with
 * Arbor's builtin `hh` and with each native path of the TypeScript `hh`, counted by valgrind's
 * callgrind in a `python3` process (1 CV by default). Instruction counts do not depend on machine
 * load, unlike the times of `deno task bench:arbor`. Needs valgrind; not a test.
 *
 * Each variant runs twice, `steps` and `2 * steps` steps; the difference of the two totals over
 * `steps` is the count per step, with Python's start and Arbor's set-up cancelled out. The table
 * also splits that count into the mechanism's hooks (the functions of the variant's library, or
 * for the builtin Arbor's `hh` kernels and the libm calls they make) and the rest of Arbor's step.
 *
 * valgrind 3.19 does not run AVX-512 code: the native target and `--cpu native` are counted with
 * `cpu: "x86-64-v3"` (AVX2), the same C; on one CV nothing is vectorized anyway.
 *
 * @module
 */
import { join } from "node:path";
import { catalogue, compileCatalogue } from "../mod.ts";
import { PointwiseHH } from "../examples/catalogue/hh.ts";
import { arborEnv, arborSites } from "../tests/support/real_arbor.ts";
import { pythonExecutable } from "../tests/support/python.ts";

const cvs = Number(Deno.args[0] ?? 1);
const steps = Number(Deno.args[1] ?? 2000);
const site = arborSites().find((s) => s.label === "0.11")?.site;
if (site === undefined) {
  console.log("bench/callgrind_arbor.ts: no Arbor 0.11 in DENOCAT_ARBOR_SITES");
  Deno.exit(0);
}

/** One Arbor simulation of bench/arbor_child.ts's model: argv library|builtin, steps, cvs. */
const SCRIPT = `
import sys, arbor as A
U = A.units
lib, steps, cvs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
dt = 0.025
props = A.neuron_cable_properties()
mech = "hh"
if lib != "builtin":
    props.catalogue.extend(A.load_catalogue(lib), "x_")
    mech = "x_hh"
tree = A.segment_tree()
tree.append(A.mnpos, A.mpoint(0, 0, 0, 3), A.mpoint(6 * cvs, 0, 0, 3), tag=1)
decor = (A.decor().set_property(Vm=-65 * U.mV).paint("(all)", A.density(mech))
         .place('"start"', A.iclamp(0 * U.ms, 1e9 * U.ms, (0.05 if cvs == 1 else 2) * U.nA), "clamp"))
cell = A.cable_cell(A.morphology(tree), decor, A.label_dict({"start": "(location 0 0)"}),
                    A.cv_policy(f"(fixed-per-branch {cvs})"))
class R(A.recipe):
    def __init__(self): A.recipe.__init__(self)
    def num_cells(self): return 1
    def cell_kind(self, gid): return A.cell_kind.cable
    def cell_description(self, gid): return cell
    def global_properties(self, kind): return props
    def probes(self, gid): return [A.cable_probe_membrane_voltage_cell("Vcell")]
sim = A.simulation(R(), A.context(threads=1))
ms = steps * dt
handle = sim.sample((0, "Vcell"), A.explicit_schedule([(ms - 2 * dt) * U.ms]))
sim.run(ms * U.ms, dt * U.ms)
print("V", float(sim.samples(handle)[0][0][-1][1]))
`;

async function run(program: string, args: string[], env?: Record<string, string>): Promise<string> {
  const out = await new Deno.Command(program, { args, env, stdout: "piped", stderr: "piped" }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  if (!out.success) throw new Error(`${program} ${args.join(" ")} failed:\n${text}`);
  return text;
}

/** Exclusive instructions per function (callgrind_annotate), keyed "file:function [object]". */
async function functions(file: string): Promise<Map<string, number>> {
  const text = await run("callgrind_annotate", ["--threshold=100", "--auto=no", file]);
  const counts = new Map<string, number>();
  for (const line of text.split("\n")) {
    const match = line.match(/^\s*([\d,]+) \([^)]*\)\s+(.*)$/);
    if (match && !line.includes("PROGRAM TOTALS")) counts.set(match[2], Number(match[1].replaceAll(",", "")));
  }
  return counts;
}

const folder = await Deno.makeTempDir({ prefix: "denocat-callgrind-arbor-" });
try {
  const script = join(folder, "sim.py");
  await Deno.writeTextFile(script, SCRIPT);
  const hh = new URL("../examples/catalogue/hh.ts", import.meta.url);
  const native = await catalogue({
    mechanisms: [PointwiseHH],
    abi: "0.7",
    target: "native",
    cpu: "x86-64-v3",
  });
  const unchecked = await catalogue({
    mechanisms: [PointwiseHH],
    abi: "0.7",
    target: "native",
    cpu: "x86-64-v3",
    checkFinite: false,
  });
  const baseline = await compileCatalogue(hh, { out: join(folder, "baseline"), abi: "0.7", progress: false });
  const v3 = await compileCatalogue(hh, {
    out: join(folder, "v3"),
    abi: "0.7",
    cpu: "x86-64-v3",
    progress: false,
  });
  const variants: [string, string][] = [
    ["Arbor builtin hh", "builtin"],
    ["native target (checkFinite)", native.path],
    ["native, checkFinite: false", unchecked.path],
    ["compiled --cpu baseline", baseline.libraries[0].path],
    ["compiled --cpu x86-64-v3", v3.libraries[0].path],
  ];
  const env = arborEnv(site, { PYTHONHASHSEED: "0", OPENBLAS_NUM_THREADS: "1", OMP_NUM_THREADS: "1" });
  const rows: { label: string; step: number; hooks: number; voltage: string }[] = [];
  for (const [label, library] of variants) {
    const totals: number[] = [];
    const perFunction: Map<string, number>[] = [];
    let voltage = "";
    for (const n of [steps, 2 * steps]) {
      const out = join(folder, `callgrind.${rows.length}.${n}`);
      const text = await run("valgrind", [
        "--tool=callgrind",
        `--callgrind-out-file=${out}`,
        pythonExecutable(),
        script,
        library,
        String(n),
        String(cvs),
      ], env);
      const total = text.match(/Collected\s*:\s*(\d+)/);
      if (!total) throw new Error(`no callgrind total in:\n${text}`);
      totals.push(Number(total[1]));
      perFunction.push(await functions(out));
      voltage = text.match(/^V (\S+)$/m)?.[1] ?? "?";
    }
    // The mechanism: the variant's library (its hooks, dc_math.h inlined), or for the builtin the
    // libm calls (Arbor's own hh kernels are in the stripped _arbor module: the rest of the step
    // is taken to be the same as with a denocat library, and the builtin's hooks the difference).
    const mine = (name: string) =>
      library === "builtin"
        ? /\[.*libm\.so/.test(name)
        : name.includes(library) || /mech_hh_hook_/.test(name);
    let hooks = 0;
    for (const [name, count] of perFunction[1]) {
      if (mine(name)) hooks += count - (perFunction[0].get(name) ?? 0);
    }
    rows.push({ label, step: (totals[1] - totals[0]) / steps, hooks: hooks / steps, voltage });
  }
  const rest = rows.slice(1).map((row) => row.step - row.hooks);
  const arbor = rest.reduce((a, b) => a + b, 0) / rest.length;
  console.log(
    `denocat bench: instructions per step of real Arbor 0.11, hh on ${cvs} CV(s), ${steps} and ${
      2 * steps
    } steps (callgrind, python3)`,
  );
  console.log(
    "variant".padEnd(30) + "per step".padStart(10) + "ratio".padStart(8) + "hooks".padStart(9) +
      "rest of Arbor".padStart(15) + "   V at the end",
  );
  for (const row of rows) {
    const hooks = row.label === "Arbor builtin hh" ? row.step - arbor : row.hooks;
    console.log(
      row.label.padEnd(30) + row.step.toFixed(0).padStart(10) +
        `${(row.step / rows[0].step).toFixed(3)}x`.padStart(8) +
        hooks.toFixed(0).padStart(9) + (row.step - hooks).toFixed(0).padStart(15) + `   ${row.voltage}`,
    );
  }
  console.log(
    "hooks: the mechanism's functions per step (for the builtin: the step less the rest of Arbor's step " +
      "measured with the denocat libraries, libm's exp and expm1 included)",
  );
  native.close();
  unchecked.close();
} finally {
  await Deno.remove(folder, { recursive: true });
}
