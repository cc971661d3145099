/* test_capi_sim.c — capz-capi-sim against capz-kube-sim: reference templates applied as a user would, the
 * test playing the infrastructure provider's part, assertions on what Cluster API core must do. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <openssl/evp.h>
#include <unistd.h>

#include "capi_env.h"
#include "capz/conditions.h"
#include "capz/json.h"


static char *render(const char *file, const char *ns, const char *name, const char *cp_count, const char *workers) {
  const char *vars[] = {"CLUSTER_NAME", name, "CLUSTER_IDENTITY_NAME", "identity", "AZURE_LOCATION", "eastus",
                        "AZURE_SUBSCRIPTION_ID", "00000000-0000-0000-0000-000000000001", "KUBERNETES_VERSION",
                        "v1.31.1", "AZURE_CONTROL_PLANE_MACHINE_TYPE", "Standard_D2s_v3", "AZURE_NODE_MACHINE_TYPE",
                        "Standard_D4s_v3", "AZURE_CLIENT_ID_USER_ASSIGNED_IDENTITY", "client", "AZURE_TENANT_ID",
                        "tenant", "CONTROL_PLANE_MACHINE_COUNT", cp_count, "WORKER_MACHINE_COUNT", workers,
                        "AZURE_SSH_PUBLIC_KEY_B64", "", NULL};
  char *y = env_render(file, ns, vars);
  ck_assert_msg(y != NULL, "render %s", file);
  ck_assert_msg(strstr(y, "${") == NULL, "unsubstituted variable left in %s", file);
  return y;
}

static void apply(const char *file, const char *ns, const char *name, const char *cp, const char *workers) {
  char *y = render(file, ns, name, cp, workers);
  ck_assert_int_eq(env_apply(ns, y), 0);
  free(y);
}

static bool has_owner(const cJSON *obj, const char *kind, const char *uid, bool controller) {
  const cJSON *r;
  cJSON_ArrayForEach(r, capz_json_ptr_get(obj, "/metadata/ownerReferences")) {
    if (strcmp(capz_json_ptr_str(r, "/kind", ""), kind) == 0 && strcmp(capz_json_ptr_str(r, "/uid", ""), uid) == 0)
      return !controller || capz_json_ptr_bool(r, "/controller", false);
  }
  return false;
}
/* The provider's part for the cluster infrastructure. */
static void provide_cluster(const char *ns, const char *name) {
  ck_assert_int_eq(env_patch(INFRA, "AzureCluster", ns, name,
                             "{\"spec\":{\"controlPlaneEndpoint\":{\"host\":\"api.example.test\",\"port\":6443}}}", false),
                   0);
  ck_assert_int_eq(env_patch(INFRA, "AzureCluster", ns, name,
                             "{\"status\":{\"ready\":true,\"failureDomains\":{\"1\":{\"controlPlane\":true},"
                             "\"2\":{\"controlPlane\":true},\"3\":{\"controlPlane\":false}}}}",
                             true),
                   0);
}
/* The provider's part for one VM. */
static void provide_machine(const char *ns, const char *name) {
  char p[512];
  snprintf(p, sizeof p,
           "{\"spec\":{\"providerID\":\"azure:///subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/"
           "virtualMachines/%s\"}}",
           name);
  ck_assert_int_eq(env_patch(INFRA, "AzureMachine", ns, name, p, false), 0);
  ck_assert_int_eq(env_patch(INFRA, "AzureMachine", ns, name,
                             "{\"status\":{\"ready\":true,\"addresses\":[{\"type\":\"InternalIP\",\"address\":\"10.0.0.4\"}]}}",
                             true),
                   0);
}

static char *first_name(const char *av, const char *kind, const char *ns, const char *sel) {
  cJSON *l = env_list(av, kind, ns, sel);
  const char *n = capz_json_ptr_str(l, "/0/metadata/name", NULL);
  char *r = n ? strdup(n) : NULL;
  cJSON_Delete(l);
  return r;
}

/* The certificate-authority-data of a kubeconfig Secret (malloc'ed), or NULL. */
static char *kubeconfig_ca(const cJSON *sec) {
  const char *v = capz_json_ptr_str(sec, "/data/value", NULL);
  if (!v) return NULL;
  size_t n = strlen(v);
  unsigned char *t = calloc(1, n + 1);
  if (EVP_DecodeBlock(t, (const unsigned char *)v, (int)n) < 0) {
    free(t);
    return NULL;
  }
  const char *k = strstr((char *)t, "certificate-authority-data: ");
  char *r = NULL;
  if (k) {
    k += strlen("certificate-authority-data: ");
    r = strndup(k, strcspn(k, "\n"));
  }
  free(t);
  return r;
}

/* ---------------------------------------------------------------------------------------------------------- */

