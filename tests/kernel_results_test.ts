// Issue 11 items 6, 7 and 16, issue 13 item 2: kernel results are checked on every call, for
// type, key and value, on the planned path and on the fallback path (the user's own function);
// a wrong value is reported as what it is. Each case runs both ways: `fallback` adds a closure
// counter, which the plan cannot express, so the kernel runs as written.
import assert from "node:assert/strict";
import {
  catalogue,
  type DeclaredMechanism,
  defineMechanism,
  Host,
  mechanism,
  type MechanismClass,
  PointwiseMechanism,
  type Scope,
  specOf,
  state,
} from "../mod.ts";
import { printedBy } from "./support/console.ts";

const area = 2 * Math.PI * 3 * 6;

async function run(
  mechanism: DeclaredMechanism | MechanismClass,
  options: { cvs?: number; steps?: number; parameter?: [string, number[]] } = {},
): Promise<Float64Array> {
  const cat = await catalogue({ mechanisms: [mechanism] });
  try {
    using host = await Host.create({ catalogues: [cat] });
    const count = options.cvs ?? 1;
    host.setCvs({ count, areaUm2: area, vInit: -65 }).addNeuronIons();
    const name = "spec" in mechanism ? mechanism.spec.name : specOf(mechanism)!.spec.name;
    const placement = host.place(name, { cvs: Array.from({ length: count }, (_, k) => k) });
    if (options.parameter) host.setParameter(placement, ...options.parameter);
    const column = host.probeVoltage(0);
    return host.run({ until: (options.steps ?? 10) * 0.025, dt: 0.025 }).probes[column];
  } finally {
    cat.close();
  }
}

/**
 * Runs `body` with console.log and console.error captured (the fallback notice: catalogue()
 * notices go to stderr), returning what it printed.
 */
const quietly = async (body: () => Promise<unknown>): Promise<string[]> => (await printedBy(body)).lines;

let calls = 0;
/** `value`, counted: a closure write, so a kernel using it falls back to the user's function. */
const counted = <T>(value: T): T => (calls++, value);

Deno.test("6: a string, null, boolean or array result is an error naming kernel, key and instance (fallback)", async () => {
  const cases: [string, unknown][] = [["string", "1"], ["null", null], ["boolean", true], ["array", []], [
    "numeric string",
    "2",
  ]];
  for (const [label, value] of cases) {
    const bad = defineMechanism({ name: `typed_${label.replace(" ", "_")}`, ions: { na: {} } }, {
      current: (x) => counted({ i: value as number, ina: 2 * x.v * 0, g: 0 }),
    });
    const lines = await quietly(() =>
      assert.rejects(
        run(bad, { cvs: 2 }),
        new RegExp(`mechanism '${bad.spec.name}': current\\(\\) gave .+ for 'i' at instance 0 \\(CV 0\\)`),
        label,
      )
    );
    assert.ok(lines.some((line) => line.includes("runs as your own function")), lines.join("\n"));
  }
});

Deno.test("6: a finite current that overflows once scaled is an error, planned and fallback", async () => {
  const planned = defineMechanism({ name: "huge" }, { current: (x) => ({ i: 1e308 + 0 * x.v, g: 0 }) });
  await assert.rejects(
    run(planned),
    /current\(\) gave Infinity for the current times its weight at instance 0/,
  );
  const fallback = defineMechanism({ name: "huge_fallback" }, {
    current: (x) => counted({ i: 1e308 + 0 * x.v, g: 0 }),
  });
  await quietly(() =>
    assert.rejects(run(fallback), /current\(\) gave Infinity for the current times its weight at instance 0/)
  );
});

