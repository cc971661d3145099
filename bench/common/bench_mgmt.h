/* bench_mgmt.h — the emulated world every bench builds before measuring: the emulators and capz-host as child
 * processes (with a private plugin directory), the CRDs in capz-kube-sim, the ServicePrincipal identity for the
 * emulator's test app, the resource group + user-assigned identity CAPZ's reference template expects in Azure,
 * and clusterctl-style variable substitution of a template.
 * Thread-safety: the process functions belong to the bench's main thread (like bproc); the functions taking a
 * capz_kube_client may be called from several threads at once. Returned strings belong to the caller (free).
 * Messages go to stderr, prefixed with the program's name. */
#ifndef BENCH_MGMT_H
#define BENCH_MGMT_H

#include <stddef.h>

#include "bench_proc.h"
#include "capz/kube.h"

#define BENCH_NS "default"
#define BENCH_TENANT "11111111-1111-4111-8111-111111111111"
#define BENCH_SUBSCRIPTION "22222222-2222-4222-8222-222222222222"
#define BENCH_CLIENT_ID "33333333-3333-4333-8333-333333333333"
/* The emulator's built-in test app secret (docs/arm-sim-auth.md); not a real credential. */
#define BENCH_CLIENT_SECRET "capz-sim-secret"
#define BENCH_PRE_RG "capz-ci" /* pre-existing, as the reference template assumes (its user-assigned identity) */
#define BENCH_PRE_UAI "cloud-provider-user-identity"

/* Create every CustomResourceDefinition document of every *.yaml in dir (in name order); an existing CRD is
 * fine. Returns the number of CRDs created or found, or -1 when the directory, a file or a create failed. */
int bench_apply_crd_dir(capz_kube_client *c, const char *dir);

/* The Secret "cluster-identity-secret" holding the test app's secret, in BENCH_NS; an existing one is fine. */
int bench_create_identity_secret(capz_kube_client *c);

/* That Secret plus the ServicePrincipal AzureClusterIdentity "cluster-identity" (as scripts/sandbox.sh writes
 * them); 0 or -1. */
int bench_create_identity(capz_kube_client *c);

/* Resource group BENCH_PRE_RG with user-assigned identity BENCH_PRE_UAI, created through ARM at arm_url with a
 * token for the test app, as an operator would (CAPZ's CI creates them once per subscription). 0 or -1. */
int bench_arm_preexisting(const char *arm_url);

/* The emulators, as child processes (bproc_start flags) that print READY <url> on stdout (url/n may be NULL/0).
 * bench_start_kube also makes a kube client on capz-kube-sim (qps/burst 2000; *cfg and *c are the caller's to free,
 * whatever the outcome) and creates every CRD of <source>/config/crd/bases and config/capi-crd/bases. All return
 * 0 or -1 (message on stderr). */
int bench_start_kube(bproc *kube, const char *dir, const char *build, const char *source, unsigned flags,
                     const char *user_agent, char *url, size_t n, capz_kube_config **cfg, capz_kube_client **c);
int bench_start_arm(bproc *arm, const char *dir, const char *build, const char *config_path, unsigned flags, char *url,
                    size_t n);
int bench_start_capi(bproc *capi, const char *dir, const char *build, const char *kube_url, unsigned flags);

/* <dir>/plugins holding only a copy of <build>/plugins/<plugin>.so (the loader refuses symlinks), so the host
 * runs that plugin alone; its path into pdir. 0 or -1 (message on stderr). */
int bench_plugin_dir(const char *build, const char *dir, const char *plugin, char *pdir, size_t n);

/* capz-host (<build>/bin/capz-host --config config_path) as *host (bproc_start flags), waited for until it serves
 * /metrics (its URL into metrics_url) and reports exactly one plugin loaded. 0 or -1 (message on stderr). */
int bench_start_host(bproc *host, const char *dir, const char *build, const char *config_path, unsigned flags,
                     char *metrics_url, size_t n);

/* clusterctl-style ${VAR} / ${VAR:=default} / ${VAR:-default} substitution, innermost first; vars is a
 * NULL-terminated list of name, value pairs; unknown variables without default become "". NULL when memory
 * runs out. */
char *bench_subst(const char *text, const char *const *vars);

#endif
