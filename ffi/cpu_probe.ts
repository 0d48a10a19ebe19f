/**
 * Asks a compiled catalogue, before anyone calls its `get_catalogue`, whether this CPU has what
 * it was built for (`denocat_cpu_missing`, c/catalogue.h). Loading it runs no code of
 * the catalogue (it has no constructors), so even a catalogue built for a newer CPU is safe to
 * open here. Libraries without the symbol (older catalogues, other people's) are not judged.
 *
 * @module
 */
import { CPU_CHECK_SYMBOLS } from "./symbols.ts";

/**
 * The reason a compiled catalogue cannot run on this CPU, or undefined when it can (or does
 * not say). The reason names the catalogue, its `--cpu` and the missing instruction set.
 */
export function cpuRefusal(path: string): string | undefined {
  let library;
  try {
    library = Deno.dlopen(path, CPU_CHECK_SYMBOLS);
  } catch {
    return undefined; // the loader proper reports why it cannot be opened
  }
  try {
    const { denocat_cpu_missing: missing, denocat_cpu: cpu } = library.symbols;
    if (!missing || !cpu) return undefined;
    const lacking = missing();
    if (lacking === null) return undefined;
    const built = cpu();
    const name = built === null ? "?" : Deno.UnsafePointerView.getCString(built);
    return `catalogue '${path}' was compiled with --cpu ${name} and needs ${
      Deno.UnsafePointerView.getCString(lacking)
    }, which this CPU lacks: rebuild it with --cpu baseline (portable), or with the --cpu of this machine`;
  } finally {
    library.close();
  }
}
