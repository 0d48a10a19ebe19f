// Captures what a test body prints: catalogue() notices go to console.error, kernels' own output
// to console.log.

/** Runs `body` with console.log and console.error captured; returns the lines and its value. */
export async function printedBy<T>(body: () => Promise<T>): Promise<{ lines: string[]; value: T }> {
  const lines: string[] = [];
  const { log, error } = console;
  console.log = console.error = (...args: unknown[]) => void lines.push(args.map(String).join(" "));
  try {
    return { lines, value: await body() };
  } finally {
    Object.assign(console, { log, error });
  }
}
