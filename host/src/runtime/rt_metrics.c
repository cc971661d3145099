/* rt_metrics.c — see rt_metrics.h. Series live in short linked lists: the runtime has tens of series, not
 * thousands, and rendering walks them all anyway. */
#include "runtime/rt_metrics.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const double BUCKETS[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
#define NB (sizeof BUCKETS / sizeof BUCKETS[0])

typedef struct series {
  struct series *next;
  char *labels;
  double value;         /* counter/gauge; histogram sum */
  unsigned long count;  /* histogram */
  unsigned long bucket[NB];
} series;

typedef struct family {
  struct family *next;
  char *name, *type, *help;
  series *series;
} family;

struct rtm_registry {
  pthread_mutex_t mu;
  family *fams, *last;
  void (*collector)(void *, rtm_registry *);
  void *cud;
};

rtm_registry *rtm_new(void) {
  rtm_registry *r = calloc(1, sizeof *r);
  if (r) pthread_mutex_init(&r->mu, NULL);
  return r;
}

void rtm_free(rtm_registry *r) {
  if (!r) return;
  for (family *f = r->fams, *fn; f; f = fn) {
    fn = f->next;
    for (series *s = f->series, *sn; s; s = sn) {
      sn = s->next;
      free(s->labels);
      free(s);
    }
    free(f->name);
    free(f->type);
    free(f->help);
    free(f);
  }
  pthread_mutex_destroy(&r->mu);
  free(r);
}

static family *find_family(rtm_registry *r, const char *name) {
  for (family *f = r->fams; f; f = f->next)
    if (strcmp(f->name, name) == 0) return f;
  return NULL;
}

void rtm_family(rtm_registry *r, const char *name, const char *type, const char *help) {
  pthread_mutex_lock(&r->mu);
  if (!find_family(r, name)) {
    family *f = calloc(1, sizeof *f);
    if (f) {
      f->name = strdup(name);
      f->type = strdup(type);
      f->help = strdup(help);
      if (r->last) r->last->next = f;
      else r->fams = f;
      r->last = f;
    }
  }
  pthread_mutex_unlock(&r->mu);
}

static series *find_series(family *f, const char *labels) {
  for (series *s = f->series; s; s = s->next)
    if (strcmp(s->labels, labels) == 0) return s;
  series *s = calloc(1, sizeof *s);
  if (!s || !(s->labels = strdup(labels))) {
    free(s);
    return NULL;
  }
  s->next = f->series;
  f->series = s;
  return s;
}

static void update(rtm_registry *r, const char *name, const char *labels, double v, int op) {
  pthread_mutex_lock(&r->mu);
  family *f = find_family(r, name);
  series *s = f ? find_series(f, labels ? labels : "") : NULL;
  if (s) {
    if (op == 0) s->value += v;
    else if (op == 1) s->value = v;
    else {
      s->value += v;
      s->count++;
      for (size_t i = 0; i < NB; i++)
        if (v <= BUCKETS[i]) s->bucket[i]++;
    }
  }
  pthread_mutex_unlock(&r->mu);
}

void rtm_add(rtm_registry *r, const char *name, const char *labels, double v) { update(r, name, labels, v, 0); }
void rtm_set(rtm_registry *r, const char *name, const char *labels, double v) { update(r, name, labels, v, 1); }
void rtm_observe(rtm_registry *r, const char *name, const char *labels, double v) { update(r, name, labels, v, 2); }

double rtm_get(rtm_registry *r, const char *name, const char *labels) {
  double v = 0;
  pthread_mutex_lock(&r->mu);
  family *f = find_family(r, name);
  for (series *s = f ? f->series : NULL; s; s = s->next)
    if (strcmp(s->labels, labels ? labels : "") == 0) v = strcmp(f->type, "histogram") == 0 ? (double)s->count : s->value;
  pthread_mutex_unlock(&r->mu);
  return v;
}

void rtm_set_collector(rtm_registry *r, void (*fn)(void *, rtm_registry *), void *ud) {
  r->collector = fn;
  r->cud = ud;
}

void rtm_escape(const char *v, char *out, unsigned long n) {
  unsigned long o = 0;
  for (; *v && o + 3 < n; v++) {
    if (*v == '\\' || *v == '"') out[o++] = '\\', out[o++] = *v;
    else if (*v == '\n') out[o++] = '\\', out[o++] = 'n';
    else out[o++] = *v;
  }
  out[o] = '\0';
}

typedef struct sbuf {
  char *p;
  size_t len, cap;
} sbuf;

static void sb_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(sbuf *b, const char *fmt, ...) {
  for (;;) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(b->p ? b->p + b->len : NULL, b->p ? b->cap - b->len : 0, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if (b->p && b->len + (size_t)n < b->cap) {
      b->len += (size_t)n;
      return;
    }
    size_t nc = b->cap ? b->cap * 2 : 4096;
    while (nc < b->len + (size_t)n + 1) nc *= 2;
    char *np = realloc(b->p, nc);
    if (!np) return;
    b->p = np;
    b->cap = nc;
  }
}

char *rtm_render(rtm_registry *r) {
  if (r->collector) r->collector(r->cud, r);
  sbuf b = {0};
  sb_printf(&b, "%s", "");
  pthread_mutex_lock(&r->mu);
  for (family *f = r->fams; f; f = f->next) {
    sb_printf(&b, "# HELP %s %s\n# TYPE %s %s\n", f->name, f->help, f->name, f->type);
    for (series *s = f->series; s; s = s->next) {
      const char *sep = *s->labels ? "," : "";
      if (strcmp(f->type, "histogram") == 0) {
        for (size_t i = 0; i < NB; i++)
          sb_printf(&b, "%s_bucket{%s%sle=\"%g\"} %lu\n", f->name, s->labels, sep, BUCKETS[i], s->bucket[i]);
        sb_printf(&b, "%s_bucket{%s%sle=\"+Inf\"} %lu\n", f->name, s->labels, sep, s->count);
        sb_printf(&b, "%s_sum{%s} %.9g\n%s_count{%s} %lu\n", f->name, s->labels, s->value, f->name, s->labels, s->count);
      } else if (*s->labels) {
        sb_printf(&b, "%s{%s} %.17g\n", f->name, s->labels, s->value);
      } else {
        sb_printf(&b, "%s %.17g\n", f->name, s->value);
      }
    }
  }
  pthread_mutex_unlock(&r->mu);
  return b.p;
}
