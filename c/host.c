/*
 * host.c — a native test host that drives an Arbor mechanism catalogue exactly the way Arbor's
 * CPU ("multicore") backend does, for one cell group on one thread. See host.h for the API and
 * docs/abi.md for the behaviour it reproduces; section numbers below refer to that
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
#include <float.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arbor_abi.h"

/* A function pointer is read out of dlsym's void* with memcpy, which needs equal sizes. */
_Static_assert(sizeof(void*) == sizeof(void (*)(void)),
               "function and object pointers differ in size");

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
  uint32_t* given_of; /* Arbor instance index -> placement order, the first (lowest) member of a
                       * coalesced group (NULL for reversal) */
  uint32_t* merged; /* per Arbor instance: synapses merged into it; NULL unless coalescing */
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
  bool coalesce; /* Arbor's coalesce_synapses; true unless host_set_coalesce(host, 0) */

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

  /* Set while host_instantiate, host_reset or host_run calls mechanisms: a hook that drives the
   * host again would free or rebuild the arrays the running step still uses. */
  bool driving;
};

/* ============================================================================================ */
/* Small helpers                                                                                 */

static int32_t fail(denocat_host* host, const char* format, ...)
    __attribute__((format(printf, 2, 3)));
static int32_t fail(denocat_host* host, const char* format, ...) {
  va_list args;
  va_start(args, format);
  vsnprintf(host->error, sizeof host->error, format, args);
  va_end(args);
  return -1;
}

/* Appends to the error message (used for lists of names); silently truncates. */
static void append_error(denocat_host* host, const char* format, ...)
    __attribute__((format(printf, 2, 3)));
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
#define RESERVE(array, capacity, needed) \
  reserve((void**)&(array), &(capacity), (needed), sizeof *(array))

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
  host->coalesce = true; /* Arbor's default */
  return host;
}

