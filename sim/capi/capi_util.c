/* capi_util.c — kind table, cache reads, change-only writes and small object edits shared by the reconcilers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "capi_sim.h"
#include "capz/controller.h"

#define INFRA_V1B1 "infrastructure.cluster.x-k8s.io/v1beta1"

static void kind_set(sim *s, int idx, const char *group, const char *api_version, const char *kind,
                     const char *plural) {
  sim_kind *k = &s->kinds[idx];
  k->s = s;
  k->idx = idx;
  k->api_version = api_version;
  k->gvk.group = group;
  k->gvk.version = "v1beta1";
  k->gvk.kind = kind;
  k->gvk.plural = plural;
  k->gvk.namespaced = true;
}

void sim_kinds_init(sim *s) {
  kind_set(s, K_CLUSTER, CAPI_GROUP, CAPI_V1B1, "Cluster", "clusters");
  kind_set(s, K_KCP, "controlplane.cluster.x-k8s.io", CONTROLPLANE_V1B1, "KubeadmControlPlane", "kubeadmcontrolplanes");
  kind_set(s, K_MD, CAPI_GROUP, CAPI_V1B1, "MachineDeployment", "machinedeployments");
  kind_set(s, K_MS, CAPI_GROUP, CAPI_V1B1, "MachineSet", "machinesets");
  kind_set(s, K_MACHINE, CAPI_GROUP, CAPI_V1B1, "Machine", "machines");
  kind_set(s, K_MP, CAPI_GROUP, CAPI_V1B1, "MachinePool", "machinepools");
  kind_set(s, K_KCFG, "bootstrap.cluster.x-k8s.io", BOOTSTRAP_V1B1, "KubeadmConfig", "kubeadmconfigs");
  const char *ig = "infrastructure.cluster.x-k8s.io";
  kind_set(s, K_AZCLUSTER, ig, INFRA_V1B1, "AzureCluster", "azureclusters");
  kind_set(s, K_AZMCLUSTER, ig, INFRA_V1B1, "AzureManagedCluster", "azuremanagedclusters");
  kind_set(s, K_AZASOCLUSTER, ig, INFRA_V1B1, "AzureASOManagedCluster", "azureasomanagedclusters");
  kind_set(s, K_AZMCP, ig, INFRA_V1B1, "AzureManagedControlPlane", "azuremanagedcontrolplanes");
  kind_set(s, K_AZASOCP, ig, INFRA_V1B1, "AzureASOManagedControlPlane", "azureasomanagedcontrolplanes");
  kind_set(s, K_AZMACHINE, ig, INFRA_V1B1, "AzureMachine", "azuremachines");
  kind_set(s, K_AZMP, ig, INFRA_V1B1, "AzureMachinePool", "azuremachinepools");
  kind_set(s, K_AZMMP, ig, INFRA_V1B1, "AzureManagedMachinePool", "azuremanagedmachinepools");
  kind_set(s, K_AZASOMP, ig, INFRA_V1B1, "AzureASOManagedMachinePool", "azureasomanagedmachinepools");
  kind_set(s, K_CLUSTERCLASS, CAPI_GROUP, CAPI_V1B1, "ClusterClass", "clusterclasses");
}

static size_t group_len(const char *api_version) {
  const char *slash = strchr(api_version, '/');
  return slash ? (size_t)(slash - api_version) : 0;
}

sim_kind *sim_kind_for(sim *s, const char *api_version, const char *kind) {
  if (!api_version || !kind) return NULL;
  size_t gl = group_len(api_version);
  for (int i = 0; i < K_NKINDS; i++) {
    sim_kind *k = &s->kinds[i];
    if (strcmp(k->gvk.kind, kind) == 0 && strlen(k->gvk.group) == gl && strncmp(k->gvk.group, api_version, gl) == 0)
      return k;
  }
  return NULL;
}

void sim_enqueue(sim *s, int kind, const char *ns, const char *name) {
  if (kind < 0 || kind >= K_NQUEUES || !s->kinds[kind].q || !name || !*name) return;
  capz_key k;
  memset(&k, 0, sizeof k);
  snprintf(k.ns, sizeof k.ns, "%s", ns ? ns : "");
  snprintf(k.name, sizeof k.name, "%s", name);
  capz_workqueue_add(s->kinds[kind].q, &k);
}

cJSON *sim_cached(sim *s, int kind, const char *ns, const char *name) {
  if (kind < 0 || kind >= K_NKINDS || !s->kinds[kind].inf || !name) return NULL;
  const capz_obj *o = NULL;
  if (capz_informer_get_obj(s->kinds[kind].inf, ns, name, &o) != 0) return NULL;
  cJSON *copy = cJSON_Duplicate(capz_obj_json(o), 1);
  capz_obj_unref(o);
  return copy;
}

int sim_gvk(sim *s, const char *api_version, const char *kind, capz_gvk *gvk, char *buf, size_t n) {
  if (!api_version || !kind || n < 8) return CAPZ_EINVAL;
  const char *slash = strchr(api_version, '/');
  size_t gl = slash ? (size_t)(slash - api_version) : 0;
  const char *ver = slash ? slash + 1 : api_version;
  int w = snprintf(buf, n, "%.*s%c%s%c%s", (int)gl, api_version, 0, ver, 0, kind);
  if (w < 0 || (size_t)w >= n) return CAPZ_EINVAL;
  memset(gvk, 0, sizeof *gvk);
  gvk->group = buf;
  gvk->version = buf + gl + 1;
  gvk->kind = gvk->version + strlen(gvk->version) + 1;
  sim_kind *k = sim_kind_for(s, api_version, kind);
  if (k) {
    gvk->plural = k->gvk.plural;
    gvk->namespaced = true;
    return 0;
  }
  capz_err err;
  capz_err_clear(&err);
  return capz_kube_resolve(s->c, gvk, &err);
}

cJSON *sim_ref_get(sim *s, const cJSON *ref, const char *ns, capz_gvk *gvk_out, char *buf, size_t n) {
  const char *av = capz_json_ptr_str(ref, "/apiVersion", NULL), *kind = capz_json_ptr_str(ref, "/kind", NULL);
  const char *name = capz_json_ptr_str(ref, "/name", NULL);
  if (!av || !kind || !name || !*name) return NULL;
  capz_gvk local = {0};
  char lbuf[256];
  capz_gvk *g = gvk_out ? gvk_out : &local;
  if (!gvk_out) {
    buf = lbuf;
    n = sizeof lbuf;
  }
  if (sim_gvk(s, av, kind, g, buf, n) != 0) return NULL;
  sim_kind *k = sim_kind_for(s, av, kind);
  if (k && k->inf) return sim_cached(s, k->idx, ns, name);
  cJSON *out = NULL;
  capz_err err;
  capz_err_clear(&err);
  if (capz_kube_get(s->c, g, ns, name, &out, &err) != 0) return NULL;
  return out;
}

int sim_list(sim *s, int kind, const char *ns, const char *selector, capz_obj_list *out) {
  memset(out, 0, sizeof *out);
  if (!s->kinds[kind].inf) return 0;
  capz_err err;
  capz_err_clear(&err);
  return capz_informer_list(s->kinds[kind].inf, ns, selector, out, &err);
}

/* A copy of obj without status and without server-maintained metadata, for diffing the writable part. */
static cJSON *main_part(const cJSON *obj) {
  cJSON *c = cJSON_Duplicate(obj, 1);
  cJSON_DeleteItemFromObjectCaseSensitive(c, "status");
  cJSON *md = cJSON_GetObjectItemCaseSensitive(c, "metadata");
  if (md) {
    cJSON_DeleteItemFromObjectCaseSensitive(md, "resourceVersion");
    cJSON_DeleteItemFromObjectCaseSensitive(md, "managedFields");
    cJSON_DeleteItemFromObjectCaseSensitive(md, "generation");
  }
  return c;
}

