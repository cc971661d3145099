/* test_mc_e2e.c — the real path for AKS clusters: cluster-template-aks.yaml applied to capz-kube-sim, the
 * managedcluster plugin loaded through the real loader (testkit) and run by the host controller runtime, ARM calls
 * through the SDK to capz-arm-sim, whose kubeconfigs point at a second capz-kube-sim (the "workload cluster").
 * Checks: Ready, managedCluster + agentPools in ARM, kubeconfig Secret that reaches the workload cluster,
 * providerIDList/replicas, scaling, zero ARM requests on a pass with nothing changed, autoscaling annotation,
 * version upgrade, a preview patch in the PUT body, the last System pool kept, clean deletion; the ASO API, whose
 * control plane waits for its pools without polling. */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <unistd.h>

#include "capz/azure.h"
#include "capz/controller.h"
#include "capz/json.h"
#include "capz/kube.h"
#include "ckrun.h"
#include "e2e_env.h"
#include "e2e_util.h"

#define SUB "22222222-2222-4222-8222-222222222222"
#define NS "default"
#define CL "aks1"

static const capz_gvk AMCP = {"infrastructure.cluster.x-k8s.io", "v1beta1", "AzureManagedControlPlane",
                              "azuremanagedcontrolplanes", true};
static const capz_gvk AMC = {"infrastructure.cluster.x-k8s.io", "v1beta1", "AzureManagedCluster",
                             "azuremanagedclusters", true};
static const capz_gvk AMMP = {"infrastructure.cluster.x-k8s.io", "v1beta1", "AzureManagedMachinePool",
                              "azuremanagedmachinepools", true};
static const capz_gvk ASOCP = {"infrastructure.cluster.x-k8s.io", "v1beta1", "AzureASOManagedControlPlane",
                               "azureasomanagedcontrolplanes", true};
static const capz_gvk ASOMC = {"infrastructure.cluster.x-k8s.io", "v1beta1", "AzureASOManagedCluster",
                               "azureasomanagedclusters", true};
static const capz_gvk ASOMP = {"infrastructure.cluster.x-k8s.io", "v1beta1", "AzureASOManagedMachinePool",
                               "azureasomanagedmachinepools", true};
static const capz_gvk CLUSTER = {"cluster.x-k8s.io", "v1beta1", "Cluster", "clusters", true};
static const capz_gvk MP = {"cluster.x-k8s.io", "v1beta1", "MachinePool", "machinepools", true};
static const capz_gvk SECRET = {"", "v1", "Secret", "secrets", true};

/* ---- the environment (e2e_env.c): emulators, the plugin under the host runtime, object and ARM helpers ---- */
static void setup(void) { e2e_env_start(NULL, false, false); }
static void teardown(void) { e2e_env_stop(); }
static void start_plugin_drift(const char *drift) { e2e_plugin_start(drift); }
static void start_plugin(void) { e2e_plugin_start("10m"); }
static void stop_plugin(void) { e2e_plugin_stop(); }
static double reconciles(void) { return e2e_reconciles(); }
static void create(cJSON *obj) { e2e_create(obj); }
static cJSON *get(const capz_gvk *g, const char *name) { return e2e_get(g, name); }
static bool wait_true(const capz_gvk *g, const char *name, const char *ptr, int64_t timeout_ms) {
  return e2e_wait_true(g, name, ptr, timeout_ms);
}
static bool wait_gone(const capz_gvk *g, const char *name, int64_t timeout_ms) {
  return e2e_wait_gone(g, name, timeout_ms);
}
static cJSON *sim_resources(const char *type) { return e2e_sim_resources(type); }
static const cJSON *find_named(const cJSON *arr, const char *name) { return e2e_find_named(arr, name); }
static void clear_requests(void) { e2e_clear_requests(); }
static int arm_requests(int *writes, cJSON **log) { return e2e_arm_requests(writes, log); }
static void touch(const capz_gvk *g, const char *name, const char *value) { e2e_touch(g, name, value); }
static void merge(const capz_gvk *g, const char *name, const char *json) { e2e_merge(g, name, json); }

