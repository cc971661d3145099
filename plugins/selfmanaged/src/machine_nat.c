/* machine_nat.c — a control plane's SSH inbound NAT rule on the API server load balancer (CAPZ inboundnatrules):
 * rule "<vm>" on the LB's first frontend, TCP, backend port 22, frontend port 22 for the first machine and then the
 * first free of 2201..2219 (read from the LB's existing rules), floating IP off, idle timeout 4 minutes. Like CAPZ,
 * the rule is made for internal API server LBs too; only a public LB's rule is referenced by the NIC.
 *
 * Why the LB body and not the inboundNatRules child resource: capz-arm-sim models NAT rules only inside the LB, so
 * the rule is added by read-modify-write of the LB (PUT with the read ETag as If-Match). A process-wide lock keeps
 * two control planes reconciled at once from overwriting each other's rule; a PUT refused because another LB
 * operation runs (409/412) is retried after a requeue. The cluster's own LB row does not own inboundNatRules. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "capz/json.h"
#include "machine_run.h"

static pthread_mutex_t nat_mu = PTHREAD_MUTEX_INITIALIZER;

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

static cJSON *find_rule(cJSON *rules, const char *name) {
  cJSON *it;
  cJSON_ArrayForEach(it, rules)
    if (!strcasecmp(m_str(it, "/name"), name)) return it;
  return NULL;
}

/* CAPZ's choice: 22 when free, else the first free of 2201..2219; 0 when none is left. */
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

/* PUT the LB (the operation is not waited for: the rule is in the LB's model as soon as ARM accepts the PUT). */
static int put_lb(m_run *r, const char *id, const cJSON *body, const char *etag, double *requeue_s, capz_err *err) {
  capz_arm_req_opts o = {.if_match = *etag ? etag : NULL};
  capz_arm_op *op = NULL;
  int rc = capz_arm_begin(r->az.arm, "PUT", id, body, &o, CAPZ_ARM_FINAL_DEFAULT, &op, err);
  capz_arm_op_free(op);
  if (rc == CAPZ_ECONFLICT) { /* another operation on the LB, or it changed since we read it */
    *requeue_s = 1;
    return CAPZ_EINPROGRESS;
  }
  return rc;
}

int m_nat_ensure(m_run *r, double *requeue_s, capz_err *err) {
  char id[CAPZ_ARM_ROW_ID_MAX];
  lb_id(r, id, sizeof id);
  pthread_mutex_lock(&nat_mu);
  capz_arm_response live;
  int rc = capz_arm_get(r->az.arm, id, NULL, &live, err);
  if (rc) goto out;
  cJSON *props = cJSON_GetObjectItem(live.body, "properties");
  cJSON *rules = cJSON_GetObjectItem(props, "inboundNatRules");
  if (!cJSON_IsArray(rules)) {
    cJSON_DeleteItemFromObject(props, "inboundNatRules");
    rules = cJSON_AddArrayToObject(props, "inboundNatRules");
  }
  if (find_rule(rules, r->key->name)) goto out; /* made earlier: its port stays */
  const char *fe = m_str(props, "/frontendIPConfigurations/0/id");
  int port = free_port(rules);
  if (!*fe || !port) {
    rc = capz_err_set(err, CAPZ_EINVAL, "load balancer %s: %s", m_str(live.body, "/name"),
                      *fe ? "no free SSH frontend port (22, 2201-2219)" : "no frontend IP configuration");
    goto out;
  }
  cJSON *rule = cJSON_CreateObject();
  cJSON_AddStringToObject(rule, "name", r->key->name);
  cJSON *p = cJSON_AddObjectToObject(rule, "properties");
  cJSON_AddItemToObject(p, "frontendIPConfiguration", capz_arm_id_ref(fe));
  cJSON_AddStringToObject(p, "protocol", "Tcp");
  cJSON_AddNumberToObject(p, "frontendPort", port);
  cJSON_AddNumberToObject(p, "backendPort", 22);
  cJSON_AddBoolToObject(p, "enableFloatingIP", false);
  cJSON_AddNumberToObject(p, "idleTimeoutInMinutes", 4);
  cJSON_AddItemToArray(rules, rule);
  rc = put_lb(r, id, live.body, live.etag, requeue_s, err);
  if (!rc)
    capz_log(capz_ctx_logger(r->ctx), CAPZ_LOG_INFO, "SSH inbound NAT rule added", "rule", r->key->name, "lb",
             m_str(live.body, "/name"), NULL);
out:
  pthread_mutex_unlock(&nat_mu);
  capz_arm_response_free(&live);
  return rc;
}

int m_nat_delete(m_run *r, double *requeue_s, capz_err *err) {
  char id[CAPZ_ARM_ROW_ID_MAX];
  lb_id(r, id, sizeof id);
  pthread_mutex_lock(&nat_mu);
  capz_arm_response live;
  int rc = capz_arm_get(r->az.arm, id, NULL, &live, err);
  if (rc == CAPZ_ENOTFOUND) rc = 0; /* the LB went first (cluster delete): so did the rule */
  else if (!rc) {
    cJSON *rules = capz_json_ptr_get(live.body, "/properties/inboundNatRules");
    cJSON *rule = find_rule(rules, r->key->name);
    if (rule) {
      cJSON_Delete(cJSON_DetachItemViaPointer(rules, rule));
      rc = put_lb(r, id, live.body, live.etag, requeue_s, err);
    }
  }
  pthread_mutex_unlock(&nat_mu);
  capz_arm_response_free(&live);
  return rc;
}
