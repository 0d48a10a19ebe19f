// Arbor's own catalogue files against Arbor's builtins: every .mod file of Arbor's default, allen
// and bbp catalogues (46 files; the stochastic catalogue is not part of it) is imported with
// denocat's importer (nmodl/mod.ts) and run in real Arbor 0.11 and 0.12 side by side with the
// builtin Arbor compiled from the same file (`hh`, `allen::NaV`, `bbp::CaDynamics_E2`, ...): ONE
// simulation per Arbor version and per denocat target (js, native, compiled), with every
// mechanism in it (tests/support/modcc_child.ts, without modcc: the builtin is the reference). A
// trace matches when at every sample |a − b| / max(|a|, |b|, 1e-3 · max |a|) ≤ 1e-9 (compareTraces);
// both cells must spike at the same times (≤ 1e-9 ms), each mechanism must act in the run
// (exercised()), and the two mechanism_infos must agree (INFO_DIFFERENCES pins where they differ).
//
// The files come from Arbor's source and are not part of this repository nor of the prebuilt Arbor archives: set
// DENOCAT_ARBOR_MECHANISMS to the `mechanisms` folder of an Arbor checkout (HOW_TO_GET_FILES).
// Without it the test is listed as skipped, also under DENOCAT_REQUIRE_ARBOR=1 (CI has no Arbor
// source); with it, a missing Arbor skips (or under DENOCAT_REQUIRE_ARBOR=1 fails) as every
// real-Arbor test does.
//
// REFUSED pins the files the importer refuses today (the test fails when one imports: flip its
// line); KNOWN_DIFFERENCES the files that do not match, each with the measured cause and a bound
// derived from it. A summary table (file, targets, versions, worst difference) goes to stderr.
import assert from "node:assert/strict";
import { basename, join } from "node:path";
import { importNmodl } from "../nmodl/mod.ts";
import { compileCatalogue } from "../mod.ts";
import {
  type CaseReport,
  type ChildCase,
  infoDifferences,
  type ProbeDifference,
  runModccChild,
} from "./support/modcc_child.ts";
import { NAV_STATES, navLinearSystem, solveExactly, worstRelative } from "./support/nav_linear.ts";
import { arborSites, noArbor, realTest } from "./support/real_arbor.ts";

/** The catalogues of the 46 files (folders of Arbor's `mechanisms`), and the builtins' prefixes. */
const CATALOGUES = { default: "", allen: "allen::", bbp: "bbp::" } as const;
type CatalogueName = keyof typeof CATALOGUES;
const FILE_COUNT = 46;
const VERSIONS = ["0.11", "0.12"];
const TARGETS = ["js", "native", "compiled"] as const;
type Target = typeof TARGETS[number];
/** The largest relative difference (compareTraces) a matching trace may have. */
const TOLERANCE = 1e-9;
/** The largest difference of a spike time (ms) in matching cells (measured: up to 1.6e-13). */
const SPIKE_TOLERANCE = 1e-9;
const TFINAL = 40, DT = 0.025;
/** DENOCAT_VERBOSE=1 prints every mechanism's spikes and the range of each probe. */
const VERBOSE = Deno.env.get("DENOCAT_VERBOSE") === "1";

const HOW_TO_GET_FILES = "DENOCAT_ARBOR_MECHANISMS is not set; to run it, fetch Arbor's source " +
  "(git clone https://github.com/arbor-sim/arbor), `git archive HEAD mechanisms | tar -x -C /tmp/arbor-src` " +
  "and set DENOCAT_ARBOR_MECHANISMS=/tmp/arbor-src/mechanisms";

/** Files the importer refuses today, with the reason (its message, after file:line:column, says so). */
const REFUSED: Record<string, string> = {};

/**
 * Files imported here but compared with their builtins in tests/diffusive_arbor_test.ts (on the same
 * versions and targets): their cells need an ion that diffuses, bound to the mechanism's ion x.
 */
const COMPARED_IN_DIFFUSIVE_TEST = new Set([
  "default/decay.mod",
  "default/inject.mod",
  "default/inject_norm_amount.mod",
  "default/inject_norm_concentration.mod",
]);

/**
 * Builtins painted beside a mechanism so that it is exercised: a calcium current (bbp's Ca_HVA) for
 * the calcium shells, and a calcium current and shell for the calcium-activated K channels.
 */
