/* test_mc_identity.c — an AzureClusterIdentity change wakes the AzureManagedControlPlanes that reference it
 * (watch AzureClusterIdentity → AMCP through spec.identityRef), through the real path (CR → host runtime →
 * managedcluster.so → SDK → emulators):
 *  - the AMCP is created before its identity: it fails with IdentityError;
 *  - the identity is created without allowedNamespaces: the AMCP fails with NamespaceNotAllowedByIdentity, a
 *    terminal failure (the key is never requeued on a timer) and no ARM request is sent;
 *  - the identity is fixed (allowedNamespaces {}): the AMCP is reconciled at once — its first ARM request within
 *    2 s — and reaches Ready. Only the identity watch can wake a terminally failed key. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capz/controller.h"
#include "capz/controller_util.h"
#include "capz/json.h"
#include "capz/kube.h"
#include "ckrun.h"
#include "e2e_env.h"
#include "e2e_util.h"

#define CL "aksid"
#define IDENTITY "cluster-identity"

static const capz_gvk GVK_IDENTITY = {"infrastructure.cluster.x-k8s.io", "v1beta1", "AzureClusterIdentity",
                                      "azureclusteridentities", true};
static const capz_gvk GVK_EVENT = {"", "v1", "Event", "events", true};

static void teardown(void) { e2e_env_stop(); }

/* Whether a Warning Event with this reason was recorded for the AMCP. */
static bool has_event(const char *reason) {
  cJSON *l = NULL;
  if (capz_kube_list(e2e_c, &GVK_EVENT, E2E_NS, NULL, &l, NULL) != 0) return false;
  bool found = false;
  const cJSON *e;
  cJSON_ArrayForEach(e, capz_json_ptr_get(l, "/items")) {
    if (!strcmp(capz_json_ptr_str(e, "/involvedObject/kind", ""), "AzureManagedControlPlane") &&
        !strcmp(capz_json_ptr_str(e, "/involvedObject/name", ""), CL) &&
        !strcmp(capz_json_ptr_str(e, "/reason", ""), reason))
      found = true;
  }
  cJSON_Delete(l);
  return found;
}

static bool wait_event(const char *reason, int64_t timeout_ms) {
  int64_t end = capz_monotonic_ms() + timeout_ms;
  while (capz_monotonic_ms() < end) {
    if (has_event(reason)) return true;
    usleep(50000);
  }
  return false;
}

START_TEST(identity_fix_wakes_amcp) {
  e2e_env_start(NULL, false, false);
  cJSON *identity = e2e_apply_aks(CL, NULL, "AzureClusterIdentity"); /* everything but the identity */
  ck_assert_ptr_nonnull(identity);
  e2e_plugin_start("10m");
  ck_assert_msg(wait_event("IdentityError", 10000), "no IdentityError while the identity is missing");

  /* the identity appears, but denies every namespace (allowedNamespaces absent): terminal */
  cJSON_DeleteItemFromObjectCaseSensitive(cJSON_GetObjectItemCaseSensitive(identity, "spec"), "allowedNamespaces");
  int64_t t_create = capz_monotonic_ms();
  e2e_create(identity);
  ck_assert_msg(wait_event("NamespaceNotAllowedByIdentity", 5000), "identity creation did not wake the AMCP");
  fprintf(stderr, "e2e(identity): created identity seen by the AMCP after %lld ms\n",
          (long long)(capz_monotonic_ms() - t_create));
  e2e_clear_requests();
  sleep(2);
  int writes = 0;
  ck_assert_int_eq(e2e_arm_requests(&writes, NULL), 0);

  /* fixed: the watch wakes the AMCP at once */
  int64_t t_fix = capz_monotonic_ms();
  e2e_merge(&GVK_IDENTITY, IDENTITY, "{\"spec\":{\"allowedNamespaces\":{}}}");
  int64_t first = -1;
  while (capz_monotonic_ms() - t_fix < 2000) {
    if (e2e_arm_requests(&writes, NULL) > 0) {
      first = capz_monotonic_ms() - t_fix;
      break;
    }
    usleep(20000);
  }
  ck_assert_msg(first >= 0, "no ARM request within 2 s of fixing the identity");
  fprintf(stderr, "e2e(identity): first ARM request %lld ms after the identity was fixed\n", (long long)first);
  ck_assert_msg(e2e_wait_true(&E2E_AMCP, CL, "/status/ready", 60000), "AzureManagedControlPlane not ready");
  fprintf(stderr, "e2e(identity): AMCP ready %lld ms after the fix\n", (long long)(capz_monotonic_ms() - t_fix));
  cJSON_Delete(identity);
}
END_TEST

int main(void) {
  Suite *s = suite_create("managedcluster_identity");
  TCase *tc = tcase_create("identity");
  tcase_add_checked_fixture(tc, NULL, teardown);
  tcase_set_timeout(tc, 90);
  tcase_add_test(tc, identity_fix_wakes_amcp);
  suite_add_tcase(s, tc);
  return ckrun(s);
}
