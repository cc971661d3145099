/* az_arm_client.c — ARM client: configuration, api-versions, URL building, and the send loop (limiter,
 * bearer token with one refresh on 401, retries with jittered backoff that honour Retry-After), accounting. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "capz/log.h"
#include "azure/az_arm_internal.h"
#include "azure/az_util.h"
#include "http/http.h"

/* Defaults per reference §0: the current SDKs' pinned stable versions (Network/Compute/AKS), the spec's
 * for Resources, DiskRP and Private DNS. The last two rows are not in §0: long-stable versions. */
static const struct {
  const char *type, *version;
} DEFAULT_VERSIONS[] = {
    {"Microsoft.Resources", "2025-04-01"},
    {"Microsoft.Network", "2025-05-01"},
    {"Microsoft.Network/privateDnsZones", "2024-06-01"},
    {"Microsoft.Compute", "2026-03-01"},
    {"Microsoft.Compute/disks", "2025-01-02"},
    {"Microsoft.ContainerService", "2026-04-01"},
    {"Microsoft.Authorization", "2022-04-01"},
    {"Microsoft.ManagedIdentity", "2023-01-31"},
};
#define FALLBACK_VERSION "2025-04-01"

_Thread_local uint64_t az_tls_arm_requests;

static bool valid_api_version(const char *v) {
  /* YYYY-MM-DD with an optional -suffix (e.g. -preview) */
  if (!v || strlen(v) < 10 || strlen(v) > 40) return false;
  for (int i = 0; i < 10; i++) {
    if (i == 4 || i == 7) {
      if (v[i] != '-') return false;
    } else if (!isdigit((unsigned char)v[i])) {
      return false;
    }
  }
  for (const char *p = v + 10; *p; p++)
    if (!isalnum((unsigned char)*p) && *p != '-') return false;
  return v[10] == '\0' || v[10] == '-';
}

static void origin_of(const char *url, char *out, size_t n) {
  const char *p = strstr(url, "://");
  size_t end = p ? (size_t)(p - url) + 3 + strcspn(p + 3, "/?#") : strlen(url);
  if (end >= n) end = n - 1;
  for (size_t i = 0; i < end; i++) out[i] = (char)tolower((unsigned char)url[i]);
  out[end] = '\0';
}

bool arm_same_origin(const capz_arm_client *c, const char *url) {
  char o[CAPZ_AZ_URL_MAX];
  origin_of(url, o, sizeof o);
  if (strcmp(o, c->origin) != 0) return false;
  char next = url[strlen(o)];
  return next == '\0' || next == '/' || next == '?';
}

