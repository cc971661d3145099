/* test_mc_features.c — issue #8's remaining contract through the real path (CR → host runtime → managedcluster.so
 * → SDK → HTTP → emulators):
 *  - aks_fleet_extensions_aad: fleet membership and two AKS extensions as rows after the managedCluster
 *    (FleetReady / AKSExtensionsReady), an AAD cluster with local accounts disabled: <cluster>-kubeconfig carries
 *    an Entra token for the AKS server app instead of the exec plugin and reaches the workload cluster,
 *    <cluster>-kubeconfig-user keeps the exec plugin, <cluster>-ca; the token is refreshed before it expires
 *    (short-lived tokens here) without an ARM request; zero ARM requests on a pass with nothing due; deletion
 *    sends each DELETE with its row's api-version (preview cluster) and in reverse order.
 *  - aks_admin_kubeconfig_refresh: kube-public/cluster-info in the workload cluster; admin credentials are re-read
 *    on the drift interval only, the Secret is rewritten only when its content changed (a tampered one is put back).
 *  - aks_clusterclass_topology: CAPZ's cluster-template-aks-clusterclass.yaml (templates defaulted and validated by
 *    the plugin's template admission functions) + a topology Cluster, and capz-c's own templates/
 *    cluster-template-aks-{clusterclass,topology}.yaml (resource group from a class patch), rendered by
 *    capz-capi-sim, reach Ready; steady state and a restart without credential re-reads.
 *  - aks_aso_aad_token: the ASO API with AAD + local accounts disabled: <cluster>-kubeconfig carries the AKS-app token
 *    from the ASO credential; deleted, it is restored at once (Secret watch of the ASO control plane). */
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
#include "mc_api.h"

#define CL "aksf"
#define AKS_APP "6dae42f8-4368-4678-94ff-3960e28e3630"

/* The default auth set-up of the emulator plus the AKS server application as a token resource, with short-lived
 * tokens so the test sees a refresh. */
static const char *AUTH_SHORT_TOKENS =
    "auth:\n  token_lifetime_seconds: 20\n  resources: [\"" AKS_APP "\"]\n"
    "  tenants: [{id: " E2E_TENANT "}]\n  subscriptions: [" E2E_SUB "]\n"
    "  apps:\n    - {client_id: " E2E_CLIENT ", object_id: 44444444-4444-4444-8444-444444444444, secret: capz-sim-secret}\n";

static void teardown(void) { e2e_env_stop(); }

/* cluster-template-aks.yaml with CAPI's ownerRefs/labels; edit(amcp) adjusts the control plane first. */
static void apply_aks(const char *cluster, void (*edit)(cJSON *amcp)) { e2e_apply_aks(cluster, edit, NULL); }

static bool cond_true(const cJSON *obj, const char *type) {
  const cJSON *c;
  cJSON_ArrayForEach(c, capz_json_ptr_get(obj, "/status/conditions"))
    if (!strcmp(capz_json_ptr_str(c, "/type", ""), type)) return !strcmp(capz_json_ptr_str(c, "/status", ""), "True");
  return false;
}

/* The kubeconfig (text) reaches the workload cluster: GET /version. */
static void reaches_workload(const char *kc) {
  capz_kube_config *cfg = NULL;
  capz_err e;
  ck_assert_msg(capz_kube_config_parse(kc, strlen(kc), NULL, &cfg, &e) == 0, "%s", e.msg);
  ck_assert_str_eq(capz_kube_config_server(cfg), e2e_wl.url);
  capz_kube_client *wc = NULL;
  ck_assert_int_eq(capz_kube_client_new(cfg, NULL, &wc, NULL), 0);
  cJSON *ver = NULL;
  ck_assert_msg(capz_kube_request(wc, "GET", "/version", NULL, NULL, &ver, &e) == 0, "%s", e.msg);
  ck_assert(*capz_json_ptr_str(ver, "/gitVersion", ""));
  cJSON_Delete(ver);
  capz_kube_client_free(wc);
  capz_kube_config_free(cfg);
}

/* The first user's token in a kubeconfig (malloc'ed) and whether any user still has an exec plugin. */
static char *kc_token(const char *kc, bool *has_exec) {
  capz_err e;
  cJSON *docs = capz_yaml_to_json(kc, strlen(kc), &e);
  ck_assert_msg(docs != NULL, "%s", e.msg);
  *has_exec = false;
  const cJSON *u;
  cJSON_ArrayForEach(u, capz_json_ptr_get(docs, "/0/users")) if (capz_json_ptr_get(u, "/user/exec")) *has_exec = true;
  char *t = strdup(capz_json_ptr_str(docs, "/0/users/0/user/token", ""));
  cJSON_Delete(docs);
  return t;
}

