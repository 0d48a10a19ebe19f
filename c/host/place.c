/*
 * place.c (native test host): CVs, ion species and mechanism placement, with derived names ("pas/e=-70").
 * See ../host.h for the API and internal.h for the shared data.
 */
#include "internal.h"

/* ============================================================================================ */
/* CVs and ions                                                                                  */

int32_t host_set_cvs(denocat_host* host, uint32_t n_cv, const double* area_um2,
                     const double* diam_um, const double* cm_F_per_m2,
                     const double* temperature_degC, const double* v_init_mV) {
  if (host == NULL) return -1;
  if (check_not_instantiated(host, "host_set_cvs")) return -1;
  if (n_cv == 0) return fail(host, "host_set_cvs: n_cv is 0; a cell group has at least one CV");
  if (!area_um2 || !diam_um || !cm_F_per_m2 || !temperature_degC || !v_init_mV)
    return fail(host, "host_set_cvs: every array (area, diameter, cm, temperature, v_init) is "
                "required");
  if (host->cvs_set && (host->n_placements || host->n_iclamps || host->n_vclamps ||
                        host->n_detectors || host->n_probes))
    return fail(host, "host_set_cvs: the CVs are already in use by placements, stimuli, detectors "
                "or probes; set them once, first");
  for (uint32_t cv = 0; cv < n_cv; ++cv) {
    if (!isfinite(area_um2[cv]) || area_um2[cv] <= 0)
      return fail(host, "host_set_cvs: CV %u has area %g um^2; it must be positive", cv,
                  area_um2[cv]);
    if (!isfinite(diam_um[cv]) || diam_um[cv] < 0)
      return fail(host, "host_set_cvs: CV %u has diameter %g um; it must be finite and >= 0", cv,
                  diam_um[cv]);
    if (!isfinite(cm_F_per_m2[cv]) || cm_F_per_m2[cv] <= 0)
      return fail(host, "host_set_cvs: CV %u has membrane capacitance %g F/m^2; it must be "
                  "positive", cv, cm_F_per_m2[cv]);
    if (!isfinite(temperature_degC[cv]) || temperature_degC[cv] < -273.15)
      return fail(host, "host_set_cvs: CV %u has temperature %g degC", cv, temperature_degC[cv]);
    if (!isfinite(v_init_mV[cv]))
      return fail(host, "host_set_cvs: CV %u has initial voltage %g mV", cv, v_init_mV[cv]);
  }
  double* arrays[5];
  const double* sources[5] = {area_um2, diam_um, cm_F_per_m2, temperature_degC, v_init_mV};
  for (int k = 0; k < 5; ++k) {
    arrays[k] = malloc((size_t)n_cv * sizeof(double));
    if (arrays[k] == NULL) {
      for (int j = 0; j < k; ++j) free(arrays[j]);
      return fail(host, "out of memory in host_set_cvs");
    }
    memcpy(arrays[k], sources[k], (size_t)n_cv * sizeof(double));
  }
  free(host->cv_area);
  free(host->cv_diam);
  free(host->cv_cm);
  free(host->cv_temperature);
  free(host->cv_v_init);
  host->cv_area = arrays[0];
  host->cv_diam = arrays[1];
  host->cv_cm = arrays[2];
  host->cv_temperature = arrays[3];
  host->cv_v_init = arrays[4];
  host->n_cv = n_cv;
  host->cvs_set = true;
  return 0;
}

