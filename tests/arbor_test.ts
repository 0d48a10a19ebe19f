// Arbor through the embedded CPython (arbor.ts, examples/arbor/). The scenarios need a real
// Arbor (0.9–0.12) and are skipped, with one line each, when `import arbor` fails. The version
// mapping and the loading logic are tested always, the latter against a stand-in `arbor`
// module in a subprocess.
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { abiForArborVersion, ARBOR_APIS, arborApiForVersion, tryLoadArbor } from "../arbor.ts";
import { catalogue } from "../mod.ts";
import { runCell } from "../live/cell.ts";
import { multiPassive } from "../examples/arbor/multi.ts";

const arb = tryLoadArbor();
const skipReason = arb instanceof Error ? arb.message.split("\n")[0] : undefined;
if (skipReason !== undefined) console.log(`arbor_test: Arbor scenarios skipped: ${skipReason}`);

Deno.test("arbor: versions map to catalogue layouts; others are refused", () => {
  const table: [string, string | undefined][] = [
    ["0.9.0", "0.6"],
    ["0.10.0", "0.6"],
    ["0.10.1", "0.6"],
    ["0.11.0", "0.7"],
    ["0.11.0rc10", "0.7"],
    ["0.12.2", "0.7"],
    ["0.12.0-dev", "0.7"],
    ["0.8.1", undefined],
    ["0.13.0", undefined],
    ["1.0.0", undefined],
    ["garbage", undefined],
  ];
  for (const [version, abi] of table) assert.equal(abiForArborVersion(version), abi, version);
});

const STANDIN = fileURLToPath(new URL("./support/standin_arbor", import.meta.url));
const CHILD = fileURLToPath(new URL("./support/arbor_child.ts", import.meta.url));

/** Runs tests/support/arbor_child.ts against the stand-in arbor of `version`. */
async function child(version: string, mode: string, extra: Record<string, string> = {}) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--no-lock", CHILD],
    env: { PYTHONPATH: STANDIN, DENOCAT_STANDIN_ARBOR: version, CHILD_MODE: mode, ...extra },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(out.stdout), stderr = new TextDecoder().decode(out.stderr);
  return { ok: out.success, stdout, stderr, report: out.success ? JSON.parse(stdout) : undefined };
}

Deno.test("arbor: the API table has one row per version 0.9-0.12; other versions have none", () => {
  assert.equal(arborApiForVersion("0.9.0"), ARBOR_APIS[9]);
  assert.equal(arborApiForVersion("0.10.1"), ARBOR_APIS[10]);
  assert.equal(arborApiForVersion("0.11.0rc10"), ARBOR_APIS[11]);
  assert.equal(arborApiForVersion("0.12.0-dev"), ARBOR_APIS[12]);
  for (const v of ["0.8.1", "0.13.0", "1.0.0", "garbage"]) assert.equal(arborApiForVersion(v), undefined, v);
  // Every version with a catalogue layout has an API row, and the other way round.
  for (const minor of [8, 9, 10, 11, 12, 13]) {
    const version = `0.${minor}.0`;
    assert.equal(
      abiForArborVersion(version) !== undefined,
      arborApiForVersion(version) !== undefined,
      version,
    );
  }
});

// The same host run of examples/arbor/multi.ts's `passive` as the stand-in network: a 6 µm
// cylinder of radius 3 µm (113.1 µm²), v0 = 2 mV, leak to gid, 0.1 nA from 10 to 15 ms,
// detector at 20 mV. The stand-in drives the catalogue through its C interface with the same
// one-CV update, so voltages and spike times must agree to round-off.
async function hostExpectation() {
  const cat = await catalogue({ mechanisms: [multiPassive] });
  const cells = [];
  for (let gid = 0; gid < 4; gid++) {
    const result = await runCell({
      areaUm2: 2 * Math.PI * 3 * 6,
      vInit: 2,
      ions: {},
      density: [{ mechanism: "passive", params: { gid } }],
      iclamps: [{ start: 10, duration: 5, amplitude: 0.1 }],
      detectors: [{ threshold: 20 }],
      probes: ["v"],
      dt: 0.025,
      until: 30,
    }, { catalogues: [cat] });
    const v = result.traces.v;
    cells.push({ vEnd: v[v.length - 1], spikes: result.spikes });
  }
  return cells;
}

