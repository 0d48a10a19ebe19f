/*
 * instances.c (trampoline catalogue): ppack addresses mapped to small instance ids, and the event buffers.
 * See ../denocat.h for the API and internal.h for the shared data.
 */
#include "internal.h"

#include <stdlib.h>

/* ------------------------------------------------------------------------------------------ */
/* Instances: ppack address -> small integer, by open addressing. Owner thread only.           */

static arb_mechanism_ppack** instance_ppack; /* instance id -> ppack */
uint8_t* instance_stale;
uint32_t n_instances;
static uint32_t instance_capacity;
static uint32_t* hash_slots; /* holds instance id + 1; 0 means empty */
static uint32_t hash_capacity;

static uint32_t hash_pointer(const void* p) {
  uint64_t x = (uint64_t)(uintptr_t)p;
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  return (uint32_t)x;
}

static int grow_instances(void) {
  uint32_t capacity = instance_capacity ? instance_capacity * 2 : 64;
  arb_mechanism_ppack** table = realloc(instance_ppack, capacity * sizeof *table);
  if (table != NULL) instance_ppack = table;
  uint8_t* stale = realloc(instance_stale, capacity * sizeof *stale);
  if (stale != NULL) instance_stale = stale;
  uint32_t* hashes = calloc((size_t)capacity * 2, sizeof *hashes);
  if (table == NULL || stale == NULL || hashes == NULL) {
    free(hashes);
    return -1;
  }
  instance_capacity = capacity;
  free(hash_slots);
  hash_slots = hashes;
  hash_capacity = capacity * 2; /* load factor <= 1/2 */
  for (uint32_t id = 0; id < n_instances; ++id) {
    uint32_t h = hash_pointer(instance_ppack[id]) & (hash_capacity - 1);
    while (hash_slots[h]) h = (h + 1) & (hash_capacity - 1);
    hash_slots[h] = id + 1;
  }
  return 0;
}

uint32_t instance_of(arb_mechanism_ppack* pp) {
  if (hash_capacity) {
    uint32_t h = hash_pointer(pp) & (hash_capacity - 1);
    while (hash_slots[h]) {
      uint32_t id = hash_slots[h] - 1;
      if (instance_ppack[id] == pp) return id;
      h = (h + 1) & (hash_capacity - 1);
    }
  }
  if (n_instances == instance_capacity && grow_instances()) return UINT32_MAX;
  uint32_t id = n_instances++;
  instance_ppack[id] = pp;
  instance_stale[id] = 1;
  uint32_t h = hash_pointer(pp) & (hash_capacity - 1);
  while (hash_slots[h]) h = (h + 1) & (hash_capacity - 1);
  hash_slots[h] = id + 1;
  return id;
}

arb_mechanism_ppack* denocat_instance_ppack(uint32_t instance) {
  return instance < n_instances ? instance_ppack[instance] : NULL;
}

uint32_t* event_mech_index;
float* event_weight;
static uint32_t event_capacity;

uint32_t* denocat_event_mech_index(void) { return event_mech_index; }
float* denocat_event_weight(void) { return event_weight; }
uint32_t denocat_event_capacity(void) { return event_capacity; }

int reserve_events(size_t count) {
  if (count <= event_capacity) return 0;
  if (count > UINT32_MAX / 2) return -1;
  size_t capacity = event_capacity ? event_capacity : DENOCAT_EVENT_CAPACITY;
  while (capacity < count) capacity *= 2;
  uint32_t* index = malloc(capacity * sizeof *index);
  float* weight = malloc(capacity * sizeof *weight);
  if (index == NULL || weight == NULL) {
    free(index);
    free(weight);
    return -1;
  }
  free(event_mech_index);
  free(event_weight);
  event_mech_index = index;
  event_weight = weight;
  event_capacity = (uint32_t)capacity;
  return 0;
}
