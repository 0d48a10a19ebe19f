// kernels/exp.ts: the table-driven exp of the printed JS loops is as accurate as Math.exp (at most
// one unit in the last place apart, over the whole range and at the edges), and the printed
// source computes the same function as the exported one.
import assert from "node:assert/strict";
import {
  EXP_SCRATCH,
  EXP_TABLE_HIGH,
  EXP_TABLE_LOW,
  fastExp,
  fastExpm1,
  inlineExp,
  inlineExpm1,
  POW2,
} from "./exp.ts";
import { strip } from "./print.ts";
import { generator } from "../tests/support/random.ts";

const bits = new BigInt64Array(1);
const doubles = new Float64Array(bits.buffer);
/** Distance in units in the last place between two finite doubles of the same sign. */
function ulps(a: number, b: number): bigint {
  doubles[0] = a;
  const x = bits[0];
  doubles[0] = b;
  const d = x - bits[0];
  return d < 0n ? -d : d;
}

Deno.test("fastExp is within 1 ulp of Math.exp over (-708, 709); exp(0) is 1", () => {
  const random = generator(13);
  let differ = 0;
  for (let n = 0; n < 200_000; n++) {
    const x = n % 2 ? -708 + 1417 * random() : -20 + 40 * random();
    const d = ulps(fastExp(x), Math.exp(x));
    assert.ok(d <= 1n, `exp(${x}): ${fastExp(x)} vs ${Math.exp(x)}`);
    if (d) differ++;
  }
  assert.ok(differ < 2_000, `${differ} of 200000 differ in the last bit`); // both round within ~0.5 ulp
  assert.equal(fastExp(0), 1);
  assert.equal(EXP_TABLE_HIGH[64], Math.SQRT2, "2^(64/128) rounds to Math.SQRT2");
  assert.ok(Math.abs(EXP_TABLE_LOW[64]) < Number.EPSILON, "the low part is the rounding error");
});

Deno.test("fastExp hands NaN, infinities and the extremes to Math.exp", () => {
  for (const x of [NaN, Infinity, -Infinity, 709.5, 800, -708.5, -745.5, -1e308, 1e308]) {
    assert.ok(Object.is(fastExp(x), Math.exp(x)), `exp(${x})`);
  }
});

/** `(x, y) => code` compiled over the tables, as kernels/js.ts prints it. */
function printed(code: string): (x: number, y: number) => number {
  return new Function("high", "low", "pow2", `"use strict";\n${EXP_SCRATCH}\nreturn (x, y) => ${code};`)(
    EXP_TABLE_HIGH,
    EXP_TABLE_LOW,
    POW2,
  );
}

Deno.test("the printed inline exp computes the exported function, nested and side by side", () => {
  const single = printed(inlineExp("x"));
  const nested = printed(inlineExp(inlineExp("x") + " - y"));
  const pair = printed(`${inlineExp("x")} * 3 + ${inlineExp("y")}`);
  // The printer strips one pair of outer parentheses from a temporary (kernels/print.ts).
  const stripped = printed(strip(inlineExp("x")));
  const random = generator(7);
  for (let n = 0; n < 20_000; n++) {
    const x = -700 + 1400 * random();
    const y = -5 + 10 * random();
    const small = -5 + 10 * random();
    assert.ok(Object.is(single(x, y), fastExp(x)), `exp(${x})`);
    assert.ok(Object.is(stripped(x, y), fastExp(x)), `stripped exp(${x})`);
    assert.ok(Object.is(nested(small, y), fastExp(fastExp(small) - y)), `exp(exp(${small}) - ${y})`);
    assert.ok(Object.is(pair(small, y), fastExp(small) * 3 + fastExp(y)), `exp(${small})*3 + exp(${y})`);
  }
});

Deno.test("fastExpm1 is within 1 ulp of Math.expm1, exact near 0 where it defers, and its inline spelling agrees", () => {
  const random = generator(21);
  for (let n = 0; n < 200_000; n++) {
    const x = n % 3 === 0 ? -700 + 1400 * random() : n % 3 === 1 ? -40 + 80 * random() : -1.5 + 3 * random();
    assert.ok(ulps(fastExpm1(x), Math.expm1(x)) <= 1n, `expm1(${x}): ${fastExpm1(x)} vs ${Math.expm1(x)}`);
  }
  for (const x of [0, -0, 1e-300, -1e-20, 0.3466, -0.3466, NaN, Infinity, -Infinity, 710, -800]) {
    assert.ok(Object.is(fastExpm1(x), Math.expm1(x)), `expm1(${x})`);
  }
  const inline = printed(inlineExpm1("x"));
  for (let n = 0; n < 20_000; n++) {
    const x = -50 + 100 * random();
    assert.ok(Object.is(inline(x, 0), fastExpm1(x)), `expm1(${x})`);
  }
});
