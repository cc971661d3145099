/* json_merge.c — RFC 7386 JSON merge patch: apply and diff. */
#include <string.h>
#include "capz/json.h"
#include "json_internal.h"

/* Merge patch into target (owned, may be NULL); returns the new value or NULL on OOM
 * (target is consumed either way). */
static cJSON *merge_into(cJSON *target, const cJSON *patch) {
  if (!cJSON_IsObject(patch)) {
    cJSON_Delete(target);
    return cJSON_Duplicate(patch, 1);
  }
  if (!cJSON_IsObject(target)) {
    cJSON_Delete(target);
    target = cJSON_CreateObject();
    if (!target) return NULL;
  }
  for (const cJSON *pm = patch->child; pm; pm = pm->next) {
    if (!pm->string) continue;
    cJSON *old = jp_member(target, pm->string);
    if (cJSON_IsNull(pm)) {
      if (old) cJSON_Delete(cJSON_DetachItemViaPointer(target, old));
      continue;
    }
    cJSON *cur = old ? cJSON_DetachItemViaPointer(target, old) : NULL;
    cJSON *merged = merge_into(cur, pm);
    if (!merged || !cJSON_AddItemToObject(target, pm->string, merged)) {
      cJSON_Delete(merged);
      cJSON_Delete(target);
      return NULL;
    }
  }
  return target;
}

cJSON *capz_json_merge_patch(const cJSON *target, const cJSON *patch) {
  if (!patch) return target ? cJSON_Duplicate(target, 1) : cJSON_CreateNull();
  cJSON *t = target ? cJSON_Duplicate(target, 1) : NULL;
  if (target && !t) return NULL;
  return merge_into(t, patch);
}

static bool add_or_fail(cJSON *obj, const char *key, cJSON *v) {
  if (!v) return false;
  if (!cJSON_AddItemToObject(obj, key, v)) {
    cJSON_Delete(v);
    return false;
  }
  return true;
}

cJSON *capz_json_merge_diff(const cJSON *from, const cJSON *to) {
  if (!cJSON_IsObject(from) || !cJSON_IsObject(to)) {
    /* A non-object patch replaces the target whole. */
    return to ? cJSON_Duplicate(to, 1) : cJSON_CreateNull();
  }
  cJSON *d = cJSON_CreateObject();
  if (!d) return NULL;
  for (const cJSON *f = from->child; f; f = f->next) {
    if (!f->string || jp_member(to, f->string)) continue;
    if (!add_or_fail(d, f->string, cJSON_CreateNull())) goto oom;
  }
  for (const cJSON *t = to->child; t; t = t->next) {
    if (!t->string) continue;
    const cJSON *f = jp_member(from, t->string);
    if (f && capz_json_equal(f, t)) continue;
    cJSON *v;
    if (f && cJSON_IsObject(f) && cJSON_IsObject(t))
      v = capz_json_merge_diff(f, t);
    else
      v = cJSON_Duplicate(t, 1);
    if (!add_or_fail(d, t->string, v)) goto oom;
  }
  return d;
oom:
  cJSON_Delete(d);
  return NULL;
}
