// The denocat command (cli/mod.ts): `denocat run` of Python scripts (tests/support/cli/probe.py and
// examples/python) in real Arbor, `denocat compile`, `denocat import`, `denocat inspect`,
// `denocat cache`, exit codes, and `deno install -g` of the command. Every run is a fresh process,
// as for a user.
//
// Real Arbor comes from tests/support/real_arbor.ts. What depends on the catalogue layout or runs
// mechanisms in Arbor runs once per real version present (0.9 reads the layout "0.6", 0.11 and 0.12
// read "0.7"); what does not (sys.argv, exit codes) runs in the newest. Without Arbor those tests are
// listed as skipped (under DENOCAT_REQUIRE_ARBOR=1 they fail); the commands that never import arbor
// (help, usage errors, compile, import, cache, install) run always.
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { denoCommand } from "./support/deno.ts";
import { arborEnv, type ArborSite, onNewestArbor, perArborVersion } from "./support/real_arbor.ts";
import { type ProgramResult, ROOT, runDenoProgram } from "./support/subprocess.ts";
import { compileCatalogue } from "../catalogue/compiled.ts";
import { runCell } from "../host/cell.ts";
import { catalogue } from "../mod.ts";
import { ExampleMech } from "../examples/pycat/example_mech.ts";
import { Passive } from "../examples/pycat/passive.ts";

const CLI = fileURLToPath(new URL("../cli/mod.ts", import.meta.url));
const PROBE = "tests/support/cli/probe.py";
const PASSIVE = "examples/pycat/passive.ts";
const BOOM = "tests/support/cli/boom.ts";

interface Run extends ProgramResult {
  /** The JSON of the line "result {...}" the scripts print, if any. */
  result?: Record<string, unknown>;
}

/** Runs the command; `env` is added to this process's (`arborEnv(site)` for a run in real Arbor). */
async function denocat(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const run = await runDenoProgram([CLI, ...args], { env });
  const line = run.stdout.split("\n").find((l) => l.startsWith("result "));
  return { ...run, result: line === undefined ? undefined : JSON.parse(line.slice(7)) };
}

/** `denocat run ...` in the real Arbor of `site`. */
const inArbor = (site: ArborSite, args: string[]): Promise<Run> =>
  denocat(["run", ...args], arborEnv(site.site));

/** The catalogue layout each Arbor version reads (docs/arbor.md): written out, not asked of denocat. */
const LAYOUTS: Record<string, "0.6" | "0.7"> = { "0.9": "0.6", "0.10": "0.6", "0.11": "0.7", "0.12": "0.7" };

function layoutOf(site: ArborSite): "0.6" | "0.7" {
  const layout = LAYOUTS[site.label];
  if (layout === undefined) throw new Error(`no known catalogue layout for Arbor ${site.label}`);
  return layout;
}

const packageVersion = JSON.parse(await Deno.readTextFile(join(ROOT, "deno.json"))).version as string;

