/*
 * load.c (native test host): Loading catalogues and checking their types and interfaces (docs/abi.md section 2).
 * See ../host.h for the API and internal.h for the shared data.
 */
#include "internal.h"

/* ============================================================================================ */
/* Loading catalogues (section 2)                                                                */

/* Checks one field table of a type: present when its count is not zero, names and units are
 * non-NULL, names are not empty and not repeated (Arbor would collapse repeats silently). */
static int32_t check_field_table(denocat_host* host, const char* mechanism, const char* what,
                                 const arb_field_info* fields, uint32_t count) {
  if (count == 0) return 0;
  if (fields == NULL)
    return fail(host, "mechanism '%s': %u %ss declared but the table pointer is NULL", mechanism,
                count, what);
  for (uint32_t k = 0; k < count; ++k) {
    if (fields[k].name == NULL || fields[k].name[0] == 0)
      return fail(host, "mechanism '%s': %s %u has a %s name", mechanism, what, k,
                  fields[k].name ? "empty" : "NULL");
    if (fields[k].unit == NULL)
      return fail(host, "mechanism '%s': %s '%s' has a NULL unit string (use \"\")", mechanism,
                  what, fields[k].name);
    for (uint32_t j = 0; j < k; ++j)
      if (strcmp(fields[j].name, fields[k].name) == 0)
        return fail(host, "mechanism '%s': %s '%s' is declared twice", mechanism, what,
                    fields[k].name);
  }
  return 0;
}

static int32_t check_type(denocat_host* host, const arb_mechanism_type* type) {
  const char* name = type->name;
  if (type->kind < arb_mechanism_kind_point || type->kind > arb_mechanism_kind_voltage)
    return fail(host, "mechanism '%s': unknown kind %u", name, type->kind);
  if (check_field_table(host, name, "global", type->globals, type->n_globals) ||
      check_field_table(host, name, "parameter", type->parameters, type->n_parameters) ||
      check_field_table(host, name, "state variable", type->state_vars, type->n_state_vars))
    return -1;
  if (type->n_ions > 0 && type->ions == NULL)
    return fail(host, "mechanism '%s': %u ions declared but the ion table pointer is NULL", name,
                type->n_ions);
  for (uint32_t k = 0; k < type->n_ions; ++k) {
    ion_use use = ion_use_at(host, type, k);
    if (use.name == NULL || use.name[0] == 0)
      return fail(host, "mechanism '%s': ion %u has a %s name", name, k,
                  use.name ? "empty" : "NULL");
    for (uint32_t j = 0; j < k; ++j)
      if (strcmp(ion_use_at(host, type, j).name, use.name) == 0)
        return fail(host, "mechanism '%s': ion '%s' is declared twice", name, use.name);
  }
  if (type->n_random_variables > 0 && type->random_variables == NULL)
    return fail(host, "mechanism '%s': %u random variables declared but the table pointer is NULL",
                name, type->n_random_variables);
  for (uint32_t k = 0; k < type->n_random_variables; ++k) {
    const arb_random_variable_info* r = &type->random_variables[k];
    if (r->name == NULL || r->name[0] == 0)
      return fail(host, "mechanism '%s': random variable %u has a %s name", name, k,
                  r->name ? "empty" : "NULL");
    if (r->index >= type->n_random_variables)
      return fail(host, "mechanism '%s': random variable '%s' has index %u, outside [0, %u)", name,
                  r->name, r->index, type->n_random_variables);
    for (uint32_t j = 0; j < k; ++j)
      if (type->random_variables[j].index == r->index)
        return fail(host, "mechanism '%s': random variables '%s' and '%s' share index %u", name,
                    type->random_variables[j].name, r->name, r->index);
  }
  return 0;
}