capz_arm_client *capz_arm_client_new(const capz_arm_client_config *cfg, capz_err *err) {
  if (!cfg || !cfg->cloud || !cfg->credential) {
    az_err(err, CAPZ_EINVAL, 0, NULL, "ARM client: cloud and credential are required");
    return NULL;
  }
  if (capz_az_endpoint_check(cfg->cloud->arm_endpoint, false, err)) {
    capz_err_prefix(err, "ARM client");
    return NULL;
  }
  if (cfg->api_versions && !cJSON_IsObject(cfg->api_versions)) {
    az_err(err, CAPZ_EINVAL, 0, NULL, "ARM client: apiVersions must be an object");
    return NULL;
  }
  for (const cJSON *m = cfg->api_versions ? cfg->api_versions->child : NULL; m; m = m->next)
    if (!cJSON_IsString(m) || !valid_api_version(m->valuestring)) {
      az_err(err, CAPZ_EINVAL, 0, NULL, "ARM client: apiVersions.%s: must be YYYY-MM-DD[-preview]", m->string);
      return NULL;
    }
  capz_arm_client *c = calloc(1, sizeof *c);
  if (!c) {
    az_err(err, CAPZ_ENOMEM, 0, NULL, "out of memory");
    return NULL;
  }
  c->cloud = *cfg->cloud;
  size_t l = strlen(c->cloud.arm_endpoint);
  while (l > 0 && c->cloud.arm_endpoint[l - 1] == '/') c->cloud.arm_endpoint[--l] = '\0';
  c->cred = cfg->credential;
  c->lim = cfg->limiter ? cfg->limiter : capz_arm_limiter_default();
  c->api_versions = cfg->api_versions ? cJSON_Duplicate(cfg->api_versions, true) : NULL;
  c->max_retries = cfg->max_retries == 0 ? 4 : cfg->max_retries < 0 ? 0 : cfg->max_retries;
  c->max_retry_wait_s = cfg->max_retry_wait_s > 0 ? cfg->max_retry_wait_s : 60;
  c->backoff_base_s = cfg->backoff_base_s > 0 ? cfg->backoff_base_s : 0.5;
  c->poll_default_s = cfg->poll_default_s > 0 ? cfg->poll_default_s : 5;
  c->timeout_ms = cfg->timeout_ms > 0 ? cfg->timeout_ms : 30000;
  az_strlcpy(c->user_agent, cfg->user_agent ? cfg->user_agent : "capz-c", sizeof c->user_agent);
  origin_of(c->cloud.arm_endpoint, c->origin, sizeof c->origin);
  pthread_mutex_init(&c->mu, NULL);
  /* metrics are best effort: a registry conflict must not stop the client */
  static const char *const req_labels[] = {"method", "resource_type", "code", NULL};
  static const char *const cls_labels[] = {"class", NULL};
  static const char *const reason_labels[] = {"reason", NULL};
  c->m_requests = capz_metrics_counter(cfg->metrics, "capz_azure_arm_requests_total",
                                       "ARM requests sent (every attempt), by method, resource type and HTTP status "
                                       "(0 = no response).",
                                       req_labels, NULL);
  c->m_retries = capz_metrics_counter(cfg->metrics, "capz_azure_arm_retries_total",
                                      "ARM request attempts repeated, by reason (throttled, server_error, transport, "
                                      "auth_refresh).",
                                      reason_labels, NULL);
  capz_metric_family *w = capz_metrics_counter(cfg->metrics, "capz_azure_arm_limiter_wait_seconds_total",
                                               "Seconds spent waiting on the client-side ARM rate limiter, by class.",
                                               cls_labels, NULL);
  c->m_wait[CAPZ_ARM_READ] = capz_metric_with(w, "read", NULL);
  c->m_wait[CAPZ_ARM_WRITE] = capz_metric_with(w, "write", NULL);
  c->m_wait[CAPZ_ARM_DELETE] = capz_metric_with(w, "delete", NULL);
  return c;
}

void capz_arm_client_free(capz_arm_client *c) {
  if (!c) return;
  for (size_t i = 0; i < 64; i++) {
    arm_count *e = c->counts[i];
    while (e) {
      arm_count *n = e->next;
      free(e->key);
      free(e);
      e = n;
    }
  }
  cJSON_Delete(c->api_versions);
  pthread_mutex_destroy(&c->mu);
  free(c);
}

static const char *lookup_version(const capz_arm_client *c, const char *type, size_t len) {
  for (const cJSON *m = c->api_versions ? c->api_versions->child : NULL; m; m = m->next)
    if (strlen(m->string) == len && strncasecmp(m->string, type, len) == 0) return m->valuestring;
  for (size_t i = 0; i < sizeof DEFAULT_VERSIONS / sizeof DEFAULT_VERSIONS[0]; i++)
    if (strlen(DEFAULT_VERSIONS[i].type) == len && strncasecmp(DEFAULT_VERSIONS[i].type, type, len) == 0)
      return DEFAULT_VERSIONS[i].version;
  return NULL;
}

const char *capz_arm_client_api_version(const capz_arm_client *c, const char *resource_type) {
  if (!resource_type) return FALLBACK_VERSION;
  /* most specific first: drop trailing "/segment"s until a configured or default entry matches */
  size_t len = strlen(resource_type);
  while (len > 0) {
    const char *v = lookup_version(c, resource_type, len);
    if (v) return v;
    while (len > 0 && resource_type[len - 1] != '/') len--;
    if (len > 0) len--;
  }
  return FALLBACK_VERSION;
}

