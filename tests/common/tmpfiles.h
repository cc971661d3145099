/* tmpfiles.h — scratch directories and small files for tests.
 *
 * One base directory per test program (/tmp/capz-<tag>-XXXXXX) is made and removed by the parent process, from
 * a Check unchecked fixture: a failed assertion ends a forked test before its own teardown runs, so only the
 * parent can be relied on to clean up. Each test then makes a fresh directory of its own under that base.
 *
 * The helpers that can fail call ck_assert (they are meant for test bodies and checked fixtures), except the
 * base pair, which runs in the parent and only reports on stderr. Not thread-safe: one base per process.
 */
#ifndef CAPZ_TEST_TMPFILES_H
#define CAPZ_TEST_TMPFILES_H
#include <stddef.h>

/* Unchecked-fixture pair. tag names the program in the path (e.g. "loader" -> /tmp/capz-loader-XXXXXX). */
void tmpfiles_base_make(const char *tag);
void tmpfiles_base_remove(void);

/* Make a fresh directory under the base and write its path to dir (cap bytes). */
void tmpfiles_dir_make(char *dir, size_t cap);
/* rm -rf dir (a path from tmpfiles_dir_make or mkdtemp). */
void tmpfiles_dir_remove(const char *dir);

/* Create or truncate path with len bytes of data / with text. */
void tmpfiles_write(const char *path, const void *data, size_t len);
void tmpfiles_write_text(const char *path, const char *text);

/* The whole file as a NUL-terminated malloc'ed buffer (caller frees), its size in *len when len is not NULL;
 * NULL when it cannot be read (no assertion: callers decide whether a missing file is a failure). */
char *tmpfiles_read(const char *path, size_t *len);

#endif
