/* rt_util.c — controller helpers: owner references, cache copies, fail, merge patch, checked formatting
 * (capz/controller_util.h). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "capz/controller_util.h"
#include "capz/json.h"

const char *capz_owner_ref_name(const cJSON *obj, const char *group, const char *kind) {
  if (!group || !kind) return NULL;
  size_t gl = strlen(group);
  const cJSON *o;
  cJSON_ArrayForEach(o, capz_json_ptr_get(obj, "/metadata/ownerReferences")) {
    const char *av = capz_json_ptr_str(o, "/apiVersion", "");
    if (strcmp(capz_json_ptr_str(o, "/kind", ""), kind) == 0 && strncmp(av, group, gl) == 0 && av[gl] == '/')
      return capz_json_ptr_str(o, "/name", NULL);
  }
  return NULL;
}

cJSON *capz_ctx_cache_copy(capz_ctx *ctx, const capz_gvk *gvk, const char *ns, const char *name) {
  const capz_obj *o = NULL;
  if (!name || !*name || capz_ctx_cache_get(ctx, gvk, ns, name, &o, NULL) != 0) return NULL;
  cJSON *c = cJSON_Duplicate(capz_obj_json(o), 1);
  capz_obj_unref(o);
  return c;
}

capz_outcome capz_ctx_fail(capz_ctx *ctx, capz_result *res, capz_outcome oc, const char *reason, const char *fmt,
                           ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(res->message, sizeof res->message, fmt, ap);
  va_end(ap);
  snprintf(res->reason, sizeof res->reason, "%s", reason);
  capz_ctx_event(ctx, "Warning", reason, "%s", res->message);
  capz_log(capz_ctx_logger(ctx), oc == CAPZ_TERMINAL ? CAPZ_LOG_ERROR : CAPZ_LOG_WARN, "reconcile failed", "reason",
           reason, "message", res->message, NULL);
  return oc;
}

int capz_ctx_merge_patch(capz_ctx *ctx, const capz_gvk *gvk, const char *ns, const char *name, const cJSON *patch,
                         capz_err *err) {
  return capz_kube_patch(capz_ctx_client(ctx), gvk, ns, name, CAPZ_PATCH_MERGE, patch, NULL, NULL, err);
}

int capz_fmt(char *out, size_t n, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int l = vsnprintf(out, n, fmt, ap);
  va_end(ap);
  return l < 0 || (size_t)l >= n ? -1 : 0;
}
