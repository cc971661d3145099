/* arm_throttle.c — ARM's token buckets: per (subscription, principal, reads|writes|deletes), a shared
 * per-subscription bucket (globalMultiplier x), and the AKS / Compute resource-provider buckets.
 * After a 429 the bucket stays closed until its Retry-After has passed: requests inside the window are
 * refused again, as ARM does. Own mutex; never takes the world lock. */
#include "arm_sim.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct bucket {
  char *key;
  double tokens, burst, rate; /* rate per second */
  double last;
  double blocked_until;
  struct bucket *next;
} bucket;

#define NB 4096

struct arm_throttle {
  pthread_mutex_t mu;
  arm_throttle_cfg cfg;
  bucket *tab[NB];
};

void arm_throttle_cfg_default(arm_throttle_cfg *c) {
  memset(c, 0, sizeof *c);
  c->enabled = true;
  c->burst[ARM_TH_READ] = 250; c->rate[ARM_TH_READ] = 25;
  c->burst[ARM_TH_WRITE] = 200; c->rate[ARM_TH_WRITE] = 10;
  c->burst[ARM_TH_DELETE] = 200; c->rate[ARM_TH_DELETE] = 10;
  c->global_mult = 15;
  c->aks = true;
  c->aks_put_burst = 20; c->aks_put_per_min = 1;
  c->aks_list_burst = 500; c->aks_list_per_s = 1;
  c->compute = true;
}

static int getnum(const cJSON *o, const char *k, double *out, char *err, size_t errlen, const char *ctx) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
  if (!v) return 0;
  if (!cJSON_IsNumber(v) || v->valuedouble < 0) {
    snprintf(err, errlen, "%s.%s: expected a number >= 0", ctx, k);
    return -1;
  }
  *out = v->valuedouble;
  return 0;
}

static int getbool(const cJSON *o, const char *k, bool *out, char *err, size_t errlen, const char *ctx) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
  if (!v) return 0;
  if (!cJSON_IsBool(v)) { snprintf(err, errlen, "%s.%s: expected true or false", ctx, k); return -1; }
  *out = cJSON_IsTrue(v);
  return 0;
}

int arm_throttle_cfg_load(arm_throttle_cfg *c, const cJSON *j, char *err, size_t errlen) {
  if (!cJSON_IsObject(j)) { snprintf(err, errlen, "throttling: expected an object"); return -1; }
  if (getbool(j, "enabled", &c->enabled, err, errlen, "throttling") ||
      getnum(j, "globalMultiplier", &c->global_mult, err, errlen, "throttling"))
    return -1;
  static const char *cls[] = {"reads", "writes", "deletes"};
  for (int i = 0; i < 3; i++) {
    const cJSON *o = cJSON_GetObjectItemCaseSensitive(j, cls[i]);
    if (!o) continue;
    char ctx[64];
    snprintf(ctx, sizeof ctx, "throttling.%s", cls[i]);
    if (!cJSON_IsObject(o)) { snprintf(err, errlen, "%s: expected {burst, perSecond}", ctx); return -1; }
    if (getnum(o, "burst", &c->burst[i], err, errlen, ctx) || getnum(o, "perSecond", &c->rate[i], err, errlen, ctx)) return -1;
  }
  const cJSON *a = cJSON_GetObjectItemCaseSensitive(j, "aks");
  if (a) {
    if (!cJSON_IsObject(a)) { snprintf(err, errlen, "throttling.aks: expected an object"); return -1; }
    if (getbool(a, "enabled", &c->aks, err, errlen, "throttling.aks") ||
        getnum(a, "putBurst", &c->aks_put_burst, err, errlen, "throttling.aks") ||
        getnum(a, "putPerMinute", &c->aks_put_per_min, err, errlen, "throttling.aks") ||
        getnum(a, "listBurst", &c->aks_list_burst, err, errlen, "throttling.aks") ||
        getnum(a, "listPerSecond", &c->aks_list_per_s, err, errlen, "throttling.aks"))
      return -1;
  }
  const cJSON *cm = cJSON_GetObjectItemCaseSensitive(j, "compute");
  if (cm) {
    if (!cJSON_IsObject(cm)) { snprintf(err, errlen, "throttling.compute: expected an object"); return -1; }
    if (getbool(cm, "enabled", &c->compute, err, errlen, "throttling.compute")) return -1;
  }
  return 0;
}

