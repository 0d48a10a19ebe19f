// Declaring mechanisms, what Arbor reads back, and every validation error.
import assert from "node:assert/strict";
import {
  catalogue,
  CustomMechanism,
  defineMechanism,
  global,
  type Ion,
  ion,
  mechanism,
  parameter,
  random,
  state,
} from "../mod.ts";
import { ION_FLAG, KIND } from "../ffi/layout.ts";
import { readCatalogueAsArbor } from "./support/arbor_view.ts";
import { denoCommand } from "./support/deno.ts";

@mechanism({ name: "channel", kind: "density" })
class Channel extends CustomMechanism {
  @global({ unit: "1", default: 3 })
  q10!: number;
  @state({ unit: "1", default: 0.25, range: [0, 1] })
  m!: Float64Array;
  @parameter({ unit: "S/cm2", default: 0.001, range: [0, Infinity] })
  gbar!: Float64Array;
  @parameter({ name: "g", unit: "S/cm2", default: 0.002 })
  gAlias!: Float64Array;
  @ion({ readRevPotential: true })
  na!: Ion;
  @ion({
    writeIntConcentration: true,
    readExtConcentration: true,
    verifyValence: true,
    expectedValence: 2,
    readRevPotential: false,
  })
  ca!: Ion;
  @random()
  noise!: Float64Array;
  override computeCurrents(): void {}
}

@mechanism({ name: "synapse", kind: "point", hasPostEvents: true, isLinear: true })
class Synapse extends CustomMechanism {
  override applyEvents(): void {}
  override postEvent(): void {}
}

for (const abi of ["0.6", "0.7"] as const) {
  Deno.test(`Arbor reads every declared field, flag and hook table (ABI ${abi})`, async () => {
    const cat = await catalogue({ mechanisms: [Channel, Synapse], abi });
    const [channel, synapse] = readCatalogueAsArbor(cat.path, abi);
    assert.equal(channel.abiVersion, 0n);
    assert.equal(channel.name, "channel");
    assert.equal(channel.kind, KIND.density);
    assert.notEqual(channel.fingerprint, "<NULL>");
    assert.deepEqual(channel.globals, [{
      name: "q10",
      unit: "1",
      defaultValue: 3,
      low: -Number.MAX_VALUE,
      high: Number.MAX_VALUE,
    }]);
    assert.deepEqual(channel.states, [{ name: "m", unit: "1", defaultValue: 0.25, low: 0, high: 1 }]);
    assert.deepEqual(channel.parameters.map((p) => [p.name, p.defaultValue, p.low, p.high]), [
      ["gbar", 0.001, 0, Number.MAX_VALUE],
      ["g", 0.002, -Number.MAX_VALUE, Number.MAX_VALUE],
    ]);
    const expectedCaFlags = ION_FLAG.writeIntConcentration | ION_FLAG.verifyValence |
      (abi === "0.7" ? ION_FLAG.readExtConcentration : 0); // 0.6 has no read flags
    assert.deepEqual(channel.ions, [
      { name: "na", flags: ION_FLAG.readRevPotential, expectedValence: 0 },
      { name: "ca", flags: expectedCaFlags, expectedValence: 2 },
    ]);
    assert.deepEqual(channel.randoms, [{ name: "noise", index: 0 }]);
    assert.deepEqual(channel.cpu, {
      backend: 1,
      partitionWidth: 1,
      alignment: 8,
      methods: [true, true, true, true, true, true],
    });
    assert.ok(channel.gpuIsNull);
    assert.equal(synapse.kind, KIND.point);
    assert.ok(synapse.hasPostEvents);
    assert.ok(synapse.isLinear);
    cat.close();
  });
}

Deno.test("the layout is fixed once get_catalogue ran", async () => {
  const cat = await catalogue({ mechanisms: [Synapse], abi: "0.6" });
  cat.setAbi("0.7"); // still allowed: nobody has read the tables yet
  readCatalogueAsArbor(cat.path, "0.7");
  assert.throws(() => cat.setAbi("0.6"), /already fixed to ABI 0.7 because get_catalogue was called/);
  cat.setAbi("0.7"); // the same family is fine
  assert.throws(() => cat.setAbi("0.8" as "0.7"), /unknown ABI '0.8'/);
  cat.close();
});

Deno.test("several catalogues live side by side in one process", async () => {
  const a = await catalogue({ mechanisms: [defineMechanism({ name: "a" }, { init() {} })] });
  const b = await catalogue({ mechanisms: [defineMechanism({ name: "b" }, { init() {} })], abi: "0.6" });
  assert.notEqual(a.path, b.path);
  assert.deepEqual(readCatalogueAsArbor(a.path, "0.7").map((m) => m.name), ["a"]);
  assert.deepEqual(readCatalogueAsArbor(b.path, "0.6").map((m) => m.name), ["b"]);
  a.close();
  b.close();
});

/** Builds a one-mechanism catalogue and returns the error it fails with. */
async function buildError(definition: Parameters<typeof defineMechanism>[0]): Promise<Error> {
  const error = await catalogue({ mechanisms: [defineMechanism(definition, { init() {} })] }).then(
    (cat) => {
      cat.close();
      return undefined;
    },
    (e: Error) => e,
  );
  assert.ok(error instanceof Error, `expected ${JSON.stringify(definition)} to be refused`);
  return error;
}

