/* tmpfiles.c — see tmpfiles.h. */
#include "tmpfiles.h"

#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char base[PATH_MAX];

void tmpfiles_base_make(const char *tag) {
  snprintf(base, sizeof base, "/tmp/capz-%.64s-XXXXXX", tag);
  if (!mkdtemp(base)) {
    perror("tmpfiles: mkdtemp");
    base[0] = '\0'; /* every tmpfiles_dir_make then fails its test */
  }
}

void tmpfiles_base_remove(void) {
  if (!base[0]) return;
  char cmd[PATH_MAX + 16];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", base);
  if (system(cmd) != 0) fprintf(stderr, "tmpfiles: could not remove %s\n", base);
}

void tmpfiles_dir_make(char *dir, size_t cap) {
  ck_assert_msg(base[0] != '\0', "no base directory (tmpfiles_base_make failed or was not called)");
  ck_assert_msg((size_t)snprintf(dir, cap, "%s/t-XXXXXX", base) < cap, "directory name too long");
  ck_assert_msg(mkdtemp(dir) != NULL, "mkdtemp %s failed", dir);
}

void tmpfiles_dir_remove(const char *dir) {
  char cmd[PATH_MAX + 16];
  ck_assert_msg((size_t)snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir) < sizeof cmd, "directory name too long");
  ck_assert_msg(system(cmd) == 0, "could not remove %s", dir);
}

void tmpfiles_write(const char *path, const void *data, size_t len) {
  FILE *f = fopen(path, "wb");
  ck_assert_msg(f != NULL, "cannot create %s", path);
  ck_assert_uint_eq(fwrite(data, 1, len, f), len);
  ck_assert_int_eq(fclose(f), 0);
}

void tmpfiles_write_text(const char *path, const char *text) { tmpfiles_write(path, text, strlen(text)); }

char *tmpfiles_read(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  char *buf = NULL;
  long n = -1;
  if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) buf = malloc((size_t)n + 1);
  size_t got = buf ? fread(buf, 1, (size_t)n, f) : 0;
  fclose(f);
  if (!buf || got != (size_t)n) {
    free(buf);
    return NULL;
  }
  buf[got] = '\0';
  if (len) *len = got;
  return buf;
}
