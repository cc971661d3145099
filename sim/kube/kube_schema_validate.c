/* kube_schema_validate.c — OpenAPI v3 structural-schema validation of custom resources with
 * kube-apiserver's error wording: type, nullable, enum, required, pattern, min/maxLength,
 * min/maxItems, min/maxProperties, minimum/maximum (+exclusive), multipleOf, uniqueItems,
 * x-kubernetes-list-type set/map uniqueness, cheap formats, x-kubernetes-int-or-string,
 * x-kubernetes-embedded-resource, allOf/anyOf/oneOf/not.
 * Not implemented: CEL rules (x-kubernetes-validations) are skipped.
 * Patterns are Go RE2; they are translated to POSIX ERE (\d \w \s, (?:...)) and a pattern that
 * still does not compile is skipped. Needs KS.lock (the regex cache is unsynchronised). */
#include <math.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capz/json.h"
#include "kube_sim.h"

/* ---- regex cache ---- */
typedef struct rx {
  char *pat;
  regex_t re;
  bool ok;
  struct rx *next;
} rx;
static rx *rxcache;

static void translate(const char *p, kbuf *o) {
  bool in_class = false;
  for (; *p; p++) {
    if (*p == '\\' && p[1]) {
      char c = p[1];
      const char *rep = NULL;
      if (c == 'd') rep = in_class ? "0-9" : "[0-9]";
      else if (c == 'D') rep = in_class ? NULL : "[^0-9]";
      else if (c == 'w') rep = in_class ? "A-Za-z0-9_" : "[A-Za-z0-9_]";
      else if (c == 'W') rep = in_class ? NULL : "[^A-Za-z0-9_]";
      else if (c == 's') rep = in_class ? "[:space:]" : "[[:space:]]";
      else if (c == 'S') rep = in_class ? NULL : "[^[:space:]]";
      if (rep) {
        kbuf_puts(o, rep);
        p++;
        continue;
      }
      if (in_class) {
        /* POSIX brackets have no escapes: emit the literal character */
        if (c == ']' || c == '-' || c == '^') {
          /* best effort: keep as is (may change meaning in rare patterns) */
          kbuf_add(o, p + 1, 1);
        } else {
          kbuf_add(o, p + 1, 1);
        }
        p++;
        continue;
      }
      kbuf_add(o, p, 2);
      p++;
      continue;
    }
    if (!in_class && *p == '(' && p[1] == '?' && p[2] == ':') {
      kbuf_puts(o, "(");
      p += 2;
      continue;
    }
    if (*p == '[' && !in_class) {
      in_class = true;
      kbuf_add(o, p, 1);
      if (p[1] == '^') {
        kbuf_add(o, p + 1, 1);
        p++;
      }
      if (p[1] == ']') {
        kbuf_add(o, p + 1, 1);
        p++;
      }
      continue;
    }
    if (*p == ']' && in_class) in_class = false;
    kbuf_add(o, p, 1);
  }
}

static rx *get_rx(const char *pat) {
  for (rx *r = rxcache; r; r = r->next)
    if (strcmp(r->pat, pat) == 0) return r;
  rx *r = calloc(1, sizeof *r);
  if (!r) abort();
  r->pat = strdup(pat);
  kbuf t = {0};
  translate(pat, &t);
  r->ok = t.s && regcomp(&r->re, t.s, REG_EXTENDED | REG_NOSUB) == 0;
  kbuf_free(&t);
  r->next = rxcache;
  rxcache = r;
  return r;
}

void schema_free_cache(void) {
  while (rxcache) {
    rx *r = rxcache;
    rxcache = r->next;
    if (r->ok) regfree(&r->re);
    free(r->pat);
    free(r);
  }
}

/* ---- helpers ---- */
static const char *type_name(const cJSON *v) {
  if (cJSON_IsString(v)) return "string";
  if (cJSON_IsBool(v)) return "boolean";
  if (cJSON_IsNull(v)) return "null";
  if (cJSON_IsArray(v)) return "array";
  if (cJSON_IsObject(v)) return "object";
  if (cJSON_IsNumber(v)) return (v->valuedouble == floor(v->valuedouble) && isfinite(v->valuedouble)) ? "integer" : "number";
  return "unknown";
}

