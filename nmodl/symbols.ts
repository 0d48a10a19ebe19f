/**
 * What each name of a .mod file is in denocat: a state, an ASSIGNED variable kept per instance,
 * a parameter, a global, an ion scalar, a current, a builtin of the scope (v, celsius, ...), a
 * constant, or a value computed afresh in each kernel. Arbor's rules decide: PARAMETERs in RANGE
 * are per-location parameters, others globals; ASSIGNED variables are listed among the state
 * variables (here: the ones INITIAL or NET_RECEIVE set, which later kernels read back).
 *
 * @module
 */
import type { Body, Declaration, NmodlFile, Position, Statement } from "./ast.ts";
import { NmodlError } from "./error.ts";
import { linearBody, rewriteKinetic, type RewrittenScheme, steadyStateBody } from "./kinetic.ts";
import { ionViewNames, RESERVED_PPACK_NAMES } from "../ffi/ppack.ts";
import { type IntegrationMethod, ionScopeNames, KERNEL_NAMES } from "../kernels/rules.ts";

/** One ion the mechanism uses, with the flags of `@ion`. */
export interface IonUse {
  name: string;
  readRev: boolean;
  readInt: boolean;
  readExt: boolean;
  valence?: number;
  /** Ion current written (`ina`). */
  writesCurrent: boolean;
  /** Reversal potential written (`ena`: a reversal-potential mechanism). */
  writesRev: boolean;
  /** Valence read by name (Arbor's `VALENCE zx`). */
  readValence: boolean;
  /** Diffusive concentration `xd` read. */
  readDiff?: boolean;
  /**
   * Diffusive concentration `xd` written (Arbor's Xd): assigned in BREAKPOINT, INITIAL or
   * NET_RECEIVE, or integrated by `xd' = ...` in DERIVATIVE, as modcc writes it.
   */
  writesDiff?: boolean;
  /**
   * Concentrations written through a STATE of the same name (CaDynamics' `cai`): modcc's state that
   * shadows the ion's value, which write_ions adds to it. By field (`internal`, `external`), the STATE.
   */
  writesConcentration: { internal?: string; external?: string };
}

/** What a name of the .mod file stands for. */
export type Symbol =
  | {
    role: "state" | "stored" | "parameter" | "global" | "noise";
    name: string;
    field: string;
    declaration: Declaration;
  }
  | { role: "temporary"; name: string; declaration: Declaration }
  | { role: "builtin"; name: string; scope: string }
  | { role: "ionRead"; name: string; scope: string; ion: string }
  | { role: "diffusive"; name: string; scope: string; ion: string }
  | { role: "current"; name: string; ion?: string }
  | { role: "reversal"; name: string; ion: string }
  | { role: "constant"; name: string; value: number; unit: string; at: Position };

/** The symbols of one file. */
export interface Symbols {
  byName: Map<string, Symbol>;
  ions: IonUse[];
  /**
   * RANGE PARAMETERs that INITIAL writes (NEURON's exp2syn clamps tau1 there): each instance keeps
   * the value INITIAL leaves in an assigned state (`name` in Arbor, `field` in the class), which
   * the other blocks read instead of the parameter.
   */
  initialParameters: Map<string, { name: string; field: string }>;
  notes: string[];
}

/** Scope scalars every kernel reads (BaseScope), by NMODL name. */
const BUILTINS: Record<string, string> = { v: "v", celsius: "celsius", diam: "diam", area: "area", dt: "dt" };

/**
 * The physical constants NMODL's UNITS block may name, in SI (the 2019 exact values, as Arbor
 * uses), with the spellings of their SI unit that this importer accepts.
 */
