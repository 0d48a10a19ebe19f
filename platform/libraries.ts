/**
 * Where denocat's native libraries are. This module alone decides which file is loaded (ffi/open.ts
 * opens it).
 *
 * Resolution, in order (the error lists every step when all fail):
 *
 * 1. an explicit path: `configure({ libraryDir })` (a folder holding `libdenocat.so`,
 *    `libdenocat_host.so`...), or `DENOCAT_LIB` (catalogue) / `DENOCAT_HOST_LIB` (host) in the
 *    environment (read only when `--allow-env` grants them);
 * 2. imported from a `file:` URL (a checkout): the local build `zig-out/lib/`, then the committed
 *    prebuilt file `prebuilt/<target>/` for this platform, checked against `prebuilt/manifest.ts`;
 * 3. imported from an `http(s):` URL (JSR or any URL): the prebuilt file for this platform,
 *    downloaded once from `prebuilt/<target>/` next to the module into the per-version cache
 *    folder, checked against the manifest's SHA-256 before it is opened (every time), and reused
 *    without network access afterwards;
 * 4. in a checkout, a build from source with zig 0.11 (`ZIG`, PATH, or npm into `.tools/`).
 *
 * The cache folder is `<root>/<version>/<target>/` with `<root>` = `configure({ cacheDir })`,
 * else `$DENOCAT_CACHE`, else `$XDG_CACHE_HOME/denocat`, else `$HOME/.cache/denocat`. A download
 * is written to a temporary file in that folder and renamed into place only after its size and
 * SHA-256 match, so an interrupted or tampered download never leaves a file that would be loaded.
 *
 * @module
 */
import { join, resolve, sep as SEP } from "node:path";
import { fileURLToPath } from "node:url";
import { PREBUILT_FILES, type PrebuiltFile, VERSION } from "../prebuilt/manifest.ts";
import { BUILD_OUTPUT, buildNative, IS_CHECKOUT, PACKAGE_ROOT_URL, PREBUILT_TARGETS } from "./toolchain.ts";
import { libraryFileProblem } from "./binary.ts";

/** Options of {@linkcode configure}. */
export interface LibraryOptions {
  /**
   * A folder holding denocat's native libraries for this platform (`libdenocat.so`,
   * `libdenocat_host.so`, ... or `.dylib` on macOS): used instead of every other source.
   * `undefined` removes a previously configured folder.
   */
  libraryDir?: string;
  /**
   * Root of the download cache, instead of `$DENOCAT_CACHE`, `$XDG_CACHE_HOME/denocat` or
   * `~/.cache/denocat`; files go to `<cacheDir>/<version>/<target>/`.
   */
  cacheDir?: string;
}

let configured: LibraryOptions = {};

/**
 * Tells denocat where its native libraries are, before the first `catalogue()` or
 * `Host.create()`. Without it, denocat uses `DENOCAT_LIB` / `DENOCAT_HOST_LIB`, then a local
 * build or the prebuilt library of the checkout, or downloads and caches the prebuilt library
 * for this platform when imported by URL (see the README, "Install").
 *
 * @example
 * ```ts
 * import { configure } from "./mod.ts";
 * configure({ libraryDir: "/opt/denocat/lib" }); // holds libdenocat.so and libdenocat_host.so
 * ```
 */
export function configure(options: LibraryOptions): void {
  configured = { ...configured, ...options };
}

/** File name of a shared library on this platform (`libX.so` or `libX.dylib`). */
export function sharedLibraryName(stem: string): string {
  const suffix = Deno.build.os === "darwin" ? "dylib" : Deno.build.os === "windows" ? "dll" : "so";
  return Deno.build.os === "windows" ? `${stem}.${suffix}` : `lib${stem}.${suffix}`;
}

/** The prebuilt target (zig triple) of this platform, or `undefined` if none is shipped. */
export function platformTarget(): string | undefined {
  if (Deno.build.os === "linux" && Deno.build.env === "musl") return undefined;
  return PREBUILT_TARGETS.find((t) => t.os === Deno.build.os && t.arch === Deno.build.arch)?.target;
}

export function isPermissionError(error: unknown): boolean {
  return error instanceof Deno.errors.NotCapable || error instanceof Deno.errors.PermissionDenied;
}

