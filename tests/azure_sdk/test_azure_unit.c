/* test_azure_unit.c — clouds, resource IDs, token bucket/limiter, allowedNamespaces, cache keys, token cache,
 * CloudError decoding. No network. */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "capz/azure.h"
#include "azure/az_bucket.h"
#include "azure/az_token_cache.h"
#include "test_util.h"
#include "ckrun.h"

/* ---------------------------------------------------------------- clouds */

START_TEST(cloud_builtins) {
  capz_az_cloud c;
  capz_err err;
  ck_assert_int_eq(capz_az_cloud_builtin("AzurePublicCloud", &c, &err), 0);
  ck_assert_str_eq(c.arm_endpoint, "https://management.azure.com");
  ck_assert_str_eq(c.authority_host, "https://login.microsoftonline.com");
  ck_assert_int_eq(capz_az_cloud_builtin("china", &c, &err), 0);
  ck_assert_str_eq(c.name, "AzureChinaCloud");
  ck_assert_str_eq(c.authority_host, "https://login.chinacloudapi.cn");
  ck_assert_int_eq(capz_az_cloud_builtin("AzureUSGovernmentCloud", &c, &err), 0);
  ck_assert_str_eq(c.arm_endpoint, "https://management.usgovcloudapi.net");
  ck_assert_int_eq(capz_az_cloud_builtin("usgovernment", &c, &err), 0);
  ck_assert_int_eq(capz_az_cloud_builtin("AzureGermanCloud", &c, &err), CAPZ_EINVAL);
  char scope[300];
  capz_az_cloud_builtin("AzurePublicCloud", &c, NULL);
  ck_assert_int_eq(capz_az_cloud_scope(&c, scope, sizeof scope), 0);
  ck_assert_str_eq(scope, "https://management.azure.com/.default");
}
END_TEST

START_TEST(cloud_custom_and_policy) {
  capz_az_cloud c;
  capz_err err;
  cJSON *j = cJSON_Parse("{\"name\":\"sim\",\"armEndpoint\":\"http://127.0.0.1:4000/\","
                         "\"authorityHost\":\"http://127.0.0.1:4000\",\"imdsEndpoint\":\"http://[::1]:4000\"}");
  ck_assert_int_eq(capz_az_cloud_from_json(j, &c, &err), 0);
  ck_assert_str_eq(c.arm_endpoint, "http://127.0.0.1:4000");
  ck_assert_str_eq(c.token_audience, "http://127.0.0.1:4000/");
  ck_assert_str_eq(c.imds_endpoint, "http://[::1]:4000");
  cJSON_Delete(j);
  j = cJSON_Parse("{\"name\":\"evil\",\"armEndpoint\":\"http://10.0.0.1\",\"authorityHost\":\"https://x\"}");
  ck_assert_int_eq(capz_az_cloud_from_json(j, &c, &err), CAPZ_EINVAL);
  ck_assert_ptr_nonnull(strstr(err.msg, "armEndpoint"));
  cJSON_Delete(j);
  j = cJSON_Parse("{\"name\":\"AzurePublicCloud\",\"bogus\":1}");
  ck_assert_int_eq(capz_az_cloud_from_json(j, &c, &err), CAPZ_EINVAL);
  cJSON_Delete(j);
  j = cJSON_Parse("{\"name\":\"x\",\"armEndpoint\":\"https://arm.example\"}");
  ck_assert_int_eq(capz_az_cloud_from_json(j, &c, &err), CAPZ_EINVAL); /* authorityHost required */
  cJSON_Delete(j);
  ck_assert_int_eq(capz_az_endpoint_check("http://169.254.169.254", true, NULL), 0);
  ck_assert_int_eq(capz_az_endpoint_check("http://169.254.169.254", false, NULL), CAPZ_EINVAL);
  ck_assert_int_eq(capz_az_endpoint_check("http://localhost:8080/x", false, NULL), 0);
  ck_assert_int_eq(capz_az_endpoint_check("http://127.9.9.9", false, NULL), 0);
  ck_assert_int_eq(capz_az_endpoint_check("http://127.0.0.1.evil.com", false, NULL), CAPZ_EINVAL);
  ck_assert_int_eq(capz_az_endpoint_check("http://user@127.0.0.1", false, NULL), CAPZ_EINVAL);
  ck_assert_int_eq(capz_az_endpoint_check("ftp://127.0.0.1", false, NULL), CAPZ_EINVAL);
  ck_assert_int_eq(capz_az_endpoint_check("https://management.azure.com", false, NULL), 0);
  ck_assert_int_eq(capz_az_cloud_from_json(NULL, &c, &err), 0);
  ck_assert_str_eq(c.name, "AzurePublicCloud");
}
END_TEST

