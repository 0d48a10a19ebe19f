/**
 * Generates the TypeScript pointwise class of a parsed .mod file: Arbor's mechanism name (the
 * file's stem, as modcc names it), kind, integration method, parameters and globals with their
 * units, defaults and ranges, states (STATE, then the ASSIGNED variables INITIAL or NET_RECEIVE
 * sets), ions, and one kernel per block: INITIAL → `initial`, the solved DERIVATIVE →
 * `derivative`, BREAKPOINT → `current` (with symbolic conductances), NET_RECEIVE → `onEvent`.
 * FUNCTIONs become module functions; PROCEDUREs are inlined where they are called.
 *
 * @module
 */
import type { Body, Declaration, NmodlFile } from "./ast.ts";
import { placeComments, type PlacedComments } from "./comments.ts";
import { checkCnexp } from "./cnexp.ts";
import { conductances } from "./conductance.ts";
import { NmodlError } from "./error.ts";
import { countReads, dataflow, removeDeadAssignments, type RExpr, type Var } from "./ir.ts";
import { allVars, nameVars, printBlock, printExpr, TAKEN_WORDS } from "./print.ts";
import { BUILTIN_HELPERS, type Context, type FunctionInfo, type Resolved, Resolver } from "./resolve.ts";
import { classify, solvedDerivative, solvedEquilibrium, type Symbols } from "./symbols.ts";

/** Options of {@link generateMechanism}. */
export interface GenerateOptions {
  /** Catalogue name; default: the file's stem (as Arbor's modcc names mechanisms). */
  name?: string;
  /** Module the generated file imports denocat from. */
  denocat: string;
}

/** The generated module and what the import noticed. */
export interface Generated {
  /** TypeScript source (not yet formatted). */
  source: string;
  /** Mechanism name in the catalogue. */
  name: string;
  /** Exported class name. */
  className: string;
  /** Differences from NMODL's semantics worth knowing, one sentence each. */
  notes: string[];
}

const IMPORTS = [
  "ConcentrationValues",
  "CurrentValues",
  "global",
  "InitialValues",
  "Ion",
  "ion",
  "mechanism",
  "parameter",
  "PointwiseMechanism",
  "random",
  "ReversalValues",
  "Scope",
  "state",
  "StateValues",
  "VoltageValues",
];
const TYPE_IMPORTS = new Set([
  "ConcentrationValues",
  "CurrentValues",
  "InitialValues",
  "Ion",
  "ReversalValues",
  "Scope",
  "StateValues",
]);