int32_t host_add_ion(denocat_host* host, const char* name, int32_t valence, double internal_mM,
                     double external_mM, double reversal_mV) {
  if (host == NULL) return -1;
  if (check_not_instantiated(host, "host_add_ion")) return -1;
  if (name == NULL || name[0] == 0) return fail(host, "host_add_ion: the ion name is empty");
  if (ion_species_index(host, name) >= 0)
    return fail(host, "host_add_ion: ion '%s' is already declared", name);
  if (!isfinite(internal_mM) || internal_mM < 0 || !isfinite(external_mM) || external_mM < 0)
    return fail(host, "host_add_ion: ion '%s': concentrations must be finite and >= 0 (got "
                "internal %g mM, external %g mM)", name, internal_mM, external_mM);
  if (!isfinite(reversal_mV))
    return fail(host, "host_add_ion: ion '%s': reversal potential %g mV is not finite", name,
                reversal_mV);
  if (RESERVE(host->ions, host->ions_capacity, (uint64_t)host->n_ions + 1))
    return fail(host, "out of memory in host_add_ion");
  ion_species* ion = &host->ions[host->n_ions];
  memset(ion, 0, sizeof *ion);
  if ((ion->name = copy_string(name)) == NULL) return fail(host, "out of memory in host_add_ion");
  ion->valence = valence;
  ion->internal_mM = internal_mM;
  ion->external_mM = external_mM;
  ion->reversal_mV = reversal_mV;
  return (int32_t)host->n_ions++;
}

/* ============================================================================================ */
/* Placement                                                                                     */

static void list_mechanisms(denocat_host* host) {
  if (host->n_mechanisms == 0) {
    append_error(host, " (no catalogue is loaded)");
    return;
  }
  append_error(host, "; available:");
  for (uint32_t k = 0; k < host->n_mechanisms; ++k)
    append_error(host, "%s %s", k ? "," : "", host->mechanisms[k].type.name);
}

void list_fields(denocat_host* host, const char* what, const arb_field_info* fields,
                        uint32_t count) {
  if (count == 0) {
    append_error(host, " (it has no %ss)", what);
    return;
  }
  append_error(host, " (its %ss:", what);
  for (uint32_t k = 0; k < count; ++k) append_error(host, "%s %s", k ? "," : "", fields[k].name);
  append_error(host, ")");
}

static int32_t check_range(denocat_host* host, const char* placement_name, const char* what,
                           const arb_field_info* field, double value) {
  if (!(field->range_low <= value && value <= field->range_high))
    return fail(host, "'%s': %s '%s' = %g is outside its range [%g, %g] (invalid_parameter_value)",
                placement_name, what, field->name, value, field->range_low, field->range_high);
  return 0;
}