/* The aud claim of a JWT. */
static char *jwt_aud(const char *jwt) {
  const char *a = strchr(jwt, '.'), *b = a ? strchr(a + 1, '.') : NULL;
  ck_assert_ptr_nonnull(b);
  size_t n = (size_t)(b - a - 1);
  char *s = calloc(1, n + 4);
  for (size_t i = 0; i < n; i++) s[i] = a[1 + i] == '-' ? '+' : a[1 + i] == '_' ? '/' : a[1 + i];
  while (n % 4) s[n++] = '=';
  size_t l = 0;
  unsigned char *p = capz_b64_decode(s, &l);
  free(s);
  cJSON *j = p ? cJSON_Parse((const char *)p) : NULL;
  free(p);
  char *aud = strdup(capz_json_ptr_str(j, "/aud", ""));
  cJSON_Delete(j);
  return aud;
}

/* Requests in the log with this method whose path contains frag; the api-version of the last one into api. */
static int requests_to(const cJSON *log, const char *method, const char *frag, char *api, size_t an) {
  int n = 0;
  const cJSON *r;
  cJSON_ArrayForEach(r, capz_json_ptr_get(log, "/requests")) {
    const char *p = capz_json_ptr_str(r, "/path", "");
    if (strcmp(capz_json_ptr_str(r, "/method", ""), method) || !strstr(p, frag)) continue;
    n++;
    const char *q = strstr(p, "api-version=");
    if (api) snprintf(api, an, "%s", q ? q + 12 : "");
  }
  return n;
}

/* Index in the log of the first request with this method whose path ends with suffix (before any query). */
static int first_index(const cJSON *log, const char *method, const char *suffix) {
  int i = 0;
  const cJSON *r;
  size_t sl = strlen(suffix);
  cJSON_ArrayForEach(r, capz_json_ptr_get(log, "/requests")) {
    const char *p = capz_json_ptr_str(r, "/path", "");
    const char *q = strchr(p, '?');
    size_t pl = q ? (size_t)(q - p) : strlen(p);
    if (!strcmp(capz_json_ptr_str(r, "/method", ""), method) && pl >= sl && !strncmp(p + pl - sl, suffix, sl))
      return i;
    i++;
  }
  return -1;
}

static void edit_features(cJSON *amcp) {
  cJSON *s = cJSON_GetObjectItemCaseSensitive(amcp, "spec");
  cJSON_AddBoolToObject(s, "enablePreviewFeatures", true);
  cJSON_AddBoolToObject(s, "disableLocalAccounts", true);
  cJSON_AddItemToObject(s, "aadProfile",
                        cJSON_Parse("{\"managed\":true,\"adminGroupObjectIDs\":[\"99999999-9999-4999-8999-999999999999\"]}"));
  cJSON_AddItemToObject(s, "fleetsMember", cJSON_Parse("{\"managerName\":\"fleet1\",\"managerResourceGroup\":\"fleet-rg\"}"));
  cJSON_AddItemToObject(
      s, "extensions",
      cJSON_Parse("[{\"name\":\"flux\",\"extensionType\":\"microsoft.flux\",\"configurationSettings\":"
                  "{\"helm-controller.enabled\":\"true\"},\"scope\":{\"scopeType\":\"Cluster\",\"releaseNamespace\":"
                  "\"flux-system\"}},"
                  "{\"name\":\"dapr\",\"extensionType\":\"Microsoft.Dapr\",\"autoUpgradeMinorVersion\":false,"
                  "\"version\":\"1.12.0\",\"identity\":\"SystemAssigned\",\"plan\":{\"product\":\"dapr-prod\","
                  "\"publisher\":\"contoso\"}}]"));
}

