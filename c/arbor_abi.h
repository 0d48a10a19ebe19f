/*
 * arbor_abi.h — denocat's own declaration of Arbor's mechanism ABI, in plain C.
 *
 * Arbor's mechanism_abi.h is C++-only (it has a helper with a reference parameter), so this
 * file declares the contract afresh from the measured tables in docs/abi.md.
 * Two layout families exist and Arbor cannot tell them apart (abi_version is 0 in both):
 *
 *   ABI 0.6  Arbor 0.9.x and 0.10.x   arb_ion_state has `conductivity`, 64 bytes
 *   ABI 0.7  Arbor 0.11.x and 0.12.x  arb_ion_state without it, 56 bytes;
 *                                     arb_ion_info gains read_int/read_ext_concentration
 *
 * Every struct that differs is declared twice (suffix _v06 / _v07). Every offset and size is
 * pinned by a static assert at the bottom, and the same numbers are exported at run time by
 * denocat_layout_table() so the TypeScript side (ffi/layout.ts) can be checked against them.
 */
#ifndef DENOCAT_ARBOR_ABI_H
#define DENOCAT_ARBOR_ABI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The value Arbor compares type.abi_version with: 0 for every release from 0.9 on. */
#define ARB_ABI_VERSION_VALUE 0UL

typedef double arb_value_type;
typedef float arb_weight_type;
typedef int arb_index_type;
typedef uint32_t arb_size_type;
typedef uint64_t arb_seed_type;

typedef uint32_t arb_mechanism_kind;
enum {
  arb_mechanism_kind_nil = 0,
  arb_mechanism_kind_point = 1,
  arb_mechanism_kind_density = 2,
  arb_mechanism_kind_reversal_potential = 3,
  arb_mechanism_kind_gap_junction = 4,
  arb_mechanism_kind_voltage = 5,
};

typedef uint32_t arb_backend_kind;
enum {
  arb_backend_kind_nil = 0,
  arb_backend_kind_cpu = 1,
  arb_backend_kind_gpu = 2,
};

/* One event delivered to a point mechanism: the target instance and the connection weight. */
typedef struct arb_deliverable_event_data {
  arb_size_type mech_index;
  arb_weight_type weight;
} arb_deliverable_event_data;

/* Half-open range [begin, end) of events, valid only during the apply_events call. */
typedef struct arb_deliverable_event_stream {
  const arb_deliverable_event_data* begin;
  const arb_deliverable_event_data* end;
} arb_deliverable_event_stream;

/* SIMD partition hints. Useless to scalar code and re-purposed after 0.11: never read. */
typedef struct arb_constraint_partition {
  arb_size_type n_contiguous;
  arb_size_type n_constant;
  arb_size_type n_independent;
  arb_size_type n_none;
  arb_index_type* contiguous;
  arb_index_type* constant;
  arb_index_type* independent;
  arb_index_type* none;
} arb_constraint_partition;

/* Ion state, ABI 0.6: every pointer is always allocated. */
typedef struct arb_ion_state_v06 {
  arb_value_type* current_density;        /* iX, A/m^2 */
  arb_value_type* conductivity;           /* gX, kS/m^2 (0.6 only) */
  arb_value_type* reversal_potential;     /* eX, mV */
  arb_value_type* internal_concentration; /* Xi, mM */
  arb_value_type* external_concentration; /* Xo, mM */
  arb_value_type* diffusive_concentration;/* Xd, mM */
  arb_value_type* ionic_charge;           /* one element: the valence */
  arb_index_type* index;                  /* instance -> position in the ion's support */
} arb_ion_state_v06;

/* Ion state, ABI 0.7: no conductivity; Xi, Xo, eX and Xd may be NULL unless flags ask for them. */
typedef struct arb_ion_state_v07 {
  arb_value_type* current_density;
  arb_value_type* reversal_potential;
  arb_value_type* internal_concentration;
  arb_value_type* external_concentration;
  arb_value_type* diffusive_concentration;
  arb_value_type* ionic_charge;
  arb_index_type* index;
} arb_ion_state_v07;