/* ---------------------------------------------------------------- resource IDs */

START_TEST(resid_parse_format) {
  capz_arm_resid r;
  capz_err err;
  char buf[1024];
  ck_assert_int_eq(capz_arm_resid_parse("/SUBSCRIPTIONS/s1/resourcegroups/RG1/PROVIDERS/Microsoft.Network/"
                                        "virtualNetworks/v1/subnets/s1/",
                                        &r, &err),
                   0);
  ck_assert_int_eq(r.scope, CAPZ_ARM_SCOPE_RESOURCE_GROUP);
  ck_assert_str_eq(r.subscription, "s1");
  ck_assert_str_eq(r.resource_group, "RG1");
  ck_assert_str_eq(r.provider, "Microsoft.Network");
  ck_assert_int_eq(r.depth, 2);
  ck_assert_str_eq(r.names[1], "s1");
  ck_assert_int_ge(capz_arm_resid_format(&r, buf, sizeof buf), 0);
  ck_assert_str_eq(buf, "/subscriptions/s1/resourceGroups/RG1/providers/Microsoft.Network/virtualNetworks/v1/subnets/s1");
  ck_assert_int_ge(capz_arm_resid_type(&r, buf, sizeof buf), 0);
  ck_assert_str_eq(buf, "Microsoft.Network/virtualNetworks/subnets");
  capz_arm_resid p;
  ck_assert_int_eq(capz_arm_resid_parent(&r, &p), 0);
  capz_arm_resid_format(&p, buf, sizeof buf);
  ck_assert_str_eq(buf, "/subscriptions/s1/resourceGroups/RG1/providers/Microsoft.Network/virtualNetworks/v1");
  ck_assert_int_eq(capz_arm_resid_parent(&p, &r), 0);
  capz_arm_resid_format(&r, buf, sizeof buf);
  ck_assert_str_eq(buf, "/subscriptions/s1/resourceGroups/RG1");
  ck_assert_int_eq(capz_arm_resid_parent(&r, &p), 0);
  capz_arm_resid_format(&p, buf, sizeof buf);
  ck_assert_str_eq(buf, "/subscriptions/s1");

  /* bare resource group */
  ck_assert_int_eq(capz_arm_resid_parse("/subscriptions/s/resourceGroups/rg", &r, &err), 0);
  capz_arm_resid_type(&r, buf, sizeof buf);
  ck_assert_str_eq(buf, "Microsoft.Resources/resourceGroups");
  /* subscription-level and tenant-level providers */
  ck_assert_int_eq(capz_arm_resid_parse("/subscriptions/s/providers/Microsoft.Network/locations/eastus/operations/op1",
                                        &r, &err), 0);
  ck_assert_int_eq(r.scope, CAPZ_ARM_SCOPE_SUBSCRIPTION);
  ck_assert_int_eq(r.depth, 2);
  ck_assert_int_eq(capz_arm_resid_parse("/providers/Microsoft.Management/managementGroups/mg1", &r, &err), 0);
  ck_assert_int_eq(r.scope, CAPZ_ARM_SCOPE_TENANT);
  capz_arm_resid_format(&r, buf, sizeof buf);
  ck_assert_str_eq(buf, "/providers/Microsoft.Management/managementGroups/mg1");
  /* extension resource */
  ck_assert_int_eq(capz_arm_resid_parse("/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/"
                                        "vm/providers/Microsoft.Authorization/roleAssignments/ra1",
                                        &r, &err), 0);
  ck_assert_str_eq(r.provider, "Microsoft.Authorization");
  ck_assert_str_eq(r.extension_scope, "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm");
  /* collection */
  ck_assert_int_eq(capz_arm_resid_parse("/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks",
                                        &r, &err), 0);
  ck_assert(r.collection);
  capz_arm_resid_format(&r, buf, sizeof buf);
  ck_assert_str_eq(buf, "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks");
  /* errors */
  ck_assert_int_eq(capz_arm_resid_parse("subscriptions/s", &r, &err), CAPZ_EINVAL);
  ck_assert_int_eq(capz_arm_resid_parse("/subscriptions//resourceGroups/x", &r, &err), CAPZ_EINVAL);
  ck_assert_int_eq(capz_arm_resid_parse("/foo/bar", &r, &err), CAPZ_EINVAL);
  ck_assert_int_eq(capz_arm_resid_parse("/subscriptions/s/resourceGroups/rg/things/x", &r, &err), CAPZ_EINVAL);
  ck_assert_int_eq(capz_arm_resid_parse("/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network", &r, &err),
                   CAPZ_EINVAL);
  ck_assert_int_eq(capz_arm_resid_parse("/subscriptions/s/resourceGroups/rg/providers/N/a/1/b/2/c/3/d/4/e/5/f/6/g/7",
                                        &r, &err), CAPZ_EINVAL);
  ck_assert_int_eq(capz_arm_resid_parse("/subscriptions/s?x=1", &r, &err), CAPZ_EINVAL);
  ck_assert_int_eq(capz_arm_resid_parse(NULL, &r, &err), CAPZ_EINVAL);
  /* case-insensitive equality */
  ck_assert(capz_arm_resid_equal("/subscriptions/S/resourceGroups/RG/providers/microsoft.network/virtualnetworks/V",
                                 "/subscriptions/s/resourcegroups/rg/providers/Microsoft.Network/virtualNetworks/v/"));
  ck_assert(!capz_arm_resid_equal("/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v",
                                  "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/w"));
}
END_TEST