START_TEST(aks_fleet_extensions_aad) {
  e2e_env_start(AUTH_SHORT_TOKENS, false, false);
  /* the fleet manager exists before the cluster joins it */
  e2e_arm_put("/subscriptions/" E2E_SUB "/resourceGroups/fleet-rg", "2021-04-01", "{\"location\":\"eastus\"}");
  e2e_arm_put("/subscriptions/" E2E_SUB "/resourceGroups/fleet-rg/providers/Microsoft.ContainerService/fleets/fleet1",
              "2025-03-01", "{\"location\":\"eastus\"}");
  apply_aks(CL, edit_features);
  e2e_clear_requests();
  e2e_plugin_start("10m");
  int64_t t0 = capz_monotonic_ms();
  ck_assert_msg(e2e_wait_true(&E2E_AMCP, CL, "/status/ready", 60000), "AzureManagedControlPlane not ready");
  ck_assert_msg(e2e_wait_true(&E2E_AMMP, CL "-pool0", "/status/ready", 30000), "pool0 not ready");
  ck_assert_msg(e2e_wait_true(&E2E_AMMP, CL "-pool1", "/status/ready", 30000), "pool1 not ready");
  int writes = 0;
  int create_reqs = e2e_arm_requests(&writes, NULL);
  fprintf(stderr, "e2e(features): cluster + 2 pools + fleet member + 2 extensions ready in %lld ms, %d ARM requests "
                  "(%d writes)\n", (long long)(capz_monotonic_ms() - t0), create_reqs, writes);

  /* conditions and ARM state */
  cJSON *cp = e2e_get(&E2E_AMCP, CL);
  ck_assert_msg(cond_true(cp, "FleetReady"), "FleetReady not True");
  ck_assert_msg(cond_true(cp, "AKSExtensionsReady"), "AKSExtensionsReady not True");
  ck_assert_msg(cond_true(cp, "Ready"), "Ready not True");
  ck_assert_msg(strncmp(capz_json_ptr_str(cp, "/status/oidcIssuerProfile/issuerURL", ""), "https://", 8) == 0,
                "status.oidcIssuerProfile.issuerURL not published");
  cJSON_Delete(cp);
  cJSON *members = e2e_sim_resources("Microsoft.ContainerService/fleets/members");
  const cJSON *m = e2e_find_named(members, CL); /* name defaulted from the cluster-name label */
  ck_assert_msg(m != NULL, "fleet member %s missing", CL);
  ck_assert_str_eq(capz_json_ptr_str(m, "/properties/group", ""), "default");
  ck_assert(strstr(capz_json_ptr_str(m, "/properties/clusterResourceId", ""), "/managedClusters/" CL) != NULL);
  cJSON_Delete(members);
  cJSON *exts = e2e_sim_resources("Microsoft.KubernetesConfiguration/extensions");
  const cJSON *flux = e2e_find_named(exts, "flux"), *dapr = e2e_find_named(exts, "dapr");
  ck_assert_ptr_nonnull(flux);
  ck_assert_ptr_nonnull(dapr);
  ck_assert_str_eq(capz_json_ptr_str(flux, "/properties/configurationSettings/helm-controller.enabled", ""), "true");
  ck_assert_str_eq(capz_json_ptr_str(flux, "/properties/scope/cluster/releaseNamespace", ""), "flux-system");
  ck_assert_str_eq(capz_json_ptr_str(dapr, "/properties/version", ""), "1.12.0");
  ck_assert_str_eq(capz_json_ptr_str(dapr, "/plan/name", ""), "dapr-dapr-prod"); /* defaulted <name>-<product> */
  ck_assert_str_eq(capz_json_ptr_str(dapr, "/identity/type", ""), "SystemAssigned");
  cJSON_Delete(exts);

  /* Secrets: token-injected kubeconfig, the user one with its exec plugin, the CA */
  char *kc = e2e_secret_text(CL "-kubeconfig", "value");
  ck_assert_ptr_nonnull(kc);
  bool has_exec = true;
  char *tok = kc_token(kc, &has_exec);
  ck_assert_msg(!has_exec, "exec plugin left in <cluster>-kubeconfig");
  ck_assert_msg(*tok, "no token in <cluster>-kubeconfig");
  char *aud = jwt_aud(tok);
  ck_assert_str_eq(aud, AKS_APP);
  free(aud);
  reaches_workload(kc);
  free(kc);
  char *ukc = e2e_secret_text(CL "-kubeconfig-user", "value");
  ck_assert_ptr_nonnull(ukc);
  ck_assert(strstr(ukc, "kubelogin") != NULL);
  free(ukc);
  char *key = e2e_secret_text(CL "-ca", "tls.key");
  ck_assert_ptr_nonnull(key);
  ck_assert_str_eq(key, "foo");
  free(key);
  static const char *const names[] = {CL "-kubeconfig", CL "-kubeconfig-user", CL "-ca", NULL};
  for (int i = 0; names[i]; i++) {
    cJSON *s = e2e_get(&E2E_SECRET, names[i]);
    ck_assert_str_eq(capz_json_ptr_str(s, "/metadata/labels/cluster.x-k8s.io~1cluster-name", ""), CL);
    ck_assert_str_eq(capz_json_ptr_str(s, "/metadata/ownerReferences/0/kind", ""), "AzureManagedControlPlane");
    ck_assert(capz_json_ptr_bool(s, "/metadata/ownerReferences/0/controller", false));
    cJSON_Delete(s);
  }

  /* the token (20 s here) is replaced before it expires, with one user-credentials read */
  e2e_clear_requests();
  int64_t tr = capz_monotonic_ms();
  char *tok2 = NULL;
  while (capz_monotonic_ms() - tr < 25000) {
    char *k2 = e2e_secret_text(CL "-kubeconfig", "value");
    bool ex = false;
    char *t2 = k2 ? kc_token(k2, &ex) : NULL;
    free(k2);
    if (t2 && strcmp(t2, tok) != 0) {
      tok2 = t2;
      break;
    }
    free(t2);
    usleep(200000);
  }
  ck_assert_msg(tok2 != NULL, "the injected token was not refreshed");
  fprintf(stderr, "e2e(features): token refreshed after %lld ms\n", (long long)(capz_monotonic_ms() - tr));
  free(tok2);
  free(tok);
  /* only the token was due: renewed in the stored user kubeconfig, without listing credentials (no ARM request) */
  cJSON *log = NULL;
  int treqs = e2e_arm_requests(NULL, &log);
  ck_assert_int_eq(requests_to(log, "POST", "/listClusterUserCredential", NULL, 0), 0);
  cJSON_Delete(log);
  ck_assert_int_eq(treqs, 0);
  kc = e2e_secret_text(CL "-kubeconfig", "value");
  reaches_workload(kc);
  free(kc);

  /* nothing due: a touched pass makes no ARM request */
  e2e_clear_requests();
  double before = e2e_reconciles();
  e2e_touch(&E2E_AMCP, CL, "1");
  e2e_touch(&E2E_AMMP, CL "-pool0", "1");
  e2e_touch(&E2E_AMMP, CL "-pool1", "1");
  sleep(2);
  int reqs = e2e_arm_requests(&writes, &log);
  if (reqs) {
    char *t = cJSON_Print(log);
    fprintf(stderr, "unexpected ARM requests: %s\n", t);
    free(t);
  }
  cJSON_Delete(log);
  double passes = e2e_reconciles() - before;
  fprintf(stderr, "e2e(features): steady-state pass: %d ARM requests (%d writes), %.0f reconciles\n", reqs, writes,
          passes);
  ck_assert(passes >= 3);
  ck_assert_int_eq(reqs, 0);

  /* an extension dropped from the spec is deleted from Azure (with its api-version); the other one stays */
  e2e_clear_requests();
  cJSON *cur = e2e_get(&E2E_AMCP, CL);
  cJSON *patch = cJSON_CreateObject();
  cJSON *kept = cJSON_Duplicate(capz_json_ptr_get(cur, "/spec/extensions"), 1);
  cJSON_DeleteItemFromArray(kept, 0); /* flux */
  cJSON_AddItemToObject(cJSON_AddObjectToObject(patch, "spec"), "extensions", kept);
  char *ps = cJSON_PrintUnformatted(patch);
  e2e_merge(&E2E_AMCP, CL, ps);
  free(ps);
  cJSON_Delete(patch);
  cJSON_Delete(cur);
  bool gone = false;
  for (int i = 0; i < 100 && !gone; i++) {
    usleep(200000);
    exts = e2e_sim_resources("Microsoft.KubernetesConfiguration/extensions");
    gone = !e2e_find_named(exts, "flux") && e2e_find_named(exts, "dapr");
    cJSON_Delete(exts);
  }
  ck_assert_msg(gone, "flux not deleted after its removal from the spec");
  e2e_arm_requests(NULL, &log);
  char api[64] = "";
  ck_assert_int_eq(requests_to(log, "DELETE", "/extensions/flux", api, sizeof api), 1);
  ck_assert_str_eq(api, MC_API_EXTENSIONS);
  ck_assert_int_eq(requests_to(log, "PUT", "/extensions/dapr", NULL, 0), 0);
  cJSON_Delete(log);

  /* deletion: extensions and the fleet member first, each DELETE with its row's api-version */
  e2e_clear_requests();
  capz_err e;
  ck_assert_int_eq(capz_kube_delete(e2e_c, &E2E_CLUSTER, E2E_NS, CL, NULL, &e), 0);
  ck_assert_int_eq(capz_kube_delete(e2e_c, &E2E_AMCP, E2E_NS, CL, NULL, &e), 0);
  e2e_touch(&E2E_AMMP, CL "-pool0", "2");
  e2e_touch(&E2E_AMMP, CL "-pool1", "2");
  ck_assert_msg(e2e_wait_gone(&E2E_AMCP, CL, 40000), "control plane not deleted");
  e2e_arm_requests(NULL, &log);
  ck_assert_int_ge(requests_to(log, "DELETE", "/extensions/dapr", api, sizeof api), 1);
  ck_assert_str_eq(api, MC_API_EXTENSIONS);
  ck_assert_int_ge(requests_to(log, "DELETE", "/fleets/fleet1/members/" CL, api, sizeof api), 1);
  ck_assert_str_eq(api, MC_API_FLEET);
  ck_assert_int_ge(requests_to(log, "DELETE", "/managedClusters/" CL "?", api, sizeof api), 1);
  ck_assert_str_eq(api, MC_API_PREVIEW);
  int i_flux = first_index(log, "DELETE", "/extensions/dapr"), i_mem = first_index(log, "DELETE", "/members/" CL),
      i_mc = first_index(log, "DELETE", "/managedClusters/" CL);
  ck_assert_msg(i_flux >= 0 && i_mem >= 0 && i_flux < i_mc && i_mem < i_mc,
                "extensions/fleet member not deleted before the cluster (%d %d %d)", i_flux, i_mem, i_mc);
  cJSON_Delete(log);
  cJSON *mcs = e2e_sim_resources("Microsoft.ContainerService/managedClusters");
  ck_assert_int_eq(cJSON_GetArraySize(mcs), 0);
  cJSON_Delete(mcs);
  for (int i = 0; names[i]; i++) ck_assert_msg(e2e_wait_gone(&E2E_SECRET, names[i], 5000), "%s left", names[i]);
}
END_TEST