const CALCIUM = { mechanism: "bbp::Ca_HVA", parameters: { gCa_HVAbar: 0.002 } };
const SHELL = { mechanism: "bbp::CaDynamics_E2", parameters: {} };
const EXTRAS: Record<string, ChildCase["extras"]> = {
  "allen/CaDynamics.mod": [CALCIUM],
  "bbp/CaDynamics_E2.mod": [CALCIUM],
  "allen/SK.mod": [CALCIUM, SHELL],
  "bbp/SK_E2.mod": [CALCIUM, SHELL],
};

/**
 * Files whose import does not match the builtin: the cause, and a check of it on the run's own
 * traces that returns the bound the cause gives (and failures when the cause is not the one stated).
 */
const KNOWN_DIFFERENCES: Record<string, { cause: string; check(result: CaseReport): KnownCheck }> = {
  // NaV's initial state comes from its LINEAR block. denocat's import solves it exactly (to 1e-12
  // of the rational solution of tests/support/nav_linear.ts); the builtin, modcc's compiled solve
  // of the same twelve equations, is off by 3.1e-9 relative on Arbor 0.11 and 9.6e-10 on 0.12
  // (I5 and I6 at t = 0). The spikes amplify that about 440-fold: measured 1.35e-6 in v on 0.11
  // and 4.24e-7 on 0.12. Nothing else separates the two cells: the import, edited to start from
  // the builtin's t = 0 state instead of solving (a one-off experiment, not part of this test),
  // matched to 1.1e-12 in v on 0.11 and 1.3e-11 on 0.12. The bound follows that cause, as in
  // tests/scheme_ports_arbor_test.ts for the hand port: 1e-8 + 2000 × the builtin's distance from
  // the exact initial state.
  "allen/NaV.mod": {
    cause: "the builtin's initial state (modcc's solve of the LINEAR block) is a few 1e-9 from exact",
    check(result) {
      const failures: string[] = [];
      const first = (probe: string) => {
        const p = result.probes.find((x) => x.probe === probe && x.reference === "builtin");
        if (p === undefined) throw new Error(`allen/NaV.mod: no probe ${probe}`);
        return p.first;
      };
      const [v0, qt] = [first("v")[1], first("qt")[1]];
      if (v0 !== -65 || first("v")[0] !== -65) failures.push(`allen/NaV.mod: v at t = 0 is ${first("v")}`);
      const exact = solveExactly(navLinearSystem(v0, qt).A, navLinearSystem(v0, qt).r);
      const importToExact = worstRelative(NAV_STATES.map((s) => first(s)[1]), exact);
      const builtinToExact = worstRelative(NAV_STATES.map((s) => first(s)[0]), exact);
      if (!(importToExact <= 1e-12)) {
        failures.push(`allen/NaV.mod: the import's initial state is ${importToExact} from the exact one`);
      }
      if (!(builtinToExact <= 1e-8)) {
        failures.push(`allen/NaV.mod: the builtin's initial state is ${builtinToExact} from the exact one`);
      }
      // Spike times: measured 2.8e-9 ms on 0.11 and 8.7e-10 ms on 0.12, about the initial distance in ms.
      return {
        bound: 1e-8 + 2000 * builtinToExact,
        spikeBound: 1e-9 + 10 * builtinToExact,
        note: `initial state from exact: import ${importToExact.toExponential(1)}, builtin ${
          builtinToExact.toExponential(1)
        }`,
        failures,
      };
    },
  },
};

/**
 * STATEs that Arbor's files set once in INITIAL (a temperature factor, exp2syn's normalisation):
 * constant traces. Every other STATE must vary in the run.
 */
const SET_IN_INITIAL = new Set(["qt", "q10", "factor"]);

/**
 * Whether the mechanism acted in the run (one that did nothing would match its builtin too), one
 * failure per finding: every STATE but those of SET_IN_INITIAL varies; the gap junction makes its
 * unclamped partner spike (as often in both builds); the voltage processes hold v at their
 * defaults (v_clamp's v0 -60 mV, v_limit's v_low -70 and v_high 20 mV).
 */
function exercised(result: CaseReport): string[] {
  const failures: string[] = [];
  const probes = result.probes.filter((p) => p.reference === "builtin" && p.compared === "denocat");
  for (const p of probes) {
    if (p.probe !== "v" && !SET_IN_INITIAL.has(p.probe) && !(p.range[0] < p.range[1])) {
      failures.push(`STATE ${p.probe} is constant (${p.range[0]}): the cell does not exercise the mechanism`);
    }
  }
  const v = probes.find((p) => p.probe === "v")!.range;
  if (result.id === "default/gj.mod") {
    const peer = result.peerSpikes ?? {};
    if (!(peer.builtin > 0) || peer.denocat !== peer.builtin) {
      failures.push(`the junction's partner cell spikes ${JSON.stringify(peer)}: expected > 0 and equal`);
    }
  } else if (result.id === "default/v_clamp.mod" && v[1] !== -60) {
    failures.push(`v reaches ${v[1]} mV: v_clamp holds it at -60`);
  } else if (result.id === "default/v_limit.mod" && (v[0] !== -70 || v[1] !== 20)) {
    failures.push(`v spans [${v}] mV: v_limit bounds it to [-70, 20] and the spikes reach both`);
  }
  return failures;
}

