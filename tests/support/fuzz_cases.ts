// The child process of tests/fuzz_test.ts: random host arguments and random hook behaviour, from a
// fixed seed. Prints one JSON line per case: {id, what, outcome: "ok" | "error" | "wrong", detail}.
// "wrong" means the call returned without an error but with a wrong result, or failed with an
// error that does not name the thing concerned. A crash shows as a signal in the parent.
//
//   deno run -A tests/support/fuzz_cases.ts <seed> <host cases> <hook cases>
import { catalogue, defineMechanism, Host, type PPack } from "../../mod.ts";
import { generator } from "./random.ts";

const [seed, hostCases, hookCases] = Deno.args.map(Number);

const random = generator(seed);
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];

function report(id: number, what: string, outcome: "ok" | "error" | "wrong", detail = ""): void {
  console.log(JSON.stringify({ id, what, outcome, detail }));
}

const area = 2 * Math.PI * 3 * 6;
const CVS = 4;

// --- random host arguments ---------------------------------------------------------------------

/** Values a hurried user might pass anywhere. */
const ODD_VALUES: readonly unknown[] = [
  0,
  1,
  2,
  3,
  4,
  -1,
  1.7,
  0.5,
  NaN,
  Infinity,
  -Infinity,
  2 ** 32,
  2 ** 31,
  -0,
  1e-50,
  1e39,
  1e12,
  1e-300,
  0.025,
  0.1,
  5,
  "1",
  "0.025",
  "",
  null,
  undefined,
  true,
  false,
  [],
  [1],
  [0, 1],
  {},
  { a: 1 },
];
const oddValue = () => pick(ODD_VALUES);
const isIndex = (x: unknown, n: number) => typeof x === "number" && Number.isInteger(x) && x >= 0 && x < n;
const isFinite = (x: unknown): x is number => typeof x === "number" && Number.isFinite(x);

let delivered: number[] = [];
let nodes = new Int32Array(0);
const cat = await catalogue({
  mechanisms: [
    defineMechanism({ name: "fzsyn", kind: "point", parameters: { gbar: { default: 1 } } }, {
      applyEvents(_pp, events) {
        for (let k = 0; k < events.length; k++) delivered.push(events.weight[k]);
      },
    }),
    defineMechanism(
      { name: "fz", parameters: { gbar: { default: 1e-3 } }, states: { s: {} }, ions: { na: {} } },
      {
        init(pp) {
          // The CVs as the host gave them, before any scribbling: the currents below use them, so
          // a scribble that reached the host's own arrays is the only way the trace could change.
          nodes = pp.nodeIndex.slice();
          behave("init", pp);
        },
        computeCurrents(pp) {
          const gbar = pp.gbar as Float64Array;
          for (let k = 0; k < pp.width; k++) {
            const node = nodes[k];
            pp.i[node] += 10 * pp.weight[k] * gbar[k] * (pp.v[node] + 70);
            pp.g[node] += 10 * pp.weight[k] * gbar[k];
          }
          return behave("computeCurrents", pp);
        },
        advanceState(pp) {
          behave("advanceState", pp);
        },
      },
    ),
  ],
});