arm_throttle *arm_throttle_new(const arm_throttle_cfg *cfg) {
  arm_throttle *t = calloc(1, sizeof *t);
  if (!t) return NULL;
  pthread_mutex_init(&t->mu, NULL);
  t->cfg = *cfg;
  return t;
}

static void clear_locked(arm_throttle *t) {
  for (int i = 0; i < NB; i++) {
    bucket *b = t->tab[i];
    while (b) {
      bucket *n = b->next;
      free(b->key);
      free(b);
      b = n;
    }
    t->tab[i] = NULL;
  }
}

void arm_throttle_reset(arm_throttle *t) {
  pthread_mutex_lock(&t->mu);
  clear_locked(t);
  pthread_mutex_unlock(&t->mu);
}

void arm_throttle_set_cfg(arm_throttle *t, const arm_throttle_cfg *cfg) {
  pthread_mutex_lock(&t->mu);
  t->cfg = *cfg;
  clear_locked(t);
  pthread_mutex_unlock(&t->mu);
}

void arm_throttle_free(arm_throttle *t) {
  if (!t) return;
  clear_locked(t);
  pthread_mutex_destroy(&t->mu);
  free(t);
}

static bucket *get_bucket(arm_throttle *t, const char *key, double burst, double rate, double now) {
  unsigned h = arm_hash32(key) % NB;
  for (bucket *b = t->tab[h]; b; b = b->next)
    if (strcmp(b->key, key) == 0) {
      if (b->burst != burst || b->rate != rate) { b->burst = burst; b->rate = rate; if (b->tokens > burst) b->tokens = burst; }
      return b;
    }
  bucket *b = calloc(1, sizeof *b);
  if (!b) return NULL;
  b->key = strdup(key);
  if (!b->key) { free(b); return NULL; }
  b->tokens = burst;
  b->burst = burst;
  b->rate = rate;
  b->last = now;
  b->next = t->tab[h];
  t->tab[h] = b;
  return b;
}

static void refill(bucket *b, double now) {
  if (now > b->last) {
    b->tokens += (now - b->last) * b->rate;
    if (b->tokens > b->burst) b->tokens = b->burst;
    b->last = now;
  }
}

/* Seconds until the bucket admits one request (0 = now). */
static double wait_for(const bucket *b, double now) {
  if (b->blocked_until > now) return b->blocked_until - now;
  if (b->tokens >= 1.0) return 0;
  if (b->rate <= 0) return 3600;
  return (1.0 - b->tokens) / b->rate;
}

typedef struct charge {
  bucket *b[6];
  int n;
} charge;

/* Compute policies from the Compute throttling documentation: per-resource and per-subscription buckets,
 * refilled per minute. */
typedef struct cpol {
  const char *name;
  double res_rate, res_max, sub_rate, sub_max; /* per minute */
} cpol;

static const cpol *compute_policy(const arm_path *p, const char *method) {
  static const cpol vm_put = {"PutVM", 4, 12, 500, 1500}, vm_upd = {"UpdateVM", 4, 12, 500, 1500},
                    vm_del = {"DeleteVM", 4, 12, 500, 1500}, vm_get = {"LowCostGet", 12, 36, 8000, 24000},
                    vm_list = {"HighCostGet", 0, 0, 300, 900}, ss_put = {"PutVMScaleSet", 4, 12, 125, 375},
                    ss_upd = {"UpdateVMScaleSet", 4, 12, 500, 1500}, ss_del = {"DeleteVMScaleSet", 4, 12, 175, 525},
                    ss_get = {"VMScaleSetLowCostGet", 12, 36, 800, 2400},
                    ss_hget = {"VMScaleSetHighCostGet", 10, 30, 360, 1080},
                    ssvm_upd = {"UpdateVMScaleSetVM", 4, 12, 500, 1500}, ssvm_del = {"DeleteVMScaleSetVM", 4, 12, 500, 1500},
                    ssvm_get = {"VMScaleSetVMGet", 12, 36, 2000, 6000};
  const char *t = p->type;
  bool get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
  bool del = strcmp(method, "DELETE") == 0;
  bool put = strcmp(method, "PUT") == 0;
  if (strncasecmp(t, "Microsoft.Compute/virtualMachineScaleSets/virtualMachines", 57) == 0) {
    return get ? &ssvm_get : del ? &ssvm_del : &ssvm_upd;
  }
  if (strncasecmp(t, "Microsoft.Compute/virtualMachineScaleSets", 41) == 0) {
    if (get) return (p->kind == ARM_PATH_COLLECTION) ? &ss_hget : &ss_get;
    if (del) return &ss_del;
    return put && p->kind == ARM_PATH_RESOURCE ? &ss_put : &ss_upd;
  }
  if (strncasecmp(t, "Microsoft.Compute/virtualMachines", 33) == 0) {
    if (get) return (p->kind == ARM_PATH_COLLECTION && strcasecmp(t, "Microsoft.Compute/virtualMachines") == 0) ? &vm_list : &vm_get;
    if (del) return &vm_del;
    return put && p->kind == ARM_PATH_RESOURCE && strcasecmp(t, "Microsoft.Compute/virtualMachines") == 0 ? &vm_put : &vm_upd;
  }
  return NULL;
}

