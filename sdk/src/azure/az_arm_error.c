/* az_arm_error.c — ARM CloudError decoding and HTTP status → capz_errcode mapping. */
#include <string.h>

#include "capz/azure_arm.h"
#include "azure/az_arm_internal.h"
#include "azure/az_util.h"

bool capz_arm_cloud_error_decode(const cJSON *body, capz_arm_cloud_error *out) {
  memset(out, 0, sizeof *out);
  if (!cJSON_IsObject(body)) return false;
  const cJSON *e = cJSON_GetObjectItemCaseSensitive(body, "error");
  if (!cJSON_IsObject(e)) e = body; /* some RPs omit the wrapper */
  const char *code = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "code"));
  if (!code) return false;
  az_strlcpy(out->code, code, sizeof out->code);
  az_strlcpy(out->message, cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "message")), sizeof out->message);
  az_strlcpy(out->target, cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "target")), sizeof out->target);
  const cJSON *d = cJSON_GetObjectItemCaseSensitive(e, "details");
  if (cJSON_IsArray(d)) {
    out->n_details = cJSON_GetArraySize(d);
    if (d->child)
      az_strlcpy(out->detail_code, cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(d->child, "code")),
                 sizeof out->detail_code);
  }
  return true;
}

int arm_status_to_code(int status) {
  if (status >= 200 && status < 300) return 0;
  switch (status) {
  case 0: return CAPZ_EIO;
  case 401: return CAPZ_EAUTH;
  case 403: return CAPZ_EFORBIDDEN;
  case 404: return CAPZ_ENOTFOUND;
  case 408: return CAPZ_ETIMEOUT;
  case 409: case 412: return CAPZ_ECONFLICT;
  case 429: return CAPZ_ETHROTTLED;
  default: break;
  }
  if (status >= 500) return CAPZ_EUNAVAILABLE;
  if (status >= 300 && status < 400) return CAPZ_EPROTO;
  return CAPZ_EINVAL;
}
