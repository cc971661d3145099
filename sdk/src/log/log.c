/* log.c — leveled records, klog verbosity, loggers with fixed pairs, one locked write per record. */
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "log_internal.h"

struct capz_logger {
  size_t n;     /* pairs */
  char **kv;    /* 2n strings: key, value (value already made safe) */
};

static atomic_int g_verbosity = 0;
static atomic_int g_format = CAPZ_LOG_TEXT;
static FILE *g_stream; /* NULL = stderr; guarded by g_lock */
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;

void capz_log_set_verbosity(int v) { atomic_store(&g_verbosity, v < 0 ? 0 : v); }
int capz_log_get_verbosity(void) { return atomic_load(&g_verbosity); }
void capz_log_set_format(capz_log_format f) { atomic_store(&g_format, f == CAPZ_LOG_JSON ? CAPZ_LOG_JSON : CAPZ_LOG_TEXT); }
bool capz_log_enabled(int v) { return v <= atomic_load(&g_verbosity); }

void capz_log_set_stream(FILE *f) {
  pthread_mutex_lock(&g_lock);
  g_stream = f;
  pthread_mutex_unlock(&g_lock);
}

capz_logger *capz_logger_new(const capz_logger *parent, ...) {
  va_list ap;
  size_t extra = 0;
  va_start(ap, parent);
  for (;;) {
    const char *k = va_arg(ap, const char *);
    if (!k) break;
    extra++;
    if (!va_arg(ap, const char *)) break; /* a NULL value ends the list (logged as "(MISSING)") */
  }
  va_end(ap);
  capz_logger *lg = calloc(1, sizeof *lg);
  size_t total = (parent ? parent->n : 0) + extra;
  if (!lg || (total && !(lg->kv = calloc(total * 2, sizeof(char *))))) {
    free(lg);
    return NULL;
  }
  bool ok = true;
  if (parent)
    for (size_t i = 0; i < parent->n * 2; i++) {
      lg->kv[i] = strdup(parent->kv[i]);
      ok = ok && lg->kv[i];
    }
  lg->n = parent ? parent->n : 0;
  va_start(ap, parent);
  for (size_t i = 0; i < extra; i++) {
    const char *k = va_arg(ap, const char *);
    const char *v = va_arg(ap, const char *);
    char tmp[512], *heap;
    const char *safe = log_safe_value(k, v, tmp, sizeof tmp, &heap);
    lg->kv[2 * lg->n] = strdup(k);
    lg->kv[2 * lg->n + 1] = strdup(safe);
    free(heap);
    ok = ok && lg->kv[2 * lg->n] && lg->kv[2 * lg->n + 1];
    lg->n++;
    if (!v) break;
  }
  va_end(ap);
  if (!ok) {
    capz_logger_free(lg);
    return NULL;
  }
  return lg;
}

void capz_logger_free(capz_logger *lg) {
  if (!lg) return;
  for (size_t i = 0; i < lg->n * 2; i++) free(lg->kv[i]);
  free(lg->kv);
  free(lg);
}

static const char *level_name(capz_log_level level, bool json) {
  static const char *const text[] = {"ERROR", "WARN", "INFO", "DEBUG"};
  static const char *const lower[] = {"error", "warn", "info", "debug"};
  if ((int)level < 0 || level > CAPZ_LOG_DEBUG) level = CAPZ_LOG_INFO;
  return json ? lower[level] : text[level];
}

static void put_pair(lbuf *b, bool json, const char *k, const char *v) {
  if (json) {
    lb_put(b, ",", 1);
    lb_json_string(b, k);
    lb_put(b, ":", 1);
    lb_json_string(b, v);
  } else {
    lb_put(b, " ", 1);
    lb_text_key(b, k);
    lb_put(b, "=", 1);
    lb_text_value(b, v);
  }
}

static void emit(const capz_logger *lg, capz_log_level level, int v, const char *msg, va_list ap) {
  bool json = atomic_load(&g_format) == CAPZ_LOG_JSON;
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  struct tm tm;
  gmtime_r(&ts.tv_sec, &tm);
  char tbuf[80];
  snprintf(tbuf, sizeof tbuf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
           tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ts.tv_nsec / 1000000));
  lbuf b;
  lb_init(&b);
  char tmp[512], *heap;
  const char *safe_msg = log_safe_value(NULL, msg ? msg : "", tmp, sizeof tmp, &heap);
  if (json) {
    lb_puts(&b, "{\"ts\":\"");
    lb_puts(&b, tbuf);
    lb_puts(&b, "\",\"level\":\"");
    lb_puts(&b, level_name(level, true));
    lb_puts(&b, "\"");
    if (v > 0) {
      char vb[24];
      snprintf(vb, sizeof vb, ",\"v\":%d", v);
      lb_puts(&b, vb);
    }
    lb_puts(&b, ",\"msg\":");
    lb_json_string(&b, safe_msg);
  } else {
    lb_puts(&b, tbuf);
    lb_put(&b, " ", 1);
    lb_puts(&b, level_name(level, false));
    if (v > 0) {
      char vb[24];
      snprintf(vb, sizeof vb, "(v%d)", v);
      lb_puts(&b, vb);
    }
    lb_put(&b, " ", 1);
    lb_text_value(&b, safe_msg);
  }
  free(heap);
  if (lg)
    for (size_t i = 0; i < lg->n; i++) put_pair(&b, json, lg->kv[2 * i], lg->kv[2 * i + 1]);
  for (;;) {
    const char *k = va_arg(ap, const char *);
    if (!k) break;
    const char *val = va_arg(ap, const char *);
    const char *safe = log_safe_value(k, val, tmp, sizeof tmp, &heap);
    put_pair(&b, json, k, safe);
    free(heap);
    if (!val) break;
  }
  lb_puts(&b, json ? "}\n" : "\n");
  if (b.oom) { /* keep the line well-formed even when the record was cut short */
    lb_free(&b);
    lb_puts(&b, json ? "{\"level\":\"error\",\"msg\":\"log record dropped: out of memory\"}\n"
                     : "ERROR \"log record dropped: out of memory\"\n");
  }
  /* One fwrite + flush under the lock: records from different threads never interleave. */
  pthread_mutex_lock(&g_lock);
  FILE *f = g_stream ? g_stream : stderr;
  fwrite(b.p, 1, b.len, f);
  fflush(f);
  pthread_mutex_unlock(&g_lock);
  lb_free(&b);
}

void capz_log(const capz_logger *lg, capz_log_level level, const char *msg, ...) {
  if (level == CAPZ_LOG_DEBUG && !capz_log_enabled(1)) return;
  va_list ap;
  va_start(ap, msg);
  emit(lg, level, 0, msg, ap);
  va_end(ap);
}

void capz_log_v(const capz_logger *lg, int v, const char *msg, ...) {
  if (!capz_log_enabled(v)) return;
  va_list ap;
  va_start(ap, msg);
  emit(lg, v <= 0 ? CAPZ_LOG_INFO : CAPZ_LOG_DEBUG, v, msg, ap);
  va_end(ap);
}
