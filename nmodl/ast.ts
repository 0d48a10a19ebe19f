/**
 * The syntax tree of an NMODL file, as nmodl/parser.ts builds it: the blocks Arbor's dialect
 * has, their declarations, statements and expressions, each with its position.
 *
 * @module
 */
import type { Comment } from "./lexer.ts";

/** A position in the .mod file (1-based). */
export interface Position {
  line: number;
  column: number;
}

/** An expression. */
export type Expr =
  | { kind: "number"; value: number; text: string; at: Position }
  | { kind: "name"; name: string; at: Position }
  | { kind: "unary"; op: "-" | "!"; operand: Expr; at: Position }
  | { kind: "binary"; op: string; left: Expr; right: Expr; at: Position }
  | { kind: "call"; name: string; args: Expr[]; at: Position };

/** A term of a reaction or a conservation law: `2 A` is `{ coefficient: 2, name: "A" }`. */
export interface StoichTerm {
  coefficient: number;
  name: string;
  at: Position;
}

/** A statement of a block body. */
export type Statement =
  | { kind: "assign"; target: string; value: Expr; at: Position }
  | { kind: "derivative"; state: string; value: Expr; at: Position }
  | { kind: "local"; names: string[]; at: Position }
  | { kind: "if"; condition: Expr; then: Statement[]; otherwise: Statement[]; at: Position; end: number }
  | { kind: "call"; call: Expr & { kind: "call" }; at: Position }
  | { kind: "solve"; block: string; method: string; steadystate?: boolean; at: Position }
  | { kind: "table"; at: Position }
  /** KINETIC: `~ lhs <-> rhs (forward, backward)`. */
  | { kind: "reaction"; lhs: StoichTerm[]; rhs: StoichTerm[]; forward: Expr; backward: Expr; at: Position }
  /** LINEAR: `~ lhs = rhs`. */
  | { kind: "linear"; lhs: Expr; rhs: Expr; at: Position }
  /** KINETIC: `CONSERVE a + b + ... = total`. */
  | { kind: "conserve"; terms: StoichTerm[]; total: Expr; at: Position }
  /** KINETIC: `COMPARTMENT volume { states }`. */
  | { kind: "compartment"; volume: Expr; states: string[]; at: Position };

/** A block with a body: INITIAL, BREAKPOINT, DERIVATIVE, KINETIC, LINEAR, PROCEDURE, FUNCTION, NET_RECEIVE. */
export interface Body {
  /** DERIVATIVE / PROCEDURE / FUNCTION name, or the block keyword. */
  name: string;
  /** Arguments (PROCEDURE, FUNCTION, NET_RECEIVE), with their units. */
  args: { name: string; unit: string }[];
  /** The statements. */
  statements: Statement[];
  /** Position of the keyword. */
  at: Position;
  /** Line of the closing brace. */
  end: number;
}

/** A variable of PARAMETER, ASSIGNED, STATE or CONSTANT. */
export interface Declaration {
  name: string;
  /** `= value` (PARAMETER, CONSTANT). */
  value?: number;
  unit: string;
  /** `<lo, hi>` (PARAMETER). */
  range?: [number, number];
  at: Position;
}

/** USEION name READ ... WRITE ... VALENCE z. */
export interface UseIon {
  name: string;
  read: string[];
  write: string[];
  valence?: number;
  /** Arbor's `VALENCE zx`: a name the valence is read by. */
  valenceName?: string;
  at: Position;
}

/** A named constant of the UNITS block: `name = (constant) (unit)` or `name = number (unit)`. */
export interface UnitConstant {
  name: string;
  /** The physical constant's name in parentheses, e.g. `faraday`, or undefined for a number. */
  constant?: string;
  value?: number;
  unit: string;
  at: Position;
}

/** The NEURON block. */
export interface NeuronBlock {
  /** SUFFIX, POINT_PROCESS, JUNCTION_PROCESS (a gap junction) or VOLTAGE_PROCESS. */
  kind: "density" | "point" | "junction" | "voltage";
  /** SUFFIX or POINT_PROCESS name. */
  name: string;
  ions: UseIon[];
  range: string[];
  global: string[];
  nonspecific: string[];
  at: Position;
}

/** A parsed .mod file. */
export interface NmodlFile {
  file: string;
  title?: string;
  neuron: NeuronBlock;
  unitConstants: UnitConstant[];
  parameters: Declaration[];
  assigned: Declaration[];
  states: Declaration[];
  constants: Declaration[];
  /** WHITE_NOISE: normal white noise, one draw per instance and step (METHOD stochastic). */
  whiteNoise: Declaration[];
  initial?: Body;
  breakpoint?: Body;
  derivatives: Body[];
  /** KINETIC blocks (reaction schemes). */
  kinetics: Body[];
  /** LINEAR blocks (systems of linear equations). */
  linears: Body[];
  procedures: Body[];
  functions: Body[];
  netReceive?: Body;
  /** Arbor's POST_EVENT(time) block. */
  postEvent?: Body;
  comments: Comment[];
}
