/* canary: proves whether a file was opened at all. Its constructor (which runs at dlopen)
 * creates the file named by $CAPZ_TEST_CANARY; it exports no entry symbol. */
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>
#include "test_plugin.h"

__attribute__((constructor)) static void canary_opened(void) {
  const char *p = getenv("CAPZ_TEST_CANARY");
  if (!p) return;
  int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd >= 0) close(fd);
}
