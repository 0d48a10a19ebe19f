// Distribution: the committed prebuilt libraries (format, architecture, exports, and that they are
// what build:all makes from this source), the JSR package (publish dry run), and an import of
// mod.ts by http URL end to end: download into an empty cache, a second run offline from the
// cache, a tampered and a truncated download, and missing permissions.
import assert from "node:assert/strict";
import { join } from "node:path";
import { PREBUILT_FILES, VERSION } from "../prebuilt/manifest.ts";
import { platformTarget, sha256Hex } from "../platform/libraries.ts";
import { findZig, LIBRARY_STEMS, PREBUILT_TARGETS, REPOSITORY_ROOT } from "../platform/toolchain.ts";
import { buildAll, packageVersion, PREBUILT_FOLDER } from "../tools/build_all.ts";

const DENO = Deno.execPath();
const decoder = new TextDecoder();

// ---------------------------------------------------------------------------------------------
// Minimal readers of the two object formats: machine and defined exported symbol names.

interface ObjectInfo {
  format: "elf" | "macho";
  machine: "x86_64" | "aarch64" | string;
  exports: Set<string>;
}

function cString(bytes: Uint8Array, offset: number): string {
  let end = offset;
  while (end < bytes.length && bytes[end] !== 0) end++;
  return decoder.decode(bytes.subarray(offset, end));
}

function readElf(bytes: Uint8Array): ObjectInfo {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  assert.equal(bytes[4], 2, "ELFCLASS64");
  assert.equal(bytes[5], 1, "little endian");
  const eMachine = view.getUint16(18, true);
  const machine = eMachine === 62 ? "x86_64" : eMachine === 183 ? "aarch64" : `e_machine ${eMachine}`;
  const shoff = Number(view.getBigUint64(0x28, true));
  const shentsize = view.getUint16(0x3a, true);
  const shnum = view.getUint16(0x3c, true);
  const section = (k: number) => {
    const at = shoff + k * shentsize;
    return {
      type: view.getUint32(at + 4, true),
      offset: Number(view.getBigUint64(at + 0x18, true)),
      size: Number(view.getBigUint64(at + 0x20, true)),
      link: view.getUint32(at + 0x28, true),
      entsize: Number(view.getBigUint64(at + 0x38, true)),
    };
  };
  const exports = new Set<string>();
  for (let k = 0; k < shnum; k++) {
    const s = section(k);
    if (s.type !== 11) continue; // SHT_DYNSYM
    const strtab = section(s.link);
    for (let at = s.offset; at + 24 <= s.offset + s.size; at += s.entsize || 24) {
      const name = view.getUint32(at, true);
      const bind = bytes[at + 4] >> 4;
      const shndx = view.getUint16(at + 6, true);
      if (shndx !== 0 && (bind === 1 || bind === 2)) exports.add(cString(bytes, strtab.offset + name));
    }
  }
  return { format: "elf", machine, exports };
}

function readMachO(bytes: Uint8Array): ObjectInfo {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const cputype = view.getUint32(4, true);
  const machine = cputype === 0x01000007
    ? "x86_64"
    : cputype === 0x0100000c
    ? "aarch64"
    : `cputype ${cputype}`;
  const ncmds = view.getUint32(16, true);
  const exports = new Set<string>();
  let at = 32; // mach_header_64
  for (let k = 0; k < ncmds; k++) {
    const cmd = view.getUint32(at, true);
    const cmdsize = view.getUint32(at + 4, true);
    if (cmd === 0x2) { // LC_SYMTAB
      const symoff = view.getUint32(at + 8, true);
      const nsyms = view.getUint32(at + 12, true);
      const stroff = view.getUint32(at + 16, true);
      for (let s = 0; s < nsyms; s++) {
        const entry = symoff + 16 * s; // nlist_64
        const type = bytes[entry + 4];
        // N_EXT and N_SECT: an external symbol defined in a section of this file
        if ((type & 0x01) && (type & 0x0e) === 0x0e) {
          exports.add(cString(bytes, stroff + view.getUint32(entry, true)));
        }
      }
    }
    at += cmdsize;
  }
  return { format: "macho", machine, exports };
}

