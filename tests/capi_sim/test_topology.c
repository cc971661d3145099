/* test_topology.c — managed topologies in capz-capi-sim: CAPZ's ClusterClass reference templates (and a Cluster
 * from cluster-template-topology.yaml) applied to capz-kube-sim with only capz-capi-sim running; the generated
 * objects, their specs, labels and owners, the class patches' results, variables, upgrades and scaling. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capi_env.h"
#include "capz/conditions.h"
#include "capz/json.h"

#define OWNED "topology.cluster.x-k8s.io/owned"

/* text with the first `from` replaced by `to` (malloc'ed). */
static char *replace(const char *text, const char *from, const char *to) {
  const char *p = strstr(text, from);
  ck_assert_msg(p != NULL, "%s not in text", from);
  size_t n = strlen(text) - strlen(from) + strlen(to) + 1;
  char *out = malloc(n);
  snprintf(out, n, "%.*s%s%s", (int)(p - text), text, to, p + strlen(from));
  return out;
}

static void apply_template(const char *file, const char *ns, const char *name, const char *cls, const char *version) {
  const char *vars[] = {"CLUSTER_NAME",
                        name,
                        "CLUSTER_CLASS_NAME",
                        cls,
                        "CLUSTER_IDENTITY_NAME",
                        "identity",
                        "AZURE_LOCATION",
                        "eastus",
                        "AZURE_SUBSCRIPTION_ID",
                        "00000000-0000-0000-0000-000000000001",
                        "KUBERNETES_VERSION",
                        version,
                        "AZURE_CONTROL_PLANE_MACHINE_TYPE",
                        "Standard_D2s_v3",
                        "AZURE_NODE_MACHINE_TYPE",
                        "Standard_D4s_v3",
                        "AZURE_CLIENT_ID_USER_ASSIGNED_IDENTITY",
                        "client",
                        "AZURE_TENANT_ID",
                        "tenant",
                        "CONTROL_PLANE_MACHINE_COUNT",
                        "3",
                        "WORKER_MACHINE_COUNT",
                        "2",
                        NULL};
  char *y = env_render(file, ns, vars);
  ck_assert_msg(y != NULL, "render %s", file);
  ck_assert_msg(strstr(y, "${") == NULL, "unsubstituted variable left in %s", file);
  if (strstr(file, "aks")) {
    /* The reference AzureManagedControlPlaneTemplate has no resourceGroupName, which the CRD requires (upstream
     * CAPZ's defaulting webhook writes it; this environment runs no admission webhooks). */
    char rg[128];
    snprintf(rg, sizeof rg, "\n      location: eastus\n      resourceGroupName: rg-%s\n", name);
    char *fixed = replace(y, "\n      location: eastus\n", rg);
    free(y);
    y = fixed;
  }
  ck_assert_int_eq(env_apply(ns, y), 0);
  free(y);
}

static void apply_json(const char *ns, const char *json) { ck_assert_int_eq(env_apply(ns, json), 0); }

/* ---- waiting ---- */
typedef struct condq {
  const char *ns, *name, *status, *reason;
} condq;
static bool p_cond(void *ud) {
  condq *c = ud;
  cJSON *o = env_get(CAPI, "Cluster", c->ns, c->name);
  const cJSON *cd = capz_cond_get(o, "TopologyReconciled");
  bool ok = cd && strcmp(capz_json_ptr_str(cd, "/status", ""), c->status) == 0 &&
            (!c->reason || strcmp(capz_json_ptr_str(cd, "/reason", ""), c->reason) == 0);
  cJSON_Delete(o);
  return ok;
}
/* The TopologyReconciled condition once it has status (and reason); returns its message (caller frees). */
static char *wait_cond(const char *ns, const char *name, const char *status, const char *reason) {
  condq c = {ns, name, status, reason};
  bool ok = env_wait(p_cond, &c, ENV_WAIT_MS);
  cJSON *o = env_get(CAPI, "Cluster", ns, name);
  if (!ok) {
    char *t = o ? cJSON_Print(o) : NULL;
    ck_abort_msg("Cluster %s/%s: TopologyReconciled never %s/%s:\n%s", ns, name, status, reason ? reason : "*",
                 t ? t : "(absent)");
  }
  char *m = strdup(capz_json_ptr_str(capz_cond_get(o, "TopologyReconciled"), "/message", ""));
  cJSON_Delete(o);
  return m;
}
static void wait_count(const char *av, const char *kind, const char *ns, const char *sel, int n) {
  ck_assert_msg(env_wait_count(av, kind, ns, sel, n, true), "%s in %s with %s never numbered %d", kind, ns, sel, n);
}
/* The only live object of a kind matching sel. */
static cJSON *only(const char *av, const char *kind, const char *ns, const char *sel) {
  wait_count(av, kind, ns, sel, 1);
  cJSON *l = env_list(av, kind, ns, sel);
  cJSON *o = cJSON_DetachItemFromArray(l, 0);
  cJSON_Delete(l);
  return o;
}

