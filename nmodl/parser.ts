/**
 * The NMODL parser: reads the blocks of Arbor's dialect (NEURON, UNITS, PARAMETER, ASSIGNED,
 * STATE, CONSTANT, INITIAL, BREAKPOINT, DERIVATIVE, PROCEDURE, FUNCTION, NET_RECEIVE) into the
 * tree of nmodl/ast.ts. Constructs Arbor (or this importer) does not support (KINETIC, VERBATIM,
 * POINTER, arrays, loops, ...) are refused here, with their file:line:column.
 *
 * @module
 */
import type {
  Body,
  Declaration,
  Expr,
  NeuronBlock,
  NmodlFile,
  Position,
  Statement,
  StoichTerm,
  UseIon,
} from "./ast.ts";
import { NmodlError } from "./error.ts";
import { lex, type Token } from "./lexer.ts";
import { REFUSED_BLOCKS, REFUSED_NEURON, REFUSED_STATEMENTS } from "./refused.ts";

/**
 * How deep blocks, parentheses, signs, calls and chains of operators may nest. Real mechanisms
 * stay far below it (a few levels); a deeper tree would overflow the stack here or in the passes
 * after the parser, so it is refused with its file:line:column instead.
 */
export const MAX_NESTING = 256;

class Parser {
  private k = 0;
  private depth = 0;
  constructor(
    private tokens: Token[],
    private source: string,
    private file: string,
    private lenient = false,
  ) {}

  private get peek(): Token {
    return this.tokens[this.k];
  }
  private at(token = this.peek): Position {
    return { line: token.line, column: token.column };
  }
  private next(): Token {
    const token = this.tokens[this.k];
    if (token.kind !== "eof") this.k++;
    return token;
  }
  private is(text: string, token = this.peek): boolean {
    return (token.kind === "op" || token.kind === "name") && token.text === text;
  }
  fail(token: Token, construct: string, advice: string): never {
    throw new NmodlError(construct, this.file, token.line, token.column, advice);
  }
  /** Runs `parse` one level deeper, refusing at `token` beyond {@link MAX_NESTING}. */
  private nested<T>(token: Token, parse: () => T): T {
    if (++this.depth > MAX_NESTING) {
      this.fail(
        token,
        `nesting deeper than ${MAX_NESTING} levels (blocks, parentheses, signs, calls, chained operators)`,
        "split the expression with LOCAL variables, or the statements into PROCEDUREs",
      );
    }
    try {
      return parse();
    } finally {
      this.depth--;
    }
  }
  private describe(token: Token): string {
    return token.kind === "eof" ? "the end of the file" : `'${token.text}'`;
  }
  private expect(text: string, context: string): Token {
    if (!this.is(text)) {
      this.fail(
        this.peek,
        `${this.describe(this.peek)} where ${context} expects '${text}'`,
        `write '${text}'`,
      );
    }
    return this.next();
  }
  private name(context: string): Token {
    if (this.peek.kind !== "name") {
      this.fail(this.peek, `${this.describe(this.peek)} where ${context} expects a name`, "write a name");
    }
    return this.next();
  }
  /** Refuses VERBATIM (lenient mode: skips it and returns true). */
  private refuseVerbatim(): boolean {
    if (this.peek.kind !== "verbatim") return false;
    if (!this.lenient) this.fail(this.peek, "VERBATIM is not supported", REFUSED_BLOCKS.VERBATIM);
    this.next();
    return true;
  }

  /** `( unit text )`: the source between the parentheses, trimmed. */
  private unit(): string {
    const open = this.expect("(", "a unit");
    let depth = 1;
    while (depth > 0) {
      const token = this.next();
      if (token.kind === "eof") this.fail(open, "a unit without ')'", "close it with ')'");
      if (this.is("(", token)) depth++;
      if (this.is(")", token)) depth--;
      if (depth === 0) return this.source.slice(open.end, token.start).trim();
    }
    return "";
  }
  private optionalUnit(): string {
    return this.is("(") ? this.unit() : "";
  }
  private signedNumber(context: string): number {
    const negative = this.is("-") ? (this.next(), true) : false;
    if (this.is("+")) this.next();
    const token = this.peek;
    if (token.kind !== "number") {
      this.fail(token, `${this.describe(token)} where ${context} expects a number`, "write a number");
    }
    this.next();
    return negative ? -Number(token.text) : Number(token.text);
  }

