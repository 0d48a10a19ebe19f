// Files, processes and messages a user can trust (issue 29, and the command-line bullets of issue
// 28): what denocat writes (never a file it did not write, never through a link, atomically), how
// its commands end (a status that tells the truth, 2 for usage errors), the temporary folders it
// leaves (none), and messages that name the real cause. Every case failed before its fix.
import { printedBy } from "./support/console.ts";
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { arborEnv, onNewestArbor, perArborVersion } from "./support/real_arbor.ts";
import { ROOT, runDenoProgram } from "./support/subprocess.ts";
import { compileCatalogue, generateCatalogueSource } from "../catalogue/compiled.ts";
import { main as importMain } from "../cli/import.ts";
import { denocatFor } from "../cli/import.ts";
import { MAX_NESTING } from "../nmodl/parser.ts";
import { formatTypeScript } from "../nmodl/mod.ts";
import { runCell } from "../host/cell.ts";
import { catalogue, Host } from "../mod.ts";
import { PointwiseHH } from "../examples/catalogue/hh.ts";

const CLI = fileURLToPath(new URL("../cli/mod.ts", import.meta.url));
const MOD = join(ROOT, "mod.ts");
const PAS = join(ROOT, "examples/catalogue/pas.ts");
const PASSIVE = "examples/pycat/passive.ts";
const PROBE = "tests/support/cli/probe.py";

const deno = runDenoProgram;

const denocat = (args: string[], options: { cwd?: string; env?: Record<string, string> } = {}) =>
  deno([CLI, ...args], options);

async function withFolder(test: (folder: string) => Promise<void>): Promise<void> {
  const folder = await Deno.makeTempDir({ prefix: "denocat-trust-" });
  try {
    await test(folder);
  } finally {
    await Deno.remove(folder, { recursive: true });
  }
}

const exists = (path: string) => Deno.lstat(path).then(() => true, () => false);

/** A copy of examples/catalogue/pas.ts at `path` (denocat imported by absolute path). */
async function pasModule(path: string, name = "pas"): Promise<void> {
  const text = (await Deno.readTextFile(PAS)).replace('"../../mod.ts"', JSON.stringify(MOD));
  await Deno.writeTextFile(path, text.replace('name: "pas"', `name: "${name}"`));
}

// ---- compile: the output folder -------------------------------------------------------------------

Deno.test("compile refuses a hand-written <name>.c and a <name>.c link, before compiling; --force replaces the link, not its target", async () => {
  await withFolder(async (folder) => {
    const chan = join(folder, "chan.ts");
    await pasModule(chan);
    const out = join(folder, "out");
    await Deno.mkdir(out);
    // A hand-written file of the catalogue's name. A compiler that cannot run proves the refusal
    // comes before any compiling.
    await Deno.writeTextFile(join(out, "chan.c"), "/* my own channel */\n");
    await assert.rejects(
      compileCatalogue(chan, { out, compiler: [join(folder, "no-such-cc")] }),
      /chan\.c exists and denocat did not write it: it is left as it is.*--force/,
    );
    assert.equal(await Deno.readTextFile(join(out, "chan.c")), "/* my own channel */\n");
    // The command, in the working directory (the default folder): exit 1, the file kept.
    await Deno.copyFile(join(out, "chan.c"), join(folder, "chan.c"));
    const command = await denocat(["compile", "chan.ts", "--abi", "0.7"], { cwd: folder });
    assert.equal(command.code, 1, command.stderr);
    assert.match(command.stderr, /^error: .*chan\.c exists and denocat did not write it/);
    assert.equal(await Deno.readTextFile(join(folder, "chan.c")), "/* my own channel */\n");
    assert.ok(!(await exists(join(folder, "chan_abi07.so"))), "nothing was written");

    // A link to a file outside the output folder: refused; with force the link itself is replaced.
    const outside = join(folder, "outside.c");
    await Deno.writeTextFile(outside, "/* outside the folder */\n");
    await Deno.remove(join(out, "chan.c"));
    await Deno.symlink(outside, join(out, "chan.c"));
    await assert.rejects(
      compileCatalogue(chan, { out, abi: "0.7", progress: false }),
      /chan\.c is a symbolic link to .*outside\.c: denocat does not write through links/,
    );
    const forced = await compileCatalogue(chan, { out, abi: "0.7", progress: false, force: true });
    assert.equal(
      await Deno.readTextFile(outside),
      "/* outside the folder */\n",
      "the link's target is untouched",
    );
    const info = await Deno.lstat(join(out, "chan.c"));
    assert.ok(info.isFile && !info.isSymlink, "the link was replaced by the generated C");
    // A file of an earlier compile is replaced without force (the usual edit-compile loop).
    const again = await compileCatalogue(chan, { out, abi: "0.7", progress: false });
    assert.deepEqual(again.libraries.map((l) => l.path), forced.libraries.map((l) => l.path));
    assert.deepEqual((await Array.fromAsync(Deno.readDir(out))).map((e) => e.name).sort(), [
      "chan.c",
      "chan_abi07.so",
    ], "no temporary file is left");
  });
});

