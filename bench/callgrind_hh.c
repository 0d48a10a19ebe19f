/*
 * callgrind_hh.c — the driver of bench/callgrind.ts: one host, `hh` on every one of N CVs from
 * the catalogue at argv[1], run for `steps` steps. callgrind counts only the instructions of the
 * hh hooks (--toggle-collect), so the host's own work is left out of the comparison.
 *
 *   callgrind_hh <catalogue.so> <cvs> <steps>
 */
#include <stdio.h>
#include <stdlib.h>

#include "host.h"

int main(int argc, char** argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: %s <catalogue.so> <cvs> <steps>\n", argv[0]);
    return 2;
  }
  const unsigned n = (unsigned)atoi(argv[2]);
  const int steps = atoi(argv[3]);
  denocat_host* host = host_create(7);
  double* area = malloc(n * sizeof(double));
  double* diam = malloc(n * sizeof(double));
  double* cm = malloc(n * sizeof(double));
  double* temperature = malloc(n * sizeof(double));
  double* v = malloc(n * sizeof(double));
  unsigned* cvs = malloc(n * sizeof(unsigned));
  for (unsigned k = 0; k < n; ++k) {
    area[k] = 2 * 3.141592653589793 * 3 * 6;
    diam[k] = 6;
    cm[k] = 0.01;
    temperature[k] = 6.3;
    v[k] = -65;
    cvs[k] = k;
  }
  int ok = host && host_load_catalogue(host, argv[1]) >= 0 &&
           host_set_cvs(host, n, area, diam, cm, temperature, v) >= 0 &&
           host_add_ion(host, "na", 1, 10, 140, 50) >= 0 && host_add_ion(host, "k", 1, 54.4, 2.5, -77) >= 0 &&
           host_place(host, "hh", n, cvs, NULL, NULL) >= 0 && host_add_iclamp(host, 0, 0, 1e9, 0.05) >= 0 &&
           host_run(host, steps * 0.025, 0.025, NULL, 0) == steps;
  if (!ok) {
    fprintf(stderr, "callgrind_hh: %s\n", host ? host_error(host) : "host_create failed");
    return 1;
  }
  host_destroy(host);
  return 0;
}
