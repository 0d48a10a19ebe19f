/*
 * instantiate.c (native test host): Instantiation, first half: ion binding, instance order, supports and ion arrays (3.1-3.2).
 * See ../host.h for the API and internal.h for the shared data.
 */
#include "internal.h"

/* ============================================================================================ */
/* Instantiation (section 3)                                                                     */

/* Sort record of one instance. Point mechanisms also carry the sort keys of the instance's
 * parameter values (see point_sort_keys); other kinds have n_keys 0. */
typedef struct cv_order {
  uint32_t cv, given;
  uint32_t n_keys;
  const uint64_t* keys;
} cv_order;

/* Total order on instances: CV, then the parameter keys lexicographically, then placement order
 * (the target index). It never returns 0 for two different instances, so qsort's instability
 * does not matter and the order is fully determined. */
static int compare_cv_order(const void* a, const void* b) {
  const cv_order* x = a;
  const cv_order* y = b;
  if (x->cv != y->cv) return x->cv < y->cv ? -1 : 1;
  for (uint32_t k = 0; k < x->n_keys; ++k)
    if (x->keys[k] != y->keys[k]) return x->keys[k] < y->keys[k] ? -1 : 1;
  return x->given < y->given ? -1 : x->given > y->given;
}

/* Same CV and bit-identical parameter values: the condition for merging two synapses. */
static bool same_site_and_parameters(const cv_order* x, const cv_order* y) {
  if (x->cv != y->cv) return false;
  for (uint32_t k = 0; k < x->n_keys; ++k)
    if (x->keys[k] != y->keys[k]) return false;
  return true;
}

/* A double as an unsigned key in IEEE 754 totalOrder: -NaN < -inf < ... < -0 < +0 < ... < +inf
 * < +NaN, numeric order for all other values. The map is one-to-one, so equal keys means
 * bit-identical values (and -0, +0 or two NaN payloads never merge). */
static uint64_t total_order_key(double value) {
  uint64_t bits;
  memcpy(&bits, &value, sizeof bits);
  return bits >> 63 ? ~bits : bits | (UINT64_C(1) << 63);
}

/* Sort keys of a point placement: for instance j (placement order), keys[j * m + r] is the key of
 * the value of the parameter whose name is r-th in byte-wise (strcmp) name order, the order in
 * which Arbor collects parameter names; m = n_parameters. The value is the instance's override
 * from host_set_parameter, or else the type's default. NULL when the type has no parameters. */
static int32_t point_sort_keys(denocat_host* host, const placement* p, uint64_t** out) {
  const arb_mechanism_type* type = type_of(host, p);
  uint32_t m = type->n_parameters;
  *out = NULL;
  if (m == 0) return 0;
  if ((size_t)p->n > SIZE_MAX / sizeof(uint64_t) / m)
    return fail(host, "'%s': %u instances of %u parameters are too many", p->name, p->n, m);
  uint32_t* by_name = malloc((size_t)m * sizeof *by_name);
  uint64_t* keys = malloc((size_t)p->n * m * sizeof *keys);
  if (!by_name || !keys) {
    free(by_name);
    free(keys);
    return fail(host, "out of memory");
  }
  for (uint32_t r = 0; r < m; ++r) { /* insertion sort: a type has few parameters */
    uint32_t j = r;
    while (j > 0 && strcmp(type->parameters[by_name[j - 1]].name, type->parameters[r].name) > 0) {
      by_name[j] = by_name[j - 1];
      --j;
    }
    by_name[j] = r;
  }
  for (uint32_t j = 0; j < p->n; ++j)
    for (uint32_t r = 0; r < m; ++r) {
      uint32_t k = by_name[r];
      const double* given = p->parameter_values[k];
      double value = given ? given[j] : type->parameters[k].default_value;
      keys[(size_t)j * m + r] = total_order_key(value);
    }
  free(by_name);
  *out = keys;
  return 0;
}

