/* machine_fixtures.h — objects and checks the AzureMachine e2e tests share: identities, clusters, machines with
 * their bootstrap Secrets, waits on conditions, Secret and request-log inspection. All helpers fail the test on
 * error; returned cJSON / strings are the caller's to free. */
#ifndef SM_MACHINE_FIXTURES_H
#define SM_MACHINE_FIXTURES_H

#include <cJSON.h>
#include <stdbool.h>
#include <stdint.h>

#include "e2e_checks.h"
#include "e2e_env.h"

#define RGP "/subscriptions/" E2E_SUB "/resourceGroups/"
/* base64 of "#cloud-config\nruncmd: [echo, <name>]\n" is made per machine by mk_bootstrap */

/* AzureClusterIdentity id1 of type ServicePrincipal (Secret sp-secret, clientSecret capz-sim-secret), all namespaces. */
void mk_identity_sp(void);
/* Cluster + AzureCluster <name> (resource group <name>-rg, eastus, public API server LB), then waits for the
 * AzureCluster to be ready and marks the Cluster's infrastructure provisioned. */
void mk_cluster_ready(const char *name);
/* The same with spec.networkSpec given (JSON). */
void mk_cluster_ready_net(const char *name, const char *network_json);
/* Bootstrap Secret <machine>-bootstrap whose value is base64(text); returns nothing. */
void mk_bootstrap(const char *machine, const char *cluster, const char *text);
/* Machine + AzureMachine <name> in <cluster>: labels_json extra Machine labels (a JSON object body without braces,
 * may be ""), spec_json the AzureMachine spec; the Machine points at <name>-bootstrap already. */
void mk_machine(const char *name, const char *cluster, bool control_plane, const char *labels_json,
                const char *spec_json);

bool wait_ready(const capz_gvk *gvk, const char *name, int64_t ms);
/* Fail the test unless AzureMachine name is Ready within ms ("<name> not ready: <its status>"). */
void expect_machine_ready(const char *name, int64_t ms);
/* Waits until the condition has status ("True"/"False") and, when reason is not NULL, that reason. */
bool wait_cond(const capz_gvk *gvk, const char *name, const char *type, const char *status, const char *reason,
               int64_t ms);
/* Status of the AzureMachine (printed JSON, for messages). */
char *status_text(const char *name);

/* A Secret's data[key] decoded (NULL when absent). */
char *secret_data(const cJSON *secret, const char *key);
/* Lower-case hex SHA-256 of bytes. out: 65 chars. */
void sha256_hex(const void *p, size_t n, char out[65]);
/* First logged request with method whose path ends with suffix (case-insensitive); borrowed from log. */
const cJSON *req_find(const cJSON *log, const char *method, const char *path_suffix);
/* Count logged ARM requests whose path contains fragment (NULL = all) and method (NULL = all). */
int req_count(const cJSON *log, const char *method, const char *fragment);

/* For a case that needs a service principal with a certificate: a self-signed RSA certificate is made, and
 * CAPZ_BUILD_DIR is pointed (in this test process only) at a directory whose bin/capz-arm-sim starts the real
 * emulator with an auth config that also knows app CERT_CLIENT with that certificate (the default app and its
 * secret stay). Call before env_start(). *pem_out: certificate + private key PEM (caller frees). */
#define CERT_CLIENT "99999999-9999-4999-8999-999999999999"
void cert_env_prepare(char **pem_out);
/* Removes the directory cert_env_prepare made (after env_stop). */
void cert_env_cleanup(void);

#endif
