/*
 * catalogue.h — the fixed C of every catalogue file: what is the same in each catalogue denocat
 * generates (compiled mode and native targets, printed by catalogue/emit.ts) and in the
 * hand-written c/reference.c. The printers print only what varies: the parameters below, the
 * mechanisms' tables and hooks, and the catalogue array with get_catalogue.
 *
 * Compile a catalogue file once per Arbor ABI family (Arbor cannot tell them apart, docs/abi.md
 * 1.2) with -I<denocat>/c and -DDENOCAT_COMPILED_ABI=6 (Arbor 0.9/0.10) or =7 (Arbor 0.11/0.12).
 * Every file that includes this header gets:
 *   - the layout family's ion_state and ion_info, and ION_CONDUCTIVITY(ion) (NULL on 0.7);
 *   - DC_EXPORT and DC_UNUSED; the declarations of get_catalogue and denocat_abi, and denocat_abi;
 *   - the no-op hooks do_nothing and ignore_events, and no_gpu_interface.
 *
 * A generated catalogue defines these parameters before including it, and gets the rest too:
 *   DC_CATALOGUE_NAME          its name as a string, for the CPU refusal message
 *   DC_CATALOGUE_CPU           the --cpu it is built with, as a string (denocat_cpu returns it)
 *   DC_CATALOGUE_MATH_INLINE   1: exp, expm1, log and pow of c/dc_math.h (loops vectorize);
 *                              0: the C library's
 *   DC_CATALOGUE_CHECK_FINITE  1: the failure record of NaN and infinite kernel results (native
 *                              targets); then DC_FAILURE_TEMPLATE is the message's printf format,
 *                              printed from kernels/finite.ts's nonFiniteMessage (one template
 *                              for JavaScript and C)
 * namely the fingerprint, the vector width, the CPU check, the math helpers the hooks call and,
 * with DC_CATALOGUE_CHECK_FINITE, the failure record.
 *
 * catalogue/native.ts hashes this file (with the headers it includes) into a native target's
 * cache key, so a change here rebuilds every native target.
 */
#ifndef DENOCAT_CATALOGUE_H
#define DENOCAT_CATALOGUE_H

#include "arbor_abi.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>

/* ---- every catalogue ------------------------------------------------------------------------ */

#if !defined(DENOCAT_COMPILED_ABI) || (DENOCAT_COMPILED_ABI != 6 && DENOCAT_COMPILED_ABI != 7)
#error "compile with -DDENOCAT_COMPILED_ABI=6 (Arbor 0.9/0.10) or =7 (Arbor 0.11+)"
#endif

/* A static catalogue cannot choose its arb_ion_state / arb_ion_info layout at run time, so each
 * family is a build of its own. */
#if DENOCAT_COMPILED_ABI == 6
typedef arb_ion_state_v06 ion_state;
typedef arb_ion_info_v06 ion_info;
#define ION_CONDUCTIVITY(ion) ((ion)->conductivity)
#else
typedef arb_ion_state_v07 ion_state;
typedef arb_ion_info_v07 ion_info;
#define ION_CONDUCTIVITY(ion) ((arb_value_type*)NULL)
#endif

#define DC_EXPORT __attribute__((visibility("default")))
#define DC_UNUSED __attribute__((unused))

DC_EXPORT void* get_catalogue(int* count);
DC_EXPORT uint32_t denocat_abi(void);

/* Which layout family this build speaks, so a host can refuse the wrong build: the two are
 * indistinguishable to Arbor and would silently misread each other's ion records. */
uint32_t denocat_abi(void) {
  return DENOCAT_COMPILED_ABI;
}

/* Arbor calls every method of arb_mechanism_interface: a hook a mechanism lacks is one of these. */
static DC_UNUSED void do_nothing(arb_mechanism_ppack* pp) {
  (void)pp;
}
static DC_UNUSED void ignore_events(arb_mechanism_ppack* pp, arb_deliverable_event_stream* events) {
  (void)pp;
  (void)events;
}

/* No GPU implementation: Arbor calls i_gpu() unconditionally, NULL says there is none. */
static DC_UNUSED arb_mechanism_interface* no_gpu_interface(void) {
  return NULL;
}

/* ---- generated catalogues ------------------------------------------------------------------- */

