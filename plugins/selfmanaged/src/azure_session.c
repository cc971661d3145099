/* azure_session.c — which identity an AzureCluster uses: spec.identityRef (namespace defaults to the
 * AzureCluster's), else the plugin's configured default identity. The SDK session cache (capz/azure_session.h)
 * does the rest: allowedNamespaces, Secret, credential, one shared ARM client per credential. */
#include <stdio.h>
#include <string.h>

#include "capz/json.h"
#include "sm_plugin.h"

int sm_azure_for_cluster(sm_state *s, capz_ctx *ctx, const cJSON *ac, sm_azure *out, capz_err *err) {
  memset(out, 0, sizeof *out);
  snprintf(out->subscription, sizeof out->subscription, "%s", capz_json_ptr_str(ac, "/spec/subscriptionID", ""));
  if (!out->subscription[0]) return capz_err_set(err, CAPZ_EINVAL, "spec.subscriptionID is required");
  const char *iname = capz_json_ptr_str(ac, "/spec/identityRef/name", "");
  if (!*iname) return capz_az_session_default(s->sessions, &out->arm, err);
  return capz_az_session_for_identity(s->sessions, ctx, capz_json_ptr_str(ac, "/spec/identityRef/namespace", NULL),
                                      iname, capz_json_ptr_str(ac, "/metadata/namespace", ""), &out->arm, err);
}
