/**
 * Loading Arbor (part of arbor/mod.ts): importing `arbor` into the embedded Python, choosing the
 * catalogue layout from its version and checking its Python API.
 *
 * @module
 */
import type { AbiFamily } from "../ffi/layout.ts";
import { loadPython, type PyObject, type PythonOptions } from "../ffi/python/mod.ts";
import { ARBOR_APIS, type ArborApi, arborApiForVersion } from "./versions.ts";
import { Arbor } from "./core.ts";

/** Options of {@link loadArbor}. */
export interface ArborOptions {
  /** How to find and set up Python (library, executable, extra `sys.path` entries). */
  python?: PythonOptions;
  /**
   * The catalogue layout to use whatever `arbor.__version__` says: an explicit override for
   * unreleased or patched Arbor builds. A wrong value corrupts memory silently.
   */
  abi?: AbiFamily;
}

/** Thrown by {@link loadArbor} when `import arbor` fails (not installed, or broken). */
export class ArborUnavailableError extends Error {
  /** Creates the error. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ArborUnavailableError";
  }
}

/**
 * The catalogue layout of an Arbor version: "0.6" for 0.9.x and 0.10.x, "0.7" for 0.11.x and
 * 0.12.x, `undefined` for any other version (older ones use another ppack, newer ones are unknown).
 */
export function abiForArborVersion(version: string): AbiFamily | undefined {
  const match = /^(\d+)\.(\d+)/.exec(version);
  if (match === null || match[1] !== "0") return undefined;
  const minor = Number(match[2]);
  if (minor === 9 || minor === 10) return "0.6";
  if (minor === 11 || minor === 12) return "0.7";
  return undefined;
}

let arborInstance: Arbor | undefined;

/**
 * Imports Arbor into the embedded Python and chooses the catalogue layout from
 * `arbor.__version__` (0.9/0.10 → "0.6", 0.11/0.12 → "0.7"). Unknown versions are refused
 * unless `options.abi` names the layout. Throws {@link ArborUnavailableError} when `import arbor`
 * fails.
 */
export function loadArbor(options: ArborOptions = {}): Arbor {
  if (arborInstance !== undefined) {
    if (options.abi !== undefined && options.abi !== arborInstance.abi) {
      throw new Error(
        `Arbor is already loaded with ABI ${arborInstance.abi}; cannot switch to ${options.abi}`,
      );
    }
    return arborInstance;
  }
  const py = loadPython(options.python);
  let arbor: PyObject;
  try {
    arbor = py.import("arbor");
  } catch (cause) {
    throw new ArborUnavailableError(
      `cannot import arbor (${(cause as Error).message}); install it with "pip install arbor" for the ` +
        `Python that provides ${py.libraryPath}`,
      { cause },
    );
  }
  if (!arbor.has("__version__")) {
    // A folder named arbor on sys.path (an unpacked archive, a checkout) imports as an empty namespace package.
    const where = arbor.has("__path__") ? arbor.get("__path__").toString() : arbor.repr();
    throw new ArborUnavailableError(
      `"import arbor" found ${where}, which is not Arbor (it has no __version__): a folder named arbor on ` +
        `sys.path (PYTHONPATH, the working directory) hides the real one. Point PYTHONPATH at the site-packages ` +
        `folder that holds Arbor, or install it with "pip install arbor" for the Python that provides ` +
        py.libraryPath,
    );
  }
  const version = arbor.get("__version__").toString();
  const abi = options.abi ?? abiForArborVersion(version);
  if (abi === undefined) {
    throw new Error(
      `Arbor ${version} is not supported: denocat knows the catalogue layouts of Arbor 0.9–0.12. If ` +
        `this Arbor's mechanism ABI is known to match one, pass loadArbor({ abi: "0.6" | "0.7" }).`,
    );
  }
  arborInstance = new Arbor(py, arbor, version, abi, apiOf(arbor, version));
  return arborInstance;
}

/**
 * The API row of `version`; for a version newer than the table (loaded with an explicit `abi`),
 * the newest row. Then the module is checked against the row where that is cheap (units and
 * the clamp class), so a mismatch is an error here rather than a confusing one later.
 */
function apiOf(arbor: PyObject, version: string): ArborApi {
  const newest = Math.max(...Object.keys(ARBOR_APIS).map(Number)) as keyof typeof ARBOR_APIS;
  const api = arborApiForVersion(version) ?? ARBOR_APIS[newest];
  const problems: string[] = [];
  if (arbor.has("units") !== api.units) {
    problems.push(api.units ? "arbor.units is missing" : "arbor.units exists although 0.9 has none");
  }
  if (!arbor.has(api.clamp)) problems.push(`arbor.${api.clamp} is missing`);
  if (problems.length > 0) {
    throw new Error(
      `Arbor ${version} does not have the Python API of Arbor 0.${api.minor} that denocat expects: ` +
        `${problems.join(", ")}. Is this a patched or unreleased Arbor? See ARBOR_APIS in arbor/versions.ts.`,
    );
  }
  return api;
}

/**
 * `loadArbor()`, or the reason it is unavailable (for examples and tests that skip without
 * Arbor). Other errors (an unsupported version, no libpython) are thrown.
 */
export function tryLoadArbor(options: ArborOptions = {}): Arbor | ArborUnavailableError {
  try {
    return loadArbor(options);
  } catch (error) {
    if (error instanceof ArborUnavailableError) return error;
    throw error;
  }
}