/**
 * Where the mechanism_info of the builtin and the import differ (tests/modcc_test.ts pins the same
 * for modcc's builds): the importer never sets `isLinear` (docs/nmodl.md), which modcc sets for
 * mechanisms linear in their STATEs, and for a reversal potential writer (nernst) modcc also marks
 * the reversal potential read. Parameters, globals, defaults, ranges, units, ions and STATEs agree.
 */
const INFO_DIFFERENCES: Record<string, string[]> = Object.fromEntries([
  ...[
    "default/exp2syn.mod",
    "default/expsyn.mod",
    "default/expsyn_curr.mod",
    "default/gj.mod",
    "default/pas.mod",
    "default/v_clamp.mod",
    "default/v_limit.mod",
  ].map((file) => [file, ["linear true / false"]]),
  ["default/nernst.mod", ["ion x read_rev_pot true / false", "linear true / false"]],
]);

/** The largest difference of a spike time (ms) between the builtin's and the import's cell. */
function spikeDifference(result: CaseReport): number {
  const { builtin, denocat } = result.spikeTimes;
  return Math.max(0, ...denocat.map((t, k) => Math.abs(t - (builtin[k] ?? Infinity))));
}

/** What a known difference's check found. */
interface KnownCheck {
  bound: number;
  /** The bound of the spike times (ms). */
  spikeBound: number;
  note: string;
  failures: string[];
}

const folder = Deno.env.get("DENOCAT_ARBOR_MECHANISMS");

/** The 46 files, as "catalogue/file.mod", sorted by catalogue then name. */
function catalogueFiles(root: string): string[] {
  const files: string[] = [];
  for (const name of Object.keys(CATALOGUES)) {
    const dir = join(root, name);
    let entries: string[];
    try {
      entries = [...Deno.readDirSync(dir)].filter((e) => e.name.endsWith(".mod")).map((e) => e.name);
    } catch {
      throw new Error(
        `DENOCAT_ARBOR_MECHANISMS=${root} has no folder ${name}: point it at Arbor's 'mechanisms'`,
      );
    }
    files.push(...entries.sort().map((e) => `${name}/${e}`));
  }
  return files;
}

/** One file's results: the worst difference against the builtin per (version, target). */
interface FileResult {
  file: string;
  refused?: string;
  /** Imported here, compared in another test (which). */
  elsewhere?: string;
  runs: {
    version: string;
    target: Target;
    worst: ProbeDifference;
    spikes: Record<string, number>;
    /** The largest difference of a spike time (ms). */
    spikeShift?: number;
  }[];
}
const results = new Map<string, FileResult>();

/** Imports every file into `tmp/ts` and compiles them into one catalogue; the cases for the child. */
async function prepare(root: string, tmp: string) {
  const files = catalogueFiles(root);
  assert.equal(
    files.length,
    FILE_COUNT,
    `Arbor's default, allen and bbp catalogues hold ${FILE_COUNT} files`,
  );
  const modules = join(tmp, "ts");
  await Deno.mkdir(modules, { recursive: true });
  const cases: ChildCase[] = [];
  const failures: string[] = [];
  for (const file of files) {
    const [cat, base] = file.split("/") as [CatalogueName, string];
    const stem = basename(base, ".mod");
    // denocat's names are unique across the three catalogues (allen and bbp both have Ca_HVA, Ih, Im).
    const name = `${cat}_${stem}`;
    const text = await Deno.readTextFile(join(root, file));
    results.set(file, { file, runs: [] });
    let imported;
    try {
      imported = await importNmodl(text, { file, name, format: false });
    } catch (error) {
      const message = (error as Error).message;
      if (file in REFUSED) {
        if (!message.includes(REFUSED[file])) {
          failures.push(`${file}: refused for another reason: ${message}`);
        }
        results.get(file)!.refused = REFUSED[file];
      } else {
        failures.push(`${file}: refused: ${message}`);
      }
      continue;
    }
    if (file in REFUSED) failures.push(`${file} imports now: remove it from REFUSED`);
    if (COMPARED_IN_DIFFUSIVE_TEST.has(file)) {
      results.get(file)!.elsewhere = "imports; run against the builtin in tests/diffusive_arbor_test.ts";
      continue;
    }
    const module = join(modules, `${name}.ts`);
    await Deno.writeTextFile(module, imported.source);
    cases.push({
      id: file,
      name,
      module,
      className: imported.className,
      builtin: `${CATALOGUES[cat]}${stem}`,
      extras: EXTRAS[file],
      // Arbor's hh is every other cell's background channel; its own cells have only it.
      background: file !== "default/hh.mod",
    });
  }
  assert.deepEqual(failures, [], "the import of Arbor's catalogue files");
  const index = join(modules, "index.ts");
  await Deno.writeTextFile(index, cases.map((c) => `import "./${basename(c.module)}";\n`).join(""));
  const compiled = await compileCatalogue(index, {
    out: join(tmp, "compiled"),
    abi: "0.7",
    name: "arbor_files",
  });
  assert.equal(compiled.mechanisms.length, cases.length, "the compiled catalogue holds every import");
  return { cases, compiledLibrary: compiled.libraries[0].path };
}

