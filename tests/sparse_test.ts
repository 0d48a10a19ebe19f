// method "sparse" and the equilibrium() kernel on the host, js and native targets: a three-state
// Markov channel under a voltage clamp against a reference written here in plain JavaScript
// (backward Euler with the conservation law replacing C's row, solved by Cramer's rule), a
// non-linear state against modcc's three Newton iterations, and the refusals; method "direct" (a
// derivative that returns the states after the step) against the same update written here, and
// method "linear" (residuals solved each step) against their closed-form solution.
import assert from "node:assert/strict";
import { type Catalogue, catalogue, CompileError, defineMechanism, runCell } from "../mod.ts";

const markov = () =>
  defineMechanism({
    name: "markov3",
    kind: "density",
    method: "sparse",
    conserve: [{ sum: ["C", "O", "I"], equals: 1 }],
    parameters: { gbar: { default: 0.01 }, e: { default: -70 } },
    states: { C: {}, O: {}, I: {} },
  }, {
    equilibrium(x) {
      const a = 0.1 * Math.exp(x.v / 20), b = 0.2 * Math.exp(-x.v / 30), k = 0.05;
      return { C: -a * x.C + b * x.O, O: a * x.C - (b + k) * x.O + 0.01 * x.I, I: x.C + x.O + x.I - 1 };
    },
    derivative(x) {
      const a = 0.1 * Math.exp(x.v / 20), b = 0.2 * Math.exp(-x.v / 30), k = 0.05;
      const co = a * x.C - b * x.O, oi = k * x.O - 0.01 * x.I;
      return { C: -co, O: co - oi, I: oi };
    },
    current(x) {
      return { i: x.gbar * x.O * (x.v - x.e), g: x.gbar * x.O };
    },
  });

function det3(m: number[][]): number {
  return m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) -
    m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) +
    m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
}

function solve3(m: number[][], r: number[]): number[] {
  const d = det3(m);
  return [0, 1, 2].map((j) => det3(m.map((row, i) => row.map((v, k) => (k === j ? r[i] : v)))) / d);
}

/** The reference: equilibrium at v, then backward-Euler steps with C's row replaced by C + O + I = 1. */
function reference(v: number, dt: number, steps: number): number[][] {
  const a = 0.1 * Math.exp(v / 20), b = 0.2 * Math.exp(-v / 30), k = 0.05, l = 0.01;
  let s = solve3([[-a, b, 0], [a, -(b + k), l], [1, 1, 1]], [0, 0, 1]);
  const out = [s];
  const A = [[-a, b, 0], [a, -(b + k), l], [0, k, -l]];
  for (let n = 0; n < steps; n++) {
    const M = A.map((row, i) => row.map((c, j) => (i === j ? 1 : 0) - dt * c));
    M[0] = [1, 1, 1];
    s = solve3(M, [1, s[1], s[2]]);
    out.push(s);
  }
  return out;
}

async function clamped(cat: Catalogue, v: number) {
  return await runCell({
    areaUm2: 500,
    vInit: v,
    // gbar 0: the host's clamp resets v after the step, so a channel current would move the v
    // that advance_state sees away from the clamped value by ~1e-8 relative
    density: [{ mechanism: "markov3", params: { gbar: 0 } }],
    vclamps: [{ start: 0, duration: 1e9, voltage: v }],
    probes: ["v", "markov3.C", "markov3.O", "markov3.I"],
    dt: 0.025,
    until: 2,
  }, { catalogues: [cat] });
}

for (const target of ["js", "native"] as const) {
  Deno.test(`sparse: a Markov channel under a clamp follows backward Euler with its conservation law (${target})`, async () => {
    const cat = await catalogue({ mechanisms: [markov()], target });
    try {
      for (const v of [-65, -20, 30]) {
        const run = await clamped(cat, v);
        assert.ok(run.traces.v.every((x) => x === v), "the clamp holds v");
        const expected = reference(v, 0.025, run.time.length - 1);
        for (let n = 0; n < run.time.length; n++) {
          ["C", "O", "I"].forEach((key, j) => {
            const got = run.traces[`markov3.${key}`][n];
            assert.ok(
              Math.abs(got - expected[n][j]) <= 1e-12 * Math.max(1e-3, Math.abs(expected[n][j])),
              `v ${v}, step ${n}, ${key}: ${got} vs ${expected[n][j]}`,
            );
          });
        }
      }
    } finally {
      cat.close();
    }
  });
}

