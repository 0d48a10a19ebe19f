/**
 * One progress line on the terminal for long work (host runs, the zig install, catalogue
 * compilation, benchmarks): what is done out of how much, elapsed time and an estimate of the time
 * left, redrawn in place at most every {@link ProgressOptions.intervalMs}.
 *
 * It draws only on a terminal: never when stderr is piped or redirected, never when the `CI`
 * environment variable is set, and never when `DENOCAT_PROGRESS=0` (or an option says `false`).
 * Environment variables are read only where permission to read them is already granted, so a
 * progress line never causes a permission prompt; without that permission they count as unset.
 *
 * @module
 */

/** Where the line goes: `Deno.stderr`, or a fake terminal in tests. */
export interface ProgressWriter {
  /** Whether this writer is an interactive terminal. */
  isTerminal(): boolean;
  /** Writes bytes, returning how many were written. */
  writeSync(bytes: Uint8Array): number;
}

/** Options of {@link Progress}. */
export interface ProgressOptions {
  /** What is being done, e.g. `"host run"`. */
  label: string;
  /** Units of work in all (e.g. steps); `update` may change it. */
  total: number;
  /** Unit name shown after the counts (e.g. `"steps"`); none by default. */
  unit?: string;
  /** `false` silences this line; `true` draws even where `CI` is set (still only on a terminal). */
  enabled?: boolean;
  /** Draws nothing until this much time has passed (ms; default 0): short work stays silent. */
  delayMs?: number;
  /** At most one redraw per this many ms (default 250). */
  intervalMs?: number;
  /** Default `Deno.stderr`. */
  writer?: ProgressWriter;
  /** Clock in ms (default `performance.now`); tests pass a fake one. */
  now?: () => number;
  /**
   * Redraw on a timer too (every interval, until `finish`), so the elapsed time moves while one
   * long piece of asynchronous work (a compiler run) is awaited. Only when the line is active.
   */
  ticking?: boolean;
  /** Formats counts (default: integers with thousands separators). */
  format?: (value: number) => string;
}

function environment(name: string): string | undefined {
  try {
    if (Deno.permissions.querySync({ name: "env", variable: name }).state !== "granted") return undefined;
    return Deno.env.get(name);
  } catch {
    return undefined;
  }
}

/**
 * Whether a progress line may be drawn on `writer`: a terminal, `DENOCAT_PROGRESS` not `0`, and
 * `CI` not set (unless `enabled` is `true`). `enabled === false` always silences.
 */
export function progressAllowed(writer: ProgressWriter, enabled?: boolean): boolean {
  if (enabled === false) return false;
  const setting = environment("DENOCAT_PROGRESS");
  if (setting === "0" || setting === "false") return false;
  if (enabled !== true && setting !== "1" && (environment("CI") ?? "") !== "") return false;
  try {
    return writer.isTerminal();
  } catch {
    return false;
  }
}

/** `12.3 s`, `4 min 05 s`, `1 h 02 min`. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, ms) / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const minutes = Math.floor(s / 60);
  if (minutes < 60) return `${minutes} min ${String(Math.floor(s % 60)).padStart(2, "0")} s`;
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, "0")} min`;
}

const encoder = new TextEncoder();
const CLEAR_LINE = "\r\x1b[K";

/**
 * A progress line. Call `update(done)` as work advances (cheap: it redraws only when the interval
 * has passed), `clear()` before printing other output, and `finish()` at the end.
 *
 * @example
 * ```ts
 * import { Progress } from "./progress.ts";
 * const progress = new Progress({ label: "steps", total: 1000, unit: "steps", delayMs: 2000 });
 * for (let done = 0; done < 1000; done += 100) progress.update(done + 100);
 * progress.finish();
 * ```
 */
export class Progress {
  readonly #options: ProgressOptions;
  readonly #writer: ProgressWriter;
  readonly #now: () => number;
  readonly #active: boolean;
  readonly #started: number;
  #total: number;
  #done = 0;
  #lastDraw = -Infinity;
  #shown = false;
  #everShown = false;
  #finished = false;
  #timer: ReturnType<typeof setInterval> | undefined;
  #lastText = "";

  /** Starts the clock; draws nothing yet. */
  constructor(options: ProgressOptions) {
    this.#options = options;
    this.#writer = options.writer ?? Deno.stderr;
    this.#now = options.now ?? (() => performance.now());
    this.#active = progressAllowed(this.#writer, options.enabled);
    this.#started = this.#now();
    this.#total = options.total;
    if (this.#active && options.ticking) {
      const timer = setInterval(() => this.update(this.#done), options.intervalMs ?? 250);
      Deno.unrefTimer(timer); // a forgotten finish() must not keep the program alive
      this.#timer = timer;
    }
  }

  /** Whether this line can draw at all (a terminal, not silenced). */
  get active(): boolean {
    return this.#active;
  }

  /** The line as it would be drawn now. */
  line(now = this.#now()): string {
    const format = this.#options.format ?? ((x: number) => Math.round(x).toLocaleString("en-US"));
    const elapsed = now - this.#started;
    const total = Math.max(this.#total, 0);
    const fraction = total > 0 ? Math.min(1, this.#done / total) : 0;
    const unit = this.#options.unit ? ` ${this.#options.unit}` : "";
    // Below 2 % done an estimate is mostly noise (a download that has not started yet): none.
    const left = fraction >= 0.02 && fraction < 1
      ? `, about ${formatDuration(elapsed * (1 - fraction) / fraction)} left`
      : "";
    return `${this.#options.label}: ${format(this.#done)}/${format(total)}${unit} ` +
      `(${(fraction * 100).toFixed(0)}%), ${formatDuration(elapsed)} elapsed${left}`;
  }

  /** Records `done` units (and a new total, if given); redraws when the interval has passed. */
  update(done: number, total?: number): void {
    this.#done = done;
    if (total !== undefined) this.#total = total;
    if (!this.#active || this.#finished) return;
    const now = this.#now();
    if (now - this.#started < (this.#options.delayMs ?? 0)) return;
    if (now - this.#lastDraw < (this.#options.intervalMs ?? 250)) return;
    this.#draw(now);
  }

  #draw(now: number): void {
    let text = this.line(now);
    try {
      const columns = Deno.consoleSize().columns;
      if (columns > 1 && text.length >= columns) text = text.slice(0, columns - 1);
    } catch {
      // not a console Deno can measure (a fake terminal): draw the whole line
    }
    // The same text again (finish right after an update) would only flicker.
    if (!(this.#shown && text === this.#lastText)) this.#writer.writeSync(encoder.encode(CLEAR_LINE + text));
    this.#lastText = text;
    this.#lastDraw = now;
    this.#shown = true;
    this.#everShown = true;
  }

  /** Erases the line (if drawn) so that other output starts at the left; the next update redraws. */
  clear(): void {
    if (!this.#shown) return;
    this.#writer.writeSync(encoder.encode(CLEAR_LINE));
    this.#shown = false;
    this.#lastDraw = -Infinity;
  }

  /**
   * Ends the line. If it was ever drawn, draws the final state and a newline (so the total time
   * stays readable); work that stayed under the delay leaves no trace.
   */
  finish(): void {
    if (this.#finished) return;
    this.#finished = true;
    clearInterval(this.#timer);
    if (!this.#active || !this.#everShown) return;
    this.#draw(this.#now());
    this.#writer.writeSync(encoder.encode("\n"));
  }
}
