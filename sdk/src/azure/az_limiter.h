/* az_limiter.h — the limiter's internals other SDK files read (not exported). */
#ifndef CAPZ_SDK_AZ_LIMITER_H
#define CAPZ_SDK_AZ_LIMITER_H

#include "capz/azure_arm.h"

/* How full the (subscription, principal, class) bucket is now: tokens / burst, 1.0 for an untouched bucket or a
 * NULL limiter, ≤ 0 while callers queue for tokens. Any thread. */
double az_limiter_level(capz_arm_limiter *l, const char *subscription, const char *principal, capz_arm_op_class cls);

#endif
