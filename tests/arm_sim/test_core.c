/* test_core.c — capz-arm-sim front door and engine: auth, api-version and path errors, malformed and
 * oversized bodies (the server keeps serving), resource groups and cascading delete, every LRO pattern
 * (201 + Azure-AsyncOperation, 202 + Location, sync), Retry-After, case-insensitive ids, tags and role
 * assignments, /_sim/resources and /_sim/requests, clean SIGTERM. */
#include <capz/json.h>
#include <check.h>
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "armtest.h"

#define RG AT_S "/resourceGroups/core-rg"
#define NET RG "/providers/Microsoft.Network"
#define NV "?api-version=2024-05-01"
#define RV "?api-version=2021-04-01"
#define VNET "{\"location\":\"eastus\",\"properties\":{\"addressSpace\":{\"addressPrefixes\":[\"10.0.0.0/16\"]}}}"

static simproc sim;

static void setup(void) { ck_assert_int_eq(at_start(&sim, "lro: {defaultSeconds: 0}\nthrottling: {enabled: false}\n"), 0); }
static void teardown(void) { ck_assert(at_stop(&sim)); }

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

START_TEST(front_door_errors) {
  at_resp r = at_req(&sim, "GET", AT_S "/resourcegroups" RV, NULL, NULL, false);
  ck_assert_int_eq(r.status, 401);
  char h[512];
  ck_assert(at_header(&r, "WWW-Authenticate", h, sizeof h));
  ck_assert(strstr(h, "Bearer") != NULL);
  ck_assert_str_eq(at_str(&r, "/error/code"), "AuthenticationFailed");
  at_free(&r);
  const char *bad[] = {"Authorization: Bearer not-a-jwt", NULL};
  r = at_req(&sim, "GET", AT_S "/resourcegroups" RV, NULL, bad, false);
  ck_assert_int_eq(r.status, 401);
  at_free(&r);
  ck_assert_str_eq(at_status_error(&sim, "GET", AT_S "/resourcegroups", NULL), "400 MissingApiVersionParameter");
  ck_assert_str_eq(at_error_code(&sim, "GET", AT_S "/resourcegroups?api-version=banana", NULL), "InvalidApiVersionParameter");
  ck_assert_str_eq(at_error_code(&sim, "GET", AT_S "/resourcegroups?api-version=2021-13-01", NULL), "InvalidApiVersionParameter");
  ck_assert_str_eq(at_status_error(&sim, "GET", NET "/virtualNetworks?api-version=2099-01-01", NULL), "400 NoRegisteredProviderFound");
  ck_assert_str_eq(at_error_code(&sim, "GET", RG "/providers/Microsoft.Foo/bars/x" NV, NULL), "InvalidResourceNamespace");
  ck_assert_str_eq(at_error_code(&sim, "GET", NET "/flyingCarpets/x" NV, NULL), "InvalidResourceType");
  ck_assert_str_eq(at_status_error(&sim, "GET", "/subscriptions/99999999-9999-4999-8999-999999999999/resourcegroups" RV, NULL), "404 SubscriptionNotFound");
  ck_assert_str_eq(at_status_error(&sim, "GET", "/nothing/here", NULL), "404 NotFound");
  ck_assert_str_eq(at_status_error(&sim, "GET", RG "/providers/Microsoft.Network/virtualNetworks/v" NV, NULL), "404 ResourceGroupNotFound");
}
END_TEST

START_TEST(entra_routes) {
  at_resp r = at_req(&sim, "GET", "/" AT_TENANT "/v2.0/.well-known/openid-configuration", NULL, NULL, false);
  ck_assert_int_eq(r.status, 200);
  ck_assert(strncmp(at_str(&r, "/token_endpoint"), sim.url, strlen(sim.url)) == 0);
  at_free(&r);
  r = at_req(&sim, "GET", "/" AT_TENANT "/discovery/v2.0/keys", NULL, NULL, false);
  ck_assert_int_eq(r.status, 200);
  ck_assert_str_eq(at_str(&r, "/keys/0/kty"), "RSA");
  at_free(&r);
  const char *form[] = {"Content-Type: application/x-www-form-urlencoded", NULL};
  r = at_req(&sim, "POST", "/" AT_TENANT "/oauth2/token",
             "grant_type=client_credentials&client_id=" AT_CLIENT "&client_secret=" AT_SECRET "&resource=https%3A%2F%2Fmanagement.azure.com%2F", form, false);
  ck_assert_int_eq(r.status, 200);
  ck_assert(cJSON_IsString(capz_json_ptr_get(r.json, "/expires_in")));
  at_free(&r);
  r = at_req(&sim, "POST", "/" AT_TENANT "/oauth2/v2.0/token", "grant_type=client_credentials&client_id=" AT_CLIENT "&client_secret=wrong&scope=https%3A%2F%2Fmanagement.azure.com%2F.default", form, false);
  ck_assert_int_eq(r.status, 401);
  ck_assert_str_eq(at_str(&r, "/error"), "invalid_client");
  at_free(&r);
  ck_assert_int_eq(at_sim_status(&sim, "GET", "/" AT_TENANT "/oauth2/v2.0/token", NULL), 405);
}
END_TEST

