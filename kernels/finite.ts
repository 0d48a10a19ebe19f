/**
 * The non-finite result check, shared by every target: the one message text (live mode throws it
 * from JavaScript, native code formats it in C from the same template). Native catalogues carry a
 * failure record (fixed C in `c/catalogue.h`) so that the error reaches the user exactly as live
 * mode's does; this module gives it the template and the names of its symbols.
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

/**
 * Names of the C symbols of the failure record, defined by `c/catalogue.h` (read by
 * catalogue/native.ts; tests/mirrors_test.ts checks that the header defines each).
 */
export const FAILURE_SYMBOLS = {
  failed: "denocat_native_failed",
  message: "denocat_native_failure_message",
  clear: "denocat_native_clear_failure",
} as const;

/**
 * The one line of C that gives `c/catalogue.h`'s failure record its message: the printf format
 * of {@link nonFiniteMessage}, so that native code formats exactly the text live mode throws. The
 * record itself (the atomic flag, `dc_fail`, the three exported functions) is fixed C in the header.
 */
export function failureTemplateC(): string {
  const template = nonFiniteMessage("%s", "%s", "%s", "%s", "%u", "%d");
  // A C string literal of the template: ASCII only (the template is ours), so JSON's escapes are C's.
  return `#define DC_FAILURE_TEMPLATE ${JSON.stringify(template)}`;
}
