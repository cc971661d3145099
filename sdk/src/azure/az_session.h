/* az_session.h — internal pieces shared by az_session*.c. */
#ifndef AZ_SESSION_H
#define AZ_SESSION_H

#include "capz/azure_session.h"

/* Whole file (at most 64 KiB, trailing newlines dropped) into *out (caller wipes and frees). */
int az_session_read_file(const char *path, unsigned char **out, size_t *len, capz_err *err);

/* The cached entry for an identity (built on first use): its ARM client and/or credential (either out may be
 * NULL); both borrowed from the cache. */
int az_session_entry_for(capz_az_sessions *s, const capz_az_identity *id, capz_arm_client **arm,
                         capz_az_credential **cred, capz_err *err);

#endif
