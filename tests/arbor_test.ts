// Arbor through the embedded CPython (arbor/mod.ts, examples/arbor/), in real Arbor: every test that drives
// Arbor runs in a subprocess (tests/support/arbor_child.ts) on each real version this run has
// (tests/support/real_arbor.ts: DENOCAT_ARBOR_SITES, or the arbor this Python imports), and MPI under
// mpirun -n 2 with DENOCAT_ARBOR_MPI_SITE. Without real Arbor these tests are listed as skipped, with one
// line saying how to get it; with DENOCAT_REQUIRE_ARBOR=1 (CI) they fail instead. The version tables are
// tested always.
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { abiForArborVersion, ARBOR_APIS, arborApiForVersion } from "../arbor/mod.ts";
import { catalogue } from "../mod.ts";
import { runCell } from "../host/cell.ts";
import { multiPassive } from "../examples/arbor/multi.ts";
import { ExpSyn } from "../examples/catalogue/expsyn.ts";
import {
  arborEnv,
  type ArborSite,
  mpiSite,
  onNewestArbor,
  perArborVersion,
  realTest,
} from "./support/real_arbor.ts";
import { pythonEnv, pythonExecutable } from "./support/python.ts";
import { denoCommand } from "./support/deno.ts";
import { runDenoProgram } from "./support/subprocess.ts";

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

const CHILD = fileURLToPath(new URL("./support/arbor_child.ts", import.meta.url));
const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

/** Runs tests/support/arbor_child.ts in mode `mode` with the real Arbor of `site`. */
async function child(site: string, mode: string, extra: Record<string, string> = {}) {
  const { code, stdout, stderr } = await runDenoProgram(["--no-lock", CHILD], {
    env: arborEnv(site, { CHILD_MODE: mode, ...extra }),
  });
  const last = stdout.trim().split("\n").at(-1) ?? "";
  return { ok: code === 0, stdout, stderr, report: code === 0 ? JSON.parse(last) : undefined };
}

/** The minor version of a site's label ("0.11" -> 11). */
const minorOf = (site: ArborSite) => Number(site.label.split(".")[1]);
// The host run of the child's network (examples/arbor/multi.ts's `passive`, one CV per cell): a 6 µm
// cylinder of radius 3 µm (113.1 µm²), v0 = 2 mV, leak to gid, 0.1 nA from 10 to 15 ms, detector at 20 mV,
// and an expsyn synapse. Cell 0 gets generator events at 1 and 2 ms (weight 0.01); cell 3 gets no event.
// Real Arbor runs its builtin expsyn, the host the TypeScript port (examples/catalogue/expsyn.ts).
async function hostExpectation(gid: number) {
  const cat = await catalogue({ mechanisms: [multiPassive, ExpSyn] });
  const result = await runCell({
    areaUm2: 2 * Math.PI * 3 * 6,
    vInit: 2,
    ions: {},
    density: [{ mechanism: "passive", params: { gid } }],
    synapses: [{
      mechanism: "expsyn",
      events: gid === 0 ? [{ t: 1, weight: 0.01 }, { t: 2, weight: 0.01 }] : [],
    }],
    iclamps: [{ start: 10, duration: 5, amplitude: 0.1 }],
    detectors: [{ threshold: 20 }],
    probes: ["v"],
    dt: 0.025,
    until: 30,
  }, { catalogues: [cat] });
  const v = result.traces.v;
  return { vEnd: v[v.length - 1], spikes: result.spikes };
}

