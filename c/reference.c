/*
 * reference.c — hand-written, statically compiled Arbor catalogue: the speed and correctness
 * reference that the TypeScript mechanisms are benchmarked and checked against.
 *
 * Mechanisms: hh, pas, empty (density) and expsyn (point).
 *
 * Built once per ABI layout family (build.zig passes -DDENOCAT_COMPILED_ABI=6 or =7, as for a
 * generated catalogue): c/catalogue.h, the fixed C every catalogue file includes, chooses the
 * family's ion_state / ion_info and gives denocat_abi(), the export macros and the no-op hooks.
 * This file defines no DC_CATALOGUE_NAME, so it gets none of the generated catalogues' parts (CPU
 * check, math helpers, failure record): it is built for the baseline CPU with the C library's math.
 *
 * Rules followed throughout (docs/abi.md sections 3 and 5):
 *  - loop i over [0, width) only; per-instance arrays by i, shared arrays by node_index[i], ion
 *    arrays by ion_states[k].index[i];
 *  - always accumulate into vec_i / vec_g / iX (other mechanisms share them), with separate
 *    multiply and add (the build uses -ffp-contract=off) so results round as the spec says;
 *  - density currents are in mA/cm2 and conductances in S/cm2, hence the factor 10 to reach
 *    A/m2 and kS/m2; point currents are in nA and conductances in uS, already scaled by
 *    weight = 1000/area, so no factor;
 *  - dt is read from the ppack on every call (it changes per step, and is garbage during init);
 *  - no mutable global state: every table is static const, so instances and threads share
 *    nothing writable.
 */
#include "catalogue.h"

/* modcc writes this into every generated mechanism too; Arbor never compares it with anything. */
static const char fingerprint[] = "<denocat-reference>";

/* Arbor's check on user-set values is range_low <= value <= range_high (inclusive). */
#define UNBOUNDED_LOW (-DBL_MAX)
#define UNBOUNDED_HIGH DBL_MAX
/* The smallest positive double: with an inclusive check this admits exactly the values > 0. */
#define POSITIVE_LOW DBL_TRUE_MIN

/* cnexp's stand-in for exp(z): the (1,1) Pade approximant that modcc emits (docs/abi.md 5.6).
 * Using exp() here would drift from Arbor's builtin traces by ~0.05 mV within 30 ms. */
static inline double exp_pade_11(double z) {
  return (1.0 + 0.5 * z) / (1.0 - 0.5 * z);
}

/* x / (e^x - 1), continuous at 0 where the quotient is 0/0 but the limit is 1. expm1 keeps
 * full precision near 0, which is exactly where the HH rate singularities sit. */
static inline double exprelr(double x) {
  return x == 0.0 ? 1.0 : x / expm1(x);
}

/* Arbor wants non-const pointers in arb_mechanism_type and from i_cpu(), but never writes
 * through them; the tables themselves stay const so nothing here is writable at run time. */
#define FIELD_TABLE(table) ((arb_field_info*)(table))
#define FIELD_COUNT(table) ((arb_size_type)(sizeof(table) / sizeof((table)[0])))
#define INTERFACE(iface) ((arb_mechanism_interface*)(iface))

/* ======================================================================================== */
/* hh: Hodgkin-Huxley squid axon channels, the semantics of Arbor's default-catalogue hh.     */
/* ======================================================================================== */

enum { HH_GNABAR, HH_GKBAR, HH_GL, HH_EL };
enum { HH_M, HH_H, HH_N };
enum { HH_ION_NA, HH_ION_K };

static const arb_field_info hh_parameters[] = {
    [HH_GNABAR] = {"gnabar", "S/cm2", 0.12, 0.0, UNBOUNDED_HIGH},
    [HH_GKBAR] = {"gkbar", "S/cm2", 0.036, 0.0, UNBOUNDED_HIGH},
    [HH_GL] = {"gl", "S/cm2", 0.0003, 0.0, UNBOUNDED_HIGH},
    [HH_EL] = {"el", "mV", -54.3, UNBOUNDED_LOW, UNBOUNDED_HIGH},
};

/* Gating variables are probabilities. The NAN default matches modcc (the STATE block gives no
 * value); init_mechanism always overwrites it. */
