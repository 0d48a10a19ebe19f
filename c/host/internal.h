/*
 * The native test host (c/host/), internal header. The host drives an Arbor mechanism catalogue
 * exactly the way Arbor's CPU ("multicore") backend does, for one cell group on one thread. See
 * ../host.h for the API and docs/abi.md for the behaviour it reproduces; section numbers in the
 * comments refer to that document.
 *
 * The host is deliberately strict. Everything Arbor would reject is an error here too, with a
 * message that names the offending mechanism, field, ion, CV or instance; a few catalogue bugs
 * that Arbor lets through silently (NULL method pointers, duplicate field names) are rejected at
 * load, because this host exists to find them. On ABI 0.7 the host allocates Xi, Xo, eX and Xd
 * only when a declared flag asks for them, so a catalogue that under-declares its ion flags
 * dereferences NULL here instead of silently reading an unused array.
 *
 * Model: every CV is an isolated compartment (no axial coupling), see host.h.
 * Threads: the host itself is single-threaded; only host_call_hook_on_thread starts a thread.
 *
 * The parts, in the order a host is used: helpers.c, create.c, load.c (catalogues), place.c (CVs,
 * ions, placements), stimuli.c (clamps, detectors, events, probes), random.c, instantiate.c and
 * group.c (instantiation), step.c (reset, stepping, driving). This header holds what they share:
 * the data, and the helpers one part calls in another, which have hidden visibility so that the
 * library still exports only the host_* functions of host.h.
 */
#ifndef DENOCAT_HOST_INTERNAL_H
#define DENOCAT_HOST_INTERNAL_H

#define _GNU_SOURCE
#include "../host.h"

#include <dlfcn.h>
#include <float.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../arbor_abi.h"

/* A function pointer is read out of dlsym's void* with memcpy, which needs equal sizes. */
_Static_assert(sizeof(void*) == sizeof(void (*)(void)),
               "function and object pointers differ in size");

/* Sanity bounds on interface numbers. Arbor does not bound them, but absurd values would make the
 * padding computation (3.3) overflow or allocate gigabytes per instance. */
#define HOST_MAX_ALIGNMENT 65536u
#define HOST_MAX_PARTITION_WIDTH 4096u

/* Seed of the host's random-number streams (see random.c). */
#define HOST_RANDOM_SEED 0x5eedULL

#define HOST_PI 3.14159265358979323846

#define HOST_INTERNAL __attribute__((visibility("hidden")))

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
/* Helpers one part of the host calls in another, by the file that defines them                 */

/* helpers.c */
/* Sets the error message; returns -1 so that callers can `return fail(...)`. */
HOST_INTERNAL int32_t fail(denocat_host* host, const char* format, ...)
    __attribute__((format(printf, 2, 3)));
/* Appends to the error message (used for lists of names); silently truncates. */
HOST_INTERNAL void append_error(denocat_host* host, const char* format, ...)
    __attribute__((format(printf, 2, 3)));
/* Makes room for `needed` items in a growable array. Returns 0, or -1 when out of memory. */
HOST_INTERNAL int reserve(void** items, uint32_t* capacity, uint64_t needed, size_t item_size);
#define RESERVE(array, capacity, needed) \
  reserve((void**)&(array), &(capacity), (needed), sizeof *(array))
