/*
 * host.c — a native test host that drives an Arbor mechanism catalogue exactly the way Arbor's
 * CPU ("multicore") backend does, for one cell group on one thread. See host.h for the API and
 * shared/docs/arbor-abi.md for the behaviour it reproduces; section numbers below refer to that
 * document.
 *
 * The host is deliberately strict. Everything Arbor would reject is an error here too, with a
 * message that names the offending mechanism, field, ion, CV or instance; a few catalogue bugs
 * that Arbor lets through silently (NULL method pointers, duplicate field names) are rejected at
 * load, because this host exists to find them. On ABI 0.7 the host allocates Xi, Xo, eX and Xd
 * only when a declared flag asks for them, so a catalogue that under-declares its ion flags
 * dereferences NULL here instead of silently reading an unused array.
 *
 * Model: every CV is an isolated compartment (no axial coupling), see host.h.
 *
 * Threads: the host itself is single-threaded; only host_call_hook_on_thread starts a thread.
 */
#define _GNU_SOURCE
#include "host.h"

#include <dlfcn.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arbor_abi.h"

/* A function pointer is read out of dlsym's void* with memcpy, which needs equal sizes. */
_Static_assert(sizeof(void*) == sizeof(void (*)(void)), "function and object pointers differ in size");

/* Sanity bounds on interface numbers. Arbor does not bound them, but absurd values would make the
 * padding computation (3.3) overflow or allocate gigabytes per instance. */
#define HOST_MAX_ALIGNMENT 65536u
#define HOST_MAX_PARTITION_WIDTH 4096u

/* Seed of the host's random-number streams (see "Random numbers" below). */
#define HOST_RANDOM_SEED 0x5eedULL

#define HOST_PI 3.14159265358979323846

/* ============================================================================================ */
/* Data                                                                                          */

/* One mechanism of a loaded catalogue: copies of its type and CPU interface, as Arbor keeps.
 * The strings and tables the type points at belong to the catalogue library, which is never
 * unloaded; they are read again at every instantiation, as Arbor does (2, "stale metadata"). */
typedef struct loaded_mechanism {
  arb_mechanism_type type;
  arb_mechanism_interface iface;
  char* catalogue_path; /* for messages */
} loaded_mechanism;

/* One entry of a type's ion table, independent of the layout family. On ABI 0.6 the read_int and
 * read_ext flags do not exist and are reported false (0.6 allocates every array anyway). */
typedef struct ion_use {
  const char* name;
  bool write_int, write_ext, read_int, read_ext, use_diff, write_rev, read_rev, read_valence,
      verify_valence;
  int expected_valence;
} ion_use;

typedef struct ion_species {
  char* name;
  int32_t valence;
  double internal_mM, external_mM, reversal_mV;

  /* Built by host_instantiate. */
  uint32_t* support; /* sorted CVs where the ion is present */
  uint32_t n_support;
  bool writes_Xi, writes_Xo, writes_eX; /* some mechanism of the group writes it */
  double* iX; /* current_density, always allocated when the support is not empty */
  double* gX; /* conductivity, ABI 0.6 only */
  double* eX;
  double* Xi;
  double* Xo;
  double* Xd;
  double* charge; /* one element: the valence */
  double* Xi_masked; /* per support CV: initial value times the uncovered fraction (5.4) */
  double* Xo_masked;
} ion_species;

/* An event for a point mechanism, as the user gave it (instance in placement order). */
typedef struct host_event {
  uint32_t instance;
  float weight;
  double t;
  uint64_t sequence; /* insertion order, so sorting by time is deterministic */
} host_event;

typedef struct placement {
  char* name; /* as placed, including derivations such as "pas/e=-70" */
  uint32_t mechanism; /* index into host->mechanisms */
  uint32_t kind;
  uint32_t n; /* instances as given (0 for reversal potential) */
  uint32_t* cvs; /* placement order */
  double* weights; /* density/voltage: covered fraction; gap junction: connection weight */
  uint32_t* peers; /* gap junction only */
  char** ion_binding; /* per type ion entry: the species it is bound to after derivation */
  double* globals; /* per type global: default, then derived-name and host_set_global overrides */
  double** parameter_values; /* per type parameter: NULL (default) or values in placement order */
  host_event* events;
  uint32_t n_events, events_capacity;
  bool events_sorted;

  /* Built by host_instantiate. */
  bool in_group; /* instantiated (width > 0) */
  uint32_t width;
  uint32_t width_values, width_indices; /* padded lengths (3.3) */
  uint32_t* instance_of; /* placement order -> Arbor instance index (NULL for reversal) */
  uint32_t* given_of; /* Arbor instance index -> placement order (NULL for reversal) */
  uint32_t* instance_cv; /* Arbor instance index -> CV */
  uint32_t* species_of; /* per type ion entry: index into host->ions */
  arb_mechanism_ppack pp; /* its address is the instance's identity for the catalogue */
  double* value_block;
  arb_index_type* index_block;
  double** parameter_arrays;
  double** state_arrays;
  void* ion_states; /* arb_ion_state_v06[] or arb_ion_state_v07[] */
  const double** random_slots; /* 4 * n_random pointers: slot s starts at s * n_random */
  uint64_t (*random_streams)[4]; /* one xoshiro256** state per random variable */
  uint64_t random_counter; /* advance_state calls so far; never reset (3.8) */
} placement;

typedef struct clamp {
  uint32_t cv;
  double t_start, duration, value; /* value: nA (current clamp) or mV (voltage clamp) */
} clamp;

typedef struct detector {
  uint32_t cv;
  double threshold;
  double v_previous; /* vec_v at the start of the current step */
} detector;

typedef struct probe {
  uint32_t kind;
  int32_t placement;
  char* name;
  uint32_t target;
  const double* source; /* resolved at instantiation */
} probe;

typedef struct spike {
  double t;
  uint32_t detector;
} spike;

/* An event due in the current step, translated to the Arbor instance index. */
typedef struct due_event {
  uint32_t instance;
  float weight;
  double t;
} due_event;

struct denocat_host {
  uint32_t abi; /* 6 or 7 */
  char error[4096];

  loaded_mechanism* mechanisms;
  uint32_t n_mechanisms, mechanisms_capacity;

  bool cvs_set;
  uint32_t n_cv;
  double *cv_area, *cv_diam, *cv_cm, *cv_temperature, *cv_v_init;

  ion_species* ions;
  uint32_t n_ions, ions_capacity;

  placement* placements;
  uint32_t n_placements, placements_capacity;

  clamp* iclamps;
  uint32_t n_iclamps, iclamps_capacity;
  clamp* vclamps;
  uint32_t n_vclamps, vclamps_capacity;
  detector* detectors;
  uint32_t n_detectors, detectors_capacity;
  probe* probes;
  uint32_t n_probes, probes_capacity;
  spike* spikes;
  uint32_t n_spikes, spikes_capacity;
  uint64_t event_sequence;

  /* Built by host_instantiate. */
  bool instantiated;
  double time;
  size_t shared_alignment;
  double *vec_v, *vec_i, *vec_g, *temperature_degC, *diam_um, *area_um2;
  bool post_events; /* some point mechanism of the group has has_post_events */
  arb_index_type* vec_ci;
  double* time_since_spike;
  uint32_t *list_m, *list_r, *list_v; /* placement indices, in lexicographic name order */
  uint32_t n_m, n_r, n_v;

  due_event* due;
  arb_deliverable_event_data* deliverable;
  uint32_t due_capacity;
};

