/*
 * dc_math.h: branch-free inline exp, expm1, log and pow for denocat's compiled catalogues.
 *
 * Why: a call into the C library inside a kernel loop stops clang from vectorizing it. These
 * functions use only +, -, *, /, compares, selects and 64-bit integer bit operations, so a loop
 * that calls them vectorizes at any vector width (SSE2 at baseline, AVX2, AVX-512, NEON).
 *
 * Accuracy (measured by tests/simd_test.ts against the C library over the full input range):
 * exp, expm1, log and pow within 1 ulp (the test allows 2 for pow), including subnormal results; overflow gives
 * inf, underflow 0, NaN in gives NaN out, and the special cases of C99 Annex F (pow(x, 0) = 1,
 * pow(-8, 1/3) = NaN, signed zeros and infinities) hold. Results are the same bits at every vector
 * width and with or without FMA: every operation is a correctly rounded IEEE operation (the
 * catalogue is built with -ffp-contract=off) and FMA is only used where it is exact.
 *
 * The method (textbook, see Muller, "Elementary Functions"): Cody-Waite reduction by ln 2 and a
 * Taylor polynomial for exp and expm1; for log, x = 2^e m with m in [sqrt(1/2), sqrt(2)) and
 * log m = 2 atanh(f / (2 + f)), carried in double-double so that pow = exp(y log x) keeps its
 * accuracy for results near the overflow threshold.
 */
#ifndef DENOCAT_DC_MATH_H
#define DENOCAT_DC_MATH_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#define DC_MATH static inline __attribute__((always_inline, unused))

DC_MATH uint64_t dc_bits(double x) {
  uint64_t u;
  memcpy(&u, &x, sizeof u);
  return u;
}
DC_MATH double dc_from_bits(uint64_t u) {
  double x;
  memcpy(&x, &u, sizeof x);
  return x;
}

/* 1.5 * 2^52: adding it to |x| < 2^51 rounds x to an integer held in the low mantissa bits. */
#define DC_SHIFTER 6755399441055744.0
#define DC_LOG2E 1.4426950408889634
/* ln 2 = DC_LN2_HI + DC_LN2_LO; DC_LN2_HI has 32 trailing zero bits, so n * DC_LN2_HI is exact. */
#define DC_LN2_HI 6.93147180369123816490e-01
#define DC_LN2_LO 1.90821492927058770002e-10

/* 2^n for an integer-valued n in [-1022, 1023], built from its bits. */
DC_MATH double dc_pow2(double n) {
  return dc_from_bits((dc_bits(n + DC_SHIFTER) + 1023u) << 52);
}

/* The rounding error of a * b (a * b = p + error exactly, p = a * b rounded). */
DC_MATH double dc_product_error(double a, double b, double p) {
#if defined(__FMA__) || defined(__ARM_FEATURE_FMA)
  return __builtin_fma(a, b, -p);
#else
  /* Dekker: split each factor into 26-bit halves whose products are exact. */
  const double ca = 134217729.0 * a, cb = 134217729.0 * b;
  const double ah = ca - (ca - a), al = a - ah;
  const double bh = cb - (cb - b), bl = b - bh;
  return ((ah * bh - p) + ah * bl + al * bh) + al * bl;
#endif
}

/* exp(r) - 1 - r, Taylor to r^13: truncation below 0.05 ulp on |r| <= ln(2)/2 (exp and expm1).
 * Evaluated by Estrin's scheme (pairs, then powers r^2, r^4, r^8): a dependency chain of about 8
 * operations instead of Horner's 24. On one instance (one CV) nothing overlaps the chain, so its
 * latency is the cost: Horner's exp made hh on one CV in real Arbor 1.2-1.4x the builtin's time
 * (docs/benchmarks.md). q is at most about 1/16 of the result 1 + r + q, so the rounding of the
 * two schemes differs by well under 1 ulp of exp; about 1% of results differ in the last bit. */
DC_MATH double dc_exp_taylor(double r) {
  const double r2 = r * r, r4 = r2 * r2, r8 = r4 * r4;
  const double p01 = 1.0 / 2 + r * (1.0 / 6);
  const double p23 = 1.0 / 24 + r * (1.0 / 120);
  const double p45 = 1.0 / 720 + r * (1.0 / 5040);
  const double p67 = 1.0 / 40320 + r * (1.0 / 362880);
  const double p89 = 1.0 / 3628800 + r * (1.0 / 39916800);
  const double pab = 1.0 / 479001600 + r * (1.0 / 6227020800.0);
  const double p03 = p01 + r2 * p23, p47 = p45 + r2 * p67, p8b = p89 + r2 * pab;
  return r2 * ((p03 + r4 * p47) + r8 * p8b);
}

