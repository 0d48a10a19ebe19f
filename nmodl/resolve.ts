/**
 * Resolves the names of one NMODL block into the intermediate form of nmodl/ir.ts, for one
 * kernel (`initial`, `derivative`, `current`, `onEvent`) or one module function (a FUNCTION).
 * PROCEDURE calls are inlined here (a procedure sets several values, while the kernel plan's
 * helpers return one); FUNCTIONs stay calls of module functions, taking the mechanism values
 * they read as extra arguments. Every write the kernel cannot make (a STATE in BREAKPOINT, `v`,
 * a parameter outside INITIAL) is refused with its position.
 *
 * @module
 */
import type { Body, Expr, NmodlFile, Position, Statement } from "./ast.ts";
import { NmodlError } from "./error.ts";
import { newVar, type RBlock, type RExpr, type RStmt, type Var } from "./ir.ts";
import type { Symbols } from "./symbols.ts";

/** Which body is being resolved. */
export type Context =
  | "initial"
  | "equilibrium"
  | "derivative"
  | "step"
  | "current"
  | "onEvent"
  | "onPostEvent"
  | "function";

/** NMODL's and Arbor's builtin functions, as the kernel plan's Math functions or module helpers. */
export const BUILTIN_FUNCTIONS: Record<string, { ts: string; arity: number }> = {
  exp: { ts: "Math.exp", arity: 1 },
  log: { ts: "Math.log", arity: 1 },
  log10: { ts: "Math.log10", arity: 1 },
  fabs: { ts: "Math.abs", arity: 1 },
  sqrt: { ts: "Math.sqrt", arity: 1 },
  pow: { ts: "Math.pow", arity: 2 },
  sin: { ts: "Math.sin", arity: 1 },
  cos: { ts: "Math.cos", arity: 1 },
  tan: { ts: "Math.tan", arity: 1 },
  asin: { ts: "Math.asin", arity: 1 },
  acos: { ts: "Math.acos", arity: 1 },
  atan: { ts: "Math.atan", arity: 1 },
  atan2: { ts: "Math.atan2", arity: 2 },
  sinh: { ts: "Math.sinh", arity: 1 },
  cosh: { ts: "Math.cosh", arity: 1 },
  tanh: { ts: "Math.tanh", arity: 1 },
  floor: { ts: "Math.floor", arity: 1 },
  ceil: { ts: "Math.ceil", arity: 1 },
  fmin: { ts: "Math.min", arity: 2 },
  fmax: { ts: "Math.max", arity: 2 },
  min: { ts: "Math.min", arity: 2 },
  max: { ts: "Math.max", arity: 2 },
  expm1: { ts: "Math.expm1", arity: 1 },
  log1p: { ts: "Math.log1p", arity: 1 },
  abs: { ts: "Math.abs", arity: 1 },
  signum: { ts: "Math.sign", arity: 1 },
  exprelr: { ts: "exprelr", arity: 1 },
  step_right: { ts: "step_right", arity: 1 },
  step_left: { ts: "step_left", arity: 1 },
  step: { ts: "step", arity: 1 },
  sigmoid: { ts: "sigmoid", arity: 1 },
  relu: { ts: "relu", arity: 1 },
};

/** Arbor's builtins that are no Math function: the module function each generated module defines when used. */
export const BUILTIN_HELPERS: Record<string, { doc: string; body: string }> = {
  exprelr: { doc: "x / (exp(x) - 1), continuous at 0", body: "1.0 + x === 1.0 ? 1.0 : x / Math.expm1(x)" },
  step_right: { doc: "1 for x >= 0, else 0", body: "x >= 0 ? 1 : 0" },
  step_left: { doc: "1 for x > 0, else 0", body: "x > 0 ? 1 : 0" },
  step: { doc: "1 for x > 0, 0 for x < 0, 0.5 at 0", body: "x > 0 ? 1 : x < 0 ? 0 : 0.5" },
  sigmoid: { doc: "1 / (1 + exp(-x))", body: "1 / (1 + Math.exp(-x))" },
  relu: { doc: "max(0, x)", body: "Math.max(0, x)" },
};

