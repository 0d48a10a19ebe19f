/**
 * A live trampoline catalogue: one private copy of `libdenocat`, filled with mechanism specs,
 * whose Arbor calls run TypeScript hooks.
 *
 * Every catalogue gets its own copy of the library file, so several catalogues can live in one
 * process: `dlopen` shares static data between loads of the same path, and each copy has its own.
 * Arbor (`arbor.load_catalogue(path)`) and the native host open that same path and therefore
 * reach the same registrations and callbacks.
 *
 * @module
 */
import { copyFileSync } from "node:fs";
import { dirname, join } from "node:path";
import {
  ABI_CODE,
  type AbiFamily,
  arbFieldRange,
  CALL_ARG,
  DISPATCH_REBIND,
  FAILURE,
  HOOK,
  HOOK_NAMES,
  type HookName,
  KIND,
  MECHANISM_FLAG,
  SECTION,
} from "./layout.ts";
import { resolveLibrary, sharedLibraryName, withTempPermissions } from "../platform/libraries.ts";
import { cString, openLibrary, readCString } from "./open.ts";
import { type EventBatch, PPackCache } from "./ppack.ts";
import { type CatalogueFailure, failureError, hookFailure, trackFailures } from "./failures.ts";
import type { MechanismSpec } from "./spec.ts";
import { CATALOGUE_SYMBOLS, type CatalogueLibrary } from "./symbols.ts";

/** A hook implementation: called with the mechanism object as `this`. */
export type HookFunction = (pp: never, events?: never) => void;

/** A mechanism ready to be registered: its spec, the object its hooks run on, and the hooks. */
export interface LiveMechanism {
  /** Declarative description. */
  spec: MechanismSpec;
  /** `this` of every hook call. */
  target: object;
  /** Hooks the mechanism defines; undefined ones never cross into JS. */
  hooks: Partial<Record<HookName, HookFunction>>;
}

let temporaryFolder: string | undefined;
let copies = 0;

/** `denocat-<pid>-<random>`: the private folder of the process `<pid>` (see `privateCopyOfLibrary`). */
const PRIVATE_FOLDER = /^denocat-(\d+)-[0-9a-z]+$/;

/**
 * Removes the private folders of processes that are gone (killed, or ended in a way that ran no
 * cleanup): only folders named `denocat-<pid>-...` whose process no longer exists (Linux: no
 * /proc/<pid>), owned by this user, holding nothing but library copies.
 */
function removeOrphanFolders(temp: string): void {
  if (Deno.build.os !== "linux") return; // no cheap, sure test of a process being gone elsewhere
  let uid: number | null = null;
  try {
    uid = Deno.uid();
    for (const entry of Deno.readDirSync(temp)) {
      const match = PRIVATE_FOLDER.exec(entry.name);
      if (!entry.isDirectory || match === null || Number(match[1]) === Deno.pid) continue;
      const folder = join(temp, entry.name);
      if (Deno.lstatSync(folder).uid !== uid) continue;
      try {
        Deno.statSync(`/proc/${match[1]}`);
        continue; // still running
      } catch {
        // gone
      }
      const names = [...Deno.readDirSync(folder)].map((e) => e.name);
      if (names.every((name) => /^\d+-(lib)?denocat\.(so|dylib|dll)$/.test(name))) {
        Deno.removeSync(folder, { recursive: true });
      }
    }
  } catch {
    // best effort: another process may be removing the same folder
  }
}

/** Removes this process's private folder (the next copy makes a new one). */
function removePrivateFolder(): void {
  if (temporaryFolder === undefined) return;
  try {
    Deno.removeSync(temporaryFolder, { recursive: true });
  } catch {
    // best effort: the folder is in the system temp dir
  }
  temporaryFolder = undefined;
}

let cleanupInstalled = false;

