/* tenv.h — the emulators the SDK table/session tests run against, and small helpers for them. */
#ifndef SDK_AZURE_TABLE_TENV_H
#define SDK_AZURE_TABLE_TENV_H

#include <check.h>
#include <cJSON.h>

#include "capz/azure.h"
#include "capz/kube.h"
#include "simproc.h"

#define T_TENANT "aaaaaaaa-0000-4000-8000-000000000001"
#define T_SUB "bbbbbbbb-0000-4000-8000-000000000002"
#define T_CLIENT "cccccccc-0000-4000-8000-000000000001"
#define T_SECRET1 "table-secret-1"
#define T_SECRET2 "table-secret-2"

extern simproc g_arm;
extern capz_az_cloud g_cloud;
extern capz_kube_client *g_kc;

/* Checked fixtures: capz-arm-sim (LROs of lro_s seconds) and, for sessions, capz-kube-sim with the
 * AzureClusterIdentity CRD. */
void arm_env_start(void);
void arm_env_stop(void);
void kube_env_start(void);
void kube_env_stop(void);

/* A service-principal client on the emulator (caller frees both). */
capz_arm_client *t_client(const char *secret, capz_az_credential **cred);
/* The emulator's request log ({"requests": [{method, path, ...}]}), oldest first; caller frees. */
cJSON *t_requests(void);
/* Number of logged requests with method whose path contains part (case-insensitive). */
int t_count(const cJSON *log, const char *method, const char *part);
/* Index in the log of the first request with method whose path contains part, or -1. */
int t_first(const cJSON *log, const char *method, const char *part);
/* Raw PUT through a client of its own (blocking), for bring-your-own resources. */
void t_put(const char *id, const char *body_json);
/* HTTP status of a GET of id (through its own client). */
int t_get_status(const char *id);

Suite *table_suite(void);
Suite *session_suite(void);
Suite *util_suite(void);

#endif
