/**
 * The C text of a catalogue's CPU check: `get_catalogue` refuses (count 0, NULL, a message on
 * stderr) on a CPU that lacks an instruction set the catalogue was compiled for, instead of
 * dying with SIGILL in the first hook. The list of what to check is the compiler's own: every
 * `__AVX2__`-style macro that `-mcpu` turned on, so it holds for any CPU name, `native` included.
 *
 * Arbor turns the NULL into `bad_catalogue_error("Invalid mechanism count 0 ...")`
 * (arbor/mechcat.cpp, load_catalogue, v0.9.0 to master), denocat's host into "invalid mechanism
 * count 0"; both callers can read `denocat_cpu_missing()` first for the reason (host/host.ts does).
 *
 * @module
 */

/** x86 features: compiler macro, CPUID leaf register and bit, and whether the OS must save AVX state. */
const X86_FEATURES: [macro: string, name: string, test: string][] = [
  ["__SSE3__", "SSE3", "c1 & (1u << 0)"],
  ["__SSSE3__", "SSSE3", "c1 & (1u << 9)"],
  ["__SSE4_1__", "SSE4.1", "c1 & (1u << 19)"],
  ["__SSE4_2__", "SSE4.2", "c1 & (1u << 20)"],
  ["__POPCNT__", "POPCNT", "c1 & (1u << 23)"],
  ["__AVX__", "AVX", "(c1 & (1u << 28)) && (xcr0 & 0x6) == 0x6"],
  ["__AVX2__", "AVX2", "b7 & (1u << 5)"],
  ["__FMA__", "FMA", "c1 & (1u << 12)"],
  ["__AVX512F__", "AVX-512F", "(b7 & (1u << 16)) && (xcr0 & 0xe6) == 0xe6"],
  ["__AVX512DQ__", "AVX-512DQ", "b7 & (1u << 17)"],
  ["__AVX512CD__", "AVX-512CD", "b7 & (1u << 28)"],
  ["__AVX512BW__", "AVX-512BW", "b7 & (1u << 30)"],
  ["__AVX512VL__", "AVX-512VL", "b7 & (1u << 31)"],
  ["__BMI__", "BMI1", "b7 & (1u << 3)"],
  ["__BMI2__", "BMI2", "b7 & (1u << 8)"],
  ["__F16C__", "F16C", "c1 & (1u << 29)"],
  ["__LZCNT__", "LZCNT", "c81 & (1u << 5)"],
  ["__MOVBE__", "MOVBE", "c1 & (1u << 22)"],
];

/** aarch64 Linux features: compiler macro, name, getauxval test. */
const ARM_FEATURES: [macro: string, name: string, test: string][] = [
  ["__ARM_FEATURE_ATOMICS", "LSE atomics", "hwcap & (1ul << 8)"],
  ["__ARM_FEATURE_CRC32", "CRC32", "hwcap & (1ul << 7)"],
  ["__ARM_FEATURE_FP16_VECTOR_ARITHMETIC", "FP16 vector arithmetic", "hwcap & (1ul << 10)"],
  ["__ARM_FEATURE_DOTPROD", "dot product", "hwcap & (1ul << 20)"],
  ["__ARM_FEATURE_SVE", "SVE", "hwcap & (1ul << 22)"],
  ["__ARM_FEATURE_SVE2", "SVE2", "hwcap2 & (1ul << 1)"],
];

/** The C lines of `denocat_cpu`, `denocat_cpu_missing` and the vector width macros. */
export function cpuCheckLines(cpu: string): string[] {
  const check = ([macro, name, test]: [string, string, string]) => [
    `#ifdef ${macro}`,
    `  if (!(${test})) return ${JSON.stringify(name)};`,
    `#endif`,
  ];
  return [
    `/* ---- the CPU this file was built for (catalogue/cpu_check.ts) ---- */`,
    ``,
    `/* The vector width of the build: Arbor pads and aligns every array to it (docs/abi.md 9). */`,
    `#if defined(__AVX512F__)`,
    `#define DC_VECTOR_BYTES 64`,
    `#elif defined(__AVX__)`,
    `#define DC_VECTOR_BYTES 32`,
    `#else`,
    `#define DC_VECTOR_BYTES 16`,
    `#endif`,
    `/* Instances per block of a split hook (compute, then scatter): a few vectors, on the stack. */`,
    `#define DC_BLOCK 128`,
    `/* Below this many instances a split hook runs its one plain loop instead: the vector loops'`,
    `   set-up (alias checks, remainders, buffers) costs more than it saves on a few instances. */`,
    `#define DC_SPLIT_MIN_WIDTH 8`,
    ``,
    `DC_EXPORT const char* denocat_cpu(void);`,
    `DC_EXPORT const char* denocat_cpu_missing(void);`,
    ``,
    `/* The --cpu the catalogue was compiled with. */`,
    `const char* denocat_cpu(void) {`,
    `  return ${JSON.stringify(cpu)};`,
    `}`,
    ``,
    `#if defined(__x86_64__)`,
    `#include <cpuid.h>`,
    `static unsigned long long dc_xcr0(void) {`,
    `  unsigned lo, hi;`,
    `  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));`,
    `  return ((unsigned long long)hi << 32) | lo;`,
    `}`,
    `#elif defined(__aarch64__) && defined(__linux__)`,
    `#include <sys/auxv.h>`,
    `#endif`,
    ``,
    `/* The first instruction set this build needs and the CPU lacks, or NULL. Compiled from the`,
    ` * same flags as the hooks, but it only runs cpuid and integer code. */`,
    `const char* denocat_cpu_missing(void) {`,
    `#if defined(__x86_64__)`,
    `  unsigned a, b, c, d;`,
    `  if (!__get_cpuid(1, &a, &b, &c, &d)) return "CPUID leaf 1";`,
    `  const unsigned c1 = c;`,
    `  unsigned b7 = 0, c81 = 0;`,
    `  if (__get_cpuid_max(0, NULL) >= 7) {`,
    `    __cpuid_count(7, 0, a, b, c, d);`,
    `    b7 = b;`,
    `  }`,
    `  if (__get_cpuid(0x80000001u, &a, &b, &c, &d)) c81 = c;`,
    `  const unsigned long long xcr0 = (c1 & (1u << 27)) ? dc_xcr0() : 0; /* OSXSAVE */`,
    `  (void)b7;`,
    `  (void)c81;`,
    `  (void)xcr0;`,
    ...X86_FEATURES.flatMap(check),
    `#elif defined(__aarch64__) && defined(__linux__)`,
    `  const unsigned long hwcap = getauxval(AT_HWCAP), hwcap2 = getauxval(AT_HWCAP2);`,
    `  (void)hwcap;`,
    `  (void)hwcap2;`,
    ...ARM_FEATURES.flatMap(check),
    `#endif`,
    `  return NULL;`,
    `}`,
    ``,
  ];
}

/** The C lines at the top of `get_catalogue` that refuse an unfit CPU. */
export function cpuRefusalLines(name: string): string[] {
  return [
    `  const char* missing = denocat_cpu_missing();`,
    `  if (missing) {`,
    `    fprintf(stderr, "denocat: catalogue '%s' was compiled with --cpu %s and needs %s, which this CPU "`,
    `            "lacks: rebuild it with --cpu baseline, or with the --cpu of this machine\\n",`,
    `            ${JSON.stringify(name)}, denocat_cpu(), missing);`,
    `    if (count) *count = 0;`,
    `    return NULL;`,
    `  }`,
  ];
}