/** Calls Arbor or NEURON accept but a kernel cannot make, and what to do instead. */
const REFUSED_CALLS: Record<string, string> = {
  net_send: "self events are not supported by Arbor's NET_RECEIVE; remove it",
  net_event: "Arbor mechanisms cannot emit spikes; use a spike detector",
  net_move: "self events are not supported by Arbor's NET_RECEIVE; remove it",
  printf: "kernels have no side effects; remove it",
  nrn_ghk: "write the GHK flux as a FUNCTION",
  ghk: "write the GHK flux as a FUNCTION",
  at_time: "Arbor has no at_time; remove it",
  random: "use Arbor's RANDOM variables (a @random field) in TypeScript instead",
};

/** A module function made from a FUNCTION: its TypeScript name and the mechanism values it reads. */
export interface FunctionInfo {
  ts: string;
  /** NMODL names of the mechanism values it takes after its own arguments. */
  free: string[];
}

/** Looks up (resolving on first use) the module function made from FUNCTION `name`. */
export type FunctionLookup = (name: string, at: Position) => FunctionInfo | undefined;

/** What resolving a body gives. */
export interface Resolved {
  block: RBlock;
  /** Kernel values by NMODL name (reads and writes of mechanism names). */
  kernelVars: Map<string, Var>;
  /** `derivative`: the value of each `state'`, by state name. */
  rates: Map<string, Var>;
  /** `function`: the result, and the parameters in order (own arguments, then free values). */
  result?: Var;
  params: Var[];
  free: string[];
  /** Facts worth telling the user (parameters shadowed in INITIAL, ignored TABLEs, ...). */
  notes: string[];
}

/** Resolves `body` for `context`; `comments` maps statements to the comments before them. */
export class Resolver {
  private scopes: Map<string, Var | RExpr>[] = [];
  private blocks: RBlock[] = [];
  private inlining: string[] = [];
  readonly out: Resolved;

  constructor(
    private file: NmodlFile,
    private symbols: Symbols,
    private context: Context,
    private scope: string,
    private functions: FunctionLookup,
    private comments: Map<Statement, string[]>,
    private functionName?: string,
  ) {
    this.out = {
      block: { stmts: [], owned: [] },
      kernelVars: new Map(),
      rates: new Map(),
      params: [],
      free: [],
      notes: [],
    };
  }

  private fail(at: Position, construct: string, advice: string): never {
    throw new NmodlError(construct, this.file.file, at.line, at.column, advice);
  }
  private get where(): string {
    return this.context === "function" ? `FUNCTION ${this.functionName}` : {
      initial: "INITIAL",
      equilibrium: "the equilibrium INITIAL solves",
      derivative: "DERIVATIVE",
      step: "DERIVATIVE (solved without METHOD)",
      current: "BREAKPOINT",
      onEvent: "NET_RECEIVE",
      onPostEvent: "POST_EVENT",
    }[this.context];
  }
  private note(text: string): void {
    if (!this.out.notes.includes(text)) this.out.notes.push(text);
  }

  /** Resolves `body`: its arguments become parameters (functions) or the event weight (NET_RECEIVE). */
  resolve(body: Body): Resolved {
    this.blocks.push(this.out.block);
    const top = new Map<string, Var | RExpr>();
    this.scopes.push(top);
    if (this.context === "function") {
      for (const arg of body.args) {
        const v = newVar(arg.name, { param: true });
        this.out.params.push(v);
        top.set(arg.name, v);
      }
      this.out.result = newVar(body.name, { prefer: "result" });
      this.out.block.owned.push(this.out.result);
    } else if (this.context === "onEvent" || this.context === "onPostEvent") {
      if (body.args.length !== 1) {
        const argument = this.context === "onEvent" ? "the weight" : "the time since the spike";
        this.fail(
          body.at,
          `${this.where} with ${body.args.length} arguments`,
          `Arbor's ${this.where} takes one argument, ${argument}`,
        );
      }
      const weight = newVar(body.args[0].name, { param: true });
      this.out.params.push(weight);
      top.set(body.args[0].name, weight);
    }
    this.statements(body.statements);
    return this.out;
  }