/* Resource type and subscription of a path (ID, ID + action, or absolute URL on the endpoint). */
static void path_info(const capz_arm_client *c, const char *path, char *type, size_t tn, char *sub, size_t sn) {
  type[0] = sub[0] = '\0';
  const char *p = path;
  if (strncasecmp(p, "http://", 7) == 0 || strncasecmp(p, "https://", 8) == 0) {
    if (!arm_same_origin(c, p)) return; /* refused later by build_url */
    p += strlen(c->origin);
  }
  size_t l = strcspn(p, "?#");
  char *tmp = strndup(p, l);
  if (!tmp) return;
  capz_arm_resid r;
  if (capz_arm_resid_parse(tmp, &r, NULL) == 0) {
    if (capz_arm_resid_type(&r, type, tn) < 0) type[0] = '\0';
    az_strlcpy(sub, r.subscription, sn);
  } else {
    /* not a resource ID (e.g. a delete's /subscriptions/<s>/operationresults/<id> monitor): it still spends that
     * subscription's budget, never a bucket of its own */
    az_subscription_of(tmp, sub, sn);
  }
  free(tmp);
}

static void append_path_encoded(az_buf *b, const char *p, size_t n) {
  static const char hex[] = "0123456789ABCDEF";
  for (size_t i = 0; i < n; i++) {
    unsigned char ch = (unsigned char)p[i];
    if (isalnum(ch) || strchr("/-._~!$&'()*+,;=:@%", ch)) {
      char s = (char)ch;
      az_buf_add(b, &s, 1);
    } else {
      char e[3] = {'%', hex[ch >> 4], hex[ch & 15]};
      az_buf_add(b, e, 3);
    }
  }
}

static char *build_url(const capz_arm_client *c, const char *path, const capz_arm_req_opts *opts, const char *type,
                       capz_err *err) {
  az_buf b = {0};
  if (strncasecmp(path, "http://", 7) == 0 || strncasecmp(path, "https://", 8) == 0) {
    if (!arm_same_origin(c, path)) {
      az_err(err, CAPZ_EPROTO, 0, "ForeignURL", "refusing to send ARM credentials to %.*s (not %s)",
             (int)strcspn(path, "?"), path, c->origin);
      return NULL;
    }
    az_buf_adds(&b, path); /* nextLink / polling URLs are used verbatim */
  } else {
    if (path[0] != '/') {
      az_err(err, CAPZ_EINVAL, 0, NULL, "ARM path \"%s\" must start with '/'", path);
      return NULL;
    }
    az_buf_adds(&b, c->cloud.arm_endpoint);
    size_t pl = strcspn(path, "?");
    append_path_encoded(&b, path, pl);
    bool has_q = path[pl] == '?';
    if (has_q) az_buf_adds(&b, path + pl);
    if (!strstr(path + pl, "api-version=")) {
      const char *v = opts && opts->api_version ? opts->api_version : capz_arm_client_api_version(c, type);
      az_buf_printf(&b, "%capi-version=%s", has_q ? '&' : '?', v);
    }
    if (opts && opts->query && *opts->query) az_buf_printf(&b, "&%s", opts->query);
  }
  if (b.oom) {
    az_buf_wipe(&b);
    az_err(err, CAPZ_ENOMEM, 0, NULL, "out of memory");
    return NULL;
  }
  return b.p;
}

static capz_arm_op_class class_of(const char *method) {
  if (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0) return CAPZ_ARM_READ;
  if (strcmp(method, "DELETE") == 0) return CAPZ_ARM_DELETE;
  return CAPZ_ARM_WRITE;
}

static void count(capz_arm_client *c, const char *method, const char *type, int status) {
  char key[512];
  snprintf(key, sizeof key, "%s\x1f%s\x1f%d", method, type, status);
  unsigned h = 2166136261u;
  for (const char *p = key; *p; p++) h = (h ^ (unsigned char)tolower((unsigned char)*p)) * 16777619u;
  h &= 63;
  /* caller holds c->mu */
  for (arm_count *e = c->counts[h]; e; e = e->next)
    if (strcasecmp(e->key, key) == 0) {
      e->n++;
      return;
    }
  arm_count *e = calloc(1, sizeof *e);
  if (!e || !(e->key = strdup(key))) {
    free(e);
    return;
  }
  e->n = 1;
  e->next = c->counts[h];
  c->counts[h] = e;
}

void capz_arm_client_foreach_count(const capz_arm_client *c, capz_arm_count_fn fn, void *ud) {
  capz_arm_client *mc = (capz_arm_client *)c;
  pthread_mutex_lock(&mc->mu);
  for (size_t i = 0; i < 64; i++)
    for (arm_count *e = c->counts[i]; e; e = e->next) {
      char k[512];
      az_strlcpy(k, e->key, sizeof k);
      char *s1 = strchr(k, '\x1f');
      char *s2 = s1 ? strchr(s1 + 1, '\x1f') : NULL;
      if (!s1 || !s2) continue;
      *s1 = *s2 = '\0';
      fn(ud, k, s1 + 1, atoi(s2 + 1), e->n);
    }
  pthread_mutex_unlock(&mc->mu);
}

