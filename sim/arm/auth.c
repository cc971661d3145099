/* auth.c — the `auth:` config model (tenants, subscriptions, apps, managed identities), lifecycle, lookups
 * and access-token issuing. Schema: docs/arm-sim-auth.md. The built-in defaults are a JSON document parsed by
 * the same code as a user config, so both paths are validated identically.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/err.h>
#include <openssl/rsa.h>

#include "auth_internal.h"

/* Documented in docs/arm-sim-auth.md ("Built-in defaults"); tests and the demo rely on these values. */
static const char DEFAULT_CONFIG[] =
    "{\"tenants\":[{\"id\":\"11111111-1111-4111-8111-111111111111\"}],"
    "\"subscriptions\":[{\"id\":\"22222222-2222-4222-8222-222222222222\","
    "\"tenant\":\"11111111-1111-4111-8111-111111111111\"}],"
    "\"apps\":[{\"name\":\"capz-sim-app\",\"client_id\":\"33333333-3333-4333-8333-333333333333\","
    "\"object_id\":\"44444444-4444-4444-8444-444444444444\",\"secrets\":[\"capz-sim-secret\"]}],"
    "\"managed_identities\":{"
    "\"system_assigned\":{\"client_id\":\"55555555-5555-4555-8555-555555555555\","
    "\"object_id\":\"66666666-6666-4666-8666-666666666666\"},"
    "\"user_assigned\":[{\"name\":\"capz-sim-identity\",\"client_id\":\"77777777-7777-4777-8777-777777777777\","
    "\"object_id\":\"88888888-8888-4888-8888-888888888888\",\"resource_id\":"
    "\"/subscriptions/22222222-2222-4222-8222-222222222222/resourceGroups/capz-sim/providers/"
    "Microsoft.ManagedIdentity/userAssignedIdentities/capz-sim-identity\"}]}}";

static const char *const BUILTIN_ARM_AUDIENCES[] = {"https://management.azure.com",
                                                    "https://management.core.windows.net"};
static const char *const BUILTIN_RESOURCES[] = {"https://graph.microsoft.com", "https://vault.azure.net",
                                                "https://storage.azure.com"};

/* ---------- small helpers ---------- */

static void strlist_free(auth_strlist *l) {
  for (size_t i = 0; i < l->n; i++) free(l->v[i]);
  free(l->v);
  l->v = NULL;
  l->n = 0;
}

static int strlist_add(auth_strlist *l, const char *s) {
  char **nv = realloc(l->v, (l->n + 1) * sizeof *nv);
  if (!nv) return -1;
  l->v = nv;
  if (!(l->v[l->n] = strdup(s))) return -1;
  l->n++;
  return 0;
}

bool auth_strlist_has(const auth_strlist *l, const char *s, bool icase) {
  for (size_t i = 0; i < l->n; i++)
    if (icase ? strcasecmp(l->v[i], s) == 0 : strcmp(l->v[i], s) == 0) return true;
  return false;
}

void auth_normalize_resource(const char *in, size_t len, char *out, size_t outlen) {
  while (len > 0 && in[len - 1] == '/') len--;
  if (len >= outlen) len = outlen - 1;
  memcpy(out, in, len);
  out[len] = '\0';
}

bool auth_is_arm_audience(const arm_auth *a, const char *normalized) {
  return auth_strlist_has(&a->arm_audiences, normalized, true);
}

bool auth_resource_known(const arm_auth *a, const char *normalized) {
  return auth_is_arm_audience(a, normalized) || auth_strlist_has(&a->resources, normalized, true);
}

const auth_tenant *auth_find_tenant(const arm_auth *a, const char *id) {
  if (!id) return NULL;
  for (size_t i = 0; i < a->ntenants; i++)
    if (strcasecmp(a->tenants[i].id, id) == 0 || auth_strlist_has(&a->tenants[i].domains, id, true))
      return &a->tenants[i];
  return NULL;
}

const auth_subscription *auth_find_subscription(const arm_auth *a, const char *id) {
  if (!id) return NULL;
  for (size_t i = 0; i < a->nsubs; i++)
    if (strcasecmp(a->subs[i].id, id) == 0) return &a->subs[i];
  return NULL;
}

