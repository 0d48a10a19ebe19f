/**
 * The fallback path of pointwise kernels (live/pointwise.ts): a kernel the plan cannot express
 * runs as the user's own function, called from a generated loop with one reused scope object.
 * Every result is checked on every call: an object with allowed keys only, numbers only (no
 * string, null, boolean or array, which JavaScript would coerce), finite. cnexp takes
 * a = f(s + 1) - f(s) from two evaluations; its linearity is checked numerically on the first
 * step (`Pointwise.verifyDerivative`).
 *
 * The weight and unit rules are kernels/outputs.ts's (`OUTPUT_UNITS`, `currentScale`,
 * `concentrationsWeighted`, `CURRENT_CHECKS`): this file prints them into its loops, the planned
 * path builds graph nodes from them; tests/pointwise_test.ts runs both paths against the same
 * expectations.
 *
 * @module
 */
import type { EventBatch } from "../abi/ppack.ts";
import type { HookName } from "../abi/layout.ts";
import { ION_FLAG } from "../abi/layout.ts";
import { ionScopeNames, type KernelName } from "../kernels/rules.ts";
import { concentrationsWeighted, CURRENT_CHECKS, currentScale, OUTPUT_UNITS } from "../kernels/outputs.ts";
import type { Bundle, Hook, Pointwise } from "./pointwise.ts";

/** Builds a JS function from generated source; `scope` names are bound as its parameters. */
export function compile<T>(source: string, bindings: Record<string, unknown>): T {
  const names = Object.keys(bindings);
  return new Function(...names, `"use strict";\n${source}`)(...names.map((n) => bindings[n])) as T;
}

const lit = (key: string) => JSON.stringify(key);

/** Compiles the loop `lines` as hook `name(pp, b, events)` and binds it to the ppack's bundle. */
function generatedHook(rt: Pointwise, name: string, lines: string[]): Hook {
  const run = compile<(pp: unknown, b: Bundle, events: EventBatch | undefined) => void>(
    `return function ${name}(pp, b, events) {\n${lines.join("\n")}\n};`,
    { kernels: rt.kernels, x: rt.scope, rt },
  );
  return (pp, events) => run(pp, rt.bundle(pp), events);
}

/** Source that loads scope `x` for instance `k` (inside a loop whose prologue is `prologue`). */
export function gatherSource(
  rt: Pointwise,
  options: { init?: boolean } = {},
): { prologue: string[]; body: string[] } {
  const { spec } = rt;
  const prologue = [
    "const node = b.node, V = b.v, T = b.temperature, D = b.diam, A = b.area, W = b.weight;",
    "const peer = b.peer, VP = b.vPeer;",
    "const dt = pp.dt;",
    // dt is meaningless during init (garbage on Arbor 0.9/0.10): NaN makes a kernel that uses it fail.
    options.init ? "x.dt = NaN;" : "x.dt = dt;",
  ];
  const body = [
    "const n = node[k];",
    "x.v = V[n]; x.celsius = T[n]; x.diam = D[n]; x.area = A[n];",
    "if (VP !== null) x.vPeer = VP[peer[k]];",
  ];
  spec.states.forEach((f, j) => {
    prologue.push(`const S${j} = b.states[${j}];`);
    body.push(`x[${lit(f.key)}] = S${j}[k];`);
  });
  spec.parameters.forEach((f, j) => {
    prologue.push(`const P${j} = b.parameters[${j}];`);
    body.push(`x[${lit(f.key)}] = P${j}[k];`);
  });
  for (const f of spec.globals) prologue.push(`x[${lit(f.key)}] = pp[${lit(f.key)}];`);
  spec.randoms.forEach((name, j) => {
    prologue.push(`const R${j} = pp[${lit(name)}];`);
    body.push(`x[${lit(name)}] = R${j}[k];`);
  });
  spec.ions.forEach((ion, j) => {
    const names = ionScopeNames(ion.name);
    prologue.push(
      `const I${j} = b.ionIndex[${j}], E${j} = b.ionReversal[${j}], XI${j} = b.ionInternal[${j}], ` +
        `XO${j} = b.ionExternal[${j}], XD${j} = b.ionDiffusive[${j}], IC${j} = b.ionCurrent[${j}], ` +
        `IG${j} = b.ionConductance[${j}];`,
      `x[${lit(names.valence)}] = b.ionValence[${j}];`,
    );
    body.push(`const at${j} = I${j}[k];`);
    for (
      const [key, array] of [[names.reversal, `E${j}`], [names.internal, `XI${j}`], [
        names.external,
        `XO${j}`,
      ], [names.diffusive, `XD${j}`]]
    ) {
      // Unrequested scalars are accessors that throw, naming the flag (see the constructor).
      if (!rt.unrequested.has(key)) body.push(`x[${lit(key)}] = ${array} === null ? NaN : ${array}[at${j}];`);
    }
  });
  return { prologue, body };
}

