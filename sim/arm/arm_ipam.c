/* arm_ipam.c — private IP allocation per subnet (first free address after Azure's four reserved ones,
 * never the broadcast address) and unique public addresses. Callers hold the world lock. */
#include "arm_sim.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* An address of either family: v4 in b[12..15] (fam 4) or all 16 bytes (fam 6). */
typedef struct ipa {
  int fam;
  unsigned char b[16];
} ipa;

typedef struct alloc {
  char *subnet;   /* lower-cased subnet id */
  char *owner;    /* lower-cased owner id (NIC ipConfiguration, LB frontend...) */
  ipa addr;
  struct alloc *next;
} alloc;

struct arm_ipam {
  alloc *head;
  unsigned next_public;
};

arm_ipam *arm_ipam_new(void) {
  arm_ipam *m = calloc(1, sizeof *m);
  if (m) m->next_public = 1;
  return m;
}

static void alloc_free(alloc *a) {
  free(a->subnet);
  free(a->owner);
  free(a);
}

void arm_ipam_clear(arm_ipam *m) {
  alloc *a = m->head;
  while (a) {
    alloc *n = a->next;
    alloc_free(a);
    a = n;
  }
  m->head = NULL;
}

void arm_ipam_free(arm_ipam *m) {
  if (!m) return;
  arm_ipam_clear(m);
  free(m);
}

static bool ip_parse(const char *s, ipa *a) {
  memset(a, 0, sizeof *a);
  if (!s) return false;
  if (inet_pton(AF_INET, s, a->b + 12) == 1) { a->fam = 4; return true; }
  if (inet_pton(AF_INET6, s, a->b) == 1) { a->fam = 6; return true; }
  return false;
}

static void ip_fmt(const ipa *a, char *out, size_t n) {
  if (a->fam == 4) inet_ntop(AF_INET, a->b + 12, out, (socklen_t)n);
  else inet_ntop(AF_INET6, a->b, out, (socklen_t)n);
}

static int fam_bits(int fam) { return fam == 4 ? 32 : 128; }

/* Clear the host bits of a below bits (counted from the family's first bit). */
static void ip_mask(ipa *a, int bits) {
  int start = a->fam == 4 ? 96 : 0, total = start + bits;
  for (int i = 0; i < 16; i++) {
    int lo = i * 8;
    if (lo + 8 <= total) continue;
    if (lo >= total) a->b[i] = 0;
    else a->b[i] &= (unsigned char)(0xff << (8 - (total - lo)));
  }
}

static bool cidr_parse(const char *cidr, ipa *base, int *bits) {
  if (!cidr) return false;
  char ip[64];
  const char *sl = strchr(cidr, '/');
  if (!sl || (size_t)(sl - cidr) >= sizeof ip) return false;
  memcpy(ip, cidr, (size_t)(sl - cidr));
  ip[sl - cidr] = '\0';
  if (!ip_parse(ip, base)) return false;
  char *end;
  long b = strtol(sl + 1, &end, 10);
  if (*end || end == sl + 1 || b < 0 || b > fam_bits(base->fam)) return false;
  ip_mask(base, (int)b);
  *bits = (int)b;
  return true;
}

static int ip_cmp(const ipa *a, const ipa *b) { return memcmp(a->b, b->b, 16); }

/* Last address of a prefix. */
static ipa ip_last(const ipa *base, int bits) {
  ipa l = *base;
  int start = base->fam == 4 ? 96 : 0, total = start + bits;
  for (int i = 0; i < 16; i++) {
    int lo = i * 8;
    if (lo + 8 <= total) continue;
    if (lo >= total) l.b[i] = 0xff;
    else l.b[i] |= (unsigned char)(0xff >> (total - lo));
  }
  return l;
}

/* base + off (off fits in 64 bits; carries propagate through all 16 bytes). */
static ipa ip_add(const ipa *base, unsigned long long off) {
  ipa r = *base;
  unsigned carry = 0;
  for (int i = 15; i >= 0; i--) {
    unsigned v = r.b[i] + (unsigned)(off & 0xff) + carry;
    r.b[i] = (unsigned char)v;
    carry = v >> 8;
    off >>= 8;
  }
  return r;
}

static ipa ip_dec(const ipa *a) {
  ipa r = *a;
  for (int i = 15; i >= 0; i--)
    if (r.b[i]-- != 0) break;
  return r;
}

