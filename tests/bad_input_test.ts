// Issue 11, items 8-11, 13-15 and 17: bad declarations and host arguments that used to be
// accepted and give wrong results, or fail with an error naming the wrong thing.
import assert from "node:assert/strict";
import {
  catalogue,
  CustomMechanism,
  defineMechanism,
  type EventBatch,
  Host,
  mechanism,
  type MechanismHooks,
  PointwiseMechanism,
  type Scope,
  state,
} from "../mod.ts";
import { findZig } from "../platform/toolchain.ts";

const area = 2 * Math.PI * 3 * 6;

// --- 8. typos in declarations ---------------------------------------------------------------

Deno.test("8: misspelled option keys are refused with a suggestion", () => {
  const cases: [() => unknown, RegExp][] = [
    [
      () => defineMechanism({ name: "t1", kinds: "point" } as never, {}),
      /defineMechanism\('t1'\): unknown option 'kinds'; did you mean 'kind'\?/,
    ],
    [
      () => defineMechanism({ name: "t2", states: { s: { defualt: 1 } as never } }, {}),
      /mechanism 't2': state variable 's': unknown option 'defualt'; did you mean 'default'\?/,
    ],
    [
      () => defineMechanism({ name: "t3", ions: { ca: { writeInternalConcentration: true } as never } }, {}),
      /mechanism 't3': ion 'ca': unknown option 'writeInternalConcentration'; did you mean 'writeIntConcentration'\?/,
    ],
  ];
  for (const [declare, message] of cases) assert.throws(declare, message);
  assert.throws(() => {
    @mechanism({ name: "t4", kinds: "point" } as never)
    class _T4 extends CustomMechanism {}
  }, /@mechanism of class _T4: unknown option 'kinds'; did you mean 'kind'\?/);
});

Deno.test("8: a method one edit away from a hook or kernel name is refused", () => {
  assert.throws(
    () => defineMechanism({ name: "t5" }, { computeCurrent() {} } as unknown as MechanismHooks),
    /mechanism 't5': method computeCurrent is not a hook or kernel, and would never be called; did you mean computeCurrents\?/,
  );
  assert.throws(() => {
    @mechanism({ name: "t6" })
    class _T6 extends PointwiseMechanism {
      @state()
      s!: number;
      derivatives(x: Scope) {
        return { s: -x.v };
      }
    }
  }, /mechanism 't6': method derivatives is not a hook or kernel.*did you mean derivative\?/);
  // A helper with a distinct name is fine.
  defineMechanism({ name: "t7" }, { computeCurrents() {}, rates() {} } as unknown as MechanismHooks);
});

// --- 9. infinite values ----------------------------------------------------------------------

Deno.test("9: infinite defaults and ranges that hold no finite value are refused", async () => {
  const cases: [Parameters<typeof defineMechanism>[0], RegExp][] = [
    [{ name: "inf1", states: { s: { default: Infinity } } }, /state variable 's' has an infinite default/],
    [{ name: "inf2", parameters: { p: { default: -Infinity } } }, /parameter 'p' has an infinite default/],
    [{ name: "inf3", globals: { q: { default: Infinity } } }, /global 'q' has an infinite default/],
    [
      { name: "inf4", parameters: { p: { range: [Infinity, Infinity] } } },
      /parameter 'p' has range \[inf, inf\], which holds no finite value/,
    ],
  ];
  for (const [definition, message] of cases) {
    await assert.rejects(catalogue({ mechanisms: [defineMechanism(definition, {})] }), message);
  }
});

// --- 10 and 15. host arguments ----------------------------------------------------------------

async function pointHost() {
  const cat = await catalogue({
    mechanisms: [
      defineMechanism({ name: "syn", kind: "point", parameters: { gnabar: { default: 1 } } }, {
        applyEvents() {},
      }),
      defineMechanism({ name: "gj", kind: "gapJunction" }, { computeCurrents() {} }),
    ],
  });
  const host = await Host.create({ catalogues: [cat] });
  host.setCvs({ count: 4, areaUm2: area }).addNeuronIons();
  return { cat, host };
}

