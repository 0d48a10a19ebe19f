/**
 * `exp` and `expm1` for the printed JavaScript loops (kernels/js.ts). V8's `Math.exp` and
 * `Math.expm1` are calls into a port of fdlibm, with branches on the argument's range; in the
 * printed hh `advanceState` they were about three quarters of the time per CV (measured by
 * replacing them with a multiplication). These are table driven, with one range test on the fast
 * path, in the way current C libraries compute exp:
 *
 *   x = (k/128)·ln 2 + r, |r| <= ln 2 / 256
 *   e^x = 2^(k >> 7) · 2^((k & 127)/128) · e^r
 *
 * with 2^(j/128) read from a table held as two doubles (value and the rounding error of the
 * value), and e^r - 1 from its Taylor polynomial of degree 5 (the first term left out is below
 * 2^-60 relative). The result is within about 0.51 ulp of e^x: as accurate as `Math.exp`, not
 * necessarily the same last bit. Arguments outside (-708, 709) (overflow, subnormal results,
 * NaN, ±Infinity) go to `Math.exp`.
 *
 * `fastExpm1` uses the same reduction for |x| > 0.3466 (ln 2 / 2), writing e^x - 1 as
 * (s - 1) + t with s = 2^m·2^(j/128) rounded and t the rest: s - 1 is exact (Sterbenz) for the
 * m >= -1 that matter, so no cancellation is lost; below -ln 4 it is -1 + (s + t). Nearer 0 it
 * calls `Math.expm1`. About 0.6 ulp, within 1 ulp of `Math.expm1`, about 1.8x faster.
 *
 * kernels/js.ts prints them inline (`inlineExp`, `inlineExpm1`), not as calls: see there why.
 * The tables are computed here, exactly, with BigInt fixed point: no constant is copied in.
 *
 * @module
 */

/** Fraction bits of the fixed-point numbers the table is computed in. */
const BITS = 160n;
const ONE = 1n << BITS;

function isqrt(n: bigint): bigint {
  if (n < 2n) return n;
  let x = 1n << BigInt((n.toString(2).length >> 1) + 1);
  for (;;) {
    const y = (x + n / x) >> 1n;
    if (y >= x) return x;
    x = y;
  }
}

/** 2^(j/128) for j in [0, 128), as fixed-point BigInts (error a few units of 2^-160). */
function twoToTheEighths(): bigint[] {
  // roots[i] = 2^(2^-(i+1)): repeated square roots of 2.
  const roots: bigint[] = [];
  let value = 2n * ONE;
  for (let i = 0; i < 7; i++) {
    value = isqrt(value << BITS);
    roots.push(value);
  }
  const table: bigint[] = [];
  for (let j = 0; j < 128; j++) {
    let product = ONE;
    for (let bit = 0; bit < 7; bit++) {
      // bit 6 of j is 64/128 = 1/2 = roots[0]; bit 0 is 1/128 = roots[6].
      if (j & (1 << bit)) product = (product * roots[6 - bit]) >> BITS;
    }
    table.push(product);
  }
  return table;
}

const SCALE = 2 ** Number(BITS);
/** 2^(j/128), rounded to a double, and what the rounding left out. */
export const EXP_TABLE_HIGH: Float64Array = new Float64Array(128);
/** The rounding error of `EXP_TABLE_HIGH[j]`. */
export const EXP_TABLE_LOW: Float64Array = new Float64Array(128);
twoToTheEighths().forEach((fixed, j) => {
  // Number(bigint) rounds to nearest; dividing by a power of two is exact.
  const high = Number(fixed) / SCALE;
  EXP_TABLE_HIGH[j] = high;
  EXP_TABLE_LOW[j] = Number(fixed - BigInt(high * SCALE)) / SCALE;
});

/** 2^m for m in [-1022, 1023], at index m + 1022. */
export const POW2: Float64Array = new Float64Array(2046).map((_, i) => 2 ** (i - 1022));

/** 128 / ln 2. */
const INV_LN2_N = 128 / Math.LN2;
/** 1.5·2^52: adding and subtracting it rounds a double below 2^51 to an integer. */
const SHIFT = 6755399441055744;
/**
 * ln 2 / 128 in two parts: the first has 32 significant bits, so k times it is exact for every
 * k this function sees (|k| < 2^17); the second is the rest (fdlibm's split of ln 2).
 */
const LN2_HI_N = 6.93147180369123816490e-01 / 128;
const LN2_LO_N = 1.90821492927058770002e-10 / 128;

