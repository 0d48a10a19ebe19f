/*
 * helpers.c (native test host): Small helpers shared by every part of the host.
 * See ../host.h for the API and internal.h for the shared data.
 */
#include "internal.h"

/* ============================================================================================ */
/* Small helpers                                                                                 */

int32_t fail(denocat_host* host, const char* format, ...) {
  va_list args;
  va_start(args, format);
  vsnprintf(host->error, sizeof host->error, format, args);
  va_end(args);
  return -1;
}

void append_error(denocat_host* host, const char* format, ...) {
  size_t used = strlen(host->error);
  if (used + 1 >= sizeof host->error) return;
  va_list args;
  va_start(args, format);
  vsnprintf(host->error + used, sizeof host->error - used, format, args);
  va_end(args);
}

/* Makes room for `needed` items in a growable array. Returns 0, or -1 when out of memory. */
int reserve(void** items, uint32_t* capacity, uint64_t needed, size_t item_size) {
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
char* copy_string(const char* text) {
  size_t length = strlen(text);
  char* copy = malloc(length + 1);
  if (copy) memcpy(copy, text, length + 1);
  return copy;
}

const char* kind_name(uint32_t kind) {
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

uint64_t least_common_multiple(uint64_t a, uint64_t b) {
  return a / greatest_common_divisor(a, b) * b;
}

uint64_t round_up(uint64_t value, uint64_t multiple) {
  return (value + multiple - 1) / multiple * multiple;
}

bool is_power_of_two(uint64_t x) { return x != 0 && (x & (x - 1)) == 0; }

/* Aligned allocation; alignment is raised to what posix_memalign accepts. */
void* aligned_allocate(size_t alignment, size_t bytes) {
  if (alignment < sizeof(void*)) alignment = sizeof(void*);
  if (bytes == 0) bytes = alignment;
  void* memory = NULL;
  if (posix_memalign(&memory, alignment, bytes) != 0) return NULL;
  return memory;
}

double* allocate_values(size_t alignment, size_t count, double fill) {
  double* values = aligned_allocate(alignment, count * sizeof *values);
  if (values)
    for (size_t k = 0; k < count; ++k) values[k] = fill;
  return values;
}

void fill(double* values, size_t count, double value) {
  for (size_t k = 0; k < count; ++k) values[k] = value;
}

/* The fields both layout families share, read from `info` of either struct type. */
#define READ_SHARED_ION_FIELDS(use, info)                  \
  do {                                                     \
    (use).name = (info)->name;                             \
    (use).write_int = (info)->write_int_concentration;     \
    (use).write_ext = (info)->write_ext_concentration;     \
    (use).use_diff = (info)->use_diff_concentration;       \
    (use).write_rev = (info)->write_rev_potential;         \
    (use).read_rev = (info)->read_rev_potential;           \
    (use).read_valence = (info)->read_valence;             \
    (use).verify_valence = (info)->verify_valence;         \
    (use).expected_valence = (info)->expected_valence;     \
  } while (0)

/* The ion table of a type, read in the host's layout family. */
ion_use ion_use_at(const denocat_host* host, const arb_mechanism_type* type, uint32_t k) {
  ion_use use;
  memset(&use, 0, sizeof use);
  if (host->abi == 6) {
    READ_SHARED_ION_FIELDS(use, (const arb_ion_info_v06*)type->ions + k);
  } else {
    const arb_ion_info_v07* info = (const arb_ion_info_v07*)type->ions + k;
    READ_SHARED_ION_FIELDS(use, info);
    use.read_int = info->read_int_concentration;
    use.read_ext = info->read_ext_concentration;
  }
  return use;
}

const arb_mechanism_type* type_of(const denocat_host* host, const placement* p) {
  return &host->mechanisms[p->mechanism].type;
}

const arb_mechanism_interface* interface_of(const denocat_host* host, const placement* p) {
  return &host->mechanisms[p->mechanism].iface;
}

/* Index of a field called `name` in a field table, or -1. */
int64_t field_index(const arb_field_info* fields, uint32_t count, const char* name) {
  for (uint32_t k = 0; k < count; ++k)
    if (strcmp(fields[k].name, name) == 0) return k;
  return -1;
}

int64_t ion_species_index(const denocat_host* host, const char* name) {
  for (uint32_t k = 0; k < host->n_ions; ++k)
    if (strcmp(host->ions[k].name, name) == 0) return k;
  return -1;
}

int64_t mechanism_index(const denocat_host* host, const char* name) {
  for (uint32_t k = 0; k < host->n_mechanisms; ++k)
    if (strcmp(host->mechanisms[k].type.name, name) == 0) return k;
  return -1;
}

/* Position of `cv` in an ion's sorted support, or -1. */
int64_t support_position(const ion_species* ion, uint32_t cv) {
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

int32_t check_placement(denocat_host* host, int32_t placement_id, const char* what) {
  if (placement_id < 0 || (uint32_t)placement_id >= host->n_placements)
    return fail(host, "%s: no placement %d (there are %u placements)", what, placement_id,
                host->n_placements);
  return 0;
}

int32_t check_cv(denocat_host* host, uint32_t cv, const char* what) {
  if (!host->cvs_set) return fail(host, "%s: call host_set_cvs first", what);
  if (cv >= host->n_cv)
    return fail(host, "%s: CV %u is out of range (the group has %u CVs)", what, cv, host->n_cv);
  return 0;
}

int32_t check_not_instantiated(denocat_host* host, const char* what) {
  if (host->instantiated)
    return fail(host, "%s: not allowed after host_instantiate (the group is already built)", what);
  return 0;
}
