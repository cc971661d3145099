/* metrics.c — Prometheus registry: families, series lookup, lock-free updates. */
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "metrics_internal.h"

static const double DEFAULT_BUCKETS[] = {.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10};

static capz_metrics_registry g_default = {PTHREAD_MUTEX_INITIALIZER, NULL, 0, 0};

static capz_metrics_registry *reg(capz_metrics_registry *r) { return r ? r : &g_default; }

static uint64_t dbits(double d) {
  uint64_t u;
  memcpy(&u, &d, sizeof u);
  return u;
}

double mx_load(const _Atomic uint64_t *bits) {
  uint64_t u = atomic_load_explicit(bits, memory_order_relaxed);
  double d;
  memcpy(&d, &u, sizeof d);
  return d;
}

static void atomic_add_double(_Atomic uint64_t *bits, double v) {
  uint64_t old = atomic_load_explicit(bits, memory_order_relaxed);
  for (;;) {
    double d;
    memcpy(&d, &old, sizeof d);
    if (atomic_compare_exchange_weak_explicit(bits, &old, dbits(d + v), memory_order_relaxed,
                                              memory_order_relaxed))
      return;
  }
}

static void free_series(capz_metric *m, size_t n_labels) {
  if (!m) return;
  for (size_t i = 0; m->values && i < n_labels; i++) free(m->values[i]);
  free(m->values);
  free((void *)m->buckets);
  free(m);
}

static void free_family(capz_metric_family *f) {
  if (!f) return;
  for (size_t i = 0; i < f->n_series; i++) free_series(f->series[i], f->n_labels);
  free(f->series);
  for (size_t i = 0; i < f->n_labels; i++) free(f->labels[i]);
  free(f->labels);
  free(f->bounds);
  free(f->name);
  free(f->help);
  pthread_mutex_destroy(&f->lock);
  free(f);
}

capz_metrics_registry *capz_metrics_registry_new(void) {
  capz_metrics_registry *r = calloc(1, sizeof *r);
  if (r) pthread_mutex_init(&r->lock, NULL);
  return r;
}

void capz_metrics_registry_free(capz_metrics_registry *r) {
  if (!r || r == &g_default) return;
  for (size_t i = 0; i < r->n; i++) free_family(r->families[i]);
  free(r->families);
  pthread_mutex_destroy(&r->lock);
  free(r);
}

static bool valid_name(const char *s, bool colon) {
  if (!s || !*s) return false;
  for (const char *c = s; *c; c++) {
    bool alpha = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || *c == '_' || (colon && *c == ':');
    if (!alpha && !(c > s && *c >= '0' && *c <= '9')) return false;
  }
  return true;
}

static size_t count_labels(const char *const *labels) {
  size_t n = 0;
  while (labels && labels[n]) n++;
  return n;
}

static capz_metric *new_series(const capz_metric_family *f, const char *const *values) {
  capz_metric *m = calloc(1, sizeof *m);
  if (!m) return NULL;
  m->family = f;
  atomic_init(&m->bits, dbits(0.0));
  bool ok = !f->n_labels || (m->values = calloc(f->n_labels, sizeof(char *)));
  for (size_t i = 0; ok && i < f->n_labels; i++) ok = (m->values[i] = strdup(values[i])) != NULL;
  if (ok && f->type == CAPZ_METRIC_HISTOGRAM) {
    m->buckets = calloc(f->n_bounds + 1, sizeof *m->buckets);
    ok = m->buckets != NULL;
    for (size_t i = 0; ok && i <= f->n_bounds; i++) atomic_init(&m->buckets[i], 0);
  }
  if (!ok) {
    free_series(m, f->n_labels);
    return NULL;
  }
  return m;
}

static bool same_shape(const capz_metric_family *f, capz_metric_type type, const char *const *labels,
                       size_t n_labels, const double *bounds, size_t n_bounds) {
  if (f->type != type || f->n_labels != n_labels) return false;
  for (size_t i = 0; i < n_labels; i++)
    if (strcmp(f->labels[i], labels[i]) != 0) return false;
  if (type != CAPZ_METRIC_HISTOGRAM) return true;
  if (f->n_bounds != n_bounds) return false;
  for (size_t i = 0; i < n_bounds; i++)
    if (f->bounds[i] != bounds[i]) return false;
  return true;
}