Deno.test("7: a wrong key at instance 1, or from step 5 on, is an error (fallback checks every call)", async () => {
  const atInstance = defineMechanism({ name: "key_instance", parameters: { p: {} } }, {
    current: (x) => counted(x.p > 0.5 ? { i: 0, g: 0, bogus: 1 } : { i: 0, g: 0 }),
  });
  await quietly(() =>
    assert.rejects(
      run(atInstance, { cvs: 2, parameter: ["p", [0, 1]] }),
      /current\(\) returned 'bogus', which is not one of i, g .*\(at instance 1 \(CV 1\)\)/,
    )
  );
  // t counts steps (euler, t' = 1/dt); from step 5 on the kernel adds a key it may not return.
  const later = defineMechanism({ name: "key_later", method: "euler", states: { t: {} } }, {
    derivative: () => counted({ t: 40 }),
    current: (x) => counted(x.t >= 5 ? { i: 0, g: 0, bogus: 1 } : { i: 0, g: 0 }),
  });
  await quietly(() => assert.rejects(run(later, { steps: 20 }), /current\(\) returned 'bogus'/));
  // Planned: the plan sees every path, so the key is refused before the first step.
  const planned = defineMechanism({ name: "key_planned", method: "euler", states: { t: {} } }, {
    derivative: () => ({ t: 40 }),
    current(x) {
      if (x.t >= 5) return { i: 0, g: 0, bogus: 1 };
      return { i: 0, g: 0 };
    },
  });
  await assert.rejects(run(planned, { steps: 20 }), /current\(\) returned 'bogus'/);
});

@mechanism({ name: "leak_method" })
class LeakMethod extends PointwiseMechanism {
  @state()
  s!: number;
  override current(x: Scope<LeakMethod>) {
    return { i: 1e-3 * (x.v + 60), g: 1e-3 };
  }
}

@mechanism({ name: "leak_arrow" })
class LeakArrow extends PointwiseMechanism {
  @state()
  s!: number;
  override current = (x: Scope) => ({ i: 1e-3 * (x.v + 60), g: 1e-3 });
}

@mechanism({ name: "leak_arrow_fallback" })
class LeakArrowFallback extends PointwiseMechanism {
  @state()
  s!: number;
  override current = (x: Scope) => counted({ i: 1e-3 * (x.v + 60), g: 1e-3 });
}

Deno.test("7: a kernel written as an arrow-function class field is honoured, planned and fallback", async () => {
  const method = await run(LeakMethod);
  assert.ok(
    Math.abs(method[method.length - 1] - method[0]) > 1e-3,
    "the leak moves v: the comparison can fail",
  );
  assert.deepEqual(await run(LeakArrow), method);
  let fallback: Float64Array | undefined;
  const lines = await quietly(async () => fallback = await run(LeakArrowFallback));
  assert.ok(lines.some((line) => /kernel current runs as your own function/.test(line)), lines.join("\n"));
  assert.deepEqual(fallback, method);
});

Deno.test("16: a derivative giving NaN, or leaving out its key on a later step, is reported as that", async () => {
  for (const fallback of [false, true]) {
    const wrap = fallback ? counted : <T>(value: T) => value;
    const nanLater = defineMechanism(
      { name: `nan_later_${fallback}`, states: { t: {}, s: { default: 1 } } },
      {
        derivative: (x) => wrap({ t: 40, s: x.t >= 3 ? NaN : -x.s }),
      },
    );
    const nanFirst = defineMechanism({ name: `nan_first_${fallback}`, states: { s: { default: 1 } } }, {
      derivative: (x) => wrap({ s: Math.sqrt(-1 - 0 * x.s) }),
    });
    await quietly(async () => {
      await assert.rejects(
        run(nanLater),
        /derivative\(\) gave NaN for state 's' at instance 0/,
        `later ${fallback}`,
      );
      await assert.rejects(
        run(nanFirst),
        /derivative\(\) gave NaN for state 's' at instance 0/,
        `first ${fallback}`,
      );
    });
  }
  const leftOut = defineMechanism({ name: "left_out", states: { t: {}, s: { default: 1 } } }, {
    derivative: (x) => counted(x.t >= 3 ? { t: 40 } : { t: 40, s: -x.s }),
  });
  await quietly(() =>
    assert.rejects(
      run(leftOut),
      /derivative\(\) left out state 's' at instance 0 \(CV 0\), but returned it at the first step/,
    )
  );
  // A state near the largest double is no linearity error: the check probes below it.
  const large = defineMechanism({ name: "large", states: { s: { default: 1e308 } } }, {
    derivative: (x) => counted({ s: -x.s }),
  });
  await quietly(() => run(large));
});