  parse(): NmodlFile {
    const result:
      & Partial<NmodlFile>
      & Pick<
        NmodlFile,
        | "unitConstants"
        | "parameters"
        | "assigned"
        | "states"
        | "constants"
        | "whiteNoise"
        | "derivatives"
        | "kinetics"
        | "linears"
        | "procedures"
        | "functions"
      > = {
        file: this.file,
        unitConstants: [],
        parameters: [],
        assigned: [],
        states: [],
        constants: [],
        whiteNoise: [],
        derivatives: [],
        kinetics: [],
        linears: [],
        procedures: [],
        functions: [],
      };
    while (this.peek.kind !== "eof") {
      if (this.refuseVerbatim()) continue;
      const token = this.name("the file");
      const word = token.text;
      if (word === "TITLE") {
        result.title = this.next().text;
      } else if (word === "UNITSON" || word === "UNITSOFF" || word === "THREADSAFE") {
        // Unit checking switches: this importer does not check units.
      } else if (word === "NEURON") {
        if (result.neuron) this.fail(token, "a second NEURON block", "merge it into the first");
        result.neuron = this.neuronBlock(token);
      } else if (word === "UNITS") this.unitsBlock(result.unitConstants);
      else if (word === "PARAMETER") this.declarations(result.parameters, "PARAMETER", true);
      else if (word === "ASSIGNED") this.declarations(result.assigned, "ASSIGNED", false);
      else if (word === "STATE") this.declarations(result.states, "STATE", false);
      else if (word === "CONSTANT") this.declarations(result.constants, "CONSTANT", true);
      else if (word === "WHITE_NOISE") this.declarations(result.whiteNoise, "WHITE_NOISE", false);
      else if (word === "INDEPENDENT") this.skipBraces();
      else if (word === "INITIAL") result.initial = this.body(token, "INITIAL", []);
      else if (word === "BREAKPOINT") result.breakpoint = this.body(token, "BREAKPOINT", []);
      else if (word === "DERIVATIVE") {
        result.derivatives.push(this.body(token, this.name("DERIVATIVE").text, []));
      } else if (word === "KINETIC") {
        result.kinetics.push(this.body(token, this.name("KINETIC").text, []));
      } else if (word === "LINEAR") {
        result.linears.push(this.body(token, this.name("LINEAR").text, []));
      } else if (word === "PROCEDURE" || word === "FUNCTION") {
        const name = this.name(word).text;
        const args = this.arguments(word);
        if (word === "FUNCTION" && this.is("(")) this.unit();
        (word === "FUNCTION" ? result.functions : result.procedures).push(this.body(token, name, args));
      } else if (word === "NET_RECEIVE" || word === "POST_EVENT") {
        const args = this.arguments(word);
        if (word === "NET_RECEIVE") result.netReceive = this.body(token, word, args);
        else result.postEvent = this.body(token, word, args);
      } else if (this.lenient && Object.hasOwn(REFUSED_BLOCKS, word)) {
        this.skipBlock(word);
      } else if (Object.hasOwn(REFUSED_BLOCKS, word)) {
        this.fail(token, `${word} is not supported`, REFUSED_BLOCKS[word]);
      } else {this.fail(
          token,
          `the unknown block '${word}'`,
          "NMODL (as Arbor reads it) has no such block; remove it",
        );}
    }
    if (!result.neuron) {
      throw new NmodlError(
        "a file without a NEURON block",
        this.file,
        1,
        1,
        "add NEURON { SUFFIX name } or NEURON { POINT_PROCESS name }",
      );
    }
    return result as NmodlFile;
  }

  /** Lenient mode: skips a refused top-level construct (DEFINE n v, LOCAL a, b, KINETIC name { ... }). */
  private skipBlock(word: string): void {
    if (word === "DEFINE") (this.next(), this.next());
    else if (word === "LOCAL") {
      this.nameList();
      if (this.is("[")) (this.next(), this.next(), this.expect("]", "LOCAL"));
    } else {
      while (!this.is("{") && this.peek.kind !== "eof") this.next();
      this.skipBraces();
    }
  }