/* The pointer pack: identical in 0.6 and 0.7 (only what ion_states points at differs). */
typedef struct arb_mechanism_ppack {
  arb_size_type width;
  arb_index_type n_detectors;
  arb_index_type* vec_ci;
  arb_value_type dt; /* by value; rewritten before every step, garbage during init on 0.9/0.10 */
  arb_value_type* vec_v;
  arb_value_type* vec_i;
  arb_value_type* vec_g;
  arb_value_type* temperature_degC;
  arb_value_type* diam_um;
  arb_value_type* area_um2;
  arb_value_type* time_since_spike;
  arb_index_type* node_index;
  arb_index_type* peer_index;
  arb_index_type* multiplicity;
  arb_value_type* weight;
  arb_size_type mechanism_id;
  arb_deliverable_event_stream events; /* always {NULL, NULL} on CPU */
  arb_constraint_partition index_constraints;
  arb_value_type** parameters;
  arb_value_type** state_vars;
  arb_value_type* globals;
  void* ion_states; /* arb_ion_state_v06* or arb_ion_state_v07*, by ABI family */
  const arb_value_type* const* random_numbers;
} arb_mechanism_ppack;

typedef void (*arb_mechanism_method)(arb_mechanism_ppack*);
typedef void (*arb_mechanism_method_events)(arb_mechanism_ppack*, arb_deliverable_event_stream*);

typedef struct arb_mechanism_interface {
  arb_backend_kind backend;
  arb_size_type partition_width;
  arb_size_type alignment;
  arb_mechanism_method init_mechanism;
  arb_mechanism_method compute_currents;
  arb_mechanism_method_events apply_events;
  arb_mechanism_method advance_state;
  arb_mechanism_method write_ions;
  arb_mechanism_method post_event;
} arb_mechanism_interface;

typedef struct arb_field_info {
  const char* name;
  const char* unit;
  arb_value_type default_value;
  arb_value_type range_low;
  arb_value_type range_high;
} arb_field_info;

typedef struct arb_ion_info_v06 {
  const char* name;
  bool write_int_concentration;
  bool write_ext_concentration;
  bool use_diff_concentration;
  bool write_rev_potential;
  bool read_rev_potential;
  bool read_valence;
  bool verify_valence;
  int expected_valence;
} arb_ion_info_v06;

typedef struct arb_ion_info_v07 {
  const char* name;
  bool write_int_concentration;
  bool write_ext_concentration;
  bool read_int_concentration;
  bool read_ext_concentration;
  bool use_diff_concentration;
  bool write_rev_potential;
  bool read_rev_potential;
  bool read_valence;
  bool verify_valence;
  int expected_valence;
} arb_ion_info_v07;

typedef struct arb_random_variable_info {
  const char* name;
  arb_size_type index;
} arb_random_variable_info;

typedef struct arb_mechanism_type {
  unsigned long abi_version;
  const char* fingerprint;
  const char* name;
  arb_mechanism_kind kind;
  bool is_linear;
  bool has_post_events;
  arb_field_info* globals;
  arb_size_type n_globals;
  arb_field_info* state_vars;
  arb_size_type n_state_vars;
  arb_field_info* parameters;
  arb_size_type n_parameters;
  void* ions; /* arb_ion_info_v06* or arb_ion_info_v07*, by ABI family */
  arb_size_type n_ions;
  arb_random_variable_info* random_variables;
  arb_size_type n_random_variables;
} arb_mechanism_type;

/* Returned by value (112 bytes, sret on SysV): must be implemented in C. */
typedef arb_mechanism_type (*arb_get_mechanism_type)(void);
typedef arb_mechanism_interface* (*arb_get_mechanism_interface)(void);

typedef struct arb_mechanism {
  arb_get_mechanism_type type;
  arb_get_mechanism_interface i_cpu;
  arb_get_mechanism_interface i_gpu;
} arb_mechanism;