/* exp(x + tail) for |tail| <= ulp(x) (tail is ignored where x is clamped); with_tail 0 (a
 * constant: dc_exp) leaves out the add of the tail, which changes no bit (r + 0.0 differs from r
 * only for r = -0, and both give p = 1) but is one more operation on the chain. */
DC_MATH double dc_exp_reduced(double x, double tail, int with_tail) {
  /* Beyond these exp(x) is inf or 0 anyway; the clamp keeps n in the range of dc_pow2. NaN
   * passes through both compares unchanged and propagates to the result. */
  const int high = x > 710.0, low = x < -746.0;
  /* The same value as high ? 710 : low ? -746 : x, as a max then a min (one instruction each,
   * where the nested select is three and-or steps on SSE2). */
  const double above = x < -746.0 ? -746.0 : x;
  const double xc = above > 710.0 ? 710.0 : above;
  const double n = (xc * DC_LOG2E + DC_SHIFTER) - DC_SHIFTER;
  const double reduced = (xc - n * DC_LN2_HI) - n * DC_LN2_LO;
  const double r = with_tail ? reduced + ((high | low) ? 0.0 : tail) : reduced; /* |r| <= 0.3466 */
  const double q = dc_exp_taylor(r);
  const double p = 1.0 + (r + q);
  /* Two factors, so that 2^n for n in [-1076, 1025] needs no exponent outside the normal range
   * and a subnormal result is rounded once, by the last multiplication. */
  const double n1 = (n * 0.5 + DC_SHIFTER) - DC_SHIFTER;
  return p * dc_pow2(n1) * dc_pow2(n - n1);
}

/* exp(x + tail) for |tail| <= ulp(x) (pow). */
DC_MATH double dc_exp_tail(double x, double tail) {
  return dc_exp_reduced(x, tail, 1);
}

/** exp(x), within 1 ulp. */
DC_MATH double dc_exp(double x) {
  return dc_exp_reduced(x, 0.0, 0);
}

/** exp(x) - 1, within 1 ulp, exact for tiny x, keeping the sign of zero. */
DC_MATH double dc_expm1(double x) {
  /* Below -40, expm1 rounds to -1; above 710 it is inf. */
  const double above = x < -40.0 ? -40.0 : x;
  const double xc = above > 710.0 ? 710.0 : above; /* x > 710 ? 710 : x < -40 ? -40 : x */
  const double n = (xc * DC_LOG2E + DC_SHIFTER) - DC_SHIFTER;
  const double hi = xc - n * DC_LN2_HI, lo = n * DC_LN2_LO;
  const double r = hi - lo;
  const double c = (hi - r) - lo; /* what r lost; exactly 0 when n = 0 */
  const double q = dc_exp_taylor(r);
  const double p = r + (q + c * (1.0 + r)); /* expm1(r + c) */
  /* expm1(x) = 2^n p + (2^n - 1); for n near 1024 the scale goes in two steps (2^n overflows). */
  const int big = xc > 700.0;
  const double s = big ? 4.0 : 1.0;
  const double t = dc_pow2(big ? n - 2.0 : n);
  const double result = (t * p + (t - (big ? 0.25 : 1.0))) * s;
  return x == 0.0 ? x : result;
}