Deno.test("cnexp: an opaque derivative that is not linear in its state, or depends on another, is refused at the first step", async () => {
  // The kernels call counted(), so they run as the user's functions; cnexp's a = f(s + 1) - f(s)
  // would silently integrate something else without this check.
  const square = defineMechanism({ name: "opaque_square", states: { m: { default: 0.5 } } }, {
    derivative: (x) => counted({ m: -x.m * x.m }),
  });
  await quietly(() =>
    assert.rejects(
      run(square),
      /mechanism 'opaque_square': method cnexp needs the derivative of state 'm' to be linear in 'm' \(s' = a\*s \+ b\), but it is not \(at instance 0, CV 0\); use method "euler"/,
    )
  );
  const coupled = defineMechanism({ name: "opaque_coupled", states: { a: { default: 1 }, b: {} } }, {
    derivative: (x) => counted({ a: -x.a, b: x.a - x.b }),
  });
  await quietly(() =>
    assert.rejects(
      run(coupled),
      /mechanism 'opaque_coupled': with method cnexp the derivative of state 'b' may only depend on 'b', but it changes with state 'a'/,
    )
  );
  // Linear and independent: runs.
  const linear = defineMechanism({ name: "opaque_linear", states: { a: { default: 1 }, b: {} } }, {
    derivative: (x) => counted({ a: -x.a, b: 2 - x.b }),
  });
  await quietly(() => run(linear));
});

Deno.test("16: reading an ion value the declaration did not request names the missing flag", async () => {
  const message =
    /x\.ena, but ion 'na' does not declare readRevPotential or writeRevPotential; add readRevPotential: true/;
  const planned = defineMechanism({ name: "no_flag", ions: { na: { readRevPotential: false } } }, {
    current: (x) => ({ ina: 1e-3 * (x.v - x.ena), g: 0 }),
  });
  await assert.rejects(run(planned), message);
  const fallback = defineMechanism({ name: "no_flag_fallback", ions: { na: { readRevPotential: false } } }, {
    current: (x) => counted({ ina: 1e-3 * (x.v - x.ena), g: 0 }),
  });
  await quietly(() => assert.rejects(run(fallback), message));
  const internal = defineMechanism({ name: "no_flag_cai", ions: { ca: {} } }, {
    current: (x) => counted({ ica: 1e-3 * x.cai, g: 0 }),
  });
  await quietly(() =>
    assert.rejects(run(internal), /x\.cai, but ion 'ca' does not declare readIntConcentration/)
  );
});

Deno.test("a planned kernel sees a fresh random draw every step, as the fallback does", async () => {
  const walk = (name: string, wrap: <T>(value: T) => T) =>
    defineMechanism({ name, method: "euler", states: { s: {} }, randoms: ["noise"] }, {
      derivative: (x) => wrap({ s: 40 * x.noise }),
    });
  const trace = async (mechanism: DeclaredMechanism) => {
    const cat = await catalogue({ mechanisms: [mechanism] });
    try {
      using host = await Host.create({ catalogues: [cat] });
      host.setCvs({ count: 1, areaUm2: area }).addNeuronIons();
      const column = host.probeState(host.place(mechanism.spec.name, { cvs: [0] }), "s");
      return host.run({ until: 12 * 0.025, dt: 0.025 }).probes[column];
    } finally {
      cat.close();
    }
  };
  const planned = await trace(walk("walk", (value) => value));
  let fallback: Float64Array | undefined;
  await quietly(async () => fallback = await trace(walk("walk_fallback", counted)));
  const steps = Array.from(planned.slice(1), (s, n) => s - planned[n]);
  assert.ok(new Set(steps).size === steps.length, `one draw per step: ${steps.join(" ")}`);
  assert.deepEqual(planned, fallback);
});
