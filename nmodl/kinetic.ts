/**
 * KINETIC and LINEAR blocks as the kernels that denocat plans: each is rewritten, on the syntax
 * tree, into a body of the form the importer already reads (`state' = expression`), as modcc's
 * kinetic and linear rewriters do (modcc/kineticrewriter.cpp, linearrewriter.cpp, read for the
 * semantics):
 *
 * - a reaction `~ 2 A + B <-> C (kf, kb)` has the net rate `kf·A²·B − kb·C` (a new LOCAL), and
 *   adds it, times its net change of molecules, to the derivative of each species; the derivative
 *   statements come last, one per species, in modcc's order (by name);
 * - `CONSERVE a + b + ... = total` becomes a conservation law of method sparse (the total must be
 *   a number);
 * - `COMPARTMENT volume { A B }` scales the species as modcc's sparse solvers do, which differs
 *   between linear and non-linear schemes (modcc/solvers.cpp): in a **non-linear** scheme each
 *   species' derivative is divided by its volume (NEURON's meaning, volume·A' = flux); in a
 *   **linear** one each species enters the reaction rates divided by its volume (modcc scales the
 *   matrix column), and a CONSERVE weighs each species by its volume. Linear means what modcc's
 *   linear_test says of every assignment at the top of the rewritten block;
 * - a LINEAR block, solved in INITIAL, gives one residual `lhs − rhs` per equation, the i-th
 *   equation labelled by the i-th STATE: the equilibrium() kernel solves them all at once;
 * - a KINETIC block at STEADYSTATE gives its derivatives as residuals, with the row of each law's
 *   first species replaced by the law.
 *
 * @module
 */
import type { Body, Expr, NmodlFile, Position, Statement, StoichTerm } from "./ast.ts";
import { NmodlError } from "./error.ts";

/** A conservation law of the rewritten scheme: Σ coefficient·state = total. */
export interface ConservationTerm {
  name: string;
  coefficient: number;
}

/** A KINETIC body in derivative form, with its conservation laws. */
export interface RewrittenScheme {
  /** `state' = ...` statements after the block's own statements and the reaction rates. */
  body: Body;
  /** The CONSERVE statements, in order. */
  laws: { terms: ConservationTerm[]; total: number; at: Position }[];
  /** The species that have a derivative, in order. */
  species: string[];
  /** What a reader of the import should know (how COMPARTMENT was applied). */
  notes: string[];
}

const number = (value: number, at: Position): Expr => ({ kind: "number", value, text: String(value), at });
const name = (n: string, at: Position): Expr => ({ kind: "name", name: n, at });
const binary = (op: string, left: Expr, right: Expr, at: Position): Expr => ({
  kind: "binary",
  op,
  left,
  right,
  at,
});

/** Every name a body uses or declares, so that a generated LOCAL takes none of them. */
function namesOf(file: NmodlFile, body: Body): Set<string> {
  const taken = new Set<string>();
  for (const list of [file.parameters, file.assigned, file.states, file.constants]) {
    for (const d of list) taken.add(d.name);
  }
  for (const b of [...file.functions, ...file.procedures]) taken.add(b.name);
  const expr = (e: Expr): void => {
    if (e.kind === "name" || e.kind === "call") taken.add(e.name);
    if (e.kind === "unary") expr(e.operand);
    if (e.kind === "binary") (expr(e.left), expr(e.right));
    if (e.kind === "call") e.args.forEach(expr);
  };
  const walk = (statements: Statement[]): void => {
    for (const s of statements) {
      if (s.kind === "local") s.names.forEach((n) => taken.add(n));
      if (s.kind === "assign") (taken.add(s.target), expr(s.value));
      if (s.kind === "if") (expr(s.condition), walk(s.then), walk(s.otherwise));
      if (s.kind === "reaction") (expr(s.forward), expr(s.backward));
    }
  };
  walk(body.statements);
  return taken;
}

/**
 * `kf·A^2·B`: a rate constant times the species of one side, each to its coefficient; a species
 * in `scaled` enters as `A / volume` (a linear scheme's COMPARTMENT, as modcc reads it).
 */
