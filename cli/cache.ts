/**
 * `denocat cache [list]` and `denocat cache clean [--older-than DAYS] [--dry-run]`: what the cache
 * holds, and removing native catalogue builds and old versions' downloads (platform/cache.ts).
 *
 * @module
 */
import { VERSION } from "../prebuilt/manifest.ts";
import { type CacheEntry, cleanCache, formatBytes, listCache } from "../platform/cache.ts";
import { cacheRoot } from "../platform/libraries.ts";
import { UsageError } from "./usage.ts";

const USAGE = `usage: denocat cache [list]
       denocat cache clean [--older-than DAYS] [--dry-run]

  list     the cache folder, and per denocat version and platform its downloads and native builds
  clean    remove every native catalogue build, the downloads of other denocat versions (this
           version's downloads stay: an offline run needs them), and leftovers of downloads and
           builds that never finished (when older than a day)

Options of clean:
  --older-than DAYS   only what has not been used for DAYS days (a cache hit counts as a use;
                      for a download, the day it was downloaded)
  -n, --dry-run       list what would be removed, remove nothing

Clean when no simulation is starting: a catalogue made but not yet loaded into Arbor or a host
fails to load once its library is gone (with --older-than, only long-unused ones go).

The folder is $DENOCAT_CACHE, else $XDG_CACHE_HOME/denocat, else ~/.cache/denocat.`;

/** "3 native builds (1.2 MB)" for the entries of one kind. */
function summary(entries: CacheEntry[], kind: CacheEntry["kind"]): string {
  const mine = entries.filter((e) => e.kind === kind);
  const noun = { native: "native build", download: "download", leftover: "leftover" }[kind];
  const bytes = mine.reduce((sum, e) => sum + e.bytes, 0);
  return `${mine.length} ${noun}${mine.length === 1 ? "" : "s"} (${formatBytes(bytes)})`;
}

function list(root: string, entries: CacheEntry[]): void {
  console.log(`denocat cache: ${root}`);
  const groups = new Map<string, CacheEntry[]>();
  for (const e of entries) {
    const key = `${e.version}/${e.target}`;
    const group = groups.get(key);
    if (group) group.push(e);
    else groups.set(key, [e]);
  }
  for (const [key, group] of [...groups].sort(([a], [b]) => a.localeCompare(b))) {
    const newest = group.reduce((t, e) => Math.max(t, e.modified.getTime()), 0);
    const current = key.startsWith(`${VERSION}/`) ? " (this version)" : "";
    console.log(
      `  ${key}${current}: ${summary(group, "download")}, ${summary(group, "native")}${
        group.some((e) => e.kind === "leftover") ? `, ${summary(group, "leftover")}` : ""
      }, last used ${new Date(newest).toISOString().slice(0, 10)}`,
    );
  }
  const total = entries.reduce((sum, e) => sum + e.bytes, 0);
  console.log(entries.length === 0 ? "  empty" : `total ${formatBytes(total)}`);
}

function parseClean(args: string[]): { olderThanDays?: number; dryRun: boolean } {
  let olderThanDays: number | undefined;
  let dryRun = false;
  for (let k = 0; k < args.length; k++) {
    const arg = args[k];
    if (arg === "--dry-run" || arg === "-n") dryRun = true;
    else if (arg === "--older-than") {
      const text = args[++k];
      const days = Number(text);
      if (text === undefined || text.trim() === "" || !Number.isFinite(days) || days < 0) {
        throw new UsageError(`--older-than needs a number of days ≥ 0, got ${text ?? "nothing"}`, USAGE);
      }
      olderThanDays = days;
    } else throw new UsageError(`unknown option '${arg}' of cache clean`, USAGE);
  }
  return { olderThanDays, dryRun };
}

/** Runs `denocat cache` with `args` (after the word `cache`); returns the exit code. */
export async function cache(args: string[]): Promise<number> {
  const [action = "list", ...rest] = args;
  if (action === "-h" || action === "--help") {
    console.log(USAGE);
    return 0;
  }
  const root = cacheRoot();
  if (action === "list") {
    if (rest.length > 0) throw new UsageError(`cache list takes no arguments, got '${rest[0]}'`, USAGE);
    list(root, await listCache(root));
    return 0;
  }
  if (action !== "clean") throw new UsageError(`unknown cache action '${action}'`, USAGE);
  if (rest.includes("-h") || rest.includes("--help")) {
    console.log(USAGE);
    return 0;
  }
  const { olderThanDays, dryRun } = parseClean(rest);
  const removed = await cleanCache({ root, olderThanDays, dryRun });
  for (const e of removed) console.log(`  ${dryRun ? "would remove" : "removed"} ${e.files.join(", ")}`);
  const verb = dryRun ? "would remove" : "removed";
  console.log(
    `denocat cache: ${verb} ${summary(removed, "native")}, ${summary(removed, "download")} and ${
      summary(removed, "leftover")
    }`,
  );
  return 0;
}