/** An error of a missing Deno permission, rethrown with the flag that grants it. */
export class PermissionError extends Error {
  /** The flag to add, e.g. `--allow-net=jsr.io`. */
  readonly flag: string;
  constructor(flag: string, what: string, cause: unknown) {
    super(`denocat needs ${flag} to ${what} (${(cause as Error).message ?? cause})`, { cause });
    this.name = "PermissionError";
    this.flag = flag;
  }
}

function rethrowPermission(error: unknown, flag: string, what: string): never {
  if (isPermissionError(error)) throw new PermissionError(flag, what, error);
  throw error;
}

/**
 * Whether `path` is a file; a missing read permission is an error naming `--allow-read` and saying
 * `what` the read was for.
 */
export function isFile(
  path: string,
  readFlag = `--allow-read=${path}`,
  what = "look for its native library",
): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory) return false;
    rethrowPermission(error, readFlag, what);
  }
}

/** An environment variable, or `undefined` when unset or when reading it is not permitted. */
function readEnv(name: string, notes: string[]): string | undefined {
  const state = Deno.permissions.querySync({ name: "env", variable: name }).state;
  if (state !== "granted") {
    notes.push(`${name} not read: no --allow-env=${name}`);
    return undefined;
  }
  return Deno.env.get(name) || undefined;
}