  private skipBraces(): void {
    const open = this.expect("{", "the block");
    let depth = 1;
    while (depth > 0) {
      const token = this.next();
      if (token.kind === "eof") this.fail(open, "a block without '}'", "close it with '}'");
      if (this.is("{", token)) depth++;
      if (this.is("}", token)) depth--;
    }
  }

  private nameList(): string[] {
    const names = [this.name("the list").text];
    while (this.is(",")) {
      this.next();
      names.push(this.name("the list").text);
    }
    return names;
  }

  private neuronBlock(keyword: Token): NeuronBlock {
    this.expect("{", "NEURON");
    const block: NeuronBlock = {
      kind: "density",
      name: "",
      ions: [],
      range: [],
      global: [],
      nonspecific: [],
      at: this.at(keyword),
    };
    while (!this.is("}")) {
      if (this.refuseVerbatim()) continue;
      const token = this.name("the NEURON block");
      const word = token.text;
      if (
        word === "SUFFIX" || word === "POINT_PROCESS" || word === "JUNCTION_PROCESS" ||
        word === "VOLTAGE_PROCESS"
      ) {
        block.kind = ({ SUFFIX: "density", POINT_PROCESS: "point", JUNCTION_PROCESS: "junction" } as const)[
          word as "SUFFIX"
        ] ?? "voltage";
        block.name = this.name(word).text;
      } else if (word === "USEION") {
        const ion: UseIon = { name: this.name("USEION").text, read: [], write: [], at: this.at(token) };
        for (;;) {
          if (this.is("READ")) (this.next(), ion.read.push(...this.nameList()));
          else if (this.is("WRITE")) (this.next(), ion.write.push(...this.nameList()));
          else if (this.is("VALENCE")) {
            this.next();
            if (this.peek.kind === "name") ion.valenceName = this.next().text;
            else ion.valence = this.signedNumber("VALENCE");
          } else if (this.is("REPRESENTS")) (this.next(), this.next());
          else break;
        }
        block.ions.push(ion);
      } else if (word === "RANGE") block.range.push(...this.nameList());
      else if (word === "GLOBAL") block.global.push(...this.nameList());
      else if (word === "NONSPECIFIC_CURRENT") block.nonspecific.push(...this.nameList());
      else if (word === "THREADSAFE") {
        // Every denocat kernel is thread safe.
      } else if (this.lenient && word === "ARTIFICIAL_CELL") {
        block.kind = "point";
        block.name = this.name(word).text;
      } else if (this.lenient && Object.hasOwn(REFUSED_NEURON, word)) this.nameList();
      else if (Object.hasOwn(REFUSED_NEURON, word)) {
        this.fail(token, `${word} is not supported`, REFUSED_NEURON[word]);
      } else this.fail(token, `the unknown NEURON statement '${word}'`, "remove it");
    }
    this.next();
    if (block.name === "") {
      this.fail(keyword, "a NEURON block without SUFFIX or POINT_PROCESS", "add SUFFIX name");
    }
    return block;
  }

  private unitsBlock(constants: NmodlFile["unitConstants"]): void {
    this.expect("{", "UNITS");
    while (!this.is("}")) {
      if (this.is("(")) {
        // (mA) = (milliamp): a unit alias, not needed without unit checking.
        this.unit();
        this.expect("=", "a unit alias");
        this.unit();
        continue;
      }
      const name = this.name("the UNITS block");
      this.expect("=", "a unit constant");
      if (this.peek.kind === "number" || this.is("-")) {
        const value = this.signedNumber("a unit constant");
        constants.push({ name: name.text, value, unit: this.optionalUnit(), at: this.at(name) });
      } else {
        const constant = this.unit();
        constants.push({ name: name.text, constant, unit: this.optionalUnit(), at: this.at(name) });
      }
    }
    this.next();
  }