/* ============================================================================================ */
/* Small helpers                                                                                 */

static int32_t fail(denocat_host* host, const char* format, ...) __attribute__((format(printf, 2, 3)));
static int32_t fail(denocat_host* host, const char* format, ...) {
  va_list args;
  va_start(args, format);
  vsnprintf(host->error, sizeof host->error, format, args);
  va_end(args);
  return -1;
}

/* Appends to the error message (used for lists of names); silently truncates. */
static void append_error(denocat_host* host, const char* format, ...) __attribute__((format(printf, 2, 3)));
static void append_error(denocat_host* host, const char* format, ...) {
  size_t used = strlen(host->error);
  if (used + 1 >= sizeof host->error) return;
  va_list args;
  va_start(args, format);
  vsnprintf(host->error + used, sizeof host->error - used, format, args);
  va_end(args);
}

/* Makes room for `needed` items in a growable array. Returns 0, or -1 when out of memory. */
static int reserve(void** items, uint32_t* capacity, uint64_t needed, size_t item_size) {
  if (needed <= *capacity) return 0;
  if (needed > UINT32_MAX) return -1;
  uint64_t grown = *capacity ? (uint64_t)*capacity * 2 : 8;
  if (grown < needed) grown = needed;
  if (grown > UINT32_MAX) grown = UINT32_MAX;
  void* resized = realloc(*items, (size_t)grown * item_size);
  if (resized == NULL) return -1;
  *items = resized;
  *capacity = (uint32_t)grown;
  return 0;
}
#define RESERVE(array, capacity, needed) reserve((void**)&(array), &(capacity), (needed), sizeof *(array))

static char* copy_string(const char* text) {
  size_t length = strlen(text);
  char* copy = malloc(length + 1);
  if (copy) memcpy(copy, text, length + 1);
  return copy;
}

static const char* kind_name(uint32_t kind) {
  switch (kind) {
    case arb_mechanism_kind_point: return "point";
    case arb_mechanism_kind_density: return "density";
    case arb_mechanism_kind_reversal_potential: return "reversal potential";
    case arb_mechanism_kind_gap_junction: return "gap junction";
    case arb_mechanism_kind_voltage: return "voltage";
    default: return "unknown";
  }
}

static uint64_t greatest_common_divisor(uint64_t a, uint64_t b) {
  while (b) {
    uint64_t r = a % b;
    a = b;
    b = r;
  }
  return a;
}

static uint64_t least_common_multiple(uint64_t a, uint64_t b) {
  return a / greatest_common_divisor(a, b) * b;
}

static uint64_t round_up(uint64_t value, uint64_t multiple) {
  return (value + multiple - 1) / multiple * multiple;
}

static bool is_power_of_two(uint64_t x) { return x != 0 && (x & (x - 1)) == 0; }

/* Aligned allocation; alignment is raised to what posix_memalign accepts. */
static void* aligned_allocate(size_t alignment, size_t bytes) {
  if (alignment < sizeof(void*)) alignment = sizeof(void*);
  if (bytes == 0) bytes = alignment;
  void* memory = NULL;
  if (posix_memalign(&memory, alignment, bytes) != 0) return NULL;
  return memory;
}

static double* allocate_values(size_t alignment, size_t count, double fill) {
  double* values = aligned_allocate(alignment, count * sizeof *values);
  if (values)
    for (size_t k = 0; k < count; ++k) values[k] = fill;
  return values;
}

static void fill(double* values, size_t count, double value) {
  for (size_t k = 0; k < count; ++k) values[k] = value;
}

/* The ion table of a type, read in the host's layout family. */
static ion_use ion_use_at(const denocat_host* host, const arb_mechanism_type* type, uint32_t k) {
  ion_use use;
  memset(&use, 0, sizeof use);
  if (host->abi == 6) {
    const arb_ion_info_v06* info = (const arb_ion_info_v06*)type->ions + k;
    use.name = info->name;
    use.write_int = info->write_int_concentration;
    use.write_ext = info->write_ext_concentration;
    use.use_diff = info->use_diff_concentration;
    use.write_rev = info->write_rev_potential;
    use.read_rev = info->read_rev_potential;
    use.read_valence = info->read_valence;
    use.verify_valence = info->verify_valence;
    use.expected_valence = info->expected_valence;
  } else {
    const arb_ion_info_v07* info = (const arb_ion_info_v07*)type->ions + k;
    use.name = info->name;
    use.write_int = info->write_int_concentration;
    use.write_ext = info->write_ext_concentration;
    use.read_int = info->read_int_concentration;
    use.read_ext = info->read_ext_concentration;
    use.use_diff = info->use_diff_concentration;
    use.write_rev = info->write_rev_potential;
    use.read_rev = info->read_rev_potential;
    use.read_valence = info->read_valence;
    use.verify_valence = info->verify_valence;
    use.expected_valence = info->expected_valence;
  }
  return use;
}

static const arb_mechanism_type* type_of(const denocat_host* host, const placement* p) {
  return &host->mechanisms[p->mechanism].type;
}

static const arb_mechanism_interface* interface_of(const denocat_host* host, const placement* p) {
  return &host->mechanisms[p->mechanism].iface;
}

/* Index of a field called `name` in a field table, or -1. */
static int64_t field_index(const arb_field_info* fields, uint32_t count, const char* name) {
  for (uint32_t k = 0; k < count; ++k)
    if (strcmp(fields[k].name, name) == 0) return k;
  return -1;
}

static int64_t ion_species_index(const denocat_host* host, const char* name) {
  for (uint32_t k = 0; k < host->n_ions; ++k)
    if (strcmp(host->ions[k].name, name) == 0) return k;
  return -1;
}

static int64_t mechanism_index(const denocat_host* host, const char* name) {
  for (uint32_t k = 0; k < host->n_mechanisms; ++k)
    if (strcmp(host->mechanisms[k].type.name, name) == 0) return k;
  return -1;
}

/* Position of `cv` in an ion's sorted support, or -1. */
static int64_t support_position(const ion_species* ion, uint32_t cv) {
  uint32_t low = 0, high = ion->n_support;
  while (low < high) {
    uint32_t middle = low + (high - low) / 2;
    if (ion->support[middle] < cv)
      low = middle + 1;
    else
      high = middle;
  }
  return low < ion->n_support && ion->support[low] == cv ? (int64_t)low : -1;
}

static int32_t check_placement(denocat_host* host, int32_t placement_id, const char* what) {
  if (placement_id < 0 || (uint32_t)placement_id >= host->n_placements)
    return fail(host, "%s: no placement %d (there are %u placements)", what, placement_id,
                host->n_placements);
  return 0;
}

static int32_t check_cv(denocat_host* host, uint32_t cv, const char* what) {
  if (!host->cvs_set) return fail(host, "%s: call host_set_cvs first", what);
  if (cv >= host->n_cv)
    return fail(host, "%s: CV %u is out of range (the group has %u CVs)", what, cv, host->n_cv);
  return 0;
}

static int32_t check_not_instantiated(denocat_host* host, const char* what) {
  if (host->instantiated)
    return fail(host, "%s: not allowed after host_instantiate (the group is already built)", what);
  return 0;
}

/* ============================================================================================ */
/* Creation, destruction, errors                                                                 */

denocat_host* host_create(uint32_t abi) {
  if (abi != 6 && abi != 7) return NULL; /* no host, so no error slot: NULL means bad ABI */
  denocat_host* host = calloc(1, sizeof *host);
  if (host == NULL) return NULL;
  host->abi = abi;
  return host;
}