/* ---- objects ---- */
/* Apply cluster-template-aks.yaml, setting the ownerRefs and labels CAPI would. */
static void apply_template(void) {
  char path[1024];
  snprintf(path, sizeof path, "%s/reference/templates/cluster-template-aks.yaml", getenv("CAPZ_SHARED_DIR"));
  char *text = e2e_read_file(path);
  ck_assert_msg(text != NULL, "cannot read %s", path);
  const char *vars[] = {"CLUSTER_NAME", CL, "CLUSTER_IDENTITY_NAME", "cluster-identity", "AZURE_LOCATION", "eastus",
                        "AZURE_SUBSCRIPTION_ID", SUB, "KUBERNETES_VERSION", "v1.32.4", "AZURE_NODE_MACHINE_TYPE",
                        "Standard_D2s_v3", "AZURE_CLIENT_ID_USER_ASSIGNED_IDENTITY",
                        "33333333-3333-4333-8333-333333333333", "AZURE_TENANT_ID",
                        "11111111-1111-4111-8111-111111111111", "CLUSTER_IDENTITY_TYPE", "ServicePrincipal", NULL};
  char *y = e2e_subst(text, vars);
  free(text);
  capz_err e;
  cJSON *docs = capz_yaml_to_json(y, strlen(y), &e);
  free(y);
  ck_assert_msg(docs != NULL, "%s", e.msg);
  /* the identity's secret (the emulator's app credentials) */
  cJSON *sec = cJSON_Parse("{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"name\":\"cluster-identity-"
                           "secret\",\"namespace\":\"default\"},\"data\":{\"clientSecret\":\"Y2Fwei1zaW0tc2VjcmV0\"}}");
  ck_assert_int_eq(capz_kube_create(e2e_c, &SECRET, NS, sec, NULL, &e), 0);
  cJSON_Delete(sec);
  /* order: identity, Cluster, MachinePools, then the objects they own */
  static const char *const order[] = {"AzureClusterIdentity", "Cluster", "MachinePool", "AzureManagedControlPlane",
                                      "AzureManagedCluster", "AzureManagedMachinePool", NULL};
  for (int k = 0; order[k]; k++) {
    cJSON *d;
    cJSON_ArrayForEach(d, docs) {
      const char *kind = capz_json_ptr_str(d, "/kind", "");
      if (strcmp(kind, order[k]) != 0) continue;
      const char *name = capz_json_ptr_str(d, "/metadata/name", "");
      if (!strcmp(kind, "AzureClusterIdentity"))
        capz_json_ptr_set(d, "/spec/clientSecret",
                          cJSON_Parse("{\"name\":\"cluster-identity-secret\",\"namespace\":\"default\"}"), NULL);
      if (!strcmp(kind, "AzureManagedControlPlane") || !strcmp(kind, "AzureManagedCluster")) {
        e2e_set_owner(d, &CLUSTER, CL);
      }
      if (!strcmp(kind, "AzureManagedMachinePool")) {
        e2e_set_owner(d, &MP, name);
      }
      if (strcmp(kind, "AzureClusterIdentity") != 0)
        capz_json_ptr_set_str(d, "/metadata/labels/cluster.x-k8s.io~1cluster-name", CL, NULL);
      create(d);
    }
  }
  cJSON_Delete(docs);
}

/* ---- observations ---- */
static bool wait_int(const capz_gvk *g, const char *name, const char *ptr, int64_t want, int64_t timeout_ms) {
  int64_t until = capz_monotonic_ms() + timeout_ms;
  while (capz_monotonic_ms() < until) {
    cJSON *o = get(g, name);
    int64_t v = capz_json_ptr_int(o, ptr, -1);
    cJSON_Delete(o);
    if (v == want) return true;
    usleep(100000);
  }
  return false;
}

static int64_t pool_count(const char *pool) {
  cJSON *aps = sim_resources("Microsoft.ContainerService/managedClusters/agentPools");
  int64_t n = capz_json_ptr_int(find_named(aps, pool), "/properties/count", -1);
  cJSON_Delete(aps);
  return n;
}

static bool wait_pool_count(const char *pool, int64_t want, int64_t timeout_ms) {
  int64_t until = capz_monotonic_ms() + timeout_ms;
  while (capz_monotonic_ms() < until) {
    if (pool_count(pool) == want) return true;
    usleep(100000);
  }
  return false;
}

/* ARM requests (not token requests) logged since the last clear; writes counts PUT/PATCH/POST/DELETE. */
static bool wait_str(const capz_gvk *g, const char *name, const char *ptr, const char *want, int64_t timeout_ms) {
  int64_t until = capz_monotonic_ms() + timeout_ms;
  while (capz_monotonic_ms() < until) {
    cJSON *o = get(g, name);
    bool ok = strcmp(capz_json_ptr_str(o, ptr, ""), want) == 0;
    cJSON_Delete(o);
    if (ok) return true;
    usleep(100000);
  }
  return false;
}

static bool wait_pool_autoscale(const char *pool, int64_t timeout_ms) {
  int64_t until = capz_monotonic_ms() + timeout_ms;
  while (capz_monotonic_ms() < until) {
    cJSON *aps = sim_resources("Microsoft.ContainerService/managedClusters/agentPools");
    const cJSON *p = find_named(aps, pool);
    bool ok = capz_json_ptr_bool(p, "/properties/enableAutoScaling", false) &&
              capz_json_ptr_int(p, "/properties/maxCount", 0) == 5;
    cJSON_Delete(aps);
    if (ok) return true;
    usleep(100000);
  }
  return false;
}

static bool wait_pool_version(const char *pool, const char *want, int64_t timeout_ms) {
  int64_t until = capz_monotonic_ms() + timeout_ms;
  while (capz_monotonic_ms() < until) {
    cJSON *aps = sim_resources("Microsoft.ContainerService/managedClusters/agentPools");
    bool ok = strcmp(capz_json_ptr_str(find_named(aps, pool), "/properties/orchestratorVersion", ""), want) == 0;
    cJSON_Delete(aps);
    if (ok) return true;
    usleep(100000);
  }
  return false;
}

