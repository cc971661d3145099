/* test_log.c — capz/log.h: formats, verbosity, fixed pairs, secret masking, thread atomicity. */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "capz/json.h"
#include "capz/log.h"
#include "ckrun.h"

static FILE *g_out;

static void setup(void) {
  g_out = tmpfile();
  ck_assert_ptr_nonnull(g_out);
  capz_log_set_stream(g_out);
  capz_log_set_format(CAPZ_LOG_TEXT);
  capz_log_set_verbosity(0);
}

static void teardown(void) {
  capz_log_set_stream(NULL);
  fclose(g_out);
}

/* Everything written so far (malloc'ed). */
static char *slurp(void) {
  fflush(g_out);
  long n = ftell(g_out);
  char *s = malloc((size_t)n + 1);
  rewind(g_out);
  size_t got = fread(s, 1, (size_t)n, g_out);
  s[got] = '\0';
  return s;
}

static int count_lines(const char *s) {
  int n = 0;
  for (; *s; s++) n += *s == '\n';
  return n;
}

START_TEST(text_format_and_quoting) {
  capz_log(NULL, CAPZ_LOG_INFO, "created resource", "id", "vnet-1", "note", "two words", "empty", "",
           "quote", "say \"hi\"", "nl", "a\nb", "eq", "k=v", NULL);
  capz_log(NULL, CAPZ_LOG_WARN, "plain", NULL);
  capz_log(NULL, CAPZ_LOG_ERROR, "bad key", "my key", "x", NULL);
  char *s = slurp();
  ck_assert_int_eq(count_lines(s), 3);
  ck_assert_ptr_nonnull(strstr(s, " INFO \"created resource\" id=vnet-1 note=\"two words\" empty=\"\" "
                                  "quote=\"say \\\"hi\\\"\" nl=\"a\\nb\" eq=\"k=v\"\n"));
  ck_assert_ptr_nonnull(strstr(s, " WARN plain\n"));
  ck_assert_ptr_nonnull(strstr(s, " ERROR \"bad key\" my_key=x\n"));
  /* timestamp shape: 2026-01-02T03:04:05.678Z */
  ck_assert_int_eq(s[4], '-');
  ck_assert_int_eq(s[10], 'T');
  ck_assert_int_eq(s[23], 'Z');
  free(s);
}
END_TEST

START_TEST(verbosity) {
  ck_assert(!capz_log_enabled(1));
  ck_assert(capz_log_enabled(0));
  capz_log_v(NULL, 1, "hidden", NULL);
  capz_log(NULL, CAPZ_LOG_DEBUG, "hidden too", NULL);
  capz_log_v(NULL, 0, "v0 shown", NULL);
  capz_log_set_verbosity(2);
  ck_assert_int_eq(capz_log_get_verbosity(), 2);
  capz_log_v(NULL, 2, "v2 shown", NULL);
  capz_log_v(NULL, 3, "v3 hidden", NULL);
  capz_log(NULL, CAPZ_LOG_DEBUG, "debug shown", NULL);
  char *s = slurp();
  ck_assert_ptr_null(strstr(s, "hidden"));
  ck_assert_ptr_nonnull(strstr(s, " INFO \"v0 shown\"\n"));
  ck_assert_ptr_nonnull(strstr(s, " DEBUG(v2) \"v2 shown\"\n"));
  ck_assert_ptr_nonnull(strstr(s, " DEBUG \"debug shown\"\n"));
  ck_assert_int_eq(count_lines(s), 3);
  free(s);
}
END_TEST