static void fmt_value(const cJSON *v, char *out, size_t n) {
  if (cJSON_IsString(v)) {
    kbuf b = {0};
    size_t len = strlen(v->valuestring);
    if (len > 200) {
      char tmp[204];
      memcpy(tmp, v->valuestring, 200);
      strcpy(tmp + 200, "...");
      kbuf_json_str(&b, tmp);
    } else {
      kbuf_json_str(&b, v->valuestring);
    }
    snprintf(out, n, "%s", b.s);
    kbuf_free(&b);
  } else if (cJSON_IsNumber(v)) {
    if (v->valuedouble == floor(v->valuedouble) && fabs(v->valuedouble) < 1e15)
      snprintf(out, n, "%.0f", v->valuedouble);
    else
      snprintf(out, n, "%g", v->valuedouble);
  } else if (cJSON_IsBool(v)) {
    snprintf(out, n, "%s", cJSON_IsTrue(v) ? "true" : "false");
  } else if (cJSON_IsNull(v)) {
    snprintf(out, n, "null");
  } else if (cJSON_IsArray(v)) {
    snprintf(out, n, "[]interface {}{...}");
  } else {
    snprintf(out, n, "map[string]interface {}{...}");
  }
}

static size_t utf8_len(const char *s) {
  size_t n = 0;
  for (; *s; s++)
    if (((unsigned char)*s & 0xc0) != 0x80) n++;
  return n;
}

static bool type_ok(const char *want, const cJSON *v) {
  if (strcmp(want, "object") == 0) return cJSON_IsObject(v);
  if (strcmp(want, "array") == 0) return cJSON_IsArray(v);
  if (strcmp(want, "string") == 0) return cJSON_IsString(v);
  if (strcmp(want, "boolean") == 0) return cJSON_IsBool(v);
  if (strcmp(want, "number") == 0) return cJSON_IsNumber(v);
  if (strcmp(want, "integer") == 0)
    return cJSON_IsNumber(v) && isfinite(v->valuedouble) && v->valuedouble == floor(v->valuedouble);
  return true;
}

static bool is_digits(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (s[i] < '0' || s[i] > '9') return false;
  return true;
}