let prepared: Promise<{ cases: ChildCase[]; compiledLibrary: string }> | undefined;
let tmp: string | undefined;

const describe = (p: ProbeDifference) =>
  `${p.probe} ${p.maxRelative.toExponential(2)} (abs ${p.maxAbsolute.toExponential(2)} at ${
    p.at.toFixed(3)
  } ms: ` +
  `builtin ${p.values[0]}, denocat ${p.values[1]}; peak ${p.peak.toPrecision(4)})`;

/** The summary table, on stderr. */
function printTable() {
  const rows = [...results.values()].map((r) => {
    if (r.refused !== undefined) return [r.file, "refused", "", r.refused];
    if (r.elsewhere !== undefined) return [r.file, "imported", "", r.elsewhere];
    const versions = [...new Set(r.runs.map((x) => x.version))].join(" ");
    const targets = [...new Set(r.runs.map((x) => x.target))].join(" ");
    const worst = r.runs.reduce<ProbeDifference | undefined>(
      (w, x) => (w === undefined || x.worst.maxRelative > w.maxRelative ? x.worst : w),
      undefined,
    );
    const where = r.runs.find((x) => x.worst === worst);
    const shift = Math.max(0, ...r.runs.map((x) => x.spikeShift ?? Infinity));
    const spikes = r.runs.every((x) => Object.values(x.spikes).every((n) => n === x.spikes.builtin))
      ? `spikes ${r.runs[0]?.spikes.builtin ?? "-"} (times ±${shift.toExponential(1)} ms)`
      : "SPIKES DIFFER";
    return [
      r.file,
      targets,
      versions,
      worst === undefined
        ? "not run"
        : `${worst.maxRelative.toExponential(2)} ${worst.probe} [${where!.target} ${where!.version}], ` +
          spikes +
          (r.file in KNOWN_DIFFERENCES ? `; known difference: ${KNOWN_DIFFERENCES[r.file].cause}` : ""),
    ];
  });
  const header = ["file", "targets", "versions", "worst relative difference to the builtin"];
  const widths = header.map((h, k) => Math.max(h.length, ...rows.map((r) => r[k].length)));
  const line = (r: string[]) => r.map((x, k) => x.padEnd(widths[k])).join("  ").trimEnd();
  const matched =
    [...results.values()].filter((r) =>
      r.runs.length > 0 && r.runs.every((x) => x.worst.maxRelative <= TOLERANCE)
    ).length;
  console.error(
    ["Arbor's catalogue files against their builtins:", line(header), ...rows.map(line)].join("\n") +
      `\n${results.size} files: ${[...results.values()].filter((r) => r.refused).length} refused, ` +
      `${COMPARED_IN_DIFFUSIVE_TEST.size} imported and compared in tests/diffusive_arbor_test.ts, ` +
      `${matched} within ${TOLERANCE} on every run (2 versions × 3 targets), ` +
      `${Object.keys(KNOWN_DIFFERENCES).length} known difference(s)`,
  );
}

const title =
  "Arbor's 46 default, allen and bbp catalogue files import and match their builtins on js, native, compiled";

