/* kube_sim_bench — capz-kube-sim under load: N custom objects of ~3 KB each (default 10000).
 * Reports the create rate (4 client threads, keep-alive), the time of one full list, the watch
 * fan-out rate to 10 watchers (events delivered per second across all watchers), and the
 * emulator's RSS growth per stored object. Usage: kube_sim_bench [N]   (CAPZ_BUILD_DIR locates the binary) */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bench_http.h"
#include "bench_proc.h"
#include "bench_util.h"
#include "simproc.h"

#define WATCHERS 10
#define THREADS 4

static simproc sim;
static int nobj = 10000;
static char filler[2900];

static long request(CURL *c, const char *method, const char *path, const char *body, size_t *bytes) {
  char url[512];
  snprintf(url, sizeof url, "%s%s", sim.url, path);
  struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
  curl_easy_setopt(c, CURLOPT_URL, url);
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, bench_curl_count);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, bytes);
  if (body) {
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
  } else {
    curl_easy_setopt(c, CURLOPT_HTTPGET, 1L); /* forget an earlier POST body */
  }
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
  long code = 0;
  if (curl_easy_perform(c) == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
  curl_slist_free_all(h);
  return code;
}

typedef struct wstate {
  pthread_t th;
  int fd;
  long lines;
  double done_at;
} wstate;
static wstate ws[WATCHERS];

static void *watcher(void *arg) {
  wstate *w = arg;
  char buf[65536], prev = 0;
  for (;;) {
    ssize_t n = read(w->fd, buf, sizeof buf);
    if (n <= 0) break;
    /* an event line ends "}\n"; HTTP header and chunk-framing lines end "\r\n" */
    for (ssize_t i = 0; i < n; i++) {
      if (buf[i] == '\n' && prev == '}') w->lines++;
      prev = buf[i];
    }
    if (w->lines >= nobj) {
      w->done_at = bench_now();
      break;
    }
  }
  return NULL;
}

static int open_watch_from(const char *rv) {
  int port = atoi(strrchr(sim.url, ':') + 1);
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
  if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) return -1;
  char req[256];
  snprintf(req, sizeof req,
           "GET /apis/bench.example.com/v1/namespaces/default/blobs?watch=true&resourceVersion=%s HTTP/1.1\r\n"
           "Host: b\r\n\r\n",
           rv);
  if (write(fd, req, strlen(req)) < 0) return -1;
  return fd;
}

static char start_rv[32];

/* RV of the collection now (before the creates). */
static void read_rv(void) {
  CURL *c = curl_easy_init();
  char url[512];
  snprintf(url, sizeof url, "%s/apis/bench.example.com/v1/namespaces/default/blobs?limit=1", sim.url);
  bench_fixbuf b = {.n = 0};
  curl_easy_setopt(c, CURLOPT_URL, url);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, bench_curl_keep);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
  curl_easy_perform(c);
  curl_easy_cleanup(c);
  const char *p = strstr(b.s, "\"resourceVersion\":\"");
  if (p) sscanf(p + 19, "%31[0-9]", start_rv);
}

typedef struct cstate {
  pthread_t th;
  int from, to, errors;
} cstate;

static void *creator(void *arg) {
  cstate *cs = arg;
  CURL *c = curl_easy_init();
  char *body = malloc(sizeof filler + 512);
  for (int i = cs->from; i < cs->to; i++) {
    snprintf(body, sizeof filler + 512,
             "{\"apiVersion\":\"bench.example.com/v1\",\"kind\":\"Blob\",\"metadata\":{\"name\":\"blob-%06d\","
             "\"labels\":{\"app\":\"bench\",\"shard\":\"s%d\"}},\"spec\":{\"index\":%d,\"payload\":\"%s\"}}",
             i, i % 16, i, filler);
    if (request(c, "POST", "/apis/bench.example.com/v1/namespaces/default/blobs", body, NULL) != 201) cs->errors++;
  }
  free(body);
  curl_easy_cleanup(c);
  return NULL;
}