static bool empty_object(const cJSON *o) { return cJSON_IsObject(o) && o->child == NULL; }

int sim_write(sim *s, const capz_gvk *gvk, const cJSON *cur, const cJSON *want) {
  const char *ns = sim_str(cur, "/metadata/namespace"), *name = sim_str(cur, "/metadata/name");
  capz_err err;
  capz_err_clear(&err);
  int rc = 0;
  cJSON *a = main_part(cur), *b = main_part(want);
  cJSON *diff = capz_json_merge_diff(a, b);
  cJSON_Delete(a);
  cJSON_Delete(b);
  if (diff && !empty_object(diff)) {
    /* The resourceVersion makes the patch conditional: arrays (finalizers, ownerReferences) are replaced
     * whole by a merge patch, so a concurrent writer must not be overwritten. */
    const char *rv = capz_json_ptr_str(cur, "/metadata/resourceVersion", NULL);
    if (rv) capz_json_ptr_set_str(diff, "/metadata/resourceVersion", rv, NULL);
    rc = capz_kube_patch(s->c, gvk, ns, name, CAPZ_PATCH_MERGE, diff, NULL, NULL, &err);
    if (rc != 0)
      capz_log(s->log, CAPZ_LOG_WARN, "patch failed", "kind", gvk->kind, "namespace", ns, "name", name, "error",
               err.msg, NULL);
    else
      capz_log_v(s->log, 1, "patched", "kind", gvk->kind, "namespace", ns, "name", name, NULL);
  }
  cJSON_Delete(diff);
  if (rc != 0) return rc;
  const cJSON *cs = cJSON_GetObjectItemCaseSensitive(cur, "status");
  const cJSON *ws = cJSON_GetObjectItemCaseSensitive(want, "status");
  if (!ws) return 0;
  cJSON *sd = capz_json_merge_diff(cs ? cs : NULL, ws);
  if (sd && !empty_object(sd) && !(cs == NULL && empty_object(ws))) {
    cJSON *p = cJSON_CreateObject();
    cJSON_AddItemToObject(p, "status", sd);
    sd = NULL;
    capz_patch_opts po = {.subresource = "status"};
    rc = capz_kube_patch(s->c, gvk, ns, name, CAPZ_PATCH_MERGE, p, &po, NULL, &err);
    if (rc != 0 && rc != CAPZ_ENOTFOUND)
      capz_log(s->log, CAPZ_LOG_WARN, "status patch failed", "kind", gvk->kind, "namespace", ns, "name", name,
               "error", err.msg, NULL);
    else if (rc == 0)
      capz_log_v(s->log, 1, "status patched", "kind", gvk->kind, "namespace", ns, "name", name, NULL);
    if (rc == CAPZ_ENOTFOUND) rc = 0;
    cJSON_Delete(p);
  }
  cJSON_Delete(sd);
  return rc;
}