Deno.test("compile derives a valid catalogue name from the file name, or asks for --name", async () => {
  await withFolder(async (folder) => {
    await Deno.mkdir(join(folder, "my models"));
    await pasModule(join(folder, "my models", "mod.ts"));
    await pasModule(join(folder, "kanäle.ts"));
    await pasModule(join(folder, "+++.ts"));
    assert.equal((await generateCatalogueSource(join(folder, "my models", "mod.ts"))).name, "my_models");
    assert.equal((await generateCatalogueSource(join(folder, "kanäle.ts"))).name, "kanale");
    await assert.rejects(generateCatalogueSource(join(folder, "+++.ts")), /pass one with --name/);
    // A name the user gives is taken as it is, or refused.
    await assert.rejects(
      generateCatalogueSource(join(folder, "kanäle.ts"), { name: "my name" }),
      /catalogue name 'my name' may only hold/,
    );
    const command = await denocat(["compile", "kanäle.ts", "--abi", "0.7", "-o", "out"], { cwd: folder });
    assert.equal(command.code, 0, command.stderr);
    assert.match(command.stdout, /into catalogue 'kanale'/);
    assert.ok(await exists(join(folder, "out", "kanale_abi07.so")));
  });
});

Deno.test("compile refuses a module that is not TypeScript or JavaScript, without running it", async () => {
  await withFolder(async (folder) => {
    // Valid JavaScript in a .py file: importing it would run it.
    await Deno.writeTextFile(join(folder, "script.py"), 'Deno.writeTextFileSync("ran", "as JavaScript")\n');
    const command = await denocat(["compile", "script.py"], { cwd: folder });
    assert.equal(command.code, 2, command.stderr);
    assert.match(command.stderr, /script\.py is not a TypeScript or JavaScript module/);
    assert.match(command.stderr, /usage: denocat compile/);
    await assert.rejects(
      compileCatalogue(join(folder, "script.py"), { out: folder }),
      /script\.py is not a TypeScript or JavaScript module/,
    );
    assert.ok(!(await exists(join(folder, "ran"))), "the file was never run");
    // Option values are usage errors too.
    for (const args of [["--target", "x86_64-windows"], ["--cpu", "pentium"]]) {
      const bad = await denocat(["compile", "a.ts", ...args], { cwd: folder });
      assert.equal(bad.code, 2, `${args.join(" ")}: ${bad.stderr}`);
    }
  });
});

// ---- processes: exits and temporary folders --------------------------------------------------------

Deno.test("a mechanisms module that calls Deno.exit(0) while imported makes compile and run fail, saying so", async () => {
  await withFolder(async (folder) => {
    const module = join(folder, "exits.ts");
    await Deno.writeTextFile(module, "Deno.exit(0);\n");
    for (const args of [["compile", module, "-o", folder], ["run", module, PROBE, "argv"]]) {
      const command = await denocat(args);
      assert.equal(command.code, 1, `${args[0]}: ${command.stdout}${command.stderr}`);
      assert.match(
        command.stderr,
        new RegExp(
          `^denocat ${args[0]}: the process was ended \\(Deno\\.exit\\(0\\).*must not call Deno\\.exit`,
        ),
      );
    }
    assert.deepEqual((await Array.fromAsync(Deno.readDir(folder))).map((e) => e.name), ["exits.ts"]);
  });
});

