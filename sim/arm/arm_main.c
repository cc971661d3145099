/* arm_main.c — capz-arm-sim entry point: arguments, config, start, READY line, clean SIGTERM. */
#include "arm_http.h"
#include "arm_sim.h"

#include <capz/json.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(void) {
  fprintf(stderr,
          "usage: capz-arm-sim --listen HOST:PORT [--config FILE] [--allow-remote]\n"
          "  Serves ARM (/subscriptions/..., /providers/...), the Entra token endpoint and IMDS on one port.\n"
          "  HOST must be a loopback address unless --allow-remote is given. See docs/arm-sim.md.\n");
}

static char *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  size_t cap = 65536, n = 0;
  char *b = malloc(cap);
  while (b) {
    if (n + 4096 > cap) {
      char *nb = realloc(b, cap * 2);
      if (!nb) { free(b); b = NULL; break; }
      b = nb;
      cap *= 2;
    }
    size_t r = fread(b + n, 1, cap - n - 1, f);
    n += r;
    if (r == 0) break;
  }
  fclose(f);
  if (b) { b[n] = '\0'; *len = n; }
  return b;
}

/* YAML is a superset of JSON, so one loader serves both (the first document is the config). */
static cJSON *load_config(const char *path, char *err, size_t errlen) {
  size_t len = 0;
  char *text = read_file(path, &len);
  if (!text) { snprintf(err, errlen, "cannot read %s", path); return NULL; }
  capz_err e;
  capz_err_clear(&e);
  cJSON *docs = capz_yaml_to_json(text, len, &e);
  free(text);
  if (!docs) { snprintf(err, errlen, "%.200s: %.300s", path, e.msg); return NULL; }
  cJSON *first = cJSON_DetachItemFromArray(docs, 0);
  cJSON_Delete(docs);
  if (!first) first = cJSON_CreateObject();
  return first;
}

static int ctx_init(arm_ctx *c, const cJSON *cfgj, bool allow_remote, char *err, size_t errlen) {
  memset(c, 0, sizeof *c);
  pthread_mutex_init(&c->mu, NULL);
  arm_cfg_defaults(&c->cfg);
  c->cfg.allow_remote = allow_remote;
  if (arm_cfg_load(&c->cfg, cfgj, err, errlen)) return -1;
  c->auth = arm_auth_new(cfgj ? cJSON_GetObjectItemCaseSensitive(cfgj, "auth") : NULL, err, errlen);
  if (!c->auth) return -1;
  c->store = arm_store_new();
  c->lro = arm_lro_new();
  c->ipam = arm_ipam_new();
  c->throttle = arm_throttle_new(&c->cfg.throttle);
  c->faults = arm_faults_new();
  c->log = arm_reqlog_new(c->cfg.keep_bodies);
  if (!c->store || !c->lro || !c->ipam || !c->throttle || !c->faults || !c->log) {
    snprintf(err, errlen, "out of memory");
    return -1;
  }
  return 0;
}

static void ctx_free(arm_ctx *c) {
  arm_store_free(c->store);
  arm_lro_free(c->lro);
  arm_ipam_free(c->ipam);
  arm_throttle_free(c->throttle);
  arm_faults_free(c->faults);
  arm_reqlog_free(c->log);
  if (c->auth) arm_auth_free(c->auth);
  arm_cfg_free(&c->cfg);
  pthread_mutex_destroy(&c->mu);
}

static bool is_loopback(const char *host) { return strncmp(host, "127.", 4) == 0; }

int main(int argc, char **argv) {
  const char *listen = NULL, *config = NULL;
  bool allow_remote = false;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--listen") == 0 && i + 1 < argc) listen = argv[++i];
    else if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) config = argv[++i];
    else if (strcmp(argv[i], "--allow-remote") == 0) allow_remote = true;
    else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) { usage(); return 0; }
    else { fprintf(stderr, "capz-arm-sim: unknown argument '%s'\n", argv[i]); usage(); return 2; }
  }
  if (!listen) { usage(); return 2; }
  char host[64];
  int port = 0;
  const char *colon = strrchr(listen, ':');
  if (!colon || (size_t)(colon - listen) >= sizeof host || sscanf(colon + 1, "%d", &port) != 1 || port < 0 || port > 65535) {
    fprintf(stderr, "capz-arm-sim: --listen expects HOST:PORT\n");
    return 2;
  }
  memcpy(host, listen, (size_t)(colon - listen));
  host[colon - listen] = '\0';
  if (strcmp(host, "localhost") == 0) snprintf(host, sizeof host, "127.0.0.1");
  if (!is_loopback(host) && !allow_remote) {
    fprintf(stderr, "capz-arm-sim: refusing to listen on non-loopback %s without --allow-remote\n", host);
    return 2;
  }

  /* Block the termination signals in every thread; main waits for them with sigwait. */
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, NULL);
  signal(SIGPIPE, SIG_IGN);

  char err[512] = "";
  cJSON *cfgj = NULL;
  if (config && !(cfgj = load_config(config, err, sizeof err))) {
    fprintf(stderr, "capz-arm-sim: %s\n", err);
    return 1;
  }
  static arm_ctx ctx;
  if (ctx_init(&ctx, cfgj, allow_remote, err, sizeof err)) {
    fprintf(stderr, "capz-arm-sim: config: %s\n", err);
    cJSON_Delete(cfgj);
    ctx_free(&ctx);
    return 1;
  }
  cJSON_Delete(cfgj);
  arm_http *h = arm_http_start(&ctx, host, port, err, sizeof err);
  if (!h) {
    fprintf(stderr, "capz-arm-sim: %s\n", err);
    ctx_free(&ctx);
    return 1;
  }
  snprintf(ctx.base_url, sizeof ctx.base_url, "http://%s:%d", host, arm_http_port(h));
  arm_auth_set_base_url(ctx.auth, ctx.base_url);
  printf("READY %s\n", ctx.base_url);
  fflush(stdout);
  fprintf(stderr, "capz-arm-sim: serving ARM, Entra token endpoint and IMDS at %s\n", ctx.base_url);

  int sig = 0;
  sigwait(&set, &sig);
  fprintf(stderr, "capz-arm-sim: signal %d, shutting down\n", sig);
  arm_http_stop(h);
  ctx_free(&ctx);
  return 0;
}