START_TEST(aks_admin_kubeconfig_refresh) {
  e2e_env_start(NULL, false, false);
  apply_aks(CL, NULL);
  e2e_plugin_start_kc("3s", "3s"); /* the default (24h) would not refresh within the test */
  ck_assert_msg(e2e_wait_true(&E2E_AMCP, CL, "/status/ready", 60000), "AzureManagedControlPlane not ready");
  cJSON *s = e2e_get(&E2E_SECRET, CL "-kubeconfig");
  char rv[64];
  snprintf(rv, sizeof rv, "%s", capz_json_ptr_str(s, "/metadata/resourceVersion", ""));
  cJSON_Delete(s);
  ck_assert(e2e_get(&E2E_SECRET, CL "-kubeconfig-user") == NULL); /* not an AAD cluster */
  /* kube-public/cluster-info in the workload cluster: the cluster's server (its endpoint) and nothing else */
  cJSON *cp = e2e_get(&E2E_AMCP, CL);
  char server[400];
  snprintf(server, sizeof server, "https://%s:443", capz_json_ptr_str(cp, "/spec/controlPlaneEndpoint/host", ""));
  cJSON_Delete(cp);
  capz_kube_config *wcfg = NULL;
  capz_kube_client *wc = NULL;
  ck_assert_int_eq(capz_kube_config_from_url(e2e_wl.url, &wcfg, NULL), 0);
  ck_assert_int_eq(capz_kube_client_new(wcfg, NULL, &wc, NULL), 0);
  static const capz_gvk CM = {"", "v1", "ConfigMap", "configmaps", true};
  cJSON *ci = NULL;
  capz_err ce;
  ck_assert_msg(capz_kube_get(wc, &CM, "kube-public", "cluster-info", &ci, &ce) == 0, "cluster-info: %s", ce.msg);
  const char *disc = capz_json_ptr_str(ci, "/data/kubeconfig", "");
  cJSON *dj = capz_yaml_to_json(disc, strlen(disc), &ce);
  ck_assert_msg(dj != NULL, "cluster-info kubeconfig: %s", ce.msg);
  ck_assert_str_eq(capz_json_ptr_str(dj, "/0/clusters/0/cluster/server", ""), server);
  ck_assert_int_eq(cJSON_GetArraySize(capz_json_ptr_get(dj, "/0/users")), 0);
  cJSON_Delete(dj);
  cJSON_Delete(ci);
  capz_kube_client_free(wc);
  capz_kube_config_free(wcfg);
  /* over a few drift intervals: admin credentials are read again, the unchanged Secret is not rewritten */
  e2e_clear_requests();
  sleep(7);
  cJSON *log = NULL;
  e2e_arm_requests(NULL, &log);
  int reads = requests_to(log, "POST", "/listClusterAdminCredential", NULL, 0);
  cJSON_Delete(log);
  fprintf(stderr, "e2e(refresh): %d admin credential reads in 7 s with kubeconfigRefreshInterval 3s\n", reads);
  ck_assert_int_ge(reads, 1);
  ck_assert_int_le(reads, 4);
  s = e2e_get(&E2E_SECRET, CL "-kubeconfig");
  ck_assert_str_eq(capz_json_ptr_str(s, "/metadata/resourceVersion", ""), rv);
  cJSON_Delete(s);
  /* stale content is replaced at the next refresh */
  e2e_merge(&E2E_SECRET, CL "-kubeconfig", "{\"data\":{\"value\":\"c3RhbGU=\"}}");
  int64_t t0 = capz_monotonic_ms();
  bool restored = false;
  while (!restored && capz_monotonic_ms() - t0 < 10000) {
    usleep(200000);
    char *kc = e2e_secret_text(CL "-kubeconfig", "value");
    restored = kc && strstr(kc, "clusters") != NULL;
    free(kc);
  }
  ck_assert_msg(restored, "the tampered kubeconfig Secret was not rewritten");
  char *kc = e2e_secret_text(CL "-kubeconfig", "value");
  reaches_workload(kc);
  free(kc);
}
END_TEST

