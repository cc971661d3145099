/* hlog.h — capz-host's own start-up messages (one line each on stderr). Kept separate from the
 * SDK logger so the exact lines tests assert on (refusals, FILE:LINE:COL) stay plain text. */
#ifndef CAPZ_HOST_HLOG_H
#define CAPZ_HOST_HLOG_H
#include "capz/common.h"

void hlog_info(const char *fmt, ...) CAPZ_PRINTF(1, 2);
void hlog_error(const char *fmt, ...) CAPZ_PRINTF(1, 2);

#endif