int sim_create(sim *s, const capz_gvk *gvk, const char *ns, const cJSON *obj) {
  capz_err err;
  capz_err_clear(&err);
  int rc = capz_kube_create(s->c, gvk, ns, obj, NULL, &err);
  if (rc == CAPZ_EEXIST) return 0;
  if (rc != 0)
    capz_log(s->log, CAPZ_LOG_WARN, "create failed", "kind", gvk->kind, "namespace", ns, "name",
             sim_str(obj, "/metadata/name"), "error", err.msg, NULL);
  else
    capz_log(s->log, CAPZ_LOG_INFO, "created", "kind", gvk->kind, "namespace", ns, "name",
             sim_str(obj, "/metadata/name"), NULL);
  return rc;
}

int sim_delete(sim *s, const capz_gvk *gvk, const char *ns, const char *name) {
  capz_err err;
  capz_err_clear(&err);
  int rc = capz_kube_delete(s->c, gvk, ns, name, NULL, &err);
  if (rc == CAPZ_ENOTFOUND) return 0;
  if (rc == 0)
    capz_log(s->log, CAPZ_LOG_INFO, "deleting", "kind", gvk->kind, "namespace", ns, "name", name, NULL);
  else
    capz_log(s->log, CAPZ_LOG_WARN, "delete failed", "kind", gvk->kind, "namespace", ns, "name", name, "error",
             err.msg, NULL);
  return rc;
}

const char *sim_str(const cJSON *obj, const char *ptr) { return capz_json_ptr_str(obj, ptr, ""); }

bool sim_is_deleting(const cJSON *obj) {
  return capz_json_ptr_get(obj, "/metadata/deletionTimestamp") != NULL &&
         !cJSON_IsNull(capz_json_ptr_get(obj, "/metadata/deletionTimestamp"));
}

static bool live_and_not_deleting(sim *s, int kind, const char *ns, const char *name) {
  cJSON *o = NULL;
  capz_err err;
  capz_err_clear(&err);
  bool ok = capz_kube_get(s->c, &s->kinds[kind].gvk, ns, name, &o, &err) == 0 && o && !sim_is_deleting(o);
  cJSON_Delete(o);
  return ok;
}