/* Arbor coalesces a point mechanism's synapses only when all three hold (3.2, 5.5). */
static bool coalesces(const denocat_host* host, const placement* p) {
  const arb_mechanism_type* type = type_of(host, p);
  return host->coalesce && p->kind == arb_mechanism_kind_point && type->is_linear &&
         type->n_random_variables == 0;
}

/* Binds each ion entry of every placement to a declared species and checks it like Arbor. */
int32_t resolve_ions(denocat_host* host) {
  for (uint32_t k = 0; k < host->n_placements; ++k) {
    placement* p = &host->placements[k];
    const arb_mechanism_type* type = type_of(host, p);
    if (type->n_ions == 0) continue;
    if ((p->species_of = calloc(type->n_ions, sizeof *p->species_of)) == NULL)
      return fail(host, "out of memory");
    for (uint32_t j = 0; j < type->n_ions; ++j) {
      ion_use use = ion_use_at(host, type, j);
      int64_t s = ion_species_index(host, p->ion_binding[j]);
      if (s < 0) {
        fail(host, "'%s' uses ion '%s', which is not declared with host_add_ion", p->name,
             p->ion_binding[j]);
        if (host->n_ions == 0) append_error(host, " (no ion is declared)");
        for (uint32_t m = 0; m < host->n_ions; ++m)
          append_error(host, "%s%s", m ? ", " : "; declared: ", host->ions[m].name);
        return -1;
      }
      if (use.verify_valence && use.expected_valence != host->ions[s].valence)
        return fail(host, "'%s' expects ion '%s' to have valence %d, but it was declared with "
                    "valence %d", p->name, p->ion_binding[j], use.expected_valence,
                    host->ions[s].valence);
      if (use.write_rev && (use.write_int || use.write_ext))
        return fail(host, "'%s' writes both the reversal potential and a concentration of ion "
                    "'%s'; Arbor forbids this", p->name, p->ion_binding[j]);
      p->species_of[j] = (uint32_t)s;
    }
  }
  return 0;
}

/* Instance order and CVs of every placement except reversal potentials (3.2).
 *  - density, voltage: the given (ascending) CVs, one instance each;
 *  - gap junction: sorted by CV, then placement order;
 *  - point: sorted by CV, then parameter values (point_sort_keys), then placement order (the
 *    target index). When the mechanism coalesces, each run of equal CV and bit-identical
 *    parameter values becomes one instance, whose given_of is the run's first (lowest)
 *    placement-order instance and whose `merged` count is the run's length; instance_of maps
 *    every member to it. */
int32_t order_instances(denocat_host* host) {
  for (uint32_t k = 0; k < host->n_placements; ++k) {
    placement* p = &host->placements[k];
    if (p->kind == arb_mechanism_kind_reversal_potential) continue;
    bool merge = coalesces(host, p);
    p->instance_of = malloc((size_t)p->n * sizeof *p->instance_of);
    p->given_of = malloc((size_t)p->n * sizeof *p->given_of);
    p->instance_cv = malloc((size_t)p->n * sizeof *p->instance_cv);
    if (merge) p->merged = malloc((size_t)p->n * sizeof *p->merged);
    cv_order* order = malloc((size_t)p->n * sizeof *order);
    if (!p->instance_of || !p->given_of || !p->instance_cv || (merge && !p->merged) || !order) {
      free(order);
      return fail(host, "out of memory");
    }
    uint64_t* keys = NULL;
    uint32_t n_keys = 0;
    if (p->kind == arb_mechanism_kind_point) {
      if (point_sort_keys(host, p, &keys)) {
        free(order);
        return -1;
      }
      if (keys) n_keys = type_of(host, p)->n_parameters;
    }
    for (uint32_t j = 0; j < p->n; ++j)
      order[j] = (cv_order){.cv = p->cvs[j],
                            .given = j,
                            .n_keys = n_keys,
                            .keys = keys ? keys + (size_t)j * n_keys : NULL};
    /* Point and gap-junction instances are sorted; density and voltage CVs already are. */
    if (p->kind == arb_mechanism_kind_point || p->kind == arb_mechanism_kind_gap_junction)
      qsort(order, p->n, sizeof *order, compare_cv_order);
    uint32_t width = 0;
    for (uint32_t i = 0; i < p->n; ++i) {
      if (merge && width > 0 && same_site_and_parameters(&order[i - 1], &order[i])) {
        ++p->merged[width - 1];
      } else {
        p->given_of[width] = order[i].given;
        p->instance_cv[width] = order[i].cv;
        if (merge) p->merged[width] = 1;
        ++width;
      }
      p->instance_of[order[i].given] = width - 1;
    }
    free(order);
    free(keys);
    p->width = width;
    p->in_group = true;
  }
  return 0;
}

