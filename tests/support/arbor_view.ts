// Reads a catalogue the way Arbor's load_catalogue does: get_catalogue, then each record's
// type() (a 112-byte struct returned by value), i_cpu() and i_gpu(). Test support only.
import { ION_FLAG } from "../../abi/layout.ts";

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
    name: cstr(view.getPointer(k * 40)),
    unit: cstr(view.getPointer(k * 40 + 8)),
    defaultValue: view.getFloat64(k * 40 + 16),
    low: view.getFloat64(k * 40 + 24),
    high: view.getFloat64(k * 40 + 32),
  }));
}

// Byte offsets of each flag inside arb_ion_info, per family (docs/abi.md 1.3).
const ION_INFO_OFFSETS: Record<"0.6" | "0.7", [keyof typeof ION_FLAG, number][]> = {
  "0.6": [
    ["writeIntConcentration", 8],
    ["writeExtConcentration", 9],
    ["useDiffConcentration", 10],
    ["writeRevPotential", 11],
    ["readRevPotential", 12],
    ["readValence", 13],
    ["verifyValence", 14],
  ],
  "0.7": [
    ["writeIntConcentration", 8],
    ["writeExtConcentration", 9],
    ["readIntConcentration", 10],
    ["readExtConcentration", 11],
    ["useDiffConcentration", 12],
    ["writeRevPotential", 13],
    ["readRevPotential", 14],
    ["readValence", 15],
    ["verifyValence", 16],
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
    const typeFn = new Deno.UnsafeFnPointer(table.getPointer(r * 24)!, {
      parameters: [],
      result: TYPE_STRUCT,
    });
    const cpuFn = new Deno.UnsafeFnPointer(table.getPointer(r * 24 + 8)!, {
      parameters: [],
      result: "pointer",
    });
    const gpuFn = new Deno.UnsafeFnPointer(table.getPointer(r * 24 + 16)!, {
      parameters: [],
      result: "pointer",
    });
    const bytes = typeFn.call() as Uint8Array;
    const type = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const pointer = (offset: number) => Deno.UnsafePointer.create(type.getBigUint64(offset, true));
    const ionCount = type.getUint32(88, true);
    const ions = [];
    if (ionCount > 0) {
      const ionView = new Deno.UnsafePointerView(pointer(80)!);
      for (let k = 0; k < ionCount; k++) {
        let flags = 0;
        for (const [flag, offset] of ION_INFO_OFFSETS[abi]) {
          if (ionView.getUint8(k * 24 + offset)) flags |= ION_FLAG[flag];
        }
        ions.push({
          name: cstr(ionView.getPointer(k * 24)),
          flags,
          expectedValence: ionView.getInt32(k * 24 + (abi === "0.6" ? 16 : 20)),
        });
      }
    }
    const randomCount = type.getUint32(104, true);
    const randoms = [];
    if (randomCount > 0) {
      const view = new Deno.UnsafePointerView(pointer(96)!);
      for (let k = 0; k < randomCount; k++) {
        randoms.push({ name: cstr(view.getPointer(k * 16)), index: view.getUint32(k * 16 + 8) });
      }
    }
    const cpu = cpuFn.call() as Deno.PointerValue;
    const gpu = gpuFn.call() as Deno.PointerValue;
    let cpuInfo = null;
    if (cpu !== null) {
      const view = new Deno.UnsafePointerView(cpu);
      cpuInfo = {
        backend: view.getUint32(0),
        partitionWidth: view.getUint32(4),
        alignment: view.getUint32(8),
        methods: [16, 24, 32, 40, 48, 56].map((offset) => view.getPointer(offset) !== null),
      };
    }
    result.push({
      abiVersion: type.getBigUint64(0, true),
      fingerprint: cstr(pointer(8)),
      name: cstr(pointer(16)),
      kind: type.getUint32(24, true),
      isLinear: type.getUint8(28) !== 0,
      hasPostEvents: type.getUint8(29) !== 0,
      globals: fields(pointer(32), type.getUint32(40, true)),
      states: fields(pointer(48), type.getUint32(56, true)),
      parameters: fields(pointer(64), type.getUint32(72, true)),
      ions,
      randoms,
      cpu: cpuInfo,
      gpuIsNull: gpu === null,
    });
  }
  library.close();
  return result;
}
