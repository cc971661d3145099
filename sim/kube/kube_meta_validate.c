/* kube_meta_validate.c — ObjectMeta validation shared by every kind: names, labels,
 * annotations, ownerReferences and finalizers, worded like apimachinery's validators. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "kube_sim.h"

#define SUBDOMAIN_MSG                                                                                                 \
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start " \
  "and end with an alphanumeric character (e.g. 'example.com', regex used for validation is "                      \
  "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
#define LABEL_MSG                                                                                                   \
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end " \
  "with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is "                 \
  "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')"

/* name part of a qualified name: [A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?, <= 63 */
static bool qualified_name_part(const char *s, size_t n) {
  if (n == 0 || n > 63) return false;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    bool alnum = isalnum((unsigned char)c);
    if (i == 0 || i == n - 1) {
      if (!alnum) return false;
    } else if (!alnum && c != '-' && c != '_' && c != '.') {
      return false;
    }
  }
  return true;
}

static bool qualified_name(const char *s) {
  const char *sl = strchr(s, '/');
  if (!sl) return qualified_name_part(s, strlen(s));
  char pfx[300];
  size_t pn = (size_t)(sl - s);
  if (pn == 0 || pn >= sizeof pfx) return false;
  memcpy(pfx, s, pn);
  pfx[pn] = '\0';
  return is_dns1123_subdomain(pfx) && qualified_name_part(sl + 1, strlen(sl + 1));
}

static bool label_value(const char *s) { return *s == '\0' || qualified_name_part(s, strlen(s)); }

void metadata_validate(const ktype *t, const cJSON *obj, kerrs *e, bool is_create) {
  (void)is_create;
  const cJSON *md = jget(obj, "metadata");
  const char *name = jstr(md, "name");
  static const char *typed[][2] = {{"labels", "object"}, {"annotations", "object"}, {"ownerReferences", "array"},
                                   {"finalizers", "array"}, {"name", "string"}, {"generateName", "string"}};
  for (int i = 0; i < 6; i++) {
    const cJSON *v = jget(md, typed[i][0]);
    if (!v || cJSON_IsNull(v)) continue;
    bool ok = typed[i][1][0] == 'o' ? cJSON_IsObject(v) : typed[i][1][0] == 'a' ? cJSON_IsArray(v) : cJSON_IsString(v);
    if (!ok) {
      char f[64];
      snprintf(f, sizeof f, "metadata.%s", typed[i][0]);
      kerrs_add(e, "FieldValueTypeInvalid", f, "Invalid value: \"%s\": must be of type %s",
                cJSON_IsArray(v) ? "array" : cJSON_IsObject(v) ? "object" : cJSON_IsString(v) ? "string" : "scalar",
                typed[i][1]);
    }
  }
  if (name && strlen(name) > 253) {
    kerrs_add(e, "FieldValueTooLong", "metadata.name", "Too long: may not be longer than 253");
    name = NULL;
  }
  if (name && *name) {
    if (t->builtin == KB_NAMESPACE) {
      if (!is_dns1123_label(name))
        kerrs_add(e, "FieldValueInvalid", "metadata.name", "Invalid value: \"%s\": %s", name, LABEL_MSG);
    } else if (t->builtin != KB_EVENT && t->builtin != KB_EVENT_V1) {
      if (!is_dns1123_subdomain(name))
        kerrs_add(e, "FieldValueInvalid", "metadata.name", "Invalid value: \"%s\": %s", name, SUBDOMAIN_MSG);
    } else if (strchr(name, '/') || strcmp(name, ".") == 0 || strcmp(name, "..") == 0) {
      kerrs_add(e, "FieldValueInvalid", "metadata.name", "Invalid value: \"%s\": may not contain '/'", name);
    }
  }
  const cJSON *labels = jget(md, "labels");
  const cJSON *c;
  cJSON_ArrayForEach(c, (cJSON_IsObject(labels) ? labels : NULL)) {
    char f[600];
    snprintf(f, sizeof f, "metadata.labels");
    if (!qualified_name(c->string))
      kerrs_add(e, "FieldValueInvalid", f,
                "Invalid value: \"%s\": name part must consist of alphanumeric characters, '-', '_' or '.', and must "
                "start and end with an alphanumeric character",
                c->string);
    if (!cJSON_IsString(c))
      kerrs_add(e, "FieldValueTypeInvalid", f, "Invalid value: \"%s\": label values must be strings", c->string);
    else if (!label_value(c->valuestring))
      kerrs_add(e, "FieldValueInvalid", f,
                "Invalid value: \"%s\": a valid label must be an empty string or consist of alphanumeric characters, "
                "'-', '_' or '.', and must start and end with an alphanumeric character",
                c->valuestring);
  }
  const cJSON *ann = jget(md, "annotations");
  size_t total = 0;
  cJSON_ArrayForEach(c, (cJSON_IsObject(ann) ? ann : NULL)) {
    if (!qualified_name(c->string))
      kerrs_add(e, "FieldValueInvalid", "metadata.annotations",
                "Invalid value: \"%s\": name part must consist of alphanumeric characters, '-', '_' or '.', and must "
                "start and end with an alphanumeric character",
                c->string);
    if (!cJSON_IsString(c))
      kerrs_add(e, "FieldValueTypeInvalid", "metadata.annotations", "Invalid value: \"%s\": annotation values must be strings",
                c->string);
    else
      total += strlen(c->string) + strlen(c->valuestring);
  }
  if (total > 262144)
    kerrs_add(e, "FieldValueTooLong", "metadata.annotations", "Too long: must have at most 262144 bytes");
  const cJSON *refs = jget(md, "ownerReferences");
  int i = 0, controllers = 0;
  cJSON_ArrayForEach(c, (cJSON_IsArray(refs) ? refs : NULL)) {
    static const char *req[] = {"apiVersion", "kind", "name", "uid"};
    for (int k = 0; k < 4; k++) {
      const char *v = jstr(c, req[k]);
      if (!v || !*v) {
        char f[128];
        snprintf(f, sizeof f, "metadata.ownerReferences[%d].%s", i, req[k]);
        if (k == 3)
          kerrs_add(e, "FieldValueInvalid", f, "Invalid value: \"\": uid must not be empty");
        else
          kerrs_add(e, "FieldValueInvalid", f, "Invalid value: \"\": %s must not be empty", req[k]);
      }
    }
    if (cJSON_IsTrue(jget(c, "controller"))) controllers++;
    i++;
  }
  if (controllers > 1)
    kerrs_add(e, "FieldValueInvalid", "metadata.ownerReferences",
              "Invalid value: []v1.OwnerReference{...}: Only one reference can have Controller set to true");
  const cJSON *fins = jget(md, "finalizers");
  i = 0;
  cJSON_ArrayForEach(c, (cJSON_IsArray(fins) ? fins : NULL)) {
    char f[128];
    snprintf(f, sizeof f, "metadata.finalizers[%d]", i++);
    if (!cJSON_IsString(c) || !qualified_name(c->valuestring))
      kerrs_add(e, "FieldValueInvalid", f, "Invalid value: \"%s\": name part must consist of alphanumeric characters",
                cJSON_IsString(c) ? c->valuestring : "");
  }
}
