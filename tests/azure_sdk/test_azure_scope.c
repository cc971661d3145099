/* test_azure_scope.c — capz_az_credential_token_for_scope against capz-arm-sim, for every identity type: the token
 * has the requested audience (JWT payload decoded), is cached per credential + scope (a second call sends no token
 * request, asserted from the emulator's request log), is replaced at the refresh point before it expires (fake
 * cache clock), concurrent callers share one request, the ARM scope shares the ARM token's entry; and the session
 * cache hands out the credential behind its ARM clients. */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "capz/azure.h"
#include "capz/azure_session.h"
#include "capz/controller_util.h"
#include "capz/json.h"
#include "capz/sdk.h"
#include "armcloud.h"
#include "ckrun.h"
#include "sim_idents.h"
#include "simproc.h"
#include "test_util.h"
#include "tmpfiles.h"

#define AKS_APP "6dae42f8-4368-4678-94ff-3960e28e3630"
#define AKS_SCOPE AKS_APP "/.default"
#define LIFETIME 3599 /* the emulator's token lifetime (its default) */

static simproc g_sim;
static capz_az_cloud g_cloud;
/* reads the emulator's log with its own credential and token cache (its one token request precedes every count) */
static capz_az_token_cache *g_insp_cache;
static capz_az_credential *g_insp_cred;
static capz_arm_client *g_insp;
static int token_requests(void);

static void global_setup(void) {
  sim_idents_setup("azscope", "\"resources\":[\"" AKS_APP "\",\"api://capz-scope-test\"],",
                   ",\"requestLog\":{\"keepBodies\":1000}");
}

static void global_teardown(void) { sim_idents_teardown(); }

static void sim_setup(void) {
  sim_idents_start(&g_sim, &g_cloud);
  write_wi_token(WI_SUB, 3600);
  write_uaic("2099-01-01T00:00:00Z", g_sim.url);
  capz_az_identity id = {.type = CAPZ_AZ_ID_SERVICE_PRINCIPAL, .tenant_id = TENANT, .client_id = C_SP,
                         .secret = (const unsigned char *)"sp-secret-1", .secret_len = 11};
  capz_err err;
  g_insp_cache = capz_az_token_cache_new(4, NULL, NULL);
  g_insp_cred = capz_az_credential_new(&g_cloud, &id, g_insp_cache, &err);
  ck_assert_msg(g_insp_cred != NULL, "%s", err.msg);
  capz_arm_client_config cc = {.cloud = &g_cloud, .credential = g_insp_cred};
  g_insp = capz_arm_client_new(&cc, &err);
  ck_assert_msg(g_insp != NULL, "%s", err.msg);
  token_requests();
}

static void sim_teardown(void) {
  capz_arm_client_free(g_insp);
  capz_az_credential_free(g_insp_cred);
  capz_az_token_cache_free(g_insp_cache);
  sim_idents_stop(&g_sim);
}

/* ---------------------------------------------------------------- helpers */

/* Token requests the emulator logged so far (Entra v2 endpoint and IMDS). */
static int token_requests(void) {
  capz_arm_client *c = g_insp;
  capz_err err;
  char url[512];
  snprintf(url, sizeof url, "%s/_sim/requests", g_sim.url);
  capz_arm_response r;
  int rc = capz_arm_do(c, "GET", url, NULL, NULL, &r, &err);
  ck_assert_msg(rc == 0, "reading request log: %s", err.msg);
  int n = 0;
  const cJSON *e;
  cJSON_ArrayForEach(e, cJSON_GetObjectItem(r.body, "requests")) {
    const char *p = cJSON_GetStringValue(cJSON_GetObjectItem(e, "path"));
    if (p && (strstr(p, "/oauth2/v2.0/token") || strstr(p, "/metadata/identity/oauth2/token"))) n++;
  }
  capz_arm_response_free(&r);
  return n;
}

/* The JWT's payload claims (caller deletes). */
static cJSON *jwt_claims(const char *jwt) {
  const char *a = strchr(jwt, '.');
  const char *b = a ? strchr(a + 1, '.') : NULL;
  ck_assert_msg(b != NULL, "not a JWT");
  size_t n = (size_t)(b - a - 1);
  char *s = malloc(n + 4);
  for (size_t i = 0; i < n; i++) s[i] = a[1 + i] == '-' ? '+' : a[1 + i] == '_' ? '/' : a[1 + i];
  while (n % 4) s[n++] = '=';
  s[n] = '\0';
  size_t l = 0;
  unsigned char *p = capz_b64_decode(s, &l);
  free(s);
  ck_assert_ptr_nonnull(p);
  cJSON *j = cJSON_ParseWithLength((const char *)p, l);
  free(p);
  ck_assert_ptr_nonnull(j);
  return j;
}

