/*
 * stimuli.c (native test host): Current and voltage clamps, spike detectors, events and probes.
 * See ../host.h for the API and internal.h for the shared data.
 */
#include "internal.h"

/* ============================================================================================ */
/* Stimuli, detectors, events, probes                                                            */

static int32_t add_clamp(denocat_host* host, clamp** list, uint32_t* count, uint32_t* capacity,
                         const char* what, uint32_t cv, double t_start, double duration,
                         double value) {
  if (check_cv(host, cv, what)) return -1;
  if (!isfinite(t_start) || !isfinite(duration) || duration < 0)
    return fail(host, "%s: start %g ms and duration %g ms must be finite, duration >= 0", what,
                t_start, duration);
  if (!isfinite(value)) return fail(host, "%s: value %g is not finite", what, value);
  if (reserve((void**)list, capacity, (uint64_t)*count + 1, sizeof **list))
    return fail(host, "out of memory in %s", what);
  (*list)[*count] = (clamp){.cv = cv, .t_start = t_start, .duration = duration, .value = value};
  return (int32_t)(*count)++;
}

int32_t host_add_iclamp(denocat_host* host, uint32_t cv, double t_start_ms, double duration_ms,
                        double amplitude_nA) {
  if (host == NULL) return -1;
  return add_clamp(host, &host->iclamps, &host->n_iclamps, &host->iclamps_capacity,
                   "host_add_iclamp", cv, t_start_ms, duration_ms, amplitude_nA);
}

int32_t host_add_vclamp(denocat_host* host, uint32_t cv, double t_start_ms, double duration_ms,
                        double v_mV) {
  if (host == NULL) return -1;
  return add_clamp(host, &host->vclamps, &host->n_vclamps, &host->vclamps_capacity,
                   "host_add_vclamp", cv, t_start_ms, duration_ms, v_mV);
}

int32_t host_add_detector(denocat_host* host, uint32_t cv, double threshold_mV) {
  if (host == NULL) return -1;
  /* time_since_spike is sized by the detector count when the group is built. */
  if (check_not_instantiated(host, "host_add_detector")) return -1;
  if (check_cv(host, cv, "host_add_detector")) return -1;
  if (!isfinite(threshold_mV))
    return fail(host, "host_add_detector: threshold %g mV is not finite", threshold_mV);
  if (RESERVE(host->detectors, host->detectors_capacity, (uint64_t)host->n_detectors + 1))
    return fail(host, "out of memory in host_add_detector");
  host->detectors[host->n_detectors] = (detector){.cv = cv, .threshold = threshold_mV};
  return (int32_t)host->n_detectors++;
}

int32_t host_add_event(denocat_host* host, int32_t placement_id, uint32_t instance, double t_ms,
                       float weight) {
  if (host == NULL) return -1;
  if (check_placement(host, placement_id, "host_add_event")) return -1;
  placement* p = &host->placements[placement_id];
  if (p->kind != arb_mechanism_kind_point)
    return fail(host, "host_add_event('%s'): events go to point mechanisms only, but this is a %s "
                "mechanism", p->name, kind_name(p->kind));
  if (instance >= p->n)
    return fail(host, "host_add_event('%s'): instance %u is out of range (%u instances)", p->name,
                instance, p->n);
  if (!isfinite(t_ms) || t_ms < 0)
    return fail(host, "host_add_event('%s'): time %g ms must be finite and >= 0", p->name, t_ms);
  if (!isfinite(weight))
    return fail(host, "host_add_event('%s'): weight %g is not finite", p->name, (double)weight);
  if (host->instantiated && t_ms < host->time)
    return fail(host, "host_add_event('%s'): time %g ms is before the current time %g ms, so the "
                "event would never be delivered (host_reset starts over at 0)", p->name, t_ms,
                host->time);
  if (RESERVE(p->events, p->events_capacity, (uint64_t)p->n_events + 1))
    return fail(host, "out of memory in host_add_event");
  p->events[p->n_events++] = (host_event){
      .instance = instance, .weight = weight, .t = t_ms, .sequence = host->event_sequence++};
  p->events_sorted = false;
  return 0;
}

typedef enum ion_field { ION_I, ION_E, ION_INT, ION_EXT, ION_DIFF, ION_G, ION_UNKNOWN } ion_field;

/* Splits "<ion>.<field>" at its last dot; returns the field, and the ion name length. */
static ion_field parse_ion_probe(const char* name, size_t* ion_length) {
  const char* dot = strrchr(name, '.');
  if (dot == NULL || dot == name) return ION_UNKNOWN;
  *ion_length = (size_t)(dot - name);
  static const char* fields[] = {"i", "e", "int", "ext", "diff", "g"};
  for (int k = 0; k < 6; ++k)
    if (strcmp(dot + 1, fields[k]) == 0) return (ion_field)k;
  return ION_UNKNOWN;
}