Deno.test("a script that built a catalogue and ends with an uncaught error leaves no temporary folder", async () => {
  await withFolder(async (temp) => {
    const script = join(temp, "script.ts");
    await Deno.writeTextFile(
      script,
      `import { catalogue } from ${JSON.stringify(MOD)};\n` +
        `import { Passive } from ${JSON.stringify(join(ROOT, PASSIVE))};\n` +
        `await catalogue({ mechanisms: [Passive], target: "js" });\n` +
        `if (Deno.args[0] === "reject") Promise.reject(new Error("late"));\n` +
        `else if (Deno.args[0] === "throw") throw new Error("the script fails");\n`,
    );
    const tmp = join(temp, "tmp");
    await Deno.mkdir(tmp);
    // A folder of a process that is gone (killed: no cleanup ran) is removed by the next one.
    const orphan = join(tmp, "denocat-999999999-abc123");
    await Deno.mkdir(orphan);
    await Deno.writeFile(join(orphan, "0-libdenocat.so"), new Uint8Array(8));
    // A folder that is not denocat's is left alone.
    await Deno.mkdir(join(tmp, "denocat-other"));
    for (const how of ["throw", "reject", "normal"]) {
      const run = await deno([script, how], { env: { TMPDIR: tmp } });
      assert.equal(run.code, how === "normal" ? 0 : 1, run.stderr);
      assert.deepEqual(
        (await Array.fromAsync(Deno.readDir(tmp))).map((e) => e.name),
        ["denocat-other"],
        `after a ${how} end`,
      );
    }
  });
});

onNewestArbor("run waits for the script's threads and executor jobs, as python3 does", async (site) => {
  await withFolder(async (folder) => {
    for (const mode of ["late-thread", "late-executor"]) {
      const out = join(folder, `${mode}.txt`);
      const run = await denocat(["run", PASSIVE, PROBE, mode, out], { env: arborEnv(site.site) });
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, /main code done\nlate work done\n/);
      assert.equal(await Deno.readTextFile(out), "written late\n", mode);
    }
  });
});

perArborVersion(
  "run: a simulation on a Python worker thread is told to use the main thread, not one Arbor thread",
  async (site) => {
    const run = await denocat(["run", PASSIVE, PROBE, "thread-run"], { env: arborEnv(site.site) });
    assert.equal(run.code, 0, run.stderr);
    const result = JSON.parse(run.stdout.split("\n").find((l) => l.startsWith("result "))!.slice(7));
    assert.equal(result.type, "denocat.MechanismError");
    assert.match(result.caught, /called from the Python thread 'worker-1'/);
    assert.match(
      result.caught,
      /run the simulation \(arbor\.simulation, sim\.run\) on the script's main thread/,
    );
    assert.doesNotMatch(result.caught, /arbor\.context\(threads=1\)/);
    // A TypeScript function called on that thread says the same (not "run Arbor single-threaded").
    assert.match(
      result.bridge,
      /JavaScript function '\w+' was called from the Python thread 'worker-1'.*call it from the script's main thread/,
    );
    assert.equal(run.stderr, "", "no failure is left for the end of the script");
  },
);

// ---- messages: symbols, the cache, probes -----------------------------------------------------------

const COLLIDING = `
import { type CurrentValues, ion, type Ion, mechanism, PointwiseMechanism, type Scope } from ${
  JSON.stringify(MOD)
};

@mechanism({ name: "a", kind: "density" })
export class A extends PointwiseMechanism {
  @ion({ writeIntConcentration: true })
  ca!: Ion;
  override concentrations(_x: Scope<A>) {
    return { cai: 1e-4 };
  }
}

@mechanism({ name: "a_hook", kind: "density" })
export class AHook extends PointwiseMechanism {
  @ion({})
  k!: Ion;
  override current(x: Scope<AHook>): CurrentValues<AHook> {
    return { ik: 0.001 * (x.v - x.ek), gk: 0.001 };
  }
}

// a's write_ions hook is mech_a_hook_write_ions, the ion table of a_hook_write would be too.
@mechanism({ name: "a_hook_write", kind: "density" })
export class AHookWrite extends PointwiseMechanism {
  @ion({})
  k!: Ion;
  override current(x: Scope<AHookWrite>): CurrentValues<AHookWrite> {
    return { ik: 0.001 * (x.v - x.ek), gk: 0.001 };
  }
}
`;

