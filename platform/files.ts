/**
 * How denocat writes files the user will keep (compiled catalogues, imported modules, native
 * builds in the cache), one rule for all of them (docs/errors.md, "Files, exits and temporary
 * folders"):
 *
 * - a file that is there and that denocat did not write (its content lacks denocat's mark) is
 *   refused, unless the user asked for it to be replaced (`force`);
 * - a symbolic link is never followed: it is refused like a file of the user's, and with `force`
 *   the link itself is replaced, never the file it points to;
 * - every file is written under a temporary name in its own folder and renamed into place, so a
 *   reader sees the old file or the whole new one, and a failure leaves the old file as it was.
 *
 * @module
 */
import { basename, dirname, join } from "node:path";

/** A file denocat will not replace: `path` is the file, the message says why and what to do. */
export class FileRefusedError extends Error {
  /** The file that was left as it was. */
  readonly path: string;

  /** Creates the error. */
  constructor(path: string, message: string) {
    super(message);
    this.name = "FileRefusedError";
    this.path = path;
  }
}

/** What may be replaced, and how the refusal advises. */
export interface TargetOptions {
  /** Replace files and links that denocat did not write (`--force`). */
  force?: boolean;
  /**
   * Whether the bytes of an existing regular file show that denocat wrote it (a compiled
   * catalogue's fingerprint, the header of a generated module). Default: nothing is denocat's.
   */
  ours?: (bytes: Uint8Array) => boolean;
  /** How to ask for the replacement, for the message; default `"--force"`. */
  forceHint?: string;
}

/** What is at `path` without following a link: undefined when nothing is. */
function lstat(path: string): Deno.FileInfo | undefined {
  try {
    return Deno.lstatSync(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

/**
 * Refuses to (re)place `path` when that would replace something that is not denocat's: a file
 * of the user's, a symbolic link (wherever it points), a folder. Throws {@link FileRefusedError}.
 */
export function checkTarget(path: string, options: TargetOptions = {}): void {
  const info = lstat(path);
  if (info === undefined) return;
  const hint = options.forceHint ?? "--force";
  if (info.isDirectory) {
    throw new FileRefusedError(path, `${path} is a folder: denocat writes a file of that name there`);
  }
  if (info.isSymlink) {
    if (options.force) return; // the rename replaces the link, not what it points to
    let to = "";
    try {
      to = ` to ${Deno.readLinkSync(path)}`;
    } catch {
      // unreadable link: refused all the same
    }
    throw new FileRefusedError(
      path,
      `${path} is a symbolic link${to}: denocat does not write through links (it could replace a file ` +
        `outside the output folder). Remove the link, choose another output, or pass ${hint} to replace the ` +
        `link itself`,
    );
  }
  if (options.force) return;
  let bytes: Uint8Array;
  try {
    bytes = Deno.readFileSync(path);
  } catch (error) {
    throw new FileRefusedError(path, `${path} exists and cannot be read (${(error as Error).message})`);
  }
  if (options.ours?.(bytes)) return;
  throw new FileRefusedError(
    path,
    `${path} exists and denocat did not write it: it is left as it is. Move it away, choose another ` +
      `output, or pass ${hint} to replace it`,
  );
}

/** Whether `needle` occurs in the first `limit` bytes of `bytes`. */
export function holds(bytes: Uint8Array, needle: string, limit = bytes.length): boolean {
  const text = new TextDecoder("latin1").decode(bytes.subarray(0, limit));
  return text.includes(needle);
}

function temporaryName(path: string): string {
  return join(dirname(path), `.${basename(path)}.${Deno.pid}-${crypto.randomUUID().slice(0, 8)}.partial`);
}

/**
 * Writes `data` to `path` atomically: a temporary file in the same folder, then a rename (which
 * replaces a link at `path` itself, never the file it points to). Checks `path` with
 * {@link checkTarget} first (again right before the rename) unless `options` is `false`.
 */
export async function writeFileAtomic(
  path: string,
  data: Uint8Array | string,
  options: TargetOptions | false = {},
): Promise<void> {
  if (options !== false) checkTarget(path, options);
  const temporary = temporaryName(path);
  try {
    if (typeof data === "string") await Deno.writeTextFile(temporary, data, { createNew: true });
    else await Deno.writeFile(temporary, data, { createNew: true });
    if (options !== false) checkTarget(path, options);
    await Deno.rename(temporary, path);
  } catch (error) {
    await Deno.remove(temporary).catch(() => {});
    throw error;
  }
}

/** {@link writeFileAtomic} for code that cannot wait. */
export function writeFileAtomicSync(
  path: string,
  data: Uint8Array | string,
  options: TargetOptions | false = {},
): void {
  if (options !== false) checkTarget(path, options);
  const temporary = temporaryName(path);
  try {
    if (typeof data === "string") Deno.writeTextFileSync(temporary, data, { createNew: true });
    else Deno.writeFileSync(temporary, data, { createNew: true });
    if (options !== false) checkTarget(path, options);
    Deno.renameSync(temporary, path);
  } catch (error) {
    try {
      Deno.removeSync(temporary);
    } catch {
      // never written, or renamed
    }
    throw error;
  }
}

/** Copies `source` to `path` atomically, with the checks of {@link writeFileAtomic}. */
export async function copyFileAtomic(
  source: string,
  path: string,
  options: TargetOptions | false = {},
): Promise<void> {
  await writeFileAtomic(path, await Deno.readFile(source), options);
}