Deno.test("cli: --version, help and usage errors (exit codes 0 and 2)", async () => {
  const version = await denocat(["--version"]);
  assert.equal(version.code, 0);
  assert.equal(version.stdout.trim(), `denocat ${packageVersion}`);
  const help = await denocat(["--help"]);
  assert.equal(help.code, 0);
  for (const command of ["run", "compile", "import", "inspect", "cache"]) {
    assert.match(help.stdout, new RegExp(`\\n  ${command} `));
  }
  const runHelp = await denocat(["run", "--help"]);
  assert.equal(runHelp.code, 0);
  assert.match(runHelp.stdout, /^usage: denocat run /);
  const inspectHelp = await denocat(["inspect", "--help"]);
  assert.equal(inspectHelp.code, 0);
  assert.match(inspectHelp.stdout, /^usage: denocat inspect <module\.ts \| file\.mod>\.\.\. \[options\]/);
  const compileHelp = await denocat(["compile", "-h"]);
  assert.equal(compileHelp.code, 0);
  assert.match(compileHelp.stdout, /^usage: denocat compile <module\.ts>/);
  for (
    const [args, message] of [
      [[], /usage: denocat <command>/],
      [["frobnicate"], /unknown command 'frobnicate'/],
      [["run"], /give the TypeScript module and the Python script/],
      [["run", PASSIVE], /give the TypeScript module and the Python script/],
      [["run", "--threads", "2", PASSIVE, PROBE], /unknown option --threads/],
      [["run", "script.py", "mechanisms.ts"], /script\.py is not a TypeScript or JavaScript module/],
      [["compile"], /usage: denocat compile/],
      [["compile", "a.ts", "--abi", "0.8"], /--abi must be 0\.6, 0\.7 or both/],
      [
        ["inspect"],
        /give the module \(\.ts\) or NMODL file \(\.mod\) of a mechanism\nusage: denocat inspect/,
      ],
      [["inspect", PASSIVE, "--from", "10", "--to", "-10"], /voltage: from = 10 mV is above to = -10 mV/],
      [["inspect", PASSIVE, "--step", "0"], /voltage\.step must be greater than 0 mV/],
      [
        ["inspect", PASSIVE, "--set", "activation.hold=100ms"],
        /activation\.hold: "100ms" is a time, but activation\.hold is a voltage/,
      ],
      [
        ["inspect", PASSIVE, "--set", "ramp.slope=1"],
        /protocol ramp has no parameter 'slope'; it has hold, peak/,
      ],
      [["inspect", PASSIVE, "--protocols", "activation,iv"], /unknown protocol 'iv'/],
      [["inspect", PASSIVE, "--temperature", "300mV"], /temperature: "300mV" is a voltage/],
    ] as [string[], RegExp][]
  ) {
    const run = await denocat(args);
    assert.equal(run.code, 2, `${args.join(" ")}: ${run.stderr}`);
    assert.match(run.stderr, message, args.join(" "));
  }
});

onNewestArbor(
  "cli: run gives the script sys.argv, __main__, __file__ and its folder on sys.path",
  async (site) => {
    // "-h" and "--target" after the script are the script's own arguments.
    const run = await inArbor(site, [PASSIVE, PROBE, "argv", "-h", "--target", "x"]);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(run.result, {
      argv: [PROBE, "argv", "-h", "--target", "x"],
      name: "__main__",
      file: join(ROOT, PROBE), // absolute, as python3 (3.9+) makes it; argv[0] stays as given
      path0: join(ROOT, "tests/support/cli"),
      helper: "tests/support/cli/helper.py",
      main_is_this: true,
    });
  },
);

perArborVersion(
  "cli: denocat.catalogue() and build() load one catalogue in the layout of the script's arbor",
  async (site) => {
    const run = await inArbor(site, [PASSIVE, PROBE, "catalogue"]);
    assert.equal(run.code, 0, run.stderr);
    assert.ok(run.result, run.stdout);
    const { version, ...rest } = run.result;
    assert.ok((version as string).startsWith(`${site.label}.`), `the script imported Arbor ${version}`);
    assert.deepEqual(rest, {
      same: true,
      has: [true],
      mechanisms: ["passive"],
      layout: layoutOf(site),
      loads: 1,
    });
  },
);

onNewestArbor(
  "cli: an Arbor without a known layout raises denocat.AbiError inside the script; abi= overrides",
  async (site) => {
    // An injected fault: no real Arbor has an unknown version, so probe.py sets arbor.__version__ to
    // "0.13.0" in the real Arbor process before denocat reads it.
    const run = await inArbor(site, [PASSIVE, PROBE, "abi", "0.13.0"]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(
      run.result!.first as string,
      /^Arbor 0\.13\.0 has no catalogue layout .* denocat\.catalogue\(abi="0\.7"\)/,
    );
    assert.match(run.result!.wrong as string, /abi='0\.8'\): use "0\.6" .* or "0\.7"/);
    assert.equal(run.result!.layout, "0.7");
  },
  // The fault is injected into the newest Arbor, whose Python API is the one denocat gives a version
  // newer than it knows (ARBOR_APIS's newest row, 0.12): 0.11 or 0.9 dressed up as 0.13 would be
  // refused for lacking that API, not for its layout.
  (site) =>
    site.label === "0.12" ? undefined : "no Arbor 0.12 (the newest Arbor is the one to inject 0.13.0 into)",
);