void capz_arm_client_get_stats(const capz_arm_client *c, capz_arm_stats *out) {
  capz_arm_client *mc = (capz_arm_client *)c;
  pthread_mutex_lock(&mc->mu);
  *out = c->st;
  pthread_mutex_unlock(&mc->mu);
}

void capz_arm_response_free(capz_arm_response *r) {
  if (!r) return;
  cJSON_Delete(r->body);
  r->body = NULL;
}

static double parse_retry_after(const char *v) {
  if (!v) return 0;
  char *end = NULL;
  double d = strtod(v, &end);
  if (end == v || d < 0) return 0; /* HTTP-dates are not used by ARM */
  return d;
}

/* False when an LRO header does not fit (the op could not be polled correctly with a truncated URL). */
static bool fill_response(capz_arm_response *out, const http_response *r) {
  cJSON_Delete(out->body);
  memset(out, 0, sizeof *out);
  out->status = (int)r->status;
  if (r->body && r->body_len) out->body = cJSON_ParseWithLength(r->body, r->body_len);
  const char *et = http_response_header(r, "ETag");
  if (!et && out->body) {
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(out->body, "etag");
    if (!e) e = cJSON_GetObjectItemCaseSensitive(out->body, "eTag");
    et = cJSON_GetStringValue(e);
  }
  az_strlcpy(out->etag, et, sizeof out->etag);
  out->retry_after_s = parse_retry_after(http_response_header(r, "Retry-After"));
  az_strlcpy(out->request_id, http_response_header(r, "x-ms-request-id"), sizeof out->request_id);
  az_strlcpy(out->azure_async_operation, http_response_header(r, "Azure-AsyncOperation"),
             sizeof out->azure_async_operation);
  if (!out->azure_async_operation[0])
    az_strlcpy(out->azure_async_operation, http_response_header(r, "Operation-Location"),
               sizeof out->azure_async_operation);
  bool ok = az_strlcpy(out->location, http_response_header(r, "Location"), sizeof out->location);
  const char *aao = http_response_header(r, "Azure-AsyncOperation");
  if (!aao) aao = http_response_header(r, "Operation-Location");
  return ok && (!aao || strlen(aao) < sizeof out->azure_async_operation);
}

static int error_from(const char *method, const char *path, const capz_arm_response *r, capz_err *err) {
  int code = arm_status_to_code(r->status);
  capz_arm_cloud_error ce;
  bool has = capz_arm_cloud_error_decode(r->body, &ce);
  int plen = (int)strcspn(path, "?");
  return az_err(err, code, r->status, has ? ce.code : "", "ARM %s %.*s: HTTP %d%s%s%s%s", method,
                plen > 300 ? 300 : plen, path, r->status, has ? " " : "", has ? ce.code : "", has ? ": " : "",
                has ? ce.message : "");
}