perArborVersion(
  "helpers: the version's API shape, one cell group, physics against the native host",
  async (site) => {
    const run = await child(site.site, "helpers");
    assert.ok(run.ok, run.stderr);
    const r = run.report;
    const minor = minorOf(site);
    assert.equal(
      r.version.split(".").slice(0, 2).join("."),
      site.label,
      "the site holds the version its label says",
    );
    assert.deepEqual(r.api, ARBOR_APIS[minor as 9 | 10 | 11 | 12]);
    // What the helpers avoid really fails on this version: the other clamp name is missing, the old
    // place() signature and the other units convention are refused.
    assert.equal(r.strict.otherClampMissing, true);
    assert.equal(r.strict.decorHasDiscretization, minor < 11);
    assert.equal(r.strict.wrongClampLabelRefused, true);
    if (minor >= 10) assert.equal(r.strict.wrongUnitsRefused, true);
    assert.equal(r.lateCatalogueAbi, minor < 11 ? "0.6" : "0.7", "layout set before Arbor reads it");
    // Default decomposition: one group of the four one-CV cells, so a hook crosses once per step.
    assert.deepEqual(r.widths, [4]);
    assert.equal(r.crossings, 30 / 0.025);
    // Physics: cells 0 (two generator events) and 3 (none) against the native host to round-off.
    for (const gid of [0, 3]) {
      const host = await hostExpectation(gid);
      assert.ok(Math.abs(r.vEnd[gid] - host.vEnd) < 1e-9, `v(${gid}) ${r.vEnd[gid]} vs host ${host.vEnd}`);
      const spike = r.spikes.find((s: { gid: number }) => s.gid === gid);
      assert.equal(host.spikes.length, 1);
      assert.ok(
        Math.abs(spike.time - host.spikes[0]) < 1e-9,
        `spike of ${gid}: ${spike.time} vs ${host.spikes[0]}`,
      );
    }
    // Cells 1 and 2 get their predecessor's spike 5 ms later through a connection: each still relaxes
    // to its gid by 30 ms, 10 ms after the clamp.
    for (const gid of [1, 2]) assert.ok(Math.abs(r.vEnd[gid] - gid) < 0.05, `v(${gid}) = ${r.vEnd[gid]}`);
    // Every cell's spike, connected or not, on every version (0.12: recorded as local).
    assert.equal(r.spikes.length, 4);
    // Plain spike_recording.all misses the two cells without outgoing connections on 0.12 only.
    assert.equal(r.allSpikes, minor >= 12 ? 2 : 4);
  },
);

perArborVersion(
  "arb.recipe's gapJunctionsOn joins two cells: the unclamped one spikes only when joined",
  async (site) => {
    const [joined, apart] = [
      await child(site.site, "gap-junction:0.05"),
      await child(site.site, "gap-junction:0"),
    ];
    assert.ok(joined.ok, joined.stderr);
    assert.ok(apart.ok, apart.stderr);
    assert.ok(apart.report.spikes[0] >= 1, `the clamped cell spikes: ${JSON.stringify(apart.report)}`);
    assert.equal(apart.report.spikes[1], 0, "with weight 0 the other cell does not spike");
    assert.ok(
      apart.report.vMax[1] < -60,
      `with weight 0 the other cell stays at rest: ${apart.report.vMax[1]}`,
    );
    assert.ok(
      joined.report.spikes[1] >= 1,
      `joined, the other cell spikes too: ${JSON.stringify(joined.report)}`,
    );
  },
);

perArborVersion(
  "a native catalogue runs on 4 Arbor threads like JS on one, and its NaN error reaches TypeScript",
  async (site) => {
    const run = await child(site.site, "native:4");
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
  },
);

for (const how of ["run", "callMethod", "exec", "script"]) {
  onNewestArbor(
    `a hook refused on a worker thread is an error however the run is driven (${how})`,
    async (site) => {
      const run = await child(site.site, `threads:${how}`);
      assert.ok(run.ok, run.stderr);
      assert.match(
        run.report.error ?? "(no error reached TypeScript)",
        // Which hook a worker reaches first varies: real Arbor initialises mechanisms on its threads while
        // it builds the simulation (init), and its pool may also run a task on the calling thread.
        /mechanism 'passive': (init|computeCurrents|advanceState) was called from a thread other than.*arbor\.context\(threads=1\).*native catalogue/,
      );
    },
  );
}

onNewestArbor("a TypeScript hook's error reaches TypeScript as itself, with its stack", async (site) => {
  const run = await child(site.site, "hook-error");
  assert.ok(run.ok, run.stderr);
  assert.equal(run.report.error, "hook failed on purpose");
  assert.match(run.report.stack, /computeCurrents .*arbor_child\.ts/);
  assert.equal(run.report.calls, 10, "no hook ran after the one that threw");
});

