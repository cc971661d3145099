/* kube_sim_gc_bench — capz-kube-sim with many owned objects (the aks_scale shape: every object
 * has an owner). Creates N ConfigMaps (default 20000): N/10 owners with 9 dependents each, then for
 * SECS seconds (default 10) 4 threads merge-patch random dependents while one thread GETs random
 * objects. Reports the create rate, the patch rate, GET latency (p50/p99/max), the emulator's CPU
 * use during the mixed phase and /_sim/stats gcVisited.
 * Usage: kube_sim_gc_bench [N] [SECS] [path-to-capz-kube-sim]   (default $CAPZ_BUILD_DIR/bin/capz-kube-sim) */
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench_http.h"
#include "bench_util.h"
#include "simproc.h"

#define WRITERS 4
#define CM "/api/v1/namespaces/default/configmaps"

static simproc sim;
static int nobj = 20000, secs = 10;
static int nowners;
static char (*owner_uid)[40];
static volatile int stop_flag;

static long request(CURL *c, const char *method, const char *path, const char *ctype, const char *body,
                    bench_fixbuf *out) {
  char url[512], ct[128];
  snprintf(url, sizeof url, "%s%s", sim.url, path);
  snprintf(ct, sizeof ct, "Content-Type: %s", ctype);
  bench_fixbuf dummy = {.n = 0};
  if (!out) out = &dummy;
  out->n = 0;
  out->s[0] = '\0';
  struct curl_slist *h = curl_slist_append(NULL, ct);
  curl_easy_setopt(c, CURLOPT_URL, url);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, bench_curl_keep);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
  if (body) {
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
  } else {
    curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
  }
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
  long code = 0;
  if (curl_easy_perform(c) == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
  curl_slist_free_all(h);
  return code;
}

static void uid_from(const bench_fixbuf *b, char out[40]) {
  const char *u = strstr(b->s, "\"uid\":\"");
  out[0] = '\0';
  if (u) sscanf(u + 7, "%39[^\"]", out);
}

static void *create_deps(void *arg) {
  long id = (long)arg;
  CURL *c = curl_easy_init();
  char body[1024];
  for (int o = (int)id; o < nowners; o += WRITERS) {
    for (int k = 0; k < 9; k++) {
      snprintf(body, sizeof body,
               "{\"metadata\":{\"name\":\"d%d-%d\",\"labels\":{\"cluster\":\"c%d\"},\"ownerReferences\":[{"
               "\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"name\":\"o%d\",\"uid\":\"%s\","
               "\"controller\":true,\"blockOwnerDeletion\":true}]},\"data\":{\"k\":\"v\"}}",
               o, k, o, o, owner_uid[o]);
      if (request(c, "POST", CM, "application/json", body, NULL) != 201) fprintf(stderr, "create d%d-%d failed\n", o, k);
    }
  }
  curl_easy_cleanup(c);
  return NULL;
}

static long patches[WRITERS];

static void *patcher(void *arg) {
  long id = (long)arg;
  CURL *c = curl_easy_init();
  unsigned seed = (unsigned)id * 7919u + 1;
  char path[256], body[128];
  while (!stop_flag) {
    int o = (int)(rand_r(&seed) % (unsigned)nowners), k = (int)(rand_r(&seed) % 9u);
    snprintf(path, sizeof path, CM "/d%d-%d", o, k);
    snprintf(body, sizeof body, "{\"data\":{\"k\":\"%u\"}}", rand_r(&seed));
    if (request(c, "PATCH", path, "application/merge-patch+json", body, NULL) == 200) patches[id]++;
  }
  curl_easy_cleanup(c);
  return NULL;
}

static double *lat;
static size_t nlat, caplat;

