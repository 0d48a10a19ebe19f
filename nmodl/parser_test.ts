// Unit tests of the NMODL importer on small .mod files written here: each block the parser
// reads, and each error (file:line:column, the construct named, what to do).
import assert from "node:assert/strict";
import { parseNmodl } from "./parser.ts";
import { importNmodl, NmodlError } from "./mod.ts";
import { generator } from "../tests/support/random.ts";

const MINIMAL = "NEURON { SUFFIX leak NONSPECIFIC_CURRENT i RANGE g }\nPARAMETER { g = 0.001 (S/cm2) }\n";
/** MINIMAL with two states and a KINETIC k solved with METHOD sparse (the block itself follows on line 6). */
const SCHEME = `${MINIMAL}STATE { a b }\nBREAKPOINT { SOLVE k METHOD sparse\ni = 0 }\n`;

Deno.test("NEURON: SUFFIX, POINT_PROCESS, USEION READ/WRITE/VALENCE, RANGE, GLOBAL, NONSPECIFIC_CURRENT", () => {
  const tree = parseNmodl(
    `NEURON {
      SUFFIX chan
      USEION ca READ cai, cao WRITE ica VALENCE 2
      USEION k READ ek WRITE ik
      RANGE gbar, minf
      GLOBAL q10
      NONSPECIFIC_CURRENT il, ix
      THREADSAFE
    }`,
    "chan.mod",
  );
  assert.equal(tree.neuron.kind, "density");
  assert.equal(tree.neuron.name, "chan");
  assert.deepEqual(tree.neuron.ions.map((i) => [i.name, i.read, i.write, i.valence]), [
    ["ca", ["cai", "cao"], ["ica"], 2],
    ["k", ["ek"], ["ik"], undefined],
  ]);
  assert.deepEqual(tree.neuron.range, ["gbar", "minf"]);
  assert.deepEqual(tree.neuron.global, ["q10"]);
  assert.deepEqual(tree.neuron.nonspecific, ["il", "ix"]);
  const point = parseNmodl("NEURON { POINT_PROCESS Syn }", "syn.mod");
  assert.equal(point.neuron.kind, "point");
  assert.equal(point.neuron.name, "Syn");
});

Deno.test("UNITS, PARAMETER (values, units, ranges), ASSIGNED, STATE, CONSTANT and TITLE", () => {
  const tree = parseNmodl(
    `TITLE a test channel
    NEURON { SUFFIX t }
    UNITS { (mV) = (millivolt)  F = (faraday) (coulomb)  c = 2.5 (1) }
    PARAMETER {
      gbar = .12 (S/cm2) <0,1e9>
      el = -54.3 (mV)
      k1 = 5e8 (/mM-s) <0, 1e10>
      q
    }
    ASSIGNED { v (mV) minf mtau (ms) }
    STATE { m h (1) }
    CONSTANT { z = 2 }`,
    "t.mod",
  );
  assert.equal(tree.title, "a test channel");
  assert.deepEqual(tree.unitConstants.map((c) => [c.name, c.constant, c.value, c.unit]), [
    ["F", "faraday", undefined, "coulomb"],
    ["c", undefined, 2.5, "1"],
  ]);
  assert.deepEqual(tree.parameters.map((p) => [p.name, p.value, p.unit, p.range]), [
    ["gbar", 0.12, "S/cm2", [0, 1e9]],
    ["el", -54.3, "mV", undefined],
    ["k1", 5e8, "/mM-s", [0, 1e10]],
    ["q", undefined, "", undefined],
  ]);
  assert.deepEqual(tree.assigned.map((a) => [a.name, a.unit]), [["v", "mV"], ["minf", ""], ["mtau", "ms"]]);
  assert.deepEqual(tree.states.map((s) => s.name), ["m", "h"]);
  assert.deepEqual(tree.constants.map((c) => [c.name, c.value]), [["z", 2]]);
});