bool sim_may_grow(sim *s, int kind, const char *ns, const char *name, const char *cluster_name) {
  if (cluster_name && *cluster_name) {
    cJSON *cl = sim_cached(s, K_CLUSTER, ns, cluster_name);
    bool deleting = cl && sim_is_deleting(cl);
    cJSON_Delete(cl);
    if (deleting) return false;
  }
  if (!live_and_not_deleting(s, kind, ns, name)) return false;
  return !cluster_name || !*cluster_name || live_and_not_deleting(s, K_CLUSTER, ns, cluster_name);
}

static cJSON *meta_child(cJSON *obj, const char *key, bool array) {
  cJSON *md = cJSON_GetObjectItemCaseSensitive(obj, "metadata");
  if (!md) md = cJSON_AddObjectToObject(obj, "metadata");
  cJSON *c = cJSON_GetObjectItemCaseSensitive(md, key);
  if (!c || cJSON_IsNull(c)) {
    if (c) cJSON_DeleteItemFromObjectCaseSensitive(md, key);
    c = array ? cJSON_AddArrayToObject(md, key) : cJSON_AddObjectToObject(md, key);
  }
  return c;
}

bool sim_has_finalizer(const cJSON *obj, const char *fin) {
  const cJSON *f;
  cJSON_ArrayForEach(f, capz_json_ptr_get(obj, "/metadata/finalizers")) if (cJSON_IsString(f) &&
                                                                            strcmp(f->valuestring, fin) == 0) return true;
  return false;
}

void sim_add_finalizer(cJSON *obj, const char *fin) {
  if (sim_has_finalizer(obj, fin)) return;
  cJSON_AddItemToArray(meta_child(obj, "finalizers", true), cJSON_CreateString(fin));
}

void sim_remove_finalizer(cJSON *obj, const char *fin) {
  cJSON *arr = capz_json_ptr_get(obj, "/metadata/finalizers");
  for (int i = cJSON_GetArraySize(arr) - 1; i >= 0; i--) {
    cJSON *f = cJSON_GetArrayItem(arr, i);
    if (cJSON_IsString(f) && strcmp(f->valuestring, fin) == 0) cJSON_DeleteItemFromArray(arr, i);
  }
}

static const char *map_get(const cJSON *obj, const char *which, const char *key) {
  const cJSON *m = capz_json_ptr_get(obj, which);
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(m, key);
  return cJSON_IsString(v) ? v->valuestring : NULL;
}

const char *sim_label(const cJSON *obj, const char *key) { return map_get(obj, "/metadata/labels", key); }
const char *sim_annotation(const cJSON *obj, const char *key) { return map_get(obj, "/metadata/annotations", key); }

static void map_set(cJSON *obj, const char *which, const char *key, const char *value) {
  cJSON *m = meta_child(obj, which, false);
  cJSON *nv = cJSON_CreateString(value);
  if (cJSON_GetObjectItemCaseSensitive(m, key))
    cJSON_ReplaceItemInObjectCaseSensitive(m, key, nv);
  else
    cJSON_AddItemToObject(m, key, nv);
}

void sim_set_label(cJSON *obj, const char *key, const char *value) { map_set(obj, "labels", key, value); }
void sim_set_annotation(cJSON *obj, const char *key, const char *value) { map_set(obj, "annotations", key, value); }

cJSON *sim_owner_ref(const cJSON *owner, bool controller) {
  cJSON *r = cJSON_CreateObject();
  cJSON_AddStringToObject(r, "apiVersion", sim_str(owner, "/apiVersion"));
  cJSON_AddStringToObject(r, "kind", sim_str(owner, "/kind"));
  cJSON_AddStringToObject(r, "name", sim_str(owner, "/metadata/name"));
  cJSON_AddStringToObject(r, "uid", sim_str(owner, "/metadata/uid"));
  if (controller) {
    cJSON_AddBoolToObject(r, "controller", true);
    cJSON_AddBoolToObject(r, "blockOwnerDeletion", true);
  }
  return r;
}

