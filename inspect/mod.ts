/**
 * `inspect()`: see a channel before you simulate it. Gating curves (each state's steady state and
 * time constant against voltage: exact from the kernel plan where it integrates with cnexp,
 * measured on a voltage clamp otherwise) and the voltage-clamp protocols of ICGenealogy
 * (activation, inactivation, deactivation, ramp, action-potential clamp) with their peak and
 * steady-state current–voltage curves, for density and point mechanisms, TypeScript or imported
 * NMODL, on the js or native target. Several mechanisms are compared curve by curve. See
 * docs/inspect.md.
 *
 * @module
 */
import type { IonSpecies } from "../host/types.ts";
import { type Catalogue, catalogue } from "../catalogue/api.ts";
import { planAll, planOf, pointwiseInfo } from "../mechanism/declare.ts";
import { Progress } from "../platform/progress.ts";
import type { Plot } from "../plot/mod.ts";
import { analyse, type ProtocolResult } from "./analysis.ts";
import { ClampRig, type ProgressCount, type Setup } from "./clamp.ts";
import { compare, type Difference, formatDifferences } from "./compare.ts";
import { gatingFigure, protocolFigure } from "./figures.ts";
import { exactGating, type GatingCurve, measuredGating } from "./gating.ts";
import {
  curvesTable,
  differencesTable,
  gatingTable,
  type Table,
  TRACE_POINTS,
  tracesTable,
  writeFiles,
  type WriteOptions,
} from "./output.ts";
import {
  levels,
  planProtocol,
  PROTOCOL_NAMES,
  type ProtocolName,
  type ProtocolPlan,
  type ProtocolSettings,
} from "./protocols.ts";
import { describe, InspectError, positive, type Quantity, quantity } from "./quantity.ts";
import { type InspectEntry, type InspectSource, resolveSource, uniqueLabels, Workspace } from "./sources.ts";
import { type Offer, offerOf, setupOf, unknownShared } from "./setup.ts";

export type { ProtocolCurve, ProtocolResult, SweepResult } from "./analysis.ts";
export type { Difference } from "./compare.ts";
export type { GatingCurve } from "./gating.ts";
export type { DataFormat, Table, WriteOptions } from "./output.ts";
export type {
  ActivationParameters,
  ApParameters,
  DeactivationParameters,
  InactivationParameters,
  ProtocolName,
  ProtocolSettings,
  RampParameters,
  Waveform,
} from "./protocols.ts";
export type { Quantity } from "./quantity.ts";
export type { InspectEntry, InspectSource } from "./sources.ts";
export { InspectError } from "./quantity.ts";
export { PROTOCOL_NAMES, PROTOCOL_PARAMETERS } from "./protocols.ts";

/** The voltages of the gating curves. */
export interface VoltageRange {
  /** Lowest voltage (default -100 mV). */
  from?: Quantity;
  /** Highest voltage (default 60 mV). */
  to?: Quantity;
  /** Between voltages (default 1 mV). */
  step?: Quantity;
}

/** How the measured gating curves are measured (states not integrated with cnexp). */
export interface GatingOptions {
  /** Time at the holding voltage before each step (default 100 ms). */
  prepulse?: Quantity;
  /** Length of each step, and of each extension while a state has not settled (default 200 ms). */
  settle?: Quantity;
  /** The longest step before a state that has not settled is an error (default 10 s). */
  limit?: Quantity;
}

/** Options of {@link inspect}. */
export interface InspectOptions {
  /** Which mechanism of a module that declares several (every source; an entry's own `mechanism` wins). */
  mechanism?: string;
  /** Where kernels run: `"js"` (default) or `"native"` (C built with zig, cached). */
  target?: "js" | "native";
  /** Voltages of the gating curves (default -100 to 60 mV in steps of 1 mV). */
  voltage?: VoltageRange;
  /** Temperature (default 6.3 °C, Arbor's `neuron_cable_properties`). */
  temperature?: Quantity;
  /** Time step of the clamp runs (default 0.025 ms). */
  dt?: Quantity;
  /** Parameter or global values (Arbor names), for every mechanism that has them. */
  parameters?: Readonly<Record<string, number>>;
  /**
   * The current the protocols' curves are read off and their figures show: `"i"`, the total
   * (default), or one ion's (`"ina"`, `"ik"`), e.g. hh's sodium current alone.
   */
  current?: string;
  /** Ion species of the compartment, over Arbor's neuron defaults (na, k, ca). */
  ions?: Readonly<Record<string, IonSpecies>>;
  /** Gating curves: `true` (default), `false`, or how to measure them. */
  gating?: boolean | GatingOptions;
  /**
   * Protocols to run: their names (with default parameters), an object of settings per protocol
   * (`true`, `false` or parameters to override), or `false` for none. Default: all five.
   */
  protocols?: boolean | readonly ProtocolName[] | ProtocolSettings;
  /** A progress line on a terminal for long sweeps (default: shown after 2 s on a terminal, not in CI). */
  progress?: boolean;
}