/* Applies the derivation part of a name ("e=-70,g=1", "na", "x=na") to a fresh placement. */
static int32_t apply_derivation(denocat_host* host, placement* p, const char* derivation) {
  const arb_mechanism_type* type = type_of(host, p);
  char* text = copy_string(derivation);
  if (text == NULL) return fail(host, "out of memory");
  int32_t status = 0;
  bool* ion_renamed = calloc(type->n_ions + 1, sizeof *ion_renamed);
  if (ion_renamed == NULL) {
    free(text);
    return fail(host, "out of memory");
  }
  char* cursor = text;
  while (status == 0) {
    char* item = cursor;
    char* comma = strchr(cursor, ',');
    if (comma) *comma = 0;
    if (item[0] == 0) {
      status = fail(host, "'%s': empty item in the derivation after '/'", p->name);
      break;
    }
    char* equals = strchr(item, '=');
    const char* old_ion = NULL;
    const char* new_ion = NULL;
    if (equals == NULL) {
      /* "mech/na": rebind the only ion of a one-ion mechanism. */
      if (type->n_ions != 1) {
        status = fail(host, "'%s': '%s' would rebind an ion, but '%s' has %u ions; the short form "
                      "needs exactly one (write '<ion>=%s' to choose)", p->name, item, type->name,
                      type->n_ions, item);
        break;
      }
      old_ion = ion_use_at(host, type, 0).name;
      new_ion = item;
    } else {
      *equals = 0;
      const char* key = item;
      const char* value = equals + 1;
      if (key[0] == 0 || value[0] == 0) {
        status = fail(host, "'%s': malformed derivation item '%s=%s'", p->name, key, value);
        break;
      }
      for (uint32_t k = 0; k < type->n_ions; ++k)
        if (strcmp(ion_use_at(host, type, k).name, key) == 0) old_ion = key;
      if (old_ion) {
        new_ion = value;
      } else {
        int64_t g = field_index(type->globals, type->n_globals, key);
        if (g < 0) {
          if (field_index(type->parameters, type->n_parameters, key) >= 0)
            status = fail(host, "'%s': '%s' is a parameter of '%s', not a global; derived names "
                          "set globals only (use host_set_parameter)", p->name, key, type->name);
          else {
            status = fail(host, "'%s': '%s' is neither a global nor an ion of '%s'", p->name, key,
                          type->name);
            list_fields(host, "global", type->globals, type->n_globals);
          }
          break;
        }
        char* end = NULL;
        double number = strtod(value, &end);
        if (end == value || *end != 0) {
          status = fail(host, "'%s': the value '%s' of global '%s' is not a number", p->name, value,
                        key);
          break;
        }
        if (check_range(host, p->name, "global", &type->globals[g], number)) {
          status = -1;
          break;
        }
        p->globals[g] = number;
      }
    }
    if (old_ion) {
      for (uint32_t k = 0; k < type->n_ions; ++k) {
        if (strcmp(ion_use_at(host, type, k).name, old_ion) != 0) continue;
        if (ion_renamed[k]) {
          status = fail(host, "'%s': ion '%s' is rebound twice", p->name, old_ion);
          break;
        }
        char* bound = copy_string(new_ion);
        if (bound == NULL) {
          status = fail(host, "out of memory");
          break;
        }
        free(p->ion_binding[k]);
        p->ion_binding[k] = bound;
        ion_renamed[k] = true;
      }
    }
    if (comma == NULL) break;
    cursor = comma + 1;
  }
  free(text);
  free(ion_renamed);
  if (status) return status;
  for (uint32_t k = 0; k < type->n_ions; ++k)
    for (uint32_t j = 0; j < k; ++j)
      if (strcmp(p->ion_binding[j], p->ion_binding[k]) == 0)
        return fail(host, "'%s': ions '%s' and '%s' of '%s' are both bound to ion '%s'", p->name,
                    ion_use_at(host, type, j).name, ion_use_at(host, type, k).name, type->name,
                    p->ion_binding[k]);
  return 0;
}

static void free_placement_configuration(const denocat_host* host, placement* p) {
  const arb_mechanism_type* type = type_of(host, p);
  free(p->name);
  free(p->cvs);
  free(p->weights);
  free(p->peers);
  if (p->ion_binding)
    for (uint32_t j = 0; j < type->n_ions; ++j) free(p->ion_binding[j]);
  free(p->ion_binding);
  free(p->globals);
  free(p->parameter_values);
  memset(p, 0, sizeof *p);
}

