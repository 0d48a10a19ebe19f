// Building C with gcc's AddressSanitizer and UBSan, and running Deno with those runtimes preloaded
// (zig 0.11 cannot link ASan). Deno itself is not instrumented; the preloaded libasan makes the
// instrumented libraries report any bad access made through the real FFI path.
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const decoder = new TextDecoder();

/** The repository root. */
export const ROOT: string = fileURLToPath(new URL("../..", import.meta.url));

/** gcc flags of every sanitized build. */
export const SANITIZE_FLAGS: readonly string[] = [
  "-g",
  "-O1",
  "-fsanitize=address,undefined",
  "-fno-sanitize-recover=all",
  "-fno-omit-frame-pointer",
];

function gcc(args: string[]): Promise<Deno.CommandOutput> {
  return new Deno.Command("gcc", { args, stdout: "piped", stderr: "piped" }).output();
}

/** The C files of `c/<source>`: the file itself, or every `.c` file of a folder (`host` is c/host/, `denocat` is c/denocat/). */
export function cSources(source: string): string[] {
  const path = join(ROOT, "c", source);
  if (!Deno.statSync(path).isDirectory) return [path];
  return [...Deno.readDirSync(path)]
    .filter((entry) => entry.isFile && entry.name.endsWith(".c"))
    .map((entry) => join(path, entry.name))
    .sort();
}

/** Builds `c/<source>` (a .c file, or a folder such as `host` or `denocat`) as a sanitized shared library at `output`. */
export async function buildSanitizedLibrary(source: string, output: string): Promise<void> {
  const built = await gcc([
    ...SANITIZE_FLAGS,
    "-std=c11",
    "-ffp-contract=off",
    `-I${join(ROOT, "c")}`,
    "-fPIC",
    "-shared",
    ...cSources(source),
    "-o",
    output,
    "-ldl",
    "-lpthread",
    "-lm",
  ]);
  assert.ok(built.success, decoder.decode(built.stderr));
}

/** Runs Deno with `args` under the sanitizer runtimes; fails on any sanitizer report. Returns the output. */
export async function runDenoSanitized(args: string[], env: Record<string, string>): Promise<string> {
  const runtime = async (name: string) =>
    decoder.decode((await gcc([`-print-file-name=${name}`])).stdout).trim();
  const result = await new Deno.Command(Deno.execPath(), {
    args,
    env: {
      LD_PRELOAD: `${await runtime("libasan.so")}:${await runtime("libubsan.so")}`,
      ASAN_OPTIONS: "detect_leaks=0:abort_on_error=1",
      UBSAN_OPTIONS: "halt_on_error=1:print_stacktrace=1",
      ...env,
    },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const output = decoder.decode(result.stdout) + decoder.decode(result.stderr);
  assert.ok(result.success, output);
  assert.doesNotMatch(output, /AddressSanitizer|runtime error/);
  return output;
}