  private statements(list: Statement[]): void {
    for (const s of list) this.statement(s);
  }

  private push(s: RStmt): void {
    this.blocks[this.blocks.length - 1].stmts.push(s);
  }

  private own(v: Var): Var {
    this.blocks[this.blocks.length - 1].owned.push(v);
    return v;
  }

  private statement(s: Statement): void {
    const comments = this.comments.get(s) ?? [];
    const scope = this.scopes[this.scopes.length - 1];
    switch (s.kind) {
      case "local":
        for (const name of s.names) scope.set(name, this.own(newVar(name, { scopeRead: "0" })));
        if (comments.length) this.push({ k: "note", comments });
        return;
      case "assign": {
        const e = this.expr(s.value);
        const v = this.write(s.target, s.at);
        v.writes++;
        this.push({ k: "set", v, e, comments });
        return;
      }
      case "derivative": {
        if (this.context !== "derivative" && this.context !== "equilibrium") {
          this.fail(
            s.at,
            `the derivative ${s.state}' in ${this.where}`,
            this.context === "step"
              ? "modcc refuses a derivative in a block solved without METHOD too; give METHOD cnexp or sparse"
              : "write derivatives in the DERIVATIVE block that BREAKPOINT solves",
          );
        }
        const symbol = this.symbols.byName.get(s.state);
        // modcc integrates the diffusive concentration it writes (decay.mod: xd' = -tau*xd) as a state.
        if (symbol?.role === "diffusive" && this.context === "equilibrium") {
          this.fail(s.at, `the diffusive concentration ${s.state} in ${this.where}`, "solve for STATEs only");
        }
        if (symbol?.role !== "state" && symbol?.role !== "diffusive") {
          this.fail(
            s.at,
            `the derivative ${s.state}'`,
            `'${s.state}' is not a STATE; declare it in the STATE block`,
          );
        }
        const e = this.expr(s.value);
        let rate = this.out.rates.get(s.state);
        if (!rate) {
          rate = newVar(`d${s.state}`, { scopeRead: "0" });
          this.out.rates.set(s.state, rate);
          this.out.block.owned.push(rate);
        }
        rate.writes++;
        this.push({ k: "set", v: rate, e, comments });
        return;
      }
      case "if": {
        const c = this.expr(s.condition);
        const branch = (list: Statement[]): RBlock => {
          const block: RBlock = { stmts: [], owned: [] };
          this.blocks.push(block);
          this.scopes.push(new Map());
          this.statements(list);
          this.scopes.pop();
          this.blocks.pop();
          return block;
        };
        this.push({ k: "if", c, then: branch(s.then), else: branch(s.otherwise), comments });
        return;
      }
      case "call":
        return this.callStatement(s.call, comments);
      case "solve":
        if (this.context !== "current") {
          this.fail(s.at, `SOLVE in ${this.where}`, "SOLVE belongs in BREAKPOINT");
        }
        if (comments.length) this.push({ k: "note", comments });
        return;
      case "table":
        this.note(`TABLE at line ${s.at.line} is ignored: the kernels compute the exact values`);
        this.push({
          k: "note",
          comments: [...comments, `TABLE (line ${s.at.line}) ignored: values are computed exactly.`],
        });
        return;
      case "compartment":
        return this.fail(
          s.at,
          `COMPARTMENT in ${this.where}`,
          "COMPARTMENT scales the species of a KINETIC scheme solved with METHOD sparse; move it there",
        );
      case "conserve":
      case "reaction":
      case "linear":
        return this.fail(
          s.at,
          `${
            s.kind === "conserve"
              ? "CONSERVE"
              : s.kind === "reaction"
              ? "a reaction (~ ... <-> ...)"
              : "a linear equation (~ ... = ...)"
          } in ${this.where}`,
          s.kind === "linear"
            ? "write equations in a LINEAR block"
            : "write reactions and CONSERVE in a KINETIC block",
        );
    }
  }