/* The kubeconfig Secret reaches the workload cluster: GET /version through it. */
static void check_kubeconfig(const char *owner_kind) {
  cJSON *s = get(&SECRET, CL "-kubeconfig");
  ck_assert_ptr_nonnull(s);
  ck_assert_str_eq(capz_json_ptr_str(s, "/metadata/labels/cluster.x-k8s.io~1cluster-name", ""), CL);
  ck_assert_str_eq(capz_json_ptr_str(s, "/type", ""), "cluster.x-k8s.io/secret");
  ck_assert_str_eq(capz_json_ptr_str(s, "/metadata/ownerReferences/0/kind", ""), owner_kind);
  const char *b64 = capz_json_ptr_str(s, "/data/value", "");
  ck_assert(*b64);
  /* decode */
  size_t l = strlen(b64), k = 0;
  char *txt = malloc(l + 1);
  unsigned acc = 0;
  int bits = 0;
  for (size_t i = 0; i < l && b64[i] != '='; i++) {
    const char *tbl = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const char *q = strchr(tbl, b64[i]);
    ck_assert_ptr_nonnull(q);
    acc = (acc << 6) | (unsigned)(q - tbl);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      txt[k++] = (char)((acc >> bits) & 0xff);
    }
  }
  txt[k] = '\0';
  cJSON_Delete(s);
  capz_kube_config *cfg = NULL;
  capz_err e;
  ck_assert_msg(capz_kube_config_parse(txt, k, NULL, &cfg, &e) == 0, "%s", e.msg);
  free(txt);
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

/* PUTs the emulator received for exactly this resource path suffix. */
static int puts_to(const char *suffix) {
  cJSON *log = NULL;
  arm_requests(NULL, &log);
  int n = 0;
  const cJSON *r;
  size_t sl = strlen(suffix);
  cJSON_ArrayForEach(r, capz_json_ptr_get(log, "/requests")) {
    const char *p = capz_json_ptr_str(r, "/path", "");
    const char *q = strchr(p, '?');
    size_t pl = q ? (size_t)(q - p) : strlen(p);
    if (strcmp(capz_json_ptr_str(r, "/method", ""), "PUT") == 0 && pl >= sl && strncasecmp(p + pl - sl, suffix, sl) == 0)
      n++;
  }
  if (getenv("MC_E2E_DEBUG")) {
    char *t = cJSON_PrintUnformatted(capz_json_ptr_get(log, "/byMethod"));
    fprintf(stderr, "request log: total %lld, %d kept, by method %s\n", (long long)capz_json_ptr_int(log, "/total", 0),
            cJSON_GetArraySize(capz_json_ptr_get(log, "/requests")), t);
    free(t);
  }
  cJSON_Delete(log);
  return n;
}

