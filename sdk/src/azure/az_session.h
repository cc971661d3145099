/* az_session.h — internal pieces shared by az_session*.c. */
#ifndef AZ_SESSION_H
#define AZ_SESSION_H

#include "capz/azure_session.h"

/* Whole file (at most 64 KiB, trailing newlines dropped) into *out (caller wipes and frees). */
int az_session_read_file(const char *path, unsigned char **out, size_t *len, capz_err *err);

#endif