/* ---- assertions ---- */
static bool owned_by(const cJSON *o, const cJSON *owner) {
  const cJSON *r;
  cJSON_ArrayForEach(r, capz_json_ptr_get(o, "/metadata/ownerReferences")) {
    if (strcmp(capz_json_ptr_str(r, "/uid", ""), capz_json_ptr_str(owner, "/metadata/uid", "?")) == 0) return true;
  }
  return false;
}
static void assert_str(const cJSON *o, const char *ptr, const char *want) {
  const char *v = capz_json_ptr_str(o, ptr, NULL);
  ck_assert_msg(v && strcmp(v, want) == 0, "%s %s: %s is %s, want %s", capz_json_ptr_str(o, "/kind", ""),
                capz_json_ptr_str(o, "/metadata/name", ""), ptr, v ? v : "(absent)", want);
}
static void assert_prefix(const cJSON *o, const char *prefix) {
  const char *n = capz_json_ptr_str(o, "/metadata/name", "");
  /* <prefix>-<5 random characters>, as CAPI names generated objects */
  ck_assert_msg(strncmp(n, prefix, strlen(prefix)) == 0 && n[strlen(prefix)] == '-' && strlen(n) == strlen(prefix) + 6,
                "%s name %s is not %s-xxxxx", capz_json_ptr_str(o, "/kind", ""), n, prefix);
}
static void assert_generated(const cJSON *o, const char *cluster, const cJSON *owner) {
  ck_assert_msg(
      env_label(o, "cluster.x-k8s.io/cluster-name") && strcmp(env_label(o, "cluster.x-k8s.io/cluster-name"), cluster) == 0,
      "%s %s lacks the cluster-name label", capz_json_ptr_str(o, "/kind", ""),
      capz_json_ptr_str(o, "/metadata/name", ""));
  ck_assert_msg(env_label(o, OWNED) != NULL, "%s %s lacks %s", capz_json_ptr_str(o, "/kind", ""),
                capz_json_ptr_str(o, "/metadata/name", ""), OWNED);
  if (owner)
    ck_assert_msg(owned_by(o, owner), "%s %s is not owned by %s %s", capz_json_ptr_str(o, "/kind", ""),
                  capz_json_ptr_str(o, "/metadata/name", ""), capz_json_ptr_str(owner, "/kind", ""),
                  capz_json_ptr_str(owner, "/metadata/name", ""));
}
static cJSON *get_ref(const cJSON *from, const char *ptr, const char *ns) {
  const cJSON *r = capz_json_ptr_get(from, ptr);
  ck_assert_msg(r != NULL, "%s missing", ptr);
  cJSON *o = env_get(capz_json_ptr_str(r, "/apiVersion", ""), capz_json_ptr_str(r, "/kind", ""), ns,
                     capz_json_ptr_str(r, "/name", ""));
  ck_assert_msg(o != NULL, "%s %s (from %s) not found", capz_json_ptr_str(r, "/kind", ""),
                capz_json_ptr_str(r, "/name", ""), ptr);
  return o;
}
/* A second Cluster of the same class: the topology document with another name. */
static void apply_cluster_named(const char *ns, const char *cls, const char *tname, const char *name) {
  const char *vars[] = {"CLUSTER_NAME",
                        tname,
                        "CLUSTER_CLASS_NAME",
                        cls,
                        "KUBERNETES_VERSION",
                        "v1.31.1",
                        "CONTROL_PLANE_MACHINE_COUNT",
                        "1",
                        "WORKER_MACHINE_COUNT",
                        "1",
                        NULL};
  char *y = env_render("cluster-template-topology.yaml", ns, vars);
  ck_assert_ptr_nonnull(y);
  capz_err err;
  capz_err_clear(&err);
  cJSON *docs = capz_yaml_to_json(y, strlen(y), &err);
  free(y);
  ck_assert_ptr_nonnull(docs);
  cJSON *cl = cJSON_GetArrayItem(docs, 0);
  capz_json_ptr_set_str(cl, "/metadata/name", name, NULL);
  char *txt = cJSON_PrintUnformatted(cl);
  apply_json(ns, txt);
  free(txt);
  cJSON_Delete(docs);
}