START_TEST(aks_lifecycle) {
  apply_template();
  clear_requests();
  start_plugin();
  int64_t t0 = capz_monotonic_ms();
  /* a restart while the managedCluster PUT runs resumes polling from the token stored in status (no second PUT) */
  ck_assert_msg(wait_str(&AMCP, CL, "/status/longRunningOperationStates/0/serviceName", "managedclusters", 20000),
                "no LRO record for the managedCluster in status");
  stop_plugin();
  start_plugin();
  ck_assert_msg(wait_true(&AMCP, CL, "/status/ready", 60000), "AzureManagedControlPlane not ready");
  ck_assert_msg(wait_true(&AMMP, CL "-pool0", "/status/ready", 30000), "pool0 not ready");
  ck_assert_msg(wait_true(&AMMP, CL "-pool1", "/status/ready", 30000), "pool1 not ready");
  ck_assert_msg(wait_true(&AMC, CL, "/status/ready", 10000), "AzureManagedCluster not ready");
  fprintf(stderr, "e2e: cluster and pools ready in %lld ms (with a restart)\n", (long long)(capz_monotonic_ms() - t0));
  ck_assert_int_eq(puts_to("/managedClusters/" CL), 1);
  cJSON *lro = get(&AMCP, CL);
  ck_assert_ptr_null(capz_json_ptr_get(lro, "/status/longRunningOperationStates"));
  cJSON_Delete(lro);

  /* contract */
  cJSON *cp = get(&AMCP, CL);
  ck_assert(capz_json_ptr_bool(cp, "/status/initialized", false));
  ck_assert_str_eq(capz_json_ptr_str(cp, "/status/version", ""), "v1.32.4");
  const char *host = capz_json_ptr_str(cp, "/spec/controlPlaneEndpoint/host", "");
  ck_assert_msg(strstr(host, ".hcp.eastus.azmk8s.io") != NULL, "endpoint %s", host);
  ck_assert_int_eq(capz_json_ptr_int(cp, "/spec/controlPlaneEndpoint/port", 0), 443);
  ck_assert_str_eq(capz_json_ptr_str(cp, "/status/conditions/0/type", ""), "Ready");
  ck_assert_str_eq(capz_json_ptr_str(cp, "/status/conditions/0/status", ""), "True");
  static const char *const conds[] = {"ManagedClusterRunning", "ResourceGroupReady", "SubnetsReady", "VNetReady", NULL};
  for (int i = 0; conds[i]; i++) {
    bool found = false;
    const cJSON *c;
    cJSON_ArrayForEach(c, capz_json_ptr_get(cp, "/status/conditions")) {
      if (!strcmp(capz_json_ptr_str(c, "/type", ""), conds[i]))
        found = !strcmp(capz_json_ptr_str(c, "/status", ""), "True");
    }
    ck_assert_msg(found, "condition %s not True", conds[i]);
  }
  cJSON *amc = get(&AMC, CL);
  ck_assert_str_eq(capz_json_ptr_str(amc, "/spec/controlPlaneEndpoint/host", ""), host);
  cJSON_Delete(amc);
  cJSON_Delete(cp);

  /* ARM side */
  cJSON *mcs = sim_resources("Microsoft.ContainerService/managedClusters");
  const cJSON *mc = find_named(mcs, CL);
  ck_assert_ptr_nonnull(mc);
  ck_assert_str_eq(capz_json_ptr_str(mc, "/properties/kubernetesVersion", ""), "1.32.4");
  ck_assert(capz_json_ptr_bool(mc, "/properties/oidcIssuerProfile/enabled", false));
  ck_assert_str_eq(capz_json_ptr_str(mc, "/properties/networkProfile/serviceCidr", ""), "192.168.0.0/16");
  ck_assert_str_eq(capz_json_ptr_str(mc, "/properties/networkProfile/dnsServiceIP", ""), "192.168.0.10");
  ck_assert_str_eq(capz_json_ptr_str(mc, "/tags/sigs.k8s.io_cluster-api-provider-azure_cluster_" CL, ""), "owned");
  cJSON_Delete(mcs);
  cJSON *aps = sim_resources("Microsoft.ContainerService/managedClusters/agentPools");
  const cJSON *p0 = find_named(aps, "pool0"), *p1 = find_named(aps, "pool1");
  ck_assert_ptr_nonnull(p0);
  ck_assert_ptr_nonnull(p1);
  ck_assert_str_eq(capz_json_ptr_str(p0, "/properties/mode", ""), "System");
  ck_assert_str_eq(capz_json_ptr_str(p1, "/properties/mode", ""), "User");
  ck_assert_int_eq(capz_json_ptr_int(p1, "/properties/count", 0), 2);
  ck_assert(strstr(capz_json_ptr_str(p1, "/properties/vnetSubnetID", ""), "/subnets/" CL) != NULL);
  cJSON_Delete(aps);

  /* MachinePool infra contract */
  cJSON *ap1 = get(&AMMP, CL "-pool1");
  ck_assert_int_eq(capz_json_ptr_int(ap1, "/status/replicas", 0), 2);
  ck_assert_int_eq(cJSON_GetArraySize(capz_json_ptr_get(ap1, "/spec/providerIDList")), 2);
  ck_assert(strncmp(capz_json_ptr_str(ap1, "/spec/providerIDList/0", ""), "azure:///subscriptions/" SUB
                    "/resourceGroups/mc_aks1_aks1_eastus/providers/Microsoft.Compute/virtualMachineScaleSets/", 100) == 0);
  cJSON_Delete(ap1);

  check_kubeconfig("AzureManagedControlPlane");

  /* scale a pool */
  merge(&MP, CL "-pool1", "{\"spec\":{\"replicas\":3}}");
  ck_assert_msg(wait_pool_count("pool1", 3, 20000), "pool1 count not 3");
  ck_assert_msg(wait_int(&AMMP, CL "-pool1", "/status/replicas", 3, 20000), "status.replicas not 3");
  ck_assert_msg(wait_true(&AMMP, CL "-pool1", "/status/ready", 20000), "pool1 not ready after scaling");

  /* a pass with nothing changed: zero ARM requests */
  sleep(1);
  clear_requests();
  double before = reconciles();
  touch(&AMCP, CL, "1");
  touch(&AMMP, CL "-pool0", "1");
  touch(&AMMP, CL "-pool1", "1");
  touch(&AMC, CL, "1");
  sleep(2);
  int writes = -1;
  cJSON *log = NULL;
  int reqs = arm_requests(&writes, &log);
  if (reqs) {
    char *s = cJSON_Print(log);
    fprintf(stderr, "unexpected ARM requests: %s\n", s);
    free(s);
  }
  cJSON_Delete(log);
  fprintf(stderr, "e2e: steady-state pass: %d ARM requests, %d writes\n", reqs, writes);
  double passes = reconciles() - before;
  fprintf(stderr, "e2e: %.0f reconciles in that pass\n", passes);
  ck_assert_msg(passes >= 4, "the touch did not trigger reconciles (%.0f)", passes);
  ck_assert_int_eq(writes, 0);
  ck_assert_int_eq(reqs, 0);

  /* autoscaling: AKS owns the count, the MachinePool is annotated and follows it */
  merge(&AMMP, CL "-pool1", "{\"spec\":{\"scaling\":{\"minSize\":1,\"maxSize\":5}}}");
  ck_assert_msg(wait_pool_autoscale("pool1", 20000), "pool1 autoscaling not enabled in ARM");
  ck_assert_msg(wait_str(&MP, CL "-pool1", "/metadata/annotations/cluster.x-k8s.io~1replicas-managed-by", "true",
                         20000), "replicas-managed-by annotation missing");
  ck_assert_msg(wait_int(&MP, CL "-pool1", "/spec/replicas", pool_count("pool1"), 10000), "replicas not synced");

  /* version upgrade (control plane first, then the pools) with a preview patch on the new api-version */
  clear_requests();
  merge(&AMCP, CL, "{\"spec\":{\"version\":\"v1.33.1\",\"enablePreviewFeatures\":true,"
                   "\"asoManagedClusterPatches\":[\"{\\\"spec\\\":{\\\"nodeProvisioningProfile\\\":{"
                   "\\\"mode\\\":\\\"Auto\\\"}}}\"]}}");
  merge(&MP, CL "-pool0", "{\"spec\":{\"template\":{\"spec\":{\"version\":\"v1.33.1\"}}}}");
  merge(&MP, CL "-pool1", "{\"spec\":{\"template\":{\"spec\":{\"version\":\"v1.33.1\"}}}}");
  ck_assert_msg(wait_str(&AMCP, CL, "/status/version", "v1.33.1", 30000), "control plane not upgraded");
  ck_assert_msg(wait_pool_version("pool0", "1.33.1", 30000), "pool0 not upgraded");
  ck_assert_msg(wait_pool_version("pool1", "1.33.1", 30000), "pool1 not upgraded");
  cJSON *rl = NULL;
  arm_requests(NULL, &rl);
  bool patched = false;
  const cJSON *r;
  cJSON_ArrayForEach(r, capz_json_ptr_get(rl, "/requests")) {
    if (strcmp(capz_json_ptr_str(r, "/method", ""), "PUT") != 0) continue;
    const char *path = capz_json_ptr_str(r, "/path", "");
    if (!strstr(path, "managedClusters/" CL) || strstr(path, "agentPools")) continue;
    const cJSON *b = capz_json_ptr_get(r, "/body");
    cJSON *bp = cJSON_IsString(b) ? cJSON_Parse(b->valuestring) : NULL;
    const cJSON *body = bp ? bp : b;
    if (!strcmp(capz_json_ptr_str(body, "/properties/nodeProvisioningProfile/mode", ""), "Auto") &&
        !strcmp(capz_json_ptr_str(body, "/properties/kubernetesVersion", ""), "1.33.1"))
      patched = true;
    cJSON_Delete(bp);
  }
  cJSON_Delete(rl);
  ck_assert_msg(patched, "no managedCluster PUT carried the preview patch and the new version");

  /* a User pool is deleted on its own; the last System pool is kept while the cluster lives */
  capz_err de;
  ck_assert_int_eq(capz_kube_delete(e2e_c, &AMMP, NS, CL "-pool1", NULL, &de), 0);
  ck_assert_msg(wait_gone(&AMMP, CL "-pool1", 20000), "pool1 not deleted");
  ck_assert_int_eq(pool_count("pool1"), -1);
  ck_assert_int_eq(capz_kube_delete(e2e_c, &AMMP, NS, CL "-pool0", NULL, &de), 0);
  sleep(2);
  cJSON *p0left = get(&AMMP, CL "-pool0");
  ck_assert_msg(p0left != NULL, "the last System pool's object went away");
  cJSON_Delete(p0left);
  ck_assert_int_eq(pool_count("pool0"), 2);

  /* delete: the Cluster goes first (pools are then just released), then the control plane deletes Azure */
  capz_err e;
  ck_assert_int_eq(capz_kube_delete(e2e_c, &CLUSTER, NS, CL, NULL, &e), 0);
  /* the Cluster's deletion wakes its pools (watch), which are then just released */
  ck_assert_int_eq(capz_kube_delete(e2e_c, &AMCP, NS, CL, NULL, &e), 0);
  ck_assert_msg(wait_gone(&AMMP, CL "-pool0", 20000), "pool0 not released");
  ck_assert_msg(wait_gone(&AMCP, CL, 40000), "control plane not deleted");
  mcs = sim_resources("Microsoft.ContainerService/managedClusters");
  ck_assert_int_eq(cJSON_GetArraySize(mcs), 0);
  cJSON_Delete(mcs);
  cJSON *rgs = sim_resources("Microsoft.Resources/resourceGroups");
  ck_assert_ptr_null(find_named(rgs, CL));
  cJSON_Delete(rgs);
  ck_assert_msg(wait_gone(&SECRET, CL "-kubeconfig", 5000), "kubeconfig secret left behind");
}
END_TEST