if (folder === undefined || folder === "") {
  // Not a real-Arbor skip: the sources are not in the prebuilt Arbor archives, so DENOCAT_REQUIRE_ARBOR does
  // not require them.
  Deno.test({
    name: `[Arbor] ${title} (skipped: DENOCAT_ARBOR_MECHANISMS is not set)`,
    ignore: true,
    fn() {},
  });
  globalThis.addEventListener(
    "unload",
    () => console.log(`arbor_catalogue_test skipped: ${HOW_TO_GET_FILES}`),
  );
} else {
  const sites = arborSites();
  const noSites = noArbor();
  const last = VERSIONS.filter((v) => sites.some((s) => s.label === v)).at(-1);
  for (const version of VERSIONS) {
    const site = sites.find((s) => s.label === version);
    const missing = noSites ??
      (site === undefined ? `no Arbor ${version} in DENOCAT_ARBOR_SITES` : undefined);
    realTest(`[Arbor ${version}] ${title}`, missing, async () => {
      tmp ??= await Deno.makeTempDir({ prefix: "denocat-arbor-catalogue-" });
      prepared ??= prepare(folder, tmp);
      const { cases, compiledLibrary } = await prepared;
      const failures: string[] = [];
      for (const target of TARGETS) {
        const started = performance.now();
        const report = await runModccChild(site!.site, `${site!.label}-${target}`, {
          target,
          compiledLibrary: target === "compiled" ? compiledLibrary : undefined,
          cases,
          tfinal: TFINAL,
          dt: DT,
        }, tmp);
        console.log(
          `  Arbor ${report.arbor}, ${target}: ${report.cases.length} mechanisms in one simulation, Arbor part ` +
            `${report.seconds.toFixed(1)} s, child ${((performance.now() - started) / 1000).toFixed(1)} s`,
        );
        for (const result of report.cases) {
          const probes = result.probes.filter((p) => p.reference === "builtin" && p.compared === "denocat");
          assert.ok(probes.length >= 1, `${result.id}: no probe compared`);
          const worst = probes.reduce((w, p) => (p.maxRelative > w.maxRelative ? p : w));
          results.get(result.id)!.runs.push({ version, target, worst, spikes: result.spikes });
          const known = KNOWN_DIFFERENCES[result.id]?.check(result);
          const bound = known?.bound ?? TOLERANCE;
          if (known !== undefined) {
            failures.push(...known.failures);
            console.log(
              `  known difference, ${result.id} [${target}]: worst ${worst.maxRelative.toExponential(2)} ` +
                `(${worst.probe}), bound ${bound.toExponential(2)}; ${known.note}`,
            );
          }
          for (const p of probes) {
            if (p.maxRelative > bound) failures.push(`${result.id} [${target} ${version}] ${describe(p)}`);
          }
          const spikeShift = spikeDifference(result);
          results.get(result.id)!.runs.at(-1)!.spikeShift = spikeShift;
          const spikeBound = known?.spikeBound ?? SPIKE_TOLERANCE;
          if (result.spikes.denocat !== result.spikes.builtin) {
            failures.push(`${result.id} [${target} ${version}]: spikes ${JSON.stringify(result.spikes)}`);
          } else if (!(spikeShift <= spikeBound)) {
            failures.push(
              `${result.id} [${target} ${version}]: spike times differ by up to ${spikeShift} ms`,
            );
          }
          const info = infoDifferences(result.info.builtin, result.info.denocat, ["builtin", "denocat"]);
          const expected = INFO_DIFFERENCES[result.id] ?? [];
          if (JSON.stringify(info) !== JSON.stringify(expected)) {
            failures.push(
              `${result.id} [${target} ${version}]: mechanism_info builtin / denocat ${
                JSON.stringify(info)
              }, ` +
                `pinned ${JSON.stringify(expected)} (INFO_DIFFERENCES)`,
            );
          }
          if (VERBOSE) {
            console.log(
              `  ${result.id} [${target}]: spikes ${JSON.stringify(result.spikes)}, ranges ` +
                probes.map((p) => `${p.probe} [${p.range}]`).join(", "),
            );
          }
          failures.push(...exercised(result).map((f) => `${result.id} [${target} ${version}]: ${f}`));
          const missingStates = Object.values(result.onlyIn).flat();
          if (missingStates.length > 0) {
            failures.push(`${result.id}: STATEs of only one build: ${JSON.stringify(result.onlyIn)}`);
          }
        }
      }
      for (const [file, known] of Object.entries(KNOWN_DIFFERENCES)) {
        const runs = results.get(file)!.runs.filter((r) => r.version === version);
        if (runs.every((r) => r.worst.maxRelative <= TOLERANCE)) {
          failures.push(
            `${file} matches now on Arbor ${version}: remove it from KNOWN_DIFFERENCES (${known.cause})`,
          );
        }
      }
      if (version === last) printTable();
      assert.deepEqual(failures, []);
    });
  }
  globalThis.addEventListener("unload", () => {
    if (tmp !== undefined) Deno.removeSync(tmp, { recursive: true });
  });
}