const refused: [string, Parameters<typeof defineMechanism>[0], RegExp][] = [
  ["an empty name", { name: "" }, /mechanism name '' is empty/],
  ["a name that is not an identifier", { name: "my-channel" }, /'my-channel' is not a valid identifier/],
  ["a name starting with a digit", { name: "3hh" }, /'3hh' is not a valid identifier/],
  ["a name over 63 characters", { name: "x".repeat(64) }, /is longer than 63 characters/],
  ["a NaN default", { name: "m", states: { s: { default: NaN } } }, /state variable 's' has a NaN default/],
  [
    "a range with low > high",
    { name: "m", parameters: { p: { range: [2, 1], default: 1.5 } } },
    /parameter 'p' has range low 2 > high 1/,
  ],
  [
    "a default outside its range",
    { name: "m", parameters: { p: { range: [0, 1], default: 2 } } },
    /default 2 lies outside its range \[0, 1\]/,
  ],
  [
    "a NaN range bound",
    { name: "m", globals: { q: { range: [NaN, 1] } } },
    /global 'q' has a NaN range bound/,
  ],
  [
    "a field name that is not an identifier",
    { name: "m", states: { "x y": {} } },
    /state variable name 'x y' is not a valid identifier/,
  ],
  ["two fields with one Arbor name", {
    name: "m",
    states: { a: { name: "x" } },
    parameters: { b: { name: "x" } },
  }, /parameter 'x' clashes with the state variable of the same name/],
  [
    "an ion declared twice",
    { name: "m", ions: { calcium: { name: "ca" }, ca2: { name: "ca" } } },
    /ion 'ca' is declared twice/,
  ],
  ["an ion that writes eX and Xi", {
    name: "m",
    ions: { ca: { writeRevPotential: true, writeIntConcentration: true } },
  }, /may not write both the reversal potential and a concentration/],
  [
    "a unit over 63 characters",
    { name: "m", states: { s: { unit: "u".repeat(64) } } },
    /unit of state variable 's' is longer than 63 characters/,
  ],
];

for (const [what, definition, message] of refused) {
  Deno.test(`the catalogue refuses ${what}`, async () => {
    assert.match((await buildError(definition)).message, message);
  });
}

Deno.test("the catalogue refuses duplicate mechanism names", async () => {
  const one = defineMechanism({ name: "twin" }, { init() {} });
  const two = defineMechanism({ name: "twin" }, { init() {} });
  await assert.rejects(catalogue({ mechanisms: [one, two] }), /mechanism 'twin' is declared twice/);
});

Deno.test("the catalogue refuses more than 64 mechanisms", async () => {
  const many = Array.from({ length: 65 }, (_, k) => defineMechanism({ name: `m${k}` }, { init() {} }));
  await assert.rejects(
    catalogue({ mechanisms: many }),
    /too many mechanisms: a catalogue holds at most 64 \(while adding 'm64'\)/,
  );
  const cat = await catalogue({ mechanisms: many.slice(0, 64) });
  assert.equal(readCatalogueAsArbor(cat.path, "0.7").length, 64);
  cat.close();
});

Deno.test("declarations are checked for kind, hooks and names", () => {
  assert.throws(
    () => defineMechanism({ name: "m", kind: "membrane" }),
    /unknown kind 'membrane'; use one of density, point/,
  );
  assert.throws(
    () => defineMechanism({ name: "m", kind: "density" }, { applyEvents() {} }),
    /hook applyEvents does not fit kind 'density'/,
  );
  assert.throws(
    () => defineMechanism({ name: "m", kind: "reversalPotential" }, { advanceState() {} }),
    /hook advanceState does not fit kind 'reversal_potential'/,
  );
  assert.throws(() => defineMechanism({ name: "m", parameters: { v: {} } }), /member 'v' clashes with pp.v/);
  assert.throws(
    () => defineMechanism({ name: "m", states: { weight: {} } }),
    /member 'weight' clashes with pp.weight/,
  );
  assert.throws(
    () => defineMechanism({ name: "m", states: { ina: {} }, ions: { na: {} } }),
    /member 'ina' clashes with pp.ina of ion 'na'/,
  );
  assert.throws(
    () => defineMechanism({ name: "m", hasPostEvents: true }),
    /hasPostEvents is only meaningful for point/,
  );
  assert.throws(
    () => defineMechanism({ name: "m", kind: "point", hasPostEvents: true }),
    /hasPostEvents is set but the mechanism defines no postEvent hook/,
  );
  assert.throws(
    () => defineMechanism({ name: "m", ions: { ca: { verifyValence: true } } }),
    /verifyValence needs expectedValence/,
  );
  assert.throws(
    () => defineMechanism({ name: "m", states: { s: { default: "1" as unknown as number } } }),
    /default must be a number/,
  );
});

Deno.test("a class without @mechanism is refused by catalogue()", async () => {
  class Plain extends CustomMechanism {}
  await assert.rejects(
    catalogue({ mechanisms: [Plain] }),
    /class Plain is not a mechanism: decorate it with @mechanism/,
  );
});

Deno.test("declaring after the default catalogue was built is a clear error", async () => {
  const script = `
    import { build, cataloguePath, CustomMechanism, mechanism } from ${
    JSON.stringify(new URL("../mod.ts", import.meta.url).href)
  };
    @mechanism({ name: "first" }) class First extends CustomMechanism { init() {} }
    const path = await cataloguePath();
    const again = await build(); // the deprecated alias
    if (path !== again) throw new Error("build() must return the same default catalogue as cataloguePath()");
    try {
      @mechanism({ name: "late" }) class Late extends CustomMechanism { init() {} }
      console.log("no error");
    } catch (error) {
      console.log(error.message);
    }
  `;
  const output = await denoCommand(["run", "-A", "--quiet", "-"], {
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = output.stdin.getWriter();
  await writer.write(new TextEncoder().encode(script));
  await writer.close();
  const { stdout, stderr, success } = await output.output();
  assert.ok(success, new TextDecoder().decode(stderr));
  assert.match(
    new TextDecoder().decode(stdout),
    /mechanism 'late' was declared after catalogue\(\) or cataloguePath\(\) built the default catalogue/,
  );
});
