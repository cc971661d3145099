/* main.c — capz-kube-sim: command line, startup (READY line, kubeconfig), clean shutdown on
 * SIGTERM/SIGINT. See docs/kube-sim.md. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube_http.h"

void crd_free_graveyard(void);
void schema_free_cache(void);

static void usage(FILE *f) {
  fprintf(f,
          "usage: capz-kube-sim --listen HOST:PORT [--kubeconfig-out FILE] [--allow-remote] [--no-gc]\n"
          "                     [--max-body BYTES] [--history EVENTS] [--watch-timeout S] [--bookmark-interval S]\n"
          "A Kubernetes API server emulator for tests. PORT 0 picks a free port; prints `READY <url>` when serving.\n");
}

static int parse_listen(const char *s, struct sockaddr_storage *ss, bool allow_remote) {
  char host[256];
  const char *colon = strrchr(s, ':');
  if (!colon) return -1;
  size_t hn = (size_t)(colon - s);
  if (hn >= sizeof host) return -1;
  memcpy(host, s, hn);
  host[hn] = '\0';
  char *end;
  long port = strtol(colon + 1, &end, 10);
  if (*end || port < 0 || port > 65535) return -1;
  memset(ss, 0, sizeof *ss);
  if (strcmp(host, "localhost") == 0) snprintf(host, sizeof host, "127.0.0.1");
  if (host[0] == '[' && hn > 2 && host[hn - 1] == ']') {
    memmove(host, host + 1, hn - 2);
    host[hn - 2] = '\0';
  }
  struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
  struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
  if (inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
    a4->sin_family = AF_INET;
    a4->sin_port = htons((uint16_t)port);
    if (!allow_remote && (ntohl(a4->sin_addr.s_addr) >> 24) != 127) return -2;
    return 0;
  }
  if (inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
    a6->sin6_family = AF_INET6;
    a6->sin6_port = htons((uint16_t)port);
    if (!allow_remote && !IN6_IS_ADDR_LOOPBACK(&a6->sin6_addr)) return -2;
    return 0;
  }
  return -1;
}

static int write_kubeconfig(const char *path, const char *url) {
  FILE *f = fopen(path, "w");
  if (!f) return -1;
  fprintf(f,
          "apiVersion: v1\nkind: Config\nclusters:\n- name: kube-sim\n  cluster:\n    server: %s\n"
          "contexts:\n- name: kube-sim\n  context:\n    cluster: kube-sim\n    user: kube-sim\n    namespace: default\n"
          "current-context: kube-sim\nusers:\n- name: kube-sim\n  user:\n    token: kube-sim-token\npreferences: {}\n",
          url);
  return fclose(f);
}

int main(int argc, char **argv) {
  const char *listen = NULL, *kubeconfig = NULL;
  bool allow_remote = false;
  size_t history = 20000; /* like etcd compaction: bounded memory for long runs (~60 MB of 3 KB objects) */
  KS.gc_enabled = true;
  KS.max_body = 3u << 20;
  KS.watch_default_timeout = 1800;
  KS.bookmark_interval = 60;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(a, "--listen") == 0 && v) {
      listen = v;
      i++;
    } else if (strcmp(a, "--kubeconfig-out") == 0 && v) {
      kubeconfig = v;
      i++;
    } else if (strcmp(a, "--allow-remote") == 0) {
      allow_remote = true;
    } else if (strcmp(a, "--no-gc") == 0) {
      KS.gc_enabled = false;
    } else if (strcmp(a, "--max-body") == 0 && v) {
      KS.max_body = strtoull(v, NULL, 10);
      i++;
    } else if (strcmp(a, "--history") == 0 && v) {
      history = strtoull(v, NULL, 10);
      i++;
    } else if (strcmp(a, "--watch-timeout") == 0 && v) {
      KS.watch_default_timeout = (unsigned)strtoul(v, NULL, 10);
      i++;
    } else if (strcmp(a, "--bookmark-interval") == 0 && v) {
      KS.bookmark_interval = (unsigned)strtoul(v, NULL, 10);
      i++;
    } else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
      usage(stdout);
      return 0;
    } else {
      usage(stderr);
      return 2;
    }
  }
  if (!listen) {
    usage(stderr);
    return 2;
  }
  if (!KS.max_body) KS.max_body = 3u << 20;
  if (!KS.bookmark_interval) KS.bookmark_interval = 60;
  struct sockaddr_storage ss;
  int pr = parse_listen(listen, &ss, allow_remote);
  if (pr == -2) {
    fprintf(stderr, "capz-kube-sim: refusing to listen on non-loopback address %s (use --allow-remote)\n", listen);
    return 2;
  }
  if (pr != 0) {
    fprintf(stderr, "capz-kube-sim: bad --listen address %s\n", listen);
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  sigset_t sigs;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGTERM);
  sigaddset(&sigs, SIGINT);
  pthread_sigmask(SIG_BLOCK, &sigs, NULL); /* every thread inherits the mask; main waits below */

  evlog_init(history);
  KS_LOCK();
  store_init();
  KS_UNLOCK();
  void *d = http_start((struct sockaddr *)&ss);
  if (!d) {
    fprintf(stderr, "capz-kube-sim: cannot listen on %s: %s\n", listen, strerror(errno));
    return 1;
  }
  gc_start();
  int port = http_port(d);
  char host[100], url[256];
  if (ss.ss_family == AF_INET6) {
    char a[INET6_ADDRSTRLEN];
    inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, a, sizeof a);
    snprintf(host, sizeof host, "[%s]", a);
  } else {
    inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, host, sizeof host);
  }
  snprintf(url, sizeof url, "http://%s:%d", host, port);
  snprintf(KS.listen_addr, sizeof KS.listen_addr, "%s:%d", host, port);
  if (kubeconfig && write_kubeconfig(kubeconfig, url) != 0) {
    fprintf(stderr, "capz-kube-sim: cannot write kubeconfig %s: %s\n", kubeconfig, strerror(errno));
    gc_stop();
    http_stop(d);
    return 1;
  }
  printf("READY %s\n", url);
  fflush(stdout);
  fprintf(stderr, "capz-kube-sim: serving %s\n", url);

  int sig = 0;
  sigwait(&sigs, &sig);
  fprintf(stderr, "capz-kube-sim: signal %d, shutting down\n", sig);
  KS_LOCK();
  KS.shutting_down = true;
  pthread_cond_broadcast(&KS.cond);
  KS_UNLOCK();
  gc_stop();
  http_stop(d);
  KS_LOCK();
  store_free_all();
  evlog_free();
  crd_free_graveyard();
  schema_free_cache();
  KS_UNLOCK();
  control_free();
  return 0;
}
