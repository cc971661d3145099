/* capi_topology_vars.c — ClusterClass variables for managed topologies: the values patches can read (user
 * variables from Cluster.spec.topology with the class's schema defaults, per-worker overrides, CAPI's builtin.*
 * values), dotted-path lookups and the Go-template subset used by valueFrom.template / enabledIf. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capi_sim.h"

/* A copy of v with the schema's defaults filled in: the default itself when v is absent, then (for objects)
 * property defaults recursively, as the API server's structural defaulting does. NULL when absent and no
 * default applies. */
static cJSON *with_defaults(const cJSON *schema, const cJSON *v) {
  cJSON *out = v ? cJSON_Duplicate(v, 1) : NULL;
  if (!out) {
    const cJSON *def = cJSON_GetObjectItemCaseSensitive(schema, "default");
    if (!def) return NULL;
    out = cJSON_Duplicate(def, 1);
  }
  const cJSON *props = cJSON_GetObjectItemCaseSensitive(schema, "properties");
  if (cJSON_IsObject(out) && cJSON_IsObject(props)) {
    const cJSON *p;
    cJSON_ArrayForEach(p, props) {
      cJSON *cur = cJSON_GetObjectItemCaseSensitive(out, p->string);
      cJSON *d = with_defaults(p, cur);
      if (!d) continue;
      if (cur)
        cJSON_ReplaceItemInObjectCaseSensitive(out, p->string, d);
      else
        cJSON_AddItemToObject(out, p->string, d);
    }
  }
  return out;
}

static const cJSON *topology_value(const cJSON *list, const char *name) {
  const cJSON *v;
  cJSON_ArrayForEach(v, list) {
    if (strcmp(capz_json_ptr_str(v, "/name", ""), name) == 0) return cJSON_GetObjectItemCaseSensitive(v, "value");
  }
  return NULL;
}

static void put(cJSON *obj, const char *key, cJSON *v) {
  if (!v) return;
  if (cJSON_GetObjectItemCaseSensitive(obj, key))
    cJSON_ReplaceItemInObjectCaseSensitive(obj, key, v);
  else
    cJSON_AddItemToObject(obj, key, v);
}

/* Resolve every class variable from `values` (a topology variables list; NULL = none) onto vars. A value for a
 * variable the class does not define is an error, as CAPI's webhook rejects it. */
static int resolve(cJSON *vars, const cJSON *cc, const cJSON *values, bool required_check, char *msg, size_t n) {
  const cJSON *def;
  cJSON_ArrayForEach(def, capz_json_ptr_get(cc, "/spec/variables")) {
    const char *name = capz_json_ptr_str(def, "/name", "");
    if (!*name || strcmp(name, "builtin") == 0) continue;
    const cJSON *schema = capz_json_ptr_get(def, "/schema/openAPIV3Schema");
    const cJSON *given = topology_value(values, name);
    if (!given && !required_check) continue; /* overrides: only what is overridden */
    cJSON *v = with_defaults(schema, given);
    if (!v) {
      if (required_check && capz_json_ptr_bool(def, "/required", false)) {
        snprintf(msg, n, "required variable %s is not set and has no default", name);
        return -1;
      }
      continue;
    }
    put(vars, name, v);
  }
  const cJSON *v;
  cJSON_ArrayForEach(v, values) {
    const char *name = capz_json_ptr_str(v, "/name", "");
    bool known = false;
    cJSON_ArrayForEach(def, capz_json_ptr_get(cc, "/spec/variables")) known |=
        strcmp(capz_json_ptr_str(def, "/name", ""), name) == 0;
    if (!known) {
      snprintf(msg, n, "variable %s is not defined in ClusterClass %s", name, sim_str(cc, "/metadata/name"));
      return -1;
    }
  }
  return 0;
}

cJSON *topo_vars_cluster(const cJSON *cl, const cJSON *cc, char *msg, size_t n) {
  cJSON *vars = cJSON_CreateObject();
  cJSON *cluster = cJSON_AddObjectToObject(cJSON_AddObjectToObject(vars, "builtin"), "cluster");
  cJSON_AddStringToObject(cluster, "name", sim_str(cl, "/metadata/name"));
  cJSON_AddStringToObject(cluster, "namespace", sim_str(cl, "/metadata/namespace"));
  cJSON_AddStringToObject(cluster, "uid", sim_str(cl, "/metadata/uid"));
  cJSON *md = cJSON_AddObjectToObject(cluster, "metadata");
  const cJSON *labels = capz_json_ptr_get(cl, "/metadata/labels"),
              *ann = capz_json_ptr_get(cl, "/metadata/annotations");
  cJSON_AddItemToObject(md, "labels", cJSON_IsObject(labels) ? cJSON_Duplicate(labels, 1) : cJSON_CreateObject());
  cJSON_AddItemToObject(md, "annotations", cJSON_IsObject(ann) ? cJSON_Duplicate(ann, 1) : cJSON_CreateObject());
  cJSON *topo = cJSON_AddObjectToObject(cluster, "topology");
  cJSON_AddStringToObject(topo, "version", sim_str(cl, "/spec/topology/version"));
  cJSON_AddStringToObject(topo, "class", sim_str(cc, "/metadata/name"));
  cJSON_AddStringToObject(topo, "classNamespace", sim_str(cc, "/metadata/namespace"));
  const cJSON *net = capz_json_ptr_get(cl, "/spec/clusterNetwork");
  if (cJSON_IsObject(net)) {
    cJSON *bn = cJSON_AddObjectToObject(cluster, "network");
    const char *dom = capz_json_ptr_str(net, "/serviceDomain", NULL);
    if (dom) cJSON_AddStringToObject(bn, "serviceDomain", dom);
    const cJSON *svc = capz_json_ptr_get(net, "/services/cidrBlocks"),
                *pods = capz_json_ptr_get(net, "/pods/cidrBlocks");
    if (cJSON_IsArray(svc)) cJSON_AddItemToObject(bn, "services", cJSON_Duplicate(svc, 1));
    if (cJSON_IsArray(pods)) cJSON_AddItemToObject(bn, "pods", cJSON_Duplicate(pods, 1));
  }
  if (resolve(vars, cc, capz_json_ptr_get(cl, "/spec/topology/variables"), true, msg, n) != 0) {
    cJSON_Delete(vars);
    return NULL;
  }
  return vars;
}

