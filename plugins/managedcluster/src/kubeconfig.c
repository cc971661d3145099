/* kubeconfig.c — the workload-cluster Secrets of a managed cluster, as CAPZ writes them, and when they are
 * refreshed.
 *
 *  <cluster>-kubeconfig       admin credentials; for AAD clusters with local accounts disabled, the user
 *                             kubeconfig with its exec plugin replaced by an Entra token for the AKS server app
 *  <cluster>-kubeconfig-user  the user kubeconfig as AKS returns it (AAD clusters)
 *  <cluster>-ca               tls.crt = the cluster CA from the kubeconfig, tls.key = "foo" (CAPZ's placeholder)
 *  and, in the workload cluster, kube-public/cluster-info (cluster_info.c) whenever credentials are listed
 * All: type cluster.x-k8s.io/secret, label cluster.x-k8s.io/cluster-name, controller ownerRef to the control plane.
 *
 * Refresh policy (why: AKS rotates certificates/credentials and an injected token expires, but listing
 * credentials is an ARM POST, which must not happen on every reconcile): credentials are read again only when the
 * cluster's schedule says so — kubeconfigRefreshInterval (default: the drift interval) for admin/user
 * credentials, and the token's expiry minus a
 * margin (a fifth of its lifetime, at most 5 min) when a token is injected — a token alone is renewed in the user
 * kubeconfig kept in <cluster>-kubeconfig-user, without an ARM request. A Secret is written only when its
 * content differs from what the informer cache has. The schedule lives in memory and in the annotation
 * `capz-c.io/kubeconfig-refresh-after` (Unix time) on the Secrets written, so a restarted process does not re-read
 * the credentials of every cluster at once. In between, every pass checks the Secrets in the cache against a hash of
 * what was written (kc_verify.c) and restores a deleted or edited one right away (the Secret watch wakes us).
 * Kubeconfigs and tokens are wiped after use and never logged. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "capz/json.h"
#include "mc_api.h"
#include "mc_plugin.h"

#define ANN_REFRESH_AFTER "capz-c.io/kubeconfig-refresh-after"

typedef struct kc_entry {
  char key[330];          /* ns/cluster */
  double next;            /* monotonic seconds: when the Secrets are due (credentials or token) */
  double creds;           /* monotonic seconds: when the credentials must be listed again */
  mc_kc_rec rec[MC_KC_N]; /* what each Secret was written with */
  double restore_win;     /* monotonic seconds: start of the current restore window */
  double restore_last;    /* monotonic seconds: the last restore */
  int restores;           /* restores in the window */
} kc_entry;

/* Restores are immediate, but something that keeps rewriting our Secrets must not turn every one of its writes into
 * an ARM POST: after KC_RESTORE_FREE restores within KC_RESTORE_WINDOW_S, the next ones wait 1, 2, 4 ... (at most 10)
 * minutes after the previous one. */
#define KC_RESTORE_FREE 3
#define KC_RESTORE_WINDOW_S 600.0
#define KC_RESTORE_BACKOFF_S 60.0
#define KC_RESTORE_BACKOFF_MAX_S 600.0

/* 0 when a restore may happen now (and counts it), else the seconds to wait. */
static double restore_wait(kc_entry *e, double now) {
  if (e->restores == 0 || now - e->restore_win > KC_RESTORE_WINDOW_S) e->restore_win = now, e->restores = 0;
  if (e->restores >= KC_RESTORE_FREE) {
    double d = KC_RESTORE_BACKOFF_S;
    for (int i = KC_RESTORE_FREE; i < e->restores && d < KC_RESTORE_BACKOFF_MAX_S; i++) d *= 2;
    if (d > KC_RESTORE_BACKOFF_MAX_S) d = KC_RESTORE_BACKOFF_MAX_S;
    if (now < e->restore_last + d) return e->restore_last + d - now;
  }
  e->restores++;
  e->restore_last = now;
  return 0;
}

