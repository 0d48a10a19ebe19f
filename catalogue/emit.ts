/**
 * Compiled mode, step 2: one readable C file per catalogue implementing Arbor's mechanism ABI.
 *
 * The file holds only what varies per catalogue: the parameters of `c/catalogue.h` (name, `--cpu`,
 * math, whether results are checked), each mechanism's tables, hooks and interface, and the
 * catalogue array with `get_catalogue`. Everything that is the same in every catalogue (the ABI
 * family block, the no-op hooks, the CPU check, the math helpers, the failure record) is fixed C
 * in `c/catalogue.h`, which the file includes (so does the hand-written `c/reference.c`).
 *
 * The file serves both layout families from one text: compile it with
 * `-DDENOCAT_COMPILED_ABI=6` (Arbor 0.9/0.10) or `=7` (Arbor 0.11/0.12), as `c/reference.c` is.
 * Everything it exports is what docs/abi.md prescribes: `get_catalogue`, static const tables
 * that live forever, every method pointer non-NULL (no-ops where a kernel is missing), backend
 * CPU, alignment and partition_width the vector width of the build (docs/abi.md 9), plus
 * `uint32_t denocat_abi(void)` naming the family and `denocat_cpu` / `denocat_cpu_missing`
 * (c/catalogue.h): `get_catalogue` refuses a CPU that lacks what the build needs.
 * No global mutable state: every call works on its ppack only, so it is thread safe.
 *
 * The hooks are printed from each mechanism's kernel plan by kernels/c.ts, the same plan live
 * mode prints as JavaScript (kernels/js.ts): the gathers, the symbolic cnexp update, the sums,
 * the weight and unit rules (kernels/outputs.ts) are the plan's, not this file's. The build uses
 * -ffp-contract=off. With `math: "libm"` compiled and live results agree to round-off of the
 * math library (same operations; the C library's exp and V8's Math.exp can differ in the last
 * bit); with the default `math: "inline"` exp, expm1, log and pow are c/dc_math.h's (within 1-2
 * ulp), so that the loops vectorize.
 *
 * NaN and infinite results: live mode throws; compiled code stores the value as it is (Arbor's
 * own generated code has no such check either), unless `checkFinite` (native targets) prints
 * the check, and the header's failure record gets the message template of kernels/finite.ts.
 * Events for an instance outside [0, width) are skipped instead of throwing.
 *
 * @module
 */
import {
  arbFieldRange,
  HOOK_NAMES,
  HOOK_TABLE,
  type HookName,
  ION_FLAG,
  KIND,
  type MechanismKind,
} from "../ffi/layout.ts";
import type { FieldSpec } from "../ffi/spec.ts";
import { cComment as comment, cHookName, cNumber, cString, printCHook } from "../kernels/c.ts";
import { failureTemplateC } from "../kernels/finite.ts";
import type { MathMode } from "./cpu.ts";
import { X86_VECTOR_WIDTH } from "./build.ts";
import type { PlannedCatalogue, PlannedMechanism } from "./planned.ts";

export { cString };

function fieldTable(name: string, fields: FieldSpec[]): string[] {
  if (fields.length === 0) return [];
  return [
    `static const arb_field_info ${name}[] = {`,
    ...fields.map((f, k) =>
      `    {${cString(f.name)}, ${cString(f.unit)}, ${cNumber(f.defaultValue)}, ${
        arbFieldRange(f.range).map(cNumber).join(", ")
      }}, /* [${k}] ${comment(f.key)}${f.assigned ? " (assigned)" : ""} */`
    ),
    "};",
  ];
}

/** The C enumerator of a kind: KIND's keys are Arbor's names (tests/mirrors_test.ts checks them). */
export function kindEnumerator(kind: MechanismKind): string {
  return `arb_mechanism_kind_${kind}`;
}

/** The arb_ion_info field of an ION_FLAG flag: its name in snake case (`readValence` -> `read_valence`). */
export function ionInfoField(flag: keyof typeof ION_FLAG): string {
  return flag.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
}