Deno.test("direct: derivative() returns the states after the step, read as the kernel wrote it (js and native)", async () => {
  // modcc's SOLVE without METHOD: the kernel's own exponential update, then a cap on the state.
  const relax = defineMechanism({
    name: "relax_direct",
    kind: "density",
    method: "direct",
    parameters: { tau: { default: 0.7 }, target: { default: 2 } },
    states: { s: {} },
  }, {
    initial: () => ({ s: 0 }),
    derivative(x) {
      const s = x.s + (1 - Math.exp(-x.dt / x.tau)) * (x.target - x.s);
      return { s: s > 1.5 ? 1.5 : s };
    },
  });
  const traces: Float64Array[] = [];
  for (const target of ["js", "native"] as const) {
    const cat = await catalogue({ mechanisms: [relax], target });
    try {
      const run = await runCell({
        areaUm2: 500,
        density: [{ mechanism: "relax_direct" }],
        probes: ["relax_direct.s"],
        dt: 0.1,
        until: 2,
      }, { catalogues: [cat] });
      traces.push(run.traces["relax_direct.s"]);
    } finally {
      cat.close();
    }
  }
  // (native may round differently in the last bit: C's exp and fused multiply-adds)
  traces.forEach((trace, t) => {
    let s = 0;
    for (let n = 1; n < trace.length; n++) {
      s = Math.min(1.5, s + (1 - Math.exp(-0.1 / 0.7)) * (2 - s));
      assert.ok(Math.abs(trace[n] - s) <= 2e-15, `${["js", "native"][t]}, step ${n}: ${trace[n]} vs ${s}`);
    }
    assert.equal(trace[trace.length - 1], 1.5, "the cap the kernel wrote holds");
  });
});

Deno.test("linear: each step the states solve derivative()'s residuals (js and native)", async () => {
  // modcc's SOLVE of a LINEAR block in BREAKPOINT: O = a/(a + b) at the clamped voltage, C = 1 − O.
  const gate = defineMechanism({
    name: "gate_linear",
    kind: "density",
    method: "linear",
    states: { C: {}, O: {} },
  }, {
    initial: () => ({ C: 1, O: 0 }),
    derivative(x) {
      const a = 0.1 * Math.exp(x.v / 15), b = 0.3 * Math.exp(-x.v / 20);
      return { C: a * x.C - b * x.O, O: x.C + x.O - 1 };
    },
  });
  for (const target of ["js", "native"] as const) {
    const cat = await catalogue({ mechanisms: [gate], target });
    try {
      for (const v of [-60, 10]) {
        const run = await runCell({
          areaUm2: 500,
          vInit: v,
          density: [{ mechanism: "gate_linear" }],
          vclamps: [{ start: 0, duration: 1e9, voltage: v }],
          probes: ["gate_linear.C", "gate_linear.O"],
          dt: 0.025,
          until: 0.1,
        }, { catalogues: [cat] });
        const a = 0.1 * Math.exp(v / 15), b = 0.3 * Math.exp(-v / 20);
        const O = run.traces["gate_linear.O"], C = run.traces["gate_linear.C"];
        assert.equal(O[0], 0, "init leaves the states as initial() set them");
        for (let n = 1; n < O.length; n++) {
          assert.ok(Math.abs(O[n] - a / (a + b)) <= 1e-15, `${target}, v ${v}, step ${n}: O ${O[n]}`);
          assert.ok(Math.abs(C[n] - b / (a + b)) <= 1e-15, `${target}, v ${v}, step ${n}: C ${C[n]}`);
        }
      }
    } finally {
      cat.close();
    }
  }
});