bool arm_cidr_parse(const char *cidr, unsigned *base, int *bits) {
  ipa a;
  if (!cidr_parse(cidr, &a, bits) || a.fam != 4) return false;
  *base = (unsigned)a.b[12] << 24 | (unsigned)a.b[13] << 16 | (unsigned)a.b[14] << 8 | a.b[15];
  return true;
}

int arm_cidr_family(const char *cidr, int *bits) {
  ipa a;
  int b = 0;
  if (!cidr_parse(cidr, &a, &b)) return 0;
  if (bits) *bits = b;
  return a.fam;
}

int arm_ip_family(const char *ip) {
  ipa a;
  return ip_parse(ip, &a) ? a.fam : 0;
}

bool arm_cidr_within(const char *inner, const char *outer) {
  ipa ib, ob;
  int ibits, obits;
  if (!cidr_parse(inner, &ib, &ibits) || !cidr_parse(outer, &ob, &obits) || ib.fam != ob.fam) return false;
  ipa il = ip_last(&ib, ibits), ol = ip_last(&ob, obits);
  return ibits >= obits && ip_cmp(&ib, &ob) >= 0 && ip_cmp(&il, &ol) <= 0;
}

bool arm_cidr_overlap(const char *a, const char *b) {
  ipa ab, bb;
  int abits, bbits;
  if (!cidr_parse(a, &ab, &abits) || !cidr_parse(b, &bb, &bbits) || ab.fam != bb.fam) return false;
  ipa al = ip_last(&ab, abits), bl = ip_last(&bb, bbits);
  return ip_cmp(&ab, &bl) <= 0 && ip_cmp(&bb, &al) <= 0;
}

static int ip_qcmp(const void *a, const void *b) { return ip_cmp(a, b); }

int arm_ipam_alloc(arm_ipam *m, const char *subnet_id, const char *prefix, const char *owner_id, const char *want,
                   char *out, size_t n, arm_err *e) {
  ipa base;
  int bits;
  if (!cidr_parse(prefix, &base, &bits) || (base.fam == 4 && bits > 29) || (base.fam == 6 && bits > 125))
    return arm_err_set(e, 400, "InvalidAddressPrefix",
                       "Subnet address prefix '%s' is not a valid IPv4 prefix of /29 or larger or IPv6 prefix.",
                       prefix ? prefix : "");
  char subnet[ARM_ID_MAX], owner[ARM_ID_MAX];
  arm_lower(subnet, subnet_id, sizeof subnet);
  arm_lower(owner, owner_id, sizeof owner);
  /* an owner keeps its address when re-PUT */
  for (alloc *a = m->head; a; a = a->next)
    if (strcmp(a->owner, owner) == 0 && strcmp(a->subnet, subnet) == 0 && a->addr.fam == base.fam) {
      char cur[64];
      ip_fmt(&a->addr, cur, sizeof cur);
      ipa w;
      if (!want || (ip_parse(want, &w) && ip_cmp(&w, &a->addr) == 0)) { snprintf(out, n, "%s", cur); return 0; }
      break;
    }
  /* Azure reserves the first four addresses of a subnet, and the last one of an IPv4 subnet */
  ipa first = ip_add(&base, 4), end = ip_last(&base, bits), pick;
  ipa last = end;
  if (base.fam == 4) last = ip_dec(&end);
  if (want) {
    ipa v;
    if (!ip_parse(want, &v) || v.fam != base.fam)
      return arm_err_set(e, 400, "InvalidParameter", "Private IP address '%s' is not a valid IPv%d address.", want, base.fam);
    if (ip_cmp(&v, &base) < 0 || ip_cmp(&v, &end) > 0)
      return arm_err_set(e, 400, "PrivateIPAddressNotInSubnet",
                         "Private static IP address %s does not belong to the range of subnet prefix %s.", want, prefix);
    if (ip_cmp(&v, &first) < 0 || ip_cmp(&v, &last) > 0)
      return arm_err_set(e, 400, "PrivateIPAddressIsReserved", "Private static IP address %s is reserved in subnet %s.", want, prefix);
    for (alloc *a = m->head; a; a = a->next)
      if (ip_cmp(&a->addr, &v) == 0 && strcmp(a->subnet, subnet) == 0 && strcmp(a->owner, owner) != 0)
        return arm_err_set(e, 400, "PrivateIPAddressInUse", "IP configuration is using the private IP address %s which is already allocated to resource %s.", want, a->owner);
    pick = v;
  } else {
    /* first free address: walk the subnet's taken addresses in order */
    size_t nt = 0, cap = 0;
    ipa *t = NULL;
    for (alloc *a = m->head; a; a = a->next) {
      if (a->addr.fam != base.fam || strcmp(a->subnet, subnet) != 0) continue;
      if (nt == cap) {
        ipa *nt2 = realloc(t, (cap = cap ? cap * 2 : 64) * sizeof *t);
        if (!nt2) { free(t); return arm_err_set(e, 500, "InternalServerError", "out of memory"); }
        t = nt2;
      }
      t[nt++] = a->addr;
    }
    if (nt) qsort(t, nt, sizeof *t, ip_qcmp);
    ipa v = first;
    for (size_t i = 0; i < nt; i++) {
      int d = ip_cmp(&t[i], &v);
      if (d < 0) continue;
      if (d > 0) break;
      v = ip_add(&v, 1);
    }
    free(t);
    bool found = ip_cmp(&v, &last) <= 0 && ip_cmp(&v, &first) >= 0; /* >= first: no wrap-around */
    pick = v;
    if (!found)
      return arm_err_set(e, 400, "SubnetIsFull", "Subnet %s with address prefix %s does not have enough capacity for 1 IP addresses.",
                         arm_id_name(subnet_id), prefix);
  }
  /* an owner has one address: drop its previous one (in any subnet) */
  for (alloc **pp = &m->head; *pp;) {
    alloc *a = *pp;
    if (strcmp(a->owner, owner) == 0) {
      *pp = a->next;
      alloc_free(a);
    } else {
      pp = &a->next;
    }
  }
  alloc *a = calloc(1, sizeof *a);
  if (!a) return arm_err_set(e, 500, "InternalServerError", "out of memory");
  a->subnet = strdup(subnet);
  a->owner = strdup(owner);
  a->addr = pick;
  a->next = m->head;
  m->head = a;
  ip_fmt(&pick, out, n);
  return 0;
}

