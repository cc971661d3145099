/* bench_metrics.c — see bench_metrics.h. */
#include "bench_metrics.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_http.h"

/* One sample line: name, the label text between the braces (may be empty) and the value. 0 or -1. */
static int parse_line(const char *line, size_t len, char *name, size_t nn, const char **labels, size_t *ll,
                      double *value) {
  if (len == 0 || line[0] == '#') return -1;
  size_t i = 0;
  while (i < len && line[i] != '{' && line[i] != ' ') i++;
  if (i == 0 || i >= nn) return -1;
  memcpy(name, line, i);
  name[i] = '\0';
  *labels = "";
  *ll = 0;
  if (i < len && line[i] == '{') {
    size_t j = i + 1;
    bool q = false;
    while (j < len && (q || line[j] != '}')) {
      if (line[j] == '\\' && j + 1 < len) j++;
      else if (line[j] == '"') q = !q;
      j++;
    }
    if (j >= len) return -1;
    *labels = line + i + 1;
    *ll = j - i - 1;
    i = j + 1;
  }
  while (i < len && line[i] == ' ') i++;
  char buf[64];
  size_t k = 0;
  while (i < len && line[i] != ' ' && k < sizeof buf - 1) buf[k++] = line[i++];
  buf[k] = '\0';
  char *end;
  *value = strtod(buf, &end);
  return end != buf ? 0 : -1;
}

/* Value of label key in labels[0..ll) into out; 0 or -1. */
static int label_value(const char *labels, size_t ll, const char *key, char *out, size_t n) {
  size_t kl = strlen(key);
  for (size_t i = 0; i + kl + 2 <= ll; i++) {
    if ((i == 0 || labels[i - 1] == ',') && strncmp(labels + i, key, kl) == 0 && labels[i + kl] == '=' &&
        labels[i + kl + 1] == '"') {
      size_t j = i + kl + 2, k = 0;
      while (j < ll && labels[j] != '"') {
        if (labels[j] == '\\' && j + 1 < ll) j++;
        if (k + 1 < n) out[k++] = labels[j];
        j++;
      }
      out[k] = '\0';
      return 0;
    }
  }
  return -1;
}

/* Every key="value" of filter (comma-separated) present in labels. */
static bool matches(const char *labels, size_t ll, const char *filter) {
  if (!filter || !*filter) return true;
  const char *f = filter;
  while (*f) {
    const char *eq = strchr(f, '=');
    if (!eq || eq[1] != '"') return false;
    const char *vs = eq + 2, *ve = strchr(vs, '"');
    if (!ve) return false;
    char key[128], want[512], got[512];
    snprintf(key, sizeof key, "%.*s", (int)(eq - f), f);
    snprintf(want, sizeof want, "%.*s", (int)(ve - vs), vs);
    if (label_value(labels, ll, key, got, sizeof got) != 0 || strcmp(got, want) != 0) return false;
    f = ve + 1;
    if (*f == ',') f++;
  }
  return true;
}

typedef void (*sample_fn)(void *ud, const char *name, const char *labels, size_t ll, double v);

static void each_sample(const char *text, sample_fn fn, void *ud) {
  if (!text) return;
  const char *p = text;
  while (*p) {
    const char *nl = strchr(p, '\n');
    size_t len = nl ? (size_t)(nl - p) : strlen(p);
    char name[256];
    const char *labels;
    size_t ll;
    double v;
    if (parse_line(p, len, name, sizeof name, &labels, &ll, &v) == 0) fn(ud, name, labels, ll, v);
    p += len + (nl ? 1 : 0);
  }
}

typedef struct sum_ctx {
  const char *name, *filter;
  double total;
} sum_ctx;
static void sum_cb(void *ud, const char *name, const char *labels, size_t ll, double v) {
  sum_ctx *c = ud;
  if (strcmp(name, c->name) == 0 && matches(labels, ll, c->filter)) c->total += v;
}

double bench_prom_sum(const char *text, const char *name, const char *filter) {
  sum_ctx c = {name, filter, 0};
  each_sample(text, sum_cb, &c);
  return c.total;
}