function privateCopyOfLibrary(source: string): string {
  if (temporaryFolder === undefined) {
    temporaryFolder = Deno.makeTempDirSync({ prefix: `denocat-${Deno.pid}-` });
    removeOrphanFolders(dirname(temporaryFolder));
  }
  if (!cleanupInstalled) {
    cleanupInstalled = true;
    // "unload" comes with a normal end and Deno.exit; an uncaught error or rejection ends the process
    // without it, right after its event, unless a listener prevents that (then the copies stay).
    globalThis.addEventListener("unload", removePrivateFolder);
    for (const type of ["error", "unhandledrejection"]) {
      globalThis.addEventListener(type, (event) => {
        if (!event.defaultPrevented) removePrivateFolder();
      });
    }
  }
  const path = join(temporaryFolder, `${copies++}-${sharedLibraryName("denocat")}`);
  copyFileSync(source, path);
  return path;
}

/** The native side of a catalogue; see module documentation. */
export class LiveCatalogue {
  /** Path of this catalogue's library file: give it to `arbor.load_catalogue` or the host. */
  readonly path: string;
  /** Mechanism names, in slot order. */
  readonly names: readonly string[];
  #library: CatalogueLibrary;
  #callback: Deno.UnsafeCallback<
    { readonly parameters: readonly []; readonly result: "i32" }
  >;
  #abi: AbiFamily;
  #pendingError: unknown = undefined;
  #hasPendingError = false;
  #closed = false;
  #ppacks: PPackCache;

  private constructor(path: string, library: CatalogueLibrary, mechanisms: LiveMechanism[], abi: AbiFamily) {
    this.path = path;
    this.#library = library;
    this.#abi = abi;
    this.names = mechanisms.map((m) => m.spec.name);
    this.#ppacks = new PPackCache(mechanisms.map((m) => m.spec));
    this.#setAbiNative(abi);
    for (const mechanism of mechanisms) this.#register(mechanism);
    this.#callback = this.#install(mechanisms);
    trackFailures(this);
  }

  /** Creates a catalogue holding `mechanisms`, laid out for `abi`. */
  static async create(mechanisms: LiveMechanism[], abi: AbiFamily): Promise<LiveCatalogue> {
    if (mechanisms.length === 0) throw new Error("a catalogue needs at least one mechanism");
    const source = await resolveLibrary("denocat", "DENOCAT_LIB");
    const path = withTempPermissions(() => privateCopyOfLibrary(source));
    const library = openLibrary(path, CATALOGUE_SYMBOLS);
    try {
      return new LiveCatalogue(path, library, mechanisms, abi);
    } catch (error) {
      library.close();
      throw error;
    }
  }

  /** Whether `close()` was called: a host can no longer run this catalogue's mechanisms. */
  get closed(): boolean {
    return this.#closed;
  }

  /** The ABI layout family the catalogue presents to Arbor. */
  get abi(): AbiFamily {
    return this.#abi;
  }

  /** Changes the layout family; refused once Arbor or the host has called `get_catalogue`. */
  setAbi(abi: AbiFamily): void {
    this.#checkOpen();
    this.#setAbiNative(abi);
    this.#abi = abi;
  }

  #setAbiNative(abi: AbiFamily): void {
    const code = ABI_CODE[abi];
    if (code === undefined) {
      throw new Error(`unknown ABI '${abi}': use "0.6" (Arbor 0.9/0.10) or "0.7" (Arbor 0.11+)`);
    }
    if (this.#library.symbols.denocat_set_abi(code) !== 0) throw new Error(this.#nativeError());
  }

  #nativeError(): string {
    return readCString(this.#library.symbols.denocat_error_message());
  }

