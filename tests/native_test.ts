// The C code under AddressSanitizer, UndefinedBehaviorSanitizer and LeakSanitizer (built with
// the machine's gcc, since zig 0.11 cannot link ASan), and the C layout pins themselves.
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildSanitizedLibrary, runDenoSanitized } from "./support/sanitizers.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const decoder = new TextDecoder();

Deno.test("host, trampoline and reference catalogues run clean under ASan + UBSan + LSan", async () => {
  const result = await new Deno.Command("bash", {
    args: [join(root, "tests/native/run_sanitized.sh")],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const output = decoder.decode(result.stdout) + decoder.decode(result.stderr);
  assert.ok(result.success, `run_sanitized.sh failed (needs gcc with libasan):\n${output}`);
  assert.doesNotMatch(output, /AddressSanitizer|LeakSanitizer|runtime error/);
  for (const abi of ["0.6", "0.7"]) {
    assert.match(output, new RegExp(`host_smoke ABI ${abi.replace(".", "\\.")}: \\d+ passed, 0 failed`));
    assert.match(output, new RegExp(`trampoline_smoke: ABI ${abi.replace(".", "\\.")} ok`));
    assert.match(output, new RegExp(`reference_smoke: ABI ${abi.replace(".", "\\.")} ok`));
  }
});

Deno.test("the static asserts of c/arbor_abi.h reject a wrong offset", async () => {
  const header = await Deno.readTextFile(join(root, "c/arbor_abi.h"));
  const compile = async (text: string) => {
    const folder = await Deno.makeTempDir();
    try {
      await Deno.writeTextFile(join(folder, "arbor_abi.h"), text);
      await Deno.writeTextFile(
        join(folder, "check.c"),
        '#include "arbor_abi.h"\nint main(void) { return 0; }\n',
      );
      return await new Deno.Command("gcc", {
        args: ["-std=c11", "-fsyntax-only", join(folder, "check.c")],
        stdout: "piped",
        stderr: "piped",
      }).output();
    } finally {
      await Deno.remove(folder, { recursive: true });
    }
  };
  assert.ok((await compile(header)).success, "the real header compiles");
  const wrong = header.replace("X(arb_mechanism_ppack, dt, 16)", "X(arb_mechanism_ppack, dt, 24)");
  assert.notEqual(wrong, header);
  const broken = await compile(wrong);
  assert.ok(!broken.success);
  assert.match(decoder.decode(broken.stderr), /arb_mechanism_ppack\.dt offset/);
});

Deno.test("the host, registration, safety and fuzz tests pass with ASan + UBSan builds of the C libraries", async () => {
  const folder = await Deno.makeTempDir({ prefix: "denocat-asan-" });
  try {
    await buildSanitizedLibrary("denocat", join(folder, "libdenocat.so"));
    await buildSanitizedLibrary("host", join(folder, "libdenocat_host.so"));
    const output = await runDenoSanitized(
      [
        "test",
        "-A",
        "--quiet",
        ...["host", "registration", "safety", "bad_input", "fuzz"].map((name) =>
          join(root, `tests/${name}_test.ts`)
        ),
      ],
      { DENOCAT_LIB: join(folder, "libdenocat.so"), DENOCAT_HOST_LIB: join(folder, "libdenocat_host.so") },
    );
    assert.match(output, /\d+ passed \| 0 failed/);
  } finally {
    await Deno.remove(folder, { recursive: true });
  }
});
