// `deno task import` (cli/import.ts main): writes a module that compiles with `deno task catalogue`
// into a native catalogue whose hh matches the port of Arbor's hh on a reference protocol;
// refusals and usage mistakes give their exit status and a message.
import assert from "node:assert/strict";
import { join } from "node:path";
import { main } from "../cli/import.ts";
import { catalogue } from "../mod.ts";
import { compileCatalogue } from "../catalogue/compiled.ts";
import { arborDefaultPorts } from "../examples/catalogue/mod.ts";
import { runCell } from "../host/cell.ts";
import { loadReferenceCase } from "../tools/fidelity/reference.ts";
import { printedBy } from "./support/console.ts";

const data = (file: string) => new URL(`./data/nmodl/${file}`, import.meta.url).pathname;

/** Runs the importer's main with what it prints captured (tests/support/console.ts). */
async function run(args: string[]): Promise<{ status: number; errors: string }> {
  const { lines, value } = await printedBy(() => main(args));
  return { status: value, errors: lines.map((line) => line + "\n").join("") };
}

Deno.test("deno task import writes hh.ts; deno task catalogue compiles it; the compiled hh matches the port", async () => {
  const folder = await Deno.makeTempDir({ prefix: "denocat-import-" });
  try {
    const out = join(folder, "hh.ts");
    const { status, errors } = await run([data("hh.mod"), "-o", out]);
    assert.equal(status, 0, errors);
    assert.match(errors, /wrote .*hh\.ts \(class Hh, mechanism "hh"\)/);
    const source = await Deno.readTextFile(out);
    assert.match(source, /@mechanism\(\{ name: "hh", kind: "density", method: "cnexp" \}\)/);
    // Formatted: deno fmt --check accepts it as written.
    const fmt = await new Deno.Command(Deno.execPath(), { args: ["fmt", "--check", "--line-width=110", out] })
      .output();
    assert.equal(fmt.code, 0, new TextDecoder().decode(fmt.stderr));

    const compiled = await compileCatalogue(out, { out: folder, abi: "0.7" });
    assert.deepEqual(compiled.mechanisms, ["hh"]);
    const cell = loadReferenceCase("hh_iclamp").cell;
    const ports = await catalogue({ mechanisms: arborDefaultPorts });
    try {
      const native = await runCell(cell, { catalogues: [compiled.libraries[0].path] });
      const port = await runCell(cell, { catalogues: [ports] });
      for (const probe of Object.keys(port.traces)) {
        let worst = 0;
        port.traces[probe].forEach((b, k) => {
          const a = native.traces[probe][k];
          worst = Math.max(worst, Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b), 1e-12));
        });
        assert.ok(worst <= 1e-9, `${probe}: worst relative difference ${worst}`);
      }
      assert.equal(native.spikes.length, port.spikes.length);
      assert.ok(port.spikes.length > 0, "the protocol spikes");
    } finally {
      ports.close();
    }
  } finally {
    await Deno.remove(folder, { recursive: true });
  }
});

Deno.test("deno task import: a refused file exits 1 naming the construct; usage mistakes exit 2", async () => {
  const folder = await Deno.makeTempDir({ prefix: "denocat-import-" });
  try {
    const bad = join(folder, "bad.mod");
    await Deno.writeTextFile(bad, "NEURON { SUFFIX b }\nSTATE { a b }\nNONLINEAR k { ~ a = 1 }\n");
    const refused = await run([bad, "-o", join(folder, "bad.ts")]);
    assert.equal(refused.status, 1);
    assert.match(refused.errors, /refused: .*bad\.mod:3:1: NONLINEAR is not supported/);
    assert.ok(
      !(await Deno.stat(join(folder, "bad.ts")).then(() => true, () => false)),
      "no output for a refused file",
    );
    assert.equal((await run([])).status, 2);
    assert.equal((await run([bad, "--frobnicate"])).status, 2);
    assert.equal((await run([bad, "-o"])).status, 2);
    const absent = await run([join(folder, "absent.mod")]);
    assert.equal(absent.status, 1);
    assert.match(absent.errors, /cannot read .*absent\.mod/);
  } finally {
    await Deno.remove(folder, { recursive: true });
  }
});

Deno.test("denocat import (cli/mod.ts) runs the importer: the module on stdout, status 0", async () => {
  const cli = new URL("../cli/mod.ts", import.meta.url).pathname;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", cli, "import", data("passive.mod")],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  assert.match(
    new TextDecoder().decode(out.stdout),
    /@mechanism\(\{ name: "passive", kind: "density" \}\)\nexport class Pas /,
  );
});
