/* bench_mgmt.c — see bench_mgmt.h. */
#include "bench_mgmt.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench_http.h"
#include "bench_util.h"
#include "capz/json.h"

static const capz_gvk CRD = {"apiextensions.k8s.io", "v1", "CustomResourceDefinition", "customresourcedefinitions",
                             false};
static const capz_gvk SECRET = {"", "v1", "Secret", "secrets", true};
static const capz_gvk ACI = {"infrastructure.cluster.x-k8s.io", "v1beta1", "AzureClusterIdentity",
                             "azureclusteridentities", true};

static int names_cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* The CRDs of one file: how many, or -1. */
static int apply_crd_file(capz_kube_client *c, const char *path) {
  char *text = bench_slurp(path);
  capz_err err;
  snprintf(err.msg, sizeof err.msg, "unreadable");
  cJSON *docs = text ? capz_yaml_to_json(text, strlen(text), &err) : NULL;
  free(text);
  if (!docs) {
    fprintf(stderr, "%s: %s: %s\n", program_invocation_short_name, path, err.msg);
    return -1;
  }
  int count = 0;
  const cJSON *doc;
  cJSON_ArrayForEach(doc, docs) {
    if (strcmp(capz_json_ptr_str(doc, "/kind", ""), "CustomResourceDefinition") != 0) continue;
    if (capz_kube_create(c, &CRD, NULL, doc, NULL, &err) == 0 || err.code == CAPZ_EEXIST) {
      count++;
    } else {
      fprintf(stderr, "%s: CRD from %s: %s\n", program_invocation_short_name, path, err.msg);
      count = -1;
      break;
    }
  }
  cJSON_Delete(docs);
  return count;
}

int bench_apply_crd_dir(capz_kube_client *c, const char *dir) {
  DIR *d = opendir(dir);
  if (!d) {
    fprintf(stderr, "%s: %s: %s\n", program_invocation_short_name, dir, strerror(errno));
    return -1;
  }
  char *names[512];
  size_t n = 0;
  struct dirent *de;
  while ((de = readdir(d)) && n < 512) {
    size_t l = strlen(de->d_name);
    if (l > 5 && strcmp(de->d_name + l - 5, ".yaml") == 0) names[n++] = strdup(de->d_name);
  }
  closedir(d);
  qsort(names, n, sizeof *names, names_cmp);
  int count = 0;
  for (size_t i = 0; i < n; i++) {
    char path[1200];
    snprintf(path, sizeof path, "%s/%s", dir, names[i]);
    int k = count < 0 ? 0 : apply_crd_file(c, path);
    count = k < 0 ? -1 : count + k;
    free(names[i]);
  }
  return count;
}

static int create_parsed(capz_kube_client *c, const capz_gvk *gvk, const char *json) {
  cJSON *obj = cJSON_Parse(json);
  capz_err err;
  int rc = capz_kube_create(c, gvk, BENCH_NS, obj, NULL, &err);
  cJSON_Delete(obj);
  if (rc == 0 || err.code == CAPZ_EEXIST) return 0;
  fprintf(stderr, "%s: identity: %s\n", program_invocation_short_name, err.msg);
  return -1;
}

int bench_create_identity_secret(capz_kube_client *c) {
  return create_parsed(c, &SECRET,
                       "{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"name\":\"cluster-identity-secret\","
                       "\"namespace\":\"" BENCH_NS "\"},\"type\":\"Opaque\",\"stringData\":{\"clientSecret\":\""
                       BENCH_CLIENT_SECRET "\"}}");
}

int bench_create_identity(capz_kube_client *c) {
  if (bench_create_identity_secret(c)) return -1;
  return create_parsed(
      c, &ACI,
      "{\"apiVersion\":\"infrastructure.cluster.x-k8s.io/v1beta1\",\"kind\":\"AzureClusterIdentity\",\"metadata\":"
      "{\"name\":\"cluster-identity\",\"namespace\":\"" BENCH_NS "\",\"labels\":{\"clusterctl.cluster.x-k8s.io/"
      "move-hierarchy\":\"true\"}},\"spec\":{\"type\":\"ServicePrincipal\",\"tenantID\":\"" BENCH_TENANT "\","
      "\"clientID\":\"" BENCH_CLIENT_ID "\",\"clientSecret\":{\"name\":\"cluster-identity-secret\",\"namespace\":\""
      BENCH_NS "\"},\"allowedNamespaces\":{}}}");
}