  #check(result: number, context: string): void {
    if (result < 0) throw new Error(`${context}: ${this.#nativeError()}`);
  }

  #register({ spec, hooks }: LiveMechanism): void {
    const s = this.#library.symbols;
    const context = `cannot add mechanism '${spec.name}' to the catalogue`;
    const flags = (spec.isLinear ? MECHANISM_FLAG.isLinear : 0) |
      (spec.hasPostEvents ? MECHANISM_FLAG.hasPostEvents : 0);
    const kind = KIND[spec.kind];
    if (kind === undefined) throw new Error(`${context}: unknown kind '${spec.kind}'`);
    const slot = s.denocat_add_mechanism(cString(spec.name), kind, flags, hookMask(hooks));
    this.#check(slot, context);
    for (
      const [section, fields] of [
        [SECTION.global, spec.globals],
        [SECTION.state, spec.states],
        [SECTION.parameter, spec.parameters],
      ] as const
    ) {
      for (const field of fields) {
        this.#check(
          s.denocat_add_field(
            slot,
            section,
            cString(field.name),
            cString(field.unit),
            field.defaultValue,
            ...arbFieldRange(field.range),
          ),
          context,
        );
      }
    }
    for (const ion of spec.ions) {
      this.#check(s.denocat_add_ion(slot, cString(ion.name), ion.flags, ion.expectedValence), context);
    }
    for (const name of spec.randoms) this.#check(s.denocat_add_random(slot, cString(name)), context);
  }

  #install(mechanisms: LiveMechanism[]) {
    const s = this.#library.symbols;
    const abi = () => this.#abi;
    const specs = mechanisms.map((m) => m.spec);
    const hooks: (((pp: unknown, events?: EventBatch) => void) | undefined)[][] = mechanisms.map((m) =>
      HOOK_NAMES.map((name) =>
        m.hooks[name]?.bind(m.target) as ((pp: unknown, events?: EventBatch) => void) | undefined
      )
    );
    const ppacks = this.#ppacks;
    const instances = ppacks.objects;
    const instanceSlot = ppacks.slots;
    // Views of C's event buffer, refetched when a batch outgrows them (C grew and moved it).
    let mechIndex = new Uint32Array(0);
    let weight = new Float32Array(0);
    // The call's arguments, written by C before each call: a callback without arguments crosses
    // in well under half the time of one with four (c/denocat.h, denocat_dispatch_fn).
    const args = new Uint32Array(Deno.UnsafePointerView.getArrayBuffer(s.denocat_call_args()!, 16));
    const dispatch = (): number => {
      const slot = args[CALL_ARG.slot], call = args[CALL_ARG.hook];
      const instance = args[CALL_ARG.instance], count = args[CALL_ARG.count];
      const hook = call & 0xff;
      try {
        let pp = instances[instance];
        // Views are rebuilt at init and whenever C says the instance was re-initialised without
        // reaching JS (a reused ppack address): never reuse views over freed arrays.
        if (
          hook === HOOK.init || call & DISPATCH_REBIND || pp === undefined || instanceSlot[instance] !== slot
        ) {
          const pointer = s.denocat_instance_ppack(instance);
          if (pointer === null) throw new Error(`denocat: unknown instance ${instance}`);
          pp = ppacks.build(slot, instance, pointer, abi());
        }
        const fn = hooks[slot][hook];
        // The C side filters undefined hooks; reaching here without one is a bug worth reporting.
        if (fn === undefined) throw new Error(`denocat: undefined hook ${HOOK_NAMES[hook]} crossed into JS`);
        let result: unknown;
        if (hook === HOOK.applyEvents) {
          if (count > mechIndex.length) {
            const capacity = s.denocat_event_capacity();
            mechIndex = new Uint32Array(
              Deno.UnsafePointerView.getArrayBuffer(s.denocat_event_mech_index()!, capacity * 4),
            );
            weight = new Float32Array(
              Deno.UnsafePointerView.getArrayBuffer(s.denocat_event_weight()!, capacity * 4),
            );
          }
          // Copies: a batch kept after the hook keeps its own events.
          result = (fn as (pp: unknown, events: EventBatch) => unknown)(pp, {
            length: count,
            mechIndex: mechIndex.slice(0, count),
            weight: weight.slice(0, count),
          });
        } else result = (fn as (pp: unknown) => unknown)(pp);
        // A promise would run the rest of the hook after Arbor moved on: refused.
        if (result !== undefined && typeof (result as { then?: unknown })?.then === "function") {
          throw hookFailure(
            specs[slot].name,
            HOOK_NAMES[hook],
            "returned a promise; hooks must finish before they return (remove async/await)",
            result,
          );
        }
        return 0;
      } catch (thrown) {
        // A hook may throw anything; what reaches the user is an Error naming mechanism and hook.
        const error = thrown instanceof Error
          ? thrown
          : hookFailure(specs[slot].name, HOOK_NAMES[hook], "threw a non-Error value", thrown);
        if (!this.#hasPendingError) {
          this.#pendingError = error;
          this.#hasPendingError = true;
        }
        return 1;
      }
    };
    const callback = new Deno.UnsafeCallback(
      { parameters: [], result: "i32" } as const,
      dispatch,
    );
    this.#check(s.denocat_install(callback.pointer), "cannot install the dispatch callback");
    return callback;
  }

  /** Rethrows a failure recorded during Arbor's calls (a hook's own error, or a thread error). */
  throwIfFailed(): void {
    const failure = this.takeFailure();
    if (failure !== undefined) throw failureError(failure);
  }

  /** The failure recorded during Arbor's calls, cleared, or undefined; see {@link throwIfFailed}. */
  takeFailure(): CatalogueFailure | undefined {
    const s = this.#library.symbols;
    if (this.#closed) return this.#takeCallAfterClose();
    const failure = s.denocat_failure();
    if (failure === FAILURE.none && !this.#hasPendingError) return undefined;
    const message = readCString(s.denocat_failure_message());
    const result: CatalogueFailure = this.#hasPendingError
      ? { message, error: this.#pendingError }
      : { message };
    this.#pendingError = undefined;
    this.#hasPendingError = false;
    s.denocat_clear_failure();
    return result;
  }

  /**
   * After `close()`, C refuses every call (the callback is gone) and records it as a call
   * "before the TypeScript side installed its callbacks": say what really happened.
   */
  #takeCallAfterClose(): CatalogueFailure | undefined {
    const s = this.#library.symbols;
    const code = s.denocat_failure();
    if (code === FAILURE.none) return undefined;
    const recorded = readCString(s.denocat_failure_message());
    s.denocat_clear_failure();
    if (code !== FAILURE.notInstalled) return { message: recorded }; // recorded before close()
    const call = /^mechanism '([^']*)': (\w+) was called/.exec(recorded);
    const what = call === null ? "a mechanism" : `mechanism '${call[1]}' (${call[2]})`;
    return {
      message: `${what} of the catalogue ${this.path} was called after cat.close(): the call was ` +
        `skipped and the simulation is invalid. Arbor (or a host) that loaded a catalogue keeps it for ` +
        `the life of the process: close it only when no simulation will run its mechanisms again`,
    };
  }

  /**
   * Whether Arbor or the host took the catalogue (`get_catalogue` froze its layout). Probed by
   * asking C for the other layout, which it refuses only then (and undoing the change otherwise).
   */
  #handedOut(): boolean {
    const s = this.#library.symbols;
    const other = this.#abi === "0.6" ? "0.7" : "0.6";
    if (s.denocat_set_abi(ABI_CODE[other]) !== 0) return true;
    this.#setAbiNative(this.#abi);
    return false;
  }

  #checkOpen(): void {
    if (this.#closed) throw new Error("this catalogue was closed");
  }

  /**
   * Releases the callback and the library. Only call it when no simulation can call the
   * catalogue again: Arbor never unloads a catalogue.
   */
  close(): void {
    if (this.#closed) return;
    // Arbor never unloads a catalogue: detach the callback first, so a late call is refused by C
    // instead of jumping into freed memory. C refuses this from inside one of our own hooks.
    if (this.#library.symbols.denocat_uninstall() !== 0) throw new Error(this.#nativeError());
    const handedOut = this.#handedOut();
    this.#closed = true;
    this.#ppacks.dispose();
    this.#callback.close();
    if (handedOut) {
      // Arbor (or the host) still holds the library and may call it: keep our handle and stay in
      // the set, so throwPendingFailures reports those refused calls instead of losing them.
    } else {
      trackFailures(this, false);
      this.#library.close();
    }
    try {
      Deno.removeSync(this.path);
    } catch {
      // already gone
    }
  }
}

/** Hook bit mask of a mechanism, for `denocat_add_mechanism`. */
export function hookMask(hooks: Partial<Record<HookName, unknown>>): number {
  let mask = 0;
  for (const name of HOOK_NAMES) if (typeof hooks[name] === "function") mask |= 1 << HOOK[name];
  return mask;
}