const auth_principal *auth_find_app(const arm_auth *a, const char *client_id) {
  if (!client_id) return NULL;
  for (size_t i = 0; i < a->napps; i++)
    if (strcasecmp(a->apps[i].client_id, client_id) == 0) return &a->apps[i];
  return NULL;
}

const auth_principal *auth_find_principal_by_oid(const arm_auth *a, const char *oid) {
  if (!oid) return NULL;
  for (size_t i = 0; i < a->napps; i++)
    if (strcasecmp(a->apps[i].object_id, oid) == 0) return &a->apps[i];
  for (size_t i = 0; i < a->nuamis; i++)
    if (strcasecmp(a->uamis[i].object_id, oid) == 0) return &a->uamis[i];
  if (a->sami && strcasecmp(a->sami->object_id, oid) == 0) return a->sami;
  return NULL;
}

/* ---------- config parsing ---------- */

typedef struct cfgctx {
  char *err;
  size_t errlen;
} cfgctx;

#define CFG_FAIL(c, ...)                       \
  do {                                         \
    snprintf((c)->err, (c)->errlen, __VA_ARGS__); \
    return -1;                                 \
  } while (0)

/* Rejects keys outside allowed (a typo would otherwise silently change behaviour). */
static int check_keys(cfgctx *c, const cJSON *obj, const char *where, const char *const *allowed) {
  const cJSON *it;
  cJSON_ArrayForEach(it, obj) {
    bool ok = false;
    for (size_t i = 0; allowed[i]; i++)
      if (strcmp(it->string, allowed[i]) == 0) ok = true;
    if (!ok) CFG_FAIL(c, "auth: %s: unknown field '%s'", where, it->string);
  }
  return 0;
}

/* Optional string field into a fixed buffer. Missing → def (may be NULL → ""). */
static int get_str(cfgctx *c, const cJSON *obj, const char *name, const char *where, char *out, size_t outlen,
                   const char *def, bool required) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
  if (!v || cJSON_IsNull(v)) {
    if (required) CFG_FAIL(c, "auth: %s.%s is required", where, name);
    snprintf(out, outlen, "%s", def ? def : "");
    return 0;
  }
  if (!cJSON_IsString(v) || !v->valuestring[0]) CFG_FAIL(c, "auth: %s.%s must be a non-empty string", where, name);
  if (strlen(v->valuestring) >= outlen) CFG_FAIL(c, "auth: %s.%s is too long", where, name);
  snprintf(out, outlen, "%s", v->valuestring);
  return 0;
}

static int get_strlist(cfgctx *c, const cJSON *obj, const char *name, const char *where, auth_strlist *out,
                       bool *present) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
  if (present) *present = v && !cJSON_IsNull(v);
  if (!v || cJSON_IsNull(v)) return 0;
  if (cJSON_IsString(v)) {
    if (strlist_add(out, v->valuestring) != 0) CFG_FAIL(c, "out of memory");
    return 0;
  }
  if (!cJSON_IsArray(v)) CFG_FAIL(c, "auth: %s.%s must be a string or a list of strings", where, name);
  const cJSON *it;
  int i = 0;
  cJSON_ArrayForEach(it, v) {
    if (!cJSON_IsString(it) || !it->valuestring[0])
      CFG_FAIL(c, "auth: %s.%s[%d] must be a non-empty string", where, name, i);
    if (strlist_add(out, it->valuestring) != 0) CFG_FAIL(c, "out of memory");
    i++;
  }
  return 0;
}

static int get_long(cfgctx *c, const cJSON *obj, const char *name, long min, long max, long def, long *out) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
  if (!v || cJSON_IsNull(v)) {
    *out = def;
    return 0;
  }
  if (!cJSON_IsNumber(v) || v->valuedouble < (double)min || v->valuedouble > (double)max ||
      v->valuedouble != (double)(long)v->valuedouble)
    CFG_FAIL(c, "auth: %s must be an integer in [%ld, %ld]", name, min, max);
  *out = (long)v->valuedouble;
  return 0;
}

