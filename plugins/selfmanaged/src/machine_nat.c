/* machine_nat.c — a control plane's SSH inbound NAT rule on the API server load balancer (CAPZ inboundnatrules):
 * the child resource .../loadBalancers/<lb>/inboundNatRules/<vm> on the LB's first frontend, TCP, backend port 22,
 * frontend port 22 for the first machine and then the first free of 2201..2219 (among the LB's existing rules),
 * floating IP off, idle timeout 4 minutes. Like CAPZ, the rule is made for internal API server LBs too; only a
 * public LB's rule is referenced by the NIC.
 *
 * The rule is a row of the machine's table, before the NIC (created before the NIC refers to it), ensured by the
 * table walks like every other resource; it is deleted by m_nat_delete once the delete walk took the NIC away
 * (without waiting for ARM to finish: the walk is re-run on every pass and would only re-send the others). The
 * row owns everything but the frontend port: the port is chosen once, from a read of the LB, and afterwards the
 * live rule's port is kept (keep_live), so an update never moves a rule to another port. The ports of confirmed
 * rules are remembered in-process for a while, so a steady reconcile builds the same row without reading the LB;
 * when the port is not known the row is built without it and m_nat_ensure (before the create walk) reports why.
 * Two machines choosing the same free port at once: ARM refuses the second PUT (same frontend and port), the
 * walk fails, and the retry reads the LB again and takes the next port. */
#include <ctype.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "capz/json.h"
#include "machine_run.h"

#define NAT_SERVICE "inboundnatrules"
/* a remembered port is trusted this long; then the LB is read again (a rule removed behind our back and its port
 * taken by another machine is noticed within this time) */
#define NAT_PORT_TTL_S 600.0
#define NAT_PORT_SLOTS 1024

static const char *const OWN_NAT[] = {"/properties/frontendIPConfiguration", "/properties/protocol",
                                      "/properties/backendPort", "/properties/enableFloatingIP",
                                      "/properties/idleTimeoutInMinutes", NULL};
static const char *const KEEP_NAT[] = {"/properties/frontendPort", NULL};

/* ---- ports of confirmed rules, process-wide: a direct-mapped table keyed by a 64-bit hash of the case-folded
 * rule ID (no allocation; a collision only costs a read of the LB) ---- */
typedef struct nat_port {
  uint64_t h; /* 0 = empty */
  int port;
  double at;
} nat_port;

static pthread_mutex_t ports_mu = PTHREAD_MUTEX_INITIALIZER;
static nat_port ports[NAT_PORT_SLOTS];

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t id_hash(const char *id) {
  uint64_t h = 1469598103934665603ull;
  for (; *id; id++) h = (h ^ (uint64_t)(unsigned char)tolower((unsigned char)*id)) * 1099511628211ull;
  return h ? h : 1;
}

static int port_get(const char *id) {
  uint64_t h = id_hash(id);
  pthread_mutex_lock(&ports_mu);
  nat_port *p = &ports[h % NAT_PORT_SLOTS];
  int port = p->h == h && now_s() - p->at < NAT_PORT_TTL_S ? p->port : 0;
  pthread_mutex_unlock(&ports_mu);
  return port;
}

static void port_set(const char *id, int port) { /* port 0 forgets */
  uint64_t h = id_hash(id);
  pthread_mutex_lock(&ports_mu);
  nat_port *p = &ports[h % NAT_PORT_SLOTS];
  if (port) *p = (nat_port){.h = h, .port = port, .at = now_s()};
  else if (p->h == h) *p = (nat_port){0};
  pthread_mutex_unlock(&ports_mu);
}

/* ---- the rule ---- */

bool m_nat_wanted(m_run *r) {
  return r->control_plane && *m_str(r->acd, "/spec/networkSpec/apiServerLB/name") &&
         capz_json_ptr_bool(r->acd, "/spec/controlPlaneEnabled", true);
}

bool m_nat_on_nic(m_run *r) {
  return m_nat_wanted(r) && strcasecmp(m_str(r->acd, "/spec/networkSpec/apiServerLB/type"), "Internal") != 0;
}

static void lb_id(m_run *r, char *out, size_t n) {
  capz_arm_res_id(out, n, r->az.subscription, r->rg, "Microsoft.Network/loadBalancers",
                  m_str(r->acd, "/spec/networkSpec/apiServerLB/name"));
}

void m_nat_rule_id(m_run *r, char *out, size_t n) {
  char lb[CAPZ_ARM_ROW_ID_MAX];
  lb_id(r, lb, sizeof lb);
  capz_fmt(out, n, "%s/inboundNatRules/%s", lb, r->key->name);
}

/* CAPZ's choice among the LB's rules: 22 when free, else the first free of 2201..2219; 0 when none is left. */
static int free_port(const cJSON *rules) {
  bool used22 = false, used[20] = {false};
  const cJSON *it;
  cJSON_ArrayForEach(it, rules) {
    long p = (long)capz_json_ptr_int(it, "/properties/frontendPort", 0);
    if (p == 22) used22 = true;
    else if (p >= 2201 && p < 2220) used[p - 2200] = true;
  }
  if (!used22) return 22;
  for (int i = 1; i < 20; i++)
    if (!used[i]) return 2200 + i;
  return 0;
}

/* The rule's port from a read of the LB: its own when it exists (remembered), else the first free one.
 * 0 with *port set, or an error (read failed, no free port). */