#ifdef DC_CATALOGUE_NAME
#if !defined(DC_CATALOGUE_CPU) || !defined(DC_CATALOGUE_MATH_INLINE) || !defined(DC_CATALOGUE_CHECK_FINITE)
#error "a generated catalogue defines DC_CATALOGUE_CPU, DC_CATALOGUE_MATH_INLINE and DC_CATALOGUE_CHECK_FINITE"
#endif

/* What compiledByDenocat (catalogue/compiled.ts) finds in a library denocat built. */
static const char fingerprint[] = "<denocat-compiled>";

/* ---- the CPU this file was built for ---- */

/* The vector width of the build: Arbor pads and aligns every array to it (docs/abi.md 9). */
#if defined(__AVX512F__)
#define DC_VECTOR_BYTES 64
#elif defined(__AVX__)
#define DC_VECTOR_BYTES 32
#else
#define DC_VECTOR_BYTES 16
#endif
/* Instances per block of a split hook (compute, then scatter): a few vectors, on the stack. */
#define DC_BLOCK 128
/* Below this many instances a split hook runs its one plain loop instead: the vector loops'
   set-up (alias checks, remainders, buffers) costs more than it saves on a few instances. */
#define DC_SPLIT_MIN_WIDTH 8

DC_EXPORT const char* denocat_cpu(void);
DC_EXPORT const char* denocat_cpu_missing(void);

/* The --cpu the catalogue was compiled with. */
const char* denocat_cpu(void) {
  return DC_CATALOGUE_CPU;
}

#if defined(__x86_64__)
#include <cpuid.h>
static unsigned long long dc_xcr0(void) {
  unsigned lo, hi;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  return ((unsigned long long)hi << 32) | lo;
}
#elif defined(__aarch64__) && defined(__linux__)
#include <sys/auxv.h>
#endif

/* The first instruction set this build needs and the CPU lacks, or NULL. The list of what to
 * check is the compiler's own: every __AVX2__-style macro that -mcpu turned on, so it holds for
 * any CPU name, native included. Compiled from the same flags as the hooks, but it only runs
 * cpuid and integer code. x86: CPUID leaf 1 ECX (c1), leaf 7 EBX (b7), leaf 0x80000001 ECX (c81),
 * and XCR0 for the vector state the OS saves; aarch64 Linux: getauxval's hwcaps. */
const char* denocat_cpu_missing(void) {
#if defined(__x86_64__)
  unsigned a, b, c, d;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return "CPUID leaf 1";
  const unsigned c1 = c;
  unsigned b7 = 0, c81 = 0;
  if (__get_cpuid_max(0, NULL) >= 7) {
    __cpuid_count(7, 0, a, b, c, d);
    b7 = b;
  }
  if (__get_cpuid(0x80000001u, &a, &b, &c, &d)) c81 = c;
  const unsigned long long xcr0 = (c1 & (1u << 27)) ? dc_xcr0() : 0; /* OSXSAVE */
  (void)b7;
  (void)c81;
  (void)xcr0;
#ifdef __SSE3__
  if (!(c1 & (1u << 0))) return "SSE3";
#endif
#ifdef __SSSE3__
  if (!(c1 & (1u << 9))) return "SSSE3";
#endif
#ifdef __SSE4_1__
  if (!(c1 & (1u << 19))) return "SSE4.1";
#endif
#ifdef __SSE4_2__
  if (!(c1 & (1u << 20))) return "SSE4.2";
#endif
#ifdef __POPCNT__
  if (!(c1 & (1u << 23))) return "POPCNT";
#endif
#ifdef __AVX__
  if (!((c1 & (1u << 28)) && (xcr0 & 0x6) == 0x6)) return "AVX";
#endif
#ifdef __AVX2__
  if (!(b7 & (1u << 5))) return "AVX2";
#endif
#ifdef __FMA__
  if (!(c1 & (1u << 12))) return "FMA";
#endif
#ifdef __AVX512F__
  if (!((b7 & (1u << 16)) && (xcr0 & 0xe6) == 0xe6)) return "AVX-512F";
#endif
#ifdef __AVX512DQ__
  if (!(b7 & (1u << 17))) return "AVX-512DQ";
#endif
#ifdef __AVX512CD__
  if (!(b7 & (1u << 28))) return "AVX-512CD";
#endif
#ifdef __AVX512BW__
  if (!(b7 & (1u << 30))) return "AVX-512BW";
#endif
#ifdef __AVX512VL__
  if (!(b7 & (1u << 31))) return "AVX-512VL";
#endif
#ifdef __BMI__
  if (!(b7 & (1u << 3))) return "BMI1";
#endif
#ifdef __BMI2__
  if (!(b7 & (1u << 8))) return "BMI2";
#endif
#ifdef __F16C__
  if (!(c1 & (1u << 29))) return "F16C";
#endif
#ifdef __LZCNT__
  if (!(c81 & (1u << 5))) return "LZCNT";
#endif
#ifdef __MOVBE__
  if (!(c1 & (1u << 22))) return "MOVBE";
#endif
#elif defined(__aarch64__) && defined(__linux__)
  const unsigned long hwcap = getauxval(AT_HWCAP), hwcap2 = getauxval(AT_HWCAP2);
  (void)hwcap;
  (void)hwcap2;
#ifdef __ARM_FEATURE_ATOMICS
  if (!(hwcap & (1ul << 8))) return "LSE atomics";
#endif
#ifdef __ARM_FEATURE_CRC32
  if (!(hwcap & (1ul << 7))) return "CRC32";
#endif
#ifdef __ARM_FEATURE_FP16_VECTOR_ARITHMETIC
  if (!(hwcap & (1ul << 10))) return "FP16 vector arithmetic";
#endif
#ifdef __ARM_FEATURE_DOTPROD
  if (!(hwcap & (1ul << 20))) return "dot product";
#endif
#ifdef __ARM_FEATURE_SVE
  if (!(hwcap & (1ul << 22))) return "SVE";
#endif
#ifdef __ARM_FEATURE_SVE2
  if (!(hwcap2 & (1ul << 1))) return "SVE2";
#endif
#endif
  return NULL;
}