cJSON *topo_vars_worker(const cJSON *vars, const cJSON *worker, const cJSON *cc, char *msg, size_t n) {
  cJSON *out = cJSON_Duplicate(vars, 1);
  const cJSON *ov = capz_json_ptr_get(worker, "/variables/overrides");
  if (ov && resolve(out, cc, ov, false, msg, n) != 0) {
    cJSON_Delete(out);
    return NULL;
  }
  return out;
}

const cJSON *topo_var_lookup(const cJSON *vars, const char *path) {
  if (!path || !*path) return NULL;
  const cJSON *cur = vars;
  const char *p = path;
  while (cur && *p) {
    const char *dot = strchr(p, '.');
    size_t l = dot ? (size_t)(dot - p) : strlen(p);
    if (l == 0 || l >= 128 || !cJSON_IsObject(cur)) return NULL;
    char key[128];
    memcpy(key, p, l);
    key[l] = 0;
    cur = cJSON_GetObjectItemCaseSensitive(cur, key);
    p += l + (dot ? 1 : 0);
    if (dot && !*p) return NULL; /* trailing dot */
  }
  return cur;
}

/* ---- Go-template subset ---- */
typedef struct buf {
  char *p;
  size_t n, cap;
} buf;

static bool buf_add(buf *b, const char *s, size_t l) {
  if (b->n + l + 1 > b->cap) {
    size_t cap = (b->n + l + 1) * 2;
    char *np = realloc(b->p, cap);
    if (!np) return false;
    b->p = np;
    b->cap = cap;
  }
  memcpy(b->p + b->n, s, l);
  b->n += l;
  b->p[b->n] = 0;
  return true;
}

/* Go prints scalars plainly; objects and arrays are printed as compact JSON here (Go would print map[...]). */
static char *value_text(const cJSON *v) {
  char tmp[64];
  if (cJSON_IsString(v)) return strdup(v->valuestring);
  if (cJSON_IsBool(v)) return strdup(cJSON_IsTrue(v) ? "true" : "false");
  if (cJSON_IsNumber(v)) {
    double d = v->valuedouble;
    if (d == (double)(long long)d && d < 9.007199254740992e15 && d > -9.007199254740992e15)
      snprintf(tmp, sizeof tmp, "%lld", (long long)d);
    else
      snprintf(tmp, sizeof tmp, "%g", d);
    return strdup(tmp);
  }
  if (cJSON_IsNull(v)) return strdup("<nil>");
  return cJSON_PrintUnformatted(v);
}

char *topo_template_render(const char *text, const cJSON *vars, char *msg, size_t n) {
  buf b = {0};
  if (!buf_add(&b, "", 0)) return NULL;
  const char *p = text;
  while (*p) {
    const char *open = strstr(p, "{{");
    if (!open) {
      buf_add(&b, p, strlen(p));
      break;
    }
    const char *close = strstr(open + 2, "}}");
    if (!close) {
      snprintf(msg, n, "template: unterminated action");
      free(b.p);
      return NULL;
    }
    const char *a = open + 2, *e = close;
    size_t lit = (size_t)(open - p);
    if (*a == '-' && a + 1 < e && isspace((unsigned char)a[1])) {
      while (lit > 0 && isspace((unsigned char)p[lit - 1])) lit--; /* {{- trims the text before */
      a++;
    }
    bool trim_after = false;
    if (e - 1 > a && e[-1] == '-' && isspace((unsigned char)e[-2])) {
      trim_after = true;
      e--;
    }
    buf_add(&b, p, lit);
    while (a < e && isspace((unsigned char)*a)) a++;
    while (e > a && isspace((unsigned char)e[-1])) e--;
    size_t al = (size_t)(e - a);
    bool simple = al > 1 && *a == '.';
    for (size_t i = 1; simple && i < al; i++)
      simple = isalnum((unsigned char)a[i]) || a[i] == '_' || a[i] == '-' || a[i] == '.';
    if (!simple) {
      snprintf(msg, n, "template action {{ %.*s }} is not supported (capz-capi-sim renders only {{ .path }})",
               (int)(al > 200 ? 200 : al), a);
      free(b.p);
      return NULL;
    }
    char path[256];
    snprintf(path, sizeof path, "%.*s", (int)(al - 1), a + 1);
    const cJSON *v = topo_var_lookup(vars, path);
    if (!v) {
      snprintf(msg, n, "template: variable .%s is not set", path);
      free(b.p);
      return NULL;
    }
    char *t = value_text(v);
    if (t) buf_add(&b, t, strlen(t));
    free(t);
    p = close + 2;
    if (trim_after)
      while (*p && isspace((unsigned char)*p)) p++;
  }
  return b.p;
}
