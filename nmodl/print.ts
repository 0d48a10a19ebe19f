/**
 * Prints the intermediate form of nmodl/ir.ts as TypeScript: names chosen without clashes,
 * each variable declared where it is first set (`const` when set once), expressions with
 * JavaScript's precedence, NMODL's numeric conditions made boolean, and the .mod file's comments
 * before the statements they stood before. deno fmt tidies the result afterwards.
 *
 * @module
 */
import { countReads, type RBlock, type RExpr, type RStmt, touches, type Var } from "./ir.ts";

/** Words a variable cannot be called in TypeScript, or would shadow something the code needs. */
export const TAKEN_WORDS: readonly string[] = (
  "break case catch class const continue debugger default delete do else enum export extends false finally for " +
  "function if import in instanceof new null return super switch this throw true try typeof var void while with " +
  "as implements interface let package private protected public static yield await async of type any number " +
  "boolean string symbol never unknown object undefined NaN Infinity Math Number Object eval arguments"
).split(" ");

/** Gives every variable of `vars` a TypeScript name that no other variable and no word of `taken` has. */
export function nameVars(vars: Iterable<Var>, taken: Set<string>): void {
  for (const v of vars) {
    if (v.ts !== "") continue;
    const base = (v.prefer ?? v.nmodl).replace(/[^A-Za-z0-9_$]/g, "_");
    let name = base, k = 2;
    while (taken.has(name)) name = `${base}${k++}`;
    taken.add(name);
    v.ts = name;
  }
}

/** Every variable declared in `block` and its nested blocks. */
export function allVars(block: RBlock): Var[] {
  const found = [...block.owned];
  const walk = (list: RStmt[]) =>
    list.forEach((s) => {
      if (s.k === "if") {
        found.push(...s.then.owned, ...s.else.owned);
        walk(s.then.stmts);
        walk(s.else.stmts);
      }
    });
  walk(block.stmts);
  return found;
}

const PRECEDENCE: Record<string, number> = {
  "||": 1,
  "&&": 2,
  "==": 3,
  "!=": 3,
  "<": 4,
  ">": 4,
  "<=": 4,
  ">=": 4,
  "+": 5,
  "-": 5,
  "*": 6,
  "/": 6,
  "%": 6,
};
const JS_OP: Record<string, string> = { "==": "===", "!=": "!==" };
const isBoolean = (e: RExpr) => (e.k === "bin" && PRECEDENCE[e.op] <= 4) || (e.k === "un" && e.op === "!");

/** `e` as a boolean: NMODL tests numbers against zero, kernels need booleans. */
function asBoolean(e: RExpr): RExpr {
  return isBoolean(e) ? e : { k: "bin", op: "!=", l: e, r: { k: "num", text: "0", value: 0 } };
}

/** A number literal as TypeScript writes it (`.5` is `0.5`). */
function literal(text: string): string {
  const t = text.startsWith(".") ? `0${text}` : text;
  return t.endsWith(".") ? t.slice(0, -1) : t;
}

/** Prints `e`; `outer` is the precedence of the surrounding operator. */
export function printExpr(e: RExpr, outer = 0, right = false, initial?: Var): string {
  const print = (inner: RExpr, o = 0, r = false) => printExpr(inner, o, r, initial);
  switch (e.k) {
    case "num":
      return literal(e.text);
    case "var":
      // `initial`: the variable being declared, whose reads are still its scope value.
      if (e.v === initial) return e.v.scopeRead ?? "0";
      return e.v.writes > 0 || e.v.param || e.v.scopeRead === undefined ? e.v.ts : e.v.scopeRead;
    case "raw":
      return e.text;
    case "call":
      return `${e.fn}(${e.args.map((a) => print(a)).join(", ")})`;
    case "un": {
      const operand = e.op === "!" ? asBoolean(e.e) : e.e;
      const inner = print(operand, 7);
      // `- -x` would print as the decrement `--x`.
      return `${e.op}${inner.startsWith("-") ? `(${inner})` : inner}`;
    }
    case "bin": {
      const level = PRECEDENCE[e.op];
      const logical = e.op === "&&" || e.op === "||";
      const l = print(logical ? asBoolean(e.l) : e.l, level);
      const r = print(logical ? asBoolean(e.r) : e.r, level, true);
      const text = `${l} ${JS_OP[e.op] ?? e.op} ${r}`;
      // Comparisons are parenthesised among themselves: JavaScript ranks === below <.
      const wrap = level < outer || (level === outer && (right || level === 3 || level === 4));
      return wrap ? `(${text})` : text;
    }
  }
}

function comment(lines: string[], indent: string): string {
  return lines.flatMap((c) => c.split("\n")).map((c) => `${indent}//${c.trim() ? " " + c.trim() : ""}\n`)
    .join("");
}

/**
 * Prints `block`'s statements; each variable it owns is declared at the statement that first
 * touches it: there, as `const` (set once) or `let`, when that statement sets it without reading
 * it, else as `let name = <its scope value or 0>` just before.
 */
export function printBlock(block: RBlock, indent: string, scope: { name: string; used: boolean }): string {
  let out = "";
  const declared = new Set<Var>();
  const mark = (text: string) => {
    if (text.includes(`${scope.name}.`)) scope.used = true;
    return text;
  };
  for (const s of block.stmts) {
    let declareHere: Var | undefined;
    for (const v of block.owned) {
      if (declared.has(v) || v.param || v.writes === 0 || !touches(s, v)) continue;
      declared.add(v);
      const self = s.k === "set" && s.v === v;
      // Declared by its first assignment; `m = m + w` set once is `const m = x.m + w`.
      if (self && (countReads([s]).get(v) === undefined || v.writes === 1)) declareHere = v;
      else out += mark(`${indent}let ${v.ts} = ${v.scopeRead ?? "0"};\n`);
    }
    out += comment(s.comments, indent);
    if (s.k === "set") {
      const keyword = declareHere === s.v ? (s.v.writes === 1 ? "const " : "let ") : "";
      out += mark(`${indent}${keyword}${s.v.ts} = ${printExpr(s.e, 0, false, declareHere)};\n`);
    } else if (s.k === "if") {
      out += mark(`${indent}if (${printExpr(asBoolean(s.c))}) {\n`);
      out += printBlock(s.then, indent + "  ", scope);
      const only = s.else.stmts[0];
      if (
        s.else.stmts.length === 1 && only.k === "if" && s.else.owned.length === 0 &&
        only.comments.length === 0
      ) {
        out += `${indent}} else ` + printBlock(s.else, indent, scope).trimStart();
        continue;
      }
      if (s.else.stmts.length) out += `${indent}} else {\n` + printBlock(s.else, indent + "  ", scope);
      out += `${indent}}\n`;
    }
  }
  return out;
}
