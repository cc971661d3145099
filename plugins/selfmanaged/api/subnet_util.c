/* subnet_util.c — small subnet queries shared by defaulting and validation. */
#include <string.h>
#include "sm_internal.h"

bool sm_subnet_is_ipv6(const cJSON *subnet) {
  cJSON *c;
  cJSON_ArrayForEach(c, sm_child(subnet, "cidrBlocks")) {
    sm_cidr net;
    if (cJSON_IsString(c) && sm_cidr_parse(c->valuestring, &net) && net.family == 6) return true;
  }
  return false;
}

cJSON *sm_subnet_by_role(const cJSON *subnets, const char *role) {
  cJSON *s;
  cJSON_ArrayForEach(s, subnets) {
    if (sm_str_eq(s, "role", role)) return s;
  }
  return NULL;
}
