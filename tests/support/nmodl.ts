// Imports a .mod file with denocat's NMODL importer, writes the module to a temporary folder
// (the kernel plan reads a class's source from its file) and loads it.
import { join } from "node:path";
import { importNmodl, type ImportOptions, type ImportResult } from "../../nmodl/mod.ts";
import type { MechanismClass } from "../../mod.ts";

/** The imported module's class, its source and where it was written. */
export interface LoadedImport extends ImportResult {
  cls: MechanismClass;
  path: string;
}

let folder: string | undefined;

/** Imports `modFile` (read from disk) and loads the generated class. */
export async function loadNmodl(modFile: string, options: ImportOptions = {}): Promise<LoadedImport> {
  folder ??= await Deno.makeTempDir({ prefix: "denocat-nmodl-" });
  const result = await importNmodl(await Deno.readTextFile(modFile), { file: modFile, ...options });
  const path = join(folder, `${options.name ?? result.name}_${crypto.randomUUID().slice(0, 8)}.ts`);
  await Deno.writeTextFile(path, result.source);
  const module = await import(`file://${path}`);
  return { ...result, cls: module[result.className] as MechanismClass, path };
}
