/* json_subset.c — "desired ⊆ actual": is every field the controller wants already there? */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "capz/json.h"
#include "json_internal.h"

typedef struct sub_ctx {
  unsigned flags;
  char *path; /* JSON pointer of the node being compared, or NULL when not wanted */
  size_t n;
} sub_ctx;

static bool subset(sub_ctx *c, const cJSON *d, const cJSON *a);

/* Compare d and a with the path extended by tok; the path is left extended on a mismatch. */
static bool subset_at(sub_ctx *c, const char *tok, const cJSON *d, const cJSON *a) {
  size_t keep = c->path ? strlen(c->path) : 0;
  if (c->path) jp_append_token(c->path, c->n, tok);
  bool ok = subset(c, d, a);
  if (ok && c->path) c->path[keep] = '\0';
  return ok;
}

static bool strings_equal(const sub_ctx *c, const char *x, const char *y) {
  if (!x || !y) return x == y;
  return (c->flags & CAPZ_JSON_CMP_CASEFOLD_STRINGS) ? strcasecmp(x, y) == 0 : strcmp(x, y) == 0;
}

/* Arrays as sets: each desired element must match some actual element; elements with a string
 * "name" are paired by name. The diff path names the desired element's index. */
static bool subset_set(sub_ctx *c, const cJSON *d, const cJSON *a) {
  char idx[24];
  int i = 0;
  for (const cJSON *de = d->child; de; de = de->next, i++) {
    snprintf(idx, sizeof idx, "%d", i);
    const cJSON *dn = jp_member(de, "name");
    if (cJSON_IsObject(de) && cJSON_IsString(dn)) {
      const cJSON *match = NULL;
      for (const cJSON *ae = a->child; ae && !match; ae = ae->next) {
        const cJSON *an = jp_member(ae, "name");
        if (cJSON_IsString(an) && strings_equal(c, dn->valuestring, an->valuestring)) match = ae;
      }
      if (!match) {
        if (c->path) jp_append_token(c->path, c->n, idx);
        return false;
      }
      if (!subset_at(c, idx, de, match)) return false;
      continue;
    }
    sub_ctx quiet = {c->flags, NULL, 0};
    bool found = false;
    for (const cJSON *ae = a->child; ae && !found; ae = ae->next) found = subset(&quiet, de, ae);
    if (!found) {
      if (c->path) jp_append_token(c->path, c->n, idx);
      return false;
    }
  }
  return true;
}

static bool subset(sub_ctx *c, const cJSON *d, const cJSON *a) {
  if (cJSON_IsNull(d)) return !a || cJSON_IsNull(a); /* desired null = "unset" */
  if (!a) return false;
  if (cJSON_IsObject(d)) {
    if (!cJSON_IsObject(a)) return false;
    for (const cJSON *m = d->child; m; m = m->next)
      if (m->string && !subset_at(c, m->string, m, jp_member(a, m->string))) return false;
    return true;
  }
  if (cJSON_IsArray(d)) {
    if (!cJSON_IsArray(a)) return false;
    if (c->flags & CAPZ_JSON_CMP_ARRAYS_AS_SETS) return subset_set(c, d, a);
    if (cJSON_GetArraySize(d) != cJSON_GetArraySize(a)) return false;
    char idx[24];
    int i = 0;
    for (const cJSON *x = d->child, *y = a->child; x && y; x = x->next, y = y->next, i++) {
      snprintf(idx, sizeof idx, "%d", i);
      if (!subset_at(c, idx, x, y)) return false;
    }
    return true;
  }
  if (cJSON_IsString(d)) return cJSON_IsString(a) && strings_equal(c, d->valuestring, a->valuestring);
  if (cJSON_IsNumber(d)) return cJSON_IsNumber(a) && d->valuedouble == a->valuedouble;
  if (cJSON_IsBool(d)) return cJSON_IsBool(a) && cJSON_IsTrue(d) == cJSON_IsTrue(a);
  return capz_json_equal(d, a);
}

bool capz_json_subset(const cJSON *desired, const cJSON *actual, const char *const *owned, unsigned flags,
                      char *diff_path, size_t n) {
  sub_ctx c = {flags, diff_path && n ? diff_path : NULL, n};
  if (c.path) c.path[0] = '\0';
  if (!owned) return subset(&c, desired, actual);
  for (const char *const *p = owned; *p; p++) {
    jp_path jp;
    if (jp_parse(*p, &jp) != JP_OK) { /* a malformed owned pointer is a caller bug: report it */
      if (c.path) snprintf(c.path, n, "%s", *p);
      return false;
    }
    const cJSON *d = jp_walk(desired, &jp, jp.n);
    const cJSON *a = d ? jp_walk(actual, &jp, jp.n) : NULL;
    jp_free(&jp);
    if (!d) continue; /* nothing desired there */
    if (c.path) snprintf(c.path, n, "%s", *p);
    if (!subset(&c, d, a)) return false;
    if (c.path) c.path[0] = '\0';
  }
  return true;
}