/** Hex SHA-256 of `bytes`: the digest of prebuilt/manifest.ts, and the native cache key. */
export async function sha256Hex(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

function manifestEntry(target: string, file: string): PrebuiltFile | undefined {
  return PREBUILT_FILES.find((f) => f.target === target && f.file === file);
}

/** Why `bytes` is not `entry`, or `undefined` when size and SHA-256 match. */
async function mismatch(bytes: Uint8Array<ArrayBuffer>, entry: PrebuiltFile): Promise<string | undefined> {
  if (bytes.length !== entry.size) return `size ${bytes.length} bytes, manifest says ${entry.size}`;
  const actual = await sha256Hex(bytes);
  if (actual !== entry.sha256) return `SHA-256 ${actual}, manifest says ${entry.sha256}`;
  return undefined;
}

function unknownPlatform(): Error {
  const supported = PREBUILT_TARGETS.map((t) => `${t.target} (${t.os}/${t.arch})`).join(", ");
  return new Error(
    `denocat ships no prebuilt library for this platform (${Deno.build.target}); prebuilt: ${supported}. ` +
      `Build the C libraries yourself with zig 0.11 from a checkout ("deno task build") and point ` +
      `configure({ libraryDir }) or DENOCAT_LIB / DENOCAT_HOST_LIB at them.`,
  );
}

/** The cache folder of this version and target, `<root>/<version>/<target>`. */
export function cacheFolder(target: string): string {
  return join(cacheRoot(), VERSION, target);
}

/**
 * The cache root: `configure({ cacheDir })`, else `$DENOCAT_CACHE`, else `$XDG_CACHE_HOME/denocat`,
 * else `$HOME/.cache/denocat`. Throws, saying which permission or option is missing, when none
 * can be read.
 */
export function cacheRoot(): string {
  const notes: string[] = [];
  let root = configured.cacheDir ?? readEnv("DENOCAT_CACHE", notes);
  if (root === undefined) {
    const xdg = readEnv("XDG_CACHE_HOME", notes);
    const home = xdg === undefined ? readEnv("HOME", notes) : undefined;
    if (xdg !== undefined) root = join(xdg, "denocat");
    else if (home !== undefined) root = join(home, ".cache", "denocat");
  }
  if (root === undefined) {
    throw new Error(
      `denocat cannot tell where to cache its native library (${notes.join("; ")}). Run Deno with ` +
        `--allow-env=DENOCAT_CACHE,XDG_CACHE_HOME,HOME or call configure({ cacheDir }).`,
    );
  }
  return root;
}

const downloads = new Map<string, Promise<string>>();

/** The verified cached copy of a prebuilt file, downloaded from next to the module if needed. */
function cachedPrebuilt(file: string): Promise<string> {
  let pending = downloads.get(file);
  if (pending === undefined) {
    pending = downloadPrebuilt(file);
    downloads.set(file, pending);
    pending.catch(() => downloads.delete(file));
  }
  return pending;
}

async function downloadPrebuilt(file: string): Promise<string> {
  const target = platformTarget();
  if (target === undefined) throw unknownPlatform();
  const entry = manifestEntry(target, file);
  if (entry === undefined) {
    throw new Error(`prebuilt/manifest.ts of denocat ${VERSION} lists no ${target}/${file}`);
  }
  const folder = cacheFolder(target);
  const path = join(folder, file);
  const readFlag = `--allow-read=${folder}`;
  const writeFlag = `--allow-write=${folder}`;

  let stale: string | undefined;
  if (isFile(path, readFlag)) {
    let bytes: Uint8Array<ArrayBuffer>;
    try {
      bytes = await Deno.readFile(path);
    } catch (error) {
      rethrowPermission(error, readFlag, `read its cached native library`);
    }
    stale = await mismatch(bytes, entry);
    if (stale === undefined) return path;
  }

  const url = new URL(`prebuilt/${target}/${file}`, PACKAGE_ROOT_URL);
  let response: Response;
  try {
    response = await fetch(url);
  } catch (error) {
    rethrowPermission(
      error,
      `--allow-net=${url.host}`,
      `download ${url.href} once into ${folder} (later runs use the cache and need no network)`,
    );
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw new Error(`could not download denocat's native library ${url.href}: HTTP ${response.status}`);
  }
  let bytes: Uint8Array<ArrayBuffer>;
  try {
    bytes = new Uint8Array(await response.arrayBuffer());
  } catch (cause) {
    throw new Error(`download of ${url.href} broke off: ${(cause as Error).message}`, { cause });
  }
  if (bytes.length < entry.size) {
    throw new Error(
      `incomplete download of ${url.href}: got ${bytes.length} of ${entry.size} bytes; nothing was cached, ` +
        `run again to retry`,
    );
  }
  const wrong = await mismatch(bytes, entry);
  if (wrong !== undefined) {
    throw new Error(
      `checksum mismatch for ${url.href}: ${wrong}. The file is not what denocat ${VERSION} was published ` +
        `with; it was not loaded and nothing was cached.`,
    );
  }

  try {
    await Deno.mkdir(folder, { recursive: true });
  } catch (error) {
    rethrowPermission(error, writeFlag, `create its cache folder`);
  }
  let temporary: string | undefined;
  try {
    temporary = await Deno.makeTempFile({ dir: folder, prefix: `.${file}.`, suffix: ".part" });
    await Deno.writeFile(temporary, bytes);
    await Deno.rename(temporary, path); // atomic: the cache only ever holds verified files
    temporary = undefined;
  } catch (error) {
    rethrowPermission(error, writeFlag, `write its native library into the cache`);
  } finally {
    if (temporary !== undefined) await Deno.remove(temporary).catch(() => {});
  }
  if (stale !== undefined) console.error(`denocat: replaced a damaged cached ${path} (${stale})`);
  return path;
}

let buildAttempt: Promise<void> | undefined;

/**
 * Returns the path of one of denocat's native libraries (see the module documentation for the
 * order in which it is looked for).
 *
 * @param stem library name without prefix and suffix, e.g. `"denocat"` or `"denocat_host"`
 * @param envOverride environment variable that may hold an explicit path
 */
export async function resolveLibrary(stem: string, envOverride?: string): Promise<string> {
  const file = sharedLibraryName(stem);
  const tried: string[] = [];

  // 1. explicit
  if (configured.libraryDir !== undefined) {
    const path = join(configured.libraryDir, file);
    if (!isFile(path)) throw new Error(`configure({ libraryDir }): ${path} is not a file`);
    checkLibraryFile(path, "configure({ libraryDir }): ");
    return path;
  }
  tried.push("configure({ libraryDir }): not set");
  if (envOverride !== undefined) {
    const notes: string[] = [];
    const explicit = readEnv(envOverride, notes);
    if (explicit !== undefined) {
      if (!isFile(explicit)) throw new Error(`${envOverride}=${explicit} does not name a readable file`);
      checkLibraryFile(explicit, `${envOverride}=`);
      return explicit;
    }
    tried.push(notes[0] ?? `${envOverride}: not set`);
  }

  const target = platformTarget();
  if (!IS_CHECKOUT) {
    // 3. imported by URL: download into the cache (errors there are final and specific)
    try {
      return await cachedPrebuilt(file);
    } catch (cause) {
      if (cause instanceof PermissionError) throw cause;
      tried.push(`download of the prebuilt library: ${(cause as Error).message}`);
      tried.push(`build from source: not possible, denocat was imported from ${PACKAGE_ROOT_URL.href}`);
      throw notFound(file, tried, cause);
    }
  }

  // 2. checkout: local build, then the committed prebuilt file
  const local = join(BUILD_OUTPUT, file);
  if (isFile(local)) {
    checkLibraryFile(local, "the local build ");
    return local;
  }
  tried.push(`local build ${local}: missing`);
  if (target === undefined) {
    tried.push(`prebuilt library: ${unknownPlatform().message}`);
  } else {
    const prebuilt = fileURLToPath(new URL(`prebuilt/${target}/${file}`, PACKAGE_ROOT_URL));
    const entry = manifestEntry(target, file);
    if (!isFile(prebuilt) || entry === undefined) {
      tried.push(`prebuilt library ${prebuilt}: missing`);
    } else {
      const wrong = await mismatch(await Deno.readFile(prebuilt), entry);
      if (wrong === undefined) return prebuilt;
      tried.push(`prebuilt library ${prebuilt}: does not match prebuilt/manifest.ts (${wrong})`);
    }
  }

  // 4. build from source with zig
  buildAttempt ??= buildNative({ quiet: true });
  try {
    await buildAttempt;
    if (isFile(local)) return local;
    tried.push(`zig build: finished, but ${local} is still missing`);
  } catch (cause) {
    tried.push(`zig build: ${(cause as Error).message}`);
    throw notFound(file, tried, cause);
  }
  throw notFound(file, tried);
}

function notFound(file: string, tried: string[], cause?: unknown): Error {
  return new Error(
    `could not find denocat's native library ${file} for ${Deno.build.target}. Tried, in order:\n` +
      tried.map((step, k) => `  ${k + 1}. ${step}`).join("\n"),
    { cause },
  );
}

/**
 * Refuses a file that dlopen would crash on or misreport: the loader maps the segments its
 * headers describe, so a truncated library kills the process with SIGBUS inside dlopen. The ELF
 * or Mach-O headers are checked against the file's size first; `label` (such as
 * `"DENOCAT_LIB="`) says where the path came from.
 */
export function checkLibraryFile(path: string, label = ""): void {
  let problem: string | undefined;
  try {
    problem = libraryFileProblem(path);
  } catch (error) {
    if (isPermissionError(error)) rethrowPermission(error, `--allow-read=${path}`, "check a library file");
    throw new Error(`cannot read the library ${label}${path}: ${(error as Error).message}`, { cause: error });
  }
  if (problem !== undefined) {
    throw new Error(`${label}${path} cannot be loaded: ${problem}. ${rebuildAdvice(path)}.`);
  }
}

/**
 * What rebuilds the library at `path`: `deno task build` makes zig-out/lib of a checkout, but a
 * file in the cache folder (a download, a native build) is made again only once it is gone.
 */
export function rebuildAdvice(path: string): string {
  let inCache = false;
  try {
    const root = resolve(cacheRoot());
    inCache = resolve(path).startsWith(root + SEP);
  } catch {
    // no cache folder can be named (no HOME): not in it
  }
  return inCache
    ? `It is in denocat's cache folder: remove it (or run "denocat cache clean"), and denocat downloads or ` +
      `builds it again`
    : `Rebuild or reinstall it (for denocat's own libraries in a checkout: "deno task build")`;
}

/** Runs `action` (file work in the system temp folder), naming the flags a permission error needs. */
export function withTempPermissions<T>(action: () => T): T {
  try {
    return action();
  } catch (error) {
    rethrowPermission(
      error,
      "--allow-read and --allow-write of the system temp folder",
      "give each catalogue its private copy of libdenocat",
    );
  }
}