START_TEST(cluster_owns_infra_and_copies_endpoint) {
  const char *ns = "t-cluster", *cn = "c1";
  apply("cluster-template.yaml", ns, cn, "1", "0");
  cJSON *cl = NULL;
  env_wait_field(CAPI, "Cluster", ns, cn, "/metadata/finalizers/0", "cluster.cluster.x-k8s.io");
  cl = env_get(CAPI, "Cluster", ns, cn);
  const char *uid = capz_json_ptr_str(cl, "/metadata/uid", "");
  env_wait_field(INFRA, "AzureCluster", ns, cn, "/metadata/ownerReferences/0/kind", "Cluster");
  cJSON *ac = env_get(INFRA, "AzureCluster", ns, cn);
  ck_assert(has_owner(ac, "Cluster", uid, false));
  ck_assert_str_eq(env_label(ac, "cluster.x-k8s.io/cluster-name"), cn);
  cJSON_Delete(ac);
  env_wait_field(KCPV, "KubeadmControlPlane", ns, "c1-control-plane", "/metadata/ownerReferences/0/uid", uid);
  /* Infrastructure not ready: Provisioning, no control plane machine, no kubeconfig. */
  env_wait_field(CAPI, "Cluster", ns, cn, "/status/phase", "Provisioning");
  env_wait_field(CAPI, "Cluster", ns, cn, "/status/infrastructureReady", "false");
  usleep(300 * 1000);
  env_q none = {CAPI, "Machine", ns, NULL, "cluster.x-k8s.io/control-plane", 0};
  ck_assert_msg(env_p_total_count(&none), "control plane machine created before the infrastructure was ready");
  ck_assert_ptr_null(env_get("v1", "Secret", ns, "c1-kubeconfig"));

  provide_cluster(ns, cn);
  env_wait_field(CAPI, "Cluster", ns, cn, "/spec/controlPlaneEndpoint/host", "api.example.test");
  env_wait_field(CAPI, "Cluster", ns, cn, "/spec/controlPlaneEndpoint/port", "6443");
  env_wait_field(CAPI, "Cluster", ns, cn, "/status/infrastructureReady", "true");
  env_wait_field(CAPI, "Cluster", ns, cn, "/status/phase", "Provisioned");
  env_wait_field(CAPI, "Cluster", ns, cn, "/status/failureDomains/3/controlPlane", "false");
  cJSON_Delete(cl);
  cl = env_get(CAPI, "Cluster", ns, cn);
  ck_assert(capz_cond_is_true(cl, "InfrastructureReady"));
  ck_assert(!capz_cond_is_true(cl, "ControlPlaneReady"));
  cJSON_Delete(cl);
}
END_TEST

START_TEST(kcp_creates_machines_one_at_a_time) {
  const char *ns = "t-kcp", *cn = "k1";
  apply("cluster-template.yaml", ns, cn, "3", "0");
  provide_cluster(ns, cn);
  env_q one = {CAPI, "Machine", ns, NULL, "cluster.x-k8s.io/control-plane-name=k1-control-plane", 1};
  ck_assert(env_wait(env_p_total_count, &one, ENV_WAIT_MS));
  usleep(500 * 1000);
  ck_assert_msg(env_p_total_count(&one), "KCP created a second machine before the first was ready");
  char *m1 = first_name(CAPI, "Machine", ns, "cluster.x-k8s.io/control-plane-name=k1-control-plane");
  cJSON *kcp = env_get(KCPV, "KubeadmControlPlane", ns, "k1-control-plane");
  cJSON *m = env_get(CAPI, "Machine", ns, m1);
  /* Machine: labels, controller owner KCP, refs, version, failure domain from the control-plane domains. */
  ck_assert_str_eq(env_label(m, "cluster.x-k8s.io/cluster-name"), cn);
  ck_assert_ptr_nonnull(env_label(m, "cluster.x-k8s.io/control-plane"));
  ck_assert(has_owner(m, "KubeadmControlPlane", capz_json_ptr_str(kcp, "/metadata/uid", ""), true));
  ck_assert_str_eq(capz_json_ptr_str(m, "/spec/version", ""), "v1.31.1");
  ck_assert_str_eq(capz_json_ptr_str(m, "/spec/infrastructureRef/kind", ""), "AzureMachine");
  ck_assert_str_eq(capz_json_ptr_str(m, "/spec/bootstrap/configRef/kind", ""), "KubeadmConfig");
  const char *fd = capz_json_ptr_str(m, "/spec/failureDomain", "");
  ck_assert_msg(strcmp(fd, "1") == 0 || strcmp(fd, "2") == 0, "failure domain %s is not a control plane domain", fd);
  /* AzureMachine cloned from the template, handed to the Machine. */
  env_wait_field(INFRA, "AzureMachine", ns, m1, "/metadata/ownerReferences/0/kind", "Machine");
  cJSON *am = env_get(INFRA, "AzureMachine", ns, m1);
  ck_assert(has_owner(am, "Machine", capz_json_ptr_str(m, "/metadata/uid", ""), true));
  ck_assert_int_eq(cJSON_GetArraySize(capz_json_ptr_get(am, "/metadata/ownerReferences")), 1);
  ck_assert_str_eq(env_annotation(am, "cluster.x-k8s.io/cloned-from-name"), "k1-control-plane");
  ck_assert_str_eq(env_annotation(am, "cluster.x-k8s.io/cloned-from-groupkind"),
                   "AzureMachineTemplate.infrastructure.cluster.x-k8s.io");
  ck_assert_ptr_nonnull(env_label(am, "cluster.x-k8s.io/control-plane"));
  ck_assert_str_eq(capz_json_ptr_str(am, "/spec/vmSize", ""), "Standard_D2s_v3");
  ck_assert_int_eq(capz_json_ptr_int(am, "/spec/dataDisks/0/diskSizeGB", 0), 256);
  /* Bootstrap: the first machine runs kubeadm init; Secret <machine> with value/format. */
  env_wait_field(CAPI, "Machine", ns, m1, "/spec/bootstrap/dataSecretName", m1);
  cJSON *cfg = env_get(BOOT, "KubeadmConfig", ns, m1);
  ck_assert_ptr_nonnull(capz_json_ptr_get(cfg, "/spec/initConfiguration"));
  ck_assert_ptr_null(capz_json_ptr_get(cfg, "/spec/joinConfiguration"));
  cJSON *sec = env_get("v1", "Secret", ns, m1);
  ck_assert_ptr_nonnull(sec);
  ck_assert_str_eq(capz_json_ptr_str(sec, "/type", ""), "cluster.x-k8s.io/secret");
  ck_assert_str_eq(capz_json_ptr_str(sec, "/data/format", ""), "Y2xvdWQtY29uZmln"); /* "cloud-config" */
  ck_assert(has_owner(sec, "KubeadmConfig", capz_json_ptr_str(cfg, "/metadata/uid", ""), true));
  ck_assert_str_eq(env_label(sec, "cluster.x-k8s.io/cluster-name"), cn);
  /* The kubeconfig Secret written by KCP, pointing at the endpoint. */
  cJSON *kc = env_get("v1", "Secret", ns, "k1-kubeconfig");
  ck_assert_ptr_nonnull(kc);
  ck_assert_str_eq(capz_json_ptr_str(kc, "/type", ""), "cluster.x-k8s.io/secret");
  ck_assert_str_eq(env_label(kc, "cluster.x-k8s.io/cluster-name"), cn);
  ck_assert(has_owner(kc, "KubeadmControlPlane", capz_json_ptr_str(kcp, "/metadata/uid", ""), true));
  cJSON *ca = env_get("v1", "Secret", ns, "k1-ca");
  ck_assert_ptr_nonnull(ca);
  const char *ca_crt = capz_json_ptr_str(ca, "/data/tls.crt", "");
  char *kca = kubeconfig_ca(kc);
  ck_assert_msg(kca && strcmp(kca, ca_crt) == 0, "kubeconfig CA differs from the <cluster>-ca Secret");
  free(kca);
  /* A lost kubeconfig is rewritten from the same CA. */
  ck_assert_int_eq(env_delete("v1", "Secret", ns, "k1-kubeconfig"), 0);
  ck_assert_int_eq(env_patch(KCPV, "KubeadmControlPlane", ns, "k1-control-plane",
                             "{\"metadata\":{\"annotations\":{\"test\":\"poke\"}}}", false),
                   0);
  env_wait_field("v1", "Secret", ns, "k1-kubeconfig", "/data/value", NULL);
  cJSON *kc2 = env_get("v1", "Secret", ns, "k1-kubeconfig");
  kca = kubeconfig_ca(kc2);
  ck_assert_msg(kca && strcmp(kca, ca_crt) == 0, "rewritten kubeconfig does not use the existing CA");
  free(kca);
  cJSON_Delete(kc2);
  cJSON_Delete(ca);

  env_wait_field(CAPI, "Machine", ns, m1, "/status/phase", "Provisioning");
  cJSON_Delete(kc);
  cJSON_Delete(sec);
  cJSON_Delete(cfg);
  cJSON_Delete(am);
  cJSON_Delete(m);
  cJSON_Delete(kcp);
  free(m1);
}
END_TEST

