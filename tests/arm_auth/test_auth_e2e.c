/* test_auth_e2e.c — capz-arm-sim over HTTP (libcurl): token endpoint with a client secret, then authorised and
 * unauthorised ARM GETs; IMDS with and without the Metadata header. Uses the built-in auth defaults. */
#include <check.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "authtest.h"
#include "ckrun.h"
#include "curlbuf.h"
#include "simproc.h"
#include "tmpfiles.h"

static simproc SIM;
static bool STARTED;

/* Keeps only the WWW-Authenticate header line. */
static size_t on_header(char *d, size_t sz, size_t nm, void *ud) {
  size_t len = sz * nm;
  if (len > 17 && strncasecmp(d, "WWW-Authenticate:", 17) == 0) return curlbuf_write(d, sz, nm, ud);
  return len;
}

/* One request; returns the status, body in *body (malloc, caller frees), WWW-Authenticate line in *www. */
static long http(const char *method, const char *path, const char *post, const char *const *headers, char **body,
                 char **www) {
  CURL *c = curl_easy_init();
  ck_assert_ptr_nonnull(c);
  char url[1024];
  snprintf(url, sizeof url, "%s%s", SIM.url, path);
  curlbuf b = {0}, h = {0};
  struct curl_slist *hl = NULL;
  for (size_t i = 0; headers && headers[i]; i++) hl = curl_slist_append(hl, headers[i]);
  curl_easy_setopt(c, CURLOPT_URL, url);
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
  if (post) curl_easy_setopt(c, CURLOPT_POSTFIELDS, post);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, curlbuf_write);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &h);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
  curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
  CURLcode rc = curl_easy_perform(c);
  ck_assert_msg(rc == CURLE_OK, "%s %s: %s", method, path, curl_easy_strerror(rc));
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  curl_slist_free_all(hl);
  curl_easy_cleanup(c);
  if (body) *body = b.data;
  else curlbuf_free(&b);
  if (www) *www = h.data;
  else curlbuf_free(&h);
  return status;
}

static void setup(void) {
  curl_global_init(CURL_GLOBAL_DEFAULT);
  const char *bin = simproc_bin("capz-arm-sim");
  ck_assert_msg(access(bin, X_OK) == 0, "capz-arm-sim not built at %s", bin);
  ck_assert_msg(simproc_start(&SIM, bin, NULL) == 0, "capz-arm-sim did not print READY");
  STARTED = true;
}

static void teardown(void) {
  if (STARTED) simproc_stop(&SIM);
  curl_global_cleanup();
}

static char *get_token(const char *secret, long *status) {
  char *form = at_form("grant_type", "client_credentials", "client_id", AT_APP, "client_secret", secret, "scope",
                       AT_ARM_SCOPE, NULL);
  const char *hdr[] = {"Content-Type: application/x-www-form-urlencoded", NULL};
  char *body = NULL;
  *status = http("POST", "/" AT_TENANT "/oauth2/v2.0/token", form, hdr, &body, NULL);
  free(form);
  cJSON *o = at_parse(body);
  free(body);
  char *tok = NULL;
  const cJSON *t = cJSON_GetObjectItem(o, "access_token");
  if (cJSON_IsString(t)) tok = strdup(t->valuestring);
  if (*status == 200) {
    ck_assert_str_eq(cJSON_GetObjectItem(o, "token_type")->valuestring, "Bearer");
    ck_assert(cJSON_IsNumber(cJSON_GetObjectItem(o, "expires_in")));
  } else {
    ck_assert_int_eq(at_aadsts(o), 7000215);
  }
  cJSON_Delete(o);
  return tok;
}

START_TEST(token_then_arm_get) {
  long st = 0;
  char *tok = get_token(AT_SECRET, &st);
  ck_assert_int_eq(st, 200);
  ck_assert_ptr_nonnull(tok);
  /* issuer carries the emulator's own URL */
  cJSON *c = at_jwt_claims(tok);
  char iss[512];
  snprintf(iss, sizeof iss, "%s/%s/v2.0", SIM.url, AT_TENANT);
  ck_assert_str_eq(cJSON_GetObjectItem(c, "iss")->valuestring, iss);
  cJSON_Delete(c);

  const char *path = "/subscriptions/" AT_SUB "/resourcegroups?api-version=2021-04-01";
  char authz[4096];
  snprintf(authz, sizeof authz, "Authorization: Bearer %s", tok);
  const char *hdr[] = {authz, NULL};
  char *body = NULL;
  st = http("GET", path, NULL, hdr, &body, NULL);
  ck_assert_msg(st == 200, "GET %s: %ld %s", path, st, body ? body : "");
  cJSON *o = at_parse(body);
  ck_assert(cJSON_IsArray(cJSON_GetObjectItem(o, "value")));
  cJSON_Delete(o);
  free(body);

  /* no token: 401 AuthenticationFailed with WWW-Authenticate */
  char *www = NULL;
  st = http("GET", path, NULL, NULL, &body, &www);
  ck_assert_int_eq(st, 401);
  ck_assert_ptr_nonnull(strstr(body, "AuthenticationFailed"));
  ck_assert_ptr_nonnull(www);
  ck_assert_ptr_nonnull(strstr(www, "Bearer authorization_uri="));
  ck_assert_ptr_nonnull(strstr(www, "error=\"invalid_token\""));
  free(body);
  free(www);

  /* garbage token, unknown subscription */
  const char *bad[] = {"Authorization: Bearer not.a.token", NULL};
  st = http("GET", path, NULL, bad, &body, NULL);
  ck_assert_int_eq(st, 401);
  ck_assert_ptr_nonnull(strstr(body, "InvalidAuthenticationToken"));
  free(body);
  st = http("GET", "/subscriptions/00000000-0000-4000-8000-000000000999/resourcegroups?api-version=2021-04-01", NULL,
            hdr, &body, NULL);
  ck_assert_int_eq(st, 404);
  ck_assert_ptr_nonnull(strstr(body, "SubscriptionNotFound"));
  free(body);
  free(tok);
}
END_TEST