perArborVersion(
  "cli: an abi= that contradicts the version of the script's arbor is refused",
  async (site) => {
    // A known version read in the other layout would be misread silently: refused, nothing loaded.
    const [layout, other] = layoutOf(site) === "0.6" ? ["0.6", "0.7"] : ["0.7", "0.6"];
    const wrong = await inArbor(site, [PASSIVE, PROBE, "abi-wrong", other]);
    assert.equal(wrong.code, 0, wrong.stderr);
    assert.match(
      wrong.result!.caught as string,
      new RegExp(
        `abi="${other}"\\): Arbor ${site.label.replace(".", "\\.")}\\.\\S+ reads the layout "${layout}"`,
      ),
    );
    assert.equal(wrong.result!.layout, null, "nothing was loaded");
  },
);

perArborVersion(
  "cli: a hook error is a denocat.MechanismError in the script, with the TypeScript stack",
  async (site) => {
    const caught = await inArbor(site, [BOOM, PROBE, "hook-error-caught"]);
    assert.equal(caught.code, 0, caught.stderr);
    const text = caught.result!.caught as string;
    assert.match(
      text,
      /^mechanism 'boom': computeCurrents failed:\nError: boom: compute_currents refuses to run\n/,
    );
    assert.match(text, /at explode \(file:\/\/.*\/tests\/support\/cli\/boom\.ts:\d+:\d+\)/);
    assert.match(text, /at Boom\.computeCurrents \(file:\/\/.*boom\.ts:\d+:\d+\)/);
    assert.doesNotMatch(text, /live\/catalogue\.ts|python\/mod\.ts/, "denocat's own frames are cut");
    assert.equal(caught.result!.type, "denocat.MechanismError");
    assert.equal(caught.result!.is_denocat_error, true);
    // 0.1 ms at dt 0.025 ms: Arbor samples 4 times (0, 0.025, 0.05, 0.075 ms).
    assert.match(caught.stdout, /ran again 4/, "the catalogue runs again after the error was raised");
    // Not caught: Python's traceback ends at the Arbor call that ran the hook, and the exit code is 1.
    const uncaught = await inArbor(site, [BOOM, PROBE, "hook-error"]);
    assert.equal(uncaught.code, 1);
    assert.match(
      uncaught.stderr,
      /^Traceback \(most recent call last\):\n {2}File "\/.*\/tests\/support\/cli\/probe\.py"/,
    );
    assert.match(uncaught.stderr, /sim\.run\(q\(tfinal, "ms"\), q\(dt, "ms"\)\)/);
    assert.match(
      uncaught.stderr,
      /denocat\.MechanismError: mechanism 'boom': computeCurrents failed:\nError: boom/,
    );
    assert.match(uncaught.stderr, /at explode \(file:\/\/.*boom\.ts/);
    assert.doesNotMatch(uncaught.stderr, /in run\n|_execute/, "the runner's frames are not the user's");
    assert.doesNotMatch(uncaught.stdout, /ran again/);
  },
);

perArborVersion(
  "cli: a failure no guarded Arbor call raised is printed when the script ends, exit code 1",
  async (site) => {
    const run = await inArbor(site, [BOOM, PROBE, "late-failure"]);
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stdout, /script finished/);
    assert.match(
      run.stderr,
      /^denocat\.MechanismError: mechanism 'boom_init': init failed:\nError: boom_init: init refuses to run\n/,
    );
  },
);