typedef struct tally_ctx {
  const char *name, *filter, *a, *b;
  cJSON *out;
} tally_ctx;
static void tally_cb(void *ud, const char *name, const char *labels, size_t ll, double v) {
  tally_ctx *c = ud;
  if (strcmp(name, c->name) != 0 || !matches(labels, ll, c->filter)) return;
  char va[200] = "", vb[200] = "", key[420];
  label_value(labels, ll, c->a, va, sizeof va);
  if (c->b) label_value(labels, ll, c->b, vb, sizeof vb);
  if (c->b) snprintf(key, sizeof key, "%s|%s", va, vb);
  else snprintf(key, sizeof key, "%s", va);
  cJSON *it = cJSON_GetObjectItemCaseSensitive(c->out, key);
  if (it) cJSON_SetNumberValue(it, it->valuedouble + v);
  else cJSON_AddNumberToObject(c->out, key, v);
}

cJSON *bench_prom_tally(const char *text, const char *name, const char *filter, const char *label_a, const char *label_b) {
  tally_ctx c = {name, filter, label_a, label_b, cJSON_CreateObject()};
  each_sample(text, tally_cb, &c);
  return c.out;
}

#define MAX_LE 64
typedef struct hist_ctx {
  char bucket[256], sum[256], count[256];
  const char *filter;
  double le[MAX_LE], cum[MAX_LE];
  int n;
  double s, k;
} hist_ctx;
static void hist_cb(void *ud, const char *name, const char *labels, size_t ll, double v) {
  hist_ctx *h = ud;
  if (!matches(labels, ll, h->filter)) return;
  if (strcmp(name, h->sum) == 0) h->s += v;
  else if (strcmp(name, h->count) == 0) h->k += v;
  else if (strcmp(name, h->bucket) == 0) {
    char les[64];
    if (label_value(labels, ll, "le", les, sizeof les) != 0) return;
    double le = strcmp(les, "+Inf") == 0 ? INFINITY : strtod(les, NULL);
    int i = 0;
    while (i < h->n && h->le[i] != le) i++;
    if (i == h->n) {
      if (h->n == MAX_LE) return;
      h->le[h->n] = le;
      h->cum[h->n++] = 0;
    }
    h->cum[i] += v;
  }
}

static void hist_read(const char *text, const char *name, const char *filter, hist_ctx *h) {
  memset(h, 0, sizeof *h);
  snprintf(h->bucket, sizeof h->bucket, "%s_bucket", name);
  snprintf(h->sum, sizeof h->sum, "%s_sum", name);
  snprintf(h->count, sizeof h->count, "%s_count", name);
  h->filter = filter;
  each_sample(text, hist_cb, h);
  /* buckets sorted by bound (they come sorted per series; several series are merged here) */
  for (int i = 1; i < h->n; i++)
    for (int j = i; j > 0 && h->le[j - 1] > h->le[j]; j--) {
      double t = h->le[j], c = h->cum[j];
      h->le[j] = h->le[j - 1];
      h->cum[j] = h->cum[j - 1];
      h->le[j - 1] = t;
      h->cum[j - 1] = c;
    }
}

/* histogram_quantile: linear within the bucket; the +Inf bucket answers its lower bound */
static double quantile(const hist_ctx *h, double q) {
  if (h->n == 0 || h->k <= 0) return 0;
  double rank = q * h->cum[h->n - 1];
  for (int i = 0; i < h->n; i++) {
    if (h->cum[i] >= rank) {
      double lo = i ? h->le[i - 1] : 0, c0 = i ? h->cum[i - 1] : 0;
      if (isinf(h->le[i])) return lo;
      double in = h->cum[i] - c0;
      return in > 0 ? lo + (h->le[i] - lo) * (rank - c0) / in : h->le[i];
    }
  }
  return h->le[h->n - 1];
}

int bench_prom_histogram(const char *before, const char *after, const char *name, const char *filter, bench_hist *out) {
  hist_ctx a, b;
  hist_read(after, name, filter, &a);
  if (before) {
    hist_read(before, name, filter, &b);
    for (int i = 0; i < a.n; i++)
      for (int j = 0; j < b.n; j++)
        if (a.le[i] == b.le[j]) a.cum[i] -= b.cum[j];
    a.s -= b.s;
    a.k -= b.k;
  }
  memset(out, 0, sizeof *out);
  if (a.k <= 0) return -1;
  out->count = a.k;
  out->sum = a.s;
  out->p50 = quantile(&a, 0.5);
  out->p95 = quantile(&a, 0.95);
  out->p99 = quantile(&a, 0.99);
  return 0;
}