/* providerID contains the machine name: compare through a predicate instead. */
static bool p_provider_id(void *ud) {
  const char **a = ud;
  cJSON *m = env_get(CAPI, "Machine", a[0], a[1]);
  const char *pid = capz_json_ptr_str(m, "/spec/providerID", "");
  bool ok = strstr(pid, a[1]) != NULL && strncmp(pid, "azure:///", 9) == 0;
  cJSON_Delete(m);
  return ok;
}

START_TEST(kcp_status_and_machine_propagation) {
  const char *ns = "t-kcp2", *cn = "k2";
  apply("cluster-template.yaml", ns, cn, "2", "0");
  provide_cluster(ns, cn);
  const char *sel = "cluster.x-k8s.io/control-plane-name=k2-control-plane";
  env_q one = {CAPI, "Machine", ns, NULL, sel, 1};
  ck_assert(env_wait(env_p_total_count, &one, ENV_WAIT_MS));
  char *m1 = first_name(CAPI, "Machine", ns, sel);
  env_wait_field(CAPI, "Machine", ns, m1, "/status/bootstrapReady", "true");
  /* creationTimestamp has one-second resolution: keep "oldest" unambiguous for the scale-down below. */
  usleep(1100 * 1000);
  provide_machine(ns, m1);
  const char *a[] = {ns, m1};
  ck_assert(env_wait(p_provider_id, a, ENV_WAIT_MS));
  env_wait_field(CAPI, "Machine", ns, m1, "/status/addresses/0/address", "10.0.0.4");
  env_wait_field(CAPI, "Machine", ns, m1, "/status/infrastructureReady", "true");
  env_wait_field(CAPI, "Machine", ns, m1, "/status/phase", "Provisioned");
  env_wait_field(KCPV, "KubeadmControlPlane", ns, "k2-control-plane", "/status/initialized", "true");
  env_wait_field(KCPV, "KubeadmControlPlane", ns, "k2-control-plane", "/status/readyReplicas", "1");
  env_wait_field(KCPV, "KubeadmControlPlane", ns, "k2-control-plane", "/status/version", "v1.31.1");
  env_wait_field(CAPI, "Cluster", ns, cn, "/status/controlPlaneReady", "true");
  /* The second machine joins. */
  ck_assert(env_wait_count(CAPI, "Machine", ns, sel, 2, false));
  cJSON *l = env_list(CAPI, "Machine", ns, sel);
  const cJSON *i;
  const char *m2 = NULL;
  cJSON_ArrayForEach(i, l) if (strcmp(capz_json_ptr_str(i, "/metadata/name", ""), m1) != 0) m2 =
      capz_json_ptr_str(i, "/metadata/name", "");
  ck_assert_ptr_nonnull(m2);
  env_wait_field(BOOT, "KubeadmConfig", ns, m2, "/status/ready", "true");
  cJSON *cfg = env_get(BOOT, "KubeadmConfig", ns, m2);
  ck_assert_ptr_nonnull(capz_json_ptr_get(cfg, "/spec/joinConfiguration/controlPlane"));
  ck_assert_ptr_null(capz_json_ptr_get(cfg, "/spec/initConfiguration"));
  /* Failure on the infra object makes the Machine Failed. */
  ck_assert_int_eq(env_patch(INFRA, "AzureMachine", ns, m2,
                             "{\"status\":{\"failureReason\":\"CreateError\",\"failureMessage\":\"quota\"}}", true),
                   0);
  env_wait_field(CAPI, "Machine", ns, m2, "/status/phase", "Failed");
  env_wait_field(CAPI, "Machine", ns, m2, "/status/failureReason", "CreateError");
  env_wait_field(CAPI, "Machine", ns, m2, "/status/failureMessage", "quota");
  /* Scale down 2 -> 1: KCP removes the oldest machine. */
  ck_assert_int_eq(env_patch(KCPV, "KubeadmControlPlane", ns, "k2-control-plane", "{\"spec\":{\"replicas\":1}}", false),
                   0);
  ck_assert_msg(env_wait_gone(CAPI, "Machine", ns, m1), "KCP did not remove its oldest machine");
  cJSON *still = env_get(CAPI, "Machine", ns, m2);
  ck_assert_msg(still != NULL, "KCP removed the newer machine");
  cJSON_Delete(still);
  cJSON_Delete(cfg);
  cJSON_Delete(l);
  free(m1);
}
END_TEST

