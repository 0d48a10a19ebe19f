// The progress line (platform/progress.ts) on a fake terminal with a fake clock: its format, the
// delay before the first draw, rate limiting, clearing, finishing, and every way to silence it.
import assert from "node:assert/strict";
import { formatDuration, Progress, type ProgressOptions } from "./progress.ts";

/** A fake terminal that keeps what was written, and a clock the test moves by hand. */
function fake(terminal = true) {
  const writes: string[] = [];
  const clock = { now: 1000 };
  const writer = {
    isTerminal: () => terminal,
    writeSync(bytes: Uint8Array) {
      writes.push(new TextDecoder().decode(bytes));
      return bytes.length;
    },
  };
  const make = (options: Partial<ProgressOptions> = {}) =>
    new Progress({ label: "host run", total: 1000, unit: "steps", writer, now: () => clock.now, ...options });
  return { writes, clock, make };
}

/** Runs `body` with environment variables set (undefined: removed), restoring them afterwards. */
function withEnv(values: Record<string, string | undefined>, body: () => void): void {
  const saved = Object.fromEntries(Object.keys(values).map((k) => [k, Deno.env.get(k)]));
  const apply = (entries: Record<string, string | undefined>) => {
    for (const [k, v] of Object.entries(entries)) v === undefined ? Deno.env.delete(k) : Deno.env.set(k, v);
  };
  apply(values);
  try {
    body();
  } finally {
    apply(saved);
  }
}

const QUIET_ENV = { CI: undefined, DENOCAT_PROGRESS: undefined };

Deno.test("progress: the line shows done/total, percent, elapsed and the estimated time left", () => {
  withEnv(QUIET_ENV, () => {
    const { writes, clock, make } = fake();
    const progress = make();
    clock.now += 3000;
    progress.update(250);
    assert.deepEqual(writes, ["\r\x1b[Khost run: 250/1,000 steps (25%), 3.0 s elapsed, about 9.0 s left"]);
    assert.equal(progress.line(), "host run: 250/1,000 steps (25%), 3.0 s elapsed, about 9.0 s left");
  });
});

Deno.test("progress: nothing before the delay; then at most one draw per interval", () => {
  withEnv(QUIET_ENV, () => {
    const { writes, clock, make } = fake();
    const progress = make({ delayMs: 2000, intervalMs: 500 });
    for (let k = 1; k <= 19; k++) {
      clock.now += 100; // up to 1.9 s: under the delay
      progress.update(k);
    }
    assert.equal(writes.length, 0, "drew before the delay");
    clock.now += 100;
    progress.update(20); // 2.0 s
    assert.equal(writes.length, 1);
    for (let k = 0; k < 4; k++) {
      clock.now += 100;
      progress.update(21 + k); // 2.1 … 2.4 s: inside the interval
    }
    assert.equal(writes.length, 1, "redrew inside the interval");
    clock.now += 100;
    progress.update(30); // 2.5 s
    assert.equal(writes.length, 2);
    assert.match(writes[1], /host run: 30\/1,000 steps \(3%\), 2\.5 s elapsed, about 1 min 20 s left$/);
  });
});

Deno.test("progress: finish draws the final line and a newline, but only if the line was ever drawn", () => {
  withEnv(QUIET_ENV, () => {
    const short = fake();
    const quick = short.make({ delayMs: 2000 });
    short.clock.now += 500;
    quick.update(1000);
    quick.finish();
    assert.deepEqual(short.writes, [], "work under the delay left output");

    const long = fake();
    const slow = long.make();
    long.clock.now += 1000;
    slow.update(500);
    slow.clear();
    assert.equal(long.writes.at(-1), "\r\x1b[K", "clear erases the line");
    long.clock.now += 1000;
    slow.update(1000);
    slow.finish();
    slow.finish(); // twice is once
    assert.deepEqual(long.writes.slice(-2), [
      "\r\x1b[Khost run: 1,000/1,000 steps (100%), 2.0 s elapsed",
      "\n",
    ]);
    const written = long.writes.length;
    long.clock.now += 1000;
    slow.update(1000);
    assert.equal(long.writes.length, written, "drew after finish");
  });
});