/* Frees everything host_instantiate built; the configuration (placements etc.) stays. */
static void free_instantiation(denocat_host* host) {
  for (uint32_t k = 0; k < host->n_placements; ++k) {
    placement* p = &host->placements[k];
    free(p->instance_of);
    free(p->given_of);
    free(p->merged);
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
    p->merged = NULL;
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
  if (host->driving) { /* from a hook: the running step would use freed memory; keep it alive */
    fail(host, "host_destroy was called from inside a mechanism hook; the host was not freed");
    return;
  }
  free_instantiation(host);
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
  /* Catalogue libraries are never dlclose'd, as in Arbor: their tables must outlive us. */
  for (uint32_t k = 0; k < host->n_mechanisms; ++k) free(host->mechanisms[k].catalogue_path);
  free(host->mechanisms);
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
      return fail(host, "mechanism '%s': ion %u has a %s name", name, k,
                  use.name ? "empty" : "NULL");
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
    return fail(host, "mechanism '%s': the interface from i_cpu() has backend %u, expected 1 "
                "(cpu); "
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
    return fail(host, "mechanism '%s': method %s is NULL; Arbor calls all six methods, so "
                "provide a no-op function", name, missing);
  return 0;
}

int32_t host_load_catalogue(denocat_host* host, const char* path) {
  if (host == NULL) return -1;
  if (path == NULL || path[0] == 0) return fail(host, "host_load_catalogue: the path is empty");
  /* Loading after host_instantiate is harmless (placements refer to mechanisms by index), but
   * the new mechanisms cannot join the already built group. */

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
    return fail(host, "Error while opening catalogue '%s': invalid mechanism count %d", path,
                count);
  if (records == NULL)
    return fail(host, "Error while opening catalogue '%s': get_catalogue returned NULL with "
                "count %d",
                path, count);

  /* Everything is checked before anything is added: a failed load adds nothing (like Arbor). */
  loaded_mechanism* batch = calloc((size_t)count, sizeof *batch);
  if (batch == NULL) return fail(host, "out of memory loading catalogue '%s'", path);
  int32_t status = 0;
  for (int index = 0; index < count && status == 0; ++index) {
    arb_mechanism record = records[index];
    if (record.type == NULL || record.i_cpu == NULL || record.i_gpu == NULL) {
      status = fail(host, "catalogue '%s': record %d has a NULL %s getter; Arbor calls type(), "
                    "i_cpu() and i_gpu() unconditionally", path, index,
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
      return fail(host, "host_set_cvs: CV %u has area %g um^2; it must be positive", cv,
                  area_um2[cv]);
    if (!isfinite(diam_um[cv]) || diam_um[cv] < 0)
      return fail(host, "host_set_cvs: CV %u has diameter %g um; it must be finite and >= 0", cv,
                  diam_um[cv]);
    if (!isfinite(cm_F_per_m2[cv]) || cm_F_per_m2[cv] <= 0)
      return fail(host, "host_set_cvs: CV %u has membrane capacitance %g F/m^2; it must be "
                  "positive", cv, cm_F_per_m2[cv]);
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
      return fail(host, "host_place: '%s' is already placed (placement %u); a mechanism name may "
                  "be placed once per host", name, k);

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
          return fail(host, "host_place('%s'): connection %u: peer CV %u is out of range (the "
                      "group has %u CVs)", name, k, peers[k], host->n_cv);
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
      bool given = weights != NULL && kind != arb_mechanism_kind_point;
      for (uint32_t k = 0; k < n; ++k) p->weights[k] = given ? weights[k] : 1.0;
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
    for (uint32_t k = 0; ok && k < type->n_globals; ++k)
      p->globals[k] = type->globals[k].default_value;
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
  if (name == NULL)
    return fail(host, "host_set_parameter('%s'): the parameter name is NULL", p->name);
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

int32_t host_set_coalesce(denocat_host* host, int32_t enabled) {
  if (host == NULL) return -1;
  /* Coalescing decides the instances of every point mechanism, which exist once built. */
  if (check_not_instantiated(host, "host_set_coalesce")) return -1;
  host->coalesce = enabled != 0;
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
  if (host->instantiated && t_ms < host->time)
    return fail(host, "host_add_event('%s'): time %g ms is before the current time %g ms, so the "
                "event would never be delivered (host_reset starts over at 0)", p->name, t_ms,
                host->time);
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
        if (strlen(host->ions[k].name) == length &&
            strncmp(host->ions[k].name, pr->name, length) == 0)
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
        return fail(host, "host_add_probe: ion probe name '%s' is not '<ion>.<field>' with field "
                    "i, e, int, ext, diff or g", name ? name : "(NULL)");
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

/* ============================================================================================ */
/* Random numbers (3.8)                                                                          */
/*
 * Arbor draws one standard normal per (variable, instance) from a Threefry-4x64-12 counter
 * generator keyed by the simulation seed, mechanism_id, variable, step counter, gid and index.
 * Reproducing its values is not the point of this host, so it uses its own, documented stream:
 *
 *  - every (mechanism_id, random variable index k) pair owns one xoshiro256** generator whose
 *    four state words are four successive splitmix64 outputs, starting from
 *        HOST_RANDOM_SEED ^ (mechanism_id << 32) ^ k          (HOST_RANDOM_SEED = 0x5eed);
 *  - a uniform u in [0, 1) is (x >> 11) * 2^-53 of one 64-bit output x; one normal is
 *        sqrt(-2 ln(1 - u1)) * cos(2 pi u2)
 *    from two consecutive uniforms (Box-Muller, cosine branch only; 1 - u1 is in (0, 1]);
 *  - the 4-slot cache works as in Arbor: before each advance_state the mechanism's counter c
 *    (starting at 0, never reset, not even by host_reset) selects slot c mod 4, and when
 *    c mod 4 == 0 all four slots are regenerated first: for each variable k in index order, slots
 *    0..3 in order, instances 0..width-1 in order. Padding entries stay 0.
 *  - at instantiation every slot is 0, and random_numbers points at slot 0 during init.
 * Slot s of variable k is the array at (s * n_random + k) * wv in the random part of the value
 * block; random_numbers[k] points at it while slot s is current.
 */

static uint64_t splitmix64(uint64_t* x) {
  uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

static uint64_t rotate_left(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static uint64_t xoshiro256starstar(uint64_t s[4]) {
  uint64_t result = rotate_left(s[1] * 5, 7) * 9;
  uint64_t t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotate_left(s[3], 45);
  return result;
}

static void seed_stream(uint64_t s[4], uint32_t mechanism_id, uint32_t variable) {
  uint64_t x = HOST_RANDOM_SEED ^ ((uint64_t)mechanism_id << 32) ^ (uint64_t)variable;
  for (int k = 0; k < 4; ++k) s[k] = splitmix64(&x);
}

static double standard_normal(uint64_t s[4]) {
  double u1 = (double)(xoshiro256starstar(s) >> 11) * 0x1.0p-53;
  double u2 = (double)(xoshiro256starstar(s) >> 11) * 0x1.0p-53;
  return sqrt(-2.0 * log(1.0 - u1)) * cos(2.0 * HOST_PI * u2);
}

static double* random_base(const denocat_host* host, const placement* p) {
  const arb_mechanism_type* type = type_of(host, p);
  return p->value_block + (size_t)(1 + type->n_parameters + type->n_state_vars) * p->width_values;
}

/* Before advance_state: select the next cache slot, regenerating all four every fourth call. */
static void refresh_random_numbers(const denocat_host* host, placement* p) {
  uint32_t n_random = type_of(host, p)->n_random_variables;
  if (n_random == 0) return;
  uint32_t slot = (uint32_t)(p->random_counter++ % 4);
  if (slot == 0) {
    double* base = random_base(host, p);
    for (uint32_t k = 0; k < n_random; ++k)
      for (uint32_t s = 0; s < 4; ++s) {
        double* values = base + (size_t)(s * n_random + k) * p->width_values;
        for (uint32_t i = 0; i < p->width; ++i) values[i] = standard_normal(p->random_streams[k]);
      }
  }
  p->pp.random_numbers = p->random_slots + (size_t)slot * n_random;
}

/* ============================================================================================ */
/* Instantiation (section 3)                                                                     */

/* Sort record of one instance. Point mechanisms also carry the sort keys of the instance's
 * parameter values (see point_sort_keys); other kinds have n_keys 0. */
typedef struct cv_order {
  uint32_t cv, given;
  uint32_t n_keys;
  const uint64_t* keys;
} cv_order;

/* Total order on instances: CV, then the parameter keys lexicographically, then placement order
 * (the target index). It never returns 0 for two different instances, so qsort's instability
 * does not matter and the order is fully determined. */
static int compare_cv_order(const void* a, const void* b) {
  const cv_order* x = a;
  const cv_order* y = b;
  if (x->cv != y->cv) return x->cv < y->cv ? -1 : 1;
  for (uint32_t k = 0; k < x->n_keys; ++k)
    if (x->keys[k] != y->keys[k]) return x->keys[k] < y->keys[k] ? -1 : 1;
  return x->given < y->given ? -1 : x->given > y->given;
}

/* Same CV and bit-identical parameter values: the condition for merging two synapses. */
static bool same_site_and_parameters(const cv_order* x, const cv_order* y) {
  if (x->cv != y->cv) return false;
  for (uint32_t k = 0; k < x->n_keys; ++k)
    if (x->keys[k] != y->keys[k]) return false;
  return true;
}

/* A double as an unsigned key in IEEE 754 totalOrder: -NaN < -inf < ... < -0 < +0 < ... < +inf
 * < +NaN, numeric order for all other values. The map is one-to-one, so equal keys means
 * bit-identical values (and -0, +0 or two NaN payloads never merge). */
static uint64_t total_order_key(double value) {
  uint64_t bits;
  memcpy(&bits, &value, sizeof bits);
  return bits >> 63 ? ~bits : bits | (UINT64_C(1) << 63);
}

/* Sort keys of a point placement: for instance j (placement order), keys[j * m + r] is the key of
 * the value of the parameter whose name is r-th in byte-wise (strcmp) name order, the order in
 * which Arbor collects parameter names; m = n_parameters. The value is the instance's override
 * from host_set_parameter, or else the type's default. NULL when the type has no parameters. */
static int32_t point_sort_keys(denocat_host* host, const placement* p, uint64_t** out) {
  const arb_mechanism_type* type = type_of(host, p);
  uint32_t m = type->n_parameters;
  *out = NULL;
  if (m == 0) return 0;
  if ((size_t)p->n > SIZE_MAX / sizeof(uint64_t) / m)
    return fail(host, "'%s': %u instances of %u parameters are too many", p->name, p->n, m);
  uint32_t* by_name = malloc((size_t)m * sizeof *by_name);
  uint64_t* keys = malloc((size_t)p->n * m * sizeof *keys);
  if (!by_name || !keys) {
    free(by_name);
    free(keys);
    return fail(host, "out of memory");
  }
  for (uint32_t r = 0; r < m; ++r) { /* insertion sort: a type has few parameters */
    uint32_t j = r;
    while (j > 0 && strcmp(type->parameters[by_name[j - 1]].name, type->parameters[r].name) > 0) {
      by_name[j] = by_name[j - 1];
      --j;
    }
    by_name[j] = r;
  }
  for (uint32_t j = 0; j < p->n; ++j)
    for (uint32_t r = 0; r < m; ++r) {
      uint32_t k = by_name[r];
      const double* given = p->parameter_values[k];
      double value = given ? given[j] : type->parameters[k].default_value;
      keys[(size_t)j * m + r] = total_order_key(value);
    }
  free(by_name);
  *out = keys;
  return 0;
}

/* Arbor coalesces a point mechanism's synapses only when all three hold (3.2, 5.5). */
static bool coalesces(const denocat_host* host, const placement* p) {
  const arb_mechanism_type* type = type_of(host, p);
  return host->coalesce && p->kind == arb_mechanism_kind_point && type->is_linear &&
         type->n_random_variables == 0;
}

/* Binds each ion entry of every placement to a declared species and checks it like Arbor. */
static int32_t resolve_ions(denocat_host* host) {
  for (uint32_t k = 0; k < host->n_placements; ++k) {
    placement* p = &host->placements[k];
    const arb_mechanism_type* type = type_of(host, p);
    if (type->n_ions == 0) continue;
    if ((p->species_of = calloc(type->n_ions, sizeof *p->species_of)) == NULL)
      return fail(host, "out of memory");
    for (uint32_t j = 0; j < type->n_ions; ++j) {
      ion_use use = ion_use_at(host, type, j);
      int64_t s = ion_species_index(host, p->ion_binding[j]);
      if (s < 0) {
        fail(host, "'%s' uses ion '%s', which is not declared with host_add_ion", p->name,
             p->ion_binding[j]);
        if (host->n_ions == 0) append_error(host, " (no ion is declared)");
        for (uint32_t m = 0; m < host->n_ions; ++m)
          append_error(host, "%s%s", m ? ", " : "; declared: ", host->ions[m].name);
        return -1;
      }
      if (use.verify_valence && use.expected_valence != host->ions[s].valence)
        return fail(host, "'%s' expects ion '%s' to have valence %d, but it was declared with "
                    "valence %d", p->name, p->ion_binding[j], use.expected_valence,
                    host->ions[s].valence);
      if (use.write_rev && (use.write_int || use.write_ext))
        return fail(host, "'%s' writes both the reversal potential and a concentration of ion "
                    "'%s'; Arbor forbids this", p->name, p->ion_binding[j]);
      p->species_of[j] = (uint32_t)s;
    }
  }
  return 0;
}

/* Instance order and CVs of every placement except reversal potentials (3.2).
 *  - density, voltage: the given (ascending) CVs, one instance each;
 *  - gap junction: sorted by CV, then placement order;
 *  - point: sorted by CV, then parameter values (point_sort_keys), then placement order (the
 *    target index). When the mechanism coalesces, each run of equal CV and bit-identical
 *    parameter values becomes one instance, whose given_of is the run's first (lowest)
 *    placement-order instance and whose `merged` count is the run's length; instance_of maps
 *    every member to it. */
static int32_t order_instances(denocat_host* host) {
  for (uint32_t k = 0; k < host->n_placements; ++k) {
    placement* p = &host->placements[k];
    if (p->kind == arb_mechanism_kind_reversal_potential) continue;
    bool merge = coalesces(host, p);
    p->instance_of = malloc((size_t)p->n * sizeof *p->instance_of);
    p->given_of = malloc((size_t)p->n * sizeof *p->given_of);
    p->instance_cv = malloc((size_t)p->n * sizeof *p->instance_cv);
    if (merge) p->merged = malloc((size_t)p->n * sizeof *p->merged);
    cv_order* order = malloc((size_t)p->n * sizeof *order);
    if (!p->instance_of || !p->given_of || !p->instance_cv || (merge && !p->merged) || !order) {
      free(order);
      return fail(host, "out of memory");
    }
    uint64_t* keys = NULL;
    uint32_t n_keys = 0;
    if (p->kind == arb_mechanism_kind_point) {
      if (point_sort_keys(host, p, &keys)) {
        free(order);
        return -1;
      }
      if (keys) n_keys = type_of(host, p)->n_parameters;
    }
    for (uint32_t j = 0; j < p->n; ++j)
      order[j] = (cv_order){.cv = p->cvs[j],
                            .given = j,
                            .n_keys = n_keys,
                            .keys = keys ? keys + (size_t)j * n_keys : NULL};
    /* Point and gap-junction instances are sorted; density and voltage CVs already are. */
    if (p->kind == arb_mechanism_kind_point || p->kind == arb_mechanism_kind_gap_junction)
      qsort(order, p->n, sizeof *order, compare_cv_order);
    uint32_t width = 0;
    for (uint32_t i = 0; i < p->n; ++i) {
      if (merge && width > 0 && same_site_and_parameters(&order[i - 1], &order[i])) {
        ++p->merged[width - 1];
      } else {
        p->given_of[width] = order[i].given;
        p->instance_cv[width] = order[i].cv;
        if (merge) p->merged[width] = 1;
        ++width;
      }
      p->instance_of[order[i].given] = width - 1;
    }
    free(order);
    free(keys);
    p->width = width;
    p->in_group = true;
  }
  return 0;
}

/* CV sets, as a byte per CV: mark_cv() counts each CV once; sorted_cvs() lists the marked CVs
 * in ascending order (NULL when out of memory). Ion supports and reversal-potential instances
 * are both built this way. */
static void mark_cv(uint8_t* present, uint32_t cv, uint32_t* count) {
  if (!present[cv]) {
    present[cv] = 1;
    ++*count;
  }
}

static uint32_t* sorted_cvs(const uint8_t* present, uint32_t n_cv, uint32_t count) {
  uint32_t* cvs = malloc((size_t)count * sizeof *cvs);
  if (cvs == NULL) return NULL;
  uint32_t next = 0;
  for (uint32_t cv = 0; cv < n_cv; ++cv)
    if (present[cv]) cvs[next++] = cv;
  return cvs;
}

/* Ion support: the sorted union of the CVs of the mechanisms that use the ion (3.1). Reversal
 * potential mechanisms do not extend it; voltage mechanisms (which rarely use ions) do, like
 * density mechanisms. */
static int32_t build_supports(denocat_host* host) {
  uint8_t* present = malloc(host->n_cv);
  if (present == NULL) return fail(host, "out of memory");
  for (uint32_t s = 0; s < host->n_ions; ++s) {
    memset(present, 0, host->n_cv);
    uint32_t count = 0;
    for (uint32_t k = 0; k < host->n_placements; ++k) {
      const placement* p = &host->placements[k];
      if (p->kind == arb_mechanism_kind_reversal_potential) continue;
      const arb_mechanism_type* type = type_of(host, p);
      for (uint32_t j = 0; j < type->n_ions; ++j) {
        if (p->species_of[j] != s) continue;
        for (uint32_t i = 0; i < p->width; ++i) mark_cv(present, p->instance_cv[i], &count);
      }
    }
    ion_species* ion = &host->ions[s];
    ion->n_support = count;
    if (count == 0) continue;
    if ((ion->support = sorted_cvs(present, host->n_cv, count)) == NULL) {
      free(present);
      return fail(host, "out of memory");
    }
  }
  free(present);
  return 0;
}

/* Reversal-potential mechanisms: one instance per CV of the support of the ions whose reversal
 * potential they write (union when several), weight 0 (3.6). None: not in the group. */
static int32_t place_reversal_potentials(denocat_host* host) {
  uint8_t* present = malloc(host->n_cv);
  if (present == NULL) return fail(host, "out of memory");
  for (uint32_t k = 0; k < host->n_placements; ++k) {
    placement* p = &host->placements[k];
    if (p->kind != arb_mechanism_kind_reversal_potential) continue;
    const arb_mechanism_type* type = type_of(host, p);
    memset(present, 0, host->n_cv);
    bool serves_an_ion = false;
    uint32_t count = 0;
    for (uint32_t j = 0; j < type->n_ions; ++j) {
      if (!ion_use_at(host, type, j).write_rev) continue;
      serves_an_ion = true;
      const ion_species* ion = &host->ions[p->species_of[j]];
      for (uint32_t c = 0; c < ion->n_support; ++c) mark_cv(present, ion->support[c], &count);
    }
    if (!serves_an_ion) {
      free(present);
      return fail(host, "'%s' is a reversal-potential mechanism but declares write_rev_potential "
                  "for none of its ions; it must write the reversal potential of the ion it serves",
                  p->name);
    }
    p->width = count;
    p->in_group = count > 0; /* its ion is used by no mechanism: Arbor instantiates nothing */
    if (count == 0) continue;
    if ((p->instance_cv = sorted_cvs(present, host->n_cv, count)) == NULL) {
      free(present);
      return fail(host, "out of memory");
    }
  }
  free(present);
  return 0;
}

/* Arbor rejects at most one voltage process per CV (one per cable in Arbor; a CV here). */
static int32_t check_voltage_overlap(denocat_host* host) {
  int64_t* owner = malloc((size_t)host->n_cv * sizeof *owner);
  if (owner == NULL) return fail(host, "out of memory");
  for (uint32_t cv = 0; cv < host->n_cv; ++cv) owner[cv] = -1;
  for (uint32_t k = 0; k < host->n_placements; ++k) {
    const placement* p = &host->placements[k];
    if (p->kind != arb_mechanism_kind_voltage) continue;
    for (uint32_t i = 0; i < p->width; ++i) {
      uint32_t cv = p->instance_cv[i];
      if (owner[cv] >= 0) {
        int32_t status = fail(host, "voltage processes '%s' and '%s' both cover CV %u; at most one "
                              "voltage process is allowed", host->placements[owner[cv]].name,
                              p->name, cv);
        free(owner);
        return status;
      }
      owner[cv] = k;
    }
  }
  free(owner);
  return 0;
}

/* Flags over the group, allocation of the ion arrays with their initial values, and the masked
 * concentrations of 5.4. */
static int32_t build_ion_arrays(denocat_host* host) {
  for (uint32_t s = 0; s < host->n_ions; ++s) {
    ion_species* ion = &host->ions[s];
    bool reads_Xi = false, reads_Xo = false, uses_eX = false, uses_Xd = false;
    for (uint32_t k = 0; k < host->n_placements; ++k) {
      const placement* p = &host->placements[k];
      if (!p->in_group) continue;
      const arb_mechanism_type* type = type_of(host, p);
      for (uint32_t j = 0; j < type->n_ions; ++j) {
        if (p->species_of[j] != s) continue;
        ion_use use = ion_use_at(host, type, j);
        ion->writes_Xi |= use.write_int;
        ion->writes_Xo |= use.write_ext;
        ion->writes_eX |= use.write_rev;
        reads_Xi |= use.read_int;
        reads_Xo |= use.read_ext;
        uses_eX |= use.read_rev;
        uses_Xd |= use.use_diff;
      }
    }
    if (ion->n_support == 0) continue;
    size_t n = ion->n_support, a = host->shared_alignment;
    /* ABI 0.6 allocates everything; 0.7 only what some declared flag asks for (3.5). */
    bool all = host->abi == 6;
    bool ok = (ion->iX = allocate_values(a, n, 0.0)) != NULL &&
              (ion->charge = allocate_values(a, 1, (double)ion->valence)) != NULL;
    if (ok && all) ok = (ion->gX = allocate_values(a, n, 0.0)) != NULL;
    if (ok && (all || uses_eX || ion->writes_eX))
      ok = (ion->eX = allocate_values(a, n, ion->reversal_mV)) != NULL;
    if (ok && (all || reads_Xi || ion->writes_Xi))
      ok = (ion->Xi = allocate_values(a, n, ion->internal_mM)) != NULL;
    if (ok && (all || reads_Xo || ion->writes_Xo))
      ok = (ion->Xo = allocate_values(a, n, ion->external_mM)) != NULL;
    /* The diffusive concentration starts at the internal concentration. */
    if (ok && (all || uses_Xd)) ok = (ion->Xd = allocate_values(a, n, ion->internal_mM)) != NULL;
    if (ok && ion->writes_Xi) ok = (ion->Xi_masked = allocate_values(a, n, 0.0)) != NULL;
    if (ok && ion->writes_Xo) ok = (ion->Xo_masked = allocate_values(a, n, 0.0)) != NULL;
    if (!ok) return fail(host, "out of memory allocating the arrays of ion '%s'", ion->name);

    /* Masked initial values: the host knows coverage only through density weights, so the
     * value at a CV is initial * (1 - fraction covered by density writers), 0 when covered. */
    for (int external = 0; external < 2; ++external) {
      double* masked = external ? ion->Xo_masked : ion->Xi_masked;
      if (masked == NULL) continue;
      double* covered = masked; /* accumulate coverage in place, then convert */
      int64_t* writer = malloc(n * sizeof *writer);
      if (writer == NULL) return fail(host, "out of memory");
      for (size_t c = 0; c < n; ++c) writer[c] = -1;
      for (uint32_t k = 0; k < host->n_placements; ++k) {
        const placement* p = &host->placements[k];
        if (!p->in_group || p->kind != arb_mechanism_kind_density) continue;
        const arb_mechanism_type* type = type_of(host, p);
        for (uint32_t j = 0; j < type->n_ions; ++j) {
          if (p->species_of[j] != s) continue;
          ion_use use = ion_use_at(host, type, j);
          if (!(external ? use.write_ext : use.write_int)) continue;
          for (uint32_t i = 0; i < p->width; ++i) {
            int64_t c = support_position(ion, p->instance_cv[i]);
            if (writer[c] >= 0) {
              int32_t status = fail(host, "density mechanisms '%s' and '%s' both write the %s "
                                    "concentration of ion '%s' at CV %u; writers must not overlap",
                                    host->placements[writer[c]].name, p->name,
                                    external ? "external" : "internal", ion->name,
                                    p->instance_cv[i]);
              free(writer);
              return status;
            }
            writer[c] = k;
            covered[c] += p->weights[p->given_of[i]];
          }
        }
      }
      free(writer);
      double initial = external ? ion->external_mM : ion->internal_mM;
      for (size_t c = 0; c < n; ++c) {
        double uncovered = 1.0 - covered[c];
        masked[c] = uncovered > 0 ? initial * uncovered : 0.0;
      }
    }
  }
  return 0;
}

/* Sorts placement indices by name (insertion sort: a group has few mechanisms). */
static void sort_by_name(const denocat_host* host, uint32_t* list, uint32_t n) {
  for (uint32_t k = 1; k < n; ++k) {
    uint32_t item = list[k];
    uint32_t j = k;
    while (j > 0 && strcmp(host->placements[list[j - 1]].name, host->placements[item].name) > 0) {
      list[j] = list[j - 1];
      --j;
    }
    list[j] = item;
  }
}

static int32_t build_lists(denocat_host* host) {
  uint32_t n = host->n_placements ? host->n_placements : 1;
  host->list_m = malloc(n * sizeof *host->list_m);
  host->list_r = malloc(n * sizeof *host->list_r);
  host->list_v = malloc(n * sizeof *host->list_v);
  if (!host->list_m || !host->list_r || !host->list_v) return fail(host, "out of memory");
  for (uint32_t k = 0; k < host->n_placements; ++k) {
    const placement* p = &host->placements[k];
    if (!p->in_group) continue;
    if (p->kind == arb_mechanism_kind_reversal_potential)
      host->list_r[host->n_r++] = k;
    else if (p->kind == arb_mechanism_kind_voltage)
      host->list_v[host->n_v++] = k;
    else
      host->list_m[host->n_m++] = k;
  }
  sort_by_name(host, host->list_m, host->n_m);
  sort_by_name(host, host->list_r, host->n_r);
  sort_by_name(host, host->list_v, host->n_v);
  return 0;
}

/* mechanism_id: rank of the name among all the group's mechanism names (3.1). */
static uint32_t mechanism_id_of(const denocat_host* host, const placement* p) {
  uint32_t rank = 0;
  for (uint32_t k = 0; k < host->n_placements; ++k) {
    const placement* other = &host->placements[k];
    if (other->in_group && strcmp(other->name, p->name) < 0) ++rank;
  }
  return rank;
}

/* One mechanism: value block, index block, ion states, random slots and the ppack (3.3, 3.4). */
static int32_t build_mechanism(denocat_host* host, placement* p) {
  const arb_mechanism_type* type = type_of(host, p);
  const arb_mechanism_interface* iface = interface_of(host, p);
  uint64_t alignment = iface->alignment, partition = iface->partition_width;
  uint64_t width_values = round_up(p->width, least_common_multiple(alignment, 8 * partition) / 8);
  uint64_t width_indices = round_up(p->width, least_common_multiple(alignment, 4 * partition) / 4);
  if (width_values > UINT32_MAX || width_indices > UINT32_MAX)
    return fail(host, "'%s': padded width does not fit in 32 bits", p->name);
  size_t wv = (size_t)width_values, wi = (size_t)width_indices;
  p->width_values = (uint32_t)wv;
  p->width_indices = (uint32_t)wi;
  uint32_t n_parameters = type->n_parameters, n_states = type->n_state_vars;
  uint32_t n_random = type->n_random_variables, n_globals = type->n_globals, n_ions = type->n_ions;
  bool is_gap_junction = p->kind == arb_mechanism_kind_gap_junction;

  /* Value block: weight, parameters, state variables, 4 * n_random slots, globals; NaN first. */
  size_t n_value_arrays = 1 + (size_t)n_parameters + n_states + 4 * (size_t)n_random;
  p->value_block = allocate_values(alignment, n_value_arrays * wv + n_globals, NAN);
  bool has_multiplicity = p->merged != NULL;
  size_t n_index_arrays =
      1 + (size_t)n_ions + (has_multiplicity ? 1 : 0) + (is_gap_junction ? 1 : 0);
  p->index_block = aligned_allocate(alignment, n_index_arrays * wi * sizeof(arb_index_type));
  if (n_parameters) p->parameter_arrays = malloc(n_parameters * sizeof *p->parameter_arrays);
  if (n_states) p->state_arrays = malloc(n_states * sizeof *p->state_arrays);
  if (n_random) {
    p->random_slots = malloc(4 * (size_t)n_random * sizeof *p->random_slots);
    p->random_streams = malloc(n_random * sizeof *p->random_streams);
  }
  size_t ion_state_size = host->abi == 6 ? sizeof(arb_ion_state_v06) : sizeof(arb_ion_state_v07);
  if (n_ions) p->ion_states = calloc(n_ions, ion_state_size);
  if (!p->value_block || !p->index_block || (n_parameters && !p->parameter_arrays) ||
      (n_states && !p->state_arrays) || (n_random && (!p->random_slots || !p->random_streams)) ||
      (n_ions && !p->ion_states))
    return fail(host, "out of memory building '%s'", p->name);

  double* weight = p->value_block;
  for (size_t i = 0; i < wv; ++i) weight[i] = 0.0; /* padding weight is 0 */
  for (uint32_t i = 0; i < p->width; ++i) {
    uint32_t cv = p->instance_cv[i];
    switch (p->kind) {
      case arb_mechanism_kind_density:
      case arb_mechanism_kind_voltage: weight[i] = p->weights[p->given_of[i]]; break;
      case arb_mechanism_kind_point: weight[i] = 1000.0 / host->cv_area[cv]; break;
      case arb_mechanism_kind_gap_junction:
        weight[i] = p->weights[p->given_of[i]] * 1000.0 / host->cv_area[cv];
        break;
      default: weight[i] = 0.0; break; /* reversal potential */
    }
  }
  for (uint32_t k = 0; k < n_parameters; ++k) {
    double* values = p->value_block + (1 + (size_t)k) * wv;
    p->parameter_arrays[k] = values;
    fill(values, wv, type->parameters[k].default_value); /* padding keeps the default */
    const double* given = p->parameter_values[k];
    if (given == NULL) continue;
    if (p->kind == arb_mechanism_kind_reversal_potential)
      fill(values, p->width, given[0]);
    else
      for (uint32_t j = 0; j < p->n; ++j) values[p->instance_of[j]] = given[j];
  }
  for (uint32_t k = 0; k < n_states; ++k) {
    double* values = p->value_block + (1 + (size_t)n_parameters + k) * wv;
    p->state_arrays[k] = values;
    fill(values, wv, type->state_vars[k].default_value);
  }
  double* randoms = p->value_block + (1 + (size_t)n_parameters + n_states) * wv;
  fill(randoms, 4 * (size_t)n_random * wv, 0.0);
  double* globals = p->value_block + n_value_arrays * wv;
  for (uint32_t k = 0; k < n_globals; ++k) globals[k] = p->globals[k];

  /* Index block: node_index, one index per ion, multiplicity (coalesced point mechanisms only),
   * peer_index (gap junctions only). Padding repeats the last real entry, except multiplicity,
   * which is padded with 0. */
  arb_index_type* node_index = p->index_block;
  for (uint32_t i = 0; i < p->width; ++i) node_index[i] = (arb_index_type)p->instance_cv[i];
  for (size_t i = p->width; i < wi; ++i) node_index[i] = node_index[p->width - 1];
  for (uint32_t j = 0; j < n_ions; ++j) {
    arb_index_type* ion_index = p->index_block + (1 + (size_t)j) * wi;
    const ion_species* ion = &host->ions[p->species_of[j]];
    for (uint32_t i = 0; i < p->width; ++i) {
      int64_t position = support_position(ion, p->instance_cv[i]);
      if (position < 0)
        return fail(host, "'%s' uses ion '%s' at CV %u, which is outside that ion's support (only "
                    "mechanisms other than reversal potentials define the support)", p->name,
                    ion->name, p->instance_cv[i]);
      ion_index[i] = (arb_index_type)position;
    }
    for (size_t i = p->width; i < wi; ++i) ion_index[i] = ion_index[p->width - 1];
    arb_value_type* gX = host->abi == 6 ? ion->gX : NULL;
    if (host->abi == 6)
      ((arb_ion_state_v06*)p->ion_states)[j] = (arb_ion_state_v06){
          .current_density = ion->iX,
          .conductivity = gX,
          .reversal_potential = ion->eX,
          .internal_concentration = ion->Xi,
          .external_concentration = ion->Xo,
          .diffusive_concentration = ion->Xd,
          .ionic_charge = ion->charge,
          .index = ion_index,
      };
    else
      ((arb_ion_state_v07*)p->ion_states)[j] = (arb_ion_state_v07){
          .current_density = ion->iX,
          .reversal_potential = ion->eX,
          .internal_concentration = ion->Xi,
          .external_concentration = ion->Xo,
          .diffusive_concentration = ion->Xd,
          .ionic_charge = ion->charge,
          .index = ion_index,
      };
  }
  arb_index_type* multiplicity = NULL;
  if (has_multiplicity) {
    multiplicity = p->index_block + (1 + (size_t)n_ions) * wi;
    for (uint32_t i = 0; i < p->width; ++i) {
      if (p->merged[i] > INT32_MAX)
        return fail(host, "'%s': %u synapses merged into one instance do not fit in an int",
                    p->name, p->merged[i]);
      multiplicity[i] = (arb_index_type)p->merged[i];
    }
    for (size_t i = p->width; i < wi; ++i) multiplicity[i] = 0;
  }
  arb_index_type* peer_index = NULL;
  if (is_gap_junction) {
    peer_index = p->index_block + (1 + (size_t)n_ions + (has_multiplicity ? 1 : 0)) * wi;
    for (uint32_t i = 0; i < p->width; ++i)
      peer_index[i] = (arb_index_type)p->peers[p->given_of[i]];
    for (size_t i = p->width; i < wi; ++i) peer_index[i] = peer_index[p->width - 1];
  }

  uint32_t mechanism_id = mechanism_id_of(host, p);
  for (uint32_t k = 0; k < n_random; ++k) {
    for (uint32_t s = 0; s < 4; ++s)
      p->random_slots[(size_t)s * n_random + k] = randoms + ((size_t)s * n_random + k) * wv;
    seed_stream(p->random_streams[k], mechanism_id, k);
  }
  p->random_counter = 0;

  arb_mechanism_ppack* pp = &p->pp;
  memset(pp, 0, sizeof *pp); /* index_constraints stay empty: scalar catalogues ignore them */
  pp->width = p->width;
  pp->n_detectors = host->post_events ? (arb_index_type)host->n_detectors : 0;
  pp->vec_ci = host->vec_ci;
  pp->dt = 0.0; /* as Arbor 0.11+ on a first build */
  pp->vec_v = host->vec_v;
  pp->vec_i = host->vec_i;
  pp->vec_g = host->vec_g;
  pp->temperature_degC = host->temperature_degC;
  pp->diam_um = host->diam_um;
  pp->area_um2 = host->area_um2;
  pp->time_since_spike = host->time_since_spike;
  pp->node_index = node_index;
  pp->peer_index = peer_index;
  pp->multiplicity = multiplicity; /* NULL unless this point mechanism coalesces (3.2) */
  pp->weight = weight;
  pp->mechanism_id = mechanism_id;
  pp->events = (arb_deliverable_event_stream){NULL, NULL};
  pp->parameters = p->parameter_arrays;
  pp->state_vars = p->state_arrays;
  pp->globals = globals;
  pp->ion_states = p->ion_states;
  pp->random_numbers = n_random ? p->random_slots : NULL; /* slot 0 during init */
  return 0;
}

static int32_t build_group(denocat_host* host) {
  if (resolve_ions(host) || order_instances(host) || build_supports(host) ||
      place_reversal_potentials(host) || check_voltage_overlap(host))
    return -1;

  /* Shared state, aligned like Arbor's: a power of two covering every mechanism's alignment and
   * a 64-byte SIMD line. */
  size_t alignment = 64;
  for (uint32_t k = 0; k < host->n_placements; ++k) {
    const placement* p = &host->placements[k];
    if (p->in_group && interface_of(host, p)->alignment > alignment)
      alignment = interface_of(host, p)->alignment;
  }
  host->shared_alignment = alignment; /* interface alignments are powers of two */
  size_t n = host->n_cv;
  host->vec_v = allocate_values(alignment, n, 0.0);
  host->vec_i = allocate_values(alignment, n, 0.0);
  host->vec_g = allocate_values(alignment, n, 0.0);
  host->temperature_degC = allocate_values(alignment, n, 0.0);
  host->diam_um = allocate_values(alignment, n, 0.0);
  host->area_um2 = allocate_values(alignment, n, 0.0);
  if (!host->vec_v || !host->vec_i || !host->vec_g || !host->temperature_degC || !host->diam_um ||
      !host->area_um2)
    return fail(host, "out of memory allocating the shared state");
  memcpy(host->temperature_degC, host->cv_temperature, n * sizeof(double));
  memcpy(host->diam_um, host->cv_diam, n * sizeof(double));
  memcpy(host->area_um2, host->cv_area, n * sizeof(double));

  if (build_ion_arrays(host)) return -1;

  /* Post-event support exists only when a point mechanism asks for it (3.4). One cell: every
   * CV belongs to cell 0, and time_since_spike has one entry per detector. */
  for (uint32_t k = 0; k < host->n_placements; ++k) {
    const placement* p = &host->placements[k];
    if (p->in_group && p->kind == arb_mechanism_kind_point && type_of(host, p)->has_post_events)
      host->post_events = true;
  }
  if (host->post_events) {
    host->vec_ci = aligned_allocate(alignment, n * sizeof(arb_index_type));
    host->time_since_spike =
        allocate_values(alignment, host->n_detectors ? host->n_detectors : 1, -1.0);
    if (!host->vec_ci || !host->time_since_spike) return fail(host, "out of memory");
    memset(host->vec_ci, 0, n * sizeof(arb_index_type));
  }

  if (build_lists(host)) return -1;
  for (uint32_t k = 0; k < host->n_placements; ++k)
    if (host->placements[k].in_group && build_mechanism(host, &host->placements[k])) return -1;
  for (uint32_t k = 0; k < host->n_probes; ++k)
    if (resolve_probe(host, &host->probes[k], k + 1)) return -1;
  return 0;
}

/* ============================================================================================ */
/* Reset (4.1) and stepping (4.2)                                                                */

typedef enum method {
  METHOD_INIT,
  METHOD_COMPUTE_CURRENTS,
  METHOD_ADVANCE_STATE,
  METHOD_WRITE_IONS,
  METHOD_POST_EVENT,
} method;

static void call(denocat_host* host, placement* p, method m) {
  const arb_mechanism_interface* iface = interface_of(host, p);
  switch (m) {
    case METHOD_INIT: iface->init_mechanism(&p->pp); break;
    case METHOD_COMPUTE_CURRENTS: iface->compute_currents(&p->pp); break;
    case METHOD_ADVANCE_STATE:
      refresh_random_numbers(host, p);
      iface->advance_state(&p->pp);
      break;
    case METHOD_WRITE_IONS: iface->write_ions(&p->pp); break;
    case METHOD_POST_EVENT: iface->post_event(&p->pp); break;
  }
}

static void call_each(denocat_host* host, const uint32_t* list, uint32_t n, method m) {
  for (uint32_t k = 0; k < n; ++k) call(host, &host->placements[list[k]], m);
}

static void zero_currents(denocat_host* host) {
  fill(host->vec_i, host->n_cv, 0.0);
  fill(host->vec_g, host->n_cv, 0.0);
  for (uint32_t s = 0; s < host->n_ions; ++s) {
    ion_species* ion = &host->ions[s];
    if (ion->iX) fill(ion->iX, ion->n_support, 0.0);
    if (ion->gX) fill(ion->gX, ion->n_support, 0.0);
  }
}

/* Xi and Xo of written ions back to their masked initial values, before write_ions (5.4). */
static void reset_written_concentrations(denocat_host* host) {
  for (uint32_t s = 0; s < host->n_ions; ++s) {
    ion_species* ion = &host->ions[s];
    if (ion->Xi_masked && ion->Xi) memcpy(ion->Xi, ion->Xi_masked, ion->n_support * sizeof(double));
    if (ion->Xo_masked && ion->Xo) memcpy(ion->Xo, ion->Xo_masked, ion->n_support * sizeof(double));
  }
}

static bool window_contains(const clamp* c, double t) {
  return c->t_start <= t && t < c->t_start + c->duration;
}

static void apply_voltage_clamps(denocat_host* host, double t) {
  for (uint32_t k = 0; k < host->n_vclamps; ++k)
    if (window_contains(&host->vclamps[k], t))
      host->vec_v[host->vclamps[k].cv] = host->vclamps[k].value;
}

static void reset_group(denocat_host* host) {
  /* 1. Shared state. */
  memcpy(host->vec_v, host->cv_v_init, host->n_cv * sizeof(double));
  fill(host->vec_i, host->n_cv, 0.0);
  fill(host->vec_g, host->n_cv, 0.0);
  host->time = 0.0;
  if (host->time_since_spike)
    fill(host->time_since_spike, host->n_detectors ? host->n_detectors : 1, -1.0);
  for (uint32_t s = 0; s < host->n_ions; ++s) {
    ion_species* ion = &host->ions[s];
    size_t n = ion->n_support;
    if (n == 0) continue;
    fill(ion->iX, n, 0.0);
    if (ion->gX) fill(ion->gX, n, 0.0);
    if (ion->writes_Xi && ion->Xi) fill(ion->Xi, n, ion->internal_mM);
    if (ion->writes_Xo && ion->Xo) fill(ion->Xo, n, ion->external_mM);
    if (ion->writes_eX && ion->eX) fill(ion->eX, n, ion->reversal_mV);
    if (ion->Xd) fill(ion->Xd, n, ion->internal_mM);
  }
  host->n_spikes = 0;
  apply_voltage_clamps(host, 0.0);
  for (uint32_t k = 0; k < host->n_placements; ++k) {
    placement* p = &host->placements[k];
    if (p->in_group && p->random_slots) p->pp.random_numbers = p->random_slots; /* slot 0 */
  }

  /* 2. First init round: V, R, M. */
  call_each(host, host->list_v, host->n_v, METHOD_INIT);
  call_each(host, host->list_r, host->n_r, METHOD_INIT);
  call_each(host, host->list_m, host->n_m, METHOD_INIT);
  /* 3. Ion update. */
  reset_written_concentrations(host);
  call_each(host, host->list_m, host->n_m, METHOD_WRITE_IONS);
  /* 4. Zero currents. */
  zero_currents(host);
  /* 5. Second init round: R, M, V. */
  call_each(host, host->list_r, host->n_r, METHOD_INIT);
  call_each(host, host->list_m, host->n_m, METHOD_INIT);
  call_each(host, host->list_v, host->n_v, METHOD_INIT);
  /* 6. Arm the detectors (after any clamp holds the voltage). */
  apply_voltage_clamps(host, 0.0);
  for (uint32_t d = 0; d < host->n_detectors; ++d)
    host->detectors[d].v_previous = host->vec_v[host->detectors[d].cv];
}

static int compare_event_time(const void* a, const void* b) {
  const host_event* x = a;
  const host_event* y = b;
  if (x->t != y->t) return x->t < y->t ? -1 : 1;
  return x->sequence < y->sequence ? -1 : x->sequence > y->sequence;
}

static int compare_due(const void* a, const void* b) {
  const due_event* x = a;
  const due_event* y = b;
  if (x->instance != y->instance) return x->instance < y->instance ? -1 : 1;
  if (x->t != y->t) return x->t < y->t ? -1 : 1;
  if (x->weight != y->weight) return x->weight < y->weight ? -1 : 1;
  return 0;
}

/* Delivers the events of [t_begin, t_end) to one point mechanism, sorted by (instance, time,
 * weight) as Arbor 0.11 does, only if there is at least one (4.2 step 6). */
static int32_t deliver_events(denocat_host* host, placement* p, double t_begin, double t_end) {
  if (p->n_events == 0) return 0;
  uint32_t low = 0, high = p->n_events; /* first event with t >= t_begin */
  while (low < high) {
    uint32_t middle = low + (high - low) / 2;
    if (p->events[middle].t < t_begin)
      low = middle + 1;
    else
      high = middle;
  }
  uint32_t count = 0;
  while (low + count < p->n_events && p->events[low + count].t < t_end) ++count;
  if (count == 0) return 0;
  if (count > host->due_capacity) {
    due_event* due = realloc(host->due, (size_t)count * sizeof *due);
    if (due) host->due = due;
    arb_deliverable_event_data* deliverable =
        realloc(host->deliverable, (size_t)count * sizeof *deliverable);
    if (deliverable) host->deliverable = deliverable;
    if (!due || !deliverable) return fail(host, "out of memory delivering events");
    host->due_capacity = count;
  }
  for (uint32_t k = 0; k < count; ++k) {
    const host_event* e = &p->events[low + k];
    host->due[k] =
        (due_event){.instance = p->instance_of[e->instance], .weight = e->weight, .t = e->t};
  }
  qsort(host->due, count, sizeof *host->due, compare_due);
  for (uint32_t k = 0; k < count; ++k)
    host->deliverable[k] = (arb_deliverable_event_data){
        .mech_index = host->due[k].instance, .weight = host->due[k].weight};
  /* A temporary stream, valid only during the call. */
  arb_deliverable_event_stream stream = {host->deliverable, host->deliverable + count};
  interface_of(host, p)->apply_events(&p->pp, &stream);
  return 0;
}

static int32_t record_spike(denocat_host* host, double t, uint32_t detector_index) {
  if (RESERVE(host->spikes, host->spikes_capacity, (uint64_t)host->n_spikes + 1))
    return fail(host, "out of memory recording spikes");
  host->spikes[host->n_spikes++] = (spike){.t = t, .detector = detector_index};
  return 0;
}

/* One step [t_begin, t_end) in the order of 4.2. `row` receives the sample, or is NULL. */
static int32_t step(denocat_host* host, double t_begin, double t_end, double* row) {
  double dt = t_end - t_begin;
  /* 1-2. dt into every mechanism. */
  for (uint32_t k = 0; k < host->n_placements; ++k)
    if (host->placements[k].in_group) host->placements[k].pp.dt = dt;
  /* 3. Reversal potentials, before the currents are zeroed. */
  call_each(host, host->list_r, host->n_r, METHOD_COMPUTE_CURRENTS);
  /* 4. Zero currents. */
  zero_currents(host);
  /* 5-6. Events, then currents, mechanism by mechanism. */
  for (uint32_t k = 0; k < host->n_m; ++k) {
    placement* p = &host->placements[host->list_m[k]];
    if (deliver_events(host, p, t_begin, t_end)) return -1;
    call(host, p, METHOD_COMPUTE_CURRENTS);
  }
  /* 7. Current clamps (nA over the CV area, in A/m^2; depolarising is negative current), then
   *    the sample. */
  for (uint32_t k = 0; k < host->n_iclamps; ++k) {
    const clamp* c = &host->iclamps[k];
    if (window_contains(c, t_begin))
      host->vec_i[c->cv] -= c->value * 1000.0 / host->area_um2[c->cv];
  }
  if (row) {
    row[0] = t_begin;
    for (uint32_t k = 0; k < host->n_probes; ++k) row[k + 1] = *host->probes[k].source;
  }
  /* 8. Cable solve, one isolated compartment per CV (linearised implicit Euler). */
  for (uint32_t cv = 0; cv < host->n_cv; ++cv) {
    double area = host->area_um2[cv];
    double capacitance = host->cv_cm[cv] * area; /* pF */
    double diagonal = capacitance / dt + area * host->vec_g[cv];
    host->vec_v[cv] = (diagonal * host->vec_v[cv] - area * host->vec_i[cv]) / diagonal;
  }
  /* 9. State updates. */
  call_each(host, host->list_m, host->n_m, METHOD_ADVANCE_STATE);
  /* 10. Ion update. */
  reset_written_concentrations(host);
  call_each(host, host->list_m, host->n_m, METHOD_WRITE_IONS);
  /* 11. Voltage processes; then voltage clamps hold their CVs. */
  call_each(host, host->list_v, host->n_v, METHOD_COMPUTE_CURRENTS);
  call_each(host, host->list_v, host->n_v, METHOD_ADVANCE_STATE);
  apply_voltage_clamps(host, t_begin);
  /* 12. Threshold detection: upward crossings, timed by linear interpolation. */
  if (host->time_since_spike) fill(host->time_since_spike, host->n_detectors, -1.0);
  for (uint32_t d = 0; d < host->n_detectors; ++d) {
    detector* det = &host->detectors[d];
    double v_before = det->v_previous, v_after = host->vec_v[det->cv];
    if (v_before < det->threshold && v_after >= det->threshold) {
      double t_cross = t_begin + dt * (det->threshold - v_before) / (v_after - v_before);
      if (host->time_since_spike) host->time_since_spike[d] = t_end - t_cross;
      if (record_spike(host, t_cross, d)) return -1;
    }
    det->v_previous = v_after;
  }
  /* 13. Post events, for every M, only when a point mechanism asked for them. */
  if (host->post_events) call_each(host, host->list_m, host->n_m, METHOD_POST_EVENT);
  /* 14. */
  host->time = t_end;
  return 0;
}

/* ============================================================================================ */
/* Public driving functions                                                                      */

/* Refuses a driving call made from inside a mechanism hook of this host. */
static int32_t check_not_driving(denocat_host* host, const char* what) {
  if (host->driving)
    return fail(host, "%s was called from inside a mechanism hook while this host was running it; "
                "a hook must not run, reset or instantiate the host", what);
  return 0;
}

static int32_t instantiate(denocat_host* host) {
  if (host->instantiated) return fail(host, "host_instantiate: the group is already built");
  if (!host->cvs_set) return fail(host, "host_instantiate: call host_set_cvs first");
  if (build_group(host)) {
    free_instantiation(host); /* leaves the error message alone */
    return -1;
  }
  host->instantiated = true;
  reset_group(host);
  return 0;
}

int32_t host_instantiate(denocat_host* host) {
  if (host == NULL) return -1;
  if (check_not_driving(host, "host_instantiate")) return -1;
  host->driving = true;
  int32_t result = instantiate(host);
  host->driving = false;
  return result;
}

int32_t host_reset(denocat_host* host) {
  if (host == NULL) return -1;
  if (check_not_driving(host, "host_reset")) return -1;
  if (!host->instantiated) return fail(host, "host_reset: call host_instantiate first");
  host->driving = true;
  reset_group(host);
  host->driving = false;
  return 0;
}

static int32_t run(denocat_host* host, double t_end, double dt, double* samples,
                   uint32_t capacity_rows);

int32_t host_run(denocat_host* host, double t_end, double dt, double* samples,
                 uint32_t capacity_rows) {
  if (host == NULL) return -1;
  if (check_not_driving(host, "host_run")) return -1;
  host->driving = true;
  int32_t result = run(host, t_end, dt, samples, capacity_rows);
  host->driving = false;
  return result;
}

static int32_t run(denocat_host* host, double t_end, double dt, double* samples,
                   uint32_t capacity_rows) {
  if (!isfinite(dt) || !(dt > 0)) return fail(host, "host_run: dt = %g ms must be positive", dt);
  if (!isfinite(t_end)) return fail(host, "host_run: t_end = %g ms is not finite", t_end);
  if (capacity_rows > 0 && samples == NULL)
    return fail(host, "host_run: samples is NULL but capacity_rows is %u", capacity_rows);
  /* "Resets first when needed": a group that was never built is built (and so initialised). */
  if (!host->instantiated && instantiate(host)) return -1;
  if (t_end < host->time)
    return fail(host, "host_run: t_end = %g ms is before the current time %g ms (host_reset starts "
                "over at 0)", t_end, host->time);
  if ((t_end - host->time) / dt > (double)INT32_MAX - 2)
    return fail(host, "host_run: %g ms in steps of %g ms is more than %d steps", t_end - host->time,
                dt, INT32_MAX - 2);
  for (uint32_t k = 0; k < host->n_placements; ++k) {
    placement* p = &host->placements[k];
    if (!p->events_sorted) {
      qsort(p->events, p->n_events, sizeof *p->events, compare_event_time);
      p->events_sorted = true;
    }
  }
  /* Steps as Arbor's timestep_range lays out one epoch [t0, t_end): step i is
   * [t0 + i*dt, t0 + (i+1)*dt), computed by multiplication (not by accumulation, whose rounding
   * would move a clamp edge or an event by one step), and the last step ends exactly at t_end.
   * m = floor((t_end - t0)/dt) steps suffice when m*dt falls short of the interval by no more than
   * about m rounding errors; then the last step is minimally longer than dt instead of adding a
   * tiny one. The host has no network, so one host_run is one epoch. */
  const double t0 = host->time;
  const double delta = t_end > t0 ? t_end - t0 : 0.0;
  const uint32_t m = (uint32_t)(delta / dt);
  const uint32_t n = (double)m * dt + DBL_EPSILON * t_end * (double)m >= delta ? m : m + 1;
  size_t columns = 1 + (size_t)host->n_probes;
  int32_t steps = 0;
  for (uint32_t i = 0; i < n; ++i) {
    double t_begin = t0 + (double)i * dt;
    double t_next = i + 1 >= n ? t_end : t0 + (double)(i + 1) * dt;
    if (!(t_next > t_begin))
      return fail(host, "host_run: dt = %g ms is too small to advance time at t = %g ms", dt,
                  t_begin);
    double* row = (uint32_t)steps < capacity_rows ? samples + (size_t)steps * columns : NULL;
    if (step(host, t_begin, t_next, row)) return -1;
    ++steps;
  }
  host->time = t_end > t0 ? t_end : t0;
  return steps;
}

double host_time(const denocat_host* host) { return host ? host->time : NAN; }

uint32_t host_probe_count(const denocat_host* host) { return host ? host->n_probes : 0; }

uint32_t host_spike_count(const denocat_host* host) { return host ? host->n_spikes : 0; }

/* Copies up to `capacity` spikes in detection order (step by step; within a step by detector);
 * either output array may be NULL. Returns the number copied. */
int32_t host_spikes(const denocat_host* host, double* times_ms, uint32_t* detectors,
                    uint32_t capacity) {
  if (host == NULL) return -1;
  uint32_t count = host->n_spikes < capacity ? host->n_spikes : capacity;
  if (count > INT32_MAX) count = INT32_MAX;
  for (uint32_t k = 0; k < count; ++k) {
    if (times_ms) times_ms[k] = host->spikes[k].t;
    if (detectors) detectors[k] = host->spikes[k].detector;
  }
  return (int32_t)count;
}

/* ============================================================================================ */
/* Calling a hook from a foreign thread                                                          */

typedef struct hook_call {
  const arb_mechanism_interface* iface;
  arb_mechanism_ppack* pp;
  uint32_t hook;
} hook_call;

static void* run_hook(void* argument) {
  const hook_call* c = argument;
  /* apply_events gets an empty but valid stream (begin == end, pointing at a real record). */
  static const arb_deliverable_event_data no_event = {0, 0.0f};
  arb_deliverable_event_stream empty = {&no_event, &no_event};
  switch (c->hook) {
    case HOST_HOOK_INIT: c->iface->init_mechanism(c->pp); break;
    case HOST_HOOK_COMPUTE_CURRENTS: c->iface->compute_currents(c->pp); break;
    case HOST_HOOK_APPLY_EVENTS: c->iface->apply_events(c->pp, &empty); break;
    case HOST_HOOK_ADVANCE_STATE: c->iface->advance_state(c->pp); break;
    case HOST_HOOK_WRITE_IONS: c->iface->write_ions(c->pp); break;
    case HOST_HOOK_POST_EVENT: c->iface->post_event(c->pp); break;
    default: break;
  }
  return NULL;
}

int32_t host_call_hook_on_thread(denocat_host* host, int32_t placement_id, uint32_t hook) {
  if (host == NULL) return -1;
  if (check_placement(host, placement_id, "host_call_hook_on_thread")) return -1;
  if (hook > HOST_HOOK_POST_EVENT)
    return fail(host, "host_call_hook_on_thread: unknown hook %u (0 init .. 5 post_event)", hook);
  if (!host->instantiated)
    return fail(host, "host_call_hook_on_thread: call host_instantiate first");
  placement* p = &host->placements[placement_id];
  if (!p->in_group)
    return fail(host, "host_call_hook_on_thread: '%s' has no instances in this group", p->name);
  hook_call c = {.iface = interface_of(host, p), .pp = &p->pp, .hook = hook};
  pthread_t thread;
  int error = pthread_create(&thread, NULL, run_hook, &c);
  if (error != 0)
    return fail(host, "host_call_hook_on_thread: pthread_create failed: %s", strerror(error));
  error = pthread_join(thread, NULL);
  if (error != 0)
    return fail(host, "host_call_hook_on_thread: pthread_join failed: %s", strerror(error));
  return 0;
}