function readObject(bytes: Uint8Array): ObjectInfo {
  if (bytes[0] === 0x7f && bytes[1] === 0x45 && bytes[2] === 0x4c && bytes[3] === 0x46) return readElf(bytes);
  const magic = new DataView(bytes.buffer, bytes.byteOffset).getUint32(0, true);
  if (magic === 0xfeedfacf) return readMachO(bytes);
  throw new Error(`neither ELF nor 64-bit Mach-O (magic 0x${magic.toString(16)})`);
}

// ---------------------------------------------------------------------------------------------
// (a) the committed prebuilt libraries

Deno.test("prebuilt manifest: one file per target and library, at this package version", () => {
  assert.equal(VERSION, packageVersion(), "prebuilt/manifest.ts is stale: run deno task build:all");
  const expected = PREBUILT_TARGETS.flatMap((t) =>
    LIBRARY_STEMS.map((s) => `${t.target}/lib${s}.${t.suffix}`)
  );
  assert.deepEqual(PREBUILT_FILES.map((f) => `${f.target}/${f.file}`).sort(), expected.sort());
});

Deno.test("prebuilt files match the manifest (size and SHA-256)", async () => {
  for (const entry of PREBUILT_FILES) {
    const bytes = await Deno.readFile(join(PREBUILT_FOLDER, entry.target, entry.file));
    assert.equal(bytes.length, entry.size, `${entry.target}/${entry.file} size`);
    assert.equal(await sha256Hex(bytes), entry.sha256, `${entry.target}/${entry.file} SHA-256`);
  }
});

Deno.test("prebuilt files have the target's format and architecture and export their entry points", async () => {
  for (const entry of PREBUILT_FILES) {
    const target = PREBUILT_TARGETS.find((t) => t.target === entry.target)!;
    const info = readObject(await Deno.readFile(join(PREBUILT_FOLDER, entry.target, entry.file)));
    const what = `${entry.target}/${entry.file}`;
    assert.equal(info.format, target.os === "darwin" ? "macho" : "elf", what);
    assert.equal(info.machine, target.arch, what);
    const prefix = info.format === "macho" ? "_" : ""; // Mach-O symbol names carry a leading underscore
    if (entry.file.startsWith("libdenocat_host.")) {
      assert.ok(info.exports.has(`${prefix}host_create`), `${what} exports host_create`);
    } else {
      assert.ok(info.exports.has(`${prefix}get_catalogue`), `${what} exports get_catalogue`);
    }
    if (entry.file.startsWith("libdenocat.")) {
      assert.ok(info.exports.has(`${prefix}denocat_set_abi`), `${what} exports denocat_set_abi`);
    }
  }
});

Deno.test("the ELF reader agrees with nm -D (when binutils is installed)", async () => {
  const entry = PREBUILT_FILES.find((f) => f.target === "x86_64-linux-gnu" && f.file === "libdenocat.so")!;
  const path = join(PREBUILT_FOLDER, entry.target, entry.file);
  let output: Deno.CommandOutput;
  try {
    output = await new Deno.Command("nm", { args: ["-D", "--defined-only", path], stdout: "piped" }).output();
  } catch {
    console.log("nm not installed: skipped");
    return;
  }
  assert.ok(output.success);
  const nm = new Set(
    decoder.decode(output.stdout).split("\n").map((l) => l.trim().split(/\s+/)[2]).filter((n) => n),
  );
  const ours = readObject(await Deno.readFile(path)).exports;
  for (const name of nm) assert.ok(ours.has(name), `nm lists ${name}`);
  assert.ok(nm.has("get_catalogue"));
});

Deno.test({
  name: "prebuilt files are current: build:all from this source reproduces them byte for byte",
  // zig 0.11 output is deterministic, and -Dstrip=true removes the only path-dependent part
  // (debug info), so a rebuild anywhere must give the committed bytes.
  ignore: Deno.env.get("DENOCAT_SKIP_CROSS_BUILD") === "1",
  async fn() {
    await findZig();
    const out = await Deno.makeTempDir({ prefix: "denocat-prebuilt-" });
    try {
      const rebuilt = await buildAll(out);
      const stale = rebuilt.filter((f) => {
        const committed = PREBUILT_FILES.find((c) => c.target === f.target && c.file === f.file);
        return committed?.sha256 !== f.sha256 || committed.size !== f.size;
      });
      assert.deepEqual(
        stale.map((f) => `${f.target}/${f.file}`),
        [],
        "the C sources changed since the prebuilt libraries were built: run deno task build:all",
      );
    } finally {
      await Deno.remove(out, { recursive: true });
    }
  },
});

