/*
 * denocat.h — the trampoline catalogue's own interface, used by the Deno side (ffi/symbols.ts).
 *
 * Arbor sees only get_catalogue() and the ABI of arbor_abi.h. Everything declared here is how
 * TypeScript fills the catalogue before Arbor loads it, and how calls get back to TypeScript:
 *
 *   1. denocat_set_abi(6 or 7)                 choose the layout family (before get_catalogue)
 *   2. denocat_add_mechanism / _field / _ion / _random     declare mechanisms (validated here)
 *   3. denocat_install(dispatch)               the one JS callback; the calling thread becomes
 *                                              the only thread allowed to run JS
 *   4. get_catalogue()                         freezes the catalogue and hands it to Arbor
 *   5. Arbor calls slot k's interface functions; each forwards to
 *      dispatch() with (slot, hook, instance, count) in denocat_call_args(), unless the hook is
 *      undefined, the call comes from
 *      another thread, an earlier call failed, or a hook is already running (re-entry).
 */
#ifndef DENOCAT_H
#define DENOCAT_H

#include <stdint.h>

#include "arbor_abi.h"
#include "hooks.h"

/* Limits. Names longer than DENOCAT_MAX_NAME are refused rather than truncated. */
#define DENOCAT_MAX_MECHANISMS 64
#define DENOCAT_MAX_FIELDS 128 /* per section */
#define DENOCAT_MAX_IONS 16
#define DENOCAT_MAX_RANDOM 16
#define DENOCAT_MAX_NAME 63
#define DENOCAT_MAX_UNIT 63
/* Initial size of the event buffer. It grows to hold every event of one apply_events call, so
 * JS always receives an Arbor call's events in one dispatch. */
#define DENOCAT_EVENT_CAPACITY 1024

/* Layout families (the numbers are what denocat_set_abi takes). */
#define DENOCAT_ABI_0_6 6
#define DENOCAT_ABI_0_7 7

/* Hooks: DENOCAT_HOOK_INIT ... DENOCAT_HOOK_POST_EVENT and DENOCAT_HOOK_COUNT come from hooks.h, the
 * one list of them; bit (1 << hook) in a hook mask. */

/* Or-ed into the hook number passed to dispatch when the instance's views must be rebuilt before
 * use: its first call, or its first call after an init_mechanism that did not reach JS (a
 * mechanism without an init hook can be re-instantiated at a reused ppack address). */
#define DENOCAT_DISPATCH_REBIND 0x100u

/* Field sections. */
#define DENOCAT_SECTION_GLOBAL 0
#define DENOCAT_SECTION_STATE 1
#define DENOCAT_SECTION_PARAMETER 2

/* Mechanism flags. */
#define DENOCAT_MECH_IS_LINEAR (1u << 0)
#define DENOCAT_MECH_HAS_POST_EVENTS (1u << 1)

/* Ion flags: one bit per bool of arb_ion_info (read_* exist in ABI 0.7 only). */
#define DENOCAT_ION_WRITE_INT (1u << 0)
#define DENOCAT_ION_WRITE_EXT (1u << 1)
#define DENOCAT_ION_READ_INT (1u << 2)
#define DENOCAT_ION_READ_EXT (1u << 3)
#define DENOCAT_ION_USE_DIFF (1u << 4)
#define DENOCAT_ION_WRITE_REV (1u << 5)
#define DENOCAT_ION_READ_REV (1u << 6)
#define DENOCAT_ION_READ_VALENCE (1u << 7)
#define DENOCAT_ION_VERIFY_VALENCE (1u << 8)
#define DENOCAT_ION_ALL_FLAGS 0x1ffu

/* Why calls are being skipped (denocat_failure). */
#define DENOCAT_FAILURE_NONE 0
#define DENOCAT_FAILURE_HOOK_THREW 1     /* the JS error is held by the TS side */
#define DENOCAT_FAILURE_FOREIGN_THREAD 2 /* message in denocat_failure_message() */
#define DENOCAT_FAILURE_NOT_INSTALLED 3  /* a call arrived before denocat_install */
#define DENOCAT_FAILURE_REENTERED 4      /* a hook ran the simulation again (message says which) */

/* The single JS entry point. Returns 0 on success; anything else marks the catalogue failed.
 * It takes no arguments: the call's are in denocat_call_args() (slot, call, instance, count), because
 * every argument of a Deno FFI callback costs about as much as the rest of the crossing
 * (measured: 4 u32 arguments ~2.5x the time of none). */
typedef int32_t (*denocat_dispatch_fn)(void);

/* Indices into denocat_call_args(). */
#define DENOCAT_CALL_SLOT 0
#define DENOCAT_CALL_HOOK 1 /* hook | DENOCAT_DISPATCH_REBIND */
#define DENOCAT_CALL_INSTANCE 2
#define DENOCAT_CALL_COUNT 3

/* A name/value pair of the layout table; the list ends with name == NULL. */
typedef struct denocat_layout_entry {
  const char* name;
  uint32_t value;
} denocat_layout_entry;

#define DENOCAT_EXPORT __attribute__((visibility("default")))

DENOCAT_EXPORT const denocat_layout_entry* denocat_layout_table(void);

DENOCAT_EXPORT int32_t denocat_set_abi(uint32_t abi);
DENOCAT_EXPORT uint32_t denocat_abi(void);

DENOCAT_EXPORT int32_t denocat_add_mechanism(const char* name, uint32_t kind, uint32_t flags,
                                             uint32_t hook_mask);
DENOCAT_EXPORT int32_t denocat_add_field(uint32_t slot, uint32_t section, const char* name,
                                         const char* unit, double default_value,
                                         double range_low, double range_high);
DENOCAT_EXPORT int32_t denocat_add_ion(uint32_t slot, const char* name, uint32_t flags,
                                       int32_t expected_valence);
DENOCAT_EXPORT int32_t denocat_add_random(uint32_t slot, const char* name);
DENOCAT_EXPORT const char* denocat_error_message(void);

DENOCAT_EXPORT int32_t denocat_install(denocat_dispatch_fn dispatch);
/* The arguments of the dispatch call in progress (4 words, see DENOCAT_CALL_*); valid during it. */
DENOCAT_EXPORT const uint32_t* denocat_call_args(void);
/* Detaches the callback before JS frees it: later calls are refused as "not installed". Refused
 * (-1, message in denocat_error_message) while a hook is running: the hook's caller would return
 * into freed memory. */
DENOCAT_EXPORT int32_t denocat_uninstall(void);
/* Nonzero while a dispatch call is running (a hook of this catalogue is on the stack). */
DENOCAT_EXPORT uint32_t denocat_dispatching(void);
DENOCAT_EXPORT arb_mechanism_ppack* denocat_instance_ppack(uint32_t instance);
DENOCAT_EXPORT uint32_t* denocat_event_mech_index(void);
DENOCAT_EXPORT float* denocat_event_weight(void);
/* Entries of the two event arrays; they move (and this grows) when a call brings more events. */
DENOCAT_EXPORT uint32_t denocat_event_capacity(void);

DENOCAT_EXPORT uint32_t denocat_failure(void);
DENOCAT_EXPORT const char* denocat_failure_message(void);
DENOCAT_EXPORT void denocat_clear_failure(void);

DENOCAT_EXPORT void* get_catalogue(int* count);

#endif