int32_t host_place(denocat_host* host, const char* name, uint32_t n, const uint32_t* cvs,
                   const double* weights, const uint32_t* peers) {
  if (host == NULL) return -1;
  if (check_not_instantiated(host, "host_place")) return -1;
  if (name == NULL || name[0] == 0) return fail(host, "host_place: the mechanism name is empty");
  if (!host->cvs_set) return fail(host, "host_place('%s'): call host_set_cvs first", name);
  for (uint32_t k = 0; k < host->n_placements; ++k)
    if (strcmp(host->placements[k].name, name) == 0)
      return fail(host, "host_place: '%s' is already placed (placement %u); a mechanism name may "
                  "be placed once per host", name, k);

  /* Split "base/derivation". */
  const char* slash = strchr(name, '/');
  size_t base_length = slash ? (size_t)(slash - name) : strlen(name);
  char* base = malloc(base_length + 1);
  if (base == NULL) return fail(host, "out of memory in host_place");
  memcpy(base, name, base_length);
  base[base_length] = 0;
  int64_t mechanism = mechanism_index(host, base);
  if (mechanism < 0) {
    fail(host, "host_place: unknown mechanism '%s'", base);
    list_mechanisms(host);
    free(base);
    return -1;
  }
  free(base);
  const arb_mechanism_type* type = &host->mechanisms[mechanism].type;
  uint32_t kind = type->kind;

  /* Shape of the arguments by kind. */
  if (kind == arb_mechanism_kind_reversal_potential) {
    if (n != 0 || cvs != NULL || weights != NULL || peers != NULL)
      return fail(host, "host_place('%s'): a reversal-potential mechanism gets one instance per CV "
                  "of its ion's support; pass n = 0 and NULL arrays", name);
  } else {
    if (n == 0 || cvs == NULL)
      return fail(host, "host_place('%s'): a %s mechanism needs n >= 1 CVs", name, kind_name(kind));
    for (uint32_t k = 0; k < n; ++k)
      if (cvs[k] >= host->n_cv)
        return fail(host, "host_place('%s'): instance %u: CV %u is out of range (the group has %u "
                    "CVs)", name, k, cvs[k], host->n_cv);
    if (kind == arb_mechanism_kind_gap_junction) {
      if (peers == NULL) return fail(host, "host_place('%s'): a gap junction needs peer CVs", name);
      for (uint32_t k = 0; k < n; ++k)
        if (peers[k] >= host->n_cv)
          return fail(host, "host_place('%s'): connection %u: peer CV %u is out of range (the "
                      "group has %u CVs)", name, k, peers[k], host->n_cv);
    } else if (peers != NULL) {
      return fail(host, "host_place('%s'): peer CVs are for gap junctions only, but '%s' is a %s "
                  "mechanism", name, type->name, kind_name(kind));
    }
    if (kind == arb_mechanism_kind_density || kind == arb_mechanism_kind_voltage) {
      for (uint32_t k = 1; k < n; ++k)
        if (cvs[k] <= cvs[k - 1])
          return fail(host, "host_place('%s'): CVs of a %s mechanism must be strictly ascending "
                      "(entry %u is %u after %u)", name, kind_name(kind), k, cvs[k], cvs[k - 1]);
      if (weights)
        for (uint32_t k = 0; k < n; ++k)
          if (!(weights[k] > 0 && weights[k] <= 1))
            return fail(host, "host_place('%s'): covered fraction %g at CV %u is outside (0, 1]",
                        name, weights[k], cvs[k]);
    }
    if (kind == arb_mechanism_kind_gap_junction && weights)
      for (uint32_t k = 0; k < n; ++k)
        if (!isfinite(weights[k]))
          return fail(host, "host_place('%s'): connection %u has weight %g", name, k, weights[k]);
    /* Point mechanisms ignore `weights`: their weight is 1000/area (3.2). */
  }

  if (RESERVE(host->placements, host->placements_capacity, (uint64_t)host->n_placements + 1))
    return fail(host, "out of memory in host_place");
  placement* p = &host->placements[host->n_placements];
  memset(p, 0, sizeof *p);
  p->mechanism = (uint32_t)mechanism;
  p->kind = kind;
  p->n = n;
  p->events_sorted = true;
  bool ok = (p->name = copy_string(name)) != NULL;
  if (ok && n > 0) {
    ok = (p->cvs = malloc((size_t)n * sizeof *p->cvs)) != NULL &&
         (p->weights = malloc((size_t)n * sizeof *p->weights)) != NULL;
    if (ok) {
      memcpy(p->cvs, cvs, (size_t)n * sizeof *cvs);
      bool given = weights != NULL && kind != arb_mechanism_kind_point;
      for (uint32_t k = 0; k < n; ++k) p->weights[k] = given ? weights[k] : 1.0;
    }
    if (ok && kind == arb_mechanism_kind_gap_junction) {
      ok = (p->peers = malloc((size_t)n * sizeof *p->peers)) != NULL;
      if (ok) memcpy(p->peers, peers, (size_t)n * sizeof *peers);
    }
  }
  if (ok && type->n_ions) {
    ok = (p->ion_binding = calloc(type->n_ions, sizeof *p->ion_binding)) != NULL;
    for (uint32_t k = 0; ok && k < type->n_ions; ++k)
      ok = (p->ion_binding[k] = copy_string(ion_use_at(host, type, k).name)) != NULL;
  }
  if (ok && type->n_globals) {
    ok = (p->globals = malloc(type->n_globals * sizeof *p->globals)) != NULL;
    for (uint32_t k = 0; ok && k < type->n_globals; ++k)
      p->globals[k] = type->globals[k].default_value;
  }
  if (ok && type->n_parameters)
    ok = (p->parameter_values = calloc(type->n_parameters, sizeof *p->parameter_values)) != NULL;
  if (!ok) {
    free_placement_configuration(host, p);
    return fail(host, "out of memory in host_place");
  }
  if (slash && apply_derivation(host, p, slash + 1)) {
    free_placement_configuration(host, p);
    return -1;
  }
  return (int32_t)host->n_placements++;
}

