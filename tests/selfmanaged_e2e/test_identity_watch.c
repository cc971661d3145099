/* test_identity_watch.c — an AzureCluster created before its AzureClusterIdentity fails (InvalidIdentity, a terminal
 * failure: the key is not requeued on a timer) without touching Azure; creating the identity wakes it through the
 * AzureClusterIdentity → AzureCluster watch (spec.identityRef): its first ARM write within 2 s, then Ready.
 * An identity whose Secret is missing (not watched: identity Secrets carry no label) is retried with backoff, so a
 * Secret created later is picked up without touching the cluster or the identity. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capz/conditions.h"
#include "capz/json.h"
#include "e2e_checks.h"
#include "e2e_env.h"

static void setup(void) { env_start(); }
static void teardown(void) { env_stop(); }

static int arm_writes(void) {
  cJSON *log = arm_requests();
  int n = arm_count(log, NULL) - arm_count(log, "GET");
  cJSON_Delete(log);
  return n;
}

START_TEST(identity_created_after_cluster) {
  cJSON *c = k_create(&GVK_CLUSTER,
                      "{\"apiVersion\":\"cluster.x-k8s.io/v1beta2\",\"kind\":\"Cluster\",\"metadata\":{\"name\":\"late\"},"
                      "\"spec\":{\"clusterNetwork\":{\"pods\":{\"cidrBlocks\":[\"192.168.0.0/16\"]}},"
                      "\"infrastructureRef\":{\"apiGroup\":\"infrastructure.cluster.x-k8s.io\",\"kind\":\"AzureCluster\","
                      "\"name\":\"late\"}}}");
  const char *uid = capz_json_ptr_str(c, "/metadata/uid", "");
  cJSON_Delete(k_create(&GVK_AC,
                        "{\"apiVersion\":\"infrastructure.cluster.x-k8s.io/v1beta1\",\"kind\":\"AzureCluster\","
                        "\"metadata\":{\"name\":\"late\",\"ownerReferences\":[{\"apiVersion\":\"cluster.x-k8s.io/v1beta2\","
                        "\"kind\":\"Cluster\",\"name\":\"late\",\"uid\":\"%s\",\"controller\":true}]},"
                        "\"spec\":{\"location\":\"eastus\",\"subscriptionID\":\"" E2E_SUB "\",\"resourceGroup\":\"late-rg\","
                        "\"identityRef\":{\"apiVersion\":\"infrastructure.cluster.x-k8s.io/v1beta1\",\"kind\":"
                        "\"AzureClusterIdentity\",\"name\":\"late-id\",\"namespace\":\"default\"},"
                        "\"networkSpec\":{\"vnet\":{\"name\":\"late-vnet\"}}}}",
                        uid));
  cJSON_Delete(c);
  const char *want[] = {"NetworkInfrastructureReady", "InvalidIdentity"};
  ck_assert_msg(k_wait(&GVK_AC, "late", k_cond_reason, (void *)want, 20000, NULL), "no InvalidIdentity condition");
  /* terminal: nothing sent to Azure, and nothing happens on its own */
  sleep(2);
  ck_assert_int_eq(arm_writes(), 0);

  arm_clear_requests();
  int64_t t0 = now_ms();
  cJSON_Delete(k_create(&GVK_SECRET,
                        "{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"name\":\"late-secret\"},"
                        "\"data\":{\"clientSecret\":\"Y2Fwei1zaW0tc2VjcmV0\"}}"));
  cJSON_Delete(k_create(&GVK_ACI,
                        "{\"apiVersion\":\"infrastructure.cluster.x-k8s.io/v1beta1\",\"kind\":\"AzureClusterIdentity\","
                        "\"metadata\":{\"name\":\"late-id\"},\"spec\":{\"type\":\"ServicePrincipal\",\"tenantID\":\""
                        E2E_TENANT "\",\"clientID\":\"" E2E_CLIENT "\",\"clientSecret\":{\"name\":\"late-secret\","
                        "\"namespace\":\"default\"},\"allowedNamespaces\":{}}}"));
  int64_t first = -1;
  while (now_ms() - t0 < 2000) {
    if (arm_writes() > 0) {
      first = now_ms() - t0;
      break;
    }
    usleep(20000);
  }
  ck_assert_msg(first >= 0, "no ARM write within 2 s of creating the identity");
  fprintf(stderr, "e2e(identity watch): first ARM write %lld ms after the identity was created\n", (long long)first);
  cJSON *last = NULL;
  bool ok = k_wait(&GVK_AC, "late", k_is_ready, NULL, 60000, &last);
  char *st = last ? cJSON_PrintUnformatted(capz_json_ptr_get(last, "/status")) : NULL;
  ck_assert_msg(ok, "AzureCluster not ready; status: %s", st ? st : "(absent)");
  free(st);
  cJSON_Delete(last);
  fprintf(stderr, "e2e(identity watch): AzureCluster ready %lld ms after the identity was created\n",
          (long long)(now_ms() - t0));
}
END_TEST