Deno.test("INITIAL, BREAKPOINT with SOLVE, DERIVATIVE, PROCEDURE, FUNCTION, NET_RECEIVE, LOCAL, if/else", () => {
  const tree = parseNmodl(
    `NEURON { POINT_PROCESS S }
    INITIAL { LOCAL a  a = 1  rates(v) }
    BREAKPOINT { SOLVE st METHOD cnexp  i = g*(v - e) }
    DERIVATIVE st { g' = -g/tau }
    PROCEDURE rates(v (mV)) { if (v > 0) { minf = 1 } else if (v < -10) { minf = 0 } else { minf = 0.5 } }
    FUNCTION f(x, y) (ms) { f = x^y^2 - -x }
    NET_RECEIVE (weight (uS)) { g = g + weight }`,
    "s.mod",
  );
  assert.deepEqual(tree.initial!.statements.map((s) => s.kind), ["local", "assign", "call"]);
  const solve = tree.breakpoint!.statements[0];
  assert.deepEqual(solve.kind === "solve" && [solve.block, solve.method], ["st", "cnexp"]);
  assert.equal(tree.derivatives[0].statements[0].kind, "derivative");
  assert.deepEqual(tree.procedures[0].args, [{ name: "v", unit: "mV" }]);
  const branch = tree.procedures[0].statements[0];
  assert.ok(branch.kind === "if" && branch.otherwise[0].kind === "if", "else if nests an if");
  const f = tree.functions[0].statements[0];
  // x^y^2 is x^(y^2) (right associative); - -x is a unary minus of a unary minus.
  assert.ok(f.kind === "assign" && f.value.kind === "binary" && f.value.op === "-");
  const power = f.kind === "assign" && f.value.kind === "binary" ? f.value.left : undefined;
  assert.ok(
    power?.kind === "binary" && power.op === "^" && power.right.kind === "binary" && power.right.op === "^",
  );
  assert.deepEqual(tree.netReceive!.args, [{ name: "weight", unit: "uS" }]);
});

Deno.test("comments (: ? COMMENT) are kept in the generated module", async () => {
  const { source } = await importNmodl(
    `COMMENT\nA leak written for the test.\nENDCOMMENT\n${MINIMAL}? the current\nBREAKPOINT {\n  : Ohm's law\n  i = g*(v + 65)\n}`,
    { file: "leak.mod", format: false },
  );
  for (const text of ["A leak written for the test.", "the current", "// Ohm's law"]) {
    assert.ok(source.includes(text), text);
  }
});

/** Asserts that importing `source` (as `bad.mod`) fails at `line`:`column` naming `construct`. */
async function refused(source: string, line: number, column: number, construct: RegExp) {
  await assert.rejects(importNmodl(source, { file: "bad.mod", format: false }), (error: unknown) => {
    assert.ok(error instanceof NmodlError, String(error));
    assert.equal(`${error.line}:${error.column}`, `${line}:${column}`, error.message);
    assert.ok(error.message.startsWith(`bad.mod:${line}:${column}: `), error.message);
    assert.match(error.message, construct);
    return true;
  });
}