  private callStatement(call: Expr & { kind: "call" }, comments: string[]): void {
    const procedure = this.file.procedures.find((p) => p.name === call.name);
    if (!procedure) {
      // A FUNCTION called for nothing: it is pure here, so the call has no effect.
      this.expr(call);
      this.push({
        k: "note",
        comments: [...comments, `${call.name}(...) called as a statement: no effect, left out.`],
      });
      return;
    }
    if (this.inlining.includes(call.name)) {
      this.fail(call.at, `the recursive call of PROCEDURE ${call.name}`, "rewrite it without recursion");
    }
    if (call.args.length !== procedure.args.length) {
      this.fail(
        call.at,
        `a call of PROCEDURE ${call.name} with ${call.args.length} arguments`,
        `it takes ${procedure.args.length}`,
      );
    }
    const args = call.args.map((a) => this.expr(a));
    const written = new Set<string>();
    const collect = (list: Statement[]) =>
      list.forEach((s) =>
        s.kind === "assign"
          ? written.add(s.target)
          : s.kind === "if"
          ? (collect(s.then), collect(s.otherwise))
          : undefined
      );
    collect(procedure.statements);
    const scope = new Map<string, Var | RExpr>();
    const header = `${call.name}(${
      procedure.args.map((a) => a.name).join(", ")
    }): PROCEDURE ${call.name}, inlined.`;
    this.push({ k: "note", comments: [...comments, header] });
    procedure.args.forEach((arg, k) => {
      const value = args[k];
      const leaf = value.k === "num" || value.k === "raw" ||
        (value.k === "var" && value.v.nmodl === arg.name);
      if (leaf && !written.has(arg.name)) scope.set(arg.name, value);
      else {
        const v = this.own(newVar(arg.name));
        v.writes++;
        scope.set(arg.name, v);
        this.push({ k: "set", v, e: value, comments: [] });
      }
    });
    this.inlining.push(call.name);
    this.scopes.push(scope);
    this.statements(procedure.statements);
    this.scopes.pop();
    this.inlining.pop();
  }

  private local(name: string): Var | RExpr | undefined {
    for (let k = this.scopes.length - 1; k >= 0; k--) {
      const found = this.scopes[k].get(name);
      if (found) return found;
    }
    return undefined;
  }

