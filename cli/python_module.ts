/**
 * The Python module `denocat` that `denocat run` gives the script: the script's own `import
 * arbor` gets the TypeScript mechanisms through `denocat.catalogue()` (or `build()`, the name
 * arbor_pycat used), and `denocat.context()` makes an Arbor context they can run in.
 *
 * No silent path: the module wraps the `arbor` calls that run mechanisms (`simulation.run`,
 * `simulation.reset`, `simulation.update`, `single_cell_model.run`), so a TypeScript hook that
 * threw, or a hook Arbor called from a worker thread, raises `denocat.MechanismError` (with the
 * TypeScript stack in its text) in the script, right where that call returns.
 *
 * @module
 */
import { abiForArborVersion, loadArbor } from "../arbor/mod.ts";
import type { AbiFamily } from "../ffi/layout.ts";
import { takePendingFailure } from "../ffi/failures.ts";
import type { Catalogue } from "../catalogue/api.ts";
import type { PyObject, Python } from "../ffi/python/mod.ts";

const MODULE_SOURCE = String.raw`
"""TypeScript mechanisms for this script (it runs under denocat run <mechanisms.ts> <script.py>).

    import arbor, denocat
    cat = denocat.catalogue()             # or denocat.build(), as with arbor_pycat
    props = arbor.neuron_cable_properties()
    props.catalogue.extend(cat, "")
    context = denocat.context()           # one thread: the mechanisms run as JavaScript
"""
import sys


class Error(Exception):
    """Base class of denocat's errors."""


class MechanismError(Error):
    """A TypeScript mechanism failed (the text has its TypeScript stack), or Arbor called it where it
    cannot run; the simulation results since then are invalid."""


class AbiError(Error):
    """The arbor module has no catalogue layout denocat knows."""


class ThreadsError(Error, ValueError):
    """More than one thread was asked for mechanisms that run as JavaScript."""


_ERRORS = {"abi": AbiError, "import": ImportError, "value": ValueError, "threads": ThreadsError}
_bridge = None  # set by denocat run: the TypeScript side
_live = True  # set by denocat run: whether the mechanisms run as JavaScript (main thread only)
layout = None  # the catalogue layout catalogue() chose: "0.6" (Arbor 0.9/0.10) or "0.7" (0.11/0.12)


def _check():
    failure = _bridge["take_failure"]()
    if failure is not None:
        raise MechanismError(failure)


def _off_main_thread(what):
    """The error for a guarded call made on a Python thread other than the main one, or None."""
    import threading
    thread = threading.current_thread()
    if thread is threading.main_thread() or isinstance(thread, threading._DummyThread):
        return None
    if not _live:
        return False  # a native catalogue runs on any thread; its failures are taken on the main thread
    return MechanismError(
        what + " was called from the Python thread " + repr(thread.name) + ": the TypeScript mechanisms "
        + ", ".join(mechanisms) + " run as JavaScript, on the main thread only, and Arbor would run them on "
        "this thread. Build and run the simulation (arbor.simulation, sim.run) on the script's main thread "
        "(denocat.context() already has one Arbor thread), or compile the mechanisms (denocat compile) to run "
        "them on any thread. Nothing was run.")


def _checked(original, what):
    # The failures are raised here, not in a helper, so that the traceback ends at this frame.
    take_failure = _bridge["take_failure"]

    def checked(self, *args, **kwargs):
        refused = _off_main_thread(what)
        if refused is False:
            return original(self, *args, **kwargs)  # JavaScript (take_failure) cannot run here
        if refused is not None:
            raise refused
        failure = take_failure()
        if failure is not None:
            raise MechanismError(failure)
        try:
            result = original(self, *args, **kwargs)
        except BaseException:
            failure = take_failure()  # a mechanism failure explains Arbor's own error: it wins
            if failure is not None:
                raise MechanismError(failure)
            raise
        failure = take_failure()
        if failure is not None:
            raise MechanismError(failure)
        return result
    checked.__name__ = getattr(original, "__name__", what)
    checked.__qualname__ = what
    checked.__doc__ = getattr(original, "__doc__", None)
    checked._denocat_checked = True
    return checked


def _thread_checked(original, what):
    # Building a simulation runs the mechanisms' init: refused up front on a Python worker thread.
    # (Failures it records are raised by the next guarded call, as on the main thread.)
    def checked(self, *args, **kwargs):
        refused = _off_main_thread(what)
        if refused:
            raise refused
        return original(self, *args, **kwargs)
    checked.__name__ = getattr(original, "__name__", what)
    checked.__qualname__ = what
    checked.__doc__ = getattr(original, "__doc__", None)
    checked._denocat_checked = True
    return checked


_GUARDED = (("simulation", ("run", "reset", "update")), ("single_cell_model", ("run",)))
_THREAD_GUARDED = (("simulation", ("__init__",)),)


def _guard(arbor):
    for guarded, wrap in ((_GUARDED, _checked), (_THREAD_GUARDED, _thread_checked)):
        for class_name, methods in guarded:
            cls = getattr(arbor, class_name, None)
            for name in methods if cls is not None else ():
                original = getattr(cls, name, None)
                if original is not None and not getattr(original, "_denocat_checked", False):
                    what = "arbor." + class_name + "(...)" if name == "__init__" else class_name + "." + name
                    setattr(cls, name, wrap(original, what))


def _result(answer):
    kind, value = answer
    if kind != "ok":
        raise _ERRORS[kind](value)
    return value


def catalogue(abi=None):
    """The Arbor catalogue of the TypeScript mechanisms, in the layout of the arbor module this script
    imported (chosen from arbor.__version__; abi="0.6" or "0.7" names it for an Arbor version denocat
    does not know, and is refused when it contradicts a known one)."""
    global layout
    loaded, layout = _result(_bridge["catalogue"](abi))
    _guard(sys.modules["arbor"])
    return loaded


build = catalogue


def context(threads=1, gpu_id=None, mpi=None, **kwargs):
    """arbor.context(threads=1, gpu_id=None[, mpi=...]): a context the mechanisms can run in. More
    threads raise ThreadsError while they run as JavaScript (on Deno's main thread only)."""
    import arbor
    if threads != 1:
        _result(_bridge["threads"](repr(threads)))
    if mpi is not None:
        kwargs["mpi"] = mpi
    return arbor.context(threads=threads, gpu_id=gpu_id, **kwargs)
`;

