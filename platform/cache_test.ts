// The cache listing and cleaning of platform/cache.ts on a made-up cache folder: what counts as a
// download, a native build or a leftover, what clean removes and keeps (never a file without
// denocat's names), --older-than by file times, and a removal that fails.
import assert from "node:assert/strict";
import { join } from "node:path";
import { VERSION } from "../prebuilt/manifest.ts";
import { cleanCache, formatBytes, listCache } from "./cache.ts";

const DAY = 86_400_000;
const NOW = new Date("2026-06-01T12:00:00Z");
const HASH_A = "0123456789abcdef0123456789abcdef";
const HASH_B = "fedcba9876543210fedcba9876543210";
const HASH_C = "00000000000000000000000000000000";
const FOREIGN = [
  "projects/notes/README.md",
  `${VERSION}/x86_64-linux-gnu/README.md`,
  `${VERSION}/x86_64-linux-gnu/native/plot.svg`,
  "0.0.1/x86_64-linux-gnu/native/libsomething.so",
  "0.0.2/My Documents/libdenocat.so",
];

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
  // In progress (younger than a day): a download's temporary file and a build's source and output.
  await file(`${VERSION}/x86_64-linux-gnu/.libdenocat_host.so.x1y2.part`, 7, 0);
  await file(`${VERSION}/x86_64-linux-gnu/native/${HASH_B}_abi07.so.123-abcd.c`, 7, 0);
  await file(`${VERSION}/x86_64-linux-gnu/native/${HASH_B}_abi07.so.123-abcd.partial`, 7, 0);
  // Left behind by a build killed two days ago, and a C source whose library is gone.
  await file(`${VERSION}/x86_64-linux-gnu/native/${HASH_A}_abi06.so.99-0f0f.partial`, 5, 2);
  await file(`${VERSION}/x86_64-linux-gnu/native/${HASH_C}_abi07.c`, 3, 3);
  // Not denocat's: a cache folder pointed at a home folder must lose none of these.
  for (const stranger of FOREIGN) await file(stranger, 1, 400);
  return root;
}

const names = (entries: { files: string[] }[]) =>
  entries.map((e) => e.files.map((f) => f.split("/").slice(-1)[0]).join("+"));

Deno.test("listCache: downloads, native builds with their C source, leftovers, oldest first; nothing foreign", async () => {
  const root = await madeUpCache();
  try {
    const entries = await listCache(root);
    assert.deepEqual(names(entries), [
      "libdenocat.so",
      "libdenocat.so",
      `${HASH_A}_abi07.so+${HASH_A}_abi07.c`,
      `${HASH_B}_abi06.so`,
      `${HASH_C}_abi07.c`,
      `${HASH_A}_abi06.so.99-0f0f.partial`,
      ".libdenocat_host.so.x1y2.part",
      `${HASH_B}_abi07.so.123-abcd.c`,
      `${HASH_B}_abi07.so.123-abcd.partial`,
    ]);
    assert.deepEqual(entries.slice(0, 4).map((e) => e.version), [VERSION, "0.0.1", VERSION, VERSION]);
    assert.deepEqual(entries.map((e) => e.kind), [
      "download",
      "download",
      "native",
      "native",
      "leftover",
      "leftover",
      "leftover",
      "leftover",
      "leftover",
    ]);
    assert.deepEqual(entries.slice(0, 4).map((e) => e.bytes), [100, 10, 1200, 2000]);
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
    assert.equal((await listCache(root)).length, 9, "the dry run removed nothing");
    const old = await cleanCache({ root, olderThanDays: 30, now: NOW });
    assert.deepEqual(names(old), names(dry));
    assert.equal((await listCache(root)).length, 8);
    // Without a limit: every native build, the other version's download and the leftovers older
    // than a day; this version's download and the temporaries of work in progress stay.
    const rest = await cleanCache({ root, now: NOW });
    assert.deepEqual(names(rest), [
      "libdenocat.so",
      `${HASH_B}_abi06.so`,
      `${HASH_C}_abi07.c`,
      `${HASH_A}_abi06.so.99-0f0f.partial`,
    ]);
    assert.equal(rest[0].version, "0.0.1");
    assert.deepEqual(names(await listCache(root)), [
      "libdenocat.so",
      ".libdenocat_host.so.x1y2.part",
      `${HASH_B}_abi07.so.123-abcd.c`,
      `${HASH_B}_abi07.so.123-abcd.partial`,
    ]);
    for (const stranger of FOREIGN) {
      assert.ok(Deno.statSync(join(root, stranger)).isFile, `${stranger} is kept`);
    }
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("cleanCache refuses an age that is not a number of days", async () => {
  for (const bad of [-1, NaN, Infinity]) {
    await assert.rejects(cleanCache({ root: "/nonexistent", olderThanDays: bad }), /olderThanDays must be/);
  }
});

// A folder without write permission stops removal for everyone except root, who is not asked: as
// root (CI's containers) this test is reported as ignored, not passed.
Deno.test({
  name: "cleanCache names a file it cannot remove (not run as root)",
  ignore: Deno.uid() === 0,
  fn: async () => {
    const root = await madeUpCache();
    const native = join(root, VERSION, "x86_64-linux-gnu", "native");
    try {
      await Deno.chmod(native, 0o500);
      await assert.rejects(
        cleanCache({ root, now: NOW }),
        /could not remove .*_abi0[67]\.so \(.*permissions/,
      );
    } finally {
      await Deno.chmod(native, 0o700);
      await Deno.remove(root, { recursive: true });
    }
  },
});

Deno.test("formatBytes", () => {
  assert.equal(formatBytes(999), "999 B");
  assert.equal(formatBytes(1500), "1.5 kB");
  assert.equal(formatBytes(999_960), "1.0 MB");
  assert.equal(formatBytes(12_345_678), "12.3 MB");
});
