/*
 * step.c (native test host): Reset, stepping and the public driving functions (4.1-4.2), and hooks on a foreign thread.
 * See ../host.h for the API and internal.h for the shared data.
 */
#include "internal.h"

/* ============================================================================================ */
/* Reset (4.1) and stepping (4.2)                                                                */

typedef enum method {
  METHOD_INIT,
  METHOD_COMPUTE_CURRENTS,
  METHOD_ADVANCE_STATE,
  METHOD_WRITE_IONS,
  METHOD_POST_EVENT,
} method;

static void call(denocat_host* host, placement* p, method m) {
  const arb_mechanism_interface* iface = interface_of(host, p);
  switch (m) {
    case METHOD_INIT: iface->init_mechanism(&p->pp); break;
    case METHOD_COMPUTE_CURRENTS: iface->compute_currents(&p->pp); break;
    case METHOD_ADVANCE_STATE:
      refresh_random_numbers(host, p);
      iface->advance_state(&p->pp);
      break;
    case METHOD_WRITE_IONS: iface->write_ions(&p->pp); break;
    case METHOD_POST_EVENT: iface->post_event(&p->pp); break;
  }
}

static void call_each(denocat_host* host, const uint32_t* list, uint32_t n, method m) {
  for (uint32_t k = 0; k < n; ++k) call(host, &host->placements[list[k]], m);
}

static void zero_currents(denocat_host* host) {
  fill(host->vec_i, host->n_cv, 0.0);
  fill(host->vec_g, host->n_cv, 0.0);
  for (uint32_t s = 0; s < host->n_ions; ++s) {
    ion_species* ion = &host->ions[s];
    if (ion->iX) fill(ion->iX, ion->n_support, 0.0);
    if (ion->gX) fill(ion->gX, ion->n_support, 0.0);
  }
}

/* Xi and Xo of written ions back to their masked initial values, before write_ions (5.4). */
static void reset_written_concentrations(denocat_host* host) {
  for (uint32_t s = 0; s < host->n_ions; ++s) {
    ion_species* ion = &host->ions[s];
    if (ion->Xi_masked && ion->Xi) memcpy(ion->Xi, ion->Xi_masked, ion->n_support * sizeof(double));
    if (ion->Xo_masked && ion->Xo) memcpy(ion->Xo, ion->Xo_masked, ion->n_support * sizeof(double));
  }
}

static bool window_contains(const clamp* c, double t) {
  return c->t_start <= t && t < c->t_start + c->duration;
}

static void apply_voltage_clamps(denocat_host* host, double t) {
  for (uint32_t k = 0; k < host->n_vclamps; ++k)
    if (window_contains(&host->vclamps[k], t))
      host->vec_v[host->vclamps[k].cv] = host->vclamps[k].value;
}