// ---------------------------------------------------------------------------------------------
// The JSR package

/** `deno publish --dry-run`: its output and the files it would publish (relative paths). */
async function publishDryRun(): Promise<{ success: boolean; output: string; files: string[] }> {
  const result = await new Deno.Command(DENO, {
    args: ["publish", "--dry-run", "--allow-dirty"],
    cwd: REPOSITORY_ROOT,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const output = decoder.decode(result.stdout) + decoder.decode(result.stderr);
  const root = new URL(`file://${REPOSITORY_ROOT}/`).href;
  const files = [...output.matchAll(/(file:\/\/\S+) \([0-9.]+\s*[KMG]?B\)/g)]
    .map((m) => m[1].slice(root.length))
    .map(decodeURIComponent);
  return { success: result.success, output, files };
}

let dryRun: ReturnType<typeof publishDryRun> | undefined;

Deno.test("deno publish --dry-run passes without slow types and publishes the right files", async () => {
  const { success, output, files } = await (dryRun ??= publishDryRun());
  assert.ok(success, output);
  assert.doesNotMatch(output, /error\[/, output);
  assert.match(output, /Checking for slow types in the public API/); // the check ran (not --no-slow-types)
  assert.doesNotMatch(output, /warning\[(missing-explicit|unsupported-|zap)/, output);
  assert.ok(files.includes("mod.ts") && files.includes("prebuilt/manifest.ts"), files.join("\n"));
  for (const entry of PREBUILT_FILES) assert.ok(files.includes(`prebuilt/${entry.target}/${entry.file}`));
  for (const excluded of ["tests/", "bench/", "zig-out/", "zig-cache/", ".zig-cache/", ".tools/", "tools/"]) {
    assert.deepEqual(files.filter((f) => f.startsWith(excluded)), [], `${excluded} is not published`);
  }
  // Unit tests sit beside their modules (ffi/layout_test.ts, ...): publish.exclude keeps them out.
  assert.deepEqual(files.filter((f) => f.endsWith("_test.ts")), [], "test files are not published");
});

// ---------------------------------------------------------------------------------------------
// (b) import by http URL, end to end

const SCRIPT = (base: string) => `
import { catalogue, defineMechanism, Host } from "${base}/mod.ts";
const leak = defineMechanism({ name: "leak" }, {
  computeCurrents(pp) {
    for (let k = 0; k < pp.width; k++) {
      const node = pp.nodeIndex[k];
      pp.i[node] += 10 * pp.weight[k] * 0.001 * (pp.v[node] + 70); // mA/cm2 -> A/m2
      pp.g[node] += 10 * pp.weight[k] * 0.001;
    }
  },
});
const cat = await catalogue({ mechanisms: [leak] });
using host = await Host.create({ catalogues: [cat] });
host.setCvs({ count: 1, areaUm2: 100 });
host.place("leak", { cvs: [0] });
const column = host.probeVoltage(0);
const v = host.run({ until: 50, dt: 0.025 }).probes[column];
console.log(JSON.stringify({ first: v[0], last: v[v.length - 1], library: cat.path }));
`;

/** Serves `root` over HTTP on 127.0.0.1; `mutate` may alter a file's bytes before sending. */
function serve(
  root: string,
  mutate?: (path: string, bytes: Uint8Array<ArrayBuffer>) => Uint8Array<ArrayBuffer>,
) {
  const requests: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (request) => {
    const path = decodeURIComponent(new URL(request.url).pathname);
    requests.push(path);
    if (path.includes("..")) return new Response("bad path", { status: 400 });
    try {
      const bytes = await Deno.readFile(join(root, path));
      return new Response(mutate ? mutate(path, bytes) : bytes);
    } catch {
      return new Response("not found", { status: 404 });
    }
  });
  return { server, base: `http://127.0.0.1:${server.addr.port}`, port: server.addr.port, requests };
}

interface Run {
  success: boolean;
  stdout: string;
  stderr: string;
}

/**
 * Runs the script in a subprocess with only the permissions the README documents (minus any in
 * `drop`), its own DENO_DIR, an empty environment except for the cache variable, and no zig.
 */
async function runScript(
  folder: string,
  options: { port: number; cache: string; denoDir: string; drop?: string[]; reload?: boolean },
): Promise<Run> {
  const temp = join(folder, "tmp");
  await Deno.mkdir(temp, { recursive: true });
  const host = `127.0.0.1:${options.port}`;
  const flags = [
    `--allow-import=${host}`,
    `--allow-net=${host}`,
    "--allow-ffi",
    `--allow-read=${options.cache},${temp}`,
    `--allow-write=${options.cache},${temp}`,
    "--allow-env=DENOCAT_LIB,DENOCAT_HOST_LIB,DENOCAT_CACHE,XDG_CACHE_HOME,HOME",
  ].filter((flag) => !(options.drop ?? []).some((d) => flag.startsWith(d)));
  const output = await new Deno.Command(DENO, {
    args: ["run", "--no-lock", "--no-config", ...(options.reload ? ["--reload"] : []), ...flags, "main.ts"],
    cwd: folder,
    clearEnv: true,
    env: {
      PATH: "/usr/bin:/bin", // no zig, no deno tasks
      HOME: join(folder, "home"),
      DENO_DIR: options.denoDir,
      DENOCAT_CACHE: options.cache,
      TMPDIR: temp,
      NO_COLOR: "1",
      // keeps module loading off the public npm registry (compile/ names npm:typescript lazily)
      NPM_CONFIG_REGISTRY: "http://127.0.0.1:9/",
    },
    stdout: "piped",
    stderr: "piped",
  }).output();
  return {
    success: output.success,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

function listFiles(folder: string): string[] {
  const out: string[] = [];
  const walk = (dir: string, rel: string) => {
    let entries: Deno.DirEntry[];
    try {
      entries = [...Deno.readDirSync(dir)];
    } catch {
      return;
    }
    for (const e of entries) {
      if (e.isDirectory) walk(join(dir, e.name), `${rel}${e.name}/`);
      else out.push(`${rel}${e.name}`);
    }
  };
  walk(folder, "");
  return out.sort();
}

Deno.test("import by http URL: download into an empty cache, then offline from the cache; tampering and missing permissions fail clearly", async (t) => {
  const { success, files } = await (dryRun ??= publishDryRun());
  assert.ok(success);
  const work = await Deno.makeTempDir({ prefix: "denocat-url-" });
  try {
    // The served tree is a copy of the published file set only: no zig-out/, no build.zig.
    const served = join(work, "served");
    for (const file of files) {
      await Deno.mkdir(join(served, file, ".."), { recursive: true });
      await Deno.copyFile(join(REPOSITORY_ROOT, file), join(served, file));
    }
    assert.deepEqual(listFiles(served).filter((f) => f.startsWith("zig-out/") || f === "build.zig"), []);
    const target = platformTarget();
    if (target === undefined) {
      console.log(`no prebuilt library for ${Deno.build.target}: skipped`);
      return;
    }
    const versioned = (cache: string) => join(cache, VERSION, target);

    await t.step(
      "first run downloads, verifies and caches; a second run works with the server stopped",
      async () => {
        const { server, base, port, requests } = serve(served);
        const folder = join(work, "ok");
        await Deno.mkdir(folder);
        await Deno.writeTextFile(join(folder, "main.ts"), SCRIPT(base));
        const cache = join(folder, "cache");
        const denoDir = join(folder, "deno_dir");
        let first: Run;
        try {
          first = await runScript(folder, { port, cache, denoDir, reload: true });
        } finally {
          await server.shutdown();
        }
        assert.ok(first.success, first.stderr);
        const result = JSON.parse(first.stdout);
        assert.equal(result.first, -65);
        assert.ok(Math.abs(result.last + 70) < 1e-6, `leak reaches -70 mV: ${result.last}`);
        assert.ok(
          requests.includes(`/prebuilt/${target}/libdenocat.${target.includes("macos") ? "dylib" : "so"}`),
        );
        const cached = listFiles(cache);
        const suffix = target.includes("macos") ? "dylib" : "so";
        assert.deepEqual(cached, [
          `${VERSION}/${target}/libdenocat.${suffix}`,
          `${VERSION}/${target}/libdenocat_host.${suffix}`,
        ]);

        // server stopped; no --allow-net at all: modules come from DENO_DIR, libraries from the cache
        const second = await runScript(folder, { port, cache, denoDir, drop: ["--allow-net"] });
        assert.ok(second.success, second.stderr);
        assert.deepEqual(JSON.parse(second.stdout).last, result.last);
      },
    );

    await t.step("a tampered library fails on the checksum and leaves nothing in the cache", async () => {
      const { server, base, port } = serve(served, (path, bytes) => {
        if (!path.startsWith("/prebuilt/") || path.endsWith(".ts")) return bytes;
        const copy = bytes.slice();
        copy[copy.length >> 1] ^= 0xff;
        return copy;
      });
      try {
        const folder = join(work, "tampered");
        await Deno.mkdir(folder);
        await Deno.writeTextFile(join(folder, "main.ts"), SCRIPT(base));
        const cache = join(folder, "cache");
        const run = await runScript(folder, { port, cache, denoDir: join(folder, "deno_dir"), reload: true });
        assert.ok(!run.success);
        assert.match(run.stderr, /checksum mismatch for http:\/\/127\.0\.0\.1:\d+\/prebuilt\//);
        assert.deepEqual(listFiles(versioned(cache)), []);
      } finally {
        await server.shutdown();
      }
    });

    await t.step("a truncated download fails as incomplete and leaves nothing in the cache", async () => {
      const { server, base, port } = serve(served, (path, bytes) => {
        return path.startsWith("/prebuilt/") && !path.endsWith(".ts")
          ? bytes.slice(0, bytes.length >> 1)
          : bytes;
      });
      try {
        const folder = join(work, "truncated");
        await Deno.mkdir(folder);
        await Deno.writeTextFile(join(folder, "main.ts"), SCRIPT(base));
        const cache = join(folder, "cache");
        const run = await runScript(folder, { port, cache, denoDir: join(folder, "deno_dir"), reload: true });
        assert.ok(!run.success);
        assert.match(run.stderr, /incomplete download of http:.*: got \d+ of \d+ bytes/);
        assert.deepEqual(listFiles(versioned(cache)), []);
      } finally {
        await server.shutdown();
      }
    });

    await t.step("missing permissions are named: --allow-net on an empty cache, --allow-ffi", async () => {
      const { server, base, port } = serve(served);
      try {
        const folder = join(work, "permissions");
        await Deno.mkdir(folder);
        await Deno.writeTextFile(join(folder, "main.ts"), SCRIPT(base));
        const denoDir = join(folder, "deno_dir");
        const noNet = await runScript(folder, {
          port,
          cache: join(folder, "cache1"),
          denoDir,
          drop: ["--allow-net"],
          reload: true,
        });
        assert.ok(!noNet.success);
        assert.match(
          noNet.stderr,
          new RegExp(`denocat needs --allow-net=127\\.0\\.0\\.1:${port} to download`),
        );
        assert.deepEqual(listFiles(join(folder, "cache1")), []);

        const noFfi = await runScript(folder, {
          port,
          cache: join(folder, "cache2"),
          denoDir,
          drop: ["--allow-ffi"],
        });
        assert.ok(!noFfi.success);
        assert.match(noFfi.stderr, /denocat needs --allow-ffi to load /);

        const noWrite = await runScript(folder, {
          port,
          cache: join(folder, "cache3"),
          denoDir,
          drop: ["--allow-write"],
        });
        assert.ok(!noWrite.success);
        assert.match(noWrite.stderr, /denocat needs --allow-write=\S*cache3/);
      } finally {
        await server.shutdown();
      }
    });
  } finally {
    await Deno.remove(work, { recursive: true });
  }
});
