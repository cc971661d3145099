/* test_cloud_default.c — the process-wide default cloud: unset → public + ENOTFOUND; a valid custom cloud
 * round-trips; an endpoint the transport policy refuses is rejected and the previous default kept. */
#include <check.h>
#include <string.h>

#include "capz/azure_cloud.h"
#include "ckrun.h"

/* key/value pairs, NULL-terminated, as a plugin config */
static const char *kv_get(const void *ud, const char *key) {
  const char *const *kv = ud;
  for (size_t i = 0; kv[i] && kv[i + 1]; i += 2)
    if (strcmp(kv[i], key) == 0) return kv[i + 1];
  return NULL;
}

START_TEST(default_cloud_lifecycle) {
  capz_az_cloud c;
  ck_assert_int_eq(capz_az_cloud_get_default(&c), CAPZ_ENOTFOUND);
  ck_assert_str_eq(c.arm_endpoint, "https://management.azure.com");

  cJSON *j = cJSON_Parse("{\"name\":\"Sim\",\"armEndpoint\":\"http://127.0.0.1:4000\","
                         "\"authorityHost\":\"http://127.0.0.1:4000\"}");
  capz_az_cloud sim;
  capz_err err;
  ck_assert_int_eq(capz_az_cloud_from_json(j, &sim, &err), 0);
  cJSON_Delete(j);
  ck_assert_int_eq(capz_az_cloud_set_default(&sim, &err), 0);
  ck_assert_int_eq(capz_az_cloud_get_default(&c), 0);
  ck_assert_str_eq(c.name, "Sim");
  ck_assert_str_eq(c.arm_endpoint, "http://127.0.0.1:4000");

  capz_az_cloud bad = sim;
  strcpy(bad.arm_endpoint, "http://example.com");
  ck_assert_int_eq(capz_az_cloud_set_default(&bad, &err), CAPZ_EINVAL);
  ck_assert_ptr_nonnull(strstr(err.msg, "default cloud Sim"));
  ck_assert_int_eq(capz_az_cloud_get_default(&c), 0);
  ck_assert_str_eq(c.arm_endpoint, "http://127.0.0.1:4000");
  ck_assert_int_eq(capz_az_cloud_set_default(NULL, &err), CAPZ_EINVAL);

  /* resolve: empty azureEnvironment = the default; an override changes one endpoint only; a name wins */
  const char *none[] = {NULL};
  ck_assert_int_eq(capz_az_cloud_resolve(kv_get, none, &c, &err), 0);
  ck_assert_str_eq(c.arm_endpoint, "http://127.0.0.1:4000");
  const char *over[] = {"armEndpoint", "http://127.0.0.1:5000", NULL};
  ck_assert_int_eq(capz_az_cloud_resolve(kv_get, over, &c, &err), 0);
  ck_assert_str_eq(c.arm_endpoint, "http://127.0.0.1:5000");
  ck_assert_str_eq(c.authority_host, "http://127.0.0.1:4000");
  const char *china[] = {"azureEnvironment", "AzureChinaCloud", NULL};
  ck_assert_int_eq(capz_az_cloud_resolve(kv_get, china, &c, &err), 0);
  ck_assert_str_eq(c.arm_endpoint, "https://management.chinacloudapi.cn");
  const char *mars[] = {"azureEnvironment", "MarsCloud", NULL};
  ck_assert_int_eq(capz_az_cloud_resolve(kv_get, mars, &c, &err), CAPZ_EINVAL);
}
END_TEST

int main(void) {
  Suite *s = suite_create("cloud_default");
  TCase *tc = tcase_create("cloud_default");
  tcase_add_test(tc, default_cloud_lifecycle);
  suite_add_tcase(s, tc);
  return ckrun(s);
}