START_TEST(wrong_secret) {
  long st = 0;
  char *tok = get_token("not-the-secret", &st);
  ck_assert_int_eq(st, 401);
  ck_assert_ptr_null(tok);
}
END_TEST

START_TEST(imds_over_http) {
  const char *path = "/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https%3A%2F%2Fmanagement.azure.com%2F";
  char *body = NULL;
  long st = http("GET", path, NULL, NULL, &body, NULL);
  ck_assert_int_eq(st, 400);
  ck_assert_ptr_nonnull(strstr(body, "Required metadata header not specified"));
  free(body);
  const char *md[] = {"Metadata: true", NULL};
  st = http("GET", path, NULL, md, &body, NULL);
  ck_assert_msg(st == 200, "%ld %s", st, body);
  cJSON *o = at_parse(body);
  ck_assert_str_eq(cJSON_GetObjectItem(o, "client_id")->valuestring, AT_SAMI_CLIENT);
  ck_assert(cJSON_IsString(cJSON_GetObjectItem(o, "expires_on")));
  cJSON_Delete(o);
  free(body);
}
END_TEST

static const char YAML_CFG[] =
    "auth:\n"
    "  token_lifetime_seconds: 1\n"
    "  tenants:\n"
    "    - id: " AT_TENANT "\n"
    "  subscriptions:\n"
    "    - " AT_SUB "\n"
    "  apps:\n"
    "    - client_id: yaml-app\n"
    "      secret: \"yaml secret&=\"\n"
    "  managed_identities:\n"
    "    system_assigned: false\n";

/* A second emulator with an auth section from a YAML config file: lifetime, app and identity settings apply. */
START_TEST(yaml_config_and_expiry) {
  char path[64];
  snprintf(path, sizeof path, "/tmp/capz-arm-auth-e2e-%d.yaml", (int)getpid());
  tmpfiles_write_text(path, YAML_CFG);
  simproc saved = SIM;
  const char *args[] = {"--config", path, NULL};
  ck_assert_int_eq(simproc_start(&SIM, simproc_bin("capz-arm-sim"), args), 0);
  char *form = at_form("grant_type", "client_credentials", "client_id", "yaml-app", "client_secret", "yaml secret&=",
                       "scope", AT_ARM_SCOPE, NULL);
  char *body = NULL;
  long st = http("POST", "/" AT_TENANT "/oauth2/v2.0/token", form, NULL, &body, NULL);
  free(form);
  ck_assert_msg(st == 200, "%ld %s", st, body);
  cJSON *o = at_parse(body);
  free(body);
  ck_assert_int_eq(cJSON_GetObjectItem(o, "expires_in")->valueint, 1);
  char authz[4096];
  snprintf(authz, sizeof authz, "Authorization: Bearer %s", cJSON_GetObjectItem(o, "access_token")->valuestring);
  cJSON_Delete(o);
  const char *hdr[] = {authz, NULL};
  sleep(2);
  char *www = NULL;
  st = http("GET", "/subscriptions/" AT_SUB "/resourcegroups?api-version=2021-04-01", NULL, hdr, &body, &www);
  ck_assert_int_eq(st, 401);
  ck_assert_ptr_nonnull(strstr(body, "ExpiredAuthenticationToken"));
  ck_assert_ptr_nonnull(www);
  free(body);
  free(www);
  const char *md[] = {"Metadata: true", NULL};
  st = http("GET", "/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://management.azure.com/",
            NULL, md, &body, NULL);
  ck_assert_int_eq(st, 400);
  ck_assert_ptr_nonnull(strstr(body, "Identity not found"));
  free(body);
  simproc_stop(&SIM);
  SIM = saved;

  /* an invalid auth section keeps the emulator from starting */
  tmpfiles_write_text(path, "auth:\n  tenants: []\n");
  simproc bad;
  ck_assert_int_ne(simproc_start(&bad, simproc_bin("capz-arm-sim"), args), 0);
  if (bad.pid > 0) simproc_stop(&bad);
  unlink(path);
}
END_TEST

static Suite *suite(void) {
  Suite *s = suite_create("arm_auth_e2e");
  TCase *tc = tcase_create("e2e");
  tcase_add_unchecked_fixture(tc, setup, teardown);
  tcase_set_timeout(tc, 30);
  tcase_add_test(tc, token_then_arm_get);
  tcase_add_test(tc, wrong_secret);
  tcase_add_test(tc, imds_over_http);
  tcase_add_test(tc, yaml_config_and_expiry);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) { return ckrun(suite()); }