static void refuse(arm_resp *out, int kind, double wait, const char *sub, const char *principal, const char *what,
                   double allowed) {
  int ra = (int)ceil(wait);
  if (ra < 1) ra = 1;
  arm_resp_header(out, "Retry-After", "%d", ra);
  if (kind == 1) {
    arm_resp_error(out, 429, "Throttled",
                   "Too many requests for %s. The request was throttled by the AKS resource provider; retry after %d seconds.",
                   what, ra);
  } else if (kind == 2) {
    cJSON *b = cJSON_CreateObject();
    cJSON *e = cJSON_AddObjectToObject(b, "error");
    cJSON_AddStringToObject(e, "code", "OperationNotAllowed");
    cJSON_AddStringToObject(e, "message",
                            "The server rejected the request because too many requests have been received for this subscription.");
    cJSON *d = cJSON_AddArrayToObject(e, "details");
    cJSON *d0 = cJSON_CreateObject();
    cJSON_AddStringToObject(d0, "code", "TooManyRequests");
    cJSON_AddStringToObject(d0, "target", what);
    char start[48], end[48], msg[512];
    double now = arm_now();
    arm_now_iso(start, sizeof start, now - 180);
    arm_now_iso(end, sizeof end, now);
    snprintf(msg, sizeof msg,
             "{\"operationGroup\":\"%s\",\"startTime\":\"%s\",\"endTime\":\"%s\",\"allowedRequestCount\":%.0f,\"measuredRequestCount\":%.0f}",
             what, start, end, allowed, allowed + 1);
    cJSON_AddStringToObject(d0, "message", msg);
    cJSON_AddItemToArray(d, d0);
    arm_resp_json(out, 429, b);
  } else {
    arm_resp_error(out, 429, "SubscriptionRequestsThrottled",
                   "Number of '%s' requests for subscription '%s' actor '%s' exceeded. Please try again after '%d' seconds "
                   "after additional tokens are available. Refer to https://aka.ms/arm-throttling for additional information.",
                   what, sub, principal, ra);
  }
}

