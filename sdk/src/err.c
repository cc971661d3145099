/* err.c — the capz_err code + message type. */
#include <stdio.h>
#include <string.h>
#include "capz/err.h"

void capz_err_clear(capz_err *err) {
  if (!err) return;
  err->code = CAPZ_OK;
  err->http_status = 0;
  err->reason[0] = '\0';
  err->msg[0] = '\0';
}

int capz_err_setv(capz_err *err, int code, const char *fmt, va_list ap) {
  if (!err) return code;
  err->code = code;
  vsnprintf(err->msg, sizeof err->msg, fmt, ap);
  return code;
}

int capz_err_set(capz_err *err, int code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  capz_err_setv(err, code, fmt, ap);
  va_end(ap);
  return code;
}

int capz_err_prefix(capz_err *err, const char *fmt, ...) {
  if (!err) return CAPZ_OK;
  char joined[2 * CAPZ_ERR_MSG_MAX + 2];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(joined, CAPZ_ERR_MSG_MAX, fmt, ap);
  va_end(ap);
  if (n < 0) n = 0;
  if (n >= CAPZ_ERR_MSG_MAX) n = CAPZ_ERR_MSG_MAX - 1;
  memcpy(joined + n, ": ", 2);
  memcpy(joined + n + 2, err->msg, strnlen(err->msg, sizeof err->msg - 1) + 1);
  memcpy(err->msg, joined, sizeof err->msg - 1);
  err->msg[sizeof err->msg - 1] = '\0';
  return err->code;
}

const char *capz_errcode_name(int code) {
  static const char *const names[] = {
      "OK",       "EINVAL",    "ENOTFOUND",    "ECONFLICT", "EEXIST", "EIO",
      "ETIMEOUT", "ETHROTTLED", "EAUTH",       "EFORBIDDEN", "EGONE", "EUNAVAILABLE",
      "ENOMEM",   "EPROTO",    "EINPROGRESS", "EFAILED",   "EINTERNAL"};
  if (code < 0 || (size_t)code >= sizeof names / sizeof names[0]) return "EUNKNOWN";
  return names[code];
}

bool capz_err_is_transient(int code) {
  switch (code) {
  case CAPZ_EIO: case CAPZ_ETIMEOUT: case CAPZ_ETHROTTLED: case CAPZ_EUNAVAILABLE: case CAPZ_ECONFLICT:
    return true;
  default:
    return false;
  }
}