Deno.test("sparse: a non-linear state takes modcc's three Newton iterations (js and native agree)", async () => {
  const square = defineMechanism({
    name: "square_decay",
    kind: "density",
    method: "sparse",
    parameters: { k: { default: 2 } },
    states: { s: {} },
  }, {
    initial: () => ({ s: 1 }),
    derivative: (x) => ({ s: -x.k * x.s * x.s }),
  });
  const traces: Float64Array[] = [];
  for (const target of ["js", "native"] as const) {
    const cat = await catalogue({ mechanisms: [square], target });
    try {
      const run = await runCell({
        areaUm2: 500,
        density: [{ mechanism: "square_decay" }],
        probes: ["square_decay.s"],
        dt: 0.1,
        until: 1,
      }, { catalogues: [cat] });
      traces.push(run.traces["square_decay.s"]);
    } finally {
      cat.close();
    }
  }
  let s = 1;
  for (let n = 1; n < traces[0].length; n++) {
    let y = s;
    for (let k = 0; k < 3; k++) y -= (y - s + 0.1 * 2 * y * y) / (1 + 0.1 * 2 * 2 * y);
    s = y;
    assert.ok(Math.abs(traces[0][n] - s) <= 1e-14, `step ${n}: ${traces[0][n]} vs ${s}`);
  }
  assert.deepEqual([...traces[1]], [...traces[0]], "native prints the same arithmetic");
});

Deno.test("sparse: bad conservation laws and kernels that cannot be solved are refused by name", async () => {
  const states = { C: {}, O: {} };
  const derivative = (x: Record<string, number>) => ({ C: x.O - x.C, O: x.C - x.O });
  assert.throws(
    () =>
      defineMechanism({ name: "c1", method: "cnexp", conserve: [{ sum: ["C"], equals: 1 }], states }, {
        derivative,
      }),
    /conserve applies to method "sparse"/,
  );
  assert.throws(
    () =>
      defineMechanism({ name: "c2", method: "sparse", conserve: [{ sum: ["X"], equals: 1 }], states }, {
        derivative,
      }),
    /conserve\[0\]: 'X' is not a state of this mechanism \(C, O\)/,
  );
  assert.throws(
    () =>
      defineMechanism({ name: "c3", method: "sparse", conserve: [{ sum: ["C"], equals: NaN }], states }, {
        derivative,
      }),
    /equals must be a finite number/,
  );
  assert.throws(
    () => defineMechanism({ name: "c4", method: "implicit" as "sparse", states }, { derivative }),
    /unknown integration method 'implicit'; use "cnexp", "euler", "sparse"/,
  );
  // an equilibrium that is not linear in the states
  const bent = defineMechanism({ name: "bent", method: "sparse", states }, {
    equilibrium: (x) => ({ C: x.C * x.O - 1, O: x.C - x.O }),
    derivative,
  });
  await assert.rejects(catalogue({ mechanisms: [bent], target: "js" }), (error: Error) => {
    assert.ok(error instanceof CompileError, String(error));
    assert.match(
      error.message,
      /the equation equilibrium\(\) gives for state 'C' .* is not linear in the states/,
    );
    return true;
  });
  // an equilibrium that leaves a state out
  const short = defineMechanism({ name: "short", method: "sparse", states }, {
    equilibrium: (x) => ({ C: x.C - 0.5 }),
    derivative,
  });
  await assert.rejects(
    catalogue({ mechanisms: [short], target: "js" }),
    /equilibrium\(\) gives no equation for state 'O'/,
  );
  // a sparse derivative the plan cannot read (console.log) is refused, not run as an opaque call
  const logged = defineMechanism({ name: "logged", method: "sparse", states }, {
    derivative: (x) => {
      console.log(x.C);
      return { C: x.O - x.C, O: x.C - x.O };
    },
  });
  await assert.rejects(
    catalogue({ mechanisms: [logged], target: "js" }),
    /method sparse solves its states implicitly, so derivative\(\) must be a kernel the plan can read, and it is not/,
  );
});

Deno.test("sparse: a scheme that breaks the law it declares is refused when the plan is made", async () => {
  // C ⇌ O plus a leak out of O: C + O is not conserved, whatever the law says
  const leaky = defineMechanism({
    name: "leaky",
    method: "sparse",
    conserve: [{ sum: ["C", "O"], equals: 1 }],
    parameters: { leak: { default: 0.1 } },
    states: { C: {}, O: {} },
  }, {
    derivative: (x) => ({ C: x.O - x.C, O: x.C - x.O - x.leak * x.O }),
  });
  await assert.rejects(
    catalogue({ mechanisms: [leaky], target: "js" }),
    /mechanism 'leaky': its derivatives do not conserve the law C \+ O = 1 it declares: at v = -80 mV with the parameters at their defaults, the weighted sum of their rates changes by -0\.1 per unit of state 'O'/,
  );
});

