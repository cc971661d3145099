/* kc_cache.c — the informer's store: objects by namespace/name plus indexes (value → set of objects).
 * Callers hold the informer's lock (kc_cache.h documents which). */
#include "kube/kc_cache.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct capz_index_values {
  char *buf;
  size_t len, cap;
  int n;
};

CAPZ_API void capz_index_add(capz_index_values *v, const char *value) {
  if (!v || !value) return;
  size_t l = strlen(value) + 1;
  if (v->len + l > v->cap) {
    size_t nc = v->cap ? v->cap * 2 : 64;
    while (nc < v->len + l) nc *= 2;
    char *nb = realloc(v->buf, nc);
    if (!nb) return;
    v->buf = nb;
    v->cap = nc;
  }
  memcpy(v->buf + v->len, value, l);
  v->len += l;
  v->n++;
}

void kc_objkey(const char *ns, const char *name, char *out, size_t n) { snprintf(out, n, "%s/%s", ns ? ns : "", name); }

/* Values of a built-in index, computed from the snapshot itself (no reverse map needed). */
static void builtin_values(int kind, const capz_obj *o, capz_index_values *v) {
  char buf[700];
  switch (kind) {
    case KC_IDX_NAMESPACE: capz_index_add(v, o->ns); break;
    case KC_IDX_OWNER:
      for (size_t i = 0; i < o->n_owners; i++) capz_index_add(v, o->owners[i].uid);
      break;
    case KC_IDX_LABEL:
      for (size_t i = 0; i < o->n_labels; i++) {
        snprintf(buf, sizeof buf, "%s=%s", o->labels[2 * i], o->labels[2 * i + 1]);
        capz_index_add(v, buf);
      }
      break;
    default: break;
  }
}

static void idx_insert(kc_index *ix, const char *val, capz_obj *o) {
  kc_pset *s = kc_smap_get(&ix->values, val);
  if (!s) {
    s = calloc(1, sizeof *s);
    if (!s || kc_smap_put(&ix->values, val, s, NULL) != 0) {
      free(s);
      return;
    }
  }
  kc_pset_add(s, o);
}

static void idx_remove(kc_index *ix, const char *val, capz_obj *o) {
  kc_pset *s = kc_smap_get(&ix->values, val);
  if (!s) return;
  kc_pset_del(s, o);
  if (s->n == 0) {
    kc_smap_del(&ix->values, val);
    kc_pset_free(s);
    free(s);
  }
}

static void index_obj(kc_cache *c, kc_index *ix, capz_obj *o, const char *key) {
  capz_index_values v = {0};
  if (ix->builtin) {
    builtin_values(ix->builtin, o, &v);
  } else {
    const cJSON *j = capz_obj_json(o);
    if (j) ix->fn(ix->ud, o, j, &v);
  }
  for (size_t off = 0; off < v.len; off += strlen(v.buf + off) + 1) idx_insert(ix, v.buf + off, o);
  if (!ix->builtin && v.n > 0) {
    /* Remember what was indexed so removal does not need to decode the object again. */
    kc_vals *rv = malloc(sizeof *rv + v.len);
    if (rv) {
      rv->len = v.len;
      memcpy(rv->buf, v.buf, v.len);
      kc_vals *old = NULL;
      if (kc_smap_put(&ix->reverse, key, rv, (void **)&old) == 0) free(old);
      else free(rv);
    }
  }
  free(v.buf);
  (void)c;
}

static void unindex_obj(kc_index *ix, capz_obj *o, const char *key) {
  if (ix->builtin) {
    capz_index_values v = {0};
    builtin_values(ix->builtin, o, &v);
    for (size_t off = 0; off < v.len; off += strlen(v.buf + off) + 1) idx_remove(ix, v.buf + off, o);
    free(v.buf);
    return;
  }
  kc_vals *vals = kc_smap_del(&ix->reverse, key);
  if (!vals) return;
  for (size_t off = 0; off < vals->len; off += strlen(vals->buf + off) + 1) idx_remove(ix, vals->buf + off, o);
  free(vals);
}

int kc_cache_init(kc_cache *c) {
  memset(c, 0, sizeof *c);
  static const char *names[] = {"namespace", "owner", "label"};
  for (int i = 0; i < 3; i++) {
    kc_index *ix = calloc(1, sizeof *ix);
    if (!ix) return -1;
    ix->name = strdup(names[i]);
    ix->builtin = i + 1;
    ix->next = c->indexes;
    c->indexes = ix;
  }
  return 0;
}

