// Arbor's modcc as the oracle of NMODL semantics. Every .mod file of tests/data/nmodl and of the
// Debian corpus (tests/support/nmodl_corpus.ts) goes to both translators: the real modcc (Arbor
// 0.11's, DENOCAT_ARBOR_BIN) and denocat's importer (nmodl/mod.ts). The files both accept are built
// into ONE catalogue with arbor-build-catalogue and imported into TypeScript modules, and
// tests/support/modcc_child.ts runs them side by side in ONE real Arbor 0.11 simulation per denocat
// target ("js" and "native"): a cell per mechanism and per build, the membrane voltage and every
// STATE both builds declare probed each step. A trace matches when, at every sample,
// |a − b| / max(|a|, |b|, 1e-3 · max |a| over the modcc trace) ≤ 1e-9, and both cells spike alike.
//
// Files modcc refuses only for declarations NEURON accepts and Arbor's dialect forbids (`v`,
// `celsius`, ion variables or currents in ASSIGNED, a current in RANGE) are compared too, after
// removing those declarations for modcc only (normaliseForModcc; denocat imports the file as
// written). Where a file has the same equations as an Arbor builtin (BUILTINS) its import is also
// compared with the builtin. Every other file is listed with the reason one side refuses it;
// EXPECTED pins each file's outcome, KNOWN_DIFFERENCES the compared files that do not match, and
// INFO_DIFFERENCES where the two builds' mechanism_info differ.
import assert from "node:assert/strict";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { importNmodl, type ImportResult } from "../nmodl/mod.ts";
import { infoDifferences, runModccChild } from "./support/modcc_child.ts";
import { buildWithModcc, modccBuild, realTest } from "./support/real_arbor.ts";
import { corpusFiles } from "./support/nmodl_corpus.ts";

const DATA = "tests/data/nmodl";
const ROOT = fileURLToPath(new URL("..", import.meta.url));
/** The largest relative difference (see the top of this file) a matching trace may have. */
const TOLERANCE = 1e-9;
const TARGETS = ["js", "native"] as const;
/** DENOCAT_VERBOSE=1 prints every probe's difference, not only those above the tolerance. */
const VERBOSE = Deno.env.get("DENOCAT_VERBOSE") === "1";

type Outcome =
  | "compared" // both accept the file as written
  | "compared after normalising" // modcc accepts it once NEURON-only declarations are removed
  | "refused by modcc" // denocat imports it, modcc refuses it (also after normalising)
  | "refused by denocat" // modcc accepts it, denocat refuses it
  | "refused by both";