static bool format_ok(const char *fmt, const char *s) {
  size_t n = strlen(s);
  if (strcmp(fmt, "date-time") == 0 || strcmp(fmt, "datetime") == 0) {
    /* YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM) */
    if (n < 20 || !is_digits(s, 4) || s[4] != '-' || !is_digits(s + 5, 2) || s[7] != '-' || !is_digits(s + 8, 2) ||
        (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || !is_digits(s + 11, 2) || s[13] != ':' ||
        !is_digits(s + 14, 2) || s[16] != ':' || !is_digits(s + 17, 2))
      return false;
    const char *p = s + 19;
    if (*p == '.') {
      p++;
      if (!(*p >= '0' && *p <= '9')) return false;
      while (*p >= '0' && *p <= '9') p++;
    }
    if ((*p == 'Z' || *p == 'z') && p[1] == '\0') return true;
    return (*p == '+' || *p == '-') && strlen(p) == 6 && is_digits(p + 1, 2) && p[3] == ':' && is_digits(p + 4, 2);
  }
  if (strcmp(fmt, "date") == 0)
    return n == 10 && is_digits(s, 4) && s[4] == '-' && is_digits(s + 5, 2) && s[7] == '-' && is_digits(s + 8, 2);
  if (strcmp(fmt, "byte") == 0) {
    if (n % 4) return false;
    for (size_t i = 0; i < n; i++) {
      char c = s[i];
      bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/' ||
                (c == '=' && i >= n - 2);
      if (!ok) return false;
    }
    return true;
  }
  if (strcmp(fmt, "uuid") == 0) {
    if (n != 36) return false;
    for (size_t i = 0; i < n; i++) {
      bool dash = i == 8 || i == 13 || i == 18 || i == 23;
      char c = s[i];
      if (dash ? c != '-' : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) return false;
    }
    return true;
  }
  if (strcmp(fmt, "ipv4") == 0) {
    int parts = 0;
    const char *p = s;
    while (*p) {
      char *end;
      long v = strtol(p, &end, 10);
      if (end == p || v < 0 || v > 255 || end - p > 3) return false;
      parts++;
      if (*end == '.') end++;
      else if (*end) return false;
      p = end;
    }
    return parts == 4 && s[n - 1] != '.';
  }
  return true; /* other formats are not checked */
}

static void child_path(char *out, size_t n, const char *base, const char *key) {
  if (*base)
    snprintf(out, n, "%s.%s", base, key);
  else
    snprintf(out, n, "%s", key);
}

static void validate(const cJSON *v, const cJSON *s, kerrs *e, const char *path, bool root);

static int sub_errors(const cJSON *v, const cJSON *s, const char *path) {
  kerrs tmp = {0};
  validate(v, s, &tmp, path, false);
  int n = tmp.n;
  kerrs_free(&tmp);
  return n;
}

static void validate(const cJSON *v, const cJSON *s, kerrs *e, const char *path, bool root) {
  if (!s || !v) return;
  const char *p = *path ? path : "<root>";
  char val[300];
  if (cJSON_IsNull(v)) {
    if (cJSON_IsTrue(jget(s, "nullable"))) return;
  }
  bool ios = cJSON_IsTrue(jget(s, "x-kubernetes-int-or-string"));
  const char *type = jstr(s, "type");
  if (ios) {
    if (!(cJSON_IsString(v) || type_ok("integer", v))) {
      kerrs_add(e, "FieldValueTypeInvalid", p, "Invalid value: \"%s\": %s in body must be of type integer,string: \"%s\"",
                type_name(v), p, type_name(v));
      return;
    }
  } else if (type && !type_ok(type, v)) {
    kerrs_add(e, "FieldValueTypeInvalid", p, "Invalid value: \"%s\": %s in body must be of type %s: \"%s\"",
              type_name(v), p, type, type_name(v));
    return;
  }
  const cJSON *en = jget(s, "enum");
  if (cJSON_IsArray(en)) {
    bool found = false;
    const cJSON *x;
    cJSON_ArrayForEach(x, en) if (capz_json_equal(x, v)) found = true;
    if (!found) {
      kbuf sup = {0};
      int i = 0;
      cJSON_ArrayForEach(x, en) {
        char t[300];
        fmt_value(x, t, sizeof t);
        kbuf_puts(&sup, i++ ? ", " : "");
        kbuf_puts(&sup, t);
      }
      fmt_value(v, val, sizeof val);
      kerrs_add(e, "FieldValueNotSupported", p, "Unsupported value: %s: supported values: %s", val,
                sup.s ? sup.s : "");
      kbuf_free(&sup);
    }
  }
  if (cJSON_IsString(v)) {
    const char *str = v->valuestring;
    size_t len = utf8_len(str);
    fmt_value(v, val, sizeof val);
    cJSON *mx = jget(s, "maxLength"), *mn = jget(s, "minLength");
    if (cJSON_IsNumber(mx) && len > (size_t)mx->valuedouble)
      kerrs_add(e, "FieldValueTooLong", p, "Too long: may not be longer than %.0f", mx->valuedouble);
    if (cJSON_IsNumber(mn) && len < (size_t)mn->valuedouble)
      kerrs_add(e, "FieldValueInvalid", p, "Invalid value: %s: %s in body should be at least %.0f chars long", val, p,
                mn->valuedouble);
    const char *pat = jstr(s, "pattern");
    if (pat) {
      rx *r = get_rx(pat);
      if (r->ok && regexec(&r->re, str, 0, NULL, 0) != 0)
        kerrs_add(e, "FieldValueInvalid", p, "Invalid value: %s: %s in body should match '%s'", val, p, pat);
    }
    const char *fmt = jstr(s, "format");
    if (fmt && !ios && !format_ok(fmt, str))
      kerrs_add(e, "FieldValueInvalid", p, "Invalid value: %s: %s in body must be of type %s: %s", val, p, fmt, val);
  }
  if (cJSON_IsNumber(v)) {
    double d = v->valuedouble;
    fmt_value(v, val, sizeof val);
    cJSON *mn = jget(s, "minimum"), *mx = jget(s, "maximum"), *mo = jget(s, "multipleOf");
    bool exmn = cJSON_IsTrue(jget(s, "exclusiveMinimum")), exmx = cJSON_IsTrue(jget(s, "exclusiveMaximum"));
    char lim[64];
    if (cJSON_IsNumber(mn) && (exmn ? d <= mn->valuedouble : d < mn->valuedouble)) {
      fmt_value(mn, lim, sizeof lim);
      kerrs_add(e, "FieldValueInvalid", p, "Invalid value: %s: %s in body should be greater than %s%s", val, p,
                exmn ? "" : "or equal to ", lim);
    }
    if (cJSON_IsNumber(mx) && (exmx ? d >= mx->valuedouble : d > mx->valuedouble)) {
      fmt_value(mx, lim, sizeof lim);
      kerrs_add(e, "FieldValueInvalid", p, "Invalid value: %s: %s in body should be less than %s%s", val, p,
                exmx ? "" : "or equal to ", lim);
    }
    if (cJSON_IsNumber(mo) && mo->valuedouble > 0) {
      double q = d / mo->valuedouble;
      if (fabs(q - round(q)) > 1e-9) {
        fmt_value(mo, lim, sizeof lim);
        kerrs_add(e, "FieldValueInvalid", p, "Invalid value: %s: %s in body should be a multiple of %s", val, p, lim);
      }
    }
  }
  if (cJSON_IsArray(v)) {
    int n = cJSON_GetArraySize(v);
    cJSON *mx = jget(s, "maxItems"), *mn = jget(s, "minItems");
    if (cJSON_IsNumber(mx) && n > (int)mx->valuedouble)
      kerrs_add(e, "FieldValueTooMany", p, "Too many: %d: must have at most %.0f items", n, mx->valuedouble);
    if (cJSON_IsNumber(mn) && n < (int)mn->valuedouble)
      kerrs_add(e, "FieldValueInvalid", p, "Invalid value: %d: %s in body should have at least %.0f items", n, p,
                mn->valuedouble);
    const char *lt = jstr(s, "x-kubernetes-list-type");
    bool uniq = cJSON_IsTrue(jget(s, "uniqueItems")) || (lt && strcmp(lt, "set") == 0);
    const cJSON *mk = jget(s, "x-kubernetes-list-map-keys");
    for (int i = 0; i < n && (uniq || (lt && strcmp(lt, "map") == 0 && cJSON_IsArray(mk))); i++) {
      const cJSON *a = cJSON_GetArrayItem(v, i);
      for (int k = 0; k < i; k++) {
        const cJSON *b = cJSON_GetArrayItem(v, k);
        bool dup;
        if (uniq) {
          dup = capz_json_equal(a, b);
        } else {
          dup = true;
          const cJSON *key;
          cJSON_ArrayForEach(key, mk) {
            if (!cJSON_IsString(key)) continue;
            const cJSON *x = jget(a, key->valuestring), *y = jget(b, key->valuestring);
            if (!((x == NULL && y == NULL) || (x && y && capz_json_equal(x, y)))) dup = false;
          }
        }
        if (dup) {
          char ip[1100];
          snprintf(ip, sizeof ip, "%s[%d]", p, i);
          fmt_value(a, val, sizeof val);
          kerrs_add(e, "FieldValueDuplicate", ip, "Duplicate value: %s", val);
          break;
        }
      }
    }
    const cJSON *items = jget(s, "items");
    int i = 0;
    const cJSON *c;
    cJSON_ArrayForEach(c, v) {
      char ip[1100];
      snprintf(ip, sizeof ip, "%s[%d]", path, i++);
      validate(c, items, e, ip, false);
    }
  }
  if (cJSON_IsObject(v)) {
    const cJSON *req = jget(s, "required");
    const cJSON *r;
    cJSON_ArrayForEach(r, req) {
      if (cJSON_IsString(r) && !jget(v, r->valuestring)) {
        char cp[1100];
        child_path(cp, sizeof cp, path, r->valuestring);
        kerrs_add(e, "FieldValueRequired", cp, "Required value");
      }
    }
    int np = cJSON_GetArraySize(v);
    cJSON *mxp = jget(s, "maxProperties"), *mnp = jget(s, "minProperties");
    if (cJSON_IsNumber(mxp) && np > (int)mxp->valuedouble)
      kerrs_add(e, "FieldValueTooMany", p, "Too many: %d: must have at most %.0f items", np, mxp->valuedouble);
    if (cJSON_IsNumber(mnp) && np < (int)mnp->valuedouble)
      kerrs_add(e, "FieldValueInvalid", p, "Invalid value: %d: %s in body should have at least %.0f properties", np, p,
                mnp->valuedouble);
    if (cJSON_IsTrue(jget(s, "x-kubernetes-embedded-resource"))) {
      static const char *must[] = {"apiVersion", "kind"};
      for (int i = 0; i < 2; i++) {
        const char *x = jstr(v, must[i]);
        if (!x || !*x) {
          char cp[1100];
          child_path(cp, sizeof cp, path, must[i]);
          kerrs_add(e, "FieldValueRequired", cp, "Required value: must not be empty");
        }
      }
    }
    const cJSON *props = jget(s, "properties");
    const cJSON *addl = jget(s, "additionalProperties");
    const cJSON *c;
    cJSON_ArrayForEach(c, v) {
      if (root && strcmp(c->string, "metadata") == 0) continue;
      const cJSON *ps = props ? cJSON_GetObjectItemCaseSensitive(props, c->string) : NULL;
      if (!ps && cJSON_IsObject(addl)) ps = addl;
      if (!ps) continue;
      char cp[1100];
      child_path(cp, sizeof cp, path, c->string);
      validate(c, ps, e, cp, false);
    }
  }
  /* value-validation combinators */
  const cJSON *all = jget(s, "allOf"), *any = jget(s, "anyOf"), *one = jget(s, "oneOf"), *not = jget(s, "not");
  const cJSON *x;
  cJSON_ArrayForEach(x, all) validate(v, x, e, path, false);
  if (cJSON_IsArray(any) && cJSON_GetArraySize(any)) {
    bool ok = false;
    cJSON_ArrayForEach(x, any) if (!sub_errors(v, x, path)) ok = true;
    if (!ok) {
      fmt_value(v, val, sizeof val);
      kerrs_add(e, "FieldValueInvalid", p, "Invalid value: %s: %s in body must validate at least one schema (anyOf)",
                val, p);
    }
  }
  if (cJSON_IsArray(one) && cJSON_GetArraySize(one)) {
    int ok = 0;
    cJSON_ArrayForEach(x, one) if (!sub_errors(v, x, path)) ok++;
    if (ok != 1) {
      fmt_value(v, val, sizeof val);
      kerrs_add(e, "FieldValueInvalid", p, "Invalid value: %s: %s in body must validate one and only one schema (oneOf)",
                val, p);
    }
  }
  if (cJSON_IsObject(not) && !sub_errors(v, not, path)) {
    fmt_value(v, val, sizeof val);
    kerrs_add(e, "FieldValueInvalid", p, "Invalid value: %s: %s in body should not validate the schema (not)", val, p);
  }
}

void schema_validate(const cJSON *obj, const cJSON *schema, kerrs *e, bool is_root) {
  validate(obj, schema, e, "", is_root);
}
