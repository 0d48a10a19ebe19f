// The test files of `deno task test`: every *_test.ts under the folders of deno.json's
// `test.include` (the one list of where tests live). tools/test_sanitized.ts runs the same files.
import { join, relative } from "node:path";
import { ROOT } from "./subprocess.ts";

/** The folders (relative to the repository root) that deno.json's `test.include` names. */
export function testFolders(): string[] {
  const config = JSON.parse(Deno.readTextFileSync(join(ROOT, "deno.json")));
  const include: unknown = config.test?.include;
  if (!Array.isArray(include) || include.some((entry) => typeof entry !== "string")) {
    throw new Error("deno.json has no test.include list of folders");
  }
  return include.map((entry: string) => entry.replace(/\/$/, ""));
}

/** Every *_test.ts below `folder` (absolute paths, sorted), skipping build and tool folders. */
export function testFilesUnder(folder: string): string[] {
  const found: string[] = [];
  const skip = new Set([".git", ".tools", "node_modules", "zig-cache", ".zig-cache", "zig-out"]);
  const walk = (path: string) => {
    for (const entry of Deno.readDirSync(path)) {
      if (entry.isDirectory && !skip.has(entry.name)) walk(join(path, entry.name));
      else if (entry.isFile && entry.name.endsWith("_test.ts")) found.push(join(path, entry.name));
    }
  };
  walk(folder);
  return found.sort();
}

/** The test files of `deno task test`, relative to the repository root. */
export function suiteTestFiles(): string[] {
  return testFolders().flatMap((folder) => testFilesUnder(join(ROOT, folder))).map((f) => relative(ROOT, f));
}