/* Frees everything host_instantiate built; the configuration (placements etc.) stays. */
static void free_instantiation(denocat_host* host) {
  for (uint32_t k = 0; k < host->n_placements; ++k) {
    placement* p = &host->placements[k];
    free(p->instance_of);
    free(p->given_of);
    free(p->instance_cv);
    free(p->species_of);
    free(p->value_block);
    free(p->index_block);
    free(p->parameter_arrays);
    free(p->state_arrays);
    free(p->ion_states);
    free(p->random_slots);
    free(p->random_streams);
    p->instance_of = NULL;
    p->given_of = NULL;
    p->instance_cv = NULL;
    p->species_of = NULL;
    p->value_block = NULL;
    p->index_block = NULL;
    p->parameter_arrays = NULL;
    p->state_arrays = NULL;
    p->ion_states = NULL;
    p->random_slots = NULL;
    p->random_streams = NULL;
    p->in_group = false;
    p->width = 0;
    memset(&p->pp, 0, sizeof p->pp);
  }
  for (uint32_t k = 0; k < host->n_ions; ++k) {
    ion_species* ion = &host->ions[k];
    free(ion->support);
    free(ion->iX);
    free(ion->gX);
    free(ion->eX);
    free(ion->Xi);
    free(ion->Xo);
    free(ion->Xd);
    free(ion->charge);
    free(ion->Xi_masked);
    free(ion->Xo_masked);
    char* name = ion->name;
    int32_t valence = ion->valence;
    double internal = ion->internal_mM, external = ion->external_mM, reversal = ion->reversal_mV;
    memset(ion, 0, sizeof *ion);
    ion->name = name;
    ion->valence = valence;
    ion->internal_mM = internal;
    ion->external_mM = external;
    ion->reversal_mV = reversal;
  }
  for (uint32_t k = 0; k < host->n_probes; ++k) host->probes[k].source = NULL;
  free(host->vec_v);
  free(host->vec_i);
  free(host->vec_g);
  free(host->temperature_degC);
  free(host->diam_um);
  free(host->area_um2);
  free(host->vec_ci);
  free(host->time_since_spike);
  free(host->list_m);
  free(host->list_r);
  free(host->list_v);
  host->vec_v = host->vec_i = host->vec_g = NULL;
  host->temperature_degC = host->diam_um = host->area_um2 = NULL;
  host->vec_ci = NULL;
  host->time_since_spike = NULL;
  host->list_m = host->list_r = host->list_v = NULL;
  host->n_m = host->n_r = host->n_v = 0;
  host->post_events = false;
  host->instantiated = false;
}

void host_destroy(denocat_host* host) {
  if (host == NULL) return;
  free_instantiation(host);
  /* Catalogue libraries are never dlclose'd, as in Arbor: their tables must outlive us. */
  for (uint32_t k = 0; k < host->n_mechanisms; ++k) free(host->mechanisms[k].catalogue_path);
  free(host->mechanisms);
  free(host->cv_area);
  free(host->cv_diam);
  free(host->cv_cm);
  free(host->cv_temperature);
  free(host->cv_v_init);
  for (uint32_t k = 0; k < host->n_ions; ++k) free(host->ions[k].name);
  free(host->ions);
  for (uint32_t k = 0; k < host->n_placements; ++k) {
    placement* p = &host->placements[k];
    const arb_mechanism_type* type = type_of(host, p);
    free(p->name);
    free(p->cvs);
    free(p->weights);
    free(p->peers);
    if (p->ion_binding)
      for (uint32_t j = 0; j < type->n_ions; ++j) free(p->ion_binding[j]);
    free(p->ion_binding);
    free(p->globals);
    if (p->parameter_values)
      for (uint32_t j = 0; j < type->n_parameters; ++j) free(p->parameter_values[j]);
    free(p->parameter_values);
    free(p->events);
  }
  free(host->placements);
  free(host->iclamps);
  free(host->vclamps);
  free(host->detectors);
  for (uint32_t k = 0; k < host->n_probes; ++k) free(host->probes[k].name);
  free(host->probes);
  free(host->spikes);
  free(host->due);
  free(host->deliverable);
  free(host);
}

const char* host_error(const denocat_host* host) {
  return host ? host->error : "no host (host_create returns NULL for an ABI other than 6 or 7)";
}

/* ============================================================================================ */
/* Loading catalogues (section 2)                                                                */

/* Checks one field table of a type: present when its count is not zero, names and units are
 * non-NULL, names are not empty and not repeated (Arbor would collapse repeats silently). */
static int32_t check_field_table(denocat_host* host, const char* mechanism, const char* what,
                                 const arb_field_info* fields, uint32_t count) {
  if (count == 0) return 0;
  if (fields == NULL)
    return fail(host, "mechanism '%s': %u %ss declared but the table pointer is NULL", mechanism,
                count, what);
  for (uint32_t k = 0; k < count; ++k) {
    if (fields[k].name == NULL || fields[k].name[0] == 0)
      return fail(host, "mechanism '%s': %s %u has a %s name", mechanism, what, k,
                  fields[k].name ? "empty" : "NULL");
    if (fields[k].unit == NULL)
      return fail(host, "mechanism '%s': %s '%s' has a NULL unit string (use \"\")", mechanism,
                  what, fields[k].name);
    for (uint32_t j = 0; j < k; ++j)
      if (strcmp(fields[j].name, fields[k].name) == 0)
        return fail(host, "mechanism '%s': %s '%s' is declared twice", mechanism, what,
                    fields[k].name);
  }
  return 0;
}

static int32_t check_type(denocat_host* host, const arb_mechanism_type* type) {
  const char* name = type->name;
  if (type->kind < arb_mechanism_kind_point || type->kind > arb_mechanism_kind_voltage)
    return fail(host, "mechanism '%s': unknown kind %u", name, type->kind);
  if (check_field_table(host, name, "global", type->globals, type->n_globals) ||
      check_field_table(host, name, "parameter", type->parameters, type->n_parameters) ||
      check_field_table(host, name, "state variable", type->state_vars, type->n_state_vars))
    return -1;
  if (type->n_ions > 0 && type->ions == NULL)
    return fail(host, "mechanism '%s': %u ions declared but the ion table pointer is NULL", name,
                type->n_ions);
  for (uint32_t k = 0; k < type->n_ions; ++k) {
    ion_use use = ion_use_at(host, type, k);
    if (use.name == NULL || use.name[0] == 0)
      return fail(host, "mechanism '%s': ion %u has a %s name", name, k, use.name ? "empty" : "NULL");
    for (uint32_t j = 0; j < k; ++j)
      if (strcmp(ion_use_at(host, type, j).name, use.name) == 0)
        return fail(host, "mechanism '%s': ion '%s' is declared twice", name, use.name);
  }
  if (type->n_random_variables > 0 && type->random_variables == NULL)
    return fail(host, "mechanism '%s': %u random variables declared but the table pointer is NULL",
                name, type->n_random_variables);
  for (uint32_t k = 0; k < type->n_random_variables; ++k) {
    const arb_random_variable_info* r = &type->random_variables[k];
    if (r->name == NULL || r->name[0] == 0)
      return fail(host, "mechanism '%s': random variable %u has a %s name", name, k,
                  r->name ? "empty" : "NULL");
    if (r->index >= type->n_random_variables)
      return fail(host, "mechanism '%s': random variable '%s' has index %u, outside [0, %u)", name,
                  r->name, r->index, type->n_random_variables);
    for (uint32_t j = 0; j < k; ++j)
      if (type->random_variables[j].index == r->index)
        return fail(host, "mechanism '%s': random variables '%s' and '%s' share index %u", name,
                    type->random_variables[j].name, r->name, r->index);
  }
  return 0;
}

