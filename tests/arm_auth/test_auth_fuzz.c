/* test_auth_fuzz.c — hostile input: random and mutated bodies, queries, headers and tokens must never crash,
 * leak (ASan build) or be accepted; statuses stay within the documented set. Deterministic PRNG. */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "authtest.h"
#include "ckrun.h"

static uint64_t rng = 0x9e3779b97f4a7c15ULL;
static unsigned next(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return (unsigned)(rng >> 11);
}

static const char ALPHA[] = "abcXYZ019-_.=&%+/:~ \x01\xff{}\"";

static void random_text(char *out, size_t max) {
  size_t n = next() % max;
  for (size_t i = 0; i < n; i++) out[i] = ALPHA[next() % (sizeof ALPHA - 1)];
  out[n] = '\0';
}

START_TEST(random_inputs) {
  char err[128];
  arm_auth *a = arm_auth_new(NULL, err, sizeof err);
  ck_assert_ptr_nonnull(a);
  char buf[300];
  for (int i = 0; i < 3000; i++) {
    arm_http_reply r;
    random_text(buf, sizeof buf);
    arm_auth_token_ex(a, AT_TENANT, buf, strlen(buf), (i & 1) ? buf : NULL, &r);
    ck_assert(r.status == 400 || r.status == 401);
    arm_http_reply_clear(&r);
    arm_auth_imds(a, buf, "true", &r);
    ck_assert_int_eq(r.status, 400);
    arm_http_reply_clear(&r);
    ck_assert(!arm_auth_check(a, buf, AT_SUB, NULL, 0, &r));
    ck_assert_int_eq(r.status, 401);
    arm_http_reply_clear(&r);
    arm_auth_token(a, buf, "", 0, &r); /* random tenant */
    ck_assert_int_eq(r.status, 400);
    arm_http_reply_clear(&r);
  }
  arm_auth_free(a);
}
END_TEST

START_TEST(mutated_tokens_and_assertions) {
  char err[128];
  arm_auth *a = arm_auth_new(NULL, err, sizeof err);
  ck_assert_ptr_nonnull(a);
  char *tok = at_secret_token(a, AT_TENANT, AT_APP, AT_SECRET, AT_ARM_SCOPE);
  ck_assert_ptr_nonnull(tok);
  size_t len = strlen(tok);
  size_t last_dot = (size_t)(strrchr(tok, '.') - tok);
  char *h = malloc(len + 16);
  for (size_t pos = 0; pos < len; pos++) {
    strcpy(h, "Bearer ");
    strcat(h, tok);
    char *c = h + 7 + pos;
    *c = (char)(*c == 'A' ? 'B' : *c == '.' ? 'x' : 'A');
    arm_http_reply r;
    bool ok = arm_auth_check(a, h, AT_SUB, NULL, 0, &r);
    /* base64url must be canonical, so even the unused low bits of a segment's last character count */
    ck_assert_msg(!ok, "mutation at %zu (segment end: %d) accepted", pos, pos == len - 1 || pos == last_dot - 1);
    ck_assert_int_eq(r.status, 401);
    arm_http_reply_clear(&r);
    /* truncations */
    h[7 + pos] = '\0';
    ck_assert(!arm_auth_check(a, h, AT_SUB, NULL, 0, &r));
    arm_http_reply_clear(&r);
  }
  /* the token used as a federated assertion (foreign issuer): no federated record */
  char *body = at_form("grant_type", "client_credentials", "client_id", AT_APP, "scope", AT_ARM_SCOPE,
                       "client_assertion_type", AT_JWT_BEARER, "client_assertion", tok, NULL);
  int st = 0;
  cJSON *o = at_token(a, AT_TENANT, body, &st);
  ck_assert_int_eq(st, 400);
  ck_assert_int_eq(at_aadsts(o), 70021);
  cJSON_Delete(o);
  free(body);
  free(h);
  free(tok);
  arm_auth_free(a);
}
END_TEST

int main(void) {
  Suite *s = suite_create("arm_auth_fuzz");
  TCase *tc = tcase_create("fuzz");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, random_inputs);
  tcase_add_test(tc, mutated_tokens_and_assertions);
  suite_add_tcase(s, tc);
  return ckrun(s);
}