  /** The variable an assignment to `name` sets. */
  private write(name: string, at: Position): Var {
    const local = this.local(name);
    if (local) {
      if ("k" in local) {
        this.fail(at, `the assignment to '${name}'`, "internal: an argument alias was assigned");
      }
      return local as Var;
    }
    if (this.context === "function" && name === this.functionName) return this.out.result!;
    const symbol = this.symbols.byName.get(name);
    if (symbol === undefined) {
      this.fail(
        at,
        `the assignment to the undeclared '${name}'`,
        `declare it in ASSIGNED, or as LOCAL ${name}`,
      );
    }
    const refuse = (why: string): never => this.fail(at, `the assignment to ${name} in ${this.where}`, why);
    if (this.context === "function") {
      refuse(
        "module functions are pure: move the assignment into a PROCEDURE or the block that calls the FUNCTION",
      );
    }
    // A VOLTAGE_PROCESS assigns the membrane voltage in BREAKPOINT (modcc writes it back).
    const voltageProcess = name === "v" && this.file.neuron.kind === "voltage" && this.context === "current";
    switch (voltageProcess ? "voltage" : symbol!.role) {
      case "voltage":
        break;
      case "builtin":
        if (name === "v" && this.context !== "function") {
          // A LIF's reset outside a VOLTAGE_PROCESS: modcc accepts it as a local of the block
          // (later reads in the block see it); the membrane voltage is not changed.
          this.note(
            `${this.where} assigns v: as in modcc, the value is local to ${this.where} (later reads there ` +
              "see it) and the membrane voltage is not reset; only a VOLTAGE_PROCESS sets v",
          );
          break;
        }
        return refuse(
          `'${name}' is read from the simulator (modcc keeps such an assignment local to its block, ` +
            `changing nothing in Arbor); assign a LOCAL instead`,
        );
      case "ionRead":
        return refuse(
          `'${name}' is read from the simulator (modcc keeps such an assignment local to its block, ` +
            `changing nothing in Arbor); assign a LOCAL instead`,
        );
      case "constant":
        return refuse(`'${name}' is a constant`);
      case "noise":
        return refuse(`'${name}' is white noise, drawn by Arbor; assign a LOCAL instead`);
      case "state":
        // (a DERIVATIVE solved without METHOD, "step", assigns its states: modcc's direct solver)
        if (this.context === "derivative") refuse(`write the derivative ${name}' = ... instead`);
        if (this.context === "equilibrium") {
          refuse("the equilibrium solves for the states; assign a LOCAL instead");
        }
        // modcc's compute_currents stores a STATE BREAKPOINT sets; a voltage process sets only v
        if (this.context === "current" && this.file.neuron.kind === "voltage") {
          refuse(
            "a VOLTAGE_PROCESS's BREAKPOINT may only set v, as modcc requires; set it in INITIAL",
          );
        }
        break;
      case "diffusive":
        if (this.context === "derivative") refuse(`integrate it as ${name}' = ... instead`);
        if (this.context === "equilibrium" || this.context === "onPostEvent") {
          refuse(
            "the diffusive concentration is written in INITIAL, NET_RECEIVE and BREAKPOINT, and integrated in DERIVATIVE",
          );
        }
        break;
      case "stored":
        if (this.context === "equilibrium") {
          refuse(
            "an ASSIGNED value set while solving the equilibrium would be lost; set it in INITIAL before the SOLVE",
          );
        }
        break;
      case "parameter":
        if (this.context !== "initial") refuse("parameters are read-only in kernels; assign a LOCAL instead");
        this.note(
          `INITIAL assigns the PARAMETER ${name}: as in NEURON, each instance keeps the value ` +
            `INITIAL leaves (the assigned state ${
              this.symbols.initialParameters.get(name)!.name
            }), which the ` +
            "other blocks read; modcc refuses such files",
        );
        break;
      case "global":
        if (this.context !== "initial") refuse("parameters are read-only in kernels; assign a LOCAL instead");
        refuse(
          "in NEURON every instance shares a GLOBAL, so what INITIAL writes depends on which instance ran last; " +
            `declare ${name} RANGE (each instance then keeps the value its INITIAL leaves), or assign a LOCAL`,
        );
        break;
      case "current":
        // modcc stores an ion current INITIAL sets (in init); a NONSPECIFIC_CURRENT there is a local it drops
        if (this.context === "initial" && symbol!.role === "current" && symbol!.ion === undefined) {
          refuse("modcc keeps it local to INITIAL, where it changes nothing; assign a LOCAL instead");
        }
        if (this.context !== "current" && this.context !== "initial") {
          refuse("currents are set in BREAKPOINT");
        }
        break;
      case "reversal":
        if (this.context !== "current" && this.context !== "initial") {
          refuse("reversal potentials are set in BREAKPOINT or INITIAL");
        }
        break;
      case "temporary":
        break;
    }
    return this.kernelVar(name);
  }

  private kernelVar(name: string): Var {
    const known = this.out.kernelVars.get(name);
    if (known) return known;
    const symbol = this.symbols.byName.get(name)!;
    const kept = this.symbols.initialParameters.get(name);
    const scopeRead = kept && this.context !== "initial"
      ? `${this.scope}.${kept.field}`
      : symbol.role === "builtin" || symbol.role === "ionRead" || symbol.role === "diffusive"
      ? `${this.scope}.${symbol.scope}`
      : symbol.role === "state" || symbol.role === "stored" || symbol.role === "parameter" ||
          symbol.role === "global" || symbol.role === "noise"
      ? `${this.scope}.${symbol.field}`
      : undefined;
    const v = newVar(name, { scopeRead, isV: name === "v" });
    this.out.kernelVars.set(name, v);
    this.out.block.owned.push(v);
    return v;
  }

