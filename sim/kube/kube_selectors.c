/* kube_selectors.c — label selectors (=, ==, !=, in, notin, exists, !exists, gt, lt) and
 * field selectors (=, ==, != on the fields each kind supports). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube_sim.h"

enum { OP_EQ, OP_NE, OP_IN, OP_NOTIN, OP_EXISTS, OP_NOTEXISTS, OP_GT, OP_LT };

typedef struct kterm {
  char *key;
  int op;
  char **vals;
  int nvals;
} kterm;

struct ksel {
  kterm *terms;
  int n;
  bool fields;
  bool need_obj;
};

void sel_free(ksel *s) {
  if (!s) return;
  for (int i = 0; i < s->n; i++) {
    free(s->terms[i].key);
    for (int j = 0; j < s->terms[i].nvals; j++) free(s->terms[i].vals[j]);
    free(s->terms[i].vals);
  }
  free(s->terms);
  free(s);
}

static kterm *add_term(ksel *s) {
  kterm *t = realloc(s->terms, (size_t)(s->n + 1) * sizeof *t);
  if (!t) abort();
  s->terms = t;
  memset(&t[s->n], 0, sizeof *t);
  return &t[s->n++];
}

static void add_val(kterm *t, const char *v, size_t n) {
  char **p = realloc(t->vals, (size_t)(t->nvals + 1) * sizeof *p);
  if (!p) abort();
  t->vals = p;
  t->vals[t->nvals] = strndup(v, n);
  t->nvals++;
}

static bool key_char(char c) { return isalnum((unsigned char)c) || c == '.' || c == '-' || c == '_' || c == '/'; }
static bool val_char(char c) { return isalnum((unsigned char)c) || c == '.' || c == '-' || c == '_'; }
static const char *skip_ws(const char *p) {
  while (*p == ' ') p++;
  return p;
}

ksel *sel_parse_labels(const char *s, char *err, size_t errn) {
  ksel *sel = calloc(1, sizeof *sel);
  if (!sel) abort();
  const char *p = skip_ws(s);
  while (*p) {
    kterm *t = add_term(sel);
    bool neg = false;
    if (*p == '!') {
      neg = true;
      p = skip_ws(p + 1);
    }
    const char *k = p;
    while (key_char(*p)) p++;
    if (p == k || p - k > 316) {
      snprintf(err, errn, "invalid label key in selector \"%s\"", s);
      goto bad;
    }
    t->key = strndup(k, (size_t)(p - k));
    p = skip_ws(p);
    if (neg) {
      t->op = OP_NOTEXISTS;
    } else if (*p == ',' || !*p) {
      t->op = OP_EXISTS;
    } else if (p[0] == '=' && p[1] == '=') {
      t->op = OP_EQ;
      p += 2;
    } else if (p[0] == '!' && p[1] == '=') {
      t->op = OP_NE;
      p += 2;
    } else if (p[0] == '=') {
      t->op = OP_EQ;
      p += 1;
    } else if (p[0] == '>') {
      t->op = OP_GT;
      p += 1;
    } else if (p[0] == '<') {
      t->op = OP_LT;
      p += 1;
    } else if (strncmp(p, "in", 2) == 0 && (p[2] == ' ' || p[2] == '(')) {
      t->op = OP_IN;
      p += 2;
    } else if (strncmp(p, "notin", 5) == 0 && (p[5] == ' ' || p[5] == '(')) {
      t->op = OP_NOTIN;
      p += 5;
    } else {
      snprintf(err, errn, "found '%c', expected: '=', '!=', '==', 'in', notin'", *p);
      goto bad;
    }
    p = skip_ws(p);
    if (t->op == OP_IN || t->op == OP_NOTIN) {
      if (*p != '(') {
        snprintf(err, errn, "found '%c', expected: '('", *p ? *p : ' ');
        goto bad;
      }
      p = skip_ws(p + 1);
      for (;;) {
        const char *v = p;
        while (val_char(*p)) p++;
        add_val(t, v, (size_t)(p - v));
        p = skip_ws(p);
        if (*p == ',') {
          p = skip_ws(p + 1);
          continue;
        }
        if (*p == ')') {
          p++;
          break;
        }
        snprintf(err, errn, "found '%c', expected: ',', or ')'", *p ? *p : ' ');
        goto bad;
      }
    } else if (t->op == OP_EQ || t->op == OP_NE || t->op == OP_GT || t->op == OP_LT) {
      const char *v = p;
      while (val_char(*p)) p++;
      if (p - v > 63) {
        snprintf(err, errn, "invalid label value: \"%.*s\": must be no more than 63 characters", (int)(p - v), v);
        goto bad;
      }
      add_val(t, v, (size_t)(p - v));
      if ((t->op == OP_GT || t->op == OP_LT) && (p == v || strspn(v, "0123456789") != (size_t)(p - v))) {
        snprintf(err, errn, "for 'Gt', 'Lt' operators, the value must be an integer");
        goto bad;
      }
    }
    p = skip_ws(p);
    if (*p == ',') {
      p = skip_ws(p + 1);
      if (!*p) {
        snprintf(err, errn, "found '', expected: identifier after ','");
        goto bad;
      }
      continue;
    }
    if (*p) {
      snprintf(err, errn, "found '%c', expected: ',' or 'end of string'", *p);
      goto bad;
    }
  }
  return sel;
bad:
  sel_free(sel);
  return NULL;
}

bool sel_match_labels(const ksel *s, const cJSON *labels) {
  if (!s) return true;
  for (int i = 0; i < s->n; i++) {
    const kterm *t = &s->terms[i];
    cJSON *v = labels ? cJSON_GetObjectItemCaseSensitive(labels, t->key) : NULL;
    const char *val = cJSON_IsString(v) ? v->valuestring : NULL;
    bool in = false;
    for (int j = 0; val && j < t->nvals; j++)
      if (strcmp(val, t->vals[j]) == 0) in = true;
    switch (t->op) {
      case OP_EQ:
      case OP_IN:
        if (!in) return false;
        break;
      case OP_NE:
      case OP_NOTIN:
        if (in) return false;
        break;
      case OP_EXISTS:
        if (!val) return false;
        break;
      case OP_NOTEXISTS:
        if (val) return false;
        break;
      case OP_GT:
      case OP_LT: {
        if (!val || !*val || strspn(val, "0123456789") != strlen(val)) return false;
        long long a = atoll(val), b = atoll(t->vals[0]);
        if (t->op == OP_GT ? !(a > b) : !(a < b)) return false;
        break;
      }
    }
  }
  return true;
}

static const char *event_fields[] = {"involvedObject.kind",
                                     "involvedObject.namespace",
                                     "involvedObject.name",
                                     "involvedObject.uid",
                                     "involvedObject.apiVersion",
                                     "involvedObject.resourceVersion",
                                     "involvedObject.fieldPath",
                                     "reason",
                                     "reportingComponent",
                                     "source",
                                     "type",
                                     NULL};

/* events.k8s.io/v1 names of the same fields (the selector still evaluates on the v1 view). */
static const char *event_v1_fields[] = {"regarding.kind",
                                        "regarding.namespace",
                                        "regarding.name",
                                        "regarding.uid",
                                        "regarding.apiVersion",
                                        "regarding.resourceVersion",
                                        "regarding.fieldPath",
                                        "reason",
                                        "reportingController",
                                        "type",
                                        NULL};

