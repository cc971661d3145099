/* kc_selector.c — label selector evaluation against cached objects (same grammar as the API server). */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "kube/kc_obj.h"

typedef enum { OP_EQ, OP_NE, OP_IN, OP_NOTIN, OP_EXISTS, OP_NOTEXISTS } sel_op;

static void skip_ws(const char **p) {
  while (**p == ' ') (*p)++;
}

static size_t word(const char *p) {
  size_t n = 0;
  while (p[n] && (isalnum((unsigned char)p[n]) || strchr("-_./", p[n]))) n++;
  return n;
}

/* True when value (len vl) is one of the comma-separated words in (set) starting at *p; advances past ')'. */
static int parse_set(const char **p, const char *val, bool *hit) {
  *hit = false;
  skip_ws(p);
  if (**p != '(') return -1;
  (*p)++;
  for (;;) {
    skip_ws(p);
    size_t n = word(*p);
    if (val && n == strlen(val) && strncmp(*p, val, n) == 0) *hit = true;
    *p += n;
    skip_ws(p);
    if (**p == ',') {
      (*p)++;
      continue;
    }
    if (**p == ')') {
      (*p)++;
      return 0;
    }
    return -1;
  }
}

/* Evaluate (o != NULL) or just validate (o == NULL). Returns 1 match, 0 no match, -1 malformed. */
static int eval(const char *sel, const capz_obj *o, char *why, size_t wn) {
  const char *p = sel;
  int result = 1;
  while (*p) {
    skip_ws(&p);
    if (!*p) break;
    bool neg = false;
    if (*p == '!') {
      neg = true;
      p++;
      skip_ws(&p);
    }
    size_t kl = word(p);
    if (kl == 0 || kl > 316) {
      snprintf(why, wn, "expected a label key at offset %d", (int)(p - sel));
      return -1;
    }
    char key[320];
    memcpy(key, p, kl);
    key[kl] = '\0';
    p += kl;
    skip_ws(&p);
    const char *have = o ? capz_obj_label(o, key) : NULL;
    bool ok;
    if (neg) {
      ok = have == NULL;
    } else if (*p == '=' || (*p == '!' && p[1] == '=')) {
      bool ne = *p == '!';
      p += (ne || p[1] == '=') ? 2 : 1;
      skip_ws(&p);
      size_t vl = word(p);
      bool eq = have && strlen(have) == vl && strncmp(have, p, vl) == 0;
      p += vl;
      ok = ne ? !eq : eq;
    } else if (strncmp(p, "in", 2) == 0 && (p[2] == ' ' || p[2] == '(')) {
      p += 2;
      bool hit;
      if (parse_set(&p, have, &hit) != 0) {
        snprintf(why, wn, "malformed set after \"%.60s in\"", key);
        return -1;
      }
      ok = hit;
    } else if (strncmp(p, "notin", 5) == 0 && (p[5] == ' ' || p[5] == '(')) {
      p += 5;
      bool hit;
      if (parse_set(&p, have, &hit) != 0) {
        snprintf(why, wn, "malformed set after \"%.60s notin\"", key);
        return -1;
      }
      ok = !hit;
    } else {
      ok = have != NULL;
    }
    if (!ok) result = 0;
    skip_ws(&p);
    if (*p == ',') p++;
    else if (*p) {
      snprintf(why, wn, "unexpected '%c' at offset %d", *p, (int)(p - sel));
      return -1;
    }
  }
  return result;
}

CAPZ_API bool capz_label_selector_matches(const char *selector, const capz_obj *o) {
  if (!selector || !*selector) return true;
  char why[128];
  return o && eval(selector, o, why, sizeof why) == 1;
}

CAPZ_API int capz_label_selector_check(const char *selector, capz_err *err) {
  char why[128];
  if (selector && eval(selector, NULL, why, sizeof why) < 0)
    return capz_err_set(err, CAPZ_EINVAL, "label selector \"%s\": %s", selector, why);
  return 0;
}
