/**
 * The usage error of the `denocat` command: a mistake on the command line (exit code 2), with
 * the help text of the subcommand it belongs to.
 *
 * @module
 */

/** A command-line mistake: `message` says what, `usage` is the subcommand's help. */
export class UsageError extends Error {
  /** The help text to print after the message. */
  readonly usage: string;

  /** Creates the error. */
  constructor(message: string, usage: string) {
    super(message);
    this.name = "UsageError";
    this.usage = usage;
  }
}

/**
 * Reports a process that ends before `main` returned: code denocat ran (a mechanisms module while
 * it is imported, a hook) called `Deno.exit`, or the event loop ran dry. Such an exit would
 * otherwise look like success: nothing printed, status 0. Returns the function that marks the
 * command as finished.
 */
export function reportEarlyExit(command: string): () => void {
  let finished = false;
  globalThis.addEventListener("unload", () => {
    if (finished) return;
    const code = Deno.exitCode;
    console.error(
      `${command}: the process was ended (Deno.exit(${code}), or nothing left to wait for) before ` +
        `the command finished: code it ran, such as the mechanisms module while it was imported, ended it. ` +
        `A module denocat imports must not call Deno.exit; the command did not finish, exit status ${
          code === 0 ? 1 : code
        }`,
    );
    if (code === 0) Deno.exitCode = 1;
  });
  return () => (finished = true);
}
