/**
 * The one Python of a test run: the libpython the bridge loads (ffi/python/locate.ts: DENOCAT_PYTHON, or the
 * library of `python3` on PATH) and the executable that owns it. Subprocesses get both, so a Deno child,
 * `denocat run`, `python3 script.py` and `mpirun ... python3` all run the same interpreter.
 *
 * @module
 */
import { dirname } from "node:path";
import { locate } from "../../ffi/python/locate.ts";

let found: { library: string; executable: string } | undefined;

function python(): { library: string; executable: string } {
  if (found === undefined) {
    const located = locate({});
    found = { library: located.path, executable: located.info?.executable ?? "python3" };
  }
  return found;
}

/** The `python3` executable of this run's Python (the owner of its libpython, when there is one). */
export function pythonExecutable(): string {
  return python().executable;
}

/**
 * `DENOCAT_PYTHON` and a `PATH` that starts with the folder of this run's `python3`, for subprocesses.
 * Empty when no libpython can be found (tests that need none still run).
 */
export function pythonEnv(): Record<string, string> {
  try {
    const { library, executable } = python();
    const path = Deno.env.get("PATH") ?? "";
    return executable.includes("/")
      ? { DENOCAT_PYTHON: library, PATH: `${dirname(executable)}:${path}` }
      : { DENOCAT_PYTHON: library };
  } catch {
    return {};
  }
}
