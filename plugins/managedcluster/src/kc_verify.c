/* kc_verify.c — are the workload-cluster Secrets still the ones we wrote? Checked on every control-plane reconcile
 * from the informer cache (the Secret watch in plugin.c wakes the control plane when one changes), so a deleted or
 * edited `<cluster>-kubeconfig` is put back at once instead of at the next credentials refresh (up to 24 h later).
 *
 * What is remembered per Secret is a SHA-256 of its data as written (mc_kc_rec), never the data itself. After a
 * restart nothing is remembered: what the cache holds is taken as ours (when it is labelled and controller-owned by
 * the object), so a restart of many clusters costs no credentials read and no write.
 * Why a write not yet seen in the cache is given MC_KC_PENDING_S: our own write wakes the control plane, and the
 * pass it triggers may run before the cache has the other Secrets of the same write; they are not "missing".
 * Anything else that looks wrong in the cache about a Secret we wrote is confirmed with one GET before it is restored
 * (the cache may lag, or belong to another informer of Secrets), so steady state costs no Kubernetes request at all
 * and neither does a creation. */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "capz/json.h"
#include "mc_api.h"
#include "mc_plugin.h"

const char *const MC_KC_SUFFIX[MC_KC_N] = {"-kubeconfig", "-kubeconfig-user", "-ca"};

static int cmp_str(const void *a, const void *b) { return strcmp(*(const char *const *)a, *(const char *const *)b); }

void mc_kc_data_sha(const cJSON *data, unsigned char out[MC_KC_SHA_LEN]) {
  memset(out, 0, MC_KC_SHA_LEN);
  size_t n = 0;
  const cJSON *it;
  cJSON_ArrayForEach(it, data) n++;
  const char **keys = n ? calloc(n, sizeof *keys) : NULL;
  size_t k = 0;
  if (keys) cJSON_ArrayForEach(it, data) if (it->string) keys[k++] = it->string;
  if (k > 1) qsort(keys, k, sizeof *keys, cmp_str); /* key order is not part of the content */
  EVP_MD_CTX *md = EVP_MD_CTX_new();
  if (md && EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1) {
    EVP_DigestUpdate(md, "capz-c/secret-data\n", 19);
    for (size_t i = 0; i < k; i++) {
      const char *v = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(data, keys[i]));
      EVP_DigestUpdate(md, keys[i], strlen(keys[i]) + 1);
      if (v) EVP_DigestUpdate(md, v, strlen(v) + 1);
      else EVP_DigestUpdate(md, "\xff", 1); /* a non-string value never equals a string one */
    }
    unsigned int ol = 0;
    EVP_DigestFinal_ex(md, out, &ol);
  }
  EVP_MD_CTX_free(md);
  free(keys);
}

bool mc_kc_secret_ours(const cJSON *secret, const mc_kc_req *r) {
  if (!secret) return false;
  if (strcmp(capz_json_ptr_str(secret, "/metadata/labels/cluster.x-k8s.io~1cluster-name", ""), r->cluster) != 0)
    return false;
  const cJSON *o;
  cJSON_ArrayForEach(o, capz_json_ptr_get(secret, "/metadata/ownerReferences"))
    if (capz_json_ptr_bool(o, "/controller", false) && !strcmp(capz_json_ptr_str(o, "/uid", ""), r->owner_uid))
      return true;
  return false;
}

/* Which problem secret (may be NULL = absent) has against rec: NULL when none. */
static const char *problem(const cJSON *secret, const mc_kc_req *r, const mc_kc_rec *rec, unsigned char sha[]) {
  if (!secret) return "missing";
  if (!mc_kc_secret_ours(secret, r)) return "not labelled or not controller-owned by this control plane";
  mc_kc_data_sha(capz_json_ptr_get(secret, "/data"), sha);
  if (rec->have && memcmp(sha, rec->sha, MC_KC_SHA_LEN) != 0) return "changed";
  return NULL;
}

size_t mc_kc_verify(capz_ctx *ctx, const mc_kc_req *r, mc_kc_rec rec[MC_KC_N], double now, mc_kc_bad *bad,
                    double *pending_s) {
  const capz_key *k = capz_ctx_key(ctx);
  bool want[MC_KC_N] = {true, r->aad, r->ca};
  size_t nbad = 0;
  *pending_s = 0;
  for (int i = 0; i < MC_KC_N; i++) {
    if (!want[i]) continue;
    char name[300];
    if (capz_fmt(name, sizeof name, "%s%s", r->cluster, MC_KC_SUFFIX[i]) != 0) continue;
    const capz_obj *co = NULL;
    int grc = capz_ctx_cache_get(ctx, &MC_GVK_SECRET, k->ns, name, &co, NULL);
    unsigned char sha[MC_KC_SHA_LEN];
    const char *why = grc == 0 || grc == CAPZ_ENOTFOUND ? problem(co ? capz_obj_json(co) : NULL, r, &rec[i], sha)
                                                       : "not cached";
    capz_obj_unref(co);
    if (!why) {
      if (!rec[i].have) memcpy(rec[i].sha, sha, MC_KC_SHA_LEN); /* after a restart: what is there is ours */
      rec[i].have = rec[i].seen = true;
      continue;
    }
    /* our own write that the cache does not show yet: its watch event will wake us again */
    if (rec[i].have && !rec[i].seen && now - rec[i].written < MC_KC_PENDING_S) {
      double left = MC_KC_PENDING_S - (now - rec[i].written);
      if (*pending_s <= 0 || left < *pending_s) *pending_s = left;
      continue;
    }
    /* nothing written yet (creation, or a restart that finds it absent): the write that follows copes with a Secret
     * the cache does not show (create → AlreadyExists → patch), so no GET */
    if (!rec[i].have) {
      if (bad) bad[nbad].which = i, bad[nbad].why = why;
      nbad++;
      continue;
    }
    /* the cache may lag or hold another informer's view: ask the API server before restoring anything */
    cJSON *live = NULL;
    int lrc = capz_kube_get(capz_ctx_client(ctx), &MC_GVK_SECRET, k->ns, name, &live, NULL);
    if (lrc != 0 && lrc != CAPZ_ENOTFOUND) continue; /* cannot tell; the next pass looks again */
    why = problem(live, r, &rec[i], sha);
    mc_json_wipe(capz_json_ptr_get(live, "/data"));
    cJSON_Delete(live);
    if (!why) {
      if (!rec[i].have) memcpy(rec[i].sha, sha, MC_KC_SHA_LEN);
      rec[i].have = rec[i].seen = true;
      continue;
    }
    if (bad) {
      bad[nbad].which = i;
      bad[nbad].why = why;
    }
    nbad++;
  }
  return nbad;
}
