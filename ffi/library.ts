/**
 * Where denocat's native libraries are, and opening them.
 *
 * Resolution, in order: an explicit path (`DENOCAT_LIB` for the catalogue, `DENOCAT_HOST_LIB` for
 * the host), then the local build in `zig-out/lib` of this checkout, which is built with zig on
 * first use when missing.
 *
 * @module
 */
import { join } from "node:path";
import { BUILD_OUTPUT, buildNative } from "./toolchain.ts";

/** File name of a shared library on this platform (`libX.so` or `libX.dylib`). */
export function sharedLibraryName(stem: string): string {
  const suffix = Deno.build.os === "darwin" ? "dylib" : Deno.build.os === "windows" ? "dll" : "so";
  return Deno.build.os === "windows" ? `${stem}.${suffix}` : `lib${stem}.${suffix}`;
}

function exists(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

let buildAttempt: Promise<void> | undefined;

/**
 * Returns the path of one of denocat's native libraries, building them if this checkout has none.
 *
 * @param stem library name without prefix and suffix, e.g. `"denocat"` or `"denocat_host"`
 * @param envOverride environment variable that may hold an explicit path
 */
export async function resolveLibrary(stem: string, envOverride?: string): Promise<string> {
  const explicit = envOverride ? Deno.env.get(envOverride) : undefined;
  if (explicit) {
    if (!exists(explicit)) throw new Error(`${envOverride}=${explicit} does not name a readable file`);
    return explicit;
  }
  const local = join(BUILD_OUTPUT, sharedLibraryName(stem));
  if (!exists(local)) {
    buildAttempt ??= buildNative({ quiet: true });
    try {
      await buildAttempt;
    } catch (cause) {
      throw new Error(`denocat's native library ${local} is missing and building it failed`, { cause });
    }
  }
  if (!exists(local)) throw new Error(`zig build finished but ${local} is still missing`);
  return local;
}

/**
 * `Deno.dlopen` with an error that names the file and keeps the original as its cause.
 */
export function openLibrary<S extends Deno.ForeignLibraryInterface>(
  path: string,
  symbols: S,
): Deno.DynamicLibrary<S> {
  try {
    return Deno.dlopen(path, symbols);
  } catch (cause) {
    throw new Error(
      `could not load denocat library ${path}: ${(cause as Error).message}. ` +
        `Run "deno task build" to rebuild it, and run Deno with --allow-ffi.`,
      { cause },
    );
  }
}

const encoder = new TextEncoder();

/** A NUL-terminated UTF-8 copy of `text`, for `"buffer"` parameters that take `const char*`. */
export function cString(text: string): Uint8Array<ArrayBuffer> {
  const bytes = encoder.encode(text);
  const out = new Uint8Array(bytes.length + 1);
  out.set(bytes);
  return out;
}

/** Reads a C string, or returns `""` for NULL. */
export function readCString(pointer: Deno.PointerValue): string {
  return pointer === null ? "" : Deno.UnsafePointerView.getCString(pointer);
}
