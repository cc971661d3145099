/* duration.c — Go-style duration strings ("1h30m", "45s", "500ms") for config values.
 * Parsed in nanoseconds like Go so fractions ("1.5h") and sub-millisecond units stay exact,
 * then reported in milliseconds (rounded down). */
#include <string.h>
#include "capz/loader.h"

#define NS_MAX INT64_MAX

static const struct { const char *name; uint64_t ns; } units[] = {
    {"ns", 1ULL},
    {"us", 1000ULL},
    {"\xc2\xb5s", 1000ULL}, /* U+00B5 micro sign */
    {"\xce\xbcs", 1000ULL}, /* U+03BC greek mu */
    {"ms", 1000000ULL},
    {"s", 1000000000ULL},
    {"m", 60ULL * 1000000000ULL},
    {"h", 3600ULL * 1000000000ULL},
};

/* Longest unit name matching at p; 0 when none. */
static size_t match_unit(const char *p, uint64_t *ns) {
  size_t best = 0;
  for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
    size_t len = strlen(units[i].name);
    if (len > best && strncmp(p, units[i].name, len) == 0) {
      best = len;
      *ns = units[i].ns;
    }
  }
  return best;
}

int capz_duration_parse_ms(const char *s, int64_t *ms, capz_err *err) {
  if (!s || !*s) return capz_err_set(err, CAPZ_EINVAL, "empty duration");
  if (strcmp(s, "0") == 0) {
    if (ms) *ms = 0;
    return 0;
  }
  if (*s == '-') return capz_err_set(err, CAPZ_EINVAL, "negative duration \"%.64s\"", s);
  if (*s == '+') s++;
  const char *orig = s;
  uint64_t total = 0;
  if (!*s) return capz_err_set(err, CAPZ_EINVAL, "invalid duration \"%.64s\"", orig);
  while (*s) {
    uint64_t whole = 0, frac = 0, scale = 1;
    int digits = 0;
    bool overflow = false;
    while (*s >= '0' && *s <= '9') {
      if (whole > (UINT64_MAX - 9) / 10) overflow = true;
      else whole = whole * 10 + (uint64_t)(*s - '0');
      s++;
      digits++;
    }
    if (*s == '.') {
      s++;
      while (*s >= '0' && *s <= '9') {
        if (scale < 1000000000000000000ULL) { /* further digits are below a nanosecond */
          frac = frac * 10 + (uint64_t)(*s - '0');
          scale *= 10;
        }
        s++;
        digits++;
      }
    }
    if (digits == 0) return capz_err_set(err, CAPZ_EINVAL, "invalid duration \"%.64s\"", orig);
    uint64_t unit = 0;
    size_t ulen = match_unit(s, &unit);
    if (ulen == 0)
      return capz_err_set(err, CAPZ_EINVAL,
                          "missing or unknown unit in duration \"%.64s\" (use ns, us, ms, s, m, h)", orig);
    s += ulen;
    if (overflow || (whole > 0 && whole > NS_MAX / unit))
      return capz_err_set(err, CAPZ_EINVAL, "duration \"%.64s\" is too large", orig);
    uint64_t part = whole * unit;
    /* frac < scale <= 1e18 and unit <= 3.6e12: long double keeps the product exact enough. */
    part += (uint64_t)((long double)frac * (long double)unit / (long double)scale);
    if (part > NS_MAX - total) return capz_err_set(err, CAPZ_EINVAL, "duration \"%.64s\" is too large", orig);
    total += part;
  }
  if (ms) *ms = (int64_t)(total / 1000000ULL);
  return 0;
}
