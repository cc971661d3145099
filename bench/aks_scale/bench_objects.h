/* bench_objects.h — what the AKS scale bench puts into the management cluster: the CRDs, the emulator's
 * identity, and N clusters rendered from CAPZ's cluster-template-aks.yaml (extra User pools cloned from the
 * template's User pool). Functions taking a capz_kube_client may be called from several threads at once. */
#ifndef BENCH_OBJECTS_H
#define BENCH_OBJECTS_H

#include <cJSON.h>
#include <stddef.h>

#include "capz/kube.h"

#define BENCH_NS "default"
#define BENCH_TENANT "11111111-1111-4111-8111-111111111111"
#define BENCH_SUBSCRIPTION "22222222-2222-4222-8222-222222222222"
#define BENCH_CLIENT_ID "33333333-3333-4333-8333-333333333333"
/* The emulator's built-in test app secret (docs/arm-sim-auth.md); not a real credential. */
#define BENCH_CLIENT_SECRET "capz-sim-secret"

/* Create every CRD document of every *.yaml in dir (sorted); an existing CRD is fine. Returns the number of
 * CRDs created or found, or -1 (message on stderr). */
int bobj_apply_crd_dir(capz_kube_client *c, const char *dir);

/* The ServicePrincipal AzureClusterIdentity "cluster-identity" + its Secret (as scripts/sandbox.sh writes them). */
int bobj_create_identity(capz_kube_client *c);

/* clusterctl-style ${VAR} / ${VAR:=default} / ${VAR:-default} substitution (innermost first); vars is a
 * NULL-terminated list of name, value pairs; unknown variables without default become "". Caller frees. */
char *bobj_subst(const char *text, const char *const *vars);

/* The template's documents for cluster `name` with `pools` pools (pool0 System from the template, then User
 * pools: the template's and clones of it named pool1..pool<pools-1>); the template's AzureClusterIdentity is
 * left out. Returns a JSON array (caller deletes) or NULL (message on stderr). */
cJSON *bobj_render_cluster(const char *template_text, const char *name, int pools, int replicas);

/* Create the documents of one rendered cluster, in order. Returns 0, or -1 with a message in msg. */
int bobj_create_all(capz_kube_client *c, const cJSON *docs, char *msg, size_t n);

/* GVK of an object (plural = lower-cased kind + "s", which holds for every kind the template uses). The
 * strings point into static storage per kind; not for other kinds. Returns 0 or -1. */
int bobj_gvk(const cJSON *obj, capz_gvk *out);

extern const capz_gvk BOBJ_CLUSTER, BOBJ_AMCP, BOBJ_AMMP, BOBJ_AMC, BOBJ_MP, BOBJ_SECRET;

#endif
