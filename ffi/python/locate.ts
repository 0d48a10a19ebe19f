/**
 * Finding libpython: the explicit path, the python3 on PATH (sysconfig), then common system paths.
 *
 * Part of the CPython bridge; the public API is re-exported by ffi/python/mod.ts.
 *
 * @module
 */
import { dirname, join } from "node:path";
import { isFile } from "../../platform/libraries.ts";
import type { PythonOptions } from "./types.ts";
import { decoder } from "./state.ts";

// ---------------------------------------------------------------------------------------------
// Finding and loading libpython

export interface PythonInfo {
  executable: string;
  version: string;
  libdir: string | null;
  ldlibrary: string | null;
  instsoname: string | null;
  multiarch: string | null;
  base_prefix: string;
  base_exec_prefix: string;
  sites: string[];
}

export const QUERY = [
  "import json, sys, sysconfig, site",
  "v = sysconfig.get_config_var",
  "sites = list(getattr(site, 'getsitepackages', lambda: [])())",
  "user = site.getusersitepackages() if site.ENABLE_USER_SITE else None",
  "sites += [user] if user else []",
  "print(json.dumps({'executable': sys.executable, 'version': '%d.%d' % sys.version_info[:2],",
  " 'libdir': v('LIBDIR'), 'ldlibrary': v('LDLIBRARY'), 'instsoname': v('INSTSONAME'),",
  " 'multiarch': v('MULTIARCH'), 'base_prefix': sys.base_prefix,",
  " 'base_exec_prefix': sys.base_exec_prefix, 'sites': sites}))",
].join("\n");

export function askPython(executable: string): PythonInfo | string {
  try {
    const out = new Deno.Command(executable, { args: ["-c", QUERY], stdout: "piped", stderr: "piped" })
      .outputSync();
    if (!out.success) return `${executable} failed: ${decoder.decode(out.stderr).trim()}`;
    return JSON.parse(decoder.decode(out.stdout)) as PythonInfo;
  } catch (error) {
    return `${executable} could not be run (${(error as Error).message})`;
  }
}

/** Whether `path` is a file (platform/libraries.ts's check, with a permission error naming libpython). */
function isLibraryFile(path: string): boolean {
  return isFile(path, undefined, "look for libpython");
}

export function versionOfLibrary(path: string): string | undefined {
  return /python(3\.\d+)/.exec(path)?.[1];
}

/** Where the shared library of the Python that `info` describes may be (LIBDIR, then LIBDIR/<multiarch>). */
function libraryCandidates(info: PythonInfo): string[] {
  if (!info.libdir) return [];
  const dirs = [info.libdir, ...(info.multiarch ? [join(info.libdir, info.multiarch)] : [])];
  return [info.instsoname, info.ldlibrary].filter((name): name is string => !!name && !name.endsWith(".a"))
    .flatMap((name) => dirs.map((dir) => join(dir, name)));
}

/** The shared library of the Python that `info` describes, or undefined when it has none. */
export function libraryOf(info: PythonInfo): string | undefined {
  return libraryCandidates(info).find((path) => isLibraryFile(path));
}

function realPath(path: string): string {
  try {
    return Deno.realPathSync(path);
  } catch {
    return path;
  }
}

/** Whether `library` is the shared library of the Python that `info` describes (links resolved). */
export function ownsLibrary(info: PythonInfo, library: string): boolean {
  const own = libraryOf(info);
  return own !== undefined && realPath(own) === realPath(library);
}

/**
 * The executables that may own `library`: `python3.X` in the `bin/` of its installation, for the
 * `PREFIX/lib/libpython3.X.so` (pyenv, python.org, --prefix builds) and the
 * `PREFIX/lib/<multiarch>/libpython3.X.so` (Debian, Ubuntu) layouts.
 */
export function executablesNear(library: string): string[] {
  const version = versionOfLibrary(library);
  if (version === undefined) return [];
  const lib = dirname(realPath(library));
  return [join(lib, "..", "bin", `python${version}`), join(lib, "..", "..", "bin", `python${version}`)]
    .filter((path) => isLibraryFile(path));
}

export interface Located {
  path: string;
  info?: PythonInfo;
  tried: string[];
}

export function locate(options: PythonOptions): Located {
  const tried: string[] = [];
  const explicit = options.library ?? Deno.env.get("DENOCAT_PYTHON");
  if (explicit) {
    if (!isLibraryFile(explicit)) {
      throw new Error(
        `${options.library ? "options.library" : "DENOCAT_PYTHON"}=${explicit} does not name a readable file`,
      );
    }
    // The executable whose own library this is, if any: its standard library and site-packages are the
    // ones that go with the library. Another Python of the same version is not (a pyenv 3.11 beside
    // Debian's 3.11 would mix two standard libraries).
    const candidates = options.executable ? [options.executable] : [...executablesNear(explicit), "python3"];
    for (const candidate of candidates) {
      const answer = askPython(candidate);
      if (typeof answer !== "string" && ownsLibrary(answer, explicit)) {
        return { path: explicit, info: answer, tried };
      }
    }
    return { path: explicit, tried };
  }
  const executable = options.executable ?? "python3";
  const answer = askPython(executable);
  const info = typeof answer === "string" ? undefined : answer;
  if (info === undefined) tried.push(answer as string);
  else if (info.libdir) {
    const candidates = libraryCandidates(info);
    const path = candidates.find((candidate) => isLibraryFile(candidate));
    if (path !== undefined) return { path, info, tried };
    tried.push(...candidates);
    if (candidates.length === 0) tried.push(`${info.executable} (built without a shared libpython)`);
  }
  const os = Deno.build.os;
  for (let minor = 13; minor >= 8; minor--) {
    const v = `3.${minor}`;
    const names = os === "darwin"
      ? [`/opt/homebrew/lib/libpython${v}.dylib`, `/usr/local/lib/libpython${v}.dylib`]
      : [
        `/usr/lib/x86_64-linux-gnu/libpython${v}.so.1.0`,
        `/usr/lib/aarch64-linux-gnu/libpython${v}.so.1.0`,
        `/usr/lib64/libpython${v}.so.1.0`,
        `/usr/lib/libpython${v}.so.1.0`,
        `/usr/local/lib/libpython${v}.so.1.0`,
        `/usr/lib/x86_64-linux-gnu/libpython${v}.so`,
        `/usr/lib64/libpython${v}.so`,
        `/usr/local/lib/libpython${v}.so`,
      ];
    for (const path of names) {
      if (isLibraryFile(path)) return { path, info: info?.version === v ? info : undefined, tried };
      tried.push(path);
    }
  }
  throw new Error(
    "could not find libpython 3.8–3.13. Set DENOCAT_PYTHON to the path of libpython3.X.so, or put a " +
      `python3 built with --enable-shared on PATH. Tried:\n  ${tried.join("\n  ")}`,
  );
}
