/* json_canonical.c — compact JSON with object members sorted by key: stable text for fingerprints. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "capz/json.h"
#include "textbuf.h"

static void put_string(textbuf *b, const char *s) {
  textbuf_put(b, "\"", 1);
  for (const unsigned char *c = (const unsigned char *)(s ? s : ""); *c; c++) {
    char esc[8];
    switch (*c) {
    case '"': textbuf_put(b, "\\\"", 2); break;
    case '\\': textbuf_put(b, "\\\\", 2); break;
    case '\b': textbuf_put(b, "\\b", 2); break;
    case '\f': textbuf_put(b, "\\f", 2); break;
    case '\n': textbuf_put(b, "\\n", 2); break;
    case '\r': textbuf_put(b, "\\r", 2); break;
    case '\t': textbuf_put(b, "\\t", 2); break;
    default:
      if (*c < 0x20) {
        snprintf(esc, sizeof esc, "\\u%04x", *c);
        textbuf_put(b, esc, 6);
      } else {
        textbuf_put(b, (const char *)c, 1);
      }
    }
  }
  textbuf_put(b, "\"", 1);
}

/* Integers up to 2^53 without exponent; other numbers in the shortest %.15g..%.17g form that reads
 * back to the same double; NaN and infinities (not JSON) as null. -0 prints as 0. */
static void put_number(textbuf *b, double d) {
  char s[40];
  if (!isfinite(d)) {
    textbuf_put(b, "null", 4);
    return;
  }
  if (d == floor(d) && fabs(d) <= 9007199254740992.0) {
    snprintf(s, sizeof s, "%lld", (long long)d);
  } else {
    for (int prec = 15; prec <= 17; prec++) {
      snprintf(s, sizeof s, "%.*g", prec, d);
      if (strtod(s, NULL) == d) break;
    }
  }
  textbuf_put(b, s, strlen(s));
}

typedef struct member {
  const cJSON *node;
  size_t pos; /* tie-break so duplicate keys keep document order (qsort is not stable) */
} member;

static int cmp_keys(const void *x, const void *y) {
  const member *a = x, *b = y;
  int c = strcmp(a->node->string ? a->node->string : "", b->node->string ? b->node->string : "");
  return c ? c : (a->pos > b->pos) - (a->pos < b->pos);
}

static void put_value(textbuf *b, const cJSON *v) {
  switch (v->type & 0xFF) {
  case cJSON_NULL: textbuf_put(b, "null", 4); break;
  case cJSON_True: textbuf_put(b, "true", 4); break;
  case cJSON_False: textbuf_put(b, "false", 5); break;
  case cJSON_Number: put_number(b, v->valuedouble); break;
  case cJSON_String: put_string(b, v->valuestring); break;
  case cJSON_Raw: textbuf_put(b, v->valuestring ? v->valuestring : "null", strlen(v->valuestring ? v->valuestring : "null")); break;
  case cJSON_Array:
    textbuf_put(b, "[", 1);
    for (const cJSON *c = v->child; c; c = c->next) {
      put_value(b, c);
      if (c->next) textbuf_put(b, ",", 1);
    }
    textbuf_put(b, "]", 1);
    break;
  case cJSON_Object: {
    size_t n = 0;
    for (const cJSON *c = v->child; c; c = c->next) n++;
    member *m = n ? malloc(n * sizeof *m) : NULL;
    if (n && !m) {
      b->oom = true;
      return;
    }
    size_t i = 0;
    for (const cJSON *c = v->child; c; c = c->next, i++) m[i] = (member){c, i};
    if (n) qsort(m, n, sizeof *m, cmp_keys);
    textbuf_put(b, "{", 1);
    for (i = 0; i < n; i++) {
      if (i) textbuf_put(b, ",", 1);
      put_string(b, m[i].node->string);
      textbuf_put(b, ":", 1);
      put_value(b, m[i].node);
    }
    textbuf_put(b, "}", 1);
    free(m);
    break;
  }
  default: textbuf_put(b, "null", 4); break;
  }
}

char *capz_json_canonical(const cJSON *doc) {
  textbuf b = {0};
  if (!doc) textbuf_put(&b, "null", 4);
  else put_value(&b, doc);
  return textbuf_take(&b, NULL);
}