/* Points a probe at the value it samples. Needs the built group. */
int32_t resolve_probe(denocat_host* host, probe* pr, uint32_t column) {
  switch (pr->kind) {
    case HOST_PROBE_VOLTAGE: pr->source = &host->vec_v[pr->target]; return 0;
    case HOST_PROBE_CURRENT: pr->source = &host->vec_i[pr->target]; return 0;
    case HOST_PROBE_STATE: {
      placement* p = &host->placements[pr->placement];
      const arb_mechanism_type* type = type_of(host, p);
      int64_t k = field_index(type->state_vars, type->n_state_vars, pr->name);
      if (!p->in_group)
        return fail(host, "probe %u: '%s' has no instances in this group (its ion has no CVs)",
                    column, p->name);
      uint32_t instance = p->instance_of ? p->instance_of[pr->target] : pr->target;
      if (instance >= p->width)
        return fail(host, "probe %u: instance %u of '%s' is out of range (%u instances)", column,
                    pr->target, p->name, p->width);
      pr->source = &p->state_arrays[k][instance];
      return 0;
    }
    case HOST_PROBE_ION: {
      size_t length = 0;
      ion_field field = parse_ion_probe(pr->name, &length);
      ion_species* ion = NULL;
      for (uint32_t k = 0; k < host->n_ions; ++k)
        if (strlen(host->ions[k].name) == length &&
            strncmp(host->ions[k].name, pr->name, length) == 0)
          ion = &host->ions[k];
      if (ion == NULL)
        return fail(host, "probe %u ('%s'): ion '%.*s' is not declared (host_add_ion)", column,
                    pr->name, (int)length, pr->name);
      int64_t position = support_position(ion, pr->target);
      if (position < 0)
        return fail(host, "probe %u ('%s'): CV %u is outside the support of ion '%s' (no mechanism "
                    "using it covers that CV)", column, pr->name, pr->target, ion->name);
      static const char* why[] = {
          [ION_E] = "no mechanism declares read_rev_potential or write_rev_potential",
          [ION_INT] = "no mechanism declares read_int_concentration or write_int_concentration",
          [ION_EXT] = "no mechanism declares read_ext_concentration or write_ext_concentration",
          [ION_DIFF] = "no mechanism declares use_diff_concentration",
          [ION_G] = "ion conductivity was removed from arb_ion_state",
      };
      double* array = field == ION_I      ? ion->iX
                      : field == ION_E    ? ion->eX
                      : field == ION_INT  ? ion->Xi
                      : field == ION_EXT  ? ion->Xo
                      : field == ION_DIFF ? ion->Xd
                                          : ion->gX;
      if (array == NULL)
        return fail(host, "probe %u ('%s'): that array does not exist in ABI 0.%u (%s)", column,
                    pr->name, host->abi, why[field]);
      pr->source = &array[position];
      return 0;
    }
    default: return fail(host, "probe %u: unknown kind %u", column, pr->kind);
  }
}

int32_t host_add_probe(denocat_host* host, uint32_t kind, int32_t placement_id, const char* name,
                       uint32_t target) {
  if (host == NULL) return -1;
  probe pr = {.kind = kind, .placement = -1, .target = target};
  switch (kind) {
    case HOST_PROBE_VOLTAGE:
    case HOST_PROBE_CURRENT:
      if (check_cv(host, target, "host_add_probe")) return -1;
      break;
    case HOST_PROBE_STATE: {
      if (check_placement(host, placement_id, "host_add_probe")) return -1;
      placement* p = &host->placements[placement_id];
      const arb_mechanism_type* type = type_of(host, p);
      if (name == NULL || field_index(type->state_vars, type->n_state_vars, name) < 0) {
        fail(host, "host_add_probe('%s'): no state variable '%s'", p->name, name ? name : "(NULL)");
        list_fields(host, "state variable", type->state_vars, type->n_state_vars);
        return -1;
      }
      /* Reversal-potential instances are CVs of the ion's support, known only once built. */
      if (p->kind != arb_mechanism_kind_reversal_potential && target >= p->n)
        return fail(host, "host_add_probe('%s'): instance %u is out of range (%u instances)",
                    p->name, target, p->n);
      pr.placement = placement_id;
      break;
    }
    case HOST_PROBE_ION: {
      size_t length = 0;
      if (name == NULL || parse_ion_probe(name, &length) == ION_UNKNOWN)
        return fail(host, "host_add_probe: ion probe name '%s' is not '<ion>.<field>' with field "
                    "i, e, int, ext, diff or g", name ? name : "(NULL)");
      if (check_cv(host, target, "host_add_probe")) return -1;
      break;
    }
    default:
      return fail(host, "host_add_probe: unknown probe kind %u (0 voltage, 1 state, 2 ion, 3 "
                  "current)", kind);
  }
  if (name && (pr.name = copy_string(name)) == NULL) return fail(host, "out of memory");
  if (host->instantiated && resolve_probe(host, &pr, host->n_probes + 1)) {
    free(pr.name);
    return -1;
  }
  if (RESERVE(host->probes, host->probes_capacity, (uint64_t)host->n_probes + 1)) {
    free(pr.name);
    return fail(host, "out of memory in host_add_probe");
  }
  host->probes[host->n_probes++] = pr;
  return (int32_t)host->n_probes; /* column 0 is time */
}