Deno.test("progress: silent when piped, when CI is set, with DENOCAT_PROGRESS=0, or with enabled: false", () => {
  const cases: [string, Record<string, string | undefined>, boolean, Partial<ProgressOptions>][] = [
    ["not a terminal", QUIET_ENV, false, {}],
    ["CI set", { CI: "true", DENOCAT_PROGRESS: undefined }, true, {}],
    ["DENOCAT_PROGRESS=0", { CI: undefined, DENOCAT_PROGRESS: "0" }, true, {}],
    ["DENOCAT_PROGRESS=0 beats enabled: true", { CI: undefined, DENOCAT_PROGRESS: "0" }, true, {
      enabled: true,
    }],
    ["enabled: false", QUIET_ENV, true, { enabled: false }],
  ];
  for (const [what, env, terminal, options] of cases) {
    withEnv(env, () => {
      const { writes, clock, make } = fake(terminal);
      const progress = make(options);
      assert.equal(progress.active, false, what);
      clock.now += 5000;
      progress.update(500);
      progress.finish();
      assert.deepEqual(writes, [], what);
    });
  }
  // Where CI is set, DENOCAT_PROGRESS=1 or enabled: true still draw on a terminal.
  for (
    const [env, options] of [[{ CI: "1", DENOCAT_PROGRESS: "1" }, {}], [{ CI: "1" }, {
      enabled: true,
    }]] as const
  ) {
    withEnv(env, () => {
      const { writes, clock, make } = fake(true);
      const progress = make(options);
      clock.now += 1000;
      progress.update(1);
      assert.equal(writes.length, 1, JSON.stringify(env));
    });
  }
});

Deno.test("progress: durations read as seconds, minutes or hours", () => {
  assert.equal(formatDuration(0), "0.0 s");
  assert.equal(formatDuration(59_940), "59.9 s");
  assert.equal(formatDuration(65_000), "1 min 05 s");
  assert.equal(formatDuration(3_725_000), "1 h 02 min");
  assert.equal(formatDuration(-5), "0.0 s");
});

Deno.test("progress: a ticking line redraws on its own while work is awaited, and stops at finish", async () => {
  const saved = { CI: Deno.env.get("CI"), DENOCAT_PROGRESS: Deno.env.get("DENOCAT_PROGRESS") };
  Deno.env.delete("CI");
  Deno.env.delete("DENOCAT_PROGRESS");
  try {
    const { writes, make } = fake();
    let clock = 0;
    // A clock that moves a second per reading, so that every redraw has new text to draw.
    const progress = make({ ticking: true, intervalMs: 10, now: () => (clock += 1000) });
    progress.update(1);
    const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    await sleep(100);
    const drawn = writes.length;
    progress.finish();
    const final = writes.length;
    await sleep(50);
    assert.ok(drawn >= 3, `expected several timer redraws in 100 ms, got ${drawn}`);
    assert.equal(writes.length, final, "redrew after finish");
  } finally {
    for (const [k, v] of Object.entries(saved)) v === undefined ? Deno.env.delete(k) : Deno.env.set(k, v);
  }
});

const LONG_RUN = new URL("../tests/support/long_run.ts", import.meta.url).pathname;
const SCRIPT = "/usr/bin/script"; // util-linux: runs a command on a pseudo-terminal
const hasScript = await Deno.stat(SCRIPT).then(() => true, () => false);
if (!hasScript) console.log(`skip the terminal progress test: no ${SCRIPT} (util-linux) to make a terminal`);

Deno.test({
  name: "progress: a long host run draws the line on a terminal, and nothing when stderr is piped",
  ignore: !hasScript,
  async fn() {
    const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
    // `script` gives the child a terminal; stdout and stderr both come back through the pty.
    const env = { CI: "", DENOCAT_PROGRESS: "" }; // empty counts as unset: CI's own CI=true must not silence it
    const command = `${Deno.execPath()} run -A ${LONG_RUN}`;
    const onTerminal = await new Deno.Command(SCRIPT, {
      args: ["-qec", command, "/dev/null"],
      env,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const terminal = decode(onTerminal.stdout);
    assert.ok(onTerminal.success, terminal + decode(onTerminal.stderr));
    assert.match(
      terminal,
      /host run: 2,048\/3,072 steps \(67%\), [\d.]+ s elapsed, about [\d.]+ s left/,
    );
    // deno-lint-ignore no-control-regex -- the terminal's erase-line sequence is what is checked
    assert.match(terminal, /\r\x1b\[Khost run: 3,072\/3,072 steps \(100%\), [\d.]+ s elapsed\r?\n/);

    const piped = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", LONG_RUN],
      env,
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.ok(piped.success, decode(piped.stderr));
    assert.doesNotMatch(decode(piped.stderr), /host run/, "drew progress into a pipe");
    // Same numbers either way: the epochs do not depend on the terminal.
    // deno-lint-ignore no-control-regex -- strips the colours Deno's console.log adds on a terminal
    const line = (text: string) => text.match(/steps \d+ v \S+/)?.[0].replace(/\x1b\[[0-9;]*m/g, "");
    assert.equal(line(terminal), line(decode(piped.stdout)));
    assert.ok(line(terminal)?.startsWith("steps 3072 "), line(terminal));
  },
});