START_TEST(json_format) {
  capz_log_set_format(CAPZ_LOG_JSON);
  capz_log_set_verbosity(1);
  capz_logger *lg = capz_logger_new(NULL, "controller", "azurecluster", "namespace", "default", NULL);
  capz_log(lg, CAPZ_LOG_INFO, "reconciled \"x\"\n", "bytes", "\x01\xff\xc3\xa9", NULL);
  capz_log_v(lg, 1, "detail", "k", "v", NULL);
  capz_logger_free(lg);
  char *s = slurp();
  char *line2 = strchr(s, '\n') + 1;
  capz_err e;
  cJSON *r1 = capz_json_parse(s, (size_t)(line2 - s), &e);
  ck_assert_msg(r1 != NULL, "%s: %s", s, e.msg);
  ck_assert_str_eq(capz_json_ptr_str(r1, "/level", ""), "info");
  ck_assert_str_eq(capz_json_ptr_str(r1, "/msg", ""), "reconciled \"x\"\n");
  ck_assert_str_eq(capz_json_ptr_str(r1, "/controller", ""), "azurecluster");
  ck_assert_str_eq(capz_json_ptr_str(r1, "/namespace", ""), "default");
  ck_assert_str_eq(capz_json_ptr_str(r1, "/bytes", ""), "\x01\xef\xbf\xbd\xc3\xa9"); /* bad byte -> U+FFFD */
  ck_assert_ptr_nonnull(capz_json_ptr_str(r1, "/ts", NULL));
  cJSON *r2 = capz_json_parse(line2, strlen(line2), &e);
  ck_assert_ptr_nonnull(r2);
  ck_assert_str_eq(capz_json_ptr_str(r2, "/level", ""), "debug");
  ck_assert_int_eq(capz_json_ptr_int(r2, "/v", 0), 1);
  ck_assert_str_eq(capz_json_ptr_str(r2, "/k", ""), "v");
  cJSON_Delete(r1);
  cJSON_Delete(r2);
  free(s);
}
END_TEST

START_TEST(parent_child_loggers) {
  capz_logger *root = capz_logger_new(NULL, "controller", "azuremachine", NULL);
  capz_logger *child = capz_logger_new(root, "name", "m-0", "password", "p4ss-PARENT", NULL);
  capz_logger *grand = capz_logger_new(child, "step", "vm", NULL);
  capz_logger_free(child); /* children copy their parent's pairs */
  capz_log(grand, CAPZ_LOG_INFO, "x", "odd", NULL);
  capz_log(root, CAPZ_LOG_INFO, "y", NULL);
  capz_logger_free(grand);
  capz_logger_free(root);
  capz_logger_free(NULL);
  char *s = slurp();
  ck_assert_ptr_nonnull(strstr(s, " INFO x controller=azuremachine name=m-0 password=[REDACTED] step=vm odd=(MISSING)\n"));
  ck_assert_ptr_nonnull(strstr(s, " INFO y controller=azuremachine\n"));
  ck_assert_ptr_null(strstr(s, "p4ss-PARENT"));
  free(s);
}
END_TEST

START_TEST(secrets_never_written) {
  const char *jwt = "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ0ZXN0In0.c2lnbmF0dXJlLXNlY3JldA";
  for (int fmt = 0; fmt < 2; fmt++) {
    capz_log_set_format(fmt ? CAPZ_LOG_JSON : CAPZ_LOG_TEXT);
    capz_log(NULL, CAPZ_LOG_INFO, "auth", "clientSecret", "S3CRET-value-1", "client_secret", "S3CRET-value-2",
             "AZURE_CLIENT_SECRET", "S3CRET-value-3", "accessToken", "S3CRET-value-4", "privateKey",
             "S3CRET-value-5", "key", "S3CRET-value-6", "kubeconfig", "S3CRET-value-7", "customData",
             "S3CRET-value-8", "bootstrap-data", "S3CRET-value-9", NULL);
    capz_log(NULL, CAPZ_LOG_ERROR, "request failed: Authorization: Bearer S3CRET-value-10", "header",
             "Bearer S3CRET-value-11", "body", "{\"password\":\"S3CRET-value-12\",\"user\":\"bob\"}", "url",
             "https://x/?client_secret=S3CRET-value-13&scope=a", NULL);
    capz_log(NULL, CAPZ_LOG_WARN, jwt, "id", jwt, "pem",
             "-----BEGIN RSA PRIVATE KEY-----\nS3CRET-value-14\n-----END RSA PRIVATE KEY-----", NULL);
  }
  char *s = slurp();
  ck_assert_msg(strstr(s, "S3CRET") == NULL, "secret leaked:\n%s", s);
  ck_assert_msg(strstr(s, "c2lnbmF0dXJl") == NULL, "JWT leaked:\n%s", s);
  ck_assert_ptr_nonnull(strstr(s, "user")); /* non-secret context survives */
  ck_assert_ptr_nonnull(strstr(s, "scope=a"));
  ck_assert_int_eq(count_lines(s), 6);
  free(s);
}
END_TEST