static int32_t check_interface(denocat_host* host, const char* name,
                               const arb_mechanism_interface* iface) {
  if (iface == NULL)
    return fail(host, "mechanism '%s': i_cpu() returned NULL; the host needs a CPU implementation "
                "(Arbor: no_such_implementation)", name);
  if (iface->backend != arb_backend_kind_cpu)
    return fail(host, "mechanism '%s': the interface from i_cpu() has backend %u, expected 1 (cpu); "
                "Arbor registers an interface under its backend field", name, iface->backend);
  if (!is_power_of_two(iface->alignment) || iface->alignment > HOST_MAX_ALIGNMENT)
    return fail(host, "mechanism '%s': alignment %u is not a power of two in [1, %u] (use 8)", name,
                iface->alignment, HOST_MAX_ALIGNMENT);
  if (iface->partition_width == 0 || iface->partition_width > HOST_MAX_PARTITION_WIDTH)
    return fail(host, "mechanism '%s': partition_width %u is outside [1, %u] (use 1; Arbor crashes "
                "on 0)", name, iface->partition_width, HOST_MAX_PARTITION_WIDTH);
  const char* missing = !iface->init_mechanism     ? "init_mechanism"
                        : !iface->compute_currents ? "compute_currents"
                        : !iface->apply_events     ? "apply_events"
                        : !iface->advance_state    ? "advance_state"
                        : !iface->write_ions       ? "write_ions"
                        : !iface->post_event       ? "post_event"
                                                   : NULL;
  if (missing)
    return fail(host, "mechanism '%s': method %s is NULL; Arbor calls all six methods, so provide a "
                "no-op function", name, missing);
  return 0;
}

int32_t host_load_catalogue(denocat_host* host, const char* path) {
  if (host == NULL) return -1;
  if (path == NULL || path[0] == 0) return fail(host, "host_load_catalogue: the path is empty");
  if (check_not_instantiated(host, "host_load_catalogue")) return -1;

  /* Like Arbor: local scope, lazy binding. A path without '/' is searched along the library path
   * (LD_LIBRARY_PATH, the cache, default directories), not in the current directory. */
  dlerror();
  void* library = dlopen(path, RTLD_LAZY | RTLD_LOCAL);
  if (library == NULL) {
    const char* reason = dlerror();
    return fail(host, "Error while opening catalogue '%s': %s", path, reason ? reason : "unknown");
  }
  /* The handle is never closed (as in Arbor): the type tables stay in use for the process. */

  /* denocat's trampoline tells which layout it was built for; a mismatch would be read silently
   * with the wrong struct layouts, because abi_version is 0 in both families (1.2). It is checked
   * before get_catalogue, which freezes denocat's layout. */
  dlerror();
  void* abi_symbol = dlsym(library, "denocat_abi");
  if (abi_symbol != NULL && dlerror() == NULL) {
    uint32_t (*catalogue_abi)(void);
    memcpy(&catalogue_abi, &abi_symbol, sizeof catalogue_abi);
    uint32_t built_for = catalogue_abi();
    if (built_for != host->abi)
      return fail(host, "catalogue '%s' was built for ABI 0.%u but the host runs 0.%u", path,
                  built_for, host->abi);
  }

  dlerror();
  void* symbol = dlsym(library, "get_catalogue");
  const char* reason = dlerror();
  if (reason != NULL)
    return fail(host, "Error while opening catalogue '%s': %s", path, reason);
  if (symbol == NULL)
    return fail(host, "Error while opening catalogue '%s': unusable symbol 'get_catalogue' (NULL)",
                path);
  arb_get_catalogue get_catalogue;
  memcpy(&get_catalogue, &symbol, sizeof get_catalogue);

  int count = -1; /* Arbor presets -1 so a function that never writes it is caught */
  const arb_mechanism* records = get_catalogue(&count);
  if (count <= 0)
    return fail(host, "Error while opening catalogue '%s': invalid mechanism count %d", path, count);
  if (records == NULL)
    return fail(host, "Error while opening catalogue '%s': get_catalogue returned NULL with count %d",
                path, count);

  /* Everything is checked before anything is added: a failed load adds nothing (like Arbor). */
  loaded_mechanism* batch = calloc((size_t)count, sizeof *batch);
  if (batch == NULL) return fail(host, "out of memory loading catalogue '%s'", path);
  int32_t status = 0;
  for (int index = 0; index < count && status == 0; ++index) {
    arb_mechanism record = records[index];
    if (record.type == NULL || record.i_cpu == NULL || record.i_gpu == NULL) {
      status = fail(host, "catalogue '%s': record %d has a NULL %s getter; Arbor calls type(), i_cpu() "
                    "and i_gpu() unconditionally", path, index,
                    record.type == NULL ? "type" : record.i_cpu == NULL ? "i_cpu" : "i_gpu");
      break;
    }
    arb_mechanism_type type = record.type();
    if (type.name == NULL) {
      status = fail(host, "catalogue '%s': record %d: type() returned a NULL name", path, index);
      break;
    }
    if (type.name[0] == 0) {
      status = fail(host, "catalogue '%s': record %d: empty name", path, index);
      break;
    }
    /* Arbor calls both getters, in this order, before looking at either result. */
    arb_mechanism_interface* cpu = record.i_cpu();
    arb_mechanism_interface* gpu = record.i_gpu();
    (void)gpu; /* the host is a CPU backend */
    if (type.abi_version != ARB_ABI_VERSION_VALUE) {
      status = fail(host, "mechanism '%s' in catalogue '%s': abi_version is %lu, but Arbor 0.9 and "
                    "later require %lu (unsupported_abi_error)", type.name, path,
                    type.abi_version, ARB_ABI_VERSION_VALUE);
      break;
    }
    if (type.fingerprint == NULL) {
      status = fail(host, "mechanism '%s' in catalogue '%s': NULL fingerprint", type.name, path);
      break;
    }
    if (mechanism_index(host, type.name) >= 0) {
      status = fail(host, "catalogue '%s': mechanism '%s' already exists (loaded from '%s')", path,
                    type.name, host->mechanisms[mechanism_index(host, type.name)].catalogue_path);
      break;
    }
    for (int j = 0; j < index; ++j)
      if (strcmp(batch[j].type.name, type.name) == 0)
        status = fail(host, "catalogue '%s': mechanism '%s' appears twice", path, type.name);
    if (status) break;
    if (check_type(host, &type) || check_interface(host, type.name, cpu)) {
      status = -1;
      char detail[sizeof host->error];
      memcpy(detail, host->error, sizeof detail);
      fail(host, "catalogue '%s': %s", path, detail);
      break;
    }
    batch[index].type = type;
    batch[index].iface = *cpu; /* copied at once, like Arbor: the interface may be a temporary */
    if ((batch[index].catalogue_path = copy_string(path)) == NULL)
      status = fail(host, "out of memory loading catalogue '%s'", path);
  }
  if (status == 0 && RESERVE(host->mechanisms, host->mechanisms_capacity,
                             (uint64_t)host->n_mechanisms + (uint64_t)count))
    status = fail(host, "out of memory loading catalogue '%s'", path);
  if (status != 0) {
    for (int j = 0; j < count; ++j) free(batch[j].catalogue_path);
    free(batch);
    return -1;
  }
  memcpy(host->mechanisms + host->n_mechanisms, batch, (size_t)count * sizeof *batch);
  host->n_mechanisms += (uint32_t)count;
  free(batch);
  return count;
}