/* Called first by get_catalogue: on a CPU that lacks an instruction set this build needs, says so
 * on stderr, sets *count to 0 and returns 1, and get_catalogue returns NULL, instead of dying
 * with SIGILL in the first hook. Arbor turns that into bad_catalogue_error("Invalid mechanism
 * count 0 ...") (arbor/mechcat.cpp, load_catalogue, v0.9.0 to master), denocat's host into
 * "invalid mechanism count 0"; both callers can read denocat_cpu_missing() first for the reason
 * (host/host.ts does). */
static int dc_cpu_refused(int* count) {
  const char* missing = denocat_cpu_missing();
  if (!missing) return 0;
  fprintf(stderr, "denocat: catalogue '%s' was compiled with --cpu %s and needs %s, which this CPU "
          "lacks: rebuild it with --cpu baseline, or with the --cpu of this machine\n",
          DC_CATALOGUE_NAME, denocat_cpu(), missing);
  if (count) *count = 0;
  return 1;
}

/* ---- the math the hooks call ---- */

/* The math library is pure apart from errno, which nothing here reads (it changes no result). */
double exp(double) __attribute__((const));
double expm1(double) __attribute__((const));
double log(double) __attribute__((const));
double log1p(double) __attribute__((const));
double log2(double) __attribute__((const));
double log10(double) __attribute__((const));
double pow(double, double) __attribute__((const));
double sqrt(double) __attribute__((const));
double cbrt(double) __attribute__((const));
double tanh(double) __attribute__((const));
double sinh(double) __attribute__((const));
double cosh(double) __attribute__((const));
double sin(double) __attribute__((const));
double cos(double) __attribute__((const));
double tan(double) __attribute__((const));
double asin(double) __attribute__((const));
double acos(double) __attribute__((const));
double atan(double) __attribute__((const));
double atan2(double, double) __attribute__((const));
double fmod(double, double) __attribute__((const));

#if DC_CATALOGUE_MATH_INLINE
/* math "inline": branch-free, vectorizable, within 1-2 ulp of the C library (c/dc_math.h). */
#include "dc_math.h"
#define dc_pow_c_or_libm dc_pow_c
#else
/* math "libm": the C library, live mode's operations to its round-off (the loops stay scalar). */
static inline __attribute__((const)) double dc_exp(double x) {
  return exp(x);
}
static inline __attribute__((const)) double dc_expm1(double x) {
  return expm1(x);
}
static inline __attribute__((const)) double dc_log(double x) {
  return log(x);
}
#define dc_pow_c_or_libm pow
#endif

