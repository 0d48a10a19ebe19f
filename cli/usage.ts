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
