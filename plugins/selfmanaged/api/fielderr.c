/* fielderr.c — Kubernetes-style field errors and the API server's Invalid message. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sm_internal.h"

void sm_errors_init(sm_errors *e) { memset(e, 0, sizeof *e); }

void sm_errors_free(sm_errors *e) {
  if (!e) return;
  for (size_t i = 0; i < e->count; i++) {
    free(e->items[i].field);
    free(e->items[i].value);
    free(e->items[i].detail);
  }
  free(e->items);
  memset(e, 0, sizeof *e);
}

const char *sm_errtype_reason(sm_errtype t) {
  switch (t) {
  case SM_ERR_INVALID: return "FieldValueInvalid";
  case SM_ERR_REQUIRED: return "FieldValueRequired";
  case SM_ERR_FORBIDDEN: return "FieldValueForbidden";
  case SM_ERR_DUPLICATE: return "FieldValueDuplicate";
  case SM_ERR_NOT_SUPPORTED: return "FieldValueNotSupported";
  }
  return "FieldValueInvalid";
}

/* The words field.ErrorType.String() prints. */
static const char *type_words(sm_errtype t) {
  switch (t) {
  case SM_ERR_INVALID: return "Invalid value";
  case SM_ERR_REQUIRED: return "Required value";
  case SM_ERR_FORBIDDEN: return "Forbidden";
  case SM_ERR_DUPLICATE: return "Duplicate value";
  case SM_ERR_NOT_SUPPORTED: return "Unsupported value";
  }
  return "Invalid value";
}

char *sm_quote(const char *s) {
  if (!s) s = "";
  size_t n = strlen(s);
  char *out = malloc(n * 4 + 3);
  if (!out) return NULL;
  char *o = out;
  *o++ = '"';
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    switch (*p) {
    case '"': *o++ = '\\'; *o++ = '"'; break;
    case '\\': *o++ = '\\'; *o++ = '\\'; break;
    case '\n': *o++ = '\\'; *o++ = 'n'; break;
    case '\t': *o++ = '\\'; *o++ = 't'; break;
    case '\r': *o++ = '\\'; *o++ = 'r'; break;
    default:
      if (*p < 0x20 || *p == 0x7f) o += sprintf(o, "\\x%02x", *p);
      else *o++ = (char)*p;
    }
  }
  *o++ = '"';
  *o = '\0';
  return out;
}

static void push(sm_errors *e, sm_errtype t, const char *field, char *value_owned, const char *fmt, va_list ap) {
  if (!e) {
    free(value_owned);
    return;
  }
  if (e->count == e->cap) {
    size_t cap = e->cap ? e->cap * 2 : 8;
    sm_field_error *items = realloc(e->items, cap * sizeof *items);
    if (!items) {
      e->oom = true;
      free(value_owned);
      return;
    }
    e->items = items;
    e->cap = cap;
  }
  char detail[1024] = "";
  if (fmt) vsnprintf(detail, sizeof detail, fmt, ap);
  sm_field_error *fe = &e->items[e->count];
  fe->type = t;
  fe->field = strdup(field ? field : "");
  fe->detail = strdup(detail);
  fe->value = value_owned;
  if (!fe->field || !fe->detail) {
    free(fe->field);
    free(fe->detail);
    free(fe->value);
    e->oom = true;
    return;
  }
  e->count++;
}

void sm_err_add(sm_errors *e, sm_errtype t, const char *field, const char *value, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  push(e, t, field, value ? strdup(value) : NULL, fmt, ap);
  va_end(ap);
}

void sm_err_invalid_s(sm_errors *e, const char *field, const char *value, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  push(e, SM_ERR_INVALID, field, sm_quote(value), fmt, ap);
  va_end(ap);
}

void sm_err_invalid_j(sm_errors *e, const char *field, const cJSON *value, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *v = value ? (cJSON_IsString(value) ? sm_quote(value->valuestring) : cJSON_PrintUnformatted(value))
                  : strdup("null");
  push(e, SM_ERR_INVALID, field, v, fmt, ap);
  va_end(ap);
}

void sm_err_invalid_n(sm_errors *e, const char *field, double value, const char *fmt, ...) {
  char buf[64];
  snprintf(buf, sizeof buf, "%.15g", value);
  va_list ap;
  va_start(ap, fmt);
  push(e, SM_ERR_INVALID, field, strdup(buf), fmt, ap);
  va_end(ap);
}