static int32_t check_interface(denocat_host* host, const char* name,
                               const arb_mechanism_interface* iface) {
  if (iface == NULL)
    return fail(host, "mechanism '%s': i_cpu() returned NULL; the host needs a CPU implementation "
                "(Arbor: no_such_implementation)", name);
  if (iface->backend != arb_backend_kind_cpu)
    return fail(host, "mechanism '%s': the interface from i_cpu() has backend %u, expected 1 "
                "(cpu); "
                "Arbor registers an interface under its backend field", name, iface->backend);
  if (!is_power_of_two(iface->alignment) || iface->alignment > HOST_MAX_ALIGNMENT)
    return fail(host, "mechanism '%s': alignment %u is not a power of two in [1, %u] (use 8)", name,
                iface->alignment, HOST_MAX_ALIGNMENT);
  if (iface->partition_width == 0 || iface->partition_width > HOST_MAX_PARTITION_WIDTH)
    return fail(host, "mechanism '%s': partition_width %u is outside [1, %u] (use 1; Arbor crashes "
                "on 0)", name, iface->partition_width, HOST_MAX_PARTITION_WIDTH);
  const char* missing = !iface->init_mechanism     ? "init_mechanism"
                        : !iface->compute_currents ? "compute_currents"
                        : !iface->apply_events     ? "apply_events"
                        : !iface->advance_state    ? "advance_state"
                        : !iface->write_ions       ? "write_ions"
                        : !iface->post_event       ? "post_event"
                                                   : NULL;
  if (missing)
    return fail(host, "mechanism '%s': method %s is NULL; Arbor calls all six methods, so "
                "provide a no-op function", name, missing);
  return 0;
}