int arm_send(capz_arm_client *c, const char *method, const char *path, const char *body_text,
             const capz_arm_req_opts *opts, bool is_poll, capz_arm_response *out, capz_err *err) {
  capz_arm_response local;
  memset(&local, 0, sizeof local);
  if (!out) out = &local;
  else memset(out, 0, sizeof *out);
  char type[256], sub[64];
  path_info(c, path, type, sizeof type, sub, sizeof sub);
  char *url = build_url(c, path, opts, type, err);
  if (!url) return err ? err->code : CAPZ_EINVAL;
  capz_arm_op_class cls = class_of(method);
  char *token = NULL;
  int rc = capz_az_credential_token(c->cred, NULL, &token, err);
  if (rc) {
    free(url);
    return capz_err_prefix(err, "ARM %s: credential", method);
  }
  char client_req_id[37];
  az_uuid4(client_req_id);
  bool refreshed = false;
  int attempt = 0;
  double backoff = c->backoff_base_s;
  for (;;) {
    double wait = capz_arm_limiter_reserve(c->lim, sub, capz_az_credential_principal(c->cred), cls);
    az_sleep(wait);
    az_buf auth = {0}, ua = {0}, rid = {0}, im = {0}, inm = {0};
    az_buf_printf(&auth, "Authorization: Bearer %s", token);
    az_buf_printf(&ua, "User-Agent: %s", c->user_agent);
    az_buf_printf(&rid, "x-ms-client-request-id: %s", client_req_id);
    const char *hdrs[8];
    int nh = 0;
    hdrs[nh++] = auth.p;
    hdrs[nh++] = ua.p;
    hdrs[nh++] = rid.p;
    hdrs[nh++] = "Accept: application/json";
    if (body_text) hdrs[nh++] = "Content-Type: application/json";
    if (opts && opts->if_match) {
      az_buf_printf(&im, "If-Match: %s", opts->if_match);
      hdrs[nh++] = im.p;
    }
    if (opts && opts->if_none_match) {
      az_buf_printf(&inm, "If-None-Match: %s", opts->if_none_match);
      hdrs[nh++] = inm.p;
    }
    hdrs[nh] = NULL;
    http_request req = {.method = method, .url = url, .headers = hdrs, .body = body_text,
                        .body_len = body_text ? strlen(body_text) : 0, .timeout_ms = c->timeout_ms};
    http_response resp;
    memset(&resp, 0, sizeof resp);
    capz_err herr;
    capz_err_clear(&herr);
    int hrc = (auth.oom || ua.oom || rid.oom || im.oom || inm.oom)
                  ? az_err(&herr, CAPZ_ENOMEM, 0, NULL, "out of memory")
                  : http_do(&req, &resp, &herr);
    az_buf_wipe(&auth);
    az_buf_wipe(&ua);
    az_buf_wipe(&rid);
    az_buf_wipe(&im);
    az_buf_wipe(&inm);
    int status = hrc ? 0 : (int)resp.status;
    if (hrc == 0) {
      if (!fill_response(out, &resp))
        hrc = az_err(&herr, CAPZ_EPROTO, (int)resp.status, "PollingURLTooLong",
                     "a polling URL in the response is longer than %d bytes", CAPZ_ARM_URL_MAX - 1);
    } else {
      cJSON_Delete(out->body);
      memset(out, 0, sizeof *out);
    }
    http_response_free(&resp);
    az_tls_arm_requests++;
    pthread_mutex_lock(&c->mu);
    c->st.requests++;
    if (cls == CAPZ_ARM_READ) c->st.reads++;
    else if (cls == CAPZ_ARM_WRITE) c->st.writes++;
    else c->st.deletes++;
    if (attempt > 0) c->st.retries++;
    if (is_poll) c->st.lro_polls++;
    if (status == 429) c->st.throttled++;
    if (status >= 500) c->st.server_errors++;
    if (hrc) c->st.transport_errors++;
    c->st.limiter_wait_s += wait;
    count(c, method, type[0] ? type : "unknown", status);
    pthread_mutex_unlock(&c->mu);
    {
      char code[8];
      snprintf(code, sizeof code, "%d", status);
      capz_metric_inc(capz_metric_with(c->m_requests, method, type[0] ? type : "unknown", code, NULL));
      capz_metric_add(c->m_wait[cls], wait);
    }

    if (hrc == 0 && status == 401 && !refreshed) {
      /* the token may have been revoked or rotated: get a new one once (single-flight) and retry */
      refreshed = true;
      char *fresh = NULL;
      rc = capz_az_credential_token(c->cred, token, &fresh, err);
      if (rc) {
        capz_err_prefix(err, "ARM %s: token refresh after 401", method);
        break;
      }
      az_free_secret(token);
      token = fresh;
      pthread_mutex_lock(&c->mu);
      c->st.auth_refreshes++;
      pthread_mutex_unlock(&c->mu);
      capz_metric_inc(capz_metric_with(c->m_retries, "auth_refresh", NULL));
      continue;
    }
    bool transient = hrc ? (hrc == CAPZ_EIO || hrc == CAPZ_ETIMEOUT)
                         : (status == 408 || status == 429 || status >= 500 ||
                            (status >= 400 && out->retry_after_s > 0));
    if (transient && attempt < c->max_retries) {
      double delay = backoff * az_rand01() + backoff * 0.5; /* jitter in [0.5, 1.5) × backoff */
      if (hrc == 0 && out->retry_after_s > 0) delay = out->retry_after_s + 0.05 * az_rand01();
      if (delay <= c->max_retry_wait_s) {
        if (capz_log_enabled(2)) {
          char st[16], dl[32], at[16];
          snprintf(st, sizeof st, "%d", status);
          snprintf(dl, sizeof dl, "%.3f", delay);
          snprintf(at, sizeof at, "%d", attempt + 1);
          capz_log_v(NULL, 2, "ARM request retried", "method", method, "type", type[0] ? type : "unknown", "status",
                     st, "delay_s", dl, "attempt", at, NULL);
        }
        capz_metric_inc(capz_metric_with(c->m_retries,
                                         hrc ? "transport" : status == 429 ? "throttled"
                                                           : status >= 500 ? "server_error" : "retry_after",
                                         NULL));
        pthread_mutex_lock(&c->mu);
        c->st.retry_wait_s += delay;
        pthread_mutex_unlock(&c->mu);
        az_sleep(delay);
        backoff *= 2;
        attempt++;
        continue;
      }
    }
    if (hrc) {
      rc = hrc;
      if (err) *err = herr;
      capz_err_prefix(err, "ARM %s", method);
    } else if (status >= 200 && status < 300) {
      rc = 0;
    } else {
      rc = error_from(method, strncasecmp(path, "http", 4) == 0 ? path + strlen(c->origin) : path, out, err);
    }
    break;
  }
  az_free_secret(token);
  free(url);
  capz_arm_response_free(&local);
  return rc;
}