START_TEST(selfmanaged_clusterclass_topology) {
  const char *ns = "tp-sm", *cn = "sm";
  apply_template("cluster-template-clusterclass.yaml", ns, cn, "azure-cc", "v1.31.1");
  apply_template("cluster-template-topology.yaml", ns, cn, "azure-cc", "v1.31.1");
  env_wait_field(CAPI, "Cluster", ns, cn, "/spec/controlPlaneRef/name", NULL);
  free(wait_cond(ns, cn, "True", NULL));
  cJSON *cl = env_get(CAPI, "Cluster", ns, cn), *cc = env_get(CAPI, "ClusterClass", ns, "azure-cc");
  ck_assert_msg(owned_by(cl, cc), "Cluster is not owned by its ClusterClass");
  /* The ClusterClass controller's part: status and ownership of the class's templates. */
  env_wait_field(CAPI, "ClusterClass", ns, "azure-cc", "/status/observedGeneration", "1");
  cJSON_Delete(cc);
  cc = env_get(CAPI, "ClusterClass", ns, "azure-cc");
  ck_assert(capz_cond_is_true(cc, "VariablesReconciled"));
  ck_assert(capz_cond_is_true(cc, "RefVersionsUpToDate"));
  const char *tmpls[][2] = {{INFRA, "AzureClusterTemplate"},
                            {KCPV, "KubeadmControlPlaneTemplate"},
                            {INFRA, "AzureMachineTemplate"},
                            {BOOT, "KubeadmConfigTemplate"}};
  const char *tnames[] = {"sm-azure-cluster", "sm-control-plane", "sm-md-0", "sm-md-0"};
  for (int i = 0; i < 4; i++) {
    cJSON *tp = env_get(tmpls[i][0], tmpls[i][1], ns, tnames[i]);
    ck_assert_msg(tp && owned_by(tp, cc), "%s %s is not owned by the ClusterClass", tmpls[i][1], tnames[i]);
    cJSON_Delete(tp);
  }

  /* AzureCluster from the AzureClusterTemplate. */
  cJSON *ac = get_ref(cl, "/spec/infrastructureRef", ns);
  assert_str(ac, "/kind", "AzureCluster");
  assert_prefix(ac, cn);
  assert_generated(ac, cn, cl);
  assert_str(ac, "/spec/location", "eastus");
  assert_str(ac, "/spec/networkSpec/subnets/1/natGateway/name", "node-natgateway");
  assert_str(ac, "/metadata/annotations/cluster.x-k8s.io~1cloned-from-name", "sm-azure-cluster");

  /* KubeadmControlPlane: template spec, topology version and replicas, the cloned machine template, patches. */
  cJSON *kcp = get_ref(cl, "/spec/controlPlaneRef", ns);
  assert_str(kcp, "/kind", "KubeadmControlPlane");
  assert_prefix(kcp, cn);
  assert_generated(kcp, cn, cl);
  assert_str(kcp, "/spec/version", "v1.31.1");
  ck_assert_int_eq(capz_json_ptr_int(kcp, "/spec/replicas", -1), 3);
  assert_str(kcp, "/spec/kubeadmConfigSpec/clusterConfiguration/etcd/local/dataDir", "/var/lib/etcddisk/etcd");
  cJSON *cpmt = get_ref(kcp, "/spec/machineTemplate/infrastructureRef", ns);
  assert_str(cpmt, "/kind", "AzureMachineTemplate");
  assert_prefix(cpmt, "sm-control-plane");
  assert_generated(cpmt, cn, kcp);
  assert_str(cpmt, "/spec/template/spec/vmSize", "Standard_D2s_v3");
  char want[300];
  snprintf(want, sizeof want, "%s-azure-json", capz_json_ptr_str(cpmt, "/metadata/name", ""));
  assert_str(kcp, "/spec/kubeadmConfigSpec/files/0/contentFrom/secret/name", want); /* valueFrom.template */
  assert_str(kcp, "/spec/kubeadmConfigSpec/files/0/path", "/etc/kubernetes/azure.json");

  /* MachineDeployment md-0 with cloned templates. */
  cJSON *md = only(CAPI, "MachineDeployment", ns, "topology.cluster.x-k8s.io/deployment-name=md-0");
  assert_prefix(md, "sm-md-0");
  assert_generated(md, cn, cl);
  ck_assert_int_eq(capz_json_ptr_int(md, "/spec/replicas", -1), 2);
  assert_str(md, "/spec/clusterName", cn);
  assert_str(md, "/spec/template/spec/version", "v1.31.1");
  assert_str(md, "/spec/template/metadata/labels/topology.cluster.x-k8s.io~1deployment-name", "md-0");
  cJSON *mdi = get_ref(md, "/spec/template/spec/infrastructureRef", ns);
  cJSON *mdb = get_ref(md, "/spec/template/spec/bootstrap/configRef", ns);
  assert_str(mdi, "/kind", "AzureMachineTemplate");
  assert_str(mdb, "/kind", "KubeadmConfigTemplate");
  assert_prefix(mdi, "sm-md-0");
  assert_prefix(mdb, "sm-md-0");
  assert_generated(mdi, cn, cl);
  assert_generated(mdb, cn, cl);
  assert_str(mdi, "/spec/template/spec/vmSize", "Standard_D4s_v3");
  snprintf(want, sizeof want, "%s-azure-json", capz_json_ptr_str(mdi, "/metadata/name", ""));
  assert_str(mdb, "/spec/template/spec/files/0/contentFrom/secret/name", want);

  /* The ordinary controllers take over: a MachineSet with two Machines and their AzureMachines. */
  char sel[300];
  snprintf(sel, sizeof sel, "cluster.x-k8s.io/deployment-name=%s", capz_json_ptr_str(md, "/metadata/name", ""));
  wait_count(CAPI, "Machine", ns, sel, 2);
  wait_count(INFRA, "AzureMachine", ns, sel, 2);

  /* builtin.cluster.name: a second Cluster of the class gets its own name from the patch. */
  apply_cluster_named(ns, "azure-cc", cn, "sm-two");
  env_wait_field(CAPI, "Cluster", ns, "sm-two", "/spec/controlPlaneRef/name", NULL);
  cJSON *cl2 = env_get(CAPI, "Cluster", ns, "sm-two");
  cJSON *kcp2 = get_ref(cl2, "/spec/controlPlaneRef", ns);
  assert_str(kcp2, "/spec/kubeadmConfigSpec/clusterConfiguration/controllerManager/extraArgs/cluster-name", "sm-two");
  assert_str(kcp, "/spec/kubeadmConfigSpec/clusterConfiguration/controllerManager/extraArgs/cluster-name", "sm");
  ck_assert_int_eq(capz_json_ptr_int(kcp2, "/spec/replicas", -1), 1);
  cJSON *l = env_list(CAPI, "MachineDeployment", ns, "cluster.x-k8s.io/cluster-name=sm-two");
  ck_assert_int_eq(cJSON_GetArraySize(l), 1);
  cJSON_Delete(l);
  /* The class moves md-0 to another machine template: the clone is rotated (new name, MachineDeployment ref
   * moved, old clone deleted) and the MachineDeployment rolls to a new MachineSet. */
  apply_json(ns,
             "{\"apiVersion\":\"infrastructure.cluster.x-k8s.io/v1beta1\",\"kind\":\"AzureMachineTemplate\","
             "\"metadata\":{\"name\":\"sm-md-0-big\"},\"spec\":{\"template\":{\"spec\":{\"vmSize\":\"Standard_D8s_v3\","
             "\"osDisk\":{\"diskSizeGB\":256,\"osType\":\"Linux\"}}}}}");
  ck_assert_int_eq(
      env_patch(CAPI, "ClusterClass", ns, "azure-cc",
                "{\"spec\":{\"workers\":{\"machineDeployments\":[{\"class\":\"sm-worker\",\"template\":{"
                "\"bootstrap\":{\"ref\":{\"apiVersion\":\"bootstrap.cluster.x-k8s.io/v1beta1\","
                "\"kind\":\"KubeadmConfigTemplate\",\"name\":\"sm-md-0\"}},\"infrastructure\":{\"ref\":{"
                "\"apiVersion\":\"infrastructure.cluster.x-k8s.io/v1beta1\",\"kind\":\"AzureMachineTemplate\","
                "\"name\":\"sm-md-0-big\"}}}}]}}}",
                false),
      0);
  const char *mdn = capz_json_ptr_str(md, "/metadata/name", "");
  bool rotated = false;
  for (int i = 0; i < ENV_WAIT_MS / 25 && !rotated; i++) {
    cJSON *m2 = env_get(CAPI, "MachineDeployment", ns, mdn);
    const char *n2 = capz_json_ptr_str(m2, "/spec/template/spec/infrastructureRef/name", "");
    rotated = *n2 && strcmp(n2, capz_json_ptr_str(mdi, "/metadata/name", "")) != 0;
    if (rotated) {
      cJSON *t2 = get_ref(m2, "/spec/template/spec/infrastructureRef", ns);
      assert_prefix(t2, "sm-md-0");
      assert_str(t2, "/spec/template/spec/vmSize", "Standard_D8s_v3");
      assert_str(t2, "/metadata/annotations/cluster.x-k8s.io~1cloned-from-name", "sm-md-0-big");
      cJSON_Delete(t2);
    }
    cJSON_Delete(m2);
    if (!rotated) usleep(25 * 1000);
  }
  ck_assert_msg(rotated, "the MachineDeployment's infrastructure template was not rotated");
  ck_assert_msg(env_wait_gone(INFRA, "AzureMachineTemplate", ns, capz_json_ptr_str(mdi, "/metadata/name", "")),
                "the replaced template clone was not deleted");
  /* Machines of the new MachineSet get the new size. */
  const int want_big = 2;
  bool all_big = false;
  for (int i = 0; i < ENV_WAIT_MS / 25 && !all_big; i++) {
    cJSON *ams = env_list(INFRA, "AzureMachine", ns, sel);
    int n = 0, nb = 0;
    const cJSON *am;
    cJSON_ArrayForEach(am, ams) {
      if (capz_json_ptr_get(am, "/metadata/deletionTimestamp")) continue;
      n++;
      nb += strcmp(capz_json_ptr_str(am, "/spec/vmSize", ""), "Standard_D8s_v3") == 0;
    }
    cJSON_Delete(ams);
    all_big = n == want_big && nb == n;
    if (!all_big) usleep(25 * 1000);
  }
  ck_assert_msg(all_big, "the MachineDeployment did not roll to machines of the new template");

  cJSON *objs[] = {cl, cc, ac, kcp, cpmt, md, mdi, mdb, cl2, kcp2};
  for (size_t i = 0; i < sizeof objs / sizeof objs[0]; i++) cJSON_Delete(objs[i]);
}
END_TEST