perArborVersion(
  "cli: more than one thread raises inside the script (denocat.context, and arbor.context at run)",
  async (site) => {
    const refused = await inArbor(site, [PASSIVE, PROBE, "threads-denocat"]);
    assert.equal(refused.code, 0, refused.stderr);
    assert.match(
      refused.result!.caught as string,
      /^denocat\.context\(threads=2\): the mechanisms passive run as JavaScript/,
    );
    assert.equal(refused.result!.value_error, true);
    // 16 one-cell groups on arbor.context(threads=2): Arbor's worker thread calls the mechanism.
    const arbor = await inArbor(site, [PASSIVE, PROBE, "threads-arbor"]);
    assert.equal(arbor.code, 0, arbor.stderr);
    assert.equal(typeof arbor.result!.caught, "string", "no call was refused: did Arbor use one thread?");
    assert.match(
      arbor.result!.caught as string,
      /^mechanism 'passive': \w+ was called from a thread other than/,
    );
  },
);

onNewestArbor(
  "cli: exit codes: sys.exit(n) is n, an uncaught Python error is 1 with Python's traceback",
  async (site) => {
    const exit = await inArbor(site, [PASSIVE, PROBE, "exit", "3"]);
    assert.equal(exit.code, 3, exit.stderr);
    assert.match(exit.stdout, /exiting with 3/, "the script's output is flushed before the exit");
    const raised = await inArbor(site, [PASSIVE, PROBE, "raise"]);
    const source = (await Deno.readTextFile(join(ROOT, PROBE))).split("\n");
    const line = source.findIndex((l) => l.includes("raise ValueError(")) + 1;
    assert.equal(raised.code, 1);
    assert.equal(
      raised.stderr,
      `Traceback (most recent call last):\n  File "${join(ROOT, PROBE)}", line ${line}, in <module>\n` +
        `    raise ValueError("a plain Python error in " + mode)\nValueError: a plain Python error in raise\n`,
    );
  },
);

Deno.test("cli: exit code 1 for a missing script and for a module without mechanisms", async () => {
  // Both fail before the script would import arbor: no Arbor needed.
  const noScript = await denocat(["run", PASSIVE, "tests/support/cli/missing.py"]);
  assert.equal(noScript.code, 1);
  assert.match(noScript.stderr, /no Python script at tests\/support\/cli\/missing\.py/);
  const noMechanism = await denocat(["run", "tests/support/cli/empty.ts", PROBE, "argv"]);
  assert.equal(noMechanism.code, 1);
  assert.match(noMechanism.stderr, /empty\.ts declared no @mechanism class for this denocat .*mod\.ts\)/);
});

perArborVersion(
  "cli: examples/python/passive.py relaxes with Arbor's implicit Euler and a 1 ms time constant",
  async (site) => {
    const run = await inArbor(site, [PASSIVE, "examples/python/passive.py", "5"]);
    assert.equal(run.code, 0, run.stderr);
    const { t, v, expected } = run.result as { t: number; v: number; expected: number };
    assert.ok(Math.abs(t - 4.975) < 1e-9, `t = ${t}`);
    assert.ok(
      Math.abs(v - expected) < 1e-9 * Math.abs(expected),
      `Arbor ${site.label}: v = ${v}, expected ${expected}`,
    );
    assert.ok(v > -1 && v < -0.1, `v = ${v} relaxed most of the way to 0 mV`);
  },
);

perArborVersion("cli: examples/python/hh.py fires once after every stimulus of custom_hh", async (site) => {
  const run = await inArbor(site, [
    "examples/pycat/custom_hh.ts",
    "examples/python/hh.py",
    "--tfinal",
    "250",
  ]);
  assert.equal(run.code, 0, run.stderr);
  const spikes = run.result!.spikes as number[];
  assert.equal(spikes.length, 2, JSON.stringify(spikes));
  assert.ok(spikes[0] > 95 && spikes[0] < 100, `${spikes[0]}`);
  assert.ok(Math.abs(spikes[1] - spikes[0] - 100) < 1e-6, `${spikes}: the same response 100 ms later`);
  assert.ok((run.result!.v_max as number) > 20, "a real action potential");
});

