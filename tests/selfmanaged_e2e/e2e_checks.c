/* e2e_checks.c — see e2e_checks.h. */
#include "e2e_checks.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "capz/conditions.h"
#include "capz/json.h"

void k_make_sp_identity(const char *allowed_namespaces) {
  cJSON_Delete(k_create(&GVK_SECRET,
                        "{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"name\":\"sp-secret\"},"
                        "\"data\":{\"clientSecret\":\"Y2Fwei1zaW0tc2VjcmV0\"}}"));
  cJSON_Delete(k_create(&GVK_ACI,
                        "{\"apiVersion\":\"infrastructure.cluster.x-k8s.io/v1beta1\",\"kind\":\"AzureClusterIdentity\","
                        "\"metadata\":{\"name\":\"id1\"},\"spec\":{\"type\":\"ServicePrincipal\",\"tenantID\":\"" E2E_TENANT
                        "\",\"clientID\":\"" E2E_CLIENT "\",\"clientSecret\":{\"name\":\"sp-secret\",\"namespace\":"
                        "\"default\"},\"allowedNamespaces\":%s}}",
                        allowed_namespaces));
}

bool k_is_ready(const cJSON *o, void *ud) {
  (void)ud;
  return o && capz_json_ptr_bool(o, "/status/ready", false);
}

bool k_is_gone(const cJSON *o, void *ud) {
  (void)ud;
  return o == NULL;
}

bool k_cond_reason(const cJSON *o, void *ud) {
  const char *const *want = ud; /* {type, reason} */
  const cJSON *c = o ? capz_cond_get(o, want[0]) : NULL;
  return c && !strcmp(capz_json_ptr_str(c, "/reason", ""), want[1]);
}

static void wait_for(const capz_gvk *gvk, const char *name, k_pred pred, int64_t ms, const char *what) {
  cJSON *last = NULL;
  bool ok = k_wait(gvk, name, pred, NULL, ms, &last);
  char *t = last ? cJSON_PrintUnformatted(last) : NULL;
  ck_assert_msg(ok, "%s %s not %s: %.3000s", gvk->kind, name, what, t ? t : "(absent)");
  free(t);
  cJSON_Delete(last);
}

void k_wait_ready(const capz_gvk *gvk, const char *name, int64_t ms) { wait_for(gvk, name, k_is_ready, ms, "ready"); }
void k_wait_gone(const capz_gvk *gvk, const char *name, int64_t ms) { wait_for(gvk, name, k_is_gone, ms, "deleted"); }

void k_expect_event(const char *name, const char *reason) {
  int64_t until = now_ms() + 10000;
  char *ev = NULL;
  for (;;) {
    free(ev);
    ev = k_event_reasons(name);
    if (strstr(ev, reason) || now_ms() > until) break;
    usleep(50000);
  }
  ck_assert_msg(strstr(ev, reason) != NULL, "events of %s: %s (want %s)", name, ev, reason);
  free(ev);
}

bool arm_owned_by(const cJSON *res, const char *cluster) {
  char key[160];
  snprintf(key, sizeof key, OWNED_TAG "%s", cluster);
  const cJSON *t;
  cJSON_ArrayForEach(t, cJSON_GetObjectItem(res, "tags"))
    if (!strcasecmp(t->string, key) && cJSON_IsString(t) && !strcasecmp(t->valuestring, "owned")) return true;
  return false;
}

int arm_count_owned(const char *cluster) {
  cJSON *all = arm_resources(NULL);
  int n = 0;
  const cJSON *r;
  cJSON_ArrayForEach(r, all) n += arm_owned_by(r, cluster);
  cJSON_Delete(all);
  return n;
}

cJSON *arm_expect(cJSON *all, const char *suffix) {
  cJSON *r = arm_find(all, suffix);
  ck_assert_msg(r != NULL, "missing Azure resource %s", suffix);
  return r;
}

cJSON *arm_expect_owned(cJSON *all, const char *suffix, const char *cluster) {
  cJSON *r = arm_expect(all, suffix);
  ck_assert_msg(arm_owned_by(r, cluster), "resource %s lacks the ownership tag", suffix);
  return r;
}