function massAction(rate: Expr, side: StoichTerm[], scaled: ReadonlyMap<string, string> = new Map()): Expr {
  let out = rate;
  for (const term of side) {
    const volume = scaled.get(term.name);
    const species = volume === undefined
      ? name(term.name, term.at)
      : binary("/", name(term.name, term.at), name(volume, term.at), term.at);
    const factor = term.coefficient === 1
      ? species
      : binary("^", species, number(term.coefficient, term.at), term.at);
    out = binary("*", factor, out, term.at);
  }
  return out;
}

/**
 * The value of a CONSERVE total (or of the volume of a species a CONSERVE sums), which must be a
 * number (or arithmetic of numbers).
 */
function constantValue(e: Expr, file: NmodlFile, at: Position, what: "total" | "volume" = "total"): number {
  const fail = (): never => {
    throw new NmodlError(
      what === "total"
        ? "a CONSERVE total that is not a number"
        : "a CONSERVE over a species whose COMPARTMENT volume is not a number",
      file.file,
      at.line,
      at.column,
      what === "total"
        ? "write the total as a number: a conservation law of denocat holds a constant"
        : "modcc weighs the species by its volume in the law, and a conservation law of denocat holds constants: give the volume as a number",
    );
  };
  if (e.kind === "number") return e.value;
  if (e.kind === "unary" && e.op === "-") return -constantValue(e.operand, file, at, what);
  if (e.kind === "binary" && ["+", "-", "*", "/"].includes(e.op)) {
    const a = constantValue(e.left, file, at, what), b = constantValue(e.right, file, at, what);
    return e.op === "+" ? a + b : e.op === "-" ? a - b : e.op === "*" ? a * b : a / b;
  }
  return fail();
}

/**
 * How modcc's linear_test classes `e` in the `states`: 0 free of them, 1 linear, 2 not linear.
 * Names are not expanded (modcc tests each assignment's own right-hand side).
 */
function order(e: Expr, states: ReadonlySet<string>): 0 | 1 | 2 {
  switch (e.kind) {
    case "number":
      return 0;
    case "name":
      return states.has(e.name) ? 1 : 0;
    case "unary":
      return e.op === "-" ? order(e.operand, states) : order(e.operand, states) === 0 ? 0 : 2;
    case "binary": {
      const a = order(e.left, states), b = order(e.right, states);
      if (e.op === "+" || e.op === "-") return Math.max(a, b) as 0 | 1 | 2;
      if (e.op === "*") return a === 0 ? b : b === 0 ? a : 2;
      if (e.op === "/") return b === 0 ? a : 2;
      return a === 0 && b === 0 ? 0 : 2;
    }
    case "call":
      return e.args.every((arg) => order(arg, states) === 0) ? 0 : 2;
  }
}

/** Whether `e` reads one of `names`. */
function reads(e: Expr, names: ReadonlySet<string>): boolean {
  if (e.kind === "name") return names.has(e.name);
  if (e.kind === "unary") return reads(e.operand, names);
  if (e.kind === "binary") return reads(e.left, names) || reads(e.right, names);
  if (e.kind === "call") return e.args.some((arg) => reads(arg, names));
  return false;
}

/**
 * Rewrites KINETIC `body` into derivative form (see the module documentation). Reactions inside
 * `if` blocks, or a LINEAR equation, are refused with their position.
 */