void sm_err_required(sm_errors *e, const char *field, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  push(e, SM_ERR_REQUIRED, field, NULL, fmt, ap);
  va_end(ap);
}

void sm_err_forbidden(sm_errors *e, const char *field, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  push(e, SM_ERR_FORBIDDEN, field, NULL, fmt, ap);
  va_end(ap);
}

static void add_plain(sm_errors *e, sm_errtype t, const char *field, char *value_owned, const char *detail) {
  sm_err_add(e, t, field, NULL, "%s", detail ? detail : "");
  if (e && e->count && !e->oom) e->items[e->count - 1].value = value_owned;
  else free(value_owned);
}

void sm_err_duplicate_s(sm_errors *e, const char *field, const char *value) {
  add_plain(e, SM_ERR_DUPLICATE, field, sm_quote(value), "");
}

void sm_err_duplicate_n(sm_errors *e, const char *field, double value) {
  char buf[64];
  snprintf(buf, sizeof buf, "%.15g", value);
  add_plain(e, SM_ERR_DUPLICATE, field, strdup(buf), "");
}

void sm_err_not_supported(sm_errors *e, const char *field, const char *value, const char *const *supported) {
  char detail[512] = "supported values: ";
  size_t len = strlen(detail);
  for (int i = 0; supported && supported[i]; i++) {
    len += (size_t)snprintf(detail + len, len < sizeof detail ? sizeof detail - len : 0, "%s\"%s\"",
                            i ? ", " : "", supported[i]);
    if (len >= sizeof detail) break;
  }
  add_plain(e, SM_ERR_NOT_SUPPORTED, field, sm_quote(value), detail);
}

void sm_path(char *buf, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, SM_PATH_MAX, fmt, ap);
  va_end(ap);
}

size_t sm_field_error_format(const sm_field_error *fe, char *buf, size_t n) {
  const char *detail = fe->detail ? fe->detail : "";
  int len;
  if (fe->type == SM_ERR_REQUIRED || fe->type == SM_ERR_FORBIDDEN)
    len = snprintf(buf, n, "%s: %s%s%s", fe->field, type_words(fe->type), detail[0] ? ": " : "", detail);
  else
    len = snprintf(buf, n, "%s: %s: %s%s%s", fe->field, type_words(fe->type), fe->value ? fe->value : "null",
                   detail[0] ? ": " : "", detail);
  return len < 0 ? 0 : (size_t)len;
}

/* Appends to buf at *len, tracking the length the whole text needs. */
static void append(char *buf, size_t n, size_t *len, const char *s) {
  size_t sl = strlen(s);
  if (*len < n) {
    size_t room = n - *len - 1;
    size_t c = sl < room ? sl : room;
    memcpy(buf + *len, s, c);
    buf[*len + c] = '\0';
  }
  *len += sl;
}

size_t sm_errors_format(const sm_errors *e, const char *kind, const char *name, char *buf, size_t n) {
  char tmp[2048];
  size_t len = 0;
  if (buf && n) buf[0] = '\0';
  else n = 0;
  snprintf(tmp, sizeof tmp, "%s.infrastructure.cluster.x-k8s.io \"%s\" is invalid: ", kind ? kind : "",
           name ? name : "");
  append(buf, n, &len, tmp);
  if (e->count > 1) append(buf, n, &len, "[");
  for (size_t i = 0; i < e->count; i++) {
    if (i) append(buf, n, &len, ", ");
    sm_field_error_format(&e->items[i], tmp, sizeof tmp);
    append(buf, n, &len, tmp);
  }
  if (e->count > 1) append(buf, n, &len, "]");
  return len;
}

const sm_field_error *sm_errors_find(const sm_errors *e, const char *field) {
  for (size_t i = 0; e && i < e->count; i++)
    if (strcmp(e->items[i].field, field) == 0) return &e->items[i];
  return NULL;
}

int sm_errors_result(const sm_errors *e, size_t before) {
  if (e->oom) return -1;
  return (int)(e->count - before);
}

int sm_validate_finish(sm_errors *errs, const char *kind, const cJSON *obj, char *msg, size_t n) {
  int count = errs->oom ? -1 : (int)errs->count;
  if (msg && n) {
    msg[0] = '\0';
    if (errs->oom) snprintf(msg, n, "out of memory while validating %s", kind);
    else if (errs->count) sm_errors_format(errs, kind, sm_str0(sm_child(obj, "metadata"), "name"), msg, n);
  }
  sm_errors_free(errs);
  return count;
}