for (const version of ["0.9.0", "0.10.0", "0.11.0", "0.12.0-dev"]) {
  Deno.test(`arbor: helpers against a stand-in of Arbor ${version}: shape, one cell group, physics`, async () => {
    const run = await child(version, "helpers");
    assert.ok(run.ok, run.stderr);
    const r = run.report;
    const minor = Number(version.split(".")[1]) as 9 | 10 | 11 | 12;
    assert.deepEqual(r.api, ARBOR_APIS[minor]);
    // The stand-in has exactly this version's shape, so the helpers used the right calls.
    assert.equal(r.strict.otherClampMissing, true);
    assert.equal(r.strict.decorHasDiscretization, minor < 11);
    assert.equal(r.strict.wrongClampLabelRefused, true);
    if (minor >= 10) assert.equal(r.strict.wrongUnitsRefused, true);
    assert.equal(r.lateCatalogueAbi, minor < 11 ? "0.6" : "0.7", "layout set before Arbor reads it");
    assert.deepEqual(r.calls[1], ["context", 1, null, false]);
    // Default decomposition: one group of all four cells, so a hook crosses once per step.
    assert.deepEqual(r.calls[2], ["partition_load_balance", 4, { cable: 4 }]);
    assert.deepEqual(r.calls[3], ["simulation", [[0, 1, 2, 3]]]);
    assert.deepEqual(r.widths, [4]);
    assert.equal(r.crossings, 30 / 0.025);
    // Physics, against the native host running the same mechanism.
    const expected = await hostExpectation();
    expected.forEach((cell, gid) => {
      assert.ok(Math.abs(r.vEnd[gid] - cell.vEnd) < 1e-9, `v(${gid}) ${r.vEnd[gid]} vs host ${cell.vEnd}`);
      assert.ok(Math.abs(cell.vEnd - gid) < 1e-3, `host v(${gid}) = ${cell.vEnd} relaxes to gid`);
      assert.equal(cell.spikes.length, 1);
    });
    // Every cell's spike, connected or not, on every version (0.12: recorded as local).
    assert.equal(r.spikes.length, 4);
    for (const spike of r.spikes) {
      assert.ok(Math.abs(spike.time - expected[spike.gid].spikes[0]) < 1e-9, JSON.stringify(spike));
    }
    // Plain spike_recording.all misses the two cells without outgoing connections on 0.12 only.
    assert.equal(r.allSpikes, minor >= 12 ? 2 : 4);
  });
}

for (const version of ["0.10.0", "0.11.0"]) {
  Deno.test(`arbor: a native catalogue runs on 4 Arbor threads like JS on one, and its NaN error reaches TypeScript (stand-in ${version})`, async () => {
    const run = await child(version, "native:4");
    assert.ok(run.ok, run.stderr);
    const { js, native, error } = run.report;
    assert.equal(js.catalogue, "LiveCatalogue");
    assert.equal(native.catalogue, "NativeCatalogue");
    native.vEnd.forEach((v: number, gid: number) => {
      assert.ok(Math.abs(v - js.vEnd[gid]) <= 1e-9, `v(${gid}): native ${v} vs js ${js.vEnd[gid]}`);
    });
    assert.ok(Math.abs(js.vEnd[3] - 3) < 1e-2, `the leak pulls v(3) towards 3 mV: ${js.vEnd[3]}`);
    assert.match(
      error ?? "(no error)",
      /^mechanism 'passive': current\(\) gave NaN for .* at instance 0 \(CV 0\)/,
    );
  });
}

for (const how of ["run", "callMethod", "exec", "script"]) {
  Deno.test(`arbor: a hook refused on a worker thread is an error however the run is driven (${how})`, async () => {
    const run = await child("0.11.0", `threads:${how}`);
    assert.ok(run.ok, run.stderr);
    assert.match(
      run.report.error ?? "(no error reached TypeScript)",
      /mechanism 'passive': computeCurrents was called from a thread other than.*arbor\.context\(threads=1\).*native catalogue/,
    );
  });
}