/* ---------------------------------------------------------------- token bucket / limiter */

START_TEST(bucket_arithmetic) {
  az_bucket b;
  az_bucket_init(&b, 10.0, 3.0, 100.0);
  ck_assert(az_bucket_reserve(&b, 100.0) == 0);
  ck_assert(az_bucket_reserve(&b, 100.0) == 0);
  ck_assert(az_bucket_reserve(&b, 100.0) == 0);
  /* empty: the 4th and 5th callers queue behind each other at 1/rate */
  ck_assert_double_eq_tol(az_bucket_reserve(&b, 100.0), 0.1, 1e-9);
  ck_assert_double_eq_tol(az_bucket_reserve(&b, 100.0), 0.2, 1e-9);
  /* 0.5 s later: 5 tokens refilled, 2 owed → 3, capped at burst 3 */
  ck_assert_double_eq_tol(az_bucket_peek(&b, 100.5), 3.0, 1e-9);
  ck_assert_double_eq_tol(az_bucket_peek(&b, 100.25), 0.5, 1e-9);
  /* a long idle period never exceeds the burst */
  ck_assert_double_eq_tol(az_bucket_peek(&b, 10000), 3.0, 1e-9);
}
END_TEST

START_TEST(limiter_keys_and_rates) {
  double now = 50.0;
  capz_arm_limits lim = {.read = {25, 2}, .write = {10, 1}, .del = {10, 1}};
  capz_arm_limiter *l = capz_arm_limiter_new(&lim, fake_clock, &now);
  ck_assert_ptr_nonnull(l);
  ck_assert(capz_arm_limiter_reserve(l, "sub", "p1", CAPZ_ARM_READ) == 0);
  ck_assert(capz_arm_limiter_reserve(l, "sub", "p1", CAPZ_ARM_READ) == 0);
  ck_assert_double_eq_tol(capz_arm_limiter_reserve(l, "sub", "p1", CAPZ_ARM_READ), 0.04, 1e-9);
  /* other principal, other subscription, other class: independent buckets; subscription is case-insensitive */
  ck_assert(capz_arm_limiter_reserve(l, "sub", "p2", CAPZ_ARM_READ) == 0);
  ck_assert(capz_arm_limiter_reserve(l, "sub2", "p1", CAPZ_ARM_READ) == 0);
  ck_assert(capz_arm_limiter_reserve(l, "sub", "p1", CAPZ_ARM_WRITE) == 0);
  ck_assert_double_eq_tol(capz_arm_limiter_reserve(l, "sub", "p1", CAPZ_ARM_WRITE), 0.1, 1e-9);
  ck_assert_double_eq_tol(capz_arm_limiter_reserve(l, "SUB", "p1", CAPZ_ARM_WRITE), 0.2, 1e-9);
  ck_assert(capz_arm_limiter_reserve(l, "sub", "p1", CAPZ_ARM_DELETE) == 0);
  /* refill with time */
  now += 1.0;
  ck_assert(capz_arm_limiter_reserve(l, "sub", "p1", CAPZ_ARM_READ) == 0);
  capz_arm_limiter_free(l);
  capz_arm_limits bad = {.read = {0, 1}, .write = {1, 1}, .del = {1, 1}};
  ck_assert_ptr_null(capz_arm_limiter_new(&bad, NULL, NULL));
  capz_arm_limits d;
  capz_arm_limits_default(&d);
  ck_assert(d.read.per_second < 25 && d.write.per_second < 10 && d.del.per_second < 10);
  ck_assert(d.read.burst <= 250 && d.write.burst <= 200 && d.del.burst <= 200);
}
END_TEST

