/*
 * host_smoke.c — drives the native host (c/host/) with the mini catalogue and checks that it
 * behaves as docs/abi.md describes: loading checks, call order, physics of a leak, events,
 * clamps, detectors, ions (support, 0.6/0.7 allocation, masked concentrations), reversal
 * potentials, random numbers, post events, coalescing of point mechanisms (multiplicity), and
 * the validation messages.
 *
 *   host_smoke ABI mini_same_abi.so mini_other_abi.so mini_broken.so
 *
 * Prints one line per failed check and "N passed, N failed"; exits nonzero on any failure.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arbor_abi.h"
#include "host.h"

static int passed, failed;

#define CHECK(condition, ...)                                    \
  do {                                                           \
    if (condition) {                                             \
      ++passed;                                                  \
    } else {                                                     \
      ++failed;                                                  \
      fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #condition); \
      fprintf(stderr, __VA_ARGS__);                              \
      fputc('\n', stderr);                                       \
    }                                                            \
  } while (0)

/* An API call that must succeed. */
#define OK(call)                                                                        \
  do {                                                                                  \
    int32_t status_ = (call);                                                           \
    CHECK(status_ >= 0, "%s -> %d: %s", #call, status_, host_error(host));              \
  } while (0)

/* An API call that must fail with a message containing `fragment`. */
#define REFUSED(call, fragment)                                                          \
  do {                                                                                   \
    int32_t status_ = (call);                                                            \
    CHECK(status_ < 0 && strstr(host_error(host), fragment) != NULL,                     \
          "%s -> %d, message '%s', expected '%s'", #call, status_, host_error(host), fragment); \
  } while (0)

/* The mini catalogue's test exports, reached through the same dlopen handle as the host's. */
static int (*mini_failures)(void);
static const char* (*mini_failure_message)(void);
static void (*mini_trace_start)(void);
static void (*mini_trace_stop)(void);
static const char* (*mini_trace)(void);
static uint32_t (*mini_mechanism_id)(uint32_t);
static const arb_mechanism_ppack* (*mini_ppack)(uint32_t);

static void* symbol(void* library, const char* name) {
  void* address = dlsym(library, name);
  if (address == NULL) {
    fprintf(stderr, "mini catalogue lacks %s\n", name);
    exit(2);
  }
  return address;
}

static void bind_mini(const char* path) {
  void* library = dlopen(path, RTLD_LAZY | RTLD_LOCAL);
  if (library == NULL) {
    fprintf(stderr, "cannot open %s: %s\n", path, dlerror());
    exit(2);
  }
  /* Function pointers out of void*: copy the bits (ISO C has no direct conversion). */
  void* p;
  p = symbol(library, "mini_failures");
  memcpy(&mini_failures, &p, sizeof p);
  p = symbol(library, "mini_failure_message");
  memcpy(&mini_failure_message, &p, sizeof p);
  p = symbol(library, "mini_trace_start");
  memcpy(&mini_trace_start, &p, sizeof p);
  p = symbol(library, "mini_trace_stop");
  memcpy(&mini_trace_stop, &p, sizeof p);
  p = symbol(library, "mini_trace");
  memcpy(&mini_trace, &p, sizeof p);
  p = symbol(library, "mini_mechanism_id");
  memcpy(&mini_mechanism_id, &p, sizeof p);
  p = symbol(library, "mini_ppack");
  memcpy(&mini_ppack, &p, sizeof p);
  /* The handle stays open, like the host's. */
}

enum { LEAK, SYN, NALEAK, NAREV, CAWRITE, NOISE, SPIKETRACK, VHOLD, LSYN, RSYN };

static void test_loading(uint32_t abi, const char* same, const char* other, const char* broken) {
  CHECK(host_create(5) == NULL, "host_create(5) must fail");
  denocat_host* host = host_create(abi);
  CHECK(host != NULL, "host_create(%u)", abi);
  if (!host) return;

  char expected[128];
  snprintf(expected, sizeof expected, "was built for ABI 0.%u but the host runs 0.%u",
           abi == 6 ? 7 : 6, abi);
  REFUSED(host_load_catalogue(host, other), expected);
  REFUSED(host_load_catalogue(host, "/nonexistent/libnothing.so"), "Error while opening catalogue");
  REFUSED(host_load_catalogue(host, broken), "write_ions");
  CHECK(host_mechanism_count(host) == 0, "failed loads must add nothing, have %d",
        host_mechanism_count(host));

  CHECK(host_load_catalogue(host, same) == 10, "load: %s", host_error(host));
  CHECK(host_mechanism_count(host) == 10, "count %d", host_mechanism_count(host));
  CHECK(host_mechanism_name(host, 1) && strcmp(host_mechanism_name(host, 1), "syn") == 0, "name 1");
  CHECK(host_mechanism_kind(host, 1) == 1, "syn is a point mechanism");
  CHECK(host_mechanism_kind(host, 3) == 3, "narev is a reversal-potential mechanism");
  CHECK(host_mechanism_name(host, 10) == NULL, "name out of range");
  REFUSED(host_load_catalogue(host, same), "already exists");

  /* Configuration errors. */
  REFUSED(host_place(host, "leak", 1, (uint32_t[]){0}, NULL, NULL), "host_set_cvs first");
  double one[2] = {100, 100}, zero[2] = {0, 100}, cm[2] = {0.01, 0.01}, t[2] = {6.3, 6.3},
         v[2] = {-65, -65};
  REFUSED(host_set_cvs(host, 0, one, one, cm, t, v), "n_cv is 0");
  REFUSED(host_set_cvs(host, 2, zero, one, cm, t, v), "CV 0 has area 0");
  OK(host_set_cvs(host, 2, one, one, cm, t, v));
  REFUSED(host_place(host, "nothing", 1, (uint32_t[]){0}, NULL, NULL), "available: leak, syn");
  REFUSED(host_place(host, "leak", 1, (uint32_t[]){2}, NULL, NULL), "CV 2 is out of range");
  REFUSED(host_place(host, "leak", 2, (uint32_t[]){1, 0}, NULL, NULL), "strictly ascending");
  REFUSED(host_place(host, "leak", 1, (uint32_t[]){0}, (double[]){1.5}, NULL), "outside (0, 1]");
  REFUSED(host_place(host, "narev", 1, (uint32_t[]){0}, NULL, NULL), "pass n = 0");
  REFUSED(host_place(host, "narev/na,na2", 0, NULL, NULL, NULL), "rebound twice");
  REFUSED(host_place(host, "leak/g=1", 1, (uint32_t[]){0}, NULL, NULL), "is a parameter");
  REFUSED(host_place(host, "syn/tau=-1", 1, (uint32_t[]){0}, NULL, NULL), "outside its range");
  REFUSED(host_place(host, "syn/tau=abc", 1, (uint32_t[]){0}, NULL, NULL), "not a number");
  REFUSED(host_place(host, "leak/na", 1, (uint32_t[]){0}, NULL, NULL), "has 0 ions");
  int32_t leak = host_place(host, "leak", 2, (uint32_t[]){0, 1}, NULL, NULL);
  CHECK(leak == 0, "place leak: %s", host_error(host));
  REFUSED(host_place(host, "leak", 1, (uint32_t[]){0}, NULL, NULL), "already placed");
  int32_t syn = host_place(host, "syn/tau=3", 1, (uint32_t[]){1}, NULL, NULL);
  CHECK(syn == 1, "place syn: %s", host_error(host));
  REFUSED(host_set_parameter(host, leak, "gx", (double[]){1, 1}), "no such parameter 'gx'");
  REFUSED(host_set_parameter(host, syn, "tau", (double[]){1}), "is a global");
  REFUSED(host_set_parameter(host, leak, "g", (double[]){0.1, -1}), "outside its range");
  REFUSED(host_set_parameter(host, 7, "g", (double[]){0.1}), "no placement 7");
  REFUSED(host_set_global(host, syn, "e", 1), "is a parameter");
  REFUSED(host_set_global(host, syn, "tau", 0), "outside its range");
  REFUSED(host_add_event(host, leak, 0, 1.0, 1.0f), "point mechanisms only");
  REFUSED(host_add_event(host, syn, 1, 1.0, 1.0f), "instance 1 is out of range");
  REFUSED(host_add_probe(host, HOST_PROBE_STATE, syn, "h", 0), "no state variable 'h'");
  REFUSED(host_add_probe(host, HOST_PROBE_ION, -1, "na", 0), "'<ion>.<field>'");
  REFUSED(host_add_iclamp(host, 5, 0, 1, 1), "CV 5 is out of range");
  REFUSED(host_run(host, 1.0, 0.0, NULL, 0), "dt = 0");
  REFUSED(host_reset(host), "host_instantiate first");

  /* A mechanism whose ion was never declared. */
  int32_t naleak = host_place(host, "naleak", 1, (uint32_t[]){0}, NULL, NULL);
  CHECK(naleak == 2, "place naleak: %s", host_error(host));
  REFUSED(host_instantiate(host), "uses ion 'na', which is not declared");
  /* A valence the mechanism does not verify is fine; declare and build. */
  OK(host_add_ion(host, "na", 1, 10, 140, 60));
  REFUSED(host_add_ion(host, "na", 1, 10, 140, 60), "already declared");
  OK(host_instantiate(host));
  REFUSED(host_place(host, "noise", 1, (uint32_t[]){0}, NULL, NULL), "after host_instantiate");
  REFUSED(host_instantiate(host), "already built");
  CHECK(host_run(host, 1.0, 0.1, NULL, 0) == 10, "run: %s", host_error(host));
  REFUSED(host_run(host, 0.5, 0.1, NULL, 0), "before the current time");
  REFUSED(host_call_hook_on_thread(host, leak, 9), "unknown hook 9");
  host_destroy(host);
}

/* Leak, synapse, events, clamps, detectors, probes and the order of calls. */
static void test_leak_and_synapse(uint32_t abi, const char* path) {
  denocat_host* host = host_create(abi);
  OK(host_load_catalogue(host, path));
  double area[3] = {1000, 1000, 1000}, diam[3] = {1, 1, 1}, cm[3] = {0.01, 0.01, 0.01},
         temperature[3] = {6.3, 6.3, 6.3}, v_init[3] = {-60, -60, -60};
  OK(host_set_cvs(host, 3, area, diam, cm, temperature, v_init));
  int32_t leak = host_place(host, "leak", 3, (uint32_t[]){0, 1, 2}, NULL, NULL);
  OK(leak);
  OK(host_set_parameter(host, leak, "e", (double[]){-65, -65, -70}));
  /* Placement order [CV 2, CV 0]: Arbor instance order is [CV 0, CV 2]. */
  int32_t syn = host_place(host, "syn", 2, (uint32_t[]){2, 0}, NULL, NULL);
  OK(syn);
  OK(host_add_event(host, syn, 0, 20.0, 0.5f));
  OK(host_add_iclamp(host, 1, 60.0, 20.0, 0.1));
  OK(host_add_vclamp(host, 0, 90.0, 5.0, -20.0));
  OK(host_add_detector(host, 2, -67.0));
  OK(host_add_detector(host, 1, -56.0));
  int32_t column_v2 = host_add_probe(host, HOST_PROBE_VOLTAGE, -1, NULL, 2);
  int32_t column_g0 = host_add_probe(host, HOST_PROBE_STATE, syn, "g", 0);
  int32_t column_g1 = host_add_probe(host, HOST_PROBE_STATE, syn, "g", 1);
  int32_t column_v1 = host_add_probe(host, HOST_PROBE_VOLTAGE, -1, NULL, 1);
  int32_t column_i1 = host_add_probe(host, HOST_PROBE_CURRENT, -1, NULL, 1);
  int32_t column_v0 = host_add_probe(host, HOST_PROBE_VOLTAGE, -1, NULL, 0);
  CHECK(column_v2 == 1 && column_g0 == 2 && column_g1 == 3 && column_v1 == 4 && column_i1 == 5 &&
            column_v0 == 6,
        "probe columns %d %d %d %d %d %d", column_v2, column_g0, column_g1, column_v1, column_i1,
        column_v0);
  CHECK(host_probe_count(host) == 6, "probe count");

  mini_trace_start();
  OK(host_instantiate(host));
  CHECK(strcmp(mini_trace(), "I:leak I:syn W:leak W:syn I:leak I:syn ") == 0, "reset trace '%s'",
        mini_trace());
  CHECK(mini_mechanism_id(LEAK) == 0 && mini_mechanism_id(SYN) == 1, "mechanism ids %u %u",
        mini_mechanism_id(LEAK), mini_mechanism_id(SYN));
  mini_trace_start();
  CHECK(host_run(host, 0.025, 0.025, NULL, 0) == 1, "one step: %s", host_error(host));
  CHECK(strcmp(mini_trace(), "C:leak C:syn S:leak S:syn W:leak W:syn ") == 0, "step trace '%s'",
        mini_trace());
  mini_trace_stop();
  OK(host_reset(host));
  CHECK(host_time(host) == 0.0, "time after reset %g", host_time(host));

  /* dt = 1/32 ms is exact in binary, so step boundaries land exactly on whole milliseconds. */
  enum { COLUMNS = 7, ROWS = 3300, PER_MS = 32 };
  const double dt = 1.0 / PER_MS;
  double* samples = calloc((size_t)COLUMNS * ROWS, sizeof *samples);
  int32_t steps = host_run(host, 100.0, dt, samples, ROWS);
  CHECK(steps == 3200, "steps %d: %s", steps, host_error(host));
  CHECK(host_time(host) == 100.0, "time %.17g", host_time(host));
  if (steps > 0) {
    int32_t rows = steps;
#define AT(row, column) samples[(size_t)(row) * COLUMNS + (column)]
    CHECK(AT(0, 0) == 0.0 && AT(1, 0) == dt, "time column %g %g", AT(0, 0), AT(1, 0));
    /* Leak: v relaxes to e with tau = cm / g = 1 ms. */
    int32_t at19 = 19 * PER_MS, at20 = 20 * PER_MS, at59 = 59 * PER_MS, at79 = 79 * PER_MS,
            at92 = 92 * PER_MS;
    CHECK(fabs(AT(at19, column_v2) + 70.0) < 1e-6, "v(CV 2) at 19 ms = %.9g", AT(at19, column_v2));
    CHECK(fabs(AT(at59, column_v1) + 65.0) < 1e-6, "v(CV 1) at 59 ms = %.9g", AT(at59, column_v1));
    /* Event at 20 ms for placement instance 0 (CV 2): applied before the step's sample. */
    CHECK(AT(at20, 0) == 20.0, "row %d is t = %g", at20, AT(at20, 0));
    CHECK(AT(at20 - 1, column_g0) == 0.0 && AT(at20, column_g0) == 0.5, "syn g around 20 ms: %g %g",
          AT(at20 - 1, column_g0), AT(at20, column_g0));
    CHECK(AT(at20 + PER_MS, column_g0) > 0.0 && AT(at20 + PER_MS, column_g0) < 0.5,
          "syn g decays: %g", AT(at20 + PER_MS, column_g0));
    double max_g1 = 0;
    for (int32_t r = 0; r < rows; ++r) max_g1 = fmax(max_g1, fabs(AT(r, column_g1)));
    CHECK(max_g1 == 0.0, "the other synapse stays silent, max g %g", max_g1);
    /* Current clamp 0.1 nA on 1000 um^2 from 60 ms: v -> e + 10 mV; vec_i includes -0.1 A/m^2. */
    CHECK(fabs(AT(at79, column_v1) + 55.0) < 1e-4, "v(CV 1) at 79 ms = %.9g", AT(at79, column_v1));
    CHECK(fabs(AT(at79, column_i1) - (0.01 * (AT(at79, column_v1) + 65.0) - 0.1)) < 1e-12,
          "i(CV 1) at 79 ms = %.17g", AT(at79, column_i1));
    /* Voltage clamp holds CV 0 at -20 mV from 90 ms to 95 ms. */
    CHECK(AT(at92, column_v0) == -20.0, "v(CV 0) at 92 ms = %g", AT(at92, column_v0));
    CHECK(AT(rows - 1, column_v0) != -20.0, "clamp released at 95 ms");
#undef AT
  }
  /* Spikes: the synapse lifts CV 2 across -67 mV just after 20 ms; the clamp lifts CV 1 across
   * -56 mV at about 60 + ln(10) ms (implicit Euler lags by ~dt). */
  double times[8];
  uint32_t detectors[8];
  int32_t n_spikes = host_spikes(host, times, detectors, 8);
  CHECK(n_spikes == 2 && host_spike_count(host) == 2, "spikes %d", n_spikes);
  if (n_spikes == 2) {
    CHECK(detectors[0] == 0 && times[0] >= 20.0 && times[0] < 20.0 + dt,
          "spike 0: detector %u at %g", detectors[0], times[0]);
    CHECK(detectors[1] == 1 && fabs(times[1] - (60.0 + log(10.0))) < 0.06,
          "spike 1: detector %u at %g", detectors[1], times[1]);
  }

  /* Reset and rerun: same results (events persist, spikes are cleared). */
  OK(host_reset(host));
  CHECK(host_spike_count(host) == 0, "spikes after reset");
  CHECK(host_run(host, 30.0, 0.025, NULL, 0) >= 1200, "rerun");
  CHECK(host_spike_count(host) == 1, "spikes after rerun %u", host_spike_count(host));

  /* Calls from another thread reach the catalogue (the mini catalogue has no thread check). */
  OK(host_call_hook_on_thread(host, leak, HOST_HOOK_COMPUTE_CURRENTS));
  OK(host_call_hook_on_thread(host, syn, HOST_HOOK_APPLY_EVENTS));
  REFUSED(host_add_probe(host, HOST_PROBE_STATE, syn, "g", 2), "instance 2 is out of range");
  REFUSED(host_add_detector(host, 0, 0.0), "after host_instantiate");
  CHECK(host_add_probe(host, HOST_PROBE_VOLTAGE, -1, NULL, 0) == 7, "probe after instantiate: %s",
        host_error(host));
  free(samples);
  host_destroy(host);
}

/* Ions, reversal potential, concentration writes, random numbers, post events, voltage process. */
static void test_ions_and_more(uint32_t abi, const char* path) {
  denocat_host* host = host_create(abi);
  OK(host_load_catalogue(host, path));
  double area[4] = {500, 500, 500, 500}, diam[4] = {1, 1, 1, 1},
         cm[4] = {0.01, 0.01, 0.01, 0.01}, temperature[4] = {6.3, 6.3, 6.3, 6.3},
         v_init[4] = {-65, -65, -65, -65};
  OK(host_set_cvs(host, 4, area, diam, cm, temperature, v_init));
  OK(host_add_ion(host, "na", 1, 10, 140, 60));
  OK(host_add_ion(host, "ca", 2, 5e-5, 2, 130));
  int32_t naleak = host_place(host, "naleak", 2, (uint32_t[]){1, 2}, NULL, NULL);
  int32_t narev = host_place(host, "narev/na,e_rev=40", 0, NULL, NULL, NULL);
  int32_t cawrite = host_place(host, "cawrite", 2, (uint32_t[]){0, 3}, (double[]){1.0, 0.5}, NULL);
  int32_t noise = host_place(host, "noise", 4, (uint32_t[]){0, 1, 2, 3}, NULL, NULL);
  int32_t track = host_place(host, "spiketrack", 1, (uint32_t[]){1}, NULL, NULL);
  int32_t vhold = host_place(host, "vhold", 1, (uint32_t[]){3}, NULL, NULL);
  CHECK(naleak >= 0 && narev >= 0 && cawrite >= 0 && noise >= 0 && track >= 0 && vhold >= 0,
        "placements: %s", host_error(host));
  OK(host_set_global(host, narev, "e_rev", 45.0)); /* overrides the derived value */
  OK(host_add_iclamp(host, 1, 5.0, 1.0, 2.0));
  OK(host_add_detector(host, 1, -20.0));
  int32_t c_ena = host_add_probe(host, HOST_PROBE_ION, -1, "na.e", 2);
  int32_t c_ina = host_add_probe(host, HOST_PROBE_ION, -1, "na.i", 1);
  int32_t c_cai0 = host_add_probe(host, HOST_PROBE_ION, -1, "ca.int", 0);
  int32_t c_cai3 = host_add_probe(host, HOST_PROBE_ION, -1, "ca.int", 3);
  int32_t c_noise = host_add_probe(host, HOST_PROBE_STATE, noise, "last", 0);
  int32_t c_post = host_add_probe(host, HOST_PROBE_STATE, track, "post", 0);
  int32_t c_count = host_add_probe(host, HOST_PROBE_STATE, track, "count", 0);
  int32_t c_v3 = host_add_probe(host, HOST_PROBE_VOLTAGE, -1, NULL, 3);
  int32_t c_rev = host_add_probe(host, HOST_PROBE_STATE, narev, "x", 0);
  CHECK(c_rev < 0 && strstr(host_error(host), "it has no state variables"), "%s", host_error(host));
  CHECK(c_v3 == 8, "columns: %s", host_error(host));

  mini_trace_start();
  OK(host_instantiate(host));
  CHECK(strcmp(mini_trace(),
               "I:vhold I:narev I:cawrite I:naleak I:noise I:spiketrack "
               "W:cawrite W:naleak W:noise W:spiketrack "
               "I:narev I:cawrite I:naleak I:noise I:spiketrack I:vhold ") == 0,
        "reset trace '%s'", mini_trace());
  CHECK(mini_mechanism_id(CAWRITE) == 0 && mini_mechanism_id(NALEAK) == 1 &&
            mini_mechanism_id(NAREV) == 2 && mini_mechanism_id(NOISE) == 3 &&
            mini_mechanism_id(SPIKETRACK) == 4 && mini_mechanism_id(VHOLD) == 5,
        "mechanism ids");
  mini_trace_start();
  double first[9];
  CHECK(host_run(host, 0.025, 0.025, first, 1) == 1, "first step: %s", host_error(host));
  CHECK(strcmp(mini_trace(),
               "C:narev C:cawrite C:naleak C:noise C:spiketrack "
               "S:cawrite S:naleak S:noise S:spiketrack "
               "W:cawrite W:naleak W:noise W:spiketrack C:vhold S:vhold "
               "P:cawrite P:naleak P:noise P:spiketrack ") == 0,
        "step trace '%s'", mini_trace());
  mini_trace_stop();
  CHECK(first[c_ena] == 45.0, "eNa after the reversal potential's compute: %g", first[c_ena]);
  CHECK(first[c_ina] < 0, "inward sodium current at -65 mV: %g", first[c_ina]);
  CHECK(fabs(first[c_cai0] - 0.001) < 1e-15, "cai under full coverage: %.17g", first[c_cai0]);
  CHECK(fabs(first[c_cai3] - (0.5 * 5e-5 + 0.5 * 0.001)) < 1e-15, "cai under half coverage: %.17g",
        first[c_cai3]);
  CHECK(first[c_noise] == 0.0, "random slot 0 holds zeros during init: %g", first[c_noise]);

  /* ABI-specific allocation: on 0.7 Xi of na and gX do not exist; on 0.6 they do. */
  if (abi == 7) {
    REFUSED(host_add_probe(host, HOST_PROBE_ION, -1, "na.int", 1), "does not exist in ABI 0.7");
    REFUSED(host_add_probe(host, HOST_PROBE_ION, -1, "na.g", 1), "does not exist in ABI 0.7");
  } else {
    OK(host_add_probe(host, HOST_PROBE_ION, -1, "na.int", 1));
    OK(host_add_probe(host, HOST_PROBE_ION, -1, "na.g", 1));
  }
  REFUSED(host_add_probe(host, HOST_PROBE_ION, -1, "na.e", 0), "outside the support");
  REFUSED(host_add_probe(host, HOST_PROBE_ION, -1, "k.e", 0), "ion 'k' is not declared");

  OK(host_reset(host));
  uint32_t columns = 1 + host_probe_count(host);
  enum { ROWS = 400 };
  double* samples = calloc((size_t)columns * ROWS, sizeof *samples);
  int32_t steps = host_run(host, 10.0, 0.025, samples, ROWS);
  CHECK(steps == 400 || steps == 401, "steps %d: %s", steps, host_error(host));
  double sum = 0, sum_squares = 0;
  int count = 0;
  for (int r = 1; r < ROWS; ++r) {
    double x = samples[(size_t)r * columns + c_noise];
    sum += x;
    sum_squares += x * x;
    ++count;
  }
  double mean = sum / count, sd = sqrt(sum_squares / count - mean * mean);
  CHECK(fabs(mean) < 0.2 && sd > 0.8 && sd < 1.2, "random numbers: mean %g, sd %g", mean, sd);
  CHECK(samples[(size_t)(ROWS - 1) * columns + c_v3] == -30.0, "voltage process holds CV 3: %g",
        samples[(size_t)(ROWS - 1) * columns + c_v3]);
  /* The clamp (2 nA on 500 um^2 from 5 ms) lifts CV 1 across -20 mV once. */
  double spike_time = 0;
  CHECK(host_spikes(host, &spike_time, NULL, 1) == 1 && host_spike_count(host) == 1,
        "spike count %u", host_spike_count(host));
  double post = samples[(size_t)(ROWS - 1) * columns + c_post];
  double seen = samples[(size_t)(ROWS - 1) * columns + c_count];
  CHECK(seen == 1.0 && post >= 0 && post <= 0.025, "post event seen %g times, time since spike %g",
        seen, post);
  free(samples);
  host_destroy(host);
}

/* The lsyn layout used by both coalescing tests, in placement order (CV; e, b):
 *   0: CV 1; 0, 2     1: CV 0; +0, 1     2: CV 1; 1, 1
 *   3: CV 1; 0, 2     4: CV 0; -0, 1     5: CV 2; 0, 1
 * Sorted by CV, then by parameters in name order (b before e), then by placement order:
 *   CV 0: 4 (-0 sorts before +0, and they are not bit-identical), 1;
 *   CV 1: 2 (b = 1), then 0 and 3 (b = 2; equal, so merged when coalescing);
 *   CV 2: 5.
 * The type declares e before b: comparing in table order would put 0 and 3 before 2. */
enum { N_LSYN = 6 };
static const uint32_t lsyn_cvs[N_LSYN] = {1, 0, 1, 1, 0, 2};
static const double lsyn_e[N_LSYN] = {0, 0, 1, 0, -0.0, 0};
static const double lsyn_b[N_LSYN] = {2, 1, 1, 2, 1, 1};

static denocat_host* coalescing_host(uint32_t abi, const char* path) {
  denocat_host* host = host_create(abi);
  OK(host_load_catalogue(host, path));
  double area[3] = {1000, 1000, 1000}, diam[3] = {1, 1, 1}, cm[3] = {0.01, 0.01, 0.01},
         temperature[3] = {6.3, 6.3, 6.3}, v_init[3] = {-65, -65, -65};
  OK(host_set_cvs(host, 3, area, diam, cm, temperature, v_init));
  return host;
}

static int32_t place_lsyn(denocat_host* host) {
  int32_t lsyn = host_place(host, "lsyn", N_LSYN, lsyn_cvs, NULL, NULL);
  CHECK(lsyn >= 0, "place lsyn: %s", host_error(host));
  OK(host_set_parameter(host, lsyn, "e", lsyn_e));
  OK(host_set_parameter(host, lsyn, "b", lsyn_b));
  /* Events in placement order: to synapses 3 and 0 (one merged instance when coalescing) and 2. */
  OK(host_add_event(host, lsyn, 3, 1.0, 0.5f));
  OK(host_add_event(host, lsyn, 0, 2.0, 0.25f));
  OK(host_add_event(host, lsyn, 2, 1.0, 1.0f));
  REFUSED(host_add_event(host, lsyn, N_LSYN, 1.0, 1.0f), "instance 6 is out of range (6 instances)");
  return lsyn;
}

/* Arbor instance i of lsyn has CV cvs[i], e = e[i] (sign included), b = b[i]. */
static void check_lsyn_layout(const arb_mechanism_ppack* pp, uint32_t width, const int* cvs,
                              const double* e, const double* b, const char* what) {
  CHECK(pp != NULL && pp->width == width, "%s: lsyn width %u, expected %u", what,
        pp ? pp->width : 0, width);
  if (pp == NULL || pp->width != width) return;
  for (uint32_t i = 0; i < width; ++i) {
    const double* pe = pp->parameters[0];
    const double* pb = pp->parameters[1];
    CHECK(pp->node_index[i] == cvs[i] && pe[i] == e[i] && signbit(pe[i]) == signbit(e[i]) &&
              pb[i] == b[i],
          "%s: instance %u has CV %d, e %g, b %g; expected CV %d, e %g, b %g", what, i,
          pp->node_index[i], pe[i], pb[i], cvs[i], e[i], b[i]);
    CHECK(pp->weight[i] == 1.0, "%s: weight[%u] = %g is not 1000/area", what, i, pp->weight[i]);
  }
}

/* Coalescing on (the default): equal synapses on a CV merge, others do not. */
static void test_coalescing(uint32_t abi, const char* path) {
  denocat_host* host = coalescing_host(abi, path);
  /* Off, then on again with any nonzero value: the last call wins. */
  OK(host_set_coalesce(host, 0));
  OK(host_set_coalesce(host, 5));
  int32_t lsyn = place_lsyn(host);
  /* Not linear (syn) and linear with a random variable (rsyn): never merged. */
  int32_t syn = host_place(host, "syn", 2, (uint32_t[]){0, 0}, NULL, NULL);
  int32_t rsyn = host_place(host, "rsyn", 2, (uint32_t[]){2, 2}, NULL, NULL);
  CHECK(syn >= 0 && rsyn >= 0, "placements: %s", host_error(host));
  OK(host_add_event(host, syn, 1, 1.0, 0.5f));
  int32_t c_g0 = host_add_probe(host, HOST_PROBE_STATE, lsyn, "g", 0);
  int32_t c_g3 = host_add_probe(host, HOST_PROBE_STATE, lsyn, "g", 3);
  int32_t c_g2 = host_add_probe(host, HOST_PROBE_STATE, lsyn, "g", 2);
  int32_t c_g1 = host_add_probe(host, HOST_PROBE_STATE, lsyn, "g", 1);
  int32_t c_n0 = host_add_probe(host, HOST_PROBE_STATE, lsyn, "n", 0);
  int32_t c_n3 = host_add_probe(host, HOST_PROBE_STATE, lsyn, "n", 3);
  int32_t c_n5 = host_add_probe(host, HOST_PROBE_STATE, lsyn, "n", 5);
  int32_t c_syn0 = host_add_probe(host, HOST_PROBE_STATE, syn, "g", 0);
  int32_t c_syn1 = host_add_probe(host, HOST_PROBE_STATE, syn, "g", 1);
  CHECK(c_syn1 == 9, "probe columns: %s", host_error(host));
  OK(host_instantiate(host));
  REFUSED(host_set_coalesce(host, 0), "host_set_coalesce: not allowed after host_instantiate");
  CHECK(host_set_coalesce(NULL, 1) == -1, "host_set_coalesce(NULL)");

  const arb_mechanism_ppack* pp = mini_ppack(LSYN);
  /* Merged instance 3 holds synapses 0 and 3. */
  check_lsyn_layout(pp, 5, (const int[]){0, 0, 1, 1, 2}, (const double[]){-0.0, 0, 1, 0, 0},
                    (const double[]){1, 1, 1, 2, 1}, "coalesced");
  CHECK(pp && pp->multiplicity != NULL, "lsyn coalesces, but multiplicity is NULL");
  if (pp && pp->multiplicity && pp->width == 5) {
    /* Index arrays are padded to an even length (alignment 8, partition 1): one padding 0. */
    const int expected[6] = {1, 1, 1, 2, 1, 0};
    for (int i = 0; i < 6; ++i)
      CHECK(pp->multiplicity[i] == expected[i], "multiplicity[%d] = %d, expected %d", i,
            (int)pp->multiplicity[i], expected[i]);
    CHECK(pp->multiplicity == pp->node_index + 6, "multiplicity follows node_index in the index "
          "block (lsyn has no ions)");
    CHECK(pp->node_index[5] == 2, "node_index padding repeats the last entry: %d",
          (int)pp->node_index[5]);
  }
  const arb_mechanism_ppack* syn_pp = mini_ppack(SYN);
  const arb_mechanism_ppack* rsyn_pp = mini_ppack(RSYN);
  CHECK(syn_pp && syn_pp->width == 2 && syn_pp->multiplicity == NULL,
        "syn (is_linear false) must not coalesce: width %u", syn_pp ? syn_pp->width : 0);
  CHECK(rsyn_pp && rsyn_pp->width == 2 && rsyn_pp->multiplicity == NULL,
        "rsyn (random variable) must not coalesce: width %u", rsyn_pp ? rsyn_pp->width : 0);

  enum { COLUMNS = 10, ROWS = 100, PER_MS = 32 };
  double* samples = calloc((size_t)COLUMNS * ROWS, sizeof *samples);
  int32_t steps = host_run(host, 3.0, 1.0 / PER_MS, samples, ROWS);
  CHECK(steps == 3 * PER_MS, "steps %d: %s", steps, host_error(host));
  if (steps == 3 * PER_MS) {
#define AT(row, column) samples[(size_t)(row) * COLUMNS + (column)]
    bool same = true;
    double max_g1 = 0;
    for (int32_t r = 0; r < steps; ++r) {
      same = same && AT(r, c_g0) == AT(r, c_g3) && AT(r, c_n0) == 2.0 && AT(r, c_n3) == 2.0 &&
             AT(r, c_n5) == 1.0;
      max_g1 = fmax(max_g1, fabs(AT(r, c_g1)));
    }
    CHECK(same, "probes of synapses 0 and 3 read one merged instance, n = 2 (multiplicity)");
    CHECK(max_g1 == 0.0, "synapse 1 gets no events, max g %g", max_g1);
    int32_t at1 = PER_MS, at2 = 2 * PER_MS;
    CHECK(AT(at1 - 1, c_g3) == 0.0 && AT(at1, c_g3) == 0.5, "event for synapse 3: g %g, %g",
          AT(at1 - 1, c_g3), AT(at1, c_g3));
    CHECK(AT(at2, c_g0) - AT(at2 - 1, c_g0) > 0.2 && AT(at2, c_g3) == AT(at2, c_g0),
          "event for synapse 0 reaches the same instance: g %g, %g", AT(at2 - 1, c_g0),
          AT(at2, c_g0));
    CHECK(AT(at1, c_g2) == 1.0, "event for synapse 2: g %g", AT(at1, c_g2));
    CHECK(AT(at1, c_syn1) == 0.5 && AT(at1, c_syn0) == 0.0, "syn keeps two instances: %g %g",
          AT(at1, c_syn0), AT(at1, c_syn1));
#undef AT
  }
  if (pp && pp->width == 5) {
    const double* g = pp->state_vars[0];
    CHECK(g[3] > 0 && g[2] > 0 && g[0] == 0 && g[1] == 0 && g[4] == 0,
          "events landed on instances 3 and 2 only: %g %g %g %g %g", g[0], g[1], g[2], g[3], g[4]);
  }
  free(samples);
  host_destroy(host);
}

/* host_set_coalesce(0): nothing merges; the order is still CV, parameters, placement order. */
static void test_no_coalescing(uint32_t abi, const char* path) {
  denocat_host* host = coalescing_host(abi, path);
  OK(host_set_coalesce(host, 0));
  int32_t lsyn = place_lsyn(host);
  int32_t c_g0 = host_add_probe(host, HOST_PROBE_STATE, lsyn, "g", 0);
  int32_t c_g3 = host_add_probe(host, HOST_PROBE_STATE, lsyn, "g", 3);
  int32_t c_n3 = host_add_probe(host, HOST_PROBE_STATE, lsyn, "n", 3);
  CHECK(c_n3 == 3, "probe columns: %s", host_error(host));
  OK(host_instantiate(host));
  const arb_mechanism_ppack* pp = mini_ppack(LSYN);
  check_lsyn_layout(pp, 6, (const int[]){0, 0, 1, 1, 1, 2},
                    (const double[]){-0.0, 0, 1, 0, 0, 0}, (const double[]){1, 1, 1, 2, 2, 1},
                    "not coalesced");
  CHECK(pp && pp->multiplicity == NULL, "coalescing is off, but multiplicity is not NULL");
  double samples[4 * 48];
  CHECK(host_run(host, 1.5, 1.0 / 32, samples, 48) == 48, "run: %s", host_error(host));
  /* Row 32 is t = 1 ms: the event for synapse 3 reaches synapse 3 only. */
  CHECK(samples[32 * 4 + c_g3] == 0.5 && samples[32 * 4 + c_g0] == 0.0 &&
            samples[32 * 4 + c_n3] == 1.0,
        "separate synapses: g3 %g, g0 %g, n3 %g", samples[32 * 4 + c_g3], samples[32 * 4 + c_g0],
        samples[32 * 4 + c_n3]);
  if (pp && pp->width == 6) {
    /* Arbor instances 3 and 4 are synapses 0 and 3 (ties keep placement order). */
    CHECK(pp->state_vars[0][3] == 0.0 && pp->state_vars[0][4] > 0.0,
          "event for synapse 3 on instance 4: %g %g", pp->state_vars[0][3], pp->state_vars[0][4]);
  }
  host_destroy(host);
}

int main(int argc, char** argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: %s ABI mini_same_abi.so mini_other_abi.so mini_broken.so\n", argv[0]);
    return 2;
  }
  uint32_t abi = (uint32_t)atoi(argv[1]);
  bind_mini(argv[2]);
  test_loading(abi, argv[2], argv[3], argv[4]);
  test_leak_and_synapse(abi, argv[2]);
  test_ions_and_more(abi, argv[2]);
  test_coalescing(abi, argv[2]);
  test_no_coalescing(abi, argv[2]);
  CHECK(mini_failures() == 0, "the catalogue saw %d ABI violations, first: %s", mini_failures(),
        mini_failure_message());
  printf("host_smoke ABI 0.%u: %d passed, %d failed\n", abi, passed, failed);
  return failed ? 1 : 0;
}