  private declarations(into: Declaration[], block: string, withValues: boolean): void {
    this.expect("{", block);
    while (!this.is("}")) {
      if (this.refuseVerbatim()) continue;
      const name = this.name(`the ${block} block`);
      const declaration: Declaration = { name: name.text, unit: "", at: this.at(name) };
      if (this.is("[") && this.lenient) (this.next(), this.next(), this.expect("]", "an array size"));
      if (this.is("[")) {
        this.fail(
          this.peek,
          `the array '${name.text}[...]' is not supported`,
          "kernels hold scalars only; declare one variable per element",
        );
      }
      if (this.is("=")) {
        this.next();
        declaration.value = this.signedNumber(`${block} ${name.text}`);
      }
      declaration.unit = this.optionalUnit();
      if (this.is("=") && withValues && declaration.value === undefined) {
        this.next();
        declaration.value = this.signedNumber(`${block} ${name.text}`);
      }
      if (this.is("<")) {
        this.next();
        const lo = this.signedNumber(`the range of ${name.text}`);
        if (this.is(",")) {
          this.next();
          const hi = this.signedNumber(`the range of ${name.text}`);
          if (block === "PARAMETER") declaration.range = [lo, hi];
        }
        this.expect(">", `the range of ${name.text}`);
      }
      if (this.is("FROM")) {
        // STATE x FROM a TO b: bounds for NEURON's solvers; kernels do not clamp.
        this.next();
        this.signedNumber("FROM");
        this.expect("TO", "FROM");
        this.signedNumber("TO");
      }
      into.push(declaration);
    }
    this.next();
  }

  private arguments(context: string): { name: string; unit: string }[] {
    const args: { name: string; unit: string }[] = [];
    if (!this.is("(")) return args;
    this.next();
    while (!this.is(")")) {
      const name = this.name(`the arguments of ${context}`).text;
      args.push({ name, unit: this.optionalUnit() });
      if (!this.is(")")) this.expect(",", `the arguments of ${context}`);
    }
    this.next();
    return args;
  }

  private body(keyword: Token, name: string, args: Body["args"]): Body {
    if (this.lenient) {
      this.skipBraces();
      return { name, args, statements: [], at: this.at(keyword), end: this.tokens[this.k - 1].line };
    }
    const statements = this.block(`${keyword.text} ${name}`);
    return { name, args, statements, at: this.at(keyword), end: this.tokens[this.k - 1].line };
  }

  private block(context: string): Statement[] {
    return this.nested(this.peek, () => this.blockBody(context));
  }

  private blockBody(context: string): Statement[] {
    this.expect("{", context);
    const statements: Statement[] = [];
    while (!this.is("}")) {
      if (this.peek.kind === "eof") {
        this.fail(this.peek, `the end of the file inside ${context}`, "close the block with '}'");
      }
      const statement = this.statement();
      if (statement) statements.push(statement);
    }
    this.next();
    return statements;
  }