/** One host call with random arguments; checks what an accepted call did. */
async function hostCase(id: number): Promise<void> {
  delivered = [];
  using host = await Host.create({ catalogues: [cat] });
  host.setCvs({ count: CVS, areaUm2: area }).addNeuronIons();
  const syn = host.place("fzsyn", { cvs: [0, 1] });
  const op = pick(["place", "event", "run", "iclamp", "probeVoltage", "setParameter"] as const);
  const args: unknown[] = [];
  // Errors from TS name the call first; errors from C come as "host: <what the call was doing>: ...".
  const label: Record<typeof op, RegExp> = {
    place: /^(host: )?placing 'fz'/,
    event: /^(host: adding an event for 'fzsyn': )?event for 'fzsyn'/,
    run: /^(host: running: )?run[: ]/,
    iclamp: /^(host: adding a current clamp: (host_add_)?)?iclamp/,
    probeVoltage: /^(host: probing voltage at CV \d: )?probeVoltage/,
    setParameter: /^(host: )?parameter 'gbar' of 'fzsyn'/,
  };
  try {
    if (op === "place") {
      const cvs = random() < 0.3
        ? oddValue()
        : Array.from({ length: 1 + Math.floor(random() * 3) }, oddValue);
      args.push(cvs);
      const placed = host.place("fz", { cvs: cvs as number[] });
      const list = cvs as unknown[];
      const ascending = list.every((cv, k) => k === 0 || (cv as number) > (list[k - 1] as number));
      if (!list.every((cv) => isIndex(cv, CVS)) || !ascending || placed.count !== list.length) {
        return report(id, `place ${JSON.stringify(args)}`, "wrong", `accepted, count ${placed.count}`);
      }
    } else if (op === "event") {
      const [instance, time, weight] = [oddValue(), oddValue(), oddValue()];
      args.push(instance, time, weight);
      host.event(syn, instance as number, time as number, weight as number);
      const valid = isIndex(instance, 2) && isFinite(time) && time >= 0 && isFinite(weight) &&
        (weight === 0 || Math.fround(weight) !== 0) && Number.isFinite(Math.fround(weight));
      if (!valid) return report(id, `event ${String(args)}`, "wrong", "accepted");
      if ((time as number) < 20) {
        host.run({ until: 20, dt: 0.025 });
        if (delivered.length !== 1 || delivered[0] !== Math.fround(weight as number)) {
          return report(id, `event ${String(args)}`, "wrong", `delivered ${JSON.stringify(delivered)}`);
        }
      }
    } else if (op === "run") {
      const [until, dt] = [oddValue(), oddValue()];
      args.push(until, dt);
      const result = host.run({ until: until as number, dt: dt as number });
      const steps = (until as number) / (dt as number);
      if (!isFinite(until) || !isFinite(dt) || !(dt > 0) || until < 0) {
        return report(id, `run ${String(args)}`, "wrong", "accepted");
      }
      if (host.time !== until || Math.abs(result.steps - steps) > 1) {
        return report(id, `run ${String(args)}`, "wrong", `time ${host.time}, ${result.steps} steps`);
      }
    } else if (op === "iclamp") {
      const [cv, start, duration, amplitude] = [oddValue(), oddValue(), oddValue(), oddValue()];
      args.push(cv, start, duration, amplitude);
      host.iclamp(cv as number, { start, duration, amplitude } as never);
      if (!isIndex(cv, CVS) || !isFinite(start) || !isFinite(amplitude) || typeof duration !== "number") {
        return report(id, `iclamp ${String(args)}`, "wrong", "accepted");
      }
    } else if (op === "probeVoltage") {
      const cv = oddValue();
      args.push(cv);
      const column = host.probeVoltage(cv as number);
      if (!isIndex(cv, CVS) || column !== 0) {
        return report(id, `probeVoltage ${String(cv)}`, "wrong", "accepted");
      }
    } else {
      const value = random() < 0.5 ? oddValue() : [oddValue(), oddValue()];
      args.push(value);
      host.setParameter(syn, "gbar", value as number);
      const list = Array.isArray(value) ? value : [value];
      if (
        !(list.length === 1 || list.length === 2) || !list.every((x) => typeof x === "number" && !isNaN(x))
      ) {
        return report(id, `setParameter ${JSON.stringify(value)}`, "wrong", "accepted");
      }
    }
    report(id, op, "ok");
  } catch (error) {
    const message = (error as Error)?.message ?? "";
    const named = error instanceof Error && label[op].test(message);
    report(
      id,
      `${op} ${args.map((a) => typeof a === "string" ? JSON.stringify(a) : String(a)).join(", ")}`,
      named ? "error" : "wrong",
      message || String(error),
    );
  }
}

// --- random hook behaviour ---------------------------------------------------------------------

type Behaviour =
  | "none"
  | "scribble"
  | "throwError"
  | "throw42"
  | "throwString"
  | "throwUndefined"
  | "reenterRun"
  | "reenterReset"
  | "reenterClose"
  | "reenterInstantiate"
  | "closeCatalogue"
  | "thenable"
  | "keep";
const BEHAVIOURS: readonly Behaviour[] = [
  "none",
  "scribble",
  "throwError",
  "throw42",
  "throwString",
  "throwUndefined",
  "reenterRun",
  "reenterReset",
  "reenterClose",
  "reenterInstantiate",
  "closeCatalogue",
  "thenable",
  "keep",
];
const EXPECTED: Record<Behaviour, RegExp | undefined> = {
  none: undefined,
  scribble: undefined,
  keep: undefined,
  throwError: /^fz boom$/,
  throw42: /^mechanism 'fz': hook \w+ threw a non-Error value: 42$/,
  throwString: /^mechanism 'fz': hook \w+ threw a non-Error value: "boom"$/,
  throwUndefined: /^mechanism 'fz': hook \w+ threw a non-Error value: undefined$/,
  reenterRun: /^host\.run\(\) was called from inside a mechanism hook/,
  reenterReset: /^host\.reset\(\) was called from inside a mechanism hook/,
  reenterClose: /^host\.close\(\) was called from inside a mechanism hook/,
  reenterInstantiate: /^host\.instantiate\(\) was called from inside a mechanism hook/,
  closeCatalogue: /cannot be closed from inside one of its own hooks/,
  thenable: /^mechanism 'fz': hook computeCurrents returned a promise/,
};