static bool field_supported(const ktype *t, const char *f) {
  if (strcmp(f, "metadata.name") == 0 || strcmp(f, "metadata.namespace") == 0) return true;
  const char **list = NULL;
  if (t->builtin == KB_EVENT) list = event_fields;
  if (t->builtin == KB_EVENT_V1) list = event_v1_fields;
  if (t->builtin == KB_SECRET && strcmp(f, "type") == 0) return true;
  if (t->builtin == KB_NAMESPACE && strcmp(f, "status.phase") == 0) return true;
  for (int i = 0; list && list[i]; i++)
    if (strcmp(list[i], f) == 0) return true;
  return false;
}

ksel *sel_parse_fields(const ktype *t, const char *s, char *err, size_t errn) {
  ksel *sel = calloc(1, sizeof *sel);
  if (!sel) abort();
  sel->fields = true;
  const char *p = s;
  while (*p) {
    /* one term up to an unescaped ',' */
    kbuf term = {0};
    while (*p && *p != ',') {
      if (*p == '\\' && p[1]) {
        kbuf_add(&term, p, 2);
        p += 2;
        continue;
      }
      kbuf_add(&term, p, 1);
      p++;
    }
    if (*p == ',') p++;
    if (!term.s) {
      continue;
    }
    char *ts = term.s;
    kterm *k = add_term(sel);
    char *op = NULL;
    int oplen = 0;
    for (char *q = ts; *q; q++) {
      if (*q == '\\' && q[1]) {
        q++;
        continue;
      }
      if (q[0] == '!' && q[1] == '=') {
        op = q;
        oplen = 2;
        k->op = OP_NE;
        break;
      }
      if (q[0] == '=' && q[1] == '=') {
        op = q;
        oplen = 2;
        k->op = OP_EQ;
        break;
      }
      if (q[0] == '=') {
        op = q;
        oplen = 1;
        k->op = OP_EQ;
        break;
      }
    }
    if (!op) {
      snprintf(err, errn, "invalid selector: '%s'; can't understand '%s'", s, ts);
      kbuf_free(&term);
      goto bad;
    }
    k->key = strndup(ts, (size_t)(op - ts));
    /* unescape the value */
    kbuf v = {0};
    for (const char *q = op + oplen; *q; q++) {
      if (*q == '\\' && q[1]) q++;
      kbuf_add(&v, q, 1);
    }
    add_val(k, v.s ? v.s : "", v.len);
    kbuf_free(&v);
    kbuf_free(&term);
    if (!field_supported(t, k->key)) {
      snprintf(err, errn, "field label not supported: %s", k->key);
      goto bad;
    }
    if (strcmp(k->key, "metadata.name") != 0 && strcmp(k->key, "metadata.namespace") != 0) sel->need_obj = true;
  }
  return sel;
bad:
  sel_free(sel);
  return NULL;
}