const errors: [string, string, number, number, RegExp][] = [
  ["NONLINEAR", `${MINIMAL}NONLINEAR k { ~ a = 1 }`, 3, 1, /NONLINEAR is not supported/],
  [
    "a reaction in a DERIVATIVE block",
    `${MINIMAL}STATE { a b }\nBREAKPOINT { SOLVE d METHOD cnexp }\nDERIVATIVE d { ~ a <-> b (1, 1) }`,
    5,
    16,
    /a reaction \(~ ... <-> ...\) in DERIVATIVE: write reactions and CONSERVE in a KINETIC block/,
  ],
  [
    "a CONSERVE total that is not a number",
    `${MINIMAL}STATE { a b }\nBREAKPOINT { SOLVE k METHOD sparse }\nKINETIC k { ~ a <-> b (1, 1)\nCONSERVE a + b = g }`,
    6,
    1,
    /a CONSERVE total that is not a number/,
  ],
  [
    "a LINEAR block with too few equations",
    `${MINIMAL}STATE { a b }\nINITIAL { SOLVE l }\nLINEAR l { ~ a = 1 }`,
    5,
    1,
    /LINEAR l with 1 equations for 2 states/,
  ],
  [
    "a statement after INITIAL's SOLVE",
    `${MINIMAL}STATE { a b }\nINITIAL { SOLVE l\na = 1 }\nLINEAR l { ~ a = 1\n~ b = 2 }`,
    4,
    11,
    /statements after SOLVE l in INITIAL/,
  ],
  [
    "COMPARTMENT with an index",
    `${SCHEME}KINETIC k { COMPARTMENT i, 2 {a} }`,
    6,
    26,
    /COMPARTMENT with an index is not supported/,
  ],
  [
    "COMPARTMENT after a reaction",
    `${SCHEME}KINETIC k { ~ a <-> b (1, 2)\nCOMPARTMENT 2 {a} }`,
    7,
    1,
    /COMPARTMENT after a reaction is not supported: write the COMPARTMENT statements before the reactions/,
  ],
  [
    "COMPARTMENT of a name no reaction changes",
    `${SCHEME}KINETIC k { COMPARTMENT 2 {q}\n~ a <-> b (1, 2) }`,
    6,
    13,
    /COMPARTMENT of q is not supported: q is no species of a reaction here \(modcc refuses it too\)/,
  ],
  [
    "a CONSERVE over a species whose COMPARTMENT volume is not a number",
    `${SCHEME}KINETIC k { COMPARTMENT g {a}\n~ a <-> b (1, 2)\nCONSERVE a + b = 1 }`,
    6,
    13,
    /a CONSERVE over a species whose COMPARTMENT volume is not a number/,
  ],
  [
    "a read of a COMPARTMENT species outside the reactions of a linear scheme",
    `${SCHEME}KINETIC k { LOCAL q\nCOMPARTMENT 2 {a}\nq = 2*a\n~ a <-> b (q, 2) }`,
    8,
    1,
    /a read of a species in a COMPARTMENT outside the reactions of a linear scheme/,
  ],
  [
    "COMPARTMENT outside a KINETIC block",
    `${MINIMAL}STATE { a }\nBREAKPOINT { SOLVE d METHOD cnexp\ni = 0 }\nDERIVATIVE d { COMPARTMENT 2 {a}\na' = -a }`,
    6,
    16,
    /COMPARTMENT in DERIVATIVE/,
  ],
  ["VERBATIM", `${MINIMAL}VERBATIM\nint x;\nENDVERBATIM`, 3, 1, /VERBATIM is not supported/],
  ["POINTER", "NEURON { SUFFIX p POINTER q }", 1, 19, /POINTER is not supported/],
  ["ARTIFICIAL_CELL", "NEURON { ARTIFICIAL_CELL a }", 1, 10, /ARTIFICIAL_CELL is not supported/],
  ["DEFINE", `${MINIMAL}DEFINE N 10`, 3, 1, /DEFINE is not supported/],
  ["a LOCAL outside blocks", `${MINIMAL}LOCAL q`, 3, 1, /LOCAL is not supported: .*shared mutable state/],
  ["an array", "NEURON { SUFFIX a }\nSTATE { ca[4] }", 2, 11, /array 'ca\[...\]' is not supported/],
  ["a loop", `${MINIMAL}INITIAL { FROM i = 0 TO 3 { } }`, 3, 11, /FROM is not supported: loops/],
  [
    "STEADYSTATE of a missing block",
    `${MINIMAL}INITIAL { SOLVE s STEADYSTATE sparse }`,
    3,
    11,
    /SOLVE s STEADYSTATE sparse in INITIAL: INITIAL solves a LINEAR block/,
  ],
  ["an unknown block", `${MINIMAL}WIBBLE { }`, 3, 1, /unknown block 'WIBBLE'/],
  ["no NEURON block", "PARAMETER { g = 1 }", 1, 1, /without a NEURON block/],
  ["an unterminated COMMENT", `${MINIMAL}COMMENT\nno end`, 3, 1, /COMMENT without ENDCOMMENT/],
  ["a stray character", `${MINIMAL}BREAKPOINT { i = g $ 2 }`, 3, 20, /the character '\$'/],
  ["a syntax error", `${MINIMAL}BREAKPOINT { i = g * }`, 3, 22, /'}' in an expression/],
  [
    "SOLVE without METHOD",
    `${MINIMAL}STATE { m }\nBREAKPOINT { SOLVE d }\nDERIVATIVE d { m' = -m }`,
    4,
    14,
    /SOLVE d without METHOD is not supported: DERIVATIVE d has a derivative \(modcc refuses it too/,
  ],
  [
    "METHOD derivimplicit",
    `${MINIMAL}STATE { m }\nBREAKPOINT { SOLVE d METHOD derivimplicit }\nDERIVATIVE d { m' = -m }`,
    4,
    14,
    /METHOD derivimplicit is not supported/,
  ],
  [
    "SOLVE of a missing block",
    `${MINIMAL}BREAKPOINT { SOLVE d METHOD cnexp }`,
    3,
    14,
    /no DERIVATIVE, KINETIC or LINEAR d/,
  ],
  ["the time t", `${MINIMAL}BREAKPOINT { i = g*t }`, 3, 20, /time t is not supported/],
  [
    "net_send",
    "NEURON { POINT_PROCESS p }\nNET_RECEIVE (w) { net_send(1, 1) }",
    2,
    19,
    /net_send\(...\) is not supported/,
  ],
  ["an unknown function", `${MINIMAL}BREAKPOINT { i = erf(g) }`, 3, 18, /unknown function 'erf'/],
  ["an undeclared name", `${MINIMAL}BREAKPOINT { i = g*q }`, 3, 20, /undeclared name 'q'/],
  [
    "a STATE set in a VOLTAGE_PROCESS's BREAKPOINT",
    "NEURON { VOLTAGE_PROCESS vp }\nSTATE { m }\nBREAKPOINT { m = 1 v = -65 }",
    3,
    14,
    /assignment to m in BREAKPOINT: a VOLTAGE_PROCESS's BREAKPOINT may only set v/,
  ],
  [
    "an assignment to celsius",
    `${MINIMAL}BREAKPOINT { celsius = 1 }`,
    3,
    14,
    /assignment to celsius in BREAKPOINT: 'celsius' is read from the simulator/,
  ],
  [
    "a parameter set in BREAKPOINT",
    `${MINIMAL}BREAKPOINT { g = 1 i = 0 }`,
    3,
    14,
    /parameters are read-only/,
  ],
  [
    "USEION WRITE cai without a STATE cai",
    "NEURON { SUFFIX c USEION ca READ cai WRITE cai }",
    1,
    19,
    /WRITE cai \(writing a concentration that is not a STATE\) is not supported: declare cai in the STATE block/,
  ],
  [
    "the diffusive concentration assigned in DERIVATIVE",
    "NEURON { SUFFIX c USEION x WRITE xd }\nBREAKPOINT { SOLVE d METHOD cnexp }\nDERIVATIVE d { xd = 1 }",
    3,
    16,
    /the assignment to xd in DERIVATIVE: integrate it as xd' = \.\.\. instead/,
  ],
  [
    "the diffusive concentration declared a STATE",
    "NEURON { SUFFIX c USEION x WRITE xd }\nSTATE { xd }",
    1,
    19,
    /STATE xd, the diffusive concentration of ion x: Arbor's Xd is not a STATE/,
  ],
  [
    "a reversal potential and a current",
    "NEURON { SUFFIX c USEION ca READ cai WRITE eca, ica }\nBREAKPOINT { eca = 1 ica = 0 }",
    2,
    1,
    /a mechanism that writes a reversal potential and the current ica: .*split it into two mechanisms/,
  ],
  ["NET_RECEIVE in a SUFFIX", `${MINIMAL}NET_RECEIVE (w) { }`, 3, 1, /NET_RECEIVE in a SUFFIX mechanism/],
  [
    "NET_RECEIVE with two arguments",
    "NEURON { POINT_PROCESS p }\nSTATE { g }\nNET_RECEIVE (w, f) { g = w }",
    3,
    1,
    /NET_RECEIVE with 2 arguments/,
  ],
  [
    "an ASSIGNED read in BREAKPOINT but set only in DERIVATIVE (NaN at the first step in modcc)",
    `${MINIMAL}STATE { m }\nASSIGNED { a }\nBREAKPOINT { SOLVE d METHOD cnexp i = a }\nDERIVATIVE d { a = 1 m' = -m*a }`,
    5,
    1,
    /the ASSIGNED a, read in BREAKPOINT before INITIAL set it on every path \(it is set in DERIVATIVE\): .*call it in INITIAL as well/,
  ],
  [
    "an ASSIGNED read in INITIAL before it is set",
    `${MINIMAL}ASSIGNED { a }\nINITIAL { a = a + 1 }`,
    4,
    1,
    /the ASSIGNED a, read in INITIAL before INITIAL sets it \(it is set in INITIAL\)/,
  ],
  [
    "an ASSIGNED set on one path only",
    `${MINIMAL}ASSIGNED { a }\nINITIAL { if (v > 0) { a = 1 } }\nBREAKPOINT { i = a }`,
    5,
    1,
    /the ASSIGNED a, read in BREAKPOINT before INITIAL set it on every path/,
  ],
  [
    "a nonlinear x' = f(x) under METHOD cnexp",
    `${MINIMAL}STATE { m }\nBREAKPOINT { SOLVE d METHOD cnexp i = 0 }\nDERIVATIVE d { m' = -m*m }`,
    5,
    23,
    /m' = \.\.\. is not linear in m under METHOD cnexp: it multiplies two terms that hold m: .*METHOD euler/,
  ],
  [
    "a cnexp derivative through a LOCAL computed from the state (modcc freezes it)",
    `${MINIMAL}STATE { m }\nBREAKPOINT { SOLVE d METHOD cnexp i = 0 }\nDERIVATIVE d { LOCAL a\n a = 2*m\n m' = -a }`,
    7,
    2,
    /m' = \.\.\. reads a, which DERIVATIVE computes from a state, under METHOD cnexp: modcc takes a as a constant/,
  ],
  [
    "a cnexp derivative reading another state",
    `${MINIMAL}STATE { m h }\nBREAKPOINT { SOLVE d METHOD cnexp i = 0 }\nDERIVATIVE d { m' = -m  h' = m - h }`,
    5,
    25,
    /h' = \.\.\. reads the state m under METHOD cnexp/,
  ],
  ["a recursive FUNCTION", `${MINIMAL}FUNCTION f(x) { f = f(x - 1) }`, 3, 21, /recursive call of FUNCTION f/],
  [
    "a FUNCTION setting a mechanism value",
    `${MINIMAL}ASSIGNED { a }\nFUNCTION f(x) { a = x f = x }`,
    4,
    17,
    /module functions are pure/,
  ],
  [
    "a builtin with the wrong arity",
    `${MINIMAL}BREAKPOINT { i = exp(g, 2) }`,
    3,
    18,
    /exp with 2 arguments: it takes 1/,
  ],
  [
    "a PARAMETER default outside its range",
    "NEURON { SUFFIX r RANGE g }\nPARAMETER { g = 5 (S/cm2) <0, 1> }",
    2,
    13,
    /PARAMETER g = 5 outside its range <0, 1>: widen the range/,
  ],
  [
    "a PARAMETER range written high first",
    "NEURON { SUFFIX r RANGE g }\nPARAMETER { g = 0.5 <1, 0> }",
    2,
    13,
    /outside its range <1, 0>: write the range low first/,
  ],
  [
    "an unknown unit constant",
    "NEURON { SUFFIX u }\nUNITS { q = (quark) (coulomb) }",
    2,
    9,
    /unit constant \(quark\) is not supported/,
  ],
];
for (const [what, source, line, column, construct] of errors) {
  Deno.test(`refused with file:line:column and the construct: ${what}`, () =>
    refused(source, line, column, construct));
}

Deno.test("conductances follow modcc's rule: the coefficient of v, LOCALs, ASSIGNED and FUNCTION calls constant", async () => {
  // modcc (module.cpp, symdiff.cpp) differentiates each current's first assignment in v alone:
  // kca (a LOCAL of v) and f(v) (a FUNCTION call) are constants there, exp/^/log are not.
  const mod =
    `NEURON { SUFFIX c USEION ca READ cai, cao WRITE ica USEION k READ ek WRITE ik NONSPECIFIC_CURRENT il RANGE K }
    PARAMETER { K = 140  imax = 1 (mA/cm2) gbk = 0.01 }
    STATE { S }
    BREAKPOINT { LOCAL kca
      kca = K*cao*exp(-.08(/mV)*(v+70))
      ica = -imax * S^5 * (kca - K*cai)/(1 + kca) * v
      ik = gbk*f(v)*(v - ek)
      il = 0.001*(v + 60)^2 - log(v + 100)
    }
    FUNCTION f(u) { f = exp(u/20) }`;
  const folder = await Deno.makeTempDir();
  try {
    const result = await importNmodl(mod, { file: "c.mod" });
    const path = `${folder}/c.ts`;
    await Deno.writeTextFile(path, result.source);
    const { C } = await import(`file://${path}`);
    const kernel = new C();
    const scope = (v: number) => ({
      v,
      K: 140,
      imax: 1,
      gbk: 0.01,
      S: 0.7,
      cai: 5e-5,
      cao: 2,
      ek: -80,
      celsius: 6.3,
    });
    for (const v of [-80, -65, -20, 15]) {
      const at = kernel.current(scope(v));
      const kca = 140 * 2 * Math.exp(-0.08 * (v + 70));
      const close = (a: number, b: number, what: string) =>
        assert.ok(Math.abs(a - b) <= 1e-12 * Math.abs(b) + 1e-300, `${what} at ${v}: ${a} vs ${b}`);
      close(at.gca, -1 * 0.7 ** 5 * (kca - 140 * 5e-5) / (1 + kca), "gca");
      close(at.gk, 0.01 * Math.exp(v / 20), "gk");
      close(at.g, 0.001 * 2 * (v + 60) - 1 / (v + 100), "g");
    }
  } finally {
    await Deno.remove(folder, { recursive: true });
  }
});

Deno.test("mutilated .mod files are imported or refused with an NmodlError, never another exception", async () => {
  const folder = new URL("../tests/data/nmodl/", import.meta.url);
  // every .mod of the folder and of its subfolders (gap junctions, noise)
  const files = (at: URL): URL[] =>
    [...Deno.readDirSync(at)].flatMap((e) =>
      e.isDirectory ? files(new URL(`${e.name}/`, at)) : e.name.endsWith(".mod") ? [new URL(e.name, at)] : []
    );
  const texts = files(folder).map((file) => Deno.readTextFileSync(file));
  const random = generator(15);
  const pick = (n: number) => Math.floor(random() * n);
  let refusedCount = 0;
  for (let n = 0; n < 1500; n++) {
    let text = texts[pick(texts.length)];
    for (let k = 0; k <= pick(3); k++) {
      const at = pick(text.length), length = pick(12), r = random();
      if (r < 0.4) text = text.slice(0, at) + text.slice(at + length);
      else if (r < 0.7) text = text.slice(0, at) + "(){}=+-*/^'<>,:?!0.5e\n"[pick(22)] + text.slice(at);
      else text = text.slice(0, at) + text.slice(pick(text.length)).slice(0, length) + text.slice(at);
    }
    try {
      await importNmodl(text, { file: "mutant.mod", format: false });
    } catch (error) {
      if (!(error instanceof NmodlError)) throw new Error(`not an NmodlError on:\n${text}`, { cause: error });
      assert.match(error.message, /^mutant\.mod:\d+:\d+: /);
      refusedCount++;
    }
  }
  assert.ok(refusedCount > 100, `${refusedCount} of 1500 mutants refused`);
});

Deno.test("names that would hide a ppack view or a kernel are renamed, keeping Arbor's name", async () => {
  const { source } = await importNmodl(
    "NEURON { SUFFIX n NONSPECIFIC_CURRENT i RANGE g, current }\nPARAMETER { g = 1 current = 2 }\n" +
      "BREAKPOINT { i = g*current*(v + 65) }",
    { file: "n.mod", format: false },
  );
  assert.match(source, /@parameter\(\{ name: "g", default: 1 \}\)\n\s+gValue!: number;/);
  assert.match(source, /@parameter\(\{ name: "current", default: 2 \}\)\n\s+currentValue!: number;/);
  assert.match(
    source,
    /i: x\.gValue \* x\.currentValue \* \(x\.v \+ 65\)|const i = x\.gValue \* x\.currentValue/,
  );
});

Deno.test("Arbor's builtins (exprelr, step_right, step_left, step, signum, sigmoid, relu) compute their definitions", async () => {
  const mod = `NEURON { SUFFIX b NONSPECIFIC_CURRENT i RANGE a }
    PARAMETER { a = 0 }
    BREAKPOINT { i = exprelr(a) + 10*step_right(a) + 100*step_left(a) + 1000*step(a) + 1e4*signum(a) + 1e5*sigmoid(a) + 1e6*relu(a) }`;
  const folder = await Deno.makeTempDir();
  try {
    const result = await importNmodl(mod, { file: "b.mod" });
    await Deno.writeTextFile(`${folder}/b.ts`, result.source);
    const { B } = await import(`file://${folder}/b.ts`);
    const i = (a: number) => new B().current({ v: -65, a }).i;
    const expected = (a: number) =>
      (a === 0 ? 1 : a / Math.expm1(a)) + 10 * (a >= 0 ? 1 : 0) + 100 * (a > 0 ? 1 : 0) +
      1000 * (a > 0 ? 1 : a < 0 ? 0 : 0.5) + 1e4 * Math.sign(a) + 1e5 / (1 + Math.exp(-a)) +
      1e6 * Math.max(0, a);
    for (const a of [-2, 0, 1e-9, 3]) assert.equal(i(a), expected(a), `a = ${a}`);
  } finally {
    await Deno.remove(folder, { recursive: true });
  }
});

Deno.test("POST_EVENT(time) becomes onPostEvent with hasPostEvents", async () => {
  const { source } = await importNmodl(
    "NEURON { POINT_PROCESS p NONSPECIFIC_CURRENT i }\nSTATE { w }\nBREAKPOINT { i = w*v }\n" +
      "NET_RECEIVE (weight) { w = w + weight }\nPOST_EVENT (time) { w = w*exp(-time) }",
    { file: "p.mod", format: false },
  );
  assert.match(source, /hasPostEvents: true/);
  assert.match(
    source,
    /override onPostEvent\(x: Scope<P>, time: number\): StateValues<P> \{\n\s+const w = x\.w \* Math\.exp\(-time\);/,
  );
});

Deno.test("SOLVE without METHOD of a block that only assigns its states runs it each step (method direct)", async () => {
  // a DERIVATIVE block and a KINETIC block without reactions: modcc's direct solver runs either as written
  for (const block of ["DERIVATIVE", "KINETIC"]) {
    const { source } = await importNmodl(
      `${MINIMAL}STATE { a }\nBREAKPOINT { SOLVE k\ni = g*a }\n${block} k { a = a + dt }`,
      { file: "step.mod", format: false },
    );
    assert.match(source, /method: "direct"/, block);
    assert.match(
      source,
      /derivative\(x: Scope<Leak>\): StateValues<Leak> \{\s*const a = x\.a \+ x\.dt;\s*return \{ a \};/,
      block,
    );
  }
});