/**
 * e^x within about 0.51 ulp, faster than `Math.exp` in V8's optimised code.
 *
 * @example
 * ```ts
 * import { fastExp } from "./exp.ts";
 * console.log(Math.abs(fastExp(1) - Math.E) <= Number.EPSILON * Math.E); // true
 * ```
 */
export function fastExp(x: number): number {
  if (!(x > -708 && x < 709)) return Math.exp(x);
  const kd = x * INV_LN2_N + SHIFT - SHIFT;
  const r = x - kd * LN2_HI_N - kd * LN2_LO_N;
  const k = kd | 0;
  const j = k & 127;
  const high = EXP_TABLE_HIGH[j];
  const q = r + r * r * (0.5 + r * (1 / 6 + r * (1 / 24 + r * (1 / 120))));
  return (high + (EXP_TABLE_LOW[j] + high * q)) * POW2[(k >> 7) + 1022];
}

/**
 * e^x - 1 within about 0.6 ulp: the table reduction of `fastExp` away from 0, `Math.expm1` near it.
 *
 * @example
 * ```ts
 * import { fastExpm1 } from "./exp.ts";
 * console.log(fastExpm1(1e-20)); // 1e-20
 * ```
 */
export function fastExpm1(x: number): number {
  if (!(x < -0.3466 || x > 0.3466) || !(x > -708 && x < 709)) return Math.expm1(x);
  const kd = x * INV_LN2_N + SHIFT - SHIFT;
  const r = x - kd * LN2_HI_N - kd * LN2_LO_N;
  const k = kd | 0;
  const j = k & 127;
  const m = k >> 7;
  const high = EXP_TABLE_HIGH[j];
  const q = r + r * r * (0.5 + r * (1 / 6 + r * (1 / 24 + r * (1 / 120))));
  const scale = POW2[m + 1022];
  const s = high * scale;
  const t = (EXP_TABLE_LOW[j] + high * q) * scale;
  return m >= -1 ? (s - 1) + t : -1 + (s + t);
}

/** Locals the inline spellings below use as scratch; declare them once per generated function. */
export const EXP_SCRATCH = "let ex$x = 0.5, ex$k = 0, ex$r = 0.5, ex$h = 0.5, ex$s = 0.5;";

/**
 * `fastExp(arg)` as one JavaScript expression over the scratch locals of `EXP_SCRATCH` and the
 * tables bound as `high`, `low` and `pow2`. Printed inline rather than called: a call V8 does not
 * inline (its budget runs out in a long kernel) returns its double boxed, one allocation per call.
 * Nested and repeated uses are safe: each use reads its argument into the scratch first and has
 * produced its value before the next use writes them.
 */
export function inlineExp(arg: string): string {
  // Doubly parenthesised: the printer strips one pair from a temporary's code (kernels/print.ts),
  // and a comma expression must keep the other.
  return `((ex$x = ${arg}, !(ex$x > -708 && ex$x < 709) ? Math.exp(ex$x) : (` +
    `ex$r = ex$x * ${INV_LN2_N} + ${SHIFT} - ${SHIFT}, ex$k = ex$r | 0, ` +
    `ex$r = ex$x - ex$r * ${LN2_HI_N} - ex$r * ${LN2_LO_N}, ex$h = high[ex$k & 127], ` +
    `(ex$h + (low[ex$k & 127] + ex$h * ${poly("ex$r")})) * pow2[(ex$k >> 7) + 1022])))`;
}

/** `fastExpm1(arg)` as one expression, under the same terms as `inlineExp`. */
export function inlineExpm1(arg: string): string {
  return `((ex$x = ${arg}, !(ex$x < -0.3466 || ex$x > 0.3466) || !(ex$x > -708 && ex$x < 709) ? ` +
    `Math.expm1(ex$x) : (` +
    `ex$r = ex$x * ${INV_LN2_N} + ${SHIFT} - ${SHIFT}, ex$k = ex$r | 0, ` +
    `ex$r = ex$x - ex$r * ${LN2_HI_N} - ex$r * ${LN2_LO_N}, ex$h = high[ex$k & 127], ` +
    `ex$s = ex$h * pow2[(ex$k >> 7) + 1022], ` +
    `ex$r = (low[ex$k & 127] + ex$h * ${poly("ex$r")}) * pow2[(ex$k >> 7) + 1022], ` +
    `(ex$k >> 7) >= -1 ? (ex$s - 1) + ex$r : -1 + (ex$s + ex$r))))`;
}

/** e^r - 1 for |r| <= ln 2 / 256, degree 5, as `fastExp` computes it. */
function poly(r: string): string {
  return `(${r} + ${r} * ${r} * (0.5 + ${r} * (${1 / 6} + ${r} * (${1 / 24} + ${r} * ${1 / 120}))))`;
}
