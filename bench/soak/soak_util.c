/* soak_util.c — clocks and string building shared by the soak's files. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "soak.h"

int64_t soak_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

double soak_wall(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

void soak_appendf(char *buf, size_t n, const char *fmt, ...) {
  size_t l = strnlen(buf, n);
  if (l + 1 >= n) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf + l, n - l, fmt, ap);
  va_end(ap);
}