  private read(name: string, at: Position): RExpr {
    const local = this.local(name);
    if (local) return "k" in local ? local as RExpr : { k: "var", v: local as Var };
    if (this.context === "function" && name === this.functionName) return { k: "var", v: this.out.result! };
    if (name === "t") {
      this.fail(
        at,
        "the time t is not supported",
        "kernels see no simulation time (Arbor's mechanisms do not either); use a state that integrates 1",
      );
    }
    const symbol = this.symbols.byName.get(name);
    if (symbol === undefined) {
      this.fail(
        at,
        `the undeclared name '${name}'`,
        `declare it in PARAMETER, ASSIGNED, STATE or as a LOCAL`,
      );
    }
    if (symbol!.role === "constant") return { k: "raw", text: name };
    if (symbol!.role === "noise" && this.context !== "derivative") {
      this.fail(
        at,
        `the white noise ${name} in ${this.where}`,
        "white noise drives the DERIVATIVE block solved with METHOD stochastic only, as in modcc",
      );
    }
    if (this.context === "function") {
      if (symbol!.role === "current") {
        this.fail(at, `the current ${name} in FUNCTION ${this.functionName}`, "pass it as an argument");
      }
      let v = this.out.params.find((p) => p.nmodl === name && this.out.free.includes(name));
      if (!v) {
        v = newVar(name, { param: true, isV: name === "v" });
        this.out.params.push(v);
        this.out.free.push(name);
      }
      return { k: "var", v };
    }
    return { k: "var", v: this.kernelVar(name) };
  }

  expr(e: Expr): RExpr {
    switch (e.kind) {
      case "number":
        return { k: "num", text: e.text, value: e.value };
      case "name":
        return this.read(e.name, e.at);
      case "unary":
        return { k: "un", op: e.op, e: this.expr(e.operand) };
      case "binary":
        if (e.op === "^") return { k: "call", fn: "Math.pow", args: [this.expr(e.left), this.expr(e.right)] };
        return { k: "bin", op: e.op, l: this.expr(e.left), r: this.expr(e.right) };
      case "call":
        return this.call(e);
    }
  }

  private call(e: Expr & { kind: "call" }): RExpr {
    const args = e.args.map((a) => this.expr(a));
    const fn = this.functions(e.name, e.at);
    if (fn) {
      const own = this.file.functions.find((f) => f.name === e.name)!.args.length;
      if (own !== args.length) {
        this.fail(e.at, `a call of FUNCTION ${e.name} with ${args.length} arguments`, `it takes ${own}`);
      }
      return { k: "call", fn: fn.ts, args: [...args, ...fn.free.map((name) => this.read(name, e.at))] };
    }
    if (this.file.procedures.some((p) => p.name === e.name)) {
      this.fail(e.at, `PROCEDURE ${e.name} used as a value`, "call it as a statement, or make it a FUNCTION");
    }
    const builtin = BUILTIN_FUNCTIONS[e.name];
    if (builtin) {
      if (builtin.arity !== args.length) {
        this.fail(e.at, `${e.name} with ${args.length} arguments`, `it takes ${builtin.arity}`);
      }
      return { k: "call", fn: builtin.ts, args };
    }
    if (Object.hasOwn(REFUSED_CALLS, e.name)) {
      this.fail(e.at, `the call ${e.name}(...) is not supported`, REFUSED_CALLS[e.name]);
    }
    return this.fail(
      e.at,
      `the call of the unknown function '${e.name}'`,
      "define it as a FUNCTION, or use a builtin (exp, log, fabs, pow, ...)",
    );
  }
}
