/*
 * calls.c (trampoline catalogue): installing the JS callback, and the trampoline that forwards every call from Arbor.
 * See ../denocat.h for the API and internal.h for the shared data.
 */
#include "internal.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>

/* ------------------------------------------------------------------------------------------ */
/* Calls from Arbor                                                                            */

static denocat_dispatch_fn dispatch;
static pthread_t owner_thread;
static int installed;
static _Atomic uint32_t failure;
static char failure_message[512];

/* Depth of dispatch calls in progress. A hook that drives the simulation again (host.run,
 * sim.run from Python) would re-enter: refused, since the outer call's arrays and event stream
 * may be freed or rebuilt underneath it. */
static uint32_t dispatching;

/* The method names users write, by hook number (hooks.h), for the messages of failed hooks. */
#define HOOK_NAME(MACRO, field, name, number) [number] = #name,
static const char* hook_names[DENOCAT_HOOK_COUNT] = {DENOCAT_HOOKS(HOOK_NAME)};

uint32_t denocat_dispatching(void) { return dispatching; }

int32_t denocat_install(denocat_dispatch_fn fn) {
  if (fn == NULL) return fail("denocat_install: the dispatch callback is NULL");
  dispatch = fn;
  owner_thread = pthread_self();
  installed = 1;
  return 0;
}

uint32_t denocat_failure(void) { return atomic_load(&failure); }
const char* denocat_failure_message(void) { return failure_message; }
void denocat_clear_failure(void) {
  /* Calls were skipped while failed (init rounds included), so no view can be trusted. */
  for (uint32_t id = 0; id < n_instances; ++id) instance_stale[id] = 1;
  failure_message[0] = 0;
  atomic_store(&failure, DENOCAT_FAILURE_NONE);
}

int32_t denocat_uninstall(void) {
  if (installed && !pthread_equal(pthread_self(), owner_thread))
    return fail("denocat_uninstall must run on the thread that installed the callback");
  if (dispatching)
    return fail("the catalogue cannot be closed from inside one of its own hooks: the hook's "
                "caller would return into freed code; close it after the run");
  installed = 0;
  dispatch = NULL;
  return 0;
}

/* The first failure wins; its message is written only by the thread that won. */
static void record_failure(uint32_t code, const slot* s, uint32_t hook) {
  uint32_t expected = DENOCAT_FAILURE_NONE;
  if (!atomic_compare_exchange_strong(&failure, &expected, code)) return;
  if (code == DENOCAT_FAILURE_FOREIGN_THREAD)
    snprintf(failure_message, sizeof failure_message,
             "mechanism '%s': %s was called from a thread other than the one that runs "
             "JavaScript; the call was skipped and the simulation is invalid. Run Arbor with one "
             "thread: arbor.context(threads=1), or compile the mechanism to a native catalogue",
             s->name, hook_names[hook]);
  else if (code == DENOCAT_FAILURE_NOT_INSTALLED)
    snprintf(failure_message, sizeof failure_message,
             "mechanism '%s': %s was called before the TypeScript side installed its callbacks "
             "(load the catalogue through denocat, from the Deno process that declared it)",
             s->name, hook_names[hook]);
  else if (code == DENOCAT_FAILURE_REENTERED)
    snprintf(failure_message, sizeof failure_message,
             "mechanism '%s': %s was called while another hook of this catalogue was still running: "
             "a hook drove the simulation again (run, reset or a new simulation from inside a "
             "hook). The call was skipped and the simulation is invalid; never run a simulation "
             "from a hook",
             s->name, hook_names[hook]);
  else if (code == DENOCAT_FAILURE_HOOK_THREW && failure_message[0] == 0)
    snprintf(failure_message, sizeof failure_message, "mechanism '%s': %s failed", s->name,
             hook_names[hook]);
}

/* The arguments of the JS call in progress. One set is enough: calls never nest (re-entry is
 * refused above) and only the owner thread makes them. */
static uint32_t call_args[4];

const uint32_t* denocat_call_args(void) { return call_args; }

/* One JS call, with the re-entry depth kept around it. */
static int32_t call_js(uint32_t index, uint32_t call, uint32_t instance, uint32_t count) {
  ++dispatching;
  call_args[DENOCAT_CALL_SLOT] = index;
  call_args[DENOCAT_CALL_HOOK] = call;
  call_args[DENOCAT_CALL_INSTANCE] = instance;
  call_args[DENOCAT_CALL_COUNT] = count;
  int32_t result = dispatch();
  --dispatching;
  return result;
}

void trampoline(uint32_t index, uint32_t hook, arb_mechanism_ppack* pp,
                       const arb_deliverable_event_stream* events) {
  const slot* s = slots[index];
  const int defined = (s->hook_mask >> hook) & 1u;
  /* Undefined hooks never cross into JS. init_mechanism is followed even then, because it means
   * the instance may sit at a reused address with new arrays: JS must rebuild its views. */
  if (!defined && hook != DENOCAT_HOOK_INIT) return;
  if (!installed) {
    if (defined) record_failure(DENOCAT_FAILURE_NOT_INSTALLED, s, hook);
    return;
  }
  if (!pthread_equal(pthread_self(), owner_thread)) {
    record_failure(DENOCAT_FAILURE_FOREIGN_THREAD, s, hook);
    return;
  }
  if (dispatching) {
    record_failure(DENOCAT_FAILURE_REENTERED, s, hook);
    return;
  }
  uint32_t instance = instance_of(pp);
  if (instance == UINT32_MAX) {
    record_failure(DENOCAT_FAILURE_HOOK_THREW, s, hook);
    return;
  }
  /* Marked even while calls are skipped after a failure: the instance may have been rebuilt. */
  if (hook == DENOCAT_HOOK_INIT) instance_stale[instance] = 1;
  if (atomic_load_explicit(&failure, memory_order_relaxed) != DENOCAT_FAILURE_NONE) return;
  if (!defined) return;
  const uint32_t call = hook | (instance_stale[instance] ? DENOCAT_DISPATCH_REBIND : 0u);
  if (hook != DENOCAT_HOOK_APPLY_EVENTS) {
    instance_stale[instance] = 0;
    if (call_js(index, call, instance, 0) != 0) record_failure(DENOCAT_FAILURE_HOOK_THREW, s, hook);
    return;
  }
  if (events == NULL || events->begin == NULL || events->end <= events->begin) return;
  /* Every event of the call in one dispatch: JS sees one batch per Arbor call. */
  const size_t count = (size_t)(events->end - events->begin);
  if (reserve_events(count)) {
    snprintf(failure_message, sizeof failure_message,
             "mechanism '%s': out of memory copying %zu events for applyEvents", s->name, count);
    record_failure(DENOCAT_FAILURE_HOOK_THREW, s, hook);
    return;
  }
  for (size_t k = 0; k < count; ++k) {
    event_mech_index[k] = events->begin[k].mech_index;
    event_weight[k] = events->begin[k].weight;
  }
  instance_stale[instance] = 0;
  if (call_js(index, call, instance, (uint32_t)count) != 0)
    record_failure(DENOCAT_FAILURE_HOOK_THREW, s, hook);
}