static int parse_tenants(arm_auth *a, cfgctx *c, const cJSON *arr) {
  static const char *const keys[] = {"id", "domains", NULL};
  if (!cJSON_IsArray(arr) || cJSON_GetArraySize(arr) == 0) CFG_FAIL(c, "auth: tenants must be a non-empty list");
  size_t n = (size_t)cJSON_GetArraySize(arr);
  if (!(a->tenants = calloc(n, sizeof *a->tenants))) CFG_FAIL(c, "out of memory");
  const cJSON *t;
  cJSON_ArrayForEach(t, arr) {
    char where[64];
    snprintf(where, sizeof where, "tenants[%zu]", a->ntenants);
    if (!cJSON_IsObject(t)) CFG_FAIL(c, "auth: %s must be an object", where);
    auth_tenant *x = &a->tenants[a->ntenants++];
    if (check_keys(c, t, where, keys) || get_str(c, t, "id", where, x->id, sizeof x->id, NULL, true) ||
        get_strlist(c, t, "domains", where, &x->domains, NULL))
      return -1;
    for (size_t i = 0; i + 1 < a->ntenants; i++)
      if (strcasecmp(a->tenants[i].id, x->id) == 0) CFG_FAIL(c, "auth: %s.id '%s' is a duplicate", where, x->id);
  }
  return 0;
}

static int parse_subscriptions(arm_auth *a, cfgctx *c, const cJSON *arr) {
  static const char *const keys[] = {"id", "tenant", NULL};
  if (!arr) return 0;
  if (!cJSON_IsArray(arr)) CFG_FAIL(c, "auth: subscriptions must be a list");
  size_t n = (size_t)cJSON_GetArraySize(arr);
  if (n && !(a->subs = calloc(n, sizeof *a->subs))) CFG_FAIL(c, "out of memory");
  const cJSON *s;
  cJSON_ArrayForEach(s, arr) {
    char where[64];
    snprintf(where, sizeof where, "subscriptions[%zu]", a->nsubs);
    auth_subscription *x = &a->subs[a->nsubs++];
    if (cJSON_IsString(s)) { /* shorthand: just the id, in the first tenant */
      if (!s->valuestring[0] || strlen(s->valuestring) >= sizeof x->id) CFG_FAIL(c, "auth: %s is invalid", where);
      snprintf(x->id, sizeof x->id, "%s", s->valuestring);
      snprintf(x->tenant, sizeof x->tenant, "%s", a->tenants[0].id);
    } else if (!cJSON_IsObject(s)) {
      CFG_FAIL(c, "auth: %s must be an object or a string", where);
    } else if (check_keys(c, s, where, keys) || get_str(c, s, "id", where, x->id, sizeof x->id, NULL, true) ||
               get_str(c, s, "tenant", where, x->tenant, sizeof x->tenant, a->tenants[0].id, false)) {
      return -1;
    }
    const auth_tenant *t = auth_find_tenant(a, x->tenant);
    if (!t) CFG_FAIL(c, "auth: %s.tenant '%s' is not in auth.tenants", where, x->tenant);
    snprintf(x->tenant, sizeof x->tenant, "%s", t->id);
    for (size_t i = 0; i + 1 < a->nsubs; i++)
      if (strcasecmp(a->subs[i].id, x->id) == 0) CFG_FAIL(c, "auth: %s.id '%s' is a duplicate", where, x->id);
  }
  return 0;
}

static int load_pem_list(cfgctx *c, const cJSON *obj, const char *name, const char *where, auth_strlist *pems) {
  auth_strlist values = {0};
  if (get_strlist(c, obj, name, where, &values, NULL) != 0) {
    strlist_free(&values);
    return -1;
  }
  for (size_t i = 0; i < values.n; i++) {
    char e[300];
    char *pem = auth_read_pem_value(values.v[i], e, sizeof e);
    if (!pem) {
      snprintf(c->err, c->errlen, "auth: %s.%s[%zu]: %s", where, name, i, e);
      strlist_free(&values);
      return -1;
    }
    int rc = strlist_add(pems, pem);
    free(pem);
    if (rc != 0) {
      strlist_free(&values);
      CFG_FAIL(c, "out of memory");
    }
  }
  strlist_free(&values);
  return 0;
}