const doc = (lines: string[], indent = "") => {
  const body = lines.flatMap((l) => l.split("\n")).map((l) => l.replace(/\*\//g, "*\\/").trimEnd());
  if (body.length === 1) return `${indent}/** ${body[0]} */\n`;
  return `${indent}/**\n${body.map((l) => `${indent} *${l ? " " + l : ""}`).join("\n")}\n${indent} */\n`;
};

function identifier(name: string): string {
  const clean = name.replace(/[^A-Za-z0-9_$]/g, "_");
  return /^[0-9]/.test(clean) ? `_${clean}` : clean;
}

/** Generates the module of `file` (already parsed). */
export function generateMechanism(file: NmodlFile, options: GenerateOptions): Generated {
  const symbols = classify(file);
  const comments = placeComments(file);
  const notes = [...symbols.notes];
  const stem = file.file.replace(/^.*[\\/]/, "").replace(/\.mod$/, "");
  const name = options.name ?? (stem || file.neuron.name);
  const solved = solvedDerivative(file);
  notes.push(...solved?.notes ?? []);
  const taken = new Set<string>([...TAKEN_WORDS, ...IMPORTS]);
  const className = uniqueName(
    identifier(file.neuron.name.charAt(0).toUpperCase() + file.neuron.name.slice(1)),
    taken,
  );
  const constants = [...symbols.byName.values()].filter((s) => s.role === "constant");
  constants.forEach((c) => taken.add(c.name));
  const functionNames = new Map(file.functions.map((f) => [f.name, uniqueName(identifier(f.name), taken)]));
  // Builtin helpers a FUNCTION of the same name shadows are not generated.
  const helperNames = Object.keys(BUILTIN_HELPERS).filter((h) => !file.functions.some((f) => f.name === h));
  helperNames.forEach((h) => taken.add(h));
  const scopeName = [...symbols.byName.keys()].includes("x") ? uniqueName("scope", taken) : "x";

  const done = new Map<string, { info: FunctionInfo; resolved: Resolved; body: Body }>();
  const busy = new Set<string>();
  const lookup = (fn: string, at: { line: number; column: number }): FunctionInfo | undefined => {
    const body = file.functions.find((f) => f.name === fn);
    if (!body) return undefined;
    const known = done.get(fn);
    if (known) return known.info;
    if (busy.has(fn)) {
      throw new NmodlError(
        `the recursive call of FUNCTION ${fn}`,
        file.file,
        at.line,
        at.column,
        "rewrite it without recursion",
      );
    }
    busy.add(fn);
    const resolved = new Resolver(file, symbols, "function", "", lookup, comments.statements, fn).resolve(
      body,
    );
    busy.delete(fn);
    const info = { ts: functionNames.get(fn)!, free: resolved.free };
    done.set(fn, { info, resolved, body });
    return info;
  };
  for (const f of file.functions) lookup(f.name, f.at);

  const kernel = (context: Exclude<Context, "function">, body: Body | undefined) => {
    if (!body) return undefined;
    const resolved = new Resolver(file, symbols, context, scopeName, lookup, comments.statements).resolve(
      body,
    );
    resolved.notes.forEach((n) => notes.includes(n) || notes.push(n));
    return { resolved, body };
  };
  const kernels: string[] = [];
  const solvedInitially = solvedEquilibrium(file);
  // INITIAL without its final SOLVE: the equilibrium kernel solves it after initial().
  const initialBody = file.initial && solvedInitially
    ? { ...file.initial, statements: file.initial.statements.filter((s) => s.kind !== "solve") }
    : file.initial;
  const initial = kernel("initial", initialBody);
  const equilibrium = solvedInitially ? kernel("equilibrium", solvedInitially.body) : undefined;
  if (solved?.method === "cnexp") checkCnexp(file, symbols, solved.body);
  const derivative = solved
    ? kernel(solved.method === "direct" ? "step" : "derivative", solved.body)
    : undefined;
  if (!solved && file.derivatives.length) {
    notes.push(`no SOLVE names DERIVATIVE ${file.derivatives[0].name}: it is left out`);
  }
  const current = kernel("current", file.breakpoint);
  if (file.netReceive && file.neuron.kind !== "point") {
    throw new NmodlError(
      "NET_RECEIVE in a SUFFIX mechanism",
      file.file,
      file.netReceive.at.line,
      file.netReceive.at.column,
      "only a POINT_PROCESS receives events",
    );
  }
  const onEvent = kernel("onEvent", file.netReceive);
  if (file.postEvent && file.neuron.kind !== "point") {
    const at = file.postEvent.at;
    throw new NmodlError(
      "POST_EVENT in a SUFFIX mechanism",
      file.file,
      at.line,
      at.column,
      "only a POINT_PROCESS sees spikes",
    );
  }
  const onPostEvent = kernel("onPostEvent", file.postEvent);
  const reversal = symbols.ions.some((ion) => ion.writesRev);
  checkAssignedFlow(file, symbols, { initial, onEvent, current, derivative, onPostEvent });

  const field = (nmodl: string) => {
    const s = symbols.byName.get(nmodl)!;
    return "field" in s ? s.field : nmodl;
  };
  const stateOrder = [...file.states, ...file.assigned].map((d) => d.name);
  const outputsOf = (k: { resolved: Resolved }, roles: string[]): [string, RExpr, Var][] =>
    [...k.resolved.kernelVars.values()]
      .filter((v) => v.writes > 0 && roles.includes(symbols.byName.get(v.nmodl)!.role))
      .sort((a, b) => stateOrder.indexOf(a.nmodl) - stateOrder.indexOf(b.nmodl))
      .map((v) => [field(v.nmodl), { k: "var", v }, v]);

  const emit = (
    k: { resolved: Resolved; body: Body },
    method: string,
    returns: string,
    outputs: [string, RExpr, Var][],
    inline = false,
  ) => {
    const { resolved, body } = k;
    if (outputs.length === 0) return;
    checkReads(file, symbols, resolved, body, method);
    if (inline) {
      // `dm = ...` as the last statements: put the expressions straight into the returned object.
      const stmts = resolved.block.stmts;
      while (stmts.length) {
        const last = stmts[stmts.length - 1];
        const entry = outputs.find((o) => o[2] === (last.k === "set" ? last.v : undefined));
        if (last.k !== "set" || !entry || last.v.writes !== 1 || last.comments.length) break;
        const reads = countReads(stmts, outputs.map((o) => o[1]));
        if ((reads.get(last.v) ?? 0) !== 1) break;
        stmts.pop();
        last.v.writes--;
        entry[1] = last.e;
      }
    }
    removeDeadAssignments(resolved.block, new Set(outputs.map((o) => o[2])), () => outputs.map((o) => o[1]));
    const kernelTaken = new Set(taken);
    kernelTaken.add(scopeName);
    nameVars(resolved.params, kernelTaken);
    nameVars(allVars(resolved.block), kernelTaken);
    const scope = { name: scopeName, used: false };
    const text = printBlock(resolved.block, "    ", scope);
    const entries = outputs.map(([key, e]) => {
      const value = printExpr(e);
      if (value.includes(`${scopeName}.`)) scope.used = true;
      return value === key ? key : `${key}: ${value}`;
    });
    const x = scope.used ? scopeName : `_${scopeName}`;
    const args = [`${x}: Scope<${className}>`, ...resolved.params.map((p) => `${p.ts}: number`)].join(", ");
    const docs = [
      `${body.name === method ? "" : `${blockTitle(method, body, file)}: `}from ${
        file.file.replace(/^.*[\\/]/, "")
      } line ${body.at.line}.`,
      ...(comments.bodies.get(body) ?? []),
    ];
    kernels.push(
      doc(docs, "  ") +
        `  override ${method}(${args}): ${
          returns === "VoltageValues" ? returns : `${returns}<${className}>`
        } {\n${text}` +
        (comments.bodyEnds.get(body) ?? []).map((c) => `    // ${c}\n`).join("") +
        `    return { ${entries.join(", ")} };\n  }\n`,
    );
  };

  if (initial) {
    const kept = [...symbols.initialParameters].map(([parameter, { field }]): [string, RExpr, Var] => {
      const v = initial.resolved.kernelVars.get(parameter)!;
      return [field, { k: "var", v }, v];
    });
    // An ion current or written reversal potential INITIAL sets is stored in init, as modcc does.
    const ionValues = outputsOf(initial, ["current", "reversal"]);
    emit(initial, "initial", ionValues.length ? "InitialValues" : "StateValues", [
      ...outputsOf(initial, ["state", "stored", "diffusive"]),
      ...kept,
      ...ionValues,
    ]);
  }
  if (equilibrium) {
    const residuals = [...equilibrium.resolved.rates.entries()]
      .sort((a, b) => stateOrder.indexOf(a[0]) - stateOrder.indexOf(b[0]))
      .map(([state, v]): [string, RExpr, Var] => [field(state), { k: "var", v }, v]);
    emit(equilibrium, "equilibrium", "StateValues", residuals, true);
  }
  if (derivative && solved?.method === "direct") {
    emit(derivative, "derivative", "StateValues", outputsOf(derivative, ["state", "stored"]));
  } else if (derivative) {
    const rates = [...derivative.resolved.rates.entries()]
      .sort((a, b) => stateOrder.indexOf(a[0]) - stateOrder.indexOf(b[0]))
      .map(([state, v]): [string, RExpr, Var] => [field(state), { k: "var", v }, v]);
    emit(derivative, "derivative", "StateValues", [...rates, ...outputsOf(derivative, ["stored"])], true);
  }
  if (current && reversal) {
    const currents = [...current.resolved.kernelVars.values()].filter((v) =>
      v.writes > 0 && symbols.byName.get(v.nmodl)!.role === "current"
    );
    if (currents.length || file.neuron.kind === "point") {
      throw new NmodlError(
        `a ${file.neuron.kind === "point" ? "POINT_PROCESS" : "mechanism"} that writes a reversal potential${
          currents.length ? ` and the current ${currents[0].nmodl}` : ""
        }`,
        file.file,
        current.body.at.line,
        current.body.at.column,
        "Arbor's reversal-potential mechanisms write eX only: split it into two mechanisms",
      );
    }
    const stored = outputsOf(current, ["state", "stored"]);
    if (stored.length > 0) {
      throw new NmodlError(
        `the reversal-potential mechanism sets the STATE or ASSIGNED ${
          stored.map((o) => o[2].nmodl).join(", ")
        } in BREAKPOINT`,
        file.file,
        current.body.at.line,
        current.body.at.column,
        "Arbor's reversal-potential mechanisms write eX only: make it a LOCAL of BREAKPOINT",
      );
    }
    emit(current, "reversalPotential", "ReversalValues", outputsOf(current, ["reversal"]));
  } else if (current && file.neuron.kind === "voltage") {
    const writes = current.resolved.kernelVars.get("v");
    if (symbols.ions.some((ion) => ion.writesCurrent || ion.writesRev) || file.neuron.nonspecific.length) {
      throw new NmodlError(
        "a VOLTAGE_PROCESS that writes a current or an ion value",
        file.file,
        current.body.at.line,
        current.body.at.column,
        "voltage processes may only set v, as modcc requires",
      );
    }
    if (writes && writes.writes > 0) {
      emit(current, "voltage", "VoltageValues", [["v", { k: "var", v: writes }, writes]]);
    }
  } else if (current) {
    emit(
      current,
      "current",
      "CurrentValues",
      [
        ...currentOutputs(
          file,
          symbols,
          current.resolved,
          current.body,
          new Set(functionNames.values()),
          notes,
        ),
        ...outputsOf(current, ["state", "stored", "diffusive"]),
      ],
    );
  }
  if (onEvent) emit(onEvent, "onEvent", "StateValues", outputsOf(onEvent, ["state", "stored", "diffusive"]));
  if (onPostEvent) {
    emit(onPostEvent, "onPostEvent", "StateValues", outputsOf(onPostEvent, ["state", "stored"]));
  }

  const written = symbols.ions.flatMap((ion) =>
    Object.values(ion.writesConcentration).filter((s): s is string => s !== undefined).map((state) => ({
      ion,
      state,
    }))
  );
  if (written.length > 0) {
    const entries = written.map(({ state }) => {
      const f = field(state);
      return f === state ? `${state}: ${scopeName}.${f}` : `${state}: ${scopeName}.${f}`;
    });
    kernels.push(
      doc([
        `USEION ${
          written.map((w) => `${w.ion.name} WRITE ${w.state}`).join(", ")
        }: the STATE, added to the ` +
        `ion's concentration after each step (write_ions), as modcc does.`,
      ], "  ") +
        `  override concentrations(${scopeName}: Scope<${className}>): ConcentrationValues<${className}> {\n` +
        `    return { ${entries.join(", ")} };\n  }\n`,
    );
  }
  const used = new Set<string>(["mechanism", "PointwiseMechanism"]);
  const body = kernels.join("\n");
  for (
    const n of [
      "Scope",
      "StateValues",
      "CurrentValues",
      "ReversalValues",
      "ConcentrationValues",
      "VoltageValues",
    ]
  ) {
    if (new RegExp(`\\b${n}\\b`).test(body)) used.add(n);
  }
  const members = fields(file, symbols, comments, used);
  const functions = [...done.values()].sort((a, b) => a.body.at.line - b.body.at.line).map((f) =>
    moduleFunction(file, f, comments, taken)
  );
  let helpers = constants.map((c) =>
    `/** UNITS or CONSTANT ${c.name} (${c.unit || "1"}). */\nconst ${c.name} = ${c.value};\n`
  ).join("");
  const all = members + body + functions.join("");
  for (const helper of helperNames) {
    if (!new RegExp(`\\b${helper}\\(`).test(all)) continue;
    helpers += doc([`${BUILTIN_HELPERS[helper].doc}: the \`${helper}\` builtin of Arbor's NMODL.`]) +
      `export function ${helper}(x: number): number {\n  return ${BUILTIN_HELPERS[helper].body};\n}\n`;
  }
  const opts = [
    `name: ${JSON.stringify(name)}`,
    `kind: "${
      reversal ? "reversalPotential" : file.neuron.kind === "junction" ? "gapJunction" : file.neuron.kind
    }"`,
    ...(solved ? [`method: "${solved.method}"`] : []),
    ...(solved?.laws.length ? [`conserve: [${solved.laws.map(conservationLaw).join(", ")}]`] : []),
    ...(file.postEvent ? ["hasPostEvents: true"] : []),
  ];
  const importList = IMPORTS.filter((n) => used.has(n)).map((n) => (TYPE_IMPORTS.has(n) ? `type ${n}` : n));
  const header = [
    ...(file.title ? [file.title, ""] : []),
    `Imported from ${file.file.replace(/^.*[\\/]/, "")} (${
      { point: "POINT_PROCESS", density: "SUFFIX", junction: "JUNCTION_PROCESS", voltage: "VOLTAGE_PROCESS" }[
        file.neuron.kind
      ]
    } ${file.neuron.name}) by denocat's NMODL importer: an editable pointwise mechanism.`,
    ...comments.module.flatMap((c) => ["", c]),
    ...(notes.length ? ["", "Notes of the import:", ...notes.map((n) => ` - ${n}`)] : []),
    "",
    "@module",
  ];
  const source = doc(header) +
    `import { ${importList.join(", ")} } from ${JSON.stringify(options.denocat)};\n\n` +
    helpers + functions.join("\n") + "\n" +
    doc([`${file.title ?? file.neuron.name}: Arbor's \`${name}\`.`]) +
    `@mechanism({ ${
      opts.join(", ")
    } })\nexport class ${className} extends PointwiseMechanism {\n${members}\n${body}}\n`;
  return { source, name, className, notes };
}

/** A CONSERVE law as the `conserve` option prints it: `{ sum: ["C", "O"], equals: 1 }`. */
function conservationLaw(law: { terms: { name: string; coefficient: number }[]; total: number }): string {
  const plain = law.terms.every((t) => t.coefficient === 1);
  const sum = plain
    ? `[${law.terms.map((t) => JSON.stringify(t.name)).join(", ")}]`
    : `{ ${law.terms.map((t) => `${JSON.stringify(t.name)}: ${t.coefficient}`).join(", ")} }`;
  return `{ sum: ${sum}, equals: ${law.total} }`;
}

function uniqueName(base: string, taken: Set<string>): string {
  let name = base, k = 2;
  while (taken.has(name)) name = `${base}${k++}`;
  taken.add(name);
  return name;
}

function blockTitle(method: string, body: Body, file?: NmodlFile): string {
  const kinetic = file?.kinetics.some((k) => k.name === body.name);
  if (method === "equilibrium") {
    return file?.linears.some((k) => k.name === body.name)
      ? `LINEAR ${body.name}`
      : `KINETIC ${body.name} at steady state`;
  }
  return method === "derivative"
    ? `${kinetic ? "KINETIC" : "DERIVATIVE"} ${body.name}`
    : method === "current" || method === "reversalPotential"
    ? "BREAKPOINT"
    : body.name;
}

/** Refuses reads of currents a kernel never sets (modcc would read the ion's total current there). */
function checkReads(file: NmodlFile, symbols: Symbols, resolved: Resolved, body: Body, method: string): void {
  for (const v of resolved.kernelVars.values()) {
    const role = symbols.byName.get(v.nmodl)!.role;
    if (v.writes === 0 && role === "current") {
      throw new NmodlError(
        `the current ${v.nmodl}, read in ${blockTitle(method, body)} but set only in other blocks`,
        file.file,
        body.at.line,
        body.at.column,
        "compute the value in this block too (in Arbor the name would read the ion's total current)",
      );
    }
  }
}

type Kernel = { resolved: Resolved; body: Body } | undefined;

/**
 * ASSIGNED values are per-instance storage: a block reads what an earlier block left. Arbor runs
 * INITIAL once, then each step NET_RECEIVE (when events arrive), BREAKPOINT (compute_currents),
 * DERIVATIVE (advance_state) and POST_EVENT (after a spike). A value a block reads before it sets
 * it must have been set, on every path, by a block that always runs before it; else modcc reads
 * NaN (its default) or a stale value, and the import refuses it.
 */
function checkAssignedFlow(
  file: NmodlFile,
  symbols: Symbols,
  k: { initial: Kernel; onEvent: Kernel; current: Kernel; derivative: Kernel; onPostEvent: Kernel },
): void {
  const stored = (v: Var) => symbols.byName.get(v.nmodl)?.role === "stored";
  const flow = (kernel: Kernel) => {
    if (!kernel) return { incoming: new Set<string>(), definite: new Set<string>() };
    const { incoming, definite } = dataflow(kernel.resolved.block, stored);
    return {
      incoming: new Set([...incoming].map((v) => v.nmodl)),
      definite: new Set([...definite].map((v) => v.nmodl)),
    };
  };
  const f = {
    initial: flow(k.initial),
    onEvent: flow(k.onEvent),
    current: flow(k.current),
    derivative: flow(k.derivative),
    onPostEvent: flow(k.onPostEvent),
  };
  const before: Record<keyof typeof f, (keyof typeof f)[]> = {
    initial: [],
    onEvent: ["initial"],
    current: ["initial"],
    derivative: ["initial", "current"],
    onPostEvent: ["initial", "current", "derivative"],
  };
  const titles = {
    initial: "INITIAL",
    onEvent: "NET_RECEIVE",
    current: "BREAKPOINT",
    derivative: "DERIVATIVE",
    onPostEvent: "POST_EVENT",
  };
  for (const name of Object.keys(f) as (keyof typeof f)[]) {
    const body = k[name]?.body;
    if (!body) continue;
    for (const value of f[name].incoming) {
      if (before[name].some((b) => f[b].definite.has(value))) continue;
      const where = name === "derivative" ? `DERIVATIVE ${body.name}` : titles[name];
      const setters = (Object.keys(f) as (keyof typeof f)[]).filter((b) =>
        k[b] && [...k[b]!.resolved.kernelVars.values()].some((v) => v.nmodl === value && v.writes > 0)
      ).map((b) => titles[b]);
      throw new NmodlError(
        `the ASSIGNED ${value}, read in ${where} before ${
          before[name].length === 0
            ? "INITIAL sets it"
            : `${before[name].map((b) => titles[b]).join(" or ")} ` +
              "set it on every path"
        }${setters.length ? ` (it is set in ${setters.join(", ")})` : " (no block sets it)"}`,
        file.file,
        body.at.line,
        body.at.column,
        `Arbor runs INITIAL once, then each step NET_RECEIVE, BREAKPOINT, DERIVATIVE: here modcc would read NaN or a stale value; ` +
          `set ${value} before this read on every path (for a rate set by a PROCEDURE, call it in INITIAL as well)`,
      );
    }
  }
}

function currentOutputs(
  file: NmodlFile,
  symbols: Symbols,
  resolved: Resolved,
  body: Body,
  functions: ReadonlySet<string>,
  notes: string[],
): [string, RExpr, Var][] {
  const written = [...resolved.kernelVars.values()].filter((v) =>
    v.writes > 0 && symbols.byName.get(v.nmodl)!.role === "current"
  );
  const ionCurrents = written.filter((v) =>
    (symbols.byName.get(v.nmodl) as { ion?: string }).ion !== undefined
  );
  const nonspecific = written.filter((v) => !ionCurrents.includes(v));
  const outputs: [string, RExpr, Var][] = ionCurrents.map((v) => [v.nmodl, { k: "var", v }, v]);
  const sum = (list: RExpr[]): RExpr => list.reduce((a, b) => ({ k: "bin", op: "+", l: a, r: b }));
  const anchor = nonspecific[0];
  if (anchor) outputs.push(["i", sum(nonspecific.map((v) => ({ k: "var", v }))), anchor]);
  nonspecific.slice(1).forEach((v) => outputs.push(["", { k: "var", v }, v]));
  // modcc's conductance: the coefficient of v in each current's first assignment (nmodl/conductance.ts).
  const dIdV = conductances(resolved.block, written, functions);
  for (const c of dIdV.values()) {
    if (c.branchVars.length > 0) {
      throw new NmodlError(
        `the conductance of ${c.current.nmodl}, which reads ${
          c.branchVars.map((v) => v.nmodl).join(", ")
        } declared inside an if/else of BREAKPOINT`,
        file.file,
        body.at.line,
        body.at.column,
        "modcc evaluates the conductance after the block, where those LOCALs do not exist here; declare them at the top of BREAKPOINT",
      );
    }
    if (c.undifferentiated) {
      notes.push(
        `the conductance of ${c.current.nmodl} is 0, as modcc makes it: its first assignment holds fabs, exprelr, min, max or a comparison, which modcc does not differentiate`,
      );
    }
  }
  const gSum = (list: Var[]): RExpr => {
    const terms = list.map((v) => dIdV.get(v)!.g).filter((e) => !(e.k === "num" && e.value === 0));
    return terms.length === 0 ? { k: "num", text: "0", value: 0 } : sum(terms);
  };
  for (const v of ionCurrents) {
    outputs.push([`g${(symbols.byName.get(v.nmodl) as { ion: string }).ion}`, gSum([v]), v]);
  }
  if (anchor) outputs.push(["g", gSum(nonspecific), anchor]);
  if (written.length === 0 && file.neuron.nonspecific.length + file.neuron.ions.length > 0) {
    notes.push("BREAKPOINT sets no current");
  }
  return outputs.filter((o) => o[0] !== "");
}

/** A number as short as TypeScript can write it (1e9 rather than 1000000000). */
function shortNumber(n: number): string {
  const exponential = n.toExponential().replace("e+", "e");
  return exponential.length < String(n).length ? exponential : String(n);
}

function unitText(unit: string): string {
  return unit ? `unit: ${JSON.stringify(unit)}` : "";
}

function fields(file: NmodlFile, symbols: Symbols, comments: PlacedComments, used: Set<string>): string {
  let out = "";
  const options = (...items: string[]) => {
    const list = items.filter((i) => i !== "");
    return list.length ? `{ ${list.join(", ")} }` : "";
  };
  const describe = (d: Declaration, what: string) =>
    doc([`${what} ${d.name}${d.unit ? ` (${d.unit})` : ""}.`, ...(comments.declarations.get(d) ?? [])], "  ");
  const nameOption = (
    s: { name: string; field: string },
  ) => (s.field !== s.name ? `name: ${JSON.stringify(s.name)}` : "");
  for (const d of file.parameters) {
    const s = symbols.byName.get(d.name)!;
    if (s.role !== "parameter" && s.role !== "global") continue;
    used.add(s.role === "parameter" ? "parameter" : "global");
    const range = d.range ? `range: [${shortNumber(d.range[0])}, ${shortNumber(d.range[1])}]` : "";
    out += describe(d, s.role === "parameter" ? "PARAMETER (RANGE)" : "PARAMETER (GLOBAL)") +
      `  @${s.role}(${
        options(
          nameOption(s),
          unitText(d.unit),
          d.value !== undefined ? `default: ${shortNumber(d.value)}` : "",
          range,
        )
      })\n  ${s.field}!: number;\n`;
  }
  for (const d of [...file.states, ...file.assigned]) {
    const s = symbols.byName.get(d.name)!;
    if (s.role !== "state" && s.role !== "stored") continue;
    used.add("state");
    out += describe(
      d,
      s.role === "state" ? "STATE" : "ASSIGNED, kept per instance (every block that sets it stores it):",
    ) +
      `  @state(${
        options(nameOption(s), unitText(d.unit), s.role === "stored" ? "assigned: true" : "")
      })\n  ${s.field}!: number;\n`;
  }
  for (const d of file.whiteNoise) {
    const s = symbols.byName.get(d.name)!;
    used.add("random");
    out += describe(
      d,
      "WHITE_NOISE (a standard normal draw per instance and step; METHOD stochastic scales it by √dt)",
    ) +
      `  @random()\n  ${"field" in s ? s.field : d.name}!: number;\n`;
  }
  for (const [parameter, kept] of symbols.initialParameters) {
    const d = file.parameters.find((p) => p.name === parameter)!;
    used.add("state");
    out += doc(
      [`PARAMETER ${parameter} as INITIAL leaves it, per instance (NEURON's semantics; the other blocks read this).`],
      "  ",
    ) +
      `  @state(${
        options(nameOption(kept), unitText(d.unit), "assigned: true")
      })\n  ${kept.field}!: number;\n`;
  }
  for (const ion of symbols.ions) {
    used.add("ion");
    used.add("Ion");
    const flags = [
      `readRevPotential: ${ion.readRev}`,
      ion.readInt ? "readIntConcentration: true" : "",
      ion.readExt ? "readExtConcentration: true" : "",
      ion.writesConcentration.internal ? "writeIntConcentration: true" : "",
      ion.writesConcentration.external ? "writeExtConcentration: true" : "",
      ion.writesRev ? "writeRevPotential: true" : "",
      ion.readDiff || ion.writesDiff ? "useDiffConcentration: true" : "",
      ion.readValence ? "readValence: true" : "",
      ion.valence !== undefined ? `verifyValence: true, expectedValence: ${ion.valence}` : "",
    ];
    out += `  /** USEION ${ion.name}. */\n  @ion(${options(...flags)})\n  ${ion.name}!: Ion;\n`;
  }
  return out;
}

function moduleFunction(
  file: NmodlFile,
  f: { info: FunctionInfo; resolved: Resolved; body: Body },
  comments: PlacedComments,
  taken: Set<string>,
): string {
  const { resolved, body } = f;
  const result = resolved.result!;
  result.scopeRead = "0";
  removeDeadAssignments(resolved.block, new Set([result]), () => [{ k: "var", v: result }]);
  const local = new Set(taken);
  nameVars(resolved.params, local);
  nameVars(allVars(resolved.block), local);
  const text = printBlock(resolved.block, "  ", { name: "\0", used: false });
  const own = body.args.map((a) => a.name);
  const docs = [
    `FUNCTION ${body.name}(${own.join(", ")}) of ${file.file.replace(/^.*[\\/]/, "")}, line ${body.at.line}.`,
    ...(resolved.free.length
      ? [`Takes the mechanism's ${resolved.free.join(", ")} after its own arguments.`]
      : []),
    ...(comments.bodies.get(body) ?? []),
  ];
  const params = resolved.params.map((p) => `${p.ts}: number`).join(", ");
  return doc(docs) + `export function ${f.info.ts}(${params}): number {\n${text}` +
    (comments.bodyEnds.get(body) ?? []).map((c) => `  // ${c}\n`).join("") +
    `  return ${printExpr({ k: "var", v: result })};\n}\n`;
}
