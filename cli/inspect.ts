/**
 * `denocat inspect <module.ts | file.mod>... [options]`: gating curves and voltage-clamp protocols
 * of one mechanism, or of several compared (inspect/mod.ts), written as SVG figures and CSV or
 * JSON data, with the largest difference of every curve printed. See docs/inspect.md.
 *
 * @module
 */
import { basename } from "node:path";
import { NEURON_IONS } from "../host/types.ts";
import type { IonSpecies } from "../host/types.ts";
import {
  checkInspectOptions,
  inspect,
  InspectError,
  type InspectOptions,
  PROTOCOL_NAMES,
} from "../inspect/mod.ts";
import type { DataFormat } from "../inspect/output.ts";
import { parseWaveform, PROTOCOL_PARAMETERS, type ProtocolName } from "../inspect/protocols.ts";
import { UsageError } from "./usage.ts";

const USAGE = `usage: denocat inspect <module.ts | file.mod>... [options]

Shows ion channels and synapses before you simulate them: each state's steady state and time
constant against voltage, and the voltage-clamp protocols activation, inactivation, deactivation,
ramp and ap (action-potential clamp) with their peak and steady-state I-V curves. Several sources
are compared on one figure (the first is the reference) and the largest difference of every
curve is printed. Figures are SVG; data CSV or JSON, units in the headers. docs/inspect.md.

Options:
  --mechanism NAME          which mechanism of a module that declares several
  -o, --out DIR             where to write (default: ./inspect-<mechanism>)
  --format csv|json|none    the data files (default csv)
  --no-figures              no SVG figures
  --protocols LIST          activation,inactivation,deactivation,ramp,ap, all or none (default all)
  --set PROTOCOL.PARAM=V    a protocol parameter, with or without a unit (repeatable):
                            --set activation.hold=-90mV --set ramp.ramps=800ms,400ms
  --waveform FILE           the ap protocol clamps this CSV: time (ms), voltage (mV)
  --no-gating               no gating curves
  --from V --to V --step V  the voltages of the gating curves (default -100, 60, 1 mV)
  --temperature T           degC, or with a unit: 34, 307.15K (default 6.3, Arbor's default)
  --dt T                    time step (default 0.025 ms)
  --current NAME            the current the I-V curves are read off: i (total, default), ina, ...
  --param NAME=VALUE        a parameter or global of the mechanisms (repeatable)
  --ion NAME:FIELD=VALUE,.. an ion's valence, internal, external or reversal (repeatable)
  --gating-settle T, --gating-limit T
                            step length and longest step of measured gating curves (200 ms, 10 s)
  --target js|native        where kernels run (default js)
  --trace-points N          samples per sweep in traces.csv (default 1000; 0: every sample)
  --force                   replace files in the folder that denocat did not write
  -h, --help                this help`;

/** The parsed command line. */
export interface InspectCommand {
  /** Sources, in order. */
  sources: string[];
  /** Options of `inspect()`. */
  options: InspectOptions;
  /** The output folder, if given. */
  out?: string;
  /** The data format. */
  format: DataFormat;
  /** Write figures. */
  figures: boolean;
  /** Trace samples per sweep. */
  tracePoints?: number;
  /** Replace files denocat did not write. */
  force: boolean;
}