int32_t host_mechanism_count(const denocat_host* host) {
  return host ? (int32_t)host->n_mechanisms : -1;
}

const char* host_mechanism_name(const denocat_host* host, uint32_t index) {
  return host && index < host->n_mechanisms ? host->mechanisms[index].type.name : NULL;
}

int32_t host_mechanism_kind(const denocat_host* host, uint32_t index) {
  return host && index < host->n_mechanisms ? (int32_t)host->mechanisms[index].type.kind : -1;
}

/* ============================================================================================ */
/* CVs and ions                                                                                  */

int32_t host_set_cvs(denocat_host* host, uint32_t n_cv, const double* area_um2,
                     const double* diam_um, const double* cm_F_per_m2,
                     const double* temperature_degC, const double* v_init_mV) {
  if (host == NULL) return -1;
  if (check_not_instantiated(host, "host_set_cvs")) return -1;
  if (n_cv == 0) return fail(host, "host_set_cvs: n_cv is 0; a cell group has at least one CV");
  if (!area_um2 || !diam_um || !cm_F_per_m2 || !temperature_degC || !v_init_mV)
    return fail(host, "host_set_cvs: every array (area, diameter, cm, temperature, v_init) is "
                "required");
  if (host->cvs_set && (host->n_placements || host->n_iclamps || host->n_vclamps ||
                        host->n_detectors || host->n_probes))
    return fail(host, "host_set_cvs: the CVs are already in use by placements, stimuli, detectors "
                "or probes; set them once, first");
  for (uint32_t cv = 0; cv < n_cv; ++cv) {
    if (!isfinite(area_um2[cv]) || area_um2[cv] <= 0)
      return fail(host, "host_set_cvs: CV %u has area %g um^2; it must be positive", cv, area_um2[cv]);
    if (!isfinite(diam_um[cv]) || diam_um[cv] < 0)
      return fail(host, "host_set_cvs: CV %u has diameter %g um; it must be finite and >= 0", cv,
                  diam_um[cv]);
    if (!isfinite(cm_F_per_m2[cv]) || cm_F_per_m2[cv] <= 0)
      return fail(host, "host_set_cvs: CV %u has membrane capacitance %g F/m^2; it must be positive",
                  cv, cm_F_per_m2[cv]);
    if (!isfinite(temperature_degC[cv]) || temperature_degC[cv] < -273.15)
      return fail(host, "host_set_cvs: CV %u has temperature %g degC", cv, temperature_degC[cv]);
    if (!isfinite(v_init_mV[cv]))
      return fail(host, "host_set_cvs: CV %u has initial voltage %g mV", cv, v_init_mV[cv]);
  }
  double* arrays[5];
  const double* sources[5] = {area_um2, diam_um, cm_F_per_m2, temperature_degC, v_init_mV};
  for (int k = 0; k < 5; ++k) {
    arrays[k] = malloc((size_t)n_cv * sizeof(double));
    if (arrays[k] == NULL) {
      for (int j = 0; j < k; ++j) free(arrays[j]);
      return fail(host, "out of memory in host_set_cvs");
    }
    memcpy(arrays[k], sources[k], (size_t)n_cv * sizeof(double));
  }
  free(host->cv_area);
  free(host->cv_diam);
  free(host->cv_cm);
  free(host->cv_temperature);
  free(host->cv_v_init);
  host->cv_area = arrays[0];
  host->cv_diam = arrays[1];
  host->cv_cm = arrays[2];
  host->cv_temperature = arrays[3];
  host->cv_v_init = arrays[4];
  host->n_cv = n_cv;
  host->cvs_set = true;
  return 0;
}

int32_t host_add_ion(denocat_host* host, const char* name, int32_t valence, double internal_mM,
                     double external_mM, double reversal_mV) {
  if (host == NULL) return -1;
  if (check_not_instantiated(host, "host_add_ion")) return -1;
  if (name == NULL || name[0] == 0) return fail(host, "host_add_ion: the ion name is empty");
  if (ion_species_index(host, name) >= 0)
    return fail(host, "host_add_ion: ion '%s' is already declared", name);
  if (!isfinite(internal_mM) || internal_mM < 0 || !isfinite(external_mM) || external_mM < 0)
    return fail(host, "host_add_ion: ion '%s': concentrations must be finite and >= 0 (got "
                "internal %g mM, external %g mM)", name, internal_mM, external_mM);
  if (!isfinite(reversal_mV))
    return fail(host, "host_add_ion: ion '%s': reversal potential %g mV is not finite", name,
                reversal_mV);
  if (RESERVE(host->ions, host->ions_capacity, (uint64_t)host->n_ions + 1))
    return fail(host, "out of memory in host_add_ion");
  ion_species* ion = &host->ions[host->n_ions];
  memset(ion, 0, sizeof *ion);
  if ((ion->name = copy_string(name)) == NULL) return fail(host, "out of memory in host_add_ion");
  ion->valence = valence;
  ion->internal_mM = internal_mM;
  ion->external_mM = external_mM;
  ion->reversal_mV = reversal_mV;
  return (int32_t)host->n_ions++;
}

/* ============================================================================================ */
/* Placement                                                                                     */

static void list_mechanisms(denocat_host* host) {
  if (host->n_mechanisms == 0) {
    append_error(host, " (no catalogue is loaded)");
    return;
  }
  append_error(host, "; available:");
  for (uint32_t k = 0; k < host->n_mechanisms; ++k)
    append_error(host, "%s %s", k ? "," : "", host->mechanisms[k].type.name);
}

static void list_fields(denocat_host* host, const char* what, const arb_field_info* fields,
                        uint32_t count) {
  if (count == 0) {
    append_error(host, " (it has no %ss)", what);
    return;
  }
  append_error(host, " (its %ss:", what);
  for (uint32_t k = 0; k < count; ++k) append_error(host, "%s %s", k ? "," : "", fields[k].name);
  append_error(host, ")");
}

static int32_t check_range(denocat_host* host, const char* placement_name, const char* what,
                           const arb_field_info* field, double value) {
  if (!(field->range_low <= value && value <= field->range_high))
    return fail(host, "'%s': %s '%s' = %g is outside its range [%g, %g] (invalid_parameter_value)",
                placement_name, what, field->name, value, field->range_low, field->range_high);
  return 0;
}