struct mc_kc_sched {
  pthread_mutex_t mu;
  kc_entry *v;
  size_t n, cap;
};

mc_kc_sched *mc_kc_sched_new(void) {
  mc_kc_sched *k = calloc(1, sizeof *k);
  if (k) pthread_mutex_init(&k->mu, NULL);
  return k;
}

void mc_kc_sched_free(mc_kc_sched *k) {
  if (!k) return;
  pthread_mutex_destroy(&k->mu);
  free(k->v);
  free(k);
}

static double mono_s(void) { return (double)capz_monotonic_ms() / 1000.0; }

/* A copy of the cluster's entry (e->key must be set). */
static bool sched_get(mc_kc_sched *k, kc_entry *e) {
  bool found = false;
  pthread_mutex_lock(&k->mu);
  for (size_t i = 0; i < k->n && !found; i++)
    if (strcmp(k->v[i].key, e->key) == 0) *e = k->v[i], found = true;
  pthread_mutex_unlock(&k->mu);
  return found;
}

/* Store e (by e->key), or remove the entry. */
static void sched_put(mc_kc_sched *k, const kc_entry *e, bool remove) {
  pthread_mutex_lock(&k->mu);
  size_t i = 0;
  while (i < k->n && strcmp(k->v[i].key, e->key) != 0) i++;
  if (remove) {
    if (i < k->n) k->v[i] = k->v[--k->n];
  } else if (i < k->n) {
    k->v[i] = *e;
  } else {
    if (k->n == k->cap) {
      size_t nc = k->cap ? k->cap * 2 : 64;
      kc_entry *nv = realloc(k->v, nc * sizeof *nv);
      if (nv) k->v = nv, k->cap = nc;
    }
    if (k->n < k->cap) k->v[k->n++] = *e;
  }
  pthread_mutex_unlock(&k->mu);
}

void mc_kubeconfig_forget(mc_state *s, const char *ns, const char *cluster) {
  kc_entry e;
  memset(&e, 0, sizeof e);
  snprintf(e.key, sizeof e.key, "%s/%s", ns, cluster);
  sched_put(s->kc_sched, &e, true);
}

static char *b64_encode(const unsigned char *p, size_t n) {
  char *o = malloc(4 * ((n + 2) / 3) + 1);
  if (o) EVP_EncodeBlock((unsigned char *)o, p, (int)n);
  return o;
}

static void wipe_free(char *p) {
  if (p) OPENSSL_cleanse(p, strlen(p));
  free(p);
}

/* POST list{Admin,User}Credential: the first kubeconfig, base64 as returned (malloc'ed). */
static int list_credential(capz_arm_client *arm, const mc_kc_req *r, bool admin, char **b64, capz_err *err) {
  char path[900];
  snprintf(path, sizeof path, "%s/%s", r->mc_id, admin ? "listClusterAdminCredential" : "listClusterUserCredential");
  capz_arm_req_opts o = {.api_version = r->api};
  capz_arm_response resp = {0};
  int rc = capz_arm_do(arm, "POST", path, NULL, &o, &resp, err);
  const char *val = rc ? NULL : capz_json_ptr_str(resp.body, "/kubeconfigs/0/value", NULL);
  if (!rc && !val) rc = capz_err_set(err, CAPZ_EPROTO, "no kubeconfig in the credential response");
  if (!rc) *b64 = strdup(val);
  mc_json_wipe(resp.body);
  capz_arm_response_free(&resp);
  return rc;
}

static char *b64_text(const char *b64, size_t *len) {
  size_t l = 0;
  unsigned char *t = capz_b64_decode(b64, &l);
  if (len) *len = l;
  return (char *)t;
}

/* Create or update one Secret (rec: what it was written with); no request when the informer cache already has this
 * content, nor while our identical previous write is on its way to the cache. */