static const arb_field_info hh_state_vars[] = {
    [HH_M] = {"m", "", NAN, 0.0, 1.0},
    [HH_H] = {"h", "", NAN, 0.0, 1.0},
    [HH_N] = {"n", "", NAN, 0.0, 1.0},
};

/* USEION na READ ena WRITE ina; USEION k READ ek WRITE ik. Only eX is read, so on ABI 0.7 only
 * eX (and the always-present iX) need to be allocated; Xi/Xo may be NULL and are never touched. */
static const ion_info hh_ions[] = {
    [HH_ION_NA] = {.name = "na", .read_rev_potential = true},
    [HH_ION_K] = {.name = "k", .read_rev_potential = true},
};

/* Opening (alpha) and closing (beta) rates in 1/ms at 6.3 degC, v in mV, as hh.mod defines them. */
static inline double m_alpha(double v) { return exprelr(-0.1 * v - 4.0); }
static inline double m_beta(double v) { return 4.0 * exp(-(v + 65.0) / 18.0); }
static inline double h_alpha(double v) { return 0.07 * exp(-0.05 * v - 3.25); }
static inline double h_beta(double v) { return 1.0 / (exp(-0.1 * v - 3.5) + 1.0); }
static inline double n_alpha(double v) { return 0.1 * exprelr(-0.1 * v - 5.5); }
static inline double n_beta(double v) { return 0.125 * exp(-0.0125 * v - 0.8125); }

/* Q10 = 3 per 10 degC relative to 6.3 degC: 3^((celsius - 6.3)/10), written as Arbor's hh.mod
 * writes it so the rounding agrees. Temperature is constant over a run, so recomputing it per
 * call gives the same value the builtin computes once at INITIAL.
 *
 * pow() costs roughly a tenth of advance_state (measured), yet the temperature is nearly always
 * the same on every CV; so each call remembers the last temperature and its factor in locals
 * (bit-identical result, nothing shared between calls or threads). */
typedef struct q10_memo {
  double celsius;
  double q10;
} q10_memo;

static inline double hh_q10(q10_memo* memo, double celsius) {
  if (celsius != memo->celsius) {
    memo->celsius = celsius;
    memo->q10 = pow(3.0, 0.1 * celsius - 0.63);
  }
  return memo->q10;
}

static void hh_init(arb_mechanism_ppack* pp) {
  const arb_size_type width = pp->width;
  const arb_index_type* node_index = pp->node_index;
  const arb_value_type* vec_v = pp->vec_v;
  arb_value_type* m = pp->state_vars[HH_M];
  arb_value_type* h = pp->state_vars[HH_H];
  arb_value_type* n = pp->state_vars[HH_N];
  for (arb_size_type i = 0; i < width; ++i) {
    const double v = vec_v[node_index[i]];
    /* Start every gate at its steady state for the initial voltage. */
    m[i] = m_alpha(v) / (m_alpha(v) + m_beta(v));
    h[i] = h_alpha(v) / (h_alpha(v) + h_beta(v));
    n[i] = n_alpha(v) / (n_alpha(v) + n_beta(v));
  }
}