START_TEST(machinedeployment_scale_down) {
  const char *ns = "t-md", *cn = "d1";
  apply("cluster-template.yaml", ns, cn, "1", "3");
  const char *sel = "cluster.x-k8s.io/deployment-name=d1-md-0";
  ck_assert(env_wait_count(CAPI, "Machine", ns, sel, 3, true));
  cJSON *l = env_list(CAPI, "Machine", ns, sel);
  char names[3][128];
  const cJSON *i;
  int k = 0;
  cJSON_ArrayForEach(i, l) {
    snprintf(names[k], sizeof names[k], "%s", capz_json_ptr_str(i, "/metadata/name", ""));
    /* MachineSet machines: labels and controller owner MachineSet. */
    ck_assert_ptr_nonnull(env_label(i, "cluster.x-k8s.io/set-name"));
    ck_assert_str_eq(env_label(i, "cluster.x-k8s.io/cluster-name"), cn);
    ck_assert_str_eq(capz_json_ptr_str(i, "/metadata/ownerReferences/0/kind", ""), "MachineSet");
    k++;
  }
  cJSON_Delete(l);
  cJSON *m0 = env_get(CAPI, "Machine", ns, names[0]);
  cJSON *ms = env_get(CAPI, "MachineSet", ns, env_label(m0, "cluster.x-k8s.io/set-name"));
  cJSON_Delete(m0);
  ck_assert_ptr_nonnull(ms);
  ck_assert_str_eq(capz_json_ptr_str(ms, "/metadata/ownerReferences/0/kind", ""), "MachineDeployment");
  /* Worker AzureMachine: cloned from the md template. */
  cJSON *am = env_get(INFRA, "AzureMachine", ns, names[0]);
  ck_assert_str_eq(capz_json_ptr_str(am, "/spec/vmSize", ""), "Standard_D4s_v3");
  ck_assert_str_eq(env_annotation(am, "cluster.x-k8s.io/cloned-from-name"), "d1-md-0");
  /* Workers wait for the control plane before bootstrap data exists. */
  ck_assert_ptr_null(env_get("v1", "Secret", ns, names[0]));
  /* Mark one machine for deletion, then scale 3 -> 1: the marked one and one unmarked go. */
  char ann[256];
  snprintf(ann, sizeof ann, "{\"metadata\":{\"annotations\":{\"cluster.x-k8s.io/delete-machine\":\"yes\"}}}");
  ck_assert_int_eq(env_patch(CAPI, "Machine", ns, names[1], ann, false), 0);
  usleep(200 * 1000);
  ck_assert_int_eq(env_patch(CAPI, "MachineDeployment", ns, "d1-md-0", "{\"spec\":{\"replicas\":1}}", false), 0);
  ck_assert_msg(env_wait_gone(CAPI, "Machine", ns, names[1]), "machine marked delete-machine was not removed");
  ck_assert(env_wait_count(CAPI, "Machine", ns, sel, 1, false));
  /* Its infrastructure machine and bootstrap config went with it. */
  ck_assert(env_wait_gone(INFRA, "AzureMachine", ns, names[1]));
  ck_assert(env_wait_gone(BOOT, "KubeadmConfig", ns, names[1]));
  env_wait_field(CAPI, "MachineDeployment", ns, "d1-md-0", "/status/replicas", "1");
  cJSON_Delete(ms);
  cJSON_Delete(am);
}
END_TEST

START_TEST(machinedeployment_template_change_replaces_machineset) {
  const char *ns = "t-roll", *cn = "o1";
  apply("cluster-template.yaml", ns, cn, "1", "2");
  const char *sel = "cluster.x-k8s.io/deployment-name=o1-md-0";
  ck_assert(env_wait_count(CAPI, "MachineSet", ns, sel, 1, false));
  char *old = first_name(CAPI, "MachineSet", ns, sel);
  ck_assert(env_wait_count(CAPI, "Machine", ns, sel, 2, true));
  ck_assert_int_eq(env_patch(CAPI, "MachineDeployment", ns, "o1-md-0",
                             "{\"spec\":{\"template\":{\"spec\":{\"version\":\"v1.31.2\"}}}}", false),
                   0);
  /* A new MachineSet (new template hash) takes over; the old one is emptied and removed. */
  ck_assert_msg(env_wait_gone(CAPI, "MachineSet", ns, old), "old MachineSet %s was not removed", old);
  ck_assert(env_wait_count(CAPI, "MachineSet", ns, sel, 1, false));
  char *cur = first_name(CAPI, "MachineSet", ns, sel);
  ck_assert_str_ne(cur, old);
  char msel[256];
  snprintf(msel, sizeof msel, "cluster.x-k8s.io/set-name=%s", cur);
  ck_assert(env_wait_count(CAPI, "Machine", ns, msel, 2, true));
  cJSON *l = env_list(CAPI, "Machine", ns, msel);
  ck_assert_str_eq(capz_json_ptr_str(l, "/0/spec/version", ""), "v1.31.2");
  cJSON_Delete(l);
  free(old);
  free(cur);
}
END_TEST