/** The outcome of every file (tests/data/nmodl by relative path, the corpus by absolute path). */
const EXPECTED: Record<string, Outcome> = {
  // tests/data/nmodl (python3-nmodl's four examples are copies: same outcomes below).
  [`${DATA}/bind2.mod`]: "compared",
  [`${DATA}/bpderiv.mod`]: "compared",
  [`${DATA}/cachan.mod`]: "compared",
  [`${DATA}/cadecay.mod`]: "compared",
  [`${DATA}/complin.mod`]: "compared",
  [`${DATA}/compnl.mod`]: "compared",
  [`${DATA}/direct.mod`]: "compared",
  [`${DATA}/eulerleak.mod`]: "refused by modcc",
  [`${DATA}/exp2syn.mod`]: "refused by modcc",
  [`${DATA}/expsyn.mod`]: "compared after normalising",
  [`${DATA}/hh.mod`]: "refused by modcc",
  [`${DATA}/initonly.mod`]: "compared",
  [`${DATA}/kin3.mod`]: "compared",
  [`${DATA}/lifreset.mod`]: "compared",
  [`${DATA}/lin3.mod`]: "compared",
  [`${DATA}/linbp.mod`]: "compared",
  [`${DATA}/nainst.mod`]: "compared",
  [`${DATA}/napslow.mod`]: "compared",
  [`${DATA}/nonlinear.mod`]: "compared",
  [`${DATA}/passive.mod`]: "compared after normalising",
  [`${DATA}/postsyn.mod`]: "compared",
  [`${DATA}/reversal.mod`]: "compared",
  [`${DATA}/sigleak.mod`]: "compared",
  [`${DATA}/statebp.mod`]: "compared",
  [`${DATA}/vwindow.mod`]: "compared",
  // Debian's neuron demos.
  "/usr/share/nrn/demo/release/cabpump.mod": "refused by both",
  "/usr/share/nrn/demo/release/cachan1.mod": "refused by modcc",
  "/usr/share/nrn/demo/release/camchan.mod": "refused by modcc",
  "/usr/share/nrn/demo/release/capump.mod": "refused by both",
  "/usr/share/nrn/demo/release/invlfire.mod": "refused by both",
  "/usr/share/nrn/demo/release/khhchan.mod": "refused by modcc",
  "/usr/share/nrn/demo/release/mcna.mod": "refused by both",
  "/usr/share/nrn/demo/release/nacaex.mod": "refused by both",
  "/usr/share/nrn/demo/release/nachan.mod": "refused by modcc",
  "/usr/share/nrn/demo/release/release.mod": "refused by both",
  // python3-nmodl's examples.
  "/usr/lib/python3/dist-packages/nmodl/ext/example/exp2syn.mod": "refused by modcc",
  "/usr/lib/python3/dist-packages/nmodl/ext/example/expsyn.mod": "compared after normalising",
  "/usr/lib/python3/dist-packages/nmodl/ext/example/hh.mod": "refused by modcc",
  "/usr/lib/python3/dist-packages/nmodl/ext/example/passive.mod": "compared after normalising",
};

/** Compared files whose import differs from modcc's build: the measured difference and the cause. */
const KNOWN_DIFFERENCES: Record<string, { measured: number; cause: string }> = {};

/**
 * Where the mechanism_info of modcc's build and denocat's import differ (units compared without
 * spaces: modcc writes "S / cm2"). denocat's importer never sets `isLinear` (docs/nmodl.md), which
 * modcc sets for mechanisms linear in their STATEs; for a reversal potential writer modcc also
 * marks the reversal potential read.
 */
const INFO_DIFFERENCES: Record<string, string[]> = {
  [`${DATA}/bind2.mod`]: [],
  [`${DATA}/bpderiv.mod`]: [],
  [`${DATA}/cachan.mod`]: [],
  [`${DATA}/cadecay.mod`]: [],
  [`${DATA}/complin.mod`]: [],
  [`${DATA}/compnl.mod`]: [],
  [`${DATA}/direct.mod`]: [],
  [`${DATA}/expsyn.mod`]: ["linear true / false"],
  [`${DATA}/initonly.mod`]: ["linear true / false"],
  [`${DATA}/kin3.mod`]: [],
  [`${DATA}/lifreset.mod`]: ["linear true / false"],
  [`${DATA}/lin3.mod`]: [],
  [`${DATA}/linbp.mod`]: [],
  [`${DATA}/nainst.mod`]: [],
  [`${DATA}/napslow.mod`]: [],
  [`${DATA}/nonlinear.mod`]: ["linear true / false"],
  [`${DATA}/passive.mod`]: ["linear true / false"],
  [`${DATA}/postsyn.mod`]: [],
  [`${DATA}/reversal.mod`]: ["ion x read_rev_pot true / false", "linear true / false"],
  [`${DATA}/sigleak.mod`]: ["linear true / false"],
  [`${DATA}/statebp.mod`]: [],
  [`${DATA}/vwindow.mod`]: [],
};

