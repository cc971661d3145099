/* kube_prune.c — structural-schema pruning of unknown fields (recording their paths for
 * fieldValidation), and removal of nulls on non-nullable fields (done before defaulting). */
#include <stdio.h>
#include <string.h>

#include "kube_sim.h"

static bool preserves(const cJSON *s) { return cJSON_IsTrue(jget(s, "x-kubernetes-preserve-unknown-fields")); }

static void path_child(char *out, size_t n, const char *base, const char *key) {
  int r = base && *base ? snprintf(out, n, "%s.%s", base, key) : snprintf(out, n, "%s", key);
  if (r < 0 || (size_t)r >= n) out[n - 1] = '\0'; /* very deep paths are reported truncated */
}

static void prune_meta_embedded(cJSON *md, cJSON *unknown, const char *path);

static void prune(cJSON *v, const cJSON *s, cJSON *unknown, const char *path, bool root) {
  if (!s || !v) return;
  if (cJSON_IsObject(v)) {
    const cJSON *props = jget(s, "properties");
    const cJSON *addl = jget(s, "additionalProperties");
    bool keep_all = preserves(s) || cJSON_IsTrue(addl);
    bool embedded = cJSON_IsTrue(jget(s, "x-kubernetes-embedded-resource"));
    for (cJSON *c = v->child, *nx; c; c = nx) {
      nx = c->next;
      char p[1024];
      path_child(p, sizeof p, path, c->string);
      const cJSON *ps = props ? cJSON_GetObjectItemCaseSensitive(props, c->string) : NULL;
      if ((root || embedded) && (strcmp(c->string, "apiVersion") == 0 || strcmp(c->string, "kind") == 0)) continue;
      if ((root || embedded) && strcmp(c->string, "metadata") == 0) {
        if (embedded && !root) prune_meta_embedded(c, unknown, p);
        continue;
      }
      if (ps) {
        prune(c, ps, unknown, p, false);
      } else if (cJSON_IsObject(addl)) {
        prune(c, addl, unknown, p, false);
      } else if (!keep_all) {
        if (unknown) cJSON_AddItemToArray(unknown, cJSON_CreateString(p));
        cJSON_DeleteItemFromObjectCaseSensitive(v, c->string);
      }
    }
  } else if (cJSON_IsArray(v)) {
    const cJSON *items = jget(s, "items");
    int i = 0;
    cJSON *c;
    cJSON_ArrayForEach(c, v) {
      char p[1024];
      snprintf(p, sizeof p, "%s[%d]", path, i++);
      prune(c, items, unknown, p, false);
    }
  }
}

static void prune_meta_embedded(cJSON *md, cJSON *unknown, const char *path) {
  static const char *known[] = {"name", "generateName", "namespace", "labels", "annotations", "ownerReferences",
                                "finalizers", "uid", "resourceVersion", "generation", "creationTimestamp",
                                "deletionTimestamp", "deletionGracePeriodSeconds", "managedFields", "selfLink", NULL};
  if (!cJSON_IsObject(md)) return;
  for (cJSON *c = md->child, *nx; c; c = nx) {
    nx = c->next;
    bool ok = false;
    for (int i = 0; known[i]; i++)
      if (strcmp(known[i], c->string) == 0) ok = true;
    if (!ok) {
      char p[1024];
      path_child(p, sizeof p, path, c->string);
      if (unknown) cJSON_AddItemToArray(unknown, cJSON_CreateString(p));
      cJSON_DeleteItemFromObjectCaseSensitive(md, c->string);
    }
  }
}

void schema_prune(cJSON *obj, const cJSON *schema, cJSON *unknown, bool is_root) {
  prune(obj, schema, unknown, "", is_root);
}

static void drop_nulls(cJSON *v, const cJSON *s, bool root) {
  if (!s || !v) return;
  if (cJSON_IsObject(v)) {
    const cJSON *props = jget(s, "properties");
    const cJSON *addl = jget(s, "additionalProperties");
    for (cJSON *c = v->child, *nx; c; c = nx) {
      nx = c->next;
      if (root && strcmp(c->string, "metadata") == 0) continue;
      const cJSON *ps = props ? cJSON_GetObjectItemCaseSensitive(props, c->string) : NULL;
      if (!ps && cJSON_IsObject(addl)) ps = addl;
      if (!ps) continue;
      if (cJSON_IsNull(c) && !cJSON_IsTrue(jget(ps, "nullable"))) {
        cJSON_DeleteItemFromObjectCaseSensitive(v, c->string);
        continue;
      }
      drop_nulls(c, ps, false);
    }
  } else if (cJSON_IsArray(v)) {
    cJSON *c;
    cJSON_ArrayForEach(c, v) drop_nulls(c, jget(s, "items"), false);
  }
}

void schema_drop_nulls(cJSON *obj, const cJSON *schema) { drop_nulls(obj, schema, true); }
