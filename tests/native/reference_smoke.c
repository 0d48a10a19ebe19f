/*
 * reference_smoke.c — runs every mechanism of the hand-written reference catalogue
 * (c/reference.c) on the native host, for the sanitizer build (see run_sanitized.sh).
 *
 *   reference_smoke <libreference.so> <6|7>
 */
#include <stdio.h>
#include <stdlib.h>

#include "host.h"

int main(int argc, char** argv) {
  if (argc != 3) return 2;
  uint32_t abi = (uint32_t)atoi(argv[2]);
  denocat_host* host = host_create(abi);
  int ok = host_load_catalogue(host, argv[1]) == 4;
  const double area[4] = {113.1, 113.1, 200, 50}, diam[4] = {6, 6, 6, 6}, cm[4] = {0.01, 0.01, 0.01, 0.01},
               celsius[4] = {6.3, 6.3, 20, 6.3}, v0[4] = {-65, -65, -65, -65};
  ok = ok && host_set_cvs(host, 4, area, diam, cm, celsius, v0) == 0;
  ok = ok && host_add_ion(host, "na", 1, 10, 140, 50) >= 0 && host_add_ion(host, "k", 1, 54.4, 2.5, -77) >= 0;
  const uint32_t hh_cvs[3] = {0, 2, 3}, pas_cvs[2] = {1, 3}, empty_cvs[1] = {1}, syn_cvs[2] = {1, 3};
  ok = ok && host_place(host, "hh", 3, hh_cvs, NULL, NULL) >= 0;
  ok = ok && host_place(host, "pas", 2, pas_cvs, NULL, NULL) >= 0;
  ok = ok && host_place(host, "empty", 1, empty_cvs, NULL, NULL) >= 0;
  int32_t syn = host_place(host, "expsyn", 2, syn_cvs, NULL, NULL);
  ok = ok && syn >= 0 && host_add_event(host, syn, 0, 5, 0.01f) >= 0 && host_add_event(host, syn, 1, 6, 0.02f) >= 0;
  ok = ok && host_add_iclamp(host, 0, 2, 40, 0.05) >= 0 && host_add_detector(host, 0, -10) >= 0;
  ok = ok && host_add_probe(host, HOST_PROBE_ION, -1, "na.i", 0) == 1;
  static double samples[2001 * 2];
  ok = ok && host_run(host, 50, 0.025, samples, 2001) == 2000;
  if (!ok) fprintf(stderr, "reference_smoke: %s\n", host_error(host));
  uint32_t spikes = host_spike_count(host);
  if (ok && spikes < 2) {
    fprintf(stderr, "reference_smoke: hh under a 0.05 nA clamp spiked %u times\n", spikes);
    ok = 0;
  }
  host_destroy(host);
  if (ok) printf("reference_smoke: ABI 0.%u ok (%u spikes)\n", abi, spikes);
  return ok ? 0 : 1;
}
