/*
 * group.c (native test host): Instantiation, second half: each mechanism's value and index blocks and ppack (3.3-3.4).
 * See ../host.h for the API and internal.h for the shared data.
 */
#include "internal.h"

/* mechanism_id: rank of the name among all the group's mechanism names (3.1). */
static uint32_t mechanism_id_of(const denocat_host* host, const placement* p) {
  uint32_t rank = 0;
  for (uint32_t k = 0; k < host->n_placements; ++k) {
    const placement* other = &host->placements[k];
    if (other->in_group && strcmp(other->name, p->name) < 0) ++rank;
  }
  return rank;
}

/* One mechanism: value block, index block, ion states, random slots and the ppack (3.3, 3.4). */
static int32_t build_mechanism(denocat_host* host, placement* p) {
  const arb_mechanism_type* type = type_of(host, p);
  const arb_mechanism_interface* iface = interface_of(host, p);
  uint64_t alignment = iface->alignment, partition = iface->partition_width;
  uint64_t width_values = round_up(p->width, least_common_multiple(alignment, 8 * partition) / 8);
  uint64_t width_indices = round_up(p->width, least_common_multiple(alignment, 4 * partition) / 4);
  if (width_values > UINT32_MAX || width_indices > UINT32_MAX)
    return fail(host, "'%s': padded width does not fit in 32 bits", p->name);
  size_t wv = (size_t)width_values, wi = (size_t)width_indices;
  p->width_values = (uint32_t)wv;
  p->width_indices = (uint32_t)wi;
  uint32_t n_parameters = type->n_parameters, n_states = type->n_state_vars;
  uint32_t n_random = type->n_random_variables, n_globals = type->n_globals, n_ions = type->n_ions;
  bool is_gap_junction = p->kind == arb_mechanism_kind_gap_junction;

  /* Value block: weight, parameters, state variables, 4 * n_random slots, globals; NaN first. */
  size_t n_value_arrays = 1 + (size_t)n_parameters + n_states + 4 * (size_t)n_random;
  p->value_block = allocate_values(alignment, n_value_arrays * wv + n_globals, NAN);
  bool has_multiplicity = p->merged != NULL;
  size_t n_index_arrays =
      1 + (size_t)n_ions + (has_multiplicity ? 1 : 0) + (is_gap_junction ? 1 : 0);
  p->index_block = aligned_allocate(alignment, n_index_arrays * wi * sizeof(arb_index_type));
  if (n_parameters) p->parameter_arrays = malloc(n_parameters * sizeof *p->parameter_arrays);
  if (n_states) p->state_arrays = malloc(n_states * sizeof *p->state_arrays);
  if (n_random) {
    p->random_slots = malloc(4 * (size_t)n_random * sizeof *p->random_slots);
    p->random_streams = malloc(n_random * sizeof *p->random_streams);
  }
  size_t ion_state_size = host->abi == 6 ? sizeof(arb_ion_state_v06) : sizeof(arb_ion_state_v07);
  if (n_ions) p->ion_states = calloc(n_ions, ion_state_size);
  if (!p->value_block || !p->index_block || (n_parameters && !p->parameter_arrays) ||
      (n_states && !p->state_arrays) || (n_random && (!p->random_slots || !p->random_streams)) ||
      (n_ions && !p->ion_states))
    return fail(host, "out of memory building '%s'", p->name);

  double* weight = p->value_block;
  for (size_t i = 0; i < wv; ++i) weight[i] = 0.0; /* padding weight is 0 */
  for (uint32_t i = 0; i < p->width; ++i) {
    uint32_t cv = p->instance_cv[i];
    switch (p->kind) {
      case arb_mechanism_kind_density:
      case arb_mechanism_kind_voltage: weight[i] = p->weights[p->given_of[i]]; break;
      case arb_mechanism_kind_point: weight[i] = 1000.0 / host->cv_area[cv]; break;
      case arb_mechanism_kind_gap_junction:
        weight[i] = p->weights[p->given_of[i]] * 1000.0 / host->cv_area[cv];
        break;
      default: weight[i] = 0.0; break; /* reversal potential */
    }
  }
  for (uint32_t k = 0; k < n_parameters; ++k) {
    double* values = p->value_block + (1 + (size_t)k) * wv;
    p->parameter_arrays[k] = values;
    fill(values, wv, type->parameters[k].default_value); /* padding keeps the default */
    const double* given = p->parameter_values[k];
    if (given == NULL) continue;
    if (p->kind == arb_mechanism_kind_reversal_potential)
      fill(values, p->width, given[0]);
    else
      for (uint32_t j = 0; j < p->n; ++j) values[p->instance_of[j]] = given[j];
  }
  for (uint32_t k = 0; k < n_states; ++k) {
    double* values = p->value_block + (1 + (size_t)n_parameters + k) * wv;
    p->state_arrays[k] = values;
    fill(values, wv, type->state_vars[k].default_value);
  }
  double* randoms = p->value_block + (1 + (size_t)n_parameters + n_states) * wv;
  fill(randoms, 4 * (size_t)n_random * wv, 0.0);
  double* globals = p->value_block + n_value_arrays * wv;
  for (uint32_t k = 0; k < n_globals; ++k) globals[k] = p->globals[k];

  /* Index block: node_index, one index per ion, multiplicity (coalesced point mechanisms only),
   * peer_index (gap junctions only). Padding repeats the last real entry, except multiplicity,
   * which is padded with 0. */
  arb_index_type* node_index = p->index_block;
  for (uint32_t i = 0; i < p->width; ++i) node_index[i] = (arb_index_type)p->instance_cv[i];
  for (size_t i = p->width; i < wi; ++i) node_index[i] = node_index[p->width - 1];
  for (uint32_t j = 0; j < n_ions; ++j) {
    arb_index_type* ion_index = p->index_block + (1 + (size_t)j) * wi;
    const ion_species* ion = &host->ions[p->species_of[j]];
    for (uint32_t i = 0; i < p->width; ++i) {
      int64_t position = support_position(ion, p->instance_cv[i]);
      if (position < 0)
        return fail(host, "'%s' uses ion '%s' at CV %u, which is outside that ion's support (only "
                    "mechanisms other than reversal potentials define the support)", p->name,
                    ion->name, p->instance_cv[i]);
      ion_index[i] = (arb_index_type)position;
    }
    for (size_t i = p->width; i < wi; ++i) ion_index[i] = ion_index[p->width - 1];
    arb_value_type* gX = host->abi == 6 ? ion->gX : NULL;
    if (host->abi == 6)
      ((arb_ion_state_v06*)p->ion_states)[j] = (arb_ion_state_v06){
          .current_density = ion->iX,
          .conductivity = gX,
          .reversal_potential = ion->eX,
          .internal_concentration = ion->Xi,
          .external_concentration = ion->Xo,
          .diffusive_concentration = ion->Xd,
          .ionic_charge = ion->charge,
          .index = ion_index,
      };
    else
      ((arb_ion_state_v07*)p->ion_states)[j] = (arb_ion_state_v07){
          .current_density = ion->iX,
          .reversal_potential = ion->eX,
          .internal_concentration = ion->Xi,
          .external_concentration = ion->Xo,
          .diffusive_concentration = ion->Xd,
          .ionic_charge = ion->charge,
          .index = ion_index,
      };
  }
  arb_index_type* multiplicity = NULL;
  if (has_multiplicity) {
    multiplicity = p->index_block + (1 + (size_t)n_ions) * wi;
    for (uint32_t i = 0; i < p->width; ++i) {
      if (p->merged[i] > INT32_MAX)
        return fail(host, "'%s': %u synapses merged into one instance do not fit in an int",
                    p->name, p->merged[i]);
      multiplicity[i] = (arb_index_type)p->merged[i];
    }
    for (size_t i = p->width; i < wi; ++i) multiplicity[i] = 0;
  }
  arb_index_type* peer_index = NULL;
  if (is_gap_junction) {
    peer_index = p->index_block + (1 + (size_t)n_ions + (has_multiplicity ? 1 : 0)) * wi;
    for (uint32_t i = 0; i < p->width; ++i)
      peer_index[i] = (arb_index_type)p->peers[p->given_of[i]];
    for (size_t i = p->width; i < wi; ++i) peer_index[i] = peer_index[p->width - 1];
  }

  uint32_t mechanism_id = mechanism_id_of(host, p);
  for (uint32_t k = 0; k < n_random; ++k) {
    for (uint32_t s = 0; s < 4; ++s)
      p->random_slots[(size_t)s * n_random + k] = randoms + ((size_t)s * n_random + k) * wv;
    seed_stream(p->random_streams[k], mechanism_id, k);
  }
  p->random_counter = 0;

  arb_mechanism_ppack* pp = &p->pp;
  memset(pp, 0, sizeof *pp); /* index_constraints stay empty: scalar catalogues ignore them */
  pp->width = p->width;
  pp->n_detectors = host->post_events ? (arb_index_type)host->n_detectors : 0;
  pp->vec_ci = host->vec_ci;
  pp->dt = 0.0; /* as Arbor 0.11+ on a first build */
  pp->vec_v = host->vec_v;
  pp->vec_i = host->vec_i;
  pp->vec_g = host->vec_g;
  pp->temperature_degC = host->temperature_degC;
  pp->diam_um = host->diam_um;
  pp->area_um2 = host->area_um2;
  pp->time_since_spike = host->time_since_spike;
  pp->node_index = node_index;
  pp->peer_index = peer_index;
  pp->multiplicity = multiplicity; /* NULL unless this point mechanism coalesces (3.2) */
  pp->weight = weight;
  pp->mechanism_id = mechanism_id;
  pp->events = (arb_deliverable_event_stream){NULL, NULL};
  pp->parameters = p->parameter_arrays;
  pp->state_vars = p->state_arrays;
  pp->globals = globals;
  pp->ion_states = p->ion_states;
  pp->random_numbers = n_random ? p->random_slots : NULL; /* slot 0 during init */
  return 0;
}

