/* bench_util.h — clocks, whole-file I/O and order statistics the benchmark programs share.
 * Every function is thread-safe (no state); returned buffers belong to the caller (free). */
#ifndef BENCH_UTIL_H
#define BENCH_UTIL_H

/* Monotonic seconds. */
double bench_now(void);
/* Sleep s seconds (fractions allowed; <= 0 returns at once). */
void bench_sleep(double s);
/* The whole file, NUL-terminated (caller frees), or NULL. */
char *bench_slurp(const char *path);
/* Create or truncate path with text; 0 or -1. */
int bench_write_text(const char *path, const char *text);
/* Byte copy of from into to (created or truncated); 0 or -1. */
int bench_copy_file(const char *from, const char *to);
/* qsort comparator for doubles, ascending. */
int bench_cmp_dbl(const void *a, const void *b);
/* q-quantile (0..1, nearest rank) of v[0..n) sorted ascending; 0 when n == 0. */
double bench_quantile(const double *v, int n, double q);

#endif
