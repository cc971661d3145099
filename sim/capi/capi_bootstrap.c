/* capi_bootstrap.c — the kubeadm bootstrap provider's (CABPK) contract: for each KubeadmConfig owned by a
 * Machine or MachinePool, once the cluster's infrastructure is ready (and, for joining nodes, the control plane
 * is initialized), write the bootstrap data Secret named after the config (type cluster.x-k8s.io/secret, keys
 * `value` = a cloud-init document and `format` = cloud-config) and report status.ready + dataSecretName.
 * The document is a faithful shape (files, pre/post commands, kubeadm config, the bootstrap sentinel) but no
 * real kubeadm tokens or certificates: nothing boots from it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capi_sim.h"

cJSON *capi_kubeadmconfig_new(const char *name, const char *ns, const cJSON *spec, const cJSON *labels,
                              const cJSON *owner) {
  cJSON *o = sim_new_object(BOOTSTRAP_V1B1, "KubeadmConfig", ns, name);
  cJSON *md = cJSON_GetObjectItemCaseSensitive(o, "metadata");
  cJSON_AddItemToObject(md, "labels", labels ? cJSON_Duplicate(labels, 1) : cJSON_CreateObject());
  if (owner) sim_add_owner(o, owner, false);
  cJSON_AddItemToObject(o, "spec", spec ? cJSON_Duplicate(spec, 1) : cJSON_CreateObject());
  return o;
}

/* Append `text` to a growing buffer. */
typedef struct sbuf {
  char *p;
  size_t n, cap;
} sbuf;
static void sb_add(sbuf *b, const char *text) {
  size_t l = strlen(text);
  if (b->n + l + 1 > b->cap) {
    size_t nc = (b->cap ? b->cap * 2 : 1024);
    while (nc < b->n + l + 1) nc *= 2;
    char *np = realloc(b->p, nc);
    if (!np) return;
    b->p = np;
    b->cap = nc;
  }
  memcpy(b->p + b->n, text, l + 1);
  b->n += l;
}

/* JSON is YAML, so embedded values are written as single-line JSON scalars. */
static void sb_json(sbuf *b, const cJSON *v) {
  char *t = cJSON_PrintUnformatted(v);
  if (t) sb_add(b, t);
  free(t);
}

static void add_commands(sbuf *b, const cJSON *cmds) {
  const cJSON *c;
  cJSON_ArrayForEach(c, cmds) if (cJSON_IsString(c)) {
    sb_add(b, "  - ");
    sb_json(b, c);
    sb_add(b, "\n");
  }
}

static char *cloud_init(const cJSON *cfg, const cJSON *cluster, bool init) {
  sbuf b = {0};
  sb_add(&b, "## template: jinja\n#cloud-config\nwrite_files:\n");
  const cJSON *f;
  cJSON_ArrayForEach(f, capz_json_ptr_get(cfg, "/spec/files")) {
    sb_add(&b, "- path: ");
    sb_json(&b, cJSON_GetObjectItemCaseSensitive(f, "path"));
    sb_add(&b, "\n  owner: ");
    sb_add(&b, capz_json_ptr_str(f, "/owner", "root:root"));
    sb_add(&b, "\n  permissions: '");
    sb_add(&b, capz_json_ptr_str(f, "/permissions", "0644"));
    sb_add(&b, "'\n  content: ");
    const cJSON *content = cJSON_GetObjectItemCaseSensitive(f, "content");
    if (cJSON_IsString(content)) {
      sb_json(&b, content);
    } else {
      /* contentFrom: CABPK inlines the Secret's key; the emulated node only records where it came from. */
      sb_add(&b, "\"# from secret ");
      sb_add(&b, capz_json_ptr_str(f, "/contentFrom/secret/name", "?"));
      sb_add(&b, " key ");
      sb_add(&b, capz_json_ptr_str(f, "/contentFrom/secret/key", "?"));
      sb_add(&b, "\"");
    }
    sb_add(&b, "\n");
  }
  cJSON *kadm = cJSON_CreateObject();
  const char *sections[] = {"clusterConfiguration", init ? "initConfiguration" : "joinConfiguration"};
  for (int i = init ? 0 : 1; i < 2; i++) {
    const cJSON *sct = capz_json_ptr_get(cfg, i == 0 ? "/spec/clusterConfiguration"
                                                    : (init ? "/spec/initConfiguration" : "/spec/joinConfiguration"));
    cJSON_AddItemToObject(kadm, sections[i], sct ? cJSON_Duplicate(sct, 1) : cJSON_CreateObject());
  }
  char ep[300];
  snprintf(ep, sizeof ep, "%s:%lld", sim_str(cluster, "/spec/controlPlaneEndpoint/host"),
           (long long)capz_json_ptr_int(cluster, "/spec/controlPlaneEndpoint/port", 6443));
  if (init) capz_json_ptr_set_str(kadm, "/clusterConfiguration/controlPlaneEndpoint", ep, NULL);
  sb_add(&b, "- path: /run/kubeadm/kubeadm.yaml\n  owner: root:root\n  permissions: '0640'\n  content: ");
  sb_json(&b, kadm);
  cJSON_Delete(kadm);
  sb_add(&b, "\nruncmd:\n");
  add_commands(&b, capz_json_ptr_get(cfg, "/spec/preKubeadmCommands"));
  sb_add(&b, init ? "  - 'kubeadm init --config /run/kubeadm/kubeadm.yaml'\n"
                  : "  - 'kubeadm join --config /run/kubeadm/kubeadm.yaml'\n");
  add_commands(&b, capz_json_ptr_get(cfg, "/spec/postKubeadmCommands"));
  sb_add(&b, "  - 'mkdir -p /run/cluster-api && echo success > /run/cluster-api/bootstrap-success.complete'\n");
  return b.p;
}

