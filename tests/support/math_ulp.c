/*
 * The ulp driver of tests/math_test.ts: worst ulp error of each inline function of c/dc_math.h
 * against the C library, over random bit patterns of the whole double range plus the ranges where
 * each function is neither 0, 1 nor inf; the special values must match bit for bit. Prints one
 * JSON object. The loops run over arrays, so at -O3 they are the vectorized code a catalogue runs.
 *
 *   zig cc -O3 -ffp-contract=off -I c tests/support/math_ulp.c -lm && ./a.out <samples> <seed>
 */
#include "dc_math.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static uint64_t state;
static uint64_t next_random(void) { /* splitmix64 */
  uint64_t z = (state += 0x9e3779b97f4a7c15u);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
  return z ^ (z >> 31);
}
static double uniform(double low, double high) {
  return low + (high - low) * ((double)(next_random() >> 11) * 0x1p-53);
}
static double any_double(void) { return dc_from_bits(next_random()); }

/* Distance in ulps, through the ordering of the bit patterns (exact at subnormals and zero). */
static int64_t ordered(double x) {
  int64_t i = (int64_t)dc_bits(x);
  return i < 0 ? INT64_MIN - i : i;
}
static double ulps(double got, double want) {
  if (isnan(want) || isnan(got)) return isnan(want) && isnan(got) ? 0.0 : INFINITY;
  const int64_t a = ordered(got), b = ordered(want);
  const double d = a > b ? (double)(a - b) : (double)(b - a);
  return d;
}

typedef struct {
  double worst;
  double x, y;  /* where */
  long samples;
  long mismatched_specials;
  double checksum; /* sum of the results' bit patterns, to compare builds */
} score;

static void count(score* s, double got, double want, double x, double y) {
  const double u = ulps(got, want);
  if (u > s->worst) {
    s->worst = u;
    s->x = x;
    s->y = y;
  }
  s->samples++;
  s->checksum += (double)(dc_bits(got) >> 12);
}
/* Exact results (NaN, inf, zeros, 1 and other exact powers) must match bit for bit; the rest
 * count like any sample. */
static void special(score* s, double got, double want, double x, double y) {
  const int exact = isnan(want) || isinf(want) || want == 0.0 || fabs(want) == 1.0 ||
                    dc_bits(fabs(want)) << 12 == 0;
  if (!exact) return count(s, got, want, x, y);
  const int same = (isnan(got) && isnan(want)) || dc_bits(got) == dc_bits(want);
  if (!same) {
    s->mismatched_specials++;
    fprintf(stderr, "special mismatch at (%a, %a): got %a want %a\n", x, y, got, want);
  }
}

#define BLOCK 4096
static double in_x[BLOCK], in_y[BLOCK], out[BLOCK];

static void run_exp(double* restrict o, const double* restrict x, int n) {
  for (int k = 0; k < n; ++k) o[k] = dc_exp(x[k]);
}
static void run_expm1(double* restrict o, const double* restrict x, int n) {
  for (int k = 0; k < n; ++k) o[k] = dc_expm1(x[k]);
}
static void run_log(double* restrict o, const double* restrict x, int n) {
  for (int k = 0; k < n; ++k) o[k] = dc_log(x[k]);
}
static void run_pow(double* restrict o, const double* restrict x, const double* restrict y, int n) {
  for (int k = 0; k < n; ++k) o[k] = dc_pow_c(x[k], y[k]);
}

static void print(const char* name, const score* s, int last) {
  printf("\"%s\":{\"worst\":%.17g,\"x\":%.17g,\"y\":%.17g,\"samples\":%ld,\"specials\":%ld,"
         "\"checksum\":%.17g}%s",
         name, s->worst, s->x, s->y, s->samples, s->mismatched_specials, s->checksum, last ? "" : ",");
}

