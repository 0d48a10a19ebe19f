// Issue 11, items 1-5 and 10-11: what used to crash, corrupt memory or silently lose data on the
// host, each now a clear error (or impossible). Inputs that could crash the process run in a
// subprocess (tests/support/subprocess.ts).
import assert from "node:assert/strict";
import { type Catalogue, catalogue, defineMechanism, Host, type MechanismHooks, type PPack } from "../mod.ts";
import { runDeno } from "./support/subprocess.ts";

const area = 2 * Math.PI * 3 * 6;

async function oneCat(hooks: MechanismHooks, definition: Parameters<typeof defineMechanism>[0]) {
  return await catalogue({ mechanisms: [defineMechanism(definition, hooks)] });
}

async function hostWith(cat: Catalogue, place: (host: Host) => void, cvs = 1): Promise<Host> {
  const host = await Host.create({ catalogues: [cat] });
  host.setCvs({ count: cvs, areaUm2: area }).addNeuronIons();
  place(host);
  return host;
}

// --- 1. index views ------------------------------------------------------------------------

Deno.test("1: writing pp.nodeIndex or pp.indexX changes a private copy, never the host's arrays", async () => {
  const seen: number[][] = [];
  const cat = await oneCat({
    init(pp) {
      const na = pp.indexNa as Int32Array;
      seen.push([pp.nodeIndex[0], pp.nodeIndex[1], na[0], na[1]]);
      pp.nodeIndex[0] = 2 ** 30; // used to be the host's own node_index: SIGSEGV later
      na[1] = 64; // used to be the host's ion index: free(): invalid pointer
    },
    computeCurrents(pp) {
      for (let k = 0; k < pp.width; k++) pp.i[pp.nodeIndex[k]] += 0; // out of range: a no-op in JS
    },
  }, { name: "scribbler", ions: { na: {} } });
  using host = await hostWith(cat, (h) => h.place("scribbler", { cvs: [0, 1] }), 2);
  host.run({ until: 0.1, dt: 0.025 });
  host.reset();
  // Every init sees the host's own indices, whatever the previous init wrote into its copy.
  assert.ok(seen.length >= 4);
  for (const row of seen) assert.deepEqual(row, [0, 1, 0, 1]);
  cat.close();
});

Deno.test("1: views are sized from the host's untouched index arrays", async () => {
  const lengths: number[][] = [];
  const cat = await oneCat({
    init(pp) {
      lengths.push([pp.v.length, pp.i.length, (pp.ina as Float64Array).length]);
      pp.nodeIndex[1] = 1000;
      (pp.indexNa as Int32Array)[1] = 1000;
    },
  }, { name: "sizes", ions: { na: {} } });
  using host = await hostWith(cat, (h) => h.place("sizes", { cvs: [0, 2] }), 3);
  host.instantiate();
  host.reset();
  for (const row of lengths) assert.deepEqual(row, [3, 3, 2]);
  cat.close();
});

// --- 2 and 3. re-entry ---------------------------------------------------------------------

for (const action of ["close", "run", "reset", "instantiate"] as const) {
  Deno.test(`2/3: host.${action}() from inside a hook is refused with a clear error`, async () => {
    // Assigned once the hooks that use it exist.
    // deno-lint-ignore prefer-const
    let host: Host | undefined;
    let calls = 0;
    const cat = await oneCat({
      computeCurrents() {
        calls++;
        if (action === "close") host!.close();
        else if (action === "run") host!.run({ until: host!.time + 1, dt: 0.025 });
        else if (action === "reset") host!.reset();
        else host!.instantiate();
      },
    }, { name: `reenter_${action}` });
    host = await hostWith(cat, (h) => h.place(`reenter_${action}`, { cvs: [0] }));
    assert.throws(
      () => host!.run({ until: 0.1, dt: 0.025 }),
      new RegExp(`host\\.${action}\\(\\) was called from inside a mechanism hook`),
    );
    assert.equal(calls, 1, "no extra steps: the failed hook stops the run");
    assert.equal(host.time, 0.1);
    host.reset(); // still alive and usable
    host.close();
    cat.close();
  });
}

Deno.test("3: host.run() from applyEvents with more than 1024 events is refused", async () => {
  // Assigned once the hooks that use it exist.
  // deno-lint-ignore prefer-const
  let host: Host | undefined;
  const batches: number[] = [];
  const cat = await oneCat({
    applyEvents(_pp, events) {
      batches.push(events.length);
      host!.run({ until: 10, dt: 0.025 });
    },
  }, { name: "reenter_events", kind: "point" });
  host = await hostWith(cat, (h) => {
    const syn = h.place("reenter_events", { cvs: [0] });
    for (let k = 0; k < 2000; k++) h.event(syn, 0, 0.01, 1);
  });
  assert.throws(
    () => host!.run({ until: 0.1, dt: 0.025 }),
    /host\.run\(\) was called from inside a mechanism hook/,
  );
  assert.deepEqual(batches, [2000]);
  host.close();
  cat.close();
});

