/*
 * trampoline_smoke.c — drives the trampoline catalogue (c/denocat.c) the way denocat's TypeScript
 * side and Arbor do, with a C function standing in for the JS dispatcher, so that both C files
 * run under AddressSanitizer and UBSan (see run_sanitized.sh).
 *
 *   trampoline_smoke <path of an ASan build of libdenocat.so> <6|7>
 *
 * The dispatcher touches every array of every instance, at exactly the lengths the TS views use
 * (width, max(node_index)+1, max(ion index)+1), so an out-of-bounds length would be reported.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "denocat.h"
#include "host.h"

static int failures;
#define CHECK(condition, ...)                                    \
  do {                                                           \
    if (!(condition)) {                                          \
      fprintf(stderr, "trampoline_smoke: FAILED %s: ", #condition); \
      fprintf(stderr, __VA_ARGS__);                              \
      fprintf(stderr, "\n");                                     \
      failures++;                                                \
    }                                                            \
  } while (0)

/* The catalogue's own interface, looked up with dlsym like ffi/symbols.ts does. */
static struct {
  int32_t (*set_abi)(uint32_t);
  int32_t (*add_mechanism)(const char*, uint32_t, uint32_t, uint32_t);
  int32_t (*add_field)(uint32_t, uint32_t, const char*, const char*, double, double, double);
  int32_t (*add_ion)(uint32_t, const char*, uint32_t, int32_t);
  int32_t (*add_random)(uint32_t, const char*);
  const char* (*error_message)(void);
  int32_t (*install)(denocat_dispatch_fn);
  const uint32_t* (*call_args)(void);
  arb_mechanism_ppack* (*instance_ppack)(uint32_t);
  uint32_t* (*event_mech_index)(void);
  float* (*event_weight)(void);
  uint32_t (*failure)(void);
  const char* (*failure_message)(void);
  void (*clear_failure)(void);
} lib;

static uint32_t abi;
static uint32_t calls[DENOCAT_MAX_MECHANISMS][DENOCAT_HOOK_COUNT];
static double event_weight_seen;
static int fail_next_call;

static int32_t max_plus_one(const int32_t* index, uint32_t n) {
  int32_t max = -1;
  for (uint32_t k = 0; k < n; ++k) max = index[k] > max ? index[k] : max;
  return max + 1;
}

/* Reads every value of every array (so ASan sees the whole extent) and returns their sum. */
static double touch(const double* values, int32_t n) {
  double sum = 0;
  for (int32_t k = 0; k < n; ++k) sum += values[k];
  return sum;
}

static uint32_t rebinds;

static int32_t dispatch(void) {
  const uint32_t* args = lib.call_args();
  const uint32_t slot = args[DENOCAT_CALL_SLOT], call = args[DENOCAT_CALL_HOOK];
  const uint32_t instance = args[DENOCAT_CALL_INSTANCE], count = args[DENOCAT_CALL_COUNT];
  if (fail_next_call) return 1; /* what the TS wrapper returns when a hook threw */
  const uint32_t hook = call & 0xffu;
  if (call & DENOCAT_DISPATCH_REBIND) rebinds++;
  calls[slot][hook]++;
  arb_mechanism_ppack* pp = lib.instance_ppack(instance);
  if (pp == NULL) return 1;
  const uint32_t width = pp->width;
  const int32_t n_cv = max_plus_one(pp->node_index, width);
  volatile double sink = touch(pp->vec_v, n_cv) + touch(pp->vec_i, n_cv) + touch(pp->vec_g, n_cv) +
                         touch(pp->area_um2, n_cv) + touch(pp->weight, (int32_t)width);
  (void)sink;
  if (slot == 0) { /* "dens": state s, parameter p, global q, ion ca, random r */
    double* s = pp->state_vars[0];
    const double* p = pp->parameters[0];
    const int32_t* ca_index = abi == DENOCAT_ABI_0_6 ? ((arb_ion_state_v06*)pp->ion_states)[0].index
                                                     : ((arb_ion_state_v07*)pp->ion_states)[0].index;
    double* cai = abi == DENOCAT_ABI_0_6 ? ((arb_ion_state_v06*)pp->ion_states)[0].internal_concentration
                                         : ((arb_ion_state_v07*)pp->ion_states)[0].internal_concentration;
    const int32_t n_ion = max_plus_one(ca_index, width);
    sink = touch(cai, n_ion);
    for (uint32_t k = 0; k < width; ++k) {
      const int32_t node = pp->node_index[k];
      switch (hook) {
      case DENOCAT_HOOK_INIT: s[k] = pp->globals[0]; break;
      case DENOCAT_HOOK_COMPUTE_CURRENTS: pp->vec_i[node] += 10 * pp->weight[k] * p[k] * (pp->vec_v[node] + 65); break;
      case DENOCAT_HOOK_ADVANCE_STATE: s[k] += pp->dt * pp->random_numbers[0][k]; break;
      case DENOCAT_HOOK_WRITE_IONS: cai[ca_index[k]] += pp->weight[k] * 1e-4; break;
      default: break;
      }
    }
  } else if (slot == 1 && hook == DENOCAT_HOOK_APPLY_EVENTS) { /* "syn" */
    const uint32_t* target = lib.event_mech_index();
    const float* weight = lib.event_weight();
    for (uint32_t e = 0; e < count; ++e) {
      if (target[e] >= width) return 1;
      pp->state_vars[0][target[e]] += weight[e];
      event_weight_seen += weight[e];
    }
  } else if (slot == 1 && hook == DENOCAT_HOOK_POST_EVENT) {
    const int32_t cells = max_plus_one(pp->vec_ci, (uint32_t)n_cv);
    sink = touch(pp->time_since_spike, cells * pp->n_detectors);
  }
  return 0;
}

