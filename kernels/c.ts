/**
 * The C printer of the kernel plan: one static function per hook, for the catalogue file of
 * compile/emit.ts. It spells the plan's gathers, temporaries and stores in C against Arbor's
 * `arb_mechanism_ppack`; every rule (keys, weights, defaults, cnexp) comes from the plan. The
 * weight and unit rules (e.g. density currents scaled by 10·weight) live in kernels/outputs.ts.
 *
 * @module
 */
import type { Op } from "./graph.ts";
import type { HookPlan, MechanismPlan } from "./plan.ts";
import { hookInputs, hookIons, hookRoots, INFIX, schedule, type Spelling } from "./print.ts";
import type { InputSource } from "./rules.ts";
import type { Target } from "./outputs.ts";

/** A C double literal that parses back to exactly `value`. */
export function cNumber(value: number): string {
  if (Number.isNaN(value)) return "NAN";
  if (value === Infinity) return "INFINITY";
  if (value === -Infinity) return "(-INFINITY)";
  if (Object.is(value, -0)) return "(-0.0)";
  const text = String(value); // shortest round-trip form
  const literal = /[.e]/.test(text) ? text : `${text}.0`;
  return value < 0 ? `(${literal})` : literal;
}

/** A comment-safe copy of `text`. */
export function cComment(text: string): string {
  return text.replace(/\*\//g, "* /");
}

/** C spellings of the operators that are not infix in both languages. */
const C_CALL: Partial<Record<Op, string>> = {
  mod: "fmod",
  pow: "dc_pow",
  min: "dc_min",
  max: "dc_max",
  sign: "dc_sign",
  abs: "fabs",
};

const spelling: Spelling = {
  constant: (value) => (typeof value === "boolean" ? (value ? "1" : "0") : cNumber(value)),
  input: (k) => `x${k}`,
  arg: "arg",
  op(op, args) {
    const infix = INFIX[op];
    if (infix) return `(${args[0]} ${infix} ${args[1]})`;
    if (op === "eq") return `(${args[0]} == ${args[1]})`;
    if (op === "ne") return `(${args[0]} != ${args[1]})`;
    if (op === "neg") return `(-${args[0]})`;
    if (op === "not") return `(!${args[0]})`;
    if (op === "select") return `(${args[0]} ? ${args[1]} : ${args[2]})`;
    return `${C_CALL[op] ?? op}(${args.join(", ")})`;
  },
};

const ION_ARRAY: Record<string, string> = {
  reversal: "reversal_potential",
  internal: "internal_concentration",
  external: "external_concentration",
  diffusive: "diffusive_concentration",
  current: "current_density",
};

/** The C expression that gathers input `source` for instance `k` (node `n`, ion index `at<j>`). */
function gatherCode(source: InputSource): string {
  switch (source.of) {
    case "node":
      return { v: "vec_v", temperature: "temperature", diam: "diam", area: "area" }[source.array] + "[n]";
    case "peer":
      return `peer_index ? vec_v[peer_index[k]] : ${cNumber(source.fallback)}`;
    case "dt":
      return "dt";
    case "state":
      return `S${source.index}[k]`;
    case "parameter":
      return `P${source.index}[k]`;
    case "global":
      return `G${source.index}`;
    case "random":
      return `R${source.index} ? R${source.index}[k] : ${cNumber(source.fallback)}`;
    case "ion": {
      const array = `ion${source.ion}->${ION_ARRAY[source.field]}`;
      return `${array} ? ${array}[at${source.ion}] : ${cNumber(source.fallback)}`;
    }
    case "valence":
      return `ion${source.ion}->ionic_charge ? ion${source.ion}->ionic_charge[0] : ${
        cNumber(source.fallback)
      }`;
    case "weight":
      return "weight[k]";
    case "multiplicity":
      return `multiplicity ? (double)multiplicity[k] : ${cNumber(source.fallback)}`;
  }
}

/** The C lvalue of a store target, and the array that may be absent (NULL) for it. */
function targetCode(target: Target): { lvalue: string; optional?: string } {
  switch (target.array) {
    case "state":
      return { lvalue: `S${target.index}[k]` };
    case "vec_i":
      return { lvalue: "vec_i[n]" };
    case "vec_g":
      return { lvalue: "vec_g[n]" };
    case "ion": {
      const array = target.field === "conductance"
        ? `ION_CONDUCTIVITY(ion${target.ion})`
        : `ion${target.ion}->${ION_ARRAY[target.field]}`;
      const optional = target.field === "current" ? undefined : array;
      return { lvalue: `${array}[at${target.ion}]`, optional };
    }
  }
}

/** The body of one instance (or event): gathers, temporaries and stores, at `indent`. */
function instanceBody(plan: MechanismPlan, hook: HookPlan, indent: string): string[] {
  const lines: string[] = [];
  for (const j of hookIons(plan, hook)) {
    lines.push(`const arb_index_type DC_UNUSED at${j} = ion${j}->index[k];`);
  }
  for (const k of hookInputs(hook)) {
    const input = plan.inputs[k];
    lines.push(
      `const double x${k} = ${gatherCode(input.source)};${input.key ? ` /* ${cComment(input.key)} */` : ""}`,
    );
  }
  const s = schedule(hookRoots(hook), spelling);
  for (const t of s.temps) lines.push(`const ${t.type === "num" ? "double" : "int"} ${t.name} = ${t.code};`);
  for (const store of hook.stores) {
    const { lvalue, optional } = targetCode(store.target);
    const write = `${lvalue} ${store.mode === "add" ? "+=" : "="} ${s.of(store.value)};`;
    lines.push(optional ? `if (${optional}) ${write}` : write);
  }
  return lines.map((line) => indent + line);
}

/** Pointer locals of a hook (unused ones are marked so). */
function cPrologue(plan: MechanismPlan, ions: number[]): string[] {
  const { spec } = plan;
  const U = "DC_UNUSED";
  const lines = [
    `  const arb_size_type width = pp->width;`,
    `  const arb_value_type* ${U} vec_v = pp->vec_v;`,
    `  const arb_value_type* ${U} temperature = pp->temperature_degC;`,
    `  const arb_value_type* ${U} diam = pp->diam_um;`,
    `  const arb_value_type* ${U} area = pp->area_um2;`,
    `  const arb_value_type* ${U} weight = pp->weight;`,
    `  const arb_index_type* ${U} peer_index = pp->peer_index;`,
    `  const arb_index_type* ${U} multiplicity = pp->multiplicity;`,
    `  arb_value_type* ${U} vec_i = pp->vec_i;`,
    `  arb_value_type* ${U} vec_g = pp->vec_g;`,
    `  const double ${U} dt = pp->dt;`,
  ];
  spec.states.forEach((f, j) =>
    lines.push(`  arb_value_type* ${U} S${j} = pp->state_vars[${j}]; /* ${cComment(f.key)} */`)
  );
  spec.parameters.forEach((f, j) =>
    lines.push(`  const arb_value_type* ${U} P${j} = pp->parameters[${j}]; /* ${cComment(f.key)} */`)
  );
  spec.globals.forEach((f, j) =>
    lines.push(`  const double ${U} G${j} = pp->globals[${j}]; /* ${cComment(f.key)} */`)
  );
  spec.randoms.forEach((name, j) =>
    lines.push(
      `  const arb_value_type* ${U} R${j} = pp->random_numbers ? pp->random_numbers[${j}] : NULL; /* ${
        cComment(name)
      } */`,
    )
  );
  for (const j of ions) {
    lines.push(
      `  ion_state* ion${j} = &((ion_state*)pp->ion_states)[${j}]; /* ${cComment(spec.ions[j].name)} */`,
    );
  }
  return lines;
}

/** C function name of a hook. */
export function cHookName(prefix: string, hook: HookPlan): string {
  return `${prefix}_hook_${hook.hook}`;
}

/** One hook as a static C function named `cHookName(prefix, hook)`. */
export function printCHook(plan: MechanismPlan, hook: HookPlan, prefix: string): string[] {
  const name = cHookName(prefix, hook);
  const header = [
    hook.kernel
      ? `/* ${cComment((hook.at ?? "").replace(/:\d+$/, ""))} ${
        cComment(plan.owner.replace(/^class /, ""))
      }.${hook.kernel}: ${hook.hook} */`
      : `/* ${hook.hook}: state defaults */`,
  ];
  const prologue = cPrologue(plan, hookIons(plan, hook));
  if (hook.loop === "events") {
    return [
      ...header,
      `static void ${name}(arb_mechanism_ppack* pp, arb_deliverable_event_stream* stream) {`,
      `  if (!stream) return;`,
      ...prologue,
      `  for (const arb_deliverable_event_data* event = stream->begin; event != stream->end; ++event) {`,
      `    const arb_size_type k = event->mech_index;`,
      `    if (!(k < width)) continue; /* live mode throws; compiled code skips it */`,
      `    const arb_index_type n = pp->node_index[k];`,
      `    const double arg = (double)event->weight;`,
      `    (void)n;`,
      ...instanceBody(plan, hook, "    "),
      `  }`,
      `}`,
    ];
  }
  if (hook.loop === "post") {
    return [
      ...header,
      `static void ${name}(arb_mechanism_ppack* pp) {`,
      ...prologue,
      `  const arb_index_type* vec_ci = pp->vec_ci;`,
      `  const arb_value_type* since = pp->time_since_spike;`,
      `  const int detectors = pp->n_detectors;`,
      `  if (!vec_ci || !since) return;`,
      `  for (arb_size_type k = 0; k < width; ++k) {`,
      `    const arb_index_type n = pp->node_index[k];`,
      `    const arb_index_type cell = vec_ci[n];`,
      `    for (int det = 0; det < detectors; ++det) {`,
      `      const double arg = since[cell * detectors + det];`,
      `      if (!(arg >= 0.0)) continue;`,
      ...instanceBody(plan, hook, "      "),
      `    }`,
      `  }`,
      `}`,
    ];
  }
  return [
    ...header,
    `static void ${name}(arb_mechanism_ppack* pp) {`,
    ...prologue,
    `  for (arb_size_type k = 0; k < width; ++k) {`,
    `    const arb_index_type n = pp->node_index[k];`,
    `    (void)n;`,
    ...instanceBody(plan, hook, "    "),
    `  }`,
    `}`,
  ];
}