/* cluster-template-aks-aso.yaml with an ASO credential Secret (the emulator's app) and CAPI-style ownerRefs. The
 * documents of kind held_kind (may be NULL) are not created but returned (an array the caller deletes). */
static cJSON *apply_aso_template(const char *held_kind) {
  cJSON *held = cJSON_CreateArray();
  char path[1024];
  snprintf(path, sizeof path, "%s/reference/templates/cluster-template-aks-aso.yaml", getenv("CAPZ_SHARED_DIR"));
  char *text = e2e_read_file(path);
  ck_assert_msg(text != NULL, "cannot read %s", path);
  const char *vars[] = {"CLUSTER_NAME", CL, "ASO_CREDENTIAL_SECRET_NAME", "aso-cred", "AZURE_LOCATION", "eastus",
                        "KUBERNETES_VERSION", "v1.33.1", "AZURE_NODE_MACHINE_TYPE", "Standard_D2s_v3", NULL};
  char *y = e2e_subst(text, vars);
  free(text);
  capz_err e;
  cJSON *docs = capz_yaml_to_json(y, strlen(y), &e);
  free(y);
  ck_assert_msg(docs != NULL, "%s", e.msg);
  /* base64 of the emulator's subscription, tenant, client id and secret */
  cJSON *sec = cJSON_Parse(
      "{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"name\":\"aso-cred\",\"namespace\":\"default\"},"
      "\"data\":{\"AZURE_SUBSCRIPTION_ID\":\"MjIyMjIyMjItMjIyMi00MjIyLTgyMjItMjIyMjIyMjIyMjIy\","
      "\"AZURE_TENANT_ID\":\"MTExMTExMTEtMTExMS00MTExLTgxMTEtMTExMTExMTExMTEx\","
      "\"AZURE_CLIENT_ID\":\"MzMzMzMzMzMtMzMzMy00MzMzLTgzMzMtMzMzMzMzMzMzMzMz\","
      "\"AZURE_CLIENT_SECRET\":\"Y2Fwei1zaW0tc2VjcmV0\"}}");
  ck_assert_int_eq(capz_kube_create(e2e_c, &SECRET, NS, sec, NULL, &e), 0);
  cJSON_Delete(sec);
  static const char *const order[] = {"Cluster", "MachinePool", "AzureASOManagedControlPlane",
                                      "AzureASOManagedCluster", "AzureASOManagedMachinePool", NULL};
  for (int k = 0; order[k]; k++) {
    cJSON *d;
    cJSON_ArrayForEach(d, docs) {
      const char *kind = capz_json_ptr_str(d, "/kind", "");
      if (strcmp(kind, order[k]) != 0) continue;
      const char *name = capz_json_ptr_str(d, "/metadata/name", "");
      if (!strcmp(kind, "AzureASOManagedControlPlane") || !strcmp(kind, "AzureASOManagedCluster")) {
        e2e_set_owner(d, &CLUSTER, CL);
      }
      if (!strcmp(kind, "AzureASOManagedMachinePool")) {
        e2e_set_owner(d, &MP, name);
      }
      capz_json_ptr_set_str(d, "/metadata/labels/cluster.x-k8s.io~1cluster-name", CL, NULL);
      if (held_kind && !strcmp(kind, held_kind)) cJSON_AddItemToArray(held, cJSON_Duplicate(d, 1));
      else create(d);
    }
  }
  cJSON_Delete(docs);
  return held;
}