/** Parses the command line; a mistake is a {@link UsageError}. */
export async function parseInspect(args: string[]): Promise<InspectCommand> {
  const usage = (message: string) => new UsageError(message, USAGE);
  const sources: string[] = [];
  const options: InspectOptions = {};
  const settings: Partial<Record<ProtocolName, Record<string, unknown>>> = {};
  const parameters: Record<string, number> = {};
  const ions: Record<string, IonSpecies> = {};
  let chosen: ProtocolName[] | undefined;
  const command: InspectCommand = { sources, options, format: "csv", figures: true, force: false };
  const voltage: Record<string, string> = {};
  const gating: Record<string, string> = {};
  let gatingOn = true;
  for (let k = 0; k < args.length; k++) {
    const arg = args[k];
    const value = () => {
      const next = args[++k];
      if (next === undefined) throw usage(`${arg} needs a value`);
      return next;
    };
    switch (arg) {
      case "--mechanism":
        options.mechanism = value();
        break;
      case "-o":
      case "--out":
        command.out = value();
        break;
      case "--format": {
        const format = value();
        if (format !== "csv" && format !== "json" && format !== "none") {
          throw usage(`--format must be csv, json or none`);
        }
        command.format = format;
        break;
      }
      case "--no-figures":
        command.figures = false;
        break;
      case "--protocols": {
        const list = value();
        chosen = list === "all" ? [...PROTOCOL_NAMES] : list === "none" ? [] : list.split(",").map((name) => {
          if (!PROTOCOL_NAMES.includes(name as ProtocolName)) {
            throw usage(
              `--protocols: unknown protocol '${name}'; the protocols are ${PROTOCOL_NAMES.join(", ")}`,
            );
          }
          return name as ProtocolName;
        });
        break;
      }
      case "--set": {
        const text = value();
        const match = /^([A-Za-z]+)\.([A-Za-z]+)=(.+)$/.exec(text);
        if (!match) {
          throw usage(`--set takes PROTOCOL.PARAM=VALUE (e.g. activation.hold=-90mV), got '${text}'`);
        }
        const [, protocol, parameter, given] = match;
        if (!PROTOCOL_NAMES.includes(protocol as ProtocolName)) {
          throw usage(
            `--set ${text}: unknown protocol '${protocol}'; the protocols are ${PROTOCOL_NAMES.join(", ")}`,
          );
        }
        const known = PROTOCOL_PARAMETERS[protocol as ProtocolName];
        if (!Object.hasOwn(known, parameter) || parameter === "waveform") {
          throw usage(
            `--set ${text}: protocol ${protocol} has no parameter '${parameter}'; it has ${
              Object.keys(known).filter((p) => p !== "waveform").join(", ")
            }`,
          );
        }
        (settings[protocol as ProtocolName] ??= {})[parameter] = given;
        break;
      }
      case "--waveform": {
        const file = value();
        let text: string;
        try {
          text = await Deno.readTextFile(file);
        } catch (error) {
          throw usage(`--waveform: cannot read ${file} (${(error as Error).message})`);
        }
        try {
          (settings.ap ??= {}).waveform = parseWaveform(text, file);
        } catch (error) {
          throw usage(`--waveform: ${(error as Error).message}`);
        }
        break;
      }
      case "--no-gating":
        gatingOn = false;
        break;
      case "--from":
      case "--to":
      case "--step":
        voltage[arg.slice(2)] = value();
        break;
      case "--temperature":
        options.temperature = value();
        break;
      case "--dt":
        options.dt = value();
        break;
      case "--current":
        options.current = value();
        break;
      case "--param": {
        const text = value();
        const match = /^([A-Za-z_][A-Za-z0-9_]*)=(.+)$/.exec(text);
        const number = match ? Number(match[2]) : NaN;
        if (!match || !Number.isFinite(number)) throw usage(`--param takes NAME=NUMBER, got '${text}'`);
        parameters[match[1]] = number;
        break;
      }
      case "--ion": {
        const text = value();
        const match = /^([A-Za-z_][A-Za-z0-9_]*):(.+)$/.exec(text);
        if (!match) throw usage(`--ion takes NAME:FIELD=VALUE[,FIELD=VALUE], got '${text}'`);
        const [, name, fields] = match;
        const species: Partial<IonSpecies> = { ...(ions[name] ?? NEURON_IONS[name]) };
        for (const pair of fields.split(",")) {
          const [field, given] = pair.split("=");
          const number = Number(given);
          if (!["valence", "internal", "external", "reversal"].includes(field) || !Number.isFinite(number)) {
            throw usage(
              `--ion ${text}: '${pair}' is not FIELD=NUMBER with FIELD valence, internal, external or reversal`,
            );
          }
          species[field as keyof IonSpecies] = number;
        }
        const missing = ["valence", "internal", "external", "reversal"].filter((f) =>
          species[f as keyof IonSpecies] === undefined
        );
        if (missing.length > 0) {
          throw usage(`--ion ${text}: ion '${name}' has no defaults; give ${missing.join(", ")} too`);
        }
        ions[name] = species as IonSpecies;
        break;
      }
      case "--gating-settle":
      case "--gating-limit":
        gating[arg.slice("--gating-".length)] = value();
        break;
      case "--target": {
        const target = value();
        if (target !== "js" && target !== "native") throw usage(`--target must be js or native`);
        options.target = target;
        break;
      }
      case "--trace-points": {
        const points = Number(value());
        if (!Number.isInteger(points) || points < 0) throw usage(`--trace-points takes a whole number >= 0`);
        command.tracePoints = points;
        break;
      }
      case "--force":
        command.force = true;
        break;
      default:
        if (arg.startsWith("-")) throw usage(`unknown option ${arg}`);
        sources.push(arg);
    }
  }
  if (sources.length === 0) throw usage("give the module (.ts) or NMODL file (.mod) of a mechanism");
  if (Object.keys(voltage).length > 0) options.voltage = voltage;
  if (Object.keys(parameters).length > 0) options.parameters = parameters;
  if (Object.keys(ions).length > 0) options.ions = ions;
  options.gating = gatingOn ? (Object.keys(gating).length > 0 ? gating : undefined) : false;
  const names = chosen ?? [...PROTOCOL_NAMES];
  for (const name of Object.keys(settings) as ProtocolName[]) {
    if (!names.includes(name)) {
      throw usage(`--set ${name}.*: protocol ${name} is not among --protocols ${names.join(",")}`);
    }
  }
  options.protocols = names.length === 0
    ? false
    : Object.fromEntries(names.map((name) => [name, settings[name] ?? true]));
  if (options.gating === undefined) delete options.gating;
  try {
    checkInspectOptions(options);
  } catch (error) {
    if (error instanceof InspectError) throw usage(error.message);
    throw error;
  }
  return command;
}

/** A folder name from a mechanism name. */
function folderFor(name: string): string {
  return `inspect-${name.replace(/[^A-Za-z0-9_.-]/g, "_")}`;
}

/**
 * Runs `denocat inspect` with `args`; returns the exit code (0, or 1 for an error; a usage error
 * is thrown as a {@link UsageError}, which the command turns into exit code 2).
 */
export async function main(args: string[]): Promise<number> {
  if (args.includes("-h") || args.includes("--help")) {
    console.log(USAGE);
    return 0;
  }
  const command = await parseInspect(args);
  const result = await inspect(command.sources, command.options);
  console.log(result.summary());
  const out = command.out ?? folderFor(result.mechanisms[0].name);
  const written = await result.write({
    out,
    format: command.format,
    figures: command.figures,
    force: command.force,
    tracePoints: command.tracePoints,
  });
  console.log(
    written.length === 0
      ? "wrote nothing (--format none and --no-figures)"
      : `wrote ${written.length} files into ${out}: ${written.map((p) => basename(p)).join(", ")}`,
  );
  return 0;
}
