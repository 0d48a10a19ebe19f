// The C library's layout table (denocat_layout_table: every struct size, field offset and constant
// of c/arbor_abi.h and c/denocat.h), read at run time: the source of truth that mirrors are checked against.
import { resolveLibrary } from "../../platform/libraries.ts";
import { openLibrary } from "../../ffi/open.ts";
import { CATALOGUE_SYMBOLS } from "../../ffi/symbols.ts";

/** Name (e.g. `arb_mechanism_type.n_ions`, `sizeof.arb_field_info`) to value. */
export async function nativeLayout(): Promise<Map<string, number>> {
  const library = openLibrary(await resolveLibrary("denocat", "DENOCAT_LIB"), CATALOGUE_SYMBOLS);
  try {
    const table = new Map<string, number>();
    const base = library.symbols.denocat_layout_table()!;
    for (let entry = 0;; entry++) {
      const view = new Deno.UnsafePointerView(base);
      const name = view.getPointer(entry * 16);
      if (name === null) break;
      table.set(Deno.UnsafePointerView.getCString(name), view.getUint32(entry * 16 + 8));
    }
    return table;
  } finally {
    library.close();
  }
}
