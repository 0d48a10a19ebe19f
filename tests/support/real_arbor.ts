/**
 * Real Arbor for the tests: which builds there are, how a subprocess uses one, and how a test that
 * needs one skips (or, under DENOCAT_REQUIRE_ARBOR=1, fails) without it.
 *
 * Where the builds come from, in order:
 * - `DENOCAT_ARBOR_SITES="0.9=DIR 0.11=DIR 0.12=DIR"`: site-packages folders that hold `arbor`, one per
 *   version (one pip install or unpacked build per version; docs/install.md, "Testing against real Arbor");
 * - otherwise the `arbor` that this run's Python imports (`pip install arbor`), as one site.
 * `DENOCAT_ARBOR_MPI_SITE` names an Arbor built with MPI, `DENOCAT_ARBOR_SIMD_SITE` a vectorized one,
 * `DENOCAT_ARBOR_BIN` a folder with `modcc` and `arbor-build-catalogue`.
 *
 * One Python per run: every subprocess gets `DENOCAT_PYTHON` and, first on `PATH`, the folder of the
 * `python3` that belongs to that libpython (tests/support/python.ts), so Deno children, `denocat run`,
 * `mpirun python3 ...` and `arbor-build-catalogue` all use the same interpreter.
 *
 * @module
 */
import { dirname, join } from "node:path";
import { pythonEnv, pythonExecutable } from "./python.ts";

/** One real Arbor build: a folder on `sys.path` that holds the `arbor` package. */
export interface ArborSite {
  /** "0.9", "0.11", "0.12": the label of DENOCAT_ARBOR_SITES, or major.minor of the version. */
  label: string;
  /** The site-packages folder. */
  site: string;
}

/** Set by .ci/run: a test that needs real Arbor (or modcc, or the MPI build) and finds none fails. */
export const REQUIRE_ARBOR: boolean = Deno.env.get("DENOCAT_REQUIRE_ARBOR") === "1";

/** The one line every skipped real-Arbor test points at. */
export const HOW_TO_GET_ARBOR =
  "no real Arbor; to get one, pip install arbor for this Python, or set DENOCAT_ARBOR_SITES to the " +
  "site-packages folders of the versions to test (docs/install.md, 'Testing against real Arbor')";

const decoder = new TextDecoder();

/** The version and site of the `arbor` that `python3` (this run's one Python) imports with `env`. */
function askArbor(env: Record<string, string> = {}): { version: string; site: string } | string {
  const script = "import arbor, os, json; print(json.dumps({'version': arbor.__version__, " +
    "'site': os.path.dirname(os.path.dirname(os.path.abspath(arbor.__file__)))}))";
  try {
    const out = new Deno.Command(pythonExecutable(), {
      args: ["-c", script],
      env: { ...pythonEnv(), ...env },
      stdout: "piped",
      stderr: "piped",
    }).outputSync();
    if (!out.success) return decoder.decode(out.stderr).trim().split("\n").at(-1) ?? "import arbor failed";
    return JSON.parse(decoder.decode(out.stdout));
  } catch (error) {
    return (error as Error).message;
  }
}

function parseSites(text: string): ArborSite[] {
  return text.split(/\s+/).filter((word) => word !== "").map((word) => {
    const at = word.indexOf("=");
    if (at <= 0) {
      throw new Error(
        `DENOCAT_ARBOR_SITES: '${word}' is not LABEL=FOLDER (for example 0.11=/tmp/arbor/0.11/site-packages)`,
      );
    }
    return { label: word.slice(0, at), site: word.slice(at + 1) };
  });
}

let cached: ArborSite[] | undefined;

/** The real Arbor builds of this run, oldest first (empty when there are none). */
export function arborSites(): ArborSite[] {
  if (cached !== undefined) return cached;
  const configured = Deno.env.get("DENOCAT_ARBOR_SITES");
  if (configured !== undefined && configured.trim() !== "") {
    cached = parseSites(configured);
    for (const { label, site } of cached) {
      try {
        Deno.statSync(join(site, "arbor"));
      } catch {
        throw new Error(`DENOCAT_ARBOR_SITES: ${label}=${site} holds no arbor package`);
      }
    }
  } else {
    const found = askArbor();
    cached = typeof found === "string"
      ? []
      : [{ label: found.version.split(".").slice(0, 2).join("."), site: found.site }];
  }
  return cached;
}

/** The newest build: what a test that needs "an Arbor", of no particular version, uses. */
export function newestSite(): ArborSite | undefined {
  const minor = (s: ArborSite) => Number(s.label.split(".")[1] ?? 0);
  return [...arborSites()].sort((a, b) => minor(a) - minor(b)).at(-1);
}

/** A folder named by an environment variable, or undefined when it is unset or does not exist. */
function envFolder(name: string): string | undefined {
  const value = Deno.env.get(name);
  if (value === undefined || value === "") return undefined;
  try {
    return Deno.statSync(value).isDirectory ? value : undefined;
  } catch {
    return undefined;
  }
}