/* ---- the ASO API: AAD with local accounts disabled, token from the ASO credential ---- */
static const capz_gvk ASOCP = {"infrastructure.cluster.x-k8s.io", "v1beta1", "AzureASOManagedControlPlane",
                               "azureasomanagedcontrolplanes", true};

static const char *AUTH_AKS_APP =
    "auth:\n  resources: [\"" AKS_APP "\"]\n  tenants: [{id: " E2E_TENANT "}]\n  subscriptions: [" E2E_SUB "]\n"
    "  apps:\n    - {client_id: " E2E_CLIENT ", object_id: 44444444-4444-4444-8444-444444444444, secret: capz-sim-secret}\n";

START_TEST(aks_aso_aad_token) {
  e2e_env_start(AUTH_AKS_APP, false, false);
  /* the ASO credential Secret: the emulator's subscription, tenant, app and secret */
  cJSON *sec = cJSON_Parse(
      "{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"name\":\"aso-cred\",\"namespace\":\"default\"},"
      "\"data\":{\"AZURE_SUBSCRIPTION_ID\":\"MjIyMjIyMjItMjIyMi00MjIyLTgyMjItMjIyMjIyMjIyMjIy\","
      "\"AZURE_TENANT_ID\":\"MTExMTExMTEtMTExMS00MTExLTgxMTEtMTExMTExMTExMTEx\","
      "\"AZURE_CLIENT_ID\":\"MzMzMzMzMzMtMzMzMy00MzMzLTgzMzMtMzMzMzMzMzMzMzMz\","
      "\"AZURE_CLIENT_SECRET\":\"Y2Fwei1zaW0tc2VjcmV0\"}}");
  e2e_create(sec);
  cJSON_Delete(sec);
  cJSON *docs = e2e_render("cluster-template-aks-aso.yaml", CL, "");
  static const char *const order[] = {"Cluster", "MachinePool", "AzureASOManagedControlPlane",
                                      "AzureASOManagedCluster", "AzureASOManagedMachinePool", NULL};
  for (int k = 0; order[k]; k++) {
    cJSON *d;
    cJSON_ArrayForEach(d, docs) {
      const char *kind = capz_json_ptr_str(d, "/kind", "");
      if (strcmp(kind, order[k]) != 0) continue;
      const char *name = capz_json_ptr_str(d, "/metadata/name", "");
      if (!strcmp(kind, "AzureASOManagedControlPlane")) {
        cJSON *r;
        cJSON_ArrayForEach(r, capz_json_ptr_get(d, "/spec/resources")) {
          if (strcmp(capz_json_ptr_str(r, "/kind", ""), "ManagedCluster")) continue;
          capz_json_ptr_set(r, "/spec/aadProfile", cJSON_Parse("{\"managed\":true}"), NULL);
          capz_json_ptr_set(r, "/spec/disableLocalAccounts", cJSON_CreateTrue(), NULL);
        }
      }
      if (!strcmp(kind, "AzureASOManagedControlPlane") || !strcmp(kind, "AzureASOManagedCluster")) {
        e2e_set_owner(d, &E2E_CLUSTER, CL);
      }
      if (!strcmp(kind, "AzureASOManagedMachinePool")) {
        e2e_set_owner(d, &E2E_MP, name);
      }
      capz_json_ptr_set_str(d, "/metadata/labels/cluster.x-k8s.io~1cluster-name", CL, NULL);
      e2e_create(d);
    }
  }
  cJSON_Delete(docs);
  e2e_plugin_start("10m");
  ck_assert_msg(e2e_wait_true(&ASOCP, CL, "/status/ready", 60000), "AzureASOManagedControlPlane not ready");
  cJSON *mcs = e2e_sim_resources("Microsoft.ContainerService/managedClusters");
  ck_assert(capz_json_ptr_bool(e2e_find_named(mcs, CL), "/properties/disableLocalAccounts", false));
  cJSON_Delete(mcs);
  char *kc = e2e_secret_text(CL "-kubeconfig", "value");
  ck_assert_ptr_nonnull(kc);
  bool has_exec = true;
  char *tok = kc_token(kc, &has_exec);
  ck_assert_msg(!has_exec, "exec plugin left in <cluster>-kubeconfig");
  char *aud = jwt_aud(tok);
  ck_assert_str_eq(aud, AKS_APP);
  free(aud);
  free(tok);
  reaches_workload(kc);
  free(kc);
  cJSON *s = e2e_get(&E2E_SECRET, CL "-kubeconfig");
  ck_assert_str_eq(capz_json_ptr_str(s, "/metadata/ownerReferences/0/kind", ""), "AzureASOManagedControlPlane");
  cJSON_Delete(s);
  /* the ASO control plane watches its Secret too: a deleted kubeconfig is back at once, with a fresh token */
  ck_assert_int_eq(capz_kube_delete(e2e_c, &E2E_SECRET, E2E_NS, CL "-kubeconfig", NULL, NULL), 0);
  int64_t t0 = capz_monotonic_ms();
  while (!(kc = e2e_secret_text(CL "-kubeconfig", "value")) && capz_monotonic_ms() - t0 < 5000) usleep(20000);
  fprintf(stderr, "e2e(aso): deleted kubeconfig back after %lld ms\n", (long long)(capz_monotonic_ms() - t0));
  ck_assert_msg(kc != NULL && capz_monotonic_ms() - t0 <= 2500, "the ASO control plane's kubeconfig was not restored");
  reaches_workload(kc);
  free(kc);
}
END_TEST

