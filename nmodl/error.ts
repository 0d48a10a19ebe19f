/**
 * The one error type of the NMODL importer: it names the construct, where it stands
 * (file:line:column) and what to do about it.
 *
 * @module
 */

/** A .mod file the importer cannot read or translate. */
export class NmodlError extends Error {
  /** The file, as given to the importer. */
  readonly file: string;
  /** 1-based line. */
  readonly line: number;
  /** 1-based column. */
  readonly column: number;
  /** The offending construct, e.g. `"KINETIC"` or `"the character '$'"`. */
  readonly construct: string;

  /**
   * Makes the error `file:line:column: <construct>: <advice>`. `construct` says what was found
   * (and, for refusals, "is not supported"); `advice` what to do.
   */
  constructor(construct: string, file: string, line: number, column: number, advice: string) {
    super(`${file}:${line}:${column}: ${construct}: ${advice}`);
    this.name = "NmodlError";
    this.file = file;
    this.line = line;
    this.column = column;
    this.construct = construct;
  }
}
