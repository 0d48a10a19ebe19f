/**
 * Hook failures: what went wrong while Arbor (or the test host) was calling into a catalogue, kept
 * until the next public entry point can throw it on Deno's own stack. One registry for the whole
 * process: every catalogue that can record a failure (live trampoline catalogues, native targets)
 * adds itself with {@link trackFailures}, and every entry point that drives a simulation (the host,
 * the Python bridge, `arbor/`) calls {@link throwPendingFailures}.
 *
 * @module
 */

/** A failure recorded during Arbor's calls: C's one-line account and, for a hook that threw, its error. */
export interface CatalogueFailure {
  /** What C recorded, e.g. "mechanism 'hh': compute_currents failed" or a refused call. */
  message: string;
  /** The hook's own error (with its TypeScript stack), when a hook threw. */
  error?: unknown;
}

/** A catalogue that records failures. */
export interface FailureSource {
  /** The failure recorded since the last call, cleared, or undefined. */
  takeFailure(): CatalogueFailure | undefined;
}

const sources = new Set<FailureSource>();

/**
 * Adds (or, with `add` false, removes) a catalogue whose recorded failures
 * {@link throwPendingFailures} throws.
 *
 * @example
 * ```ts ignore
 * trackFailures(catalogue);        // when it is opened
 * trackFailures(catalogue, false); // when it is closed
 * ```
 */
export function trackFailures(source: FailureSource, add = true): void {
  if (add) sources.add(source);
  else sources.delete(source);
}

/**
 * The error a failure is thrown as: the hook's own error when a hook threw, else C's account.
 *
 * @example
 * ```ts
 * failureError({ message: "mechanism 'hh': called from a foreign thread" }).message;
 * // "denocat: mechanism 'hh': called from a foreign thread"
 * ```
 */
export function failureError(failure: CatalogueFailure): unknown {
  return "error" in failure ? failure.error : new Error(`denocat: ${failure.message}`);
}

/**
 * Throws the first pending hook failure of any catalogue (and clears it). Called at the start and
 * end of every public entry point that can drive a simulation.
 *
 * @example
 * ```ts ignore
 * throwPendingFailures(); // before and after handing control to Arbor
 * ```
 */
export function throwPendingFailures(): void {
  const failure = takePendingFailure();
  if (failure !== undefined) throw failureError(failure);
}

/**
 * The first pending failure of any catalogue, cleared, or undefined: for callers that turn it into
 * their own error (the Python `denocat` module raises it inside the script).
 *
 * @example
 * ```ts ignore
 * const failure = takePendingFailure();
 * if (failure !== undefined) raiseInPython(failure.message);
 * ```
 */
export function takePendingFailure(): CatalogueFailure | undefined {
  for (const source of sources) {
    const failure = source.takeFailure();
    if (failure !== undefined) return failure;
  }
  return undefined;
}

/**
 * A short, unambiguous rendering of any thrown or returned value, for error messages.
 *
 * @example
 * ```ts
 * describeValue(new Map()); // "a Map"
 * ```
 */
export function describeValue(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "bigint") return `${value}n`;
  if (typeof value === "function") return `function ${value.name || "(anonymous)"}`;
  if (value === null || typeof value !== "object") return String(value);
  if (Array.isArray(value)) return `an array of ${value.length}`;
  const name = (value as { constructor?: { name?: string } }).constructor?.name;
  return name && name !== "Object" ? `a ${name}` : "an object";
}

/**
 * The error reported when a hook misbehaves without throwing an `Error`: it names the mechanism
 * and the hook and keeps the thrown or returned value as its `cause`.
 *
 * @example
 * ```ts
 * hookFailure("hh", "compute_currents", "threw a non-Error value", 42).message;
 * // "mechanism 'hh': hook compute_currents threw a non-Error value: 42"
 * ```
 */
export function hookFailure(mechanism: string, hook: string, what: string, value: unknown): Error {
  return new Error(`mechanism '${mechanism}': hook ${hook} ${what}: ${describeValue(value)}`, {
    cause: value,
  });
}