/* Arbor looks this symbol up with dlsym and calls it exactly once per load. */
typedef void* (*arb_get_catalogue)(int* count);

/* ---- Layout pins (LP64), from the measured tables of docs/abi.md section 1.3 ----
 * One list, two uses: static asserts below, and denocat_layout_table() exports offsetof/sizeof
 * as the compiler computed them, which tests compare with ffi/layout.ts. */
#define DENOCAT_STRUCT_SIZES(X) \
  X(arb_mechanism_ppack, 224) \
  X(arb_ion_state_v06, 64) \
  X(arb_ion_state_v07, 56) \
  X(arb_ion_info_v06, 24) \
  X(arb_ion_info_v07, 24) \
  X(arb_field_info, 40) \
  X(arb_random_variable_info, 16) \
  X(arb_mechanism_type, 112) \
  X(arb_mechanism_interface, 64) \
  X(arb_mechanism, 24) \
  X(arb_deliverable_event_data, 8) \
  X(arb_deliverable_event_stream, 16) \
  X(arb_constraint_partition, 48)

#define DENOCAT_FIELD_OFFSETS(X) \
  X(arb_mechanism_ppack, width, 0) \
  X(arb_mechanism_ppack, n_detectors, 4) \
  X(arb_mechanism_ppack, vec_ci, 8) \
  X(arb_mechanism_ppack, dt, 16) \
  X(arb_mechanism_ppack, vec_v, 24) \
  X(arb_mechanism_ppack, vec_i, 32) \
  X(arb_mechanism_ppack, vec_g, 40) \
  X(arb_mechanism_ppack, temperature_degC, 48) \
  X(arb_mechanism_ppack, diam_um, 56) \
  X(arb_mechanism_ppack, area_um2, 64) \
  X(arb_mechanism_ppack, time_since_spike, 72) \
  X(arb_mechanism_ppack, node_index, 80) \
  X(arb_mechanism_ppack, peer_index, 88) \
  X(arb_mechanism_ppack, multiplicity, 96) \
  X(arb_mechanism_ppack, weight, 104) \
  X(arb_mechanism_ppack, mechanism_id, 112) \
  X(arb_mechanism_ppack, events, 120) \
  X(arb_mechanism_ppack, index_constraints, 136) \
  X(arb_mechanism_ppack, parameters, 184) \
  X(arb_mechanism_ppack, state_vars, 192) \
  X(arb_mechanism_ppack, globals, 200) \
  X(arb_mechanism_ppack, ion_states, 208) \
  X(arb_mechanism_ppack, random_numbers, 216) \
  X(arb_ion_state_v06, current_density, 0) \
  X(arb_ion_state_v06, conductivity, 8) \
  X(arb_ion_state_v06, reversal_potential, 16) \
  X(arb_ion_state_v06, internal_concentration, 24) \
  X(arb_ion_state_v06, external_concentration, 32) \
  X(arb_ion_state_v06, diffusive_concentration, 40) \
  X(arb_ion_state_v06, ionic_charge, 48) \
  X(arb_ion_state_v06, index, 56) \
  X(arb_ion_state_v07, current_density, 0) \
  X(arb_ion_state_v07, reversal_potential, 8) \
  X(arb_ion_state_v07, internal_concentration, 16) \
  X(arb_ion_state_v07, external_concentration, 24) \
  X(arb_ion_state_v07, diffusive_concentration, 32) \
  X(arb_ion_state_v07, ionic_charge, 40) \
  X(arb_ion_state_v07, index, 48) \
  X(arb_ion_info_v06, name, 0) \
  X(arb_ion_info_v06, write_int_concentration, 8) \
  X(arb_ion_info_v06, write_ext_concentration, 9) \
  X(arb_ion_info_v06, use_diff_concentration, 10) \
  X(arb_ion_info_v06, write_rev_potential, 11) \
  X(arb_ion_info_v06, read_rev_potential, 12) \
  X(arb_ion_info_v06, read_valence, 13) \
  X(arb_ion_info_v06, verify_valence, 14) \
  X(arb_ion_info_v06, expected_valence, 16) \
  X(arb_ion_info_v07, name, 0) \
  X(arb_ion_info_v07, write_int_concentration, 8) \
  X(arb_ion_info_v07, write_ext_concentration, 9) \
  X(arb_ion_info_v07, read_int_concentration, 10) \
  X(arb_ion_info_v07, read_ext_concentration, 11) \
  X(arb_ion_info_v07, use_diff_concentration, 12) \
  X(arb_ion_info_v07, write_rev_potential, 13) \
  X(arb_ion_info_v07, read_rev_potential, 14) \
  X(arb_ion_info_v07, read_valence, 15) \
  X(arb_ion_info_v07, verify_valence, 16) \
  X(arb_ion_info_v07, expected_valence, 20) \
  X(arb_field_info, name, 0) \
  X(arb_field_info, unit, 8) \
  X(arb_field_info, default_value, 16) \
  X(arb_field_info, range_low, 24) \
  X(arb_field_info, range_high, 32) \
  X(arb_random_variable_info, name, 0) \
  X(arb_random_variable_info, index, 8) \
  X(arb_mechanism_type, abi_version, 0) \
  X(arb_mechanism_type, fingerprint, 8) \
  X(arb_mechanism_type, name, 16) \
  X(arb_mechanism_type, kind, 24) \
  X(arb_mechanism_type, is_linear, 28) \
  X(arb_mechanism_type, has_post_events, 29) \
  X(arb_mechanism_type, globals, 32) \
  X(arb_mechanism_type, n_globals, 40) \
  X(arb_mechanism_type, state_vars, 48) \
  X(arb_mechanism_type, n_state_vars, 56) \
  X(arb_mechanism_type, parameters, 64) \
  X(arb_mechanism_type, n_parameters, 72) \
  X(arb_mechanism_type, ions, 80) \
  X(arb_mechanism_type, n_ions, 88) \
  X(arb_mechanism_type, random_variables, 96) \
  X(arb_mechanism_type, n_random_variables, 104) \
  X(arb_mechanism_interface, backend, 0) \
  X(arb_mechanism_interface, partition_width, 4) \
  X(arb_mechanism_interface, alignment, 8) \
  X(arb_mechanism_interface, init_mechanism, 16) \
  X(arb_mechanism_interface, compute_currents, 24) \
  X(arb_mechanism_interface, apply_events, 32) \
  X(arb_mechanism_interface, advance_state, 40) \
  X(arb_mechanism_interface, write_ions, 48) \
  X(arb_mechanism_interface, post_event, 56) \
  X(arb_mechanism, type, 0) \
  X(arb_mechanism, i_cpu, 8) \
  X(arb_mechanism, i_gpu, 16) \
  X(arb_deliverable_event_data, mech_index, 0) \
  X(arb_deliverable_event_data, weight, 4) \
  X(arb_deliverable_event_stream, begin, 0) \
  X(arb_deliverable_event_stream, end, 8) \
  X(arb_constraint_partition, n_contiguous, 0) \
  X(arb_constraint_partition, n_constant, 4) \
  X(arb_constraint_partition, n_independent, 8) \
  X(arb_constraint_partition, n_none, 12) \
  X(arb_constraint_partition, contiguous, 16) \
  X(arb_constraint_partition, constant, 24) \
  X(arb_constraint_partition, independent, 32) \
  X(arb_constraint_partition, none, 40)

#define DENOCAT_ASSERT_SIZE(T, n) _Static_assert(sizeof(T) == (n), #T " size");
#define DENOCAT_ASSERT_OFFSET(T, f, off) _Static_assert(offsetof(T, f) == (off), #T "." #f " offset");
DENOCAT_STRUCT_SIZES(DENOCAT_ASSERT_SIZE)
DENOCAT_FIELD_OFFSETS(DENOCAT_ASSERT_OFFSET)

#endif
