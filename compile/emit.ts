/**
 * Compiled mode, step 2: one readable C file per catalogue implementing Arbor's mechanism ABI.
 *
 * The file serves both layout families from one text: compile it with
 * `-DDENOCAT_COMPILED_ABI=6` (Arbor 0.9/0.10) or `=7` (Arbor 0.11/0.12), as `c/reference.c` is.
 * Everything it exports is what arbor-abi.md prescribes: `get_catalogue`, static const tables
 * that live forever, every method pointer non-NULL (no-ops where a kernel is missing), backend
 * CPU, alignment 8, partition_width 1, plus `uint32_t denocat_abi(void)` naming the family.
 * No global mutable state: every call works on its ppack only, so it is thread safe.
 *
 * The loops around the kernels repeat ffi/pointwise.ts operation for operation (the gather, the
 * two-evaluation cnexp with h = 0.5·(1 + |s|) and its a = 0 / b = 0 cases, euler, the current and
 * conductance sums in the same order, the 1 µV forward difference, the ×10·weight and ×weight
 * scalings, the ABI-0.6 conductivity, concentrations, reversal potentials and partial event
 * updates), and the build uses -ffp-contract=off, so compiled and live results agree to
 * round-off of the math library.
 *
 * NaN and infinite results: live mode throws; compiled code cannot, and stores the value as it
 * is (Arbor's own generated code has no such check either). Events for an instance outside
 * [0, width) are skipped instead of throwing.
 *
 * @module
 */
