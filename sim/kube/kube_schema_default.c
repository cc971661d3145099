/* kube_schema_default.c — structural-schema defaulting: a `default` applies to a missing
 * property of an object that exists (it does not create parents unless they default too). */
#include <string.h>

#include "kube_sim.h"

static void apply(cJSON *v, const cJSON *s, bool root) {
  if (!s || !v) return;
  if (cJSON_IsObject(v)) {
    const cJSON *props = jget(s, "properties");
    const cJSON *p;
    cJSON_ArrayForEach(p, props) {
      if (root && strcmp(p->string, "metadata") == 0) continue;
      const cJSON *def = jget(p, "default");
      if (def && !cJSON_GetObjectItemCaseSensitive(v, p->string))
        cJSON_AddItemToObject(v, p->string, cJSON_Duplicate(def, 1));
    }
    const cJSON *addl = jget(s, "additionalProperties");
    for (cJSON *c = v->child; c; c = c->next) {
      if (root && strcmp(c->string, "metadata") == 0) continue;
      const cJSON *ps = props ? cJSON_GetObjectItemCaseSensitive(props, c->string) : NULL;
      if (!ps && cJSON_IsObject(addl)) ps = addl;
      apply(c, ps, false);
    }
  } else if (cJSON_IsArray(v)) {
    cJSON *c;
    cJSON_ArrayForEach(c, v) apply(c, jget(s, "items"), false);
  }
}

void schema_default(cJSON *obj, const cJSON *schema) { apply(obj, schema, true); }