Deno.test("3: a hook that runs another host is refused too", async () => {
  // Assigned once the hooks that use it exist.
  // deno-lint-ignore prefer-const
  let other: Host | undefined;
  const cat = await oneCat({ computeCurrents: () => void other!.run({ until: 0.05, dt: 0.025 }) }, {
    name: "reenter_other",
  });
  const quiet = await oneCat({}, { name: "quiet" });
  using host = await hostWith(cat, (h) => h.place("reenter_other", { cvs: [0] }));
  other = await hostWith(quiet, (h) => h.place("quiet", { cvs: [0] }));
  assert.throws(
    () => host.run({ until: 0.05, dt: 0.025 }),
    /host\.run\(\) was called from inside a mechanism hook/,
  );
  other.close();
  cat.close();
  quiet.close();
});

Deno.test("2: cat.close() inside its own hook is refused; the catalogue stays usable", async () => {
  // Assigned once the hooks that use it exist.
  // deno-lint-ignore prefer-const
  let cat: Catalogue | undefined;
  cat = await oneCat({
    computeCurrents() {
      cat!.close();
    },
  }, { name: "self_close" });
  using host = await hostWith(cat, (h) => h.place("self_close", { cvs: [0] }));
  assert.throws(
    () => host.run({ until: 0.05, dt: 0.025 }),
    /cannot be closed from inside one of its own hooks/,
  );
  assert.equal(cat.closed, false);
  cat.close();
  assert.equal(cat.closed, true);
});

// --- 4. async hooks and kept views ---------------------------------------------------------

Deno.test("4: async and generator hooks and kernels are refused at declaration", () => {
  assert.throws(
    () => defineMechanism({ name: "a1" }, { async computeCurrents() {} } as unknown as MechanismHooks),
    /mechanism 'a1': computeCurrents is an async function; hooks and kernels must be plain synchronous/,
  );
  assert.throws(
    () => defineMechanism({ name: "a2" }, { *init() {} } as unknown as MechanismHooks),
    /mechanism 'a2': init is a generator function/,
  );
  assert.throws(
    () =>
      defineMechanism({ name: "a3", states: { s: {} } }, {
        async *derivative() {},
      } as unknown as MechanismHooks),
    /mechanism 'a3': derivative is an async generator function/,
  );
});

Deno.test("4: a hook that returns a promise is refused when it returns", async () => {
  const cat = await oneCat({
    computeCurrents: (() => Promise.resolve()) as unknown as () => void,
  }, { name: "thenable" });
  using host = await hostWith(cat, (h) => h.place("thenable", { cvs: [0] }));
  assert.throws(
    () => host.run({ until: 0.05, dt: 0.025 }),
    /mechanism 'thenable': hook computeCurrents returned a promise/,
  );
  cat.close();
});

Deno.test("4: a pp kept after close throws on use, and its kept arrays touch no memory", async () => {
  let kept: (PPack & Record<string, unknown>) | undefined;
  const cat = await oneCat({
    computeCurrents(pp) {
      kept = pp;
    },
  }, { name: "keeper", states: { s: {} } });
  const host = await hostWith(cat, (h) => h.place("keeper", { cvs: [0] }));
  host.run({ until: 0.05, dt: 0.025 });
  const v = kept!.v;
  const s = kept!.s as Float64Array;
  assert.equal(v.length, 1);
  host.close();
  assert.throws(
    () => kept!.v,
    /mechanism 'keeper': this ppack object is stale \(the host that owned its arrays was closed\)/,
  );
  assert.throws(() => kept!.width, /stale/);
  assert.equal(v.length, 0, "the kept view is detached: reads give undefined, writes do nothing");
  assert.equal(s[0], undefined);
  s[0] = 1;
  assert.equal(s[0], undefined);
  cat.close();
});

// --- 5 and 19. damaged library files -------------------------------------------------------

const truncatedCases = [
  {
    variable: "DENOCAT_LIB",
    code:
      `await (await import("./mod.ts")).catalogue({ mechanisms: [(await import("./mod.ts")).defineMechanism({ name: "m" }, {})] });`,
  },
  { variable: "DENOCAT_HOST_LIB", code: `await (await import("./mod.ts")).Host.create({ catalogues: [] });` },
  { variable: "DENOCAT_PYTHON", code: `(await import("./ffi/python/mod.ts")).loadPython();` },
];