onNewestArbor(
  "loadArbor refuses an unknown version unless told the ABI (injected arbor.__version__)",
  async (site) => {
    const unknown = await child(site.site, "helpers", { DENOCAT_INJECT_ARBOR_VERSION: "0.8.1" });
    assert.ok(!unknown.ok);
    assert.match(unknown.stderr, /Arbor 0\.8\.1 is not supported.*loadArbor\(\{ abi/);
    const newer = await child(site.site, "helpers", {
      DENOCAT_INJECT_ARBOR_VERSION: "0.13.0",
      DENOCAT_ABI: "0.7",
    });
    assert.ok(newer.ok, newer.stderr);
    assert.deepEqual(newer.report.api, ARBOR_APIS[12], "a newer Arbor gets the newest row");
  },
);

const scenarios = ["api", "full", "multi", "rand", "inferior_olive", "hh_vs_builtin", "ring_mpi"];
for (const name of scenarios) {
  perArborVersion(`scenario examples/arbor/${name}.ts checks its physics`, async (site) => {
    const run = await child(site.site, `scenario:examples/arbor/${name}.ts`);
    assert.ok(run.ok, run.stderr);
    assert.equal(run.report.version.split(".").slice(0, 2).join("."), site.label);
    console.log(
      `  ${name} (Arbor ${run.report.version}): ${JSON.stringify(run.report.result).slice(0, 200)}`,
    );
  });
}

// MPI: real Open MPI, an Arbor built with it (DENOCAT_ARBOR_MPI_SITE), two ranks.
const mpiMissing = await (async () => {
  if (mpiSite() === undefined) {
    return "no Arbor built with MPI; set DENOCAT_ARBOR_MPI_SITE to its site-packages (docs/install.md)";
  }
  try {
    await new Deno.Command("mpirun", { args: ["--version"], stdout: "null", stderr: "null" }).output();
  } catch {
    return "mpirun is not installed (apt-get install openmpi-bin)";
  }
  return undefined;
})();
const MPIRUN = ["--allow-run-as-root", "--oversubscribe"];

/** `mpirun -n <ranks> <command...>` with the MPI build of Arbor. */
async function mpirun(ranks: number, command: string[], extra: Record<string, string> = {}) {
  const out = await new Deno.Command("mpirun", {
    args: [...MPIRUN, "-n", String(ranks), ...command],
    env: arborEnv(mpiSite()!, extra),
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: out.code, stdout: decode(out.stdout), stderr: decode(out.stderr) };
}

realTest(
  "[Arbor MPI] mpirun -n 2: arb.mpi() initialises once, gathers spikes, and finalises however the program ends",
  mpiMissing,
  async () => {
    for (const how of ["ok", "exit", "throw"]) {
      const run = await mpirun(2, [Deno.execPath(), "run", "-A", "--no-lock", CHILD], {
        CHILD_MODE: `mpi:${how}`,
      });
      if (how === "throw") {
        assert.notEqual(run.code, 0, "an uncaught error still fails the program");
        assert.match(run.stderr, /failed on purpose after MPI was initialised/);
      } else assert.equal(run.code, 0, `mpirun (${how}) exited with ${run.code}: ${run.stderr}`);
      // Open MPI names a rank that exits after MPI_Init without MPI_Finalize.
      assert.doesNotMatch(run.stderr, /without calling .?finalize/i, how);
      const reports = run.stdout.trim().split("\n").filter((l) => l.startsWith("{")).map((l) =>
        JSON.parse(l)
      );
      assert.deepEqual(reports.map((r) => r.rank).sort(), [0, 1], how);
      for (const r of reports) {
        // Each rank simulates two of the four cells; all four spikes arrive through Arbor's MPI gather.
        assert.deepEqual(
          { ...r, rank: 0 },
          { same: true, rank: 0, ranks: 2, spikes: 4, initialised: true },
          how,
        );
      }
    }
  },
);

/** Debian's mpi4py (python3-mpi4py), built for the Open MPI that the MPI build of Arbor uses. */
const MPI4PY = "/usr/lib/python3/dist-packages/mpi4py";
const mpi4pyMissing = mpiMissing ?? (() => {
  try {
    Deno.statSync(MPI4PY);
    return undefined;
  } catch {
    return `${MPI4PY} is missing; apt-get install python3-mpi4py`;
  }
})();

realTest(
  "[Arbor MPI] mpirun -n 2: with mpi4py's MPI_Init first, arb.mpi() joins it and the program ends cleanly",
  mpi4pyMissing,
  async () => {
    // Only mpi4py from dist-packages on the path: a folder with a link to it.
    const dir = await Deno.makeTempDir({ prefix: "denocat-mpi4py-" });
    try {
      await Deno.symlink(MPI4PY, join(dir, "mpi4py"));
      const run = await mpirun(2, [Deno.execPath(), "run", "-A", "--no-lock", CHILD], {
        CHILD_MODE: "mpi:mpi4py",
        PYTHONPATH: `${mpiSite()}:${dir}`,
      });
      assert.equal(run.code, 0, `mpirun exited with ${run.code}: ${run.stderr}`);
      assert.doesNotMatch(run.stderr, /without calling .?finalize/i);
      const reports = run.stdout.trim().split("\n").filter((l) => l.startsWith("{")).map((l) =>
        JSON.parse(l)
      );
      assert.deepEqual(reports.map((r) => r.rank).sort(), [0, 1]);
      for (const r of reports) {
        assert.deepEqual({ ...r, rank: 0 }, {
          same: true,
          rank: 0,
          ranks: 2,
          spikes: 4,
          initialised: true,
        });
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

onNewestArbor("arb.mpi() on an Arbor built without MPI says how to get one", async (site) => {
  const none = await child(site.site, "mpi:ok");
  assert.ok(none.ok, none.stderr);
  assert.match(
    none.report.error,
    /built without MPI \(arbor\.config\(\)\["mpi"\] is False\).*openmpi.*ARB_WITH_MPI=ON/,
  );
});

type Spike = { gid: number; index: number; time: number };
/** The same spikes (cells and order) at times within 1e-9 ms. */
function sameSpikes(actual: Spike[], expected: Spike[], what: string) {
  assert.deepEqual(actual.map((s) => [s.gid, s.index]), expected.map((s) => [s.gid, s.index]), what);
  actual.forEach((s, k) =>
    assert.ok(Math.abs(s.time - expected[k].time) < 1e-9, `${what}: ${s.time} vs ${expected[k].time}`)
  );
}

const RING = fileURLToPath(new URL("../examples/arbor/ring_mpi.ts", import.meta.url));

realTest(
  "[Arbor MPI] ring_mpi.ts gives the same spikes on 1, 2 and 4 ranks, and so does ring_mpi.py with a compiled catalogue",
  mpiMissing,
  async () => {
    const dir = await Deno.makeTempDir({ prefix: "denocat-ring-" });
    try {
      const single = await runDenoProgram(["--no-lock", RING], { env: arborEnv(mpiSite()!) });
      assert.equal(single.code, 0, single.stderr);
      const one = JSON.parse(single.stdout.trim());
      assert.equal(one.ranks, 1);
      for (const n of [2, 4]) {
        const out = await mpirun(n, [Deno.execPath(), "run", "-A", "--no-lock", RING]);
        assert.equal(out.code, 0, `mpirun -n ${n} exited with ${out.code}: ${out.stderr}`);
        const lines = out.stdout.trim().split("\n");
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
      const python = pythonExecutable();
      const plain = await new Deno.Command(python, {
        args: [script, build],
        env: arborEnv(mpiSite()!),
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.ok(plain.success, decode(plain.stderr));
      // Compiled C and live JavaScript round differently in the last bit (docs/compile.md): to 1e-9 ms.
      sameSpikes(JSON.parse(decode(plain.stdout).trim()).spikes, one.spikes, "python3 ring_mpi.py");
      const two = await mpirun(2, [python, script, build, "--threads", "2"]);
      assert.equal(two.code, 0, two.stderr);
      const printed = JSON.parse(two.stdout.trim());
      assert.equal(printed.ranks, 2);
      sameSpikes(printed.spikes, one.spikes, "mpirun -n 2 python3 ring_mpi.py --threads 2");
      // Physics: the ring goes round in order, one delay plus a latency per hop, and the first
      // spike is the host's for the same cell and event.
      const spikes = one.spikes as { gid: number; time: number }[];
      assert.ok(spikes.length >= 8, `${spikes.length} spikes`);
      spikes.forEach((s, k) => {
        assert.equal(s.gid, k % 8);
        if (k > 0) assert.ok(s.time - spikes[k - 1].time > 5, "each hop takes more than the 5 ms delay");
      });
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
);

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

Deno.test("arbor: a folder named arbor on PYTHONPATH is named as what hides Arbor, not an AttributeError", async () => {
  const dir = await Deno.makeTempDir({ prefix: "denocat-fake-arbor-" });
  try {
    await Deno.mkdir(join(dir, "arbor"));
    const code = `import { tryLoadArbor } from "./arbor/mod.ts";
const a = tryLoadArbor();
console.log(a instanceof Error ? a.name + ": " + a.message : "loaded " + a.version);`;
    const out = await denoCommand(["eval", "--ext=ts", "-A", code], {
      cwd: fileURLToPath(new URL("..", import.meta.url)),
      env: { ...pythonEnv(), PYTHONPATH: dir },
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.ok(out.success, decode(out.stderr));
    assert.match(
      decode(out.stdout),
      /^ArborUnavailableError: "import arbor" found .*denocat-fake-arbor-.*which is not Arbor/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
