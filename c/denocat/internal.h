/*
 * The trampoline catalogue (c/denocat/), internal header: an Arbor mechanism catalogue whose
 * mechanisms are declared, and whose hooks run, in TypeScript. See ../denocat.h for the API and the
 * sequence of calls.
 *
 * Why it is shaped like this:
 * Why it is shaped like this:
 *  - Arbor identifies a mechanism only by the function pointers it was given, so every slot has
 *    its own six interface functions (generated below). No hidden "mechanism index" global.
 *  - The tables handed to Arbor are read again at every instantiation, for the life of the
 *    process: they are built once, never freed and never changed after get_catalogue().
 *  - A ppack pointer is Arbor's identity for one instance; it is mapped to a small integer so
 *    the JS side can cache typed-array views per instance without any BigInt.
 *  - JS may only run on the thread that installed the callback. Calls from any other thread are
 *    refused, recorded, and turn the catalogue into a no-op until the failure is collected.
 *
 * The parts, in the order the catalogue is used: declare.c (choosing the ABI family, declaring and
 * validating mechanisms), layout.c (the layout table for the TypeScript layout test), instances.c
 * (ppack -> instance id, the event buffers), calls.c (installing the JS callback, the trampoline
 * that forwards every call from Arbor, failures) and catalogue.c (the per-slot interface functions
 * and get_catalogue). This header holds what they share, with hidden visibility so that the
 * library still exports only the denocat_* functions of denocat.h and get_catalogue.
 */
#ifndef DENOCAT_INTERNAL_H
#define DENOCAT_INTERNAL_H

#define _GNU_SOURCE
#include "../denocat.h"

#include <stddef.h>
#include <stdint.h>

#define DENOCAT_INTERNAL __attribute__((visibility("hidden")))

typedef struct ion_decl {
  const char* name;
  uint32_t flags;
  int32_t expected_valence;
} ion_decl;

typedef struct slot {
  const char* name;
  uint32_t kind;
  uint32_t flags;
  uint32_t hook_mask;
  arb_field_info fields[3][DENOCAT_MAX_FIELDS];
  uint32_t n_fields[3];
  ion_decl ions[DENOCAT_MAX_IONS];
  uint32_t n_ions;
  arb_random_variable_info randoms[DENOCAT_MAX_RANDOM];
  uint32_t n_randoms;
  /* Built by get_catalogue() in the chosen layout; then immutable. */
  arb_ion_info_v06 ions_v06[DENOCAT_MAX_IONS];
  arb_ion_info_v07 ions_v07[DENOCAT_MAX_IONS];
  arb_mechanism_type type;
  arb_mechanism_interface iface;
} slot;

/* ============================================================================================ */
/* Declarations (declare.c)                                                                      */

DENOCAT_INTERNAL extern slot* slots[DENOCAT_MAX_MECHANISMS];
DENOCAT_INTERNAL extern uint32_t n_slots;
DENOCAT_INTERNAL extern uint32_t abi_family;
DENOCAT_INTERNAL extern int frozen; /* set by get_catalogue(): layout and declarations are final */

/* Writes the message that denocat_error_message() returns; always returns -1. */
DENOCAT_INTERNAL int32_t fail(const char* format, ...) __attribute__((format(printf, 1, 2)));

/* ============================================================================================ */
/* Instances and event buffers (instances.c). Owner thread only.                                 */

DENOCAT_INTERNAL extern uint8_t* instance_stale; /* instance id -> JS views must be rebuilt */
DENOCAT_INTERNAL extern uint32_t n_instances;
/* Events are copied here so JS keeps one cached view instead of one per call. The buffer grows to
 * hold every event of a call (JS refetches both pointers when a count exceeds its views). */
DENOCAT_INTERNAL extern uint32_t* event_mech_index;
DENOCAT_INTERNAL extern float* event_weight;

/* Returns the instance id of `pp`, adding it if new; UINT32_MAX when out of memory. */
DENOCAT_INTERNAL uint32_t instance_of(arb_mechanism_ppack* pp);
/* Makes room for `count` events; -1 when out of memory (the buffers stay as they were). */
DENOCAT_INTERNAL int reserve_events(size_t count);

/* ============================================================================================ */
/* Calls from Arbor (calls.c)                                                                    */

/* Forwards hook `hook` of slot `index` for the instance `pp` to JS, unless refused (see calls.c). */
DENOCAT_INTERNAL void trampoline(uint32_t index, uint32_t hook, arb_mechanism_ppack* pp,
                                 const arb_deliverable_event_stream* events);

#endif