/**
 * Arbor builtins with the same equations as a file: Arbor's `pas` (its `e` is GLOBAL, the file's
 * RANGE), `expsyn` (default tau 2 ms, the file's 0.1 ms) and `nernst` (`zx` for `z`); the builtin
 * gets the file's defaults, and the run checks that it has every parameter, the same STATEs and ions.
 * hh.mod and exp2syn.mod are not Arbor's files (vtrap and a q10 computed in a PROCEDURE; a clamp of
 * tau1 in INITIAL), and modcc refuses both, so they are compared with neither.
 */
const BUILTINS: Record<string, string> = {
  [`${DATA}/passive.mod`]: "pas",
  [`${DATA}/expsyn.mod`]: "expsyn",
  [`${DATA}/reversal.mod`]: "nernst",
};

/** The 0.11 site and the modcc that builds for it (DENOCAT_ARBOR_BIN). */
const { site, bin, missing } = modccBuild();

const decoder = new TextDecoder();
/** modcc colours its messages even into a pipe. */
const ANSI_COLOUR = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, "g");
const oneLine = (text: string) =>
  text.replace(ANSI_COLOUR, "").replace(/Please report this error.*$/s, "").replace(/\s+/g, " ").trim();

/** The mechanism's name as modcc 0.11 gives it: the SUFFIX or POINT_PROCESS (else the file's stem). */
function mechanismName(text: string, file: string): string {
  const neuron = /\bNEURON\s*\{([^}]*)\}/.exec(text);
  const declared = neuron && /\b(?:SUFFIX|POINT_PROCESS|ARTIFICIAL_CELL)\s+(\w+)/.exec(neuron[1]);
  return declared ? declared[1] : basename(file, ".mod");
}

/**
 * The file without the declarations NEURON accepts and modcc refuses, none of which changes the
 * model: `v`, `celsius` and the NEURON block's ion variables and currents (USEION READ/WRITE,
 * NONSPECIFIC_CURRENT) declared again in ASSIGNED, and those currents listed in RANGE.
 */
function normaliseForModcc(text: string): { text: string; removed: string[] } {
  const neuron = /\bNEURON\s*\{([^}]*)\}/.exec(text);
  if (neuron === null) return { text, removed: [] };
  const names = new Set(["v", "celsius"]);
  for (const m of neuron[1].matchAll(/\bUSEION\s+\w+((?:\s+(?:READ|WRITE)\s+\w+(?:\s*,\s*\w+)*)*)/g)) {
    for (const word of m[1].match(/\w+/g) ?? []) if (word !== "READ" && word !== "WRITE") names.add(word);
  }
  const currents = new Set<string>();
  for (const m of neuron[1].matchAll(/\bNONSPECIFIC_CURRENT\s+(\w+(?:[ \t]*,[ \t]*\w+)*)/g)) {
    for (const word of m[1].match(/\w+/g) ?? []) names.add(word), currents.add(word);
  }
  const removed = new Set<string>();
  const block = neuron[1].replace(/\bRANGE[ \t]+(\w+(?:[ \t]*,[ \t]*\w+)*)/g, (all, list: string) => {
    const kept = list.split(",").map((w) => w.trim()).filter((w) => {
      if (!currents.has(w)) return true;
      removed.add(`RANGE ${w}`);
      return false;
    });
    return kept.length === 0 ? "" : kept.length === list.split(",").length ? all : `RANGE ${kept.join(", ")}`;
  });
  let out = text.slice(0, neuron.index) + `NEURON {${block}}` + text.slice(neuron.index + neuron[0].length);
  out = out.replace(/\bASSIGNED\s*\{([^}]*)\}/g, (_all, body: string) => {
    const kept = body.replace(/\b(\w+)\b(\s*\([^)]*\))?/g, (decl, name: string) => {
      if (!names.has(name)) return decl;
      removed.add(`ASSIGNED ${name}`);
      return "";
    });
    return `ASSIGNED {${kept}}`;
  });
  return { text: out, removed: [...removed] };
}

/**
 * modcc's verdict on `path`: undefined when it translates it, else its message on one line, with
 * the path shown as `label` and without the "error trace" summary line.
 */