static void reset_group(denocat_host* host) {
  /* 1. Shared state. */
  memcpy(host->vec_v, host->cv_v_init, host->n_cv * sizeof(double));
  fill(host->vec_i, host->n_cv, 0.0);
  fill(host->vec_g, host->n_cv, 0.0);
  host->time = 0.0;
  if (host->time_since_spike)
    fill(host->time_since_spike, host->n_detectors ? host->n_detectors : 1, -1.0);
  for (uint32_t s = 0; s < host->n_ions; ++s) {
    ion_species* ion = &host->ions[s];
    size_t n = ion->n_support;
    if (n == 0) continue;
    fill(ion->iX, n, 0.0);
    if (ion->gX) fill(ion->gX, n, 0.0);
    if (ion->writes_Xi && ion->Xi) fill(ion->Xi, n, ion->internal_mM);
    if (ion->writes_Xo && ion->Xo) fill(ion->Xo, n, ion->external_mM);
    if (ion->writes_eX && ion->eX) fill(ion->eX, n, ion->reversal_mV);
    if (ion->Xd) fill(ion->Xd, n, ion->internal_mM);
  }
  host->n_spikes = 0;
  apply_voltage_clamps(host, 0.0);
  for (uint32_t k = 0; k < host->n_placements; ++k) {
    placement* p = &host->placements[k];
    if (p->in_group && p->random_slots) p->pp.random_numbers = p->random_slots; /* slot 0 */
  }

  /* 2. First init round: V, R, M. */
  call_each(host, host->list_v, host->n_v, METHOD_INIT);
  call_each(host, host->list_r, host->n_r, METHOD_INIT);
  call_each(host, host->list_m, host->n_m, METHOD_INIT);
  /* 3. Ion update. */
  reset_written_concentrations(host);
  call_each(host, host->list_m, host->n_m, METHOD_WRITE_IONS);
  /* 4. Zero currents. */
  zero_currents(host);
  /* 5. Second init round: R, M, V. */
  call_each(host, host->list_r, host->n_r, METHOD_INIT);
  call_each(host, host->list_m, host->n_m, METHOD_INIT);
  call_each(host, host->list_v, host->n_v, METHOD_INIT);
  /* 6. Arm the detectors (after any clamp holds the voltage). */
  apply_voltage_clamps(host, 0.0);
  for (uint32_t d = 0; d < host->n_detectors; ++d)
    host->detectors[d].v_previous = host->vec_v[host->detectors[d].cv];
}

static int compare_event_time(const void* a, const void* b) {
  const host_event* x = a;
  const host_event* y = b;
  if (x->t != y->t) return x->t < y->t ? -1 : 1;
  return x->sequence < y->sequence ? -1 : x->sequence > y->sequence;
}

static int compare_due(const void* a, const void* b) {
  const due_event* x = a;
  const due_event* y = b;
  if (x->instance != y->instance) return x->instance < y->instance ? -1 : 1;
  if (x->t != y->t) return x->t < y->t ? -1 : 1;
  if (x->weight != y->weight) return x->weight < y->weight ? -1 : 1;
  return 0;
}

/* Delivers the events of [t_begin, t_end) to one point mechanism, sorted by (instance, time,
 * weight) as Arbor 0.11 does, only if there is at least one (4.2 step 6). */
static int32_t deliver_events(denocat_host* host, placement* p, double t_begin, double t_end) {
  if (p->n_events == 0) return 0;
  uint32_t low = 0, high = p->n_events; /* first event with t >= t_begin */
  while (low < high) {
    uint32_t middle = low + (high - low) / 2;
    if (p->events[middle].t < t_begin)
      low = middle + 1;
    else
      high = middle;
  }
  uint32_t count = 0;
  while (low + count < p->n_events && p->events[low + count].t < t_end) ++count;
  if (count == 0) return 0;
  if (count > host->due_capacity) {
    due_event* due = realloc(host->due, (size_t)count * sizeof *due);
    if (due) host->due = due;
    arb_deliverable_event_data* deliverable =
        realloc(host->deliverable, (size_t)count * sizeof *deliverable);
    if (deliverable) host->deliverable = deliverable;
    if (!due || !deliverable) return fail(host, "out of memory delivering events");
    host->due_capacity = count;
  }
  for (uint32_t k = 0; k < count; ++k) {
    const host_event* e = &p->events[low + k];
    host->due[k] =
        (due_event){.instance = p->instance_of[e->instance], .weight = e->weight, .t = e->t};
  }
  qsort(host->due, count, sizeof *host->due, compare_due);
  for (uint32_t k = 0; k < count; ++k)
    host->deliverable[k] = (arb_deliverable_event_data){
        .mech_index = host->due[k].instance, .weight = host->due[k].weight};
  /* A temporary stream, valid only during the call. */
  arb_deliverable_event_stream stream = {host->deliverable, host->deliverable + count};
  interface_of(host, p)->apply_events(&p->pp, &stream);
  return 0;
}

