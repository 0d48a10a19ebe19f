/*
 * host.h — a native test host that drives any Arbor mechanism catalogue the way Arbor's CPU
 * ("multicore") backend does, for one cell group on one thread, without Arbor.
 *
 * It follows docs/abi.md: allocation and padding (3.3), ppack contents (3.4), ion
 * support and ion indices (3.5), initialisation (4.1) and the per-step order (4.2). Every CV is
 * its own compartment: there is no axial coupling, so a CV's voltage follows
 *   (C/dt + A*g) * V_new = (C/dt + A*g) * V_old - A*i
 * with C = cm * A (pF), A in um^2, i = vec_i (A/m^2), g = vec_g (kS/m^2).
 *
 * Usage: host_create -> host_load_catalogue (one or more) -> host_set_cvs -> host_add_ion ...
 * -> host_place ... -> host_set_parameter/host_set_global/host_set_coalesce ... -> stimuli,
 * detectors, probes, events -> host_instantiate -> host_run (which resets first when needed)
 * -> read results.
 * Every function returning int32_t returns >= 0 on success and -1 on error, with the reason in
 * host_error(). A host never writes outside the arrays it allocated; bad indices are errors.
 */
#ifndef DENOCAT_HOST_H
#define DENOCAT_HOST_H

#include <stdint.h>

#include "hooks.h"

#define HOST_EXPORT __attribute__((visibility("default")))

typedef struct denocat_host denocat_host;

/* Probe kinds for host_add_probe. */
#define HOST_PROBE_VOLTAGE 0 /* target = CV; value vec_v (mV) */
#define HOST_PROBE_STATE 1   /* target = instance; name = state variable; placement given */
#define HOST_PROBE_ION 2     /* target = CV; name = "<ion>.<field>", field i, e, int, ext, diff, g */
#define HOST_PROBE_CURRENT 3 /* target = CV; value vec_i (A/m^2) before the solve */

/* Hooks for host_call_hook_on_thread: HOST_HOOK_INIT ... HOST_HOOK_POST_EVENT, the numbers of
 * hooks.h under the names this API has always had (HOST_HOOK_<X> == DENOCAT_HOOK_<X>). */
#define HOST_HOOK_ENUMERATOR(MACRO, field, name, number) HOST_HOOK_##MACRO = number,
enum { DENOCAT_HOOKS(HOST_HOOK_ENUMERATOR) };

/* abi: 6 for Arbor 0.9/0.10 layouts, 7 for 0.11/0.12 (ion states without conductivity and with
 * Xi/Xo/eX allocated only when some mechanism's flags ask for them, as 0.11 does). */
/* Returns NULL for any other abi (or when out of memory). */
HOST_EXPORT denocat_host* host_create(uint32_t abi);
/* Refused (the host stays alive, host_error says why) when called from a mechanism hook. */
HOST_EXPORT void host_destroy(denocat_host* host);
HOST_EXPORT const char* host_error(const denocat_host* host);

/* dlopen(path) + get_catalogue(), checked as Arbor checks it; returns the number of mechanisms
 * added. Names must be unique across all catalogues loaded into one host. If the library exports
 * `uint32_t denocat_abi(void)`, its family must equal the host's. The path goes to dlopen as
 * given: a name without '/' is looked up on the library search path (LD_LIBRARY_PATH etc.), not
 * in the current directory. Libraries are never unloaded (as in Arbor). A failed load adds
 * nothing. */
HOST_EXPORT int32_t host_load_catalogue(denocat_host* host, const char* path);
HOST_EXPORT int32_t host_mechanism_count(const denocat_host* host);
HOST_EXPORT const char* host_mechanism_name(const denocat_host* host, uint32_t index);
HOST_EXPORT int32_t host_mechanism_kind(const denocat_host* host, uint32_t index);

/* The group's CVs; every array has n_cv entries. cm in F/m^2, temperature in degC. */
HOST_EXPORT int32_t host_set_cvs(denocat_host* host, uint32_t n_cv, const double* area_um2,
                                 const double* diam_um, const double* cm_F_per_m2,
                                 const double* temperature_degC, const double* v_init_mV);

/* An ion species with its initial concentrations (mM) and reversal potential (mV). */
HOST_EXPORT int32_t host_add_ion(denocat_host* host, const char* name, int32_t valence,
                                 double internal_mM, double external_mM, double reversal_mV);

/* Places a mechanism and returns a placement id. `name` may carry Arbor's derivations:
 * "nernst/na" (rebind the single ion) or "pas/e=-70" (override globals); items are separated
 * by commas, and "<ion>=<new ion>" rebinds one ion of a mechanism with several.
 * The full name (with derivations) orders the mechanism lists and mechanism_id.
 *  - density, voltage: `cvs` strictly ascending, one instance each; `weights` = covered fraction
 *    (NULL means 1).
 *  - point: one synapse per entry, any order; `instance` numbers elsewhere (events, state
 *    probes, host_set_parameter arrays) always refer to the order given here. weight =
 *    1000/area; `weights` is ignored. The Arbor instances (what the catalogue sees) are sorted
 *    by CV, then by parameter values, then by placement order (the target index); see
 *    host_set_coalesce for the exact order and for merging.
 *  - gap junction: one instance per entry; `peers[k]` is the peer CV; weights[k] the connection
 *    weight (weight = w * 1000/area; NULL means 1). Sorted by CV like point instances.
 *  - reversal potential: `cvs` must be NULL and n 0; one instance per CV of the ion's support.
 * A mechanism name may be placed once per host. */
HOST_EXPORT int32_t host_place(denocat_host* host, const char* name, uint32_t n,
                               const uint32_t* cvs, const double* weights, const uint32_t* peers);
