// The NMODL corpus no one here wrote: Debian's neuron demo mechanisms and python3-nmodl's
// examples. Absent on a user's machine (the tests then skip, saying so); CI installs both
// packages and sets DENOCAT_REQUIRE_NMODL_CORPUS=1, so there the tests fail instead of skipping.

/** Folders of the corpus, and how many .mod files each holds when its package is installed. */
export const CORPUS_FOLDERS = [
  { folder: "/usr/share/nrn/demo/release", package: "neuron", files: 10 },
  { folder: "/usr/lib/python3/dist-packages/nmodl/ext/example", package: "python3-nmodl", files: 4 },
];

/** Every .mod file of the corpus (sorted), or a sentence saying what is missing. */
export function corpusFiles(): { files: string[]; missing?: string } {
  const files: string[] = [];
  for (const { folder, package: name } of CORPUS_FOLDERS) {
    try {
      for (const entry of Deno.readDirSync(folder)) {
        if (entry.name.endsWith(".mod")) files.push(`${folder}/${entry.name}`);
      }
    } catch {
      const missing = `the NMODL corpus ${folder} is absent (apt-get install ${name}); skipping`;
      if (Deno.env.get("DENOCAT_REQUIRE_NMODL_CORPUS")) {
        throw new Error(`${missing}: but DENOCAT_REQUIRE_NMODL_CORPUS is set`);
      }
      console.warn(missing);
      return { files: [], missing };
    }
  }
  return { files: files.sort() };
}