static int parse_fedcred(cfgctx *c, const cJSON *f, const char *where, auth_fedcred *x) {
  static const char *const keys[] = {"name",        "issuer", "subject",   "audiences", "audience",
                                     "public_keys", "jwks",   "jwks_file", NULL};
  if (!cJSON_IsObject(f)) CFG_FAIL(c, "auth: %s must be an object", where);
  if (check_keys(c, f, where, keys) || get_str(c, f, "name", where, x->name, sizeof x->name, "", false)) return -1;
  const cJSON *iss = cJSON_GetObjectItemCaseSensitive(f, "issuer");
  const cJSON *sub = cJSON_GetObjectItemCaseSensitive(f, "subject");
  if (!cJSON_IsString(iss) || !iss->valuestring[0]) CFG_FAIL(c, "auth: %s.issuer is required", where);
  if (!cJSON_IsString(sub) || !sub->valuestring[0]) CFG_FAIL(c, "auth: %s.subject is required", where);
  if (!(x->issuer = strdup(iss->valuestring)) || !(x->subject = strdup(sub->valuestring)))
    CFG_FAIL(c, "out of memory");
  if (get_strlist(c, f, "audiences", where, &x->audiences, NULL) ||
      get_strlist(c, f, "audience", where, &x->audiences, NULL))
    return -1;
  if (x->audiences.n == 0 && strlist_add(&x->audiences, AUTH_FED_AUDIENCE_DEFAULT) != 0) CFG_FAIL(c, "out of memory");

  auth_strlist pems = {0};
  if (load_pem_list(c, f, "public_keys", where, &pems) != 0) {
    strlist_free(&pems);
    return -1;
  }
  for (size_t i = 0; i < pems.n; i++) {
    char e[200];
    EVP_PKEY *k = auth_pubkey_from_pem(pems.v[i], e, sizeof e);
    if (!k) {
      strlist_free(&pems);
      CFG_FAIL(c, "auth: %s.public_keys[%zu]: %s", where, i, e);
    }
    auth_pubkey *nk = realloc(x->keys, (x->nkeys + 1) * sizeof *nk);
    if (!nk) {
      EVP_PKEY_free(k);
      strlist_free(&pems);
      CFG_FAIL(c, "out of memory");
    }
    x->keys = nk;
    memset(&nk[x->nkeys], 0, sizeof nk[x->nkeys]);
    nk[x->nkeys++].key = k;
  }
  strlist_free(&pems);

  const cJSON *jwks = cJSON_GetObjectItemCaseSensitive(f, "jwks");
  if (jwks && !cJSON_IsNull(jwks)) {
    char e[200];
    if (!cJSON_IsObject(jwks)) CFG_FAIL(c, "auth: %s.jwks must be an object {\"keys\":[...]}", where);
    if (auth_jwks_load(jwks, &x->keys, &x->nkeys, e, sizeof e) != 0) CFG_FAIL(c, "auth: %s.jwks: %s", where, e);
  }
  const cJSON *jf = cJSON_GetObjectItemCaseSensitive(f, "jwks_file");
  if (jf && !cJSON_IsNull(jf)) {
    if (!cJSON_IsString(jf)) CFG_FAIL(c, "auth: %s.jwks_file must be a path", where);
    FILE *fp = fopen(jf->valuestring, "rb");
    if (!fp) CFG_FAIL(c, "auth: %s.jwks_file: cannot open '%s'", where, jf->valuestring);
    char *buf = malloc(1 << 20);
    size_t n = buf ? fread(buf, 1, (1 << 20) - 1, fp) : 0;
    fclose(fp);
    cJSON *doc = buf ? cJSON_ParseWithLength(buf, n) : NULL;
    free(buf);
    char e[200];
    int rc = doc ? auth_jwks_load(doc, &x->keys, &x->nkeys, e, sizeof e) : -1;
    if (!doc) snprintf(e, sizeof e, "not JSON");
    cJSON_Delete(doc);
    if (rc != 0) CFG_FAIL(c, "auth: %s.jwks_file: %s", where, e);
  }
  if (x->nkeys == 0) CFG_FAIL(c, "auth: %s needs public_keys, jwks or jwks_file to verify assertions", where);
  return 0;
}