const PHYSICAL_CONSTANTS: Record<string, { value: number; units: string[] }> = {
  faraday: { value: 96485.3321233100184, units: ["coulomb", "coulombs", "coul"] },
  R: { value: 8.31446261815324, units: ["joule/degC", "joule/kelvin", "joule/K"] },
  "k-mole": { value: 8.31446261815324, units: ["joule/degC", "joule/kelvin", "joule/K"] },
  k: { value: 1.380649e-23, units: ["joule/degC", "joule/kelvin", "joule/K"] },
  e: { value: 1.602176634e-19, units: ["coulomb", "coulombs", "coul"] },
};
const PREFIXES: Record<string, number> = { "": 1, kilo: 1e3, milli: 1e-3, micro: 1e-6, nano: 1e-9 };

function unitConstant(file: string, c: NmodlFile["unitConstants"][number]): number {
  if (c.value !== undefined) return c.value;
  const known = PHYSICAL_CONSTANTS[c.constant ?? ""];
  if (known === undefined) {
    throw new NmodlError(
      `the unit constant (${c.constant}) is not supported`,
      file,
      c.at.line,
      c.at.column,
      `the importer knows ${
        Object.keys(PHYSICAL_CONSTANTS).map((n) => `(${n})`).join(", ")
      }; write the value as a number`,
    );
  }
  for (const [prefix, scale] of Object.entries(PREFIXES)) {
    for (const unit of known.units) if (c.unit === prefix + unit) return known.value / scale;
  }
  throw new NmodlError(
    `the unit (${c.unit}) of ${c.name} = (${c.constant})`,
    file,
    c.at.line,
    c.at.column,
    `write it in ${
      known.units[0]
    } (optionally with kilo, milli, micro or nano), or write the value as a number`,
  );
}

/** Names assigned anywhere in `statements`, through the PROCEDUREs they call (LOCALs excluded). */
export function assignedNames(
  file: NmodlFile,
  statements: Statement[],
  seen = new Set<string>(),
): Set<string> {
  const found = new Set<string>();
  const walk = (list: Statement[], shadow: Set<string>) => {
    const local = new Set(shadow);
    for (const s of list) {
      if (s.kind === "local") s.names.forEach((n) => local.add(n));
      else if (s.kind === "assign" && !local.has(s.target)) found.add(s.target);
      else if (s.kind === "if") (walk(s.then, local), walk(s.otherwise, local));
      else if (s.kind === "call") {
        const procedure = file.procedures.find((p) => p.name === s.call.name);
        if (procedure && !seen.has(procedure.name)) {
          seen.add(procedure.name);
          walk(procedure.statements, new Set(procedure.args.map((a) => a.name)));
          seen.delete(procedure.name);
        }
      }
    }
  };
  walk(statements, new Set());
  return found;
}

/** Names a field cannot have: the kernel methods it would hide, and `x`, the kernels' scope. */
const CLASS_NAMES: ReadonlySet<string> = new Set([...KERNEL_NAMES, "constructor", "x"]);

/** The field name of member `name`: its own, unless that would hide a ppack view or a kernel. */
function fieldName(name: string, ionViews: Set<string>): string {
  return RESERVED_PPACK_NAMES.has(name) || ionViews.has(name) || CLASS_NAMES.has(name)
    ? `${name}Value`
    : name;
}

