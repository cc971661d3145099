/* sim_idents.h — the principals the SDK's emulator tests (test_azure_sim.c, test_azure_scope.c) give capz-arm-sim:
 * one app per identity type (client secret, certificate, federated workload identity, msi-dataplane credentials
 * file) and a user-assigned managed identity, with the files the credentials read (federated token, credentials
 * file). Made once in the parent process (unchecked fixture) and inherited by the forked tests. */
#ifndef CAPZ_TEST_SIM_IDENTS_H
#define CAPZ_TEST_SIM_IDENTS_H

#include <openssl/evp.h>

#include "armcloud.h"

#define TENANT "aaaaaaaa-0000-4000-8000-000000000001"
#define SUB "bbbbbbbb-0000-4000-8000-000000000002"
#define C_SP "cccccccc-0000-4000-8000-000000000001"
#define C_CERT "cccccccc-0000-4000-8000-000000000002"
#define C_WI "cccccccc-0000-4000-8000-000000000003"
#define C_UAIC "cccccccc-0000-4000-8000-000000000004"
#define C_MSI "cccccccc-0000-4000-8000-000000000005"
#define WI_ISS "https://oidc.capz.test"
#define WI_SUB "system:serviceaccount:capz-system:capz-manager"

/* config path of the emulator, the federated token file, the credentials file; the app certificates (PEM with key:
 * g_cert_pem for C_CERT, g_cert2_pem for C_UAIC) and the workload identity issuer's signing key */
extern char g_cfg[300], g_tokfile[300], g_uaic[300];
extern char *g_cert_pem, *g_cert2_pem;
extern EVP_PKEY *g_wi_key;

/* Make the files and write the emulator config. auth_extra: more members of the "auth" object, each followed by a
 * comma ("" for none); top_extra: more top-level members, each preceded by a comma ("" for none). */
void sim_idents_setup(const char *tmp_prefix, const char *auth_extra, const char *top_extra);
void sim_idents_teardown(void);
/* The checked fixture's halves: the SDK's global state plus capz-arm-sim started with the config written by
 * sim_idents_setup, described as *cloud; and both stopped again. */
void sim_idents_start(simproc *sim, capz_az_cloud *cloud);
void sim_idents_stop(simproc *sim);
/* A federated token for subject, valid for exp_in seconds, into g_tokfile. */
void write_wi_token(const char *subject, long exp_in);
/* The msi-dataplane credentials file for C_UAIC (authority = the emulator at base_url), expiring at not_after. */
void write_uaic(const char *not_after, const char *base_url);

#endif