/* Fields shared by apps and managed identities. kind: "apps" or "managed_identities...". */
static int parse_principal(arm_auth *a, cfgctx *c, const cJSON *o, const char *where, auth_principal *p,
                           bool is_app) {
  static const char *const app_keys[] = {"name",    "client_id",    "object_id",             "tenant",
                                         "secret",  "secrets",      "certificates",          "federated_credentials",
                                         "subscriptions", NULL};
  static const char *const mi_keys[] = {"name", "client_id", "object_id", "tenant", "resource_id", "subscriptions",
                                        NULL};
  if (!cJSON_IsObject(o)) CFG_FAIL(c, "auth: %s must be an object", where);
  char rnd[37];
  auth_guid(rnd);
  if (check_keys(c, o, where, is_app ? app_keys : mi_keys) ||
      get_str(c, o, "name", where, p->name, sizeof p->name, "", false) ||
      get_str(c, o, "client_id", where, p->client_id, sizeof p->client_id, NULL, true) ||
      get_str(c, o, "object_id", where, p->object_id, sizeof p->object_id, rnd, false) ||
      get_str(c, o, "tenant", where, p->tenant, sizeof p->tenant, a->tenants[0].id, false) ||
      get_strlist(c, o, "subscriptions", where, &p->subscriptions, &p->limit_subscriptions))
    return -1;
  const auth_tenant *t = auth_find_tenant(a, p->tenant);
  if (!t) CFG_FAIL(c, "auth: %s.tenant '%s' is not in auth.tenants", where, p->tenant);
  snprintf(p->tenant, sizeof p->tenant, "%s", t->id);
  for (size_t i = 0; i < p->subscriptions.n; i++)
    if (!auth_find_subscription(a, p->subscriptions.v[i]))
      CFG_FAIL(c, "auth: %s.subscriptions[%zu] '%s' is not in auth.subscriptions", where, i, p->subscriptions.v[i]);
  if (!is_app) return get_str(c, o, "resource_id", where, p->resource_id, sizeof p->resource_id, "", false);

  if (get_strlist(c, o, "secret", where, &p->secrets, NULL) || get_strlist(c, o, "secrets", where, &p->secrets, NULL))
    return -1;
  auth_strlist pems = {0};
  if (load_pem_list(c, o, "certificates", where, &pems) != 0) {
    strlist_free(&pems);
    return -1;
  }
  if (pems.n && !(p->certs = calloc(pems.n, sizeof *p->certs))) {
    strlist_free(&pems);
    CFG_FAIL(c, "out of memory");
  }
  for (size_t i = 0; i < pems.n; i++) {
    char e[200];
    if (auth_cert_from_pem(pems.v[i], &p->certs[i], e, sizeof e) != 0) {
      strlist_free(&pems);
      CFG_FAIL(c, "auth: %s.certificates[%zu]: %s", where, i, e);
    }
    p->ncerts++;
  }
  strlist_free(&pems);
  const cJSON *feds = cJSON_GetObjectItemCaseSensitive(o, "federated_credentials");
  if (feds && !cJSON_IsNull(feds)) {
    if (!cJSON_IsArray(feds)) CFG_FAIL(c, "auth: %s.federated_credentials must be a list", where);
    size_t n = (size_t)cJSON_GetArraySize(feds);
    if (n && !(p->feds = calloc(n, sizeof *p->feds))) CFG_FAIL(c, "out of memory");
    const cJSON *f;
    cJSON_ArrayForEach(f, feds) {
      char w2[160];
      snprintf(w2, sizeof w2, "%s.federated_credentials[%zu]", where, p->nfeds);
      if (parse_fedcred(c, f, w2, &p->feds[p->nfeds++]) != 0) return -1;
    }
  }
  return 0;
}