/* ---- ClusterClass: templates through the plugin's admission functions, a topology Cluster via capz-capi-sim ---- */
static void admit_template(cJSON *d) {
  const char *kind = capz_json_ptr_str(d, "/kind", "");
  char msg[1024] = "";
  int bad = 0;
  if (!strcmp(kind, "AzureManagedControlPlaneTemplate")) {
    /* the reference template has no resourceGroupName, which the CRD requires: the user supplies it */
    if (!capz_json_ptr_get(d, "/spec/template/spec/resourceGroupName"))
      capz_json_ptr_set_str(d, "/spec/template/spec/resourceGroupName", "rg-" CL "cc", NULL);
    ck_assert_int_eq(mc_amcpt_default(d, NULL), 0);
    bad = mc_amcpt_validate(d, NULL, msg, sizeof msg);
  } else if (!strcmp(kind, "AzureManagedMachinePoolTemplate")) {
    ck_assert_int_eq(mc_ammpt_default(d, NULL), 0);
    bad = mc_ammpt_validate(d, NULL, msg, sizeof msg);
  } else if (!strcmp(kind, "AzureManagedClusterTemplate")) {
    bad = mc_amct_validate(d, NULL, msg, sizeof msg);
  }
  ck_assert_msg(bad == 0, "%s refused: %s", kind, msg);
}

