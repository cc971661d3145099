/* sm_test_util.c — template loading and JSON path helpers for the selfmanaged-api tests. */
#include "sm_test_util.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "capz/json.h"

static const char *const vars[][2] = {
    {"CLUSTER_NAME", SM_T_CLUSTER},
    {"CLUSTER_CLASS_NAME", "capz-class"},
    {"AZURE_LOCATION", SM_T_LOCATION},
    {"AZURE_SUBSCRIPTION_ID", SM_T_SUB},
    {"AZURE_TENANT_ID", "00000000-0000-0000-0000-0000000000aa"},
    {"AZURE_CLIENT_ID_USER_ASSIGNED_IDENTITY", "00000000-0000-0000-0000-0000000000bb"},
    {"CLUSTER_IDENTITY_NAME", "cluster-identity"},
    {"KUBERNETES_VERSION", "v1.31.1"},
    {"AZURE_CONTROL_PLANE_MACHINE_TYPE", "Standard_D2s_v3"},
    {"AZURE_NODE_MACHINE_TYPE", "Standard_D4s_v3"},
};

static const char *lookup(const char *name, size_t len) {
  for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
    if (strlen(vars[i][0]) == len && strncmp(vars[i][0], name, len) == 0) return vars[i][1];
  return NULL;
}

typedef struct sb {
  char *s;
  size_t len, cap;
} sb;

static void sb_add(sb *b, const char *s, size_t n) {
  if (b->len + n + 1 > b->cap) {
    b->cap = (b->len + n + 1) * 2;
    b->s = realloc(b->s, b->cap);
    ck_assert_ptr_nonnull(b->s);
  }
  memcpy(b->s + b->len, s, n);
  b->len += n;
  b->s[b->len] = '\0';
}

/* Expands text[0..n) into b. */
static void expand(sb *b, const char *text, size_t n) {
  size_t i = 0;
  while (i < n) {
    if (text[i] == '$' && i + 1 < n && text[i + 1] == '{') {
      size_t name = i + 2, j = name;
      while (j < n && text[j] != '}' && text[j] != ':') j++;
      const char *val = lookup(text + name, j - name);
      if (j < n && text[j] == ':' && j + 1 < n && (text[j + 1] == '=' || text[j + 1] == '-')) {
        size_t d = j + 2, depth = 1, k = d;
        for (; k < n && depth; k++) {
          if (text[k] == '{') depth++;
          if (text[k] == '}') depth--;
        }
        size_t dend = k - 1; /* position of the closing brace */
        if (val) sb_add(b, val, strlen(val));
        else expand(b, text + d, dend - d);
        i = k;
      } else {
        if (val) sb_add(b, val, strlen(val));
        i = j < n ? j + 1 : n;
      }
    } else {
      sb_add(b, text + i, 1);
      i++;
    }
  }
}

char *smt_subst(const char *text) {
  sb b = {0};
  sb_add(&b, "", 0);
  expand(&b, text, strlen(text));
  return b.s;
}

cJSON *smt_load_template(const char *file) {
  const char *shared = getenv("CAPZ_SHARED_DIR");
  char path[1024];
  snprintf(path, sizeof path, "%s/reference/templates/%s", shared ? shared : "../shared", file);
  return smt_load_path(path);
}

cJSON *smt_load_path(const char *path) {
  const char *file = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
  FILE *f = fopen(path, "rb");
  ck_assert_msg(f != NULL, "cannot open %s", path);
  fseek(f, 0, SEEK_END);
  long len = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *raw = malloc((size_t)len + 1);
  ck_assert_ptr_nonnull(raw);
  ck_assert_int_eq(fread(raw, 1, (size_t)len, f), (size_t)len);
  raw[len] = '\0';
  fclose(f);
  char *text = smt_subst(raw);
  free(raw);
  capz_err err;
  capz_err_clear(&err);
  cJSON *docs = capz_yaml_to_json(text, strlen(text), &err);
  ck_assert_msg(docs != NULL, "%s: %s", file, err.msg);
  free(text);
  return docs;
}

cJSON *smt_doc(const cJSON *docs, const char *kind, const char *name) {
  const cJSON *d;
  cJSON_ArrayForEach(d, docs) {
    const cJSON *k = cJSON_GetObjectItemCaseSensitive(d, "kind");
    if (!cJSON_IsString(k) || strcmp(k->valuestring, kind) != 0) continue;
    if (name && strcmp(smt_str(d, "metadata.name") ? smt_str(d, "metadata.name") : "", name) != 0) continue;
    return cJSON_Duplicate(d, true);
  }
  ck_abort_msg("no %s %s", kind, name ? name : "");
  return NULL;
}

cJSON *smt_template_obj(const char *file, const char *kind, const char *name) {
  cJSON *docs = smt_load_template(file);
  cJSON *o = smt_doc(docs, kind, name);
  cJSON_Delete(docs);
  return o;
}