let current: { behaviour: Behaviour; hook: string; at: number; calls: number; fired: boolean; host?: Host } =
  {
    behaviour: "none",
    hook: "",
    at: 0,
    calls: 0,
    fired: false,
  };
let kept: (PPack & Record<string, unknown>) | undefined;

function behave(hook: string, pp: PPack & Record<string, unknown>): unknown {
  if (hook !== current.hook || ++current.calls !== current.at) return undefined;
  current.fired = true;
  const host = current.host!;
  switch (current.behaviour) {
    case "none":
      return undefined;
    case "scribble":
      for (let k = 0; k < pp.nodeIndex.length; k++) pp.nodeIndex[k] = pick([2 ** 30, -1, 64, 1e9]);
      (pp.indexNa as Int32Array).fill(pick([2 ** 30, -5, 64]));
      return undefined;
    case "throwError":
      throw new Error("fz boom");
    case "throw42":
      throw 42;
    case "throwString":
      throw "boom";
    case "throwUndefined":
      throw undefined;
    case "reenterRun":
      return host.run({ until: host.time + 1, dt: 0.025 });
    case "reenterReset":
      return host.reset();
    case "reenterClose":
      return host.close();
    case "reenterInstantiate":
      return host.instantiate();
    case "closeCatalogue":
      return cat.close();
    case "thenable":
      return hook === "computeCurrents" ? Promise.resolve() : undefined;
    case "keep":
      kept = pp as PPack & Record<string, unknown>;
      return undefined;
  }
}

async function trace(): Promise<Float64Array> {
  using host = await Host.create({ catalogues: [cat] });
  host.setCvs({ count: CVS, areaUm2: area, vInit: [-65, -60, -55, -50] }).addNeuronIons();
  host.place("fz", { cvs: [0, 2, 3] });
  const column = host.probeVoltage(2);
  current.host = host;
  return host.run({ until: 0.25, dt: 0.025 }).probes[column];
}

current = { behaviour: "none", hook: "", at: 0, calls: 0, fired: false };
const reference = await trace();

async function hookCase(id: number): Promise<void> {
  const behaviour = pick(BEHAVIOURS);
  const hook = behaviour === "thenable"
    ? "computeCurrents"
    : pick(["init", "computeCurrents", "advanceState"]);
  current = { behaviour, hook, at: 1 + Math.floor(random() * 3), calls: 0, fired: false };
  kept = undefined;
  const what = `${behaviour} in ${hook} call ${current.at}`;
  let result: Float64Array | undefined;
  try {
    result = await trace();
  } catch (error) {
    const message = (error as Error)?.message ?? String(error);
    const expected = EXPECTED[behaviour];
    const right = error instanceof Error && current.fired && expected !== undefined && expected.test(message);
    return report(id, what, right ? "error" : "wrong", message);
  }
  // init runs twice per reset: a behaviour due at a third init call never happens.
  if (EXPECTED[behaviour] !== undefined && current.fired) return report(id, what, "wrong", "no error");
  if (result.length !== reference.length || result.some((v, k) => v !== reference[k])) {
    return report(id, what, "wrong", `trace ${result} differs from ${reference}`);
  }
  // Set by a hook, which TypeScript's flow analysis does not see.
  const keptPP = kept as (PPack & Record<string, unknown>) | undefined;
  if (behaviour === "keep" && keptPP !== undefined) {
    try {
      keptPP.v;
      return report(id, what, "wrong", "a kept pp was usable after close");
    } catch (error) {
      if (!/this ppack object is stale/.test((error as Error).message)) {
        return report(id, what, "wrong", (error as Error).message);
      }
    }
  }
  report(id, what, "ok");
}

for (let id = 0; id < hostCases; id++) await hostCase(id);
for (let id = 0; id < hookCases; id++) await hookCase(hostCases + id);
cat.close();
console.log(JSON.stringify({ done: true }));