for (const { variable, code } of truncatedCases) {
  Deno.test(`5: a truncated library in ${variable} is a clear error naming the file (no SIGBUS)`, async () => {
    const source = variable === "DENOCAT_PYTHON" ? "/usr/lib/x86_64-linux-gnu/libpython3.11.so.1.0" : new URL(
      `../zig-out/lib/lib${variable === "DENOCAT_LIB" ? "denocat" : "denocat_host"}.so`,
      import.meta.url,
    )
      .pathname;
    const bytes = await Deno.readFile(source);
    const folder = await Deno.makeTempDir({ prefix: "denocat-trunc-" });
    try {
      for (const size of [5000, 12000, 20000]) {
        const path = `${folder}/lib-${size}.so`;
        await Deno.writeFile(path, bytes.subarray(0, size));
        const result = await runDeno(code, { [variable]: path });
        assert.equal(result.signal, null, `killed by ${result.signal}: ${result.output}`);
        assert.notEqual(result.code, 0);
        assert.match(
          result.output,
          new RegExp(`${path.replaceAll("/", "\\/")} cannot be loaded: it is truncated`),
        );
      }
    } finally {
      await Deno.remove(folder, { recursive: true });
    }
  });
}

Deno.test("19: DENOCAT_LIB naming a text file reports that file, not the temporary copy", async () => {
  const path = await Deno.makeTempFile({ suffix: ".so" });
  await Deno.writeTextFile(path, "not a library\n");
  const previous = Deno.env.get("DENOCAT_LIB");
  Deno.env.set("DENOCAT_LIB", path);
  try {
    await assert.rejects(
      catalogue({ mechanisms: [defineMechanism({ name: "txt" }, {})] }),
      new RegExp(`DENOCAT_LIB=${path.replaceAll("/", "\\/")} cannot be loaded: it is not a shared library`),
    );
  } finally {
    if (previous === undefined) Deno.env.delete("DENOCAT_LIB");
    else Deno.env.set("DENOCAT_LIB", previous);
    await Deno.remove(path);
  }
});

Deno.test("2/3: the C side refuses re-entry on its own, for callers that bypass the TypeScript guard", async () => {
  const { resolveLibrary } = await import("../platform/libraries.ts");
  const { openLibrary, reentrantSymbols, symbolAddresses, cString, readCString } = await import(
    "../ffi/open.ts"
  );
  const { HOST_REENTRANT_SYMBOLS, HOST_SYMBOLS } = await import("../ffi/symbols.ts");
  const path = await resolveLibrary("denocat_host", "DENOCAT_HOST_LIB");
  const plain = openLibrary(path, HOST_SYMBOLS).symbols;
  const driving = reentrantSymbols(HOST_REENTRANT_SYMBOLS, symbolAddresses(path));
  const results: number[] = [];
  let destroyError = "";
  let inner = () => {};
  const cat = await oneCat({ computeCurrents: () => inner() }, { name: "c_reenter" });
  const rawHost = () => {
    const handle = plain.host_create(7)!;
    assert.ok(
      plain.host_load_catalogue(handle, cString(cat.path)) >= 0,
      readCString(plain.host_error(handle)),
    );
    const one = (x: number) => new Float64Array([x]);
    plain.host_set_cvs(handle, 1, one(area), one(1), one(0.01), one(6.3), one(-65));
    assert.ok(plain.host_place(handle, cString("c_reenter"), 1, new Uint32Array([0]), null, null) >= 0);
    return handle;
  };
  const a = rawHost();
  const b = rawHost();
  try {
    inner = () => {
      inner = () => {};
      plain.host_destroy(a); // refused: the running step would use freed memory
      destroyError = readCString(plain.host_error(a));
      results.push(driving.host_run(a, 1, 0.025, null, 0)); // the host that is running: c/host/ refuses
      results.push(driving.host_run(b, 0.05, 0.025, null, 0)); // another host: c/denocat/ refuses its hooks
    };
    assert.ok(driving.host_run(a, 0.05, 0.025, null, 0) >= 0);
    assert.match(
      destroyError,
      /host_destroy was called from inside a mechanism hook; the host was not freed/,
    );
    assert.equal(results[0], -1);
    assert.match(readCString(plain.host_error(a)), /host_run was called from inside a mechanism hook/);
    assert.throws(
      () => cat.throwIfFailed(),
      /mechanism 'c_reenter': \w+ was called while another hook of this catalogue was still running/,
    );
  } finally {
    plain.host_destroy(a);
    plain.host_destroy(b);
    cat.close();
  }
});