/** The Arbor built with MPI (DENOCAT_ARBOR_MPI_SITE). */
export const mpiSite = (): string | undefined => envFolder("DENOCAT_ARBOR_MPI_SITE");
/** The vectorized Arbor (DENOCAT_ARBOR_SIMD_SITE). */
export const simdSite = (): string | undefined => envFolder("DENOCAT_ARBOR_SIMD_SITE");
/** The folder with modcc and arbor-build-catalogue (DENOCAT_ARBOR_BIN). */
export const arborBin = (): string | undefined => envFolder("DENOCAT_ARBOR_BIN");

/**
 * What a test that builds with the real modcc needs: the folder of modcc and arbor-build-catalogue,
 * and the Arbor 0.11 site they build for; `missing` says which is absent (for {@link realTest}).
 */
export function modccBuild(): { site?: ArborSite; bin?: string; missing?: string } {
  const site = arborSites().find((s) => s.label === "0.11" || s.label.startsWith("0.11."));
  const bin = arborBin();
  const missing = bin === undefined
    ? "DENOCAT_ARBOR_BIN (a folder with modcc and arbor-build-catalogue) is not set"
    : site === undefined
    ? "no Arbor 0.11 site in DENOCAT_ARBOR_SITES (arbor-build-catalogue builds for the 0.11 install)"
    : undefined;
  return { site, bin, missing };
}

/**
 * Builds the .mod files of `mods` into one catalogue with the real arbor-build-catalogue (of
 * {@link modccBuild}, which must find no `missing`), working in `folder`; returns the library's
 * path. A failed build throws with modcc's output.
 */
export async function buildWithModcc(mods: string, folder: string): Promise<string> {
  const { site, bin, missing } = modccBuild();
  if (missing !== undefined) throw new Error(missing);
  const result = await new Deno.Command(pythonExecutable(), {
    args: [join(bin!, "arbor-build-catalogue"), "modcc", mods, "--prefix", dirname(bin!)],
    cwd: folder,
    env: arborEnv(site!.site),
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!result.success) {
    const decoder = new TextDecoder();
    throw new Error(
      `arbor-build-catalogue failed:\n${decoder.decode(result.stdout)}\n${decoder.decode(result.stderr)}`,
    );
  }
  return join(folder, "modcc-catalogue.so");
}

/** The environment of a subprocess that must import `site`'s arbor with this run's one Python. */
export function arborEnv(site: string, extra: Record<string, string> = {}): Record<string, string> {
  return { ...pythonEnv(), PYTHONPATH: site, ...extra };
}

/**
 * Registers a test that needs something real (`missing` says what is missing, or undefined; what follows
 * a ";" is advice): without it the test is listed as ignored, with the reason in its name and the whole
 * sentence once on stdout; under
 * DENOCAT_REQUIRE_ARBOR=1 it runs and fails with the reason instead.
 */
export function realTest(
  name: string,
  missing: string | undefined,
  fn: () => void | Promise<void>,
  options: Omit<Deno.TestDefinition, "name" | "fn" | "ignore"> = {},
): void {
  if (missing === undefined) {
    Deno.test({ ...options, name, fn });
  } else if (REQUIRE_ARBOR) {
    Deno.test({
      ...options,
      name,
      fn: () => {
        throw new Error(`${missing}, but DENOCAT_REQUIRE_ARBOR=1 requires it`);
      },
    });
  } else {
    skipped.add(missing);
    Deno.test({ ...options, name: `${name} (skipped: ${missing.split(";")[0]})`, ignore: true, fn });
  }
}

const skipped = new Set<string>();
globalThis.addEventListener("unload", () => {
  for (const reason of skipped) console.log(`real-Arbor tests skipped: ${reason}`);
});

/**
 * One real-Arbor test per version this run has, named "[Arbor 0.11] name" (.ci/run counts them per version);
 * without any Arbor, one skipped test "[Arbor] name".
 */
export function perArborVersion(name: string, fn: (site: ArborSite) => Promise<void>): void {
  const sites = arborSites();
  if (sites.length === 0) realTest(`[Arbor] ${name}`, noArbor(), () => {});
  for (const site of sites) realTest(`[Arbor ${site.label}] ${name}`, undefined, () => fn(site));
}

/**
 * One real-Arbor test on the newest version, for behaviour that does not depend on it, named like
 * {@link perArborVersion}'s. `missing` adds a reason of the test's own to skip.
 */
export function onNewestArbor(
  name: string,
  fn: (site: ArborSite) => Promise<void>,
  missing?: (site: ArborSite) => string | undefined,
): void {
  const site = newestSite();
  const label = site ? `[Arbor ${site.label}]` : "[Arbor]";
  realTest(`${label} ${name}`, site === undefined ? noArbor() : missing?.(site), () => fn(site!));
}

/** Why `arborSites()` cannot serve (undefined when it can). */
export function noArbor(): string | undefined {
  return arborSites().length === 0 ? HOW_TO_GET_ARBOR : undefined;
}