/**
 * The check of one result: a number (strings, null, booleans and arrays would be coerced) that is
 * finite (`v - v !== 0` is true for NaN and ±Infinity only). Run on every call: both tests cost
 * next to nothing on a number.
 */
const check = (kernel: KernelName, what: string, value: string) =>
  `if (typeof ${value} !== "number" || ${value} - ${value} !== 0) rt.bad(${lit(kernel)}, ${
    lit(what)
  }, ${value}, k, n);`;

/**
 * The key check of result `r` of `kernel`, on every call: a count of its keys (for-in on an
 * object of one shape allocates nothing) against the count of allowed keys it holds. Only a
 * mismatch (an unknown key, or a key set to undefined) calls the full check, which throws for
 * an unknown key.
 */
function keyCheck(rt: Pointwise, kernel: KernelName, r: string): string {
  const present = rt.allowedKeys(kernel).map((key) => `(${r}[${lit(key)}] !== undefined)`);
  return `if (${r} === null || typeof ${r} !== "object") rt.checkKeys(${lit(kernel)}, ${r}, k, n); ` +
    `else { let keys = 0; for (const _ in ${r}) keys++; ` +
    `if (keys !== ${["0", ...present].join(" + ")}) rt.checkKeys(${lit(kernel)}, ${r}, k, n); }`;
}

/**
 * Stores the assigned states `derivative` or `current` returned in `result`, as they are and
 * unchecked (intermediate values; kernels/outputs.ts). A non-number is still refused.
 */
function storeAssigned(rt: Pointwise, kernel: KernelName, result: string): string[] {
  return rt.spec.states.flatMap((f, j) =>
    f.assigned
      ? [
        `{ const s = ${result}[${lit(f.key)}]; if (s !== undefined) { if (typeof s !== "number") rt.bad(${
          lit(kernel)
        }, ${lit(`state '${f.key}'`)}, s, k, n); S${j}[k] = s; } }`,
      ]
      : []
  );
}

/** Writes the states a kernel returned (all of them, or those present when `partial`). */
function storeStates(rt: Pointwise, kernel: KernelName, result: string, partial: boolean): string[] {
  return rt.spec.states.flatMap((f, j) => {
    const value = `${result}[${lit(f.key)}]`;
    const store = [`{ const s = ${value}; ${check(kernel, `state '${f.key}'`, "s")} S${j}[k] = s; }`];
    return partial ? [`if (${value} !== undefined) ${store[0]}`] : store;
  });
}