/* CV sets, as a byte per CV: mark_cv() counts each CV once; sorted_cvs() lists the marked CVs
 * in ascending order (NULL when out of memory). Ion supports and reversal-potential instances
 * are both built this way. */
static void mark_cv(uint8_t* present, uint32_t cv, uint32_t* count) {
  if (!present[cv]) {
    present[cv] = 1;
    ++*count;
  }
}

static uint32_t* sorted_cvs(const uint8_t* present, uint32_t n_cv, uint32_t count) {
  uint32_t* cvs = malloc((size_t)count * sizeof *cvs);
  if (cvs == NULL) return NULL;
  uint32_t next = 0;
  for (uint32_t cv = 0; cv < n_cv; ++cv)
    if (present[cv]) cvs[next++] = cv;
  return cvs;
}

/* Ion support: the sorted union of the CVs of the mechanisms that use the ion (3.1). Reversal
 * potential mechanisms do not extend it; voltage mechanisms (which rarely use ions) do, like
 * density mechanisms. */
int32_t build_supports(denocat_host* host) {
  uint8_t* present = malloc(host->n_cv);
  if (present == NULL) return fail(host, "out of memory");
  for (uint32_t s = 0; s < host->n_ions; ++s) {
    memset(present, 0, host->n_cv);
    uint32_t count = 0;
    for (uint32_t k = 0; k < host->n_placements; ++k) {
      const placement* p = &host->placements[k];
      if (p->kind == arb_mechanism_kind_reversal_potential) continue;
      const arb_mechanism_type* type = type_of(host, p);
      for (uint32_t j = 0; j < type->n_ions; ++j) {
        if (p->species_of[j] != s) continue;
        for (uint32_t i = 0; i < p->width; ++i) mark_cv(present, p->instance_cv[i], &count);
      }
    }
    ion_species* ion = &host->ions[s];
    ion->n_support = count;
    if (count == 0) continue;
    if ((ion->support = sorted_cvs(present, host->n_cv, count)) == NULL) {
      free(present);
      return fail(host, "out of memory");
    }
  }
  free(present);
  return 0;
}

/* Reversal-potential mechanisms: one instance per CV of the support of the ions whose reversal
 * potential they write (union when several), weight 0 (3.6). None: not in the group. */
int32_t place_reversal_potentials(denocat_host* host) {
  uint8_t* present = malloc(host->n_cv);
  if (present == NULL) return fail(host, "out of memory");
  for (uint32_t k = 0; k < host->n_placements; ++k) {
    placement* p = &host->placements[k];
    if (p->kind != arb_mechanism_kind_reversal_potential) continue;
    const arb_mechanism_type* type = type_of(host, p);
    memset(present, 0, host->n_cv);
    bool serves_an_ion = false;
    uint32_t count = 0;
    for (uint32_t j = 0; j < type->n_ions; ++j) {
      if (!ion_use_at(host, type, j).write_rev) continue;
      serves_an_ion = true;
      const ion_species* ion = &host->ions[p->species_of[j]];
      for (uint32_t c = 0; c < ion->n_support; ++c) mark_cv(present, ion->support[c], &count);
    }
    if (!serves_an_ion) {
      free(present);
      return fail(host, "'%s' is a reversal-potential mechanism but declares write_rev_potential "
                  "for none of its ions; it must write the reversal potential of the ion it serves",
                  p->name);
    }
    p->width = count;
    p->in_group = count > 0; /* its ion is used by no mechanism: Arbor instantiates nothing */
    if (count == 0) continue;
    if ((p->instance_cv = sorted_cvs(present, host->n_cv, count)) == NULL) {
      free(present);
      return fail(host, "out of memory");
    }
  }
  free(present);
  return 0;
}