/* Applies the derivation part of a name ("e=-70,g=1", "na", "x=na") to a fresh placement. */
static int32_t apply_derivation(denocat_host* host, placement* p, const char* derivation) {
  const arb_mechanism_type* type = type_of(host, p);
  char* text = copy_string(derivation);
  if (text == NULL) return fail(host, "out of memory");
  int32_t status = 0;
  bool* ion_renamed = calloc(type->n_ions + 1, sizeof *ion_renamed);
  if (ion_renamed == NULL) {
    free(text);
    return fail(host, "out of memory");
  }
  char* cursor = text;
  while (status == 0) {
    char* item = cursor;
    char* comma = strchr(cursor, ',');
    if (comma) *comma = 0;
    if (item[0] == 0) {
      status = fail(host, "'%s': empty item in the derivation after '/'", p->name);
      break;
    }
    char* equals = strchr(item, '=');
    const char* old_ion = NULL;
    const char* new_ion = NULL;
    if (equals == NULL) {
      /* "mech/na": rebind the only ion of a one-ion mechanism. */
      if (type->n_ions != 1) {
        status = fail(host, "'%s': '%s' would rebind an ion, but '%s' has %u ions; the short form "
                      "needs exactly one (write '<ion>=%s' to choose)", p->name, item, type->name,
                      type->n_ions, item);
        break;
      }
      old_ion = ion_use_at(host, type, 0).name;
      new_ion = item;
    } else {
      *equals = 0;
      const char* key = item;
      const char* value = equals + 1;
      if (key[0] == 0 || value[0] == 0) {
        status = fail(host, "'%s': malformed derivation item '%s=%s'", p->name, key, value);
        break;
      }
      for (uint32_t k = 0; k < type->n_ions; ++k)
        if (strcmp(ion_use_at(host, type, k).name, key) == 0) old_ion = key;
      if (old_ion) {
        new_ion = value;
      } else {
        int64_t g = field_index(type->globals, type->n_globals, key);
        if (g < 0) {
          if (field_index(type->parameters, type->n_parameters, key) >= 0)
            status = fail(host, "'%s': '%s' is a parameter of '%s', not a global; derived names "
                          "set globals only (use host_set_parameter)", p->name, key, type->name);
          else {
            status = fail(host, "'%s': '%s' is neither a global nor an ion of '%s'", p->name, key,
                          type->name);
            list_fields(host, "global", type->globals, type->n_globals);
          }
          break;
        }
        char* end = NULL;
        double number = strtod(value, &end);
        if (end == value || *end != 0) {
          status = fail(host, "'%s': the value '%s' of global '%s' is not a number", p->name, value,
                        key);
          break;
        }
        if (check_range(host, p->name, "global", &type->globals[g], number)) {
          status = -1;
          break;
        }
        p->globals[g] = number;
      }
    }
    if (old_ion) {
      for (uint32_t k = 0; k < type->n_ions; ++k) {
        if (strcmp(ion_use_at(host, type, k).name, old_ion) != 0) continue;
        if (ion_renamed[k]) {
          status = fail(host, "'%s': ion '%s' is rebound twice", p->name, old_ion);
          break;
        }
        char* bound = copy_string(new_ion);
        if (bound == NULL) {
          status = fail(host, "out of memory");
          break;
        }
        free(p->ion_binding[k]);
        p->ion_binding[k] = bound;
        ion_renamed[k] = true;
      }
    }
    if (comma == NULL) break;
    cursor = comma + 1;
  }
  free(text);
  free(ion_renamed);
  if (status) return status;
  for (uint32_t k = 0; k < type->n_ions; ++k)
    for (uint32_t j = 0; j < k; ++j)
      if (strcmp(p->ion_binding[j], p->ion_binding[k]) == 0)
        return fail(host, "'%s': ions '%s' and '%s' of '%s' are both bound to ion '%s'", p->name,
                    ion_use_at(host, type, j).name, ion_use_at(host, type, k).name, type->name,
                    p->ion_binding[k]);
  return 0;
}

static void free_placement_configuration(const denocat_host* host, placement* p) {
  const arb_mechanism_type* type = type_of(host, p);
  free(p->name);
  free(p->cvs);
  free(p->weights);
  free(p->peers);
  if (p->ion_binding)
    for (uint32_t j = 0; j < type->n_ions; ++j) free(p->ion_binding[j]);
  free(p->ion_binding);
  free(p->globals);
  free(p->parameter_values);
  memset(p, 0, sizeof *p);
}

int32_t host_place(denocat_host* host, const char* name, uint32_t n, const uint32_t* cvs,
                   const double* weights, const uint32_t* peers) {
  if (host == NULL) return -1;
  if (check_not_instantiated(host, "host_place")) return -1;
  if (name == NULL || name[0] == 0) return fail(host, "host_place: the mechanism name is empty");
  if (!host->cvs_set) return fail(host, "host_place('%s'): call host_set_cvs first", name);
  for (uint32_t k = 0; k < host->n_placements; ++k)
    if (strcmp(host->placements[k].name, name) == 0)
      return fail(host, "host_place: '%s' is already placed (placement %u); a mechanism name may be "
                  "placed once per host", name, k);

  /* Split "base/derivation". */
  const char* slash = strchr(name, '/');
  size_t base_length = slash ? (size_t)(slash - name) : strlen(name);
  char* base = malloc(base_length + 1);
  if (base == NULL) return fail(host, "out of memory in host_place");
  memcpy(base, name, base_length);
  base[base_length] = 0;
  int64_t mechanism = mechanism_index(host, base);
  if (mechanism < 0) {
    fail(host, "host_place: unknown mechanism '%s'", base);
    list_mechanisms(host);
    free(base);
    return -1;
  }
  free(base);
  const arb_mechanism_type* type = &host->mechanisms[mechanism].type;
  uint32_t kind = type->kind;

  /* Shape of the arguments by kind. */
  if (kind == arb_mechanism_kind_reversal_potential) {
    if (n != 0 || cvs != NULL || weights != NULL || peers != NULL)
      return fail(host, "host_place('%s'): a reversal-potential mechanism gets one instance per CV "
                  "of its ion's support; pass n = 0 and NULL arrays", name);
  } else {
    if (n == 0 || cvs == NULL)
      return fail(host, "host_place('%s'): a %s mechanism needs n >= 1 CVs", name, kind_name(kind));
    for (uint32_t k = 0; k < n; ++k)
      if (cvs[k] >= host->n_cv)
        return fail(host, "host_place('%s'): instance %u: CV %u is out of range (the group has %u "
                    "CVs)", name, k, cvs[k], host->n_cv);
    if (kind == arb_mechanism_kind_gap_junction) {
      if (peers == NULL) return fail(host, "host_place('%s'): a gap junction needs peer CVs", name);
      for (uint32_t k = 0; k < n; ++k)
        if (peers[k] >= host->n_cv)
          return fail(host, "host_place('%s'): connection %u: peer CV %u is out of range (the group "
                      "has %u CVs)", name, k, peers[k], host->n_cv);
    } else if (peers != NULL) {
      return fail(host, "host_place('%s'): peer CVs are for gap junctions only, but '%s' is a %s "
                  "mechanism", name, type->name, kind_name(kind));
    }
    if (kind == arb_mechanism_kind_density || kind == arb_mechanism_kind_voltage) {
      for (uint32_t k = 1; k < n; ++k)
        if (cvs[k] <= cvs[k - 1])
          return fail(host, "host_place('%s'): CVs of a %s mechanism must be strictly ascending "
                      "(entry %u is %u after %u)", name, kind_name(kind), k, cvs[k], cvs[k - 1]);
      if (weights)
        for (uint32_t k = 0; k < n; ++k)
          if (!(weights[k] > 0 && weights[k] <= 1))
            return fail(host, "host_place('%s'): covered fraction %g at CV %u is outside (0, 1]",
                        name, weights[k], cvs[k]);
    }
    if (kind == arb_mechanism_kind_gap_junction && weights)
      for (uint32_t k = 0; k < n; ++k)
        if (!isfinite(weights[k]))
          return fail(host, "host_place('%s'): connection %u has weight %g", name, k, weights[k]);
    /* Point mechanisms ignore `weights`: their weight is 1000/area (3.2). */
  }

  if (RESERVE(host->placements, host->placements_capacity, (uint64_t)host->n_placements + 1))
    return fail(host, "out of memory in host_place");
  placement* p = &host->placements[host->n_placements];
  memset(p, 0, sizeof *p);
  p->mechanism = (uint32_t)mechanism;
  p->kind = kind;
  p->n = n;
  p->events_sorted = true;
  bool ok = (p->name = copy_string(name)) != NULL;
  if (ok && n > 0) {
    ok = (p->cvs = malloc((size_t)n * sizeof *p->cvs)) != NULL &&
         (p->weights = malloc((size_t)n * sizeof *p->weights)) != NULL;
    if (ok) {
      memcpy(p->cvs, cvs, (size_t)n * sizeof *cvs);
      for (uint32_t k = 0; k < n; ++k) p->weights[k] = weights && kind != arb_mechanism_kind_point ? weights[k] : 1.0;
    }
    if (ok && kind == arb_mechanism_kind_gap_junction) {
      ok = (p->peers = malloc((size_t)n * sizeof *p->peers)) != NULL;
      if (ok) memcpy(p->peers, peers, (size_t)n * sizeof *peers);
    }
  }
  if (ok && type->n_ions) {
    ok = (p->ion_binding = calloc(type->n_ions, sizeof *p->ion_binding)) != NULL;
    for (uint32_t k = 0; ok && k < type->n_ions; ++k)
      ok = (p->ion_binding[k] = copy_string(ion_use_at(host, type, k).name)) != NULL;
  }
  if (ok && type->n_globals) {
    ok = (p->globals = malloc(type->n_globals * sizeof *p->globals)) != NULL;
    for (uint32_t k = 0; ok && k < type->n_globals; ++k) p->globals[k] = type->globals[k].default_value;
  }
  if (ok && type->n_parameters)
    ok = (p->parameter_values = calloc(type->n_parameters, sizeof *p->parameter_values)) != NULL;
  if (!ok) {
    free_placement_configuration(host, p);
    return fail(host, "out of memory in host_place");
  }
  if (slash && apply_derivation(host, p, slash + 1)) {
    free_placement_configuration(host, p);
    return -1;
  }
  return (int32_t)host->n_placements++;
}

