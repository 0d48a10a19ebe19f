/*
 * declare.c (trampoline catalogue): choosing the ABI family, and declaring and validating mechanisms.
 * See ../denocat.h for the API and internal.h for the shared data.
 */
#include "internal.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

slot* slots[DENOCAT_MAX_MECHANISMS];
uint32_t n_slots;
uint32_t abi_family = DENOCAT_ABI_0_7;
int frozen;
static char error_message[512];

/* ------------------------------------------------------------------------------------------ */
/* Declaration and validation                                                                  */

int32_t fail(const char* format, ...) {
  va_list args;
  va_start(args, format);
  vsnprintf(error_message, sizeof error_message, format, args);
  va_end(args);
  return -1;
}

const char* denocat_error_message(void) { return error_message; }
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
   * (arbFieldRange in ffi/layout.ts, the one place of that rule). */
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
