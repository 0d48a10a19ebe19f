/*
 * catalogue.c (trampoline catalogue): the interface functions of every slot, and get_catalogue().
 * See ../denocat.h for the API and internal.h for the shared data.
 */
#include "internal.h"

#include <stdio.h>

static arb_mechanism catalogue_records[DENOCAT_MAX_MECHANISMS];

/* Six interface functions, a type getter and a CPU interface getter per slot. */
#define SLOT_FUNCTIONS(n)                                                                      \
  static void init_##n(arb_mechanism_ppack* pp) { trampoline(n, DENOCAT_HOOK_INIT, pp, NULL); } \
  static void compute_currents_##n(arb_mechanism_ppack* pp) {                                  \
    trampoline(n, DENOCAT_HOOK_COMPUTE_CURRENTS, pp, NULL);                                    \
  }                                                                                            \
  static void apply_events_##n(arb_mechanism_ppack* pp, arb_deliverable_event_stream* events) { \
    trampoline(n, DENOCAT_HOOK_APPLY_EVENTS, pp, events);                                      \
  }                                                                                            \
  static void advance_state_##n(arb_mechanism_ppack* pp) {                                     \
    trampoline(n, DENOCAT_HOOK_ADVANCE_STATE, pp, NULL);                                       \
  }                                                                                            \
  static void write_ions_##n(arb_mechanism_ppack* pp) {                                        \
    trampoline(n, DENOCAT_HOOK_WRITE_IONS, pp, NULL);                                          \
  }                                                                                            \
  static void post_event_##n(arb_mechanism_ppack* pp) {                                        \
    trampoline(n, DENOCAT_HOOK_POST_EVENT, pp, NULL);                                          \
  }                                                                                            \
  static arb_mechanism_type type_##n(void) { return slots[n]->type; }                          \
  static arb_mechanism_interface* i_cpu_##n(void) { return &slots[n]->iface; }

#define FOR_EACH_SLOT(X)                                                                        \
  X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11) X(12) X(13) X(14) X(15) X(16) \
  X(17) X(18) X(19) X(20) X(21) X(22) X(23) X(24) X(25) X(26) X(27) X(28) X(29) X(30) X(31)   \
  X(32) X(33) X(34) X(35) X(36) X(37) X(38) X(39) X(40) X(41) X(42) X(43) X(44) X(45) X(46)   \
  X(47) X(48) X(49) X(50) X(51) X(52) X(53) X(54) X(55) X(56) X(57) X(58) X(59) X(60) X(61)   \
  X(62) X(63)

FOR_EACH_SLOT(SLOT_FUNCTIONS)

typedef struct slot_functions {
  arb_mechanism_method init, compute_currents, advance_state, write_ions, post_event;
  arb_mechanism_method_events apply_events;
  arb_get_mechanism_type type;
  arb_get_mechanism_interface i_cpu;
} slot_functions;

#define SLOT_ENTRY(n) \
  {init_##n, compute_currents_##n, advance_state_##n, write_ions_##n, post_event_##n, apply_events_##n, type_##n, i_cpu_##n},
static const slot_functions slot_table[DENOCAT_MAX_MECHANISMS] = {FOR_EACH_SLOT(SLOT_ENTRY)};
_Static_assert(sizeof slot_table / sizeof slot_table[0] == DENOCAT_MAX_MECHANISMS,
               "one function set per slot");

static arb_mechanism_interface* no_gpu(void) { return NULL; }

static void build_type(uint32_t index) {
  slot* s = slots[index];
  const slot_functions* fns = &slot_table[index];
  for (uint32_t k = 0; k < s->n_ions; ++k) {
    const ion_decl* d = &s->ions[k];
    uint32_t f = d->flags;
    s->ions_v06[k] = (arb_ion_info_v06){
        .name = d->name,
        .write_int_concentration = f & DENOCAT_ION_WRITE_INT,
        .write_ext_concentration = f & DENOCAT_ION_WRITE_EXT,
        .use_diff_concentration = f & DENOCAT_ION_USE_DIFF,
        .write_rev_potential = f & DENOCAT_ION_WRITE_REV,
        .read_rev_potential = f & DENOCAT_ION_READ_REV,
        .read_valence = f & DENOCAT_ION_READ_VALENCE,
        .verify_valence = f & DENOCAT_ION_VERIFY_VALENCE,
        .expected_valence = d->expected_valence,
    };
    s->ions_v07[k] = (arb_ion_info_v07){
        .name = d->name,
        .write_int_concentration = f & DENOCAT_ION_WRITE_INT,
        .write_ext_concentration = f & DENOCAT_ION_WRITE_EXT,
        .read_int_concentration = f & DENOCAT_ION_READ_INT,
        .read_ext_concentration = f & DENOCAT_ION_READ_EXT,
        .use_diff_concentration = f & DENOCAT_ION_USE_DIFF,
        .write_rev_potential = f & DENOCAT_ION_WRITE_REV,
        .read_rev_potential = f & DENOCAT_ION_READ_REV,
        .read_valence = f & DENOCAT_ION_READ_VALENCE,
        .verify_valence = f & DENOCAT_ION_VERIFY_VALENCE,
        .expected_valence = d->expected_valence,
    };
  }
  s->type = (arb_mechanism_type){
      .abi_version = ARB_ABI_VERSION_VALUE,
      .fingerprint = "<denocat>",
      .name = s->name,
      .kind = s->kind,
      .is_linear = s->flags & DENOCAT_MECH_IS_LINEAR,
      .has_post_events = s->flags & DENOCAT_MECH_HAS_POST_EVENTS,
      .globals = s->fields[DENOCAT_SECTION_GLOBAL],
      .n_globals = s->n_fields[DENOCAT_SECTION_GLOBAL],
      .state_vars = s->fields[DENOCAT_SECTION_STATE],
      .n_state_vars = s->n_fields[DENOCAT_SECTION_STATE],
      .parameters = s->fields[DENOCAT_SECTION_PARAMETER],
      .n_parameters = s->n_fields[DENOCAT_SECTION_PARAMETER],
      .ions = abi_family == DENOCAT_ABI_0_6 ? (void*)s->ions_v06 : (void*)s->ions_v07,
      .n_ions = s->n_ions,
      .random_variables = s->randoms,
      .n_random_variables = s->n_randoms,
  };
  s->iface = (arb_mechanism_interface){
      .backend = arb_backend_kind_cpu,
      .partition_width = 1,
      .alignment = 8,
      .init_mechanism = fns->init,
      .compute_currents = fns->compute_currents,
      .apply_events = fns->apply_events,
      .advance_state = fns->advance_state,
      .write_ions = fns->write_ions,
      .post_event = fns->post_event,
  };
  catalogue_records[index] = (arb_mechanism){.type = fns->type, .i_cpu = fns->i_cpu, .i_gpu = no_gpu};
}

void* get_catalogue(int* count) {
  if (n_slots == 0) {
    fprintf(stderr,
            "denocat: this catalogue has no mechanisms. It is filled at run time by the Deno "
            "process that declared them: load it through denocat (catalogue().path), not on its "
            "own.\n");
    if (count) *count = 0;
    return NULL;
  }
  if (!frozen) {
    for (uint32_t k = 0; k < n_slots; ++k) build_type(k);
    frozen = 1;
  }
  if (count) *count = (int)n_slots;
  return catalogue_records;
}
