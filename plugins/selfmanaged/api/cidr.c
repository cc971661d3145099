/* cidr.c — IPv4/IPv6 address and CIDR parsing with Go's net.ParseIP/ParseCIDR semantics. */
#include <arpa/inet.h>
#include <ctype.h>
#include <string.h>
#include "sm_internal.h"

static bool parse_addr(const char *s, size_t len, sm_cidr *out) {
  char buf[64];
  if (len == 0 || len >= sizeof buf) return false;
  memcpy(buf, s, len);
  buf[len] = '\0';
  memset(out, 0, sizeof *out);
  if (strchr(buf, ':')) {
    if (inet_pton(AF_INET6, buf, out->addr) != 1) return false;
    out->family = 6;
    out->prefix = 128;
    return true;
  }
  if (inet_pton(AF_INET, buf, out->addr) != 1) return false;
  out->family = 4;
  out->prefix = 32;
  return true;
}

bool sm_ip_parse(const char *s, sm_cidr *out) {
  sm_cidr tmp;
  if (!s) return false;
  if (!parse_addr(s, strlen(s), out ? out : &tmp)) return false;
  return true;
}

static void mask(sm_cidr *c) {
  int bytes = c->family == 4 ? 4 : 16;
  for (int i = 0; i < bytes; i++) {
    int bits = c->prefix - i * 8;
    if (bits >= 8) continue;
    c->addr[i] &= bits <= 0 ? 0 : (uint8_t)(0xff << (8 - bits));
  }
}

bool sm_cidr_parse(const char *s, sm_cidr *out) {
  sm_cidr c;
  if (!s) return false;
  const char *slash = strchr(s, '/');
  if (!slash || !parse_addr(s, (size_t)(slash - s), &c)) return false;
  const char *p = slash + 1;
  if (!*p || strlen(p) > 3) return false;
  int prefix = 0;
  for (; *p; p++) {
    if (!isdigit((unsigned char)*p)) return false;
    prefix = prefix * 10 + (*p - '0');
  }
  if (prefix > (c.family == 4 ? 32 : 128)) return false;
  c.prefix = prefix;
  mask(&c);
  if (out) *out = c;
  return true;
}

/* True when the first `bits` bits of a and b agree. */
static bool same_prefix(const uint8_t *a, const uint8_t *b, int bits) {
  for (int i = 0; bits > 0; i++, bits -= 8) {
    uint8_t m = bits >= 8 ? 0xff : (uint8_t)(0xff << (8 - bits));
    if ((a[i] & m) != (b[i] & m)) return false;
  }
  return true;
}

bool sm_cidr_contains(const sm_cidr *net, const sm_cidr *ip) {
  if (!net || !ip || net->family != ip->family) return false;
  return same_prefix(net->addr, ip->addr, net->prefix);
}

bool sm_cidr_overlaps(const sm_cidr *a, const sm_cidr *b) {
  if (!a || !b || a->family != b->family) return false;
  int bits = a->prefix < b->prefix ? a->prefix : b->prefix;
  return same_prefix(a->addr, b->addr, bits);
}