/* n AzureManagedMachinePools labelled with the cluster, all with status.ready. */
static bool pools_ready(const char *cluster, int n, int64_t timeout_ms) {
  char sel[200];
  snprintf(sel, sizeof sel, "cluster.x-k8s.io/cluster-name=%s", cluster);
  capz_list_opts lo = {.label_selector = sel};
  int64_t until = capz_monotonic_ms() + timeout_ms;
  while (capz_monotonic_ms() < until) {
    cJSON *l = NULL;
    int ready = 0;
    if (capz_kube_list(e2e_c, &E2E_AMMP, E2E_NS, &lo, &l, NULL) == 0) {
      const cJSON *it;
      cJSON_ArrayForEach(it, capz_json_ptr_get(l, "/items")) ready += capz_json_ptr_bool(it, "/status/ready", false);
    }
    cJSON_Delete(l);
    if (ready == n) return true;
    usleep(100000);
  }
  return false;
}

START_TEST(aks_clusterclass_topology) {
  e2e_env_start(NULL, true, true);
  e2e_identity_secret();
  cJSON *docs = e2e_render("cluster-template-aks-clusterclass.yaml", CL "cc", "aks-cc");
  cJSON *d;
  cJSON_ArrayForEach(d, docs) {
    admit_template(d);
    e2e_create(d);
  }
  cJSON_Delete(docs);
  /* capz-c's own class and topology templates (templates/): the resource group comes from a class patch */
  char path[1024];
  snprintf(path, sizeof path, "%s/templates/cluster-template-aks-clusterclass.yaml", getenv("CAPZ_SOURCE_DIR"));
  docs = e2e_render(path, CL "cc2", "aks-c");
  cJSON_ArrayForEach(d, docs) {
    if (!strcmp(capz_json_ptr_str(d, "/kind", ""), "AzureClusterIdentity")) continue; /* the same one */
    admit_template(d);
    e2e_create(d);
  }
  cJSON_Delete(docs);
  e2e_clear_requests();
  e2e_plugin_start("10m");
  snprintf(path, sizeof path, "%s/templates/cluster-template-aks-topology.yaml", getenv("CAPZ_SOURCE_DIR"));
  docs = e2e_render(path, CL "cc2", "aks-c");
  cJSON_ArrayForEach(d, docs) e2e_create(d);
  cJSON_Delete(docs);
  cJSON *cl = cJSON_Parse("{\"apiVersion\":\"cluster.x-k8s.io/v1beta1\",\"kind\":\"Cluster\",\"metadata\":{\"name\":\""
                          CL "cc\",\"namespace\":\"default\"},\"spec\":{\"clusterNetwork\":{\"pods\":{\"cidrBlocks\":"
                          "[\"192.168.0.0/16\"]}},\"topology\":{\"class\":\"aks-cc\",\"version\":\"v1.33.1\","
                          "\"workers\":{\"machinePools\":[{\"class\":\"default-system\",\"name\":\"mp-0\",\"replicas\":1},"
                          "{\"class\":\"default-worker\",\"name\":\"mp-1\",\"replicas\":2}]}}}}");
  e2e_create(cl);
  cJSON_Delete(cl);
  int64_t t0 = capz_monotonic_ms();
  ck_assert_msg(e2e_wait_true(&E2E_CLUSTER, CL "cc", "/status/controlPlaneReady", 90000), "control plane not ready");
  ck_assert_msg(e2e_wait_true(&E2E_CLUSTER, CL "cc", "/status/infrastructureReady", 20000),
                "infrastructure not ready");
  cJSON *c = e2e_get(&E2E_CLUSTER, CL "cc");
  ck_assert_msg(cond_true(c, "Ready"), "Cluster not Ready");
  char amcp[256];
  snprintf(amcp, sizeof amcp, "%s", capz_json_ptr_str(c, "/spec/controlPlaneRef/name", ""));
  cJSON_Delete(c);
  /* the generated pools (found through their Clusters' label) converge too */
  ck_assert_msg(pools_ready(CL "cc", 2, 60000), "the pools of %s are not ready", CL "cc");
  /* the second cluster, from templates/: its own resource group (the class patch), its pools */
  ck_assert_msg(e2e_wait_true(&E2E_CLUSTER, CL "cc2", "/status/controlPlaneReady", 30000), "cluster 2 not ready");
  cJSON *c2 = e2e_get(&E2E_CLUSTER, CL "cc2");
  ck_assert_msg(cond_true(c2, "Ready"), "cluster 2 not Ready");
  char amcp2[256];
  snprintf(amcp2, sizeof amcp2, "%s", capz_json_ptr_str(c2, "/spec/controlPlaneRef/name", ""));
  cJSON_Delete(c2);
  cJSON *cp2 = e2e_get(&E2E_AMCP, amcp2);
  ck_assert_str_eq(capz_json_ptr_str(cp2, "/spec/resourceGroupName", ""), CL "cc2");
  cJSON_Delete(cp2);
  cJSON *aps2 = NULL;
  for (int i = 0; i < 100; i++) {
    aps2 = e2e_sim_resources("Microsoft.ContainerService/managedClusters/agentPools");
    if (e2e_find_named(aps2, "user") && e2e_find_named(aps2, "system")) break;
    cJSON_Delete(aps2);
    aps2 = NULL;
    usleep(100000);
  }
  ck_assert_msg(aps2 != NULL, "pools of cluster 2 missing");
  ck_assert_msg(pools_ready(CL "cc2", 2, 30000), "the pools of %s are not ready", CL "cc2");
  int writes = 0;
  cJSON *clog = NULL;
  int reqs = e2e_arm_requests(&writes, &clog);
  char *bm = cJSON_PrintUnformatted(capz_json_ptr_get(clog, "/byMethod"));
  char *bt = cJSON_PrintUnformatted(capz_json_ptr_get(clog, "/byType"));
  fprintf(stderr, "e2e(topology): two topology clusters (2 pools each) Ready in %lld ms: %d ARM requests (%d writes); "
                  "by method %s; by type %s\n", (long long)(capz_monotonic_ms() - t0), reqs, writes, bm, bt);
  free(bm);
  free(bt);
  cJSON_Delete(clog);
  ck_assert(strstr(capz_json_ptr_str(e2e_find_named(aps2, "user"), "/id", ""), "/resourceGroups/" CL "cc2/") != NULL);
  ck_assert_int_eq(capz_json_ptr_int(e2e_find_named(aps2, "user"), "/properties/count", -1), 2);
  cJSON_Delete(aps2);
  cJSON *cp = e2e_get(&E2E_AMCP, amcp);
  ck_assert_str_eq(capz_json_ptr_str(cp, "/status/version", ""), "v1.33.1");
  ck_assert_str_eq(capz_json_ptr_str(cp, "/spec/resourceGroupName", ""), "rg-" CL "cc");
  cJSON_Delete(cp);
  /* the pools of both classes in ARM, the generated cluster in its resource group */
  cJSON *mcs = e2e_sim_resources("Microsoft.ContainerService/managedClusters");
  const cJSON *mc = e2e_find_named(mcs, amcp);
  ck_assert_msg(mc != NULL, "managedCluster %s missing", amcp);
  ck_assert(strstr(capz_json_ptr_str(mc, "/id", ""), "/resourceGroups/rg-" CL "cc/") != NULL);
  cJSON_Delete(mcs);
  cJSON *aps = e2e_sim_resources("Microsoft.ContainerService/managedClusters/agentPools");
  ck_assert_int_eq(capz_json_ptr_int(e2e_find_named(aps, "pool0"), "/properties/count", -1), 1);
  ck_assert_int_eq(capz_json_ptr_int(e2e_find_named(aps, "pool1"), "/properties/count", -1), 2);
  cJSON_Delete(aps);
  char *kc = e2e_secret_text(CL "cc-kubeconfig", "value");
  ck_assert_ptr_nonnull(kc);
  reaches_workload(kc);
  free(kc);
  /* steady state */
  sleep(1);
  e2e_clear_requests();
  e2e_touch(&E2E_AMCP, amcp, "1");
  sleep(2);
  cJSON *log = NULL;
  reqs = e2e_arm_requests(NULL, &log);
  if (reqs) {
    char *t = cJSON_Print(capz_json_ptr_get(log, "/requests"));
    fprintf(stderr, "unexpected ARM requests: %s\n", t);
    free(t);
  }
  cJSON_Delete(log);
  ck_assert_int_eq(reqs, 0);
  /* a restarted plugin re-reads each resource once, but not the credentials: the Secrets say when they are due */
  e2e_plugin_stop();
  e2e_clear_requests();
  e2e_plugin_start("10m");
  ck_assert_msg(e2e_wait_true(&E2E_AMCP, amcp, "/status/ready", 10000), "not ready after the restart");
  sleep(3);
  int w = -1;
  reqs = e2e_arm_requests(&w, &log);
  fprintf(stderr, "e2e(topology): after a restart: %d ARM requests, %d writes\n", reqs, w);
  ck_assert_int_eq(requests_to(log, "POST", "/listClusterAdminCredential", NULL, 0), 0);
  cJSON_Delete(log);
  ck_assert_int_eq(w, 0);
}
END_TEST

int main(void) {
  Suite *s = suite_create("managedcluster_features");
  /* one case per test, so CK_RUN_CASE=<name> runs one of them */
  const ckrun_case cases[] = {{"fleet_extensions_aad", aks_fleet_extensions_aad},
                              {"admin_refresh", aks_admin_kubeconfig_refresh},
                              {"aso_aad_token", aks_aso_aad_token},
                              {"topology", aks_clusterclass_topology}};
  ckrun_add_cases(s, cases, sizeof cases / sizeof cases[0], NULL, teardown, 110);
  return ckrun(s);
}
