/*
 * denocat.c — an Arbor mechanism catalogue whose mechanisms are declared, and whose hooks run,
 * in TypeScript. See denocat.h for the sequence of calls.
 *
 * Why it is shaped like this:
 *  - Arbor identifies a mechanism only by the function pointers it was given, so every slot has
 *    its own six interface functions (generated below). No hidden "mechanism index" global.
 *  - The tables handed to Arbor are read again at every instantiation, for the life of the
 *    process: they are built once, never freed and never changed after get_catalogue().
 *  - A ppack pointer is Arbor's identity for one instance; it is mapped to a small integer so
 *    the JS side can cache typed-array views per instance without any BigInt.
 *  - JS may only run on the thread that installed the callback. Calls from any other thread are
 *    refused, recorded, and turn the catalogue into a no-op until the failure is collected.
 */
#define _GNU_SOURCE
#include "denocat.h"

#include <math.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static slot* slots[DENOCAT_MAX_MECHANISMS];
static uint32_t n_slots;
static uint32_t abi_family = DENOCAT_ABI_0_7;
static int frozen; /* set by get_catalogue(): layout and declarations are final */
static arb_mechanism catalogue_records[DENOCAT_MAX_MECHANISMS];
static char error_message[512];

static denocat_dispatch_fn dispatch;
static pthread_t owner_thread;
static int installed;
static _Atomic uint32_t failure;
static char failure_message[512];

/* Events are copied here so JS keeps one cached view instead of one per call. The buffer grows to
 * hold every event of a call (JS refetches both pointers when a count exceeds its views). */
static uint32_t* event_mech_index;
static float* event_weight;
static uint32_t event_capacity;
/* Depth of dispatch calls in progress. A hook that drives the simulation again (host.run,
 * sim.run from Python) would re-enter: refused, since the outer call's arrays and event stream
 * may be freed or rebuilt underneath it. */
static uint32_t dispatching;

/* ------------------------------------------------------------------------------------------ */
/* Layout table: what the compiler computed, for the TypeScript layout test.                  */

#define LAYOUT_SIZE(T, n) {"sizeof." #T, (uint32_t)sizeof(T)},
#define LAYOUT_OFFSET(T, f, off) {#T "." #f, (uint32_t)offsetof(T, f)},
static const denocat_layout_entry layout_table[] = {
    DENOCAT_STRUCT_SIZES(LAYOUT_SIZE) DENOCAT_FIELD_OFFSETS(LAYOUT_OFFSET)
    {"const.MAX_MECHANISMS", DENOCAT_MAX_MECHANISMS},
    {"const.MAX_FIELDS", DENOCAT_MAX_FIELDS},
    {"const.MAX_IONS", DENOCAT_MAX_IONS},
    {"const.MAX_RANDOM", DENOCAT_MAX_RANDOM},
    {"const.MAX_NAME", DENOCAT_MAX_NAME},
    {"const.MAX_UNIT", DENOCAT_MAX_UNIT},
    {"const.EVENT_CAPACITY", DENOCAT_EVENT_CAPACITY},
    {"const.ABI_0_6", DENOCAT_ABI_0_6},
    {"const.ABI_0_7", DENOCAT_ABI_0_7},
    {"hook.init", DENOCAT_HOOK_INIT},
    {"hook.compute_currents", DENOCAT_HOOK_COMPUTE_CURRENTS},
    {"hook.apply_events", DENOCAT_HOOK_APPLY_EVENTS},
    {"hook.advance_state", DENOCAT_HOOK_ADVANCE_STATE},
    {"hook.write_ions", DENOCAT_HOOK_WRITE_IONS},
    {"hook.post_event", DENOCAT_HOOK_POST_EVENT},
    {"section.global", DENOCAT_SECTION_GLOBAL},
    {"section.state", DENOCAT_SECTION_STATE},
    {"section.parameter", DENOCAT_SECTION_PARAMETER},
    {"mech.is_linear", DENOCAT_MECH_IS_LINEAR},
    {"mech.has_post_events", DENOCAT_MECH_HAS_POST_EVENTS},
    {"ion.write_int", DENOCAT_ION_WRITE_INT},
    {"ion.write_ext", DENOCAT_ION_WRITE_EXT},
    {"ion.read_int", DENOCAT_ION_READ_INT},
    {"ion.read_ext", DENOCAT_ION_READ_EXT},
    {"ion.use_diff", DENOCAT_ION_USE_DIFF},
    {"ion.write_rev", DENOCAT_ION_WRITE_REV},
    {"ion.read_rev", DENOCAT_ION_READ_REV},
    {"ion.read_valence", DENOCAT_ION_READ_VALENCE},
    {"ion.verify_valence", DENOCAT_ION_VERIFY_VALENCE},
    {"dispatch.rebind", DENOCAT_DISPATCH_REBIND},
    {"call.slot", DENOCAT_CALL_SLOT},
    {"call.hook", DENOCAT_CALL_HOOK},
    {"call.instance", DENOCAT_CALL_INSTANCE},
    {"call.count", DENOCAT_CALL_COUNT},
    {"failure.hook_threw", DENOCAT_FAILURE_HOOK_THREW},
    {"failure.foreign_thread", DENOCAT_FAILURE_FOREIGN_THREAD},
    {"failure.not_installed", DENOCAT_FAILURE_NOT_INSTALLED},
    {"failure.reentered", DENOCAT_FAILURE_REENTERED},
    {NULL, 0},
};