static void free_values(kc_smap *m) {
  KC_SMAP_EACH(m, s) {
    kc_pset_free(s->val);
    free(s->val);
  }
  kc_smap_free(m);
}

void kc_cache_destroy(kc_cache *c) {
  for (kc_index *ix = c->indexes, *n; ix; ix = n) {
    n = ix->next;
    free_values(&ix->values);
    KC_SMAP_EACH(&ix->reverse, s) free(s->val);
    kc_smap_free(&ix->reverse);
    free(ix->name);
    free(ix);
  }
  KC_SMAP_EACH(&c->objs, s) {
    kc_obj_set_cached(s->val, false);
    capz_obj_unref(s->val);
  }
  kc_smap_free(&c->objs);
}

kc_index *kc_cache_index(kc_cache *c, const char *name) {
  for (kc_index *ix = c->indexes; ix; ix = ix->next)
    if (strcmp(ix->name, name) == 0) return ix;
  return NULL;
}

int kc_cache_add_index(kc_cache *c, const char *name, capz_index_fn fn, void *ud) {
  if (kc_cache_index(c, name)) return 0;
  kc_index *ix = calloc(1, sizeof *ix);
  if (!ix || !(ix->name = strdup(name))) {
    free(ix);
    return -1;
  }
  ix->fn = fn;
  ix->ud = ud;
  ix->next = c->indexes;
  c->indexes = ix;
  KC_SMAP_EACH(&c->objs, s) index_obj(c, ix, s->val, s->key);
  return 0;
}

capz_obj *kc_cache_put(kc_cache *c, capz_obj *o) {
  char key[CAPZ_NS_MAX + CAPZ_NAME_MAX + 2];
  kc_objkey(o->ns, o->name, key, sizeof key);
  capz_obj *old = kc_smap_get(&c->objs, key);
  if (old)
    for (kc_index *ix = c->indexes; ix; ix = ix->next) unindex_obj(ix, old, key);
  if (kc_smap_put(&c->objs, key, o, NULL) != 0) {
    /* Out of memory: keep the old snapshot rather than lose the key; the next relist repairs it. */
    if (old)
      for (kc_index *ix = c->indexes; ix; ix = ix->next) index_obj(c, ix, old, key);
    return NULL;
  }
  capz_obj_ref(o);
  kc_obj_set_cached(o, true);
  c->bytes += o->size;
  if (old) c->bytes -= old->size;
  for (kc_index *ix = c->indexes; ix; ix = ix->next) index_obj(c, ix, o, key);
  if (old) kc_obj_set_cached(old, false);
  return old ? old : KC_CACHE_NEW;
}

capz_obj *kc_cache_del(kc_cache *c, const char *ns, const char *name) {
  char key[CAPZ_NS_MAX + CAPZ_NAME_MAX + 2];
  kc_objkey(ns, name, key, sizeof key);
  capz_obj *old = kc_smap_get(&c->objs, key);
  if (!old) return NULL;
  for (kc_index *ix = c->indexes; ix; ix = ix->next) unindex_obj(ix, old, key);
  kc_smap_del(&c->objs, key);
  c->bytes -= old->size;
  kc_obj_set_cached(old, false);
  return old;
}

capz_obj *kc_cache_get(kc_cache *c, const char *ns, const char *name) {
  char key[CAPZ_NS_MAX + CAPZ_NAME_MAX + 2];
  kc_objkey(ns, name, key, sizeof key);
  return kc_smap_get(&c->objs, key);
}

size_t kc_cache_bytes(const kc_cache *c) {
  size_t b = c->bytes + kc_smap_bytes(&c->objs);
  for (const kc_index *ix = c->indexes; ix; ix = ix->next) {
    b += kc_smap_bytes(&ix->values) + kc_smap_bytes(&ix->reverse);
    for (size_t i = 0; i < ix->values.cap; i++)
      if (ix->values.slots[i].key) b += sizeof(kc_pset) + kc_pset_bytes(ix->values.slots[i].val);
    for (size_t i = 0; i < ix->reverse.cap; i++)
      if (ix->reverse.slots[i].key) b += sizeof(kc_vals) + ((kc_vals *)ix->reverse.slots[i].val)->len + 16;
  }
  return b;
}
