// Arbor through the embedded CPython (arbor.ts, examples/arbor/). The scenarios need a real
// Arbor (0.9–0.12) and are skipped, with one line each, when `import arbor` fails. The version
// mapping and the loading logic are tested always, the latter against a stand-in `arbor`
// module in a subprocess.
import assert from "node:assert/strict";
import { join } from "node:path";
import { abiForArborVersion, tryLoadArbor } from "../arbor.ts";

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

Deno.test("arbor: loadArbor with a stand-in arbor module (subprocess)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "denocat-fake-arbor-" });
  try {
    await Deno.mkdir(join(dir, "arbor"));
    await Deno.writeTextFile(
      join(dir, "arbor", "__init__.py"),
      `import os
__version__ = os.environ["FAKE_ARBOR_VERSION"]
calls = []
class catalogue:
    def __init__(self, path=None): self.path = path
    def extend(self, other, prefix):
        calls.append(("extend", other.path, prefix))
class cable_global_properties:
    def __init__(self): self.catalogue = catalogue()
def neuron_cable_properties(): return cable_global_properties()
def load_catalogue(path):
    calls.append(("load_catalogue", os.path.basename(path)))
    return catalogue(path)
def context(*, threads=None, gpu_id="unset"):
    calls.append(("context", threads, gpu_id))
    return "ctx"
`,
    );
    const arborModule = new URL("../arbor.ts", import.meta.url).href;
    const mod = new URL("../mod.ts", import.meta.url).href;
    const script = join(dir, "child.ts");
    await Deno.writeTextFile(
      script,
      `import { loadArbor } from ${JSON.stringify(arborModule)};
import { catalogue, defineMechanism } from ${JSON.stringify(mod)};
const override = Deno.env.get("FAKE_ABI");
const arb = loadArbor(override ? { abi: override as "0.6" | "0.7" } : {});
const cat = await catalogue({ mechanisms: [defineMechanism({ name: "fake_leak" }, { init() {} })], abi: "0.7" });
const props = arb.call("neuron_cable_properties");
arb.extendCatalogue(props, cat, "ts_");
arb.context().dispose();
console.log(JSON.stringify({
  version: arb.version,
  abi: arb.abi,
  catalogueAbi: cat.abi,
  units: arb.hasUnits,
  q: arb.q(2, "ms"),
  calls: arb.arbor.get("calls").toJS(),
}));`,
    );
    const run = async (env: Record<string, string>) => {
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", "--no-lock", script],
        env: { PYTHONPATH: dir, ...env },
        stdout: "piped",
        stderr: "piped",
      }).output();
      return {
        ok: out.success,
        stdout: new TextDecoder().decode(out.stdout),
        stderr: new TextDecoder().decode(out.stderr),
      };
    };
    const v010 = await run({ FAKE_ARBOR_VERSION: "0.10.1" });
    assert.ok(v010.ok, v010.stderr);
    const report = JSON.parse(v010.stdout);
    assert.equal(report.abi, "0.6");
    assert.equal(report.catalogueAbi, "0.6", "the layout is set before Arbor loads the catalogue");
    assert.equal(report.units, false);
    assert.equal(report.q, 2);
    assert.equal(report.calls[0][0], "load_catalogue");
    assert.match(report.calls[0][1], /libdenocat/);
    assert.equal(report.calls[1][0], "extend");
    assert.equal(report.calls[1][2], "ts_");
    assert.deepEqual(report.calls[2], ["context", 1, null]);
    const v011 = await run({ FAKE_ARBOR_VERSION: "0.11.0" });
    assert.ok(v011.ok, v011.stderr);
    assert.equal(JSON.parse(v011.stdout).catalogueAbi, "0.7");
    const unknown = await run({ FAKE_ARBOR_VERSION: "0.8.1" });
    assert.ok(!unknown.ok);
    assert.match(unknown.stderr, /Arbor 0\.8\.1 is not supported.*loadArbor\(\{ abi/);
    const overridden = await run({ FAKE_ARBOR_VERSION: "0.13.0", FAKE_ABI: "0.7" });
    assert.ok(overridden.ok, overridden.stderr);
    assert.equal(JSON.parse(overridden.stdout).abi, "0.7");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

const scenarios: [string, string][] = [
  ["api", "../examples/arbor/api.ts"],
  ["full", "../examples/arbor/full.ts"],
  ["multi", "../examples/arbor/multi.ts"],
  ["rand", "../examples/arbor/rand.ts"],
  ["inferior_olive", "../examples/arbor/inferior_olive.ts"],
  ["hh_vs_builtin", "../examples/arbor/hh_vs_builtin.ts"],
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
  name: `arbor: a TS hook error during sim.run() is rethrown as the original error${
    skipReason ? " (skipped)" : ""
  }`,
  ignore: skipReason !== undefined,
  fn: async () => {
    const { catalogue, defineMechanism } = await import("../mod.ts");
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
    const decor = a.call("decor").callMethod("paint", '"soma"', a.call("density", "failing"));
    const recipe = a.recipe({
      numCells: 1,
      cellDescription: () => cableCell(a, tree, decor, labelDict),
      globalProperties: props,
    });
    const sim = a.simulation(recipe);
    assert.throws(() => a.run(sim, 5), (e: unknown) => e === failure);
    // A multi-threaded context: the catalogue's clear error, not a crash.
    const threaded = a.call("context", (await import("../ffi/python.ts")).kw({ threads: 2, gpu_id: null }));
    calls = -1e9; // never throw from the hook again
    try {
      a.run(a.simulation(recipe, { context: threaded }), 5);
      console.log("  (every call happened to run on the main thread)");
    } catch (error) {
      assert.match(String((error as Error).message), /thread/);
    }
  },
});
