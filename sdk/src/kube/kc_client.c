/* kc_client.c — the request core of the Kubernetes client: auth headers, client-side rate limit, retries with
 * Retry-After on 429/5xx, decoding of Status errors, the leader write fence and request counters. */
#include <math.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kube/kc_internal.h"

#define RETRY_AFTER_MAX_S 10

double kc_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int64_t kc_now_ms(void) { return (int64_t)(kc_now() * 1000.0); }

void kc_query_escape(const char *s, char *out) {
  static const char hex[] = "0123456789ABCDEF";
  for (; *s; s++) {
    unsigned char ch = (unsigned char)*s;
    if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' ||
        ch == '.' || ch == '~') {
      *out++ = (char)ch;
    } else {
      *out++ = '%';
      *out++ = hex[ch >> 4];
      *out++ = hex[ch & 15];
    }
  }
  *out = '\0';
}

/* ---- token bucket ---- */

void kc_bucket_init(kc_bucket *b, double qps, double burst) {
  pthread_mutex_init(&b->mu, NULL);
  b->qps = qps;
  b->burst = burst < 1 ? 1 : burst;
  b->tokens = b->burst;
  b->last = kc_now();
}

void kc_bucket_destroy(kc_bucket *b) { pthread_mutex_destroy(&b->mu); }

bool kc_bucket_take(kc_bucket *b) {
  if (b->qps <= 0) return false;
  pthread_mutex_lock(&b->mu);
  double now = kc_now();
  b->tokens = fmin(b->burst, b->tokens + (now - b->last) * b->qps);
  b->last = now;
  /* Reserve the token now (may go negative) so concurrent callers queue up fairly behind each other. */
  b->tokens -= 1.0;
  double wait = b->tokens < 0 ? -b->tokens / b->qps : 0;
  pthread_mutex_unlock(&b->mu);
  if (wait > 0) {
    struct timespec ts = {.tv_sec = (time_t)wait, .tv_nsec = (long)((wait - (double)(time_t)wait) * 1e9)};
    nanosleep(&ts, NULL);
    return true;
  }
  return false;
}

/* ---- client ---- */

CAPZ_API int capz_kube_client_new(const capz_kube_config *cfg, const capz_kube_client_opts *opts,
                                  capz_kube_client **out, capz_err *err) {
  *out = NULL;
  if (!cfg) return capz_err_set(err, CAPZ_EINVAL, "kube client: no config");
  capz_kube_client_opts o = {0};
  if (opts) memcpy(&o, opts, opts->struct_size && opts->struct_size < sizeof o ? opts->struct_size : sizeof o);
  capz_kube_client *c = calloc(1, sizeof *c);
  if (!c) return capz_err_set(err, CAPZ_ENOMEM, "out of memory");
  c->cfg = (capz_kube_config *)cfg;
  c->qps = o.qps > 0 ? o.qps : 20;
  c->burst = o.burst > 0 ? o.burst : 30;
  c->timeout_ms = o.timeout_ms > 0 ? o.timeout_ms : 30000;
  c->max_retries = o.max_retries == 0 ? 5 : (o.max_retries < 0 ? 0 : o.max_retries);
  c->user_agent = strdup(o.user_agent ? o.user_agent : "capz-c");
  kc_bucket_init(&c->bucket, c->qps, c->burst);
  pthread_mutex_init(&c->disc_mu, NULL);
  *out = c;
  return 0;
}

CAPZ_API void capz_kube_client_free(capz_kube_client *c) {
  if (!c) return;
  for (kc_disc *d = c->disc, *n; d; d = n) {
    n = d->next;
    free(d->group);
    free(d->version);
    free(d->kind);
    free(d->plural);
    free(d);
  }
  pthread_mutex_destroy(&c->disc_mu);
  kc_bucket_destroy(&c->bucket);
  free(c->user_agent);
  free(c);
}

CAPZ_API const capz_kube_config *capz_kube_client_config(const capz_kube_client *c) { return c ? c->cfg : NULL; }