static void *reader(void *arg) {
  (void)arg;
  CURL *c = curl_easy_init();
  unsigned seed = 4242;
  char path[256];
  while (!stop_flag) {
    int o = (int)(rand_r(&seed) % (unsigned)nowners), k = (int)(rand_r(&seed) % 9u);
    snprintf(path, sizeof path, CM "/d%d-%d", o, k);
    double t0 = bench_now();
    long code = request(c, "GET", path, "application/json", NULL, NULL);
    double dt = bench_now() - t0;
    if (code != 200) continue;
    if (nlat == caplat) {
      caplat = caplat ? caplat * 2 : 4096;
      lat = realloc(lat, caplat * sizeof *lat);
      if (!lat) abort();
    }
    lat[nlat++] = dt;
  }
  curl_easy_cleanup(c);
  return NULL;
}

static int cmpd(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static double cpu_s(pid_t pid) {
  char p[64];
  snprintf(p, sizeof p, "/proc/%d/stat", (int)pid);
  FILE *f = fopen(p, "r");
  if (!f) return -1;
  char buf[2048];
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = '\0';
  char *s = strrchr(buf, ')');
  unsigned long ut = 0, st = 0;
  if (!s || sscanf(s + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2) return -1;
  return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

int main(int argc, char **argv) {
  if (argc > 1) nobj = atoi(argv[1]);
  if (argc > 2) secs = atoi(argv[2]);
  const char *bin = argc > 3 ? argv[3] : simproc_bin("capz-kube-sim");
  nowners = nobj / 10 > 0 ? nobj / 10 : 1;
  curl_global_init(CURL_GLOBAL_DEFAULT);
  if (simproc_start(&sim, bin, NULL) != 0) {
    fprintf(stderr, "cannot start %s\n", bin);
    return 1;
  }
  owner_uid = calloc((size_t)nowners, sizeof *owner_uid);
  CURL *c = curl_easy_init();
  bench_fixbuf b;
  char body[256];
  double t0 = bench_now();
  for (int o = 0; o < nowners; o++) {
    snprintf(body, sizeof body, "{\"metadata\":{\"name\":\"o%d\"},\"data\":{\"k\":\"v\"}}", o);
    if (request(c, "POST", CM, "application/json", body, &b) != 201) fprintf(stderr, "create o%d failed\n", o);
    uid_from(&b, owner_uid[o]);
  }
  pthread_t th[WRITERS + 1];
  for (long i = 0; i < WRITERS; i++) pthread_create(&th[i], NULL, create_deps, (void *)i);
  for (int i = 0; i < WRITERS; i++) pthread_join(th[i], NULL);
  double t1 = bench_now();
  int total = nowners * 10;
  printf("objects %d (%d owners x 9 dependents): created in %.2f s, %.0f creates/s\n", total, nowners, t1 - t0,
         total / (t1 - t0));
  fflush(stdout);
  sleep(1); /* let a GC pass triggered by the creates finish */

  double c0 = cpu_s(sim.pid), m0 = bench_now();
  for (long i = 0; i < WRITERS; i++) pthread_create(&th[i], NULL, patcher, (void *)i);
  pthread_create(&th[WRITERS], NULL, reader, NULL);
  sleep((unsigned)secs);
  stop_flag = 1;
  for (int i = 0; i <= WRITERS; i++) pthread_join(th[i], NULL);
  double m1 = bench_now(), c1 = cpu_s(sim.pid);
  long np = 0;
  for (int i = 0; i < WRITERS; i++) np += patches[i];
  qsort(lat, nlat, sizeof *lat, cmpd);
  printf("mixed %.1f s: %.0f owned-object patches/s (%d threads); GET x%zu p50 %.2f ms p99 %.2f ms max %.2f ms; "
         "emulator CPU %.0f %%\n",
         m1 - m0, np / (m1 - m0), WRITERS, nlat, nlat ? lat[nlat / 2] * 1e3 : 0, nlat ? lat[nlat * 99 / 100] * 1e3 : 0,
         nlat ? lat[nlat - 1] * 1e3 : 0, 100.0 * (c1 - c0) / (m1 - m0));
  if (request(c, "GET", "/_sim/stats", "application/json", NULL, &b) == 200) printf("stats %s\n", b.s);
  curl_easy_cleanup(c);
  simproc_stop(&sim);
  free(owner_uid);
  free(lat);
  curl_global_cleanup();
  return 0;
}