function compileInit(rt: Pointwise): Hook {
  const { prologue, body } = gatherSource(rt, { init: true });
  const lines = [...prologue, "const M = b.multiplicity;", "for (let k = 0; k < b.width; k++) {", ...body];
  if (rt.kernels.initial) {
    lines.push(
      "const r = kernels.initial(x);",
      keyCheck(rt, "initial", "r"),
    );
    // States initial() leaves out restart from their defaults, so init stays idempotent.
    rt.spec.states.forEach((f, j) => {
      lines.push(
        `{ let s = r[${lit(f.key)}]; if (s === undefined) s = ${f.defaultValue}; ${
          check("initial", `state '${f.key}'`, "s")
        } S${j}[k] = s; }`,
      );
    });
  } else {
    rt.spec.states.forEach((f, j) => lines.push(`S${j}[k] = ${f.defaultValue};`));
  }
  // Coalesced point instances stand for multiplicity[k] synapses: scale every STATE, but not the
  // ASSIGNED variables, as modcc does (5.5).
  const scaled = rt.spec.states.flatMap((f, j) => (f.assigned ? [] : [`S${j}[k] *= M[k];`]));
  lines.push("if (M !== null) {", ...scaled, "}", "}");
  return generatedHook(rt, "init", lines);
}

export function compileAdvance(rt: Pointwise): (pp: Record<string, unknown>, b: Bundle) => void {
  const { prologue, body } = gatherSource(rt);
  const integrated = rt.integrated ?? [];
  const keys = rt.spec.states.map((f) => f.key);
  const lines = [
    ...prologue,
    "for (let k = 0; k < b.width; k++) {",
    ...body,
    "const d = kernels.derivative(x);",
    keyCheck(rt, "derivative", "d"),
  ];
  // Every step, each integrated state's value is checked as what it is (left out, not a number,
  // not finite) before anything is computed from it.
  const checkValue = (result: string, j: number) =>
    `{ const f = ${result}[${lit(keys[j])}]; ${check("derivative", `state '${keys[j]}'`, "f")} }`;
  for (const j of integrated) lines.push(checkValue("d", j));
  if (rt.method === "euler") {
    for (const j of integrated) {
      lines.push(
        `{ const s = S${j}[k] + dt * d[${lit(keys[j])}]; ${
          check("derivative", `state '${keys[j]}'`, "s")
        } S${j}[k] = s; }`,
      );
    }
  } else {
    // A second evaluation with every integrated state moved by 1 gives each slope a = f(s+1) - f(s)
    // (a step of 1 needs no division); with the derivative linear in its own state and
    // independent of the others (checked on the first call), f = a*s + b, and modcc's cnexp
    // update follows.
    for (const j of integrated) {
      lines.push(
        `const s${j} = S${j}[k];`,
        `x[${lit(keys[j])}] = s${j} + 1;`,
      );
    }
    lines.push("const e = kernels.derivative(x);", keyCheck(rt, "derivative", "e"));
    for (const j of integrated) lines.push(checkValue("e", j));
    for (const j of integrated) {
      const key = lit(keys[j]);
      lines.push(
        `{ const f = d[${key}], a = e[${key}] - f, c = f - a * s${j}; let s;`,
        `  if (a === 0) s = s${j} + c * dt;`,
        `  else if (c === 0) s = s${j} * ((1 + 0.5 * a * dt) / (1 - 0.5 * a * dt));`,
        `  else { const ca = c / a; s = -ca + (s${j} + ca) * ((1 + 0.5 * a * dt) / (1 - 0.5 * a * dt)); }`,
        `  ${check("derivative", `state '${keys[j]}'`, "s")} S${j}[k] = s; }`,
      );
    }
  }
  lines.push(...storeAssigned(rt, "derivative", "d"), "}");
  return compile(`return function advanceState(pp, b) {\n${lines.join("\n")}\n};`, {
    kernels: rt.kernels,
    x: rt.scope,
    rt,
  });
}