cJSON *sim_ref_to(const cJSON *obj) {
  cJSON *r = cJSON_CreateObject();
  cJSON_AddStringToObject(r, "apiVersion", sim_str(obj, "/apiVersion"));
  cJSON_AddStringToObject(r, "kind", sim_str(obj, "/kind"));
  cJSON_AddStringToObject(r, "name", sim_str(obj, "/metadata/name"));
  return r;
}

static bool same_group_kind(const cJSON *ref, const char *api_version, const char *kind) {
  const char *av = sim_str(ref, "/apiVersion");
  size_t a = group_len(av), b = group_len(api_version);
  return strcmp(sim_str(ref, "/kind"), kind) == 0 && a == b && strncmp(av, api_version, a) == 0;
}

bool sim_owned_by(const cJSON *obj, const cJSON *owner) {
  const cJSON *r;
  const char *uid = sim_str(owner, "/metadata/uid");
  cJSON_ArrayForEach(r, capz_json_ptr_get(obj, "/metadata/ownerReferences")) {
    if (strcmp(sim_str(r, "/uid"), uid) == 0) return true;
  }
  return false;
}

const char *sim_owner_name(const cJSON *obj, const char *kind) {
  const cJSON *r;
  cJSON_ArrayForEach(r, capz_json_ptr_get(obj, "/metadata/ownerReferences")) {
    if (strcmp(sim_str(r, "/kind"), kind) == 0) return sim_str(r, "/name");
  }
  return NULL;
}

void sim_add_owner(cJSON *obj, const cJSON *owner, bool controller) {
  cJSON *arr = meta_child(obj, "ownerReferences", true);
  const char *av = sim_str(owner, "/apiVersion"), *kind = sim_str(owner, "/kind");
  for (int i = cJSON_GetArraySize(arr) - 1; i >= 0; i--) {
    cJSON *r = cJSON_GetArrayItem(arr, i);
    /* One reference per owner group/kind+name (an apiVersion bump replaces it, as CAPI's EnsureOwnerRef does). */
    if (same_group_kind(r, av, kind) && strcmp(sim_str(r, "/name"), sim_str(owner, "/metadata/name")) == 0) {
      cJSON_DeleteItemFromArray(arr, i);
      continue;
    }
    if (controller && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "controller"))) {
      cJSON_DeleteItemFromObjectCaseSensitive(r, "controller");
      cJSON_DeleteItemFromObjectCaseSensitive(r, "blockOwnerDeletion");
    }
  }
  cJSON_AddItemToArray(arr, sim_owner_ref(owner, controller));
}

void sim_remove_owner_kind(cJSON *obj, const char *api_version, const char *kind) {
  cJSON *arr = capz_json_ptr_get(obj, "/metadata/ownerReferences");
  for (int i = cJSON_GetArraySize(arr) - 1; i >= 0; i--)
    if (same_group_kind(cJSON_GetArrayItem(arr, i), api_version, kind)) cJSON_DeleteItemFromArray(arr, i);
}

void sim_random_name(const char *prefix, char *out, size_t n) {
  static const char alphabet[] = "bcdfghjklmnpqrstvwxz2456789"; /* Kubernetes' generateName alphabet */
  unsigned char r[5];
  if (RAND_bytes(r, sizeof r) != 1) memset(r, 7, sizeof r);
  char sfx[6];
  for (int i = 0; i < 5; i++) sfx[i] = alphabet[r[i] % (sizeof alphabet - 1)];
  sfx[5] = 0;
  snprintf(out, n, "%s-%s", prefix, sfx);
}