/* Arbor rejects at most one voltage process per CV (one per cable in Arbor; a CV here). */
int32_t check_voltage_overlap(denocat_host* host) {
  int64_t* owner = malloc((size_t)host->n_cv * sizeof *owner);
  if (owner == NULL) return fail(host, "out of memory");
  for (uint32_t cv = 0; cv < host->n_cv; ++cv) owner[cv] = -1;
  for (uint32_t k = 0; k < host->n_placements; ++k) {
    const placement* p = &host->placements[k];
    if (p->kind != arb_mechanism_kind_voltage) continue;
    for (uint32_t i = 0; i < p->width; ++i) {
      uint32_t cv = p->instance_cv[i];
      if (owner[cv] >= 0) {
        int32_t status = fail(host, "voltage processes '%s' and '%s' both cover CV %u; at most one "
                              "voltage process is allowed", host->placements[owner[cv]].name,
                              p->name, cv);
        free(owner);
        return status;
      }
      owner[cv] = k;
    }
  }
  free(owner);
  return 0;
}

/* Flags over the group, allocation of the ion arrays with their initial values, and the masked
 * concentrations of 5.4. */
int32_t build_ion_arrays(denocat_host* host) {
  for (uint32_t s = 0; s < host->n_ions; ++s) {
    ion_species* ion = &host->ions[s];
    bool reads_Xi = false, reads_Xo = false, uses_eX = false, uses_Xd = false;
    for (uint32_t k = 0; k < host->n_placements; ++k) {
      const placement* p = &host->placements[k];
      if (!p->in_group) continue;
      const arb_mechanism_type* type = type_of(host, p);
      for (uint32_t j = 0; j < type->n_ions; ++j) {
        if (p->species_of[j] != s) continue;
        ion_use use = ion_use_at(host, type, j);
        ion->writes_Xi |= use.write_int;
        ion->writes_Xo |= use.write_ext;
        ion->writes_eX |= use.write_rev;
        reads_Xi |= use.read_int;
        reads_Xo |= use.read_ext;
        uses_eX |= use.read_rev;
        uses_Xd |= use.use_diff;
      }
    }
    if (ion->n_support == 0) continue;
    size_t n = ion->n_support, a = host->shared_alignment;
    /* ABI 0.6 allocates everything; 0.7 only what some declared flag asks for (3.5). */
    bool all = host->abi == 6;
    bool ok = (ion->iX = allocate_values(a, n, 0.0)) != NULL &&
              (ion->charge = allocate_values(a, 1, (double)ion->valence)) != NULL;
    if (ok && all) ok = (ion->gX = allocate_values(a, n, 0.0)) != NULL;
    if (ok && (all || uses_eX || ion->writes_eX))
      ok = (ion->eX = allocate_values(a, n, ion->reversal_mV)) != NULL;
    if (ok && (all || reads_Xi || ion->writes_Xi))
      ok = (ion->Xi = allocate_values(a, n, ion->internal_mM)) != NULL;
    if (ok && (all || reads_Xo || ion->writes_Xo))
      ok = (ion->Xo = allocate_values(a, n, ion->external_mM)) != NULL;
    /* The diffusive concentration starts at the internal concentration. */
    if (ok && (all || uses_Xd)) ok = (ion->Xd = allocate_values(a, n, ion->internal_mM)) != NULL;
    if (ok && ion->writes_Xi) ok = (ion->Xi_masked = allocate_values(a, n, 0.0)) != NULL;
    if (ok && ion->writes_Xo) ok = (ion->Xo_masked = allocate_values(a, n, 0.0)) != NULL;
    if (!ok) return fail(host, "out of memory allocating the arrays of ion '%s'", ion->name);

    /* Masked initial values: the host knows coverage only through density weights, so the
     * value at a CV is initial * (1 - fraction covered by density writers), 0 when covered. */
    for (int external = 0; external < 2; ++external) {
      double* masked = external ? ion->Xo_masked : ion->Xi_masked;
      if (masked == NULL) continue;
      double* covered = masked; /* accumulate coverage in place, then convert */
      int64_t* writer = malloc(n * sizeof *writer);
      if (writer == NULL) return fail(host, "out of memory");
      for (size_t c = 0; c < n; ++c) writer[c] = -1;
      for (uint32_t k = 0; k < host->n_placements; ++k) {
        const placement* p = &host->placements[k];
        if (!p->in_group || p->kind != arb_mechanism_kind_density) continue;
        const arb_mechanism_type* type = type_of(host, p);
        for (uint32_t j = 0; j < type->n_ions; ++j) {
          if (p->species_of[j] != s) continue;
          ion_use use = ion_use_at(host, type, j);
          if (!(external ? use.write_ext : use.write_int)) continue;
          for (uint32_t i = 0; i < p->width; ++i) {
            int64_t c = support_position(ion, p->instance_cv[i]);
            if (writer[c] >= 0) {
              int32_t status = fail(host, "density mechanisms '%s' and '%s' both write the %s "
                                    "concentration of ion '%s' at CV %u; writers must not overlap",
                                    host->placements[writer[c]].name, p->name,
                                    external ? "external" : "internal", ion->name,
                                    p->instance_cv[i]);
              free(writer);
              return status;
            }
            writer[c] = k;
            covered[c] += p->weights[p->given_of[i]];
          }
        }
      }
      free(writer);
      double initial = external ? ion->external_mM : ion->internal_mM;
      for (size_t c = 0; c < n; ++c) {
        double uncovered = 1.0 - covered[c];
        masked[c] = uncovered > 0 ? initial * uncovered : 0.0;
      }
    }
  }
  return 0;
}