static void assert_aud(const char *jwt, const char *aud, const char *appid) {
  cJSON *c = jwt_claims(jwt);
  ck_assert_str_eq(capz_json_ptr_str(c, "/aud", ""), aud);
  ck_assert_str_eq(capz_json_ptr_str(c, "/appid", ""), appid);
  cJSON_Delete(c);
}

typedef struct id_case {
  const char *name, *client;
  capz_az_identity id;
} id_case;

static id_case id_cases(int i) {
  switch (i) {
  case 0:
    return (id_case){"ServicePrincipal", C_SP,
                     {.type = CAPZ_AZ_ID_SERVICE_PRINCIPAL, .tenant_id = TENANT, .client_id = C_SP,
                      .secret = (const unsigned char *)"sp-secret-1", .secret_len = 11}};
  case 1:
    return (id_case){"ServicePrincipalCertificate", C_CERT,
                     {.type = CAPZ_AZ_ID_SERVICE_PRINCIPAL_CERTIFICATE, .tenant_id = TENANT, .client_id = C_CERT,
                      .secret = (const unsigned char *)g_cert_pem, .secret_len = strlen(g_cert_pem)}};
  case 2:
    return (id_case){"WorkloadIdentity", C_WI,
                     {.type = CAPZ_AZ_ID_WORKLOAD_IDENTITY, .tenant_id = TENANT, .client_id = C_WI,
                      .token_file = g_tokfile}};
  case 3:
    return (id_case){"UserAssignedMSI", C_MSI, {.type = CAPZ_AZ_ID_USER_ASSIGNED_MSI, .client_id = C_MSI}};
  default:
    return (id_case){"UserAssignedIdentityCredential", C_UAIC,
                     {.type = CAPZ_AZ_ID_USER_ASSIGNED_IDENTITY_CREDENTIAL, .credentials_file = g_uaic}};
  }
}

/* ---------------------------------------------------------------- tests */

