/*
 * random.c (native test host): The random-number streams of mechanisms with random variables (3.8).
 * See ../host.h for the API and internal.h for the shared data.
 */
#include "internal.h"

/* ============================================================================================ */
/* Random numbers (3.8)                                                                          */
/*
 * Arbor draws one standard normal per (variable, instance) from a Threefry-4x64-12 counter
 * generator keyed by the simulation seed, mechanism_id, variable, step counter, gid and index.
 * Reproducing its values is not the point of this host, so it uses its own, documented stream:
 *
 *  - every (mechanism_id, random variable index k) pair owns one xoshiro256** generator whose
 *    four state words are four successive splitmix64 outputs, starting from
 *        HOST_RANDOM_SEED ^ (mechanism_id << 32) ^ k          (HOST_RANDOM_SEED = 0x5eed);
 *  - a uniform u in [0, 1) is (x >> 11) * 2^-53 of one 64-bit output x; one normal is
 *        sqrt(-2 ln(1 - u1)) * cos(2 pi u2)
 *    from two consecutive uniforms (Box-Muller, cosine branch only; 1 - u1 is in (0, 1]);
 *  - the 4-slot cache works as in Arbor: before each advance_state the mechanism's counter c
 *    (starting at 0, never reset, not even by host_reset) selects slot c mod 4, and when
 *    c mod 4 == 0 all four slots are regenerated first: for each variable k in index order, slots
 *    0..3 in order, instances 0..width-1 in order. Padding entries stay 0.
 *  - at instantiation every slot is 0, and random_numbers points at slot 0 during init.
 * Slot s of variable k is the array at (s * n_random + k) * wv in the random part of the value
 * block; random_numbers[k] points at it while slot s is current.
 */

static uint64_t splitmix64(uint64_t* x) {
  uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

static uint64_t rotate_left(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static uint64_t xoshiro256starstar(uint64_t s[4]) {
  uint64_t result = rotate_left(s[1] * 5, 7) * 9;
  uint64_t t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotate_left(s[3], 45);
  return result;
}

void seed_stream(uint64_t s[4], uint32_t mechanism_id, uint32_t variable) {
  uint64_t x = HOST_RANDOM_SEED ^ ((uint64_t)mechanism_id << 32) ^ (uint64_t)variable;
  for (int k = 0; k < 4; ++k) s[k] = splitmix64(&x);
}

static double standard_normal(uint64_t s[4]) {
  double u1 = (double)(xoshiro256starstar(s) >> 11) * 0x1.0p-53;
  double u2 = (double)(xoshiro256starstar(s) >> 11) * 0x1.0p-53;
  return sqrt(-2.0 * log(1.0 - u1)) * cos(2.0 * HOST_PI * u2);
}

static double* random_base(const denocat_host* host, const placement* p) {
  const arb_mechanism_type* type = type_of(host, p);
  return p->value_block + (size_t)(1 + type->n_parameters + type->n_state_vars) * p->width_values;
}

/* Before advance_state: select the next cache slot, regenerating all four every fourth call. */
void refresh_random_numbers(const denocat_host* host, placement* p) {
  uint32_t n_random = type_of(host, p)->n_random_variables;
  if (n_random == 0) return;
  uint32_t slot = (uint32_t)(p->random_counter++ % 4);
  if (slot == 0) {
    double* base = random_base(host, p);
    for (uint32_t k = 0; k < n_random; ++k)
      for (uint32_t s = 0; s < 4; ++s) {
        double* values = base + (size_t)(s * n_random + k) * p->width_values;
        for (uint32_t i = 0; i < p->width; ++i) values[i] = standard_normal(p->random_streams[k]);
      }
  }
  p->pp.random_numbers = p->random_slots + (size_t)slot * n_random;
}