static const char *AKS_CLUSTER =
    "{\"apiVersion\":\"cluster.x-k8s.io/v1beta1\",\"kind\":\"Cluster\",\"metadata\":{\"name\":\"aks\"},"
    "\"spec\":{\"topology\":{\"class\":\"aks-cc\",\"version\":\"v1.33.1\",\"workers\":{\"machinePools\":["
    "{\"class\":\"default-system\",\"name\":\"mp-0\",\"replicas\":1},"
    "{\"class\":\"default-worker\",\"name\":\"mp-1\",\"replicas\":2}]}}}}";

START_TEST(aks_clusterclass_topology) {
  const char *ns = "tp-aks", *cn = "aks";
  apply_template("cluster-template-aks-clusterclass.yaml", ns, cn, "aks-cc", "v1.32.0");
  apply_json(ns, AKS_CLUSTER);
  env_wait_field(CAPI, "Cluster", ns, cn, "/spec/controlPlaneRef/name", NULL);
  env_wait_field(CAPI, "Cluster", ns, cn, "/spec/infrastructureRef/name", NULL);
  free(wait_cond(ns, cn, "True", NULL));
  cJSON *cl = env_get(CAPI, "Cluster", ns, cn);
  cJSON *amc = get_ref(cl, "/spec/infrastructureRef", ns);
  assert_str(amc, "/kind", "AzureManagedCluster");
  assert_generated(amc, cn, cl);
  cJSON *amcp = get_ref(cl, "/spec/controlPlaneRef", ns);
  assert_str(amcp, "/kind", "AzureManagedControlPlane");
  assert_prefix(amcp, cn);
  assert_generated(amcp, cn, cl);
  assert_str(amcp, "/spec/version", "v1.33.1"); /* the topology's, not the template's v1.32.0 */
  assert_str(amcp, "/spec/location", "eastus");
  assert_str(amcp, "/spec/subscriptionID", "00000000-0000-0000-0000-000000000001");
  assert_str(amcp, "/spec/identityRef/name", "identity");
  assert_str(amcp, "/spec/resourceGroupName", "rg-aks");
  ck_assert_msg(!capz_json_ptr_get(amcp, "/spec/replicas"), "replicas set without topology.controlPlane.replicas");

  const char *pools[] = {"mp-0", "mp-1"}, *modes[] = {"System", "User"}, *names[] = {"pool0", "pool1"};
  for (int i = 0; i < 2; i++) {
    char sel[200], prefix[64];
    snprintf(sel, sizeof sel, "topology.cluster.x-k8s.io/pool-name=%s", pools[i]);
    snprintf(prefix, sizeof prefix, "aks-%s", pools[i]);
    cJSON *mp = only(CAPI, "MachinePool", ns, sel);
    assert_prefix(mp, prefix);
    assert_generated(mp, cn, cl);
    ck_assert_int_eq(capz_json_ptr_int(mp, "/spec/replicas", -1), i + 1);
    assert_str(mp, "/spec/template/spec/version", "v1.33.1");
    assert_str(mp, "/spec/template/spec/clusterName", cn);
    cJSON *ammp = get_ref(mp, "/spec/template/spec/infrastructureRef", ns);
    cJSON *kc = get_ref(mp, "/spec/template/spec/bootstrap/configRef", ns);
    assert_str(ammp, "/kind", "AzureManagedMachinePool");
    assert_str(kc, "/kind", "KubeadmConfig");
    assert_prefix(ammp, prefix);
    assert_generated(ammp, cn, cl);
    assert_generated(kc, cn, cl);
    assert_str(ammp, "/spec/mode", modes[i]);
    assert_str(ammp, "/spec/name", names[i]);
    assert_str(ammp, "/spec/sku", "Standard_D4s_v3");
    cJSON_Delete(ammp);
    cJSON_Delete(kc);
    /* The MachinePool controller takes its infrastructure pool over (controller reference). */
    snprintf(sel, sizeof sel, "%s", capz_json_ptr_str(mp, "/spec/template/spec/infrastructureRef/name", ""));
    env_wait_field(INFRA, "AzureManagedMachinePool", ns, sel, "/metadata/ownerReferences/1/controller", "true");
    cJSON_Delete(mp);
  }
  cJSON_Delete(cl);
  cJSON_Delete(amc);
  cJSON_Delete(amcp);
}
END_TEST

/* A class with variables (defaults, nested defaults, required, per-pool overrides, enabledIf) and patches on the
 * AKS templates. */
static const char *VAR_CLASS =
    "{\"apiVersion\":\"cluster.x-k8s.io/v1beta1\",\"kind\":\"ClusterClass\",\"metadata\":{\"name\":\"vars-cc\"},"
    "\"spec\":{"
    "\"controlPlane\":{\"ref\":{\"apiVersion\":\"infrastructure.cluster.x-k8s.io/v1beta1\","
    "\"kind\":\"AzureManagedControlPlaneTemplate\",\"name\":\"aks-control-plane\"}},"
    "\"infrastructure\":{\"ref\":{\"apiVersion\":\"infrastructure.cluster.x-k8s.io/v1beta1\","
    "\"kind\":\"AzureManagedClusterTemplate\",\"name\":\"aks\"}},"
    "\"workers\":{\"machinePools\":[{\"class\":\"default-worker\",\"template\":{"
    "\"bootstrap\":{\"ref\":{\"apiVersion\":\"bootstrap.cluster.x-k8s.io/v1beta1\",\"kind\":\"KubeadmConfigTemplate\","
    "\"name\":\"aks-pool1\"}},"
    "\"infrastructure\":{\"ref\":{\"apiVersion\":\"infrastructure.cluster.x-k8s.io/v1beta1\","
    "\"kind\":\"AzureManagedMachinePoolTemplate\",\"name\":\"aks-pool1\"}}}}]},"
    "\"variables\":["
    "{\"name\":\"region\",\"required\":false,\"schema\":{\"openAPIV3Schema\":{\"type\":\"string\",\"default\":"
    "\"westeurope\"}}},"
    "{\"name\":\"tags\",\"required\":false,\"schema\":{\"openAPIV3Schema\":{\"type\":\"object\",\"default\":{},"
    "\"properties\":{\"env\":{\"type\":\"string\",\"default\":\"dev\"},\"team\":{\"type\":\"string\"}}}}},"
    "{\"name\":\"poolSku\",\"required\":true,\"schema\":{\"openAPIV3Schema\":{\"type\":\"string\"}}},"
    "{\"name\":\"extra\",\"required\":false,\"schema\":{\"openAPIV3Schema\":{\"type\":\"boolean\",\"default\":false}}}]"
    ","
    "\"patches\":["
    "{\"name\":\"cp\",\"definitions\":[{\"selector\":{\"apiVersion\":\"infrastructure.cluster.x-k8s.io/v1beta1\","
    "\"kind\":\"AzureManagedControlPlaneTemplate\",\"matchResources\":{\"controlPlane\":true}},\"jsonPatches\":["
    "{\"op\":\"replace\",\"path\":\"/spec/template/spec/location\",\"valueFrom\":{\"variable\":\"region\"}},"
    "{\"op\":\"add\",\"path\":\"/spec/template/spec/additionalTags/env\",\"valueFrom\":{\"variable\":\"tags.env\"}},"
    "{\"op\":\"add\",\"path\":\"/spec/template/spec/dnsPrefix\",\"valueFrom\":{\"template\":"
    "\"{{ .builtin.cluster.name }}-{{ .builtin.cluster.namespace }}\"}}]}]},"
    "{\"name\":\"pools\",\"definitions\":[{\"selector\":{\"apiVersion\":\"infrastructure.cluster.x-k8s.io/v1beta1\","
    "\"kind\":\"AzureManagedMachinePoolTemplate\",\"matchResources\":{\"machinePoolClass\":{\"names\":[\"default-*\"]}}"
    "},"
    "\"jsonPatches\":[{\"op\":\"replace\",\"path\":\"/spec/template/spec/"
    "sku\",\"valueFrom\":{\"variable\":\"poolSku\"}},"
    "{\"op\":\"add\",\"path\":\"/spec/template/spec/nodeLabels\",\"valueFrom\":{\"template\":"
    "\"pool: {{ .builtin.machinePool.topologyName }}\\nreplicas: \\\"{{ .builtin.machinePool.replicas }}\\\"\"}}]}]},"
    "{\"name\":\"never\",\"enabledIf\":\"{{ .extra }}\",\"definitions\":[{\"selector\":{"
    "\"apiVersion\":\"infrastructure.cluster.x-k8s.io/v1beta1\",\"kind\":\"AzureManagedControlPlaneTemplate\","
    "\"matchResources\":{\"controlPlane\":true}},\"jsonPatches\":[{\"op\":\"replace\",\"path\":\"/spec/template/spec/"
    "location\","
    "\"value\":\"nowhere\"}]}]}]}}";