import { ION_FLAG, KIND } from "../ffi/layout.ts";
import { ionScopeNames, type KernelName } from "../ffi/pointwise.ts";
import type { FieldSpec } from "../ffi/spec.ts";
import {
  allowedKeys,
  cNumber,
  fieldName,
  resultGroup,
  type TranslatedMechanism,
  type Translation,
} from "./translate.ts";

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
function comment(text: string): string {
  return text.replace(/\*\//g, "* /");
}

function fieldTable(name: string, fields: FieldSpec[]): string[] {
  if (fields.length === 0) return [];
  // As c/denocat.c does: an unbounded (infinite) bound becomes -DBL_MAX / DBL_MAX.
  const low = (x: number) => (Number.isFinite(x) || Number.isNaN(x) ? cNumber(x) : "-DBL_MAX");
  const high = (x: number) => (Number.isFinite(x) || Number.isNaN(x) ? cNumber(x) : "DBL_MAX");
  return [
    `static const arb_field_info ${name}[] = {`,
    ...fields.map((f, k) =>
      `    {${cString(f.name)}, ${cString(f.unit)}, ${cNumber(f.defaultValue)}, ${low(f.range[0])}, ${
        high(f.range[1])
      }}, /* [${k}] ${comment(f.key)}${f.assigned ? " (assigned)" : ""} */`
    ),
    "};",
  ];
}

const bit = (keys: string[], key: string) => `UINT64_C(0x${(1n << BigInt(keys.indexOf(key))).toString(16)})`;

/** The per-hook gather: pointer locals (prologue) and the per-instance scope fill (body). */
function gather(
  m: TranslatedMechanism,
  indent: string,
  options: { init?: boolean } = {},
): { prologue: string[]; body: string[] } {
  const { spec } = m;
  const field = new Map(m.scope.map((s) => [s.key, s.field]));
  const U = "DC_UNUSED";
  const prologue = [
    `  const arb_size_type width = pp->width;`,
    `  const arb_index_type* ${U} node_index = pp->node_index;`,
    `  const arb_value_type* ${U} vec_v = pp->vec_v;`,
    `  const arb_value_type* ${U} temperature = pp->temperature_degC;`,
    `  const arb_value_type* ${U} diam = pp->diam_um;`,
    `  const arb_value_type* ${U} area = pp->area_um2;`,
    `  const arb_value_type* ${U} weight = pp->weight;`,
    `  const arb_index_type* ${U} peer_index = pp->peer_index;`,
    `  const double ${U} dt = pp->dt;`,
  ];
  const body = [
    `const arb_index_type n = node_index[k];`,
    `${m.prefix}_scope x;`,
    `x.v = vec_v[n];`,
    // dt is meaningless during init (garbage on Arbor 0.9/0.10): NaN makes a kernel that uses it fail.
    options.init ? `x.dt = NAN;` : `x.dt = dt;`,
    `x.celsius = temperature[n];`,
    `x.diam = diam[n];`,
    `x.area = area[n];`,
    `x.vPeer = peer_index ? vec_v[peer_index[k]] : NAN;`,
  ];
  spec.states.forEach((f, j) => {
    prologue.push(`  arb_value_type* ${U} S${j} = pp->state_vars[${j}]; /* ${comment(f.name)} */`);
    body.push(`x.${field.get(f.key)} = S${j}[k];`);
  });
  spec.parameters.forEach((f, j) => {
    prologue.push(`  const arb_value_type* ${U} P${j} = pp->parameters[${j}]; /* ${comment(f.name)} */`);
    body.push(`x.${field.get(f.key)} = P${j}[k];`);
  });
  spec.globals.forEach((f, j) => {
    prologue.push(`  const double ${U} G${j} = pp->globals[${j}]; /* ${comment(f.name)} */`);
    body.push(`x.${field.get(f.key)} = G${j};`);
  });
  spec.randoms.forEach((name, j) => {
    prologue.push(
      `  const arb_value_type* ${U} R${j} = pp->random_numbers ? pp->random_numbers[${j}] : NULL; /* ${
        comment(name)
      } */`,
    );
    body.push(`x.${field.get(name)} = R${j} ? R${j}[k] : NAN;`);
  });
  spec.ions.forEach((ion, j) => {
    const names = ionScopeNames(ion.name);
    prologue.push(
      `  ion_state* ${U} ion${j} = &((ion_state*)pp->ion_states)[${j}]; /* ${comment(ion.name)} */`,
      `  const arb_index_type* ${U} I${j} = ion${j}->index;`,
      `  arb_value_type* ${U} IC${j} = ion${j}->current_density;`,
      `  arb_value_type* ${U} IG${j} = ION_CONDUCTIVITY(ion${j});`,
      `  arb_value_type* ${U} E${j} = ion${j}->reversal_potential;`,
      `  arb_value_type* ${U} XI${j} = ion${j}->internal_concentration;`,
      `  arb_value_type* ${U} XO${j} = ion${j}->external_concentration;`,
      `  const arb_value_type* ${U} XD${j} = ion${j}->diffusive_concentration;`,
      `  const double ${U} Z${j} = ion${j}->ionic_charge ? ion${j}->ionic_charge[0] : NAN;`,
    );
    body.push(
      `const arb_index_type ${U} at${j} = I${j}[k];`,
      `x.${field.get(names.reversal)} = E${j} ? E${j}[at${j}] : NAN;`,
      `x.${field.get(names.internal)} = XI${j} ? XI${j}[at${j}] : NAN;`,
      `x.${field.get(names.external)} = XO${j} ? XO${j}[at${j}] : NAN;`,
      `x.${field.get(names.diffusive)} = XD${j} ? XD${j}[at${j}] : NAN;`,
      `x.${field.get(names.valence)} = Z${j};`,
    );
  });
  return { prologue, body: body.map((line) => indent + line) };
}

/** Stores the states a kernel returned into the state arrays (only those present). */
function storeStates(m: TranslatedMechanism, result: string, indent: string): string[] {
  const keys = allowedKeys(m.spec, "initial");
  return m.spec.states.map((f, j) =>
    `${indent}if (${result}.dc_present & ${bit(keys, f.key)}) S${j}[k] = ${result}.${fieldName(f.key)};`
  );
}

function hookInit(m: TranslatedMechanism): string[] | undefined {
  const { spec } = m;
  const kernel = m.kernels.initial;
  if (!kernel && spec.states.length === 0) return undefined;
  const { prologue, body } = gather(m, "    ", { init: true });
  const keys = allowedKeys(spec, "initial");
  const lines = [
    `/* init_mechanism: initial() per instance; states it leaves out restart from their defaults. */`,
    `static void ${m.prefix}_hook_init(arb_mechanism_ppack* pp) {`,
    ...prologue,
    `  const arb_index_type* multiplicity = pp->multiplicity;`,
    `  for (arb_size_type k = 0; k < width; ++k) {`,
    ...body,
  ];
  if (kernel) {
    lines.push(`    ${m.prefix}_out_states r = {0};`, `    ${kernel.cName}(&x, &r);`);
    spec.states.forEach((f, j) => {
      lines.push(
        `    S${j}[k] = (r.dc_present & ${bit(keys, f.key)}) ? r.${fieldName(f.key)} : ${
          cNumber(f.defaultValue)
        };`,
      );
    });
  } else {
    lines.push(`    (void)x;`);
    spec.states.forEach((f, j) => lines.push(`    S${j}[k] = ${cNumber(f.defaultValue)};`));
  }
  const scaled = spec.states.flatMap((
    f,
    j,
  ) => (f.assigned ? [] : [`      S${j}[k] *= (double)multiplicity[k];`]));
  lines.push(
    `    /* coalesced point instances stand for multiplicity[k] synapses: scale STATEs, not ASSIGNED */`,
    `    if (multiplicity) {`,
    ...scaled,
    `    }`,
    `  }`,
    `}`,
  );
  return lines;
}

function hookAdvance(m: TranslatedMechanism): string[] | undefined {
  const kernel = m.kernels.derivative;
  if (!kernel) return undefined;
  const { prologue, body } = gather(m, "    ");
  const keys = m.spec.states.map((f) => f.key);
  const lines = [
    m.method === "euler"
      ? `/* advance_state, euler: s += dt * s'. */`
      : `/* advance_state, cnexp: a second derivative() with every integrated state moved by h gives the slope a;\n` +
        ` * with s' = a*s + c, s = -c/a + (s + c/a) * exp_pade_11(a*dt) (s + c*dt when a = 0, s * pade when c = 0). */`,
    `static void ${m.prefix}_hook_advance(arb_mechanism_ppack* pp) {`,
    ...prologue,
    `  for (arb_size_type k = 0; k < width; ++k) {`,
    ...body,
    `    ${m.prefix}_out_states d = {0};`,
    `    ${kernel.cName}(&x, &d);`,
  ];
  if (m.method === "euler") {
    for (const j of m.integrated) lines.push(`    S${j}[k] = S${j}[k] + dt * d.${fieldName(keys[j])};`);
  } else {
    for (const j of m.integrated) {
      lines.push(
        `    const double s${j} = S${j}[k];`,
        `    x.${fieldName(keys[j])} = s${j} + 1.0;`,
      );
    }
    lines.push(`    ${m.prefix}_out_states e = {0};`, `    ${kernel.cName}(&x, &e);`);
    for (const j of m.integrated) {
      const f = fieldName(keys[j]);
      lines.push(
        `    {`,
        `      const double f = d.${f}, a = e.${f} - f, c = f - a * s${j};`,
        `      double s;`,
        `      if (a == 0.0) s = s${j} + c * dt;`,
        `      else if (c == 0.0) s = s${j} * ((1.0 + 0.5 * a * dt) / (1.0 - 0.5 * a * dt));`,
        `      else {`,
        `        const double ca = c / a;`,
        `        s = -ca + (s${j} + ca) * ((1.0 + 0.5 * a * dt) / (1.0 - 0.5 * a * dt));`,
        `      }`,
        `      S${j}[k] = s;`,
        `    }`,
      );
    }
  }
  lines.push(`  }`, `}`);
  return lines;
}

function hookCurrent(m: TranslatedMechanism): string[] | undefined {
  const { spec } = m;
  const kernel = m.kernels.current;
  if (!kernel) return undefined;
  const { prologue, body } = gather(m, "    ");
  const keys = allowedKeys(spec, "current");
  const has = (r: string, key: string) => `(${r}.dc_present & ${bit(keys, key)})`;
  const term = (r: string, key: string) => `(${has(r, key)} ? ${r}.${fieldName(key)} : 0.0)`;
  const currents = ["i", ...spec.ions.map((ion) => ionScopeNames(ion.name).current)];
  const conductances = ["g", ...spec.ions.map((ion) => ionScopeNames(ion.name).conductance)];
  const mask = conductances.map((g) => bit(keys, g)).join(" | ");
  const lines = [
    `/* compute_currents: I = i + sum iX and G = g + sum gX (or dI/dV by a 1 uV forward difference),`,
    ` * added with ${
      spec.kind === "density" ? "10*weight (mA/cm2 -> A/m2)" : "weight (nA, already per area)"
    }. */`,
    `static void ${m.prefix}_hook_current(arb_mechanism_ppack* pp) {`,
    ...prologue,
    `  arb_value_type* vec_i = pp->vec_i;`,
    `  arb_value_type* vec_g = pp->vec_g;`,
    `  for (arb_size_type k = 0; k < width; ++k) {`,
    ...body,
    `    ${m.prefix}_out_current c = {0};`,
    `    ${kernel.cName}(&x, &c);`,
    `    const double scale = ${spec.kind === "density" ? "10.0 * weight[k]" : "weight[k]"};`,
    `    const double I = ${currents.map((key) => term("c", key)).join(" + ")};`,
    `    double G;`,
    `    if (!(c.dc_present & (${mask}))) {`,
    `      x.v = x.v + 0.001;`,
    `      ${m.prefix}_out_current c2 = {0};`,
    `      ${kernel.cName}(&x, &c2);`,
    `      G = ((${currents.map((key) => term("c2", key)).join(" + ")}) - I) / 0.001;`,
    `    } else {`,
    `      G = ${conductances.map((key) => term("c", key)).join(" + ")};`,
    `    }`,
    `    vec_i[n] += scale * I;`,
    `    vec_g[n] += scale * G;`,
  ];
  spec.ions.forEach((ion, j) => {
    const names = ionScopeNames(ion.name);
    lines.push(
      `    if ${has("c", names.current)} IC${j}[at${j}] += scale * c.${fieldName(names.current)};`,
      `    if (IG${j} && ${has("c", names.conductance)}) IG${j}[at${j}] += 10.0 * weight[k] * c.${
        fieldName(names.conductance)
      };`,
    );
  });
  lines.push(`  }`, `}`);
  return lines;
}

function hookReversal(m: TranslatedMechanism): string[] | undefined {
  const kernel = m.kernels.reversalPotential;
  if (!kernel) return undefined;
  const { prologue, body } = gather(m, "    ");
  const keys = allowedKeys(m.spec, "reversalPotential");
  const lines = [
    `/* compute_currents of a reversal-potential mechanism: eX is assigned, unweighted. */`,
    `static void ${m.prefix}_hook_current(arb_mechanism_ppack* pp) {`,
    ...prologue,
    `  for (arb_size_type k = 0; k < width; ++k) {`,
    ...body,
    `    ${m.prefix}_out_rev r = {0};`,
    `    ${kernel.cName}(&x, &r);`,
  ];
  m.spec.ions.forEach((ion, j) => {
    if (!(ion.flags & ION_FLAG.writeRevPotential)) return;
    const key = ionScopeNames(ion.name).reversal;
    lines.push(`    if (E${j} && (r.dc_present & ${bit(keys, key)})) E${j}[at${j}] = r.${fieldName(key)};`);
  });
  lines.push(`  }`, `}`);
  return lines;
}

function hookConcentrations(m: TranslatedMechanism): string[] | undefined {
  const kernel = m.kernels.concentrations;
  if (!kernel) return undefined;
  const { prologue, body } = gather(m, "    ");
  const keys = allowedKeys(m.spec, "concentrations");
  const factor = m.spec.kind === "point" ? "1.0" : "weight[k]";
  const lines = [
    `/* write_ions: ${
      m.spec.kind === "point" ? "point writers add c unweighted" : "density writers add weight*c"
    }. */`,
    `static void ${m.prefix}_hook_ions(arb_mechanism_ppack* pp) {`,
    ...prologue,
    `  for (arb_size_type k = 0; k < width; ++k) {`,
    ...body,
    `    ${m.prefix}_out_conc r = {0};`,
    `    ${kernel.cName}(&x, &r);`,
  ];
  m.spec.ions.forEach((ion, j) => {
    const names = ionScopeNames(ion.name);
    if (ion.flags & ION_FLAG.writeIntConcentration) {
      lines.push(
        `    if (XI${j} && (r.dc_present & ${bit(keys, names.internal)})) XI${j}[at${j}] += ${factor} * r.${
          fieldName(names.internal)
        };`,
      );
    }
    if (ion.flags & ION_FLAG.writeExtConcentration) {
      lines.push(
        `    if (XO${j} && (r.dc_present & ${bit(keys, names.external)})) XO${j}[at${j}] += ${factor} * r.${
          fieldName(names.external)
        };`,
      );
    }
  });
  lines.push(`  }`, `}`);
  return lines;
}

function hookEvents(m: TranslatedMechanism): string[] | undefined {
  const kernel = m.kernels.onEvent;
  if (!kernel) return undefined;
  const { prologue, body } = gather(m, "    ");
  return [
    `/* apply_events: onEvent(x, weight) per event, in stream order; states it returns are replaced. */`,
    `static void ${m.prefix}_hook_events(arb_mechanism_ppack* pp, arb_deliverable_event_stream* stream) {`,
    `  if (!stream) return;`,
    ...prologue,
    `  for (const arb_deliverable_event_data* event = stream->begin; event != stream->end; ++event) {`,
    `    const arb_size_type k = event->mech_index;`,
    `    if (!(k < width)) continue; /* live mode throws; compiled code skips it */`,
    ...body,
    `    ${m.prefix}_out_states r = {0};`,
    `    ${kernel.cName}(&x, (double)event->weight, &r);`,
    ...storeStates(m, "r", "    "),
    `  }`,
    `}`,
  ];
}

function hookPostEvent(m: TranslatedMechanism): string[] | undefined {
  const kernel = m.kernels.onPostEvent;
  if (!kernel) return undefined;
  const { prologue, body } = gather(m, "      ");
  return [
    `/* post_event: onPostEvent(x, t) for every detector of the instance's cell that fired (t >= 0). */`,
    `static void ${m.prefix}_hook_post(arb_mechanism_ppack* pp) {`,
    ...prologue,
    `  const arb_index_type* vec_ci = pp->vec_ci;`,
    `  const arb_value_type* since = pp->time_since_spike;`,
    `  const int detectors = pp->n_detectors;`,
    `  if (!vec_ci || !since) return;`,
    `  for (arb_size_type k = 0; k < width; ++k) {`,
    `    const arb_index_type cell = vec_ci[node_index[k]];`,
    `    for (int det = 0; det < detectors; ++det) {`,
    `      const double t = since[cell * detectors + det];`,
    `      if (!(t >= 0.0)) continue;`,
    ...body,
    `      ${m.prefix}_out_states r = {0};`,
    `      ${kernel.cName}(&x, t, &r);`,
    ...storeStates(m, "r", "      "),
    `    }`,
    `  }`,
    `}`,
  ];
}

const KIND_C: Record<string, string> = {
  point: "arb_mechanism_kind_point",
  density: "arb_mechanism_kind_density",
  reversal_potential: "arb_mechanism_kind_reversal_potential",
  gap_junction: "arb_mechanism_kind_gap_junction",
  voltage: "arb_mechanism_kind_voltage",
};

function ionTable(m: TranslatedMechanism): string[] {
  if (m.spec.ions.length === 0) return [];
  const flag = (flags: number, bit: number) => (flags & bit ? "true" : "false");
  const lines = [`static const ion_info ${m.prefix}_ions[] = {`];
  for (const ion of m.spec.ions) {
    const f = ion.flags;
    lines.push(
      `    {.name = ${cString(ion.name)},`,
      `     .write_int_concentration = ${flag(f, ION_FLAG.writeIntConcentration)},`,
      `     .write_ext_concentration = ${flag(f, ION_FLAG.writeExtConcentration)},`,
      `#if DENOCAT_COMPILED_ABI == 7`,
      `     .read_int_concentration = ${flag(f, ION_FLAG.readIntConcentration)},`,
      `     .read_ext_concentration = ${flag(f, ION_FLAG.readExtConcentration)},`,
      `#endif`,
      `     .use_diff_concentration = ${flag(f, ION_FLAG.useDiffConcentration)},`,
      `     .write_rev_potential = ${flag(f, ION_FLAG.writeRevPotential)},`,
      `     .read_rev_potential = ${flag(f, ION_FLAG.readRevPotential)},`,
      `     .read_valence = ${flag(f, ION_FLAG.readValence)},`,
      `     .verify_valence = ${flag(f, ION_FLAG.verifyValence)},`,
      `     .expected_valence = ${ion.expectedValence}},`,
    );
  }
  lines.push("};");
  return lines;
}

function resultStruct(m: TranslatedMechanism, group: string, kernel: KernelName): string[] {
  const keys = allowedKeys(m.spec, kernel);
  if (keys.length > 64) throw new Error(`mechanism '${m.spec.name}': more than 64 keys in ${kernel}()`);
  return [
    `typedef struct ${m.prefix}_out_${group} {`,
    ...(keys.length ? [`  double ${keys.map(fieldName).join(", ")};`] : []),
    `  uint64_t dc_present; /* bit k set: key k was returned */`,
    `} ${m.prefix}_out_${group};`,
  ];
}

function emitMechanism(m: TranslatedMechanism): string[] {
  const { spec, prefix } = m;
  const lines: string[] = [
    `/* ${"=".repeat(92)} */`,
    `/* ${comment(spec.name)}: class ${comment(m.className)} (${comment(m.location)}), kind ${spec.kind}${
      m.kernels.derivative ? `, method ${m.method}` : ""
    } */`,
    `/* ${"=".repeat(92)} */`,
    "",
    ...fieldTable(`${prefix}_globals`, spec.globals),
    ...fieldTable(`${prefix}_state_vars`, spec.states),
    ...fieldTable(`${prefix}_parameters`, spec.parameters),
    ...ionTable(m),
  ];
  if (spec.randoms.length) {
    lines.push(
      `static const arb_random_variable_info ${prefix}_randoms[] = {`,
      ...spec.randoms.map((name, k) => `    {${cString(name)}, ${k}},`),
      "};",
    );
  }
  lines.push(
    "",
    `/* What a kernel reads: one instance's scalars. */`,
    `typedef struct ${prefix}_scope {`,
    ...m.scope.map((s) => `  double ${s.field};`),
    `} ${prefix}_scope;`,
    "",
  );
  const groups = new Map<string, KernelName>();
  for (const kernel of Object.keys(m.kernels) as KernelName[]) groups.set(resultGroup(kernel), kernel);
  for (const [group, kernel] of groups) lines.push(...resultStruct(m, group, kernel), "");
  for (const kernel of Object.values(m.kernels)) lines.push(kernel!.code, "");
  const hooks = {
    init: hookInit(m),
    advance: hookAdvance(m),
    current: hookCurrent(m) ?? hookReversal(m),
    ions: hookConcentrations(m),
    events: hookEvents(m),
    post: hookPostEvent(m),
  };
  for (const hook of Object.values(hooks)) if (hook) lines.push(...hook, "");
  const fn = (
    name: keyof typeof hooks,
    fallback: string,
  ) => (hooks[name] ? `${prefix}_hook_${name}` : fallback);
  const table = (name: string, fields: unknown[]) =>
    fields.length ? [`(arb_field_info*)${prefix}_${name}`, `${fields.length}`] : ["NULL", "0"];
  const [globals, nGlobals] = table("globals", spec.globals);
  const [states, nStates] = table("state_vars", spec.states);
  const [parameters, nParameters] = table("parameters", spec.parameters);
  lines.push(
    `static const arb_mechanism_interface ${prefix}_cpu = {`,
    `    .backend = arb_backend_kind_cpu,`,
    `    .partition_width = 1,`,
    `    .alignment = 8,`,
    `    .init_mechanism = ${fn("init", "do_nothing")},`,
    `    .compute_currents = ${fn("current", "do_nothing")},`,
    `    .apply_events = ${fn("events", "ignore_events")},`,
    `    .advance_state = ${fn("advance", "do_nothing")},`,
    `    .write_ions = ${fn("ions", "do_nothing")},`,
    `    .post_event = ${fn("post", "do_nothing")},`,
    `};`,
    "",
    `static arb_mechanism_type ${prefix}_type(void) {`,
    `  arb_mechanism_type type = {`,
    `      .abi_version = ARB_ABI_VERSION_VALUE,`,
    `      .fingerprint = fingerprint,`,
    `      .name = ${cString(spec.name)},`,
    `      .kind = ${KIND_C[spec.kind]}, /* ${KIND[spec.kind]} */`,
    `      .is_linear = ${spec.isLinear},`,
    `      .has_post_events = ${spec.hasPostEvents},`,
    `      .globals = ${globals},`,
    `      .n_globals = ${nGlobals},`,
    `      .state_vars = ${states},`,
    `      .n_state_vars = ${nStates},`,
    `      .parameters = ${parameters},`,
    `      .n_parameters = ${nParameters},`,
    `      .ions = ${spec.ions.length ? `(void*)${prefix}_ions` : "NULL"},`,
    `      .n_ions = ${spec.ions.length},`,
    `      .random_variables = ${
      spec.randoms.length ? `(arb_random_variable_info*)${prefix}_randoms` : "NULL"
    },`,
    `      .n_random_variables = ${spec.randoms.length},`,
    `  };`,
    `  return type;`,
    `}`,
    "",
    `static arb_mechanism_interface* ${prefix}_interface(void) {`,
    `  return (arb_mechanism_interface*)&${prefix}_cpu;`,
    `}`,
    "",
  );
  return lines;
}

/** Options of `emitCatalogue`. */
export interface EmitOptions {
  /** Catalogue name, shown in the header comment. */
  name: string;
}

/** The whole C file of a catalogue. */
export function emitCatalogue(t: Translation, options: EmitOptions): string {
  const lines = [
    `/*`,
    ` * ${comment(options.name)}.c: Arbor mechanism catalogue generated by denocat's compiled mode from`,
    ` * ${comment(t.sources.join(", "))}. Do not edit: change the TypeScript and regenerate.`,
    ` *`,
    ` * Mechanisms: ${comment(t.mechanisms.map((m) => m.spec.name).join(", "))}.`,
    ` *`,
    ` * Build once per Arbor ABI family (Arbor cannot tell them apart, arbor-abi.md 1.2):`,
    ` *   zig cc -O3 -shared -fPIC -ffp-contract=off -std=c11 -I<denocat>/c -DDENOCAT_COMPILED_ABI=7 \\`,
    ` *     ${comment(options.name)}.c -o ${comment(options.name)}_abi07.so -lm      (Arbor 0.11, 0.12)`,
    ` *   ... -DDENOCAT_COMPILED_ABI=6 ... -o ${comment(options.name)}_abi06.so   (Arbor 0.9, 0.10)`,
    ` *`,
    ` * Every loop repeats denocat's live pointwise runtime (ffi/pointwise.ts) operation for operation.`,
    ` * NaN or infinite kernel results are stored as they are (live mode throws; Arbor's own generated`,
    ` * code does not check either). No global mutable state: thread safe per ppack.`,
    ` */`,
    `#include "arbor_abi.h"`,
    "",
    `#include <float.h>`,
    `#include <math.h>`,
    `#include <stdint.h>`,
    "",
    `#if !defined(DENOCAT_COMPILED_ABI) || (DENOCAT_COMPILED_ABI != 6 && DENOCAT_COMPILED_ABI != 7)`,
    `#error "compile with -DDENOCAT_COMPILED_ABI=6 (Arbor 0.9/0.10) or =7 (Arbor 0.11+)"`,
    `#endif`,
    "",
    `#if DENOCAT_COMPILED_ABI == 6`,
    `typedef arb_ion_state_v06 ion_state;`,
    `typedef arb_ion_info_v06 ion_info;`,
    `#define ION_CONDUCTIVITY(ion) ((ion)->conductivity)`,
    `#else`,
    `typedef arb_ion_state_v07 ion_state;`,
    `typedef arb_ion_info_v07 ion_info;`,
    `#define ION_CONDUCTIVITY(ion) ((arb_value_type*)NULL)`,
    `#endif`,
    "",
    `#define DC_EXPORT __attribute__((visibility("default")))`,
    `#define DC_UNUSED __attribute__((unused))`,
    "",
    `DC_EXPORT void* get_catalogue(int* count);`,
    `DC_EXPORT uint32_t denocat_abi(void);`,
    "",
    `static const char fingerprint[] = "<denocat-compiled>";`,
    "",
    `/* The math library is pure apart from errno, which nothing here reads. Saying so lets the`,
    ` * compiler share rate functions between cnexp's two evaluations of derivative() (it does not`,
    ` * change any result). */`,
    ...[
      "exp",
      "expm1",
      "log",
      "log1p",
      "log2",
      "log10",
      "pow",
      "sqrt",
      "cbrt",
      "tanh",
      "sinh",
      "cosh",
      "sin",
      "cos",
      "tan",
      "asin",
      "acos",
      "atan",
      "atan2",
      "fmod",
    ]
      .map((name) =>
        `double ${name}(${
          name === "pow" || name === "atan2" || name === "fmod" ? "double, double" : "double"
        }) __attribute__((const));`
      ),
    "",
    `/* JavaScript's Math.pow / **: NaN exponents and |base| = 1 with an infinite exponent give NaN. */`,
    `static inline __attribute__((const)) double dc_pow(double a, double b) {`,
    `  if (isnan(b) || (fabs(a) == 1.0 && isinf(b))) return NAN;`,
    `  return pow(a, b);`,
    `}`,
    `/* JavaScript's Math.min / Math.max: NaN if either is NaN; -0 < +0. */`,
    `static inline __attribute__((const)) double dc_min(double a, double b) {`,
    `  if (isnan(a) || isnan(b)) return NAN;`,
    `  if (a == b) return signbit(a) ? a : b;`,
    `  return a < b ? a : b;`,
    `}`,
    `static inline __attribute__((const)) double dc_max(double a, double b) {`,
    `  if (isnan(a) || isnan(b)) return NAN;`,
    `  if (a == b) return signbit(a) ? b : a;`,
    `  return a > b ? a : b;`,
    `}`,
    `/* JavaScript's Math.sign: keeps NaN and the sign of zero. */`,
    `static inline __attribute__((const)) double dc_sign(double a) {`,
    `  return a > 0.0 ? 1.0 : a < 0.0 ? -1.0 : a;`,
    `}`,
    "",
    `static DC_UNUSED void do_nothing(arb_mechanism_ppack* pp) {`,
    `  (void)pp;`,
    `}`,
    `static DC_UNUSED void ignore_events(arb_mechanism_ppack* pp, arb_deliverable_event_stream* events) {`,
    `  (void)pp;`,
    `  (void)events;`,
    `}`,
    `/* No GPU implementation: Arbor calls i_gpu() unconditionally, NULL says there is none. */`,
    `static arb_mechanism_interface* no_gpu_interface(void) {`,
    `  return NULL;`,
    `}`,
    "",
    `/* ---- helper functions of the TypeScript modules ---- */`,
    "",
    ...t.helpers.flatMap((h) => [h, ""]),
    ...t.mechanisms.flatMap(emitMechanism),
    `/* ---- the catalogue ---- */`,
    "",
    `/* Arbor reads this array once, in load_catalogue, and keeps no pointer to it. */`,
    `static const arb_mechanism catalogue[] = {`,
    ...t.mechanisms.map((m) => `    {${m.prefix}_type, ${m.prefix}_interface, no_gpu_interface},`),
    `};`,
    "",
    `void* get_catalogue(int* count) {`,
    `  if (count) *count = (int)(sizeof(catalogue) / sizeof(catalogue[0]));`,
    `  return (void*)catalogue;`,
    `}`,
    "",
    `/* Which layout family this build speaks (hosts refuse the wrong one). */`,
    `uint32_t denocat_abi(void) {`,
    `  return DENOCAT_COMPILED_ABI;`,
    `}`,
    "",
  ];
  return lines.join("\n");
}
