/* session.c — which credential a managed cluster uses. AzureManagedControlPlane: its spec.identityRef (namespace
 * defaults to the AMCP's), through the SDK session cache (capz/azure_session.h: allowedNamespaces, Secret,
 * credential, one shared ARM client per credential). The ASO API: an ASO credential Secret, turned into an
 * identity here and cached by the same SDK cache. Secret bytes are wiped after use, never logged. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "capz/json.h"
#include "mc_plugin.h"

int mc_arm_for(mc_state *s, capz_ctx *ctx, const cJSON *amcp, capz_arm_client **arm, capz_err *err) {
  return capz_az_session_for_identity(s->sessions, ctx, capz_json_ptr_str(amcp, "/spec/identityRef/namespace", NULL),
                                      capz_json_ptr_str(amcp, "/spec/identityRef/name", ""),
                                      capz_json_ptr_str(amcp, "/metadata/namespace", ""), arm, err);
}

/* ASO-style credentials: the Secret named by the resource's serviceoperator.azure.com/credential-from annotation
 * (else "aso-credential") with AZURE_SUBSCRIPTION_ID, AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET, or
 * AUTH_MODE workloadidentity / podidentity. */
int mc_aso_cred_read(capz_ctx *ctx, const char *ns, const cJSON *res, mc_aso_cred *c, capz_err *err) {
  memset(c, 0, sizeof *c);
  const char *name = capz_json_ptr_str(res, "/metadata/annotations/serviceoperator.azure.com~1credential-from",
                                       "aso-credential");
  static const char *const keys[] = {"AZURE_SUBSCRIPTION_ID", "AZURE_TENANT_ID", "AZURE_CLIENT_ID",
                                     "AZURE_CLIENT_SECRET", "AUTH_MODE"};
  int rc = 0;
  for (int i = 0; i < 5 && !rc; i++) {
    capz_err ke;
    int r = capz_secret_value(capz_ctx_client(ctx), ns, name, keys[i], &c->vals[i], &c->lens[i], &ke);
    if (r && i < 3) rc = capz_err_set(err, r, "identity %s", ke.msg);
  }
  if (!rc) {
    const char *mode = c->vals[4] ? (const char *)c->vals[4] : "";
    c->id = (capz_az_identity){.tenant_id = (const char *)c->vals[1], .client_id = (const char *)c->vals[2]};
    if (strcmp(mode, "workloadidentity") == 0) c->id.type = CAPZ_AZ_ID_WORKLOAD_IDENTITY;
    else if (strcmp(mode, "podidentity") == 0) c->id.type = CAPZ_AZ_ID_USER_ASSIGNED_MSI;
    else if (c->vals[3]) c->id.type = CAPZ_AZ_ID_SERVICE_PRINCIPAL, c->id.secret = c->vals[3], c->id.secret_len = c->lens[3];
    else rc = capz_err_set(err, CAPZ_EINVAL, "secret %s/%s: no AZURE_CLIENT_SECRET and no AUTH_MODE", ns, name);
  }
  if (rc) mc_aso_cred_wipe(c);
  return rc;
}

void mc_aso_cred_wipe(mc_aso_cred *c) {
  for (int i = 0; i < 5; i++) {
    if (c->vals[i]) OPENSSL_cleanse(c->vals[i], c->lens[i]);
    free(c->vals[i]);
    c->vals[i] = NULL;
  }
  memset(&c->id, 0, sizeof c->id);
}

int mc_arm_for_aso(mc_state *s, capz_ctx *ctx, const char *ns, const cJSON *res, capz_arm_client **arm, char *sub,
                   size_t sub_n, capz_err *err) {
  mc_aso_cred c;
  int rc = mc_aso_cred_read(ctx, ns, res, &c, err);
  if (rc) return rc;
  snprintf(sub, sub_n, "%s", (const char *)c.vals[0]);
  rc = capz_az_session_for(s->sessions, &c.id, arm, err);
  mc_aso_cred_wipe(&c);
  return rc;
}
