// Reads a catalogue the way Arbor's load_catalogue does: get_catalogue, then each record's
// type() (a 112-byte struct returned by value), i_cpu() and i_gpu(). Test support only.
import { ION_FLAG } from "../../ffi/layout.ts";

const TYPE_STRUCT = {
  struct: [
    "u64",
    "pointer",
    "pointer",
    "u32",
    "u8",
    "u8",
    "pointer",
    "u32",
    "pointer",
    "u32",
    "pointer",
    "u32",
    "pointer",
    "u32",
    "pointer",
    "u32",
  ],
} as const;

export interface ArborField {
  name: string;
  unit: string;
  defaultValue: number;
  low: number;
  high: number;
}

export interface ArborMechanism {
  abiVersion: bigint;
  fingerprint: string;
  name: string;
  kind: number;
  isLinear: boolean;
  hasPostEvents: boolean;
  globals: ArborField[];
  states: ArborField[];
  parameters: ArborField[];
  ions: { name: string; flags: number; expectedValence: number }[];
  randoms: { name: string; index: number }[];
  cpu: { backend: number; partitionWidth: number; alignment: number; methods: boolean[] } | null;
  gpuIsNull: boolean;
}

const cstr = (p: Deno.PointerValue) => (p === null ? "<NULL>" : Deno.UnsafePointerView.getCString(p));

function fields(base: Deno.PointerValue, count: number): ArborField[] {
  if (count === 0) return [];
  const view = new Deno.UnsafePointerView(base!);
  return Array.from({ length: count }, (_, k) => ({
    name: cstr(view.getPointer(k * at["sizeof.arb_field_info"] + at["arb_field_info.name"])),
    unit: cstr(view.getPointer(k * at["sizeof.arb_field_info"] + at["arb_field_info.unit"])),
    defaultValue: view.getFloat64(k * at["sizeof.arb_field_info"] + at["arb_field_info.default_value"]),
    low: view.getFloat64(k * at["sizeof.arb_field_info"] + at["arb_field_info.range_low"]),
    high: view.getFloat64(k * at["sizeof.arb_field_info"] + at["arb_field_info.range_high"]),
  }));
}

/**
 * The byte offsets and sizes this reader uses, named as in c/arbor_abi.h's DENOCAT_FIELD_OFFSETS /
 * DENOCAT_STRUCT_SIZES. Written out independently of ffi/layout.ts on purpose (a reader that
 * shares the code under test would share its bugs); tests/mirrors_test.ts checks every entry
 * against the C library's layout table.
 */
export const ARBOR_VIEW_LAYOUT = {
  "sizeof.arb_mechanism": 24,
  "arb_mechanism.type": 0,
  "arb_mechanism.i_cpu": 8,
  "arb_mechanism.i_gpu": 16,
  "sizeof.arb_mechanism_type": 112,
  "arb_mechanism_type.abi_version": 0,
  "arb_mechanism_type.fingerprint": 8,
  "arb_mechanism_type.name": 16,
  "arb_mechanism_type.kind": 24,
  "arb_mechanism_type.is_linear": 28,
  "arb_mechanism_type.has_post_events": 29,
  "arb_mechanism_type.globals": 32,
  "arb_mechanism_type.n_globals": 40,
  "arb_mechanism_type.state_vars": 48,
  "arb_mechanism_type.n_state_vars": 56,
  "arb_mechanism_type.parameters": 64,
  "arb_mechanism_type.n_parameters": 72,
  "arb_mechanism_type.ions": 80,
  "arb_mechanism_type.n_ions": 88,
  "arb_mechanism_type.random_variables": 96,
  "arb_mechanism_type.n_random_variables": 104,
  "sizeof.arb_field_info": 40,
  "arb_field_info.name": 0,
  "arb_field_info.unit": 8,
  "arb_field_info.default_value": 16,
  "arb_field_info.range_low": 24,
  "arb_field_info.range_high": 32,
  "sizeof.arb_random_variable_info": 16,
  "arb_random_variable_info.name": 0,
  "arb_random_variable_info.index": 8,
  "arb_mechanism_interface.backend": 0,
  "arb_mechanism_interface.partition_width": 4,
  "arb_mechanism_interface.alignment": 8,
  "arb_mechanism_interface.init_mechanism": 16,
  "arb_mechanism_interface.compute_currents": 24,
  "arb_mechanism_interface.apply_events": 32,
  "arb_mechanism_interface.advance_state": 40,
  "arb_mechanism_interface.write_ions": 48,
  "arb_mechanism_interface.post_event": 56,
  "sizeof.arb_ion_info_v06": 24,
  "arb_ion_info_v06.name": 0,
  "arb_ion_info_v06.write_int_concentration": 8,
  "arb_ion_info_v06.write_ext_concentration": 9,
  "arb_ion_info_v06.use_diff_concentration": 10,
  "arb_ion_info_v06.write_rev_potential": 11,
  "arb_ion_info_v06.read_rev_potential": 12,
  "arb_ion_info_v06.read_valence": 13,
  "arb_ion_info_v06.verify_valence": 14,
  "arb_ion_info_v06.expected_valence": 16,
  "sizeof.arb_ion_info_v07": 24,
  "arb_ion_info_v07.name": 0,
  "arb_ion_info_v07.write_int_concentration": 8,
  "arb_ion_info_v07.write_ext_concentration": 9,
  "arb_ion_info_v07.read_int_concentration": 10,
  "arb_ion_info_v07.read_ext_concentration": 11,
  "arb_ion_info_v07.use_diff_concentration": 12,
  "arb_ion_info_v07.write_rev_potential": 13,
  "arb_ion_info_v07.read_rev_potential": 14,
  "arb_ion_info_v07.read_valence": 15,
  "arb_ion_info_v07.verify_valence": 16,
  "arb_ion_info_v07.expected_valence": 20,
} as const;