START_TEST(variables_and_patches) {
  const char *ns = "tp-vars";
  apply_template("cluster-template-aks-clusterclass.yaml", ns, "aks", "aks-cc", "v1.32.0");
  apply_json(ns, VAR_CLASS);
  /* poolSku is required: without it the Cluster reports it and nothing is generated. */
  apply_json(ns,
             "{\"apiVersion\":\"cluster.x-k8s.io/v1beta1\",\"kind\":\"Cluster\",\"metadata\":{\"name\":\"nosku\"},"
             "\"spec\":{\"topology\":{\"class\":\"vars-cc\",\"version\":\"v1.33.1\"}}}");
  char *m = wait_cond(ns, "nosku", "False", "TopologyReconcileFailed");
  ck_assert_msg(strstr(m, "poolSku") != NULL, "message does not name the missing variable: %s", m);
  free(m);
  cJSON *cl0 = env_get(CAPI, "Cluster", ns, "nosku");
  ck_assert_msg(!capz_json_ptr_get(cl0, "/spec/infrastructureRef"), "objects generated without a required variable");
  cJSON_Delete(cl0);

  apply_json(ns,
             "{\"apiVersion\":\"cluster.x-k8s.io/v1beta1\",\"kind\":\"Cluster\",\"metadata\":{\"name\":\"v1\"},"
             "\"spec\":{\"topology\":{\"class\":\"vars-cc\",\"version\":\"v1.33.1\","
             "\"variables\":[{\"name\":\"poolSku\",\"value\":\"Standard_D8s_v3\"},{\"name\":\"tags\",\"value\":{"
             "\"team\":\"x\"}}],"
             "\"workers\":{\"machinePools\":["
             "{\"class\":\"default-worker\",\"name\":\"a\",\"replicas\":2},"
             "{\"class\":\"default-worker\",\"name\":\"b\",\"replicas\":1,"
             "\"variables\":{\"overrides\":[{\"name\":\"poolSku\",\"value\":\"Standard_B2s\"}]}}]}}}}");
  env_wait_field(CAPI, "Cluster", ns, "v1", "/spec/controlPlaneRef/name", NULL);
  free(wait_cond(ns, "v1", "True", NULL));
  cJSON *cl = env_get(CAPI, "Cluster", ns, "v1");
  cJSON *amcp = get_ref(cl, "/spec/controlPlaneRef", ns);
  assert_str(amcp, "/spec/location", "westeurope");    /* variable default; enabledIf false skipped "nowhere" */
  assert_str(amcp, "/spec/additionalTags/env", "dev"); /* nested default inside a given object */
  assert_str(amcp, "/spec/dnsPrefix", "v1-tp-vars");   /* valueFrom.template with builtins */
  const char *pools[] = {"a", "b"}, *skus[] = {"Standard_D8s_v3", "Standard_B2s"}, *reps[] = {"2", "1"};
  for (int i = 0; i < 2; i++) {
    char sel[128];
    snprintf(sel, sizeof sel, "topology.cluster.x-k8s.io/pool-name=%s,cluster.x-k8s.io/cluster-name=v1", pools[i]);
    cJSON *mp = only(CAPI, "MachinePool", ns, sel);
    cJSON *ammp = get_ref(mp, "/spec/template/spec/infrastructureRef", ns);
    assert_str(ammp, "/spec/sku", skus[i]); /* cluster value, then the per-pool override */
    assert_str(ammp, "/spec/nodeLabels/pool", pools[i]);
    assert_str(ammp, "/spec/nodeLabels/replicas", reps[i]);
    cJSON_Delete(ammp);
    cJSON_Delete(mp);
  }
  cJSON_Delete(amcp);
  cJSON_Delete(cl);
  cJSON *cc = env_get(CAPI, "ClusterClass", ns, "vars-cc");
  ck_assert_int_eq(cJSON_GetArraySize(capz_json_ptr_get(cc, "/status/variables")), 4);
  ck_assert_str_eq(capz_json_ptr_str(cc, "/status/variables/2/name", ""), "poolSku");
  ck_assert_str_eq(capz_json_ptr_str(cc, "/status/variables/2/definitions/0/from", ""), "inline");
  ck_assert(capz_json_ptr_bool(cc, "/status/variables/2/definitions/0/required", false));
  cJSON_Delete(cc);

  /* Enabling the optional patch through a variable re-renders the control plane in place. */
  ck_assert_int_eq(
      env_patch(CAPI, "Cluster", ns, "v1",
                "{\"spec\":{\"topology\":{\"variables\":[{\"name\":\"poolSku\",\"value\":\"Standard_D8s_v3\"},"
                "{\"name\":\"extra\",\"value\":true}]}}}",
                false),
      0);
  cl = env_get(CAPI, "Cluster", ns, "v1");
  env_wait_field(INFRA, "AzureManagedControlPlane", ns, capz_json_ptr_str(cl, "/spec/controlPlaneRef/name", ""),
             "/spec/location", "nowhere");
  cJSON_Delete(cl);
}
END_TEST

