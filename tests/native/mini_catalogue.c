/*
 * mini_catalogue.c — a tiny hand-written Arbor catalogue for testing the native host (c/host/).
 *
 * Build one library per layout family: -DMINI_ABI=6 or -DMINI_ABI=7. -DMINI_BROKEN=1 builds a
 * deliberately invalid variant (leak's write_ions is NULL) that the host must refuse at load.
 *
 * Mechanisms (all scalar: alignment 8, partition_width 1):
 *   leak        density   parameters g [S/cm^2], e [mV];  i = g (v - e)
 *   syn         point     parameter e [mV], global tau [ms], state g [uS] decaying with tau;
 *                         apply_events adds the event weight to g; no post events
 *   naleak      density   ion na (reads eNa); parameter gna; i_na = gna (v - ena)
 *   narev       reversal  ion x (write eX), global e_rev: eX = e_rev; place it as "narev/na"
 *   cawrite     density   ion ca (writes cai); parameter c0: cai += weight * c0 in write_ions
 *   noise       density   random variable w; state last = the current random number
 *   spiketrack  point     has_post_events; states post (last time_since_spike seen), count
 *   vhold       voltage   parameter v0: vec_v = v0 in advance_state
 *   lsyn        point     is_linear; parameters e [mV], b (declared in that order, so name
 *                         order differs); global tau; states g (like syn, current b g (v - e))
 *                         and n = 1 per synapse; init scales every state by multiplicity[i]
 *                         when it is not NULL, as modcc does, so n counts merged synapses
 *   rsyn        point     is_linear but with random variable w: never coalesced; state last
 *
 * Only lsyn may see a non-NULL multiplicity; then every entry below width must be >= 1.
 * For the tests the library also exports (same handle, so the same static data as the host's):
 *   denocat_abi()          the family it was built for, so the host can refuse a mismatch
 *   mini_failures()        number of ABI invariants seen violated; mini_failure_message()
 *   mini_trace_start/stop  record "X:name " per call (I init, C compute_currents,
 *   mini_trace()           E apply_events, S advance_state, W write_ions, P post_event)
 *   mini_mechanism_id(n)   the mechanism_id last seen by mechanism n (catalogue order)
 *   mini_ppack(n)          the ppack last seen by mechanism n (NULL before its first call)
 */
#define _GNU_SOURCE
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "arbor_abi.h"

#ifndef MINI_ABI
#error "define MINI_ABI as 6 or 7"
#endif
#if MINI_ABI == 6
typedef arb_ion_info_v06 mini_ion_info;
typedef arb_ion_state_v06 mini_ion_state;
#elif MINI_ABI == 7
typedef arb_ion_info_v07 mini_ion_info;
typedef arb_ion_state_v07 mini_ion_state;
#else
#error "MINI_ABI must be 6 or 7"
#endif
#ifndef MINI_BROKEN
#define MINI_BROKEN 0
#endif

#define EXPORT __attribute__((visibility("default")))
#define ANY -DBL_MAX, DBL_MAX

enum { LEAK, SYN, NALEAK, NAREV, CAWRITE, NOISE, SPIKETRACK, VHOLD, LSYN, RSYN, N_MECHANISMS };

/* ---- Test instrumentation ------------------------------------------------------------------ */

static int failures;
static char failure_message[512];
static char trace[8192];
static size_t trace_length;
static int tracing;
static uint32_t last_mechanism_id[N_MECHANISMS];
static const arb_mechanism_ppack* last_ppack[N_MECHANISMS];
static int seen[N_MECHANISMS];

static void failure(const char* format, ...) __attribute__((format(printf, 1, 2)));
static void failure(const char* format, ...) {
  if (failures++ == 0) {
    va_list args;
    va_start(args, format);
    vsnprintf(failure_message, sizeof failure_message, format, args);
    va_end(args);
  }
}

EXPORT int mini_failures(void) { return failures; }
EXPORT const char* mini_failure_message(void) { return failure_message; }
EXPORT void mini_trace_start(void) {
  trace_length = 0;
  trace[0] = 0;
  tracing = 1;
}
EXPORT void mini_trace_stop(void) { tracing = 0; }
EXPORT const char* mini_trace(void) { return trace; }
EXPORT uint32_t mini_mechanism_id(uint32_t mechanism) {
  return mechanism < N_MECHANISMS ? last_mechanism_id[mechanism] : UINT32_MAX;
}
EXPORT const arb_mechanism_ppack* mini_ppack(uint32_t mechanism) {
  return mechanism < N_MECHANISMS ? last_ppack[mechanism] : NULL;
}
EXPORT uint32_t denocat_abi(void) { return MINI_ABI; }

