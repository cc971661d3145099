/* armcloud.c — see armcloud.h. */
#include "armcloud.h"

#include <check.h>
#include <stdio.h>

void armcloud_start(simproc *sim, const char *config_path, capz_az_cloud *cloud) {
  const char *args[] = {"--config", config_path, NULL};
  ck_assert_msg(simproc_start(sim, simproc_bin("capz-arm-sim"), config_path ? args : NULL) == 0,
                "capz-arm-sim did not start");
  char js[1200];
  snprintf(js, sizeof js,
           "{\"name\":\"sim\",\"armEndpoint\":\"%s\",\"authorityHost\":\"%s\",\"imdsEndpoint\":\"%s\","
           "\"tokenAudience\":\"https://management.azure.com/\"}",
           sim->url, sim->url, sim->url);
  cJSON *j = cJSON_Parse(js);
  capz_err err;
  ck_assert_msg(capz_az_cloud_from_json(j, cloud, &err) == 0, "%s", err.msg);
  cJSON_Delete(j);
}
