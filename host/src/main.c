/* main.c — capz-host entry point (placeholder until the loader and config land). */
#include <stdio.h>
#include "capz/plugin.h"

int main(void) {
  printf("capz-host (ABI %d.%d)\n", CAPZ_ABI_MAJOR, CAPZ_ABI_MINOR);
  return 0;
}