static int put_secret(capz_ctx *ctx, const mc_kc_req *r, const char *name, cJSON *data, int64_t refresh_after,
                      mc_kc_rec *rec, bool *written, capz_err *err) {
  const capz_key *k = capz_ctx_key(ctx);
  capz_kube_client *kc = capz_ctx_client(ctx);
  unsigned char want[MC_KC_SHA_LEN], have[MC_KC_SHA_LEN];
  mc_kc_data_sha(data, want);
  double now = mono_s();
  if (rec->have && !rec->seen && now - rec->written < MC_KC_PENDING_S && !memcmp(rec->sha, want, sizeof want))
    return 0;
  const capz_obj *co = NULL;
  cJSON *live = NULL;
  const cJSON *cur = NULL;
  int rc = capz_ctx_cache_get(ctx, &MC_GVK_SECRET, k->ns, name, &co, NULL);
  if (rc == 0) {
    cur = capz_obj_json(co);
  } else if (rc != CAPZ_ENOTFOUND) { /* Secrets not watched (cannot happen with plugin.c's watch): ask the server */
    rc = capz_kube_get(kc, &MC_GVK_SECRET, k->ns, name, &live, err);
    if (rc && rc != CAPZ_ENOTFOUND) return rc;
    cur = live;
  }
  bool same = false;
  if (cur && mc_kc_secret_ours(cur, r)) {
    mc_kc_data_sha(capz_json_ptr_get(cur, "/data"), have);
    same = !memcmp(have, want, sizeof want);
  }
  mc_json_wipe(capz_json_ptr_get(live, "/data"));
  cJSON_Delete(live);
  capz_obj_unref(co);
  if (same) {
    memcpy(rec->sha, want, sizeof want);
    rec->have = rec->seen = true;
    return 0;
  }
  cJSON *sec = cJSON_CreateObject();
  cJSON *md = cJSON_AddObjectToObject(sec, "metadata");
  cJSON_AddStringToObject(cJSON_AddObjectToObject(md, "labels"), MC_LABEL_CLUSTER_NAME, r->cluster);
  char ra[32];
  snprintf(ra, sizeof ra, "%lld", (long long)refresh_after);
  cJSON_AddStringToObject(cJSON_AddObjectToObject(md, "annotations"), ANN_REFRESH_AFTER, ra);
  cJSON *ow = cJSON_CreateObject();
  cJSON_AddStringToObject(ow, "apiVersion", "infrastructure.cluster.x-k8s.io/v1beta1");
  cJSON_AddStringToObject(ow, "kind", r->owner_kind);
  cJSON_AddStringToObject(ow, "name", k->name);
  cJSON_AddStringToObject(ow, "uid", r->owner_uid);
  cJSON_AddBoolToObject(ow, "controller", true);
  cJSON_AddBoolToObject(ow, "blockOwnerDeletion", true);
  cJSON_AddItemToArray(cJSON_AddArrayToObject(md, "ownerReferences"), ow);
  cJSON_AddItemReferenceToObject(sec, "data", data);
  if (!cur) {
    cJSON_AddStringToObject(sec, "apiVersion", "v1");
    cJSON_AddStringToObject(sec, "kind", "Secret");
    cJSON_AddStringToObject(sec, "type", "cluster.x-k8s.io/secret");
    cJSON_AddStringToObject(md, "name", name);
    cJSON_AddStringToObject(md, "namespace", k->ns);
    rc = capz_kube_create(kc, &MC_GVK_SECRET, k->ns, sec, NULL, err);
    /* there but not in the cache (e.g. its label was removed): update it instead */
    if (rc == CAPZ_EEXIST) {
      capz_err_clear(err);
      cJSON_DeleteItemFromObjectCaseSensitive(sec, "type"); /* immutable */
      rc = capz_kube_patch(kc, &MC_GVK_SECRET, k->ns, name, CAPZ_PATCH_MERGE, sec, NULL, NULL, err);
    }
  } else {
    rc = capz_kube_patch(kc, &MC_GVK_SECRET, k->ns, name, CAPZ_PATCH_MERGE, sec, NULL, NULL, err);
  }
  cJSON_Delete(sec); /* data is only referenced */
  if (!rc) {
    *written = true;
    memcpy(rec->sha, want, sizeof want);
    rec->have = true;
    rec->seen = false;
    rec->written = now;
  }
  return rc;
}