const denocat_layout_entry* denocat_layout_table(void) { return layout_table; }

/* ------------------------------------------------------------------------------------------ */
/* Declaration and validation                                                                  */

static int32_t fail(const char* format, ...) __attribute__((format(printf, 1, 2)));
static int32_t fail(const char* format, ...) {
  va_list args;
  va_start(args, format);
  vsnprintf(error_message, sizeof error_message, format, args);
  va_end(args);
  return -1;
}

const char* denocat_error_message(void) { return error_message; }

static const char* hook_names[DENOCAT_HOOK_COUNT] = {
    "init", "computeCurrents", "applyEvents", "advanceState", "writeIons", "postEvent",
};
static const char* section_names[3] = {"global", "state variable", "parameter"};

/* Returns NULL when `name` is a valid C identifier of acceptable length, else why not. */
static const char* identifier_problem(const char* name) {
  if (name == NULL) return "is missing";
  size_t length = strlen(name);
  if (length == 0) return "is empty";
  if (length > DENOCAT_MAX_NAME) return "is longer than 63 characters";
  for (size_t k = 0; k < length; ++k) {
    char c = name[k];
    int letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    int digit = c >= '0' && c <= '9';
    if (!letter && !(digit && k > 0)) return "is not a valid identifier ([A-Za-z_][A-Za-z0-9_]*)";
  }
  return NULL;
}

static int32_t check_open(void) {
  if (frozen)
    return fail("the catalogue was already handed to Arbor (get_catalogue was called); declare "
                "every mechanism before the catalogue is built");
  return 0;
}

static slot* slot_at(uint32_t index) { return index < n_slots ? slots[index] : NULL; }

int32_t denocat_set_abi(uint32_t abi) {
  if (abi != DENOCAT_ABI_0_6 && abi != DENOCAT_ABI_0_7)
    return fail("unknown ABI family %u: use 6 (Arbor 0.9/0.10) or 7 (Arbor 0.11/0.12)", abi);
  if (frozen && abi != abi_family)
    return fail("the layout is already fixed to ABI 0.%u because get_catalogue was called; "
                "choose the ABI before the catalogue is loaded",
                abi_family);
  abi_family = abi;
  return 0;
}

uint32_t denocat_abi(void) { return abi_family; }

int32_t denocat_add_mechanism(const char* name, uint32_t kind, uint32_t flags, uint32_t hook_mask) {
  if (check_open()) return -1;
  const char* problem = identifier_problem(name);
  if (problem) return fail("mechanism name %s%s%s %s", name ? "'" : "", name ? name : "",
                           name ? "'" : "", problem);
  if (kind < arb_mechanism_kind_point || kind > arb_mechanism_kind_voltage)
    return fail("mechanism '%s': unknown kind %u", name, kind);
  if (flags & ~(DENOCAT_MECH_IS_LINEAR | DENOCAT_MECH_HAS_POST_EVENTS))
    return fail("mechanism '%s': unknown flags 0x%x", name, flags);
  if (hook_mask >> DENOCAT_HOOK_COUNT) return fail("mechanism '%s': unknown hooks 0x%x", name, hook_mask);
  for (uint32_t k = 0; k < n_slots; ++k)
    if (strcmp(slots[k]->name, name) == 0) return fail("mechanism '%s' is declared twice", name);
  if (n_slots == DENOCAT_MAX_MECHANISMS)
    return fail("too many mechanisms: a catalogue holds at most %d (while adding '%s')",
                DENOCAT_MAX_MECHANISMS, name);
  slot* s = calloc(1, sizeof *s);
  if (s == NULL || (s->name = strdup(name)) == NULL) return fail("out of memory");
  s->kind = kind;
  s->flags = flags;
  s->hook_mask = hook_mask;
  slots[n_slots] = s;
  return (int32_t)n_slots++;
}

