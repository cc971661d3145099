/* kc_map.c — see kc_map.h. */
#include "kube/kc_map.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

size_t kc_hash_str(const char *s) {
  uint64_t h = 1469598103934665603ULL; /* FNV-1a */
  for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ULL;
  return (size_t)h;
}

static size_t hash_ptr(const void *p) {
  uint64_t x = (uint64_t)(uintptr_t)p;
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  return (size_t)x;
}

/* ---- string map ---- */

static int smap_grow(kc_smap *m) {
  size_t nc = m->cap ? m->cap * 2 : 16;
  kc_smap_slot *ns = calloc(nc, sizeof *ns);
  if (!ns) return -1;
  for (size_t i = 0; i < m->cap; i++) {
    if (!m->slots[i].key) continue;
    size_t j = m->slots[i].hash & (nc - 1);
    while (ns[j].key) j = (j + 1) & (nc - 1);
    ns[j] = m->slots[i];
  }
  free(m->slots);
  m->slots = ns;
  m->cap = nc;
  return 0;
}

static kc_smap_slot *smap_find(const kc_smap *m, const char *key, size_t h) {
  if (!m->cap) return NULL;
  for (size_t j = h & (m->cap - 1);; j = (j + 1) & (m->cap - 1)) {
    kc_smap_slot *s = &m->slots[j];
    if (!s->key) return NULL;
    if (s->hash == h && strcmp(s->key, key) == 0) return s;
  }
}

int kc_smap_put(kc_smap *m, const char *key, void *val, void **old) {
  size_t h = kc_hash_str(key);
  kc_smap_slot *s = smap_find(m, key, h);
  if (old) *old = s ? s->val : NULL;
  if (s) {
    s->val = val;
    return 0;
  }
  if ((m->n + 1) * 4 > m->cap * 3 && smap_grow(m) != 0) return -1;
  char *k = strdup(key);
  if (!k) return -1;
  size_t j = h & (m->cap - 1);
  while (m->slots[j].key) j = (j + 1) & (m->cap - 1);
  m->slots[j] = (kc_smap_slot){k, val, h};
  m->n++;
  return 0;
}

void *kc_smap_get(const kc_smap *m, const char *key) {
  kc_smap_slot *s = smap_find(m, key, kc_hash_str(key));
  return s ? s->val : NULL;
}

void *kc_smap_del(kc_smap *m, const char *key) {
  kc_smap_slot *s = smap_find(m, key, kc_hash_str(key));
  if (!s) return NULL;
  void *v = s->val;
  free(s->key);
  size_t mask = m->cap - 1, i = (size_t)(s - m->slots), j = i;
  s->key = NULL;
  for (;;) {
    j = (j + 1) & mask;
    if (!m->slots[j].key) break;
    size_t home = m->slots[j].hash & mask;
    /* Move j back into the hole at i unless its home lies cyclically in (i, j]. */
    if ((j > i && (home <= i || home > j)) || (j < i && (home <= i && home > j))) {
      m->slots[i] = m->slots[j];
      m->slots[j].key = NULL;
      i = j;
    }
  }
  m->n--;
  return v;
}

void kc_smap_free(kc_smap *m) {
  for (size_t i = 0; i < m->cap; i++) free(m->slots[i].key);
  free(m->slots);
  memset(m, 0, sizeof *m);
}

size_t kc_smap_bytes(const kc_smap *m) {
  size_t b = m->cap * sizeof(kc_smap_slot);
  for (size_t i = 0; i < m->cap; i++)
    if (m->slots[i].key) b += strlen(m->slots[i].key) + 1 + 16;
  return b;
}

/* ---- pointer set ---- */

static int pset_grow(kc_pset *s) {
  size_t nc = s->cap ? s->cap * 2 : 4;
  void **ns = calloc(nc, sizeof *ns);
  if (!ns) return -1;
  for (size_t i = 0; i < s->cap; i++) {
    if (!s->slots[i]) continue;
    size_t j = hash_ptr(s->slots[i]) & (nc - 1);
    while (ns[j]) j = (j + 1) & (nc - 1);
    ns[j] = s->slots[i];
  }
  free(s->slots);
  s->slots = ns;
  s->cap = nc;
  return 0;
}

int kc_pset_add(kc_pset *s, void *p) {
  if (s->cap) {
    for (size_t j = hash_ptr(p) & (s->cap - 1); s->slots[j]; j = (j + 1) & (s->cap - 1))
      if (s->slots[j] == p) return 0;
  }
  if ((s->n + 1) * 4 > s->cap * 3 && pset_grow(s) != 0) return -1;
  size_t j = hash_ptr(p) & (s->cap - 1);
  while (s->slots[j]) j = (j + 1) & (s->cap - 1);
  s->slots[j] = p;
  s->n++;
  return 0;
}

bool kc_pset_del(kc_pset *s, void *p) {
  if (!s->cap) return false;
  size_t mask = s->cap - 1, i = hash_ptr(p) & mask;
  while (s->slots[i] && s->slots[i] != p) i = (i + 1) & mask;
  if (!s->slots[i]) return false;
  s->slots[i] = NULL;
  for (size_t j = (i + 1) & mask; s->slots[j]; j = (j + 1) & mask) {
    size_t home = hash_ptr(s->slots[j]) & mask;
    if ((j > i && (home <= i || home > j)) || (j < i && (home <= i && home > j))) {
      s->slots[i] = s->slots[j];
      s->slots[j] = NULL;
      i = j;
    }
  }
  s->n--;
  return true;
}

void kc_pset_free(kc_pset *s) {
  free(s->slots);
  memset(s, 0, sizeof *s);
}

size_t kc_pset_bytes(const kc_pset *s) { return s->cap * sizeof(void *); }