/** Flags that arb_ion_info has only from ABI 0.7 on (checked against the C layout table). */
export const ION_FLAGS_FROM_ABI7: ReadonlySet<keyof typeof ION_FLAG> = new Set([
  "readIntConcentration",
  "readExtConcentration",
]);

function ionTable(m: PlannedMechanism): string[] {
  if (m.plan.spec.ions.length === 0) return [];
  const lines = [`static const ion_info ${m.prefix}_ions[] = {`];
  for (const ion of m.plan.spec.ions) {
    lines.push(`    {.name = ${cString(ion.name)},`);
    let inAbi7Block = false;
    for (const [flag, bit] of Object.entries(ION_FLAG) as [keyof typeof ION_FLAG, number][]) {
      const abi7Only = ION_FLAGS_FROM_ABI7.has(flag);
      if (abi7Only !== inAbi7Block) lines.push(abi7Only ? "#if DENOCAT_COMPILED_ABI == 7" : "#endif");
      inAbi7Block = abi7Only;
      lines.push(`     .${ionInfoField(flag)} = ${ion.flags & bit ? "true" : "false"},`);
    }
    if (inAbi7Block) lines.push("#endif");
    lines.push(`     .expected_valence = ${ion.expectedValence}},`);
  }
  lines.push("};");
  return lines;
}