/* log(x) = hi + *lo in double-double, for x > 0 finite (other x: see dc_log). */
DC_MATH double dc_log_parts(double x, double* lo) {
  const int subnormal = x < 0x1p-1022;
  const double xs = subnormal ? x * 0x1p54 : x;
  /* x = 2^e m with m in [sqrt(1/2), sqrt(2)): offset the bits by those of sqrt(1/2). */
  const uint64_t bits = dc_bits(xs);
  const uint64_t e_bits = (bits - 0x3fe6a09e667f3bcdu) >> 52; /* e, mod 4096 */
  const uint64_t biased = (e_bits + 1023u) & 0xfffu;            /* e + 1023, in [2, 2047] */
  const double m = dc_from_bits(bits - ((biased - 1023u) << 52));
  const double e = dc_from_bits(dc_bits(DC_SHIFTER) + biased) - DC_SHIFTER - 1023.0 -
                   (subnormal ? 54.0 : 0.0);
  /* u = f / (2 + f) with f = m - 1 (exact), as uh + ul. */
  const double f = m - 1.0;
  const double d = 2.0 + f;
  const double d_lo = f - (d - 2.0); /* exact */
  const double uh = f / d;
  const double ph = uh * d;
  const double residual = ((f - ph) - dc_product_error(uh, d, ph)) - uh * d_lo;
  const double ul = residual / d;
  /* log m = 2u + 2/3 u^3 + 2/5 u^5 + ... with |u| <= 0.1716; the u^3 term in double-double. */
  const double sh = uh * uh;
  const double sl = dc_product_error(uh, uh, sh);
  const double ch = sh * uh;
  const double cl = dc_product_error(sh, uh, ch) + sl * uh;
  const double third_hi = 0.66666666666666663, third_lo = 3.7007434154171886e-17; /* 2/3 */
  const double th = ch * third_hi;
  const double tl = dc_product_error(ch, third_hi, th) + (ch * third_lo + cl * third_hi);
  const double s = sh;
  const double rest =
      ch * s *
      (2.0 / 5 +
       s * (2.0 / 7 +
            s * (2.0 / 9 +
                 s * (2.0 / 11 +
                      s * (2.0 / 13 +
                           s * (2.0 / 15 +
                                s * (2.0 / 17 + s * (2.0 / 19 + s * (2.0 / 21 + s * (2.0 / 23))))))))));
  const double small = ((2.0 * ul + 2.0 * sh * ul) + tl) + rest;
  /* 2uh + th: |2uh| >= |th|, Fast2Sum. */
  const double a = 2.0 * uh;
  const double h1 = a + th;
  const double e1 = th - (h1 - a);
  /* e ln 2 + h1: either may be larger, TwoSum. */
  const double eh = e * DC_LN2_HI; /* exact */
  const double h2 = eh + h1;
  const double bb = h2 - eh;
  const double e2 = (eh - (h2 - bb)) + (h1 - bb);
  const double low = e2 + ((e1 + small) + e * DC_LN2_LO);
  const double hi = h2 + low;
  *lo = low - (hi - h2);
  return hi;
}

/** log(x), within 1 ulp; log(0) = -inf, log(x < 0) = NaN, log(inf) = inf. */
DC_MATH double dc_log(double x) {
  double lo;
  const double hi = dc_log_parts(x, &lo);
  const double r = x < 0.0 ? NAN : x == 0.0 ? -INFINITY : x == INFINITY ? INFINITY : hi;
  return x != x ? x : r;
}

/** pow(x, y) with C99's special cases, within 2 ulp. */
DC_MATH double dc_pow_c(double x, double y) {
  const double ax = fabs(x), ay = fabs(y);
  double ll;
  const double lh = dc_log_parts(ax, &ll);
  const double log_ax = ax == 0.0 ? -INFINITY : ax == INFINITY ? INFINITY : lh;
  const double yh = y * log_ax;
  /* The tail matters only where exp is finite and non-zero; elsewhere it may be inf - inf (and
   * |y| >= 2^900 with |yh| < 1000 means x = +-1, where Dekker's split would overflow). */
  const double yl = fabs(yh) < 1000.0 && ay < 0x1p900 ? dc_product_error(y, log_ax, yh) + y * ll : 0.0;
  const double magnitude = dc_exp_tail(yh, yl);
  /* Integer and odd tests by rounding through 2^52 (every |y| >= 2^52 is an even integer). */
  const double ry = (ay + 0x1p52) - 0x1p52;
  const int integer = ay >= 0x1p52 || ry == ay;
  const double hy = 0.5 * ay;
  const int odd = integer && ay < 0x1p53 && ((hy + 0x1p52) - 0x1p52) != hy;
  const int negative = (dc_bits(x) >> 63) != 0;
  double r = (negative && odd) ? -magnitude : magnitude;
  r = (x < 0.0 && x > -INFINITY && !integer) ? NAN : r;
  r = (ax == 1.0 && ay == INFINITY) ? 1.0 : r;
  r = (x != x || y != y) ? NAN : r;
  r = x == 1.0 ? 1.0 : r;
  return y == 0.0 ? 1.0 : r;
}

#endif