START_TEST(bad_bodies_keep_serving) {
  ck_assert_int_eq(at_put_wait(&sim, RG RV, "{\"location\":\"eastus\"}"), 200);
  at_resp r;
  ck_assert_str_eq(at_status_error(&sim, "PUT", NET "/virtualNetworks/v" NV, "{\"location\": \"eastus\", "), "400 InvalidRequestContent");
  ck_assert_str_eq(at_put_error(&sim, NET "/virtualNetworks/v" NV, "[1,2,3]"), "InvalidRequestContent");
  ck_assert_int_eq(at_put_status(&sim, NET "/virtualNetworks/v" NV, "\x01\x02garbage\xff"), 400);
  static char deep[20000];
  for (int i = 0; i < 5000; i++) deep[i] = '[';
  for (int i = 0; i < 5000; i++) deep[5000 + i] = ']';
  r = at_put(&sim, NET "/virtualNetworks/v" NV, deep);
  ck_assert_int_eq(r.status, 400);
  ck_assert(strstr(at_str(&r, "/error/message"), "nesting") != NULL);
  at_free(&r);
  /* 10 MB body: ARM-shaped 413, connection stays usable for the next request */
  size_t big = 10u << 20;
  char *b = malloc(big + 64);
  strcpy(b, "{\"location\":\"eastus\",\"tags\":{\"x\":\"");
  size_t L = strlen(b);
  memset(b + L, 'a', big);
  strcpy(b + L + big, "\"}}");
  r = at_put(&sim, NET "/virtualNetworks/v" NV, b);
  free(b);
  ck_assert_int_eq(r.status, 413);
  ck_assert_str_eq(at_str(&r, "/error/code"), "RequestEntityTooLarge");
  at_free(&r);
  ck_assert_int_eq(at_put_status(&sim, NET "/virtualNetworks/v" NV, "{\"location\":\"eastus\",\"properties\":\"nope\"}"), 400);
  ck_assert_str_eq(at_put_error(&sim, NET "/virtualNetworks/v" NV, "{\"location\":\"eastus\",\"properties\":{\"addressSpace\":{\"addressPrefixes\":[\"300.1.2.3/99\"]}}}"), "InvalidAddressPrefixFormat");
  ck_assert_str_eq(at_put_error(&sim, NET "/virtualNetworks/bad%3Cname" NV, VNET), "InvalidResourceName");
  ck_assert_int_eq(at_put_wait(&sim, NET "/virtualNetworks/v" NV, VNET), 200);
}
END_TEST

