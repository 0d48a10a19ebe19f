// The Deno that runs this test suite, as a command for subprocess tests. Under user-mode emulation
// (CI runs the suite with an aarch64 Deno under qemu-aarch64) the kernel cannot execute that binary
// directly, so DENOCAT_TEST_EMULATOR names the emulator command line to put in front of it.

/** `new Deno.Command` for this test run's own Deno, behind `$DENOCAT_TEST_EMULATOR` when set. */
export function denoCommand(args: string[], options: Omit<Deno.CommandOptions, "args"> = {}): Deno.Command {
  const emulator = (Deno.env.get("DENOCAT_TEST_EMULATOR") ?? "").split(" ").filter((word) => word !== "");
  const [program, ...prefix] = [...emulator, Deno.execPath()];
  return new Deno.Command(program, { ...options, args: [...prefix, ...args] });
}