bool arm_throttle_check(arm_throttle *t, const char *sub, const char *principal, const char *method, const arm_path *p,
                        arm_resp *out) {
  pthread_mutex_lock(&t->mu);
  arm_throttle_cfg cfg = t->cfg;
  if (!cfg.enabled) { pthread_mutex_unlock(&t->mu); return true; }
  double now = arm_now();
  int cls = (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0) ? ARM_TH_READ
            : strcmp(method, "DELETE") == 0                             ? ARM_TH_DELETE
                                                                        : ARM_TH_WRITE;
  static const char *cname[] = {"reads", "writes", "deletes"};
  char key[1400];
  charge ch = {.n = 0};
  snprintf(key, sizeof key, "p|%s|%s|%d", sub ? sub : "-", principal, cls);
  bucket *bp = get_bucket(t, key, cfg.burst[cls], cfg.rate[cls], now);
  snprintf(key, sizeof key, "g|%s|%d", sub ? sub : "-", cls);
  bucket *bg = get_bucket(t, key, cfg.burst[cls] * cfg.global_mult, cfg.rate[cls] * cfg.global_mult, now);
  if (!bp || !bg) { pthread_mutex_unlock(&t->mu); return true; }
  ch.b[ch.n++] = bp;
  ch.b[ch.n++] = bg;
  int rp_kind = 0; /* 1 AKS, 2 Compute */
  const char *rp_what = "";
  const cpol *pol = NULL;
  bucket *cres = NULL, *csub = NULL;
  if (cfg.aks && p && strncasecmp(p->type, "Microsoft.ContainerService/managedClusters", 42) == 0) {
    if (strcmp(method, "PUT") == 0 && p->kind == ARM_PATH_RESOURCE) {
      char lid[ARM_ID_MAX];
      arm_lower(lid, p->id, sizeof lid);
      snprintf(key, sizeof key, "aks-put|%s", lid);
      bucket *b = get_bucket(t, key, cfg.aks_put_burst, cfg.aks_put_per_min / 60.0, now);
      if (b) { ch.b[ch.n++] = b; rp_kind = 1; rp_what = "PUT on this resource"; }
    } else if (cls == ARM_TH_READ && p->kind == ARM_PATH_COLLECTION) {
      snprintf(key, sizeof key, "aks-list|%s", sub ? sub : "-");
      bucket *b = get_bucket(t, key, cfg.aks_list_burst, cfg.aks_list_per_s, now);
      if (b) { ch.b[ch.n++] = b; rp_kind = 1; rp_what = "LIST"; }
    }
  } else if (cfg.compute && p && (pol = compute_policy(p, method))) {
    rp_kind = 2;
    rp_what = pol->name;
    if (pol->res_max > 0 && p->kind == ARM_PATH_RESOURCE) {
      char lid[ARM_ID_MAX];
      arm_lower(lid, p->id, sizeof lid);
      snprintf(key, sizeof key, "c|%s|%s", pol->name, lid);
      cres = get_bucket(t, key, pol->res_max, pol->res_rate / 60.0, now);
      if (cres) ch.b[ch.n++] = cres;
    }
    snprintf(key, sizeof key, "cs|%s|%s", pol->name, sub ? sub : "-");
    csub = get_bucket(t, key, pol->sub_max, pol->sub_rate / 60.0, now);
    if (csub) ch.b[ch.n++] = csub;
  }
  double worst = 0;
  int worst_i = -1;
  for (int i = 0; i < ch.n; i++) {
    refill(ch.b[i], now);
    double w = wait_for(ch.b[i], now);
    if (w > worst) { worst = w; worst_i = i; }
  }
  bool ok = worst_i < 0;
  if (ok) {
    for (int i = 0; i < ch.n; i++) ch.b[i]->tokens -= 1.0;
  } else {
    bucket *b = ch.b[worst_i];
    if (b->blocked_until <= now) b->blocked_until = now + ceil(worst < 1 ? 1 : worst);
    worst = b->blocked_until - now;
    int kind = worst_i >= 2 ? rp_kind : 0;
    refuse(out, kind, worst, sub ? sub : "", principal, kind ? rp_what : cname[cls], kind == 2 ? (cres == b ? pol->res_max : pol->sub_max) : b->burst);
  }
  const char *hname[] = {"x-ms-ratelimit-remaining-subscription-reads", "x-ms-ratelimit-remaining-subscription-writes",
                         "x-ms-ratelimit-remaining-subscription-deletes"};
  const char *gname[] = {"x-ms-ratelimit-remaining-subscription-global-reads",
                         "x-ms-ratelimit-remaining-subscription-global-writes",
                         "x-ms-ratelimit-remaining-subscription-global-deletes"};
  arm_resp_header(out, hname[cls], "%d", (int)floor(bp->tokens < 0 ? 0 : bp->tokens));
  arm_resp_header(out, gname[cls], "%d", (int)floor(bg->tokens < 0 ? 0 : bg->tokens));
  if (pol) {
    if (cres && csub)
      arm_resp_header(out, "x-ms-ratelimit-remaining-resource", "Microsoft.Compute/%s3Min;%d,Microsoft.Compute/%s30Min;%d",
                      pol->name, (int)floor(cres->tokens < 0 ? 0 : cres->tokens), pol->name,
                      (int)floor(csub->tokens < 0 ? 0 : csub->tokens));
    else if (csub)
      arm_resp_header(out, "x-ms-ratelimit-remaining-resource", "Microsoft.Compute/%s30Min;%d", pol->name,
                      (int)floor(csub->tokens < 0 ? 0 : csub->tokens));
    arm_resp_header(out, "x-ms-request-charge", "%d", ok ? 1 : 0);
  }
  pthread_mutex_unlock(&t->mu);
  return ok;
}
