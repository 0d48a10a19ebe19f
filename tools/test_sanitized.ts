/**
 * `deno task test:sanitized`: the whole TypeScript suite (the test files of deno.json's
 * `test.include`, tests/support/test_files.ts) against AddressSanitizer + UBSan builds of
 * c/denocat/ and c/host/ (gcc; zig 0.11 cannot link ASan), with the sanitizer runtimes preloaded
 * into Deno. Fails on any failed test or any sanitizer report. tests/native_test.ts is left out:
 * it builds and runs its own sanitized libraries, which would nest one sanitized run in another.
 * Extra arguments are passed to `deno test` (for example a single test file instead of the whole suite).
 *
 * @module
 */
import { join } from "node:path";
import { buildSanitizedLibrary, ROOT, runDenoSanitized } from "../tests/support/sanitizers.ts";
import { suiteTestFiles } from "../tests/support/test_files.ts";

const folder = await Deno.makeTempDir({ prefix: "denocat-asan-suite-" });
try {
  await buildSanitizedLibrary("denocat", join(folder, "libdenocat.so"));
  await buildSanitizedLibrary("host", join(folder, "libdenocat_host.so"));
  const files = Deno.args.length > 0 ? Deno.args : suiteTestFiles()
    .filter((file) => file !== "tests/native_test.ts")
    .map((file) => join(ROOT, file));
  const output = await runDenoSanitized(["test", "-A", ...files], {
    DENOCAT_LIB: join(folder, "libdenocat.so"),
    DENOCAT_HOST_LIB: join(folder, "libdenocat_host.so"),
  });
  const summary = output.split("\n").filter((line) => /passed .* failed/.test(line)).at(-1);
  console.log(
    `sanitized suite: ${
      summary?.replace(new RegExp(String.fromCharCode(27) + "\\[[0-9;]*m", "g"), "").trim()
    }`,
  );
} catch (error) {
  console.error((error as Error).message);
  Deno.exitCode = 1;
} finally {
  await Deno.remove(folder, { recursive: true });
}