/** Classifies every declared name of `file`. */
export function classify(file: NmodlFile): Symbols {
  const byName = new Map<string, Symbol>();
  const notes: string[] = [];
  const fail = (construct: string, at: Position, advice: string): never => {
    throw new NmodlError(construct, file.file, at.line, at.column, advice);
  };
  for (const [name, scope] of Object.entries(BUILTINS)) byName.set(name, { role: "builtin", name, scope });
  // A gap junction reads the voltage at the other end of the junction.
  if (file.neuron.kind === "junction") {
    byName.set("v_peer", { role: "builtin", name: "v_peer", scope: "vPeer" });
  }
  const ions: IonUse[] = [];
  const ionViews = new Set<string>();
  for (const use of file.neuron.ions) {
    const names = ionScopeNames(use.name);
    const ion: IonUse = {
      name: use.name,
      readRev: false,
      readInt: false,
      readExt: false,
      writesCurrent: false,
      writesRev: false,
      readValence: use.valenceName !== undefined,
      valence: use.valence,
      writesConcentration: {},
    };
    const stateNamed = (n: string) => file.states.some((d) => d.name === n);
    if (use.valenceName !== undefined) {
      byName.set(use.valenceName, {
        role: "ionRead",
        name: use.valenceName,
        scope: names.valence,
        ion: use.name,
      });
    }
    for (const read of use.read) {
      if (read === names.reversal) ion.readRev = true;
      else if (read === names.internal) ion.readInt = true;
      else if (read === names.external) ion.readExt = true;
      else if (read === names.diffusive) ion.readDiff = true;
      else if (read === names.current) {
        // READ ica alone: the ion's current density of this step, summed over its writers (x.ica).
        if (use.write.includes(read)) continue;
      } else {
        fail(
          `USEION ${use.name} READ ${read}`,
          use.at,
          `ion ${use.name} has ${names.reversal}, ${names.internal}, ${names.external} and ${names.current}`,
        );
      }
      // A STATE of the name shadows the ion's value (modcc): the kernels read the state.
      if (!(use.write.includes(read) && stateNamed(read))) {
        byName.set(read, { role: "ionRead", name: read, scope: read, ion: use.name });
      }
    }
    for (const write of use.write) {
      if (write === names.current) {
        ion.writesCurrent = true;
        byName.set(write, { role: "current", name: write, ion: use.name });
      } else if ((write === names.internal || write === names.external) && stateNamed(write)) {
        ion.writesConcentration[write === names.internal ? "internal" : "external"] = write;
      } else if (write === names.diffusive) {
        if (stateNamed(write)) {
          fail(
            `STATE ${write}, the diffusive concentration of ion ${use.name}`,
            use.at,
            `Arbor's Xd is not a STATE: integrate it as ${write}' = ... in DERIVATIVE without declaring it`,
          );
        }
        // Xd: read and written by its own name (x.xd), as modcc does (kernels/outputs.ts).
        ion.writesDiff = true;
        byName.set(write, { role: "diffusive", name: write, scope: names.diffusive, ion: use.name });
      } else if (write === names.internal || write === names.external) {
        fail(
          `USEION ${use.name} WRITE ${write} (writing a concentration that is not a STATE) is not supported`,
          use.at,
          `declare ${write} in the STATE block (the concentration is then integrated per instance and added to the ion, as modcc does), or write the mechanism in TypeScript (a concentrations kernel)`,
        );
      } else if (write === names.reversal) {
        ion.writesRev = true;
        byName.set(write, { role: "reversal", name: write, ion: use.name });
      } else {
        fail(
          `USEION ${use.name} WRITE ${write}`,
          use.at,
          `ion ${use.name} has ${names.reversal}, ${names.internal}, ${names.external} and ${names.current}`,
        );
      }
    }
    ions.push(ion);
    Object.values(ionViewNames(use.name)).forEach((n) => ionViews.add(n));
  }
  for (const name of file.neuron.nonspecific) byName.set(name, { role: "current", name });
  for (const c of file.unitConstants) {
    byName.set(c.name, {
      role: "constant",
      name: c.name,
      value: unitConstant(file.file, c),
      unit: c.unit,
      at: c.at,
    });
  }
  for (const c of file.constants) {
    if (c.value === undefined) fail(`CONSTANT ${c.name} without a value`, c.at, "give it one: name = value");
    byName.set(c.name, { role: "constant", name: c.name, value: c.value!, unit: c.unit, at: c.at });
  }
  const range = new Set(file.neuron.range);
  // Names NEURON lets a file declare although the simulator owns them (v, celsius, ek, ina, ...).
  const owned = (name: string) => {
    const s = byName.get(name);
    return s !== undefined &&
      (s.role === "builtin" || s.role === "ionRead" || s.role === "current" || s.role === "reversal" ||
        s.role === "diffusive");
  };
  for (const p of file.parameters) {
    if (owned(p.name)) continue;
    if (p.range !== undefined && p.value !== undefined) {
      // NEURON and modcc keep such a range as a hint; denocat declares it (low <= default <= high, as
      // Arbor's mechanism_info states it), so the file says one of the two wrongly.
      const [lo, hi] = p.range;
      if (!(lo <= p.value && p.value <= hi)) {
        fail(
          `PARAMETER ${p.name} = ${p.value} outside its range <${lo}, ${hi}>`,
          p.at,
          lo > hi
            ? "write the range low first: <low, high>"
            : "widen the range to hold the default, or change the default (denocat declares the range to Arbor)",
        );
      }
    }
    const role = range.has(p.name) ? "parameter" : "global";
    byName.set(p.name, { role, name: p.name, field: fieldName(p.name, ionViews), declaration: p });
  }
  for (const w of file.whiteNoise) {
    if (owned(w.name) || byName.has(w.name)) {
      fail(`WHITE_NOISE ${w.name}`, w.at, `'${w.name}' names something else already; rename the noise`);
    }
    byName.set(w.name, { role: "noise", name: w.name, field: fieldName(w.name, ionViews), declaration: w });
  }
  for (const s of file.states) {
    if (owned(s.name)) {
      fail(`STATE ${s.name}`, s.at, `'${s.name}' is a scalar the simulator owns; rename the state`);
    }
    byName.set(s.name, { role: "state", name: s.name, field: fieldName(s.name, ionViews), declaration: s });
  }
  const initialParameters = new Map<string, { name: string; field: string }>();
  const writtenInInitial = file.initial ? assignedNames(file, file.initial.statements) : new Set<string>();
  const declared = new Set([...file.parameters, ...file.states, ...file.assigned].map((d) => d.name));
  for (const p of file.parameters) {
    if (byName.get(p.name)?.role !== "parameter" || !writtenInInitial.has(p.name)) continue;
    let name = `${p.name}_initial`;
    for (let k = 2; declared.has(name) || byName.has(name); k++) name = `${p.name}_initial${k}`;
    declared.add(name);
    initialParameters.set(p.name, { name, field: fieldName(name, ionViews) });
  }
  // Every ASSIGNED value is per-instance storage, as in modcc (which lists them among the state
  // variables): whichever block sets it stores it, later blocks read it (nmodl/generate.ts).
  for (const a of file.assigned) {
    if (owned(a.name) || byName.has(a.name)) continue;
    byName.set(a.name, {
      role: "stored",
      name: a.name,
      field: fieldName(a.name, ionViews),
      declaration: a,
    });
  }
  for (const name of [...file.neuron.range, ...file.neuron.global]) {
    if (!byName.has(name)) {
      fail(`RANGE or GLOBAL '${name}'`, file.neuron.at, `declare '${name}' in PARAMETER, ASSIGNED or STATE`);
    }
  }
  for (const name of file.neuron.global) {
    const s = byName.get(name)!;
    if (s.role === "stored" || s.role === "temporary") {
      notes.push(
        `GLOBAL ${name} is an ASSIGNED variable: it is kept per instance (kernels cannot write globals)`,
      );
    }
  }
  return { byName, ions, initialParameters, notes };
}