START_TEST(unsupported_and_missing_are_conditions) {
  const char *ns = "tp-bad";
  apply_template("cluster-template-aks-clusterclass.yaml", ns, "aks", "aks-cc", "v1.32.0");
  /* A template action beyond substitution. */
  char *c1 =
      replace(VAR_CLASS, "{{ .builtin.cluster.name }}-{{ .builtin.cluster.namespace }}", "{{ if .extra }}yes{{ end }}");
  char *cls = replace(c1, "\"name\":\"vars-cc\"", "\"name\":\"bad-cc\"");
  free(c1);
  apply_json(ns, cls);
  free(cls);
  apply_json(ns,
             "{\"apiVersion\":\"cluster.x-k8s.io/v1beta1\",\"kind\":\"Cluster\",\"metadata\":{\"name\":\"b1\"},"
             "\"spec\":{\"topology\":{\"class\":\"bad-cc\",\"version\":\"v1.33.1\","
             "\"variables\":[{\"name\":\"poolSku\",\"value\":\"x\"}]}}}");
  char *m = wait_cond(ns, "b1", "False", "TopologyReconcileFailed");
  ck_assert_msg(strstr(m, "{{ if .extra }}") && strstr(m, "cp"), "message does not name the action/patch: %s", m);
  free(m);
  /* ... and a Warning Event on the Cluster says the same. */
  bool found = false;
  for (int i = 0; i < 200 && !found; i++) {
    cJSON *evs = env_list("v1", "Event", ns, NULL);
    const cJSON *e;
    cJSON_ArrayForEach(e, evs) {
      found |= strcmp(capz_json_ptr_str(e, "/involvedObject/name", ""), "b1") == 0 &&
               strcmp(capz_json_ptr_str(e, "/type", ""), "Warning") == 0 &&
               strstr(capz_json_ptr_str(e, "/message", ""), "{{ if .extra }}") != NULL;
    }
    cJSON_Delete(evs);
    if (!found) usleep(25 * 1000);
  }
  ck_assert_msg(found, "no Warning Event on the Cluster naming the unsupported action");
  /* A class referencing a template that does not exist: the class says so, the Cluster names it. */
  char *c3 = replace(VAR_CLASS, "\"name\":\"aks-pool1\"}}}}]", "\"name\":\"nope\"}}}}]");
  char *c4 = replace(c3, "\"name\":\"vars-cc\"", "\"name\":\"holey-cc\"");
  free(c3);
  apply_json(ns, c4);
  free(c4);
  env_wait_field(CAPI, "ClusterClass", ns, "holey-cc", "/status/observedGeneration", "1");
  cJSON *hc = env_get(CAPI, "ClusterClass", ns, "holey-cc");
  ck_assert(capz_cond_is_false(hc, "RefVersionsUpToDate"));
  ck_assert_ptr_nonnull(strstr(capz_json_ptr_str(capz_cond_get(hc, "RefVersionsUpToDate"), "/message", ""), "nope"));
  cJSON_Delete(hc);
  apply_json(ns,
             "{\"apiVersion\":\"cluster.x-k8s.io/v1beta1\",\"kind\":\"Cluster\",\"metadata\":{\"name\":\"b3\"},"
             "\"spec\":{\"topology\":{\"class\":\"holey-cc\",\"version\":\"v1.33.1\",\"variables\":[{\"name\":"
             "\"poolSku\",\"value\":\"x\"}],\"workers\":{\"machinePools\":[{\"class\":\"default-worker\",\"name\":"
             "\"p\"}]}}}}");
  m = wait_cond(ns, "b3", "False", "TopologyReconcileFailed");
  ck_assert_msg(strstr(m, "nope") != NULL, "message does not name the missing template: %s", m);
  free(m);

  /* A class that does not exist (yet): reported, then picked up when it appears. */
  apply_json(ns,
             "{\"apiVersion\":\"cluster.x-k8s.io/v1beta1\",\"kind\":\"Cluster\",\"metadata\":{\"name\":\"b2\"},"
             "\"spec\":{\"topology\":{\"class\":\"later-cc\",\"version\":\"v1.33.1\"}}}");
  free(wait_cond(ns, "b2", "False", "ClusterClassNotFound"));
  apply_template("cluster-template-aks-clusterclass.yaml", ns, "aks", "later-cc", "v1.32.0");
  free(wait_cond(ns, "b2", "True", NULL));
  env_wait_field(CAPI, "Cluster", ns, "b2", "/spec/infrastructureRef/name", NULL);
  /* Process still alive and serving: a new cluster is still rendered. */
  cJSON *cl = env_get(CAPI, "Cluster", ns, "b2");
  ck_assert_ptr_nonnull(cl);
  cJSON_Delete(cl);
}
END_TEST

static bool p_md_version(void *ud) {
  const char **a = ud; /* ns, selector, version */
  cJSON *l = env_list(CAPI, "MachineDeployment", a[0], a[1]);
  bool ok = cJSON_GetArraySize(l) == 1 &&
            strcmp(capz_json_ptr_str(cJSON_GetArrayItem(l, 0), "/spec/template/spec/version", ""), a[2]) == 0;
  cJSON_Delete(l);
  return ok;
}

