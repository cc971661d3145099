/* test_paging.c — list paging in capz-arm-sim through raw HTTP (nextLink absolute, $skiptoken, other parameters
 * kept, invalid tokens refused, page size set at run time; list-by-group, subscription-wide and a group's
 * resources), $filter (tags, type, location, name; role assignments by scope and principal), and the request log's bootstrap-data hashes (customDataSha256 next to the redacted customData of
 * VMs and scale sets). */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include <capz/json.h>

#include "armtest.h"

#define RGV "?api-version=2021-04-01"
#define V "?api-version=2024-05-01"
#define CV "?api-version=2024-03-01"
#define RG AT_S "/resourceGroups/pg-rg"
#define NET RG "/providers/Microsoft.Network"
#define CMP RG "/providers/Microsoft.Compute"

static simproc sim;

static void setup(void) {
  ck_assert_int_eq(at_start(&sim, "lro: {defaultSeconds: 0}\nthrottling: {enabled: false}\n"), 0);
  ck_assert_int_eq(at_put_wait(&sim, RG RGV, "{\"location\":\"eastus\"}"), 200);
}
static void teardown(void) { ck_assert(at_stop(&sim)); }

static void set_page_size(int n) {
  char body[64];
  snprintf(body, sizeof body, "{\"lists\":{\"pageSize\":%d}}", n);
  ck_assert_int_eq(at_sim_status(&sim, "POST", "/_sim/config", body), 204);
}

/* Follow nextLink from path; returns the number of items seen, checks every page's size, collects names. */
static int walk(const char *path, int page, char names[][32], int max, int *pages) {
  char url[4096];
  snprintf(url, sizeof url, "%s", path);
  int n = 0;
  *pages = 0;
  for (;;) {
    at_resp r = at_get(&sim, url);
    ck_assert_msg(r.status == 200, "GET %s: %ld %s", url, r.status, r.body ? r.body : "");
    const cJSON *v = cJSON_GetObjectItem(r.json, "value"), *it;
    ck_assert_int_le(cJSON_GetArraySize(v), page);
    cJSON_ArrayForEach(it, v) {
      if (n < max) snprintf(names[n], 32, "%s", capz_json_ptr_str(it, "/name", ""));
      n++;
    }
    (*pages)++;
    const char *nl = at_str(&r, "/nextLink");
    if (!*nl) {
      at_free(&r);
      break;
    }
    ck_assert_int_eq(cJSON_GetArraySize(v), page); /* only the last page is short */
    ck_assert_msg(strncmp(nl, sim.url, strlen(sim.url)) == 0, "nextLink %s is not absolute", nl);
    ck_assert_ptr_nonnull(strstr(nl, "api-version="));
    ck_assert_ptr_nonnull(strstr(nl, "skiptoken="));
    snprintf(url, sizeof url, "%s", at_path_of(&sim, nl));
    at_free(&r);
    ck_assert_int_lt(*pages, 50);
  }
  return n;
}

