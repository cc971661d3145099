/* json_pointer.c — RFC 6901 JSON pointers: parsing, lookup, typed getters, set and delete. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "capz/json.h"
#include "json_internal.h"

void jp_free(jp_path *p) {
  if (!p) return;
  for (size_t i = 0; i < p->n; i++) free(p->tok[i]);
  free(p->tok);
  p->tok = NULL;
  p->n = 0;
}

/* Decode one token [s, e) into a new string; ~0 -> ~, ~1 -> /, any other ~ is malformed. */
static int decode_token(const char *s, const char *e, char **out) {
  char *t = malloc((size_t)(e - s) + 1);
  if (!t) return JP_NOMEM;
  size_t k = 0;
  for (const char *c = s; c < e; c++) {
    if (*c != '~') {
      t[k++] = *c;
      continue;
    }
    if (c + 1 >= e || (c[1] != '0' && c[1] != '1')) {
      free(t);
      return JP_MALFORMED;
    }
    t[k++] = c[1] == '0' ? '~' : '/';
    c++;
  }
  t[k] = '\0';
  *out = t;
  return JP_OK;
}

int jp_parse(const char *ptr, jp_path *out) {
  out->tok = NULL;
  out->n = 0;
  if (!ptr) return JP_MALFORMED;
  if (ptr[0] == '\0') return JP_OK;
  if (ptr[0] != '/') return JP_MALFORMED;
  size_t count = 0;
  for (const char *c = ptr; *c; c++)
    if (*c == '/') count++;
  out->tok = calloc(count, sizeof *out->tok);
  if (!out->tok) return JP_NOMEM;
  const char *s = ptr + 1;
  for (;;) {
    const char *e = strchr(s, '/');
    if (!e) e = s + strlen(s);
    int rc = decode_token(s, e, &out->tok[out->n]);
    if (rc != JP_OK) {
      jp_free(out);
      return rc;
    }
    out->n++;
    if (*e == '\0') break;
    s = e + 1;
  }
  return JP_OK;
}

bool jp_index(const char *tok, size_t *idx) {
  if (!tok || !*tok) return false;
  if (tok[0] == '0' && tok[1] != '\0') return false; /* no leading zeros */
  size_t v = 0;
  for (const char *c = tok; *c; c++) {
    if (*c < '0' || *c > '9') return false;
    size_t d = (size_t)(*c - '0');
    if (v > (SIZE_MAX - d) / 10) return false;
    v = v * 10 + d;
  }
  *idx = v;
  return true;
}

cJSON *jp_member(const cJSON *obj, const char *key) {
  if (!cJSON_IsObject(obj)) return NULL;
  for (cJSON *c = obj->child; c; c = c->next)
    if (c->string && strcmp(c->string, key) == 0) return c;
  return NULL;
}

cJSON *jp_child(const cJSON *node, const char *tok) {
  if (cJSON_IsObject(node)) return jp_member(node, tok);
  if (cJSON_IsArray(node)) {
    size_t idx;
    if (!jp_index(tok, &idx)) return NULL;
    cJSON *c = node->child;
    while (c && idx--) c = c->next;
    return c;
  }
  return NULL;
}

cJSON *jp_walk(const cJSON *doc, const jp_path *p, size_t upto) {
  const cJSON *cur = doc;
  for (size_t i = 0; cur && i < upto && i < p->n; i++) cur = jp_child(cur, p->tok[i]);
  return (cJSON *)cur;
}

void jp_swap_in(cJSON *dst, cJSON *src) {
  /* Free what dst owned (children, string value), then take over src's value fields. */
  if (!(dst->type & cJSON_IsReference)) {
    if (dst->child) cJSON_Delete(dst->child);
    if (dst->valuestring) cJSON_free(dst->valuestring);
  }
  int keep_const_key = dst->type & cJSON_StringIsConst;
  dst->type = (src->type & ~cJSON_StringIsConst) | keep_const_key;
  dst->child = src->child;
  dst->valuestring = src->valuestring;
  dst->valueint = src->valueint;
  dst->valuedouble = src->valuedouble;
  src->child = NULL;
  src->valuestring = NULL;
  src->type = cJSON_NULL;
  cJSON_Delete(src);
}

void jp_append_token(char *buf, size_t n, const char *tok) {
  if (!buf || n == 0) return;
  size_t k = strnlen(buf, n - 1);
  if (k + 1 < n) buf[k++] = '/';
  for (const char *c = tok; *c && k + 1 < n; c++) {
    if (*c == '~' || *c == '/') {
      if (k + 2 >= n) break;
      buf[k++] = '~';
      buf[k++] = *c == '~' ? '0' : '1';
    } else {
      buf[k++] = *c;
    }
  }
  buf[k] = '\0';
}

cJSON *capz_json_ptr_get(const cJSON *doc, const char *ptr) {
  if (!doc) return NULL;
  jp_path p;
  if (jp_parse(ptr, &p) != JP_OK) return NULL;
  cJSON *r = jp_walk(doc, &p, p.n);
  jp_free(&p);
  return r;
}

const char *capz_json_ptr_str(const cJSON *doc, const char *ptr, const char *def) {
  cJSON *n = capz_json_ptr_get(doc, ptr);
  return cJSON_IsString(n) && n->valuestring ? n->valuestring : def;
}