export function rewriteKinetic(file: NmodlFile, body: Body): RewrittenScheme {
  const taken = namesOf(file, body);
  const fresh = (stem: string) => {
    let k = 1;
    while (taken.has(`${stem}${k}`)) k++;
    taken.add(`${stem}${k}`);
    return `${stem}${k}`;
  };
  const statements: Statement[] = [];
  const laws: RewrittenScheme["laws"] = [];
  const terms = new Map<string, Expr>();
  const nested = (list: Statement[]): void => {
    for (const s of list) {
      if (s.kind === "reaction" || s.kind === "conserve" || s.kind === "linear" || s.kind === "compartment") {
        throw new NmodlError(
          `a ${
            s.kind === "linear" ? "linear equation" : s.kind === "compartment" ? "COMPARTMENT" : s.kind
          } inside an if block`,
          file.file,
          s.at.line,
          s.at.column,
          "write reactions and CONSERVE at the top level of the KINETIC block",
        );
      }
      if (s.kind === "if") (nested(s.then), nested(s.otherwise));
    }
  };
  const fail = (construct: string, at: Position, advice: string): never => {
    throw new NmodlError(construct, file.file, at.line, at.column, advice);
  };
  // COMPARTMENT: each species' volume (a LOCAL set where the statement stands), and whether the
  // scheme is linear, which decides how modcc applies it (see the module documentation).
  const volumes = new Map<string, { local: string; value: Expr; at: Position }>();
  const species = new Set<string>();
  for (const s of body.statements) {
    if (s.kind === "reaction") { for (const t of [...s.lhs, ...s.rhs]) species.add(t.name); }
  }
  let reactionsSeen = false;
  for (const s of body.statements) {
    if (s.kind === "reaction") reactionsSeen = true;
    if (s.kind !== "compartment") continue;
    for (const state of s.states) {
      if (!species.has(state)) {
        fail(
          `COMPARTMENT of ${state} is not supported`,
          s.at,
          `${state} is no species of a reaction here (modcc refuses it too)`,
        );
      }
      if (reactionsSeen) {
        fail(
          `COMPARTMENT after a reaction is not supported`,
          s.at,
          "write the COMPARTMENT statements before the reactions",
        );
      }
    }
  }
  const stateNames = new Set(file.states.map((d) => d.name));
  const linear = body.statements.every((s) =>
    s.kind === "assign" || s.kind === "derivative"
      ? order(s.value, stateNames) < 2
      : s.kind === "reaction"
      ? order(binary("-", massAction(s.forward, s.lhs), massAction(s.backward, s.rhs), s.at), stateNames) < 2
      : true
  );
  for (const s of body.statements) {
    if (s.kind === "if") nested([...s.then, ...s.otherwise]);
    if (s.kind === "compartment") {
      const local = fresh("volume");
      statements.push({ kind: "local", names: [local], at: s.at }, {
        kind: "assign",
        target: local,
        value: s.volume,
        at: s.at,
      });
      for (const state of s.states) volumes.set(state, { local, value: s.volume, at: s.at });
      continue;
    }
    if (s.kind === "linear") {
      throw new NmodlError(
        "a linear equation (~ ... = ...) in a KINETIC block",
        file.file,
        s.at.line,
        s.at.column,
        "write reactions `~ A <-> B (kf, kb)` in KINETIC, equations in a LINEAR block",
      );
    }
    if (s.kind === "conserve") {
      laws.push({
        // modcc weighs a species in a COMPARTMENT by its volume (which must then be a number)
        terms: s.terms.map((t) => ({
          name: t.name,
          coefficient: t.coefficient *
            (volumes.has(t.name)
              ? constantValue(volumes.get(t.name)!.value, file, volumes.get(t.name)!.at, "volume")
              : 1),
        })),
        total: constantValue(s.total, file, s.at),
        at: s.at,
      });
      continue;
    }
    if (s.kind !== "reaction") {
      statements.push(s);
      continue;
    }
    const rate = fresh("rate");
    const scaled = new Map(linear ? [...volumes].map(([state, v]) => [state, v.local]) : []);
    const net = binary(
      "-",
      massAction(s.forward, s.lhs, scaled),
      massAction(s.backward, s.rhs, scaled),
      s.at,
    );
    statements.push({ kind: "local", names: [rate], at: s.at }, {
      kind: "assign",
      target: rate,
      value: net,
      at: s.at,
    });
    const delta = new Map<string, number>();
    for (const t of s.lhs) delta.set(t.name, (delta.get(t.name) ?? 0) - t.coefficient);
    for (const t of s.rhs) delta.set(t.name, (delta.get(t.name) ?? 0) + t.coefficient);
    for (const [species, change] of delta) {
      if (change === 0) continue;
      // a − r rather than a + (−r): the same double, and what a reader expects
      const size = Math.abs(change);
      const magnitude = size === 1
        ? name(rate, s.at)
        : binary("*", number(size, s.at), name(rate, s.at), s.at);
      const sum = terms.get(species);
      terms.set(
        species,
        sum === undefined
          ? (change > 0 ? magnitude : { kind: "unary", op: "-", operand: magnitude, at: s.at })
          : binary(change > 0 ? "+" : "-", sum, magnitude, s.at),
      );
    }
  }
  // modcc keeps the sums in a map by name: the derivatives come in that order.
  const ordered = [...terms.keys()].sort();
  for (const state of ordered) {
    const rate = terms.get(state)!;
    const volume = linear ? undefined : volumes.get(state);
    const value = volume === undefined ? rate : binary("/", rate, name(volume.local, rate.at), rate.at);
    statements.push({ kind: "derivative", state, value, at: rate.at });
  }
  if (linear && volumes.size > 0) {
    // a linear scheme's species in a COMPARTMENT enter the rates scaled: other reads would not be
    const scaledNames = new Set(volumes.keys());
    const other = body.statements.find((s) =>
      (s.kind === "assign" || s.kind === "derivative") && reads(s.value, scaledNames)
    );
    if (other) {
      fail(
        "a read of a species in a COMPARTMENT outside the reactions of a linear scheme",
        other.at,
        "modcc scales such a species only where the reactions use it; compute the value from the reactions' rates",
      );
    }
  }
  const notes = volumes.size === 0 ? [] : [
    `COMPARTMENT in KINETIC ${body.name}: the scheme is ${
      linear ? "linear" : "not linear"
    }, so, as modcc's ` +
    (linear
      ? "sparse solver does, each species in a COMPARTMENT enters the reaction rates divided by its volume " +
        "(NEURON divides its derivative instead)"
      : "Newton iterations do, each such species' derivative is divided by its volume"),
  ];
  return { body: { ...body, statements }, laws, species: ordered, notes };
}