for (const target of ["js", "native"] as const) {
  Deno.test(`sparse: a singular step and Newton iterations that do not converge stop the run, naming the instance and CV (${target})`, async () => {
    // s' = k·s: I − dt·k is 0 at k = 1/dt (a singular step)
    const singular = defineMechanism({
      name: "singular",
      method: "sparse",
      parameters: { k: { default: 40 } },
      states: { s: {} },
    }, {
      initial: () => ({ s: 1 }),
      derivative: (x) => ({ s: x.k * x.s }),
    });
    // s' = −k·s³ from s = 1 with dt·k = 250: three Newton iterations are far from the root
    const stiff = defineMechanism({
      name: "stiff",
      method: "sparse",
      parameters: { k: { default: 1e4 } },
      states: { s: {} },
    }, {
      initial: () => ({ s: 1 }),
      derivative: (x) => ({ s: -x.k * x.s * x.s * x.s }),
    });
    const cat = await catalogue({ mechanisms: [singular, stiff], target });
    try {
      const run = (mechanism: string) =>
        runCell({ cvs: 2, areaUm2: 500, density: [{ mechanism, cvs: [1] }], dt: 0.025, until: 0.1 }, {
          catalogues: [cat],
        });
      await assert.rejects(
        run("singular"),
        /mechanism 'singular': derivative\(\) gave (-?Infinity|NaN) for state 's' from the implicit step of method sparse \(is its system singular here\?\) at instance 0 \(CV 1\)/,
      );
      await assert.rejects(
        run("stiff"),
        /mechanism 'stiff': derivative\(\) gave NaN for the convergence of modcc's three Newton iterations of method sparse \(NaN: their last correction exceeds 0\.000001 of a state; a smaller dt helps\) at instance 0 \(CV 1\)/,
      );
    } finally {
      cat.close();
    }
  });
}

Deno.test("stochastic: Euler–Maruyama with Arbor's white noise, s' = s + f·dt + l·√dt·W (js and native agree)", async () => {
  const ou = defineMechanism({
    name: "ou_test",
    kind: "density",
    method: "stochastic",
    parameters: { tau: { default: 2 }, sigma: { default: 0.3 } },
    states: { s: {}, seen: { assigned: true } },
    randoms: ["W"],
  }, {
    initial: () => ({ s: 1, seen: 0 }),
    // seen keeps the noise of the step, so that the test can replay the step
    derivative: (x) => ({ s: -x.s / x.tau + x.sigma * x.W, seen: x.W }),
  });
  const traces: Float64Array[][] = [];
  for (const target of ["js", "native"] as const) {
    const cat = await catalogue({ mechanisms: [ou], target });
    try {
      const run = await runCell({
        areaUm2: 500,
        density: [{ mechanism: "ou_test" }],
        probes: ["ou_test.s", "ou_test.seen"],
        dt: 0.025,
        until: 0.5,
      }, { catalogues: [cat] });
      traces.push([run.traces["ou_test.s"], run.traces["ou_test.seen"]]);
    } finally {
      cat.close();
    }
  }
  const [s, seen] = traces[0];
  assert.ok(
    seen.slice(1).some((w) => w !== 0) && new Set(seen.slice(1)).size > 5,
    "the host hands the kernel noise",
  );
  for (let n = 1; n < s.length; n++) {
    const expected = s[n - 1] + (-s[n - 1] / 2) * 0.025 + 0.3 * Math.pow(0.025, 0.5) * seen[n];
    assert.ok(Math.abs(s[n] - expected) <= 1e-15, `step ${n}: ${s[n]} vs ${expected}`);
  }
  assert.deepEqual([...traces[1][0]], [...s], "native prints the same arithmetic");
  const badSde = defineMechanism(
    { name: "bad_sde", method: "stochastic", states: { s: {} }, randoms: ["W"] },
    {
      derivative: (x) => ({ s: x.W * x.W }),
    },
  );
  await assert.rejects(
    catalogue({ mechanisms: [badSde], target: "js" }),
    /method stochastic needs the derivative of state 's' to be linear in the white noise \(W\).*not a valid SDE/,
  );
});
