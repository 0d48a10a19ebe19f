// kernels/exp.ts: the table-driven exp of the printed JS loops is as accurate as Math.exp (at most
// one unit in the last place apart, over the whole range and at the edges), and the printed
// source computes the same function as the exported one.
import assert from "node:assert/strict";
import { EXP_TABLE_HIGH, EXP_TABLE_LOW, fastExp, fastExpSource, POW2 } from "../kernels/exp.ts";
import { generator } from "./support/random.ts";

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

Deno.test("the printed fastExp source computes the exported function", () => {
  const printed = new Function("high", "low", "pow2", `${fastExpSource("e")}\nreturn e;`)(
    EXP_TABLE_HIGH,
    EXP_TABLE_LOW,
    POW2,
  ) as (x: number) => number;
  const random = generator(7);
  for (let n = 0; n < 20_000; n++) {
    const x = -700 + 1400 * random();
    assert.ok(Object.is(printed(x), fastExp(x)), `exp(${x})`);
  }
});