/** What the Python module needs from `denocat run`. */
export interface PythonModuleOptions {
  /** The catalogue of the TypeScript mechanisms. */
  catalogue: Catalogue;
  /** True while the mechanisms run as JavaScript, i.e. on Deno's main thread only. */
  live: boolean;
}

const ABIS: readonly AbiFamily[] = ["0.6", "0.7"];
const DISPATCHER_FRAME = `at dispatch (${new URL("../ffi/trampoline.ts", import.meta.url).href}:`;

/** A failure as the text of a Python exception: C's account, then the TypeScript stack. */
function failureText(failure: { message: string; error?: unknown }): string {
  if (failure.error === undefined) return failure.message;
  const error = failure.error;
  const stack = error instanceof Error ? error.stack ?? `${error.name}: ${error.message}` : String(error);
  // The frames below the hook are denocat's dispatcher and the bridge: not the user's code.
  const lines = stack.split("\n");
  const dispatcher = lines.findIndex((line) => line.trimStart().startsWith(DISPATCHER_FRAME));
  return `${failure.message}:\n${(dispatcher > 0 ? lines.slice(0, dispatcher) : lines).join("\n")}`;
}

/**
 * Builds the `denocat` module (not yet in `sys.modules`: `runScript` puts it there) for one
 * catalogue. Its TypeScript functions answer `[kind, value]`, so that Python raises exceptions
 * of its own classes instead of a bridge error.
 */
export function denocatModule(py: Python, options: PythonModuleOptions): PyObject {
  const { catalogue: cat, live } = options;
  const types = py.import("types");
  const module = types.callMethod("ModuleType", "denocat");
  types.dispose();
  module.set("mechanisms", [...cat.names]);
  module.set("_live", live);
  // Compiled under a name of its own, so that tracebacks say where these frames come from.
  const code = py.builtins.callMethod("compile", MODULE_SOURCE, "<denocat module>", "exec");
  const namespace = module.get("__dict__");
  py.builtins.callMethod("exec", code, namespace).dispose();
  code.dispose();
  namespace.dispose();
  const chooseCatalogue = (abiArgument: PyObject): [string, unknown] => {
    const requested = abiArgument.isNone ? undefined : abiArgument.toString();
    if (requested !== undefined && !ABIS.includes(requested as AbiFamily)) {
      return [
        "value",
        `denocat.catalogue(abi=${abiArgument.repr()}): use "0.6" (Arbor 0.9/0.10) or "0.7" (Arbor 0.11/0.12)`,
      ];
    }
    let version: string;
    try {
      version = py.import("arbor").get("__version__").toString();
    } catch (error) {
      return ["import", `denocat.catalogue(): cannot import arbor (${(error as Error).message})`];
    }
    const known = abiForArborVersion(version);
    if (requested !== undefined && known !== undefined && requested !== known) {
      return [
        "abi",
        `denocat.catalogue(abi="${requested}"): Arbor ${version} reads the layout "${known}", and would ` +
        `misread "${requested}" without noticing; leave abi out (it is chosen from arbor.__version__)`,
      ];
    }
    const abi = (requested as AbiFamily | undefined) ?? known;
    if (abi === undefined) {
      return [
        "abi",
        `Arbor ${version} has no catalogue layout that denocat knows (it knows Arbor 0.9 to 0.12). If this ` +
        `Arbor's mechanism ABI matches one, say which: denocat.catalogue(abi="0.7") or abi="0.6"`,
      ];
    }
    try {
      return ["ok", [loadArbor({ abi }).loadCatalogue(cat), abi]];
    } catch (error) {
      return ["abi", (error as Error).message];
    }
  };
  module.set("_bridge", {
    catalogue: chooseCatalogue,
    take_failure: () => {
      const failure = takePendingFailure();
      return failure === undefined ? null : failureText(failure);
    },
    threads: (threads: PyObject): [string, unknown] =>
      live
        ? [
          "threads",
          `denocat.context(threads=${threads.toString()}): the mechanisms ${cat.names.join(", ")} run as ` +
          `JavaScript, on Deno's main thread only, so Arbor must run them with one thread: ` +
          `denocat.context(). For more threads, compile them to a native catalogue (denocat compile).`,
        ]
        : ["ok", null],
  });
  return module;
}
