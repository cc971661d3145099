/* armcloud.h — start capz-arm-sim and describe it as a capz_az_cloud (ARM, token authority and IMDS all on the
 * emulator, audience https://management.azure.com/), for tests of SDK code that talks to Azure.
 *
 * Asserts (ck_assert) on failure, so call it from test bodies and checked fixtures. Stop the emulator with
 * simproc_stop. No state of its own.
 */
#ifndef CAPZ_TEST_ARMCLOUD_H
#define CAPZ_TEST_ARMCLOUD_H

#include "capz/azure_cloud.h"
#include "simproc.h"

/* Start capz-arm-sim (with --config config_path unless it is NULL) and fill *cloud with its endpoints. */
void armcloud_start(simproc *sim, const char *config_path, capz_az_cloud *cloud);

#endif
