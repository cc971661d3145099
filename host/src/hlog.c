/* hlog.c — plain start-up lines; the SDK logger takes over once the runtime runs. */
#include <stdarg.h>
#include <stdio.h>
#include "hlog.h"

static void emit(const char *level, const char *fmt, va_list ap) {
  char msg[1024];
  vsnprintf(msg, sizeof msg, fmt, ap);
  fprintf(stderr, "capz-host: %s: %s\n", level, msg);
  fflush(stderr);
}

void hlog_info(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  emit("info", fmt, ap);
  va_end(ap);
}

void hlog_error(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  emit("error", fmt, ap);
  va_end(ap);
}