const at = ARBOR_VIEW_LAYOUT;

/** The C field of arb_ion_info that holds each flag, per family (docs/abi.md 1.3). */
const ION_INFO_FLAGS: Record<"0.6" | "0.7", [keyof typeof ION_FLAG, number][]> = {
  "0.6": [
    ["writeIntConcentration", at["arb_ion_info_v06.write_int_concentration"]],
    ["writeExtConcentration", at["arb_ion_info_v06.write_ext_concentration"]],
    ["useDiffConcentration", at["arb_ion_info_v06.use_diff_concentration"]],
    ["writeRevPotential", at["arb_ion_info_v06.write_rev_potential"]],
    ["readRevPotential", at["arb_ion_info_v06.read_rev_potential"]],
    ["readValence", at["arb_ion_info_v06.read_valence"]],
    ["verifyValence", at["arb_ion_info_v06.verify_valence"]],
  ],
  "0.7": [
    ["writeIntConcentration", at["arb_ion_info_v07.write_int_concentration"]],
    ["writeExtConcentration", at["arb_ion_info_v07.write_ext_concentration"]],
    ["readIntConcentration", at["arb_ion_info_v07.read_int_concentration"]],
    ["readExtConcentration", at["arb_ion_info_v07.read_ext_concentration"]],
    ["useDiffConcentration", at["arb_ion_info_v07.use_diff_concentration"]],
    ["writeRevPotential", at["arb_ion_info_v07.write_rev_potential"]],
    ["readRevPotential", at["arb_ion_info_v07.read_rev_potential"]],
    ["readValence", at["arb_ion_info_v07.read_valence"]],
    ["verifyValence", at["arb_ion_info_v07.verify_valence"]],
  ],
};