int32_t host_set_parameter(denocat_host* host, int32_t placement_id, const char* name,
                           const double* values) {
  if (host == NULL) return -1;
  if (check_not_instantiated(host, "host_set_parameter")) return -1;
  if (check_placement(host, placement_id, "host_set_parameter")) return -1;
  placement* p = &host->placements[placement_id];
  const arb_mechanism_type* type = type_of(host, p);
  if (name == NULL) return fail(host, "host_set_parameter('%s'): the parameter name is NULL", p->name);
  int64_t k = field_index(type->parameters, type->n_parameters, name);
  if (k < 0) {
    if (field_index(type->globals, type->n_globals, name) >= 0)
      return fail(host, "host_set_parameter('%s'): '%s' is a global, not a parameter (did you mean "
                  "global? use host_set_global or a derived name '%s/%s=...')", p->name, name,
                  type->name, name);
    if (field_index(type->state_vars, type->n_state_vars, name) >= 0)
      return fail(host, "host_set_parameter('%s'): '%s' is a state variable, not a parameter",
                  p->name, name);
    fail(host, "host_set_parameter('%s'): no such parameter '%s'", p->name, name);
    list_fields(host, "parameter", type->parameters, type->n_parameters);
    return -1;
  }
  if (values == NULL) return fail(host, "host_set_parameter('%s'): values is NULL", p->name);
  /* A reversal-potential placement has no instances yet: it takes one value for every CV. */
  uint32_t count = p->kind == arb_mechanism_kind_reversal_potential ? 1 : p->n;
  for (uint32_t i = 0; i < count; ++i)
    if (check_range(host, p->name, "parameter", &type->parameters[k], values[i])) {
      append_error(host, " at instance %u", i);
      return -1;
    }
  double* copy = malloc((size_t)count * sizeof *copy);
  if (copy == NULL) return fail(host, "out of memory in host_set_parameter");
  memcpy(copy, values, (size_t)count * sizeof *copy);
  free(p->parameter_values[k]);
  p->parameter_values[k] = copy;
  return 0;
}

int32_t host_set_global(denocat_host* host, int32_t placement_id, const char* name, double value) {
  if (host == NULL) return -1;
  if (check_not_instantiated(host, "host_set_global")) return -1;
  if (check_placement(host, placement_id, "host_set_global")) return -1;
  placement* p = &host->placements[placement_id];
  const arb_mechanism_type* type = type_of(host, p);
  if (name == NULL) return fail(host, "host_set_global('%s'): the global name is NULL", p->name);
  int64_t k = field_index(type->globals, type->n_globals, name);
  if (k < 0) {
    if (field_index(type->parameters, type->n_parameters, name) >= 0)
      return fail(host, "host_set_global('%s'): '%s' is a parameter, not a global (use "
                  "host_set_parameter)", p->name, name);
    fail(host, "host_set_global('%s'): no such global '%s'", p->name, name);
    list_fields(host, "global", type->globals, type->n_globals);
    return -1;
  }
  if (check_range(host, p->name, "global", &type->globals[k], value)) return -1;
  p->globals[k] = value; /* after, and so over, any value from the derived name */
  return 0;
}

/* ============================================================================================ */
/* Stimuli, detectors, events, probes                                                            */

static int32_t add_clamp(denocat_host* host, clamp** list, uint32_t* count, uint32_t* capacity,
                         const char* what, uint32_t cv, double t_start, double duration,
                         double value) {
  if (check_cv(host, cv, what)) return -1;
  if (!isfinite(t_start) || !isfinite(duration) || duration < 0)
    return fail(host, "%s: start %g ms and duration %g ms must be finite, duration >= 0", what,
                t_start, duration);
  if (!isfinite(value)) return fail(host, "%s: value %g is not finite", what, value);
  if (reserve((void**)list, capacity, (uint64_t)*count + 1, sizeof **list))
    return fail(host, "out of memory in %s", what);
  (*list)[*count] = (clamp){.cv = cv, .t_start = t_start, .duration = duration, .value = value};
  return (int32_t)(*count)++;
}

int32_t host_add_iclamp(denocat_host* host, uint32_t cv, double t_start_ms, double duration_ms,
                        double amplitude_nA) {
  if (host == NULL) return -1;
  return add_clamp(host, &host->iclamps, &host->n_iclamps, &host->iclamps_capacity,
                   "host_add_iclamp", cv, t_start_ms, duration_ms, amplitude_nA);
}

int32_t host_add_vclamp(denocat_host* host, uint32_t cv, double t_start_ms, double duration_ms,
                        double v_mV) {
  if (host == NULL) return -1;
  return add_clamp(host, &host->vclamps, &host->n_vclamps, &host->vclamps_capacity,
                   "host_add_vclamp", cv, t_start_ms, duration_ms, v_mV);
}

int32_t host_add_detector(denocat_host* host, uint32_t cv, double threshold_mV) {
  if (host == NULL) return -1;
  /* time_since_spike is sized by the detector count when the group is built. */
  if (check_not_instantiated(host, "host_add_detector")) return -1;
  if (check_cv(host, cv, "host_add_detector")) return -1;
  if (!isfinite(threshold_mV))
    return fail(host, "host_add_detector: threshold %g mV is not finite", threshold_mV);
  if (RESERVE(host->detectors, host->detectors_capacity, (uint64_t)host->n_detectors + 1))
    return fail(host, "out of memory in host_add_detector");
  host->detectors[host->n_detectors] = (detector){.cv = cv, .threshold = threshold_mV};
  return (int32_t)host->n_detectors++;
}

