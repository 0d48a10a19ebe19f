// Every file of the NMODL corpus (tests/support/nmodl_corpus.ts) is either imported (the output
// type checks, declares, and runs on the host) or refused with an NmodlError whose file:line:column
// points at the construct it names. The lists below are the counts docs/nmodl.md and the README give.
import assert from "node:assert/strict";
import { catalogue } from "../mod.ts";
import { NmodlError } from "../nmodl/mod.ts";
import { runCell } from "../host/cell.ts";
import { loadReferenceCase } from "../tools/fidelity/reference.ts";
import { corpusFiles } from "./support/nmodl_corpus.ts";
import { type LoadedImport, loadNmodl } from "./support/nmodl.ts";

const { files, missing } = corpusFiles();
const stem = (path: string) => path.replace(/^.*\//, "");

const IMPORTED = [
  "cachan1.mod",
  "camchan.mod",
  "exp2syn.mod",
  "expsyn.mod",
  "hh.mod",
  "khhchan.mod",
  "nachan.mod",
  "passive.mod",
];
const REFUSED: Record<string, string> = {
  "cabpump.mod": "DEFINE",
  "capump.mod": "LOCAL",
  "invlfire.mod": "ARTIFICIAL_CELL",
  "mcna.mod": "PROTECT",
  "nacaex.mod": "LOCAL",
  "release.mod": "tauGen",
};

Deno.test({
  name: `NMODL corpus: ${IMPORTED.length} files imported, ${
    Object.keys(REFUSED).length
  } refused naming the construct and its line`,
  ignore: missing !== undefined,
  async fn() {
    const imported: LoadedImport[] = [];
    const refused: string[] = [];
    for (const file of files) {
      try {
        imported.push(await loadNmodl(file));
      } catch (error) {
        if (!(error instanceof NmodlError)) throw error;
        refused.push(stem(file));
        assert.ok(error.message.startsWith(`${file}:${error.line}:${error.column}: `), error.message);
        // The position points at the construct the message names.
        const line = Deno.readTextFileSync(file).split("\n")[error.line - 1];
        const word = line.slice(error.column - 1).match(/^[A-Za-z_]+/)?.[0] ?? "";
        assert.equal(word, REFUSED[stem(file)], `${error.message}: the word at the position is '${word}'`);
        assert.ok(error.construct.includes(word), `${error.construct} names ${word}`);
        assert.match(error.message, /is not supported|outside its range/);
      }
    }
    assert.deepEqual(files.map(stem).filter((f) => !refused.includes(f)).sort(), IMPORTED);
    assert.deepEqual(refused.sort(), Object.keys(REFUSED));

    // The generated modules type check ...
    const check = await new Deno.Command(Deno.execPath(), { args: ["check", ...imported.map((i) => i.path)] })
      .output();
    assert.equal(check.code, 0, new TextDecoder().decode(check.stderr));
    // ... declare (the kernel plan accepts every kernel) and run on the host, with finite traces.
    const base = loadReferenceCase("pas_iclamp").cell;
    for (const mechanism of imported) {
      const live = await catalogue({ mechanisms: [mechanism.cls] });
      try {
        const point = mechanism.source.includes('kind: "point"');
        const result = await runCell({
          ...base,
          until: 10,
          density: point ? [] : [{ mechanism: mechanism.name, params: {} }],
          synapses: point
            ? [{ mechanism: mechanism.name, params: {}, events: [{ t: 1, weight: 0.01 }] }]
            : [],
          probes: ["v"],
        }, { catalogues: [live] });
        assert.ok(result.traces.v.every(Number.isFinite), `${mechanism.name}: V stays finite`);
        assert.ok(result.time.length === 400, `${mechanism.name}: ${result.time.length} steps`);
      } finally {
        live.close();
      }
    }
  },
});
