/*
 * create.c (native test host): Creating and destroying a host, and its error message.
 * See ../host.h for the API and internal.h for the shared data.
 */
#include "internal.h"

/* ============================================================================================ */
/* Creation, destruction, errors                                                                 */

denocat_host* host_create(uint32_t abi) {
  if (abi != 6 && abi != 7) return NULL; /* no host, so no error slot: NULL means bad ABI */
  denocat_host* host = calloc(1, sizeof *host);
  if (host == NULL) return NULL;
  host->abi = abi;
  host->coalesce = true; /* Arbor's default */
  return host;
}

/* free() and forget: the instantiation can be rebuilt, and freed twice never. */
#define RELEASE(pointer) (free((void*)(pointer)), (pointer) = NULL)

/* Frees everything host_instantiate built; the configuration (placements etc.) stays. */
void free_instantiation(denocat_host* host) {
  for (uint32_t k = 0; k < host->n_placements; ++k) {
    placement* p = &host->placements[k];
    RELEASE(p->instance_of);
    RELEASE(p->given_of);
    RELEASE(p->merged);
    RELEASE(p->instance_cv);
    RELEASE(p->species_of);
    RELEASE(p->value_block);
    RELEASE(p->index_block);
    RELEASE(p->parameter_arrays);
    RELEASE(p->state_arrays);
    RELEASE(p->ion_states);
    RELEASE(p->random_slots);
    RELEASE(p->random_streams);
    p->in_group = false;
    p->width = 0;
    memset(&p->pp, 0, sizeof p->pp);
  }
  for (uint32_t k = 0; k < host->n_ions; ++k) {
    ion_species* ion = &host->ions[k];
    free(ion->support);
    free(ion->iX);
    free(ion->gX);
    free(ion->eX);
    free(ion->Xi);
    free(ion->Xo);
    free(ion->Xd);
    free(ion->charge);
    free(ion->Xi_masked);
    free(ion->Xo_masked);
    char* name = ion->name;
    int32_t valence = ion->valence;
    double internal = ion->internal_mM, external = ion->external_mM, reversal = ion->reversal_mV;
    memset(ion, 0, sizeof *ion);
    ion->name = name;
    ion->valence = valence;
    ion->internal_mM = internal;
    ion->external_mM = external;
    ion->reversal_mV = reversal;
  }
  for (uint32_t k = 0; k < host->n_probes; ++k) host->probes[k].source = NULL;
  free(host->vec_v);
  free(host->vec_i);
  free(host->vec_g);
  free(host->temperature_degC);
  free(host->diam_um);
  free(host->area_um2);
  free(host->vec_ci);
  free(host->time_since_spike);
  free(host->list_m);
  free(host->list_r);
  free(host->list_v);
  host->vec_v = host->vec_i = host->vec_g = NULL;
  host->temperature_degC = host->diam_um = host->area_um2 = NULL;
  host->vec_ci = NULL;
  host->time_since_spike = NULL;
  host->list_m = host->list_r = host->list_v = NULL;
  host->n_m = host->n_r = host->n_v = 0;
  host->post_events = false;
  host->instantiated = false;
}

void host_destroy(denocat_host* host) {
  if (host == NULL) return;
  if (host->driving) { /* from a hook: the running step would use freed memory; keep it alive */
    fail(host, "host_destroy was called from inside a mechanism hook; the host was not freed");
    return;
  }
  free_instantiation(host);
  free(host->cv_area);
  free(host->cv_diam);
  free(host->cv_cm);
  free(host->cv_temperature);
  free(host->cv_v_init);
  for (uint32_t k = 0; k < host->n_ions; ++k) free(host->ions[k].name);
  free(host->ions);
  for (uint32_t k = 0; k < host->n_placements; ++k) {
    placement* p = &host->placements[k];
    const arb_mechanism_type* type = type_of(host, p);
    free(p->name);
    free(p->cvs);
    free(p->weights);
    free(p->peers);
    if (p->ion_binding)
      for (uint32_t j = 0; j < type->n_ions; ++j) free(p->ion_binding[j]);
    free(p->ion_binding);
    free(p->globals);
    if (p->parameter_values)
      for (uint32_t j = 0; j < type->n_parameters; ++j) free(p->parameter_values[j]);
    free(p->parameter_values);
    free(p->events);
  }
  free(host->placements);
  /* Catalogue libraries are never dlclose'd, as in Arbor: their tables must outlive us. */
  for (uint32_t k = 0; k < host->n_mechanisms; ++k) free(host->mechanisms[k].catalogue_path);
  free(host->mechanisms);
  free(host->iclamps);
  free(host->vclamps);
  free(host->detectors);
  for (uint32_t k = 0; k < host->n_probes; ++k) free(host->probes[k].name);
  free(host->probes);
  free(host->spikes);
  free(host->due);
  free(host->deliverable);
  free(host);
}

const char* host_error(const denocat_host* host) {
  return host ? host->error : "no host (host_create returns NULL for an ABI other than 6 or 7)";
}