cJSON *sim_clone_template(const cJSON *tmpl, const char *name, const char *ns, const cJSON *labels,
                          const cJSON *owner) {
  const char *tkind = sim_str(tmpl, "/kind");
  size_t kl = strlen(tkind);
  if (kl <= 8 || strcmp(tkind + kl - 8, "Template") != 0) return NULL;
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "apiVersion", sim_str(tmpl, "/apiVersion"));
  char kind[128];
  snprintf(kind, sizeof kind, "%.*s", (int)(kl - 8), tkind);
  cJSON_AddStringToObject(o, "kind", kind);
  cJSON *md = cJSON_AddObjectToObject(o, "metadata");
  cJSON_AddStringToObject(md, "name", name);
  cJSON_AddStringToObject(md, "namespace", ns);
  /* Template metadata first, then the controller's labels win. */
  const cJSON *tl = capz_json_ptr_get(tmpl, "/spec/template/metadata/labels");
  const cJSON *ta = capz_json_ptr_get(tmpl, "/spec/template/metadata/annotations");
  cJSON_AddItemToObject(md, "labels", cJSON_IsObject(tl) ? cJSON_Duplicate(tl, 1) : cJSON_CreateObject());
  cJSON_AddItemToObject(md, "annotations", cJSON_IsObject(ta) ? cJSON_Duplicate(ta, 1) : cJSON_CreateObject());
  const cJSON *l;
  cJSON_ArrayForEach(l, labels) if (cJSON_IsString(l)) sim_set_label(o, l->string, l->valuestring);
  sim_set_annotation(o, A_CLONED_FROM_NAME, sim_str(tmpl, "/metadata/name"));
  char gk[256];
  const char *av = sim_str(tmpl, "/apiVersion");
  snprintf(gk, sizeof gk, "%s.%.*s", tkind, (int)group_len(av), av);
  sim_set_annotation(o, A_CLONED_FROM_GK, gk);
  if (owner) sim_add_owner(o, owner, false);
  const cJSON *spec = capz_json_ptr_get(tmpl, "/spec/template/spec");
  cJSON_AddItemToObject(o, "spec", spec ? cJSON_Duplicate(spec, 1) : cJSON_CreateObject());
  return o;
}

/* Wait (bounded) until the cache reflects our own write: a create shows up, a delete shows as terminating or
 * gone. The one worker per kind therefore never acts twice on a stale cache (CAPI's "expectations"). */
void sim_wait_cache(sim *s, int kind, const char *ns, const char *name, bool want_present_live) {
  for (int i = 0; i < 200; i++) {
    const capz_obj *o = NULL;
    bool present = s->kinds[kind].inf && capz_informer_get_obj(s->kinds[kind].inf, ns, name, &o) == 0;
    bool live = present && !capz_obj_deleting(o);
    capz_obj_unref(o);
    if (want_present_live ? live : !live) return;
    struct timespec ts = {0, 10 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
}

bool sim_paused(sim *s, const cJSON *obj, const char *ns, const char *cluster_name) {
  cJSON *cl = cluster_name && *cluster_name ? sim_cached(s, K_CLUSTER, ns, cluster_name) : NULL;
  bool p = capz_is_paused(obj, cl);
  cJSON_Delete(cl);
  return p;
}

cJSON *sim_cached_unpaused(sim *s, int kind, const char *ns, const char *name, const char *cluster_ptr) {
  cJSON *obj = sim_cached(s, kind, ns, name);
  if (obj && sim_paused(s, obj, ns, sim_str(obj, cluster_ptr))) {
    cJSON_Delete(obj);
    return NULL;
  }
  return obj;
}

cJSON *sim_want(const cJSON *obj) {
  cJSON *want = cJSON_Duplicate(obj, 1);
  if (want && !cJSON_GetObjectItemCaseSensitive(want, "status")) cJSON_AddObjectToObject(want, "status");
  return want;
}

cJSON *sim_new_object(const char *api_version, const char *kind, const char *ns, const char *name) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "apiVersion", api_version);
  cJSON_AddStringToObject(o, "kind", kind);
  cJSON *md = cJSON_AddObjectToObject(o, "metadata");
  cJSON_AddStringToObject(md, "name", name);
  cJSON_AddStringToObject(md, "namespace", ns);
  return o;
}

cJSON *sim_new_capi_secret(const char *name, const char *ns, const char *cluster, const cJSON *owner) {
  cJSON *sec = sim_new_object("v1", "Secret", ns, name);
  sim_set_label(sec, L_CLUSTER_NAME, cluster);
  sim_add_owner(sec, owner, true);
  cJSON_AddStringToObject(sec, "type", SECRET_TYPE_CAPI);
  cJSON_AddObjectToObject(sec, "data");
  return sec;
}

char *sim_b64(const char *s) {
  if (!s) return NULL;
  size_t n = strlen(s);
  char *o = malloc(4 * ((n + 2) / 3) + 1);
  if (o) EVP_EncodeBlock((unsigned char *)o, (const unsigned char *)s, (int)n);
  return o;
}