Deno.test("arbor: loadArbor refuses unknown versions unless told the ABI (stand-in, subprocess)", async () => {
  const unknown = await child("0.8.1", "helpers");
  assert.ok(!unknown.ok);
  assert.match(unknown.stderr, /Arbor 0\.8\.1 is not supported.*loadArbor\(\{ abi/);
  const newer = await child("0.13.0", "helpers", { DENOCAT_ABI: "0.7" });
  assert.ok(newer.ok, newer.stderr);
  assert.deepEqual(newer.report.api, ARBOR_APIS[12], "a newer Arbor gets the newest row");
});

Deno.test("arbor: arb.mpi() initialises once and finalises once however the program ends (stand-in)", async () => {
  for (const how of ["ok", "exit", "throw"]) {
    const log = await Deno.makeTempFile({ prefix: "denocat-mpi-" });
    try {
      const run = await child("0.11.0", `mpi:${how}`, { DENOCAT_STANDIN_MPI: "1", DENOCAT_STANDIN_LOG: log });
      if (how === "throw") {
        assert.ok(!run.ok, "an uncaught error still fails the program");
        assert.match(run.stderr, /failed on purpose after MPI was initialised/);
      } else assert.ok(run.ok, run.stderr);
      const report = JSON.parse(run.stdout.split("\n")[0]);
      assert.deepEqual(report, { same: true, rank: 0, ranks: 1, spikes: 4, initialised: true });
      assert.deepEqual((await Deno.readTextFile(log)).trim().split("\n"), ["init 0", "finalize 0"], how);
    } finally {
      await Deno.remove(log);
    }
  }
  const none = await child("0.11.0", "mpi:ok");
  assert.ok(none.ok, none.stderr);
  assert.match(
    none.report.error,
    /built without MPI \(arbor\.config\(\)\["mpi"\] is False\).*openmpi.*ARB_WITH_MPI=ON/,
  );
});

const MPI4PY = "/usr/lib/python3/dist-packages/mpi4py";
const mpiSkip = await (async () => {
  try {
    await new Deno.Command("mpirun", { args: ["--version"], stdout: "null", stderr: "null" }).output();
  } catch {
    return "mpirun is not installed (apt-get install openmpi-bin)";
  }
  try {
    await Deno.stat(MPI4PY);
  } catch {
    return `${MPI4PY} is missing (apt-get install python3-mpi4py)`;
  }
  return undefined;
})();
if (mpiSkip) console.log(`arbor_test: mpirun test skipped: ${mpiSkip}`);

Deno.test({
  name: `arbor: mpirun -n 2: two Deno processes gather spikes through real MPI (mpi4py)${
    mpiSkip ? " (skipped)" : ""
  }`,
  ignore: mpiSkip !== undefined,
  fn: async () => {
    // Only mpi4py from Debian's dist-packages: the embedded Python is another build of 3.11.
    const dir = await Deno.makeTempDir({ prefix: "denocat-mpi4py-" });
    const log = join(dir, "log");
    try {
      await Deno.symlink(MPI4PY, join(dir, "mpi4py"));
      const out = await new Deno.Command("mpirun", {
        args: [
          "--allow-run-as-root",
          "--oversubscribe",
          "-n",
          "2",
          Deno.execPath(),
          "run",
          "-A",
          "--no-lock",
          CHILD,
        ],
        env: {
          PYTHONPATH: `${STANDIN}:${dir}`,
          DENOCAT_STANDIN_ARBOR: "0.11.0",
          DENOCAT_STANDIN_MPI: "mpi4py",
          DENOCAT_STANDIN_LOG: log,
          CHILD_MODE: "mpi:ok",
        },
        stdout: "piped",
        stderr: "piped",
      }).output();
      const stdout = new TextDecoder().decode(out.stdout);
      assert.equal(out.code, 0, `mpirun exited with ${out.code}: ${new TextDecoder().decode(out.stderr)}`);
      const reports = stdout.trim().split("\n").map((line) => JSON.parse(line));
      assert.deepEqual(reports.map((r) => r.rank).sort(), [0, 1]);
      for (const r of reports) {
        // Each rank simulates two of the four cells; all four spikes arrive through MPI_Allgather.
        assert.deepEqual({ ...r, rank: 0 }, { same: true, rank: 0, ranks: 2, spikes: 4, initialised: true });
      }
      const lines = (await Deno.readTextFile(log)).trim().split("\n").sort();
      assert.deepEqual(lines, ["finalize 0", "finalize 1", "init 0", "init 1"]);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

const RING = fileURLToPath(new URL("../examples/arbor/ring_mpi.ts", import.meta.url));

Deno.test({
  name:
    `arbor: ring_mpi.ts gives the same spikes on 1, 2 and 4 ranks, and so does ring_mpi.py with a compiled catalogue (stand-in, mpi4py)${
      mpiSkip ? " (skipped)" : ""
    }`,
  ignore: mpiSkip !== undefined,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "denocat-ring-" });
    try {
      await Deno.symlink(MPI4PY, join(dir, "mpi4py"));
      const env = { PYTHONPATH: `${STANDIN}:${dir}`, DENOCAT_STANDIN_ARBOR: "0.11.0" };
      const decode = (b: Uint8Array) => new TextDecoder().decode(b);
      const single = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", "--no-lock", RING],
        env,
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.ok(single.success, decode(single.stderr));
      const one = JSON.parse(decode(single.stdout).trim());
      assert.equal(one.ranks, 1);
      for (const n of [2, 4]) {
        const out = await new Deno.Command("mpirun", {
          args: [
            "--allow-run-as-root",
            "--oversubscribe",
            "-n",
            String(n),
            Deno.execPath(),
            "run",
            "-A",
            "--no-lock",
            RING,
          ],
          env: { ...env, DENOCAT_STANDIN_MPI: "mpi4py" },
          stdout: "piped",
          stderr: "piped",
        }).output();
        assert.equal(out.code, 0, `mpirun -n ${n} exited with ${out.code}: ${decode(out.stderr)}`);
        const lines = decode(out.stdout).trim().split("\n");
        assert.equal(lines.length, 1, "only rank 0 prints");
        const many = JSON.parse(lines[0]);
        assert.equal(many.ranks, n);
        assert.deepEqual(many.spikes, one.spikes, `spikes on ${n} ranks`);
      }
      // The plain Python script with the compiled catalogue (no Deno in the process), 1 rank and
      // 2 ranks x 2 threads: the same spikes as the live TypeScript ring.
      const build = join(dir, "build");
      const compiled = await new Deno.Command(Deno.execPath(), {
        args: [
          "task",
          "catalogue",
          fileURLToPath(new URL("../examples/catalogue/mod.ts", import.meta.url)),
          "-o",
          build,
          "--abi",
          "0.7",
        ],
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.ok(compiled.success, decode(compiled.stderr));
      const script = fileURLToPath(new URL("../examples/arbor/ring_mpi.py", import.meta.url));
      for (
        const launch of [["python3", script, build], [
          "mpirun",
          "--allow-run-as-root",
          "--oversubscribe",
          "-n",
          "2",
          "python3",
          script,
          build,
          "--threads",
          "2",
        ]]
      ) {
        const out = await new Deno.Command(launch[0], {
          args: launch.slice(1),
          env: { ...env, DENOCAT_STANDIN_MPI: "mpi4py" },
          stdout: "piped",
          stderr: "piped",
        }).output();
        assert.equal(out.code, 0, `${launch.join(" ")}: ${decode(out.stderr)}`);
        const printed = JSON.parse(decode(out.stdout).trim());
        assert.equal(printed.ranks, launch[0] === "mpirun" ? 2 : 1);
        assert.deepEqual(printed.spikes, one.spikes, launch.join(" "));
      }
      // Physics: the ring goes round in order, one delay plus a latency per hop, and the first
      // spike is the host's for the same cell and event.
      const spikes = one.spikes as { gid: number; time: number }[];
      assert.ok(spikes.length >= 8, `${spikes.length} spikes`);
      spikes.forEach((s, k) => {
        assert.equal(s.gid, k % 8);
        if (k > 0) assert.ok(s.time - spikes[k - 1].time > 5, "each hop takes more than the 5 ms delay");
      });
      const { ExpSyn } = await import("../examples/catalogue/expsyn.ts");
      const { HH } = await import("../examples/hh.ts");
      const host = await runCell({
        areaUm2: 2 * Math.PI * 3 * 6,
        vInit: -65,
        ions: "neuron",
        density: [{ mechanism: "hh" }],
        synapses: [{ mechanism: "expsyn", events: [{ t: 1, weight: 0.01 }] }],
        detectors: [{ threshold: -10 }],
        probes: ["v"],
        dt: 0.025,
        until: 6,
      }, { catalogues: [await catalogue({ mechanisms: [HH, ExpSyn] })] });
      assert.equal(host.spikes.length, 1);
      assert.ok(
        Math.abs(spikes[0].time - host.spikes[0]) < 1e-9,
        `${spikes[0].time} vs host ${host.spikes[0]}`,
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("arbor: the scenarios' host expectations (no Arbor needed) are physical", async () => {
  const hh = await (await import("../examples/arbor/hh_vs_builtin.ts")).expected();
  assert.ok(hh.length >= 1, "the clamped hh cell spikes on the host");
  assert.ok(hh[0] > 10 && hh[0] < 12, `first spike at ${hh[0]} ms, during the 10-12 ms clamp`);
  const full = await (await import("../examples/arbor/full.ts")).expected();
  assert.ok(Math.abs(full) < 1e-10, `full: the leak pulls v to 0 (${full})`);
  const multi = await (await import("../examples/arbor/multi.ts")).expected();
  multi.forEach((v, gid) =>
    assert.ok(Math.abs(v - gid) < 1e-6, `multi: cell ${gid} relaxes to its gid (${v})`)
  );
});

const scenarios: [string, string][] = [
  ["api", "../examples/arbor/api.ts"],
  ["full", "../examples/arbor/full.ts"],
  ["multi", "../examples/arbor/multi.ts"],
  ["rand", "../examples/arbor/rand.ts"],
  ["inferior_olive", "../examples/arbor/inferior_olive.ts"],
  ["hh_vs_builtin", "../examples/arbor/hh_vs_builtin.ts"],
  ["ring_mpi (one rank)", "../examples/arbor/ring_mpi.ts"],
];

for (const [name, path] of scenarios) {
  Deno.test({
    name: `arbor: scenario ${name}${skipReason ? " (skipped: arbor is not importable)" : ""}`,
    ignore: skipReason !== undefined,
    fn: async () => {
      const module = await import(path);
      const result = await module.main();
      assert.ok(result !== undefined, `${name} was skipped although arbor imports`);
      console.log(`  ${name} (Arbor ${(arb as { version: string }).version}): ${JSON.stringify(result)}`);
    },
  });
}

Deno.test({
  name: `arbor: a TS hook error, or a refused worker-thread call, reaches TypeScript (real Arbor)${
    skipReason ? " (skipped)" : ""
  }`,
  ignore: skipReason !== undefined,
  fn: async () => {
    const { defineMechanism } = await import("../mod.ts");
    const { cableCell, cylinders, labels } = await import("../examples/arbor/common.ts");
    const a = arb as Exclude<typeof arb, Error>;
    const failure = new Error("hook failed on purpose");
    let calls = 0;
    const mech = defineMechanism({ name: "failing" }, {
      computeCurrents() {
        if (++calls === 10) throw failure;
      },
    });
    const cat = await catalogue({ mechanisms: [mech], abi: a.abi });
    const props = a.call("neuron_cable_properties");
    a.extendCatalogue(props, cat, "");
    const tree = cylinders(a, [1]);
    const labelDict = labels(a, { soma: "(tag 1)" });
    const recipe = a.recipe({
      numCells: 8,
      cellDescription: () =>
        cableCell(a, tree, a.decor().paint('"soma"', a.call("density", "failing")), labelDict),
      globalProperties: props,
    });
    assert.throws(() => a.run(a.simulation(recipe), 5), (e: unknown) => e === failure);
    calls = -1e9; // never throw from the hook again
    // Two threads, eight groups: Arbor's workers call the hook, the calls are refused, and the
    // error reaches TypeScript however the run is driven.
    const threaded = () =>
      a.simulation(recipe, { context: a.context({ threads: 2 }), decomposition: { cellsPerGroup: 1 } });
    const refused = /mechanism 'failing': computeCurrents was called from a thread other than.*threads=1/;
    assert.throws(() => a.run(threaded(), 5), refused);
    const ms = (v: number) => a.q(v, "ms");
    assert.throws(() => threaded().callMethod("run", ms(5), ms(0.025)), refused);
    assert.throws(
      () => a.py.exec("sim.run(t, dt)", a.py.toPython({ sim: threaded(), t: ms(5), dt: ms(0.025) })),
      refused,
    );
  },
});