int main(int argc, char **argv) {
  if (argc > 1) nobj = atoi(argv[1]);
  memset(filler, 'x', sizeof filler - 1);
  filler[sizeof filler - 1] = '\0';
  curl_global_init(CURL_GLOBAL_ALL);
  if (simproc_start(&sim, simproc_bin("capz-kube-sim"), NULL) != 0) return 1;
  CURL *c = curl_easy_init();
  const char *crd =
      "{\"metadata\":{\"name\":\"blobs.bench.example.com\"},\"spec\":{\"group\":\"bench.example.com\",\"scope\":"
      "\"Namespaced\",\"names\":{\"plural\":\"blobs\",\"kind\":\"Blob\"},\"versions\":[{\"name\":\"v1\",\"served\":"
      "true,\"storage\":true,\"schema\":{\"openAPIV3Schema\":{\"type\":\"object\",\"properties\":{\"spec\":{\"type\":"
      "\"object\",\"properties\":{\"index\":{\"type\":\"integer\"},\"payload\":{\"type\":\"string\",\"maxLength\":"
      "4096}}}}}}}]}}";
  if (request(c, "POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd, NULL) != 201) {
    fprintf(stderr, "CRD create failed\n");
    simproc_stop(&sim);
    return 1;
  }
  usleep(100000);
  read_rv();
  long rss0 = bproc_rss_kb(sim.pid);
  for (int i = 0; i < WATCHERS; i++) {
    ws[i].fd = open_watch_from(start_rv);
    pthread_create(&ws[i].th, NULL, watcher, &ws[i]);
  }
  usleep(200000);
  double t0 = bench_now();
  cstate cs[THREADS];
  for (int i = 0; i < THREADS; i++) {
    cs[i].from = nobj * i / THREADS;
    cs[i].to = nobj * (i + 1) / THREADS;
    cs[i].errors = 0;
    pthread_create(&cs[i].th, NULL, creator, &cs[i]);
  }
  int errors = 0;
  for (int i = 0; i < THREADS; i++) {
    pthread_join(cs[i].th, NULL);
    errors += cs[i].errors;
  }
  double t1 = bench_now();
  double last = t1;
  for (int i = 0; i < WATCHERS; i++) {
    pthread_join(ws[i].th, NULL);
    if (ws[i].done_at > last) last = ws[i].done_at;
    close(ws[i].fd);
  }
  long delivered = 0;
  for (int i = 0; i < WATCHERS; i++) delivered += ws[i].lines;
  usleep(300000);
  long rss1 = bproc_rss_kb(sim.pid);
  /* replay: 10 new watches resume from the RV before the creates and drain the history at full speed */
  memset(ws, 0, sizeof ws);
  double r0 = bench_now();
  for (int i = 0; i < WATCHERS; i++) {
    ws[i].fd = open_watch_from(start_rv);
    pthread_create(&ws[i].th, NULL, watcher, &ws[i]);
  }
  double rlast = r0;
  long replayed = 0;
  for (int i = 0; i < WATCHERS; i++) {
    pthread_join(ws[i].th, NULL);
    if (ws[i].done_at > rlast) rlast = ws[i].done_at;
    replayed += ws[i].lines;
    close(ws[i].fd);
  }
  size_t bytes = 0;
  double l0 = bench_now();
  long code = request(c, "GET", "/apis/bench.example.com/v1/namespaces/default/blobs", NULL, &bytes);
  double l1 = bench_now();
  size_t pbytes = 0;
  double p0 = bench_now();
  long pcode = request(c, "GET", "/apis/bench.example.com/v1/namespaces/default/blobs?limit=500&labelSelector=shard%3Ds3",
                       NULL, &pbytes);
  double p1 = bench_now();
  printf("objects: %d (~%zu B each), create errors: %d\n", nobj, sizeof filler + 150, errors);
  printf("create rate: %.0f objects/s (%d client threads, %.2fs)\n", nobj / (t1 - t0), THREADS, t1 - t0);
  printf("watch fan-out (live, paced by the creates): %d watchers, %ld events in %.2fs = %.0f events/s\n", WATCHERS, delivered, last - t0,
         delivered / (last - t0));
  printf("watch replay from history: %d watchers, %ld events in %.2fs = %.0f events/s\n", WATCHERS, replayed,
         rlast - r0, replayed / (rlast - r0));
  printf("full list: HTTP %ld, %.1f MB in %.3fs\n", code, bytes / 1e6, l1 - l0);
  printf("filtered page (limit=500, label selector): HTTP %ld, %.2f MB in %.3fs\n", pcode, pbytes / 1e6, p1 - p0);
  printf("RSS: %ld kB before, %ld kB after; %.0f bytes per stored object (incl. event history)\n", rss0, rss1,
         (rss1 - rss0) * 1024.0 / nobj);
  curl_easy_cleanup(c);
  simproc_stop(&sim);
  curl_global_cleanup();
  return errors ? 1 : 0;
}
