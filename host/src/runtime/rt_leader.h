/* rt_leader.h — leader election on a coordination.k8s.io/v1 Lease (client-go's algorithm: expiry judged by the
 * local time at which the record was last seen to change, so clock skew between candidates does not matter).
 *
 * On loss the client's write fence goes up *before* the callback runs, so nothing else is written. */
#ifndef CAPZ_HOST_RT_LEADER_H
#define CAPZ_HOST_RT_LEADER_H

#include <stdbool.h>
#include <stdint.h>
#include "capz/kube.h"

typedef struct rt_leader rt_leader;

typedef struct rt_leader_opts {
  const char *ns, *name, *identity;
  int64_t lease_ms, renew_deadline_ms, retry_ms;
  void (*on_change)(void *ud, bool leading); /* from the election thread */
  void *ud;
} rt_leader_opts;

int rt_leader_start(capz_kube_client *c, const rt_leader_opts *o, rt_leader **out, capz_err *err);
bool rt_leader_leading(rt_leader *l);
/* True once leadership was held and then lost. */
bool rt_leader_lost(rt_leader *l);
/* Stop campaigning; when release and leading, give the Lease up (holderIdentity "", duration 1 s). */
void rt_leader_stop(rt_leader *l, bool release);

#endif