  private statement(): Statement | undefined {
    this.refuseVerbatim();
    const token = this.peek;
    if (token.kind === "op" && token.text === "~") return this.tilde();
    if (token.kind !== "name") {
      this.fail(
        token,
        `${this.describe(token)} at the start of a statement`,
        "start a statement with a name, LOCAL, if or SOLVE",
      );
    }
    const at = this.at(token);
    const word = token.text;
    if (word === "UNITSON" || word === "UNITSOFF") return (this.next(), undefined);
    if (word === "LOCAL") {
      this.next();
      const names = this.nameList();
      if (this.is("[")) this.fail(this.peek, "a LOCAL array is not supported", "kernels hold scalars only");
      return { kind: "local", names, at };
    }
    if (word === "if") {
      this.next();
      this.expect("(", "if");
      const condition = this.expression();
      this.expect(")", "if");
      const then = this.block("if");
      let otherwise: Statement[] = [];
      if (this.is("else")) {
        this.next();
        if (this.is("if")) otherwise = [this.nested(this.peek, () => this.statement()!)];
        else otherwise = this.block("else");
      }
      return { kind: "if", condition, then, otherwise, at, end: this.tokens[this.k - 1].line };
    }
    if (word === "SOLVE") {
      this.next();
      const block = this.name("SOLVE").text;
      if (this.is("STEADYSTATE")) {
        this.next();
        const method = this.name("STEADYSTATE").text;
        return { kind: "solve", block, method, steadystate: true, at };
      }
      let method = "";
      if (this.is("METHOD")) {
        this.next();
        method = this.name("METHOD").text;
      }
      return { kind: "solve", block, method, at };
    }
    if (word === "TABLE") {
      // A lookup table is an optimisation: the kernels compute the exact values instead.
      this.next();
      while (this.peek.kind !== "eof" && this.peek.line === token.line) this.next();
      return { kind: "table", at };
    }
    if (Object.hasOwn(REFUSED_STATEMENTS, word) && word !== "LOCAL") {
      this.fail(token, `${word} is not supported`, REFUSED_STATEMENTS[word]);
    }
    if (word === "COMPARTMENT") {
      this.next();
      const volume = this.expression();
      if (this.is(",")) {
        this.fail(
          this.peek,
          "COMPARTMENT with an index is not supported",
          "arrays are not supported; give each state its own COMPARTMENT",
        );
      }
      this.expect("{", "COMPARTMENT");
      const states: string[] = [];
      while (!this.is("}")) {
        const state = this.next();
        if (state.kind !== "name") {
          this.fail(
            state,
            `${this.describe(state)} in COMPARTMENT`,
            "list the states it scales: { A B ... }",
          );
        }
        states.push(state.text);
      }
      this.next();
      return { kind: "compartment", volume, states, at };
    }
    if (word === "CONSERVE") {
      this.next();
      const terms = this.stoichTerms("CONSERVE", true);
      this.expect("=", "CONSERVE");
      return { kind: "conserve", terms, total: this.expression(), at };
    }
    this.next();
    if (this.is("[")) {
      this.fail(this.peek, `the array access '${word}[...]' is not supported`, "kernels hold scalars only");
    }
    if (this.is("'")) {
      this.next();
      this.expect("=", `${word}'`);
      return { kind: "derivative", state: word, value: this.expression(), at };
    }
    if (this.is("=")) {
      this.next();
      return { kind: "assign", target: word, value: this.expression(), at };
    }
    if (this.is("(")) {
      const call = this.callAfterName(token);
      return { kind: "call", call, at };
    }
    return this.fail(
      this.peek,
      `${this.describe(this.peek)} after '${word}'`,
      "write an assignment 'name = value', a derivative \"name' = value\" or a call 'name(...)'",
    );
  }

  /** `~ lhs <-> rhs (forward, backward)` (a reaction) or `~ lhs = rhs` (a linear equation), as modcc reads them. */
  private tilde(): Statement {
    const token = this.next();
    const at = this.at(token);
    const line = token.line;
    let reaction = false;
    for (let j = this.k; j < this.tokens.length && this.tokens[j].line === line; j++) {
      if (this.tokens[j].kind === "op" && this.tokens[j].text === "<->") reaction = true;
    }
    if (reaction) {
      const lhs = this.stoichTerms("a reaction", false);
      this.expect("<->", "a reaction");
      const rhs = this.stoichTerms("a reaction", false);
      this.expect("(", "a reaction's rates");
      const forward = this.expression();
      this.expect(",", "a reaction's rates");
      const backward = this.expression();
      this.expect(")", "a reaction's rates");
      return { kind: "reaction", lhs, rhs, forward, backward, at };
    }
    const lhs = this.expression();
    this.expect("=", "a linear equation");
    return { kind: "linear", lhs, rhs: this.expression(), at };
  }

  /** `2 A + B ...`: terms with integer coefficients (signed ones only where `signed`, as in CONSERVE). */
  private stoichTerms(context: string, signed: boolean): StoichTerm[] {
    const terms: StoichTerm[] = [];
    let sign = 1;
    for (;;) {
      const start = this.peek;
      if (signed && (this.is("-") || this.is("+"))) sign = this.next().text === "-" ? -1 : 1;
      let coefficient = 1;
      if (this.peek.kind === "number") {
        const number = this.next();
        coefficient = Number(number.text);
        if (!Number.isInteger(coefficient) || coefficient < 0) {
          this.fail(
            number,
            `the coefficient ${number.text} in ${context}`,
            "write a whole number of molecules",
          );
        }
      }
      const name = this.name(context);
      terms.push({
        coefficient: sign * coefficient,
        name: name.text,
        at: this.at(terms.length ? name : start),
      });
      sign = 1;
      if (this.is("+")) this.next();
      else if (signed && this.is("-")) continue;
      else return terms;
    }
  }