static const char* names[N_MECHANISMS] = {"leak",  "syn",        "naleak", "narev", "cawrite",
                                          "noise", "spiketrack", "vhold",  "lsyn",  "rsyn"};

/* Runs before every call: trace, and invariants every ppack must satisfy on the CPU backend. */
static void note(int mechanism, char hook, arb_mechanism_ppack* pp) {
  if (tracing) {
    int written = snprintf(trace + trace_length, sizeof trace - trace_length, "%c:%s ", hook,
                           names[mechanism]);
    if (written > 0 && (size_t)written < sizeof trace - trace_length)
      trace_length += (size_t)written;
  }
  last_mechanism_id[mechanism] = pp->mechanism_id;
  last_ppack[mechanism] = pp;
  if (!seen[mechanism]) {
    seen[mechanism] = 1;
    if (hook != 'I') failure("%s: first call is %c, not init", names[mechanism], hook);
    if (pp->dt != 0.0)
      failure("%s: dt is %g during the first init, expected 0", names[mechanism], pp->dt);
  }
  if (pp->width == 0) failure("%s: width 0", names[mechanism]);
  if (!pp->node_index || !pp->weight || !pp->vec_v || !pp->vec_i || !pp->vec_g || !pp->area_um2 ||
      !pp->diam_um || !pp->temperature_degC || !pp->globals)
    failure("%s: a required pointer is NULL", names[mechanism]);
  if (pp->multiplicity && mechanism != LSYN)
    failure("%s: multiplicity is not NULL", names[mechanism]);
  if (pp->multiplicity)
    for (uint32_t i = 0; i < pp->width; ++i)
      if (pp->multiplicity[i] < 1)
        failure("%s: multiplicity[%u] = %d", names[mechanism], i, (int)pp->multiplicity[i]);
  if (pp->peer_index) failure("%s: peer_index is not NULL", names[mechanism]);
  if (pp->events.begin || pp->events.end)
    failure("%s: pp->events is not {NULL, NULL}", names[mechanism]);
}

/* ---- Mechanism bodies ---------------------------------------------------------------------- */

static void leak_compute(arb_mechanism_ppack* pp) {
  const double* g = pp->parameters[0];
  const double* e = pp->parameters[1];
  for (uint32_t i = 0; i < pp->width; ++i) {
    int n = pp->node_index[i];
    double current = g[i] * (pp->vec_v[n] - e[i]); /* mA/cm^2 */
    pp->vec_i[n] += 10.0 * pp->weight[i] * current;
    pp->vec_g[n] += 10.0 * pp->weight[i] * g[i];
  }
}

static void syn_init(arb_mechanism_ppack* pp) {
  for (uint32_t i = 0; i < pp->width; ++i) pp->state_vars[0][i] = 0.0;
}
static void syn_apply(arb_mechanism_ppack* pp, arb_deliverable_event_stream* events) {
  for (const arb_deliverable_event_data* e = events->begin; e < events->end; ++e) {
    if (e->mech_index >= pp->width) {
      failure("syn/lsyn/rsyn: event for instance %u of %u", e->mech_index, pp->width);
      continue;
    }
    pp->state_vars[0][e->mech_index] += e->weight;
  }
}
static void syn_advance(arb_mechanism_ppack* pp) {
  double decay = exp(-pp->dt / pp->globals[0]);
  for (uint32_t i = 0; i < pp->width; ++i) pp->state_vars[0][i] *= decay;
}
static void syn_compute(arb_mechanism_ppack* pp) {
  const double* e = pp->parameters[0];
  const double* g = pp->state_vars[0];
  for (uint32_t i = 0; i < pp->width; ++i) {
    int n = pp->node_index[i];
    pp->vec_i[n] += pp->weight[i] * g[i] * (pp->vec_v[n] - e[i]); /* nA */
    pp->vec_g[n] += pp->weight[i] * g[i];
  }
}

