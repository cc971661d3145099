/* image.c — AzureMachine image validation (CAPZ ValidateImage) and the default image. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sm_internal.h"

void sm_image_validate(const cJSON *image, const char *path, sm_errors *errs) {
  char p[SM_PATH_MAX];
  if (!image || cJSON_IsNull(image)) return; /* defaulted by the controller */
  bool id = sm_present(image, "id"), mp = sm_present(image, "marketplace"), sg = sm_present(image, "sharedGallery"),
       cg = sm_present(image, "computeGallery");
  bool found = id;
  if (mp) {
    sm_path(p, "%s.marketplace", path);
    if (found) sm_err_forbidden(errs, p, "Marketplace cannot be used as an image ID has been specified");
    found = true;
  }
  if (sg) {
    sm_path(p, "%s.sharedGallery", path);
    if (found) sm_err_forbidden(errs, p, "SharedGallery cannot be used as an image ID. Marketplace or ComputeGallery images has been specified");
    found = true;
  }
  if (cg) {
    sm_path(p, "%s.computeGallery", path);
    if (found) sm_err_forbidden(errs, p, "ComputeGallery cannot be used as an image ID. Marketplace or SharedGallery images has been specified");
    found = true;
  }
  if (!found) sm_err_required(errs, path, "You must supply an ID, Marketplace or ComputeGallery image details");
  if (mp) {
    const cJSON *m = sm_child(image, "marketplace");
    static const char *const f[] = {"publisher", "offer", "sku", "version"};
    static const char *const label[] = {"Publisher", "Offer", "SKU", "Version"};
    for (int i = 0; i < 4; i++) {
      if (!sm_str_empty(m, f[i])) continue;
      sm_path(p, "%s.marketplace.%s", path, f[i]);
      sm_err_invalid_s(errs, p, "", "%s cannot be empty when specifying an AzureMarketplaceImage", label[i]);
    }
  }
  if (sg) {
    const cJSON *s = sm_child(image, "sharedGallery");
    static const char *const f[] = {"subscriptionID", "resourceGroup", "gallery", "name", "version"};
    static const char *const label[] = {"SubscriptionID", "ResourceGroup", "Gallery", "Name", "Version"};
    for (int i = 0; i < 5; i++) {
      if (!sm_str_empty(s, f[i])) continue;
      sm_path(p, "%s.sharedGallery.%s", path, f[i]);
      sm_err_invalid_s(errs, p, "", "%s cannot be empty when specifying an AzureSharedGalleryImage", label[i]);
    }
  }
  if (id && sm_str_empty(image, "id")) {
    sm_path(p, "%s.id", path);
    sm_err_invalid_s(errs, p, "", "ID cannot be empty when specifying an AzureImageByID");
  }
  if (cg) {
    const cJSON *c = sm_child(image, "computeGallery");
    bool sub = sm_present(c, "subscriptionID"), rg = sm_present(c, "resourceGroup");
    if (sub && !rg) {
      sm_path(p, "%s.computeGallery.resourceGroup", path);
      sm_err_invalid_s(errs, p, "", "ResourceGroup cannot be empty when SubscriptionID is specified");
    }
    if (rg && !sub) {
      sm_path(p, "%s.computeGallery.subscriptionID", path);
      sm_err_invalid_s(errs, p, "", "SubscriptionID cannot be empty when ResourceGroup is specified");
    }
  }
}

/* Kubernetes versions whose images CAPZ still takes from the deprecated Azure Marketplace offer
 * (so upgrades don't roll machines); data from CAPZ's virtualmachineimages service. */