START_TEST(resource_groups_and_cascade) {
  at_resp r = at_put(&sim, RG RV, "{\"location\":\"eastus\",\"tags\":{\"a\":\"b\"}}");
  ck_assert_int_eq(r.status, 201);
  ck_assert_str_eq(at_str(&r, "/properties/provisioningState"), "Succeeded");
  ck_assert_str_eq(at_str(&r, "/id"), RG);
  at_free(&r);
  ck_assert_int_eq(at_put_status(&sim, RG RV, "{\"location\":\"eastus\"}"), 200);
  ck_assert_int_eq(at_status(&sim, "HEAD", RG RV, NULL), 204);
  ck_assert_int_eq(at_status(&sim, "HEAD", AT_S "/resourceGroups/none" RV, NULL), 404);
  /* ids compare case-insensitively; the stored casing is the creator's */
  ck_assert_int_eq(at_put_wait(&sim, NET "/virtualNetworks/MyVnet" NV, VNET), 200);
  r = at_get(&sim, AT_S "/RESOURCEGROUPS/CORE-RG/providers/microsoft.network/VIRTUALNETWORKS/myvnet" NV);
  ck_assert_int_eq(r.status, 200);
  ck_assert_str_eq(at_str(&r, "/name"), "MyVnet");
  ck_assert_str_eq(at_str(&r, "/type"), "Microsoft.Network/virtualNetworks");
  at_free(&r);
  r = at_req(&sim, "POST", "/_sim/config", "{\"lro\":{\"defaultSeconds\":1}}", NULL, false);
  at_free(&r);
  r = at_del(&sim, RG RV);
  ck_assert_int_eq(r.status, 202);
  char loc[2048], ra[32];
  ck_assert(at_header(&r, "Location", loc, sizeof loc));
  ck_assert(at_header(&r, "Retry-After", ra, sizeof ra));
  ck_assert(strstr(loc, AT_S "/operationresults/") != NULL);
  at_free(&r);
  ck_assert_int_eq(at_get_status(&sim, at_path_of(&sim, loc)), 202);
  ck_assert_str_eq(at_get_str(&sim, RG RV, "/properties/provisioningState"), "Deleting");
  ck_assert_str_eq(at_status_error(&sim, "PUT", NET "/virtualNetworks/other" NV, VNET), "409 ResourceGroupBeingDeleted");
  at_sleep_ms(1100);
  ck_assert_int_eq(at_get_status(&sim, at_path_of(&sim, loc)), 200);
  ck_assert_int_eq(at_get_status(&sim, NET "/virtualNetworks/MyVnet" NV), 404);
  r = at_get(&sim, "/_sim/resources");
  ck_assert_int_eq(cJSON_GetArraySize(r.json), 0);
  at_free(&r);
  ck_assert_int_eq(at_del_status(&sim, RG RV), 404);
}
END_TEST

START_TEST(lro_patterns) {
  ck_assert_int_eq(at_put_wait(&sim, RG RV, "{\"location\":\"eastus\"}"), 200);
  at_resp r = at_req(&sim, "POST", "/_sim/config", "{\"lro\":{\"defaultSeconds\":1,\"retryAfterSeconds\":2}}", NULL, false);
  at_free(&r);
  /* PUT: 201 + Azure-AsyncOperation + Retry-After; the resource is visible with a non-terminal state */
  r = at_put(&sim, NET "/virtualNetworks/v" NV, VNET);
  ck_assert_int_eq(r.status, 201);
  char aao[2048], ra[16];
  ck_assert(at_header(&r, "Azure-AsyncOperation", aao, sizeof aao));
  ck_assert(at_header(&r, "Retry-After", ra, sizeof ra));
  ck_assert_str_eq(ra, "2");
  at_free(&r);
  r = at_get(&sim, at_path_of(&sim, aao));
  ck_assert_int_eq(r.status, 200);
  ck_assert_str_eq(at_str(&r, "/status"), "InProgress");
  ck_assert(strlen(at_str(&r, "/startTime")) > 0);
  ck_assert_ptr_null(capz_json_ptr_get(r.json, "/endTime"));
  at_free(&r);
  ck_assert_str_eq(at_get_str(&sim, NET "/virtualNetworks/v" NV, "/properties/provisioningState"), "Updating");
  double t0 = now_s();
  ck_assert_str_eq(at_wait_async(&sim, aao), "Succeeded");
  ck_assert(now_s() - t0 > 0.5);
  r = at_get(&sim, at_path_of(&sim, aao));
  ck_assert(strlen(at_str(&r, "/endTime")) > 0);
  at_free(&r);
  ck_assert_str_eq(at_get_str(&sim, NET "/virtualNetworks/v" NV, "/properties/provisioningState"), "Succeeded");
  /* update: 200 + Azure-AsyncOperation */
  r = at_put(&sim, NET "/virtualNetworks/v" NV, VNET);
  ck_assert_int_eq(r.status, 200);
  ck_assert_str_eq(at_str(&r, "/properties/provisioningState"), "Updating");
  ck_assert(at_header(&r, "Azure-AsyncOperation", aao, sizeof aao));
  at_free(&r);
  ck_assert_str_eq(at_wait_async(&sim, aao), "Succeeded");
  /* NRP tags PATCH is synchronous */
  r = at_req(&sim, "PATCH", NET "/virtualNetworks/v" NV, "{\"tags\":{\"k\":\"v\"}}", NULL, true);
  ck_assert_int_eq(r.status, 200);
  ck_assert_str_eq(at_str(&r, "/tags/k"), "v");
  ck_assert(!at_header(&r, "Azure-AsyncOperation", aao, sizeof aao));
  at_free(&r);
  /* DELETE: 202 + Location (+ Azure-AsyncOperation); Location answers 202 until done, then 200 */
  r = at_del(&sim, NET "/virtualNetworks/v" NV);
  ck_assert_int_eq(r.status, 202);
  char loc[2048];
  ck_assert(at_header(&r, "Location", loc, sizeof loc));
  ck_assert(strstr(loc, "/providers/Microsoft.Network/locations/eastus/operationResults/") != NULL);
  ck_assert(at_header(&r, "Azure-AsyncOperation", aao, sizeof aao));
  at_free(&r);
  r = at_get(&sim, at_path_of(&sim, loc));
  ck_assert_int_eq(r.status, 202);
  char loc2[2048];
  ck_assert(at_header(&r, "Location", loc2, sizeof loc2));
  at_free(&r);
  ck_assert_str_eq(at_get_str(&sim, NET "/virtualNetworks/v" NV, "/properties/provisioningState"), "Deleting");
  at_sleep_ms(1100);
  ck_assert_int_eq(at_get_status(&sim, at_path_of(&sim, loc2)), 200);
  ck_assert_int_eq(at_get_status(&sim, NET "/virtualNetworks/v" NV), 404);
  /* delete of a missing resource: 204 */
  ck_assert_int_eq(at_del_status(&sim, NET "/virtualNetworks/v" NV), 204);
  /* unknown operation */
  ck_assert_int_eq(at_get_status(&sim, AT_S "/providers/Microsoft.Network/locations/eastus/operations/nope" NV), 404);
}
END_TEST