/**
 * The residuals of a KINETIC scheme at steady state (STEADYSTATE sparse): its derivatives, the row
 * of each conservation law's first species replaced by `Σ c·s − total`.
 */
export function steadyStateBody(file: NmodlFile, scheme: RewrittenScheme): Body {
  const replaced = new Map<string, Expr>();
  for (const law of scheme.laws) {
    let sum: Expr | undefined;
    for (const t of law.terms) {
      const term = t.coefficient === 1
        ? name(t.name, law.at)
        : binary("*", number(t.coefficient, law.at), name(t.name, law.at), law.at);
      sum = sum === undefined ? term : binary("+", sum, term, law.at);
    }
    replaced.set(law.terms[0].name, binary("-", sum!, number(law.total, law.at), law.at));
  }
  const statements = scheme.body.statements.map((s): Statement =>
    s.kind === "derivative" && replaced.has(s.state) ? { ...s, value: replaced.get(s.state)! } : s
  );
  for (const state of replaced.keys()) {
    if (!scheme.species.includes(state)) {
      const law = scheme.laws.find((l) => l.terms[0].name === state)!;
      throw new NmodlError(
        `CONSERVE of ${state}, which no reaction changes`,
        file.file,
        law.at.line,
        law.at.column,
        "a conservation law sums the species of the scheme",
      );
    }
  }
  return { ...scheme.body, statements };
}

/**
 * A LINEAR block as residuals: the i-th equation `lhs = rhs` gives `S_i' = lhs − rhs` for the i-th
 * of `states` (the labels only pair equations with unknowns: the system is solved as a whole).
 */
export function linearBody(file: NmodlFile, body: Body, states: readonly string[]): Body {
  const equations = body.statements.filter((s) => s.kind === "linear");
  if (equations.length !== states.length) {
    throw new NmodlError(
      `LINEAR ${body.name} with ${equations.length} equations for ${states.length} states`,
      file.file,
      body.at.line,
      body.at.column,
      `give one equation per STATE (${states.join(", ")})`,
    );
  }
  let k = 0;
  const statements = body.statements.map((s): Statement => {
    if (s.kind === "reaction" || s.kind === "conserve") {
      throw new NmodlError(
        `a ${s.kind} in LINEAR ${body.name}`,
        file.file,
        s.at.line,
        s.at.column,
        "write reactions and CONSERVE in a KINETIC block; LINEAR holds equations `~ lhs = rhs`",
      );
    }
    if (s.kind !== "linear") return s;
    return { kind: "derivative", state: states[k++], value: binary("-", s.lhs, s.rhs, s.at), at: s.at };
  });
  return { ...body, statements };
}