static int32_t record_spike(denocat_host* host, double t, uint32_t detector_index) {
  if (RESERVE(host->spikes, host->spikes_capacity, (uint64_t)host->n_spikes + 1))
    return fail(host, "out of memory recording spikes");
  host->spikes[host->n_spikes++] = (spike){.t = t, .detector = detector_index};
  return 0;
}

/* One step [t_begin, t_end) in the order of 4.2. `row` receives the sample, or is NULL. */
static int32_t step(denocat_host* host, double t_begin, double t_end, double* row) {
  double dt = t_end - t_begin;
  /* 1-2. dt into every mechanism. */
  for (uint32_t k = 0; k < host->n_placements; ++k)
    if (host->placements[k].in_group) host->placements[k].pp.dt = dt;
  /* 3. Reversal potentials, before the currents are zeroed. */
  call_each(host, host->list_r, host->n_r, METHOD_COMPUTE_CURRENTS);
  /* 4. Zero currents. */
  zero_currents(host);
  /* 5-6. Events, then currents, mechanism by mechanism. */
  for (uint32_t k = 0; k < host->n_m; ++k) {
    placement* p = &host->placements[host->list_m[k]];
    if (deliver_events(host, p, t_begin, t_end)) return -1;
    call(host, p, METHOD_COMPUTE_CURRENTS);
  }
  /* 7. Current clamps (nA over the CV area, in A/m^2; depolarising is negative current), then
   *    the sample. */
  for (uint32_t k = 0; k < host->n_iclamps; ++k) {
    const clamp* c = &host->iclamps[k];
    if (window_contains(c, t_begin))
      host->vec_i[c->cv] -= c->value * 1000.0 / host->area_um2[c->cv];
  }
  if (row) {
    row[0] = t_begin;
    for (uint32_t k = 0; k < host->n_probes; ++k) row[k + 1] = *host->probes[k].source;
  }
  /* 8. Cable solve, one isolated compartment per CV (linearised implicit Euler). */
  for (uint32_t cv = 0; cv < host->n_cv; ++cv) {
    double area = host->area_um2[cv];
    double capacitance = host->cv_cm[cv] * area; /* pF */
    double diagonal = capacitance / dt + area * host->vec_g[cv];
    host->vec_v[cv] = (diagonal * host->vec_v[cv] - area * host->vec_i[cv]) / diagonal;
  }
  /* 9. State updates. */
  call_each(host, host->list_m, host->n_m, METHOD_ADVANCE_STATE);
  /* 10. Ion update. */
  reset_written_concentrations(host);
  call_each(host, host->list_m, host->n_m, METHOD_WRITE_IONS);
  /* 11. Voltage processes; then voltage clamps hold their CVs. */
  call_each(host, host->list_v, host->n_v, METHOD_COMPUTE_CURRENTS);
  call_each(host, host->list_v, host->n_v, METHOD_ADVANCE_STATE);
  apply_voltage_clamps(host, t_begin);
  /* 12. Threshold detection: upward crossings, timed by linear interpolation. */
  if (host->time_since_spike) fill(host->time_since_spike, host->n_detectors, -1.0);
  for (uint32_t d = 0; d < host->n_detectors; ++d) {
    detector* det = &host->detectors[d];
    double v_before = det->v_previous, v_after = host->vec_v[det->cv];
    if (v_before < det->threshold && v_after >= det->threshold) {
      double t_cross = t_begin + dt * (det->threshold - v_before) / (v_after - v_before);
      if (host->time_since_spike) host->time_since_spike[d] = t_end - t_cross;
      if (record_spike(host, t_cross, d)) return -1;
    }
    det->v_previous = v_after;
  }
  /* 13. Post events, for every M, only when a point mechanism asked for them. */
  if (host->post_events) call_each(host, host->list_m, host->n_m, METHOD_POST_EVENT);
  /* 14. */
  host->time = t_end;
  return 0;
}

/* ============================================================================================ */
/* Public driving functions                                                                      */