static void naleak_compute(arb_mechanism_ppack* pp) {
  mini_ion_state* na = pp->ion_states;
  if (!na || !na->reversal_potential || !na->current_density || !na->index) {
    failure("naleak: ion arrays missing");
    return;
  }
  const double* g = pp->parameters[0];
  for (uint32_t i = 0; i < pp->width; ++i) {
    int n = pp->node_index[i];
    int x = na->index[i];
    double current = g[i] * (pp->vec_v[n] - na->reversal_potential[x]);
    pp->vec_i[n] += 10.0 * pp->weight[i] * current;
    pp->vec_g[n] += 10.0 * pp->weight[i] * g[i];
    na->current_density[x] += 10.0 * pp->weight[i] * current;
#if MINI_ABI == 6
    na->conductivity[x] += 10.0 * pp->weight[i] * g[i];
#endif
  }
}

static void narev_compute(arb_mechanism_ppack* pp) {
  mini_ion_state* ion = pp->ion_states;
  if (!ion || !ion->reversal_potential) {
    failure("narev: reversal potential array missing");
    return;
  }
  for (uint32_t i = 0; i < pp->width; ++i) {
    if (pp->weight[i] != 0.0) failure("narev: weight %g, expected 0", pp->weight[i]);
    ion->reversal_potential[ion->index[i]] = pp->globals[0];
  }
}

static void cawrite_write(arb_mechanism_ppack* pp) {
  mini_ion_state* ca = pp->ion_states;
  if (!ca || !ca->internal_concentration) {
    failure("cawrite: internal concentration missing");
    return;
  }
  for (uint32_t i = 0; i < pp->width; ++i)
    ca->internal_concentration[ca->index[i]] += pp->weight[i] * pp->parameters[0][i];
}

static void noise_sample(arb_mechanism_ppack* pp) {
  if (!pp->random_numbers || !pp->random_numbers[0]) {
    failure("noise: random_numbers missing");
    return;
  }
  for (uint32_t i = 0; i < pp->width; ++i) pp->state_vars[0][i] = pp->random_numbers[0][i];
}

static void spiketrack_init(arb_mechanism_ppack* pp) {
  for (uint32_t i = 0; i < pp->width; ++i) {
    pp->state_vars[0][i] = -1.0;
    pp->state_vars[1][i] = 0.0;
  }
}
static void spiketrack_post(arb_mechanism_ppack* pp) {
  if (!pp->vec_ci || !pp->time_since_spike || pp->n_detectors <= 0) {
    failure("spiketrack: post-event arrays missing");
    return;
  }
  for (uint32_t i = 0; i < pp->width; ++i) {
    int cell = pp->vec_ci[pp->node_index[i]];
    for (int d = 0; d < pp->n_detectors; ++d) {
      double t = pp->time_since_spike[cell * pp->n_detectors + d];
      if (t >= 0) {
        pp->state_vars[0][i] = t;
        pp->state_vars[1][i] += 1.0;
      }
    }
  }
}

static void vhold_advance(arb_mechanism_ppack* pp) {
  for (uint32_t i = 0; i < pp->width; ++i) pp->vec_v[pp->node_index[i]] = pp->parameters[0][i];
}

static void lsyn_init(arb_mechanism_ppack* pp) {
  for (uint32_t i = 0; i < pp->width; ++i) {
    pp->state_vars[0][i] = 0.0;
    pp->state_vars[1][i] = 1.0;
  }
  if (pp->multiplicity)
    for (uint32_t s = 0; s < 2; ++s)
      for (uint32_t i = 0; i < pp->width; ++i) pp->state_vars[s][i] *= pp->multiplicity[i];
}
static void lsyn_compute(arb_mechanism_ppack* pp) {
  const double* e = pp->parameters[0];
  const double* b = pp->parameters[1];
  const double* g = pp->state_vars[0];
  for (uint32_t i = 0; i < pp->width; ++i) {
    int n = pp->node_index[i];
    pp->vec_i[n] += pp->weight[i] * b[i] * g[i] * (pp->vec_v[n] - e[i]);
    pp->vec_g[n] += pp->weight[i] * b[i] * g[i];
  }
}

static void rsyn_init(arb_mechanism_ppack* pp) {
  for (uint32_t i = 0; i < pp->width; ++i) pp->state_vars[0][i] = 0.0;
}
static void rsyn_sample(arb_mechanism_ppack* pp) {
  if (!pp->random_numbers || !pp->random_numbers[0]) {
    failure("rsyn: random_numbers missing");
    return;
  }
  for (uint32_t i = 0; i < pp->width; ++i) pp->state_vars[0][i] = pp->random_numbers[0][i];
}

