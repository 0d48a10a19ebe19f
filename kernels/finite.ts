/**
 * The non-finite result check, shared by every target: the one message text (live mode throws it
 * from JavaScript, native code formats it in C from the same template), and the C failure record
 * that native catalogues carry so that the error reaches the user exactly as live mode's does.
 *
 * Why a record and not a call back into JavaScript: native hooks run on any Arbor thread, where
 * no JavaScript can run. The first failing hook wins the record (an atomic flag), every later
 * hook call returns at once (as the trampoline does after a failure), and the host, the Arbor
 * helpers and the Python bridge collect it where they collect live failures
 * (`throwPendingFailures`).
 *
 * @module
 */

/**
 * The error text of a NaN or infinite kernel result. Values are given as text so that the C
 * printer can pass printf conversions (`%s`, `%u`, `%d`) and get the same template.
 */
export function nonFiniteMessage(
  mechanism: string,
  kernel: string,
  what: string,
  value: string,
  instance: string,
  cv: string,
): string {
  return `mechanism '${mechanism}': ${kernel}() gave ${value} for ${what} at instance ${instance} (CV ${cv}); ` +
    `every result must be a finite number`;
}

/** Names of the C symbols of the failure record (read by catalogue/native.ts). */
export const FAILURE_SYMBOLS = {
  failed: "denocat_native_failed",
  message: "denocat_native_failure_message",
  clear: "denocat_native_clear_failure",
} as const;

/** A C string literal of printf template text (ASCII only: the template is ours). */
function cTemplate(text: string): string {
  return JSON.stringify(text);
}

/** The C definitions of the failure record and of `dc_fail`, for the catalogue file's top. */
export function failureRecordC(): string[] {
  const template = nonFiniteMessage("%s", "%s", "%s", "%s", "%u", "%d");
  return [
    `/* The first NaN or infinite kernel result (any hook, any thread) is recorded here; every hook`,
    ` * returns at once while it is set. denocat collects and clears it after the run (kernels/finite.ts). */`,
    `#include <stdatomic.h>`,
    `#include <stdio.h>`,
    `static _Atomic unsigned dc_failed;`,
    `static char dc_failure_message[512];`,
    `DC_EXPORT unsigned ${FAILURE_SYMBOLS.failed}(void);`,
    `DC_EXPORT const char* ${FAILURE_SYMBOLS.message}(void);`,
    `DC_EXPORT void ${FAILURE_SYMBOLS.clear}(void);`,
    `unsigned ${FAILURE_SYMBOLS.failed}(void) {`,
    `  return atomic_load(&dc_failed);`,
    `}`,
    `const char* ${FAILURE_SYMBOLS.message}(void) {`,
    `  return dc_failure_message;`,
    `}`,
    `void ${FAILURE_SYMBOLS.clear}(void) {`,
    `  dc_failure_message[0] = 0;`,
    `  atomic_store(&dc_failed, 0u);`,
    `}`,
    `#define DC_STOPPED() (atomic_load_explicit(&dc_failed, memory_order_relaxed) != 0u)`,
    `static __attribute__((noinline, cold)) void dc_fail(const char* mechanism, const char* kernel,`,
    `                                                    const char* what, double value, arb_size_type k,`,
    `                                                    arb_index_type n) {`,
    `  unsigned expected = 0u;`,
    `  if (!atomic_compare_exchange_strong(&dc_failed, &expected, 1u)) return;`,
    `  /* JavaScript's spelling of the value, as live mode's message has it. */`,
    `  const char* text = isnan(value) ? "NaN" : value > 0.0 ? "Infinity" : "-Infinity";`,
    `  snprintf(dc_failure_message, sizeof dc_failure_message, ${cTemplate(template)}, mechanism, kernel,`,
    `           text, what, (unsigned)k, (int)n);`,
    `}`,
    "",
  ];
}