Deno.test("mechanisms 'a' (writes a concentration), 'a_hook' and 'a_hook_write' (use an ion) compile and build natively", async () => {
  await withFolder(async (folder) => {
    const module = join(folder, "colliding.ts");
    await Deno.writeTextFile(module, COLLIDING);
    const compiled = await compileCatalogue(module, { out: folder, abi: "0.7", progress: false });
    assert.deepEqual(compiled.mechanisms, ["a", "a_hook", "a_hook_write"]);
    const { A, AHook, AHookWrite } = await import(module);
    const native = await catalogue({ mechanisms: [A, AHook, AHookWrite], target: "native" });
    try {
      for (const source of [compiled.libraries[0].path, native]) {
        using host = await Host.create({ catalogues: [source], abi: "0.7" });
        host.setCvs({ count: 1, areaUm2: 100, cm: 0.01, temperatureDegC: 6.3, vInit: -65 }).addNeuronIons();
        host.place("a", { cvs: [0] });
        host.place("a_hook", { cvs: [0] });
        host.place("a_hook_write", { cvs: [0] });
        const v = host.probeVoltage(0);
        const trace = host.run({ until: 1, dt: 0.025 }).probes[v];
        assert.ok(trace.at(-1)! < -65, `the k leak pulls v towards ek: ${trace.at(-1)}`);
      }
    } finally {
      native.close();
    }
  });
});

Deno.test("a damaged library in the native cache is rebuilt, with a line saying so", async () => {
  await withFolder(async (cache) => {
    const script = `
      import { catalogue } from ${JSON.stringify(MOD)};
      import { nativeCompilerRuns } from ${JSON.stringify(join(ROOT, "catalogue/native.ts"))};
      import { PointwiseHH } from ${JSON.stringify(join(ROOT, "examples/catalogue/hh.ts"))};
      const cat = await catalogue({ mechanisms: [PointwiseHH], target: "auto" });
      console.log(JSON.stringify({ target: cat.target ?? "js", path: cat.path, runs: nativeCompilerRuns() }));
    `;
    const file = join(cache, "build.ts");
    await Deno.writeTextFile(file, script);
    const env = { DENOCAT_CACHE: cache };
    const first = await deno([file], { env });
    assert.equal(first.code, 0, first.stderr);
    const built = JSON.parse(first.stdout);
    assert.equal(built.target, "native", first.stderr);
    // Truncated, as a full disk or an interrupted copy leaves it.
    const bytes = await Deno.readFile(built.path);
    await Deno.writeFile(built.path, bytes.subarray(0, 1000));
    const second = await deno([file], { env });
    assert.equal(second.code, 0, second.stderr);
    const rebuilt = JSON.parse(second.stdout);
    assert.equal(rebuilt.target, "native", `auto fell back to JavaScript: ${second.stderr}`);
    assert.equal(rebuilt.path, built.path);
    assert.equal(rebuilt.runs, 1, "the compiler ran again");
    assert.match(second.stderr, /the cached native build .* was damaged \(.*\); building it again/);
    assert.equal((await Deno.stat(built.path)).size, bytes.length);
  });
});