/** Loads `path` with dlopen and reads every record as Arbor would, interpreting ions as `abi`. */
export function readCatalogueAsArbor(path: string, abi: "0.6" | "0.7"): ArborMechanism[] {
  const library = Deno.dlopen(path, { get_catalogue: { parameters: ["buffer"], result: "pointer" } });
  const count = new Int32Array([-1]);
  const records = library.symbols.get_catalogue(new Uint8Array(count.buffer));
  if (records === null || count[0] <= 0) throw new Error(`get_catalogue gave ${count[0]} mechanisms`);
  const table = new Deno.UnsafePointerView(records);
  const result: ArborMechanism[] = [];
  for (let r = 0; r < count[0]; r++) {
    const typeFn = new Deno.UnsafeFnPointer(
      table.getPointer(r * at["sizeof.arb_mechanism"] + at["arb_mechanism.type"])!,
      {
        parameters: [],
        result: TYPE_STRUCT,
      },
    );
    const cpuFn = new Deno.UnsafeFnPointer(
      table.getPointer(r * at["sizeof.arb_mechanism"] + at["arb_mechanism.i_cpu"])!,
      {
        parameters: [],
        result: "pointer",
      },
    );
    const gpuFn = new Deno.UnsafeFnPointer(
      table.getPointer(r * at["sizeof.arb_mechanism"] + at["arb_mechanism.i_gpu"])!,
      {
        parameters: [],
        result: "pointer",
      },
    );
    const bytes = typeFn.call() as Uint8Array;
    const type = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const pointer = (offset: number) => Deno.UnsafePointer.create(type.getBigUint64(offset, true));
    const ionCount = type.getUint32(at["arb_mechanism_type.n_ions"], true);
    const ions = [];
    if (ionCount > 0) {
      const ionView = new Deno.UnsafePointerView(pointer(at["arb_mechanism_type.ions"])!);
      const ionSize = at[abi === "0.6" ? "sizeof.arb_ion_info_v06" : "sizeof.arb_ion_info_v07"];
      for (let k = 0; k < ionCount; k++) {
        let flags = 0;
        for (const [flag, offset] of ION_INFO_FLAGS[abi]) {
          if (ionView.getUint8(k * ionSize + offset)) flags |= ION_FLAG[flag];
        }
        ions.push({
          name: cstr(ionView.getPointer(k * ionSize + at["arb_ion_info_v06.name"])),
          flags,
          expectedValence: ionView.getInt32(
            k * ionSize +
              at[abi === "0.6" ? "arb_ion_info_v06.expected_valence" : "arb_ion_info_v07.expected_valence"],
          ),
        });
      }
    }
    const randomCount = type.getUint32(at["arb_mechanism_type.n_random_variables"], true);
    const randoms = [];
    if (randomCount > 0) {
      const view = new Deno.UnsafePointerView(pointer(at["arb_mechanism_type.random_variables"])!);
      for (let k = 0; k < randomCount; k++) {
        const base = k * at["sizeof.arb_random_variable_info"];
        randoms.push({
          name: cstr(view.getPointer(base + at["arb_random_variable_info.name"])),
          index: view.getUint32(base + at["arb_random_variable_info.index"]),
        });
      }
    }
    const cpu = cpuFn.call() as Deno.PointerValue;
    const gpu = gpuFn.call() as Deno.PointerValue;
    let cpuInfo = null;
    if (cpu !== null) {
      const view = new Deno.UnsafePointerView(cpu);
      cpuInfo = {
        backend: view.getUint32(at["arb_mechanism_interface.backend"]),
        partitionWidth: view.getUint32(at["arb_mechanism_interface.partition_width"]),
        alignment: view.getUint32(at["arb_mechanism_interface.alignment"]),
        methods: ([
          "init_mechanism",
          "compute_currents",
          "apply_events",
          "advance_state",
          "write_ions",
          "post_event",
        ] as const).map((method) => at[`arb_mechanism_interface.${method}`]).map((offset) =>
          view.getPointer(offset) !== null
        ),
      };
    }
    result.push({
      abiVersion: type.getBigUint64(at["arb_mechanism_type.abi_version"], true),
      fingerprint: cstr(pointer(at["arb_mechanism_type.fingerprint"])),
      name: cstr(pointer(at["arb_mechanism_type.name"])),
      kind: type.getUint32(at["arb_mechanism_type.kind"], true),
      isLinear: type.getUint8(at["arb_mechanism_type.is_linear"]) !== 0,
      hasPostEvents: type.getUint8(at["arb_mechanism_type.has_post_events"]) !== 0,
      globals: fields(
        pointer(at["arb_mechanism_type.globals"]),
        type.getUint32(at["arb_mechanism_type.n_globals"], true),
      ),
      states: fields(
        pointer(at["arb_mechanism_type.state_vars"]),
        type.getUint32(at["arb_mechanism_type.n_state_vars"], true),
      ),
      parameters: fields(
        pointer(at["arb_mechanism_type.parameters"]),
        type.getUint32(at["arb_mechanism_type.n_parameters"], true),
      ),
      ions,
      randoms,
      cpu: cpuInfo,
      gpuIsNull: gpu === null,
    });
  }
  library.close();
  return result;
}