/* Per identity type (loop index): audience, caching, ARM-scope sharing, refresh before expiry. */
START_TEST(scope_token_per_identity_type) {
  id_case ic = id_cases(_i);
  double now = 1000;
  capz_az_token_cache *cache = capz_az_token_cache_new(16, fake_clock, &now);
  capz_err err;
  capz_az_credential *c = capz_az_credential_new(&g_cloud, &ic.id, cache, &err);
  ck_assert_msg(c != NULL, "%s: %s", ic.name, err.msg);
  int before = token_requests();

  char *t1 = NULL;
  int64_t exp1 = 0, ref1 = 0;
  long wall0 = (long)time(NULL);
  int rc = capz_az_credential_token_for_scope(c, AKS_SCOPE, NULL, &t1, &exp1, &ref1, &err);
  ck_assert_msg(rc == 0, "%s: %s", ic.name, err.msg);
  assert_aud(t1, AKS_APP, ic.client);
  ck_assert_int_eq(token_requests(), before + 1);
  /* expiry from the response (3599 s), refresh point at 80% of it */
  ck_assert_msg(exp1 >= wall0 + LIFETIME - 2 && exp1 <= wall0 + LIFETIME + 2, "%s: exp %lld", ic.name,
                (long long)exp1);
  ck_assert_msg(ref1 >= wall0 + (long)(LIFETIME * 0.8) - 2 && ref1 <= wall0 + (long)(LIFETIME * 0.8) + 2,
                "%s: refresh %lld", ic.name, (long long)ref1);

  /* cached: same token, no request; a bare resource names the same scope */
  char *t2 = NULL;
  int64_t exp2 = 0;
  rc = capz_az_credential_token_for_scope(c, AKS_APP, NULL, &t2, &exp2, NULL, &err);
  ck_assert_msg(rc == 0, "%s: %s", ic.name, err.msg);
  ck_assert_str_eq(t2, t1);
  ck_assert_int_eq(exp2, exp1);
  ck_assert_int_eq(token_requests(), before + 1);
  capz_az_token_free(t2);

  /* the ARM token is another entry; the ARM scope asked by name shares it */
  char *arm = NULL, *arm2 = NULL;
  ck_assert_int_eq(capz_az_credential_token(c, NULL, &arm, &err), 0);
  assert_aud(arm, "https://management.azure.com", ic.client);
  ck_assert_int_eq(token_requests(), before + 2);
  ck_assert_int_eq(capz_az_credential_token_for_scope(c, "https://management.azure.com/.default", NULL, &arm2, NULL,
                                                      NULL, &err),
                   0);
  ck_assert_str_eq(arm2, arm);
  ck_assert_int_eq(token_requests(), before + 2);
  capz_az_token_free(arm);
  capz_az_token_free(arm2);

  /* just before the refresh point: still cached; just after it (long before expiry): a new token */
  now += LIFETIME * 0.8 - 5;
  ck_assert_int_eq(capz_az_credential_token_for_scope(c, AKS_SCOPE, NULL, &t2, NULL, NULL, &err), 0);
  ck_assert_str_eq(t2, t1);
  capz_az_token_free(t2);
  ck_assert_int_eq(token_requests(), before + 2);
  now += 10;
  int64_t ref3 = 0;
  ck_assert_int_eq(capz_az_credential_token_for_scope(c, AKS_SCOPE, NULL, &t2, NULL, &ref3, &err), 0);
  ck_assert_str_ne(t2, t1);
  assert_aud(t2, AKS_APP, ic.client);
  ck_assert_int_eq(token_requests(), before + 3);
  ck_assert_int_ge(ref3, ref1);
  /* a token the data plane refused is replaced once */
  char *t3 = NULL;
  ck_assert_int_eq(capz_az_credential_token_for_scope(c, AKS_SCOPE, t2, &t3, NULL, NULL, &err), 0);
  ck_assert_str_ne(t3, t2);
  ck_assert_int_eq(token_requests(), before + 4);
  fprintf(stderr, "scope(%s): 4 token requests for 2 scopes over a refresh and a rejection\n", ic.name);

  capz_az_token_free(t1);
  capz_az_token_free(t2);
  capz_az_token_free(t3);
  capz_az_credential_free(c);
  capz_az_token_cache_free(cache);
}
END_TEST

START_TEST(scope_errors) {
  id_case ic = id_cases(0);
  capz_az_token_cache *cache = capz_az_token_cache_new(16, NULL, NULL);
  capz_err err;
  capz_az_credential *c = capz_az_credential_new(&g_cloud, &ic.id, cache, &err);
  ck_assert_ptr_nonnull(c);
  int before = token_requests();
  char *t = NULL;
  ck_assert_int_eq(capz_az_credential_token_for_scope(c, "", NULL, &t, NULL, NULL, &err), CAPZ_EINVAL);
  ck_assert_int_eq(capz_az_credential_token_for_scope(c, "api://x y/.default", NULL, &t, NULL, NULL, &err),
                   CAPZ_EINVAL);
  ck_assert_str_eq(err.reason, "InvalidScope");
  ck_assert_int_eq(capz_az_credential_token_for_scope(c, NULL, NULL, &t, NULL, NULL, &err), CAPZ_EINVAL);
  ck_assert_ptr_null(t);
  ck_assert_int_eq(token_requests(), before);
  /* a resource the tenant does not know: Entra's error, no token */
  ck_assert_int_eq(capz_az_credential_token_for_scope(c, "api://unknown/.default", NULL, &t, NULL, NULL, &err),
                   CAPZ_EAUTH);
  ck_assert_str_eq(err.reason, "invalid_resource");
  ck_assert_ptr_null(t);
  ck_assert_ptr_null(strstr(err.msg, "sp-secret-1"));
  /* another known resource works with the same credential */
  ck_assert_int_eq(capz_az_credential_token_for_scope(c, "api://capz-scope-test", NULL, &t, NULL, NULL, &err), 0);
  assert_aud(t, "api://capz-scope-test", C_SP);
  capz_az_token_free(t);
  capz_az_credential_free(c);
  capz_az_token_cache_free(cache);
}
END_TEST

typedef struct par_arg {
  capz_az_credential *c;
  char *tok;
  int rc;
} par_arg;