/* Resource-group deletes are keyed per operation (operationresults/<id>): fold them into one key. */
static void fold_types(cJSON *counters) {
  cJSON *t = cJSON_GetObjectItemCaseSensitive(counters, "byType");
  if (!t) return;
  double folded = 0;
  cJSON *it = t->child;
  while (it) {
    cJSON *next = it->next;
    if (it->string && strncmp(it->string, "operationresults/", 17) == 0) {
      folded += it->valuedouble;
      cJSON_Delete(cJSON_DetachItemViaPointer(t, it));
    }
    it = next;
  }
  if (folded > 0) cJSON_AddNumberToObject(t, "operationresults/*", folded);
}

cJSON *bench_arm_counters(const char *arm_url) {
  char url[512];
  snprintf(url, sizeof url, "%s/_sim/requests?last=0", arm_url);
  cJSON *j = NULL;
  if (bhttp_json("GET", url, NULL, &j) != 200) {
    cJSON_Delete(j);
    return NULL;
  }
  cJSON_DeleteItemFromObjectCaseSensitive(j, "requests");
  fold_types(j);
  return j;
}

cJSON *bench_delta(const cJSON *a, const cJSON *b) {
  cJSON *out = cJSON_CreateObject();
  const cJSON *it;
  cJSON_ArrayForEach(it, b) {
    const cJSON *old = a ? cJSON_GetObjectItemCaseSensitive(a, it->string) : NULL;
    if (cJSON_IsNumber(it)) {
      double d = it->valuedouble - (cJSON_IsNumber(old) ? old->valuedouble : 0);
      if (d != 0 || strcmp(it->string, "total") == 0) cJSON_AddNumberToObject(out, it->string, d);
    } else if (cJSON_IsObject(it)) {
      cJSON_AddItemToObject(out, it->string, bench_delta(old, it));
    }
  }
  return out;
}

double bench_num(const cJSON *o, const char *key) {
  const cJSON *it = o ? cJSON_GetObjectItemCaseSensitive(o, key) : NULL;
  return cJSON_IsNumber(it) ? it->valuedouble : 0;
}

double bench_arm_reads(const cJSON *c) {
  const cJSON *m = cJSON_GetObjectItemCaseSensitive(c, "byMethod");
  return bench_num(m, "GET") + bench_num(m, "HEAD");
}

double bench_arm_writes(const cJSON *c) {
  const cJSON *m = cJSON_GetObjectItemCaseSensitive(c, "byMethod");
  const cJSON *t = cJSON_GetObjectItemCaseSensitive(c, "byType");
  /* the Entra token endpoint shares the emulator's port; it is neither ARM nor throttled as a write */
  return bench_num(m, "PUT") + bench_num(m, "POST") + bench_num(m, "PATCH") - bench_num(t, "entra/token");
}

double bench_arm_deletes(const cJSON *c) { return bench_num(cJSON_GetObjectItemCaseSensitive(c, "byMethod"), "DELETE"); }

void bench_print_counters(const char *title, const cJSON *c, double per_cluster, int clusters) {
  printf("%s: total %.0f", title, bench_num(c, "total"));
  if (per_cluster > 0) printf(" (%.2f per cluster)", bench_num(c, "total") / per_cluster);
  printf("\n");
  static const char *const groups[] = {"byMethod", "byStatus", "byType", NULL};
  for (int g = 0; groups[g]; g++) {
    const cJSON *o = cJSON_GetObjectItemCaseSensitive(c, groups[g]);
    if (!o || !o->child) continue;
    printf("  %s:", groups[g]);
    const cJSON *it;
    cJSON_ArrayForEach(it, o) {
      if (clusters > 0) printf(" %s=%.0f (%.2f/cl)", it->string, it->valuedouble, it->valuedouble / clusters);
      else printf(" %s=%.0f", it->string, it->valuedouble);
    }
    printf("\n");
  }
}