bool sel_fields_need_object(const ksel *s) { return s && s->need_obj; }

static bool cmp_term(const kterm *t, const char *val) {
  bool eq = strcmp(val ? val : "", t->vals[0]) == 0;
  return t->op == OP_EQ ? eq : !eq;
}

bool sel_match_fields_meta(const ksel *s, const char *ns, const char *name) {
  if (!s) return true;
  for (int i = 0; i < s->n; i++) {
    const kterm *t = &s->terms[i];
    const char *v = strcmp(t->key, "metadata.name") == 0 ? name : ns;
    if (!cmp_term(t, v)) return false;
  }
  return true;
}

static const char *field_value(const cJSON *obj, const char *key, char *buf, size_t n) {
  if (strcmp(key, "source") == 0) return jstr(jget(obj, "source"), "component");
  char path[256];
  snprintf(path, sizeof path, "%s", key);
  const cJSON *cur = obj;
  char *save = NULL;
  for (char *seg = strtok_r(path, ".", &save); seg && cur; seg = strtok_r(NULL, ".", &save)) cur = jget(cur, seg);
  if (cJSON_IsString(cur)) return cur->valuestring;
  if (cJSON_IsNumber(cur)) {
    snprintf(buf, n, "%.0f", cur->valuedouble);
    return buf;
  }
  return "";
}

bool sel_match_fields(const ksel *s, const cJSON *obj) {
  if (!s) return true;
  for (int i = 0; i < s->n; i++) {
    char buf[64];
    const char *v = field_value(obj, s->terms[i].key, buf, sizeof buf);
    if (!cmp_term(&s->terms[i], v)) return false;
  }
  return true;
}