CAPZ_API void capz_kube_client_set_fence(capz_kube_client *c, bool fenced) { atomic_store(&c->fenced, fenced); }

CAPZ_API void capz_kube_client_get_stats(const capz_kube_client *c, capz_kube_client_stats *s) {
  capz_kube_client *m = (capz_kube_client *)c;
  s->requests = atomic_load(&m->n_requests);
  s->reads = atomic_load(&m->n_reads);
  s->writes = atomic_load(&m->n_writes);
  s->watches = atomic_load(&m->n_watches);
  s->retries = atomic_load(&m->n_retries);
  s->throttled_waits = atomic_load(&m->n_throttled);
}

CAPZ_API int capz_kube_errcode(long st, const char *reason) {
  if (st >= 200 && st < 300) return CAPZ_OK;
  switch (st) {
    case 400:
    case 415:
    case 422: return CAPZ_EINVAL;
    case 401: return CAPZ_EAUTH;
    case 403: return CAPZ_EFORBIDDEN;
    case 404: return CAPZ_ENOTFOUND;
    case 409: return (reason && strcmp(reason, "AlreadyExists") == 0) ? CAPZ_EEXIST : CAPZ_ECONFLICT;
    case 410: return CAPZ_EGONE;
    case 412: return CAPZ_ECONFLICT;
    case 429: return CAPZ_ETHROTTLED;
    case 504: return CAPZ_ETIMEOUT;
    default: return st >= 500 ? CAPZ_EUNAVAILABLE : CAPZ_EPROTO;
  }
}

int kc_status_error(long status, const char *body, size_t len, const char *what, capz_err *err) {
  cJSON *st = body && len ? cJSON_ParseWithLength(body, len) : NULL;
  const char *reason = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(st, "reason"));
  const char *msg = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(st, "message"));
  int code = capz_kube_errcode(status, reason);
  capz_err_set(err, code, "%s: %ld %s", what, status, msg ? msg : (reason ? reason : "(no Status)"));
  if (err) {
    err->http_status = (int)status;
    snprintf(err->reason, sizeof err->reason, "%s", reason ? reason : "");
  }
  cJSON_Delete(st);
  return code;
}

static bool is_write(const char *m) { return strcmp(m, "GET") != 0 && strcmp(m, "HEAD") != 0; }

/* Seconds to wait before retrying, or -1 when the response is not retryable. */
static double retry_delay(long status, const http_response *r, int attempt) {
  const char *ra = http_response_header(r, "Retry-After");
  if (status == 429 || (status >= 500 && ra)) {
    double d = ra ? atof(ra) : 0;
    if (d <= 0) d = 0.1 * (1 << (attempt < 6 ? attempt : 6));
    return d > RETRY_AFTER_MAX_S ? RETRY_AFTER_MAX_S : d;
  }
  return -1;
}

static void sleep_s(double s) {
  struct timespec ts = {.tv_sec = (time_t)s, .tv_nsec = (long)((s - (double)(time_t)s) * 1e9)};
  nanosleep(&ts, NULL);
}