/* Refuses a driving call made from inside a mechanism hook of this host. */
static int32_t check_not_driving(denocat_host* host, const char* what) {
  if (host->driving)
    return fail(host, "%s was called from inside a mechanism hook while this host was running it; "
                "a hook must not run, reset or instantiate the host", what);
  return 0;
}

static int32_t instantiate(denocat_host* host) {
  if (host->instantiated) return fail(host, "host_instantiate: the group is already built");
  if (!host->cvs_set) return fail(host, "host_instantiate: call host_set_cvs first");
  if (build_group(host)) {
    free_instantiation(host); /* leaves the error message alone */
    return -1;
  }
  host->instantiated = true;
  reset_group(host);
  return 0;
}

int32_t host_instantiate(denocat_host* host) {
  if (host == NULL) return -1;
  if (check_not_driving(host, "host_instantiate")) return -1;
  host->driving = true;
  int32_t result = instantiate(host);
  host->driving = false;
  return result;
}

int32_t host_reset(denocat_host* host) {
  if (host == NULL) return -1;
  if (check_not_driving(host, "host_reset")) return -1;
  if (!host->instantiated) return fail(host, "host_reset: call host_instantiate first");
  host->driving = true;
  reset_group(host);
  host->driving = false;
  return 0;
}

static int32_t run(denocat_host* host, double t_end, double dt, double* samples,
                   uint32_t capacity_rows);

int32_t host_run(denocat_host* host, double t_end, double dt, double* samples,
                 uint32_t capacity_rows) {
  if (host == NULL) return -1;
  if (check_not_driving(host, "host_run")) return -1;
  host->driving = true;
  int32_t result = run(host, t_end, dt, samples, capacity_rows);
  host->driving = false;
  return result;
}

static int32_t run(denocat_host* host, double t_end, double dt, double* samples,
                   uint32_t capacity_rows) {
  if (!isfinite(dt) || !(dt > 0)) return fail(host, "host_run: dt = %g ms must be positive", dt);
  if (!isfinite(t_end)) return fail(host, "host_run: t_end = %g ms is not finite", t_end);
  if (capacity_rows > 0 && samples == NULL)
    return fail(host, "host_run: samples is NULL but capacity_rows is %u", capacity_rows);
  /* "Resets first when needed": a group that was never built is built (and so initialised). */
  if (!host->instantiated && instantiate(host)) return -1;
  if (t_end < host->time)
    return fail(host, "host_run: t_end = %g ms is before the current time %g ms (host_reset starts "
                "over at 0)", t_end, host->time);
  if ((t_end - host->time) / dt > (double)INT32_MAX - 2)
    return fail(host, "host_run: %g ms in steps of %g ms is more than %d steps", t_end - host->time,
                dt, INT32_MAX - 2);
  for (uint32_t k = 0; k < host->n_placements; ++k) {
    placement* p = &host->placements[k];
    if (!p->events_sorted) {
      qsort(p->events, p->n_events, sizeof *p->events, compare_event_time);
      p->events_sorted = true;
    }
  }
  /* Steps as Arbor's timestep_range lays out one epoch [t0, t_end): step i is
   * [t0 + i*dt, t0 + (i+1)*dt), computed by multiplication (not by accumulation, whose rounding
   * would move a clamp edge or an event by one step), and the last step ends exactly at t_end.
   * m = floor((t_end - t0)/dt) steps suffice when m*dt falls short of the interval by no more than
   * about m rounding errors; then the last step is minimally longer than dt instead of adding a
   * tiny one. The host has no network, so one host_run is one epoch. */
  const double t0 = host->time;
  const double delta = t_end > t0 ? t_end - t0 : 0.0;
  const uint32_t m = (uint32_t)(delta / dt);
  const uint32_t n = (double)m * dt + DBL_EPSILON * t_end * (double)m >= delta ? m : m + 1;
  size_t columns = 1 + (size_t)host->n_probes;
  int32_t steps = 0;
  for (uint32_t i = 0; i < n; ++i) {
    double t_begin = t0 + (double)i * dt;
    double t_next = i + 1 >= n ? t_end : t0 + (double)(i + 1) * dt;
    if (!(t_next > t_begin))
      return fail(host, "host_run: dt = %g ms is too small to advance time at t = %g ms", dt,
                  t_begin);
    double* row = (uint32_t)steps < capacity_rows ? samples + (size_t)steps * columns : NULL;
    if (step(host, t_begin, t_next, row)) return -1;
    ++steps;
  }
  host->time = t_end > t0 ? t_end : t0;
  return steps;
}