int64_t capz_json_ptr_int(const cJSON *doc, const char *ptr, int64_t def) {
  cJSON *n = capz_json_ptr_get(doc, ptr);
  if (!cJSON_IsNumber(n)) return def;
  double d = n->valuedouble;
  /* Integral values only (3.0 ok, 3.5 not), inside the int64 range; 2^63 itself is out. */
  if (!isfinite(d) || d != floor(d) || d < -9223372036854775808.0 || d >= 9223372036854775808.0)
    return def;
  return (int64_t)d;
}

bool capz_json_ptr_bool(const cJSON *doc, const char *ptr, bool def) {
  cJSON *n = capz_json_ptr_get(doc, ptr);
  if (!cJSON_IsBool(n)) return def;
  return cJSON_IsTrue(n);
}

static int ptr_err(capz_err *err, int code, const char *ptr, const char *why) {
  return capz_err_set(err, code, "json pointer \"%.200s\": %s", ptr ? ptr : "(null)", why);
}

int capz_json_ptr_set(cJSON *doc, const char *ptr, cJSON *value, capz_err *err) {
  if (!value) return ptr_err(err, CAPZ_EINVAL, ptr, "NULL value");
  if (!doc) {
    cJSON_Delete(value);
    return ptr_err(err, CAPZ_EINVAL, ptr, "NULL document");
  }
  jp_path p;
  int rc = jp_parse(ptr, &p);
  if (rc != JP_OK) {
    cJSON_Delete(value);
    return rc == JP_NOMEM ? ptr_err(err, CAPZ_ENOMEM, ptr, "out of memory")
                          : ptr_err(err, CAPZ_EINVAL, ptr, "malformed pointer");
  }
  if (p.n == 0) { /* replace the whole document in place */
    jp_swap_in(doc, value);
    jp_free(&p);
    return CAPZ_OK;
  }
  cJSON *cur = doc;
  int code = CAPZ_OK;
  const char *why = NULL;
  for (size_t i = 0; i + 1 < p.n; i++) {
    cJSON *next = jp_child(cur, p.tok[i]);
    if (!next) {
      if (!cJSON_IsObject(cur)) {
        code = CAPZ_EINVAL;
        why = cJSON_IsArray(cur) ? "array index out of range" : "intermediate value is not a container";
        break;
      }
      next = cJSON_CreateObject();
      if (!next || !cJSON_AddItemToObject(cur, p.tok[i], next)) {
        cJSON_Delete(next);
        code = CAPZ_ENOMEM;
        why = "out of memory";
        break;
      }
    } else if (!cJSON_IsObject(next) && !cJSON_IsArray(next)) {
      code = CAPZ_EINVAL;
      why = "intermediate value is not a container";
      break;
    }
    cur = next;
  }
  if (code == CAPZ_OK) {
    const char *last = p.tok[p.n - 1];
    if (cJSON_IsObject(cur)) {
      cJSON *old = jp_member(cur, last);
      if (old) {
        jp_swap_in(old, value);
      } else if (!cJSON_AddItemToObject(cur, last, value)) {
        code = CAPZ_ENOMEM;
        why = "out of memory";
      }
      value = NULL;
    } else if (cJSON_IsArray(cur)) {
      size_t idx, size = (size_t)cJSON_GetArraySize(cur);
      if (strcmp(last, "-") == 0 || (jp_index(last, &idx) && idx == size)) {
        cJSON_AddItemToArray(cur, value);
        value = NULL;
      } else if (jp_index(last, &idx) && idx < size) {
        jp_swap_in(jp_child(cur, last), value);
        value = NULL;
      } else {
        code = CAPZ_EINVAL;
        why = "array index out of range or not a number";
      }
    } else {
      code = CAPZ_EINVAL;
      why = "parent is not a container";
    }
  }
  if (value) cJSON_Delete(value);
  if (code != CAPZ_OK) ptr_err(err, code, ptr, why);
  jp_free(&p);
  return code;
}

int capz_json_ptr_set_str(cJSON *doc, const char *ptr, const char *s, capz_err *err) {
  if (!s) return ptr_err(err, CAPZ_EINVAL, ptr, "NULL string");
  cJSON *v = cJSON_CreateString(s);
  if (!v) return ptr_err(err, CAPZ_ENOMEM, ptr, "out of memory");
  return capz_json_ptr_set(doc, ptr, v, err);
}

int capz_json_ptr_del(cJSON *doc, const char *ptr) {
  if (!doc) return CAPZ_ENOTFOUND;
  jp_path p;
  if (jp_parse(ptr, &p) != JP_OK) return CAPZ_EINVAL;
  int rc = p.n == 0 ? CAPZ_EINVAL : CAPZ_ENOTFOUND; /* the root cannot detach itself */
  if (p.n > 0) {
    cJSON *parent = jp_walk(doc, &p, p.n - 1);
    cJSON *node = parent ? jp_child(parent, p.tok[p.n - 1]) : NULL;
    if (node) {
      cJSON_Delete(cJSON_DetachItemViaPointer(parent, node));
      rc = CAPZ_OK;
    }
  }
  jp_free(&p);
  return rc;
}

int capz_json_ptr_append(char *buf, size_t n, const char *token) {
  if (!buf || n == 0 || !token) return CAPZ_EINVAL;
  size_t need = strnlen(buf, n) + 2; /* "/" and the NUL */
  for (const char *c = token; *c; c++) need += (*c == '~' || *c == '/') ? 2 : 1;
  jp_append_token(buf, n, token);
  return need <= n ? CAPZ_OK : CAPZ_EINVAL;
}