static const double SPECIALS[] = {0.0, -0.0, INFINITY, -INFINITY, NAN, -NAN, 1.0, -1.0, 0.5, -0.5,
                                  2.0, -2.0, 3.0, -3.0, 0x1p-1074, -0x1p-1074, 0x1p-1022, DBL_MAX,
                                  -DBL_MAX, 709.782712893384, 709.7827128933841, -745.1332191019411,
                                  -745.1332191019412, 1e-300, 1e300, 0x1p52, 0x1p53, 0x1p53 + 2.0,
                                  1.0 / 3.0, -708.5, 0.6931471805599453, 1e-20, -1e-20};
#define N_SPECIALS (int)(sizeof SPECIALS / sizeof SPECIALS[0])

int main(int argc, char** argv) {
  const long samples = argc > 1 ? atol(argv[1]) : 1000000;
  state = argc > 2 ? strtoull(argv[2], NULL, 10) : 1;
  score e = {0}, m = {0}, l = {0}, p = {0};
  for (long done = 0; done < samples; done += BLOCK) {
    /* exp: a quarter anywhere, the rest where the result is finite and non-zero. */
    for (int k = 0; k < BLOCK; ++k) in_x[k] = k % 4 == 0 ? any_double() : uniform(-746.0, 710.0);
    run_exp(out, in_x, BLOCK);
    for (int k = 0; k < BLOCK; ++k) count(&e, out[k], exp(in_x[k]), in_x[k], 0);
    /* expm1: also tiny arguments, where cancellation would show. */
    for (int k = 0; k < BLOCK; ++k) {
      in_x[k] = k % 4 == 0 ? any_double() : k % 4 == 1 ? uniform(-1.0, 1.0) * pow(2.0, -uniform(0, 60))
                                                        : uniform(-45.0, 710.0);
    }
    run_expm1(out, in_x, BLOCK);
    for (int k = 0; k < BLOCK; ++k) count(&m, out[k], expm1(in_x[k]), in_x[k], 0);
    /* log: random bit patterns (half of them positive: every exponent, subnormals) and x near 1. */
    for (int k = 0; k < BLOCK; ++k) {
      in_x[k] = k % 2 == 0 ? fabs(any_double()) : k % 4 == 1 ? any_double() : uniform(0.5, 2.0);
    }
    run_log(out, in_x, BLOCK);
    for (int k = 0; k < BLOCK; ++k) count(&l, out[k], log(in_x[k]), in_x[k], 0);
    /* pow: x any positive double, y such that x^y is finite and non-zero (where errors grow with
     * |y log x|); a quarter with negative x and integer y; a quarter anything. */
    for (int k = 0; k < BLOCK; ++k) {
      if (k % 4 == 0) {
        in_x[k] = any_double();
        in_y[k] = any_double();
      } else if (k % 4 == 1) {
        in_x[k] = -uniform(0.0, 4.0);
        in_y[k] = floor(uniform(-300.0, 300.0));
      } else {
        const double x = k % 4 == 2 ? fabs(any_double()) : uniform(0.0, 3.0);
        const double lx = log(x);
        in_x[k] = x;
        in_y[k] = lx == 0.0 || !isfinite(lx) ? uniform(-10, 10) : uniform(-745.0, 709.0) / lx;
      }
    }
    run_pow(out, in_x, in_y, BLOCK);
    for (int k = 0; k < BLOCK; ++k) count(&p, out[k], pow(in_x[k], in_y[k]), in_x[k], in_y[k]);
  }
  for (int a = 0; a < N_SPECIALS; ++a) {
    const double x = SPECIALS[a];
    special(&e, dc_exp(x), exp(x), x, 0);
    special(&m, dc_expm1(x), expm1(x), x, 0);
    special(&l, dc_log(x), log(x), x, 0);
    for (int b = 0; b < N_SPECIALS; ++b) {
      const double y = SPECIALS[b];
      special(&p, dc_pow_c(x, y), pow(x, y), x, y);
    }
  }
  printf("{");
  print("exp", &e, 0);
  print("expm1", &m, 0);
  print("log", &l, 0);
  print("pow", &p, 1);
  printf("}\n");
  return 0;
}
