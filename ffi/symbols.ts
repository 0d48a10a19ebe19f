/**
 * `Deno.dlopen` symbol tables for denocat's native libraries, with the C signature of every
 * function beside it. One table per library; besides this file only ffi/python/symbols.ts (the
 * CPython C API) names a symbol.
 *
 * @module
 */

/** Symbols of the trampoline catalogue (`c/denocat.h`). */
export const CATALOGUE_SYMBOLS = {
  // const denocat_layout_entry* denocat_layout_table(void)
  denocat_layout_table: { parameters: [], result: "pointer" },
  // int32_t denocat_set_abi(uint32_t abi)
  denocat_set_abi: { parameters: ["u32"], result: "i32" },
  // uint32_t denocat_abi(void)
  denocat_abi: { parameters: [], result: "u32" },
  // int32_t denocat_add_mechanism(const char* name, uint32_t kind, uint32_t flags, uint32_t hook_mask)
  denocat_add_mechanism: { parameters: ["buffer", "u32", "u32", "u32"], result: "i32" },
  // int32_t denocat_add_field(uint32_t slot, uint32_t section, const char* name, const char* unit,
  //                           double default_value, double range_low, double range_high)
  denocat_add_field: { parameters: ["u32", "u32", "buffer", "buffer", "f64", "f64", "f64"], result: "i32" },
  // int32_t denocat_add_ion(uint32_t slot, const char* name, uint32_t flags, int32_t expected_valence)
  denocat_add_ion: { parameters: ["u32", "buffer", "u32", "i32"], result: "i32" },
  // int32_t denocat_add_random(uint32_t slot, const char* name)
  denocat_add_random: { parameters: ["u32", "buffer"], result: "i32" },
  // const char* denocat_error_message(void)
  denocat_error_message: { parameters: [], result: "pointer" },
  // int32_t denocat_install(int32_t (*dispatch)(void)): the call's arguments are in denocat_call_args()
  denocat_install: { parameters: ["function"], result: "i32" },
  // const uint32_t* denocat_call_args(void): slot, hook | rebind, instance, count of the call in progress
  denocat_call_args: { parameters: [], result: "pointer" },
  // int32_t denocat_uninstall(void)
  denocat_uninstall: { parameters: [], result: "i32" },
  // arb_mechanism_ppack* denocat_instance_ppack(uint32_t instance)
  denocat_instance_ppack: { parameters: ["u32"], result: "pointer" },
  // uint32_t* denocat_event_mech_index(void)
  denocat_event_mech_index: { parameters: [], result: "pointer" },
  // float* denocat_event_weight(void)
  denocat_event_weight: { parameters: [], result: "pointer" },
  // uint32_t denocat_event_capacity(void)
  denocat_event_capacity: { parameters: [], result: "u32" },
  // uint32_t denocat_dispatching(void)
  denocat_dispatching: { parameters: [], result: "u32" },
  // uint32_t denocat_failure(void)
  denocat_failure: { parameters: [], result: "u32" },
  // const char* denocat_failure_message(void)
  denocat_failure_message: { parameters: [], result: "pointer" },
  // void denocat_clear_failure(void)
  denocat_clear_failure: { parameters: [], result: "void" },
  // void* get_catalogue(int* count)
  get_catalogue: { parameters: ["buffer"], result: "pointer" },
} as const satisfies Deno.ForeignLibraryInterface;