START_TEST(tags_and_role_assignments) {
  ck_assert_int_eq(at_put_wait(&sim, RG RV, "{\"location\":\"eastus\"}"), 200);
  ck_assert_int_eq(at_put_wait(&sim, NET "/virtualNetworks/v" NV, VNET), 200);
  const char *tp = NET "/virtualNetworks/v/providers/Microsoft.Resources/tags/default?api-version=2021-04-01";
  at_resp r;
  ck_assert_int_eq(at_put_status(&sim, tp, "{\"properties\":{\"tags\":{\"a\":\"1\",\"b\":\"2\"}}}"), 200);
  r = at_req(&sim, "PATCH", tp, "{\"operation\":\"Merge\",\"properties\":{\"tags\":{\"c\":\"3\"}}}", NULL, true);
  ck_assert_str_eq(at_str(&r, "/properties/tags/a"), "1");
  ck_assert_str_eq(at_str(&r, "/properties/tags/c"), "3");
  at_free(&r);
  r = at_req(&sim, "PATCH", tp, "{\"operation\":\"Delete\",\"properties\":{\"tags\":{\"a\":\"1\"}}}", NULL, true);
  ck_assert_ptr_null(capz_json_ptr_get(r.json, "/properties/tags/a"));
  at_free(&r);
  r = at_get(&sim, NET "/virtualNetworks/v" NV);
  ck_assert_str_eq(at_str(&r, "/tags/b"), "2");
  ck_assert_str_eq(at_str(&r, "/tags/c"), "3");
  at_free(&r);
  const char *ra = AT_S "/providers/Microsoft.Authorization/roleAssignments/0b5b6c6c-1111-4a7e-9c1e-2a1c3e4f5a6b?api-version=2022-04-01";
  const char *body = "{\"properties\":{\"roleDefinitionId\":\"" AT_S "/providers/Microsoft.Authorization/roleDefinitions/b24988ac-6180-42a0-ab88-20f7382dd24c\",\"principalId\":\"66666666-6666-4666-8666-666666666666\"}}";
  r = at_put(&sim, ra, body);
  ck_assert_int_eq(r.status, 201);
  ck_assert_str_eq(at_str(&r, "/properties/scope"), AT_S);
  at_free(&r);
  ck_assert_str_eq(at_status_error(&sim, "PUT", AT_S "/providers/Microsoft.Authorization/roleAssignments/1b5b6c6c-1111-4a7e-9c1e-2a1c3e4f5a6b?api-version=2022-04-01", body), "409 RoleAssignmentExists");
  ck_assert_str_eq(at_put_error(&sim, AT_S "/providers/Microsoft.Authorization/roleAssignments/not-a-guid?api-version=2022-04-01", body), "InvalidRoleAssignmentId");
  r = at_get(&sim, AT_S "/providers/Microsoft.Authorization/roleAssignments?api-version=2022-04-01");
  ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(r.json, "value")), 1);
  at_free(&r);
  ck_assert_int_eq(at_del_status(&sim, ra), 200);
}
END_TEST