/* An AzureASOManagedControlPlane created before its AzureASOManagedMachinePools waits without polling (no
 * requeue_after reconciles) and the pools' creation wakes it: the managedCluster PUT goes out within ~1 s. */
START_TEST(aks_aso_control_plane_woken_by_pools) {
  cJSON *held = apply_aso_template("AzureASOManagedMachinePool");
  ck_assert_int_ge(cJSON_GetArraySize(held), 1);
  start_plugin();
  e2e_wait_finalized(&ASOCP, CL, 10000, "AzureASOManagedControlPlane");
  sleep(6); /* longer than the old 5 s poll */
  static const char *const rq_labels[] = {"=\"azureasomanagedcontrolplane\"", "result=\"requeue_after\"", NULL};
  double rq = e2e_metric("controller_runtime_reconcile_total", rq_labels);
  cJSON *log = NULL;
  arm_requests(NULL, &log);
  int puts_waiting = e2e_managed_cluster_puts(log);
  cJSON_Delete(log);
  fprintf(stderr, "aso(cp wait): %.0f requeue_after reconciles and %d managedCluster PUTs in 6 s of waiting\n", rq,
          puts_waiting);
  ck_assert_int_eq(puts_waiting, 0);
  ck_assert_int_eq((int)rq, 0);
  cJSON *d;
  int64_t t_pools = capz_monotonic_ms();
  cJSON_ArrayForEach(d, held) create(d);
  cJSON_Delete(held);
  int64_t took = e2e_wait_managed_cluster_put(t_pools, 10000, "the pools were created");
  fprintf(stderr, "aso(cp wait): managedCluster PUT %lld ms after the pools were created\n", (long long)took);
  ck_assert_int_le((int)took, 1000);
  ck_assert_msg(wait_true(&ASOCP, CL, "/status/ready", 60000), "AzureASOManagedControlPlane not ready");
}
END_TEST