Deno.test("runCell refuses malformed probe names, naming the probe", async () => {
  const cat = await catalogue({ mechanisms: [PointwiseHH], target: "js" });
  try {
    const cell = {
      areaUm2: 100,
      ions: "neuron" as const,
      density: [{ mechanism: "hh" }],
      dt: 0.025,
      until: 0.1,
    };
    for (
      const [probe, why] of [
        ["v@", /'@' is not a CV or instance/],
        ["v@0x1", /'@0x1' is not a CV or instance/],
        ["v@ 1", /'@ 1' is not a CV or instance/],
        ["v@1.0", /'@1\.0' is not a CV or instance/],
        ["v@-1", /'@-1' is not a CV or instance/],
        ["v@1@2", /'@1@2' is not a CV or instance/],
        ["hh.m.typo", /'hh\.m\.typo' is not "<mechanism>\.<state>"/],
        ["hh.", /'hh\.' is not "<mechanism>\.<state>"/],
        ["ion:na.q", /'q' is not an ion field/],
        ["pas.e", /no placed mechanism 'pas' \(placed: hh\)/],
      ] as [string, RegExp][]
    ) {
      await assert.rejects(
        runCell({ ...cell, probes: [probe] }, { catalogues: [cat] }),
        (error: Error) => {
          assert.ok(error.message.startsWith(`probe '${probe}': `), error.message);
          assert.match(error.message, why);
          return true;
        },
      );
    }
    const good = await runCell({
      ...cell,
      cvs: 2,
      areaUm2: [100, 100],
      probes: ["v@1", "hh.m@1", "ion:na.e@0"],
    }, {
      catalogues: [cat],
    });
    assert.deepEqual(Object.keys(good.traces), ["v@1", "hh.m@1", "ion:na.e@0"]);
  } finally {
    cat.close();
  }
});

Deno.test("import: a formatter that does not finish is stopped; the module is returned unformatted, with a note", async () => {
  await assert.rejects(formatTypeScript("const a = 1;\n".repeat(20000), 1), /deno fmt did not finish within/);
});

// ---- import (issue 28) ------------------------------------------------------------------------------

/** Runs the importer's main with what it prints captured (tests/support/console.ts). */
async function importer(args: string[]): Promise<{ status: number; errors: string }> {
  const { lines, value } = await printedBy(() => importMain(args));
  return { status: value, errors: lines.map((line) => line + "\n").join("") };
}

