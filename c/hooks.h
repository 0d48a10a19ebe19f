/*
 * hooks.h — the one C list of the hooks of Arbor's arb_mechanism_interface, as denocat numbers
 * and names them: the trampoline catalogue (denocat.h), the native test host (host.h) and the
 * layout table all expand it. Its TypeScript twin is HOOK_TABLE in ffi/layout.ts;
 * tests/mirrors_test.ts fails when the two disagree in any column.
 *
 * X(MACRO, field, name, number), one row per hook in number order:
 *   MACRO   DENOCAT_HOOK_<MACRO> (and HOST_HOOK_<MACRO> of host.h) is its number
 *   field   its member of arb_mechanism_interface (arbor_abi.h)
 *   name    the method name users write on a mechanism (error messages say it)
 *   number  the number that crosses the FFI; bit (1 << number) in a hook mask
 */
#ifndef DENOCAT_HOOKS_H
#define DENOCAT_HOOKS_H

#define DENOCAT_HOOKS(X)                                    \
  X(INIT, init_mechanism, init, 0)                          \
  X(COMPUTE_CURRENTS, compute_currents, computeCurrents, 1) \
  X(APPLY_EVENTS, apply_events, applyEvents, 2)             \
  X(ADVANCE_STATE, advance_state, advanceState, 3)          \
  X(WRITE_IONS, write_ions, writeIons, 4)                   \
  X(POST_EVENT, post_event, postEvent, 5)

/* DENOCAT_HOOK_INIT = 0, ... : enumerators, so that they work as case labels and array sizes. */
#define DENOCAT_HOOK_ENUMERATOR(MACRO, field, name, number) DENOCAT_HOOK_##MACRO = number,
enum { DENOCAT_HOOKS(DENOCAT_HOOK_ENUMERATOR) };

/* How many hooks there are (the numbers are 0 .. DENOCAT_HOOK_COUNT - 1). */
#define DENOCAT_HOOK_PLUS_ONE(MACRO, field, name, number) +1
enum { DENOCAT_HOOK_COUNT = 0 DENOCAT_HOOKS(DENOCAT_HOOK_PLUS_ONE) };

#endif
