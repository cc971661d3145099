/* aks_token.c — an Entra token for the AKS AAD server application (scope 6dae42f8-…/.default) obtained with the
 * AMCP's AzureClusterIdentity (or the ASO control plane's credential Secret), for the token-injected kubeconfig of
 * AAD clusters with local accounts disabled.
 *
 * The credential is the session cache's own (the one behind the cluster's ARM client), and the token comes from
 * the SDK token cache per credential + scope, so repeated kubeconfig passes reuse it until the SDK's refresh point;
 * the caller schedules its next pass at that point. allowedNamespaces is enforced by the session lookup. Tokens
 * are wiped by the caller and never logged. */
#include "capz/json.h"
#include "mc_plugin.h"

#define AKS_AAD_SERVER_SCOPE "6dae42f8-4368-4678-94ff-3960e28e3630/.default"

static int token_from(capz_az_credential *cred, char **token, int64_t *exp, int64_t *refresh, capz_err *err) {
  int rc = capz_az_credential_token_for_scope(cred, AKS_AAD_SERVER_SCOPE, NULL, token, exp, refresh, err);
  if (rc) capz_err_prefix(err, "token for the AKS server application: ");
  return rc;
}

int mc_aks_token(mc_state *s, capz_ctx *ctx, const cJSON *amcp, char **token, int64_t *exp, int64_t *refresh,
                 capz_err *err) {
  *token = NULL;
  capz_az_credential *cred = NULL;
  int rc = capz_az_session_credential_for_identity(
      s->sessions, ctx, capz_json_ptr_str(amcp, "/spec/identityRef/namespace", NULL),
      capz_json_ptr_str(amcp, "/spec/identityRef/name", ""), capz_json_ptr_str(amcp, "/metadata/namespace", ""),
      &cred, err);
  return rc ? rc : token_from(cred, token, exp, refresh, err);
}

int mc_aks_token_aso(mc_state *s, capz_ctx *ctx, const char *ns, const cJSON *res, char **token, int64_t *exp,
                     int64_t *refresh, capz_err *err) {
  *token = NULL;
  mc_aso_cred c;
  int rc = mc_aso_cred_read(ctx, ns, res, &c, err);
  if (rc) return rc;
  capz_az_credential *cred = NULL;
  rc = capz_az_session_credential_for(s->sessions, &c.id, &cred, err);
  mc_aso_cred_wipe(&c);
  return rc ? rc : token_from(cred, token, exp, refresh, err);
}
