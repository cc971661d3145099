/* arm_sim_bench.c — requests per second of capz-arm-sim for GET (a VNet with subnets) and PUT (route
 * tables, each PUT starting an LRO), with N client threads on keep-alive connections.
 * Usage: arm_sim_bench [seconds-per-phase (default 5)] [threads (default 2)]
 * Needs CAPZ_BUILD_DIR (or run from the build directory). */
#include <capz/json.h>
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

#define SUB "/subscriptions/22222222-2222-4222-8222-222222222222"
#define RG SUB "/resourceGroups/bench"
#define NET RG "/providers/Microsoft.Network"

static simproc sim;
static char auth[8300];
static double seconds = 5;

static long request(CURL *c, const char *method, const char *path, const char *body, bench_fixbuf *cap) {
  char url[1024];
  snprintf(url, sizeof url, "%s%s", sim.url, path);
  struct curl_slist *h = curl_slist_append(NULL, auth);
  h = curl_slist_append(h, "Content-Type: application/json");
  curl_easy_setopt(c, CURLOPT_URL, url);
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
  curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
  if (body) curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
  else curl_easy_setopt(c, CURLOPT_HTTPGET, strcmp(method, "GET") == 0 ? 1L : 0L);
  if (strcmp(method, "GET") == 0) curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, NULL);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, cap ? bench_curl_keep : bench_curl_count);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, cap);
  long code = 0;
  if (curl_easy_perform(c) == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
  curl_slist_free_all(h);
  return code;
}

typedef struct worker {
  int id;
  int put;
  long ok, bad;
} worker;

static void *run(void *arg) {
  worker *w = arg;
  CURL *c = curl_easy_init();
  double end = bench_now() + seconds;
  long i = 0;
  while (bench_now() < end) {
    long code;
    if (w->put) {
      char path[256];
      snprintf(path, sizeof path, NET "/routeTables/rt-%d-%ld?api-version=2024-05-01", w->id, i++ % 500);
      code = request(c, "PUT", path, "{\"location\":\"eastus\",\"tags\":{\"bench\":\"1\"}}", NULL);
    } else {
      code = request(c, "GET", NET "/virtualNetworks/vnet?api-version=2024-05-01", NULL, NULL);
    }
    if (code >= 200 && code < 300) w->ok++;
    else w->bad++;
  }
  curl_easy_cleanup(c);
  return NULL;
}

static void phase(const char *name, int put, int threads) {
  pthread_t t[64];
  worker w[64];
  double t0 = bench_now();
  for (int i = 0; i < threads; i++) {
    w[i] = (worker){.id = i, .put = put};
    pthread_create(&t[i], NULL, run, &w[i]);
  }
  long ok = 0, bad = 0;
  for (int i = 0; i < threads; i++) {
    pthread_join(t[i], NULL);
    ok += w[i].ok;
    bad += w[i].bad;
  }
  double dt = bench_now() - t0;
  printf("%-4s threads=%d requests=%ld errors=%ld seconds=%.2f rps=%.0f\n", name, threads, ok, bad, dt, ok / dt);
}

int main(int argc, char **argv) {
  if (argc > 1) seconds = atof(argv[1]);
  int threads = argc > 2 ? atoi(argv[2]) : 2;
  if (threads < 1 || threads > 64) threads = 2;
  curl_global_init(CURL_GLOBAL_DEFAULT);
  char cfg[] = "/tmp/capz-arm-sim-bench-XXXXXX";
  int fd = mkstemp(cfg);
  if (fd < 0) return 1;
  const char *text = "lro: {defaultSeconds: 0}\nthrottling: {enabled: false}\nrequestLog: {keepBodies: 50}\n";
  if (write(fd, text, strlen(text)) < 0) return 1;
  close(fd);
  const char *extra[] = {"--config", cfg, NULL};
  if (simproc_start(&sim, simproc_bin("capz-arm-sim"), extra) != 0) return 1;
  unlink(cfg);
  CURL *c = curl_easy_init();
  bench_fixbuf cap = {.n = 0};
  snprintf(auth, sizeof auth, "Content-Type: application/x-www-form-urlencoded");
  char url[512];
  snprintf(url, sizeof url, "%s/11111111-1111-4111-8111-111111111111/oauth2/v2.0/token", sim.url);
  curl_easy_setopt(c, CURLOPT_URL, url);
  curl_easy_setopt(c, CURLOPT_POSTFIELDS,
                   "grant_type=client_credentials&client_id=33333333-3333-4333-8333-333333333333&client_secret=capz-sim-secret"
                   "&scope=https%3A%2F%2Fmanagement.azure.com%2F.default");
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, bench_curl_keep);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &cap);
  curl_easy_perform(c);
  cJSON *tok = cJSON_Parse(cap.s);
  const char *t = capz_json_ptr_str(tok, "/access_token", NULL);
  if (!t) { fprintf(stderr, "no token: %s\n", cap.s); simproc_stop(&sim); return 1; }
  snprintf(auth, sizeof auth, "Authorization: Bearer %s", t);
  cJSON_Delete(tok);
  curl_easy_reset(c);
  request(c, "PUT", RG "?api-version=2021-04-01", "{\"location\":\"eastus\"}", NULL);
  request(c, "PUT", NET "/virtualNetworks/vnet?api-version=2024-05-01",
          "{\"location\":\"eastus\",\"properties\":{\"addressSpace\":{\"addressPrefixes\":[\"10.0.0.0/16\"]},\"subnets\":["
          "{\"name\":\"a\",\"properties\":{\"addressPrefix\":\"10.0.1.0/24\"}},{\"name\":\"b\",\"properties\":{\"addressPrefix\":\"10.0.2.0/24\"}}]}}",
          NULL);
  long code = request(c, "GET", NET "/virtualNetworks/vnet?api-version=2024-05-01", NULL, NULL);
  curl_easy_cleanup(c);
  if (code != 200) { fprintf(stderr, "setup failed (%ld)\n", code); simproc_stop(&sim); return 1; }
  phase("GET", 0, threads);
  phase("PUT", 1, threads);
  simproc_stop(&sim);
  curl_global_cleanup();
  return 0;
}
