/**
 * Opening native libraries: `Deno.dlopen` with errors that name the file, symbol lookup through
 * libc's dlopen/dlsym for libraries that must be loaded RTLD_GLOBAL, the generic (re-entrant) call
 * path, and C strings. Where a library is comes from platform/libraries.ts; what its symbols are,
 * from ffi/symbols.ts.
 *
 * @module
 */
import {
  checkLibraryFile,
  isPermissionError,
  PermissionError,
  rebuildAdvice,
} from "../platform/libraries.ts";
import { LIBC_SYMBOLS } from "./symbols.ts";

/**
 * `Deno.dlopen` with an error that names the file and keeps the original as its cause; a missing
 * `--allow-ffi` is reported as such. The file's headers are checked first (`checkLibraryFile`).
 */
export function openLibrary<S extends Deno.ForeignLibraryInterface>(
  path: string,
  symbols: S,
): Deno.DynamicLibrary<S> {
  checkLibraryFile(path);
  try {
    return Deno.dlopen(path, symbols);
  } catch (cause) {
    if (isPermissionError(cause)) throw new PermissionError("--allow-ffi", `load ${path}`, cause);
    throw new Error(
      `could not load denocat library ${path}: ${(cause as Error).message}. ${rebuildAdvice(path)}, ` +
        `and run Deno with --allow-ffi.`,
      { cause },
    );
  }
}

let libc: Deno.DynamicLibrary<typeof LIBC_SYMBOLS> | undefined;

/** libc, opened once. */
export function libcSymbols(): Deno.DynamicLibrary<typeof LIBC_SYMBOLS>["symbols"] {
  libc ??= Deno.dlopen(Deno.build.os === "darwin" ? "libSystem.B.dylib" : "libc.so.6", LIBC_SYMBOLS);
  return libc.symbols;
}

/**
 * Looks symbols up in the library at `path` through libc's dlopen/dlsym. An already loaded library
 * gives back its own handle; `global` loads it with RTLD_GLOBAL, so that libraries opened later
 * (Python extension modules) resolve their symbols against it. `hint` ends the missing-symbol error.
 */
export function symbolAddresses(
  path: string,
  options: { global?: boolean; hint?: string } = {},
): (name: string) => Deno.PointerObject {
  checkLibraryFile(path);
  const c = libcSymbols();
  const RTLD_NOW = 2;
  const RTLD_GLOBAL = Deno.build.os === "darwin" ? 8 : 0x100;
  const handle = c.dlopen(cString(path), options.global ? RTLD_NOW | RTLD_GLOBAL : RTLD_NOW);
  if (handle === null) {
    const flags = options.global ? ", RTLD_NOW|RTLD_GLOBAL" : "";
    throw new Error(`dlopen(${path}${flags}) failed: ${readCString(c.dlerror()) || "unknown error"}`);
  }
  return (name) => {
    const address = c.dlsym(handle, cString(name));
    if (address === null) throw new Error(`${path} has no symbol ${name}${options.hint ?? ""}`);
    return address;
  };
}

/**
 * The functions of `definitions`, called through Deno's generic FFI path (`UnsafeFnPointer`)
 * instead of the fast-call path that `Deno.dlopen` symbols take. Use it for C functions that call
 * back into JavaScript (mechanism hooks, Python code): V8 aborts the process ("Lazy deopt after a
 * fast API call with return value is unsupported") when a fast call re-enters JavaScript.
 */
export function reentrantSymbols<S extends Deno.ForeignLibraryInterface>(
  definitions: S,
  address: (name: string) => Deno.PointerObject,
): Deno.DynamicLibrary<S>["symbols"] {
  const symbols: Record<string, unknown> = {};
  for (const [name, definition] of Object.entries(definitions)) {
    const fn = new Deno.UnsafeFnPointer(
      address(name) as Deno.PointerObject<Deno.ForeignFunction>,
      definition as Deno.ForeignFunction,
    );
    symbols[name] = (...args: unknown[]) => (fn.call as (...a: unknown[]) => unknown)(...args);
  }
  return symbols as Deno.DynamicLibrary<S>["symbols"];
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