static int parse_principal_list(arm_auth *a, cfgctx *c, const cJSON *arr, const char *name, auth_principal **out,
                                size_t *nout, bool is_app) {
  if (!arr || cJSON_IsNull(arr)) return 0;
  if (!cJSON_IsArray(arr)) CFG_FAIL(c, "auth: %s must be a list", name);
  size_t n = (size_t)cJSON_GetArraySize(arr);
  if (n && !(*out = calloc(n, sizeof **out))) CFG_FAIL(c, "out of memory");
  const cJSON *o;
  cJSON_ArrayForEach(o, arr) {
    char where[96];
    snprintf(where, sizeof where, "%s[%zu]", name, *nout);
    auth_principal *p = &(*out)[(*nout)++];
    if (parse_principal(a, c, o, where, p, is_app) != 0) return -1;
    for (size_t i = 0; i + 1 < *nout; i++) {
      if (strcasecmp((*out)[i].client_id, p->client_id) == 0)
        CFG_FAIL(c, "auth: %s.client_id '%s' is a duplicate", where, p->client_id);
      if (strcasecmp((*out)[i].object_id, p->object_id) == 0)
        CFG_FAIL(c, "auth: %s.object_id '%s' is a duplicate", where, p->object_id);
    }
  }
  return 0;
}

static int parse_identities(arm_auth *a, cfgctx *c, const cJSON *mi) {
  static const char *const keys[] = {"system_assigned", "user_assigned", NULL};
  if (!mi || cJSON_IsNull(mi)) return 0;
  if (!cJSON_IsObject(mi)) CFG_FAIL(c, "auth: managed_identities must be an object");
  if (check_keys(c, mi, "managed_identities", keys) != 0) return -1;
  const cJSON *sa = cJSON_GetObjectItemCaseSensitive(mi, "system_assigned");
  if (sa && !cJSON_IsNull(sa) && !cJSON_IsFalse(sa)) {
    if (!(a->sami = calloc(1, sizeof *a->sami))) CFG_FAIL(c, "out of memory");
    if (parse_principal(a, c, sa, "managed_identities.system_assigned", a->sami, false) != 0) return -1;
  }
  return parse_principal_list(a, c, cJSON_GetObjectItemCaseSensitive(mi, "user_assigned"),
                              "managed_identities.user_assigned", &a->uamis, &a->nuamis, false);
}

/* Object ids identify the caller of ARM requests and client ids select IMDS identities: both must be unique
 * across apps and managed identities, not only within each list. */
static const auth_principal *nth_principal(const arm_auth *a, size_t i) {
  if (i < a->napps) return &a->apps[i];
  if (i < a->napps + a->nuamis) return &a->uamis[i - a->napps];
  return a->sami;
}

static int check_unique_principals(arm_auth *a, cfgctx *c) {
  size_t n = a->napps + a->nuamis + (a->sami ? 1 : 0);
  for (size_t i = 0; i < n; i++) {
    const auth_principal *p = nth_principal(a, i);
    for (size_t k = i + 1; k < n; k++) {
      const auth_principal *q = nth_principal(a, k);
      if (strcasecmp(p->object_id, q->object_id) == 0)
        CFG_FAIL(c, "auth: object_id '%s' is used by two principals (apps and managed_identities)", q->object_id);
      if (strcasecmp(p->client_id, q->client_id) == 0)
        CFG_FAIL(c, "auth: client_id '%s' is used by two principals (apps and managed_identities)", q->client_id);
    }
  }
  return 0;
}

