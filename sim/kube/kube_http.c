/* kube_http.c — HTTP transport on libmicrohttpd.
 *
 * Threading choice: MHD_USE_THREAD_PER_CONNECTION with an internal poll()-based listener.
 * A watch is a long-lived chunked response whose content callback blocks on KS.cond; with a
 * thread per connection that blocking is legal and never stalls other requests, and the code
 * stays linear (no suspend/resume state machine). Thousands of watches cost thousands of mostly
 * idle threads with small stacks (MHD_OPTION_THREAD_STACK_SIZE), which a test emulator can
 * afford; poll() (not select()) keeps working past FD_SETSIZE descriptors.
 */
#include "kube_http.h"

#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capz/json.h"

typedef struct kconn {
  kbuf body;
  bool too_large;
  bool answered;
} kconn;

const char *req_query(kreq *r, const char *key) {
  return MHD_lookup_connection_value((struct MHD_Connection *)r->conn, MHD_GET_ARGUMENT_KIND, key);
}

bool req_query_bool(kreq *r, const char *key) {
  bool v = false;
  const char *s = req_query(r, key);
  if (s && !parse_go_bool(s, &v)) v = false;
  return v;
}

void req_warn(kreq *r, const char *msg) {
  if (r->nwarnings < (int)(sizeof r->warnings / sizeof r->warnings[0])) r->warnings[r->nwarnings++] = strdup(msg);
}

void resp_text(kreq *r, int status, const char *type, const char *s, size_t n) {
  r->status = status;
  r->out_type = type;
  r->out.len = 0;
  kbuf_add(&r->out, s, n);
}

void resp_json(kreq *r, int status, const cJSON *j) {
  char *s = json_print(j);
  resp_text(r, status, "application/json", s, strlen(s));
  cJSON_free(s);
}

static void add_std_headers(struct MHD_Response *resp, kreq *r) {
  char audit[40];
  gen_uid(audit);
  MHD_add_response_header(resp, "Audit-Id", audit);
  MHD_add_response_header(resp, "Cache-Control", "no-cache, private");
  for (int i = 0; i < r->nwarnings; i++) {
    kbuf w = {0};
    kbuf_puts(&w, "299 - \"");
    for (const char *p = r->warnings[i]; *p; p++) {
      if (*p == '"' || *p == '\\') kbuf_add(&w, "\\", 1);
      kbuf_add(&w, p, 1);
    }
    kbuf_puts(&w, "\"");
    MHD_add_response_header(resp, "Warning", w.s);
    kbuf_free(&w);
  }
  if (r->retry_after) MHD_add_response_header(resp, "Retry-After", r->retry_after);
}

static enum MHD_Result send_kreq(struct MHD_Connection *c, kreq *r) {
  struct MHD_Response *resp;
  if (r->is_watch) {
    resp = watch_make_response(r);
    if (!resp) return MHD_NO;
  } else {
    resp = MHD_create_response_from_buffer(r->out.len, r->out.s ? r->out.s : (char *)"", MHD_RESPMEM_MUST_COPY);
    if (!resp) return MHD_NO;
    MHD_add_response_header(resp, "Content-Type", r->out_type ? r->out_type : "application/json");
  }
  add_std_headers(resp, r);
  enum MHD_Result ret = MHD_queue_response(c, (unsigned)(r->status ? r->status : 500), resp);
  MHD_destroy_response(resp);
  return ret;
}

static void kreq_free(kreq *r) {
  kbuf_free(&r->out);
  for (int i = 0; i < r->nwarnings; i++) free(r->warnings[i]);
  free(r->retry_after);
}

static enum MHD_Result answer_too_large(struct MHD_Connection *c, const char *url, const char *method) {
  kreq r = {.method = method, .path = url, .conn = c};
  resp_status(&r, 413, "RequestEntityTooLarge", NULL, "Request entity too large: limit is %zu", KS.max_body);
  enum MHD_Result ret = send_kreq(c, &r);
  kreq_free(&r);
  return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *upload, size_t *upload_size, void **ctxp) {
  (void)cls;
  (void)version;
  kconn *k = *ctxp;
  if (!k) {
    k = calloc(1, sizeof *k);
    if (!k) return MHD_NO;
    *ctxp = k;
    const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    unsigned long long want = cl ? strtoull(cl, NULL, 10) : 0;
    if (want > 64ull * KS.max_body) { /* absurd: answer at once and let MHD drop the connection */
      k->answered = true;
      return answer_too_large(c, url, method);
    }
    /* Too large but plausible: read and discard the body, then answer 413 on a connection the client is
     * still listening on (answering mid-upload makes many clients see a reset instead of the Status). */
    if (want > KS.max_body) k->too_large = true;
    return MHD_YES;
  }
  if (k->answered) {
    *upload_size = 0;
    return MHD_YES;
  }
  if (*upload_size) {
    if (!k->too_large) {
      if (k->body.len + *upload_size > KS.max_body) {
        k->too_large = true;
        kbuf_free(&k->body);
      } else {
        kbuf_add(&k->body, upload, *upload_size);
      }
    }
    *upload_size = 0;
    return MHD_YES;
  }
  k->answered = true;
  if (k->too_large) return answer_too_large(c, url, method);

  kreq r = {.method = method, .path = url, .conn = c, .body = k->body.s, .body_len = k->body.len};
  r.content_type = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
  r.accept = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT);
  if (!control_intercept(&r)) {
    if (!control_serve(&r) && !discovery_serve(&r)) api_dispatch(&r);
  }
  enum MHD_Result ret = send_kreq(c, &r);
  kreq_free(&r);
  return ret;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **ctxp, enum MHD_RequestTerminationCode toe) {
  (void)cls;
  (void)c;
  (void)toe;
  kconn *k = *ctxp;
  if (k) {
    kbuf_free(&k->body);
    free(k);
  }
  *ctxp = NULL;
}

