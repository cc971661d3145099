/* mc_version.c — Kubernetes version strings ("v1.33.1", "1.33"). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mc_api.h"

void mc_version_plain(const char *v, char *out, size_t n) {
  if (!v) v = "";
  if (*v == 'v' || *v == 'V') v++;
  snprintf(out, n, "%s", v);
}

int mc_version_cmp(const char *a, const char *b) {
  if (!a) a = "";
  if (!b) b = "";
  if (*a == 'v' || *a == 'V') a++;
  if (*b == 'v' || *b == 'V') b++;
  for (int i = 0; i < 3; i++) {
    long x = strtol(a, (char **)&a, 10), y = strtol(b, (char **)&b, 10);
    if (x != y) return x < y ? -1 : 1;
    if (*a == '.') a++;
    if (*b == '.') b++;
  }
  return 0;
}