/** One inspected mechanism. */
export interface InspectedMechanism {
  /** Its label in figures, tables and reports. */
  label: string;
  /** Its catalogue name. */
  name: string;
  /** density or point. */
  kind: "density" | "point";
  /** Where it came from (a file, a class). */
  origin: string;
  /** Where its kernels ran. */
  target: "js" | "native";
  /** The unit of its currents: `mA/cm2` (density, as Arbor reports i) or `nA` (point). */
  currentUnit: "mA/cm2" | "nA";
}

/** Everything checked about the options, in base units (mV, ms, °C). */
interface Settings {
  voltages: number[];
  temperature: number;
  dt: number;
  target: "js" | "native";
  gating: { prepulse: number; settle: number; limit: number } | undefined;
  gatingAsked: boolean;
  protocols: ProtocolPlan[];
  protocolsAsked: boolean;
}

const OPTION_KEYS = [
  "mechanism",
  "target",
  "voltage",
  "temperature",
  "dt",
  "parameters",
  "current",
  "ions",
  "gating",
  "protocols",
  "progress",
];

/**
 * Checks `options` without running anything: every error a voltage range, a time step, a
 * temperature or a protocol parameter can cause is thrown here, naming it (an {@link InspectError}).
 *
 * @example
 * ```ts
 * import { checkInspectOptions } from "./mod.ts";
 * checkInspectOptions({ voltage: { from: -120, to: 40 }, protocols: { activation: { hold: "-90 mV" } } });
 * ```
 */
export function checkInspectOptions(options: InspectOptions = {}): void {
  settingsOf(options);
}