static void mhd_log(void *cls, const char *fmt, va_list ap) {
  (void)cls;
  if (getenv("KUBE_SIM_DEBUG")) vfprintf(stderr, fmt, ap);
}

void *http_start(const struct sockaddr *addr) {
  unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG;
  return MHD_start_daemon(flags, 0, NULL, NULL, on_request, NULL, MHD_OPTION_SOCK_ADDR, addr,
                          MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL, MHD_OPTION_CONNECTION_LIMIT,
                          (unsigned)16384, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)600,
                          MHD_OPTION_THREAD_STACK_SIZE, (size_t)(2u << 20), MHD_OPTION_LISTEN_BACKLOG_SIZE,
                          (unsigned)1024, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL, MHD_OPTION_END);
}

int http_port(void *daemon) {
  const union MHD_DaemonInfo *di = MHD_get_daemon_info(daemon, MHD_DAEMON_INFO_BIND_PORT);
  return di ? di->port : -1;
}

void http_stop(void *daemon) {
  if (daemon) MHD_stop_daemon(daemon);
}

cJSON *parse_body(kreq *r, bool allow_yaml) {
  const char *ct = r->content_type ? r->content_type : "application/json";
  if (strncmp(ct, "application/vnd.kubernetes.protobuf", 35) == 0 && r->body) {
    char perr[256] = "";
    cJSON *pj = NULL;
    int rc = pb_decode(r->body, r->body_len, &pj, perr, sizeof perr);
    if (rc == 0) return pj;
    if (rc == 400) {
      resp_status(r, 400, "BadRequest", NULL, "the body of the request could not be decoded: %s", perr);
      return NULL;
    }
  }
  if (strncmp(ct, "application/vnd.kubernetes.protobuf", 35) == 0 || strstr(ct, "cbor")) {
    resp_status(r, 415, "UnsupportedMediaType", NULL,
                "the body of the request was in an unknown format - accepted media types include: "
                "application/json, application/yaml");
    return NULL;
  }
  if (!r->body || r->body_len == 0) {
    resp_status(r, 400, "BadRequest", NULL, "the body of the request is empty");
    return NULL;
  }
  cJSON *j = NULL;
  bool yaml = allow_yaml && (strstr(ct, "yaml") != NULL);
  capz_err err = {0};
  if (yaml) {
    cJSON *docs = capz_yaml_to_json(r->body, r->body_len, &err);
    if (docs && cJSON_GetArraySize(docs) == 1) j = cJSON_DetachItemFromArray(docs, 0);
    if (docs && !j && !err.msg[0]) snprintf(err.msg, sizeof err.msg, "expected exactly one YAML document");
    cJSON_Delete(docs);
  } else {
    const char *end = NULL;
    j = cJSON_ParseWithLengthOpts(r->body, r->body_len, &end, false);
    if (j && end) {
      while ((size_t)(end - r->body) < r->body_len && (*end == ' ' || *end == '\n' || *end == '\r' || *end == '\t'))
        end++;
      if ((size_t)(end - r->body) != r->body_len) {
        cJSON_Delete(j);
        j = NULL;
        snprintf(err.msg, sizeof err.msg, "invalid character after top-level value");
      }
    } else if (!j) {
      size_t off = end ? (size_t)(end - r->body) : 0;
      snprintf(err.msg, sizeof err.msg, "invalid character at offset %zu", off);
    }
  }
  if (!j) {
    resp_status(r, 400, "BadRequest", NULL, "the body of the request could not be decoded: %s",
                err.msg[0] ? err.msg : "malformed");
    return NULL;
  }
  if (json_depth(j) > 200) {
    cJSON_Delete(j);
    resp_status(r, 400, "BadRequest", NULL, "the body of the request is nested too deeply (limit 200)");
    return NULL;
  }
  return j;
}
