/**
 * The C printer of the kernel plan: one static function per hook, for the catalogue file of
 * catalogue/emit.ts. It spells the plan's gathers, temporaries and stores in C against Arbor's
 * `arb_mechanism_ppack`; every rule (keys, weights, defaults, cnexp) comes from the plan. The
 * weight and unit rules (e.g. density currents scaled by 10·weight) live in kernels/outputs.ts.
 *
 * @module
 */
import { HOOK_TABLE } from "../ffi/layout.ts";
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

/** A C string literal of `text` (UTF-8; anything unusual escaped as octal). */
export function cString(text: string): string {
  let out = '"';
  for (const byte of new TextEncoder().encode(text)) {
    if (byte >= 0x20 && byte < 0x7f && byte !== 0x22 && byte !== 0x5c && byte !== 0x3f) {
      out += String.fromCharCode(byte);
    } else out += "\\" + byte.toString(8).padStart(3, "0");
  }
  return out + '"';
}

/** A comment-safe copy of `text`. */
export function cComment(text: string): string {
  return text.replace(/\*\//g, "* /");
}

/** C spellings of the operators that are not infix in both languages. */
const C_CALL: Partial<Record<Op, string>> = {
  mod: "fmod",
  // The catalogue's preamble (catalogue/emit.ts) defines these as c/dc_math.h's inline,
  // vectorizable functions, or as the C library's for the bit-exact scalar build.
  exp: "dc_exp",
  expm1: "dc_expm1",
  log: "dc_log",
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

/**
 * How input `k` is gathered: lines before the loop, and an unconditional load (or value) in it.
 * An optional array (NULL when Arbor has no such data) is read through a stand-in of one
 * element with index mask 0, and the fallback chosen by a select after the load: the loop then
 * has no branch and no conditional load, which is what lets clang vectorize it.
 */
interface Gather {
  before: string[];
  load: string;
  /** When set, `present ? load : fallback`. */
  present?: string;
  fallback?: string;
}

function optionalGather(
  k: number,
  array: string,
  index: string,
  fallback: number,
  kind: "values" | "indices",
  wrap: (element: string) => string = (element) => element,
): Gather {
  const type = kind === "values" ? "arb_value_type" : "arb_index_type";
  const maskType = index === "k" ? "arb_size_type" : "arb_index_type";
  const name = `in${k}`;
  return {
    before: [
      `  const ${type}* const ${name}_src = ${array} ? ${array} : dc_no_${kind};`,
      `  const ${maskType} ${name}_mask = ${array} ? (${maskType})~(${maskType})0 : 0;`,
      `  const int ${name}_present = ${array} != NULL;`,
    ],
    load: wrap(`${name}_src[${index} & ${name}_mask]`),
    present: `${name}_present`,
    fallback: cNumber(fallback),
  };
}

/** The gather of input `source` for instance `k` (node `n`, ion index `at<j>`). */
function gatherOf(source: InputSource, k: number): Gather {
  const plain = (load: string): Gather => ({ before: [], load });
  switch (source.of) {
    case "node":
      return plain(
        { v: "vec_v", temperature: "temperature", diam: "diam", area: "area" }[source.array] + "[n]",
      );
    case "peer":
      return optionalGather(k, "peer_index", "k", source.fallback, "indices", (at) => `vec_v[${at}]`);
    case "dt":
      return plain("dt");
    case "state":
      return plain(`S${source.index}[k]`);
    case "parameter":
      return plain(`P${source.index}[k]`);
    case "global":
      return plain(`G${source.index}`);
    case "random":
      return optionalGather(k, `R${source.index}`, "k", source.fallback, "values");
    case "ion":
      return optionalGather(
        k,
        `ion${source.ion}->${ION_ARRAY[source.field]}`,
        `at${source.ion}`,
        source.fallback,
        "values",
      );
    case "valence": {
      // One value per ion, loop invariant.
      const charge = `ion${source.ion}->ionic_charge`;
      return {
        before: [`  const double in${k}_valence = ${charge} ? ${charge}[0] : ${cNumber(source.fallback)};`],
        load: `in${k}_valence`,
      };
    }
    case "weight":
      return plain("weight[k]");
    case "multiplicity":
      return optionalGather(
        k,
        "multiplicity",
        "k",
        source.fallback,
        "indices",
        (element) => `(double)${element}`,
      );
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
    case "vec_v":
      return { lvalue: "vec_v[n]" };
    case "ion": {
      const array = target.field === "conductance"
        ? `ION_CONDUCTIVITY(ion${target.ion})`
        : `ion${target.ion}->${ION_ARRAY[target.field]}`;
      const optional = target.field === "current" ? undefined : array;
      return { lvalue: `${array}[at${target.ion}]`, optional };
    }
  }
}

/** The ion arrays a hook reads, as `ion<j>.<field>`. */
function gatheredIonArrays(plan: MechanismPlan, hook: HookPlan): Set<string> {
  const arrays = new Set<string>();
  for (const k of hookInputs(hook)) {
    const source = plan.inputs[k].source;
    if (source.of === "ion") arrays.add(`ion${source.ion}.${source.field}`);
  }
  return arrays;
}

/**
 * Whether the hook may compute all instances of a block before it scatters any: only when no
 * instance reads an array that a scatter writes. (Several instances of a point mechanism may
 * share a CV; a hook that reads an ion array it writes needs the serial order of one loop.)
 */
function canSplit(plan: MechanismPlan, hook: HookPlan): boolean {
  const read = gatheredIonArrays(plan, hook);
  return hook.stores.every((store) =>
    store.target.array !== "ion" || !read.has(`ion${store.target.ion}.${store.target.field}`)
  );
}

/** The instance body split into its computing part and its scatters (a split hook). */
interface Body {
  before: string[];
  compute: string[];
  scatter: string[];
  scatterIons: number[];
  /** Split hooks with checkFinite: the checks of one instance, for the cold search of a block. */
  check: string[];
}

/** Options of `printCHook`. */
export interface CHookOptions {
  /**
   * Print the non-finite check of every result before the stores (as the JS printer does), which
   * records the failure with `dc_fail` of kernels/finite.ts and leaves the hook.
   */
  checkFinite?: boolean;
}

/** The body of one instance (or event): gathers, temporaries, checks and stores. */
function instanceBody(plan: MechanismPlan, hook: HookPlan, split: boolean, options: CHookOptions): Body {
  const before: string[] = [];
  const compute: string[] = [];
  for (const j of hookIons(plan, hook)) {
    compute.push(`const arb_index_type DC_UNUSED at${j} = ion${j}->index[k];`);
  }
  for (const k of hookInputs(hook)) {
    const input = plan.inputs[k];
    const gather = gatherOf(input.source, k);
    before.push(...gather.before);
    const note = input.key ? ` /* ${cComment(input.key)} */` : "";
    if (gather.present) {
      compute.push(`const double x${k}_loaded = ${gather.load};`);
      compute.push(`const double x${k} = ${gather.present} ? x${k}_loaded : ${gather.fallback};${note}`);
    } else compute.push(`const double x${k} = ${gather.load};${note}`);
  }
  const s = schedule(hookRoots(hook), spelling);
  for (const t of s.temps) {
    compute.push(`const ${t.type === "num" ? "double" : "int"} ${t.name} = ${t.code};`);
  }
  const check: string[] = [];
  if (options.checkFinite && hook.checks.length > 0) {
    // The sum of the results is finite if they all are (s - s is 0 for a finite s, NaN else):
    // one test per instance. Only then (cold) is each result checked in order, to name the
    // first bad one; a sum that overflowed from finite results finds none and carries on.
    const values = hook.checks.map((c) => s.of(c.value));
    const sum = values.length === 1 ? values[0] : `(${values.join(" + ")})`;
    const fail = hook.checks.map((c, j) =>
      `if (!isfinite(${values[j]})) { dc_fail(${cString(plan.spec.name)}, ${cString(c.kernel)}, ${
        cString(c.what)
      }, ${values[j]}, k, n); return; }`
    );
    if (split) {
      // No branch out of the compute loop (an early return stops clang vectorizing it): the
      // block ORs the bits of sum - sum (+0, all bits zero, for a finite sum; NaN else) into a
      // flag, one OR per vector and no compare, and printCHook searches a flagged block in order
      // before any scatter.
      compute.push(`dc_bad |= dc_nonfinite_bits(${sum});`);
      check.push(...fail);
    } else {compute.push(
        `if (__builtin_expect(${sum} - ${sum} != 0.0, 0)) {`,
        ...fail.map((l) => `  ${l}`),
        `}`,
      );}
  }
  if (split && check.length === 0 && hook.stores.length > 0) {
    // Unchecked, the block still joins its results as the checked block does (an OR of the bits
    // of their sum, kept by DC_KEEP and otherwise unused): with the join clang schedules the
    // results' long chains (exp, expm1, division) of a vector interleaved, without it one after
    // the other, and the same loop ran 1.2-1.4x slower (docs/benchmarks.md, issue 32). No stored
    // value changes.
    const values = hook.stores.map((store) => s.of(store.value));
    const sum = values.length === 1 ? values[0] : `(${values.join(" + ")})`;
    compute.push(`dc_join |= dc_nonfinite_bits(${sum});`);
  }
  const scatter: string[] = [];
  const scatterIons = new Set<number>();
  hook.stores.forEach((store, j) => {
    const { lvalue, optional } = targetCode(store.target);
    let value = s.of(store.value);
    if (split) {
      compute.push(`out${j}[k - block] = ${value};`);
      value = `out${j}[k - block]`;
      if (store.target.array === "ion") scatterIons.add(store.target.ion);
    }
    const write = `${lvalue} ${store.mode === "add" ? "+=" : "="} ${value};`;
    (split ? scatter : compute).push(optional ? `if (${optional}) ${write}` : write);
  });
  return { before, compute, scatter, scatterIons: [...scatterIons].sort((a, b) => a - b), check };
}

/** Pointer locals of a hook (unused ones are marked so). */
function cPrologue(plan: MechanismPlan, ions: number[]): string[] {
  const { spec } = plan;
  const U = "DC_UNUSED";
  const lines = [
    `  const arb_size_type width = pp->width;`,
    `  const arb_index_type* const node_index = pp->node_index;`,
    // not const: a voltage process assigns it
    `  arb_value_type* ${U} vec_v = pp->vec_v;`,
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
    lines.push(
      `  const arb_value_type* ${U} P${j} = pp->parameters[${j}]; /* ${cComment(f.key)} */`,
    )
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

/** C function name of a hook: `<prefix>_hook_<its arb_mechanism_interface member>` (`mech_hh_hook_advance_state`). */
export function cHookName(prefix: string, hook: HookPlan): string {
  return `${prefix}_hook_${HOOK_TABLE[hook.hook].field}`;
}

/** One hook as a static C function named `cHookName(prefix, hook)`. */
export function printCHook(
  plan: MechanismPlan,
  hook: HookPlan,
  prefix: string,
  options: CHookOptions = {},
): string[] {
  const name = cHookName(prefix, hook);
  const header = [
    hook.kernel
      ? `/* ${cComment((hook.at ?? "").replace(/:\d+$/, ""))} ${
        cComment(plan.owner.replace(/^class /, ""))
      }.${hook.kernel}: ${hook.hook} */`
      : `/* ${hook.hook}: state defaults */`,
  ];
  // After a recorded failure every hook does nothing until denocat collects it (kernels/finite.ts).
  const prologue = [
    ...(options.checkFinite ? ["  if (DC_STOPPED()) return;"] : []),
    ...cPrologue(plan, hookIons(plan, hook)),
  ];
  const at = (indent: string, lines: string[]) => lines.map((line) => indent + line);
  if (hook.loop === "events") {
    const body = instanceBody(plan, hook, false, options);
    return [
      ...header,
      `static void ${name}(arb_mechanism_ppack* pp, arb_deliverable_event_stream* stream) {`,
      `  if (!stream) return;`,
      ...prologue,
      ...body.before,
      `  for (const arb_deliverable_event_data* event = stream->begin; event != stream->end; ++event) {`,
      `    const arb_size_type k = event->mech_index;`,
      `    if (!(k < width)) continue; /* live mode throws; compiled code skips it */`,
      `    const arb_index_type n = node_index[k];`,
      `    const double arg = (double)event->weight;`,
      `    (void)n;`,
      ...at("    ", body.compute),
      `  }`,
      `}`,
    ];
  }
  if (hook.loop === "post") {
    const body = instanceBody(plan, hook, false, options);
    return [
      ...header,
      `static void ${name}(arb_mechanism_ppack* pp) {`,
      ...prologue,
      ...body.before,
      `  const arb_index_type* vec_ci = pp->vec_ci;`,
      `  const arb_value_type* since = pp->time_since_spike;`,
      `  const int detectors = pp->n_detectors;`,
      `  if (!vec_ci || !since) return;`,
      `  for (arb_size_type k = 0; k < width; ++k) {`,
      `    const arb_index_type n = node_index[k];`,
      `    const arb_index_type cell = vec_ci[n];`,
      `    for (int det = 0; det < detectors; ++det) {`,
      `      const double arg = since[cell * detectors + det];`,
      `      if (!(arg >= 0.0)) continue;`,
      ...at("      ", body.compute),
      `    }`,
      `  }`,
      `}`,
    ];
  }
  const split = canSplit(plan, hook) && hook.stores.length > 0;
  const body = instanceBody(plan, hook, split, options);
  // The one loop of an unsplit hook, and of a split hook on few instances (DC_SPLIT_MIN_WIDTH):
  // the same arithmetic in the same order, so both ways give the same bits.
  const plain = split ? instanceBody(plan, hook, false, options) : body;
  const plainLoop = [
    `  for (arb_size_type k = 0; k < width; ++k) {`,
    `    const arb_index_type n = node_index[k];`,
    `    (void)n;`,
    ...at("    ", plain.compute),
    `  }`,
  ];
  if (!split) {
    return [
      ...header,
      `static void ${name}(arb_mechanism_ppack* pp) {`,
      ...prologue,
      ...body.before,
      ...plainLoop,
      `}`,
    ];
  }
  // A block of instances is computed first, into local buffers: a loop whose only stores go to
  // memory nothing else can point to, which clang vectorizes (clang ignores restrict on local
  // pointers, so stores to the state arrays in the same loop would stop it). Then the stores run
  // in the order of the single loop, so instances that share a CV (point mechanisms) add up
  // exactly as they would there.
  const buffers = hook.stores.map((_, j) => `    double out${j}[DC_BLOCK];`);
  // checkFinite: a flagged block is evaluated again, one instance at a time in order (cold), so
  // that dc_fail names the instance, CV and value live mode names; it returns before any of the
  // block's stores (earlier blocks are stored, as earlier instances are in live mode).
  const checked = body.check.length > 0;
  const search = [
    `    if (__builtin_expect(dc_bad, 0)) {`,
    `      for (arb_size_type k = block; k < end; ++k) {`,
    `        const arb_index_type n = node_index[k];`,
    `        (void)n;`,
    ...at("        ", body.compute.filter((line) => !line.startsWith("dc_bad |="))),
    ...at("        ", body.check),
    `      }`,
    `    }`,
  ];
  return [
    ...header,
    `static void ${name}(arb_mechanism_ppack* pp) {`,
    ...prologue,
    ...body.before,
    `  if (width < DC_SPLIT_MIN_WIDTH) {`,
    ...at("  ", plainLoop),
    `    return;`,
    `  }`,
    `  for (arb_size_type block = 0; block < width; block += DC_BLOCK) {`,
    `    const arb_size_type end = width - block < DC_BLOCK ? width : block + DC_BLOCK;`,
    ...buffers,
    `    uint64_t ${checked ? "dc_bad" : "dc_join"} = 0;`,
    `    for (arb_size_type k = block; k < end; ++k) {`,
    `      const arb_index_type n = node_index[k];`,
    `      (void)n;`,
    ...at("      ", body.compute),
    `    }`,
    ...(checked ? search : [`    DC_KEEP(dc_join);`]),
    `    for (arb_size_type k = block; k < end; ++k) {`,
    `      const arb_index_type DC_UNUSED n = node_index[k];`,
    ...body.scatterIons.map((j) => `      const arb_index_type at${j} = ion${j}->index[k];`),
    ...at("      ", body.scatter),
    `    }`,
    `  }`,
    `}`,
  ];
}