/* A field, ion or random variable name must be unique across everything the mechanism declares. */
static int32_t check_member_name(const slot* s, const char* what, const char* name) {
  const char* problem = identifier_problem(name);
  if (problem) return fail("mechanism '%s': %s name %s%s%s %s", s->name, what, name ? "'" : "",
                           name ? name : "", name ? "'" : "", problem);
  for (int section = 0; section < 3; ++section)
    for (uint32_t k = 0; k < s->n_fields[section]; ++k)
      if (strcmp(s->fields[section][k].name, name) == 0)
        return fail("mechanism '%s': %s '%s' clashes with the %s of the same name", s->name, what,
                    name, section_names[section]);
  for (uint32_t k = 0; k < s->n_ions; ++k)
    if (strcmp(s->ions[k].name, name) == 0)
      return fail("mechanism '%s': %s '%s' is declared twice (or clashes with the ion of that name)",
                  s->name, what, name);
  for (uint32_t k = 0; k < s->n_randoms; ++k)
    if (strcmp(s->randoms[k].name, name) == 0)
      return fail("mechanism '%s': %s '%s' clashes with the random variable of the same name",
                  s->name, what, name);
  return 0;
}

int32_t denocat_add_field(uint32_t index, uint32_t section, const char* name, const char* unit,
                          double default_value, double range_low, double range_high) {
  if (check_open()) return -1;
  slot* s = slot_at(index);
  if (s == NULL) return fail("no mechanism in slot %u", index);
  if (section > DENOCAT_SECTION_PARAMETER) return fail("mechanism '%s': unknown section %u", s->name, section);
  const char* what = section_names[section];
  if (check_member_name(s, what, name)) return -1;
  if (unit == NULL) unit = "";
  if (strlen(unit) > DENOCAT_MAX_UNIT)
    return fail("mechanism '%s': unit of %s '%s' is longer than %d characters", s->name, what,
                name, DENOCAT_MAX_UNIT);
  if (isnan(default_value))
    return fail("mechanism '%s': %s '%s' has a NaN default; give a number", s->name, what, name);
  if (isinf(default_value))
    return fail("mechanism '%s': %s '%s' has an infinite default (%g); give a finite number",
                s->name, what, name, default_value);
  if (isnan(range_low) || isnan(range_high))
    return fail("mechanism '%s': %s '%s' has a NaN range bound", s->name, what, name);
  /* An infinite bound may only be an open end: [inf, x] or [x, -inf] holds no finite value. */
  if ((isinf(range_low) && range_low > 0) || (isinf(range_high) && range_high < 0))
    return fail("mechanism '%s': %s '%s' has range [%g, %g], which holds no finite value; use "
                "-Infinity only as the low end and Infinity only as the high end",
                s->name, what, name, range_low, range_high);
  if (range_low > range_high)
    return fail("mechanism '%s': %s '%s' has range low %g > high %g", s->name, what, name,
                range_low, range_high);
  if (default_value < range_low || default_value > range_high)
    return fail("mechanism '%s': %s '%s' default %g lies outside its range [%g, %g]", s->name,
                what, name, default_value, range_low, range_high);
  if (s->n_fields[section] == DENOCAT_MAX_FIELDS)
    return fail("mechanism '%s': more than %d %ss", s->name, DENOCAT_MAX_FIELDS, what);
  arb_field_info* f = &s->fields[section][s->n_fields[section]];
  f->name = strdup(name);
  f->unit = strdup(unit);
  if (f->name == NULL || f->unit == NULL) return fail("out of memory");
  f->default_value = default_value;
  /* Stored as given: TypeScript has already turned an unbounded side into -+DBL_MAX
   * (arbFieldRange in abi/layout.ts, the one place of that rule). */
  f->range_low = range_low;
  f->range_high = range_high;
  return (int32_t)s->n_fields[section]++;
}

int32_t denocat_add_ion(uint32_t index, const char* name, uint32_t flags, int32_t expected_valence) {
  if (check_open()) return -1;
  slot* s = slot_at(index);
  if (s == NULL) return fail("no mechanism in slot %u", index);
  if (check_member_name(s, "ion", name)) return -1;
  if (flags & ~DENOCAT_ION_ALL_FLAGS)
    return fail("mechanism '%s': ion '%s' has unknown flags 0x%x", s->name, name, flags);
  if ((flags & DENOCAT_ION_WRITE_REV) && (flags & (DENOCAT_ION_WRITE_INT | DENOCAT_ION_WRITE_EXT)))
    return fail("mechanism '%s': ion '%s' may not write both the reversal potential and a "
                "concentration (Arbor refuses this when the cell is built)",
                s->name, name);
  if (s->n_ions == DENOCAT_MAX_IONS)
    return fail("mechanism '%s': more than %d ions", s->name, DENOCAT_MAX_IONS);
  ion_decl* ion = &s->ions[s->n_ions];
  if ((ion->name = strdup(name)) == NULL) return fail("out of memory");
  ion->flags = flags;
  ion->expected_valence = expected_valence;
  return (int32_t)s->n_ions++;
}