perArborVersion(
  "cli: examples/python/example_mech.py (ExampleMech + Passive) agrees with the native host",
  async (site) => {
    const run = await inArbor(site, ["examples/python/mechanisms.ts", "examples/python/example_mech.py"]);
    assert.equal(run.code, 0, run.stderr);
    const { t, v } = run.result as { t: number[]; v: number[] };
    const host = await runCell({
      areaUm2: 2 * Math.PI * 3 * 6,
      ions: "neuron",
      density: [{ mechanism: "example" }, { mechanism: "passive" }],
      probes: ["v"],
      dt: 0.025,
      until: 10,
    }, { catalogues: [await catalogue({ mechanisms: [ExampleMech, Passive] })] });
    assert.equal(t.length, host.time.length);
    for (let k = 0; k < t.length; k++) {
      assert.ok(Math.abs(t[k] - host.time[k]) < 1e-12, `t[${k}]`);
      assert.ok(Math.abs(v[k] - host.traces.v[k]) < 1e-9, `v(${t[k]}) = ${v[k]}, host ${host.traces.v[k]}`);
    }
    assert.ok(v.some((x) => x !== v[0]), "the voltage moves");
  },
);

Deno.test("cli: inspect writes SVG figures and CSV or JSON data, and prints the largest difference per curve", async () => {
  const dir = await Deno.makeTempDir({ prefix: "denocat-cli-inspect-" });
  try {
    const out = join(dir, "nats");
    const compared = await denocat([
      "inspect",
      "examples/allen/NaTs.mod",
      "examples/allen/nats.ts",
      "--temperature",
      "34",
      "--protocols",
      "activation",
      "--param",
      "gbar=0.01",
      "-o",
      out,
    ]);
    assert.equal(compared.code, 0, compared.stderr);
    assert.match(
      compared.stdout,
      /largest differences of NaTs \(nats\.ts\) from NaTs \(NaTs\.mod\):\n {2}m steady state /,
    );
    assert.match(
      compared.stdout,
      /wrote 6 files into .*nats: gating\.svg, activation\.svg, gating\.csv, curves\.csv, traces\.csv, differences\.csv/,
    );
    assert.doesNotMatch(compared.stderr, /DEP0040|punycode/);
    const gating = await Deno.readTextFile(join(out, "gating.csv"));
    assert.match(
      gating,
      /^mechanism,state,method,V \(mV\),steady state \(1\),tau \(ms\)\nNaTs \(NaTs\.mod\),m,exact,-100,/,
    );
    assert.match(await Deno.readTextFile(join(out, "activation.svg")), /^<svg/);
    const json = await denocat([
      "inspect",
      PASSIVE,
      "--format",
      "json",
      "--no-figures",
      "--protocols",
      "activation",
      "-o",
      out,
    ]);
    assert.equal(json.code, 0, json.stderr);
    const data = JSON.parse(await Deno.readTextFile(join(out, "inspect.json")));
    assert.deepEqual(data.tables.curves.columns, [
      "mechanism",
      "protocol",
      "measure",
      "x",
      "V (mV)",
      "I (mA/cm2)",
      "fraction (1)",
    ]);
    const missing = await denocat(["inspect", "examples/allen/missing.mod"]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^denocat inspect: no NMODL file at .*missing\.mod/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cli: cache lists the cache folder and clean --older-than removes unused native builds", async () => {
  const root = await Deno.makeTempDir({ prefix: "denocat-cli-cache-" });
  try {
    const native = join(root, packageVersion, "x86_64-linux-gnu", "native");
    await Deno.mkdir(native, { recursive: true });
    const library = join(native, "0123456789abcdef0123456789abcdef_abi07.so");
    await Deno.writeFile(library, new Uint8Array(1500));
    await Deno.writeTextFile(library.replace(/\.so$/, ".c"), "/* source */");
    const env = { DENOCAT_CACHE: root };
    const list = await denocat(["cache"], env);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, new RegExp(`denocat cache: ${root}`));
    assert.match(list.stdout, /\(this version\): 0 downloads \(0 B\), 1 native build \(1\.5 kB\)/);
    const recent = await denocat(["cache", "clean", "--older-than", "30"], env);
    assert.equal(recent.code, 0, recent.stderr);
    assert.match(recent.stdout, /removed 0 native builds/);
    const longAgo = new Date(Date.now() - 60 * 86_400_000);
    await Deno.utime(library, longAgo, longAgo);
    const old = await denocat(["cache", "clean", "--older-than", "30"], env);
    assert.equal(old.code, 0, old.stderr);
    assert.match(old.stdout, /removed 1 native build \(1\.5 kB\)/);
    assert.deepEqual([...Deno.readDirSync(native)], [], "the library and its C source are gone");
    for (const args of [["cache", "clean", "--older-than", "soon"], ["cache", "prune"]]) {
      const bad = await denocat(args, env);
      assert.equal(bad.code, 2, `${args.join(" ")}: ${bad.stderr}`);
      assert.match(bad.stderr, /^denocat cache: (--older-than needs a number|unknown cache action 'prune')/);
      assert.match(bad.stderr, /usage: denocat cache/);
    }
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("cli: compile -o naming an existing file fails before anything is compiled", async () => {
  const dir = await Deno.makeTempDir({ prefix: "denocat-cli-" });
  try {
    const file = join(dir, "taken");
    await Deno.writeTextFile(file, "a file\n");
    // A compiler that cannot run: reaching it would fail with a compiler error instead.
    await assert.rejects(
      compileCatalogue("./examples/catalogue/pas.ts", { out: file, compiler: [join(dir, "no-such-cc")] }),
      /the output .*taken is a file, not a folder: -o names the folder/,
    );
    const command = await denocat(["compile", "examples/catalogue/pas.ts", "-o", file]);
    assert.equal(command.code, 1);
    assert.match(command.stderr, /^error: the output .*taken is a file, not a folder/);
    assert.equal(await Deno.readTextFile(file), "a file\n", "the file is untouched");
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["taken"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cli: deno install -g puts a working denocat command into a folder", async () => {
  const root = await Deno.makeTempDir({ prefix: "denocat-install-" });
  try {
    const install = await denoCommand(
      // --cached-only: no network; deno test has cached the whole graph before the tests run.
      ["install", "-g", "-A", "--cached-only", "--root", root, "-n", "denocat", CLI],
      { cwd: ROOT, stdout: "piped", stderr: "piped" },
    ).output();
    const installLog = new TextDecoder().decode(install.stderr);
    assert.ok(install.success, installLog);
    const command = join(root, "bin", Deno.build.os === "windows" ? "denocat.cmd" : "denocat");
    assert.ok((await Deno.stat(command)).isFile, installLog);
    const help = await new Deno.Command(command, {
      args: ["--help"],
      env: { PATH: `${join(Deno.execPath(), "..")}:${Deno.env.get("PATH") ?? ""}` },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stdout = new TextDecoder().decode(help.stdout);
    assert.equal(help.code, 0, new TextDecoder().decode(help.stderr));
    assert.match(stdout, /^usage: denocat <command>/);
    assert.match(stdout, /\n {2}run <mechanisms\.ts> <script\.py>/);
    // The installed command inspects a module of the checkout (data only: --cached-only leaves the
    // npm packages of the figures, which a first run with network would fetch, out of reach).
    const out = join(root, "pas");
    const inspected = await new Deno.Command(command, {
      args: [
        "inspect",
        join(ROOT, PASSIVE),
        "--no-figures",
        "--no-gating",
        "--protocols",
        "activation",
        "-o",
        out,
      ],
      env: { PATH: `${join(Deno.execPath(), "..")}:${Deno.env.get("PATH") ?? ""}` },
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(inspected.code, 0, new TextDecoder().decode(inspected.stderr));
    assert.match(
      await Deno.readTextFile(join(out, "curves.csv")),
      /^mechanism,protocol,measure,x,V \(mV\),I \(mA\/cm2\)/,
    );
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