START_TEST(inspection_endpoints) {
  ck_assert_int_eq(at_put_wait(&sim, RG RV, "{\"location\":\"eastus\"}"), 200);
  const char *hdr[] = {"x-ms-correlation-request-id: 0f0e0d0c-0000-4000-8000-000000000001", NULL};
  at_resp r = at_req(&sim, "PUT", NET "/virtualNetworks/v" NV, VNET, hdr, true);
  char corr[128], rid[128];
  ck_assert(at_header(&r, "x-ms-correlation-request-id", corr, sizeof corr));
  ck_assert_str_eq(corr, "0f0e0d0c-0000-4000-8000-000000000001");
  ck_assert(at_header(&r, "x-ms-request-id", rid, sizeof rid));
  ck_assert(at_header(&r, "x-ms-routing-request-id", rid, sizeof rid));
  at_free(&r);
  r = at_req(&sim, "GET", "/_sim/resources", NULL, NULL, false);
  ck_assert_int_eq(r.status, 200);
  ck_assert_int_eq(cJSON_GetArraySize(r.json), 2);
  ck_assert_str_eq(capz_json_ptr_str(r.json, "/1/type", ""), "Microsoft.Network/virtualNetworks");
  ck_assert_str_eq(capz_json_ptr_str(r.json, "/1/location", ""), "eastus");
  at_free(&r);
  r = at_req(&sim, "GET", "/_sim/requests?last=2", NULL, NULL, false);
  ck_assert_int_eq(r.status, 200);
  ck_assert_int_ge((int)capz_json_ptr_int(r.json, "/byMethod/PUT", 0), 2);
  ck_assert_int_ge((int)capz_json_ptr_int(r.json, "/byType/Microsoft.Network~1virtualNetworks", 0), 1);
  ck_assert_int_ge((int)capz_json_ptr_int(r.json, "/byStatus/201", 0), 2);
  ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(r.json, "requests")), 2);
  ck_assert_str_eq(capz_json_ptr_str(r.json, "/requests/1/body/properties/addressSpace/addressPrefixes/0", ""), "10.0.0.0/16");
  /* the token request is logged without its body */
  at_free(&r);
  r = at_req(&sim, "GET", "/_sim/requests", NULL, NULL, false);
  ck_assert_str_eq(capz_json_ptr_str(r.json, "/requests/0/type", ""), "entra/token");
  ck_assert_ptr_null(capz_json_ptr_get(r.json, "/requests/0/body"));
  ck_assert_ptr_null(strstr(r.body, AT_SECRET));
  at_free(&r);
  ck_assert_int_eq(at_sim_status(&sim, "POST", "/_sim/reset", NULL), 204);
  r = at_req(&sim, "GET", "/_sim/requests", NULL, NULL, false);
  ck_assert_int_eq((int)capz_json_ptr_int(r.json, "/total", -1), 0);
  at_free(&r);
  ck_assert_int_eq(at_sim_status(&sim, "GET", "/_sim/unknown", NULL), 404);
}
END_TEST

START_TEST(refuses_non_loopback_and_bad_config) {
  char *argv[] = {(char *)simproc_bin("capz-arm-sim"), "--listen", "0.0.0.0:0", NULL};
  pid_t pid = fork();
  if (pid == 0) {
    execv(argv[0], argv);
    _exit(127);
  }
  int st = 0;
  waitpid(pid, &st, 0);
  ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 2);
  simproc p2;
  ck_assert_int_ne(at_start(&p2, "lro: {defaultSeconds: -1}\n"), 0);
  ck_assert_int_ne(at_start(&p2, "bogus: {}\n"), 0);
  ck_assert_int_ne(at_start(&p2, "regions: [{zones: 7}]\n"), 0);
  /* JSON is accepted too; custom regions and SKUs replace the built-in ones */
  ck_assert_int_eq(at_start(&p2, "{\"regions\":[{\"name\":\"mars\",\"zones\":2}],\"skus\":[{\"name\":\"Standard_X1\",\"vCPUs\":1,\"memoryGB\":2}]}"), 0);
  at_resp r = at_get(&p2, AT_S "/providers/Microsoft.Compute/skus?api-version=2021-07-01");
  ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(r.json, "value")), 1);
  ck_assert_str_eq(at_str(&r, "/value/0/locations/0"), "mars");
  ck_assert_int_eq(cJSON_GetArraySize(capz_json_ptr_get(r.json, "/value/0/locationInfo/0/zones")), 2);
  at_free(&r);
  ck_assert_str_eq(at_put_error(&p2, AT_S "/resourceGroups/m" RV, "{\"location\":\"eastus\"}"), "LocationNotAvailableForResourceType");
  ck_assert(at_stop(&p2));
}
END_TEST