/* ---------------------------------------------------------------- allowedNamespaces */

static bool allowed(const char *spec, const char *ns, const char *labels, capz_err *err) {
  cJSON *s = cJSON_Parse(spec);
  cJSON *l = labels ? cJSON_Parse(labels) : NULL;
  bool r = capz_az_namespace_allowed(s, ns, l, err);
  cJSON_Delete(s);
  cJSON_Delete(l);
  return r;
}

START_TEST(allowed_namespaces) {
  capz_err err;
  capz_err_clear(&err);
  ck_assert(!allowed("{\"type\":\"ServicePrincipal\"}", "default", NULL, &err));
  ck_assert_int_eq(err.code, CAPZ_EFORBIDDEN);
  ck_assert_str_eq(err.reason, "NamespaceNotAllowedByIdentity");
  ck_assert(!allowed("{\"allowedNamespaces\":null}", "default", NULL, &err));
  ck_assert(allowed("{\"allowedNamespaces\":{}}", "anything", NULL, &err));
  ck_assert(allowed("{\"allowedNamespaces\":{\"list\":[\"a\",\"b\"]}}", "b", NULL, &err));
  ck_assert(!allowed("{\"allowedNamespaces\":{\"list\":[\"a\",\"b\"]}}", "c", NULL, &err));
  ck_assert(!allowed("{\"allowedNamespaces\":{\"list\":[]}}", "c", NULL, &err));
  ck_assert(!allowed("{\"allowedNamespaces\":{\"selector\":{}}}", "c", "{\"x\":\"y\"}", &err));
  const char *sel = "{\"allowedNamespaces\":{\"selector\":{\"matchLabels\":{\"team\":\"a\"},"
                    "\"matchExpressions\":[{\"key\":\"env\",\"operator\":\"In\",\"values\":[\"dev\",\"test\"]},"
                    "{\"key\":\"frozen\",\"operator\":\"DoesNotExist\"}]}}}";
  ck_assert(allowed(sel, "ns1", "{\"team\":\"a\",\"env\":\"dev\"}", &err));
  ck_assert(!allowed(sel, "ns1", "{\"team\":\"a\",\"env\":\"prod\"}", &err));
  ck_assert(!allowed(sel, "ns1", "{\"team\":\"b\",\"env\":\"dev\"}", &err));
  ck_assert(!allowed(sel, "ns1", "{\"team\":\"a\",\"env\":\"dev\",\"frozen\":\"\"}", &err));
  ck_assert(!allowed(sel, "ns1", NULL, &err));
  /* list OR selector */
  ck_assert(allowed("{\"allowedNamespaces\":{\"list\":[\"x\"],\"selector\":{\"matchLabels\":{\"a\":\"1\"}}}}", "y",
                    "{\"a\":\"1\"}", &err));
  ck_assert(allowed("{\"allowedNamespaces\":{\"selector\":{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"NotIn\","
                    "\"values\":[\"1\"]},{\"key\":\"b\",\"operator\":\"Exists\"}]}}}",
                    "y", "{\"a\":\"2\",\"b\":\"\"}", &err));
  /* malformed */
  capz_err_clear(&err);
  ck_assert(!allowed("{\"allowedNamespaces\":{\"selector\":{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"Near\"}]}}}",
                     "y", "{}", &err));
  ck_assert_int_eq(err.code, CAPZ_EINVAL);
  ck_assert(!allowed("{\"allowedNamespaces\":{\"selector\":{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"In\"}]}}}",
                     "y", "{\"a\":\"1\"}", &err));
  ck_assert_int_eq(err.code, CAPZ_EINVAL);
  ck_assert(!allowed("{\"allowedNamespaces\":{\"list\":\"a\"}}", "a", NULL, &err));
  ck_assert_int_eq(err.code, CAPZ_EINVAL);
  ck_assert(!allowed("{\"allowedNamespaces\":{}}", "", NULL, &err));
}
END_TEST

/* ---------------------------------------------------------------- credentials: validation and cache keys */

