/* arm_ipam.c — private IP allocation per subnet (first free address after Azure's four reserved ones,
 * never the broadcast address) and unique public addresses. Callers hold the world lock. */
#include "arm_sim.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct alloc {
  char *subnet;   /* lower-cased subnet id */
  char *owner;    /* lower-cased owner id (NIC ipConfiguration, LB frontend...) */
  unsigned addr;
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

void arm_ipam_clear(arm_ipam *m) {
  alloc *a = m->head;
  while (a) {
    alloc *n = a->next;
    free(a->subnet);
    free(a->owner);
    free(a);
    a = n;
  }
  m->head = NULL;
}

void arm_ipam_free(arm_ipam *m) {
  if (!m) return;
  arm_ipam_clear(m);
  free(m);
}

bool arm_cidr_parse(const char *cidr, unsigned *base, int *bits) {
  if (!cidr) return false;
  char ip[32];
  const char *sl = strchr(cidr, '/');
  if (!sl || (size_t)(sl - cidr) >= sizeof ip) return false;
  memcpy(ip, cidr, (size_t)(sl - cidr));
  ip[sl - cidr] = '\0';
  struct in_addr a;
  if (inet_pton(AF_INET, ip, &a) != 1) return false;
  char *end;
  long b = strtol(sl + 1, &end, 10);
  if (*end || end == sl + 1 || b < 0 || b > 32) return false;
  unsigned v = ntohl(a.s_addr);
  unsigned mask = b == 0 ? 0 : 0xffffffffu << (32 - b);
  *base = v & mask;
  *bits = (int)b;
  return true;
}

static unsigned span(int bits) { return bits == 0 ? 0xffffffffu : (1u << (32 - bits)) - 1; }

bool arm_cidr_within(const char *inner, const char *outer) {
  unsigned ib, ob;
  int ibits, obits;
  if (!arm_cidr_parse(inner, &ib, &ibits) || !arm_cidr_parse(outer, &ob, &obits)) return false;
  return ibits >= obits && ib >= ob && ib + span(ibits) <= ob + span(obits);
}

bool arm_cidr_overlap(const char *a, const char *b) {
  unsigned ab, bb;
  int abits, bbits;
  if (!arm_cidr_parse(a, &ab, &abits) || !arm_cidr_parse(b, &bb, &bbits)) return false;
  return ab <= bb + span(bbits) && bb <= ab + span(abits);
}

static void fmt_ip(unsigned v, char *out, size_t n) {
  struct in_addr a = {.s_addr = htonl(v)};
  inet_ntop(AF_INET, &a, out, (socklen_t)n);
}

static bool taken(arm_ipam *m, const char *subnet, unsigned addr) {
  for (alloc *a = m->head; a; a = a->next)
    if (a->addr == addr && strcmp(a->subnet, subnet) == 0) return true;
  return false;
}

int arm_ipam_alloc(arm_ipam *m, const char *subnet_id, const char *prefix, const char *owner_id, const char *want,
                   char *out, size_t n, arm_err *e) {
  unsigned base;
  int bits;
  if (!arm_cidr_parse(prefix, &base, &bits) || bits > 29)
    return arm_err_set(e, 400, "InvalidAddressPrefix", "Subnet address prefix '%s' is not a valid IPv4 prefix of /29 or larger.",
                       prefix ? prefix : "");
  char subnet[ARM_ID_MAX], owner[ARM_ID_MAX];
  arm_lower(subnet, subnet_id, sizeof subnet);
  arm_lower(owner, owner_id, sizeof owner);
  /* an owner keeps its address when re-PUT */
  for (alloc *a = m->head; a; a = a->next)
    if (strcmp(a->owner, owner) == 0 && strcmp(a->subnet, subnet) == 0) {
      char cur[32];
      fmt_ip(a->addr, cur, sizeof cur);
      if (!want || strcmp(want, cur) == 0) { snprintf(out, n, "%s", cur); return 0; }
      break;
    }
  unsigned first = base + 4, last = base + span(bits) - 1, pick = 0;
  if (want) {
    struct in_addr ia;
    if (inet_pton(AF_INET, want, &ia) != 1)
      return arm_err_set(e, 400, "InvalidParameter", "Private IP address '%s' is not a valid IPv4 address.", want);
    unsigned v = ntohl(ia.s_addr);
    if (v < base || v > base + span(bits))
      return arm_err_set(e, 400, "PrivateIPAddressNotInSubnet",
                         "Private static IP address %s does not belong to the range of subnet prefix %s.", want, prefix);
    if (v < first || v > last)
      return arm_err_set(e, 400, "PrivateIPAddressIsReserved", "Private static IP address %s is reserved in subnet %s.", want, prefix);
    for (alloc *a = m->head; a; a = a->next)
      if (a->addr == v && strcmp(a->subnet, subnet) == 0 && strcmp(a->owner, owner) != 0)
        return arm_err_set(e, 400, "PrivateIPAddressInUse", "IP configuration is using the private IP address %s which is already allocated to resource %s.", want, a->owner);
    pick = v;
  } else {
    for (unsigned v = first; v <= last; v++)
      if (!taken(m, subnet, v)) { pick = v; break; }
    if (!pick)
      return arm_err_set(e, 400, "SubnetIsFull", "Subnet %s with address prefix %s does not have enough capacity for 1 IP addresses.",
                         arm_id_name(subnet_id), prefix);
  }
  /* an owner has one address: drop its previous one (in any subnet) */
  for (alloc **pp = &m->head; *pp;) {
    alloc *a = *pp;
    if (strcmp(a->owner, owner) == 0) {
      *pp = a->next;
      free(a->subnet);
      free(a->owner);
      free(a);
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
  fmt_ip(pick, out, n);
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
      free(a->subnet);
      free(a->owner);
      free(a);
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

bool arm_ipam_owner_ip(arm_ipam *m, const char *owner_id, char *out, size_t n) {
  char owner[ARM_ID_MAX];
  arm_lower(owner, owner_id, sizeof owner);
  for (alloc *a = m->head; a; a = a->next)
    if (strcmp(a->owner, owner) == 0) {
      fmt_ip(a->addr, out, n);
      return true;
    }
  return false;
}

void arm_ipam_public(arm_ipam *m, char *out, size_t n) {
  /* 20.0.0.0/8 is Microsoft's; addresses are never reused within a run */
  unsigned v = (20u << 24) + 0x10000u + m->next_public++;
  if ((v & 0xff) == 0 || (v & 0xff) == 255) v = (20u << 24) + 0x10000u + m->next_public++;
  fmt_ip(v, out, n);
}