/* JavaScript's Math.pow / **: NaN exponents and |base| = 1 with an infinite exponent give NaN. */
static inline __attribute__((const)) double dc_pow(double a, double b) {
  if (isnan(b) || (fabs(a) == 1.0 && isinf(b))) return NAN;
  return dc_pow_c_or_libm(a, b);
}
/* JavaScript's Math.min / Math.max: NaN if either is NaN; -0 < +0. */
static inline __attribute__((const)) double dc_min(double a, double b) {
  if (isnan(a) || isnan(b)) return NAN;
  if (a == b) return signbit(a) ? a : b;
  return a < b ? a : b;
}
static inline __attribute__((const)) double dc_max(double a, double b) {
  if (isnan(a) || isnan(b)) return NAN;
  if (a == b) return signbit(a) ? b : a;
  return a > b ? a : b;
}
/* JavaScript's Math.sign: keeps NaN and the sign of zero. */
static inline __attribute__((const)) double dc_sign(double a) {
  return a > 0.0 ? 1.0 : a < 0.0 ? -1.0 : a;
}

/* The bits of s - s: all zero (+0) for a finite s, a NaN's for NaN and +-inf (the checkFinite flag of
 * a split block ORs them: one OR per vector, no compare). */
static inline __attribute__((always_inline, unused)) uint64_t dc_nonfinite_bits(double s) {
  const double d = s - s;
  uint64_t u;
  __builtin_memcpy(&u, &d, sizeof u);
  return u;
}

/* Keeps a value computed and otherwise unused: the join of an unchecked split block (kernels/c.ts),
 * which makes clang interleave the long chains of its results; no instruction is emitted. */
#define DC_KEEP(x) __asm__("" ::"r"(x))

/* Stand-ins of one element for absent optional arrays (read with index mask 0). */
static const arb_value_type DC_UNUSED dc_no_values[1] = {0.0};
static const arb_index_type DC_UNUSED dc_no_indices[1] = {0};

/* ---- the failure record (native targets) ---- */

#if DC_CATALOGUE_CHECK_FINITE
#ifndef DC_FAILURE_TEMPLATE
#error "DC_CATALOGUE_CHECK_FINITE needs DC_FAILURE_TEMPLATE, the message of kernels/finite.ts"
#endif
/* The first NaN or infinite kernel result (any hook, any thread) is recorded here; every hook
 * returns at once while it is set. denocat collects and clears it after the run: catalogue/native.ts
 * opens these three functions by the names of kernels/finite.ts's FAILURE_SYMBOLS. Why a record
 * and not a call back into JavaScript: native hooks run on any Arbor thread, where no JavaScript
 * can run. The record is the only global mutable state, and atomic. */
#include <stdatomic.h>
static _Atomic unsigned dc_failed;
static char dc_failure_message[512];
DC_EXPORT unsigned denocat_native_failed(void);
DC_EXPORT const char* denocat_native_failure_message(void);
DC_EXPORT void denocat_native_clear_failure(void);
unsigned denocat_native_failed(void) {
  return atomic_load(&dc_failed);
}
const char* denocat_native_failure_message(void) {
  return dc_failure_message;
}
void denocat_native_clear_failure(void) {
  dc_failure_message[0] = 0;
  atomic_store(&dc_failed, 0u);
}
#define DC_STOPPED() (atomic_load_explicit(&dc_failed, memory_order_relaxed) != 0u)
/* DC_FAILURE_TEMPLATE names, in this order: the mechanism, the kernel, the value, what it is, the
 * instance and the CV (nonFiniteMessage's order). */
static __attribute__((noinline, cold)) void dc_fail(const char* mechanism, const char* kernel,
                                                    const char* what, double value, arb_size_type k,
                                                    arb_index_type n) {
  unsigned expected = 0u;
  if (!atomic_compare_exchange_strong(&dc_failed, &expected, 1u)) return;
  /* JavaScript's spelling of the value, as live mode's message has it. */
  const char* text = isnan(value) ? "NaN" : value > 0.0 ? "Infinity" : "-Infinity";
  snprintf(dc_failure_message, sizeof dc_failure_message, DC_FAILURE_TEMPLATE, mechanism, kernel,
           text, what, (unsigned)k, (int)n);
}
#endif /* DC_CATALOGUE_CHECK_FINITE */

#endif /* DC_CATALOGUE_NAME */

#endif