START_TEST(aks_aso_api) {
  cJSON_Delete(apply_aso_template(NULL));
  start_plugin();
  ck_assert_msg(wait_true(&ASOCP, CL, "/status/ready", 60000), "AzureASOManagedControlPlane not ready");
  ck_assert_msg(wait_true(&ASOMC, CL, "/status/ready", 20000), "AzureASOManagedCluster not ready");
  ck_assert_msg(wait_true(&ASOMP, CL "-pool0", "/status/ready", 30000), "pool0 not ready");
  ck_assert_msg(wait_true(&ASOMP, CL "-pool1", "/status/ready", 30000), "pool1 not ready");
  cJSON *cp = get(&ASOCP, CL);
  ck_assert_str_eq(capz_json_ptr_str(cp, "/status/version", ""), "v1.33.1");
  const char *host = capz_json_ptr_str(cp, "/status/controlPlaneEndpoint/host", "");
  ck_assert(strstr(host, ".hcp.eastus.azmk8s.io") != NULL);
  cJSON *mc = get(&ASOMC, CL);
  ck_assert_str_eq(capz_json_ptr_str(mc, "/spec/controlPlaneEndpoint/host", ""), host);
  cJSON_Delete(mc);
  cJSON_Delete(cp);
  cJSON *mcs = sim_resources("Microsoft.ContainerService/managedClusters");
  const cJSON *m = find_named(mcs, CL);
  ck_assert_ptr_nonnull(m);
  ck_assert_str_eq(capz_json_ptr_str(m, "/properties/servicePrincipalProfile/clientId", ""), "msi");
  ck_assert_str_eq(capz_json_ptr_str(m, "/tags/sigs.k8s.io_cluster-api-provider-azure_cluster_" CL, ""), "owned");
  cJSON_Delete(mcs);
  ck_assert_int_eq(pool_count("pool0"), 2);
  ck_assert_int_eq(pool_count("pool1"), 2);
  cJSON *p1 = get(&ASOMP, CL "-pool1");
  ck_assert_int_eq(cJSON_GetArraySize(capz_json_ptr_get(p1, "/spec/providerIDList")), 2);
  ck_assert_int_eq(capz_json_ptr_int(p1, "/status/replicas", 0), 2);
  cJSON_Delete(p1);
  check_kubeconfig("AzureASOManagedControlPlane");

  /* scaling through the MachinePool, then a pass with nothing changed */
  merge(&MP, CL "-pool1", "{\"spec\":{\"replicas\":1}}");
  ck_assert_msg(wait_pool_count("pool1", 1, 20000), "pool1 not scaled");
  ck_assert_msg(wait_int(&ASOMP, CL "-pool1", "/status/replicas", 1, 20000), "status.replicas not 1");
  sleep(1);
  clear_requests();
  double before = reconciles();
  touch(&ASOCP, CL, "1");
  touch(&ASOMC, CL, "1");
  touch(&ASOMP, CL "-pool0", "1");
  touch(&ASOMP, CL "-pool1", "1");
  sleep(2);
  int writes = -1;
  int reqs = arm_requests(&writes, NULL);
  double passes = reconciles() - before;
  fprintf(stderr, "e2e(aso): steady-state pass: %d ARM requests, %d writes, %.0f reconciles\n", reqs, writes, passes);
  ck_assert(passes >= 4);
  ck_assert_int_eq(reqs, 0);

  /* deletion: Cluster gone → pools released; control plane deletes the managedCluster, the infra cluster the RG */
  capz_err e;
  ck_assert_int_eq(capz_kube_delete(e2e_c, &CLUSTER, NS, CL, NULL, &e), 0);
  ck_assert_int_eq(capz_kube_delete(e2e_c, &ASOMP, NS, CL "-pool0", NULL, &e), 0);
  ck_assert_int_eq(capz_kube_delete(e2e_c, &ASOMP, NS, CL "-pool1", NULL, &e), 0);
  ck_assert_int_eq(capz_kube_delete(e2e_c, &ASOCP, NS, CL, NULL, &e), 0);
  ck_assert_msg(wait_gone(&ASOMP, CL "-pool0", 20000), "pool0 not released");
  ck_assert_msg(wait_gone(&ASOMP, CL "-pool1", 20000), "pool1 not released");
  ck_assert_msg(wait_gone(&ASOCP, CL, 40000), "control plane not deleted");
  int drc = capz_kube_delete(e2e_c, &ASOMC, NS, CL, NULL, &e); /* may already be collected with its Cluster */
  ck_assert(drc == 0 || drc == CAPZ_ENOTFOUND);
  ck_assert_msg(wait_gone(&ASOMC, CL, 30000), "infra cluster not deleted");
  mcs = sim_resources("Microsoft.ContainerService/managedClusters");
  ck_assert_int_eq(cJSON_GetArraySize(mcs), 0);
  cJSON_Delete(mcs);
  cJSON *rgs = sim_resources("Microsoft.Resources/resourceGroups");
  ck_assert_ptr_null(find_named(rgs, CL));
  cJSON_Delete(rgs);
}
END_TEST

/* Drift: a change made behind the controller's back is undone at the next drift read (driftInterval 2s here). */
START_TEST(aks_drift_restored) {
  apply_template();
  start_plugin_drift("2s");
  ck_assert_msg(wait_true(&AMCP, CL, "/status/ready", 60000), "AzureManagedControlPlane not ready");
  /* the pools' operations done too: AKS refuses a cluster write while an agent pool operation runs */
  ck_assert_msg(wait_true(&AMMP, CL "-pool0", "/status/ready", 30000), "pool0 not ready");
  ck_assert_msg(wait_true(&AMMP, CL "-pool1", "/status/ready", 30000), "pool1 not ready");
  capz_az_cloud cloud;
  cJSON *cj = cJSON_CreateObject();
  cJSON_AddStringToObject(cj, "name", "AzurePublicCloud");
  cJSON_AddStringToObject(cj, "armEndpoint", e2e_arm.url);
  cJSON_AddStringToObject(cj, "authorityHost", e2e_arm.url);
  cJSON_AddStringToObject(cj, "tokenAudience", "https://management.azure.com/");
  capz_err e;
  ck_assert_msg(capz_az_cloud_from_json(cj, &cloud, &e) == 0, "%s", e.msg);
  cJSON_Delete(cj);
  static const unsigned char secret[] = "capz-sim-secret";
  capz_az_identity id = {.type = CAPZ_AZ_ID_SERVICE_PRINCIPAL, .tenant_id = "11111111-1111-4111-8111-111111111111",
                         .client_id = "33333333-3333-4333-8333-333333333333", .secret = secret,
                         .secret_len = sizeof secret - 1};
  capz_az_credential *cred = capz_az_credential_new(&cloud, &id, NULL, &e);
  ck_assert_msg(cred != NULL, "%s", e.msg);
  capz_arm_client_config cc = {.cloud = &cloud, .credential = cred, .poll_default_s = 0.2};
  capz_arm_client *arm = capz_arm_client_new(&cc, &e);
  ck_assert_msg(arm != NULL, "%s", e.msg);
  const char *mcid = "/subscriptions/" SUB "/resourceGroups/" CL "/providers/Microsoft.ContainerService/managedClusters/" CL;
  capz_arm_response r = {0};
  ck_assert_msg(capz_arm_get(arm, mcid, NULL, &r, &e) == 0, "%s", e.msg);
  cJSON *body = cJSON_Duplicate(r.body, 1);
  capz_arm_response_free(&r);
  capz_json_ptr_set(body, "/properties/oidcIssuerProfile/enabled", cJSON_CreateFalse(), NULL);
  cJSON_DeleteItemFromObjectCaseSensitive(cJSON_GetObjectItemCaseSensitive(body, "properties"), "agentPoolProfiles");
  /* an out-of-band writer meets AKS's one-operation-at-a-time rule like any client: retry on 409 */
  int put_rc = -1;
  for (int attempt = 0; attempt < 20 && put_rc != 0; attempt++) {
    put_rc = capz_arm_put(arm, mcid, body, NULL, 30, NULL, &e);
    if (put_rc != 0 && !strstr(e.msg, "409")) break;
    if (put_rc != 0) usleep(500000);
  }
  ck_assert_msg(put_rc == 0, "%s", e.msg);
  cJSON_Delete(body);
  int64_t t0 = capz_monotonic_ms();
  bool restored = false;
  while (!restored && capz_monotonic_ms() - t0 < 15000) {
    usleep(200000);
    cJSON *mcs = sim_resources("Microsoft.ContainerService/managedClusters");
    restored = capz_json_ptr_bool(find_named(mcs, CL), "/properties/oidcIssuerProfile/enabled", false);
    cJSON_Delete(mcs);
  }
  fprintf(stderr, "e2e(drift): out-of-band change undone after %lld ms\n", (long long)(capz_monotonic_ms() - t0));
  capz_arm_client_free(arm);
  capz_az_credential_free(cred);
  ck_assert_msg(restored, "drift not corrected");
}
END_TEST

