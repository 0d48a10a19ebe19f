/**
 * The NMODL lexer: turns a .mod file into tokens (names, numbers, operators) and collects its
 * comments (`: ...`, `? ...`, `COMMENT ... ENDCOMMENT`) with their lines, so that the generator
 * can keep them. `VERBATIM ... ENDVERBATIM` becomes one token, which the parser refuses with its
 * position (its C code cannot be translated).
 *
 * @module
 */
import { NmodlError } from "./error.ts";

/** Kinds of token. */
export type TokenKind = "name" | "number" | "op" | "string" | "verbatim" | "eof";

/** One token, with its 1-based position and its offsets in the source. */
export interface Token {
  kind: TokenKind;
  text: string;
  line: number;
  column: number;
  start: number;
  end: number;
}

/** A comment and the line it starts on; `block` for COMMENT ... ENDCOMMENT. */
export interface Comment {
  text: string;
  line: number;
  block: boolean;
}

/** The tokens and comments of one file. */
export interface Lexed {
  tokens: Token[];
  comments: Comment[];
}

// Longest first, so that `<=` is one token rather than `<` then `=`.
const OPERATORS = [
  "<->",
  "<=",
  ">=",
  "==",
  "!=",
  "&&",
  "||",
  "->",
  "(",
  ")",
  "{",
  "}",
  "[",
  "]",
  ",",
  "=",
  "+",
  "-",
  "*",
  "/",
  "^",
  "<",
  ">",
  "!",
  "'",
  "~",
  "@",
  "%",
];

const isNameStart = (c: string) => /[A-Za-z_]/.test(c);
const isNamePart = (c: string) => /[A-Za-z0-9_]/.test(c);
const isDigit = (c: string) => c >= "0" && c <= "9";

/** Tokenizes `source`; `file` names it in errors. */
export function lex(source: string, file: string): Lexed {
  const tokens: Token[] = [];
  const comments: Comment[] = [];
  let pos = 0, line = 1, lineStart = 0;
  const column = () => pos - lineStart + 1;
  const newline = () => {
    line++;
    lineStart = pos + 1;
  };
  // The text up to the end of the current line (not including the newline).
  const restOfLine = () => {
    const end = source.indexOf("\n", pos);
    return source.slice(pos, end < 0 ? source.length : end);
  };
  // Skips a block that ends with the word `end` at the start of a line's first word; returns its text.
  const blockUntil = (end: string, what: string, startColumn: number): string => {
    const startLine = line;
    const re = new RegExp(`\\b${end}\\b`, "g");
    re.lastIndex = pos;
    const found = re.exec(source);
    if (found === null) {
      throw new NmodlError(`${what} without ${end}`, file, startLine, startColumn, `close it with ${end}`);
    }
    const text = source.slice(pos, found.index);
    for (let k = pos; k < found.index + end.length; k++) {
      if (source[k] === "\n") {
        line++;
        lineStart = k + 1;
      }
    }
    pos = found.index + end.length;
    return text;
  };

  while (pos < source.length) {
    const c = source[pos];
    if (c === "\n") {
      newline();
      pos++;
      continue;
    }
    if (c === " " || c === "\t" || c === "\r" || c === "\f") {
      pos++;
      continue;
    }
    if (c === ":" || c === "?") {
      comments.push({ text: restOfLine().slice(1).trim(), line, block: false });
      pos += restOfLine().length;
      continue;
    }
    const startLine = line, startColumn = column(), start = pos;
    if (isNameStart(c)) {
      while (pos < source.length && isNamePart(source[pos])) pos++;
      const text = source.slice(start, pos);
      if (text === "COMMENT") {
        const body = blockUntil("ENDCOMMENT", "COMMENT", startColumn);
        comments.push({ text: body.replace(/^\s*\n/, "").replace(/\s+$/, ""), line: startLine, block: true });
        continue;
      }
      if (text === "VERBATIM") {
        const body = blockUntil("ENDVERBATIM", "VERBATIM", startColumn);
        tokens.push({ kind: "verbatim", text: body, line: startLine, column: startColumn, start, end: pos });
        continue;
      }
      tokens.push({ kind: "name", text, line: startLine, column: startColumn, start, end: pos });
      if (text === "TITLE") {
        // The title is free text up to the end of the line: one string token.
        const title = restOfLine();
        tokens.push({
          kind: "string",
          text: title.trim(),
          line,
          column: column(),
          start: pos,
          end: pos + title.length,
        });
        pos += title.length;
      }
      continue;
    }
    if (isDigit(c) || (c === "." && isDigit(source[pos + 1] ?? ""))) {
      while (isDigit(source[pos] ?? "")) pos++;
      if (source[pos] === ".") {
        pos++;
        while (isDigit(source[pos] ?? "")) pos++;
      }
      if (/[eE]/.test(source[pos] ?? "") && /[-+0-9]/.test(source[pos + 1] ?? "")) {
        const save = pos;
        pos++;
        if (source[pos] === "+" || source[pos] === "-") pos++;
        if (!isDigit(source[pos] ?? "")) pos = save;
        else while (isDigit(source[pos] ?? "")) pos++;
      }
      tokens.push({
        kind: "number",
        text: source.slice(start, pos),
        line,
        column: startColumn,
        start,
        end: pos,
      });
      continue;
    }
    if (c === '"') {
      const end = source.indexOf('"', pos + 1);
      if (end < 0 || source.slice(pos, end).includes("\n")) {
        throw new NmodlError("an unterminated string", file, line, startColumn, 'close it with "');
      }
      pos = end + 1;
      tokens.push({
        kind: "string",
        text: source.slice(start + 1, end),
        line,
        column: startColumn,
        start,
        end: pos,
      });
      continue;
    }
    const op = OPERATORS.find((o) => source.startsWith(o, pos));
    if (op === undefined) {
      throw new NmodlError(
        `the character '${c}'`,
        file,
        line,
        startColumn,
        "remove it: NMODL has no such operator",
      );
    }
    pos += op.length;
    tokens.push({ kind: "op", text: op, line, column: startColumn, start, end: pos });
  }
  tokens.push({ kind: "eof", text: "", line, column: column(), start: pos, end: pos });
  return { tokens, comments };
}