/** What BREAKPOINT's SOLVE integrates: a body in derivative form, its method and conservation laws. */
export interface SolvedScheme {
  /** `state' = ...` statements (a KINETIC block rewritten by nmodl/kinetic.ts). */
  body: Body;
  /**
   * The integration method (modcc's: cnexp, sparse, stochastic, and direct for a SOLVE without
   * METHOD; the importer also takes euler).
   */
  method: IntegrationMethod;
  /** CONSERVE laws (method sparse). */
  laws: RewrittenScheme["laws"];
  /** Whether it was a KINETIC block. */
  kinetic: boolean;
  /** What the rewrite of a KINETIC block tells the reader (nmodl/kinetic.ts). */
  notes?: string[];
}

/** The body BREAKPOINT's SOLVE statement names, in derivative form, or undefined. */
export function solvedDerivative(file: NmodlFile): SolvedScheme | undefined {
  const solves = file.breakpoint?.statements.filter((s) => s.kind === "solve") ?? [];
  const solve = solves[0];
  if (!solve || solve.kind !== "solve") return undefined;
  const fail = (construct: string, advice: string, at = solve.at): never => {
    throw new NmodlError(construct, file.file, at.line, at.column, advice);
  };
  if (solves.length > 1) {
    fail(
      `a second SOLVE in BREAKPOINT`,
      "the importer integrates one block; merge the schemes into one",
      solves[1].at,
    );
  }
  if (solve.steadystate) {
    fail(`SOLVE ${solve.block} STEADYSTATE in BREAKPOINT`, "solve a steady state in INITIAL");
  }
  const kinetic = file.kinetics.find((d) => d.name === solve.block);
  const derivative = file.derivatives.find((d) => d.name === solve.block);
  if (kinetic === undefined && derivative === undefined) {
    const linear = file.linears.find((d) => d.name === solve.block);
    if (linear === undefined) {
      fail(`SOLVE ${solve.block}`, `there is no DERIVATIVE, KINETIC or LINEAR ${solve.block}`);
    }
    if (solve.method !== "") {
      fail(
        `SOLVE ${solve.block} METHOD ${solve.method}`,
        "a LINEAR block is solved without METHOD, as modcc reads it",
      );
    }
    // modcc's linear solver: each step the states solve the block's equations
    return {
      body: linearBody(file, linear!, file.states.map((d) => d.name)),
      method: "linear",
      laws: [],
      kinetic: false,
    };
  }
  const method = solve.method;
  if (method === "stochastic") {
    if (kinetic) {
      fail(`KINETIC ${solve.block} with METHOD stochastic`, "modcc solves a KINETIC block with sparse");
    }
    if (file.whiteNoise.length === 0) {
      fail(
        `SOLVE ${solve.block} METHOD stochastic without WHITE_NOISE`,
        "declare the noise in a WHITE_NOISE block",
      );
    }
    return { body: derivative!, method, laws: [], kinetic: false };
  }
  if (file.whiteNoise.length > 0) {
    fail(
      `WHITE_NOISE with SOLVE ${solve.block} METHOD ${method || "(none)"}`,
      "modcc solves white noise only with METHOD stochastic",
    );
  }
  if (method === "") {
    // modcc's direct solver: a DERIVATIVE block without derivatives runs as written each step,
    // its assignments setting the states; any derivative (a KINETIC block is all derivatives)
    // is modcc's error "has a derivative expression but no METHOD was specified".
    const written = kinetic
      ? kinetic.statements.find((s) => s.kind === "reaction")
      : findDerivative(derivative!.statements);
    if (written) {
      fail(
        `SOLVE ${solve.block} without METHOD is not supported`,
        `${kinetic ? "KINETIC" : "DERIVATIVE"} ${solve.block} has ${
          kinetic ? "reactions" : "a derivative"
        } ` +
          "(modcc refuses it too: a block solved without METHOD may only assign its states); give METHOD cnexp or sparse",
      );
    }
    // (a KINETIC block without reactions is its statements, as modcc's kinetic rewrite leaves it)
    return {
      body: kinetic ? rewriteKinetic(file, kinetic).body : derivative!,
      method: "direct",
      laws: [],
      kinetic: false,
    };
  }
  if (method !== "cnexp" && method !== "euler" && method !== "sparse") {
    return fail(
      `SOLVE ${solve.block} METHOD ${method} is not supported`,
      "Arbor accepts cnexp, sparse and stochastic; the importer translates cnexp, sparse (and euler)",
    );
  }
  if (kinetic) {
    const scheme = rewriteKinetic(file, kinetic);
    if (scheme.laws.length && method !== "sparse") {
      fail(
        `CONSERVE in KINETIC ${kinetic.name} solved with METHOD ${method}`,
        "solve it with METHOD sparse",
        scheme.laws[0].at,
      );
    }
    return { body: scheme.body, method, laws: scheme.laws, kinetic: true, notes: scheme.notes };
  }
  const conserve = derivative!.statements.find((s) => s.kind === "conserve");
  if (conserve) {
    fail(
      "CONSERVE in a DERIVATIVE block",
      "write the scheme as a KINETIC block with its reactions",
      conserve.at,
    );
  }
  return { body: derivative!, method, laws: [], kinetic: false };
}