static capz_metric_family *do_register(capz_metrics_registry *r, capz_metric_type type, const char *name,
                                       const char *help, const char *const *labels, const double *bounds,
                                       size_t n_bounds, capz_err *err) {
  r = reg(r);
  if (!valid_name(name, true)) {
    capz_err_set(err, CAPZ_EINVAL, "metrics: invalid metric name \"%.100s\"", name ? name : "(null)");
    return NULL;
  }
  size_t n_labels = count_labels(labels);
  for (size_t i = 0; i < n_labels; i++) {
    bool reserved = strncmp(labels[i], "__", 2) == 0 || (type == CAPZ_METRIC_HISTOGRAM && !strcmp(labels[i], "le"));
    bool dup = false;
    for (size_t j = 0; j < i; j++) dup = dup || !strcmp(labels[i], labels[j]);
    if (!valid_name(labels[i], false) || reserved || dup) {
      capz_err_set(err, CAPZ_EINVAL, "metrics: %s: invalid or duplicate label name \"%.100s\"", name, labels[i]);
      return NULL;
    }
  }
  if (type == CAPZ_METRIC_HISTOGRAM) {
    if (!bounds || n_bounds == 0) {
      bounds = DEFAULT_BUCKETS;
      n_bounds = sizeof DEFAULT_BUCKETS / sizeof DEFAULT_BUCKETS[0];
    }
    for (size_t i = 0; i < n_bounds; i++)
      if (!isfinite(bounds[i]) || (i && bounds[i] <= bounds[i - 1])) {
        capz_err_set(err, CAPZ_EINVAL, "metrics: %s: buckets must be finite and strictly increasing", name);
        return NULL;
      }
  }
  pthread_mutex_lock(&r->lock);
  capz_metric_family *f = NULL;
  for (size_t i = 0; i < r->n; i++) {
    if (strcmp(r->families[i]->name, name) != 0) continue;
    f = r->families[i];
    if (!same_shape(f, type, labels, n_labels, bounds, n_bounds)) {
      capz_err_set(err, CAPZ_EEXIST, "metrics: %s is already registered with another type, labels or buckets", name);
      f = NULL;
    }
    pthread_mutex_unlock(&r->lock);
    return f;
  }
  if (r->n == r->cap) {
    size_t cap = r->cap ? r->cap * 2 : 16;
    capz_metric_family **nf = realloc(r->families, cap * sizeof *nf);
    if (!nf) goto oom;
    r->families = nf;
    r->cap = cap;
  }
  f = calloc(1, sizeof *f);
  if (!f) goto oom;
  pthread_mutex_init(&f->lock, NULL);
  f->type = type;
  f->name = strdup(name);
  f->help = strdup(help ? help : "");
  f->n_labels = n_labels;
  bool ok = f->name && f->help && (!n_labels || (f->labels = calloc(n_labels, sizeof(char *))));
  for (size_t i = 0; ok && i < n_labels; i++) ok = (f->labels[i] = strdup(labels[i])) != NULL;
  if (ok && type == CAPZ_METRIC_HISTOGRAM) {
    ok = (f->bounds = malloc(n_bounds * sizeof *f->bounds)) != NULL;
    if (ok) memcpy(f->bounds, bounds, n_bounds * sizeof *f->bounds);
    f->n_bounds = n_bounds;
  }
  if (ok && n_labels == 0) { /* the single series exists from the start and renders as 0 */
    ok = (f->series = malloc(sizeof *f->series)) && (f->series[0] = new_series(f, NULL));
    if (ok) f->n_series = f->cap_series = 1;
  }
  if (!ok) {
    free_family(f);
    goto oom;
  }
  r->families[r->n++] = f;
  pthread_mutex_unlock(&r->lock);
  return f;
oom:
  pthread_mutex_unlock(&r->lock);
  capz_err_set(err, CAPZ_ENOMEM, "metrics: out of memory registering %s", name);
  return NULL;
}

capz_metric_family *capz_metrics_counter(capz_metrics_registry *r, const char *name, const char *help,
                                         const char *const *labels, capz_err *err) {
  return do_register(r, CAPZ_METRIC_COUNTER, name, help, labels, NULL, 0, err);
}