void arm_ipam_release_owner(arm_ipam *m, const char *owner_prefix) {
  char pre[ARM_ID_MAX];
  arm_lower(pre, owner_prefix, sizeof pre);
  size_t pl = strlen(pre);
  for (alloc **pp = &m->head; *pp;) {
    alloc *a = *pp;
    if (strncmp(a->owner, pre, pl) == 0 && (a->owner[pl] == '\0' || a->owner[pl] == '/')) {
      *pp = a->next;
      alloc_free(a);
    } else {
      pp = &a->next;
    }
  }
}

size_t arm_ipam_used(arm_ipam *m, const char *subnet_id) {
  char subnet[ARM_ID_MAX];
  arm_lower(subnet, subnet_id, sizeof subnet);
  size_t n = 0;
  for (alloc *a = m->head; a; a = a->next)
    if (strcmp(a->subnet, subnet) == 0) n++;
  return n;
}

static bool under_root(const char *key, const char *root) {
  size_t rl = strlen(root);
  return strncmp(key, root, rl) == 0 && (key[rl] == '\0' || key[rl] == '/');
}

bool arm_ipam_held_from_outside(arm_ipam *m, const char *const *roots, int n) {
  for (alloc *a = m->head; a; a = a->next) {
    if (n < 1 || !under_root(a->subnet, roots[0])) continue;
    bool inside = false;
    for (int i = 0; i < n && !inside; i++) inside = under_root(a->owner, roots[i]);
    if (!inside) return true;
  }
  return false;
}

bool arm_ipam_owner_ip(arm_ipam *m, const char *owner_id, char *out, size_t n) {
  char owner[ARM_ID_MAX];
  arm_lower(owner, owner_id, sizeof owner);
  for (alloc *a = m->head; a; a = a->next)
    if (strcmp(a->owner, owner) == 0) {
      ip_fmt(&a->addr, out, n);
      return true;
    }
  return false;
}

void arm_ipam_public(arm_ipam *m, char *out, size_t n) {
  /* 20.0.0.0/8 is Microsoft's; addresses are never reused within a run */
  unsigned v = (20u << 24) + 0x10000u + m->next_public++;
  if ((v & 0xff) == 0 || (v & 0xff) == 255) v = (20u << 24) + 0x10000u + m->next_public++;
  snprintf(out, n, "%u.%u.%u.%u", v >> 24, (v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff);
}

void arm_ipam_public6(arm_ipam *m, char *out, size_t n) {
  /* 2603:1030::/32 is one of Microsoft's IPv6 blocks; same counter as IPv4, so never reused */
  unsigned v = m->next_public++;
  snprintf(out, n, "2603:1030:%x:%x::%x", (v >> 16) & 0xffff, v & 0xffff, (v % 250) + 4);
}