int32_t host_load_catalogue(denocat_host* host, const char* path) {
  if (host == NULL) return -1;
  if (path == NULL || path[0] == 0) return fail(host, "host_load_catalogue: the path is empty");
  /* Loading after host_instantiate is harmless (placements refer to mechanisms by index), but
   * the new mechanisms cannot join the already built group. */

  /* Like Arbor: local scope, lazy binding. A path without '/' is searched along the library path
   * (LD_LIBRARY_PATH, the cache, default directories), not in the current directory. */
  dlerror();
  void* library = dlopen(path, RTLD_LAZY | RTLD_LOCAL);
  if (library == NULL) {
    const char* reason = dlerror();
    return fail(host, "Error while opening catalogue '%s': %s", path, reason ? reason : "unknown");
  }
  /* The handle is never closed (as in Arbor): the type tables stay in use for the process. */

  /* denocat's trampoline tells which layout it was built for; a mismatch would be read silently
   * with the wrong struct layouts, because abi_version is 0 in both families (1.2). It is checked
   * before get_catalogue, which freezes denocat's layout. */
  dlerror();
  void* abi_symbol = dlsym(library, "denocat_abi");
  if (abi_symbol != NULL && dlerror() == NULL) {
    uint32_t (*catalogue_abi)(void);
    memcpy(&catalogue_abi, &abi_symbol, sizeof catalogue_abi);
    uint32_t built_for = catalogue_abi();
    if (built_for != host->abi)
      return fail(host, "catalogue '%s' was built for ABI 0.%u but the host runs 0.%u", path,
                  built_for, host->abi);
  }

  dlerror();
  void* symbol = dlsym(library, "get_catalogue");
  const char* reason = dlerror();
  if (reason != NULL)
    return fail(host, "Error while opening catalogue '%s': %s", path, reason);
  if (symbol == NULL)
    return fail(host, "Error while opening catalogue '%s': unusable symbol 'get_catalogue' (NULL)",
                path);
  arb_get_catalogue get_catalogue;
  memcpy(&get_catalogue, &symbol, sizeof get_catalogue);

  int count = -1; /* Arbor presets -1 so a function that never writes it is caught */
  const arb_mechanism* records = get_catalogue(&count);
  if (count <= 0)
    return fail(host, "Error while opening catalogue '%s': invalid mechanism count %d", path,
                count);
  if (records == NULL)
    return fail(host, "Error while opening catalogue '%s': get_catalogue returned NULL with "
                "count %d",
                path, count);

  /* Everything is checked before anything is added: a failed load adds nothing (like Arbor). */
  loaded_mechanism* batch = calloc((size_t)count, sizeof *batch);
  if (batch == NULL) return fail(host, "out of memory loading catalogue '%s'", path);
  int32_t status = 0;
  for (int index = 0; index < count && status == 0; ++index) {
    arb_mechanism record = records[index];
    if (record.type == NULL || record.i_cpu == NULL || record.i_gpu == NULL) {
      status = fail(host, "catalogue '%s': record %d has a NULL %s getter; Arbor calls type(), "
                    "i_cpu() and i_gpu() unconditionally", path, index,
                    record.type == NULL ? "type" : record.i_cpu == NULL ? "i_cpu" : "i_gpu");
      break;
    }
    arb_mechanism_type type = record.type();
    if (type.name == NULL) {
      status = fail(host, "catalogue '%s': record %d: type() returned a NULL name", path, index);
      break;
    }
    if (type.name[0] == 0) {
      status = fail(host, "catalogue '%s': record %d: empty name", path, index);
      break;
    }
    /* Arbor calls both getters, in this order, before looking at either result. */
    arb_mechanism_interface* cpu = record.i_cpu();
    arb_mechanism_interface* gpu = record.i_gpu();
    (void)gpu; /* the host is a CPU backend */
    if (type.abi_version != ARB_ABI_VERSION_VALUE) {
      status = fail(host, "mechanism '%s' in catalogue '%s': abi_version is %lu, but Arbor 0.9 and "
                    "later require %lu (unsupported_abi_error)", type.name, path,
                    type.abi_version, ARB_ABI_VERSION_VALUE);
      break;
    }
    if (type.fingerprint == NULL) {
      status = fail(host, "mechanism '%s' in catalogue '%s': NULL fingerprint", type.name, path);
      break;
    }
    if (mechanism_index(host, type.name) >= 0) {
      status = fail(host, "catalogue '%s': mechanism '%s' already exists (loaded from '%s')", path,
                    type.name, host->mechanisms[mechanism_index(host, type.name)].catalogue_path);
      break;
    }
    for (int j = 0; j < index; ++j)
      if (strcmp(batch[j].type.name, type.name) == 0)
        status = fail(host, "catalogue '%s': mechanism '%s' appears twice", path, type.name);
    if (status) break;
    if (check_type(host, &type) || check_interface(host, type.name, cpu)) {
      status = -1;
      char detail[sizeof host->error];
      memcpy(detail, host->error, sizeof detail);
      fail(host, "catalogue '%s': %s", path, detail);
      break;
    }
    batch[index].type = type;
    batch[index].iface = *cpu; /* copied at once, like Arbor: the interface may be a temporary */
    if ((batch[index].catalogue_path = copy_string(path)) == NULL)
      status = fail(host, "out of memory loading catalogue '%s'", path);
  }
  if (status == 0 && RESERVE(host->mechanisms, host->mechanisms_capacity,
                             (uint64_t)host->n_mechanisms + (uint64_t)count))
    status = fail(host, "out of memory loading catalogue '%s'", path);
  if (status != 0) {
    for (int j = 0; j < count; ++j) free(batch[j].catalogue_path);
    free(batch);
    return -1;
  }
  memcpy(host->mechanisms + host->n_mechanisms, batch, (size_t)count * sizeof *batch);
  host->n_mechanisms += (uint32_t)count;
  free(batch);
  return count;
}

int32_t host_mechanism_count(const denocat_host* host) {
  return host ? (int32_t)host->n_mechanisms : -1;
}

const char* host_mechanism_name(const denocat_host* host, uint32_t index) {
  return host && index < host->n_mechanisms ? host->mechanisms[index].type.name : NULL;
}

int32_t host_mechanism_kind(const denocat_host* host, uint32_t index) {
  return host && index < host->n_mechanisms ? (int32_t)host->mechanisms[index].type.kind : -1;
}