static int read_port(m_run *r, const char *rule_id, int *port, capz_err *err) {
  char id[CAPZ_ARM_ROW_ID_MAX];
  lb_id(r, id, sizeof id);
  capz_arm_response live;
  int rc = capz_arm_get(r->az.arm, id, NULL, &live, err);
  if (rc) {
    capz_arm_response_free(&live);
    return rc;
  }
  const cJSON *rules = capz_json_ptr_get(live.body, "/properties/inboundNatRules"), *it;
  *port = 0;
  cJSON_ArrayForEach(it, rules)
    if (!strcasecmp(m_str(it, "/name"), r->key->name)) *port = (int)capz_json_ptr_int(it, "/properties/frontendPort", 0);
  if (*port) port_set(rule_id, *port);
  else if (!(*port = free_port(rules)))
    rc = capz_err_set(err, CAPZ_EINVAL, "load balancer %s: no free SSH frontend port (22, 2201-2219)",
                      m_str(live.body, "/name"));
  capz_arm_response_free(&live);
  return rc;
}

int m_nat_row(m_run *r, capz_err *err) {
  if (!m_nat_wanted(r)) return 0;
  char id[CAPZ_ARM_ROW_ID_MAX], lb[CAPZ_ARM_ROW_ID_MAX], fe[CAPZ_ARM_ROW_ID_MAX + 200];
  m_nat_rule_id(r, id, sizeof id);
  lb_id(r, lb, sizeof lb);
  const char *fe_name = m_str(r->acd, "/spec/networkSpec/apiServerLB/frontendIPs/0/name");
  capz_fmt(fe, sizeof fe, "%s/frontendIPConfigurations/%s", lb, fe_name);
  cJSON *d = cJSON_CreateObject();
  cJSON *p = cJSON_AddObjectToObject(d, "properties");
  cJSON_AddItemToObject(p, "frontendIPConfiguration", capz_arm_id_ref(fe));
  cJSON_AddStringToObject(p, "protocol", "Tcp");
  cJSON_AddNumberToObject(p, "backendPort", 22);
  cJSON_AddBoolToObject(p, "enableFloatingIP", false);
  cJSON_AddNumberToObject(p, "idleTimeoutInMinutes", 4);
  if (!r->deleting) { /* a delete needs no port; a failed read leaves it out (m_nat_ensure reports it) */
    int port = port_get(id);
    capz_err ignore;
    if (port || read_port(r, id, &port, &ignore) == 0) cJSON_AddNumberToObject(p, "frontendPort", port);
  }
  capz_arm_row *row = capz_arm_table_add(&r->t, NAT_SERVICE, "InboundNATRulesReady", id, d, OWN_NAT, NULL);
  if (!row || capz_arm_row_set_keep_live(row, KEEP_NAT)) return capz_err_set(err, CAPZ_ENOMEM, "out of memory");
  row->ownership = false; /* child resources carry no tags (CAPZ's ownership tag cannot be on them) */
  row->no_delete = true;  /* m_nat_delete, after the walk took the NIC away */
  return 0;
}

static capz_arm_row *nat_row(m_run *r) { return capz_arm_table_find(&r->t, NAT_SERVICE, NULL); }

int m_nat_ensure(m_run *r, double *requeue_s, capz_err *err) {
  (void)requeue_s;
  capz_arm_row *row = nat_row(r);
  if (!row) return 0;
  /* walked already (VM exists): remember the port the rule has */
  long live_port = (long)capz_json_ptr_int(row->live, "/properties/frontendPort", 0);
  if (live_port > 0 && (row->outcome == CAPZ_ENSURE_UNCHANGED || row->outcome == CAPZ_ENSURE_UPDATED ||
                        row->outcome == CAPZ_ENSURE_CREATED)) {
    port_set(row->id, (int)live_port);
    return 0;
  }
  /* before the create walk: the row needs a frontend and its port (the build's read of the LB failed or found
   * none free) */
  if (!*m_str(r->acd, "/spec/networkSpec/apiServerLB/frontendIPs/0/name"))
    return capz_err_set(err, CAPZ_EINVAL, "load balancer %s: no frontend IP configuration",
                        m_str(r->acd, "/spec/networkSpec/apiServerLB/name"));
  if (capz_json_ptr_get(row->desired, "/properties/frontendPort")) return 0;
  int port = 0;
  int rc = read_port(r, row->id, &port, err);
  if (rc) return rc;
  return capz_json_ptr_set(row->desired, "/properties/frontendPort", cJSON_CreateNumber(port), err);
}

int m_nat_delete(m_run *r, double *requeue_s, capz_err *err) {
  char id[CAPZ_ARM_ROW_ID_MAX];
  m_nat_rule_id(r, id, sizeof id);
  capz_arm_ensure_result res;
  int rc = capz_arm_ensure_delete(r->s->ensurer, r->az.arm, id, NULL, NULL, &res, err);
  bool accepted = rc == 0 && res.outcome == CAPZ_ENSURE_IN_PROGRESS;
  capz_arm_ensure_result_free(&res);
  if (rc == CAPZ_ECONFLICT) { /* another operation on the LB (NRP serialises its children): again shortly */
    *requeue_s = 1;
    return CAPZ_EINPROGRESS;
  }
  if (rc) return rc;
  /* accepted: nothing refers to the rule any more (the NIC went first), so the DELETE cannot fail on its account;
   * the machine does not wait for ARM to finish it (another pass of the delete walk would only re-send the others) */
  if (accepted) capz_arm_ensurer_forget(r->s->ensurer, id);
  port_set(id, 0);
  return 0;
}
