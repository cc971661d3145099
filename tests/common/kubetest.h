/* kubetest.h — a capz-kube-sim and an SDK Kubernetes client on it, for tests of code that talks to the API.
 *
 * Every call that can fail asserts (ck_assert), so use them from test bodies and checked fixtures.
 * Ownership: the kubetest owns its emulator, config and client until kubetest_stop. Thread-safety: the client
 * may be used from any thread (see capz/kube.h); start/stop belong to one thread.
 */
#ifndef CAPZ_TEST_KUBETEST_H
#define CAPZ_TEST_KUBETEST_H

#include "capz/kube.h"
#include "simproc.h"

typedef struct kubetest {
  simproc sim;
  capz_kube_config *cfg;
  capz_kube_client *client;
} kubetest;

/* CustomResourceDefinitions, cluster-scoped, plural given (no discovery). */
extern const capz_gvk KUBETEST_CRD_GVK;

/* Start capz-kube-sim with extra arguments (NULL-terminated, may be NULL) and a client on it with qps and burst
 * 1000, so that client-side rate limiting never shapes a test. The caller has called capz_sdk_global_init. */
void kubetest_start(kubetest *k, const char *const *sim_args);
/* Free the client and config and stop the emulator; returns simproc_stop's wait status (0 = clean exit). */
int kubetest_stop(kubetest *k);

/* JSON text of a namespaced CustomResourceDefinition for <group>/v1 <kind> named <plural>.<group>, with a status
 * subresource and no schema (every field is kept); singular is the lower-cased kind. malloc'ed, caller frees. */
char *kubetest_open_crd(const char *group, const char *kind, const char *plural);

/* Create an object from JSON text in ns (NULL: cluster-scoped); the API's message is the failure's message. */
void kubetest_create(kubetest *k, const capz_gvk *gvk, const char *ns, const char *json);
/* Create every document of a YAML file (e.g. a CRD manifest) as a cluster-scoped object of gvk. */
void kubetest_create_from_yaml_file(kubetest *k, const capz_gvk *gvk, const char *path);

#endif