/* ---- Tables -------------------------------------------------------------------------------- */

typedef struct bodies {
  void (*init)(arb_mechanism_ppack*);
  void (*compute)(arb_mechanism_ppack*);
  void (*apply)(arb_mechanism_ppack*, arb_deliverable_event_stream*);
  void (*advance)(arb_mechanism_ppack*);
  void (*write)(arb_mechanism_ppack*);
  void (*post)(arb_mechanism_ppack*);
} bodies;

static const bodies body[N_MECHANISMS] = {
    [LEAK] = {.compute = leak_compute},
    [SYN] = {.init = syn_init, .compute = syn_compute, .apply = syn_apply, .advance = syn_advance},
    [NALEAK] = {.compute = naleak_compute},
    [NAREV] = {.init = narev_compute, .compute = narev_compute},
    [CAWRITE] = {.write = cawrite_write},
    [NOISE] = {.init = noise_sample, .advance = noise_sample},
    [SPIKETRACK] = {.init = spiketrack_init, .post = spiketrack_post},
    [VHOLD] = {.advance = vhold_advance},
    [LSYN] = {.init = lsyn_init, .compute = lsyn_compute, .apply = syn_apply,
              .advance = syn_advance},
    [RSYN] = {.init = rsyn_init, .apply = syn_apply, .advance = rsyn_sample},
};

#define WRAPPERS(n)                                                                           \
  static void init_##n(arb_mechanism_ppack* pp) {                                             \
    note(n, 'I', pp);                                                                         \
    if (body[n].init) body[n].init(pp);                                                       \
  }                                                                                           \
  static void compute_##n(arb_mechanism_ppack* pp) {                                          \
    note(n, 'C', pp);                                                                         \
    if (body[n].compute) body[n].compute(pp);                                                 \
  }                                                                                           \
  static void apply_##n(arb_mechanism_ppack* pp, arb_deliverable_event_stream* s) {           \
    note(n, 'E', pp);                                                                         \
    if (body[n].apply) body[n].apply(pp, s);                                                  \
  }                                                                                           \
  static void advance_##n(arb_mechanism_ppack* pp) {                                          \
    note(n, 'S', pp);                                                                         \
    if (body[n].advance) body[n].advance(pp);                                                 \
  }                                                                                           \
  static void write_##n(arb_mechanism_ppack* pp) {                                            \
    note(n, 'W', pp);                                                                         \
    if (body[n].write) body[n].write(pp);                                                     \
  }                                                                                           \
  static void post_##n(arb_mechanism_ppack* pp) {                                             \
    note(n, 'P', pp);                                                                         \
    if (body[n].post) body[n].post(pp);                                                       \
  }                                                                                           \
  static arb_mechanism_interface* i_cpu_##n(void) {                                           \
    static arb_mechanism_interface iface = {                                                  \
        .backend = arb_backend_kind_cpu, .partition_width = 1, .alignment = 8,                \
        .init_mechanism = init_##n, .compute_currents = compute_##n,                          \
        .apply_events = apply_##n, .advance_state = advance_##n,                              \
        .write_ions = (MINI_BROKEN && n == LEAK) ? NULL : write_##n, .post_event = post_##n}; \
    return &iface;                                                                            \
  }

WRAPPERS(0)
WRAPPERS(1)
WRAPPERS(2)
WRAPPERS(3)
WRAPPERS(4)
WRAPPERS(5)
WRAPPERS(6)
WRAPPERS(7)
WRAPPERS(8)
WRAPPERS(9)

static arb_field_info leak_parameters[] = {{"g", "S / cm2", 0.001, 0.0, DBL_MAX},
                                           {"e", "mV", -65.0, ANY}};