static void make_cluster(const char *name, const char *identity) {
  cJSON *c = k_create(&GVK_CLUSTER,
                      "{\"apiVersion\":\"cluster.x-k8s.io/v1beta2\",\"kind\":\"Cluster\",\"metadata\":{\"name\":"
                      "\"%s\"},\"spec\":{\"clusterNetwork\":{\"pods\":{\"cidrBlocks\":[\"192.168.0.0/16\"]}},"
                      "\"infrastructureRef\":{\"apiGroup\":\"infrastructure.cluster.x-k8s.io\",\"kind\":"
                      "\"AzureCluster\",\"name\":\"%s\"}}}",
                      name, name);
  const char *uid = capz_json_ptr_str(c, "/metadata/uid", "");
  cJSON_Delete(k_create(&GVK_AC,
                        "{\"apiVersion\":\"infrastructure.cluster.x-k8s.io/v1beta1\",\"kind\":\"AzureCluster\","
                        "\"metadata\":{\"name\":\"%s\",\"ownerReferences\":[{\"apiVersion\":"
                        "\"cluster.x-k8s.io/v1beta2\",\"kind\":\"Cluster\",\"name\":\"%s\",\"uid\":\"%s\","
                        "\"controller\":true}]},\"spec\":{\"location\":\"eastus\",\"subscriptionID\":\"" E2E_SUB
                        "\",\"resourceGroup\":\"%s-rg\",\"identityRef\":{\"apiVersion\":"
                        "\"infrastructure.cluster.x-k8s.io/v1beta1\",\"kind\":\"AzureClusterIdentity\",\"name\":"
                        "\"%s\",\"namespace\":\"default\"},\"networkSpec\":{\"vnet\":{\"name\":\"%s-vnet\"}}}}",
                        name, name, uid, name, identity, name));
  cJSON_Delete(c);
}

START_TEST(identity_secret_created_later) {
  cJSON_Delete(k_create(&GVK_ACI,
                        "{\"apiVersion\":\"infrastructure.cluster.x-k8s.io/v1beta1\",\"kind\":\"AzureClusterIdentity\","
                        "\"metadata\":{\"name\":\"nosecret-id\"},\"spec\":{\"type\":\"ServicePrincipal\","
                        "\"tenantID\":\"" E2E_TENANT "\",\"clientID\":\"" E2E_CLIENT "\",\"clientSecret\":{\"name\":"
                        "\"later-secret\",\"namespace\":\"default\"},\"allowedNamespaces\":{}}}"));
  make_cluster("nosec", "nosecret-id");
  const char *want[] = {"NetworkInfrastructureReady", "InvalidIdentity"};
  ck_assert_msg(k_wait(&GVK_AC, "nosec", k_cond_reason, (void *)want, 20000, NULL), "no InvalidIdentity condition");
  ck_assert_int_eq(arm_writes(), 0);
  int64_t t0 = now_ms();
  cJSON_Delete(k_create(&GVK_SECRET,
                        "{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"name\":\"later-secret\"},"
                        "\"data\":{\"clientSecret\":\"Y2Fwei1zaW0tc2VjcmV0\"}}"));
  ck_assert_msg(k_wait(&GVK_AC, "nosec", k_is_ready, NULL, 60000, NULL), "AzureCluster not ready after its Secret came");
  fprintf(stderr, "e2e(identity watch): AzureCluster ready %lld ms after its identity's Secret was created\n",
          (long long)(now_ms() - t0));
}
END_TEST

int main(void) {
  Suite *s = suite_create("selfmanaged_identity_watch");
  TCase *tc = tcase_create("identity_watch");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_set_timeout(tc, 90);
  tcase_add_test(tc, identity_created_after_cluster);
  tcase_add_test(tc, identity_secret_created_later);
  suite_add_tcase(s, tc);
  return ckrun(s);
}
