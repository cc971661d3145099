/* kube_patch_strategic.c — strategic merge patch for the built-in kinds the emulator serves.
 * Their only lists with a patch strategy are metadata.finalizers (merge as a set of strings)
 * and metadata.ownerReferences (merge keyed by uid); every other list is replaced. Directives:
 * $patch (replace/delete/merge), $retainKeys, $deleteFromPrimitiveList/<f>, $setElementOrder/<f>
 * (accepted; order is not enforced). */
#include <stdio.h>
#include <string.h>

#include "kube_sim.h"

enum { LS_NONE, LS_SET, LS_BY_UID };

static int list_strategy(const char *parent, const char *key) {
  if (strcmp(parent, "metadata") != 0) return LS_NONE;
  if (strcmp(key, "finalizers") == 0) return LS_SET;
  if (strcmp(key, "ownerReferences") == 0) return LS_BY_UID;
  return LS_NONE;
}

static bool same_prim(const cJSON *a, const cJSON *b) {
  if (cJSON_IsString(a) && cJSON_IsString(b)) return strcmp(a->valuestring, b->valuestring) == 0;
  if (cJSON_IsNumber(a) && cJSON_IsNumber(b)) return a->valuedouble == b->valuedouble;
  if (cJSON_IsBool(a) && cJSON_IsBool(b)) return cJSON_IsTrue(a) == cJSON_IsTrue(b);
  return false;
}

static cJSON *strip_directives(const cJSON *p) {
  cJSON *d = cJSON_Duplicate(p, 1);
  if (cJSON_IsObject(d)) {
    for (cJSON *c = d->child, *nx; c; c = nx) {
      nx = c->next;
      if (c->string[0] == '$')
        cJSON_DeleteItemFromObjectCaseSensitive(d, c->string);
      else if (cJSON_IsObject(c)) {
        cJSON *s = strip_directives(c);
        cJSON_ReplaceItemInObjectCaseSensitive(d, c->string, s);
      }
    }
  }
  return d;
}

/* Merge patch object p into object o (in place). Returns false on a malformed directive. */
static bool merge_obj(cJSON *o, const cJSON *p, const char *key_of_o, char *err, size_t errn) {
  const char *pd = jstr(p, "$patch");
  if (pd && strcmp(pd, "replace") == 0) {
    while (o->child) cJSON_DeleteItemFromObjectCaseSensitive(o, o->child->string);
    cJSON *s = strip_directives(p);
    for (cJSON *c = s->child, *nx; c; c = nx) {
      nx = c->next;
      cJSON_AddItemToObject(o, c->string, cJSON_DetachItemViaPointer(s, c));
    }
    cJSON_Delete(s);
    return true;
  }
  if (pd && strcmp(pd, "merge") != 0 && strcmp(pd, "delete") != 0) {
    snprintf(err, errn, "unknown patch type: %s", pd);
    return false;
  }
  const cJSON *rk = jget(p, "$retainKeys");
  if (cJSON_IsArray(rk)) {
    for (cJSON *c = o->child, *nx; c; c = nx) {
      nx = c->next;
      bool keep = false;
      const cJSON *k;
      cJSON_ArrayForEach(k, rk) if (cJSON_IsString(k) && strcmp(k->valuestring, c->string) == 0) keep = true;
      if (!keep) cJSON_DeleteItemFromObjectCaseSensitive(o, c->string);
    }
  }
  const cJSON *pc;
  cJSON_ArrayForEach(pc, p) {
    const char *k = pc->string;
    if (strcmp(k, "$patch") == 0 || strcmp(k, "$retainKeys") == 0 || strncmp(k, "$setElementOrder/", 17) == 0)
      continue;
    if (strncmp(k, "$deleteFromPrimitiveList/", 25) == 0) {
      cJSON *list = jget(o, k + 25);
      if (!cJSON_IsArray(pc)) {
        snprintf(err, errn, "$deleteFromPrimitiveList must be a list");
        return false;
      }
      if (cJSON_IsArray(list)) {
        for (int i = cJSON_GetArraySize(list) - 1; i >= 0; i--) {
          const cJSON *x;
          cJSON_ArrayForEach(x, pc) if (same_prim(cJSON_GetArrayItem(list, i), x)) {
            cJSON_DeleteItemFromArray(list, i);
            break;
          }
        }
      }
      continue;
    }
    if (k[0] == '$') {
      snprintf(err, errn, "unknown directive %s", k);
      return false;
    }
    if (cJSON_IsNull(pc)) {
      jdel(o, k);
      continue;
    }
    cJSON *cur = jget(o, k);
    int ls = list_strategy(key_of_o, k);
    if (cJSON_IsArray(pc) && ls != LS_NONE) {
      if (!cJSON_IsArray(cur)) {
        jset(o, k, strip_directives(pc));
        continue;
      }
      const cJSON *el;
      cJSON_ArrayForEach(el, pc) {
        if (ls == LS_SET) {
          bool have = false;
          const cJSON *x;
          cJSON_ArrayForEach(x, cur) if (same_prim(x, el)) have = true;
          if (!have) cJSON_AddItemToArray(cur, cJSON_Duplicate(el, 1));
        } else {
          const char *uid = jstr(el, "uid");
          cJSON *match = NULL;
          int idx = 0, at = -1;
          cJSON *x;
          cJSON_ArrayForEach(x, cur) {
            if (uid && jstr(x, "uid") && strcmp(jstr(x, "uid"), uid) == 0) {
              match = x;
              at = idx;
            }
            idx++;
          }
          const char *epd = jstr(el, "$patch");
          if (epd && strcmp(epd, "delete") == 0) {
            if (at >= 0) cJSON_DeleteItemFromArray(cur, at);
          } else if (match && cJSON_IsObject(el)) {
            if (!merge_obj(match, el, "", err, errn)) return false;
          } else {
            cJSON_AddItemToArray(cur, strip_directives(el));
          }
        }
      }
      continue;
    }
    if (cJSON_IsObject(pc)) {
      const char *cpd = jstr(pc, "$patch");
      if (cpd && strcmp(cpd, "delete") == 0) {
        jdel(o, k);
        continue;
      }
      if (cJSON_IsObject(cur)) {
        if (!merge_obj(cur, pc, k, err, errn)) return false;
      } else {
        cJSON *n = cJSON_CreateObject();
        if (!merge_obj(n, pc, k, err, errn)) {
          cJSON_Delete(n);
          return false;
        }
        jset(o, k, n);
      }
      continue;
    }
    jset(o, k, cJSON_Duplicate(pc, 1));
  }
  return true;
}

cJSON *smp_apply(const cJSON *orig, const cJSON *patch, char *err, size_t errn) {
  cJSON *res = cJSON_Duplicate(orig, 1);
  if (!merge_obj(res, patch, "", err, errn)) {
    cJSON_Delete(res);
    return NULL;
  }
  return res;
}