#define LOOKUP(field, symbol)                                       \
  do {                                                              \
    *(void**)&lib.field = dlsym(handle, symbol);                    \
    if (lib.field == NULL) {                                        \
      fprintf(stderr, "trampoline_smoke: missing symbol %s\n", symbol); \
      return 2;                                                     \
    }                                                               \
  } while (0)

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: trampoline_smoke <libdenocat.so> <6|7>\n");
    return 2;
  }
  const char* path = argv[1];
  abi = (uint32_t)atoi(argv[2]);
  void* handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (handle == NULL) {
    fprintf(stderr, "trampoline_smoke: %s\n", dlerror());
    return 2;
  }
  LOOKUP(set_abi, "denocat_set_abi");
  LOOKUP(add_mechanism, "denocat_add_mechanism");
  LOOKUP(add_field, "denocat_add_field");
  LOOKUP(add_ion, "denocat_add_ion");
  LOOKUP(add_random, "denocat_add_random");
  LOOKUP(error_message, "denocat_error_message");
  LOOKUP(install, "denocat_install");
  LOOKUP(call_args, "denocat_call_args");
  LOOKUP(instance_ppack, "denocat_instance_ppack");
  LOOKUP(event_mech_index, "denocat_event_mech_index");
  LOOKUP(event_weight, "denocat_event_weight");
  LOOKUP(failure, "denocat_failure");
  LOOKUP(failure_message, "denocat_failure_message");
  LOOKUP(clear_failure, "denocat_clear_failure");

  CHECK(lib.set_abi(abi) == 0, "set_abi(%u): %s", abi, lib.error_message());
  const uint32_t all_hooks = (1u << DENOCAT_HOOK_COUNT) - 1;
  int32_t dens = lib.add_mechanism("dens", arb_mechanism_kind_density, 0,
                                   all_hooks & ~(1u << DENOCAT_HOOK_APPLY_EVENTS));
  CHECK(dens == 0, "dens slot %d: %s", dens, lib.error_message());
  CHECK(lib.add_field(0, DENOCAT_SECTION_STATE, "s", "1", 0, -INFINITY, INFINITY) == 0, "%s", lib.error_message());
  CHECK(lib.add_field(0, DENOCAT_SECTION_PARAMETER, "p", "S/cm2", 1e-3, 0, 1) == 0, "%s", lib.error_message());
  CHECK(lib.add_field(0, DENOCAT_SECTION_GLOBAL, "q", "", 0.5, -INFINITY, INFINITY) == 0, "%s", lib.error_message());
  CHECK(lib.add_ion(0, "ca", DENOCAT_ION_WRITE_INT | DENOCAT_ION_READ_INT, 2) == 0, "%s", lib.error_message());
  CHECK(lib.add_random(0, "r") == 0, "%s", lib.error_message());
  int32_t syn = lib.add_mechanism("syn", arb_mechanism_kind_point, DENOCAT_MECH_HAS_POST_EVENTS,
                                  (1u << DENOCAT_HOOK_APPLY_EVENTS) | (1u << DENOCAT_HOOK_POST_EVENT));
  CHECK(syn == 1, "syn slot %d: %s", syn, lib.error_message());
  CHECK(lib.add_field(1, DENOCAT_SECTION_STATE, "g", "uS", 0, -INFINITY, INFINITY) == 0, "%s", lib.error_message());

  /* Validation: each refused with a message, nothing added. */
  CHECK(lib.add_mechanism("", 2, 0, 0) < 0 && strstr(lib.error_message(), "is empty"), "%s", lib.error_message());
  CHECK(lib.add_mechanism(NULL, 2, 0, 0) < 0 && strstr(lib.error_message(), "missing"), "%s", lib.error_message());
  CHECK(lib.add_mechanism("dens", 2, 0, 0) < 0 && strstr(lib.error_message(), "declared twice"), "%s", lib.error_message());
  CHECK(lib.add_mechanism("x", 9, 0, 0) < 0 && strstr(lib.error_message(), "unknown kind"), "%s", lib.error_message());
  CHECK(lib.add_field(0, DENOCAT_SECTION_STATE, "t", "", NAN, 0, 1) < 0 && strstr(lib.error_message(), "NaN default"), "%s", lib.error_message());
  CHECK(lib.add_field(0, DENOCAT_SECTION_STATE, "t", "", 0, 1, 0) < 0 && strstr(lib.error_message(), "low 1 > high 0"), "%s", lib.error_message());
  CHECK(lib.add_field(0, DENOCAT_SECTION_STATE, "s", "", 0, 0, 1) < 0 && strstr(lib.error_message(), "clashes"), "%s", lib.error_message());
  CHECK(lib.add_field(7, DENOCAT_SECTION_STATE, "t", "", 0, 0, 1) < 0 && strstr(lib.error_message(), "no mechanism in slot 7"), "%s", lib.error_message());
  CHECK(lib.add_ion(0, "ca", 0, 0) < 0 && strstr(lib.error_message(), "declared twice"), "%s", lib.error_message());
  char long_name[100];
  memset(long_name, 'a', sizeof long_name - 1);
  long_name[sizeof long_name - 1] = 0;
  CHECK(lib.add_random(0, long_name) < 0 && strstr(lib.error_message(), "longer than 63"), "%s", lib.error_message());
  for (int k = 2; k < DENOCAT_MAX_MECHANISMS; ++k) {
    char name[32];
    snprintf(name, sizeof name, "filler%d", k);
    CHECK(lib.add_mechanism(name, arb_mechanism_kind_density, 0, 0) == k, "%s", lib.error_message());
  }
  CHECK(lib.add_mechanism("one_too_many", 2, 0, 0) < 0 && strstr(lib.error_message(), "too many"), "%s", lib.error_message());

  CHECK(lib.install(dispatch) == 0, "install");

  denocat_host* host = host_create(abi);
  CHECK(host_load_catalogue(host, path) == DENOCAT_MAX_MECHANISMS, "load: %s", host_error(host));
  CHECK(lib.set_abi(abi == 6 ? 7 : 6) < 0 && strstr(lib.error_message(), "already fixed"), "%s", lib.error_message());
  CHECK(lib.add_mechanism("late", 2, 0, 0) < 0 && strstr(lib.error_message(), "already handed to Arbor"), "%s", lib.error_message());
  const double area[3] = {100, 200, 300}, diam[3] = {1, 1, 1}, cm[3] = {0.01, 0.01, 0.01},
               celsius[3] = {6.3, 6.3, 6.3}, v0[3] = {-65, -65, -65};
  CHECK(host_set_cvs(host, 3, area, diam, cm, celsius, v0) == 0, "%s", host_error(host));
  CHECK(host_add_ion(host, "ca", 2, 5e-5, 2, 132) >= 0, "%s", host_error(host));
  const uint32_t dens_cvs[2] = {0, 2}, syn_cvs[2] = {1, 1};
  CHECK(host_place(host, "dens", 2, dens_cvs, NULL, NULL) >= 0, "%s", host_error(host));
  int32_t syn_placement = host_place(host, "syn", 2, syn_cvs, NULL, NULL);
  CHECK(syn_placement >= 0, "%s", host_error(host));
  CHECK(host_add_event(host, syn_placement, 1, 0.5, 0.25f) >= 0, "%s", host_error(host));
  CHECK(host_add_event(host, syn_placement, 0, 0.5, 0.5f) >= 0, "%s", host_error(host));
  CHECK(host_add_detector(host, 1, -1000) >= 0, "%s", host_error(host));
  int32_t column = host_add_probe(host, HOST_PROBE_STATE, syn_placement, "g", 0);
  CHECK(column == 1, "probe column %d: %s", column, host_error(host));
  double samples[200 * 2];
  int32_t steps = host_run(host, 1.0, 0.025, samples, 200);
  CHECK(steps == 40, "steps %d: %s", steps, host_error(host));
  CHECK(lib.failure() == DENOCAT_FAILURE_NONE, "failure %u: %s", lib.failure(), lib.failure_message());
  CHECK(calls[0][DENOCAT_HOOK_INIT] == 2, "dens init %u", calls[0][DENOCAT_HOOK_INIT]);
  CHECK(calls[0][DENOCAT_HOOK_COMPUTE_CURRENTS] == 40, "dens compute %u", calls[0][DENOCAT_HOOK_COMPUTE_CURRENTS]);
  CHECK(calls[0][DENOCAT_HOOK_WRITE_IONS] == 41, "dens write_ions %u", calls[0][DENOCAT_HOOK_WRITE_IONS]);
  CHECK(calls[0][DENOCAT_HOOK_APPLY_EVENTS] == 0, "undefined hook reached dispatch");
  CHECK(calls[1][DENOCAT_HOOK_INIT] == 0 && calls[1][DENOCAT_HOOK_COMPUTE_CURRENTS] == 0, "syn undefined hooks reached dispatch");
  CHECK(calls[1][DENOCAT_HOOK_APPLY_EVENTS] == 1, "syn apply_events %u", calls[1][DENOCAT_HOOK_APPLY_EVENTS]);
  CHECK(calls[1][DENOCAT_HOOK_POST_EVENT] == 40, "syn post_event %u", calls[1][DENOCAT_HOOK_POST_EVENT]);
  CHECK(fabs(event_weight_seen - 0.75) < 1e-7, "event weights %g", event_weight_seen);
  CHECK(samples[2 * 30 + 1] == 0.5, "syn instance 0 got its own event only: %g", samples[2 * 30 + 1]);
  /* dens: both init calls ask for views (new instance, then re-initialised); syn has no init
   * hook, so its first call (a post_event) asks. */
  CHECK(rebinds == 3, "rebind requests %u", rebinds);

  /* A foreign thread is refused and recorded; nothing reaches dispatch. */
  uint32_t before = calls[0][DENOCAT_HOOK_COMPUTE_CURRENTS];
  CHECK(host_call_hook_on_thread(host, 0, HOST_HOOK_COMPUTE_CURRENTS) == 0, "%s", host_error(host));
  CHECK(lib.failure() == DENOCAT_FAILURE_FOREIGN_THREAD, "failure %u", lib.failure());
  CHECK(strstr(lib.failure_message(), "threads=1") != NULL, "%s", lib.failure_message());
  CHECK(calls[0][DENOCAT_HOOK_COMPUTE_CURRENTS] == before, "a foreign call ran");
  /* While failed, even the owner thread's calls are skipped. */
  CHECK(host_run(host, 1.1, 0.025, samples, 200) == 4, "%s", host_error(host));
  CHECK(calls[0][DENOCAT_HOOK_COMPUTE_CURRENTS] == before, "calls ran after a failure");
  lib.clear_failure();

  /* A dispatcher failure (a hook that threw) stops later calls. */
  fail_next_call = 1;
  CHECK(host_run(host, 1.2, 0.025, samples, 200) == 4, "%s", host_error(host));
  CHECK(lib.failure() == DENOCAT_FAILURE_HOOK_THREW, "failure %u", lib.failure());
  lib.clear_failure();
  fail_next_call = 0;
  CHECK(host_run(host, 1.3, 0.025, samples, 200) == 4, "%s", host_error(host));
  CHECK(calls[0][DENOCAT_HOOK_COMPUTE_CURRENTS] == before + 4, "calls resume after clear");

  host_destroy(host);
  if (failures == 0) printf("trampoline_smoke: ABI 0.%u ok\n", abi);
  return failures == 0 ? 0 : 1;
}
