/* azure_default.h — hand the host's `azure:` config to the SDK as the process-wide default cloud. */
#ifndef CAPZ_HOST_AZURE_DEFAULT_H
#define CAPZ_HOST_AZURE_DEFAULT_H
#include "config.h"

/* Build the cloud from cfg->azure and make it the SDK default. Returns 0, or non-zero with the reason
 * written to diag as one line (the daemon then refuses to start: every plugin would talk to the wrong cloud). */
int host_azure_set_default(const host_config *cfg, FILE *diag);

#endif
