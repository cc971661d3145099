/* identity_controller.c — AzureClusterIdentity: validate the spec with the api library and report it as the
 * Ready condition (the AzureClusters using an identity are woken by their REFERENCED_BY watch). */
#include <stdio.h>
#include <string.h>

#include "capz/conditions.h"
#include "selfmanaged_api.h"
#include "sm_plugin.h"

typedef struct id_run {
  const char *reason;
  char msg[1024];
} id_run;

static int mutate(void *ud, cJSON *obj) {
  id_run *r = ud;
  if (r->reason) capz_cond_mark_false(obj, CAPZ_COND_READY, r->reason, CAPZ_SEV_ERROR, "%s", r->msg);
  else capz_cond_mark_true(obj, CAPZ_COND_READY);
  return 0;
}

capz_outcome sm_identity_reconcile(void *state, capz_ctx *ctx, const capz_key *key, capz_result *res) {
  (void)state;
  const capz_obj *o = NULL;
  capz_err err;
  int rc = capz_ctx_get(ctx, &o, &err);
  if (rc == CAPZ_ENOTFOUND) return CAPZ_DONE;
  if (rc) return capz_ctx_fail(ctx, res, CAPZ_RETRY, "ReadError", "%s", err.msg);
  id_run r = {0};
  if (sm_azureclusteridentity_validate(capz_obj_json(o), NULL, r.msg, sizeof r.msg) > 0) r.reason = "InvalidConfiguration";
  rc = capz_patch_status(capz_ctx_client(ctx), &SM_GVK_IDENTITY, o, key->ns, key->name, mutate, &r, NULL, &err);
  capz_obj_unref(o);
  if (r.reason) return capz_ctx_fail(ctx, res, CAPZ_TERMINAL, r.reason, "%s", r.msg);
  if (rc) return capz_ctx_fail(ctx, res, CAPZ_RETRY, "PatchError", "%s", err.msg);
  return CAPZ_DONE;
}
