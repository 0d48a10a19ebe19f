/**
 * NMODL export: the kernel plan of one pointwise mechanism printed as a readable `.mod` file, a
 * third printer beside kernels/js.ts and kernels/c.ts over the same schedule (kernels/print.ts).
 * It prints what each kernel returned (`MechanismPlan.results`), before the output rules: those
 * are what modcc (or nocmodl) applies itself around NMODL, as denocat's rules were written to
 * match (kernels/outputs.ts). The two dialects are `arbor` (what Arbor's modcc accepts) and
 * `neuron` (what NEURON's nocmodl accepts). What a dialect cannot express is refused with the
 * reason ({@link ExportRefusal}), never printed into a file the compiler refuses. See
 * docs/nmodl.md.
 *
 * @example
 * ```ts
 * import { exportNmodl } from "./export.ts";
 * import { ExpSyn } from "../examples/catalogue/expsyn.ts";
 * const { file, text } = await exportNmodl(ExpSyn);
 * console.log(file, text.includes("POINT_PROCESS expsyn")); // expsyn.mod true
 * ```
 *
 * @module
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { ION_FLAG } from "../ffi/layout.ts";
import type { FieldSpec } from "../ffi/spec.ts";
import { dependencies, type Graph, type Node, operands, postorder } from "../kernels/graph.ts";
import type { MechanismPlan } from "../kernels/plan.ts";
import { INFIX, schedule, type Spelling } from "../kernels/print.ts";
import { affineForm } from "../kernels/sparse.ts";
import { type ConservationLaw, diffusiveKeys, ionScopeNames, type KernelName } from "../kernels/rules.ts";
import { currentReadScale } from "../kernels/outputs.ts";
import { declarationOf, declaredClasses, planNow } from "../mechanism/declare.ts";
import type { DeclaredMechanism } from "../mechanism/types.ts";

/** The NMODL dialects: Arbor's modcc (the default) and NEURON's nocmodl. */
export type NmodlDialect = "arbor" | "neuron";

/** Every dialect (for argument checks). */
export const NMODL_DIALECTS: readonly NmodlDialect[] = ["arbor", "neuron"];

/** Options of {@link exportNmodl} and {@link printNmodl}. */
export interface ExportOptions {
  /** Which compiler the file is for; default `"arbor"`. */
  dialect?: NmodlDialect;
}

/** One exported file. */
export interface ExportedNmodl {
  /** The mechanism's name (its SUFFIX or POINT_PROCESS). */
  name: string;
  /** The file name modcc expects: `<name>.mod`. */
  file: string;
  /** The NMODL text. */
  text: string;
  /** What the export changed or left out, one sentence each (also in the file's comments). */
  notes: string[];
}

/** What every exported file starts with: the mark `denocat export` recognises as its own. */
export const EXPORT_MARK = ": Written by denocat export";

/** A mechanism NMODL (or the chosen dialect) cannot express; the message says why. */
export class ExportRefusal extends Error {
  /** The mechanism refused. */
  readonly mechanism: string;
  /** Why, without the mechanism's name. */
  readonly reason: string;
  /** Makes the refusal of `mechanism` for `reason`. */
  constructor(mechanism: string, reason: string) {
    super(`cannot export mechanism '${mechanism}' as NMODL: ${reason}`);
    this.name = "ExportRefusal";
    this.mechanism = mechanism;
    this.reason = reason;
  }
}

/**
 * Words an NMODL name may not be: the keywords and builtin functions of modcc (modcc/token.cpp)
 * and of nocmodl, and the names both compilers give a meaning.
 */
const RESERVED = new Set([
  ..."TITLE NEURON UNITS PARAMETER CONSTANT ASSIGNED WHITE_NOISE STATE BREAKPOINT DERIVATIVE KINETIC LINEAR NONLINEAR PROCEDURE FUNCTION FUNCTION_TABLE INITIAL NET_RECEIVE POST_EVENT UNITSOFF UNITSON SUFFIX VOLTAGE_PROCESS NONSPECIFIC_CURRENT ELECTRODE_CURRENT USEION READ WRITE VALENCE RANGE LOCAL CONSERVE SOLVE THREADSAFE GLOBAL POINT_PROCESS ARTIFICIAL_CELL JUNCTION_PROCESS COMPARTMENT LONGITUDINAL_DIFFUSION METHOD STEADYSTATE FROM TO BY WHILE IF ELSE if else while for cnexp derivimplicit euler sparse stochastic runge COMMENT ENDCOMMENT VERBATIM ENDVERBATIM INDEPENDENT DEPEND TABLE WATCH CONDUCTANCE BBCOREPOINTER POINTER BEFORE AFTER STEP DISCRETE PARTIAL MATCH SENS SWEEP EXTERNAL INCLUDE DEFINE PLOT REPRESENTS RANDOM NETRECEIVE"
    .split(" "),
  ..."min max exp sin cos tan log log10 fabs sqrt exprelr safeinv step_right step_left step tanh sinh cosh sigmoid relu signum atan atan2 asin acos floor ceil fmod pow erf erfc"
    .split(" "),
  ..."v v_peer dt t celsius diam area secondorder nrn_ghk ghk".split(" "),
]);

/** Names NEURON's units file gives a value (its constants). */
const NEURON_CONSTANTS = new Set(["PI", "FARADAY", "R", "e0", "pi"]);

const IDENTIFIER = /^[A-Za-z][A-Za-z0-9_]*$/;
/** Units NMODL can spell between parentheses. */
const UNIT = /^[A-Za-z0-9_/.*^ -]+$/;

/** modcc's function names of the graph's operators it has (and nocmodl's). */
const FUNCTIONS: Record<NmodlDialect, Partial<Record<string, string>>> = {
  arbor: {
    exp: "exp",
    log: "log",
    sqrt: "sqrt",
    sin: "sin",
    cos: "cos",
    tanh: "tanh",
    abs: "fabs",
    min: "min",
    max: "max",
    sign: "signum",
  },
  neuron: {
    exp: "exp",
    log: "log",
    log10: "log10",
    sqrt: "sqrt",
    sin: "sin",
    cos: "cos",
    tan: "tan",
    asin: "asin",
    acos: "acos",
    atan: "atan",
    atan2: "atan2",
    sinh: "sinh",
    cosh: "cosh",
    tanh: "tanh",
    abs: "fabs",
    floor: "floor",
    ceil: "ceil",
    mod: "fmod",
  },
};

/** NMODL's infix spellings: those JavaScript and C share, and == and != for equality. */
const INFIX_NMODL: Partial<Record<string, string>> = { ...INFIX, eq: "==", ne: "!=" };