HOST_INTERNAL char* copy_string(const char* text);
HOST_INTERNAL const char* kind_name(uint32_t kind);
HOST_INTERNAL uint64_t least_common_multiple(uint64_t a, uint64_t b);
HOST_INTERNAL uint64_t round_up(uint64_t value, uint64_t multiple);
HOST_INTERNAL bool is_power_of_two(uint64_t x);
/* Aligned allocation; alignment is raised to what posix_memalign accepts. */
HOST_INTERNAL void* aligned_allocate(size_t alignment, size_t bytes);
HOST_INTERNAL double* allocate_values(size_t alignment, size_t count, double fill);
HOST_INTERNAL void fill(double* values, size_t count, double value);
/* The ion table of a type, read in the host's layout family. */
HOST_INTERNAL ion_use ion_use_at(const denocat_host* host, const arb_mechanism_type* type, uint32_t k);
HOST_INTERNAL const arb_mechanism_type* type_of(const denocat_host* host, const placement* p);
HOST_INTERNAL const arb_mechanism_interface* interface_of(const denocat_host* host, const placement* p);
/* Index of a field called `name` in a field table, or -1. */
HOST_INTERNAL int64_t field_index(const arb_field_info* fields, uint32_t count, const char* name);
HOST_INTERNAL int64_t ion_species_index(const denocat_host* host, const char* name);
HOST_INTERNAL int64_t mechanism_index(const denocat_host* host, const char* name);
/* Position of `cv` in an ion's sorted support, or -1. */
HOST_INTERNAL int64_t support_position(const ion_species* ion, uint32_t cv);
HOST_INTERNAL int32_t check_placement(denocat_host* host, int32_t placement_id, const char* what);
HOST_INTERNAL int32_t check_cv(denocat_host* host, uint32_t cv, const char* what);
HOST_INTERNAL int32_t check_not_instantiated(denocat_host* host, const char* what);

/* create.c */
/* Frees everything host_instantiate built; the configuration (placements etc.) stays. */
HOST_INTERNAL void free_instantiation(denocat_host* host);

/* place.c */
HOST_INTERNAL void list_fields(denocat_host* host, const char* what, const arb_field_info* fields,
                        uint32_t count);

/* stimuli.c */
/* Points a probe at the value it samples. Needs the built group. */
HOST_INTERNAL int32_t resolve_probe(denocat_host* host, probe* pr, uint32_t column);

/* random.c */
HOST_INTERNAL void seed_stream(uint64_t s[4], uint32_t mechanism_id, uint32_t variable);
/* Before advance_state: select the next cache slot, regenerating all four every fourth call. */
HOST_INTERNAL void refresh_random_numbers(const denocat_host* host, placement* p);

/* instantiate.c */
/* Binds each ion entry of every placement to a declared species and checks it like Arbor. */
HOST_INTERNAL int32_t resolve_ions(denocat_host* host);
/* Instance order and CVs of every placement except reversal potentials (3.2).
 *  - density, voltage: the given (ascending) CVs, one instance each;
 *  - gap junction: sorted by CV, then placement order;
 *  - point: sorted by CV, then parameter values (point_sort_keys), then placement order (the
 *    target index). When the mechanism coalesces, each run of equal CV and bit-identical
 *    parameter values becomes one instance, whose given_of is the run's first (lowest)
 *    placement-order instance and whose `merged` count is the run's length; instance_of maps
 *    every member to it. */
HOST_INTERNAL int32_t order_instances(denocat_host* host);
/* Ion support: the sorted union of the CVs of the mechanisms that use the ion (3.1). Reversal
 * potential mechanisms do not extend it; voltage mechanisms (which rarely use ions) do, like
 * density mechanisms. */
HOST_INTERNAL int32_t build_supports(denocat_host* host);
/* Reversal-potential mechanisms: one instance per CV of the support of the ions whose reversal
 * potential they write (union when several), weight 0 (3.6). None: not in the group. */
HOST_INTERNAL int32_t place_reversal_potentials(denocat_host* host);
/* Arbor rejects at most one voltage process per CV (one per cable in Arbor; a CV here). */
HOST_INTERNAL int32_t check_voltage_overlap(denocat_host* host);
/* Flags over the group, allocation of the ion arrays with their initial values, and the masked
 * concentrations of 5.4. */
HOST_INTERNAL int32_t build_ion_arrays(denocat_host* host);
HOST_INTERNAL int32_t build_lists(denocat_host* host);

/* group.c */
HOST_INTERNAL int32_t build_group(denocat_host* host);


#endif /* DENOCAT_HOST_INTERNAL_H */