function compileCurrent(rt: Pointwise): Hook {
  const { prologue, body } = gatherSource(rt);
  const { spec } = rt;
  // Density kinds work in mA/cm² and S/cm² (×10 to A/m² and kS/m²); point and gap junction in nA
  // and µS, already scaled to a density by weight = 1000/area (docs/abi.md 5.2).
  const unit = currentScale(spec.kind);
  const scale = unit === 1 ? "W[k]" : `${unit} * W[k]`;
  const step = String(OUTPUT_UNITS.forwardDifferenceMv);
  const lines = [
    ...prologue,
    "const vecI = pp.i, vecG = pp.g;",
    "for (let k = 0; k < b.width; k++) {",
    ...body,
  ];
  const currentKeys = ["i", ...spec.ions.map((ion) => ionScopeNames(ion.name).current)];
  const conductanceKeys = ["g", ...spec.ions.map((ion) => ionScopeNames(ion.name).conductance)];
  // Each returned value is checked before it is summed: "1" + 2 would concatenate.
  const sum = (result: string, keys: string[], prefix: string) => {
    const terms = keys.map((key, t) => {
      const value = `${result}[${lit(key)}]`;
      lines.push(
        `const ${prefix}${t} = ${value} === undefined ? 0 : ${value};`,
        check("current", `'${key}'`, `${prefix}${t}`),
      );
      return `${prefix}${t}`;
    });
    return terms.join(" + ");
  };
  lines.push("const c = kernels.current(x);", keyCheck(rt, "current", "c"), "const scale = " + scale + ";");
  lines.push(`const I = ${sum("c", currentKeys, "ci")};`, check("current", CURRENT_CHECKS.current, "I"));
  lines.push(`let G;`, `if (${conductanceKeys.map((g) => `c[${lit(g)}] === undefined`).join(" && ")}) {`);
  // No conductance given: dI/dV by a forward difference of 1 µV, as NEURON does.
  lines.push(`x.v = x.v + ${step}; const c2 = kernels.current(x);`, keyCheck(rt, "current", "c2"));
  lines.push(`G = ((${sum("c2", currentKeys, "cd")}) - I) / ${step};`, "} else {");
  lines.push(`G = ${sum("c", conductanceKeys, "cg")};`, "}");
  lines.push(
    check("current", CURRENT_CHECKS.conductance, "G"),
    "const sI = scale * I, sG = scale * G;",
    // A finite current can still overflow once scaled (1e308 A/m² is not a current).
    check("current", CURRENT_CHECKS.scaledCurrent, "sI"),
    check("current", CURRENT_CHECKS.scaledConductance, "sG"),
    "vecI[n] += sI;",
    "vecG[n] += sG;",
  );
  spec.ions.forEach((ion, j) => {
    const names = ionScopeNames(ion.name);
    lines.push(
      `IC${j}[at${j}] += scale * ci${j + 1};`,
      // ABI 0.6 also keeps a per-ion conductance (modcc scales it by 10 for every kind).
      `if (IG${j} !== null) { const gi = c[${lit(names.conductance)}]; if (gi !== undefined) { ${
        check("current", `'${names.conductance}'`, "gi")
      } IG${j}[at${j}] += ${OUTPUT_UNITS.ionConductanceScale} * W[k] * gi; } }`,
    );
  });
  lines.push(...storeAssigned(rt, "current", "c"));
  lines.push("}");
  return generatedHook(rt, "computeCurrents", lines);
}

function compileReversal(rt: Pointwise): Hook {
  const { prologue, body } = gatherSource(rt);
  const lines = [
    ...prologue,
    "for (let k = 0; k < b.width; k++) {",
    ...body,
    "const r = kernels.reversalPotential(x);",
  ];
  lines.push(keyCheck(rt, "reversalPotential", "r"));
  rt.spec.ions.forEach((ion, j) => {
    if (!(ion.flags & ION_FLAG.writeRevPotential)) return;
    const key = ionScopeNames(ion.name).reversal;
    // Reversal potentials are assigned, not accumulated, and carry no weight (5.3).
    lines.push(
      `{ const e = r[${lit(key)}]; if (e !== undefined) { ${
        check("reversalPotential", key, "e")
      } E${j}[at${j}] = e; } }`,
    );
  });
  lines.push("}");
  return generatedHook(rt, "computeCurrents", lines);
}

