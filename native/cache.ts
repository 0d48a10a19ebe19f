/**
 * What denocat keeps in its cache folder, and cleaning it (`denocat cache`). Per denocat version
 * and platform, `<root>/<version>/<target>/` holds the verified prebuilt downloads, and its
 * `native/` folder the catalogues that `catalogue({ target: "native" })` built: one library per
 * content hash, with the C source beside it. Nothing is removed on its own, because any later run
 * with the same code reuses a build; disk use grows with every changed mechanism until you clean.
 *
 * A cache hit refreshes the library's modification time, so "older than N days" means "not used
 * for N days". Removing a library that a running process has loaded is safe on Linux and macOS
 * (the process keeps its mapping); the next `catalogue()` of that code builds it again.
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
import { cacheRoot } from "./library.ts";

/** One thing in the cache: a prebuilt download, or a native catalogue build. */
export interface CacheEntry {
  /** The denocat version that wrote it. */
  version: string;
  /** The platform folder, e.g. `x86_64-linux-gnu`. */
  target: string;
  /** `download`: a verified prebuilt library; `native`: a native catalogue build. */
  kind: "download" | "native";
  /** Its files (a native build: the library and its C source). */
  files: string[];
  /** Bytes of all its files. */
  bytes: number;
  /** When it was written or (native builds) last used. */
  modified: Date;
}

async function folders(path: string): Promise<string[]> {
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(path)) if (entry.isDirectory) names.push(entry.name);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return names.sort();
}

async function regularFiles(path: string): Promise<string[]> {
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(path)) if (entry.isFile) names.push(entry.name);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return names.sort();
}

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
 * Everything in the cache below `root` (default: `cacheRoot()`), downloads first, oldest first.
 * Files of builds and downloads still in progress (temporary names) are not listed.
 */
export async function listCache(root: string = cacheRoot()): Promise<CacheEntry[]> {
  const entries: CacheEntry[] = [];
  for (const version of await folders(root)) {
    for (const target of await folders(join(root, version))) {
      const folder = join(root, version, target);
      for (const name of await regularFiles(folder)) {
        // A download in progress is written to `.<file>.<random>.part` first (native/library.ts).
        if (name.startsWith(".") || name.endsWith(".part")) continue;
        const found = await entry(version, target, "download", [join(folder, name)]);
        if (found) entries.push(found);
      }
      const native = join(folder, "native");
      const names = await regularFiles(native);
      for (const name of names) {
        // <hash>_<suffix>.so with <hash>_<suffix>.c beside it; a build in progress has longer names.
        if (!/^[0-9a-f]{32}_[\w.]+\.so$/.test(name)) continue;
        const source = name.replace(/\.so$/, ".c");
        const files = [join(native, name), ...(names.includes(source) ? [join(native, source)] : [])];
        const found = await entry(version, target, "native", files);
        if (found) entries.push(found);
      }
    }
  }
  const rank = (e: CacheEntry) => (e.kind === "download" ? 0 : 1);
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
 * version's downloads stay: they are what an offline run needs). With `olderThanDays`, only
 * those not used for that long. Returns what was (or, with `dryRun`, would be) removed.
 */
export async function cleanCache(options: CleanOptions = {}): Promise<CacheEntry[]> {
  const { olderThanDays, dryRun = false } = options;
  if (olderThanDays !== undefined && !(Number.isFinite(olderThanDays) && olderThanDays >= 0)) {
    throw new RangeError(`cleanCache: olderThanDays must be a number of days ≥ 0, got ${olderThanDays}`);
  }
  const now = (options.now ?? new Date()).getTime();
  const cutoff = olderThanDays === undefined ? Infinity : now - olderThanDays * 86_400_000;
  const doomed = (await listCache(options.root ?? cacheRoot())).filter((e) =>
    (e.kind === "native" || e.version !== VERSION) && e.modified.getTime() < cutoff
  );
  if (!dryRun) {
    for (const e of doomed) {
      for (const file of e.files) await Deno.remove(file).catch(() => {}); // gone already: fine
    }
  }
  return doomed;
}

/** `bytes` for people: `512 B`, `3.4 kB`, `12.0 MB`. */
export function formatBytes(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  const units = ["kB", "MB", "GB", "TB"];
  let value = bytes / 1000;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}