capz_metric_family *capz_metrics_gauge(capz_metrics_registry *r, const char *name, const char *help,
                                       const char *const *labels, capz_err *err) {
  return do_register(r, CAPZ_METRIC_GAUGE, name, help, labels, NULL, 0, err);
}

capz_metric_family *capz_metrics_histogram(capz_metrics_registry *r, const char *name, const char *help,
                                           const char *const *labels, const double *buckets, size_t n_buckets,
                                           capz_err *err) {
  return do_register(r, CAPZ_METRIC_HISTOGRAM, name, help, labels, buckets, n_buckets, err);
}

capz_metric *capz_metric_with_values(capz_metric_family *f, const char *const *values, size_t n) {
  if (!f || n != f->n_labels) return NULL;
  for (size_t i = 0; i < n; i++)
    if (!values[i]) return NULL;
  pthread_mutex_lock(&f->lock);
  for (size_t s = 0; s < f->n_series; s++) {
    capz_metric *m = f->series[s];
    size_t i = 0;
    while (i < n && strcmp(m->values[i], values[i]) == 0) i++;
    if (i == n) {
      pthread_mutex_unlock(&f->lock);
      return m;
    }
  }
  capz_metric *m = NULL;
  if (f->n_series == f->cap_series) {
    size_t cap = f->cap_series ? f->cap_series * 2 : 8;
    capz_metric **ns = realloc(f->series, cap * sizeof *ns);
    if (!ns) goto out;
    f->series = ns;
    f->cap_series = cap;
  }
  m = new_series(f, values);
  if (m) f->series[f->n_series++] = m;
out:
  pthread_mutex_unlock(&f->lock);
  return m;
}

capz_metric *capz_metric_with(capz_metric_family *f, ...) {
  if (!f) return NULL;
  const char *vals[32];
  size_t n = 0;
  va_list ap;
  va_start(ap, f);
  /* Read at most n_labels + 1 arguments: the list must end with NULL right after the values. */
  for (; n <= f->n_labels && n < 32; n++) {
    vals[n] = va_arg(ap, const char *);
    if (!vals[n]) break;
  }
  va_end(ap);
  if (n != f->n_labels) return NULL;
  return capz_metric_with_values(f, vals, n);
}

void capz_metric_inc(capz_metric *m) { capz_metric_add(m, 1.0); }

void capz_metric_dec(capz_metric *m) {
  if (m && m->family->type == CAPZ_METRIC_GAUGE) atomic_add_double(&m->bits, -1.0);
}

void capz_metric_add(capz_metric *m, double v) {
  if (!m || isnan(v)) return;
  if (m->family->type == CAPZ_METRIC_COUNTER && v < 0) return;
  if (m->family->type == CAPZ_METRIC_HISTOGRAM) return;
  atomic_add_double(&m->bits, v);
}

void capz_metric_set(capz_metric *m, double v) {
  if (m && m->family->type == CAPZ_METRIC_GAUGE) atomic_store_explicit(&m->bits, dbits(v), memory_order_relaxed);
}

void capz_metric_observe(capz_metric *m, double v) {
  if (!m || m->family->type != CAPZ_METRIC_HISTOGRAM || isnan(v)) return;
  const capz_metric_family *f = m->family;
  size_t lo = 0, hi = f->n_bounds; /* first bound >= v (le is inclusive); n_bounds = +Inf */
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (f->bounds[mid] >= v) hi = mid;
    else lo = mid + 1;
  }
  atomic_fetch_add_explicit(&m->buckets[lo], 1, memory_order_relaxed);
  atomic_add_double(&m->bits, v);
}

double capz_metric_value(const capz_metric *m) {
  if (!m) return 0;
  if (m->family->type != CAPZ_METRIC_HISTOGRAM) return mx_load(&m->bits);
  uint64_t n = 0;
  for (size_t i = 0; i <= m->family->n_bounds; i++) n += atomic_load_explicit(&m->buckets[i], memory_order_relaxed);
  return (double)n;
}

double capz_metric_sum(const capz_metric *m) {
  return m && m->family->type == CAPZ_METRIC_HISTOGRAM ? mx_load(&m->bits) : 0;
}

/* Exposed for metrics_render.c: the default registry when r is NULL. */
capz_metrics_registry *mx_registry(capz_metrics_registry *r) { return reg(r); }
