// The cache listing and cleaning of native/cache.ts on a made-up cache folder: what counts as a
// download or a native build, what clean removes (and keeps), and --older-than by file times.
import assert from "node:assert/strict";
import { join } from "node:path";
import { VERSION } from "../prebuilt/manifest.ts";
import { cleanCache, formatBytes, listCache } from "./cache.ts";

const DAY = 86_400_000;
const NOW = new Date("2026-06-01T12:00:00Z");
const HASH_A = "0123456789abcdef0123456789abcdef";
const HASH_B = "fedcba9876543210fedcba9876543210";

/** A cache with this version's and an old version's download, two native builds and leftovers. */
async function madeUpCache(): Promise<string> {
  const root = await Deno.makeTempDir({ prefix: "denocat-cache-test-" });
  const file = async (path: string, bytes: number, daysAgo: number) => {
    const full = join(root, path);
    await Deno.mkdir(join(full, ".."), { recursive: true });
    await Deno.writeFile(full, new Uint8Array(bytes));
    const time = new Date(NOW.getTime() - daysAgo * DAY);
    await Deno.utime(full, time, time);
  };
  await file(`${VERSION}/x86_64-linux-gnu/libdenocat.so`, 100, 200);
  await file("0.0.1/x86_64-linux-gnu/libdenocat.so", 10, 5);
  await file(`${VERSION}/x86_64-linux-gnu/native/${HASH_A}_abi07.so`, 1000, 40);
  await file(`${VERSION}/x86_64-linux-gnu/native/${HASH_A}_abi07.c`, 200, 40);
  await file(`${VERSION}/x86_64-linux-gnu/native/${HASH_B}_abi06.so`, 2000, 2);
  // In progress: a download's temporary file and a build's source and partial output.
  await file(`${VERSION}/x86_64-linux-gnu/.libdenocat_host.so.x1y2.part`, 7, 0);
  await file(`${VERSION}/x86_64-linux-gnu/native/${HASH_B}_abi07.so.123-abcd.c`, 7, 0);
  await file(`${VERSION}/x86_64-linux-gnu/native/${HASH_B}_abi07.so.123-abcd.partial`, 7, 0);
  return root;
}

const names = (entries: { files: string[] }[]) =>
  entries.map((e) => e.files.map((f) => f.split("/").slice(-1)[0]).join("+"));

Deno.test("listCache: downloads first, then native builds with their C source, oldest first; no temporaries", async () => {
  const root = await madeUpCache();
  try {
    const entries = await listCache(root);
    assert.deepEqual(names(entries), [
      "libdenocat.so",
      "libdenocat.so",
      `${HASH_A}_abi07.so+${HASH_A}_abi07.c`,
      `${HASH_B}_abi06.so`,
    ]);
    assert.deepEqual(entries.map((e) => e.version), [VERSION, "0.0.1", VERSION, VERSION]);
    assert.deepEqual(entries.map((e) => e.bytes), [100, 10, 1200, 2000]);
    assert.equal(entries[2].modified.getTime(), NOW.getTime() - 40 * DAY);
    assert.deepEqual(await listCache(join(root, "missing")), [], "no cache folder: empty, no error");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("cleanCache: --older-than removes only what is unused that long; a dry run removes nothing", async () => {
  const root = await madeUpCache();
  try {
    const dry = await cleanCache({ root, olderThanDays: 30, dryRun: true, now: NOW });
    assert.deepEqual(names(dry), [`${HASH_A}_abi07.so+${HASH_A}_abi07.c`]);
    assert.equal((await listCache(root)).length, 4, "the dry run removed nothing");
    const old = await cleanCache({ root, olderThanDays: 30, now: NOW });
    assert.deepEqual(names(old), names(dry));
    assert.deepEqual(names(await listCache(root)), ["libdenocat.so", "libdenocat.so", `${HASH_B}_abi06.so`]);
    // Without a limit: every native build and the other version's download; this version's stays.
    const rest = await cleanCache({ root, now: NOW });
    assert.deepEqual(names(rest), ["libdenocat.so", `${HASH_B}_abi06.so`]);
    assert.equal(rest[0].version, "0.0.1");
    const left = await listCache(root);
    assert.deepEqual(left.map((e) => [e.version, e.kind]), [[VERSION, "download"]]);
    // The temporaries of work in progress were never touched.
    assert.ok(Deno.statSync(join(root, VERSION, "x86_64-linux-gnu", ".libdenocat_host.so.x1y2.part")).isFile);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("cleanCache refuses an age that is not a number of days", async () => {
  for (const bad of [-1, NaN, Infinity]) {
    await assert.rejects(cleanCache({ root: "/nonexistent", olderThanDays: bad }), /olderThanDays must be/);
  }
});

Deno.test("formatBytes", () => {
  assert.equal(formatBytes(999), "999 B");
  assert.equal(formatBytes(1500), "1.5 kB");
  assert.equal(formatBytes(12_345_678), "12.3 MB");
});
