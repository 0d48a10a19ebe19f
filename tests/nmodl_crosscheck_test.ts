// Cross-check with Debian's python3-nmodl parser (BlueBrain's NMODL framework): for every corpus
// file, the STATE and PARAMETER names, each ion's READ and WRITE sets and the NONSPECIFIC_CURRENTs
// that parser declares are the ones denocat's parser finds (parseDeclarations reads the names
// even of files the importer refuses). Skips when /usr/bin/python3 cannot import nmodl.
import assert from "node:assert/strict";
import { parseDeclarations } from "../nmodl/parser.ts";
import { corpusFiles } from "./support/nmodl_corpus.ts";

const PYTHON = "/usr/bin/python3"; // the python3 on PATH may be another one, without nmodl
const script = new URL("./support/nmodl_names.py", import.meta.url).pathname;

const hasNmodl = (() => {
  try {
    return new Deno.Command(PYTHON, { args: ["-c", "import nmodl"], stderr: "null" }).outputSync().code === 0;
  } catch {
    return false;
  }
})();
if (!hasNmodl) {
  const why = `${PYTHON} cannot import nmodl (apt-get install python3-nmodl); skipping the cross-check`;
  if (Deno.env.get("DENOCAT_REQUIRE_NMODL_CORPUS")) {
    throw new Error(`${why}: but DENOCAT_REQUIRE_NMODL_CORPUS is set`);
  }
  console.warn(why);
}
const { files, missing } = hasNmodl ? corpusFiles() : { files: [], missing: "no nmodl" };

interface Names {
  states: string[];
  parameters: string[];
  nonspecific: string[];
  ions: Record<string, { read: string[]; write: string[] }>;
  error?: string;
}

Deno.test({
  name: "the names of every corpus file agree with python3-nmodl's parser",
  ignore: missing !== undefined,
  async fn() {
    const output = await new Deno.Command(PYTHON, { args: [script, ...files] }).output();
    assert.equal(output.code, 0, new TextDecoder().decode(output.stderr));
    const theirs: Record<string, Names> = JSON.parse(new TextDecoder().decode(output.stdout));
    assert.equal(Object.keys(theirs).length, 14);
    for (const file of files) {
      assert.equal(theirs[file].error, undefined, `python3-nmodl failed on ${file}`);
      const tree = parseDeclarations(Deno.readTextFileSync(file), file);
      const ions: Names["ions"] = {};
      for (const ion of tree.neuron.ions) {
        ions[ion.name] ??= { read: [], write: [] };
        ions[ion.name].read.push(...ion.read);
        ions[ion.name].write.push(...ion.write);
      }
      const ours: Names = {
        states: tree.states.map((s) => s.name).sort(),
        parameters: tree.parameters.map((p) => p.name).sort(),
        nonspecific: [...tree.neuron.nonspecific].sort(),
        ions: Object.fromEntries(
          Object.entries(ions).map(([k, v]) => [k, { read: v.read.sort(), write: v.write.sort() }]),
        ),
      };
      assert.deepEqual(ours, theirs[file], file);
    }
  },
});