/**
 * Exports a `@mechanism` class or a `defineMechanism` declaration (planned now, from its source) as one NMODL file ({@link printNmodl}
 * prints a plan already made).
 * Throws an {@link ExportRefusal} naming the reason for a raw-hook mechanism, an opaque kernel,
 * or anything the dialect cannot express.
 *
 * @example
 * ```ts
 * import { exportNmodl } from "./export.ts";
 * import { PointwiseHH } from "../examples/catalogue/hh.ts";
 * const hh = await exportNmodl(PointwiseHH, { dialect: "arbor" });
 * await Deno.writeTextFile(`/tmp/${hh.file}`, hh.text);
 * ```
 */
export async function exportNmodl(
  mechanism: (abstract new () => unknown) | DeclaredMechanism,
  options: ExportOptions = {},
): Promise<ExportedNmodl> {
  const declared = typeof mechanism === "function" ? declaredClasses.get(mechanism) : mechanism;
  if (declared === undefined || declarationOf(declared) === undefined) {
    const what = typeof mechanism === "function" ? mechanism.name || "this class" : "this object";
    throw new TypeError(
      `cannot export ${what} as NMODL: it is not declared with @mechanism or defineMechanism`,
    );
  }
  const record = declarationOf(declared);
  if (record && !record.pointwise) throw rawRefusal(declared.spec.name);
  const plan = await planNow(declared);
  if (plan === undefined) throw rawRefusal(declared.spec.name);
  return printNmodl(plan, options);
}

/** The refusal of a mechanism written as raw hooks. */
export function rawRefusal(name: string): ExportRefusal {
  return new ExportRefusal(
    name,
    "it is written as raw hooks (JavaScript over the ppack arrays), not as kernels: there are no " +
      "equations to print; write it as a PointwiseMechanism to export it",
  );
}

/** The name a graph input has in NMODL, or why it has none. */
function inputName(
  plan: MechanismPlan,
  k: number,
  valence: (ion: number) => string,
): string | { why: string } {
  const { spec } = plan;
  const source = plan.inputs[k].source;
  switch (source.of) {
    case "node":
      return { v: "v", temperature: "celsius", diam: "diam", area: "area" }[source.array];
    case "peer":
      return "v_peer";
    case "dt":
      return "dt";
    case "state":
      return spec.states[source.index].name;
    case "parameter":
      return spec.parameters[source.index].name;
    case "global":
      return spec.globals[source.index].name;
    case "random":
      return spec.randoms[source.index];
    case "ion": {
      const names = ionScopeNames(spec.ions[source.ion].name);
      return names[source.field];
    }
    case "valence":
      return valence(source.ion);
    case "weight":
    case "multiplicity":
      return { why: `the plan reads the instance's ${source.of}, which NMODL leaves to the compiler` };
  }
}

/** A number as NMODL spells it (shortest round trip), or undefined for NaN and infinities. */
function nmodlNumber(value: number): string | undefined {
  if (!Number.isFinite(value)) return undefined;
  if (Object.is(value, -0)) return "(-0.0)";
  const text = String(value);
  return value < 0 ? `(${text})` : text;
}

/** A literal of a declaration (defaults and ranges: no parentheses; ±∞ as ∓DBL_MAX, as Arbor stores them). */
function declaredNumber(value: number): string {
  if (value === Infinity) return String(Number.MAX_VALUE);
  if (value === -Infinity) return String(-Number.MAX_VALUE);
  return String(value);
}

/** Whether `n` is `1 + x == 1 ? 1 : x / expm1(x)` (Arbor's exprelr, as kernels write it); its x. */
function exprelrArgument(n: Node): Node | undefined {
  if (n.kind !== "op" || n.op !== "select") return undefined;
  const [c, a, b] = n.args;
  const isOne = (m: Node) => m.kind === "const" && m.value === 1;
  if (!isOne(a) || c.kind !== "op" || c.op !== "eq" || b.kind !== "op" || b.op !== "div") return undefined;
  const [sum, one] = c.args;
  if (!isOne(one) || sum.kind !== "op" || sum.op !== "add") return undefined;
  const x = isOne(sum.args[0]) ? sum.args[1] : isOne(sum.args[1]) ? sum.args[0] : undefined;
  const [num, den] = b.args;
  if (x === undefined || num !== x || den.kind !== "op" || den.op !== "expm1" || den.args[0] !== x) {
    return undefined;
  }
  return x;
}

/**
 * Prints `plan` as one NMODL file of `options.dialect`. Throws an {@link ExportRefusal} for what
 * the dialect cannot express.
 *
 * @example
 * ```ts
 * import { exportNmodl, printNmodl } from "./export.ts";
 * import { Pas } from "../examples/catalogue/pas.ts";
 * const { text } = await exportNmodl(Pas);
 * console.log(text.split("\n")[0].startsWith(": Written by denocat export")); // true
 * void printNmodl;
 * ```
 */