/* Per-instance values (n of them, in placement order) for a parameter. A reversal-potential
 * placement (n = 0) takes one value, values[0], used on every CV, as in Arbor. */
HOST_EXPORT int32_t host_set_parameter(denocat_host* host, int32_t placement, const char* name,
                                       const double* values);
/* Overrides a global of one placement; applied after (so over) a derived-name value. */
HOST_EXPORT int32_t host_set_global(denocat_host* host, int32_t placement, const char* name,
                                    double value);

/* Arbor's `coalesce_synapses` (default enabled, as in Arbor); enabled != 0 turns it on. Only
 * before host_instantiate. A point mechanism coalesces when this is on, its type has
 * is_linear == true and n_random_variables == 0 (3.2, 5.5). Then synapses on the same CV whose
 * parameter values (after defaults and host_set_parameter) are bit-identical merge into one
 * instance, and pp->multiplicity[i] (int, padded with 0) counts the synapses merged into
 * instance i; otherwise pp->multiplicity is NULL. Events and state probes addressed to any
 * merged synapse (placement order) go to its merged instance; placement-order counts and arrays
 * (host_place, host_set_parameter, host_add_event, host_add_probe) are unchanged.
 * Instance order of every point mechanism, coalescing or not, is a total order:
 *   1. CV, ascending;
 *   2. parameter values, lexicographically, parameters taken in byte-wise (strcmp) order of
 *      their names, each value compared by IEEE 754 totalOrder (numeric order, except that
 *      -0 < +0 and NaNs sort by sign and payload beyond the infinities; values that compare
 *      equal are exactly the bit-identical ones);
 *   3. placement order (target index), ascending.
 * Synapses tied on 1 and 2 are the ones that merge; a merged instance sits where its first
 * (lowest placement-order) synapse would, and without coalescing they keep placement order. */
HOST_EXPORT int32_t host_set_coalesce(denocat_host* host, int32_t enabled);

/* Stimuli: a current clamp injects amplitude_nA (positive = depolarising) while
 * t_start <= t < t_start + duration, evaluated at the step's start time; a voltage clamp
 * holds vec_v at v_mV over the same window (set after every solve and at reset). */
HOST_EXPORT int32_t host_add_iclamp(denocat_host* host, uint32_t cv, double t_start_ms,
                                    double duration_ms, double amplitude_nA);
HOST_EXPORT int32_t host_add_vclamp(denocat_host* host, uint32_t cv, double t_start_ms,
                                    double duration_ms, double v_mV);

/* A threshold detector on a CV (upward crossing, time by linear interpolation). */
HOST_EXPORT int32_t host_add_detector(denocat_host* host, uint32_t cv, double threshold_mV);

/* An event for a point mechanism instance (placement order), delivered at the start of the
 * step that contains t, to the Arbor instance of that synapse (a merged one when coalesced).
 * Events stay after a reset and are delivered again on the next run. An event before the current
 * time of a built host is refused: it would never be delivered. */
HOST_EXPORT int32_t host_add_event(denocat_host* host, int32_t placement, uint32_t instance,
                                   double t_ms, float weight);

/* Returns the column of the probe in each sample row (column 0 is time). `placement` is used by
 * HOST_PROBE_STATE only and `name` by STATE and ION only. A STATE target is a placement-order
 * instance and reads its Arbor instance (the merged one for coalesced synapses, so it holds
 * the merged state); for a reversal-potential placement the STATE target is the Arbor instance
 * (position in the ion's support). Ion probes are checked
 * against the built group (array present in this ABI, CV in the support) at host_instantiate,
 * or at once when added after it. */
HOST_EXPORT int32_t host_add_probe(denocat_host* host, uint32_t kind, int32_t placement,
                                   const char* name, uint32_t target);

/* Allocates and fills every mechanism as Arbor does at instantiation (defaults, overrides,
 * globals, indices, padding), then initialises (4.1). No placements after this.
 * host_instantiate, host_reset and host_run refuse to run when called from a mechanism hook of
 * the same host (re-entry). */
HOST_EXPORT int32_t host_instantiate(denocat_host* host);
/* Arbor's reset (4.1): shared state back to initial values, both init rounds. */
HOST_EXPORT int32_t host_reset(denocat_host* host);

/* Advances from the current time t0 to t_end in steps of dt (4.2), laid out as Arbor's
 * timestep_range lays out an epoch: step i is [t0 + i*dt, t0 + (i+1)*dt) and the last step ends at
 * t_end (minimally longer than dt rather than followed by a tiny one). One sample row per step,
 * taken before the solve: [t, probe 1, probe 2, ...], written to samples (row-major) while
 * rows < capacity_rows. Returns the number of steps taken. Builds the group first
 * (host_instantiate) if that was not done; samples may be NULL when capacity_rows is 0. */
HOST_EXPORT int32_t host_run(denocat_host* host, double t_end, double dt, double* samples,
                             uint32_t capacity_rows);
HOST_EXPORT double host_time(const denocat_host* host);
HOST_EXPORT uint32_t host_probe_count(const denocat_host* host);

/* Spikes seen by detectors since the last reset, in detection order. host_spikes copies up to
 * `capacity` of them (either array may be NULL) and returns how many it copied. */
HOST_EXPORT uint32_t host_spike_count(const denocat_host* host);
HOST_EXPORT int32_t host_spikes(const denocat_host* host, double* times_ms, uint32_t* detectors,
                                uint32_t capacity);

/* Test support: calls one hook of a placement from a fresh thread and joins it, to show that a
 * catalogue refuses calls from foreign threads. */
HOST_EXPORT int32_t host_call_hook_on_thread(denocat_host* host, int32_t placement, uint32_t hook);

#endif
