/* az_table.c — the resource table's rows: adding, finding, owned-field lists (capz/azure_table.h). */
#include "capz/azure_table.h"
#include "capz/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void capz_arm_table_init(capz_arm_table *t, const char *cluster_name) {
  memset(t, 0, sizeof *t);
  t->cluster_name = cluster_name;
}

static void owned_free(char **o) {
  if (!o) return;
  for (char **p = o; *p; p++) free(*p);
  free(o);
}

void capz_arm_table_free(capz_arm_table *t) {
  if (!t) return;
  for (size_t i = 0; i < t->n; i++) {
    cJSON_Delete(t->rows[i].desired);
    cJSON_Delete(t->rows[i].tags);
    cJSON_Delete(t->rows[i].live);
    owned_free(t->rows[i].owned);
    owned_free(t->rows[i].keep_live);
  }
  free(t->rows);
  memset(t, 0, sizeof *t);
}

/* A copy of a NULL-terminated pointer list (NULL stays NULL): 0 or CAPZ_ENOMEM. */
static int list_copy(const char *const *in, char ***out) {
  char **o = NULL;
  if (in) {
    size_t n = 0;
    while (in[n]) n++;
    o = calloc(n + 1, sizeof *o);
    if (!o) return CAPZ_ENOMEM;
    for (size_t i = 0; i < n; i++)
      if (!(o[i] = strdup(in[i]))) {
        owned_free(o);
        return CAPZ_ENOMEM;
      }
  }
  *out = o;
  return 0;
}

int capz_arm_row_set_owned(capz_arm_row *r, const char *const *owned) {
  char **o;
  if (list_copy(owned, &o)) return CAPZ_ENOMEM;
  owned_free(r->owned);
  r->owned = o;
  return 0;
}

int capz_arm_row_set_keep_live(capz_arm_row *r, const char *const *ptrs) {
  if (!r) return CAPZ_EINVAL;
  char **o;
  if (list_copy(ptrs, &o)) return CAPZ_ENOMEM;
  owned_free(r->keep_live);
  r->keep_live = o;
  return 0;
}

capz_arm_row *capz_arm_table_add(capz_arm_table *t, const char *service, const char *condition, const char *id,
                                 cJSON *desired, const char *const *owned, cJSON *tags) {
  if (!t || !desired || !id) goto fail;
  if (t->n == t->cap) {
    size_t nc = t->cap ? t->cap * 2 : 16;
    capz_arm_row *r = realloc(t->rows, nc * sizeof *r);
    if (!r) goto fail;
    t->rows = r;
    t->cap = nc;
  }
  capz_arm_row *r = &t->rows[t->n];
  memset(r, 0, sizeof *r);
  if (capz_arm_row_set_owned(r, owned)) goto fail;
  t->n++;
  r->service = service;
  r->condition = condition;
  snprintf(r->id, sizeof r->id, "%s", id);
  const char *slash = strrchr(id, '/');
  snprintf(r->name, sizeof r->name, "%s", slash ? slash + 1 : id);
  r->desired = desired;
  r->tags = tags;
  r->ownership = true;
  r->parent = -1;
  return r;
fail:
  cJSON_Delete(desired);
  cJSON_Delete(tags);
  return NULL;
}

capz_arm_row *capz_arm_table_find(capz_arm_table *t, const char *service, const char *name) {
  for (size_t i = 0; t && i < t->n; i++)
    if (t->rows[i].service && strcmp(t->rows[i].service, service) == 0 &&
        (!name || strcmp(t->rows[i].name, name) == 0))
      return &t->rows[i];
  return NULL;
}

static bool in_set(const char *k, const char *const *set) {
  for (; set && *set; set++)
    if (strcmp(k, *set) == 0) return true;
  return false;
}

/* Appends one pointer; the list stays NULL-terminated. */
static int push(char ***o, size_t *n, size_t *cap, const char *prefix, const char *name) {
  if (*n + 2 > *cap) {
    size_t nc = *cap ? *cap * 2 : 8;
    char **x = realloc(*o, nc * sizeof *x);
    if (!x) return CAPZ_ENOMEM;
    *o = x;
    *cap = nc;
  }
  char ptr[320];
  snprintf(ptr, sizeof ptr, "%s", prefix);
  if (capz_json_ptr_append(ptr, sizeof ptr, name)) return CAPZ_EINVAL;
  if (!((*o)[*n] = strdup(ptr))) return CAPZ_ENOMEM;
  (*o)[++*n] = NULL;
  return 0;
}

int capz_arm_row_own_properties(capz_arm_row *r, const char *const *skip) {
  char **o = NULL;
  size_t n = 0, cap = 0;
  int rc = 0;
  const cJSON *it;
  cJSON_ArrayForEach(it, r->desired) {
    if (!it->string) continue;
    if (strcmp(it->string, "properties") == 0 && cJSON_IsObject(it)) {
      const cJSON *p;
      cJSON_ArrayForEach(p, it) {
        if (p->string && !in_set(p->string, skip) && (rc = push(&o, &n, &cap, "/properties", p->string))) break;
      }
    } else {
      rc = push(&o, &n, &cap, "", it->string);
    }
    if (rc) break;
  }
  if (!rc && !o && !(o = calloc(1, sizeof *o))) rc = CAPZ_ENOMEM;
  if (rc) {
    owned_free(o);
    return rc;
  }
  owned_free(r->owned);
  r->owned = o;
  return 0;
}