static const struct {
  const char *k8s, *linux, *windows;
} marketplace_versions[] = {
    {"1.27.14", "127.14.20240517", "127.14.20240515"}, {"1.27.15", "127.15.20240612", NULL},
    {"1.27.16", "127.16.20240717", NULL},              {"1.28.1", "128.1.20230829", "128.1.20230830"},
    {"1.28.2", "128.2.20230918", "128.2.20230918"},    {"1.28.3", "128.3.20231023", "128.3.20231023"},
    {"1.28.4", "128.4.20231130", "128.4.20231122"},    {"1.28.5", "128.5.20240102", "128.5.20240102"},
    {"1.28.6", "128.6.20240201", "128.6.20240201"},    {"1.28.7", "128.7.20240223", "128.7.20240223"},
    {"1.28.8", "128.8.20240327", "128.8.20240327"},    {"1.28.9", "128.9.20240418", "128.9.20240418"},
    {"1.28.10", "128.10.20240517", "128.10.20240515"}, {"1.28.11", "128.11.20240612", "128.11.20240612"},
    {"1.28.12", "128.12.20240717", "128.12.20240717"}, {"1.29.1", "129.1.20240206", "129.1.20240201"},
    {"1.29.2", "129.2.20240223", "129.2.20240223"},    {"1.29.3", "129.3.20240327", "129.3.20240327"},
    {"1.29.4", "129.4.20240418", "129.4.20240418"},    {"1.29.5", "129.5.20240517", "129.5.20240515"},
    {"1.29.6", "129.6.20240612", "129.6.20240612"},    {"1.29.7", "129.7.20240717", "129.7.20240717"},
    {"1.30.0", "130.0.20240506", "130.0.20240418"},    {"1.30.1", "130.1.20240517", "130.1.20240515"},
    {"1.30.2", "130.2.20240612", "130.2.20240612"},    {"1.30.3", "130.3.20240717", "130.3.20240717"},
};

/* Tolerant semver ("v1.31", " 1.31.1-rc.0 ") to its canonical String() form. */
static bool semver_canonical(const char *in, char *out, size_t n) {
  while (in && isspace((unsigned char)*in)) in++;
  if (!in || !*in) return false;
  if (*in == 'v' || *in == 'V') in++;
  unsigned long part[3] = {0, 0, 0};
  int parts = 0;
  const char *p = in;
  while (parts < 3) {
    if (!isdigit((unsigned char)*p)) return false;
    char *end;
    part[parts++] = strtoul(p, &end, 10);
    p = end;
    if (*p != '.') break;
    p++;
  }
  char rest[128];
  snprintf(rest, sizeof rest, "%s", p);
  size_t rl = strlen(rest);
  while (rl && isspace((unsigned char)rest[rl - 1])) rest[--rl] = '\0';
  if (rest[0] && rest[0] != '-' && rest[0] != '+') return false;
  int len = snprintf(out, n, "%lu.%lu.%lu%s", part[0], part[1], part[2], rest);
  return len > 0 && (size_t)len < n;
}

static cJSON *image_obj(const char *kind, const char *const kv[][2], int n) {
  cJSON *img = cJSON_CreateObject();
  cJSON *inner = img ? cJSON_AddObjectToObject(img, kind) : NULL;
  for (int i = 0; inner && i < n; i++)
    if (!cJSON_AddStringToObject(inner, kv[i][0], kv[i][1])) inner = NULL;
  if (!inner) {
    cJSON_Delete(img);
    return NULL;
  }
  return img;
}

cJSON *sm_default_image(const char *os_type, const char *k8s_version, capz_err *err) {
  char v[160];
  if (!semver_canonical(k8s_version, v, sizeof v)) {
    capz_err_set(err, CAPZ_EINVAL, "unable to parse Kubernetes version \"%s\"", k8s_version ? k8s_version : "");
    return NULL;
  }
  bool windows = os_type && strcmp(os_type, "Windows") == 0;
  cJSON *img = NULL;
  for (size_t i = 0; i < sizeof marketplace_versions / sizeof marketplace_versions[0]; i++) {
    const char *mv = windows ? marketplace_versions[i].windows : marketplace_versions[i].linux;
    if (strcmp(marketplace_versions[i].k8s, v) != 0 || !mv) continue;
    const char *const kv[][2] = {{"publisher", "cncf-upstream"},
                                 {"offer", windows ? "capi-windows" : "capi"},
                                 {"sku", windows ? "windows-2019-containerd-gen1" : "ubuntu-2204-gen1"},
                                 {"version", mv}};
    img = image_obj("marketplace", kv, 4);
    goto done;
  }
  {
    const char *const kv[][2] = {{"gallery", "ClusterAPI-f72ceb4f-5159-4c26-a0fe-2ea738f0d019"},
                                 {"name", windows ? "capi-win-2022-containerd" : "capi-ubun2-2404"},
                                 {"version", v}};
    img = image_obj("computeGallery", kv, 3);
  }
done:
  if (!img) capz_err_set(err, CAPZ_ENOMEM, "out of memory");
  return img;
}
