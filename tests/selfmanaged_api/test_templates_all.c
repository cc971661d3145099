/* test_templates_all.c — every self-managed object in every reference template defaults to a valid
 * object, and a one-error manifest yields exactly the API server's message. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "selfmanaged_api.h"
#include "sm_test_util.h"

static int check_doc(cJSON *d, const char *file) {
  const char *kind = smt_str(d, "kind");
  char msg[4096] = "";
  capz_err err;
  int n;
  if (!kind) return 0;
  if (strcmp(kind, "AzureCluster") == 0) {
    ck_assert_int_eq(sm_azurecluster_default(d, NULL, &err), 0);
    n = sm_azurecluster_validate(d, NULL, msg, sizeof msg);
  } else if (strcmp(kind, "AzureClusterTemplate") == 0) {
    ck_assert_int_eq(sm_azureclustertemplate_default(d, &err), 0);
    n = sm_azureclustertemplate_validate(d, NULL, msg, sizeof msg);
  } else if (strcmp(kind, "AzureMachineTemplate") == 0) {
    ck_assert_int_eq(sm_azuremachinetemplate_default(d, &err), 0);
    n = sm_azuremachinetemplate_validate(d, NULL, msg, sizeof msg);
  } else if (strcmp(kind, "AzureClusterIdentity") == 0) {
    n = sm_azureclusteridentity_validate(d, NULL, msg, sizeof msg);
  } else {
    return 0;
  }
  ck_assert_msg(n == 0, "%s %s: %s", file, kind, msg);
  return 1;
}

START_TEST(all_reference_templates_valid) {
  const char *shared = getenv("CAPZ_SHARED_DIR");
  char dir[1024];
  snprintf(dir, sizeof dir, "%s/reference/templates", shared ? shared : "../shared");
  DIR *dp = opendir(dir);
  ck_assert_msg(dp != NULL, "cannot open %s", dir);
  int checked = 0;
  struct dirent *e;
  while ((e = readdir(dp))) {
    if (!strstr(e->d_name, ".yaml")) continue;
    cJSON *docs = smt_load_template(e->d_name);
    cJSON *d;
    cJSON_ArrayForEach(d, docs) checked += check_doc(d, e->d_name);
    cJSON_Delete(docs);
  }
  closedir(dp);
  /* cluster-template (4), clusterclass (4), machinepool (3: cluster, CP template, identity) */
  ck_assert_int_ge(checked, 11);
}
END_TEST

/* capz-c's own templates (templates/: the default flavor, AKS, Azure CNI v2) default to valid objects too. */
START_TEST(project_templates_valid) {
  const char *src = getenv("CAPZ_SOURCE_DIR");
  char dir[1024];
  snprintf(dir, sizeof dir, "%s/templates", src ? src : ".");
  DIR *dp = opendir(dir);
  ck_assert_msg(dp != NULL, "cannot open %s", dir);
  int checked = 0, pod_subnets = 0;
  struct dirent *e;
  while ((e = readdir(dp))) {
    if (!strstr(e->d_name, ".yaml")) continue;
    char path[2048];
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    cJSON *docs = smt_load_path(path);
    cJSON *d;
    cJSON_ArrayForEach(d, docs) {
      checked += check_doc(d, e->d_name);
      const cJSON *sn;
      cJSON_ArrayForEach(sn, smt_at(d, "spec.networkSpec.subnets"))
        pod_subnets += smt_str(sn, "role") && !strcmp(smt_str(sn, "role"), SM_SUBNET_ROLE_POD);
    }
    cJSON_Delete(docs);
  }
  closedir(dp);
  ck_assert_int_ge(checked, 6); /* cluster-template and -azure-cni-v2: AzureCluster + 2 AzureMachineTemplates each */
  ck_assert_int_eq(pod_subnets, 1);
}
END_TEST

START_TEST(single_error_message) {
  cJSON *c = smt_template_obj("cluster-template.yaml", "AzureCluster", NULL);
  smt_set_json(c, "spec.networkSpec.subnets[1].cidrBlocks", "[\"11.0.0.0/16\"]");
  capz_err err;
  ck_assert_int_eq(sm_azurecluster_default(c, NULL, &err), 0);
  char msg[1024];
  ck_assert_int_eq(sm_azurecluster_validate(c, NULL, msg, sizeof msg), 1);
  ck_assert_str_eq(msg, "AzureCluster.infrastructure.cluster.x-k8s.io \"" SM_T_CLUSTER "\" is invalid: "
                        "spec.networkSpec.subnets[1].cidrBlocks: Invalid value: \"11.0.0.0/16\": "
                        "subnet CIDR not in vnet address space: [10.0.0.0/8]");
  cJSON_Delete(c);
}
END_TEST

Suite *smt_templates_all_suite(void) {
  Suite *s = suite_create("templates_all");
  TCase *tc = tcase_create("templates");
  tcase_set_timeout(tc, 30);
  tcase_add_test(tc, all_reference_templates_valid);
  tcase_add_test(tc, project_templates_valid);
  tcase_add_test(tc, single_error_message);
  suite_add_tcase(s, tc);
  return s;
}