export function printNmodl(plan: MechanismPlan, options: ExportOptions = {}): ExportedNmodl {
  const dialect = options.dialect ?? "arbor";
  if (!NMODL_DIALECTS.includes(dialect)) {
    throw new TypeError(`unknown NMODL dialect '${dialect}': use ${NMODL_DIALECTS.join(" or ")}`);
  }
  const { spec, graph: g } = plan;
  const refuse = (reason: string): never => {
    throw new ExportRefusal(spec.name, reason);
  };
  const first = plan.opaque[0];
  if (first !== undefined) {
    refuse(
      `kernel ${first.kernel}() runs as your own JavaScript function (an opaque kernel), so the plan ` +
        `holds no equations for it: ${first.reason}`,
    );
  }
  if (!IDENTIFIER.test(spec.name)) refuse(`its name is not an NMODL identifier; rename it`);
  const notes: string[] = [];
  const results = plan.results;
  const has = (k: KernelName) => results[k] !== undefined;
  const method = has("derivative") ? plan.method : undefined;
  const conserve = method === "sparse" ? plan.conserve ?? [] : [];
  if (dialect === "neuron") {
    if (has("onPostEvent")) refuse("POST_EVENT: NEURON has no POST_EVENT block (Arbor only)");
    if (method === "stochastic") refuse("method stochastic: NEURON's nocmodl has no WHITE_NOISE");
    if (spec.kind === "gap_junction") refuse("gap junctions: NEURON has no JUNCTION_PROCESS");
    if (spec.kind === "voltage" || has("voltage")) {
      refuse("voltage processes: NEURON has no VOLTAGE_PROCESS (a mechanism there cannot set v)");
    }
    if (spec.kind === "reversal_potential") {
      refuse("reversal potential mechanisms are Arbor's (NEURON has none)");
    }
    if (method === "direct") {
      refuse("method direct: nocmodl refuses a DERIVATIVE block without derivative equations");
    }
  }
  // modcc has no METHOD euler: its step s = s + dt·s' is written out and solved without METHOD.
  const euler = dialect === "arbor" && method === "euler";
  if (euler) {
    notes.push(
      "METHOD euler, which modcc lacks, is written as its step (s = s + dt*(s')) in a DERIVATIVE block solved without METHOD",
    );
  }
  // Every key a kernel returns must be one the printer below writes: anything else (Xd set by
  // concentrations()) is refused rather than left out of the file.
  const stateKeys = spec.states.map((f) => f.key);
  const assignedKeys = spec.states.filter((f) => f.assigned).map((f) => f.key);
  const ionKeys = (pick: (n: ReturnType<typeof ionScopeNames>) => string[]) =>
    spec.ions.flatMap((ion) => pick(ionScopeNames(ion.name)));
  // Xd (`xd`): assigned in INITIAL, NET_RECEIVE and BREAKPOINT, integrated in DERIVATIVE (modcc).
  const xdKeys = diffusiveKeys(spec);
  const written: Partial<Record<KernelName, string[]>> = {
    // INITIAL may set an ion current and a written reversal potential (modcc stores them in init).
    initial: [
      ...stateKeys,
      ...ionKeys((n) => [n.current]),
      ...spec.ions.filter((ion) => ion.flags & ION_FLAG.writeRevPotential).map((ion) =>
        ionScopeNames(ion.name).reversal
      ),
      ...xdKeys,
    ],
    derivative: [...stateKeys, ...xdKeys],
    onEvent: [...stateKeys, ...xdKeys],
    onPostEvent: stateKeys,
    equilibrium: stateKeys.filter((key) => !assignedKeys.includes(key)),
    current: ["i", "g", ...ionKeys((n) => [n.current, n.conductance]), ...stateKeys, ...xdKeys],
    reversalPotential: ionKeys((n) => [n.reversal]),
    concentrations: ionKeys((n) => [n.internal, n.external]),
    voltage: ["v"],
  };
  for (const [kernel, result] of Object.entries(results) as [KernelName, Map<string, Node>][]) {
    const extra = [...result.keys()].find((key) => !(written[kernel] ?? []).includes(key));
    if (extra !== undefined) {
      refuse(
        `${kernel}() returns '${extra}', which the export does not write yet` +
          (kernel === "concentrations" && xdKeys.includes(extra)
            ? " (NMODL has no block that assigns Xd after the currents, as concentrations() does: " +
              "BREAKPOINT's xd = ... adds the change weighted; return it from current() to export it)"
            : ""),
      );
    }
  }

  // Names: every declared name must be an NMODL identifier that is not a keyword.
  const fields: [string, FieldSpec][] = [
    ...spec.parameters.map((f) => ["PARAMETER", f] as [string, FieldSpec]),
    ...spec.globals.map((f) => ["GLOBAL", f] as [string, FieldSpec]),
    ...spec.states.map((f) => [f.assigned ? "ASSIGNED" : "STATE", f] as [string, FieldSpec]),
  ];
  const declared = new Map<string, string>();
  for (const [what, f] of fields) {
    if (!IDENTIFIER.test(f.name)) {
      refuse(`${what} '${f.name}' is not an NMODL identifier; declare it with name: "..."`);
    }
    if (RESERVED.has(f.name) || (dialect === "neuron" && NEURON_CONSTANTS.has(f.name))) {
      refuse(`${what} '${f.name}' is an NMODL keyword or builtin; declare it with another name: "..."`);
    }
    declared.set(f.name, what);
  }
  for (const name of spec.randoms) {
    if (!IDENTIFIER.test(name) || RESERVED.has(name)) {
      refuse(`random '${name}' is an NMODL keyword or not an identifier`);
    }
    declared.set(name, "WHITE_NOISE");
  }
  const valenceNames = spec.ions.map((ion) => `z${ion.name}`);
  const valence = (j: number) => valenceNames[j];

  // Which inputs the printed blocks read.
  const used = new Set<number>();
  const memo = new Map<Node, Set<number>>();
  for (const result of Object.values(results)) {
    for (const node of result!.values()) for (const k of dependencies(node, memo)) used.add(k);
  }
  // euler's written step reads dt.
  const dtInput = plan.inputs.findIndex((i) => i.key === "dt");
  if (euler) {
    if (dtInput < 0) refuse("internal: the plan has no input dt for euler's step");
    used.add(dtInput);
  }
  const names = new Map<number, string>();
  const byName = new Map<string, number>();
  for (const k of [...used].sort((a, b) => a - b)) {
    const name = inputName(plan, k, valence);
    if (typeof name !== "string") refuse(name.why);
    const other = byName.get(name as string);
    if (other !== undefined && other !== k) {
      refuse(
        `x.${plan.inputs[other].key} and x.${plan.inputs[k].key} are both '${name}' in NMODL; ` +
          `declare one of them with another name: "..."`,
      );
    }
    names.set(k, name as string);
    byName.set(name as string, k);
  }
  if (dialect === "neuron") {
    for (const n of names.values()) {
      if (n === "v_peer") refuse("it reads the peer voltage (v_peer), which NEURON's mechanisms cannot");
    }
  }
  const allNames = new Set([...declared.keys(), ...names.values()]);
  const fresh = (stem: string) => {
    let name = stem;
    for (let k = 1; allNames.has(name) || RESERVED.has(name); k++) name = `${stem}${k}`;
    allNames.add(name);
    return name;
  };
  let tempPrefix = "t";
  while ([...allNames].some((n) => new RegExp(`^${tempPrefix}\\d+$`).test(n))) tempPrefix += "_";
  const blockName = fresh("states");
  const equilibriumName = fresh("equilibrium");
  const weightName = fresh("weight_");
  const timeName = fresh("time_");

  const functions = FUNCTIONS[dialect];
  // Nodes printed as one word or call of their own: Arbor's exprelr, and an ion current read
  // (the plan scales Arbor's A/m² to mA/cm² as modcc does; NMODL's `ica` is that scaled value).
  const specials = new Map<Node, { args: Node[]; spell: (args: string[]) => string }>();
  plan.inputs.forEach((input, k) => {
    if (input.source.of !== "ion" || input.source.field !== "current" || !used.has(k)) return;
    const scaled = g.op("mul", g.input(k), g.constant(currentReadScale(spec.kind)));
    const name = names.get(k)!;
    specials.set(scaled, { args: [], spell: () => name });
  });
  const findSpecials = (roots: Node[]) => {
    const seen = new Set<Node>();
    const stack = [...roots];
    while (stack.length > 0) {
      const n = stack.pop()!;
      if (seen.has(n) || specials.has(n)) continue;
      seen.add(n);
      const x = dialect === "arbor" ? exprelrArgument(n) : undefined;
      if (x) {
        specials.set(n, { args: [x], spell: ([a]) => `exprelr(${a})` });
        stack.push(x);
      } else stack.push(...operands(n));
    }
  };
  let argName = "";
  const spelling: Spelling = {
    constant(value) {
      if (typeof value === "boolean") return value ? "(1 == 1)" : "(1 == 0)";
      const text = nmodlNumber(value);
      if (text === undefined) refuse(`a kernel uses the constant ${value}, which NMODL cannot spell`);
      return text!;
    },
    input: (k) => names.get(k)!,
    get arg() {
      return argName;
    },
    op(op, args) {
      const infix = INFIX_NMODL[op];
      if (infix) return `(${args[0]} ${infix} ${args[1]})`;
      if (op === "pow") return `(${args[0]}^${args[1]})`;
      if (op === "neg") return `(-${args[0]})`;
      if (op === "not") return `(!${args[0]})`;
      if (op === "select") return `select(${args.join(", ")})`; // printed as if/else (select below)
      const fn = functions[op];
      if (fn === undefined) {
        refuse(
          `a kernel uses Math.${op}, which ${
            dialect === "arbor" ? "modcc" : "NEURON's nocmodl"
          } has no function for` +
            (op === "expm1" && dialect === "arbor"
              ? " (only as exprelr: write 1 + x === 1 ? 1 : x / Math.expm1(x))"
              : ""),
        );
      }
      return `${fn}(${args.join(", ")})`;
    },
    select: (
      cond,
      a,
      b,
      name,
    ) => [`if (${cond}) {`, `    ${name} = ${a}`, `} else {`, `    ${name} = ${b}`, `}`],
  };

  /**
   * One block's body: LOCAL temporaries, then `lines(of)` (assignments) with `of` printing a root.
   * `inline` nodes stay in their equation (what depends on a state a solver integrates, or on
   * the voltage in a current).
   */
  const body = (
    roots: Node[],
    inline: (n: Node) => boolean,
    lines: (of: (n: Node) => string) => string[],
  ): string[] => {
    findSpecials(roots);
    // What an inlined equation uses from outside is one LOCAL: modcc's solvers differentiate the
    // equation symbolically, and cannot through every function (max, exprelr).
    const force = new Set<Node>();
    for (const n of postorder(roots)) {
      if (!inline(n)) continue;
      for (const a of operands(n)) if (!inline(a) && a.kind === "op" && a.type === "num") force.add(a);
    }
    const s = schedule(roots, spelling, tempPrefix, {
      operands: (n) => specials.get(n)?.args ?? operands(n),
      special: (n, args) => specials.get(n)?.spell(args),
      inline,
      force: (n) => force.has(n),
    });
    const out: string[] = [];
    const after = lines(s.of);
    // A value that is a variable itself (`b = a`) reads the value before the block: when a line
    // before it assigns that variable (`a = weight_`), the old value is kept in a LOCAL first.
    const assignedBefore = new Set<string>();
    const kept: { name: string; code: string }[] = [];
    for (let k = 0; k < after.length; k++) {
      const m = /^(\w+) = (\w+)$/.exec(after[k]);
      if (m && assignedBefore.has(m[2])) {
        const name = `${tempPrefix}${s.temps.length + kept.length}`;
        kept.push({ name, code: m[2] });
        after[k] = `${m[1]} = ${name}`;
      }
      const target = /^(\w+) = /.exec(after[k]);
      if (target) assignedBefore.add(target[1]);
    }
    const locals = [...kept.map((t) => t.name), ...s.temps.map((t) => t.name)];
    if (locals.length > 0) out.push(`LOCAL ${locals.join(", ")}`);
    for (const t of kept) out.push(`${t.name} = ${t.code}`);
    for (const t of s.temps) {
      if (t.statements) out.push(...t.statements);
      else out.push(`${t.name} = ${t.code}`);
    }
    out.push(...after);
    for (const line of out) {
      if (/\bselect\(/.test(line)) {
        refuse(
          "a kernel chooses between values by a condition on a state a solver integrates, which NMODL cannot write",
        );
      }
    }
    return out;
  };

  /**
   * A LINEAR block's equations, one per state: `~ L = R` for a residual L − R, else `~ r = 0`,
   * what depends on the solved states (`solved`, inputs) written inline (modcc's linear_rewrite
   * reads coefficients off the equations). nocmodl takes no state inside parentheses: for NEURON
   * each equation is its affine form `~ a1*s1 + a2*s2 ... = −b`, the coefficients LOCALs.
   */
  const equationLines = (equations: { value: Node }[], solved: readonly number[]): string[] => {
    if (dialect === "neuron") {
      const forms = equations.map(({ value }) =>
        affineForm(g, value, solved) ?? refuse("an equation of a LINEAR block is not linear in its states")
      );
      const rhs = forms.map((form) => (form.b === null ? g.constant(0) : g.op("neg", form.b)));
      const roots = [...forms.flatMap((form) => form.a.filter((a): a is Node => a !== null)), ...rhs];
      return body(roots, () => false, (of) =>
        forms.map((form, k) => {
          const terms = form.a.flatMap((a, j) => {
            if (a === null) return [];
            const coefficient = of(a);
            return [
              `${coefficient.startsWith("-") ? `(${coefficient})` : coefficient}*${names.get(solved[j])}`,
            ];
          });
          if (terms.length === 0) refuse("an equation of a LINEAR block reads none of its states");
          return `~ ${terms.join(" + ")} = ${of(rhs[k])}`;
        }));
    }
    const sides = equations.map(({ value }) =>
      value.kind === "op" && value.op === "sub" ? value.args : [value, g.constant(0)]
    );
    const onState = dependsOn(new Set(solved));
    return body(
      sides.flat(),
      onState,
      (of) => sides.map(([left, right]) => `~ ${of(left)} = ${of(right)}`),
    );
  };

  const states = spec.states.map((f, index) => ({
    f,
    index,
    input: plan.inputs.findIndex((i) => i.source.of === "state" && i.source.index === index),
  }));
  const integrated = new Set(plan.integrated.map((j) => states[j].input));
  const randomInputs = new Set(
    plan.inputs.flatMap((i, k) => (i.source.of === "random" ? [k] : [])),
  );
  const vInput = plan.inputs.findIndex((i) => i.key === "v");
  const dependsOn = (set: ReadonlySet<number>) => (n: Node) => {
    for (const k of dependencies(n, memo)) if (set.has(k)) return true;
    return false;
  };
  const defined = (kernel: KernelName, key: string, node: Node, fallback?: Node): Node => {
    if (!node.mayBeUndef) return node;
    if (fallback !== undefined) return g.replaceUndef(node, fallback);
    return refuse(
      `${kernel}() leaves '${key}' out on some path, which NMODL cannot express; return it on every path`,
    );
  };

  // The input of an ion's scope value (`xd`, `eca`), for what a path that leaves it out keeps.
  const ionInput = (j: number, field: string) =>
    plan.inputs.findIndex((i) => i.source.of === "ion" && i.source.ion === j && i.source.field === field);
  const kept = (j: number, field: string) => {
    const k = ionInput(j, field);
    return k === -1 ? undefined : g.input(k);
  };

  // INITIAL: every state the kernel returns, the others from their defaults; then the ion values
  // it sets (a current is added to the ion's in init, a reversal potential and Xd assigned, as
  // modcc's init stores an INITIAL's writes).
  const initial: string[] = [];
  {
    const result = results.initial ?? new Map<string, Node>();
    const entries = states.map((s) => {
      const given = result.get(s.f.key);
      const fallback = g.constant(s.f.defaultValue);
      return {
        name: s.f.name,
        value: given === undefined ? fallback : defined("initial", s.f.key, given, fallback),
      };
    });
    spec.ions.forEach((ion, j) => {
      const n = ionScopeNames(ion.name);
      const current = result.get(n.current);
      if (current !== undefined) {
        entries.push({ name: n.current, value: defined("initial", n.current, current, g.constant(0)) });
      }
      const reversal = result.get(n.reversal);
      if (reversal !== undefined) {
        entries.push({
          name: n.reversal,
          value: defined("initial", n.reversal, reversal, kept(j, "reversal")),
        });
      }
      const xd = result.get(n.diffusive);
      if (xd !== undefined && xdKeys.includes(n.diffusive)) {
        entries.push({ name: n.diffusive, value: defined("initial", n.diffusive, xd, kept(j, "diffusive")) });
      }
    });
    if (entries.length > 0) {
      initial.push(
        ...body(
          entries.map((e) => e.value),
          () => false,
          (of) => entries.map((e) => `${e.name} = ${of(e.value)}`),
        ),
      );
    }
  }

  // equilibrium(): a LINEAR block solved at the end of INITIAL (after the ASSIGNED values it reads
  // are set), one equation per state it solves for.
  const equilibrium: string[] = [];
  if (results.equilibrium) {
    const result = results.equilibrium;
    const unknowns = states.filter((s) => !s.f.assigned).map((s) => ({
      s,
      value: defined(
        "equilibrium",
        s.f.key,
        result.get(s.f.key) ?? refuse(
          `equilibrium() gives no equation for state '${s.f.key}'`,
        ),
      ),
    }));
    equilibrium.push(...equationLines(unknowns, unknowns.map((u) => u.s.input)));
    initial.push(`SOLVE ${equilibriumName}`);
  }

  // The block BREAKPOINT solves: DERIVATIVE (cnexp, sparse, stochastic; without METHOD, the new
  // values assigned, for direct and euler's written step), KINETIC (sparse with CONSERVE: modcc
  // takes CONSERVE only there, and keeps its derivative statements as written), LINEAR (linear).
  const derivative: string[] = [];
  let solvedBlock = { kind: "DERIVATIVE", solve: `SOLVE ${blockName} METHOD ${method}` };
  if (results.derivative) {
    const result = results.derivative;
    const equations = states.filter((s) => integrated.has(s.input)).map((s) => ({
      name: s.f.name,
      input: s.input,
      value: defined("derivative", s.f.key, result.get(s.f.key)!),
    }));
    // Xd integrated as a state (modcc: xd' = ... in DERIVATIVE, the change added weighted).
    const xdInputs: number[] = [];
    spec.ions.forEach((ion, j) => {
      const key = ionScopeNames(ion.name).diffusive;
      const rate = result.get(key);
      if (rate === undefined || !xdKeys.includes(key)) return;
      const input = ionInput(j, "diffusive");
      equations.push({ name: key, input, value: defined("derivative", key, rate) });
      xdInputs.push(input);
    });
    const assigned = states.filter((s) => s.f.assigned && result.has(s.f.key)).map((s) => ({
      s,
      value: defined("derivative", s.f.key, result.get(s.f.key)!),
    }));
    const solved = new Set([...integrated, ...randomInputs, ...xdInputs]);
    const onState = dependsOn(solved);
    if (method === "direct" || euler) {
      // Statements run in order: every new value is computed (a LOCAL, as roots are, or kept by
      // body() when it is a variable the block assigns first) before the first state is assigned,
      // so each reads the values at the start of the step.
      if (xdInputs.length > 0) {
        refuse(`derivative() integrates Xd with method ${plan.method}, which is not exported yet`);
      }
      const entries = [
        ...equations.map((e) => ({
          name: e.name,
          value: euler ? g.op("add", g.input(e.input), g.op("mul", g.input(dtInput), e.value)) : e.value,
        })),
        ...assigned.map((a) => ({ name: a.s.f.name, value: a.value })),
      ];
      solvedBlock = { kind: "DERIVATIVE", solve: `SOLVE ${blockName}` };
      derivative.push(
        ...body(
          entries.map((e) => e.value),
          () => false,
          (of) => entries.map((e) => `${e.name} = ${of(e.value)}`),
        ),
      );
    } else if (method === "linear") {
      if (assigned.length > 0) {
        refuse(
          `derivative() returns the ASSIGNED '${
            assigned[0].s.f.key
          }' with method linear, which a LINEAR block cannot set`,
        );
      }
      if (xdInputs.length > 0) {
        refuse("derivative() integrates Xd with method linear, which is not exported yet");
      }
      solvedBlock = { kind: "LINEAR", solve: `SOLVE ${blockName}` };
      derivative.push(...equationLines(equations, [...integrated]));
    } else {
      const assignedRoots = new Set(assigned.map((a) => a.value));
      derivative.push(
        ...body(
          [...equations.map((e) => e.value), ...assigned.map((a) => a.value)],
          (n) => onState(n) && !assignedRoots.has(n),
          (of) => [
            ...equations.map((e) => `${e.name}' = ${of(e.value)}`),
            ...assigned.map((a) => `${a.s.f.name} = ${of(a.value)}`),
          ],
        ),
      );
      if (conserve.length > 0 && dialect === "arbor") {
        solvedBlock = { kind: "KINETIC", solve: solvedBlock.solve };
        for (const law of conserve) derivative.push(conserveLine(law, spec, refuse));
      } else if (method === "sparse" && dialect === "neuron") {
        // nocmodl takes METHOD sparse for KINETIC reactions only, and integrates no derivative
        // statement there. Its derivimplicit is the same backward Euler step, exact in one Newton
        // iteration when the system is linear; so a linear system only, its CONSERVE laws (which the
        // derivatives conserve: checked when the plan is made) left out.
        const inputs = [...integrated];
        if (equations.some((e) => affineForm(g, e.value, inputs) === undefined)) {
          refuse(
            "method sparse of a system not linear in its states: NEURON's derivimplicit takes one Newton iteration a step",
          );
        }
        solvedBlock = { kind: "DERIVATIVE", solve: `SOLVE ${blockName} METHOD derivimplicit` };
        notes.push(
          `method sparse written as METHOD derivimplicit: the same backward Euler step for this linear system` +
            (conserve.length > 0
              ? `; ${
                conserve.map((law) => conserveLine(law, spec, refuse)).join(", ")
              } left out, as NEURON ` +
                `takes CONSERVE only among a KINETIC block's reactions (the derivatives conserve it)`
              : ""),
        );
      }
    }
  }

  // BREAKPOINT: currents (written so that modcc's conductance, the coefficient of v in each
  // current's equation, is the conductance the kernel returns), ASSIGNED values, reversal potentials.
  const breakpoint: string[] = [];
  const writes = new Map<number, Set<string>>(); // ion index → names written
  const write = (j: number, name: string) => {
    if (!writes.has(j)) writes.set(j, new Set());
    writes.get(j)!.add(name);
  };
  let nonspecific = false;
  const currentLines: (string | ((of: (n: Node) => string) => string[]))[] = [];
  const currentRoots: Node[] = [];
  if (results.current) {
    const result = results.current;
    const pairs: { current: string; name: string; conductance: string; ion?: number }[] = [
      { current: "i", name: "i", conductance: "g" },
      ...spec.ions.map((ion, j) => ({
        current: ionScopeNames(ion.name).current,
        name: ionScopeNames(ion.name).current,
        conductance: ionScopeNames(ion.name).conductance,
        ion: j,
      })),
    ];
    for (const p of pairs) {
      const I = result.get(p.current);
      if (I === undefined) {
        if (result.has(p.conductance)) {
          notes.push(
            `current() returns ${p.conductance} without ${p.current}: NMODL has no conductance without its current; left out`,
          );
        }
        continue;
      }
      const current = defined("current", p.current, I, g.constant(0));
      const given = result.get(p.conductance);
      if (p.ion === undefined) nonspecific = true;
      else write(p.ion, p.name);
      if (dialect === "neuron") {
        // NEURON takes every conductance itself, by a 1 µV difference of BREAKPOINT's currents (what
        // denocat does when current() returns none): the current alone is printed.
        const form = given === undefined
          ? undefined
          : conductanceForm(g, current, defined("current", p.conductance, given, g.constant(0)), vInput);
        if (form) {
          const G = defined("current", p.conductance, given!, g.constant(0));
          currentRoots.push(G, form.rest);
          currentLines.push((of) => [`${p.name} = ${of(G)}*(v - ${of(form.rest)})`]);
        } else {
          if (given !== undefined) {
            notes.push(
              `NEURON takes the conductance of ${p.name} by its own 1 µV difference, not as the ${p.conductance} ` +
                `current() returns`,
            );
          }
          currentRoots.push(current);
          currentLines.push((of) => [`${p.name} = ${of(current)}`]);
        }
        continue;
      }
      if (given === undefined) {
        refuse(
          `current() returns ${p.current} without its conductance ${p.conductance}: denocat then takes dI/dV by a forward ` +
            `difference, modcc by differentiating the equation; return ${p.conductance} to export it`,
        );
      }
      const G = defined("current", p.conductance, given!, g.constant(0));
      if (G.kind === "input" && states.some((s) => s.input === G.input && result.has(s.f.key))) {
        // modcc evaluates the conductance after the whole block, when current() has set it anew
        refuse(
          `current() returns the state '${plan.inputs[G.input].key}' itself as ${p.conductance} and sets ` +
            `'${plan.inputs[G.input].key}': modcc takes the conductance after the block, from the new value`,
        );
      }
      // modcc's conductance is the coefficient of v in the current's equation, the locals held
      // constant: written as G*(v - X) when the kernel's current has that form, else G*v + r.
      const form = conductanceForm(g, current, G, vInput);
      if (form) {
        currentRoots.push(G, form.rest);
        currentLines.push((of) => [`${p.name} = ${of(G)}*(v - ${of(form.rest)})`]);
      } else {
        const r = g.op("sub", current, g.op("mul", G, g.input(vInput)));
        currentRoots.push(G, r);
        notes.push(
          `${p.name} is written as ${p.conductance}*v + (the rest), so that modcc's conductance (the coefficient ` +
            `of v) is the one current() returns`,
        );
        currentLines.push((of) => [`${p.name} = ${of(G)}*v + ${of(r)}`]);
      }
    }
    // Xd set in BREAKPOINT: modcc adds the change from the value read, weighted (kernels/outputs.ts).
    spec.ions.forEach((ion, j) => {
      const key = ionScopeNames(ion.name).diffusive;
      if (!result.has(key) || !xdKeys.includes(key)) return;
      const value = defined("current", key, result.get(key)!, kept(j, "diffusive"));
      currentRoots.push(value);
      currentLines.push((of) => [`${key} = ${of(value)}`]);
    });
    // States and ASSIGNED values set here come after the currents, which read the values before.
    for (const s of states) {
      if (!result.has(s.f.key)) continue;
      if (dialect === "neuron" && !s.f.assigned) {
        refuse(
          `current() sets the STATE '${s.f.key}': NEURON runs BREAKPOINT twice a step (for the conductance), ` +
            `so it would be set twice`,
        );
      }
      const value = defined("current", s.f.key, result.get(s.f.key)!, g.input(s.input));
      currentRoots.push(value);
      currentLines.push((of) => [`${s.f.name} = ${of(value)}`]);
    }
  }
  if (results.voltage) {
    // A VOLTAGE_PROCESS assigns v in BREAKPOINT (modcc writes it back to the membrane voltage).
    const value = defined(
      "voltage",
      "v",
      results.voltage.get("v")!,
      vInput === -1 ? undefined : g.input(vInput),
    );
    currentRoots.push(value);
    currentLines.push((of) => [`v = ${of(value)}`]);
  }
  if (results.reversalPotential) {
    const result = results.reversalPotential;
    spec.ions.forEach((ion, j) => {
      const key = ionScopeNames(ion.name).reversal;
      const value = result.get(key);
      if (value === undefined) return;
      const v = defined("reversalPotential", key, value);
      write(j, key);
      currentRoots.push(v);
      currentLines.push((of) => [`${key} = ${of(v)}`]);
    });
  }
  if (results.concentrations) {
    const result = results.concentrations;
    for (const [key, value] of result) {
      const state = states.find((s) => s.input !== -1 && g.input(s.input) === value);
      if (state === undefined || state.f.name !== key || state.f.assigned) {
        refuse(
          `concentrations() returns ${key} as something other than a STATE named '${key}': NMODL writes a ` +
            `concentration from the STATE of that name (USEION ... WRITE ${key})`,
        );
      }
      const j = spec.ions.findIndex((ion) =>
        [ionScopeNames(ion.name).internal, ionScopeNames(ion.name).external].includes(key)
      );
      write(j, key);
    }
  }
  if (currentRoots.length > 0 || results.derivative) {
    const solve = results.derivative ? [solvedBlock.solve] : [];
    const lines = currentRoots.length > 0
      ? body(
        currentRoots,
        () => false,
        (of) => currentLines.flatMap((l) => typeof l === "string" ? [l] : l(of)),
      )
      : [];
    // modcc wants SOLVE first, nocmodl LOCAL first.
    const local = dialect === "neuron" && lines[0]?.startsWith("LOCAL ") ? [lines.shift()!] : [];
    breakpoint.push(...local, ...solve, ...lines);
  }

  // NET_RECEIVE and POST_EVENT: the states returned take their new values, the others stay.
  const eventBlock = (kernel: "onEvent" | "onPostEvent", arg: string): string[] => {
    const result = results[kernel]!;
    argName = arg;
    const entries = states.filter((s) => result.has(s.f.key)).map((s) => ({
      name: s.f.name,
      value: defined(kernel, s.f.key, result.get(s.f.key)!, g.input(s.input)),
    }));
    // Xd assigned in NET_RECEIVE (modcc's apply_events), unweighted.
    spec.ions.forEach((ion, j) => {
      const key = ionScopeNames(ion.name).diffusive;
      if (!result.has(key) || !xdKeys.includes(key)) return;
      entries.push({ name: key, value: defined(kernel, key, result.get(key)!, kept(j, "diffusive")) });
    });
    const lines = body(
      entries.map((e) => e.value),
      () => false,
      (of) => entries.map((e) => `${e.name} = ${of(e.value)}`),
    );
    argName = "";
    return lines;
  };
  const netReceive = results.onEvent ? eventBlock("onEvent", weightName) : undefined;
  const postEvent = results.onPostEvent ? eventBlock("onPostEvent", timeName) : undefined;

  // The NEURON block.
  const kindLine = {
    density: `SUFFIX ${spec.name}`,
    point: `POINT_PROCESS ${spec.name}`,
    gap_junction: `JUNCTION_PROCESS ${spec.name}`,
    reversal_potential: `SUFFIX ${spec.name}`,
    voltage: `VOLTAGE_PROCESS ${spec.name}`,
  }[spec.kind];
  const neuron: string[] = [kindLine];
  if (nonspecific) neuron.push("NONSPECIFIC_CURRENT i");
  const revWriters: string[] = [], otherWrites: string[] = [];
  spec.ions.forEach((ion, j) => {
    const n = ionScopeNames(ion.name);
    const read: string[] = [];
    if (ion.flags & ION_FLAG.readRevPotential) read.push(n.reversal);
    if (ion.flags & ION_FLAG.readIntConcentration) read.push(n.internal);
    if (ion.flags & ION_FLAG.readExtConcentration) read.push(n.external);
    // Xd: WRITE xd when a kernel sets it (modcc then reads it too), else READ xd.
    const setsXd = Object.values(results).some((r) => r!.has(n.diffusive));
    if (ion.flags & ION_FLAG.useDiffConcentration && !setsXd) read.push(n.diffusive);
    const currentInput = plan.inputs.findIndex((i) =>
      i.source.of === "ion" && i.source.ion === j && i.source.field === "current"
    );
    if (used.has(currentInput)) read.push(n.current);
    const written = [...(writes.get(j) ?? [])];
    // What INITIAL sets: an ion current and a written reversal potential (Xd below).
    for (const name of [n.current, n.reversal]) {
      if (results.initial?.has(name) && !written.includes(name)) written.push(name);
    }
    if (ion.flags & ION_FLAG.useDiffConcentration && setsXd) written.push(n.diffusive);
    if (written.includes(n.reversal)) revWriters.push(n.reversal);
    otherWrites.push(...written.filter((w) => [n.current, n.internal, n.external].includes(w)));
    if (ion.flags & ION_FLAG.writeIntConcentration && !written.includes(n.internal)) written.push(n.internal);
    if (ion.flags & ION_FLAG.writeExtConcentration && !written.includes(n.external)) written.push(n.external);
    if (ion.flags & ION_FLAG.writeRevPotential && !written.includes(n.reversal)) written.push(n.reversal);
    let line = `USEION ${ion.name}`;
    if (read.length > 0) line += ` READ ${read.join(", ")}`;
    if (written.length > 0) line += ` WRITE ${written.join(", ")}`;
    if (ion.flags & ION_FLAG.readValence) {
      if (dialect === "neuron") {
        refuse(`it reads the valence of ion '${ion.name}', which NEURON's NMODL cannot`);
      }
      line += ` VALENCE ${valence(j)}`;
    } else if (ion.flags & ION_FLAG.verifyValence) line += ` VALENCE ${ion.expectedValence}`;
    neuron.push(line);
  });
  // modcc makes a mechanism that writes eX a reversal-potential mechanism, which may write nothing else.
  if (dialect === "arbor" && revWriters.length > 0) {
    const why = spec.kind === "point"
      ? "it is a point mechanism"
      : otherWrites.length > 0 || nonspecific
      ? `it also writes ${[...otherWrites, ...(nonspecific ? ["i"] : [])].join(", ")}`
      : spec.states.some((f) => !f.assigned)
      ? `it also has STATEs (${spec.states.filter((f) => !f.assigned).map((f) => f.name).join(", ")})`
      : undefined;
    if (why !== undefined) {
      refuse(
        `it writes ${revWriters.join(", ")} and ${why}: modcc takes a mechanism that writes a reversal ` +
          `potential as a reversal-potential mechanism, which writes nothing else and has no STATE`,
      );
    }
  }
  const range = [
    ...spec.parameters.map((f) => f.name),
    ...spec.states.filter((f) => f.assigned).map((f) => f.name),
  ];
  if (range.length > 0) neuron.push(`RANGE ${range.join(", ")}`);
  if (spec.globals.length > 0) neuron.push(`GLOBAL ${spec.globals.map((f) => f.name).join(", ")}`);

  const unitOf = (f: FieldSpec) => {
    if (f.unit === "") return "";
    if (!UNIT.test(f.unit)) {
      notes.push(`the unit of '${f.name}' ('${f.unit}') is not one NMODL can spell: left out`);
      return "";
    }
    return ` (${f.unit})`;
  };
  const docs = fieldDocs(plan.at);
  const doc = (f: FieldSpec) => (docs.has(f.key) ? ` : ${docs.get(f.key)}` : "");
  const parameter = [...spec.parameters, ...spec.globals].map((f) => {
    const [low, high] = f.range;
    const bounded = low !== -Infinity || high !== Infinity;
    return `${f.name} = ${declaredNumber(f.defaultValue)}${unitOf(f)}${
      bounded ? ` <${declaredNumber(low)}, ${declaredNumber(high)}>` : ""
    }${doc(f)}`;
  });
  const stateDecl = spec.states.filter((f) => !f.assigned).map((f) => `${f.name}${unitOf(f)}${doc(f)}`);
  const assignedDecl = spec.states.filter((f) => f.assigned).map((f) => `${f.name}${unitOf(f)}${doc(f)}`);
  if (dialect === "neuron") {
    // nocmodl wants the voltage, temperature-free ion variables and currents declared.
    assignedDecl.unshift("v (mV)");
    if (nonspecific) assignedDecl.push("i");
    spec.ions.forEach((ion, j) => {
      const n = ionScopeNames(ion.name);
      const vars = [n.reversal, n.internal, n.external, n.current].filter((name) =>
        (writes.get(j)?.has(name) ?? false) ||
        neuron.some((l) => l.startsWith(`USEION ${ion.name} `) && new RegExp(`\\b${name}\\b`).test(l))
      ).filter((name) => !stateDecl.some((s) => s.split(" ")[0] === name));
      assignedDecl.push(...vars);
    });
    if ([...names.values()].includes("celsius")) assignedDecl.push("celsius (degC)");
    if ([...names.values()].includes("diam")) assignedDecl.push("diam (um)");
    if ([...names.values()].includes("area")) assignedDecl.push("area (um2)");
  }

  // The header and the class's own documentation.
  const out: string[] = [
    `${EXPORT_MARK} (NMODL for ${
      dialect === "arbor" ? "Arbor's modcc" : "NEURON's nocmodl"
    }) from ${plan.owner} at ${plan.at}.`,
    `: denocat export replaces this file when it runs again; edit a copy, or the TypeScript.`,
  ];
  for (const line of classDoc(plan.at)) out.push(`: ${line}`.trimEnd());
  for (const note of notes) out.push(`: Note: ${note}`);
  out.push("");
  const block = (head: string, lines: string[]) => {
    if (lines.length === 0) return;
    out.push(`${head} {`, ...lines.map((l) => `    ${l}`), "}", "");
  };
  block("NEURON", neuron);
  block("PARAMETER", parameter);
  block("STATE", stateDecl);
  block("ASSIGNED", assignedDecl);
  if (spec.randoms.length > 0) block("WHITE_NOISE", spec.randoms);
  block("INITIAL", initial);
  block("BREAKPOINT", breakpoint);
  if (equilibrium.length > 0) block(`LINEAR ${equilibriumName}`, equilibrium);
  if (results.derivative) block(`${solvedBlock.kind} ${blockName}`, derivative);
  if (netReceive) block(`NET_RECEIVE(${weightName})`, netReceive);
  if (postEvent) block(`POST_EVENT(${timeName})`, postEvent);
  return { name: spec.name, file: `${spec.name}.mod`, text: out.join("\n").trimEnd() + "\n", notes };
}

/**
 * A conservation law as modcc's CONSERVE: integer weights written before their state (`2A`), the
 * first state first (its row is the one the law replaces, in modcc as in kernels/sparse.ts).
 */
function conserveLine(
  law: ConservationLaw,
  spec: MechanismPlan["spec"],
  refuse: (reason: string) => never,
): string {
  const terms = Array.isArray(law.sum)
    ? (law.sum as readonly string[]).map((key) => [key, 1] as const)
    : Object.entries(law.sum as Record<string, number>);
  const text = terms.map(([key, weight], k) => {
    const name = spec.states.find((f) => f.key === key)?.name ?? key;
    if (!Number.isInteger(weight) || weight === 0) {
      refuse(`CONSERVE weighs '${key}' by ${weight}: NMODL's CONSERVE takes whole numbers only`);
    }
    const size = Math.abs(weight) === 1 ? "" : String(Math.abs(weight));
    return `${k === 0 ? (weight < 0 ? "-" : "") : weight < 0 ? " - " : " + "}${size}${name}`;
  }).join("");
  const total = nmodlNumber(law.equals);
  if (total === undefined) refuse(`CONSERVE's total ${law.equals} is not a number NMODL can spell`);
  return `CONSERVE ${text} = ${total}`;
}

/**
 * When `current` is `G * (v - X)` (or `(v - X) * G`) with X free of v: X. Then the printed
 * `G*(v - X)` has, for modcc, the coefficient of v the kernel gives.
 */
function conductanceForm(g: Graph, current: Node, G: Node, v: number): { rest: Node } | undefined {
  if (current.kind !== "op" || current.op !== "mul") return undefined;
  const [a, b] = current.args;
  const diff = a === G ? b : b === G ? a : undefined;
  if (diff === undefined || diff.kind !== "op" || diff.op !== "sub") return undefined;
  const [x, rest] = diff.args;
  if (x !== g.input(v) || dependencies(rest).has(v) || dependencies(G).has(v)) return undefined;
  return { rest };
}

/** The text of the file of `at` (`file:line:column`) and the line; undefined if it cannot be read. */
function sourceAt(at: string): { text: string; line: number } | undefined {
  const match = /^(.*):(\d+):(\d+)$/.exec(at);
  if (!match) return undefined;
  try {
    const file = match[1].startsWith("file:") ? fileURLToPath(match[1]) : match[1];
    return { text: readFileSync(file, "utf8"), line: Number(match[2]) };
  } catch {
    return undefined;
  }
}

/**
 * The one-line JSDoc of each decorated field (`/** ... *\/ @parameter(...) key!: number`) of the
 * class declared at `at`, by field key.
 */
function fieldDocs(at: string): Map<string, string> {
  const docs = new Map<string, string>();
  const source = sourceAt(at);
  if (source === undefined) return docs;
  const body = source.text.split("\n").slice(source.line - 1).join("\n");
  const field =
    /\/\*\*((?:[^*]|\*(?!\/))*)\*\/\s*@(?:parameter|global|state)\((?:[^()]|\([^()]*\))*\)\s*(?:readonly\s+)?(\w+)[!?]?\s*:/g;
  for (const m of body.matchAll(field)) {
    if (docs.has(m[2])) continue;
    const text = m[1].split("\n").map((l) => l.trim().replace(/^\*\s?/, "")).join(" ").replace(/\s+/g, " ")
      .trim();
    if (text !== "") docs.set(m[2], text);
  }
  return docs;
}

/** The JSDoc of the class declared at `at` (`file:line:column`), as plain lines; none if not found. */
function classDoc(at: string): string[] {
  const source = sourceAt(at);
  if (source === undefined) return [];
  const match = { 2: String(source.line) };
  const lines = source.text.split("\n");
  let k = Number(match[2]) - 2;
  // Skip the decorator's own lines (a multi-line @mechanism({...})) back to the comment.
  while (k >= 0 && lines[k].trim() === "") k--;
  if (k < 0 || !lines[k].trim().endsWith("*/")) return [];
  const end = k;
  while (k >= 0 && !lines[k].trim().startsWith("/**")) k--;
  if (k < 0) return [];
  return lines.slice(k, end + 1).map((l) =>
    l.trim().replace(/^\/\*\*\s?/, "").replace(/\s?\*\/$/, "").replace(/^\*\s?/, "")
  ).filter((l, j, all) => !(l === "" && (j === 0 || j === all.length - 1)));
}