/** The first `x' = ...` statement of `statements`, inside IF branches too. */
function findDerivative(statements: readonly Statement[]): Statement | undefined {
  for (const s of statements) {
    if (s.kind === "derivative") return s;
    if (s.kind === "if") {
      const inside = findDerivative(s.then) ?? findDerivative(s.otherwise);
      if (inside) return inside;
    }
  }
  return undefined;
}

/**
 * The equilibrium INITIAL solves for, if its last statement is `SOLVE x` of a LINEAR block or
 * `SOLVE x STEADYSTATE sparse` of a KINETIC block: the residuals in derivative form (nmodl/kinetic.ts).
 */
export function solvedEquilibrium(file: NmodlFile): { body: Body; from: string } | undefined {
  const statements = file.initial?.statements ?? [];
  const index = statements.findIndex((s) => s.kind === "solve");
  if (index < 0) return undefined;
  const solve = statements[index] as Statement & { kind: "solve" };
  const fail = (construct: string, advice: string): never => {
    throw new NmodlError(construct, file.file, solve.at.line, solve.at.column, advice);
  };
  if (statements.slice(index + 1).some((s) => s.kind !== "table")) {
    fail(
      `statements after SOLVE ${solve.block} in INITIAL`,
      "move them before the SOLVE: the importer solves the equilibrium after INITIAL's other statements",
    );
  }
  const states = file.states.map((d) => d.name);
  const linear = file.linears.find((d) => d.name === solve.block);
  if (linear) {
    if (solve.method !== "" || solve.steadystate) {
      fail(
        `SOLVE ${solve.block} METHOD ${solve.method}`,
        "a LINEAR block is solved without METHOD, as modcc reads it",
      );
    }
    return { body: linearBody(file, linear, states), from: `LINEAR ${linear.name}` };
  }
  const kinetic = file.kinetics.find((d) => d.name === solve.block);
  if (kinetic && solve.steadystate && solve.method === "sparse") {
    const scheme = rewriteKinetic(file, kinetic);
    const missing = states.filter((s) => !scheme.species.includes(s));
    if (missing.length) {
      fail(
        `the steady state of KINETIC ${kinetic.name}, which leaves out the states ${missing.join(", ")}`,
        "a steady state solves every STATE: give each a reaction",
      );
    }
    if (scheme.laws.length === 0) {
      fail(
        `SOLVE ${solve.block} STEADYSTATE without CONSERVE`,
        "modcc needs a conservation law for a steady state too",
      );
    }
    return { body: steadyStateBody(file, scheme), from: `KINETIC ${kinetic.name} at STEADYSTATE` };
  }
  return fail(
    `SOLVE ${solve.block}${
      solve.steadystate ? ` STEADYSTATE ${solve.method}` : solve.method ? ` METHOD ${solve.method}` : ""
    } in INITIAL`,
    "INITIAL solves a LINEAR block (SOLVE name) or a KINETIC block at steady state (SOLVE name STEADYSTATE sparse), as modcc",
  );
}