static void *par_worker(void *ud) {
  par_arg *a = ud;
  capz_err err;
  a->rc = capz_az_credential_token_for_scope(a->c, AKS_SCOPE, NULL, &a->tok, NULL, NULL, &err);
  return NULL;
}

/* Eight threads asking for a scope nobody has yet: one token request, one token for all. */
START_TEST(scope_single_flight) {
  id_case ic = id_cases(1);
  capz_az_token_cache *cache = capz_az_token_cache_new(16, NULL, NULL);
  capz_err err;
  capz_az_credential *c = capz_az_credential_new(&g_cloud, &ic.id, cache, &err);
  ck_assert_ptr_nonnull(c);
  int before = token_requests();
  pthread_t th[8];
  par_arg args[8];
  for (int i = 0; i < 8; i++) {
    args[i] = (par_arg){.c = c};
    pthread_create(&th[i], NULL, par_worker, &args[i]);
  }
  for (int i = 0; i < 8; i++) pthread_join(th[i], NULL);
  for (int i = 0; i < 8; i++) {
    ck_assert_int_eq(args[i].rc, 0);
    ck_assert_str_eq(args[i].tok, args[0].tok);
  }
  for (int i = 0; i < 8; i++) capz_az_token_free(args[i].tok);
  ck_assert_int_eq(token_requests(), before + 1);
  capz_az_token_cache_stats st;
  capz_az_token_cache_get_stats(cache, &st);
  ck_assert_uint_eq(st.fetches, 1);
  capz_az_credential_free(c);
  capz_az_token_cache_free(cache);
}
END_TEST

/* The session cache's credential is the one behind its ARM client: one entry, and the scope token is cached across
 * lookups (the default token cache is process-wide). */
START_TEST(session_credential) {
  capz_err err;
  capz_az_session_config sc = {.cloud = &g_cloud};
  capz_az_sessions *s = capz_az_sessions_new(&sc, &err);
  ck_assert_ptr_nonnull(s);
  id_case ic = id_cases(0);
  capz_arm_client *arm = NULL;
  capz_az_credential *c1 = NULL, *c2 = NULL;
  ck_assert_int_eq(capz_az_session_for(s, &ic.id, &arm, &err), 0);
  ck_assert_int_eq(capz_az_session_credential_for(s, &ic.id, &c1, &err), 0);
  ck_assert_int_eq(capz_az_session_credential_for(s, &ic.id, &c2, &err), 0);
  ck_assert_ptr_eq(c1, c2);
  ck_assert_uint_eq(capz_az_sessions_count(s), 1);
  int before = token_requests();
  char *t1 = NULL, *t2 = NULL;
  ck_assert_int_eq(capz_az_credential_token_for_scope(c1, AKS_SCOPE, NULL, &t1, NULL, NULL, &err), 0);
  ck_assert_int_eq(capz_az_session_credential_for(s, &ic.id, &c2, &err), 0);
  ck_assert_int_eq(capz_az_credential_token_for_scope(c2, AKS_SCOPE, NULL, &t2, NULL, NULL, &err), 0);
  ck_assert_str_eq(t1, t2);
  ck_assert_int_eq(token_requests(), before + 1);
  capz_az_token_free(t1);
  capz_az_token_free(t2);
  /* another secret: another credential */
  capz_az_identity other = ic.id;
  other.secret = (const unsigned char *)"rotated";
  other.secret_len = 7;
  ck_assert_int_eq(capz_az_session_credential_for(s, &other, &c2, &err), 0);
  ck_assert_ptr_ne(c1, c2);
  ck_assert_uint_eq(capz_az_sessions_count(s), 2);
  ck_assert_int_eq(capz_az_session_credential_for(NULL, &other, &c2, &err), CAPZ_EINVAL);
  capz_az_sessions_free(s);
}
END_TEST

static Suite *scope_suite(void) {
  Suite *s = suite_create("azure_scope");
  TCase *tc = tcase_create("scope");
  tcase_add_unchecked_fixture(tc, global_setup, global_teardown);
  tcase_add_checked_fixture(tc, sim_setup, sim_teardown);
  tcase_set_timeout(tc, 60);
  tcase_add_loop_test(tc, scope_token_per_identity_type, 0, 5);
  tcase_add_test(tc, scope_errors);
  tcase_add_test(tc, scope_single_flight);
  tcase_add_test(tc, session_credential);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) { return ckrun(scope_suite()); }