async function modcc(path: string, label: string, out: string): Promise<string | undefined> {
  await Deno.mkdir(out, { recursive: true });
  const result = await new Deno.Command(join(bin!, "modcc"), {
    args: ["-t", "cpu", "-N", "arb", "-c", "probe", "-o", out, path],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (result.success) return undefined;
  return oneLine(decoder.decode(result.stdout) + decoder.decode(result.stderr))
    .replace(/\s*error trace: \* \S+:\(line 1,col 1\) There were \d+ errors in the semantic analysis/, "")
    .replace(/error trace: \* /g, "error: ")
    .replaceAll(path, label);
}

/** What happened to one distinct file (the files with its text share it). */
interface Entry {
  files: string[];
  text: string;
  name: string;
  imported?: ImportResult;
  denocatRefusal?: string;
  modccRefusal?: string;
  /** The normalised text modcc accepted, and what was removed; or why modcc still refuses it. */
  normalised?: { text: string; removed: string[] };
  normalisedRefusal?: string;
  outcome: Outcome;
}

/** The files: tests/data/nmodl, then the corpus when it is installed. */
function allFiles(): { files: string[]; corpusMissing?: string } {
  const data = [...Deno.readDirSync(join(ROOT, DATA))]
    .filter((e) => e.name.endsWith(".mod"))
    .map((e) => `${DATA}/${e.name}`)
    .sort();
  const corpus = corpusFiles();
  return { files: [...data, ...corpus.files], corpusMissing: corpus.missing };
}

async function classify(files: string[], tmp: string): Promise<Entry[]> {
  const entries: Entry[] = [];
  for (const file of files) {
    const text = await Deno.readTextFile(file.startsWith("/") ? file : join(ROOT, file));
    const same = entries.find((e) => e.text === text);
    if (same !== undefined) {
      same.files.push(file);
      continue;
    }
    const name = mechanismName(text, file);
    const entry: Entry = { files: [file], text, name, outcome: "refused by both" };
    try {
      entry.imported = await importNmodl(text, { file, name, format: false });
    } catch (error) {
      entry.denocatRefusal = oneLine((error as Error).message);
    }
    const scratch = join(tmp, "modcc-check", String(entries.length));
    entry.modccRefusal = await modcc(file.startsWith("/") ? file : join(ROOT, file), file, scratch);
    if (entry.modccRefusal !== undefined) {
      const normalised = normaliseForModcc(text);
      if (normalised.removed.length > 0) {
        const path = join(scratch, `${name}.mod`);
        await Deno.writeTextFile(path, normalised.text);
        entry.normalisedRefusal = await modcc(path, `${file} (normalised)`, join(scratch, "out"));
        if (entry.normalisedRefusal === undefined) entry.normalised = normalised;
      }
    }
    const modccAccepts = entry.modccRefusal === undefined || entry.normalised !== undefined;
    entry.outcome = entry.imported !== undefined
      ? (modccAccepts
        ? (entry.modccRefusal === undefined ? "compared" : "compared after normalising")
        : "refused by modcc")
      : (modccAccepts ? "refused by denocat" : "refused by both");
    entries.push(entry);
  }
  return entries;
}

/** arbor-build-catalogue of the compared files, each as `<name>.mod` (modcc 0.11 requires it). */
async function buildModccCatalogue(compared: Entry[], tmp: string): Promise<string> {
  const mods = join(tmp, "mods");
  await Deno.mkdir(mods, { recursive: true });
  for (const entry of compared) {
    await Deno.writeTextFile(join(mods, `${entry.name}.mod`), entry.normalised?.text ?? entry.text);
  }
  return await buildWithModcc(mods, tmp);
}

realTest(
  "modcc: denocat's NMODL import runs as modcc's build of the same files in Arbor 0.11",
  missing,
  async () => {
    const started = performance.now();
    const tmp = await Deno.makeTempDir({ prefix: "denocat-modcc-" });
    try {
      const { files: all, corpusMissing } = allFiles();
      const entries = await classify(all, tmp);
      const compared = entries.filter((e) => e.outcome.startsWith("compared"));
      const names = compared.map((e) => e.name);
      assert.equal(new Set(names).size, names.length, `two compared files have one mechanism name: ${names}`);

      // The listing: every file with its outcome and the reason.
      console.log("modcc vs denocat, file by file:");
      for (const entry of entries) {
        const why = entry.outcome === "compared"
          ? ""
          : entry.outcome === "compared after normalising"
          ? `modcc needs ${entry.normalised!.removed.join(", ")} removed (${entry.modccRefusal})`
          : entry.outcome === "refused by modcc"
          ? `modcc: ${entry.modccRefusal}` + (entry.normalisedRefusal === undefined ? "" : (
            `; after removing ${normaliseForModcc(entry.text).removed.join(", ")}: ${entry.normalisedRefusal}`
          ))
          : entry.outcome === "refused by denocat"
          ? `denocat: ${entry.denocatRefusal}`
          : `denocat: ${entry.denocatRefusal}; modcc: ${entry.modccRefusal}`;
        console.log(`  ${entry.files[0]}: ${entry.outcome}${why ? ` — ${why}` : ""}`);
        for (const file of entry.files.slice(1)) console.log(`  ${file}: the same text as ${entry.files[0]}`);
      }

      const seen: Record<string, Outcome> = {};
      for (const entry of entries) for (const file of entry.files) seen[file] = entry.outcome;
      const expected = Object.fromEntries(
        Object.entries(EXPECTED).filter(([file]) => !(corpusMissing && file.startsWith("/"))),
      );
      assert.deepEqual(seen, expected, "a file's outcome changed (or a file is new): update EXPECTED");

      // Build both sides and run them.
      const modules = join(tmp, "ts");
      await Deno.mkdir(modules);
      const cases = await Promise.all(compared.map(async (entry) => {
        const module = join(modules, `${entry.name}.ts`);
        await Deno.writeTextFile(module, entry.imported!.source);
        const builtin = entry.files.map((f) => BUILTINS[f]).find((b) => b !== undefined);
        return {
          id: entry.files[0],
          name: entry.name,
          module,
          className: entry.imported!.className,
          builtin,
        };
      }));
      const buildStart = performance.now();
      const modccCatalogue = await buildModccCatalogue(compared, tmp);
      const buildSeconds = (performance.now() - buildStart) / 1000;
      const childStart = performance.now();
      const reports = await Promise.all(
        TARGETS.map((target) =>
          runModccChild(site!.site, target, { modccCatalogue, target, cases, tfinal: 40, dt: 0.025 }, tmp)
        ),
      );
      const childSeconds = (performance.now() - childStart) / 1000;

      // Check and print.
      const failures: string[] = [];
      const infoSeen: Record<string, string[]> = {};
      let worst = 0, matchingFiles = 0, matchingDistinct = 0;
      const known: string[] = [];
      for (const entry of compared) {
        const id = entry.files[0];
        let caseWorst = 0;
        for (const report of reports) {
          const result = report.cases.find((c) => c.id === id)!;
          for (const p of result.probes) {
            const line = `${id} [${report.target}] ${p.probe}: ${p.compared} vs ${p.reference} max rel ` +
              `${p.maxRelative.toExponential(2)} (max abs ${p.maxAbsolute.toExponential(2)}; at ${
                p.at.toFixed(3)
              } ms ` +
              `${p.values[0]} / ${p.values[1]}; trace peak ${p.peak.toPrecision(4)})`;
            const asserted = p.compared === "denocat" &&
              !(id in KNOWN_DIFFERENCES && p.reference === "modcc");
            if (asserted && p.maxRelative > TOLERANCE) failures.push(line);
            if (p.maxRelative > TOLERANCE || VERBOSE) console.log(`  ${line}`);
            if (p.reference === "modcc") caseWorst = Math.max(caseWorst, p.maxRelative);
          }
          const counts = Object.values(result.spikes);
          if (counts.some((n) => n !== counts[0]) && !(id in KNOWN_DIFFERENCES)) {
            failures.push(`${id} [${report.target}]: spikes ${JSON.stringify(result.spikes)}`);
          }
          if (result.info.builtin !== undefined) {
            // The builtin declares what the file declares (its parameters were set from the file's).
            const b = result.info.builtin, m = result.info.modcc;
            assert.equal(b.kind, m.kind, `${id}: builtin kind`);
            assert.deepEqual([...b.state].sort(), [...m.state].sort(), `${id}: builtin STATEs`);
            assert.deepEqual(Object.keys(b.ions).sort(), Object.keys(m.ions).sort(), `${id}: builtin ions`);
          }
          if (report.target !== "js") continue;
          infoSeen[id] = [
            ...infoDifferences(result.info.modcc, result.info.denocat),
            ...Object.entries(result.onlyIn).flatMap(([build, s]) =>
              s.map((name) => `STATE ${name} only in ${build}`)
            ),
          ];
          console.log(
            `  ${id} (${result.kind} ${entry.name}): probes v${
              result.states.map((s) => `, ${s}`).join("")
            }; ` +
              `spikes ${JSON.stringify(result.spikes)}` +
              (infoSeen[id].length > 0 ? `; mechanism_info modcc / denocat: ${infoSeen[id].join("; ")}` : ""),
          );
        }
        if (id in KNOWN_DIFFERENCES) {
          const { measured, cause } = KNOWN_DIFFERENCES[id];
          known.push(`${basename(id)} ${caseWorst.toExponential(2)}`);
          console.log(
            `  known difference, ${id}: ${caseWorst.toExponential(2)} (recorded ${measured}): ${cause}`,
          );
          if (!(caseWorst > TOLERANCE)) {
            failures.push(`${id} now matches modcc (${caseWorst}): remove it from KNOWN_DIFFERENCES`);
          }
        } else {
          worst = Math.max(worst, caseWorst);
          if (caseWorst <= TOLERANCE) matchingDistinct++, matchingFiles += entry.files.length;
        }
      }
      assert.deepEqual(
        infoSeen,
        INFO_DIFFERENCES,
        "the mechanism_info of modcc's build and denocat's import",
      );

      const files = (which: (e: Entry) => boolean) =>
        entries.filter(which).reduce((n, e) => n + e.files.length, 0);
      const counts = {
        compared: files((e) => e.outcome.startsWith("compared")),
        normalised: files((e) => e.outcome === "compared after normalising"),
        byDenocat: files((e) => e.imported === undefined),
        byModcc: files((e) => e.modccRefusal !== undefined),
        byBoth: files((e) => e.outcome === "refused by both"),
      };
      const timings = reports.map((r) => `${r.target} ${r.seconds.toFixed(1)} s`).join(", ");
      const total = (performance.now() - started) / 1000;
      console.log(
        `modcc: compared ${counts.compared} (${compared.length} distinct; targets ${TARGETS.join(", ")}), ` +
          `matching ${matchingFiles} (${matchingDistinct} distinct), worst relative difference ` +
          worst.toExponential(2) + (known.length > 0 ? ` (known differences: ${known.join(", ")})` : "") +
          `, refused by denocat ${counts.byDenocat}, refused by modcc ${counts.byModcc} (${counts.normalised} ` +
          `of them compared after normalising, ${counts.byBoth} refused by denocat too); ` +
          `arbor-build-catalogue ${buildSeconds.toFixed(1)} s, Arbor ${timings} ` +
          `(children ${childSeconds.toFixed(1)} s in parallel), total ${total.toFixed(1)} s`,
      );
      assert.deepEqual(failures, []);
    } finally {
      await Deno.remove(tmp, { recursive: true });
    }
  },
);