/* Sorts placement indices by name (insertion sort: a group has few mechanisms). */
static void sort_by_name(const denocat_host* host, uint32_t* list, uint32_t n) {
  for (uint32_t k = 1; k < n; ++k) {
    uint32_t item = list[k];
    uint32_t j = k;
    while (j > 0 && strcmp(host->placements[list[j - 1]].name, host->placements[item].name) > 0) {
      list[j] = list[j - 1];
      --j;
    }
    list[j] = item;
  }
}

int32_t build_lists(denocat_host* host) {
  uint32_t n = host->n_placements ? host->n_placements : 1;
  host->list_m = malloc(n * sizeof *host->list_m);
  host->list_r = malloc(n * sizeof *host->list_r);
  host->list_v = malloc(n * sizeof *host->list_v);
  if (!host->list_m || !host->list_r || !host->list_v) return fail(host, "out of memory");
  for (uint32_t k = 0; k < host->n_placements; ++k) {
    const placement* p = &host->placements[k];
    if (!p->in_group) continue;
    if (p->kind == arb_mechanism_kind_reversal_potential)
      host->list_r[host->n_r++] = k;
    else if (p->kind == arb_mechanism_kind_voltage)
      host->list_v[host->n_v++] = k;
    else
      host->list_m[host->n_m++] = k;
  }
  sort_by_name(host, host->list_m, host->n_m);
  sort_by_name(host, host->list_r, host->n_r);
  sort_by_name(host, host->list_v, host->n_v);
  return 0;
}