START_TEST(key_is_secret) {
  const char *yes[] = {"token", "secret", "password", "passwd", "clientSecret", "privateKey", "key",
                       "Authorization", "assertion", "customData", "kubeconfig", "value", "data",
                       "bootstrapData", "AZURE_CLIENT_SECRET", "refresh_token", "x-ms-token", "DB_PASSWORD",
                       "private_key_pem", "KEY", "client-secret", "sig"};
  const char *no[] = {"name", "namespace", "keyVault", "monkey", "id", "resourceGroup", "metadata", "datacenter",
                      "values", "", "subscriptionID"};
  for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) ck_assert_msg(capz_log_key_is_secret(yes[i]), "%s", yes[i]);
  for (size_t i = 0; i < sizeof no / sizeof no[0]; i++) ck_assert_msg(!capz_log_key_is_secret(no[i]), "%s", no[i]);
  ck_assert(!capz_log_key_is_secret(NULL));
}
END_TEST

static void redacts(const char *in, const char *want) {
  char out[512];
  ck_assert_ptr_eq(capz_redact(in, out, sizeof out), out);
  ck_assert_msg(strcmp(out, want) == 0, "redact(%s) = %s, want %s", in, out, want);
}

START_TEST(redact_free_text) {
  /* a URL path ending in a secret-looking word is not a key: the error after it stays readable */
  redacts("POST https://login.example/t/oauth2/v2.0/token: Couldn't resolve host",
          "POST https://login.example/t/oauth2/v2.0/token: Couldn't resolve host");
  redacts("https://x/y?token=abc&a=1", "https://x/y?token=[REDACTED]&a=1");
  redacts("Authorization: Bearer abc.def-ghi", "Authorization: [REDACTED]");
  redacts("sent bearer abc123== to server", "sent bearer [REDACTED] to server");
  redacts("Basic dXNlcjpwYXNz", "Basic [REDACTED]");
  redacts("token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig_-x here", "token [REDACTED] here");
  redacts("{\"clientSecret\":\"abc\\\"def\",\"name\":\"n\"}", "{\"clientSecret\":\"[REDACTED]\",\"name\":\"n\"}");
  redacts("{\"token\": 12345, \"a\": 1}", "{\"token\": [REDACTED], \"a\": 1}");
  redacts("password=hunter2 user=bob", "password=[REDACTED] user=bob");
  redacts("password: 'x y z' next", "password: '[REDACTED]' next");
  redacts("a=1&client_secret=s&b=2", "a=1&client_secret=[REDACTED]&b=2");
  redacts("pre -----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE----- post", "pre [REDACTED PEM] post");
  redacts("-----BEGIN PRIVATE KEY-----\nMIIB unterminated", "[REDACTED PEM]");
  redacts("nothing secret here: name=web-1 v1.2.3 management.azure.com",
          "nothing secret here: name=web-1 v1.2.3 management.azure.com");
  redacts("keyVault=kv1 monkey=banana", "keyVault=kv1 monkey=banana");
  redacts("{\"kind\":\"Secret\",\"data\":{\"value\":\"c2VjcmV0\",\"x\":[1,\"}\"]},\"type\":\"Opaque\"}",
          "{\"kind\":\"Secret\",\"data\":[REDACTED],\"type\":\"Opaque\"}");
  redacts("privateKeys=[a, b] rest", "privateKeys=[REDACTED] rest");
  redacts("token={\"unterminated", "token=[REDACTED]");
  redacts("body: {\\\"password\\\":\\\"hunter2\\\",\\\"u\\\":1}", "body: {\\\"password\\\":[REDACTED],\\\"u\\\":1}");
  redacts("", "");
  char small[8];
  capz_redact("password=hunter2", small, sizeof small);
  ck_assert_str_eq(small, "passwor");
  char tiny[1] = {'x'};
  capz_redact("abc", tiny, 1);
  ck_assert_int_eq(tiny[0], '\0');
  capz_redact(NULL, small, sizeof small);
  ck_assert_str_eq(small, "");
}
END_TEST