START_TEST(identities_and_group_resources) {
  ck_assert_int_eq(at_put_wait(&sim, RG RV, "{\"location\":\"eastus\"}"), 200);
  const char *uai = RG "/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id1?api-version=2023-01-31";
  at_resp r = at_put(&sim, uai, "{\"location\":\"eastus\"}");
  ck_assert_int_eq(r.status, 201);
  char cid[64];
  snprintf(cid, sizeof cid, "%s", at_str(&r, "/properties/clientId"));
  ck_assert_int_eq((int)strlen(cid), 36);
  ck_assert_int_eq((int)strlen(at_str(&r, "/properties/principalId")), 36);
  at_free(&r);
  /* a scale set with both identity kinds reports the system principal and the UAI's client id */
  r = at_put(&sim, RG "/providers/Microsoft.Compute/virtualMachineScaleSets/ss?api-version=2024-03-01",
             "{\"location\":\"eastus\",\"sku\":{\"name\":\"Standard_B2s\",\"capacity\":0},"
             "\"identity\":{\"type\":\"SystemAssigned, UserAssigned\",\"userAssignedIdentities\":{\"" RG "/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id1\":{}}}}");
  ck_assert_int_eq(r.status, 201);
  ck_assert_int_eq((int)strlen(at_str(&r, "/identity/principalId")), 36);
  cJSON *m = capz_json_ptr_get(r.json, "/identity/userAssignedIdentities");
  ck_assert_str_eq(capz_json_ptr_str(m ? m->child : NULL, "/clientId", ""), cid);
  at_free(&r);
  r = at_get(&sim, RG "/resources" RV);
  ck_assert_int_eq(r.status, 200);
  ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(r.json, "value")), 2);
  at_free(&r);
}
END_TEST

START_TEST(paged_lists) {
  at_resp r;
  ck_assert_int_eq(at_sim_status(&sim, "POST", "/_sim/config", "{\"lists\":{\"pageSize\":2}}"), 204);
  for (int i = 0; i < 5; i++) {
    char path[128];
    snprintf(path, sizeof path, AT_S "/resourceGroups/page-%d" RV, i);
    ck_assert_int_eq(at_put_wait(&sim, path, "{\"location\":\"eastus\"}"), 200);
  }
  char next[2048];
  snprintf(next, sizeof next, "%s", AT_S "/resourcegroups" RV);
  int total = 0, pages = 0;
  while (next[0] && pages < 10) {
    r = at_get(&sim, next);
    ck_assert_int_eq(r.status, 200);
    ck_assert_int_le(cJSON_GetArraySize(cJSON_GetObjectItem(r.json, "value")), 2);
    total += cJSON_GetArraySize(cJSON_GetObjectItem(r.json, "value"));
    const char *nl = at_str(&r, "/nextLink");
    if (*nl) ck_assert(strstr(nl, "api-version=2021-04-01") != NULL);
    snprintf(next, sizeof next, "%s", *nl ? at_path_of(&sim, nl) : "");
    at_free(&r);
    pages++;
  }
  ck_assert_int_eq(total, 5);
  ck_assert_int_eq(pages, 3);
}
END_TEST

/* Concurrent writers and readers on MHD threads; afterwards the state is consistent. */
typedef struct job {
  int id;
  int failures;
} job;

static void *hammer(void *arg) {
  job *j = arg;
  for (int i = 0; i < 40; i++) {
    char path[256];
    snprintf(path, sizeof path, NET "/routeTables/rt-%d-%d" NV, j->id, i % 10);
    at_resp r = at_put(&sim, path, "{\"location\":\"eastus\"}");
    if (r.status != 200 && r.status != 201 && r.status != 409) j->failures++;
    at_free(&r);
    r = at_get(&sim, NET "/routeTables" NV);
    if (r.status != 200) j->failures++;
    at_free(&r);
    if (i % 3 == 0) {
      r = at_del(&sim, path);
      if (r.status != 200 && r.status != 202 && r.status != 204 && r.status != 409) j->failures++;
      at_free(&r);
    }
  }
  return NULL;
}