START_TEST(lists_page_with_next_links) {
  for (int i = 0; i < 5; i++) {
    char path[512];
    snprintf(path, sizeof path, NET "/routeTables/rt%d" V, i);
    ck_assert_int_eq(at_put_wait(&sim, path, "{\"location\":\"eastus\"}"), 200);
  }
  ck_assert_int_eq(at_put_wait(&sim, NET "/networkSecurityGroups/nsg" V, "{\"location\":\"eastus\"}"), 200);
  /* default page size: one page */
  char names[16][32];
  int pages = 0;
  ck_assert_int_eq(walk(NET "/routeTables" V, 1000, names, 16, &pages), 5);
  ck_assert_int_eq(pages, 1);
  set_page_size(2);
  ck_assert_int_eq(walk(NET "/routeTables" V, 2, names, 16, &pages), 5);
  ck_assert_int_eq(pages, 3);
  for (int i = 0; i < 5; i++) { /* each once, in creation order */
    char want[32];
    snprintf(want, sizeof want, "rt%d", i);
    ck_assert_str_eq(names[i], want);
  }
  /* subscription-wide and a group's resources page the same way */
  ck_assert_int_eq(walk(AT_S "/providers/Microsoft.Network/routeTables" V, 2, names, 16, &pages), 5);
  ck_assert_int_eq(pages, 3);
  ck_assert_int_eq(walk(RG "/resources" RGV, 2, names, 16, &pages), 6);
  ck_assert_int_eq(pages, 3);
  /* other query parameters survive in the nextLink */
  at_resp r = at_get(&sim, NET "/routeTables" V "&$top=100");
  ck_assert_ptr_nonnull(strstr(at_str(&r, "/nextLink"), "top=100"));
  at_free(&r);
  /* tokens that are not ours */
  static const char *const bad[] = {"abc", "-2", "2", "2.00000000", "", NULL};
  for (int i = 0; bad[i]; i++) {
    char path[512];
    snprintf(path, sizeof path, NET "/routeTables" V "&$skiptoken=%s", bad[i]);
    r = at_get(&sim, path);
    ck_assert_msg(r.status == 400, "token '%s' -> %ld", bad[i], r.status);
    ck_assert_str_eq(at_str(&r, "/error/code"), "InvalidSkipToken");
    at_free(&r);
  }
  /* a token from another list is refused too */
  r = at_get(&sim, NET "/routeTables" V);
  char tok[128];
  const char *nl = at_str(&r, "/nextLink"), *t = strstr(nl, "skiptoken=");
  ck_assert_ptr_nonnull(t);
  snprintf(tok, sizeof tok, "%s", t + 10);
  at_free(&r);
  char path[512];
  snprintf(path, sizeof path, NET "/networkSecurityGroups" V "&$skiptoken=%s", tok);
  ck_assert_int_eq(at_get_status(&sim, path), 400);
  set_page_size(1000);
}
END_TEST

static int count(const char *path) {
  at_resp r = at_get(&sim, path);
  ck_assert_msg(r.status == 200, "GET %s: %ld %s", path, r.status, r.body ? r.body : "");
  int n = cJSON_GetArraySize(cJSON_GetObjectItem(r.json, "value"));
  at_free(&r);
  return n;
}

#define RA_BODY(pid) "{\"properties\":{\"roleDefinitionId\":\"" AT_S "/providers/Microsoft.Authorization/roleDefinitions/b24988ac-6180-42a0-ab88-20f7382dd24c\",\"principalId\":\"" pid "\"}}"
#define PA "aaaaaaaa-0000-4000-8000-00000000000a"
#define PB "bbbbbbbb-0000-4000-8000-00000000000b"
#define RAP "/providers/Microsoft.Authorization/roleAssignments"