Deno.test("import -o: never the input, a folder, a missing folder, a file or link of the user's (without --force)", async () => {
  await withFolder(async (folder) => {
    const input = join(folder, "pas.mod");
    const text = await Deno.readTextFile(join(ROOT, "tests/data/nmodl/passive.mod"));
    await Deno.writeTextFile(input, text);
    const same = await importer([input, "-o", input]);
    assert.equal(same.status, 2, same.errors);
    assert.match(same.errors, /-o .*pas\.mod is the input file/);
    assert.equal(await Deno.readTextFile(input), text, "the .mod file is intact");
    await Deno.mkdir(join(folder, "folder"));
    await Deno.mkdir(join(folder, "folder.ts"));
    const toFolder = await importer([input, "-o", join(folder, "folder")]);
    assert.equal(toFolder.status, 2, toFolder.errors);
    const toTsFolder = await importer([input, "-o", join(folder, "folder.ts")]);
    assert.equal(toTsFolder.status, 1);
    assert.match(toTsFolder.errors, /^refused: .*folder\.ts is a folder/);
    const missing = await importer([input, "-o", join(folder, "missing", "x.ts")]);
    assert.equal(missing.status, 1);
    assert.match(missing.errors, /^cannot write .*x\.ts: the folder .*missing does not exist/);

    const mine = join(folder, "mine.ts");
    await Deno.writeTextFile(mine, "// my module\n");
    const refused = await importer([input, "-o", mine]);
    assert.equal(refused.status, 1);
    assert.match(refused.errors, /^refused: .*mine\.ts exists and denocat did not write it.*--force/);
    assert.equal(await Deno.readTextFile(mine), "// my module\n");
    assert.equal((await importer([input, "-o", mine, "--force"])).status, 0);
    assert.match(await Deno.readTextFile(mine), /by denocat's NMODL importer/);
    // Its own earlier output is replaced without --force.
    const again = await importer([input, "-o", mine]);
    assert.equal(again.status, 0, again.errors);
    assert.match(again.errors, /wrote .*mine\.ts \(class Pas, mechanism "pas"\)/);

    const outside = join(folder, "outside.ts");
    await Deno.writeTextFile(outside, "// outside\n");
    const link = join(folder, "link.ts");
    await Deno.symlink(outside, link);
    const linked = await importer([input, "-o", link]);
    assert.equal(linked.status, 1);
    assert.match(linked.errors, /link\.ts is a symbolic link to .*outside\.ts/);
    assert.equal((await importer([input, "-o", link, "--force"])).status, 0);
    assert.equal(await Deno.readTextFile(outside), "// outside\n", "the link's target is untouched");
    assert.ok(!(await Deno.lstat(link)).isSymlink);
    assert.deepEqual(
      (await Array.fromAsync(Deno.readDir(folder))).map((e) => e.name).filter((n) => n.includes("partial")),
      [],
    );
  });
});

Deno.test("import: a file stem that is no mechanism name is refused up front, naming --name", async () => {
  await withFolder(async (folder) => {
    const input = join(folder, "na-fast.mod");
    await Deno.copyFile(join(ROOT, "tests/data/nmodl/passive.mod"), input);
    const out = join(folder, "na_fast.ts");
    const refused = await importer([input, "-o", out]);
    assert.equal(refused.status, 1);
    assert.match(
      refused.errors,
      /'na-fast' \(the file's stem\) is not an Arbor mechanism name.*--name na_fast/,
    );
    assert.ok(!(await exists(out)));
    const named = await importer([input, "-o", out, "--name", "na_fast"]);
    assert.equal(named.status, 0, named.errors);
    const { default: _, ...module } = await import(out);
    const cat = await catalogue({ mechanisms: Object.values(module) as never[], target: "js" });
    assert.deepEqual([...cat.names], ["na_fast"]);
    cat.close();
  });
});

Deno.test("import: the module imports denocat by a relative path (or jsr:), never this machine's file:// URL", async () => {
  await withFolder(async (folder) => {
    const out = join(folder, "pas.ts");
    assert.equal((await importer([join(ROOT, "tests/data/nmodl/passive.mod"), "-o", out])).status, 0);
    const source = await Deno.readTextFile(out);
    assert.doesNotMatch(source, /file:\/\//);
    const specifier = /\} from "([^"]+)";/.exec(source)![1];
    assert.ok(specifier.startsWith("../"), specifier);
    assert.equal(join(folder, specifier), MOD);
    assert.equal(
      denocatFor("/somewhere/x.ts", "https://jsr.io/@denocat/denocat/0.1.0/mod.ts"),
      "jsr:@denocat/denocat@0.1.0",
    );
  });
});

Deno.test("import: nesting deeper than the parser's limit is refused with file:line:column, not a stack overflow", async () => {
  await withFolder(async (folder) => {
    const wrap = (body: string) =>
      `NEURON { SUFFIX deep NONSPECIFIC_CURRENT i RANGE g }\nPARAMETER { g = 0.001 (S/cm2) }\n` +
      `BREAKPOINT {\n${body}\n}\n`;
    const cases: Record<string, string> = {
      parentheses: `i = g*${"(".repeat(1000)}v${")".repeat(1000)}`,
      minus: `i = g*${"-".repeat(20000)}v`,
      ifs: `i = 0\n${"if (v > 0) {\n".repeat(3000)}i = g*v\n${"}\n".repeat(3000)}`,
      sums: `i = g*(v${" + v".repeat(50000)})`,
    };
    for (const [name, body] of Object.entries(cases)) {
      const input = join(folder, `${name}.mod`);
      await Deno.writeTextFile(input, wrap(body));
      const result = await importer([input, "-o", join(folder, `${name}.ts`)]);
      assert.equal(result.status, 1, `${name}: ${result.errors}`);
      assert.match(
        result.errors,
        new RegExp(`^refused: .*${name}\\.mod:\\d+:\\d+: nesting deeper than ${MAX_NESTING} levels`),
        name,
      );
    }
    // Real files stay far below the limit: 100 levels import.
    const fine = join(folder, "fine.mod");
    await Deno.writeTextFile(fine, wrap(`i = g*${"(".repeat(100)}-v${")".repeat(100)}`));
    const imported = await importer([fine, "-o", join(folder, "fine.ts")]);
    assert.equal(imported.status, 0, imported.errors);
  });
});