static int parse_config(arm_auth *a, cfgctx *c, const cJSON *cfg) {
  static const char *const keys[] = {"tenants",       "subscriptions",      "apps",
                                     "managed_identities", "token_lifetime_seconds", "clock_skew_seconds",
                                     "assertion_max_lifetime_seconds", "authority", "resources",
                                     "arm_audiences", NULL};
  if (!cJSON_IsObject(cfg)) CFG_FAIL(c, "auth: must be an object");
  if (check_keys(c, cfg, "auth", keys) ||
      get_long(c, cfg, "token_lifetime_seconds", 1, 86400, 3599, &a->token_lifetime) ||
      get_long(c, cfg, "clock_skew_seconds", 0, 3600, 0, &a->clock_skew) ||
      get_long(c, cfg, "assertion_max_lifetime_seconds", 1, 86400 * 2, 86400, &a->assertion_max_lifetime) ||
      get_str(c, cfg, "authority", "auth", a->authority, sizeof a->authority, "", false))
    return -1;
  auth_strlist res = {0}, armaud = {0};
  int rc = get_strlist(c, cfg, "resources", "auth", &res, NULL) ||
           get_strlist(c, cfg, "arm_audiences", "auth", &armaud, NULL);
  char norm[AUTH_URL_MAX];
  for (size_t i = 0; rc == 0 && i < sizeof BUILTIN_ARM_AUDIENCES / sizeof *BUILTIN_ARM_AUDIENCES; i++)
    rc = strlist_add(&a->arm_audiences, BUILTIN_ARM_AUDIENCES[i]);
  for (size_t i = 0; rc == 0 && i < armaud.n; i++) {
    auth_normalize_resource(armaud.v[i], strlen(armaud.v[i]), norm, sizeof norm);
    rc = strlist_add(&a->arm_audiences, norm);
  }
  for (size_t i = 0; rc == 0 && i < sizeof BUILTIN_RESOURCES / sizeof *BUILTIN_RESOURCES; i++)
    rc = strlist_add(&a->resources, BUILTIN_RESOURCES[i]);
  for (size_t i = 0; rc == 0 && i < res.n; i++) {
    auth_normalize_resource(res.v[i], strlen(res.v[i]), norm, sizeof norm);
    rc = strlist_add(&a->resources, norm);
  }
  strlist_free(&res);
  strlist_free(&armaud);
  if (rc != 0) {
    if (!c->err[0]) snprintf(c->err, c->errlen, "out of memory");
    return -1;
  }
  if (parse_tenants(a, c, cJSON_GetObjectItemCaseSensitive(cfg, "tenants")) ||
      parse_subscriptions(a, c, cJSON_GetObjectItemCaseSensitive(cfg, "subscriptions")) ||
      parse_principal_list(a, c, cJSON_GetObjectItemCaseSensitive(cfg, "apps"), "apps", &a->apps, &a->napps, true) ||
      parse_identities(a, c, cJSON_GetObjectItemCaseSensitive(cfg, "managed_identities")))
    return -1;
  return check_unique_principals(a, c);
}

/* ---------- lifecycle ---------- */

static void principal_free(auth_principal *p) {
  strlist_free(&p->secrets);
  strlist_free(&p->subscriptions);
  for (size_t i = 0; i < p->ncerts; i++) EVP_PKEY_free(p->certs[i].key);
  free(p->certs);
  for (size_t i = 0; i < p->nfeds; i++) {
    auth_fedcred *f = &p->feds[i];
    free(f->issuer);
    free(f->subject);
    strlist_free(&f->audiences);
    for (size_t k = 0; k < f->nkeys; k++) EVP_PKEY_free(f->keys[k].key);
    free(f->keys);
  }
  free(p->feds);
}

void arm_auth_free(arm_auth *a) {
  if (!a) return;
  for (size_t i = 0; i < a->ntenants; i++) strlist_free(&a->tenants[i].domains);
  free(a->tenants);
  free(a->subs);
  for (size_t i = 0; i < a->napps; i++) principal_free(&a->apps[i]);
  free(a->apps);
  for (size_t i = 0; i < a->nuamis; i++) principal_free(&a->uamis[i]);
  free(a->uamis);
  if (a->sami) principal_free(a->sami);
  free(a->sami);
  strlist_free(&a->resources);
  strlist_free(&a->arm_audiences);
  EVP_PKEY_free(a->sign_key);
  pthread_mutex_destroy(&a->mu);
  free(a);
}