Deno.test("10/15: every host argument is checked in TypeScript, naming it and the value", async () => {
  const { cat, host } = await pointHost();
  const syn = host.place("syn", { cvs: [0] });
  const cases: [() => unknown, RegExp][] = [
    [() => host.place("syn", { cvs: [1.7] }), /placing 'syn': cvs\[0\] must be an integer >= 0, got 1\.7/],
    [() => host.place("syn", { cvs: [NaN] }), /placing 'syn': cvs\[0\] must be an integer >= 0, got NaN/],
    [
      () => host.place("syn", { cvs: [2 ** 32] }),
      /placing 'syn': cvs\[0\] is 4294967296, out of range for the 4 CVs/,
    ],
    [() => host.place("syn", { cvs: [-1] }), /placing 'syn': cvs\[0\] must be an integer >= 0, got -1/],
    [
      () => host.place("gj", { cvs: [0], peers: [NaN] }),
      /placing 'gj': peers\[0\] must be an integer >= 0, got NaN/,
    ],
    [
      () => host.run({ until: 1, dt: "0.025" as never }),
      /run: dt \(ms\) must be a finite number, got "0\.025"/,
    ],
    [() => host.run({ until: NaN, dt: 0.025 }), /run: until \(ms\) must be a finite number, got NaN/],
    [
      () => host.run({ until: Infinity, dt: 0.025 }),
      /run: until \(ms\) must be a finite number, got Infinity/,
    ],
    [() => host.run({ until: 1, dt: 1e-300 }), /run: until = 1 ms in steps of dt = 1e-300 ms is .* steps/],
    [() => host.run({ until: 1e12, dt: 0.025 }), /run: until = 1000000000000 ms .*run in shorter pieces/],
    [() => host.event(syn, -1, 0.1, 1), /event for 'syn': instance must be an integer >= 0, got -1/],
    [() => host.event(syn, 0.9, 0.1, 1), /event for 'syn': instance must be an integer >= 0, got 0\.9/],
    [() => host.event(syn, 1, 0.1, 1), /event for 'syn': instance is 1, out of range for the 1 instances/],
    [() => host.event(syn, 0, 0.1, 1e-50), /weight 1e-50 is too small for Arbor's 32-bit float event weight/],
    [() => host.event(syn, 0, 0.1, 1e39), /weight 1e\+39 is too large/],
    [
      () => host.iclamp(0.5, { start: 0, duration: 1, amplitude: 1 }),
      /iclamp: cv must be an integer >= 0, got 0\.5/,
    ],
    [() => host.probeVoltage(7), /probeVoltage: cv is 7, out of range for the 4 CVs/],
    [
      () => host.setParameter(syn, "gnabar", "0.2" as never),
      /parameter 'gnabar' of 'syn': value \(a number, or one number per instance\) must be an array, got "0\.2"/,
    ],
    [
      () => host.place("gj", { cvs: [0], peers: [1], parameters: { gnabar: "0.2" as never } }),
      /parameter 'gnabar' of 'gj'.* got "0\.2"/,
    ],
  ];
  for (const [call, message] of cases) assert.throws(call, message);
  host.close();
  cat.close();
});

Deno.test("10: a placement of another host is refused", async () => {
  const a = await pointHost();
  const b = await pointHost();
  const fromA = a.host.place("syn", { cvs: [0] });
  b.host.place("syn", { cvs: [1] });
  assert.throws(
    () => b.host.event(fromA, 0, 0.1, 1),
    /event: placement 'syn' is not a placement of this host/,
  );
  assert.throws(
    () => b.host.probeState({ id: 0, name: "syn", count: 1 }, "x"),
    /not a placement of this host/,
  );
  for (const { cat, host } of [a, b]) {
    host.close();
    cat.close();
  }
});

Deno.test("10: an event before the current time is refused; 1e-30 keeps its value", async () => {
  const weights: number[] = [];
  const cat = await catalogue({
    mechanisms: [
      defineMechanism({ name: "syn2", kind: "point" }, {
        applyEvents(_pp, events) {
          weights.push(...events.weight);
        },
      }),
    ],
  });
  using host = await Host.create({ catalogues: [cat] });
  host.setCvs({ count: 1, areaUm2: area });
  const syn = host.place("syn2", { cvs: [0] });
  host.event(syn, 0, 0.01, 1e-30);
  host.run({ until: 1, dt: 0.025 });
  assert.throws(() => host.event(syn, 0, 0.5, 1), /time 0\.5 ms is before the host's current time 1 ms/);
  assert.equal(weights.length, 1);
  assert.ok(Math.abs(weights[0] / 1e-30 - 1) < 1e-6, `weight ${weights[0]}`);
  cat.close();
});

Deno.test("10: after cat.close(), host.run refuses instead of skipping the mechanism", async () => {
  const cat = await catalogue({ mechanisms: [defineMechanism({ name: "gone" }, { computeCurrents() {} })] });
  using host = await Host.create({ catalogues: [cat] });
  host.setCvs({ count: 1, areaUm2: area });
  host.place("gone", { cvs: [0] });
  host.run({ until: 0.05, dt: 0.025 });
  cat.close();
  assert.throws(() => host.run({ until: 0.1, dt: 0.025 }), /host\.run\(\): the catalogue .* was closed/);
});

// --- 11. event batches ----------------------------------------------------------------------

Deno.test("11: one applyEvents call per Arbor call however many events, and kept batches keep their events", async () => {
  const batches: EventBatch[] = [];
  const cat = await catalogue({
    mechanisms: [
      defineMechanism({ name: "counter", kind: "point" }, {
        applyEvents(_pp, events) {
          batches.push(events);
        },
      }),
    ],
  });
  using host = await Host.create({ catalogues: [cat] });
  host.setCvs({ count: 1, areaUm2: area });
  const syn = host.place("counter", { cvs: [0] });
  for (let k = 0; k < 3000; k++) host.event(syn, 0, 0.01, 1 + k);
  host.event(syn, 0, 0.03, 0.5);
  host.run({ until: 0.05, dt: 0.025 });
  assert.deepEqual(batches.map((b) => b.length), [3000, 1]);
  // The first batch is untouched by the second.
  assert.equal(batches[0].weight.length, 3000);
  assert.equal(batches[0].weight[0] + batches[0].weight[2999], 1 + 3000);
  assert.equal(batches[1].weight[0], 0.5);
  cat.close();
});

// --- 13. ZIG -------------------------------------------------------------------------------

Deno.test("13: ZIG naming a missing or wrong zig is an error, not silently replaced", async () => {
  const previous = Deno.env.get("ZIG");
  try {
    Deno.env.set("ZIG", "/nonexistent/zig");
    await assert.rejects(findZig(), /ZIG=\/nonexistent\/zig does not run/);
    Deno.env.set("ZIG", "/bin/echo"); // runs, prints "version"
    await assert.rejects(findZig(), /ZIG=\/bin\/echo is zig version, but denocat needs zig 0\.11\.0/);
  } finally {
    if (previous === undefined) Deno.env.delete("ZIG");
    else Deno.env.set("ZIG", previous);
  }
});

// --- 14. non-Error throws --------------------------------------------------------------------

for (const [label, value] of [["42", 42], ['"boom"', "boom"], ["undefined", undefined]] as const) {
  Deno.test(`14: throw ${label} in a hook becomes an Error naming mechanism and hook`, async () => {
    const cat = await catalogue({
      mechanisms: [defineMechanism({ name: "thrower" }, {
        advanceState() {
          throw value;
        },
      })],
    });
    using host = await Host.create({ catalogues: [cat] });
    host.setCvs({ count: 1, areaUm2: area });
    host.place("thrower", { cvs: [0] });
    const error = (() => {
      try {
        host.run({ until: 0.05, dt: 0.025 });
      } catch (e) {
        return e;
      }
    })();
    assert.ok(error instanceof Error, `got ${String(error)}`);
    assert.match(
      error.message,
      new RegExp(`mechanism 'thrower': hook advanceState threw a non-Error value: ${label}`),
    );
    assert.equal(error.cause, value);
    cat.close();
  });
}

// --- 17. ion names that clash with ppack names ---------------------------------------------

Deno.test("17: ion names whose views would hide ppack names are refused at declaration", () => {
  for (const [ion, view] of [["ons", "ions"], ["vecC", "vecCi"], ["mechanismI", "mechanismId"]]) {
    assert.throws(
      () => defineMechanism({ name: "clash", ions: { [ion]: {} } }, {}),
      new RegExp(`mechanism 'clash': ion '${ion}' would be pp\\.${view}, which is already pp\\.${view}`),
    );
  }
});
