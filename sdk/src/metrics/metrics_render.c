/* metrics_render.c — Prometheus text exposition format 0.0.4. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "metrics_internal.h"

typedef struct tbuf {
  char *p;
  size_t len, cap;
  bool oom;
} tbuf;

static void put(tbuf *b, const char *s, size_t n) {
  if (b->oom) return;
  if (b->len + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap * 2 : 4096;
    while (cap < b->len + n + 1) cap *= 2;
    char *np = realloc(b->p, cap);
    if (!np) {
      b->oom = true;
      return;
    }
    b->p = np;
    b->cap = cap;
  }
  memcpy(b->p + b->len, s, n);
  b->len += n;
  b->p[b->len] = '\0';
}

static void puts_(tbuf *b, const char *s) { put(b, s, strlen(s)); }

/* HELP text escapes \ and newline; label values also escape ". */
static void put_escaped(tbuf *b, const char *s, bool quotes) {
  for (; *s; s++) {
    if (*s == '\\') put(b, "\\\\", 2);
    else if (*s == '\n') put(b, "\\n", 2);
    else if (quotes && *s == '"') put(b, "\\\"", 2);
    else put(b, s, 1);
  }
}

static void fmt_number(char *s, size_t n, double d) {
  if (isnan(d)) snprintf(s, n, "NaN");
  else if (isinf(d)) snprintf(s, n, d > 0 ? "+Inf" : "-Inf");
  else if (d == floor(d) && fabs(d) <= 9007199254740992.0) snprintf(s, n, "%lld", (long long)d);
  else {
    for (int prec = 15; prec <= 17; prec++) {
      snprintf(s, n, "%.*g", prec, d);
      if (strtod(s, NULL) == d) break;
    }
  }
}

static void put_number(tbuf *b, double d) {
  char s[40];
  fmt_number(s, sizeof s, d);
  puts_(b, s);
}

/* name{l1="v1",l2="v2"[,le="x"]} */
static void put_series_name(tbuf *b, const capz_metric_family *f, const char *suffix, const capz_metric *m,
                            const char *le) {
  puts_(b, f->name);
  puts_(b, suffix);
  if (f->n_labels == 0 && !le) return;
  put(b, "{", 1);
  for (size_t i = 0; i < f->n_labels; i++) {
    if (i) put(b, ",", 1);
    puts_(b, f->labels[i]);
    put(b, "=\"", 2);
    put_escaped(b, m->values[i], true);
    put(b, "\"", 1);
  }
  if (le) {
    if (f->n_labels) put(b, ",", 1);
    put(b, "le=\"", 4);
    puts_(b, le);
    put(b, "\"", 1);
  }
  put(b, "}", 1);
}


static int cmp_series(const void *x, const void *y) {
  const capz_metric *a = *(const capz_metric *const *)x, *b = *(const capz_metric *const *)y;
  size_t n = a->family->n_labels;
  for (size_t i = 0; i < n; i++) {
    int c = strcmp(a->values[i], b->values[i]);
    if (c) return c;
  }
  return 0;
}

static int cmp_family(const void *x, const void *y) {
  return strcmp((*(const capz_metric_family *const *)x)->name, (*(const capz_metric_family *const *)y)->name);
}

static void render_family(tbuf *b, capz_metric_family *f) {
  pthread_mutex_lock(&f->lock);
  size_t n = f->n_series;
  capz_metric **s = n ? malloc(n * sizeof *s) : NULL;
  if (n && !s) {
    b->oom = true;
    pthread_mutex_unlock(&f->lock);
    return;
  }
  if (n) memcpy(s, f->series, n * sizeof *s);
  pthread_mutex_unlock(&f->lock); /* series are never freed while the registry lives */
  if (n == 0) return;
  qsort(s, n, sizeof *s, cmp_series);
  static const char *const type_names[] = {"counter", "gauge", "histogram"};
  puts_(b, "# HELP ");
  puts_(b, f->name);
  put(b, " ", 1);
  put_escaped(b, f->help, false);
  puts_(b, "\n# TYPE ");
  puts_(b, f->name);
  put(b, " ", 1);
  puts_(b, type_names[f->type]);
  put(b, "\n", 1);
  for (size_t i = 0; i < n; i++) {
    const capz_metric *m = s[i];
    if (f->type != CAPZ_METRIC_HISTOGRAM) {
      put_series_name(b, f, "", m, NULL);
      put(b, " ", 1);
      put_number(b, mx_load(&m->bits));
      put(b, "\n", 1);
      continue;
    }
    uint64_t cum = 0;
    char le[40], cnt[24];
    for (size_t k = 0; k <= f->n_bounds; k++) {
      cum += atomic_load_explicit(&m->buckets[k], memory_order_relaxed);
      if (k < f->n_bounds) fmt_number(le, sizeof le, f->bounds[k]);
      else snprintf(le, sizeof le, "+Inf");
      put_series_name(b, f, "_bucket", m, le);
      snprintf(cnt, sizeof cnt, " %llu\n", (unsigned long long)cum);
      puts_(b, cnt);
    }
    put_series_name(b, f, "_sum", m, NULL);
    put(b, " ", 1);
    put_number(b, mx_load(&m->bits));
    put(b, "\n", 1);
    put_series_name(b, f, "_count", m, NULL);
    snprintf(cnt, sizeof cnt, " %llu\n", (unsigned long long)cum);
    puts_(b, cnt);
  }
  free(s);
}

char *capz_metrics_render(capz_metrics_registry *r, size_t *len) {
  r = mx_registry(r);
  pthread_mutex_lock(&r->lock);
  size_t n = r->n;
  capz_metric_family **fs = n ? malloc(n * sizeof *fs) : NULL;
  if (n && fs) memcpy(fs, r->families, n * sizeof *fs);
  pthread_mutex_unlock(&r->lock);
  if (n && !fs) return NULL;
  if (n) qsort(fs, n, sizeof *fs, cmp_family);
  tbuf b = {0};
  put(&b, "", 0);
  for (size_t i = 0; i < n; i++) render_family(&b, fs[i]);
  free(fs);
  if (b.oom) {
    free(b.p);
    return NULL;
  }
  if (len) *len = b.len;
  return b.p;
}