START_TEST(upgrade_and_scale) {
  const char *ns = "tp-up", *cn = "up";
  apply_template("cluster-template-clusterclass.yaml", ns, cn, "azure-cc", "v1.31.1");
  apply_template("cluster-template-topology.yaml", ns, cn, "azure-cc", "v1.31.1");
  env_wait_field(CAPI, "Cluster", ns, cn, "/spec/controlPlaneRef/name", NULL);
  free(wait_cond(ns, cn, "True", NULL));
  cJSON *cl = env_get(CAPI, "Cluster", ns, cn);
  char kcpname[256];
  snprintf(kcpname, sizeof kcpname, "%s", capz_json_ptr_str(cl, "/spec/controlPlaneRef/name", ""));
  cJSON_Delete(cl);
  const char *mdsel = "topology.cluster.x-k8s.io/deployment-name=md-0,cluster.x-k8s.io/cluster-name=up";
  cJSON *md = only(CAPI, "MachineDeployment", ns, mdsel);
  char mdname[256];
  snprintf(mdname, sizeof mdname, "%s", capz_json_ptr_str(md, "/metadata/name", ""));
  cJSON_Delete(md);

  /* Upgrade: the control plane first; the MachineDeployment waits until the control plane runs it. */
  ck_assert_int_eq(env_patch(CAPI, "Cluster", ns, cn, "{\"spec\":{\"topology\":{\"version\":\"v1.32.0\"}}}", false), 0);
  env_wait_field(KCPV, "KubeadmControlPlane", ns, kcpname, "/spec/version", "v1.32.0");
  free(wait_cond(ns, cn, "False", "MachineDeploymentsUpgradePending"));
  usleep(300 * 1000);
  const char *old[] = {ns, mdsel, "v1.31.1"};
  ck_assert_msg(p_md_version(old), "MachineDeployment upgraded before the control plane");
  /* Playing the control plane provider: it now reports the new version. */
  ck_assert_int_eq(env_patch(KCPV, "KubeadmControlPlane", ns, kcpname, "{\"status\":{\"version\":\"v1.32.0\"}}", true),
                   0);
  const char *neu[] = {ns, mdsel, "v1.32.0"};
  ck_assert_msg(env_wait(p_md_version, neu, ENV_WAIT_MS), "MachineDeployment not upgraded after the control plane");
  free(wait_cond(ns, cn, "True", NULL));
  md = only(CAPI, "MachineDeployment", ns, mdsel);
  ck_assert_str_eq(capz_json_ptr_str(md, "/metadata/name", ""), mdname); /* updated in place, not replaced */
  cJSON_Delete(md);

  /* Replicas: control plane 3 -> 1, workers 2 -> 3 (the MachineSet follows with a third Machine). */
  ck_assert_int_eq(
      env_patch(CAPI, "Cluster", ns, cn,
                "{\"spec\":{\"topology\":{\"controlPlane\":{\"replicas\":1},\"workers\":{\"machineDeployments\":"
                "[{\"class\":\"up-worker\",\"name\":\"md-0\",\"replicas\":3}]}}}}",
                false),
      0);
  env_wait_field(KCPV, "KubeadmControlPlane", ns, kcpname, "/spec/replicas", "1");
  env_wait_field(CAPI, "MachineDeployment", ns, mdname, "/spec/replicas", "3");
  char sel[300];
  snprintf(sel, sizeof sel, "cluster.x-k8s.io/deployment-name=%s", mdname);
  wait_count(CAPI, "Machine", ns, sel, 3);

  /* A worker removed from the topology is deleted with its templates. */
  ck_assert_int_eq(
      env_patch(CAPI, "Cluster", ns, cn, "{\"spec\":{\"topology\":{\"workers\":{\"machineDeployments\":[]}}}}", false),
      0);
  wait_count(CAPI, "MachineDeployment", ns, mdsel, 0);
  wait_count(INFRA, "AzureMachineTemplate", ns, "topology.cluster.x-k8s.io/deployment-name=md-0", 0);

  /* Deleting the Cluster removes everything the topology generated (the control plane's machine template with
   * its owner, the control plane). */
  ck_assert_int_eq(env_delete(CAPI, "Cluster", ns, cn), 0);
  wait_count(CAPI, "Cluster", ns, NULL, 0);
  wait_count(KCPV, "KubeadmControlPlane", ns, "cluster.x-k8s.io/cluster-name=up", 0);
  wait_count(INFRA, "AzureCluster", ns, "cluster.x-k8s.io/cluster-name=up", 0);
  wait_count(INFRA, "AzureMachineTemplate", ns, "cluster.x-k8s.io/cluster-name=up", 0);
}
END_TEST

static const char *md_version(const char *ns, const char *tname) {
  static char v[64];
  char sel[200];
  snprintf(sel, sizeof sel, "topology.cluster.x-k8s.io/deployment-name=%s,cluster.x-k8s.io/cluster-name=sq", tname);
  cJSON *l = env_list(CAPI, "MachineDeployment", ns, sel);
  snprintf(v, sizeof v, "%s", capz_json_ptr_str(l, "/0/spec/template/spec/version", ""));
  cJSON_Delete(l);
  return v;
}
static bool p_md1_new(void *ud) { return strcmp(md_version(ud, "md-1"), "v1.32.0") == 0; }
static bool p_md0_new(void *ud) { return strcmp(md_version(ud, "md-0"), "v1.32.0") == 0; }

START_TEST(machinedeployments_upgrade_one_at_a_time) {
  const char *ns = "tp-seq", *cn = "sq";
  apply_template("cluster-template-clusterclass.yaml", ns, cn, "azure-cc", "v1.31.1");
  apply_json(ns,
             "{\"apiVersion\":\"cluster.x-k8s.io/v1beta1\",\"kind\":\"Cluster\",\"metadata\":{\"name\":\"sq\"},"
             "\"spec\":{\"topology\":{\"class\":\"azure-cc\",\"version\":\"v1.31.1\",\"controlPlane\":{\"replicas\":1,"
             "\"nodeDeletionTimeout\":\"7m\"},"
             "\"workers\":{\"machineDeployments\":[{\"class\":\"sq-worker\",\"name\":\"md-0\",\"replicas\":1,"
             "\"nodeDrainTimeout\":\"5m\"},"
             "{\"class\":\"sq-worker\",\"name\":\"md-1\",\"replicas\":1}]}}}}");
  free(wait_cond(ns, cn, "True", NULL));
  cJSON *md0 = only(CAPI, "MachineDeployment", ns, "topology.cluster.x-k8s.io/deployment-name=md-0");
  ck_assert_str_eq(capz_json_ptr_str(md0, "/spec/template/spec/nodeDrainTimeout", ""), "5m");
  char sel[300];
  snprintf(sel, sizeof sel, "cluster.x-k8s.io/deployment-name=%s", capz_json_ptr_str(md0, "/metadata/name", ""));
  cJSON *m0 = only(CAPI, "Machine", ns, sel);
  const char *old_machine = capz_json_ptr_str(m0, "/metadata/name", "");
  /* The provider holds md-0's old VM: its rollout cannot finish. */
  env_wait_field(INFRA, "AzureMachine", ns, old_machine, "/metadata/uid", NULL);
  ck_assert_int_eq(env_patch(INFRA, "AzureMachine", ns, old_machine,
                             "{\"metadata\":{\"finalizers\":[\"test.capz.io/hold\"]}}", false),
                   0);
  cJSON *cl = env_get(CAPI, "Cluster", ns, cn);
  char kcp[256];
  snprintf(kcp, sizeof kcp, "%s", capz_json_ptr_str(cl, "/spec/controlPlaneRef/name", ""));
  cJSON_Delete(cl);
  env_wait_field(KCPV, "KubeadmControlPlane", ns, kcp, "/spec/machineTemplate/nodeDeletionTimeout", "7m");
  ck_assert_int_eq(env_patch(CAPI, "Cluster", ns, cn, "{\"spec\":{\"topology\":{\"version\":\"v1.32.0\"}}}", false), 0);
  env_wait_field(KCPV, "KubeadmControlPlane", ns, kcp, "/spec/version", "v1.32.0");
  ck_assert_int_eq(env_patch(KCPV, "KubeadmControlPlane", ns, kcp, "{\"status\":{\"version\":\"v1.32.0\"}}", true), 0);
  /* md-0 goes first; md-1 waits while md-0 still has a machine of the old version. */
  ck_assert_msg(env_wait(p_md0_new, (void *)ns, ENV_WAIT_MS), "md-0 was not upgraded");
  /* (the condition may still carry the control-plane wait for a moment: wait for the reason that follows) */
  env_wait_field(CAPI, "Cluster", ns, cn, "/status/conditions/0/type", NULL);
  bool turn = false;
  for (int i = 0; i < ENV_WAIT_MS / 25 && !turn; i++) {
    cJSON *c = env_get(CAPI, "Cluster", ns, cn);
    const cJSON *cd = capz_cond_get(c, "TopologyReconciled");
    turn = strcmp(capz_json_ptr_str(cd, "/reason", ""), "MachineDeploymentsUpgradePending") == 0 &&
           strstr(capz_json_ptr_str(cd, "/message", ""), "other MachineDeployments") != NULL;
    cJSON_Delete(c);
    if (!turn) usleep(25 * 1000);
  }
  ck_assert_msg(turn, "TopologyReconciled never said md-1 waits for the other MachineDeployments");
  env_wait_field(CAPI, "Machine", ns, old_machine, "/metadata/deletionTimestamp", NULL);
  usleep(300 * 1000);
  ck_assert_str_eq(md_version(ns, "md-1"), "v1.31.1");
  /* The old VM goes: md-0's rollout is over and md-1 follows. */
  ck_assert_int_eq(env_patch(INFRA, "AzureMachine", ns, old_machine, "{\"metadata\":{\"finalizers\":null}}", false), 0);
  ck_assert_msg(env_wait(p_md1_new, (void *)ns, ENV_WAIT_MS), "md-1 was not upgraded after md-0");
  free(wait_cond(ns, cn, "True", NULL));
  cJSON_Delete(m0);
  cJSON_Delete(md0);
}
END_TEST