static capz_az_credential *sp(const capz_az_cloud *c, const char *tenant, const char *client, const char *secret,
                              capz_az_identity_type t, capz_err *err) {
  capz_az_identity id = {.type = t, .tenant_id = tenant, .client_id = client, .secret = (const unsigned char *)secret,
                         .secret_len = secret ? strlen(secret) : 0};
  return capz_az_credential_new(c, &id, NULL, err);
}

START_TEST(credential_keys) {
  capz_az_cloud pub, cn;
  capz_az_cloud_builtin("AzurePublicCloud", &pub, NULL);
  capz_az_cloud_builtin("AzureChinaCloud", &cn, NULL);
  capz_err err;
  capz_az_credential *a = sp(&pub, "t1", "c1", "s3cr3t-value", CAPZ_AZ_ID_SERVICE_PRINCIPAL, &err);
  capz_az_credential *a2 = sp(&pub, "t1", "c1", "s3cr3t-value", CAPZ_AZ_ID_SERVICE_PRINCIPAL, &err);
  capz_az_credential *rot = sp(&pub, "t1", "c1", "s3cr3t-value2", CAPZ_AZ_ID_SERVICE_PRINCIPAL, &err);
  capz_az_credential *typ = sp(&pub, "t1", "c1", "s3cr3t-value", CAPZ_AZ_ID_MANUAL_SERVICE_PRINCIPAL, &err);
  capz_az_credential *ten = sp(&pub, "t2", "c1", "s3cr3t-value", CAPZ_AZ_ID_SERVICE_PRINCIPAL, &err);
  capz_az_credential *cli = sp(&pub, "t1", "c2", "s3cr3t-value", CAPZ_AZ_ID_SERVICE_PRINCIPAL, &err);
  capz_az_credential *cld = sp(&cn, "t1", "c1", "s3cr3t-value", CAPZ_AZ_ID_SERVICE_PRINCIPAL, &err);
  ck_assert(a && a2 && rot && typ && ten && cli && cld);
  const char *k = capz_az_credential_cache_key(a);
  ck_assert_int_eq((int)strlen(k), 64);
  ck_assert_str_eq(k, capz_az_credential_cache_key(a2));
  ck_assert_str_ne(k, capz_az_credential_cache_key(rot));
  ck_assert_str_ne(k, capz_az_credential_cache_key(typ));
  ck_assert_str_ne(k, capz_az_credential_cache_key(ten));
  ck_assert_str_ne(k, capz_az_credential_cache_key(cli));
  ck_assert_str_ne(k, capz_az_credential_cache_key(cld));
  ck_assert_ptr_null(strstr(k, "s3cr3t"));
  ck_assert_str_eq(capz_az_credential_principal(a), "t1/c1");
  capz_az_credential *list[] = {a, a2, rot, typ, ten, cli, cld};
  for (size_t i = 0; i < 7; i++) capz_az_credential_free(list[i]);
  /* validation */
  ck_assert_ptr_null(sp(&pub, "t1", "c1", "", CAPZ_AZ_ID_SERVICE_PRINCIPAL, &err));
  ck_assert_int_eq(err.code, CAPZ_EINVAL);
  ck_assert_ptr_null(sp(&pub, "t1/../x", "c1", "s", CAPZ_AZ_ID_SERVICE_PRINCIPAL, &err));
  ck_assert_ptr_null(sp(&pub, NULL, "c1", "s", CAPZ_AZ_ID_SERVICE_PRINCIPAL, &err));
  ck_assert_ptr_null(sp(&pub, "t", "c", "s", CAPZ_AZ_ID_INVALID, &err));
  ck_assert_ptr_null(sp(&pub, "t", "c", "not a cert", CAPZ_AZ_ID_SERVICE_PRINCIPAL_CERTIFICATE, &err));
  ck_assert_int_eq(err.code, CAPZ_EAUTH);
  ck_assert_str_eq(err.reason, "InvalidCertificate");
  capz_az_identity msi = {.type = CAPZ_AZ_ID_USER_ASSIGNED_MSI, .client_id = "c1"};
  capz_az_credential *m = capz_az_credential_new(&pub, &msi, NULL, &err);
  ck_assert_ptr_nonnull(m);
  capz_az_credential_free(m);
  ck_assert_int_eq(capz_az_identity_type_parse("WorkloadIdentity"), CAPZ_AZ_ID_WORKLOAD_IDENTITY);
  ck_assert_int_eq(capz_az_identity_type_parse("UserAssignedIdentityCredential"),
                   CAPZ_AZ_ID_USER_ASSIGNED_IDENTITY_CREDENTIAL);
  ck_assert_int_eq(capz_az_identity_type_parse("workloadidentity"), CAPZ_AZ_ID_INVALID);
  ck_assert_str_eq(capz_az_identity_type_name(CAPZ_AZ_ID_SERVICE_PRINCIPAL_CERTIFICATE), "ServicePrincipalCertificate");
}
END_TEST