static cJSON *value_data(const char *b64) {
  cJSON *d = cJSON_CreateObject();
  cJSON_AddStringToObject(d, "value", b64);
  return d;
}

static void data_free(cJSON *d) {
  mc_json_wipe(d);
  cJSON_Delete(d);
}

/* The user kubeconfig (base64) from our <cluster>-kubeconfig-user Secret, or NULL. */
static char *stored_user_b64(capz_ctx *ctx, const mc_kc_req *r) {
  char name[300];
  snprintf(name, sizeof name, "%s-kubeconfig-user", r->cluster);
  const capz_obj *co = NULL;
  if (capz_ctx_cache_get(ctx, &MC_GVK_SECRET, capz_ctx_key(ctx)->ns, name, &co, NULL) == 0) {
    /* the cached data is base64 already: a copy of it, no API request */
    const char *v = capz_json_ptr_str(capz_obj_json(co), "/data/value", NULL);
    char *b = v && *v ? strdup(v) : NULL;
    capz_obj_unref(co);
    return b;
  }
  unsigned char *v = NULL;
  size_t l = 0;
  if (capz_secret_value(capz_ctx_client(ctx), capz_ctx_key(ctx)->ns, name, "value", &v, &l, NULL) != 0) return NULL;
  char *b = b64_encode(v, l);
  OPENSSL_cleanse(v, l);
  free(v);
  return b;
}

/* A stable spread in [0, 1) per cluster key (FNV-1a), so expired schedules found after a restart are not all due
 * at once. */
static double spread(const char *key) {
  uint32_t h = 2166136261u;
  for (const unsigned char *p = (const unsigned char *)key; *p; p++) h = (h ^ *p) * 16777619u;
  return (double)(h % 1000u) / 1000.0;
}

/* After a restart, with the Secrets found intact in the cache (kc_verify.c): their annotation says when they are
 * due. The annotation is written with the content only, so an unchanged refresh leaves it in the past; then a plain
 * credentials refresh (no token to renew) is spread over the next interval instead of happening for every cluster
 * right away. */
static bool fresh_after_restart(mc_state *s, capz_ctx *ctx, const mc_kc_req *r, const char *key, bool token,
                                double *in_s) {
  char name[300];
  snprintf(name, sizeof name, "%s-kubeconfig", r->cluster);
  const capz_obj *co = NULL;
  if (capz_ctx_cache_get(ctx, &MC_GVK_SECRET, capz_ctx_key(ctx)->ns, name, &co, NULL) != 0) return false;
  long long ra =
      atoll(capz_json_ptr_str(capz_obj_json(co), "/metadata/annotations/capz-c.io~1kubeconfig-refresh-after", "0"));
  capz_obj_unref(co);
  long long now = (long long)time(NULL);
  if (ra <= now && (token || ra == 0)) return false;
  *in_s = ra > now ? (double)(ra - now) : spread(key) * s->kc_refresh_s;
  return true;
}

/* A deleted or edited Secret is being put back: say so (which Secret and why, never its content). */
static void report_restored(capz_ctx *ctx, const mc_kc_req *r, const mc_kc_bad *bad, size_t nbad) {
  for (size_t i = 0; i < nbad && i < MC_KC_N; i++) {
    char name[300];
    snprintf(name, sizeof name, "%s%s", r->cluster, MC_KC_SUFFIX[bad[i].which]);
    capz_log(capz_ctx_logger(ctx), CAPZ_LOG_INFO, "workload-cluster Secret restored", "secret", name, "was",
             bad[i].why, NULL);
    capz_ctx_event(ctx, "Warning", "KubeconfigRestored", "Secret %s was %s; restored from the cluster's credentials",
                   name, bad[i].why);
  }
}

