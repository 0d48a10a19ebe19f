/**
 * The CPU a compiled catalogue is built for (`--cpu`, `CompileOptions.cpu`) and the math it uses
 * (`--math`, `CompileOptions.math`): the one list of names, their zig spellings and the checks.
 *
 * @module
 */

/** Named CPUs per architecture: the user's name and zig's `-mcpu` spelling. */
export const CPU_NAMES: Readonly<Record<"x86_64" | "aarch64", Readonly<Record<string, string>>>> = {
  x86_64: {
    baseline: "baseline",
    "x86-64-v2": "x86_64_v2",
    "x86-64-v3": "x86_64_v3",
    "x86-64-v4": "x86_64_v4",
    native: "native",
  },
  aarch64: {
    baseline: "baseline",
    "neoverse-n1": "neoverse_n1",
    "neoverse-v1": "neoverse_v1",
    "apple-m1": "apple_m1",
    a64fx: "a64fx",
    native: "native",
  },
};

/**
 * The math of a compiled catalogue's loops: `"inline"` (c/dc_math.h, vectorizes) or `"libm"`
 * (the C library, scalar).
 *
 * @example
 * ```ts
 * import { compileCatalogue, type MathMode } from "./mod.ts";
 * const math: MathMode = "libm";
 * await compileCatalogue("./examples/catalogue/hh.ts", { out: "out", math });
 * ```
 */
export type MathMode = "inline" | "libm";

/** The math modes, with what each one means (for messages and docs). */
export const MATH_MODES: Readonly<Record<MathMode, string>> = {
  inline: "c/dc_math.h's inline exp, expm1, log and pow (within 1-2 ulp of libm; loops vectorize)",
  libm: "the C library's functions (live mode's operations, to round-off of the math library; scalar loops)",
};

/** The architecture of a target triple (or of this machine when `target` is undefined). */
export function architectureOf(target: string | undefined): "x86_64" | "aarch64" {
  const arch = target === undefined ? Deno.build.arch : target.split("-")[0];
  if (arch !== "x86_64" && arch !== "aarch64") {
    throw new Error(`no CPU names for architecture '${arch}': denocat builds for x86_64 and aarch64`);
  }
  return arch;
}

/**
 * zig's `-mcpu` value for `cpu` on `target`; throws naming the choices when `cpu` is unknown
 * there, or `native` is asked for another machine's target.
 */
export function zigCpu(cpu: string, target: string | undefined): string {
  const arch = architectureOf(target);
  const names = CPU_NAMES[arch];
  if (!Object.hasOwn(names, cpu)) {
    throw new Error(`unknown CPU '${cpu}' for ${arch}: use one of ${Object.keys(names).join(", ")}`);
  }
  if (cpu === "native" && target !== undefined && arch !== Deno.build.arch) {
    throw new Error(
      `--cpu native describes this ${Deno.build.arch} machine, not the ${target} target: name the target's CPU (${
        Object.keys(names).filter((n) => n !== "native").join(", ")
      })`,
    );
  }
  return names[cpu];
}

/** Checks a math mode name. */
export function checkMath(math: string): MathMode {
  if (!Object.hasOwn(MATH_MODES, math)) {
    throw new Error(`unknown math '${math}': use ${Object.keys(MATH_MODES).join(" or ")}`);
  }
  return math as MathMode;
}