/** Symbols of the native test host (`c/host.h`) that never call back into JavaScript. */
export const HOST_SYMBOLS = {
  // denocat_host* host_create(uint32_t abi)
  host_create: { parameters: ["u32"], result: "pointer" },
  // void host_destroy(denocat_host* host)
  host_destroy: { parameters: ["pointer"], result: "void" },
  // const char* host_error(const denocat_host* host)
  host_error: { parameters: ["pointer"], result: "pointer" },
  // int32_t host_load_catalogue(denocat_host* host, const char* path)
  host_load_catalogue: { parameters: ["pointer", "buffer"], result: "i32" },
  // int32_t host_mechanism_count(const denocat_host* host)
  host_mechanism_count: { parameters: ["pointer"], result: "i32" },
  // const char* host_mechanism_name(const denocat_host* host, uint32_t index)
  host_mechanism_name: { parameters: ["pointer", "u32"], result: "pointer" },
  // int32_t host_mechanism_kind(const denocat_host* host, uint32_t index)
  host_mechanism_kind: { parameters: ["pointer", "u32"], result: "i32" },
  // int32_t host_set_cvs(denocat_host* host, uint32_t n_cv, const double* area_um2, const double* diam_um,
  //                      const double* cm_F_per_m2, const double* temperature_degC, const double* v_init_mV)
  host_set_cvs: {
    parameters: ["pointer", "u32", "buffer", "buffer", "buffer", "buffer", "buffer"],
    result: "i32",
  },
  // int32_t host_add_ion(denocat_host* host, const char* name, int32_t valence, double internal_mM,
  //                      double external_mM, double reversal_mV)
  host_add_ion: { parameters: ["pointer", "buffer", "i32", "f64", "f64", "f64"], result: "i32" },
  // int32_t host_place(denocat_host* host, const char* name, uint32_t n, const uint32_t* cvs,
  //                    const double* weights, const uint32_t* peers)
  host_place: { parameters: ["pointer", "buffer", "u32", "buffer", "buffer", "buffer"], result: "i32" },
  // int32_t host_set_parameter(denocat_host* host, int32_t placement, const char* name, const double* values)
  host_set_parameter: { parameters: ["pointer", "i32", "buffer", "buffer"], result: "i32" },
  // int32_t host_set_global(denocat_host* host, int32_t placement, const char* name, double value)
  host_set_global: { parameters: ["pointer", "i32", "buffer", "f64"], result: "i32" },
  // int32_t host_set_coalesce(denocat_host* host, int32_t enabled)
  host_set_coalesce: { parameters: ["pointer", "i32"], result: "i32" },
  // int32_t host_add_iclamp(denocat_host* host, uint32_t cv, double t_start_ms, double duration_ms, double amplitude_nA)
  host_add_iclamp: { parameters: ["pointer", "u32", "f64", "f64", "f64"], result: "i32" },
  // int32_t host_add_vclamp(denocat_host* host, uint32_t cv, double t_start_ms, double duration_ms, double v_mV)
  host_add_vclamp: { parameters: ["pointer", "u32", "f64", "f64", "f64"], result: "i32" },
  // int32_t host_add_detector(denocat_host* host, uint32_t cv, double threshold_mV)
  host_add_detector: { parameters: ["pointer", "u32", "f64"], result: "i32" },
  // int32_t host_add_event(denocat_host* host, int32_t placement, uint32_t instance, double t_ms, float weight)
  host_add_event: { parameters: ["pointer", "i32", "u32", "f64", "f32"], result: "i32" },
  // int32_t host_add_probe(denocat_host* host, uint32_t kind, int32_t placement, const char* name, uint32_t target)
  host_add_probe: { parameters: ["pointer", "u32", "i32", "buffer", "u32"], result: "i32" },
  // double host_time(const denocat_host* host)
  host_time: { parameters: ["pointer"], result: "f64" },
  // uint32_t host_probe_count(const denocat_host* host)
  host_probe_count: { parameters: ["pointer"], result: "u32" },
  // uint32_t host_spike_count(const denocat_host* host)
  host_spike_count: { parameters: ["pointer"], result: "u32" },
  // int32_t host_spikes(const denocat_host* host, double* times_ms, uint32_t* detectors, uint32_t capacity)
  host_spikes: { parameters: ["pointer", "buffer", "buffer", "u32"], result: "i32" },
} as const satisfies Deno.ForeignLibraryInterface;

/**
 * Host functions that drive mechanisms and so call back into JavaScript hooks. They are called
 * through `reentrantSymbols` (platform/libraries.ts), never through `Deno.dlopen`'s fast-call path:
 * V8 aborts when a fast FFI call re-enters JavaScript.
 */
export const HOST_REENTRANT_SYMBOLS = {
  // int32_t host_instantiate(denocat_host* host)
  host_instantiate: { parameters: ["pointer"], result: "i32" },
  // int32_t host_reset(denocat_host* host)
  host_reset: { parameters: ["pointer"], result: "i32" },
  // int32_t host_run(denocat_host* host, double t_end, double dt, double* samples, uint32_t capacity_rows)
  host_run: { parameters: ["pointer", "f64", "f64", "buffer", "u32"], result: "i32" },
  // int32_t host_call_hook_on_thread(denocat_host* host, int32_t placement, uint32_t hook)
  host_call_hook_on_thread: { parameters: ["pointer", "i32", "u32"], result: "i32" },
} as const satisfies Deno.ForeignLibraryInterface;

/** The opened trampoline catalogue library. */
export type CatalogueLibrary = Deno.DynamicLibrary<typeof CATALOGUE_SYMBOLS>;
/** The opened host library: its plain symbols and, through the generic FFI path, the reentrant ones. */
export interface HostLibrary {
  /** Every host function. */
  symbols:
    & Deno.DynamicLibrary<typeof HOST_SYMBOLS>["symbols"]
    & Deno.DynamicLibrary<typeof HOST_REENTRANT_SYMBOLS>["symbols"];
}

/** libc's dynamic-loader functions (libSystem on macOS). */
export const LIBC_SYMBOLS = {
  // void* dlopen(const char* filename, int flags)
  dlopen: { parameters: ["buffer", "i32"], result: "pointer" },
  // void* dlsym(void* handle, const char* symbol)
  dlsym: { parameters: ["pointer", "buffer"], result: "pointer" },
  // char* dlerror(void)
  dlerror: { parameters: [], result: "pointer" },
} as const satisfies Deno.ForeignLibraryInterface;

/**
 * The CPU check of a compiled catalogue (c/catalogue.h), opened before its
 * `get_catalogue` runs. Optional: catalogues built elsewhere, or before the check existed, lack it.
 */
export const CPU_CHECK_SYMBOLS = {
  // const char* denocat_cpu_missing(void): the instruction set this CPU lacks, or NULL
  denocat_cpu_missing: { parameters: [], result: "pointer", optional: true },
  // const char* denocat_cpu(void): the --cpu the catalogue was compiled with
  denocat_cpu: { parameters: [], result: "pointer", optional: true },
} as const satisfies Deno.ForeignLibraryInterface;
