/* arm_store.c — the resource table: a hash on the lower-cased id plus creation-order and per-type lists,
 * so GETs are O(1) and listings keep a stable order. Not locked: callers hold the world lock. */
#include "arm_sim.h"

#include <stdlib.h>
#include <string.h>

#define NTYPES_MAX 128

struct arm_store {
  arm_res **tab;
  size_t cap, n;
  arm_res *head, *tail;
  arm_res *thead[NTYPES_MAX], *ttail[NTYPES_MAX];
  long long seq;
};

arm_store *arm_store_new(void) {
  arm_store *s = calloc(1, sizeof *s);
  if (!s) return NULL;
  s->cap = 1024;
  s->tab = calloc(s->cap, sizeof *s->tab);
  if (!s->tab) { free(s); return NULL; }
  return s;
}

static void res_free(arm_res *r) {
  free(r->key);
  free(r->id);
  cJSON_Delete(r->doc);
  cJSON_Delete(r->priv);
  free(r);
}

void arm_store_clear(arm_store *s) {
  arm_res *r = s->head;
  while (r) {
    arm_res *nx = r->next;
    res_free(r);
    r = nx;
  }
  memset(s->tab, 0, s->cap * sizeof *s->tab);
  s->n = 0;
  s->head = s->tail = NULL;
  memset(s->thead, 0, sizeof s->thead);
  memset(s->ttail, 0, sizeof s->ttail);
}

void arm_store_free(arm_store *s) {
  if (!s) return;
  arm_store_clear(s);
  free(s->tab);
  free(s);
}

static void grow(arm_store *s) {
  size_t ncap = s->cap * 2;
  arm_res **nt = calloc(ncap, sizeof *nt);
  if (!nt) return;
  for (arm_res *r = s->head; r; r = r->next) {
    size_t h = arm_hash32(r->key) & (ncap - 1);
    r->hnext = nt[h];
    nt[h] = r;
  }
  free(s->tab);
  s->tab = nt;
  s->cap = ncap;
}

arm_res *arm_store_get(arm_store *s, const char *id) {
  if (!id || !*id) return NULL;
  char key[ARM_ID_MAX];
  arm_lower(key, id, sizeof key);
  size_t L = strlen(key);
  while (L > 1 && key[L - 1] == '/') key[--L] = '\0';
  for (arm_res *r = s->tab[arm_hash32(key) & (s->cap - 1)]; r; r = r->hnext)
    if (strcmp(r->key, key) == 0) return r;
  return NULL;
}

arm_res *arm_store_put(arm_store *s, const char *id, const arm_rtype *rt, cJSON *doc) {
  arm_res *r = arm_store_get(s, id);
  if (r) {
    if (r->doc != doc) cJSON_Delete(r->doc);
    r->doc = doc;
    return r;
  }
  r = calloc(1, sizeof *r);
  if (!r) { cJSON_Delete(doc); return NULL; }
  r->id = strdup(id);
  r->key = strdup(id);
  r->priv = cJSON_CreateObject();
  if (!r->id || !r->key || !r->priv) { cJSON_Delete(doc); res_free(r); return NULL; }
  arm_lower(r->key, id, strlen(id) + 1);
  r->rt = rt;
  r->doc = doc;
  r->seq = ++s->seq;
  if (s->n * 2 >= s->cap) grow(s);
  size_t h = arm_hash32(r->key) & (s->cap - 1);
  r->hnext = s->tab[h];
  s->tab[h] = r;
  r->prev = s->tail;
  if (s->tail) s->tail->next = r;
  else s->head = r;
  s->tail = r;
  int ti = arm_rtype_index(rt);
  if (ti >= 0 && ti < NTYPES_MAX) {
    r->tprev = s->ttail[ti];
    if (s->ttail[ti]) s->ttail[ti]->tnext = r;
    else s->thead[ti] = r;
    s->ttail[ti] = r;
  }
  s->n++;
  return r;
}

void arm_store_remove(arm_store *s, arm_res *r) {
  size_t h = arm_hash32(r->key) & (s->cap - 1);
  for (arm_res **pp = &s->tab[h]; *pp; pp = &(*pp)->hnext) {
    if (*pp == r) { *pp = r->hnext; break; }
  }
  if (r->prev) r->prev->next = r->next;
  else s->head = r->next;
  if (r->next) r->next->prev = r->prev;
  else s->tail = r->prev;
  int ti = arm_rtype_index(r->rt);
  if (ti >= 0 && ti < NTYPES_MAX) {
    if (r->tprev) r->tprev->tnext = r->tnext;
    else s->thead[ti] = r->tnext;
    if (r->tnext) r->tnext->tprev = r->tprev;
    else s->ttail[ti] = r->tprev;
  }
  s->n--;
  res_free(r);
}

arm_res *arm_store_first(arm_store *s) { return s->head; }
arm_res *arm_store_first_of(arm_store *s, const arm_rtype *rt) {
  int ti = arm_rtype_index(rt);
  return (ti >= 0 && ti < NTYPES_MAX) ? s->thead[ti] : NULL;
}
size_t arm_store_count(arm_store *s) { return s->n; }