START_TEST(v1beta2_classref) {
  const char *ns = "tp-v1b2";
  apply_template("cluster-template-aks-clusterclass.yaml", ns, "aks", "aks-cc", "v1.32.0");
  apply_json(ns,
             "{\"apiVersion\":\"cluster.x-k8s.io/v1beta2\",\"kind\":\"Cluster\",\"metadata\":{\"name\":\"b2c\"},"
             "\"spec\":{\"topology\":{\"classRef\":{\"name\":\"aks-cc\"},\"version\":\"v1.33.1\",\"workers\":{"
             "\"machinePools\":[{\"class\":\"default-system\",\"name\":\"sys\",\"replicas\":1}]}}}}");
  env_wait_field(CAPI, "Cluster", ns, "b2c", "/spec/controlPlaneRef/name", NULL);
  free(wait_cond(ns, "b2c", "True", NULL));
  env_wait_field(CAPI, "Cluster", ns, "b2c", "/spec/topology/class", "aks-cc"); /* v1beta1 spelling filled in */
  cJSON_Delete(
      only(CAPI, "MachinePool", ns, "topology.cluster.x-k8s.io/pool-name=sys,cluster.x-k8s.io/cluster-name=b2c"));

  /* A v1beta2 ClusterClass (templateRef, bootstrap/infrastructure at the worker class level). */
  const char *ir = "\"apiVersion\":\"infrastructure.cluster.x-k8s.io/v1beta1\"";
  char cls[2048];
  snprintf(
      cls, sizeof cls,
      "{\"apiVersion\":\"cluster.x-k8s.io/v1beta2\",\"kind\":\"ClusterClass\",\"metadata\":{\"name\":\"v2-cc\"},"
      "\"spec\":{\"infrastructure\":{\"templateRef\":{%s,\"kind\":\"AzureManagedClusterTemplate\",\"name\":\"aks\"}},"
      "\"controlPlane\":{\"templateRef\":{%s,\"kind\":\"AzureManagedControlPlaneTemplate\",\"name\":\"aks-control-"
      "plane\"}},"
      "\"workers\":{\"machinePools\":[{\"class\":\"w\",\"bootstrap\":{\"templateRef\":{"
      "\"apiVersion\":\"bootstrap.cluster.x-k8s.io/"
      "v1beta1\",\"kind\":\"KubeadmConfigTemplate\",\"name\":\"aks-pool1\"}},"
      "\"infrastructure\":{\"templateRef\":{%s,\"kind\":\"AzureManagedMachinePoolTemplate\",\"name\":\"aks-pool1\"}}}]}"
      "}}",
      ir, ir, ir);
  apply_json(ns, cls);
  apply_json(ns,
             "{\"apiVersion\":\"cluster.x-k8s.io/v1beta1\",\"kind\":\"Cluster\",\"metadata\":{\"name\":\"v2c\"},"
             "\"spec\":{\"topology\":{\"class\":\"v2-cc\",\"version\":\"v1.33.1\",\"workers\":{"
             "\"machinePools\":[{\"class\":\"w\",\"name\":\"p\",\"replicas\":1}]}}}}");
  free(wait_cond(ns, "v2c", "True", NULL));
  cJSON *mp = only(CAPI, "MachinePool", ns, "topology.cluster.x-k8s.io/pool-name=p,cluster.x-k8s.io/cluster-name=v2c");
  cJSON *ammp = get_ref(mp, "/spec/template/spec/infrastructureRef", ns);
  assert_str(ammp, "/spec/mode", "User");
  cJSON_Delete(ammp);
  cJSON_Delete(mp);
}
END_TEST

static void setup(void) { ck_assert_msg(env_start() == 0, "environment did not start"); }
static void teardown(void) { env_stop(); }

int main(void) {
  Suite *s = suite_create("capi_topology");
  TCase *tc = tcase_create("capi_topology");
  tcase_add_unchecked_fixture(tc, setup, teardown);
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, selfmanaged_clusterclass_topology);
  tcase_add_test(tc, aks_clusterclass_topology);
  tcase_add_test(tc, variables_and_patches);
  tcase_add_test(tc, unsupported_and_missing_are_conditions);
  tcase_add_test(tc, upgrade_and_scale);
  tcase_add_test(tc, machinedeployments_upgrade_one_at_a_time);
  tcase_add_test(tc, v1beta2_classref);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_set_fork_status(sr, CK_NOFORK);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? 1 : 0;
}