START_TEST(deletion_waits_for_children_in_order) {
  const char *ns = "t-del", *cn = "x1";
  apply("cluster-template.yaml", ns, cn, "1", "1");
  provide_cluster(ns, cn);
  const char *cpsel = "cluster.x-k8s.io/control-plane-name=x1-control-plane";
  ck_assert(env_wait_count(CAPI, "Machine", ns, cpsel, 1, false));
  char *cpm = first_name(CAPI, "Machine", ns, cpsel);
  /* The worker Machine comes from another controller's queue: wait for it too. */
  ck_assert(env_wait_count(CAPI, "Machine", ns, "cluster.x-k8s.io/deployment-name=x1-md-0", 1, false));
  char *wm = first_name(CAPI, "Machine", ns, "cluster.x-k8s.io/deployment-name=x1-md-0");
  ck_assert_ptr_nonnull(wm);
  /* The provider's finalizers hold the infra objects, as CAPZ's do. */
  const char *fin = "{\"metadata\":{\"finalizers\":[\"test.capz.io/hold\"]}}";
  ck_assert_int_eq(env_patch(INFRA, "AzureCluster", ns, cn, fin, false), 0);
  env_wait_field(INFRA, "AzureMachine", ns, cpm, "/metadata/ownerReferences/0/kind", "Machine");
  ck_assert_int_eq(env_patch(INFRA, "AzureMachine", ns, cpm, fin, false), 0);
  ck_assert_int_eq(env_delete(CAPI, "Cluster", ns, cn), 0);
  env_wait_field(CAPI, "Cluster", ns, cn, "/status/phase", "Deleting");
  /* Workers go first. */
  ck_assert(env_wait_gone(CAPI, "Machine", ns, wm));
  /* The control plane machine is being deleted, but waits for its AzureMachine. */
  env_q cpdel = {CAPI, "Machine", ns, cpm, NULL, 0};
  ck_assert(env_wait(env_p_deleting, &cpdel, ENV_WAIT_MS));
  ck_assert(env_wait_deleting(INFRA, "AzureMachine", ns, cpm));
  usleep(500 * 1000);
  ck_assert_msg(env_p_deleting(&cpdel), "Machine released its finalizer while its AzureMachine still existed");
  env_q acdel = {INFRA, "AzureCluster", ns, cn, NULL, 0};
  ck_assert_msg(!env_p_deleting(&acdel), "AzureCluster deleted before the control plane was gone");
  /* Provider finishes the VM: machine, KCP go; then the AzureCluster is deleted. */
  ck_assert_int_eq(env_patch(INFRA, "AzureMachine", ns, cpm, "{\"metadata\":{\"finalizers\":null}}", false), 0);
  ck_assert(env_wait(env_p_gone, &cpdel, ENV_WAIT_MS));
  ck_assert(env_wait_gone(KCPV, "KubeadmControlPlane", ns, "x1-control-plane"));
  ck_assert(env_wait(env_p_deleting, &acdel, ENV_WAIT_MS));
  usleep(300 * 1000);
  env_q clq = {CAPI, "Cluster", ns, cn, NULL, 0};
  ck_assert_msg(!env_p_gone(&clq), "Cluster removed while its AzureCluster still existed");
  ck_assert_int_eq(env_patch(INFRA, "AzureCluster", ns, cn, "{\"metadata\":{\"finalizers\":null}}", false), 0);
  ck_assert(env_wait(env_p_gone, &clq, ENV_WAIT_MS));
  free(cpm);
  free(wm);
}
END_TEST

/* A Cluster on its way out gets no new MachineSet or Machine: neither for a MachineDeployment created after the
 * deletion started, nor for the ones its deletion removes (the sim's cache lags their delete events). */
static bool p_no_new_sets(void *ud) {
  const char **x = ud; /* ns, selector, name of the one set that existed before */
  cJSON *l = env_list(CAPI, "MachineSet", x[0], x[1]);
  const cJSON *i;
  bool extra = false;
  cJSON_ArrayForEach(i, l) {
    const char *n = capz_json_ptr_str(i, "/metadata/name", "");
    extra |= strcmp(n, x[2]) != 0 && strcmp(n, "g1-ms-late") != 0;
  }
  cJSON_Delete(l);
  cJSON *m = env_list(CAPI, "Machine", x[0], "test/late=yes");
  extra |= cJSON_GetArraySize(m) > 0; /* a machine of the late set */
  cJSON_Delete(m);
  return extra;
}