int bench_arm_preexisting(const char *arm_url) {
  char url[1024], *text = NULL;
  snprintf(url, sizeof url, "%s/%s/oauth2/v2.0/token", arm_url, BENCH_TENANT);
  long st = bhttp_req("POST", url, "application/x-www-form-urlencoded",
                      "grant_type=client_credentials&client_id=" BENCH_CLIENT_ID "&client_secret=" BENCH_CLIENT_SECRET
                      "&scope=https%3A%2F%2Fmanagement.azure.com%2F.default",
                      NULL, &text);
  cJSON *tok = text ? cJSON_Parse(text) : NULL;
  free(text);
  const cJSON *at = cJSON_GetObjectItemCaseSensitive(tok, "access_token");
  int rc = st == 200 && cJSON_IsString(at) ? 0 : -1;
  static const char *const paths[] = {
      "/subscriptions/" BENCH_SUBSCRIPTION "/resourcegroups/" BENCH_PRE_RG "?api-version=2021-04-01",
      "/subscriptions/" BENCH_SUBSCRIPTION "/resourceGroups/" BENCH_PRE_RG
      "/providers/Microsoft.ManagedIdentity/userAssignedIdentities/" BENCH_PRE_UAI "?api-version=2023-01-31"};
  for (size_t i = 0; rc == 0 && i < 2; i++) {
    snprintf(url, sizeof url, "%s%s", arm_url, paths[i]);
    st = bhttp_req("PUT", url, NULL, "{\"location\":\"eastus\"}", at->valuestring, NULL);
    if (st < 200 || st >= 300) rc = -1;
  }
  cJSON_Delete(tok);
  if (rc)
    fprintf(stderr, "%s: cannot create the pre-existing %s resources\n", program_invocation_short_name, BENCH_PRE_RG);
  return rc;
}

/* <build>/bin/<binary> with extra arguments, as child <name> of the bench, until its READY line. */
static int start_emulator(bproc *p, const char *dir, const char *build, const char *binary, const char *name,
                          const char *const *extra, unsigned flags, char *url, size_t n) {
  char bin[1024];
  snprintf(bin, sizeof bin, "%s/bin/%s", build, binary);
  const char *argv[8] = {bin};
  for (size_t i = 0; extra[i] && i < 6; i++) argv[i + 1] = extra[i];
  return bproc_start(p, dir, name, argv, flags) || bproc_wait_line(p, 1, "READY ", 30, url, n) ? -1 : 0;
}

int bench_start_kube(bproc *kube, const char *dir, const char *build, const char *source, unsigned flags,
                     const char *user_agent, char *url, size_t n, capz_kube_config **cfg, capz_kube_client **c) {
  const char *extra[] = {"--listen", "127.0.0.1:0", NULL};
  if (start_emulator(kube, dir, build, "capz-kube-sim", "kube-sim", extra, flags, url, n)) return -1;
  capz_err err;
  capz_kube_client_opts co = {.struct_size = sizeof co, .qps = 2000, .burst = 2000, .user_agent = user_agent};
  if (capz_kube_config_from_url(url, cfg, &err) || capz_kube_client_new(*cfg, &co, c, &err)) {
    fprintf(stderr, "%s: kube client: %s\n", program_invocation_short_name, err.msg);
    return -1;
  }
  char path[1200];
  snprintf(path, sizeof path, "%s/config/crd/bases", source);
  int n1 = bench_apply_crd_dir(*c, path);
  snprintf(path, sizeof path, "%s/config/capi-crd/bases", source);
  int n2 = bench_apply_crd_dir(*c, path);
  return n1 <= 0 || n2 <= 0 ? -1 : 0;
}

