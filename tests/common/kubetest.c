/* kubetest.c — see kubetest.h. */
#include "kubetest.h"

#include <check.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capz/json.h"
#include "tmpfiles.h"

const capz_gvk KUBETEST_CRD_GVK = {"apiextensions.k8s.io", "v1", "CustomResourceDefinition",
                                   "customresourcedefinitions", false};

void kubetest_start(kubetest *k, const char *const *sim_args) {
  memset(k, 0, sizeof *k);
  ck_assert_msg(simproc_start(&k->sim, simproc_bin("capz-kube-sim"), sim_args) == 0, "capz-kube-sim did not start");
  capz_err e;
  ck_assert_msg(capz_kube_config_from_url(k->sim.url, &k->cfg, &e) == 0, "%s", e.msg);
  capz_kube_client_opts o = {.struct_size = sizeof o, .qps = 1000, .burst = 1000};
  ck_assert_msg(capz_kube_client_new(k->cfg, &o, &k->client, &e) == 0, "%s", e.msg);
}

int kubetest_stop(kubetest *k) {
  capz_kube_client_free(k->client);
  capz_kube_config_free(k->cfg);
  k->client = NULL;
  k->cfg = NULL;
  return simproc_stop(&k->sim);
}

char *kubetest_open_crd(const char *group, const char *kind, const char *plural) {
  char singular[128];
  size_t i = 0;
  for (; kind[i] && i < sizeof singular - 1; i++) singular[i] = (char)tolower((unsigned char)kind[i]);
  singular[i] = '\0';
  const char *fmt =
      "{\"apiVersion\":\"apiextensions.k8s.io/v1\",\"kind\":\"CustomResourceDefinition\",\"metadata\":{\"name\":"
      "\"%s.%s\"},\"spec\":{\"group\":\"%s\",\"names\":{\"kind\":\"%s\",\"plural\":\"%s\",\"singular\":\"%s\","
      "\"listKind\":\"%sList\"},\"scope\":\"Namespaced\",\"versions\":[{\"name\":\"v1\",\"served\":true,"
      "\"storage\":true,\"subresources\":{\"status\":{}},\"schema\":{\"openAPIV3Schema\":{\"type\":\"object\","
      "\"x-kubernetes-preserve-unknown-fields\":true}}}]}}";
  int n = snprintf(NULL, 0, fmt, plural, group, group, kind, plural, singular, kind);
  char *out = malloc((size_t)n + 1);
  if (out) snprintf(out, (size_t)n + 1, fmt, plural, group, group, kind, plural, singular, kind);
  return out;
}

void kubetest_create(kubetest *k, const capz_gvk *gvk, const char *ns, const char *json) {
  cJSON *o = cJSON_Parse(json);
  ck_assert_msg(o != NULL, "not JSON: %s", json);
  capz_err e;
  ck_assert_msg(capz_kube_create(k->client, gvk, ns, o, NULL, &e) == 0, "%s", e.msg);
  cJSON_Delete(o);
}

void kubetest_create_from_yaml_file(kubetest *k, const capz_gvk *gvk, const char *path) {
  size_t n = 0;
  char *text = tmpfiles_read(path, &n);
  ck_assert_msg(text != NULL, "cannot read %s", path);
  capz_err e;
  cJSON *docs = capz_yaml_to_json(text, n, &e);
  free(text);
  ck_assert_msg(docs != NULL, "%s: %s", path, e.msg);
  const cJSON *d;
  cJSON_ArrayForEach(d, docs) ck_assert_msg(capz_kube_create(k->client, gvk, NULL, d, NULL, &e) == 0, "%s", e.msg);
  cJSON_Delete(docs);
}