int capz_arm_do(capz_arm_client *c, const char *method, const char *path, const cJSON *body,
                const capz_arm_req_opts *opts, capz_arm_response *out, capz_err *err) {
  if (!c || !method || !path) return az_err(err, CAPZ_EINVAL, 0, NULL, "capz_arm_do: NULL argument");
  char *text = body ? cJSON_PrintUnformatted(body) : NULL;
  if (body && !text) return az_err(err, CAPZ_ENOMEM, 0, NULL, "out of memory");
  int rc = arm_send(c, method, path, text, opts, false, out, err);
  free(text);
  return rc;
}

int capz_arm_get(capz_arm_client *c, const char *id, const capz_arm_req_opts *opts, capz_arm_response *out,
                 capz_err *err) {
  return capz_arm_do(c, "GET", id, NULL, opts, out, err);
}

int capz_arm_list(capz_arm_client *c, const char *collection, const capz_arm_req_opts *opts, int max_pages,
                  cJSON **items, capz_err *err) {
  if (!items) return az_err(err, CAPZ_EINVAL, 0, NULL, "capz_arm_list: items is NULL");
  *items = cJSON_CreateArray();
  if (!*items) return az_err(err, CAPZ_ENOMEM, 0, NULL, "out of memory");
  if (max_pages <= 0) max_pages = 1000;
  char *next = strdup(collection);
  int rc = next ? 0 : az_err(err, CAPZ_ENOMEM, 0, NULL, "out of memory");
  for (int page = 0; rc == 0 && next; page++) {
    if (page == max_pages) {
      rc = az_err(err, CAPZ_EPROTO, 0, "TooManyPages", "ARM list %s: more than %d pages", collection, max_pages);
      break;
    }
    capz_arm_response r;
    rc = arm_send(c, "GET", next, NULL, page == 0 ? opts : NULL, false, &r, err);
    free(next);
    next = NULL;
    if (rc) {
      capz_arm_response_free(&r);
      break;
    }
    cJSON *value = cJSON_GetObjectItemCaseSensitive(r.body, "value");
    if (!cJSON_IsArray(value)) {
      rc = az_err(err, CAPZ_EPROTO, r.status, "InvalidListResponse", "ARM list %s: response has no value array",
                  collection);
      capz_arm_response_free(&r);
      break;
    }
    while (value->child) cJSON_AddItemToArray(*items, cJSON_DetachItemViaPointer(value, value->child));
    const char *nl = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(r.body, "nextLink"));
    if (nl && *nl) {
      next = strdup(nl);
      if (!next) rc = az_err(err, CAPZ_ENOMEM, 0, NULL, "out of memory");
    }
    capz_arm_response_free(&r);
  }
  free(next);
  if (rc) {
    cJSON_Delete(*items);
    *items = NULL;
  }
  return rc;
}