int bench_start_arm(bproc *arm, const char *dir, const char *build, const char *config_path, unsigned flags, char *url,
                    size_t n) {
  const char *extra[] = {"--listen", "127.0.0.1:0", "--config", config_path, NULL};
  return start_emulator(arm, dir, build, "capz-arm-sim", "arm-sim", extra, flags, url, n);
}

int bench_start_capi(bproc *capi, const char *dir, const char *build, const char *kube_url, unsigned flags) {
  const char *extra[] = {"--server", kube_url, NULL};
  return start_emulator(capi, dir, build, "capz-capi-sim", "capi-sim", extra, flags, NULL, 0);
}

int bench_plugin_dir(const char *build, const char *dir, const char *plugin, char *pdir, size_t n) {
  char so[1100], dst[1100];
  snprintf(pdir, n, "%s/plugins", dir);
  mkdir(pdir, 0755);
  snprintf(so, sizeof so, "%s/plugins/%s.so", build, plugin);
  snprintf(dst, sizeof dst, "%s/%s.so", pdir, plugin);
  unlink(dst); /* never write through an old symlink */
  if (bench_copy_file(so, dst) != 0) {
    fprintf(stderr, "%s: cannot copy %s to %s\n", program_invocation_short_name, so, dst);
    return -1;
  }
  return 0;
}

int bench_start_host(bproc *host, const char *dir, const char *build, const char *config_path, unsigned flags,
                     char *metrics_url, size_t n) {
  char bin[1024];
  snprintf(bin, sizeof bin, "%s/bin/capz-host", build);
  const char *argv[] = {bin, "--config", config_path, NULL};
  if (bproc_start(host, dir, "host", argv, flags) || bproc_wait_line(host, 0, "metrics=", 30, metrics_url, n))
    return -1;
  char nplugins[16] = "";
  if (bproc_wait_line(host, 0, " plugins=", 5, nplugins, sizeof nplugins) || strcmp(nplugins, "1") != 0) {
    fprintf(stderr, "%s: capz-host did not load its plugin (see %s)\n", program_invocation_short_name, host->err_path);
    return -1;
  }
  return 0;
}

static const char *var_value(const char *const *vars, const char *name, size_t len) {
  for (size_t i = 0; vars && vars[i] && vars[i + 1]; i += 2)
    if (strlen(vars[i]) == len && strncmp(vars[i], name, len) == 0) return vars[i + 1];
  return NULL;
}

/* Replace the first innermost ${...} (one without '$' or '{' inside) of *text; 1 when one was replaced, 0 when
 * none is left, -1 on memory exhaustion. */
static int subst_one(char **text, const char *const *vars) {
  char *t = *text;
  for (char *p = strstr(t, "${"); p; p = strstr(p + 1, "${")) {
    char *q = p + 2;
    while (*q && *q != '}' && *q != '$' && *q != '{') q++;
    if (*q != '}') continue;
    const char *name = p + 2;
    size_t nl = 0;
    while (name + nl < q && (isalnum((unsigned char)name[nl]) || name[nl] == '_')) nl++;
    const char *val = var_value(vars, name, nl);
    const char *rep = "";
    size_t rl = 0;
    if (val && *val) {
      rep = val;
      rl = strlen(val);
    } else if (name + nl + 1 < q && name[nl] == ':' && (name[nl + 1] == '=' || name[nl + 1] == '-')) {
      rep = name + nl + 2;
      rl = (size_t)(q - rep);
    }
    size_t head = (size_t)(p - t), tail = strlen(q + 1);
    char *out = malloc(head + rl + tail + 1);
    if (!out) return -1;
    memcpy(out, t, head);
    memcpy(out + head, rep, rl);
    memcpy(out + head + rl, q + 1, tail + 1);
    free(t);
    *text = out;
    return 1;
  }
  return 0;
}

char *bench_subst(const char *text, const char *const *vars) {
  char *t = strdup(text);
  int r = 1;
  while (t && r == 1) r = subst_one(&t, vars);
  if (r < 0) {
    free(t);
    return NULL;
  }
  return t;
}
