/*
 * bench/simd.ts's driver: the cost of one mechanism's hooks alone, without a host around them.
 * Loads an ABI 0.7 catalogue, lays out one instance per CV (node_index k, one ion entry per CV,
 * as a density mechanism everywhere), runs init, then `steps` times compute_currents +
 * advance_state, and prints ns per instance and step. Under callgrind, run_steps is the
 * function to count (--toggle-collect=run_steps).
 *
 *   hook_driver <catalogue.so> <mechanism> <width> <steps>
 */
#define _POSIX_C_SOURCE 200112L
#include "arbor_abi.h"

#include <dlfcn.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double* values(size_t n, double fill) {
  double* p = NULL;
  if (posix_memalign((void**)&p, 64, (n ? n : 1) * sizeof *p) != 0) exit(3);
  for (size_t k = 0; k < n; ++k) p[k] = fill;
  return p;
}

/* Not inlined, so that callgrind can count exactly the hooks of the timed steps. */
__attribute__((noinline)) void run_steps(const arb_mechanism_interface* iface, arb_mechanism_ppack* pp,
                                         int steps) {
  for (int s = 0; s < steps; ++s) {
    iface->compute_currents(pp);
    iface->advance_state(pp);
  }
}

int main(int argc, char** argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: hook_driver <catalogue.so> <mechanism> <width> <steps>\n");
    return 2;
  }
  const int width = atoi(argv[3]), steps = atoi(argv[4]);
  void* library = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
  if (!library) {
    fprintf(stderr, "dlopen: %s\n", dlerror());
    return 2;
  }
  void* symbol = dlsym(library, "get_catalogue");
  arb_get_catalogue get_catalogue;
  memcpy(&get_catalogue, &symbol, sizeof get_catalogue);
  int count = -1;
  const arb_mechanism* records = get_catalogue(&count);
  if (!records) return 2;
  int found = -1;
  for (int k = 0; k < count; ++k) {
    if (strcmp(records[k].type().name, argv[2]) == 0) found = k;
  }
  if (found < 0) {
    fprintf(stderr, "no mechanism %s\n", argv[2]);
    return 2;
  }
  const arb_mechanism_type type = records[found].type();
  const arb_mechanism_interface* iface = records[found].i_cpu();

  arb_mechanism_ppack pp;
  memset(&pp, 0, sizeof pp);
  pp.width = (arb_size_type)width;
  pp.dt = 0.025;
  pp.vec_v = values(width, -65.0);
  for (int k = 0; k < width; ++k) pp.vec_v[k] = -65.0 + 30.0 * sin(0.01 * k); /* varied voltages */
  pp.vec_i = values(width, 0.0);
  pp.vec_g = values(width, 0.0);
  pp.temperature_degC = values(width, 6.3);
  pp.diam_um = values(width, 6.0);
  pp.area_um2 = values(width, 113.1);
  pp.weight = values(width, 1.0);
  pp.node_index = malloc(width * sizeof(arb_index_type));
  for (int k = 0; k < width; ++k) pp.node_index[k] = k;
  pp.parameters = malloc((type.n_parameters + 1) * sizeof(double*));
  for (arb_size_type j = 0; j < type.n_parameters; ++j) {
    pp.parameters[j] = values(width, type.parameters[j].default_value);
  }
  pp.state_vars = malloc((type.n_state_vars + 1) * sizeof(double*));
  for (arb_size_type j = 0; j < type.n_state_vars; ++j) pp.state_vars[j] = values(width, 0.0);
  pp.globals = values(type.n_globals, 0.0);
  for (arb_size_type j = 0; j < type.n_globals; ++j) pp.globals[j] = type.globals[j].default_value;
  arb_ion_state_v07* ions = calloc(type.n_ions + 1, sizeof *ions);
  const arb_ion_info_v07* info = type.ions;
  for (arb_size_type j = 0; j < type.n_ions; ++j) {
    const double reversal = strcmp(info[j].name, "na") == 0 ? 50.0 : strcmp(info[j].name, "k") == 0 ? -77.0 : 0.0;
    ions[j].current_density = values(width, 0.0);
    ions[j].reversal_potential = values(width, reversal);
    ions[j].internal_concentration = values(width, 10.0);
    ions[j].external_concentration = values(width, 140.0);
    ions[j].diffusive_concentration = values(width, 10.0);
    ions[j].ionic_charge = values(1, 1.0);
    ions[j].index = malloc(width * sizeof(arb_index_type));
    for (int k = 0; k < width; ++k) ions[j].index[k] = k;
  }
  pp.ion_states = ions;

  iface->init_mechanism(&pp);
  run_steps(iface, &pp, steps > 10 ? 10 : steps); /* warm the caches */
  struct timespec start, end;
  clock_gettime(CLOCK_MONOTONIC, &start);
  run_steps(iface, &pp, steps);
  clock_gettime(CLOCK_MONOTONIC, &end);
  const double ns = (end.tv_sec - start.tv_sec) * 1e9 + (end.tv_nsec - start.tv_nsec);
  double checksum = 0.0;
  for (int k = 0; k < width; ++k) checksum += pp.vec_i[k];
  printf("{\"ns_per_instance_step\": %.6g, \"checksum\": %.17g}\n", ns / ((double)steps * width), checksum);
  return 0;
}
