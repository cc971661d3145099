/* kube_crd.c — CustomResourceDefinitions: validation and completion on create (names,
 * conditions NamesAccepted/Established set synchronously, the cleanup finalizer), and the
 * served types they define. Superseded version tables and CRD trees are retired to a
 * graveyard rather than freed, because watch streams may still point at them. Needs KS.lock. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube_sim.h"

#define CRD_FINALIZER "customresourcecleanup.apiextensions.k8s.io"

typedef struct grave {
  kversion *versions;
  int n;
  cJSON *crd;
  struct grave *next;
} grave;
static grave *graveyard;

static void bury(kversion *v, int n, cJSON *crd) {
  grave *g = calloc(1, sizeof *g);
  if (!g) abort();
  g->versions = v;
  g->n = n;
  g->crd = crd;
  g->next = graveyard;
  graveyard = g;
}

void crd_free_graveyard(void) {
  while (graveyard) {
    grave *g = graveyard;
    graveyard = g->next;
    for (int i = 0; i < g->n; i++) free(g->versions[i].name);
    free(g->versions);
    cJSON_Delete(g->crd);
    free(g);
  }
}

static cJSON *condition(const char *type, const char *status, const char *reason, const char *msg, const char *ts) {
  cJSON *c = cJSON_CreateObject();
  cJSON_AddStringToObject(c, "type", type);
  cJSON_AddStringToObject(c, "status", status);
  cJSON_AddStringToObject(c, "lastTransitionTime", ts);
  cJSON_AddStringToObject(c, "reason", reason);
  cJSON_AddStringToObject(c, "message", msg);
  return c;
}

static bool is_lower_dns_label(const char *s) { return s && is_dns1123_label(s); }

static void crd_validate(cJSON *crd, kerrs *e);
static void crd_defaults(cJSON *crd);

int crd_prepare_create(kreq *r, cJSON *crd, kerrs *e) {
  (void)r;
  crd_validate(crd, e);
  if (e->n) return -1;
  crd_defaults(crd);
  cJSON *spec = jget(crd, "spec");
  cJSON *names = jget(spec, "names");
  cJSON *versions = jget(spec, "versions");
  cJSON *md = jobj(crd, "metadata");
  cJSON *fins = jget(md, "finalizers");
  if (!cJSON_IsArray(fins)) {
    fins = cJSON_CreateArray();
    jset(md, "finalizers", fins);
  }
  bool has = false;
  const cJSON *f;
  cJSON_ArrayForEach(f, fins) if (cJSON_IsString(f) && strcmp(f->valuestring, CRD_FINALIZER) == 0) has = true;
  if (!has) cJSON_AddItemToArray(fins, cJSON_CreateString(CRD_FINALIZER));
  char ts[32];
  now_rfc3339(ts);
  cJSON *st = cJSON_CreateObject();
  cJSON *conds = cJSON_AddArrayToObject(st, "conditions");
  cJSON_AddItemToArray(conds, condition("NamesAccepted", "True", "NoConflicts", "no conflicts found", ts));
  cJSON_AddItemToArray(conds,
                       condition("Established", "True", "InitialNamesAccepted", "the initial names have been accepted", ts));
  cJSON_AddItemToObject(st, "acceptedNames", cJSON_Duplicate(names, 1));
  cJSON *sv = cJSON_AddArrayToObject(st, "storedVersions");
  const cJSON *v;
  cJSON_ArrayForEach(v, versions) if (cJSON_IsTrue(jget(v, "storage")))
      cJSON_AddItemToArray(sv, cJSON_CreateString(jstr(v, "name")));
  jset(crd, "status", st);
  return 0;
}

int crd_prepare_update(cJSON *crd, const cJSON *old, kerrs *e) {
  crd_validate(crd, e);
  static const char *immutable[][2] = {{"group", NULL}, {"scope", NULL}, {"names", "plural"}, {"names", "kind"}};
  for (int i = 0; i < 4; i++) {
    const cJSON *a = jget(jget(crd, "spec"), immutable[i][0]), *b = jget(jget(old, "spec"), immutable[i][0]);
    if (immutable[i][1]) {
      a = jget(a, immutable[i][1]);
      b = jget(b, immutable[i][1]);
    }
    if (cJSON_IsString(a) && cJSON_IsString(b) && strcmp(a->valuestring, b->valuestring) != 0) {
      char f[64];
      snprintf(f, sizeof f, "spec.%s%s%s", immutable[i][0], immutable[i][1] ? "." : "",
               immutable[i][1] ? immutable[i][1] : "");
      kerrs_add(e, "FieldValueInvalid", f, "Invalid value: \"%s\": field is immutable", a->valuestring);
    }
  }
  if (e->n) return -1;
  crd_defaults(crd);
  return 0;
}

static void crd_validate(cJSON *crd, kerrs *e) {
  cJSON *spec = jget(crd, "spec");
  cJSON *names = jget(spec, "names");
  const char *group = jstr(spec, "group");
  const char *plural = jstr(names, "plural");
  const char *kind = jstr(names, "kind");
  const char *scope = jstr(spec, "scope");
  const char *name = jstr(jget(crd, "metadata"), "name");
  if (!group || !*group) kerrs_add(e, "FieldValueRequired", "spec.group", "Required value");
  else if (!strchr(group, '.') || !is_dns1123_subdomain(group))
    kerrs_add(e, "FieldValueInvalid", "spec.group", "Invalid value: \"%s\": should be a domain with at least one dot",
              group);
  if (!plural || !*plural) kerrs_add(e, "FieldValueRequired", "spec.names.plural", "Required value");
  else if (!is_lower_dns_label(plural))
    kerrs_add(e, "FieldValueInvalid", "spec.names.plural",
              "Invalid value: \"%s\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters "
              "or '-', and must start and end with an alphanumeric character",
              plural);
  if (!kind || !*kind) kerrs_add(e, "FieldValueRequired", "spec.names.kind", "Required value");
  if (!scope || (strcmp(scope, "Namespaced") != 0 && strcmp(scope, "Cluster") != 0))
    kerrs_add(e, "FieldValueNotSupported", "spec.scope",
              "Unsupported value: \"%s\": supported values: \"Cluster\", \"Namespaced\"", scope ? scope : "");
  if (group && plural && name) {
    char want[600];
    snprintf(want, sizeof want, "%s.%s", plural, group);
    if (strcmp(want, name) != 0)
      kerrs_add(e, "FieldValueInvalid", "metadata.name", "Invalid value: \"%s\": must be spec.names.plural+\".\"+spec.group",
                name);
  }
  cJSON *versions = jget(spec, "versions");
  int nst = 0, nv = cJSON_GetArraySize(versions);
  if (!cJSON_IsArray(versions) || nv == 0) {
    kerrs_add(e, "FieldValueRequired", "spec.versions", "Required value: must have exactly one version marked as storage version");
  } else {
    const cJSON *v;
    int i = 0;
    cJSON_ArrayForEach(v, versions) {
      const char *vn = jstr(v, "name");
      char f[64];
      snprintf(f, sizeof f, "spec.versions[%d].name", i);
      if (!vn || !is_lower_dns_label(vn)) kerrs_add(e, "FieldValueInvalid", f, "Invalid value: \"%s\": must be a DNS label", vn ? vn : "");
      if (cJSON_IsTrue(jget(v, "storage"))) nst++;
      if (!cJSON_IsBool(jget(v, "served"))) {
        snprintf(f, sizeof f, "spec.versions[%d].served", i);
        kerrs_add(e, "FieldValueRequired", f, "Required value");
      }
      i++;
    }
    if (nst != 1)
      kerrs_add(e, "FieldValueInvalid", "spec.versions", "Invalid value: %s: must have exactly one version marked as storage version",
                nst ? "multiple" : "0");
  }
}

static void crd_defaults(cJSON *crd) {
  cJSON *spec = jget(crd, "spec");
  cJSON *names = jget(spec, "names");
  const char *kind = jstr(names, "kind");
  if (!jstr(names, "singular")) {
    char low[256];
    snprintf(low, sizeof low, "%s", kind);
    for (char *p = low; *p; p++) *p = (char)tolower((unsigned char)*p);
    jset_str(names, "singular", low);
  }
  if (!jstr(names, "listKind")) {
    char lk[300];
    snprintf(lk, sizeof lk, "%sList", kind);
    jset_str(names, "listKind", lk);
  }
  if (!jget(spec, "conversion")) {
    cJSON *c = cJSON_CreateObject();
    cJSON_AddStringToObject(c, "strategy", "None");
    jset(spec, "conversion", c);
  }
}

static void fill_versions(ktype *t) {
  cJSON *versions = jget(jget(t->crd, "spec"), "versions");
  int n = cJSON_GetArraySize(versions);
  t->versions = calloc((size_t)(n ? n : 1), sizeof *t->versions);
  if (!t->versions) abort();
  t->nversions = n;
  for (int i = 0; i < n; i++) {
    cJSON *v = cJSON_GetArrayItem(versions, i);
    kversion *kv = &t->versions[i];
    kv->name = strdup(jstr(v, "name") ? jstr(v, "name") : "v1");
    kv->served = cJSON_IsTrue(jget(v, "served"));
    kv->storage = cJSON_IsTrue(jget(v, "storage"));
    kv->status_sub = jget(jget(v, "subresources"), "status") != NULL;
    kv->schema = jget(jget(v, "schema"), "openAPIV3Schema");
    if (kv->storage) t->storage_idx = i;
  }
}

static void fill_names(ktype *t) {
  cJSON *spec = jget(t->crd, "spec"), *names = jget(spec, "names");
  free(t->singular);
  free(t->list_kind);
  cJSON_Delete(t->short_names);
  cJSON_Delete(t->categories);
  t->singular = strdup(jstr(names, "singular"));
  t->list_kind = strdup(jstr(names, "listKind"));
  t->short_names = cJSON_IsArray(jget(names, "shortNames")) ? cJSON_Duplicate(jget(names, "shortNames"), 1) : NULL;
  t->categories = cJSON_IsArray(jget(names, "categories")) ? cJSON_Duplicate(jget(names, "categories"), 1) : NULL;
}

int crd_register(cJSON *crd) {
  ktype *t = store_add_type();
  t->builtin = KB_CUSTOM;
  t->crd = crd;
  cJSON *spec = jget(crd, "spec"), *names = jget(spec, "names");
  t->group = strdup(jstr(spec, "group"));
  t->plural = strdup(jstr(names, "plural"));
  t->kind = strdup(jstr(names, "kind"));
  t->namespaced = strcmp(jstr(spec, "scope"), "Namespaced") == 0;
  t->crd_name = strdup(jstr(jget(crd, "metadata"), "name"));
  fill_names(t);
  fill_versions(t);
  return 0;
}

ktype *crd_type(const char *crd_name) {
  for (ktype *t = KS.types; t; t = t->next)
    if (!t->removed && t->crd_name && strcmp(t->crd_name, crd_name) == 0) return t;
  return NULL;
}

void crd_update_type(cJSON *crd) {
  ktype *t = crd_type(jstr(jget(crd, "metadata"), "name"));
  if (!t) {
    cJSON_Delete(crd);
    return;
  }
  bury(t->versions, t->nversions, t->crd);
  t->schema_gen++; /* objects stored before this update get the new defaults when read */
  t->crd = crd;
  t->versions = NULL;
  fill_names(t);
  fill_versions(t);
}

void crd_unregister(const char *crd_name) {
  ktype *t = crd_type(crd_name);
  if (!t) return;
  watch_close_type(t);
  t->removed = true;
}