static arb_field_info syn_parameters[] = {{"e", "mV", 0.0, ANY}};
static arb_field_info syn_globals[] = {{"tau", "ms", 2.0, 1e-9, DBL_MAX}};
static arb_field_info syn_states[] = {{"g", "uS", 0.0, ANY}};
static arb_field_info naleak_parameters[] = {{"gna", "S / cm2", 0.0005, 0.0, DBL_MAX}};
static arb_field_info narev_globals[] = {{"e_rev", "mV", 50.0, ANY}};
static arb_field_info cawrite_parameters[] = {{"c0", "mM", 0.001, 0.0, DBL_MAX}};
static arb_field_info noise_states[] = {{"last", "", 0.0, ANY}};
static arb_random_variable_info noise_random[] = {{"w", 0}};
static arb_field_info spiketrack_states[] = {{"post", "ms", -1.0, ANY}, {"count", "", 0.0, ANY}};
static arb_field_info vhold_parameters[] = {{"v0", "mV", -30.0, ANY}};
static arb_field_info lsyn_parameters[] = {{"e", "mV", 0.0, ANY}, {"b", "", 1.0, 0.0, DBL_MAX}};
static arb_field_info lsyn_states[] = {{"g", "uS", 0.0, ANY}, {"n", "", 1.0, ANY}};
static arb_field_info rsyn_states[] = {{"last", "", 0.0, ANY}};
static arb_random_variable_info rsyn_random[] = {{"w", 0}};

static mini_ion_info naleak_ions[] = {{.name = "na", .read_rev_potential = true}};
static mini_ion_info narev_ions[] = {{.name = "x", .write_rev_potential = true}};
static mini_ion_info cawrite_ions[] = {{.name = "ca", .write_int_concentration = true}};

#define TYPE(n, kind_, ...)                                                                   \
  static arb_mechanism_type type_##n(void) {                                                  \
    arb_mechanism_type t = {.abi_version = ARB_ABI_VERSION_VALUE, .fingerprint = "<mini>",    \
                            .name = names[n], .kind = kind_, __VA_ARGS__};                    \
    return t;                                                                                 \
  }

#define COUNT(array) (sizeof array / sizeof array[0])
TYPE(0, arb_mechanism_kind_density, .parameters = leak_parameters,
     .n_parameters = COUNT(leak_parameters))
TYPE(1, arb_mechanism_kind_point, .parameters = syn_parameters, .n_parameters = 1,
     .globals = syn_globals, .n_globals = 1, .state_vars = syn_states, .n_state_vars = 1)
TYPE(2, arb_mechanism_kind_density, .parameters = naleak_parameters, .n_parameters = 1,
     .ions = naleak_ions, .n_ions = 1)
TYPE(3, arb_mechanism_kind_reversal_potential, .globals = narev_globals, .n_globals = 1,
     .ions = narev_ions, .n_ions = 1)
TYPE(4, arb_mechanism_kind_density, .parameters = cawrite_parameters, .n_parameters = 1,
     .ions = cawrite_ions, .n_ions = 1)
TYPE(5, arb_mechanism_kind_density, .state_vars = noise_states, .n_state_vars = 1,
     .random_variables = noise_random, .n_random_variables = 1)
TYPE(6, arb_mechanism_kind_point, .has_post_events = true, .state_vars = spiketrack_states,
     .n_state_vars = 2)
TYPE(7, arb_mechanism_kind_voltage, .parameters = vhold_parameters, .n_parameters = 1)
TYPE(8, arb_mechanism_kind_point, .is_linear = true, .parameters = lsyn_parameters,
     .n_parameters = COUNT(lsyn_parameters), .globals = syn_globals, .n_globals = 1,
     .state_vars = lsyn_states, .n_state_vars = COUNT(lsyn_states))
TYPE(9, arb_mechanism_kind_point, .is_linear = true, .parameters = syn_parameters,
     .n_parameters = 1, .state_vars = rsyn_states, .n_state_vars = 1,
     .random_variables = rsyn_random, .n_random_variables = 1)

static arb_mechanism_interface* no_gpu(void) { return NULL; }

static arb_mechanism catalogue[N_MECHANISMS] = {
    {type_0, i_cpu_0, no_gpu}, {type_1, i_cpu_1, no_gpu}, {type_2, i_cpu_2, no_gpu},
    {type_3, i_cpu_3, no_gpu}, {type_4, i_cpu_4, no_gpu}, {type_5, i_cpu_5, no_gpu},
    {type_6, i_cpu_6, no_gpu}, {type_7, i_cpu_7, no_gpu}, {type_8, i_cpu_8, no_gpu},
    {type_9, i_cpu_9, no_gpu},
};

EXPORT void* get_catalogue(int* count) {
  *count = N_MECHANISMS;
  return catalogue;
}