START_TEST(redact_garbage) {
  /* random text built from the characters the scanner cares about: never overruns, always terminated */
  const char alphabet[] = "eyJ.-_=:\"'{}[]\\ \n,&;BearerBasic token password key data -----BEGIN END-----aZ09\xff";
  unsigned seed = 99;
  char in[257], out[64], big[1024];
  for (int round = 0; round < 5000; round++) {
    size_t len = (size_t)(round % 256);
    for (size_t i = 0; i < len; i++) {
      seed = seed * 1103515245u + 12345u;
      in[i] = alphabet[(seed >> 16) % (sizeof alphabet - 1)];
    }
    in[len] = '\0';
    memset(out, 'X', sizeof out);
    capz_redact(in, out, sizeof out);
    ck_assert_ptr_nonnull(memchr(out, '\0', sizeof out));
    capz_redact(in, big, sizeof big);
    ck_assert(strlen(big) <= 3 * len + 64);
  }
}
END_TEST

#define THREADS 8
#define PER_THREAD 1500

static void *log_worker(void *arg) {
  char id[16], big[3000];
  snprintf(id, sizeof id, "t%d", (int)(long)arg);
  memset(big, 'a' + (int)(long)arg, sizeof big - 1);
  big[sizeof big - 1] = '\0';
  capz_logger *lg = capz_logger_new(NULL, "thread", id, NULL);
  for (int i = 0; i < PER_THREAD; i++) capz_log(lg, CAPZ_LOG_INFO, "tick", "payload", big, NULL);
  capz_logger_free(lg);
  return NULL;
}

START_TEST(records_are_atomic_across_threads) {
  capz_log_set_format(CAPZ_LOG_JSON);
  pthread_t th[THREADS];
  for (long i = 0; i < THREADS; i++) pthread_create(&th[i], NULL, log_worker, (void *)i);
  for (int i = 0; i < THREADS; i++) pthread_join(th[i], NULL);
  char *s = slurp();
  int lines = 0;
  for (char *line = s, *nl; (nl = strchr(line, '\n')); line = nl + 1, lines++) {
    capz_err e;
    cJSON *r = capz_json_parse(line, (size_t)(nl - line), &e);
    ck_assert_msg(r != NULL, "line %d is not one whole record: %s", lines, e.msg);
    const char *t = capz_json_ptr_str(r, "/thread", "");
    const char *p = capz_json_ptr_str(r, "/payload", "");
    ck_assert_int_eq(strlen(p), 2999);
    ck_assert_int_eq(p[0], 'a' + (t[1] - '0'));
    ck_assert_int_eq(p[2998], p[0]);
    cJSON_Delete(r);
  }
  ck_assert_int_eq(lines, THREADS * PER_THREAD);
  free(s);
}
END_TEST

int main(void) {
  Suite *s = suite_create("log");
  TCase *tc = tcase_create("core");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_set_timeout(tc, 30);
  tcase_add_test(tc, text_format_and_quoting);
  tcase_add_test(tc, verbosity);
  tcase_add_test(tc, json_format);
  tcase_add_test(tc, parent_child_loggers);
  tcase_add_test(tc, secrets_never_written);
  tcase_add_test(tc, key_is_secret);
  tcase_add_test(tc, redact_free_text);
  tcase_add_test(tc, redact_garbage);
  tcase_add_test(tc, records_are_atomic_across_threads);
  suite_add_tcase(s, tc);
  return ckrun(s);
}