static void hh_compute_currents(arb_mechanism_ppack* pp) {
  const arb_size_type width = pp->width;
  const arb_index_type* node_index = pp->node_index;
  const arb_value_type* vec_v = pp->vec_v;
  const arb_value_type* weight = pp->weight;
  arb_value_type* vec_i = pp->vec_i;
  arb_value_type* vec_g = pp->vec_g;
  const arb_value_type* gnabar = pp->parameters[HH_GNABAR];
  const arb_value_type* gkbar = pp->parameters[HH_GKBAR];
  const arb_value_type* gl = pp->parameters[HH_GL];
  const arb_value_type* el = pp->parameters[HH_EL];
  const arb_value_type* m = pp->state_vars[HH_M];
  const arb_value_type* h = pp->state_vars[HH_H];
  const arb_value_type* n = pp->state_vars[HH_N];
  const ion_state* na = &((const ion_state*)pp->ion_states)[HH_ION_NA];
  const ion_state* k = &((const ion_state*)pp->ion_states)[HH_ION_K];
  for (arb_size_type i = 0; i < width; ++i) {
    const arb_index_type node = node_index[i];
    const arb_index_type na_at = na->index[i];
    const arb_index_type k_at = k->index[i];
    const double v = vec_v[node];
    /* Products in the order Arbor's hh.mod writes them (m*m*m*h, and n^4 as (n*n)*(n*n)),
     * so the conductances round exactly as the builtin's do. Units: S/cm2, mA/cm2. */
    const double n2 = n[i] * n[i];
    const double gna = gnabar[i] * m[i] * m[i] * m[i] * h[i];
    const double gk = gkbar[i] * n2 * n2;
    const double ina = gna * (v - na->reversal_potential[na_at]);
    const double ik = gk * (v - k->reversal_potential[k_at]);
    const double il = gl[i] * (v - el[i]);
    /* mA/cm2 -> A/m2 and S/cm2 -> kS/m2, times the covered fraction of the CV. The cable
     * solver wants the total current (ionic ones included) and its derivative dI/dV, which
     * for these ohmic currents is the sum of the conductances. */
    const double scale = 10.0 * weight[i];
    /* modcc sums the currents of a mechanism in alphabetical order of their names. */
    vec_i[node] += scale * (ik + il + ina);
    vec_g[node] += scale * (gk + gl[i] + gna);
    na->current_density[na_at] += scale * ina;
    k->current_density[k_at] += scale * ik;
#if DENOCAT_COMPILED_ABI == 6
    /* ABI 0.6 still carries the per-ion conductance (removed in 0.7). */
    na->conductivity[na_at] += scale * gna;
    k->conductivity[k_at] += scale * gk;
#endif
  }
}

/* One cnexp step of Arbor's hh.mod form s' = (alpha - s*(alpha + beta))*q10, which is linear in
 * s: s' = a*s + b with a = -(alpha + beta)*q10 and b = alpha*q10. modcc's general cnexp update is
 * s = -b/a + (s + b/a) * e^(a*dt), with e^z replaced by the (1,1) Pade approximant. */
static inline double gate_step(double s, double alpha, double beta, double q10, double dt) {
  const double a = -(alpha + beta) * q10;
  const double ba = (alpha * q10) / a;
  return -ba + (s + ba) * exp_pade_11(a * dt);
}

static void hh_advance_state(arb_mechanism_ppack* pp) {
  const arb_size_type width = pp->width;
  const double dt = pp->dt;
  const arb_index_type* node_index = pp->node_index;
  const arb_value_type* vec_v = pp->vec_v;
  const arb_value_type* temperature = pp->temperature_degC;
  arb_value_type* m = pp->state_vars[HH_M];
  arb_value_type* h = pp->state_vars[HH_H];
  arb_value_type* n = pp->state_vars[HH_N];
  q10_memo memo = {NAN, NAN}; /* NAN != anything: the first instance always computes */
  for (arb_size_type i = 0; i < width; ++i) {
    const arb_index_type node = node_index[i];
    const double v = vec_v[node];
    const double q10 = hh_q10(&memo, temperature[node]);
    m[i] = gate_step(m[i], m_alpha(v), m_beta(v), q10, dt);
    h[i] = gate_step(h[i], h_alpha(v), h_beta(v), q10, dt);
    n[i] = gate_step(n[i], n_alpha(v), n_beta(v), q10, dt);
  }
}

static const arb_mechanism_interface hh_cpu = {
    .backend = arb_backend_kind_cpu,
    .partition_width = 1,
    .alignment = 8,
    .init_mechanism = hh_init,
    .compute_currents = hh_compute_currents,
    .apply_events = ignore_events,
    .advance_state = hh_advance_state,
    .write_ions = do_nothing, /* iX is written in compute_currents; no concentrations */
    .post_event = do_nothing,
};

static arb_mechanism_type hh_type(void) {
  arb_mechanism_type type = {
      .abi_version = ARB_ABI_VERSION_VALUE,
      .fingerprint = fingerprint,
      .name = "hh",
      .kind = arb_mechanism_kind_density,
      .is_linear = false, /* m^3 h and n^4: not linear in the states */
      .has_post_events = false,
      .state_vars = FIELD_TABLE(hh_state_vars),
      .n_state_vars = FIELD_COUNT(hh_state_vars),
      .parameters = FIELD_TABLE(hh_parameters),
      .n_parameters = FIELD_COUNT(hh_parameters),
      .ions = (void*)hh_ions,
      .n_ions = (arb_size_type)(sizeof(hh_ions) / sizeof(hh_ions[0])),
  };
  return type;
}