int kc_do(capz_kube_client *c, const char *method, const char *pq, const char *content_type, const char *body,
          size_t body_len, bool fence, cJSON **out, capz_err *err) {
  if (out) *out = NULL;
  char what[600];
  snprintf(what, sizeof what, "%s %.*s", method, (int)strcspn(pq, "?"), pq);
  if (fence && is_write(method) && atomic_load(&c->fenced)) {
    capz_err_set(err, CAPZ_EFORBIDDEN, "%s: refused, this instance is not the leader", what);
    if (err) snprintf(err->reason, sizeof err->reason, "NotLeader");
    return CAPZ_EFORBIDDEN;
  }
  char *url = NULL;
  if (asprintf(&url, "%s%s", c->cfg->server, pq) < 0) return capz_err_set(err, CAPZ_ENOMEM, "out of memory");
  bool refreshed = false;
  int rc;
  for (int attempt = 0;; attempt++) {
    kc_auth a;
    rc = kc_config_auth(c->cfg, false, &a, err);
    if (rc) break;
    char *hauth = NULL, *hct = NULL, *hua = NULL;
    const char *hdrs[6];
    size_t nh = 0;
    hdrs[nh++] = "Accept: application/json";
    if (a.bearer && asprintf(&hauth, "Authorization: Bearer %s", a.bearer) >= 0) hdrs[nh++] = hauth;
    if (content_type && asprintf(&hct, "Content-Type: %s", content_type) >= 0) hdrs[nh++] = hct;
    if (asprintf(&hua, "User-Agent: %s", c->user_agent) >= 0) hdrs[nh++] = hua;
    hdrs[nh] = NULL;
    if (kc_bucket_take(&c->bucket)) atomic_fetch_add(&c->n_throttled, 1);
    atomic_fetch_add(&c->n_requests, 1);
    atomic_fetch_add(is_write(method) ? &c->n_writes : &c->n_reads, 1);
    http_request rq = {.method = method, .url = url, .headers = hdrs, .body = body, .body_len = body_len,
                       .timeout_ms = c->timeout_ms, .tls = &a.tls};
    http_response rs;
    rc = http_do(&rq, &rs, err);
    if (hauth) OPENSSL_cleanse(hauth, strlen(hauth));
    free(hauth);
    free(hct);
    free(hua);
    kc_auth_free(&a);
    if (rc != CAPZ_OK) {
      /* Transport failure: only reads are safe to repeat blindly. */
      if (!is_write(method) && attempt < c->max_retries) {
        atomic_fetch_add(&c->n_retries, 1);
        sleep_s(0.05 * (1 << (attempt < 5 ? attempt : 5)));
        continue;
      }
      break;
    }
    if (rs.status >= 200 && rs.status < 300) {
      if (out && rs.body && rs.body_len) {
        *out = cJSON_ParseWithLength(rs.body, rs.body_len);
        if (!*out) rc = capz_err_set(err, CAPZ_EPROTO, "%s: response is not JSON", what);
      }
      http_response_free(&rs);
      break;
    }
    if (rs.status == 401 && !refreshed && (c->cfg->exec_cmd || c->cfg->token_file)) {
      /* The cached credential may have been revoked or rotated early. */
      refreshed = true;
      kc_auth tmp;
      if (kc_config_auth(c->cfg, true, &tmp, NULL) == 0) {
        kc_auth_free(&tmp);
        http_response_free(&rs);
        continue;
      }
    }
    double d = retry_delay(rs.status, &rs, attempt);
    if (d >= 0 && attempt < c->max_retries) {
      atomic_fetch_add(&c->n_retries, 1);
      http_response_free(&rs);
      sleep_s(d);
      continue;
    }
    rc = kc_status_error(rs.status, rs.body, rs.body_len, what, err);
    http_response_free(&rs);
    break;
  }
  free(url);
  return rc;
}

static int request_json(capz_kube_client *c, const char *method, const char *pq, const char *ct, const cJSON *body,
                        bool fence, cJSON **out, capz_err *err) {
  char *txt = body ? cJSON_PrintUnformatted(body) : NULL;
  if (body && !txt) return capz_err_set(err, CAPZ_ENOMEM, "out of memory");
  int rc = kc_do(c, method, pq, body ? (ct ? ct : "application/json") : NULL, txt, txt ? strlen(txt) : 0, fence, out,
                 err);
  free(txt);
  return rc;
}

CAPZ_API int capz_kube_request(capz_kube_client *c, const char *method, const char *pq, const char *ct,
                               const cJSON *body, cJSON **out, capz_err *err) {
  return request_json(c, method, pq, ct, body, true, out, err);
}

CAPZ_API int capz_kube_request_unfenced(capz_kube_client *c, const char *method, const char *pq, const char *ct,
                                        const cJSON *body, cJSON **out, capz_err *err) {
  return request_json(c, method, pq, ct, body, false, out, err);
}
