/* bench_objects.h — what the AKS scale bench puts into the management cluster beyond bench/common's setup
 * (bench_mgmt.h): N clusters rendered from CAPZ's cluster-template-aks.yaml (extra User pools cloned from the
 * template's User pool). Functions taking a capz_kube_client may be called from several threads at once. */
#ifndef BENCH_OBJECTS_H
#define BENCH_OBJECTS_H

#include <cJSON.h>
#include <stddef.h>

#include "bench_mgmt.h" /* BENCH_NS, the test app's identity */

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