START_TEST(deleting_cluster_grows_nothing) {
  const char *ns = "t-nogrow", *cn = "g1";
  apply("cluster-template.yaml", ns, cn, "1", "2");
  provide_cluster(ns, cn);
  env_q two = {CAPI, "Machine", ns, NULL, "cluster.x-k8s.io/deployment-name=g1-md-0", 2};
  ck_assert(env_wait(env_p_live_count, &two, ENV_WAIT_MS));
  char *set0 = first_name(CAPI, "MachineSet", ns, "cluster.x-k8s.io/deployment-name=g1-md-0");
  ck_assert_ptr_nonnull(set0);
  /* the AzureCluster's finalizer holds the Cluster in Deleting */
  ck_assert_int_eq(env_patch(INFRA, "AzureCluster", ns, cn, "{\"metadata\":{\"finalizers\":[\"test.capz.io/hold\"]}}",
                             false), 0);
  /* a second deployment of the same cluster, not created yet: its body from the first one */
  cJSON *md = env_get(CAPI, "MachineDeployment", ns, "g1-md-0");
  ck_assert_ptr_nonnull(md);
  cJSON_DeleteItemFromObject(md, "status");
  cJSON *meta = cJSON_CreateObject();
  cJSON_AddStringToObject(meta, "name", "g1-md-late");
  cJSON_AddStringToObject(meta, "namespace", ns);
  cJSON_ReplaceItemInObject(md, "metadata", meta);
  capz_json_ptr_set_str(md, "/spec/selector/matchLabels/cluster.x-k8s.io~1deployment-name", "g1-md-late", NULL);
  capz_json_ptr_set_str(md, "/spec/template/metadata/labels/cluster.x-k8s.io~1deployment-name", "g1-md-late", NULL);
  char *late = cJSON_PrintUnformatted(md);
  cJSON_Delete(md);
  /* and a MachineSet of the cluster that its deletion does not list (no cluster-name label, no owner): only the
   * Cluster's deletionTimestamp can keep it from making machines */
  cJSON *ms = env_get(CAPI, "MachineSet", ns, set0);
  ck_assert_ptr_nonnull(ms);
  cJSON_DeleteItemFromObject(ms, "status");
  meta = cJSON_CreateObject();
  cJSON_AddStringToObject(meta, "name", "g1-ms-late");
  cJSON_AddStringToObject(meta, "namespace", ns);
  cJSON_ReplaceItemInObject(ms, "metadata", meta);
  cJSON *late_labels = cJSON_CreateObject();
  cJSON_AddStringToObject(late_labels, "test/late", "yes");
  cJSON_ReplaceItemInObject(cJSON_GetObjectItem(ms, "spec"), "selector", cJSON_CreateObject());
  cJSON_AddItemToObject(capz_json_ptr_get(ms, "/spec/selector"), "matchLabels", cJSON_Duplicate(late_labels, 1));
  cJSON_ReplaceItemInObject(capz_json_ptr_get(ms, "/spec/template"), "metadata", cJSON_CreateObject());
  cJSON_AddItemToObject(capz_json_ptr_get(ms, "/spec/template/metadata"), "labels", late_labels);
  capz_json_ptr_set(ms, "/spec/replicas", cJSON_CreateNumber(1), NULL);
  char *late_ms = cJSON_PrintUnformatted(ms);
  cJSON_Delete(ms);

  ck_assert_int_eq(env_delete(CAPI, "Cluster", ns, cn), 0);
  env_wait_field(CAPI, "Cluster", ns, cn, "/status/phase", "Deleting");
  ck_assert(env_wait_count(CAPI, "Machine", ns, "cluster.x-k8s.io/deployment-name=g1-md-0", 0, false));
  /* the Cluster deletes any machine it finds within milliseconds: while we look, deletes of Machines fail, so a
   * machine made by mistake stays visible */
  ck_assert_int_eq(env_sim_request("POST", "/_sim/fail",
                                   "{\"method\":\"DELETE\",\"path\":\"/apis/cluster.x-k8s.io/*/namespaces/t-nogrow/"
                                   "machines/*\",\"code\":500,\"reason\":\"InternalError\",\"message\":\"held\","
                                   "\"count\":0}"), 0);
  ck_assert_int_eq(env_apply(ns, late), 0);
  ck_assert_int_eq(env_apply(ns, late_ms), 0);
  free(late);
  free(late_ms);
  /* for two seconds: no MachineSet but the original one, for either deployment */
  const char *x[3] = {ns, NULL, set0}; /* every set of the namespace */
  ck_assert_msg(!env_wait(p_no_new_sets, (void *)x, 2000), "a MachineSet was created while the Cluster was deleting");
  env_q late_sets = {CAPI, "MachineSet", ns, NULL, "cluster.x-k8s.io/deployment-name=g1-md-late", 0};
  ck_assert(env_p_total_count(&late_sets));
  env_q late_machines = {CAPI, "Machine", ns, NULL, "test/late=yes", 0};
  ck_assert_msg(env_p_total_count(&late_machines), "the late MachineSet made a Machine while its Cluster was deleting");
  ck_assert_int_eq(env_sim_request("DELETE", "/_sim/fail", NULL), 0);
  ck_assert_int_eq(env_delete(CAPI, "MachineSet", ns, "g1-ms-late"), 0);
  /* and the workers all went: none was re-created behind the deletion */
  ck_assert(env_wait_count(CAPI, "Machine", ns, "cluster.x-k8s.io/deployment-name=g1-md-0", 0, false));
  ck_assert_int_eq(env_patch(INFRA, "AzureCluster", ns, cn, "{\"metadata\":{\"finalizers\":null}}", false), 0);
  ck_assert(env_wait_gone(CAPI, "Cluster", ns, cn));
  free(set0);
}
END_TEST