/* ---------------------------------------------------------------- token cache */

typedef struct fake_src {
  pthread_mutex_t mu;
  int calls;
  int fail;          /* return this code when non-zero */
  double lifetime;
  useconds_t delay;  /* simulate a slow token endpoint */
} fake_src;

static int fake_fetch(void *ud, char **token, double *lifetime, capz_err *err) {
  fake_src *s = ud;
  pthread_mutex_lock(&s->mu);
  int n = ++s->calls;
  pthread_mutex_unlock(&s->mu);
  if (s->delay) usleep(s->delay);
  if (s->fail) return capz_err_set(err, s->fail, "fake failure %d", n);
  char buf[32];
  snprintf(buf, sizeof buf, "tok-%d", n);
  *token = strdup(buf);
  *lifetime = s->lifetime;
  return 0;
}

static const char K1[] = "1111111111111111111111111111111111111111111111111111111111111111";
static const char K2[] = "2222222222222222222222222222222222222222222222222222222222222222";
static const char K3[] = "3333333333333333333333333333333333333333333333333333333333333333";

START_TEST(token_cache_refresh) {
  double now = 1000;
  capz_az_token_cache *c = capz_az_token_cache_new(8, fake_clock, &now);
  fake_src s = {.mu = PTHREAD_MUTEX_INITIALIZER, .lifetime = 3600};
  char *t = NULL;
  capz_err err;
  ck_assert_int_eq(az_token_cache_get(c, K1, NULL, fake_fetch, &s, &t, &err), 0);
  ck_assert_str_eq(t, "tok-1");
  capz_az_token_free(t);
  now += 2000; /* < 80% of 3600 */
  ck_assert_int_eq(az_token_cache_get(c, K1, NULL, fake_fetch, &s, &t, &err), 0);
  ck_assert_str_eq(t, "tok-1");
  capz_az_token_free(t);
  ck_assert_int_eq(s.calls, 1);
  now += 900; /* 2900 s: past 80% (2880) → refresh */
  ck_assert_int_eq(az_token_cache_get(c, K1, NULL, fake_fetch, &s, &t, &err), 0);
  ck_assert_str_eq(t, "tok-2");
  capz_az_token_free(t);
  /* a 401 on tok-2: rejecting it refetches once; rejecting an older token does not */
  ck_assert_int_eq(az_token_cache_get(c, K1, "tok-1", fake_fetch, &s, &t, &err), 0);
  ck_assert_str_eq(t, "tok-2");
  capz_az_token_free(t);
  ck_assert_int_eq(az_token_cache_get(c, K1, "tok-2", fake_fetch, &s, &t, &err), 0);
  ck_assert_str_eq(t, "tok-3");
  capz_az_token_free(t);
  /* refresh failure while the old token is still valid: keep serving it */
  now += 2900;
  s.fail = CAPZ_EUNAVAILABLE;
  ck_assert_int_eq(az_token_cache_get(c, K1, NULL, fake_fetch, &s, &t, &err), 0);
  ck_assert_str_eq(t, "tok-3");
  capz_az_token_free(t);
  /* expired and failing: the error surfaces */
  now += 4000;
  ck_assert_int_eq(az_token_cache_get(c, K1, NULL, fake_fetch, &s, &t, &err), CAPZ_EUNAVAILABLE);
  ck_assert_ptr_null(t);
  capz_az_token_cache_stats st;
  capz_az_token_cache_get_stats(c, &st);
  ck_assert_uint_eq(st.fetch_errors, 2);
  ck_assert_uint_eq(st.hits, 2);
  ck_assert_uint_eq(st.fetches, 5);
  /* short-lived tokens are still cached for most of their life */
  ck_assert(az_token_refresh_at(0, 60) >= 30);
  ck_assert_double_eq_tol(az_token_refresh_at(0, 3600), 2880, 1e-9);
  ck_assert_double_eq_tol(az_token_refresh_at(0, 1200), 900, 1e-9); /* 5 min before expiry comes first */
  ck_assert_double_eq_tol(az_token_refresh_at(0, 86400), 69120, 1e-9);
  ck_assert(az_token_expires_at(0, 3600) < 3600);
  capz_az_token_cache_free(c);
}
END_TEST