cJSON *smt_yaml(const char *yaml) {
  capz_err err;
  capz_err_clear(&err);
  cJSON *docs = capz_yaml_to_json(yaml, strlen(yaml), &err);
  ck_assert_msg(docs != NULL, "yaml: %s", err.msg);
  cJSON *o = cJSON_DetachItemFromArray(docs, 0);
  cJSON_Delete(docs);
  ck_assert_ptr_nonnull(o);
  return o;
}

cJSON *smt_at(const cJSON *o, const char *path) {
  char seg[128];
  const cJSON *cur = o;
  const char *p = path;
  while (cur && *p) {
    size_t n = strcspn(p, ".[");
    if (n) {
      ck_assert_uint_lt(n, sizeof seg);
      memcpy(seg, p, n);
      seg[n] = '\0';
      cur = cJSON_IsObject(cur) ? cJSON_GetObjectItemCaseSensitive(cur, seg) : NULL;
      p += n;
    }
    if (*p == '[') {
      int idx = atoi(p + 1);
      cur = cJSON_IsArray(cur) ? cJSON_GetArrayItem(cur, idx) : NULL;
      p = strchr(p, ']');
      ck_assert_ptr_nonnull(p);
      p++;
    }
    if (*p == '.') p++;
  }
  return (cJSON *)cur;
}

const char *smt_str(const cJSON *o, const char *path) {
  cJSON *c = smt_at(o, path);
  return cJSON_IsString(c) ? c->valuestring : NULL;
}

double smt_num(const cJSON *o, const char *path) {
  cJSON *c = smt_at(o, path);
  ck_assert_msg(cJSON_IsNumber(c), "%s is not a number", path);
  return c->valuedouble;
}

/* Parent node and last key of path. */
static cJSON *parent_of(cJSON *o, const char *path, char *key, size_t kn) {
  const char *dot = strrchr(path, '.');
  char ppath[512];
  if (!dot) {
    snprintf(key, kn, "%s", path);
    return o;
  }
  snprintf(ppath, sizeof ppath, "%.*s", (int)(dot - path), path);
  snprintf(key, kn, "%s", dot + 1);
  cJSON *p = smt_at(o, ppath);
  ck_assert_msg(cJSON_IsObject(p), "no object at %s", ppath);
  return p;
}

static void set_item(cJSON *o, const char *path, cJSON *item) {
  char key[128];
  cJSON *p = parent_of(o, path, key, sizeof key);
  if (cJSON_GetObjectItemCaseSensitive(p, key)) cJSON_ReplaceItemInObjectCaseSensitive(p, key, item);
  else cJSON_AddItemToObject(p, key, item);
}

void smt_set_str(cJSON *o, const char *path, const char *v) { set_item(o, path, cJSON_CreateString(v)); }

void smt_set_json(cJSON *o, const char *path, const char *json) {
  cJSON *item = cJSON_Parse(json);
  ck_assert_msg(item != NULL, "bad JSON %s", json);
  set_item(o, path, item);
}

void smt_del(cJSON *o, const char *path) {
  char key[128];
  cJSON *p = parent_of(o, path, key, sizeof key);
  cJSON_DeleteItemFromObjectCaseSensitive(p, key);
}

void smt_check_err(sm_errors *errs, int n, const char *kind, const char *name, const char *field, const char *want) {
  char all[4096];
  sm_errors_format(errs, kind, name, all, sizeof all);
  ck_assert_msg(n > 0, "expected an error at %s", field);
  const sm_field_error *fe = sm_errors_find(errs, field);
  ck_assert_msg(fe != NULL, "no error at %s; got: %s", field, all);
  char text[1024];
  sm_field_error_format(fe, text, sizeof text);
  ck_assert_msg(strstr(text, want) != NULL, "error at %s is '%s', wanted '%s'", field, text, want);
  sm_errors_free(errs);
}

void smt_check_ok(sm_errors *errs, int n, const char *kind, const char *name) {
  char all[4096];
  sm_errors_format(errs, kind, name, all, sizeof all);
  ck_assert_msg(n == 0, "unexpected: %s", all);
  sm_errors_free(errs);
}

void smt_expect_err(smt_validate_fn validate, const char *kind, const char *name, cJSON *obj, cJSON *old,
                    const char *field, const char *want) {
  sm_errors errs;
  sm_errors_init(&errs);
  int n = validate(obj, old, &errs);
  smt_check_err(&errs, n, kind, name, field, want);
  cJSON_Delete(obj);
  cJSON_Delete(old);
}

void smt_apply(cJSON *obj, const smt_case *c) {
  if (c->json) smt_set_json(obj, c->path, c->json);
  else smt_del(obj, c->path);
}
