/* metrics_render.c — Prometheus text exposition format 0.0.4. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "json/textbuf.h"
#include "metrics_internal.h"

/* HELP text escapes \ and newline; label values also escape ". */
static void put_escaped(textbuf *b, const char *s, bool quotes) {
  for (; *s; s++) {
    if (*s == '\\') textbuf_put(b, "\\\\", 2);
    else if (*s == '\n') textbuf_put(b, "\\n", 2);
    else if (quotes && *s == '"') textbuf_put(b, "\\\"", 2);
    else textbuf_put(b, s, 1);
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

static void put_number(textbuf *b, double d) {
  char s[40];
  fmt_number(s, sizeof s, d);
  textbuf_puts(b, s);
}

/* name{l1="v1",l2="v2"[,le="x"]} */
static void put_series_name(textbuf *b, const capz_metric_family *f, const char *suffix, const capz_metric *m,
                            const char *le) {
  textbuf_puts(b, f->name);
  textbuf_puts(b, suffix);
  if (f->n_labels == 0 && !le) return;
  textbuf_put(b, "{", 1);
  for (size_t i = 0; i < f->n_labels; i++) {
    if (i) textbuf_put(b, ",", 1);
    textbuf_puts(b, f->labels[i]);
    textbuf_put(b, "=\"", 2);
    put_escaped(b, m->values[i], true);
    textbuf_put(b, "\"", 1);
  }
  if (le) {
    if (f->n_labels) textbuf_put(b, ",", 1);
    textbuf_put(b, "le=\"", 4);
    textbuf_puts(b, le);
    textbuf_put(b, "\"", 1);
  }
  textbuf_put(b, "}", 1);
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

static void render_family(textbuf *b, capz_metric_family *f) {
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
  textbuf_puts(b, "# HELP ");
  textbuf_puts(b, f->name);
  textbuf_put(b, " ", 1);
  put_escaped(b, f->help, false);
  textbuf_puts(b, "\n# TYPE ");
  textbuf_puts(b, f->name);
  textbuf_put(b, " ", 1);
  textbuf_puts(b, type_names[f->type]);
  textbuf_put(b, "\n", 1);
  for (size_t i = 0; i < n; i++) {
    const capz_metric *m = s[i];
    if (f->type != CAPZ_METRIC_HISTOGRAM) {
      put_series_name(b, f, "", m, NULL);
      textbuf_put(b, " ", 1);
      put_number(b, mx_load(&m->bits));
      textbuf_put(b, "\n", 1);
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
      textbuf_puts(b, cnt);
    }
    put_series_name(b, f, "_sum", m, NULL);
    textbuf_put(b, " ", 1);
    put_number(b, mx_load(&m->bits));
    textbuf_put(b, "\n", 1);
    put_series_name(b, f, "_count", m, NULL);
    snprintf(cnt, sizeof cnt, " %llu\n", (unsigned long long)cum);
    textbuf_puts(b, cnt);
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
  textbuf b = {0};
  textbuf_put(&b, "", 0);
  for (size_t i = 0; i < n; i++) render_family(&b, fs[i]);
  free(fs);
  return textbuf_take(&b, len);
}
