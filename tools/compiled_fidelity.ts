/**
 * `deno run -A tools/compiled_fidelity.ts <folder> [name]`: runs every recorded Arbor case on the
 * native host with a compiled catalogue of the default-catalogue ports (`deno task catalogue
 * examples/catalogue/mod.ts --name <name> -o <folder>`, default name "ports"), for both ABI families,
 * and exits 1 when a case is unfaithful. CI builds that catalogue on x86_64 for aarch64 and runs this
 * under qemu-aarch64, which proves a cross-compiled catalogue works where it is meant to run.
 *
 * @module
 */
import { join, resolve } from "node:path";
import { runCell } from "../host/cell.ts";
import {
  compareWithReference,
  fidelityViolations,
  loadReferenceCase,
  referenceCaseNames,
} from "./fidelity/reference.ts";

const [folder, name = "ports"] = Deno.args;
if (folder === undefined) {
  console.error("usage: deno run -A tools/compiled_fidelity.ts <folder> [name]");
  Deno.exit(2);
}
const unfaithful: string[] = [];
let cases = 0;
for (const [abi, suffix] of [["0.7", "abi07"], ["0.6", "abi06"]] as const) {
  const library = join(resolve(folder), `${name}_${suffix}.so`);
  for (const caseName of referenceCaseNames()) {
    const reference = loadReferenceCase(caseName);
    const comparison = compareWithReference(
      reference,
      await runCell(reference.cell, { catalogues: [library], abi }),
    );
    cases++;
    console.log(`  ${caseName} (ABI ${abi}): max |dV| ${comparison.maxVoltage.toExponential(2)} mV`);
    for (const violation of fidelityViolations(comparison)) {
      unfaithful.push(`${caseName} (ABI ${abi}): ${violation}`);
    }
  }
}
if (unfaithful.length > 0) {
  console.error(`compiled catalogue unfaithful:\n  ${unfaithful.join("\n  ")}`);
  Deno.exit(1);
}
console.log(`compiled catalogue ${name}: ${cases} cases faithful on ${Deno.build.arch}`);