function settingsOf(options: InspectOptions): Settings {
  if (typeof options !== "object" || options === null) {
    throw new InspectError(`inspect: options must be an object, got ${describe(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (!OPTION_KEYS.includes(key)) {
      throw new InspectError(`inspect: unknown option '${key}'; the options are ${OPTION_KEYS.join(", ")}`);
    }
  }
  const target = options.target ?? "js";
  if (target !== "js" && target !== "native") {
    throw new InspectError(`inspect: target must be "js" or "native", got ${describe(target)}`);
  }
  const range = options.voltage ?? {};
  const voltages = levels(
    "voltage",
    quantity("voltage.from", range.from ?? -100, "voltage"),
    quantity("voltage.to", range.to ?? 60, "voltage"),
    quantity("voltage.step", range.step ?? 1, "voltage"),
  );
  if (voltages.length < 2) {
    throw new InspectError(`voltage: from and to must differ (a gating curve needs two voltages or more)`);
  }
  const temperature = quantity("temperature", options.temperature ?? 6.3, "temperature");
  if (temperature < -273.15 || temperature > 100) {
    throw new InspectError(`temperature = ${temperature} °C is not a temperature a neuron works at`);
  }
  const dt = positive("dt", quantity("dt", options.dt ?? 0.025, "time"), "ms");
  if (dt > 1) throw new InspectError(`dt = ${dt} ms is too coarse for a voltage clamp; take at most 1 ms`);
  const gatingGiven = options.gating;
  let gating: Settings["gating"];
  if (gatingGiven !== false) {
    const g = typeof gatingGiven === "object" && gatingGiven !== null ? gatingGiven : {};
    if (gatingGiven !== undefined && gatingGiven !== true && typeof gatingGiven !== "object") {
      throw new InspectError(
        `gating must be true, false or { prepulse, settle, limit }, got ${describe(gatingGiven)}`,
      );
    }
    gating = {
      prepulse: positive("gating.prepulse", quantity("gating.prepulse", g.prepulse ?? 100, "time"), "ms"),
      settle: positive("gating.settle", quantity("gating.settle", g.settle ?? 200, "time"), "ms"),
      limit: positive("gating.limit", quantity("gating.limit", g.limit ?? 10_000, "time"), "ms"),
    };
  }
  return {
    voltages,
    temperature,
    dt,
    target,
    gating,
    gatingAsked: gatingGiven !== undefined && gatingGiven !== false,
    protocols: protocolPlans(options.protocols, dt),
    protocolsAsked: options.protocols !== undefined && options.protocols !== false,
  };
}

function protocolPlans(given: InspectOptions["protocols"], dt: number): ProtocolPlan[] {
  if (given === false) return [];
  if (given === undefined || given === true) {
    return PROTOCOL_NAMES.map((name) => planProtocol(name, undefined, dt));
  }
  const known = (name: unknown, what: string) => {
    if (!PROTOCOL_NAMES.includes(name as ProtocolName)) {
      throw new InspectError(
        `${what}: unknown protocol ${describe(name)}; the protocols are ${PROTOCOL_NAMES.join(", ")}`,
      );
    }
    return name as ProtocolName;
  };
  if (Array.isArray(given)) {
    const names = new Set(given.map((name) => known(name, "protocols")));
    return PROTOCOL_NAMES.filter((name) => names.has(name)).map((name) => planProtocol(name, undefined, dt));
  }
  if (typeof given !== "object" || given === null) {
    throw new InspectError(
      `protocols must be true, false, a list of names or an object of settings, got ${describe(given)}`,
    );
  }
  const settings = given as Record<string, unknown>;
  for (const name of Object.keys(settings)) known(name, "protocols");
  return PROTOCOL_NAMES.filter((name) => settings[name] !== undefined && settings[name] !== false).map(
    (name) => {
      const value = settings[name];
      return planProtocol(name, value === true ? undefined : value as Record<string, unknown>, dt);
    },
  );
}

/** What {@link inspect} found: curves, protocol results, differences; figures and tables on demand. */
export class Inspection {
  /** The mechanisms, the first being the reference of every comparison. */
  readonly mechanisms: InspectedMechanism[];
  /** Temperature, °C. */
  readonly temperature: number;
  /** Voltages of the gating curves, mV. */
  readonly voltages: number[];
  /** Gating curves, per mechanism and state. */
  readonly gating: GatingCurve[];
  /** Protocol results, per protocol and mechanism. */
  readonly protocols: ProtocolResult[];
  /** Largest differences per curve of every mechanism against the first (none for one mechanism). */
  readonly differences: Difference[];
  /** What was left out or measured, and why, one sentence each. */
  readonly notes: string[];

  /** Made by {@link inspect}. */
  constructor(fields: {
    mechanisms: InspectedMechanism[];
    temperature: number;
    voltages: number[];
    gating: GatingCurve[];
    protocols: ProtocolResult[];
    differences: Difference[];
    notes: string[];
  }) {
    this.mechanisms = fields.mechanisms;
    this.temperature = fields.temperature;
    this.voltages = fields.voltages;
    this.gating = fields.gating;
    this.protocols = fields.protocols;
    this.differences = fields.differences;
    this.notes = fields.notes;
  }

  /** Names of the figures: `gating` (when there are curves), then each protocol that ran. */
  get figureNames(): string[] {
    return [
      ...(this.gating.length > 0 ? ["gating"] : []),
      ...PROTOCOL_NAMES.filter((name) => this.protocols.some((p) => p.protocol === name)),
    ];
  }

  /** One figure (displays inline in Jupyter); `name` is one of {@link figureNames}. */
  figure(name: string): Plot {
    if (name === "gating" && this.gating.length > 0) return gatingFigure(this.gating, this.temperature);
    const results = this.protocols.filter((p) => p.protocol === name);
    if (results.length === 0) {
      throw new InspectError(
        `no figure '${name}'; this inspection has ${this.figureNames.join(", ") || "none"}`,
      );
    }
    return protocolFigure(results, this.temperature);
  }

  /** Every figure by name. */
  figures(): Record<string, Plot> {
    return Object.fromEntries(this.figureNames.map((name) => [name, this.figure(name)]));
  }

  /** The data as tables (units in the headers); traces at most about `tracePoints` samples per sweep (0: all). */
  tables(tracePoints: number = TRACE_POINTS): Record<string, Table> {
    const out: Record<string, Table> = {};
    if (this.gating.length > 0) out.gating = gatingTable(this.gating);
    if (this.protocols.some((p) => p.curves.length > 0)) out.curves = curvesTable(this.protocols);
    if (this.protocols.length > 0) out.traces = tracesTable(this.protocols, tracePoints);
    if (this.differences.length > 0) out.differences = differencesTable(this.differences);
    return out;
  }

  /** A text report: what was inspected, the notes, and the largest difference of every curve. */
  summary(): string {
    const lines = this.mechanisms.map((m) =>
      `${m.label}: ${m.kind} mechanism '${m.name}' from ${m.origin}, ${m.target} target, currents in ${m.currentUnit}`
    );
    const range = `${this.voltages[0]}..${this.voltages.at(-1)} mV`;
    lines.push(
      `temperature ${this.temperature} °C${this.gating.length > 0 ? `; gating curves over ${range}` : ""}`,
    );
    for (const curve of this.gating) {
      lines.push(`  ${curve.mechanism}: state ${curve.state}, ${curve.method}`);
    }
    for (const note of this.notes) lines.push(`note: ${note}`);
    lines.push(...formatDifferences(this.differences));
    return lines.join("\n");
  }

  /** The difference of largest relative size among all curves, if any was compared. */
  largestDifference(): Difference | undefined {
    return this.differences.reduce<Difference | undefined>(
      (worst, d) => (worst === undefined || d.relative > worst.relative ? d : worst),
      undefined,
    );
  }

  /**
   * Writes the figures (SVG) and the data (CSV or JSON) into `options.out`; returns the paths.
   * Files there that denocat did not write are refused unless `force`.
   */
  async write(options: WriteOptions & { tracePoints?: number }): Promise<string[]> {
    return await writeFiles({
      figures: options.figures === false ? {} : this.figures(),
      tables: this.tables(options.tracePoints),
      about: {
        temperature: this.temperature,
        mechanisms: this.mechanisms,
        notes: this.notes,
        protocols: Object.fromEntries(this.protocols.map((p) => [p.protocol, p.parameters])),
      },
    }, options);
  }
}

/**
 * Inspects one mechanism, or compares several (the first is the reference): gating curves and
 * voltage-clamp protocols, each one overridable; see docs/inspect.md. A source is a `@mechanism`
 * class, a `defineMechanism` result, or the path of a TypeScript module or an NMODL `.mod` file.
 *
 * @example
 * ```ts
 * import { inspect } from "../mod.ts";
 * import { PointwiseHH } from "../examples/catalogue/hh.ts";
 * const result = await inspect(PointwiseHH, { protocols: ["activation"] });
 * const m = result.gating.find((c) => c.state === "m")!; // m∞(V) and τm(V), exact
 * result.figure("gating"); // a Vega-Lite plot; inline in Jupyter
 * await result.write({ out: "inspect-hh" }); // gating.svg, activation.svg and CSV tables
 * ```
 */
export async function inspect(
  sources: InspectSource | InspectEntry | readonly (InspectSource | InspectEntry)[],
  options: InspectOptions = {},
): Promise<Inspection> {
  const settings = settingsOf(options);
  const list = Array.isArray(sources) ? sources : [sources];
  if (list.length === 0) throw new InspectError("inspect: give at least one mechanism");
  const workspace = new Workspace();
  const rig = new ClampRig();
  const catalogues: Catalogue[] = [];
  try {
    const resolved = uniqueLabels(
      await Promise.all(
        list.map((s) => resolveSource(s as InspectSource | InspectEntry, options.mechanism, workspace)),
      ),
    );
    const shared = options.parameters ?? {};
    unknownShared(shared, resolved);
    const setups = resolved.map((r) => ({
      resolved: r,
      offer: offerOf(r.declared, r.label),
      setup: setupOf(r.declared, r.label, {
        shared,
        own: r.parameters,
        ions: options.ions ?? {},
        temperature: settings.temperature,
        dt: settings.dt,
        diamUm: 1,
      }),
    }));
    const kinds = new Set(setups.map((s) => s.setup.kind));
    if (kinds.size > 1) {
      throw new InspectError(
        `inspect compares mechanisms of one kind: ${
          setups.map((s) => `'${s.setup.label}' is ${s.setup.kind}`).join(", ")
        } (their currents are in different units)`,
      );
    }
    // What each mechanism cannot show is refused before anything runs.
    for (const { offer, setup } of setups) {
      if (settings.gatingAsked && offer.states.length === 0) {
        throw new InspectError(`mechanism '${setup.label}' has no states: it has no gating curves to show`);
      }
      if (settings.protocols.length === 0) continue;
      if (settings.protocolsAsked && !offer.current) {
        throw new InspectError(
          `mechanism '${setup.label}' computes no current: a voltage clamp has nothing to measure`,
        );
      }
      const current = options.current ?? "i";
      const currents = ["i", ...setup.ions.map((ion) => `i${ion.name}`)];
      if (offer.current && !currents.includes(current)) {
        throw new InspectError(
          `current: '${setup.label}' has no current ${describe(current)}; it has ${
            currents.join(", ")
          } (i is the total)`,
        );
      }
    }
    const notes: string[] = [];
    const gating: GatingCurve[] = [];
    const protocols: ProtocolResult[] = [];
    const mechanisms: InspectedMechanism[] = [];
    const progressLine = new Progress({
      label: "inspect",
      total: 0,
      unit: "sweep steps",
      delayMs: 2000,
      enabled: options.progress,
    });
    const progress: ProgressCount = {
      line: progressLine,
      done: 0,
      total: estimate(settings, setups.map((s) => s.offer)),
    };
    try {
      for (const { resolved: r, offer, setup } of setups) {
        const built = await catalogue({ mechanisms: [r.declared], target: settings.target });
        catalogues.push(built);
        await planAll([r.declared]);
        mechanisms.push({
          label: r.label,
          name: r.declared.spec.name,
          kind: setup.kind,
          origin: r.origin,
          target: settings.target,
          currentUnit: setup.currentUnit,
        });
        if (settings.gating) {
          gating.push(...await gatingOf(r.declared, setup, offer, built, rig, settings, notes, progress));
        }
        if (settings.protocols.length > 0 && !offer.current) {
          notes.push(`${r.label} computes no current: no voltage-clamp protocol was run`);
          continue;
        }
        for (const plan of offer.current ? settings.protocols : []) {
          const recorded = await rig.run(setup, built, {
            voltages: plan.sweeps.map((s) => s.voltage),
            sweep: (k) => `${r.label}: ${plan.name} sweep ${plan.sweeps[k].label}`,
            progress,
          });
          protocols.push(analyse(plan, setup, recorded, options.current ?? "i"));
        }
      }
    } finally {
      progressLine.finish();
    }
    if (settings.gating && settings.gatingAsked && gating.length === 0) {
      throw new InspectError(
        `${setups.map((s) => `'${s.setup.label}'`).join(", ")}: no state to draw a gating curve of`,
      );
    }
    const differences = mechanisms.slice(1).flatMap((m) =>
      compare(mechanisms[0].label, m.label, gating, protocols)
    );
    return new Inspection({
      mechanisms,
      temperature: settings.temperature,
      voltages: settings.voltages,
      gating,
      protocols,
      differences,
      notes,
    });
  } finally {
    for (const built of catalogues) built.close();
    await rig.close();
    await workspace.cleanup();
  }
}

/** The gating curves of one mechanism: exact where the plan allows, measured for the rest. */
async function gatingOf(
  declared: Parameters<typeof planOf>[0],
  setup: Setup,
  offer: Offer,
  built: Catalogue,
  rig: ClampRig,
  settings: Settings,
  notes: string[],
  progress: ProgressCount,
): Promise<GatingCurve[]> {
  const { spec } = setup;
  if (offer.states.length === 0) {
    notes.push(`${setup.label} has no states: no gating curves`);
    return [];
  }
  const plan = planOf(declared);
  const curves: GatingCurve[] = [];
  let measure: string[];
  if (plan === undefined) measure = offer.states; // raw hooks: every state is measured
  else {
    const exact = exactGating(setup, plan, pointwiseInfo.get(declared)?.create(), settings.voltages);
    curves.push(...exact);
    const covered = new Set(plan.coefficients.map((c) => spec.states[c.state].key));
    const integrated = new Set(plan.integrated.map((j) => spec.states[j].key));
    measure = offer.states.filter((key) => integrated.has(key) && !covered.has(key));
    const idle = offer.states.filter((key) => !integrated.has(key));
    if (idle.length > 0) {
      notes.push(
        `${setup.label}: ${idle.map((k) => `'${k}'`).join(", ")} ${
          idle.length === 1 ? "is" : "are"
        } not integrated by derivative(): no gating curve`,
      );
    }
  }
  if (measure.length > 0) {
    notes.push(
      `${setup.label}: ${measure.join(", ")} measured on the clamp (${
        plan === undefined ? "raw hooks" : `method ${plan.method}`
      }): τ is the area time constant of the relaxation after a step from ${settings.voltages[0]} or ${
        settings.voltages.at(-1)
      } mV`,
    );
    curves.push(
      ...await measuredGating(setup, rig, built, measure, settings.voltages, settings.gating!, progress),
    );
    // Declaration order, exact and measured alike.
    const order = spec.states.map((f) => f.name);
    curves.sort((a, b) => order.indexOf(a.state) - order.indexOf(b.state));
  }
  return curves;
}

/** Sweep-steps the protocols and measured gating will take, for the progress line (extensions add to it). */
function estimate(settings: Settings, offers: readonly Offer[]): number {
  const protocols = settings.protocols.reduce((n, p) => n + p.sweeps.length * p.steps, 0);
  return offers.reduce((n, offer) => n + (offer.current ? protocols : 0), 0);
}