int capi_bootstrap_reconcile(sim *s, const char *ns, const char *name, int64_t *requeue_ms) {
  (void)requeue_ms;
  cJSON *cfg = sim_cached(s, K_KCFG, ns, name);
  if (!cfg) return 0;
  if (sim_paused(s, cfg, ns, sim_label(cfg, L_CLUSTER_NAME))) {
    cJSON_Delete(cfg);
    return 0;
  }
  int rc = 0;
  cJSON *cluster = NULL, *want = NULL;
  /* CABPK works only for configs with a Machine/MachinePool owner and a cluster it can read. */
  if (sim_is_deleting(cfg) || (!sim_owner_name(cfg, "Machine") && !sim_owner_name(cfg, "MachinePool"))) goto out;
  const char *cname = sim_label(cfg, L_CLUSTER_NAME);
  cluster = cname ? sim_cached(s, K_CLUSTER, ns, cname) : NULL;
  if (!cluster || !capz_json_ptr_bool(cluster, "/status/infrastructureReady", false)) goto out;
  bool init = capz_json_ptr_get(cfg, "/spec/initConfiguration") != NULL ||
              (capz_json_ptr_get(cfg, "/spec/clusterConfiguration") != NULL &&
               !capz_json_ptr_get(cfg, "/spec/joinConfiguration"));
  if (!init && !capz_cond_is_true(cluster, "ControlPlaneInitialized")) goto out; /* joins wait for kubeadm init */

  capz_gvk sg = {"", "v1", "Secret", "secrets", true};
  cJSON *existing = NULL;
  capz_err err;
  capz_err_clear(&err);
  if (capz_kube_get(s->c, &sg, ns, name, &existing, &err) == CAPZ_ENOTFOUND) {
    char *doc = cloud_init(cfg, cluster, init);
    const char *format = capz_json_ptr_str(cfg, "/spec/format", "cloud-config");
    char *v64 = NULL, *f64 = NULL;
    v64 = sim_b64(doc);
    f64 = sim_b64(format);
    cJSON *sec = sim_new_capi_secret(name, ns, cname, cfg);
    cJSON *data = cJSON_GetObjectItemCaseSensitive(sec, "data");
    cJSON_AddStringToObject(data, "value", v64 ? v64 : "");
    cJSON_AddStringToObject(data, "format", f64 ? f64 : "");
    rc = (doc && v64 && f64) ? sim_create(s, &sg, ns, sec) : CAPZ_ENOMEM;
    free(doc);
    free(v64);
    free(f64);
    cJSON_Delete(sec);
    if (rc != 0) goto out;
  }
  cJSON_Delete(existing);
  want = cJSON_Duplicate(cfg, 1);
  capz_json_ptr_set(want, "/status/ready", cJSON_CreateBool(true), NULL);
  capz_json_ptr_set_str(want, "/status/dataSecretName", name, NULL);
  capz_json_ptr_set(want, "/status/observedGeneration",
                    cJSON_CreateNumber((double)capz_json_ptr_int(cfg, "/metadata/generation", 0)), NULL);
  capz_cond_mark_true(want, "DataSecretAvailable");
  capz_cond_mark_true(want, "CertificatesAvailable");
  capz_cond_set_summary(want, NULL);
  rc = sim_write(s, &s->kinds[K_KCFG].gvk, cfg, want);
out:
  cJSON_Delete(want);
  cJSON_Delete(cluster);
  cJSON_Delete(cfg);
  return rc;
}
