/**
 * `deno task fidelity`: runs every case of `tests/data/arbor/` on the native host with the
 * TypeScript ports of Arbor's default catalogue (examples/catalogue), and prints, per case, the
 * largest voltage and state differences and the spike times against Arbor's; exits 1 when a case
 * exceeds `FIDELITY_TOLERANCE`.
 *
 * @module
 */
import { catalogue } from "../../mod.ts";
import { arborDefaultPorts } from "../../examples/catalogue/mod.ts";
import { runCell } from "../../host/cell.ts";
import {
  compareWithReference,
  type Comparison,
  FIDELITY_TOLERANCE,
  fidelityViolations,
  loadReferenceCase,
  referenceCaseNames,
} from "./reference.ts";

/** Runs every reference case with the live TS ports and compares it with Arbor's traces. */
export async function fidelityReport(abi: "0.6" | "0.7" = "0.7"): Promise<Comparison[]> {
  const ports = await catalogue({ mechanisms: arborDefaultPorts, abi });
  try {
    const report: Comparison[] = [];
    for (const name of referenceCaseNames()) {
      const reference = loadReferenceCase(name);
      const result = await runCell(reference.cell, { catalogues: [ports], abi });
      report.push(compareWithReference(reference, result));
    }
    return report;
  } finally {
    ports.close();
  }
}

/** Formats a report as the Markdown table README shows. */
export function formatReport(report: Comparison[], label: string): string {
  const lines = [
    `| case (${label}) | samples | max abs dV (mV) | max abs d(state) | spikes: ours / Arbor's | max spike shift (ms) |`,
    "|---|---:|---:|---:|---|---:|",
  ];
  for (const c of report) {
    lines.push(
      `| ${c.name} | ${c.samples} | ${c.maxVoltage.toExponential(2)} | ${
        c.maxState === 0 ? "0" : c.maxState.toExponential(2)
      } | ${c.spikes.length} / ${c.referenceSpikes.length} | ${
        c.spikes.length === 0 && c.referenceSpikes.length === 0 ? "-" : c.maxSpikeShift.toExponential(2)
      } |`,
    );
  }
  return lines.join("\n");
}

if (import.meta.main) {
  const unfaithful: string[] = [];
  for (const abi of ["0.7", "0.6"] as const) {
    const report = await fidelityReport(abi);
    console.log(formatReport(report, `live TS, ABI ${abi}`));
    console.log();
    for (const c of report) {
      for (const violation of fidelityViolations(c)) unfaithful.push(`${c.name} (ABI ${abi}): ${violation}`);
    }
  }
  if (unfaithful.length > 0) {
    console.error(`fidelity check failed:\n  ${unfaithful.join("\n  ")}`);
    Deno.exit(1);
  }
  console.log("fidelity check passed: every case within", FIDELITY_TOLERANCE);
}