START_TEST(machinepool_owns_infra_and_copies_provider_ids) {
  const char *ns = "t-mp", *cn = "p1";
  apply("cluster-template-machinepool.yaml", ns, cn, "1", "2");
  provide_cluster(ns, cn);
  const char *mp = "p1-mp-0";
  cJSON *mpo = env_get(CAPI, "MachinePool", ns, mp);
  ck_assert_ptr_nonnull(mpo);
  env_wait_field(INFRA, "AzureMachinePool", ns, mp, "/metadata/ownerReferences/0/uid",
             capz_json_ptr_str(mpo, "/metadata/uid", ""));
  env_wait_field(CAPI, "MachinePool", ns, mp, "/metadata/finalizers/0", "machinepool.cluster.x-k8s.io");
  /* Bootstrap waits for the control plane; make the control plane machine exist and be ready. */
  const char *cpsel = "cluster.x-k8s.io/control-plane-name=p1-control-plane";
  ck_assert(env_wait_count(CAPI, "Machine", ns, cpsel, 1, false));
  char *cpm = first_name(CAPI, "Machine", ns, cpsel);
  provide_machine(ns, cpm);
  env_wait_field(CAPI, "MachinePool", ns, mp, "/spec/template/spec/bootstrap/dataSecretName", mp);
  cJSON *sec = env_get("v1", "Secret", ns, mp);
  ck_assert_ptr_nonnull(sec);
  ck_assert_str_eq(capz_json_ptr_str(sec, "/type", ""), "cluster.x-k8s.io/secret");
  env_wait_field(CAPI, "MachinePool", ns, mp, "/status/bootstrapReady", "true");
  /* Provider reports instances. */
  ck_assert_int_eq(env_patch(INFRA, "AzureMachinePool", ns, mp,
                             "{\"spec\":{\"providerIDList\":[\"azure:///a/virtualMachines/0\",\"azure:///a/virtualMachines/1\"]}}",
                             false),
                   0);
  ck_assert_int_eq(env_patch(INFRA, "AzureMachinePool", ns, mp, "{\"status\":{\"ready\":true,\"replicas\":2}}", true), 0);
  env_wait_field(CAPI, "MachinePool", ns, mp, "/spec/providerIDList/1", "azure:///a/virtualMachines/1");
  env_wait_field(CAPI, "MachinePool", ns, mp, "/status/replicas", "2");
  env_wait_field(CAPI, "MachinePool", ns, mp, "/status/readyReplicas", "2");
  env_wait_field(CAPI, "MachinePool", ns, mp, "/status/infrastructureReady", "true");
  /* An autoscaler acting on the VMSS: replicas flow back into MachinePool.spec.replicas. */
  ck_assert_int_eq(env_patch(CAPI, "MachinePool", ns, mp,
                             "{\"metadata\":{\"annotations\":{\"cluster.x-k8s.io/replicas-managed-by\":\"\"}}}", false),
                   0);
  ck_assert_int_eq(env_patch(INFRA, "AzureMachinePool", ns, mp, "{\"status\":{\"replicas\":5}}", true), 0);
  env_wait_field(CAPI, "MachinePool", ns, mp, "/spec/replicas", "5");
  /* Deletion: the infra pool goes first; the MachinePool keeps its finalizer until it is gone. */
  ck_assert_int_eq(env_patch(INFRA, "AzureMachinePool", ns, mp, "{\"metadata\":{\"finalizers\":[\"test.capz.io/hold\"]}}",
                             false),
                   0);
  ck_assert_int_eq(env_delete(CAPI, "MachinePool", ns, mp), 0);
  ck_assert(env_wait_deleting(INFRA, "AzureMachinePool", ns, mp));
  env_q mpq = {CAPI, "MachinePool", ns, mp, NULL, 0};
  ck_assert(env_wait_gone(BOOT, "KubeadmConfig", ns, mp));
  usleep(300 * 1000);
  ck_assert_msg(!env_p_gone(&mpq), "MachinePool released before its AzureMachinePool was gone");
  ck_assert_int_eq(env_patch(INFRA, "AzureMachinePool", ns, mp, "{\"metadata\":{\"finalizers\":null}}", false), 0);
  ck_assert(env_wait(env_p_gone, &mpq, ENV_WAIT_MS));
  cJSON_Delete(sec);
  cJSON_Delete(mpo);
  free(cpm);
}
END_TEST

START_TEST(aks_cluster_no_kcp_work) {
  const char *ns = "t-aks", *cn = "a1";
  const char *vars[] = {"CLUSTER_NAME", cn, "CLUSTER_IDENTITY_NAME", "identity", "AZURE_LOCATION", "eastus",
                        "AZURE_SUBSCRIPTION_ID", "sub", "KUBERNETES_VERSION", "v1.31.1", "AZURE_NODE_MACHINE_TYPE",
                        "Standard_D2s_v3", "AZURE_CLIENT_ID_USER_ASSIGNED_IDENTITY", "client", "AZURE_TENANT_ID",
                        "tenant", "WORKER_MACHINE_COUNT", "2", "AZURE_SSH_PUBLIC_KEY_B64", "", NULL};
  char *y = env_render("cluster-template-aks.yaml", ns, vars);
  ck_assert_ptr_nonnull(y);
  ck_assert_int_eq(env_apply(ns, y), 0);
  free(y);
  cJSON *cl = env_get(CAPI, "Cluster", ns, cn);
  ck_assert_ptr_nonnull(cl);
  const char *cpkind = capz_json_ptr_str(cl, "/spec/controlPlaneRef/kind", "");
  const char *cpname = capz_json_ptr_str(cl, "/spec/controlPlaneRef/name", "");
  env_wait_field(INFRA, cpkind, ns, cpname, "/metadata/ownerReferences/0/kind", "Cluster");
  /* The provider publishes the endpoint on the control plane and readiness. */
  ck_assert_int_eq(env_patch(INFRA, cpkind, ns, cpname,
                             "{\"spec\":{\"controlPlaneEndpoint\":{\"host\":\"a1.hcp.eastus.azmk8s.io\",\"port\":443}}}",
                             false),
                   0);
  ck_assert_int_eq(env_patch(INFRA, cpkind, ns, cpname, "{\"status\":{\"ready\":true,\"initialized\":true}}", true), 0);
  env_wait_field(CAPI, "Cluster", ns, cn, "/spec/controlPlaneEndpoint/host", "a1.hcp.eastus.azmk8s.io");
  env_wait_field(CAPI, "Cluster", ns, cn, "/status/controlPlaneReady", "true");
  usleep(300 * 1000);
  ck_assert_msg(env_get("v1", "Secret", ns, "a1-kubeconfig") == NULL, "sim wrote an AKS kubeconfig");
  cJSON_Delete(cl);
}
END_TEST

