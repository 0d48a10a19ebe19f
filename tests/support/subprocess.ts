// Running a snippet in a fresh Deno process, for inputs that could crash the process that runs
// them: the test then sees an exit code or a signal instead of dying.
import { fileURLToPath } from "node:url";
import { denoCommand } from "./deno.ts";

/** The repository root: snippets import "./mod.ts" relative to it. */
export const ROOT: string = fileURLToPath(new URL("../..", import.meta.url));

/** What a snippet's process did. */
export interface SnippetResult {
  /** Exit code (meaningless when `signal` is set). */
  code: number;
  /** The signal that killed the process, such as "SIGSEGV", or null. */
  signal: Deno.Signal | null;
  /** stdout and stderr, in that order. */
  output: string;
}

/** Runs TypeScript `code` with every permission, in the repository root, with `env` added. */
export async function runDeno(code: string, env: Record<string, string> = {}): Promise<SnippetResult> {
  const result = await denoCommand(["eval", "--ext=ts", "-A", code], {
    cwd: ROOT,
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return {
    code: result.code,
    signal: result.signal,
    output: decoder.decode(result.stdout) + decoder.decode(result.stderr),
  };
}