int32_t host_add_event(denocat_host* host, int32_t placement_id, uint32_t instance, double t_ms,
                       float weight) {
  if (host == NULL) return -1;
  if (check_placement(host, placement_id, "host_add_event")) return -1;
  placement* p = &host->placements[placement_id];
  if (p->kind != arb_mechanism_kind_point)
    return fail(host, "host_add_event('%s'): events go to point mechanisms only, but this is a %s "
                "mechanism", p->name, kind_name(p->kind));
  if (instance >= p->n)
    return fail(host, "host_add_event('%s'): instance %u is out of range (%u instances)", p->name,
                instance, p->n);
  if (!isfinite(t_ms) || t_ms < 0)
    return fail(host, "host_add_event('%s'): time %g ms must be finite and >= 0", p->name, t_ms);
  if (!isfinite(weight))
    return fail(host, "host_add_event('%s'): weight %g is not finite", p->name, (double)weight);
  if (RESERVE(p->events, p->events_capacity, (uint64_t)p->n_events + 1))
    return fail(host, "out of memory in host_add_event");
  p->events[p->n_events++] = (host_event){
      .instance = instance, .weight = weight, .t = t_ms, .sequence = host->event_sequence++};
  p->events_sorted = false;
  return 0;
}

typedef enum ion_field { ION_I, ION_E, ION_INT, ION_EXT, ION_DIFF, ION_G, ION_UNKNOWN } ion_field;

/* Splits "<ion>.<field>" at its last dot; returns the field, and the ion name length. */
static ion_field parse_ion_probe(const char* name, size_t* ion_length) {
  const char* dot = strrchr(name, '.');
  if (dot == NULL || dot == name) return ION_UNKNOWN;
  *ion_length = (size_t)(dot - name);
  static const char* fields[] = {"i", "e", "int", "ext", "diff", "g"};
  for (int k = 0; k < 6; ++k)
    if (strcmp(dot + 1, fields[k]) == 0) return (ion_field)k;
  return ION_UNKNOWN;
}

/* Points a probe at the value it samples. Needs the built group. */
static int32_t resolve_probe(denocat_host* host, probe* pr, uint32_t column) {
  switch (pr->kind) {
    case HOST_PROBE_VOLTAGE: pr->source = &host->vec_v[pr->target]; return 0;
    case HOST_PROBE_CURRENT: pr->source = &host->vec_i[pr->target]; return 0;
    case HOST_PROBE_STATE: {
      placement* p = &host->placements[pr->placement];
      const arb_mechanism_type* type = type_of(host, p);
      int64_t k = field_index(type->state_vars, type->n_state_vars, pr->name);
      if (!p->in_group)
        return fail(host, "probe %u: '%s' has no instances in this group (its ion has no CVs)",
                    column, p->name);
      uint32_t instance = p->instance_of ? p->instance_of[pr->target] : pr->target;
      if (instance >= p->width)
        return fail(host, "probe %u: instance %u of '%s' is out of range (%u instances)", column,
                    pr->target, p->name, p->width);
      pr->source = &p->state_arrays[k][instance];
      return 0;
    }
    case HOST_PROBE_ION: {
      size_t length = 0;
      ion_field field = parse_ion_probe(pr->name, &length);
      ion_species* ion = NULL;
      for (uint32_t k = 0; k < host->n_ions; ++k)
        if (strlen(host->ions[k].name) == length && strncmp(host->ions[k].name, pr->name, length) == 0)
          ion = &host->ions[k];
      if (ion == NULL)
        return fail(host, "probe %u ('%s'): ion '%.*s' is not declared (host_add_ion)", column,
                    pr->name, (int)length, pr->name);
      int64_t position = support_position(ion, pr->target);
      if (position < 0)
        return fail(host, "probe %u ('%s'): CV %u is outside the support of ion '%s' (no mechanism "
                    "using it covers that CV)", column, pr->name, pr->target, ion->name);
      static const char* why[] = {
          [ION_E] = "no mechanism declares read_rev_potential or write_rev_potential",
          [ION_INT] = "no mechanism declares read_int_concentration or write_int_concentration",
          [ION_EXT] = "no mechanism declares read_ext_concentration or write_ext_concentration",
          [ION_DIFF] = "no mechanism declares use_diff_concentration",
          [ION_G] = "ion conductivity was removed from arb_ion_state",
      };
      double* array = field == ION_I      ? ion->iX
                      : field == ION_E    ? ion->eX
                      : field == ION_INT  ? ion->Xi
                      : field == ION_EXT  ? ion->Xo
                      : field == ION_DIFF ? ion->Xd
                                          : ion->gX;
      if (array == NULL)
        return fail(host, "probe %u ('%s'): that array does not exist in ABI 0.%u (%s)", column,
                    pr->name, host->abi, why[field]);
      pr->source = &array[position];
      return 0;
    }
    default: return fail(host, "probe %u: unknown kind %u", column, pr->kind);
  }
}

int32_t host_add_probe(denocat_host* host, uint32_t kind, int32_t placement_id, const char* name,
                       uint32_t target) {
  if (host == NULL) return -1;
  probe pr = {.kind = kind, .placement = -1, .target = target};
  switch (kind) {
    case HOST_PROBE_VOLTAGE:
    case HOST_PROBE_CURRENT:
      if (check_cv(host, target, "host_add_probe")) return -1;
      break;
    case HOST_PROBE_STATE: {
      if (check_placement(host, placement_id, "host_add_probe")) return -1;
      placement* p = &host->placements[placement_id];
      const arb_mechanism_type* type = type_of(host, p);
      if (name == NULL || field_index(type->state_vars, type->n_state_vars, name) < 0) {
        fail(host, "host_add_probe('%s'): no state variable '%s'", p->name, name ? name : "(NULL)");
        list_fields(host, "state variable", type->state_vars, type->n_state_vars);
        return -1;
      }
      /* Reversal-potential instances are CVs of the ion's support, known only once built. */
      if (p->kind != arb_mechanism_kind_reversal_potential && target >= p->n)
        return fail(host, "host_add_probe('%s'): instance %u is out of range (%u instances)",
                    p->name, target, p->n);
      pr.placement = placement_id;
      break;
    }
    case HOST_PROBE_ION: {
      size_t length = 0;
      if (name == NULL || parse_ion_probe(name, &length) == ION_UNKNOWN)
        return fail(host, "host_add_probe: ion probe name '%s' is not '<ion>.<field>' with field i, "
                    "e, int, ext, diff or g", name ? name : "(NULL)");
      if (check_cv(host, target, "host_add_probe")) return -1;
      break;
    }
    default:
      return fail(host, "host_add_probe: unknown probe kind %u (0 voltage, 1 state, 2 ion, 3 "
                  "current)", kind);
  }
  if (name && (pr.name = copy_string(name)) == NULL) return fail(host, "out of memory");
  if (host->instantiated && resolve_probe(host, &pr, host->n_probes + 1)) {
    free(pr.name);
    return -1;
  }
  if (RESERVE(host->probes, host->probes_capacity, (uint64_t)host->n_probes + 1)) {
    free(pr.name);
    return fail(host, "out of memory in host_add_probe");
  }
  host->probes[host->n_probes++] = pr;
  return (int32_t)host->n_probes; /* column 0 is time */
}
