// The catalogue targets a test can run here: "js" always, "native" when a zig is present (it is
// never installed for a test). An ARM machine without zig (CI's emulated aarch64 run) runs the js
// target of a test that compares both, and says once that it skipped the native one.
import { findZig } from "../../platform/toolchain.ts";

let said = false;

/** `["js", "native"]`, or `["js"]` with a line on stderr when no zig can build native code. */
export async function targetsHere(): Promise<("js" | "native")[]> {
  try {
    await findZig({ install: false });
    return ["js", "native"];
  } catch (error) {
    if (!said) console.error(`native target skipped (${(error as Error).message.split("\n")[0]})`);
    said = true;
    return ["js"];
  }
}
