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

/** What a program's process did: its exit code and what it printed. */
export interface ProgramResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `deno run -A <args>` in a fresh process, in `cwd` (default the repository root), with `env` added. */
export async function runDenoProgram(
  args: string[],
  options: { cwd?: string; env?: Record<string, string> } = {},
): Promise<ProgramResult> {
  const out = await denoCommand(["run", "-A", ...args], {
    cwd: options.cwd ?? ROOT,
    env: options.env ?? {},
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
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
