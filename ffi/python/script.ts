/**
 * Runs a Python script file in the embedded interpreter the way `python3 script.py args...` does:
 * as `__main__` (with `__file__`), with `sys.argv = [script, ...args]`, the script's folder first
 * on `sys.path`, `SystemExit` turned into an exit code, an uncaught exception printed as Python
 * prints it, the threads the script started waited for (non-daemon threads, and the jobs of a
 * `concurrent.futures` executor, as Python's `threading._shutdown` does when the interpreter
 * exits), and `atexit` functions run at the end. Waiting for the threads ends the interpreter's
 * threading as an exit does (an executor refuses new jobs afterwards), so run one script per
 * process, as `denocat run` does. Extra modules (such as the `denocat` module
 * of `denocat run`) are put into `sys.modules` first, so the script can import them.
 *
 * ```ts ignore
 * import { loadPython } from "./mod.ts";
 * import { runScript } from "./script.ts";
 * const code = runScript(loadPython(), "simulate.py", ["--cells", "8"]);
 * Deno.exit(code);
 * ```
 *
 * @module
 */
import type { PyObject, Python } from "./mod.ts";

/** Options of {@link runScript}. */
export interface RunScriptOptions {
  /** Modules to put into `sys.modules` before the script runs, by name. */
  modules?: Record<string, PyObject>;
  /**
   * Called (from Python) after the script ended, normally or not; when it raises, the exception
   * is printed and the exit code is 1 unless the script already failed. `denocat run` reports
   * mechanism failures that no guarded Arbor call raised this way.
   */
  finish?: PyObject;
}

// What python3 does for a script (3.9+): `__main__` is a new module whose `__file__` (and the
// code's file name) is the absolute path, sys.argv[0] stays as given, and the folder of the real
// path goes first on sys.path. The runner's own frames are cut from tracebacks.
const RUNNER = String.raw`
import atexit, builtins, importlib.machinery, os, sys, traceback, types

def _print(error, script):
    tb = error.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename != script:
        tb = tb.tb_next
    traceback.print_exception(type(error), error, tb)

def _exit_code(error):
    code = error.code
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1

def _flush():
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass

def _wait_for_threads():
    # What Python does at exit before atexit (Py_FinalizeEx: wait_for_thread_shutdown): the
    # executors' shutdown hooks, then a join of every non-daemon thread. A thread that writes the
    # results after the main code ended is not killed.
    threading = sys.modules.get("threading")
    if threading is not None:
        threading._shutdown()


def _execute(path):
    main = types.ModuleType("__main__")
    loader = importlib.machinery.SourceFileLoader("__main__", path)
    main.__dict__.update(__file__=path, __cached__=None, __loader__=loader, __spec__=None,
                         __builtins__=builtins)
    sys.modules["__main__"] = main
    code = compile(loader.get_data(path), path, "exec")  # bytes: a coding cookie is honoured
    exec(code, main.__dict__)


def run(script, args, modules, finish):
    path = os.path.abspath(script)
    sys.argv = [script] + list(args)
    sys.modules.update(modules)
    sys.path.insert(0, os.path.dirname(os.path.realpath(script)))
    code = 0
    try:
        _execute(path)
    except SystemExit as error:
        code = _exit_code(error)
    except BaseException as error:
        _print(error, path)
        code = 1
    for step in [_wait_for_threads] + ([finish] if finish is not None else []) + [atexit._run_exitfuncs]:
        try:
            step()
        except SystemExit as error:
            code = code or _exit_code(error)
        except BaseException as error:
            traceback.print_exception(type(error), error, None)
            code = code or 1
    _flush()
    return code
`;

/**
 * Runs `script` as `__main__` with `args` as `sys.argv[1:]` and returns its exit code: 0, the
 * code of `sys.exit(code)`, or 1 after printing an uncaught exception. Output goes to the
 * process's stdout and stderr through Python's own streams (flushed before returning).
 */
export function runScript(
  py: Python,
  script: string,
  args: string[],
  options: RunScriptOptions = {},
): number {
  if (typeof script !== "string" || script === "") {
    throw new TypeError("runScript: script must be the path of a Python file");
  }
  let isFile = false;
  try {
    isFile = Deno.statSync(script).isFile;
  } catch {
    // reported below
  }
  if (!isFile) throw new Error(`no Python script at ${script}: give the path of a .py file`);
  const runner = py.exec(RUNNER);
  try {
    const code = runner.item("run").call(script, args, options.modules ?? {}, options.finish ?? null);
    return code.number();
  } finally {
    runner.dispose();
  }
}
