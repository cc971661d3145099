/* e2e_checks.h — the fixtures, waits and Azure inventory checks the selfmanaged end-to-end suites (selfmanaged_e2e
 * and selfmanaged_machine_e2e) share, on top of e2e_env. The k_wait_* / *_expect* / k_expect_event helpers fail the
 * test on a miss (call them from test bodies); the predicates and arm_owned_by / arm_count_owned only answer.
 * Returned cJSON pointers are borrowed from the array passed in. Not thread-safe (test thread only). */
#ifndef SM_E2E_CHECKS_H
#define SM_E2E_CHECKS_H

#include <cJSON.h>
#include <stdbool.h>
#include <stdint.h>

#include "ckrun.h"
#include "e2e_env.h"

#define OWNED_TAG "sigs.k8s.io_cluster-api-provider-azure_cluster_"

/* AzureClusterIdentity id1 of type ServicePrincipal for the emulator's test app (Secret sp-secret holding its
 * client secret); allowed_namespaces: the JSON of spec.allowedNamespaces ("{}": all). */
void k_make_sp_identity(const char *allowed_namespaces);

/* k_pred predicates for k_wait: status.ready is true / the object is absent / the condition ud[0] has reason
 * ud[1] (ud: const char *const[2]). */
bool k_is_ready(const cJSON *o, void *ud);
bool k_is_gone(const cJSON *o, void *ud);
bool k_cond_reason(const cJSON *o, void *ud);
/* Wait up to ms for status.ready / for the object to be gone; fail with the object's text otherwise. */
void k_wait_ready(const capz_gvk *gvk, const char *name, int64_t ms);
void k_wait_gone(const capz_gvk *gvk, const char *name, int64_t ms);
/* Events are recorded right after the status write: poll up to 10 s for one with reason on the object. */
void k_expect_event(const char *name, const char *reason);

/* The ARM resource carries CAPZ's ownership tag for cluster. */
bool arm_owned_by(const cJSON *res, const char *cluster);
/* Resources in the emulator owned by cluster. */
int arm_count_owned(const char *cluster);
/* The resource whose id ends with suffix exists in all (and is owned by cluster). */
cJSON *arm_expect(cJSON *all, const char *suffix);
cJSON *arm_expect_owned(cJSON *all, const char *suffix, const char *cluster);

#endif