arm_auth *arm_auth_new(const cJSON *auth_cfg, char *err, size_t errlen) {
  char dummy[8];
  if (!err || errlen == 0) {
    err = dummy;
    errlen = sizeof dummy;
  }
  err[0] = '\0';
  arm_auth *a = calloc(1, sizeof *a);
  if (!a) {
    snprintf(err, errlen, "out of memory");
    return NULL;
  }
  pthread_mutex_init(&a->mu, NULL);
  cfgctx c = {err, errlen};
  cJSON *defaults = NULL;
  if (!auth_cfg) auth_cfg = defaults = cJSON_Parse(DEFAULT_CONFIG);
  int rc = auth_cfg ? parse_config(a, &c, auth_cfg) : -1;
  cJSON_Delete(defaults);
  if (rc != 0) {
    if (!err[0]) snprintf(err, errlen, "auth: cannot parse the built-in defaults");
    arm_auth_free(a);
    return NULL;
  }
  /* One signing key per process: tokens from an earlier run must not verify (as after a key rollover). */
  a->sign_key = EVP_RSA_gen(2048);
  if (!a->sign_key || auth_key_kid(a->sign_key, a->kid, sizeof a->kid) != 0) {
    ERR_clear_error();
    snprintf(err, errlen, "auth: cannot generate the token signing key");
    arm_auth_free(a);
    return NULL;
  }
  snprintf(a->base_url, sizeof a->base_url, "https://login.microsoftonline.com");
  return a;
}

void arm_auth_set_base_url(arm_auth *a, const char *base_url) {
  if (!a || !base_url) return;
  size_t len = strlen(base_url);
  while (len > 0 && base_url[len - 1] == '/') len--;
  pthread_mutex_lock(&a->mu);
  if (len >= sizeof a->base_url) len = sizeof a->base_url - 1;
  memcpy(a->base_url, base_url, len);
  a->base_url[len] = '\0';
  pthread_mutex_unlock(&a->mu);
}

void auth_issuer(arm_auth *a, const char *tenant, char *out, size_t outlen) {
  pthread_mutex_lock(&a->mu);
  snprintf(out, outlen, "%s/%s/v2.0", a->base_url, tenant);
  pthread_mutex_unlock(&a->mu);
}

bool arm_auth_subscription_exists(arm_auth *a, const char *subscription) {
  return a && auth_find_subscription(a, subscription) != NULL;
}

char *auth_issue_token(arm_auth *a, const auth_principal *p, const char *aud, const char *acr, long *iat_out,
                       long *exp_out) {
  char iss[AUTH_URL_MAX + AUTH_ID_MAX + 8], uti[37];
  auth_issuer(a, p->tenant, iss, sizeof iss);
  auth_guid(uti);
  long now = auth_now();
  long exp = now + a->token_lifetime;
  cJSON *c = cJSON_CreateObject();
  cJSON_AddStringToObject(c, "aud", aud);
  cJSON_AddStringToObject(c, "iss", iss);
  cJSON_AddNumberToObject(c, "iat", (double)now);
  cJSON_AddNumberToObject(c, "nbf", (double)now);
  cJSON_AddNumberToObject(c, "exp", (double)exp);
  cJSON_AddStringToObject(c, "appid", p->client_id);
  cJSON_AddStringToObject(c, "appidacr", acr);
  cJSON_AddStringToObject(c, "azp", p->client_id);
  cJSON_AddStringToObject(c, "azpacr", acr);
  cJSON_AddStringToObject(c, "idtyp", "app");
  cJSON_AddStringToObject(c, "oid", p->object_id);
  cJSON_AddStringToObject(c, "sub", p->object_id);
  cJSON_AddStringToObject(c, "tid", p->tenant);
  cJSON_AddStringToObject(c, "uti", uti);
  cJSON_AddStringToObject(c, "ver", "2.0");
  if (p->resource_id[0]) cJSON_AddStringToObject(c, "xms_mirid", p->resource_id);
  char *tok = auth_jwt_sign_rs256(a->sign_key, a->kid, c);
  cJSON_Delete(c);
  if (iat_out) *iat_out = now;
  if (exp_out) *exp_out = exp;
  return tok;
}

long auth_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (long)ts.tv_sec;
}