function emitMechanism(m: PlannedMechanism, checkFinite: boolean): string[] {
  const { prefix } = m;
  const { spec } = m.plan;
  const lines: string[] = [
    `/* ${"=".repeat(92)} */`,
    `/* ${comment(spec.name)}: ${comment(m.plan.owner)} (${comment(m.plan.at)}), kind ${spec.kind}${
      m.plan.integrated.length ? `, method ${m.plan.method}` : ""
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
  lines.push("");
  const hooks: Partial<Record<HookName, string>> = {};
  for (const hook of m.plan.hooks) {
    lines.push(...printCHook(m.plan, hook, prefix, { checkFinite }), "");
    hooks[hook.hook] = cHookName(prefix, hook);
  }
  const table = (name: string, fields: unknown[]) =>
    fields.length ? [`(arb_field_info*)${prefix}_${name}`, `${fields.length}`] : ["NULL", "0"];
  const [globals, nGlobals] = table("globals", spec.globals);
  const [states, nStates] = table("state_vars", spec.states);
  const [parameters, nParameters] = table("parameters", spec.parameters);
  lines.push(
    `static const arb_mechanism_interface ${prefix}_cpu = {`,
    `    .backend = arb_backend_kind_cpu,`,
    `    .partition_width = DC_VECTOR_BYTES / sizeof(arb_value_type),`,
    `    .alignment = DC_VECTOR_BYTES,`,
    // Every member of HOOK_TABLE, in number order; a hook without a kernel is c/catalogue.h's no-op.
    ...HOOK_NAMES.map((name) => {
      const { field, events } = HOOK_TABLE[name];
      return `    .${field} = ${hooks[name] ?? (events ? "ignore_events" : "do_nothing")},`;
    }),
    `};`,
    "",
    `static arb_mechanism_type ${prefix}_type(void) {`,
    `  arb_mechanism_type type = {`,
    `      .abi_version = ARB_ABI_VERSION_VALUE,`,
    `      .fingerprint = fingerprint,`,
    `      .name = ${cString(spec.name)},`,
    `      .kind = ${kindEnumerator(spec.kind)}, /* ${KIND[spec.kind]} */`,
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
  /** Catalogue name, shown in the header comment and the CPU refusal. */
  name: string;
  /** The math of the loops (default "inline"). */
  math?: MathMode;
  /** The `--cpu` it is built with, reported by `denocat_cpu()` (default "baseline"). */
  cpu?: string;
  /**
   * Check every kernel result for NaN and ±Infinity, as live mode does, and record the first
   * failure for denocat to throw (native targets, kernels/finite.ts); default false (compiled
   * catalogues run in Arbor without denocat and store values as they are).
   */
  checkFinite?: boolean;
}

/** What each math mode means, said beside its parameter in the generated file. */
const MATH_NOTE: Record<MathMode, string> = {
  inline: `math "inline": c/dc_math.h's exp, expm1, log and pow (the loops vectorize)`,
  libm: `math "libm": the C library's exp, expm1, log and pow (scalar loops)`,
};

/**
 * The whole C file of a catalogue: the parameters of `c/catalogue.h` (the fixed C every catalogue
 * includes), then what varies: each mechanism's tables, hooks and interface, and the catalogue.
 */
export function emitCatalogue(t: PlannedCatalogue, options: EmitOptions): string {
  const math = options.math ?? "inline";
  const checkFinite = options.checkFinite ?? false;
  const lines = [
    `/*`,
    ` * ${comment(options.name)}.c: Arbor mechanism catalogue generated by denocat's compiled mode from`,
    ` * ${comment(t.sources.join(", "))}. Do not edit: change the TypeScript and regenerate.`,
    ` *`,
    ` * Mechanisms: ${comment(t.mechanisms.map((m) => m.plan.spec.name).join(", "))}.`,
    ` *`,
    ` * Build once per Arbor ABI family (Arbor cannot tell them apart, docs/abi.md 1.2):`,
    ` *   zig cc -O3 -mcpu=<cpu> -shared -fPIC -ffp-contract=off -std=c11 -I<denocat>/c -DDENOCAT_COMPILED_ABI=7 \\`,
    ` *     [${X86_VECTOR_WIDTH} on x86_64] \\`,
    ` *     ${comment(options.name)}.c -o ${comment(options.name)}_abi07.so -lm      (Arbor 0.11, 0.12)`,
    ` *   ... -DDENOCAT_COMPILED_ABI=6 ... -o ${comment(options.name)}_abi06.so   (Arbor 0.9, 0.10)`,
    ` *`,
    ` * Every hook is printed from the kernel plan that live mode prints as JavaScript (kernels/).`,
    ...(checkFinite
      ? [
        ` * NaN or infinite kernel results stop the catalogue and are recorded for denocat to throw, as`,
        ` * live mode does. The only global mutable state is that atomic record: thread safe per ppack.`,
      ]
      : [
        ` * NaN or infinite kernel results are stored as they are (live mode throws; Arbor's own generated`,
        ` * code does not check either). No global mutable state: thread safe per ppack.`,
      ]),
    ` */`,
    "",
    `/* What c/catalogue.h builds this file with; the C that every catalogue shares is there. */`,
    `#define DC_CATALOGUE_NAME ${cString(options.name)}`,
    `#define DC_CATALOGUE_CPU ${
      cString(options.cpu ?? "baseline")
    } /* the --cpu, returned by denocat_cpu() */`,
    `#define DC_CATALOGUE_MATH_INLINE ${math === "inline" ? 1 : 0} /* ${MATH_NOTE[math]} */`,
    `#define DC_CATALOGUE_CHECK_FINITE ${checkFinite ? 1 : 0} /* ${
      checkFinite ? "record NaN and infinite results (kernels/finite.ts)" : "store every result as it is"
    } */`,
    ...(checkFinite ? [failureTemplateC()] : []),
    `#include "catalogue.h"`,
    "",
    ...t.mechanisms.flatMap((m) => emitMechanism(m, checkFinite)),
    `/* ---- the catalogue ---- */`,
    "",
    `/* Arbor reads this array once, in load_catalogue, and keeps no pointer to it. */`,
    `static const arb_mechanism catalogue[] = {`,
    ...t.mechanisms.map((m) => `    {${m.prefix}_type, ${m.prefix}_interface, no_gpu_interface},`),
    `};`,
    "",
    `void* get_catalogue(int* count) {`,
    `  if (dc_cpu_refused(count)) return NULL; /* this CPU lacks what the build needs (c/catalogue.h) */`,
    `  if (count) *count = (int)(sizeof(catalogue) / sizeof(catalogue[0]));`,
    `  return (void*)catalogue;`,
    `}`,
    "",
  ];
  return lines.join("\n");
}