START_TEST(list_filters) {
  ck_assert_int_eq(at_put_wait(&sim, NET "/routeTables/prod" V, "{\"location\":\"eastus\",\"tags\":{\"env\":\"prod\"}}"), 200);
  ck_assert_int_eq(at_put_wait(&sim, NET "/routeTables/dev" V, "{\"location\":\"westus\",\"tags\":{\"env\":\"dev\"}}"), 200);
  ck_assert_int_eq(at_put_wait(&sim, NET "/networkSecurityGroups/nsg" V, "{\"location\":\"eastus\",\"tags\":{\"env\":\"prod\"}}"), 200);
  ck_assert_int_eq(count(RG "/resources" RGV "&$filter=tagName%20eq%20'env'%20and%20tagValue%20eq%20'prod'"), 2);
  ck_assert_int_eq(count(RG "/resources" RGV "&$filter=tagName%20eq%20'env'"), 3);
  ck_assert_int_eq(count(RG "/resources" RGV "&$filter=resourceType%20eq%20'Microsoft.Network/routeTables'"), 2);
  ck_assert_int_eq(count(AT_S "/providers/Microsoft.Network/routeTables" V "&$filter=location%20eq%20'westus'"), 1);
  ck_assert_int_eq(count(NET "/routeTables" V "&$filter=name%20eq%20'PROD'"), 1);
  ck_assert_int_eq(count(AT_S "/resourcegroups" RGV "&$filter=tagName%20eq%20'nothing'"), 0);
  static const char *const bad[] = {"foo", "tagValue%20eq%20'prod'", "name%20ne%20'x'", "name%20eq%20'x'%20or%20name%20eq%20'y'",
                                    "name%20eq%20'unterminated", NULL};
  for (int i = 0; bad[i]; i++) {
    char path[512];
    snprintf(path, sizeof path, NET "/routeTables" V "&$filter=%s", bad[i]);
    at_resp r = at_get(&sim, path);
    ck_assert_msg(r.status == 400, "filter %s -> %ld", bad[i], r.status);
    ck_assert_str_eq(at_str(&r, "/error/code"), "InvalidFilterInQueryString");
    at_free(&r);
  }
  /* a filtered list pages over the matches, and the filter stays in nextLink */
  set_page_size(1);
  char names[4][32];
  int pages = 0;
  ck_assert_int_eq(walk(RG "/resources" RGV "&$filter=tagName%20eq%20'env'%20and%20tagValue%20eq%20'prod'", 1, names, 4, &pages), 2);
  ck_assert_int_eq(pages, 2);
  ck_assert_str_eq(names[1], "nsg");
  set_page_size(1000);
  /* role assignments: a list at a scope shows those above, at and below it; atScope() drops those below */
  ck_assert_int_eq(at_put_status(&sim, AT_S RAP "/11111111-aaaa-4000-8000-000000000001?api-version=2022-04-01", RA_BODY(PA)), 201);
  ck_assert_int_eq(at_put_status(&sim, RG RAP "/11111111-aaaa-4000-8000-000000000002?api-version=2022-04-01", RA_BODY(PB)), 201);
  ck_assert_int_eq(at_put_status(&sim, NET "/routeTables/prod" RAP "/11111111-aaaa-4000-8000-000000000003?api-version=2022-04-01", RA_BODY(PA)), 201);
  ck_assert_int_eq(count(RG RAP "?api-version=2022-04-01"), 3);
  ck_assert_int_eq(count(RG RAP "?api-version=2022-04-01&$filter=atScope()"), 2);
  ck_assert_int_eq(count(RG RAP "?api-version=2022-04-01&$filter=principalId%20eq%20'" PA "'"), 2);
  ck_assert_int_eq(count(RG RAP "?api-version=2022-04-01&$filter=assignedTo('" PA "')"), 2);
  ck_assert_int_eq(count(RG RAP "?api-version=2022-04-01&$filter=atScope()%20and%20assignedTo('" PA "')"), 1);
  ck_assert_int_eq(count(AT_S RAP "?api-version=2022-04-01&$filter=atScope()"), 1);
  ck_assert_int_eq(count(AT_S RAP "?api-version=2022-04-01"), 3);
}
END_TEST

#define VM(name, cd)                                                                                                    \
  "{\"location\":\"eastus\",\"properties\":{\"hardwareProfile\":{\"vmSize\":\"Standard_D2s_v3\"},"                     \
  "\"storageProfile\":{\"imageReference\":{\"publisher\":\"Canonical\",\"offer\":\"ubuntu-24_04-lts\",\"sku\":\"server\",\"version\":\"latest\"}," \
  "\"osDisk\":{\"createOption\":\"FromImage\",\"managedDisk\":{\"storageAccountType\":\"Premium_LRS\"}}},"               \
  "\"osProfile\":{\"computerName\":\"" name "\",\"adminUsername\":\"azureuser\",\"customData\":\"" cd "\","           \
  "\"customDataSha256\":\"forged\"},"                                                                                 \
  "\"networkProfile\":{\"networkInterfaces\":[{\"id\":\"" NET "/networkInterfaces/" name "\"}]}}}"
#define NIC "{\"location\":\"eastus\",\"properties\":{\"ipConfigurations\":[{\"name\":\"ipc\",\"properties\":{\"subnet\":{\"id\":\"" NET "/virtualNetworks/v/subnets/s\"}}}]}}"

/* The logged body of the last request of method on a path containing part. */
static const cJSON *logged(const cJSON *log, const char *method, const char *part) {
  const cJSON *found = NULL, *q;
  cJSON_ArrayForEach(q, cJSON_GetObjectItem(log, "requests"))
    if (!strcmp(capz_json_ptr_str(q, "/method", ""), method) && strstr(capz_json_ptr_str(q, "/path", ""), part)) found = q;
  return found;
}