int32_t host_set_parameter(denocat_host* host, int32_t placement_id, const char* name,
                           const double* values) {
  if (host == NULL) return -1;
  if (check_not_instantiated(host, "host_set_parameter")) return -1;
  if (check_placement(host, placement_id, "host_set_parameter")) return -1;
  placement* p = &host->placements[placement_id];
  const arb_mechanism_type* type = type_of(host, p);
  if (name == NULL)
    return fail(host, "host_set_parameter('%s'): the parameter name is NULL", p->name);
  int64_t k = field_index(type->parameters, type->n_parameters, name);
  if (k < 0) {
    if (field_index(type->globals, type->n_globals, name) >= 0)
      return fail(host, "host_set_parameter('%s'): '%s' is a global, not a parameter (did you mean "
                  "global? use host_set_global or a derived name '%s/%s=...')", p->name, name,
                  type->name, name);
    if (field_index(type->state_vars, type->n_state_vars, name) >= 0)
      return fail(host, "host_set_parameter('%s'): '%s' is a state variable, not a parameter",
                  p->name, name);
    fail(host, "host_set_parameter('%s'): no such parameter '%s'", p->name, name);
    list_fields(host, "parameter", type->parameters, type->n_parameters);
    return -1;
  }
  if (values == NULL) return fail(host, "host_set_parameter('%s'): values is NULL", p->name);
  /* A reversal-potential placement has no instances yet: it takes one value for every CV. */
  uint32_t count = p->kind == arb_mechanism_kind_reversal_potential ? 1 : p->n;
  for (uint32_t i = 0; i < count; ++i)
    if (check_range(host, p->name, "parameter", &type->parameters[k], values[i])) {
      append_error(host, " at instance %u", i);
      return -1;
    }
  double* copy = malloc((size_t)count * sizeof *copy);
  if (copy == NULL) return fail(host, "out of memory in host_set_parameter");
  memcpy(copy, values, (size_t)count * sizeof *copy);
  free(p->parameter_values[k]);
  p->parameter_values[k] = copy;
  return 0;
}

int32_t host_set_global(denocat_host* host, int32_t placement_id, const char* name, double value) {
  if (host == NULL) return -1;
  if (check_not_instantiated(host, "host_set_global")) return -1;
  if (check_placement(host, placement_id, "host_set_global")) return -1;
  placement* p = &host->placements[placement_id];
  const arb_mechanism_type* type = type_of(host, p);
  if (name == NULL) return fail(host, "host_set_global('%s'): the global name is NULL", p->name);
  int64_t k = field_index(type->globals, type->n_globals, name);
  if (k < 0) {
    if (field_index(type->parameters, type->n_parameters, name) >= 0)
      return fail(host, "host_set_global('%s'): '%s' is a parameter, not a global (use "
                  "host_set_parameter)", p->name, name);
    fail(host, "host_set_global('%s'): no such global '%s'", p->name, name);
    list_fields(host, "global", type->globals, type->n_globals);
    return -1;
  }
  if (check_range(host, p->name, "global", &type->globals[k], value)) return -1;
  p->globals[k] = value; /* after, and so over, any value from the derived name */
  return 0;
}

int32_t host_set_coalesce(denocat_host* host, int32_t enabled) {
  if (host == NULL) return -1;
  /* Coalescing decides the instances of every point mechanism, which exist once built. */
  if (check_not_instantiated(host, "host_set_coalesce")) return -1;
  host->coalesce = enabled != 0;
  return 0;
}