int32_t denocat_add_random(uint32_t index, const char* name) {
  if (check_open()) return -1;
  slot* s = slot_at(index);
  if (s == NULL) return fail("no mechanism in slot %u", index);
  if (check_member_name(s, "random variable", name)) return -1;
  if (s->n_randoms == DENOCAT_MAX_RANDOM)
    return fail("mechanism '%s': more than %d random variables", s->name, DENOCAT_MAX_RANDOM);
  arb_random_variable_info* r = &s->randoms[s->n_randoms];
  if ((r->name = strdup(name)) == NULL) return fail("out of memory");
  r->index = s->n_randoms;
  return (int32_t)s->n_randoms++;
}

/* ------------------------------------------------------------------------------------------ */
/* Instances: ppack address -> small integer, by open addressing. Owner thread only.           */

static arb_mechanism_ppack** instance_ppack; /* instance id -> ppack */
static uint8_t* instance_stale;              /* instance id -> JS views must be rebuilt */
static uint32_t n_instances, instance_capacity;
static uint32_t* hash_slots; /* holds instance id + 1; 0 means empty */
static uint32_t hash_capacity;

static uint32_t hash_pointer(const void* p) {
  uint64_t x = (uint64_t)(uintptr_t)p;
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  return (uint32_t)x;
}

static int grow_instances(void) {
  uint32_t capacity = instance_capacity ? instance_capacity * 2 : 64;
  arb_mechanism_ppack** table = realloc(instance_ppack, capacity * sizeof *table);
  if (table != NULL) instance_ppack = table;
  uint8_t* stale = realloc(instance_stale, capacity * sizeof *stale);
  if (stale != NULL) instance_stale = stale;
  uint32_t* hashes = calloc((size_t)capacity * 2, sizeof *hashes);
  if (table == NULL || stale == NULL || hashes == NULL) {
    free(hashes);
    return -1;
  }
  instance_capacity = capacity;
  free(hash_slots);
  hash_slots = hashes;
  hash_capacity = capacity * 2; /* load factor <= 1/2 */
  for (uint32_t id = 0; id < n_instances; ++id) {
    uint32_t h = hash_pointer(instance_ppack[id]) & (hash_capacity - 1);
    while (hash_slots[h]) h = (h + 1) & (hash_capacity - 1);
    hash_slots[h] = id + 1;
  }
  return 0;
}

/* Returns the instance id of `pp`, adding it if new; UINT32_MAX when out of memory. */
static uint32_t instance_of(arb_mechanism_ppack* pp) {
  if (hash_capacity) {
    uint32_t h = hash_pointer(pp) & (hash_capacity - 1);
    while (hash_slots[h]) {
      uint32_t id = hash_slots[h] - 1;
      if (instance_ppack[id] == pp) return id;
      h = (h + 1) & (hash_capacity - 1);
    }
  }
  if (n_instances == instance_capacity && grow_instances()) return UINT32_MAX;
  uint32_t id = n_instances++;
  instance_ppack[id] = pp;
  instance_stale[id] = 1;
  uint32_t h = hash_pointer(pp) & (hash_capacity - 1);
  while (hash_slots[h]) h = (h + 1) & (hash_capacity - 1);
  hash_slots[h] = id + 1;
  return id;
}

arb_mechanism_ppack* denocat_instance_ppack(uint32_t instance) {
  return instance < n_instances ? instance_ppack[instance] : NULL;
}

uint32_t* denocat_event_mech_index(void) { return event_mech_index; }
float* denocat_event_weight(void) { return event_weight; }
uint32_t denocat_event_capacity(void) { return event_capacity; }
uint32_t denocat_dispatching(void) { return dispatching; }

/* Makes room for `count` events; -1 when out of memory (the buffers stay as they were). */
static int reserve_events(size_t count) {
  if (count <= event_capacity) return 0;
  if (count > UINT32_MAX / 2) return -1;
  size_t capacity = event_capacity ? event_capacity : DENOCAT_EVENT_CAPACITY;
  while (capacity < count) capacity *= 2;
  uint32_t* index = malloc(capacity * sizeof *index);
  float* weight = malloc(capacity * sizeof *weight);
  if (index == NULL || weight == NULL) {
    free(index);
    free(weight);
    return -1;
  }
  free(event_mech_index);
  free(event_weight);
  event_mech_index = index;
  event_weight = weight;
  event_capacity = (uint32_t)capacity;
  return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Calls from Arbor                                                                            */

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

static void trampoline(uint32_t index, uint32_t hook, arb_mechanism_ppack* pp,
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