double host_time(const denocat_host* host) { return host ? host->time : NAN; }

uint32_t host_probe_count(const denocat_host* host) { return host ? host->n_probes : 0; }

uint32_t host_spike_count(const denocat_host* host) { return host ? host->n_spikes : 0; }

/* Copies up to `capacity` spikes in detection order (step by step; within a step by detector);
 * either output array may be NULL. Returns the number copied. */
int32_t host_spikes(const denocat_host* host, double* times_ms, uint32_t* detectors,
                    uint32_t capacity) {
  if (host == NULL) return -1;
  uint32_t count = host->n_spikes < capacity ? host->n_spikes : capacity;
  if (count > INT32_MAX) count = INT32_MAX;
  for (uint32_t k = 0; k < count; ++k) {
    if (times_ms) times_ms[k] = host->spikes[k].t;
    if (detectors) detectors[k] = host->spikes[k].detector;
  }
  return (int32_t)count;
}

/* ============================================================================================ */
/* Calling a hook from a foreign thread                                                          */

typedef struct hook_call {
  const arb_mechanism_interface* iface;
  arb_mechanism_ppack* pp;
  uint32_t hook;
} hook_call;

static void* run_hook(void* argument) {
  const hook_call* c = argument;
  /* apply_events gets an empty but valid stream (begin == end, pointing at a real record). */
  static const arb_deliverable_event_data no_event = {0, 0.0f};
  arb_deliverable_event_stream empty = {&no_event, &no_event};
  switch (c->hook) {
    case HOST_HOOK_INIT: c->iface->init_mechanism(c->pp); break;
    case HOST_HOOK_COMPUTE_CURRENTS: c->iface->compute_currents(c->pp); break;
    case HOST_HOOK_APPLY_EVENTS: c->iface->apply_events(c->pp, &empty); break;
    case HOST_HOOK_ADVANCE_STATE: c->iface->advance_state(c->pp); break;
    case HOST_HOOK_WRITE_IONS: c->iface->write_ions(c->pp); break;
    case HOST_HOOK_POST_EVENT: c->iface->post_event(c->pp); break;
    default: break;
  }
  return NULL;
}

int32_t host_call_hook_on_thread(denocat_host* host, int32_t placement_id, uint32_t hook) {
  if (host == NULL) return -1;
  if (check_placement(host, placement_id, "host_call_hook_on_thread")) return -1;
  if (hook >= DENOCAT_HOOK_COUNT)
    return fail(host, "host_call_hook_on_thread: unknown hook %u (0 init .. %d post_event)", hook,
                DENOCAT_HOOK_COUNT - 1);
  if (!host->instantiated)
    return fail(host, "host_call_hook_on_thread: call host_instantiate first");
  placement* p = &host->placements[placement_id];
  if (!p->in_group)
    return fail(host, "host_call_hook_on_thread: '%s' has no instances in this group", p->name);
  hook_call c = {.iface = interface_of(host, p), .pp = &p->pp, .hook = hook};
  pthread_t thread;
  int error = pthread_create(&thread, NULL, run_hook, &c);
  if (error != 0)
    return fail(host, "host_call_hook_on_thread: pthread_create failed: %s", strerror(error));
  error = pthread_join(thread, NULL);
  if (error != 0)
    return fail(host, "host_call_hook_on_thread: pthread_join failed: %s", strerror(error));
  return 0;
}
