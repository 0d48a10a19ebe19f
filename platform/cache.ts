/**
 * What denocat keeps in its cache folder, and cleaning it (`denocat cache`). Per denocat version
 * and platform, `<root>/<version>/<target>/` holds the verified prebuilt downloads, and its
 * `native/` folder the catalogues that `catalogue({ target: "native" })` built: one library per
 * content hash, with the C source beside it. Nothing is removed on its own, because any later run
 * with the same code reuses a build; disk use grows with every changed mechanism until you clean.
 *
 * A cache hit refreshes the library's modification time, so "older than N days" means "not used
 * for N days". A process that has already opened a library keeps it (Linux and macOS keep the
 * mapping), but one that has made a catalogue and not yet loaded it into Arbor or a host fails to
 * load it: clean when no simulation is starting, or with an age. The next `catalogue()` of that
 * code builds it again.
 *
 * Only denocat's own names are touched: version folders like `0.1.0`, platform folders like
 * `x86_64-linux-gnu`, library files (`libdenocat*.so|dylib|dll`, `<hash>_<suffix>.so` and its `.c`)
 * and the temporaries of downloads and builds. A cache folder pointed at `$HOME` loses nothing else.
 *
 * @example
 * ```ts ignore
 * import { cleanCache, listCache } from "./cache.ts";
 * console.log((await listCache()).length, "entries");
 * await cleanCache({ olderThanDays: 30 });
 * ```
 *
 * @module
 */
import { join } from "node:path";
import { VERSION } from "../prebuilt/manifest.ts";
import { cacheRoot } from "./libraries.ts";

/** One thing in the cache: a prebuilt download, or a native catalogue build. */
export interface CacheEntry {
  /** The denocat version that wrote it. */
  version: string;
  /** The platform folder, e.g. `x86_64-linux-gnu`. */
  target: string;
  /**
   * `download`: a verified prebuilt library; `native`: a native catalogue build; `leftover`: a
   * temporary of a download or build that never finished (or a build's C source without its library).
   */
  kind: "download" | "native" | "leftover";
  /** Its files (a native build: the library and its C source). */
  files: string[];
  /** Bytes of all its files. */
  bytes: number;
  /** When it was written or (native builds) last used. */
  modified: Date;
}

/** `0.1.0`, `1.2.3-rc.1`: the folder of one denocat version. */
const VERSION_FOLDER = /^\d+\.\d+\.\d+(-[\w.]+)?$/;
/** `x86_64-linux-gnu`, `aarch64-macos`, `x86_64-unknown-linux-gnu`: a platform folder. */
const TARGET_FOLDER = /^[a-z0-9_]+(-[a-z0-9_]+){1,3}$/;
/** A prebuilt library, as prebuilt/manifest.ts names them. */
const DOWNLOAD = /^(lib)?denocat\w*\.(so|dylib|dll)$/;
/** A download in progress: `.<file>.<random>.part` (platform/libraries.ts). */
const DOWNLOAD_TEMPORARY = /^\.(lib)?denocat\w*\.(so|dylib|dll)\.\w+\.part$/;
/** A native build, `<hash>_<suffix>.so` (catalogue/native.ts), with `<hash>_<suffix>.c` beside it. */
const NATIVE = /^[0-9a-f]{32}_[\w.]+?\.so$/;
const NATIVE_SOURCE = /^[0-9a-f]{32}_[\w.]+?\.c$/;
/** A build in progress: `<library>.<pid>-<random>.c` and `.partial`. */
const NATIVE_TEMPORARY = /^[0-9a-f]{32}_[\w.]+?\.so\.\d+-[0-9a-f]+\.(c|partial)$/;
/** Leftovers younger than this may belong to a download or build still running. */
const LEFTOVER_AGE_MS = 86_400_000;

/** The names of the folders (`isDirectory`) or regular files (`isFile`) in `path`, sorted; none if it is missing. */
async function namesIn(path: string, kind: "isDirectory" | "isFile"): Promise<string[]> {
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(path)) if (entry[kind]) names.push(entry.name);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return names.sort();
}

const folders = (path: string) => namesIn(path, "isDirectory");
const regularFiles = (path: string) => namesIn(path, "isFile");