int32_t build_group(denocat_host* host) {
  if (resolve_ions(host) || order_instances(host) || build_supports(host) ||
      place_reversal_potentials(host) || check_voltage_overlap(host))
    return -1;

  /* Shared state, aligned like Arbor's: a power of two covering every mechanism's alignment and
   * a 64-byte SIMD line. */
  size_t alignment = 64;
  for (uint32_t k = 0; k < host->n_placements; ++k) {
    const placement* p = &host->placements[k];
    if (p->in_group && interface_of(host, p)->alignment > alignment)
      alignment = interface_of(host, p)->alignment;
  }
  host->shared_alignment = alignment; /* interface alignments are powers of two */
  size_t n = host->n_cv;
  host->vec_v = allocate_values(alignment, n, 0.0);
  host->vec_i = allocate_values(alignment, n, 0.0);
  host->vec_g = allocate_values(alignment, n, 0.0);
  host->temperature_degC = allocate_values(alignment, n, 0.0);
  host->diam_um = allocate_values(alignment, n, 0.0);
  host->area_um2 = allocate_values(alignment, n, 0.0);
  if (!host->vec_v || !host->vec_i || !host->vec_g || !host->temperature_degC || !host->diam_um ||
      !host->area_um2)
    return fail(host, "out of memory allocating the shared state");
  memcpy(host->temperature_degC, host->cv_temperature, n * sizeof(double));
  memcpy(host->diam_um, host->cv_diam, n * sizeof(double));
  memcpy(host->area_um2, host->cv_area, n * sizeof(double));

  if (build_ion_arrays(host)) return -1;

  /* Post-event support exists only when a point mechanism asks for it (3.4). One cell: every
   * CV belongs to cell 0, and time_since_spike has one entry per detector. */
  for (uint32_t k = 0; k < host->n_placements; ++k) {
    const placement* p = &host->placements[k];
    if (p->in_group && p->kind == arb_mechanism_kind_point && type_of(host, p)->has_post_events)
      host->post_events = true;
  }
  if (host->post_events) {
    host->vec_ci = aligned_allocate(alignment, n * sizeof(arb_index_type));
    host->time_since_spike =
        allocate_values(alignment, host->n_detectors ? host->n_detectors : 1, -1.0);
    if (!host->vec_ci || !host->time_since_spike) return fail(host, "out of memory");
    memset(host->vec_ci, 0, n * sizeof(arb_index_type));
  }

  if (build_lists(host)) return -1;
  for (uint32_t k = 0; k < host->n_placements; ++k)
    if (host->placements[k].in_group && build_mechanism(host, &host->placements[k])) return -1;
  for (uint32_t k = 0; k < host->n_probes; ++k)
    if (resolve_probe(host, &host->probes[k], k + 1)) return -1;
  return 0;
}