static arb_mechanism_interface* hh_interface(void) {
  return INTERFACE(&hh_cpu);
}

/* ======================================================================================== */
/* pas: a passive leak, i = g (v - e).                                                       */
/* ======================================================================================== */

enum { PAS_G, PAS_E };

static const arb_field_info pas_parameters[] = {
    [PAS_G] = {"g", "S/cm2", 0.001, 0.0, UNBOUNDED_HIGH},
    [PAS_E] = {"e", "mV", -70.0, UNBOUNDED_LOW, UNBOUNDED_HIGH},
};

static void pas_compute_currents(arb_mechanism_ppack* pp) {
  const arb_size_type width = pp->width;
  const arb_index_type* node_index = pp->node_index;
  const arb_value_type* vec_v = pp->vec_v;
  const arb_value_type* weight = pp->weight;
  arb_value_type* vec_i = pp->vec_i;
  arb_value_type* vec_g = pp->vec_g;
  const arb_value_type* g = pp->parameters[PAS_G];
  const arb_value_type* e = pp->parameters[PAS_E];
  for (arb_size_type i = 0; i < width; ++i) {
    const arb_index_type node = node_index[i];
    const double current = g[i] * (vec_v[node] - e[i]); /* mA/cm2 */
    const double scale = 10.0 * weight[i];             /* to A/m2, kS/m2; covered fraction */
    vec_i[node] += scale * current;
    vec_g[node] += scale * g[i];
  }
}

static const arb_mechanism_interface pas_cpu = {
    .backend = arb_backend_kind_cpu,
    .partition_width = 1,
    .alignment = 8,
    .init_mechanism = do_nothing, /* no state */
    .compute_currents = pas_compute_currents,
    .apply_events = ignore_events,
    .advance_state = do_nothing,
    .write_ions = do_nothing,
    .post_event = do_nothing,
};

static arb_mechanism_type pas_type(void) {
  arb_mechanism_type type = {
      .abi_version = ARB_ABI_VERSION_VALUE,
      .fingerprint = fingerprint,
      .name = "pas",
      .kind = arb_mechanism_kind_density,
      .is_linear = true, /* only consulted for point mechanisms; true as modcc would say */
      .has_post_events = false,
      .parameters = FIELD_TABLE(pas_parameters),
      .n_parameters = FIELD_COUNT(pas_parameters),
  };
  return type;
}

static arb_mechanism_interface* pas_interface(void) {
  return INTERFACE(&pas_cpu);
}

/* ======================================================================================== */
/* empty: no fields, six no-op methods; what remains is the pure cost of Arbor calling us.   */
/* ======================================================================================== */

static const arb_mechanism_interface empty_cpu = {
    .backend = arb_backend_kind_cpu,
    .partition_width = 1,
    .alignment = 8,
    .init_mechanism = do_nothing,
    .compute_currents = do_nothing,
    .apply_events = ignore_events,
    .advance_state = do_nothing,
    .write_ions = do_nothing,
    .post_event = do_nothing,
};

static arb_mechanism_type empty_type(void) {
  arb_mechanism_type type = {
      .abi_version = ARB_ABI_VERSION_VALUE,
      .fingerprint = fingerprint,
      .name = "empty",
      .kind = arb_mechanism_kind_density,
      .is_linear = true,
      .has_post_events = false,
  };
  return type;
}

static arb_mechanism_interface* empty_interface(void) {
  return INTERFACE(&empty_cpu);
}

/* ======================================================================================== */
/* expsyn: a synapse whose conductance jumps by the event weight and decays with tau.        */
/* ======================================================================================== */

enum { EXPSYN_TAU, EXPSYN_E };
enum { EXPSYN_G };

static const arb_field_info expsyn_parameters[] = {
    [EXPSYN_TAU] = {"tau", "ms", 2.0, POSITIVE_LOW, UNBOUNDED_HIGH},
    [EXPSYN_E] = {"e", "mV", 0.0, UNBOUNDED_LOW, UNBOUNDED_HIGH},
};

/* Event weights may be negative, so g has no physical sign constraint here. */
static const arb_field_info expsyn_state_vars[] = {
    [EXPSYN_G] = {"g", "uS", NAN, UNBOUNDED_LOW, UNBOUNDED_HIGH},
};

