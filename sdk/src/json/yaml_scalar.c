/* yaml_scalar.c — YAML 1.2 core-schema typing of scalars (null, bool, int, float, string). */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "yaml_scalar.h"

static bool eq(const char *s, size_t len, const char *lit) {
  return strlen(lit) == len && memcmp(s, lit, len) == 0;
}

static bool all_digits(const char *s, size_t len, int base) {
  if (len == 0) return false;
  for (size_t i = 0; i < len; i++) {
    char c = s[i];
    bool ok = base == 16 ? ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))
              : base == 8 ? (c >= '0' && c <= '7')
                          : (c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

/* Unsigned integer of the given base; false on overflow beyond uint64. */
static bool parse_uint(const char *s, size_t len, int base, double *out) {
  char buf[80];
  if (len >= sizeof buf) return false;
  memcpy(buf, s, len);
  buf[len] = '\0';
  errno = 0;
  char *end;
  unsigned long long v = strtoull(buf, &end, base);
  if (errno == ERANGE || *end) return false;
  *out = (double)v;
  return true;
}

/* [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)? */
static bool is_core_float(const char *s, size_t len) {
  size_t i = 0;
  if (i < len && (s[i] == '-' || s[i] == '+')) i++;
  size_t int_digits = 0, frac_digits = 0;
  while (i < len && s[i] >= '0' && s[i] <= '9') i++, int_digits++;
  if (i < len && s[i] == '.') {
    i++;
    while (i < len && s[i] >= '0' && s[i] <= '9') i++, frac_digits++;
  }
  if (int_digits == 0 && frac_digits == 0) return false;
  if (i < len && (s[i] == 'e' || s[i] == 'E')) {
    i++;
    if (i < len && (s[i] == '-' || s[i] == '+')) i++;
    size_t exp_digits = 0;
    while (i < len && s[i] >= '0' && s[i] <= '9') i++, exp_digits++;
    if (exp_digits == 0) return false;
  }
  return i == len;
}

static bool parse_float(const char *s, size_t len, double *out) {
  char buf[400];
  if (len >= sizeof buf) return false;
  memcpy(buf, s, len);
  buf[len] = '\0';
  char *end;
  *out = strtod(buf, &end);
  return *end == '\0';
}

yj_kind yj_classify(const char *s, size_t len, double *num) {
  if (len == 0 || eq(s, len, "~") || eq(s, len, "null") || eq(s, len, "Null") || eq(s, len, "NULL"))
    return YJ_NULL;
  if (eq(s, len, "true") || eq(s, len, "True") || eq(s, len, "TRUE")) {
    *num = 1;
    return YJ_BOOL;
  }
  if (eq(s, len, "false") || eq(s, len, "False") || eq(s, len, "FALSE")) {
    *num = 0;
    return YJ_BOOL;
  }
  char c0 = s[0];
  if ((c0 >= '0' && c0 <= '9') || c0 == '-' || c0 == '+' || c0 == '.') {
    bool neg = c0 == '-';
    size_t sign = (c0 == '-' || c0 == '+') ? 1 : 0;
    const char *d = s + sign;
    size_t dl = len - sign;
    double v;
    if (dl > 2 && d[0] == '0' && (d[1] == 'x' || d[1] == 'o')) {
      int base = d[1] == 'x' ? 16 : 8;
      if (all_digits(d + 2, dl - 2, base)) {
        if (!parse_uint(d + 2, dl - 2, base, &v)) return YJ_STR;
        *num = neg ? -v : v;
        return YJ_INT;
      }
      return YJ_STR;
    }
    if (all_digits(d, dl, 10)) {
      /* go-yaml (what kubectl uses) reads 0644 as octal; keep that for file modes. */
      int base = (dl > 1 && d[0] == '0' && all_digits(d, dl, 8)) ? 8 : 10;
      if (!parse_uint(d, dl, base, &v)) {
        if (!parse_float(s, len, &v)) return YJ_STR;
        *num = v;
        return YJ_FLOAT;
      }
      *num = neg ? -v : v;
      return YJ_INT;
    }
    if (eq(d, dl, ".inf") || eq(d, dl, ".Inf") || eq(d, dl, ".INF")) {
      *num = neg ? -INFINITY : INFINITY;
      return YJ_FLOAT;
    }
    if (sign == 0 && (eq(s, len, ".nan") || eq(s, len, ".NaN") || eq(s, len, ".NAN"))) {
      *num = NAN;
      return YJ_FLOAT;
    }
    if (is_core_float(s, len) && parse_float(s, len, &v)) {
      *num = v;
      return YJ_FLOAT;
    }
  }
  return YJ_STR;
}

static cJSON *make(yj_kind k, double num, const char *s) {
  switch (k) {
  case YJ_NULL: return cJSON_CreateNull();
  case YJ_BOOL: return cJSON_CreateBool(num != 0);
  case YJ_INT:
  case YJ_FLOAT: return cJSON_CreateNumber(num);
  default: return cJSON_CreateString(s);
  }
}

#define TAG_PREFIX "tag:yaml.org,2002:"

cJSON *yj_scalar(const char *s, size_t len, const char *tag, bool plain, const char **why) {
  *why = NULL;
  double num = 0;
  const char *t = NULL;
  if (tag && strncmp(tag, TAG_PREFIX, strlen(TAG_PREFIX)) == 0) t = tag + strlen(TAG_PREFIX);
  if (t && strcmp(t, "str") == 0) return cJSON_CreateString(s);
  if (t && (strcmp(t, "null") == 0 || strcmp(t, "bool") == 0 || strcmp(t, "int") == 0 ||
            strcmp(t, "float") == 0)) {
    yj_kind k = yj_classify(s, len, &num);
    bool ok = (t[0] == 'n' && k == YJ_NULL) || (t[0] == 'b' && k == YJ_BOOL) ||
              (t[0] == 'i' && k == YJ_INT) || (t[0] == 'f' && (k == YJ_INT || k == YJ_FLOAT));
    if (!ok) {
      *why = "scalar does not match its explicit tag";
      return NULL;
    }
    return make(k, num, s);
  }
  if (!plain || tag) return cJSON_CreateString(s); /* quoted, block, or other tags: a string */
  yj_kind k = yj_classify(s, len, &num); /* before make(): argument order is unspecified */
  return make(k, num, s);
}