START_TEST(concurrent_clients) {
  ck_assert_int_eq(at_put_wait(&sim, RG RV, "{\"location\":\"eastus\"}"), 200);
  pthread_t t[4];
  job j[4];
  for (int i = 0; i < 4; i++) {
    j[i] = (job){.id = i};
    pthread_create(&t[i], NULL, hammer, &j[i]);
  }
  for (int i = 0; i < 4; i++) {
    pthread_join(t[i], NULL);
    ck_assert_int_eq(j[i].failures, 0);
  }
  at_resp r = at_get(&sim, NET "/routeTables" NV);
  int n = cJSON_GetArraySize(cJSON_GetObjectItem(r.json, "value"));
  ck_assert_int_ge(n, 4);
  ck_assert_int_le(n, 40);
  at_free(&r);
}
END_TEST

/* Garbage paths, methods and headers never crash the server. */
START_TEST(garbage_requests) {
  unsigned seed = 12345;
  static const char alphabet[] = "/abcXYZ019-_.~%?&=;:@!$'()*+,[]{}<>\"\\ ";
  static const char *methods[] = {"GET", "PUT", "POST", "DELETE", "PATCH", "HEAD", "OPTIONS", "BREW"};
  for (int i = 0; i < 300; i++) {
    char path[600] = "/";
    int len = 1 + (int)(rand_r(&seed) % 500);
    for (int k = 1; k < len; k++) path[k] = alphabet[rand_r(&seed) % (sizeof alphabet - 1)];
    path[len] = '\0';
    if (i % 3 == 0) memcpy(path, "/subscriptions/", 15 < len ? 15 : (size_t)len);
    for (int k = 0; path[k]; k++)
      if (path[k] == ' ' || path[k] == '"' || path[k] == '\\' || path[k] == '<' || path[k] == '>' || path[k] == '{' || path[k] == '}') path[k] = '%';
    const char *m = methods[rand_r(&seed) % 8];
    at_resp r = at_req(&sim, m, path, strcmp(m, "PUT") == 0 || strcmp(m, "POST") == 0 ? "{\"a\":" : NULL, NULL, i % 2 == 0);
    ck_assert(r.curl_rc == 0 || r.curl_rc == CURLE_URL_MALFORMAT);
    at_free(&r);
  }
  static char longpath[20000];
  strcpy(longpath, AT_S "/resourceGroups/");
  memset(longpath + strlen(longpath), 'x', 15000);
  at_resp r = at_get(&sim, longpath);
  ck_assert_int_ge(r.status, 400);
  at_free(&r);
  /* many short segments after the resource group (no providers) */
  char many[3000];
  size_t l = (size_t)snprintf(many, sizeof many, "%s", AT_S "/resourceGroups/x");
  for (int i = 0; i < 300 && l + 8 < sizeof many; i++) l += (size_t)snprintf(many + l, sizeof many - l, "/ab");
  r = at_get(&sim, many);
  ck_assert_int_ge(r.status, 400);
  at_free(&r);
  ck_assert_int_eq(at_get_status(&sim, AT_S "/resourcegroups" RV), 200);
}
END_TEST

Suite *suite(void) {
  Suite *s = suite_create("arm_sim_core");
  TCase *tc = tcase_create("core");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_set_timeout(tc, 30);
  tcase_add_test(tc, front_door_errors);
  tcase_add_test(tc, bad_bodies_keep_serving);
  tcase_add_test(tc, entra_routes);
  tcase_add_test(tc, resource_groups_and_cascade);
  tcase_add_test(tc, lro_patterns);
  tcase_add_test(tc, tags_and_role_assignments);
  tcase_add_test(tc, inspection_endpoints);
  tcase_add_test(tc, concurrent_clients);
  tcase_add_test(tc, paged_lists);
  tcase_add_test(tc, identities_and_group_resources);
  tcase_add_test(tc, garbage_requests);
  suite_add_tcase(s, tc);
  TCase *t2 = tcase_create("startup");
  tcase_add_test(t2, refuses_non_loopback_and_bad_config);
  suite_add_tcase(s, t2);
  return s;
}

int main(void) { return ckrun(suite()); }