function compileConcentrations(rt: Pointwise): Hook {
  const { prologue, body } = gatherSource(rt);
  // Density writers add weight·c (the covered fraction); point writers add c unweighted (5.4).
  const factor = concentrationsWeighted(rt.spec.kind) ? "W[k]" : "1";
  const lines = [
    ...prologue,
    "for (let k = 0; k < b.width; k++) {",
    ...body,
    "const r = kernels.concentrations(x);",
  ];
  lines.push(keyCheck(rt, "concentrations", "r"));
  rt.spec.ions.forEach((ion, j) => {
    const names = ionScopeNames(ion.name);
    if (ion.flags & ION_FLAG.writeIntConcentration) {
      lines.push(
        `{ const c = r[${lit(names.internal)}]; if (c !== undefined) { ${
          check("concentrations", names.internal, "c")
        } XI${j}[at${j}] += ${factor} * c; } }`,
      );
    }
    if (ion.flags & ION_FLAG.writeExtConcentration) {
      lines.push(
        `{ const c = r[${lit(names.external)}]; if (c !== undefined) { ${
          check("concentrations", names.external, "c")
        } XO${j}[at${j}] += ${factor} * c; } }`,
      );
    }
  });
  lines.push("}");
  return generatedHook(rt, "writeIons", lines);
}

function compileEvents(rt: Pointwise): Hook {
  const { prologue, body } = gatherSource(rt);
  const lines = [
    ...prologue,
    "const target = events.mechIndex, weight = events.weight;",
    "for (let e = 0; e < events.length; e++) {",
    "const k = target[e];",
    "if (!(k < b.width)) throw new Error(`mechanism '${rt.spec.name}': event for instance ${k}, but width is ${b.width}`);",
    ...body,
    "const r = kernels.onEvent(x, weight[e]);",
    keyCheck(rt, "onEvent", "r"),
    ...storeStates(rt, "onEvent", "r", true),
    "}",
  ];
  return generatedHook(rt, "applyEvents", lines);
}

function compilePostEvent(rt: Pointwise): Hook {
  const { prologue, body } = gatherSource(rt);
  const lines = [
    ...prologue,
    "const ci = b.vecCi, since = b.timeSinceSpike, detectors = pp.nDetectors;",
    "if (ci === null || since === null) return;",
    "for (let k = 0; k < b.width; k++) {",
    "const cell = ci[node[k]];",
    "for (let d = 0; d < detectors; d++) {",
    "const t = since[cell * detectors + d];",
    "if (!(t >= 0)) continue;",
    ...body,
    "const r = kernels.onPostEvent(x, t);",
    keyCheck(rt, "onPostEvent", "r"),
    ...storeStates(rt, "onPostEvent", "r", true),
    "}",
    "}",
  ];
  return generatedHook(rt, "postEvent", lines);
}

/** The raw hooks of a mechanism whose kernels all run as the user's own functions. */
export function fallbackHooks(rt: Pointwise): Partial<Record<HookName, Hook>> {
  const { spec, kernels } = rt;
  const hooks: Partial<Record<HookName, Hook>> = {};
  if (kernels.initial || spec.states.length > 0) hooks.init = compileInit(rt);
  if (kernels.derivative) hooks.advanceState = (pp) => rt.advance(pp);
  if (kernels.current) hooks.computeCurrents = compileCurrent(rt);
  if (kernels.reversalPotential) hooks.computeCurrents = compileReversal(rt);
  if (kernels.concentrations) hooks.writeIons = compileConcentrations(rt);
  if (kernels.onEvent) hooks.applyEvents = compileEvents(rt);
  if (kernels.onPostEvent) hooks.postEvent = compilePostEvent(rt);
  return hooks;
}
