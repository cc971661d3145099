/* kube_status.c — metav1.Status error objects, shaped exactly like kube-apiserver's. */
#include "kube_sim.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

cJSON *status_json(int code, const char *reason, const kdetails *d, const char *msg) {
  cJSON *s = cJSON_CreateObject();
  cJSON_AddStringToObject(s, "kind", "Status");
  cJSON_AddStringToObject(s, "apiVersion", "v1");
  cJSON_AddItemToObject(s, "metadata", cJSON_CreateObject());
  cJSON_AddStringToObject(s, "status", code < 300 ? "Success" : "Failure");
  if (msg) cJSON_AddStringToObject(s, "message", msg);
  if (reason && *reason) cJSON_AddStringToObject(s, "reason", reason);
  if (d) {
    cJSON *dd = cJSON_CreateObject();
    if (d->name) cJSON_AddStringToObject(dd, "name", d->name);
    if (d->group) cJSON_AddStringToObject(dd, "group", d->group);
    if (d->kind) cJSON_AddStringToObject(dd, "kind", d->kind);
    if (d->uid) cJSON_AddStringToObject(dd, "uid", d->uid);
    if (d->causes) cJSON_AddItemToObject(dd, "causes", cJSON_Duplicate(d->causes, 1));
    if (d->retry_after) cJSON_AddNumberToObject(dd, "retryAfterSeconds", d->retry_after);
    cJSON_AddItemToObject(s, "details", dd);
  }
  cJSON_AddNumberToObject(s, "code", code);
  return s;
}

void resp_status(kreq *r, int code, const char *reason, const kdetails *d, const char *fmt, ...) {
  char msg[4096];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  cJSON *s = status_json(code, reason, d, msg);
  resp_json(r, code, s);
  cJSON_Delete(s);
}

void qualified_resource(const ktype *t, char *out, size_t n) {
  if (t->group[0])
    snprintf(out, n, "%s.%s", t->plural, t->group);
  else
    snprintf(out, n, "%s", t->plural);
}

void resp_not_found(kreq *r, const ktype *t, const char *name) {
  char q[512];
  qualified_resource(t, q, sizeof q);
  kdetails d = {.name = name, .group = t->group[0] ? t->group : NULL, .kind = t->plural};
  resp_status(r, 404, "NotFound", &d, "%s \"%s\" not found", q, name);
}

void resp_conflict(kreq *r, const ktype *t, const char *name) {
  char q[512];
  qualified_resource(t, q, sizeof q);
  kdetails d = {.name = name, .group = t->group[0] ? t->group : NULL, .kind = t->plural};
  resp_status(r, 409, "Conflict", &d,
              "Operation cannot be fulfilled on %s \"%s\": the object has been modified; please apply your changes "
              "to the latest version and try again",
              q, name);
}

void kerrs_add(kerrs *e, const char *reason, const char *field, const char *fmt, ...) {
  char msg[2048];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (!e->causes) e->causes = cJSON_CreateArray();
  cJSON *c = cJSON_CreateObject();
  cJSON_AddStringToObject(c, "reason", reason);
  cJSON_AddStringToObject(c, "message", msg);
  cJSON_AddStringToObject(c, "field", field);
  cJSON_AddItemToArray(e->causes, c);
  if (e->n++) kbuf_puts(&e->msgs, ", ");
  kbuf_printf(&e->msgs, "%s: %s", field, msg);
}

void kerrs_free(kerrs *e) {
  cJSON_Delete(e->causes);
  e->causes = NULL;
  kbuf_free(&e->msgs);
  e->n = 0;
}

void resp_invalid(kreq *r, const ktype *t, const char *name, kerrs *e) {
  char gk[512];
  if (t->group[0])
    snprintf(gk, sizeof gk, "%s.%s", t->kind, t->group);
  else
    snprintf(gk, sizeof gk, "%s", t->kind);
  kdetails d = {.name = name && *name ? name : NULL,
                .group = t->group[0] ? t->group : NULL,
                .kind = t->kind,
                .causes = e->causes};
  const char *m = e->msgs.s ? e->msgs.s : "";
  if (e->n > 1)
    resp_status(r, 422, "Invalid", &d, "%s \"%s\" is invalid: [%s]", gk, name ? name : "", m);
  else
    resp_status(r, 422, "Invalid", &d, "%s \"%s\" is invalid: %s", gk, name ? name : "", m);
  kerrs_free(e);
}
