/* azure_sdk_bench.c — how many ARM calls, and how much limiter waiting, it takes to create N resources through
 * capz_arm_ensure and to re-reconcile them in steady state and at the drift interval, against capz-arm-sim.
 *
 *   azure_sdk_bench [--n 1000] [--read-rate 20] [--write-rate 8] [--read-burst 200] [--write-burst 160]
 *                   [--lro-seconds 0.2]
 * Defaults are the SDK's default limiter settings (under ARM's per-principal limits). */
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "capz/azure.h"
#include "capz/sdk.h"
#include "simproc.h"

/* Built-in capz-arm-sim principal (sim/arm/auth.c defaults, docs/arm-sim-auth.md). */
#define SIM_TENANT "11111111-1111-4111-8111-111111111111"
#define SIM_SUB "22222222-2222-4222-8222-222222222222"
#define SIM_CLIENT "33333333-3333-4333-8333-333333333333"
#define SIM_SECRET "capz-sim-secret"
#define RG "/subscriptions/" SIM_SUB "/resourceGroups/bench"

static double mono(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double fake_now;
static double fake_clock(void *ud) {
  (void)ud;
  return fake_now;
}

static void print_delta(const char *phase, const capz_arm_stats *a, const capz_arm_stats *b, double wall) {
  printf("%-22s requests=%-6llu reads=%-6llu writes=%-6llu deletes=%-4llu lro_polls=%-5llu retries=%-3llu "
         "429s=%-3llu limiter_wait=%7.2fs wall=%7.2fs\n",
         phase, (unsigned long long)(b->requests - a->requests), (unsigned long long)(b->reads - a->reads),
         (unsigned long long)(b->writes - a->writes), (unsigned long long)(b->deletes - a->deletes),
         (unsigned long long)(b->lro_polls - a->lro_polls), (unsigned long long)(b->retries - a->retries),
         (unsigned long long)(b->throttled - a->throttled), b->limiter_wait_s - a->limiter_wait_s, wall);
}

static void sim_totals(capz_arm_client *c, const char *url) {
  char u[512];
  snprintf(u, sizeof u, "%s/_sim/requests?last=0", url);
  capz_arm_response r;
  capz_err err;
  if (capz_arm_do(c, "GET", u, NULL, NULL, &r, &err) == 0) {
    char *m = cJSON_PrintUnformatted(cJSON_GetObjectItem(r.body, "byMethod"));
    char *s = cJSON_PrintUnformatted(cJSON_GetObjectItem(r.body, "byStatus"));
    printf("emulator request log: total=%.0f byMethod=%s byStatus=%s\n",
           cJSON_GetNumberValue(cJSON_GetObjectItem(r.body, "total")), m ? m : "?", s ? s : "?");
    free(m);
    free(s);
  } else {
    printf("emulator request log unavailable: %s\n", err.msg);
  }
  capz_arm_response_free(&r);
}

int main(int argc, char **argv) {
  int n = 1000;
  double lro_s = 0.2;
  capz_arm_limits lim;
  capz_arm_limits_default(&lim);
  for (int i = 1; i + 1 < argc; i += 2) {
    double v = atof(argv[i + 1]);
    if (strcmp(argv[i], "--n") == 0) n = (int)v;
    else if (strcmp(argv[i], "--read-rate") == 0) lim.read.per_second = v;
    else if (strcmp(argv[i], "--write-rate") == 0) lim.write.per_second = lim.del.per_second = v;
    else if (strcmp(argv[i], "--read-burst") == 0) lim.read.burst = v;
    else if (strcmp(argv[i], "--write-burst") == 0) lim.write.burst = lim.del.burst = v;
    else if (strcmp(argv[i], "--lro-seconds") == 0) lro_s = v;
    else {
      fprintf(stderr, "unknown option %s\n", argv[i]);
      return 2;
    }
  }
  if (!getenv("CAPZ_BUILD_DIR")) {
    char exe[PATH_MAX];
    ssize_t l = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (l > 0) {
      exe[l] = '\0';
      setenv("CAPZ_BUILD_DIR", dirname(dirname(exe)), 1); /* <build>/bench/azure_sdk_bench */
    }
  }
  char cfgpath[] = "/tmp/capz-azbench-XXXXXX";
  int fd = mkstemp(cfgpath);
  if (fd < 0) return 1;
  char cfg[256];
  int cl = snprintf(cfg, sizeof cfg, "{\"lro\":{\"defaultSeconds\":%g,\"retryAfterSeconds\":1}}\n", lro_s);
  if (write(fd, cfg, (size_t)cl) != cl) return 1;
  close(fd);
  simproc sim;
  const char *args[] = {"--config", cfgpath, NULL};
  if (simproc_start(&sim, simproc_bin("capz-arm-sim"), args) != 0) {
    unlink(cfgpath);
    return 1;
  }
  capz_err err;
  capz_sdk_global_init(&err);
  char js[1024];
  snprintf(js, sizeof js,
           "{\"name\":\"sim\",\"armEndpoint\":\"%s\",\"authorityHost\":\"%s\",\"imdsEndpoint\":\"%s\","
           "\"tokenAudience\":\"https://management.azure.com/\"}",
           sim.url, sim.url, sim.url);
  cJSON *cj = cJSON_Parse(js);
  capz_az_cloud cloud;
  capz_az_cloud_from_json(cj, &cloud, &err);
  cJSON_Delete(cj);
  capz_az_identity id = {.type = CAPZ_AZ_ID_SERVICE_PRINCIPAL, .tenant_id = SIM_TENANT, .client_id = SIM_CLIENT,
                         .secret = (const unsigned char *)SIM_SECRET, .secret_len = strlen(SIM_SECRET)};
  capz_az_credential *cred = capz_az_credential_new(&cloud, &id, NULL, &err);
  capz_arm_limiter *limiter = capz_arm_limiter_new(&lim, NULL, NULL);
  capz_arm_client_config cc = {.cloud = &cloud, .credential = cred, .limiter = limiter};
  capz_arm_client *c = cred && limiter ? capz_arm_client_new(&cc, &err) : NULL;
  capz_arm_limiter *insp_lim = capz_arm_limiter_new(NULL, NULL, NULL);
  capz_arm_client_config ic = {.cloud = &cloud, .credential = cred, .limiter = insp_lim};
  capz_arm_client *insp = c ? capz_arm_client_new(&ic, &err) : NULL;
  int rc = 1;
  if (!c || !insp) {
    fprintf(stderr, "setup: %s\n", err.msg);
    goto out;
  }
  cJSON *rgb = cJSON_Parse("{\"location\":\"eastus\"}");
  if (capz_arm_put(c, RG, rgb, NULL, 60, NULL, &err)) {
    fprintf(stderr, "resource group: %s\n", err.msg);
    cJSON_Delete(rgb);
    goto out;
  }
  cJSON_Delete(rgb);
  printf("azure_sdk_bench: n=%d limiter read %.0f/s burst %.0f, write/delete %.0f/s burst %.0f; emulator LRO %.2fs\n",
         n, lim.read.per_second, lim.read.burst, lim.write.per_second, lim.write.burst, lro_s);

  fake_now = 0;
  capz_arm_ensure_config ec = {.capacity = (size_t)n + 16, .drift_interval_s = 600, .drift_jitter = 0.1,
                               .clock = fake_clock};
  capz_arm_ensurer *e = capz_arm_ensurer_new(&ec);
  cJSON *desired = cJSON_Parse("{\"location\":\"eastus\",\"properties\":{\"disableBgpRoutePropagation\":true}}");
  static const char *const owned[] = {"/location", "/properties/disableBgpRoutePropagation", NULL};
  char (*ids)[256] = calloc((size_t)n, sizeof *ids);
  double *next = calloc((size_t)n, sizeof *next);
  bool *done = calloc((size_t)n, sizeof *done);
  for (int i = 0; i < n; i++)
    snprintf(ids[i], sizeof ids[i], RG "/providers/Microsoft.Network/routeTables/rt-%04d", i);

  /* phase 1: create, driving LROs non-blocking like a controller's requeues */
  capz_arm_stats s0, s1, s2, s3;
  capz_arm_client_get_stats(c, &s0);
  double t0 = mono();
  int remaining = n, failures = 0, created = 0;
  while (remaining > 0) {
    double soonest = 1e18;
    for (int i = 0; i < n; i++) {
      if (done[i]) continue;
      if (next[i] > mono()) {
        if (next[i] < soonest) soonest = next[i];
        continue;
      }
      capz_arm_ensure_spec s = {.id = ids[i], .desired = desired, .owned = owned, .cluster_name = "bench"};
      capz_arm_ensure_result res;
      int erc = capz_arm_ensure(e, c, &s, &res, &err);
      if (erc) {
        if (++failures <= 5) fprintf(stderr, "ensure %s: %s\n", ids[i], err.msg);
        next[i] = mono() + 1;
      } else if (res.outcome == CAPZ_ENSURE_IN_PROGRESS) {
        next[i] = mono() + res.requeue_after_s;
      } else {
        done[i] = true;
        remaining--;
        created += res.outcome == CAPZ_ENSURE_CREATED;
      }
      capz_arm_ensure_result_free(&res);
      if (failures > 50) goto out_free;
    }
    double d = soonest - mono();
    if (remaining > 0 && d > 0 && soonest < 1e17) usleep((useconds_t)(d * 1e6));
  }
  capz_arm_client_get_stats(c, &s1);
  print_delta("create", &s0, &s1, mono() - t0);
  printf("  created=%d failures=%d  ARM calls per created resource: %.2f\n", created, failures,
         (double)(s1.requests - s0.requests) / (n ? n : 1));

  /* phase 2: steady state, one reconcile of every resource */
  t0 = mono();
  int unchanged = 0;
  for (int i = 0; i < n; i++) {
    capz_arm_ensure_spec s = {.id = ids[i], .desired = desired, .owned = owned, .cluster_name = "bench"};
    capz_arm_ensure_result res;
    if (capz_arm_ensure(e, c, &s, &res, &err) == 0 && res.outcome == CAPZ_ENSURE_UNCHANGED) unchanged++;
    capz_arm_ensure_result_free(&res);
  }
  capz_arm_client_get_stats(c, &s2);
  print_delta("steady-state pass", &s1, &s2, mono() - t0);
  printf("  unchanged=%d\n", unchanged);

  /* phase 3: the drift interval (600 s ± 10%) has elapsed: one read each, no writes */
  fake_now += 700;
  t0 = mono();
  unchanged = 0;
  for (int i = 0; i < n; i++) {
    capz_arm_ensure_spec s = {.id = ids[i], .desired = desired, .owned = owned, .cluster_name = "bench"};
    capz_arm_ensure_result res;
    if (capz_arm_ensure(e, c, &s, &res, &err) == 0 && res.outcome == CAPZ_ENSURE_UNCHANGED) unchanged++;
    capz_arm_ensure_result_free(&res);
  }
  capz_arm_client_get_stats(c, &s3);
  print_delta("drift-read pass", &s2, &s3, mono() - t0);
  printf("  unchanged=%d\n", unchanged);
  sim_totals(insp, sim.url);
  rc = failures ? 1 : 0;
out_free:
  free(ids);
  free(next);
  free(done);
  cJSON_Delete(desired);
  capz_arm_ensurer_free(e);
out:
  capz_arm_client_free(insp);
  capz_arm_client_free(c);
  capz_arm_limiter_free(limiter);
  capz_arm_limiter_free(insp_lim);
  capz_az_credential_free(cred);
  capz_sdk_global_cleanup();
  simproc_stop(&sim);
  unlink(cfgpath);
  return rc;
}