/* az_token_cache_get_ex: the times a caller hands the token on with (wall clock, Unix seconds) — expiry and
 * refresh point of a fresh token; a stale token served after a failed refresh says "retry later", not "now". */
START_TEST(token_cache_times) {
  double now = 1000;
  capz_az_token_cache *c = capz_az_token_cache_new(8, fake_clock, &now);
  fake_src s = {.mu = PTHREAD_MUTEX_INITIALIZER, .lifetime = 3600};
  char *t = NULL;
  capz_err err;
  int64_t exp = 0, ref = 0, exp2 = 0, ref2 = 0;
  int64_t wall = (int64_t)time(NULL);
  ck_assert_int_eq(az_token_cache_get_ex(c, K1, NULL, fake_fetch, &s, &t, &exp, &ref, &err), 0);
  capz_az_token_free(t);
  ck_assert(exp >= wall + 3599 && exp <= wall + 3602);
  ck_assert(ref >= wall + 2879 && ref <= wall + 2882);
  /* a hit reports the same times */
  ck_assert_int_eq(az_token_cache_get_ex(c, K1, NULL, fake_fetch, &s, &t, &exp2, &ref2, &err), 0);
  capz_az_token_free(t);
  ck_assert_int_eq(exp2, exp);
  ck_assert_int_eq(ref2, ref);
  /* past the refresh point, the endpoint failing: the old token, and a retry time in the future */
  now += 2900;
  s.fail = CAPZ_EUNAVAILABLE;
  ck_assert_int_eq(az_token_cache_get_ex(c, K1, NULL, fake_fetch, &s, &t, &exp2, &ref2, &err), 0);
  ck_assert_str_eq(t, "tok-1");
  capz_az_token_free(t);
  ck_assert_int_eq(exp2, exp);
  ck_assert_int_gt(ref2, (int64_t)time(NULL));
  ck_assert_int_le(ref2, exp);
  ck_assert_int_eq(s.calls, 2);
  capz_az_token_cache_free(c);
}
END_TEST

START_TEST(token_cache_lru) {
  double now = 0;
  capz_az_token_cache *c = capz_az_token_cache_new(2, fake_clock, &now);
  fake_src s = {.mu = PTHREAD_MUTEX_INITIALIZER, .lifetime = 3600};
  char *t;
  ck_assert_int_eq(az_token_cache_get(c, K1, NULL, fake_fetch, &s, &t, NULL), 0);
  capz_az_token_free(t);
  ck_assert_int_eq(az_token_cache_get(c, K2, NULL, fake_fetch, &s, &t, NULL), 0);
  capz_az_token_free(t);
  ck_assert_int_eq(az_token_cache_get(c, K1, NULL, fake_fetch, &s, &t, NULL), 0); /* K1 most recent */
  capz_az_token_free(t);
  ck_assert_int_eq(az_token_cache_get(c, K3, NULL, fake_fetch, &s, &t, NULL), 0); /* evicts K2 */
  capz_az_token_free(t);
  ck_assert_int_eq(s.calls, 3);
  ck_assert_int_eq(az_token_cache_get(c, K1, NULL, fake_fetch, &s, &t, NULL), 0);
  capz_az_token_free(t);
  ck_assert_int_eq(s.calls, 3);
  ck_assert_int_eq(az_token_cache_get(c, K2, NULL, fake_fetch, &s, &t, NULL), 0);
  capz_az_token_free(t);
  ck_assert_int_eq(s.calls, 4);
  capz_az_token_cache_stats st;
  capz_az_token_cache_get_stats(c, &st);
  ck_assert_uint_eq(st.size, 2);
  ck_assert_uint_ge(st.evictions, 2);
  capz_az_token_cache_free(c);
}
END_TEST

typedef struct sf_arg {
  capz_az_token_cache *c;
  fake_src *s;
  pthread_barrier_t *start;
  int rc;
  char tok[32];
} sf_arg;

static void *sf_thread(void *p) {
  sf_arg *a = p;
  pthread_barrier_wait(a->start); /* all callers arrive together */
  char *t = NULL;
  a->rc = az_token_cache_get(a->c, K1, NULL, fake_fetch, a->s, &t, NULL);
  if (t) snprintf(a->tok, sizeof a->tok, "%s", t);
  capz_az_token_free(t);
  return NULL;
}