/* ---- the same through the real daemon: build/bin/capz-host with a config file ---- */
static pid_t spawn_host(const char *cfg) {
  char exe[1024];
  snprintf(exe, sizeof exe, "%s/bin/capz-host", getenv("CAPZ_BUILD_DIR"));
  pid_t pid = fork();
  if (pid == 0) {
    execl(exe, exe, "--config", cfg, (char *)NULL);
    _exit(127);
  }
  return pid;
}

START_TEST(aks_via_capz_host) {
  char cfg[256];
  snprintf(cfg, sizeof cfg, "/tmp/mc-e2e-host-%d.yaml", (int)getpid());
  FILE *f = fopen(cfg, "w");
  ck_assert_ptr_nonnull(f);
  fprintf(f,
          "pluginDirs: [\"%s/plugins\"]\n"
          "plugins:\n  selfmanaged: {enabled: false}\n  managedcluster:\n    config:\n"
          "      pollInterval: 200ms\n"
          /* Azure endpoints through the host's azure: section (the SDK's default cloud) */
          "azure:\n  cloud: Custom\n  resourceManagerEndpoint: \"%s\"\n  authorityHost: \"%s\"\n"
          "  tokenAudience: \"https://management.azure.com/\"\n"
          "kubernetes: {server: \"%s\", qps: 500, burst: 500}\n"
          "metricsBindAddress: \"0\"\nhealthProbeBindAddress: \"0\"\ngracefulShutdownTimeout: 5s\n",
          getenv("CAPZ_BUILD_DIR"), e2e_arm.url, e2e_arm.url, e2e_kube.url);
  fclose(f);
  apply_template();
  pid_t host = spawn_host(cfg);
  ck_assert_int_gt(host, 0);
  bool ok = wait_true(&AMCP, CL, "/status/ready", 60000) && wait_true(&AMMP, CL "-pool0", "/status/ready", 30000) &&
            wait_true(&AMMP, CL "-pool1", "/status/ready", 30000) && wait_true(&AMC, CL, "/status/ready", 10000);
  if (ok) {
    check_kubeconfig("AzureManagedControlPlane");
    merge(&MP, CL "-pool1", "{\"spec\":{\"replicas\":1}}");
    ok = wait_pool_count("pool1", 1, 20000) && wait_int(&AMMP, CL "-pool1", "/status/replicas", 1, 20000);
  }
  int reqs = -1, writes = -1;
  if (ok) {
    sleep(1);
    clear_requests();
    touch(&AMCP, CL, "1");
    touch(&AMMP, CL "-pool0", "1");
    touch(&AMMP, CL "-pool1", "1");
    sleep(2);
    reqs = arm_requests(&writes, NULL);
    fprintf(stderr, "e2e(capz-host): steady-state pass: %d ARM requests, %d writes\n", reqs, writes);
  }
  kill(host, SIGTERM);
  int st = 0;
  waitpid(host, &st, 0);
  unlink(cfg);
  ck_assert_msg(ok, "cluster not ready / not scaled under capz-host");
  ck_assert_int_eq(reqs, 0);
  ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "capz-host did not exit cleanly (status %d)", st);
}
END_TEST

int main(void) {
  Suite *s = suite_create("managedcluster_e2e");
  TCase *tc = tcase_create("aks");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_set_timeout(tc, 110);
  tcase_add_test(tc, aks_lifecycle);
  tcase_add_test(tc, aks_aso_api);
  tcase_add_test(tc, aks_aso_control_plane_woken_by_pools);
  tcase_add_test(tc, aks_via_capz_host);
  tcase_add_test(tc, aks_drift_restored);
  suite_add_tcase(s, tc);
  return ckrun(s);
}