START_TEST(request_log_hashes_bootstrap_data) {
  ck_assert_int_eq(at_put_wait(&sim, NET "/virtualNetworks/v" V,
                               "{\"location\":\"eastus\",\"properties\":{\"addressSpace\":{\"addressPrefixes\":[\"10.0.0.0/16\"]},"
                               "\"subnets\":[{\"name\":\"s\",\"properties\":{\"addressPrefix\":\"10.0.1.0/24\"}}]}}"), 200);
  ck_assert_int_eq(at_put_wait(&sim, NET "/networkInterfaces/a" V, NIC), 200);
  ck_assert_int_eq(at_put_wait(&sim, NET "/networkInterfaces/b" V, NIC), 200);
  /* "#cloud-config\n" and "#cloud-config\nhostname: vmss\n", base64 */
  ck_assert_int_eq(at_put_wait(&sim, CMP "/virtualMachines/a" CV, VM("a", "I2Nsb3VkLWNvbmZpZwo=")), 200);
  ck_assert_int_eq(at_put_wait(&sim, CMP "/virtualMachines/b" CV, VM("b", "I2Nsb3VkLWNvbmZpZwpob3N0bmFtZTogdm1zcwo=")), 200);
  ck_assert_int_eq(
      at_put_wait(&sim, CMP "/virtualMachineScaleSets/ss" CV,
                  "{\"location\":\"eastus\",\"sku\":{\"name\":\"Standard_D2s_v3\",\"capacity\":1},\"properties\":{"
                  "\"orchestrationMode\":\"Uniform\",\"upgradePolicy\":{\"mode\":\"Manual\"},\"virtualMachineProfile\":{"
                  "\"storageProfile\":{\"imageReference\":{\"publisher\":\"Canonical\",\"offer\":\"ubuntu-24_04-lts\",\"sku\":\"server\",\"version\":\"latest\"}},"
                  "\"osProfile\":{\"computerNamePrefix\":\"ss\",\"adminUsername\":\"azureuser\",\"customData\":\"I2Nsb3VkLWNvbmZpZwpob3N0bmFtZTogdm1zcwo=\"},"
                  "\"networkProfile\":{\"networkInterfaceConfigurations\":[{\"name\":\"nic\",\"properties\":{\"primary\":true,"
                  "\"ipConfigurations\":[{\"name\":\"ipc\",\"properties\":{\"subnet\":{\"id\":\"" NET "/virtualNetworks/v/subnets/s\"}}}]}}]}}}}"),
      200);
  /* a body that is not JSON cannot be masked: only its size is kept */
  at_resp r;
  ck_assert_int_eq(at_put_status(&sim, CMP "/virtualMachines/c" CV, "{\"osProfile\":{\"customData\":\"U0VDUkVUWA==\"} not json"), 400);
  r = at_req(&sim, "GET", "/_sim/requests", NULL, NULL, false);
  ck_assert_ptr_null(strstr(r.body, "U0VDUkVUWA=="));
  ck_assert_ptr_nonnull(strstr(r.body, "bytes, not JSON"));
  ck_assert_ptr_null(strstr(r.body, "I2Nsb3VkLWNvbmZpZw"));
  const cJSON *a = logged(r.json, "PUT", "/virtualMachines/a"), *b = logged(r.json, "PUT", "/virtualMachines/b"),
              *ss = logged(r.json, "PUT", "/virtualMachineScaleSets/ss");
  ck_assert(a && b && ss);
  ck_assert_str_eq(capz_json_ptr_str(a, "/body/properties/osProfile/customData", ""), "[REDACTED]");
  /* SHA-256 of the decoded bytes; the client's own "customDataSha256" is replaced */
  ck_assert_str_eq(capz_json_ptr_str(a, "/body/properties/osProfile/customDataSha256", ""),
                   "88c95955b024402aa9572b663f7eeb134f01343bb92af27b50e97e72b22c565f");
  ck_assert_str_eq(capz_json_ptr_str(b, "/body/properties/osProfile/customDataSha256", ""),
                   "f4b2c9304627d491bd4f27743943f6187e1e3351ed0366fd0c2c7373db6898ac");
  ck_assert_str_eq(capz_json_ptr_str(ss, "/body/properties/virtualMachineProfile/osProfile/customDataSha256", ""),
                   "f4b2c9304627d491bd4f27743943f6187e1e3351ed0366fd0c2c7373db6898ac");
  at_free(&r);
}
END_TEST

int main(void) {
  Suite *s = suite_create("arm_sim_paging");
  TCase *tc = tcase_create("paging");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_set_timeout(tc, 30);
  tcase_add_test(tc, lists_page_with_next_links);
  tcase_add_test(tc, request_log_hashes_bootstrap_data);
  tcase_add_test(tc, list_filters);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? 1 : 0;
}