static double min_pos(double a, double b) { return b > 0 && b < a ? b : a; }

int mc_kubeconfig_sync(mc_state *s, capz_ctx *ctx, capz_arm_client *arm, const mc_kc_req *r, double *next_s,
                       capz_err *err) {
  const capz_key *k = capz_ctx_key(ctx);
  kc_entry ent;
  memset(&ent, 0, sizeof ent);
  snprintf(ent.key, sizeof ent.key, "%s/%s", k->ns, r->cluster);
  const char *key = ent.key;
  double now = mono_s(), in_s = 0, pending = 0;
  bool known = sched_get(s->kc_sched, &ent);
  bool inject = r->local_disabled && (r->amcp || r->aso_res);
  /* every pass: the Secrets in the cache are still what we wrote (after a restart: adopted as they are) */
  mc_kc_bad bad[MC_KC_N];
  size_t nbad = mc_kc_verify(ctx, r, ent.rec, now, bad, &pending);
  if (nbad == 0 && known && ent.next > now) {
    sched_put(s->kc_sched, &ent, false);
    *next_s = min_pos(ent.next - now, pending);
    return 0;
  }
  if (nbad == 0 && !known && fresh_after_restart(s, ctx, r, key, inject, &in_s)) {
    ent.next = ent.creds = now + in_s;
    sched_put(s->kc_sched, &ent, false);
    *next_s = min_pos(in_s < 1 ? 1 : in_s, pending);
    return 0;
  }
  double wait = known && nbad ? restore_wait(&ent, now) : 0;
  if (wait > 0) {
    capz_log(capz_ctx_logger(ctx), CAPZ_LOG_WARN, "workload-cluster Secrets keep being changed; restoring later",
             "secret", MC_KC_SUFFIX[bad[0].which], "was", bad[0].why, NULL);
    sched_put(s->kc_sched, &ent, false);
    *next_s = wait;
    return 0;
  }
  /* only the token is due: inject a new one into the user kubeconfig we stored, without an ARM request; a missing
   * or edited Secret: list the credentials again (one ARM POST), as the refresh would */
  bool creds_due = !known || ent.creds <= now || nbad > 0;
  double creds = ent.creds;
  char *admin = NULL, *user = NULL, *main_b64 = NULL, *token = NULL;
  int64_t tok_refresh = 0;
  int rc = 0;
  if (!creds_due && inject && r->aad) user = stored_user_b64(ctx, r);
  if (!user) creds_due = true;
  if (creds_due && !r->local_disabled) rc = list_credential(arm, r, true, &admin, err);
  if (creds_due && !rc && (r->aad || r->local_disabled)) rc = list_credential(arm, r, false, &user, err);
  if (!rc && inject)
    rc = r->amcp ? mc_aks_token(s, ctx, r->amcp, &token, NULL, &tok_refresh, err)
                 : mc_aks_token_aso(s, ctx, k->ns, r->aso_res, &token, NULL, &tok_refresh, err);
  double creds_next = creds_due ? now + s->kc_refresh_s : creds;
  if (creds_due && !rc && (admin || user)) {
    /* a client certificate nearing its expiry: list again a week before it (at the latest at the interval) */
    size_t l = 0;
    char *t = b64_text(admin ? admin : user, &l);
    double left = t ? mc_kubeconfig_cert_left_s(t, l) : -1;
    wipe_free(t);
    if (left >= 0) {
      double at = now + (left - MC_KC_CERT_MARGIN_S > 60 ? left - MC_KC_CERT_MARGIN_S : 60);
      if (at < creds_next) creds_next = at;
    }
  }
  double in = creds_next - now;
  if (!rc && inject) {
    size_t ul = 0;
    char *ut = b64_text(user, &ul);
    char *with = ut ? mc_kubeconfig_with_token(ut, ul, token) : NULL;
    if (!with) rc = capz_err_set(err, CAPZ_EPROTO, "the user kubeconfig has no user to give the token to");
    else main_b64 = b64_encode((const unsigned char *)with, strlen(with));
    wipe_free(ut);
    wipe_free(with);
    /* come back when the SDK hands out the token's replacement (before it expires) */
    double t = (double)(tok_refresh - (int64_t)time(NULL));
    if (t < 1) t = 1;
    if (t < in) in = t;
  } else if (!rc) {
    main_b64 = strdup(r->local_disabled ? user : admin);
  }
  if (!rc && !main_b64) rc = capz_err_set(err, CAPZ_ENOMEM, "out of memory");
  int64_t refresh_after = (int64_t)time(NULL) + (int64_t)in;
  bool written = false;
  char name[300];
  if (!rc) {
    cJSON *d = value_data(main_b64);
    snprintf(name, sizeof name, "%s-kubeconfig", r->cluster);
    rc = put_secret(ctx, r, name, d, refresh_after, &ent.rec[MC_KC_MAIN], &written, err);
    data_free(d);
  }
  if (!rc && r->aad && user) {
    cJSON *d = value_data(user);
    snprintf(name, sizeof name, "%s-kubeconfig-user", r->cluster);
    rc = put_secret(ctx, r, name, d, refresh_after, &ent.rec[MC_KC_USER], &written, err);
    data_free(d);
  }
  if (!rc && r->ca) {
    size_t l = 0;
    char *t = b64_text(r->local_disabled ? user : admin, &l);
    char *ca = t ? mc_kubeconfig_ca_b64(t, l) : NULL;
    wipe_free(t);
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "tls.crt", ca ? ca : "");
    cJSON_AddStringToObject(d, "tls.key", "Zm9v"); /* "foo", as CAPZ writes it */
    free(ca);
    snprintf(name, sizeof name, "%s-ca", r->cluster);
    rc = put_secret(ctx, r, name, d, refresh_after, &ent.rec[MC_KC_CA], &written, err);
    data_free(d);
  }
  if (!rc && creds_due && r->cluster_info_host) {
    /* not fatal: the management cluster may not reach a private API server */
    size_t l = 0;
    char *t = b64_text(main_b64, &l);
    capz_err ce;
    capz_err_clear(&ce);
    if (t && mc_cluster_info_ensure(t, l, r->cluster_info_host, 443, &ce) != 0)
      capz_log(capz_ctx_logger(ctx), CAPZ_LOG_WARN, "cluster-info not written", "error", ce.msg, NULL);
    wipe_free(t);
  }
  wipe_free(admin);
  wipe_free(user);
  wipe_free(main_b64);
  capz_az_token_free(token);
  if (rc) {
    if (known) sched_put(s->kc_sched, &ent, false); /* keep what was written before the failure */
    return rc;
  }
  if (known && nbad) report_restored(ctx, r, bad, nbad);
  capz_log(capz_ctx_logger(ctx), CAPZ_LOG_DEBUG, "kubeconfig credentials read", "written", written ? "true" : "false",
           NULL);
  ent.next = now + in;
  ent.creds = creds_next;
  sched_put(s->kc_sched, &ent, false);
  *next_s = in;
  return 0;
}

void mc_kubeconfig_delete(capz_ctx *ctx, const char *ns, const char *cluster) {
  for (int i = 0; i < MC_KC_N; i++) {
    char name[300];
    snprintf(name, sizeof name, "%s%s", cluster, MC_KC_SUFFIX[i]);
    capz_kube_delete(capz_ctx_client(ctx), &MC_GVK_SECRET, ns, name, NULL, NULL);
  }
}