START_TEST(kcp_version_change_rolls_machines) {
  const char *ns = "t-kcproll", *cn = "kr", *kcp = "kr-control-plane";
  apply("cluster-template.yaml", ns, cn, "1", "0");
  provide_cluster(ns, cn);
  const char *sel = "cluster.x-k8s.io/control-plane-name=kr-control-plane";
  env_q one = {CAPI, "Machine", ns, NULL, sel, 1};
  ck_assert(env_wait(env_p_live_count, &one, ENV_WAIT_MS));
  char *m1 = first_name(CAPI, "Machine", ns, sel);
  provide_machine(ns, m1);
  env_wait_field(KCPV, "KubeadmControlPlane", ns, kcp, "/status/version", "v1.31.1");
  env_wait_field(KCPV, "KubeadmControlPlane", ns, kcp, "/status/readyReplicas", "1");
  usleep(1100 * 1000); /* creationTimestamp resolution: the new machine must be younger */

  ck_assert_int_eq(env_patch(KCPV, "KubeadmControlPlane", ns, kcp, "{\"spec\":{\"version\":\"v1.32.0\"}}", false), 0);
  /* Scale up first: a second machine with the new version; the old one stays while the new is not Ready. */
  env_q two = {CAPI, "Machine", ns, NULL, sel, 2};
  ck_assert(env_wait(env_p_live_count, &two, ENV_WAIT_MS));
  cJSON *l = env_list(CAPI, "Machine", ns, sel);
  char *m2 = NULL;
  const cJSON *i;
  cJSON_ArrayForEach(i, l) if (strcmp(capz_json_ptr_str(i, "/metadata/name", ""), m1) != 0) {
    ck_assert_str_eq(capz_json_ptr_str(i, "/spec/version", ""), "v1.32.0");
    m2 = strdup(capz_json_ptr_str(i, "/metadata/name", ""));
  }
  cJSON_Delete(l);
  ck_assert_ptr_nonnull(m2);
  env_wait_field(KCPV, "KubeadmControlPlane", ns, kcp, "/status/updatedReplicas", "1");
  usleep(300 * 1000);
  ck_assert_msg(env_p_live_count(&two), "the outdated machine went before its replacement was Ready");
  cJSON *k = env_get(KCPV, "KubeadmControlPlane", ns, kcp);
  ck_assert_str_eq(capz_json_ptr_str(k, "/status/version", ""), "v1.31.1"); /* the lowest version running */
  ck_assert(capz_cond_is_false(k, "MachinesSpecUpToDate"));
  cJSON_Delete(k);
  /* The new machine is Ready: the outdated one is removed and the control plane reports the new version. */
  provide_machine(ns, m2);
  env_wait_field(KCPV, "KubeadmControlPlane", ns, kcp, "/status/version", "v1.32.0");
  ck_assert(env_wait(env_p_live_count, &one, ENV_WAIT_MS));
  /* the survivor is the new machine (the old one may still be listed while its deletion completes) */
  cJSON *ml = env_list(CAPI, "Machine", ns, sel);
  char *left = NULL;
  cJSON_ArrayForEach(i, ml) if (!capz_json_ptr_get(i, "/metadata/deletionTimestamp")) left =
      strdup(capz_json_ptr_str(i, "/metadata/name", ""));
  cJSON_Delete(ml);
  ck_assert_ptr_nonnull(left);
  ck_assert_str_eq(left, m2);
  k = env_get(KCPV, "KubeadmControlPlane", ns, kcp);
  ck_assert(capz_cond_is_true(k, "MachinesSpecUpToDate"));
  cJSON_Delete(k);
  free(left);
  free(m1);
  free(m2);
}
END_TEST

START_TEST(sigterm_is_clean_and_restart_adopts_state) {
  const char *ns = "t-restart", *cn = "r1";
  apply("cluster-template.yaml", ns, cn, "1", "1");
  const char *sel = "cluster.x-k8s.io/deployment-name=r1-md-0";
  env_q one = {CAPI, "Machine", ns, NULL, sel, 1};
  ck_assert(env_wait(env_p_total_count, &one, ENV_WAIT_MS));
  int st = 0;
  ck_assert_int_eq(env_restart_capi(&st), 0);
  ck_assert_msg(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0, "capz-capi-sim did not exit 0 on SIGTERM (%d)", st);
  /* The new process works from the existing objects: no duplicate machines, and it acts on new changes. */
  usleep(500 * 1000);
  ck_assert_msg(env_p_total_count(&one), "restart created duplicate machines");
  ck_assert_int_eq(env_patch(CAPI, "MachineDeployment", ns, "r1-md-0", "{\"spec\":{\"replicas\":2}}", false), 0);
  ck_assert(env_wait_count(CAPI, "Machine", ns, sel, 2, false));
}
END_TEST

START_TEST(paused_cluster_is_left_alone) {
  const char *ns = "t-pause", *cn = "z1";
  apply("cluster-template.yaml", ns, cn, "1", "1");
  const char *sel = "cluster.x-k8s.io/deployment-name=z1-md-0";
  env_q one = {CAPI, "Machine", ns, NULL, sel, 1};
  ck_assert(env_wait(env_p_total_count, &one, ENV_WAIT_MS));
  ck_assert_int_eq(env_patch(CAPI, "Cluster", ns, cn, "{\"spec\":{\"paused\":true}}", false), 0);
  usleep(200 * 1000);
  ck_assert_int_eq(env_patch(CAPI, "MachineDeployment", ns, "z1-md-0", "{\"spec\":{\"replicas\":2}}", false), 0);
  usleep(600 * 1000);
  ck_assert_msg(env_p_total_count(&one), "a paused cluster's MachineDeployment was scaled");
  ck_assert_int_eq(env_patch(CAPI, "Cluster", ns, cn, "{\"spec\":{\"paused\":false}}", false), 0);
  ck_assert_msg(env_wait_count(CAPI, "Machine", ns, sel, 2, false), "unpausing did not resume reconciliation");
}
END_TEST

static void setup(void) { ck_assert_msg(env_start() == 0, "environment did not start"); }
static void teardown(void) { env_stop(); }

int main(void) {
  Suite *s = suite_create("capi_sim");
  TCase *tc = tcase_create("capi_sim");
  tcase_add_unchecked_fixture(tc, setup, teardown);
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, cluster_owns_infra_and_copies_endpoint);
  tcase_add_test(tc, kcp_creates_machines_one_at_a_time);
  tcase_add_test(tc, kcp_status_and_machine_propagation);
  tcase_add_test(tc, machinedeployment_scale_down);
  tcase_add_test(tc, machinedeployment_template_change_replaces_machineset);
  tcase_add_test(tc, deletion_waits_for_children_in_order);
  tcase_add_test(tc, deleting_cluster_grows_nothing);
  tcase_add_test(tc, machinepool_owns_infra_and_copies_provider_ids);
  tcase_add_test(tc, aks_cluster_no_kcp_work);
  tcase_add_test(tc, paused_cluster_is_left_alone);
  tcase_add_test(tc, kcp_version_change_rolls_machines);
  tcase_add_test(tc, sigterm_is_clean_and_restart_adopts_state);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_set_fork_status(sr, CK_NOFORK);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? 1 : 0;
}
