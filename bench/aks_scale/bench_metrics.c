/* bench_metrics.c — see bench_metrics.h. */
#include "bench_metrics.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_http.h"

/* Calls fn for every sample line of family `name`: labels text (between the braces, "" if none) and value. */
static void each_sample(const char *text, const char *name, void (*fn)(void *, const char *, size_t, double),
                        void *ud) {
  size_t nl = strlen(name);
  for (const char *l = text; l && *l;) {
    const char *end = strchr(l, '\n');
    size_t len = end ? (size_t)(end - l) : strlen(l);
    if (len > nl && strncmp(l, name, nl) == 0 && (l[nl] == '{' || l[nl] == ' ')) {
      const char *labels = "";
      size_t ll = 0;
      const char *rest = l + nl;
      if (*rest == '{') {
        const char *close = memchr(rest, '}', len - nl);
        if (close) {
          labels = rest + 1;
          ll = (size_t)(close - labels);
          rest = close + 1;
        }
      }
      fn(ud, labels, ll, strtod(rest, NULL));
    }
    l = end ? end + 1 : NULL;
  }
}

typedef struct sum_ud {
  const char *filter;
  double sum;
} sum_ud;

static bool has_all(const char *labels, size_t ll, const char *filter) {
  if (!filter || !*filter) return true;
  char buf[1024];
  snprintf(buf, sizeof buf, "%.*s", (int)ll, labels);
  char f[512];
  snprintf(f, sizeof f, "%s", filter);
  for (char *save = NULL, *tok = strtok_r(f, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
    if (!strstr(buf, tok)) return false;
  return true;
}

static void add_sum(void *ud, const char *labels, size_t ll, double v) {
  sum_ud *s = ud;
  if (has_all(labels, ll, s->filter)) s->sum += v;
}

double bmet_sum(const char *text, const char *name, const char *filter) {
  sum_ud s = {filter, 0};
  if (text) each_sample(text, name, add_sum, &s);
  return s.sum;
}

static void label_value(const char *labels, size_t ll, const char *key, char *out, size_t n) {
  char pat[128];
  snprintf(pat, sizeof pat, "%s=\"", key);
  out[0] = '\0';
  const char *p = labels, *end = labels + ll;
  while (p < end) {
    const char *at = strstr(p, pat);
    if (!at || at >= end) return;
    if (at == labels || at[-1] == ',') {
      at += strlen(pat);
      const char *q = strchr(at, '"');
      if (!q || q > end) return;
      snprintf(out, n, "%.*s", (int)(q - at), at);
      return;
    }
    p = at + 1;
  }
}

typedef struct tally_ud {
  const char *filter, *a, *b;
  cJSON *out;
} tally_ud;

static void add_tally(void *ud, const char *labels, size_t ll, double v) {
  tally_ud *t = ud;
  if (!has_all(labels, ll, t->filter)) return;
  char va[256], vb[256], key[600];
  label_value(labels, ll, t->a, va, sizeof va);
  if (t->b) {
    label_value(labels, ll, t->b, vb, sizeof vb);
    snprintf(key, sizeof key, "%s|%s", va, vb);
  } else {
    snprintf(key, sizeof key, "%s", va);
  }
  cJSON *it = cJSON_GetObjectItemCaseSensitive(t->out, key);
  if (it) cJSON_SetNumberValue(it, it->valuedouble + v);
  else cJSON_AddNumberToObject(t->out, key, v);
}

cJSON *bmet_by_labels(const char *text, const char *name, const char *filter, const char *label_a, const char *label_b) {
  tally_ud t = {filter, label_a, label_b, cJSON_CreateObject()};
  if (text) each_sample(text, name, add_tally, &t);
  return t.out;
}

cJSON *bmet_arm_counters(const char *arm_url) {
  char url[512];
  snprintf(url, sizeof url, "%s/_sim/requests?last=0", arm_url);
  cJSON *o = NULL;
  if (bhttp_json("GET", url, NULL, &o) != 200) {
    cJSON_Delete(o);
    return NULL;
  }
  cJSON_DeleteItemFromObjectCaseSensitive(o, "requests");
  /* The emulator keys a Location poll of a resource-group delete by "operationresults/<id>": one key per
   * operation. Fold them into one so deltas and per-cluster figures stay readable. */
  cJSON *bt = cJSON_GetObjectItemCaseSensitive(o, "byType");
  double folded = 0;
  for (cJSON *it = bt ? bt->child : NULL; it;) {
    cJSON *next = it->next;
    if (it->string && strncmp(it->string, "operationresults/", 17) == 0) {
      folded += it->valuedouble;
      cJSON_Delete(cJSON_DetachItemViaPointer(bt, it));
    }
    it = next;
  }
  if (folded > 0) cJSON_AddNumberToObject(bt, "operationresults/*", folded);
  return o;
}

cJSON *bmet_delta(const cJSON *a, const cJSON *b) {
  cJSON *out = cJSON_CreateObject();
  const cJSON *it;
  cJSON_ArrayForEach(it, b) {
    const cJSON *prev = a ? cJSON_GetObjectItemCaseSensitive(a, it->string) : NULL;
    if (cJSON_IsNumber(it)) {
      double d = it->valuedouble - (cJSON_IsNumber(prev) ? prev->valuedouble : 0);
      if (d != 0) cJSON_AddNumberToObject(out, it->string, d);
    } else if (cJSON_IsObject(it)) {
      cJSON_AddItemToObject(out, it->string, bmet_delta(prev, it));
    }
  }
  return out;
}

double bmet_num(const cJSON *o, const char *key) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  return cJSON_IsNumber(v) ? v->valuedouble : 0;
}