async function entry(
  version: string,
  target: string,
  kind: CacheEntry["kind"],
  files: string[],
): Promise<CacheEntry | undefined> {
  let bytes = 0;
  let modified: Date | undefined;
  const present: string[] = [];
  for (const file of files) {
    try {
      const info = await Deno.stat(file);
      bytes += info.size;
      present.push(file);
      // The library's time decides (its C source is written once, next to it).
      if (modified === undefined && info.mtime !== null) modified = info.mtime;
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
  }
  if (present.length === 0) return undefined;
  return { version, target, kind, files: present, bytes, modified: modified ?? new Date(0) };
}

/**
 * Everything in the cache below `root` (default: `cacheRoot()`): downloads, then native builds,
 * then leftovers, each oldest first. Files that do not have denocat's names are not listed.
 */
export async function listCache(root: string = cacheRoot()): Promise<CacheEntry[]> {
  const entries: CacheEntry[] = [];
  for (const version of (await folders(root)).filter((name) => VERSION_FOLDER.test(name))) {
    for (const target of (await folders(join(root, version))).filter((name) => TARGET_FOLDER.test(name))) {
      const folder = join(root, version, target);
      for (const name of await regularFiles(folder)) {
        const kind = DOWNLOAD.test(name)
          ? "download"
          : DOWNLOAD_TEMPORARY.test(name)
          ? "leftover"
          : undefined;
        if (kind === undefined) continue;
        const found = await entry(version, target, kind, [join(folder, name)]);
        if (found) entries.push(found);
      }
      const native = join(folder, "native");
      const names = await regularFiles(native);
      for (const name of names) {
        const source = name.replace(/\.so$/, ".c");
        let files: string[];
        let kind: CacheEntry["kind"] = "native";
        if (NATIVE.test(name)) files = [name, ...(names.includes(source) ? [source] : [])];
        else if (NATIVE_TEMPORARY.test(name)) [files, kind] = [[name], "leftover"];
        else if (NATIVE_SOURCE.test(name) && !names.includes(name.replace(/\.c$/, ".so"))) {
          [files, kind] = [[name], "leftover"];
        } else continue;
        const found = await entry(version, target, kind, files.map((file) => join(native, file)));
        if (found) entries.push(found);
      }
    }
  }
  const rank = (e: CacheEntry) => ["download", "native", "leftover"].indexOf(e.kind);
  return entries.sort((a, b) => rank(a) - rank(b) || a.modified.getTime() - b.modified.getTime());
}

/** Options of `cleanCache`. */
export interface CleanOptions {
  /** Only what has not been written or used for this many days (any number ≥ 0). */
  olderThanDays?: number;
  /** List what would be removed, remove nothing. */
  dryRun?: boolean;
  /** The cache root; default `cacheRoot()`. */
  root?: string;
  /** The time to measure ages from; default now. */
  now?: Date;
}

/**
 * Removes every native catalogue build and every download of another denocat version (this
 * version's downloads stay: they are what an offline run needs), and leftovers older than a day.
 * With `olderThanDays`, only what has not been used (downloads: written) for that long. Returns
 * what was (or, with `dryRun`, would be) removed; throws, naming the files, when a file that is
 * there cannot be removed.
 */
export async function cleanCache(options: CleanOptions = {}): Promise<CacheEntry[]> {
  const { olderThanDays, dryRun = false } = options;
  if (olderThanDays !== undefined && !(Number.isFinite(olderThanDays) && olderThanDays >= 0)) {
    throw new RangeError(`cleanCache: olderThanDays must be a number of days ≥ 0, got ${olderThanDays}`);
  }
  const now = (options.now ?? new Date()).getTime();
  const cutoff = olderThanDays === undefined ? Infinity : now - olderThanDays * 86_400_000;
  const doomed = (await listCache(options.root ?? cacheRoot())).filter((e) => {
    const age = now - e.modified.getTime();
    if (e.kind === "leftover") return age > LEFTOVER_AGE_MS && e.modified.getTime() < cutoff;
    return (e.kind === "native" || e.version !== VERSION) && e.modified.getTime() < cutoff;
  });
  if (dryRun) return doomed;
  const failures: string[] = [];
  for (const e of doomed) {
    for (const file of e.files) {
      try {
        await Deno.remove(file);
      } catch (error) {
        // Gone already (another clean, or a build that replaced it) is what was wanted.
        if (!(error instanceof Deno.errors.NotFound)) failures.push(`${file} (${(error as Error).message})`);
      }
    }
  }
  if (failures.length > 0) {
    throw new Error(`cleanCache: could not remove ${failures.join("; ")}; check the folder's permissions`);
  }
  return doomed;
}

/** `bytes` for people: `512 B`, `3.4 kB`, `12.0 MB`. */
export function formatBytes(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  const units = ["kB", "MB", "GB", "TB"];
  let value = bytes / 1000;
  let unit = 0;
  // 999.96 kB would print as "1000.0 kB": move up where the rounded value reaches 1000.
  while (value >= 999.95 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}