START_TEST(token_cache_single_flight) {
  capz_az_token_cache *c = capz_az_token_cache_new(8, NULL, NULL);
  fake_src s = {.mu = PTHREAD_MUTEX_INITIALIZER, .lifetime = 3600, .delay = 200000};
  pthread_t th[8];
  sf_arg args[8];
  pthread_barrier_t bar;
  pthread_barrier_init(&bar, NULL, 8);
  for (int i = 0; i < 8; i++) {
    args[i] = (sf_arg){.c = c, .s = &s, .start = &bar};
    pthread_create(&th[i], NULL, sf_thread, &args[i]);
  }
  for (int i = 0; i < 8; i++) pthread_join(th[i], NULL);
  ck_assert_int_eq(s.calls, 1);
  for (int i = 0; i < 8; i++) {
    ck_assert_int_eq(args[i].rc, 0);
    ck_assert_str_eq(args[i].tok, "tok-1");
  }
  /* a failing fetch is shared with the waiters instead of being repeated by each */
  capz_az_token_cache_free(c);
  c = capz_az_token_cache_new(8, NULL, NULL);
  s.calls = 0;
  s.fail = CAPZ_EAUTH;
  for (int i = 0; i < 8; i++) {
    args[i] = (sf_arg){.c = c, .s = &s, .start = &bar};
    pthread_create(&th[i], NULL, sf_thread, &args[i]);
  }
  for (int i = 0; i < 8; i++) pthread_join(th[i], NULL);
  for (int i = 0; i < 8; i++) ck_assert_int_eq(args[i].rc, CAPZ_EAUTH);
  ck_assert_int_lt(s.calls, 4);
  capz_az_token_cache_stats st;
  capz_az_token_cache_get_stats(c, &st);
  ck_assert_uint_ge(st.waits, 1);
  pthread_barrier_destroy(&bar);
  capz_az_token_cache_free(c);
}
END_TEST

/* ---------------------------------------------------------------- CloudError */

START_TEST(cloud_error_decode) {
  capz_arm_cloud_error e;
  cJSON *j = cJSON_Parse("{\"error\":{\"code\":\"ResourceNotFound\",\"message\":\"gone\",\"target\":\"vnet\","
                         "\"details\":[{\"code\":\"Inner\",\"message\":\"m\"},{\"code\":\"x\"}]}}");
  ck_assert(capz_arm_cloud_error_decode(j, &e));
  ck_assert_str_eq(e.code, "ResourceNotFound");
  ck_assert_str_eq(e.message, "gone");
  ck_assert_str_eq(e.target, "vnet");
  ck_assert_int_eq(e.n_details, 2);
  ck_assert_str_eq(e.detail_code, "Inner");
  cJSON_Delete(j);
  j = cJSON_Parse("{\"code\":\"OperationNotAllowed\",\"message\":\"too many\",\"details\":[{\"code\":\"TooManyRequests\"}]}");
  ck_assert(capz_arm_cloud_error_decode(j, &e));
  ck_assert_str_eq(e.code, "OperationNotAllowed");
  ck_assert_str_eq(e.detail_code, "TooManyRequests");
  cJSON_Delete(j);
  j = cJSON_Parse("{\"value\":[]}");
  ck_assert(!capz_arm_cloud_error_decode(j, &e));
  cJSON_Delete(j);
  ck_assert(!capz_arm_cloud_error_decode(NULL, &e));
}
END_TEST

Suite *unit_suite(void) {
  Suite *s = suite_create("azure_unit");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 30);
  tcase_add_test(tc, cloud_builtins);
  tcase_add_test(tc, cloud_custom_and_policy);
  tcase_add_test(tc, resid_parse_format);
  tcase_add_test(tc, bucket_arithmetic);
  tcase_add_test(tc, limiter_keys_and_rates);
  tcase_add_test(tc, allowed_namespaces);
  tcase_add_test(tc, credential_keys);
  tcase_add_test(tc, token_cache_refresh);
  tcase_add_test(tc, token_cache_times);
  tcase_add_test(tc, token_cache_lru);
  tcase_add_test(tc, token_cache_single_flight);
  tcase_add_test(tc, cloud_error_decode);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(unit_suite());
  srunner_add_suite(sr, cert_suite());
  srunner_add_suite(sr, lro_suite());
  return ckrun_runner(sr);
}