static void expsyn_init(arb_mechanism_ppack* pp) {
  const arb_size_type width = pp->width;
  arb_value_type* g = pp->state_vars[EXPSYN_G];
  /* A closed synapse. With coalescing (is_linear below), each state would be scaled by
   * multiplicity[i]; a zero stays zero, so there is nothing to scale. */
  for (arb_size_type i = 0; i < width; ++i) {
    g[i] = 0.0;
  }
}

static void expsyn_compute_currents(arb_mechanism_ppack* pp) {
  const arb_size_type width = pp->width;
  const arb_index_type* node_index = pp->node_index;
  const arb_value_type* vec_v = pp->vec_v;
  const arb_value_type* weight = pp->weight;
  arb_value_type* vec_i = pp->vec_i;
  arb_value_type* vec_g = pp->vec_g;
  const arb_value_type* e = pp->parameters[EXPSYN_E];
  const arb_value_type* g = pp->state_vars[EXPSYN_G];
  for (arb_size_type i = 0; i < width; ++i) {
    const arb_index_type node = node_index[i];
    const double current = g[i] * (vec_v[node] - e[i]); /* nA */
    /* weight = 1000/area already turns nA and uS into A/m2 and kS/m2: no factor 10. */
    vec_i[node] += weight[i] * current;
    vec_g[node] += weight[i] * g[i];
  }
}

static void expsyn_apply_events(arb_mechanism_ppack* pp, arb_deliverable_event_stream* events) {
  if (!events) return;
  arb_value_type* g = pp->state_vars[EXPSYN_G];
  /* Several events may hit the same instance in one call; each adds its weight (uS). */
  for (const arb_deliverable_event_data* event = events->begin; event != events->end; ++event) {
    g[event->mech_index] += (double)event->weight;
  }
}

static void expsyn_advance_state(arb_mechanism_ppack* pp) {
  const arb_size_type width = pp->width;
  const double dt = pp->dt;
  const arb_value_type* tau = pp->parameters[EXPSYN_TAU];
  arb_value_type* g = pp->state_vars[EXPSYN_G];
  /* cnexp on g' = -g/tau: g(t+dt) = g * e^(-dt/tau), with the Pade approximant for e^z. */
  for (arb_size_type i = 0; i < width; ++i) {
    g[i] = g[i] * exp_pade_11(-dt / tau[i]);
  }
}

static const arb_mechanism_interface expsyn_cpu = {
    .backend = arb_backend_kind_cpu,
    .partition_width = 1,
    .alignment = 8,
    .init_mechanism = expsyn_init,
    .compute_currents = expsyn_compute_currents,
    .apply_events = expsyn_apply_events,
    .advance_state = expsyn_advance_state,
    .write_ions = do_nothing,
    .post_event = do_nothing,
};

static arb_mechanism_type expsyn_type(void) {
  arb_mechanism_type type = {
      .abi_version = ARB_ABI_VERSION_VALUE,
      .fingerprint = fingerprint,
      .name = "expsyn",
      .kind = arb_mechanism_kind_point,
      /* Linear in g and its events, so Arbor may merge identical synapses on one CV (as it
       * does for the builtin expsyn); merged events simply add into the one g. */
      .is_linear = true,
      .has_post_events = false,
      .state_vars = FIELD_TABLE(expsyn_state_vars),
      .n_state_vars = FIELD_COUNT(expsyn_state_vars),
      .parameters = FIELD_TABLE(expsyn_parameters),
      .n_parameters = FIELD_COUNT(expsyn_parameters),
  };
  return type;
}

static arb_mechanism_interface* expsyn_interface(void) {
  return INTERFACE(&expsyn_cpu);
}

/* ======================================================================================== */
/* The catalogue.                                                                            */
/* ======================================================================================== */

/* Arbor reads this array once, during load_catalogue, and keeps no pointer to it. */
static const arb_mechanism catalogue[] = {
    {hh_type, hh_interface, no_gpu_interface},
    {pas_type, pas_interface, no_gpu_interface},
    {empty_type, empty_interface, no_gpu_interface},
    {expsyn_type, expsyn_interface, no_gpu_interface},
};

void* get_catalogue(int* count) {
  if (count) *count = (int)(sizeof(catalogue) / sizeof(catalogue[0]));
  return (void*)catalogue;
}