  private callAfterName(name: Token): Expr & { kind: "call" } {
    this.expect("(", "a call");
    const args: Expr[] = [];
    while (!this.is(")")) {
      args.push(this.expression());
      if (!this.is(")")) this.expect(",", `the call of ${name.text}`);
    }
    this.next();
    return { kind: "call", name: name.text, args, at: this.at(name) };
  }

  expression(): Expr {
    return this.nested(this.peek, () => this.binary(0));
  }

  private static LEVELS: string[][] = [["||"], ["&&"], ["==", "!=", "<", ">", "<=", ">="], ["+", "-"], [
    "*",
    "/",
    "%",
  ]];

  private binary(level: number): Expr {
    if (level === Parser.LEVELS.length) return this.unary();
    let left = this.binary(level + 1);
    // A chain a + b + c ... is a left-deep tree: each operator is one more level.
    const outer = this.depth;
    try {
      while (this.peek.kind === "op" && Parser.LEVELS[level].includes(this.peek.text)) {
        const op = this.next();
        const right = this.nested(op, () => this.binary(level + 1));
        left = { kind: "binary", op: op.text, left, right, at: this.at(op) };
        this.depth++;
      }
    } finally {
      this.depth = outer;
    }
    return left;
  }

  private unary(): Expr {
    if (this.is("-") || this.is("!")) {
      const op = this.next();
      return {
        kind: "unary",
        op: op.text as "-" | "!",
        operand: this.nested(op, () => this.unary()),
        at: this.at(op),
      };
    }
    if (this.is("+")) {
      return this.nested(this.next(), () => this.unary());
    }
    return this.power();
  }

  private power(): Expr {
    const base = this.primary();
    if (this.is("^")) {
      const op = this.next();
      // Right associative, binding tighter than unary minus on its left: -a^b is -(a^b).
      return {
        kind: "binary",
        op: "^",
        left: base,
        right: this.nested(op, () => this.unary()),
        at: this.at(op),
      };
    }
    return base;
  }

  private primary(): Expr {
    const token = this.peek;
    if (token.kind === "number") {
      this.next();
      // A unit after a number, `10 (degC)`, only documents it.
      if (this.is("(")) this.unit();
      return { kind: "number", value: Number(token.text), text: token.text, at: this.at(token) };
    }
    if (this.is("(")) {
      this.next();
      const inner = this.expression();
      this.expect(")", "a parenthesised expression");
      return inner;
    }
    if (token.kind === "name") {
      this.next();
      if (this.is("(")) return this.callAfterName(token);
      if (this.is("[")) {
        this.fail(
          this.peek,
          `the array access '${token.text}[...]' is not supported`,
          "kernels hold scalars only",
        );
      }
      return { kind: "name", name: token.text, at: this.at(token) };
    }
    return this.fail(
      token,
      `${this.describe(token)} in an expression`,
      "write a number, a name, a call or a parenthesised expression",
    );
  }
}

/**
 * Parses the text of a .mod file; `file` names it in errors.
 *
 * @example
 * ```ts
 * import { parseNmodl } from "./parser.ts";
 * const tree = parseNmodl("NEURON { SUFFIX leak }", "leak.mod");
 * console.log(tree.neuron.name); // "leak"
 * ```
 */
export function parseNmodl(source: string, file = "<input>"): NmodlFile {
  const { tokens, comments } = lex(source, file);
  const tree = new Parser(tokens, source, file).parse();
  tree.comments = comments;
  return tree;
}

/**
 * Reads only the declarations of a .mod file (NEURON, UNITS, PARAMETER, ASSIGNED, STATE),
 * skipping block bodies and the constructs the importer refuses: what its names are even when it
 * cannot be imported (used to cross-check the names with other NMODL parsers).
 *
 * @example
 * ```ts
 * import { parseDeclarations } from "./parser.ts";
 * const tree = parseDeclarations("NEURON { SUFFIX k }\nSTATE { n }\nKINETIC s { ~ n <-> m (1, 1) }", "k.mod");
 * console.log(tree.states.map((s) => s.name)); // ["n"]
 * ```
 */
export function parseDeclarations(source: string, file = "<input>"): NmodlFile {
  const { tokens, comments } = lex(source, file);
  const tree = new Parser(tokens, source, file, true).parse();
  tree.comments = comments;
  return tree;
}
