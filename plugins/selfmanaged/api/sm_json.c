/* sm_json.c — small cJSON accessors with Go zero-value semantics (absent == "" == null). */
#include <stdlib.h>
#include <string.h>
#include "sm_internal.h"

cJSON *sm_child(const cJSON *o, const char *key) {
  if (!o || !cJSON_IsObject(o) || !key) return NULL;
  return cJSON_GetObjectItemCaseSensitive(o, key);
}

cJSON *sm_at(const cJSON *o, const char *dotted) {
  char seg[128];
  const cJSON *cur = o;
  const char *p = dotted;
  while (cur && p && *p) {
    const char *dot = strchr(p, '.');
    size_t len = dot ? (size_t)(dot - p) : strlen(p);
    if (len >= sizeof seg) return NULL;
    memcpy(seg, p, len);
    seg[len] = '\0';
    cur = sm_child(cur, seg);
    p = dot ? dot + 1 : NULL;
  }
  return (cJSON *)cur;
}

const char *sm_str(const cJSON *o, const char *key) {
  cJSON *c = sm_child(o, key);
  return cJSON_IsString(c) ? c->valuestring : NULL;
}

const char *sm_str0(const cJSON *o, const char *key) {
  const char *s = sm_str(o, key);
  return s ? s : "";
}

bool sm_str_empty(const cJSON *o, const char *key) { return sm_str0(o, key)[0] == '\0'; }

bool sm_str_eq(const cJSON *o, const char *key, const char *v) { return strcmp(sm_str0(o, key), v) == 0; }

bool sm_present(const cJSON *o, const char *key) {
  cJSON *c = sm_child(o, key);
  return c && !cJSON_IsNull(c);
}

bool sm_num(const cJSON *o, const char *key, double *out) {
  cJSON *c = sm_child(o, key);
  if (!cJSON_IsNumber(c)) return false;
  if (out) *out = c->valuedouble;
  return true;
}

bool sm_true(const cJSON *o, const char *key) { return cJSON_IsTrue(sm_child(o, key)); }

int sm_len(const cJSON *o, const char *key) {
  cJSON *c = sm_child(o, key);
  return cJSON_IsArray(c) ? cJSON_GetArraySize(c) : 0;
}

static bool is_zero(const cJSON *v, bool zero_empty) {
  if (!v || cJSON_IsNull(v)) return true;
  if (!zero_empty) return false;
  if (cJSON_IsString(v)) return v->valuestring[0] == '\0';
  if (cJSON_IsArray(v) || cJSON_IsObject(v)) return v->child == NULL;
  return false;
}

bool sm_json_equal_zero(const cJSON *a, const cJSON *b, bool zero_empty) {
  bool za = is_zero(a, zero_empty), zb = is_zero(b, zero_empty);
  if (za || zb) return za && zb;
  if (cJSON_IsObject(a) && cJSON_IsObject(b)) {
    /* Members that are zero on one side may be missing on the other. */
    for (const cJSON *c = a->child; c; c = c->next)
      if (!sm_json_equal_zero(c, cJSON_GetObjectItemCaseSensitive(b, c->string), zero_empty)) return false;
    for (const cJSON *c = b->child; c; c = c->next)
      if (!cJSON_GetObjectItemCaseSensitive(a, c->string) && !is_zero(c, zero_empty)) return false;
    return true;
  }
  if (cJSON_IsArray(a) && cJSON_IsArray(b)) {
    const cJSON *x = a->child, *y = b->child;
    for (; x && y; x = x->next, y = y->next)
      if (!sm_json_equal_zero(x, y, zero_empty)) return false;
    return x == NULL && y == NULL;
  }
  return cJSON_Compare(a, b, true);
}

bool sm_field_equal(const cJSON *a, const cJSON *b, const char *key, bool zero_empty) {
  return sm_json_equal_zero(sm_child(a, key), sm_child(b, key), zero_empty);
}

bool sm_set_item(cJSON *o, const char *key, cJSON *item) {
  if (!item) return false;
  if (!cJSON_IsObject(o)) {
    cJSON_Delete(item);
    return false;
  }
  if (cJSON_GetObjectItemCaseSensitive(o, key)) return cJSON_ReplaceItemInObjectCaseSensitive(o, key, item);
  return cJSON_AddItemToObject(o, key, item);
}

cJSON *sm_obj(cJSON *o, const char *key) {
  cJSON *c = sm_child(o, key);
  if (cJSON_IsObject(c)) return c;
  cJSON *n = cJSON_CreateObject();
  return sm_set_item(o, key, n) ? n : NULL;
}

cJSON *sm_arr(cJSON *o, const char *key) {
  cJSON *c = sm_child(o, key);
  if (cJSON_IsArray(c)) return c;
  cJSON *n = cJSON_CreateArray();
  return sm_set_item(o, key, n) ? n : NULL;
}

bool sm_set_str(cJSON *o, const char *key, const char *v) { return sm_set_item(o, key, cJSON_CreateString(v)); }

bool sm_default_str(cJSON *o, const char *key, const char *v) {
  if (!sm_str_empty(o, key)) return true;
  return sm_set_str(o, key, v);
}

bool sm_set_num(cJSON *o, const char *key, double v) { return sm_set_item(o, key, cJSON_CreateNumber(v)); }

bool sm_set_bool(cJSON *o, const char *key, bool v) { return sm_set_item(o, key, cJSON_CreateBool(v)); }

bool sm_default_str_list(cJSON *o, const char *key, const char *v) {
  if (sm_len(o, key) > 0) return true;
  const char *one[1] = {v};
  return sm_set_item(o, key, cJSON_CreateStringArray(one, 1));
}
