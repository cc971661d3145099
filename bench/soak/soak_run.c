/* soak_run.c — one run of the soak: apply the cluster, SIGKILL capz-host at the planned moments (a time, or right
 * after the n-th ARM write) recording what was in flight, restart it, wait for Ready, judge, delete (maybe with
 * another kill), judge again. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "capz/json.h"
#include "soak_run.h"

volatile sig_atomic_t soak_stop;

static void msleep(int64_t ms) {
  if (ms > 0) usleep((useconds_t)(ms * 1000));
}

/* Kill the host now: record what the CRs said and which ARM operations were in flight, then restart it. */
static void kill_and_restart(soak_env *e, const char *cluster, int want, bool deleting, kill_rec *k) {
  soak_state st;
  if (deleting) {
    cJSON *ams = k_list_labelled(e, "infrastructure.cluster.x-k8s.io", "AzureMachine", cluster);
    cJSON *ac = k_get_azurecluster(e, cluster);
    snprintf(k->phase, sizeof k->phase, "deleting: %d AzureMachines left, AzureCluster %s", cJSON_GetArraySize(ams),
             ac ? "present" : "gone");
    k->after_done = !ac && cJSON_GetArraySize(ams) == 0;
    cJSON_Delete(ams);
    cJSON_Delete(ac);
  } else {
    soak_observe(e, cluster, want, &st);
    snprintf(k->phase, sizeof k->phase, "%s%s", st.detail, st.cluster_ready ? " (already Ready)" : "");
    k->after_done = st.cluster_ready;
  }
  double t = soak_wall();
  soak_host_kill(e);
  cJSON *inv = arm_inventory(e);
  char *fl = inv ? soak_inflight(inv) : NULL;
  snprintf(k->inflight, sizeof k->inflight, "%s", fl && *fl ? fl : "none");
  free(fl);
  cJSON_Delete(inv);
  cJSON *log = arm_log(e);
  char *w = log ? soak_last_writes(log, t, 2) : NULL;
  snprintf(k->writes, sizeof k->writes, "%s", w && *w ? w : "none");
  free(w);
  cJSON_Delete(log);
  soak_host_start(e, e->host_log);
}

void soak_print_host_errors(const char *log) {
  char cmd[700];
  snprintf(cmd, sizeof cmd,
           "grep -aiE 'level=(error|warn)|\\bERROR\\b|\\bWARN|fail|panic|AddressSanitizer' '%s' | tail -n 15 | "
           "sed 's/^/    host: /'",
           log);
  if (system(cmd) == -1) fprintf(stderr, "(cannot read %s)\n", log);
}

/* The ARM request log of a phase, kept in the work directory as evidence (arm-<cluster>-<phase>.json). */
static void save_json(soak_env *e, const char *cluster, const char *phase, const cJSON *j) {
  if (!j) return;
  char p[400];
  snprintf(p, sizeof p, "%s/arm-%s-%s.json", e->dir, cluster, phase);
  char *t = cJSON_Print(j);
  FILE *f = fopen(p, "w");
  if (f && t) fputs(t, f);
  if (f) fclose(f);
  free(t);
}


/* ARM writes answered so far (the request log's per-method counter; the log is cleared per phase). */
static int arm_writes(soak_env *e, const char *method) {
  cJSON *j = sim_call(e->arm.url, "GET", "/_sim/requests?last=0", NULL, NULL);
  char ptr[32];
  snprintf(ptr, sizeof ptr, "/byMethod/%s", method);
  int n = (int)capz_json_ptr_int(j, ptr, 0);
  cJSON_Delete(j);
  return n;
}

/* While waiting for a kill: when provisioning (ready != NULL), notice the first moment the cluster is Ready, so
 * that time-to-Ready and recovery are not stretched by a kill still waiting to fire. */
typedef struct ready_watch {
  const char *cluster;
  int want;
  int64_t first_ready; /* 0 until seen */
  int64_t next_look;
} ready_watch;

static void watch_ready(soak_env *e, ready_watch *w) {
  if (!w || w->first_ready || soak_now_ms() < w->next_look) return;
  w->next_look = soak_now_ms() + 200;
  soak_state st;
  soak_observe(e, w->cluster, w->want, &st);
  if (st.cluster_ready) w->first_ready = soak_now_ms();
}

/* Sleep until the plan's moment: its time, or its number of further writes of `method` (deadline at_s). */
static void wait_for_kill(soak_env *e, const kill_plan *kp, int64_t since, const char *method, kill_rec *kr,
                          ready_watch *w) {
  int64_t deadline = since + (int64_t)(kp->at_s * 1000);
  if (kp->writes <= 0) {
    while (soak_now_ms() < deadline && !soak_stop) {
      watch_ready(e, w);
      msleep(20);
    }
    snprintf(kr->trigger, sizeof kr->trigger, "at a random time");
    return;
  }
  int base = arm_writes(e, method), now = base;
  while (!soak_stop && soak_now_ms() < deadline && (now = arm_writes(e, method)) - base < kp->writes) {
    watch_ready(e, w);
    msleep(15);
  }
  if (now - base >= kp->writes)
    snprintf(kr->trigger, sizeof kr->trigger, "right after %s #%d", method, kp->writes);
  else
    snprintf(kr->trigger, sizeof kr->trigger, "at the deadline (only %d of %d %ss)", now - base, kp->writes, method);
}

/* early_s >= 0: a delete racing provisioning (see soak_run.h). */
void soak_run_one(soak_env *e, const soak_opts *o, const char *cluster, int workers, const kill_plan *kills_prov,
                  int nk, const kill_plan *kdel, double early_s, const calib *cal, run_result *res) {
  memset(res, 0, sizeof *res);
  res->workers = workers;
  int want = 1 + workers;
  char log[400];
  snprintf(log, sizeof log, "%s/host-%s.log", e->dir, cluster);
  if (arm_reset(e) != 0 || arm_preexisting(e) != 0) {
    soak_appendf(res->report, sizeof res->report, " [capz-arm-sim: reset or pre-existing resources failed]");
    return;
  }
  arm_log_clear(e);
  double est_prov = cal ? cal->prov_s : 60, est_del = cal ? cal->del_s : 60;
  int64_t prov_timeout = (int64_t)((est_prov * 6 + 60) * 1000 * o->timeout_scale);
  int64_t del_timeout = (int64_t)((est_del * 6 + 60) * 1000 * o->timeout_scale);

  if (soak_host_start(e, log) != 0) {
    soak_appendf(res->report, sizeof res->report, " [capz-host did not start]");
    return;
  }
  int64_t t0 = soak_now_ms();
  char msg[512];
  if (soak_apply_cluster(e, cluster, workers, msg, sizeof msg) != 0) {
    soak_appendf(res->report, sizeof res->report, " [apply: %s]", msg);
    return;
  }
  /* provisioning, with kills */
  int64_t since = t0, last_restart = t0, recover_from = -1;
  ready_watch rw = {.cluster = cluster, .want = want};
  for (int k = 0; k < nk && !soak_stop; k++) {
    wait_for_kill(e, &kills_prov[k], since, "PUT", &res->kills[k], early_s < 0 ? &rw : NULL);
    res->kills[k].at_s = (double)(soak_now_ms() - since) / 1000;
    kill_and_restart(e, cluster, want, false, &res->kills[k]);
    res->nkills++;
    since = last_restart = soak_now_ms();
    if (!res->kills[k].after_done) recover_from = last_restart;
  }
  soak_state st;
  for (;;) {
    soak_observe(e, cluster, want, &st);
    if (st.cluster_ready || st.terminal || soak_stop) break;
    if (early_s >= 0 && soak_now_ms() - last_restart >= (int64_t)(early_s * 1000)) break;
    if (soak_now_ms() - last_restart > prov_timeout) break;
    if (!soak_host_alive(e)) {
      soak_appendf(res->report, sizeof res->report, " [capz-host exited on its own]");
      break;
    }
    msleep(100);
  }
  int64_t t_ready = rw.first_ready && st.cluster_ready && rw.first_ready >= recover_from ? rw.first_ready : soak_now_ms();
  res->ready_s = (double)(t_ready - t0) / 1000;
  /* recovery: from the restart after the last kill that interrupted provisioning (-1: every kill came after Ready) */
  res->recovery_s = recover_from < 0 ? -1 : (double)(t_ready - recover_from) / 1000;
  cJSON *plog = arm_log(e);
  if (plog) soak_reqstats_of(plog, &res->prov);
  save_json(e, cluster, "provision", plog);
  cJSON_Delete(plog);
  bool early = early_s >= 0 && !st.cluster_ready && !st.terminal && !soak_stop;
  if (early) {
    res->early = true;
    res->recovery_s = -1;
    snprintf(res->early_phase, sizeof res->early_phase, "%s", st.detail);
    /* what provisioning did so far must still hold: nothing created twice, nothing deleted */
    if (res->prov.dup_creates)
      soak_appendf(res->report, sizeof res->report, " [created twice:%s]", res->prov.dup_detail);
    if (res->prov.deletes_ok)
      soak_appendf(res->report, sizeof res->report, " [%d DELETEs while provisioning]", res->prov.deletes_ok);
  } else if (!st.cluster_ready) {
    soak_appendf(res->report, sizeof res->report, " [not Ready %.0f s after the last restart: %s]",
                 (double)(t_ready - last_restart) / 1000, st.detail);
    cJSON *inv = arm_inventory(e);
    char *fl = inv ? soak_inflight(inv) : NULL;
    soak_appendf(res->report, sizeof res->report, " [%d resources; unfinished: %s]", cJSON_GetArraySize(inv),
                 fl && *fl ? fl : "none");
    free(fl);
    cJSON_Delete(inv);
    return;
  }
  if (!cal) { /* calibration: this inventory is what every run is compared with */
    cJSON *inv = arm_inventory(e);
    cJSON *ams = k_list_labelled(e, "infrastructure.cluster.x-k8s.io", "AzureMachine", cluster);
    if (inv) res->baseline = soak_normalize(inv, cluster, ams);
    cJSON_Delete(inv);
    cJSON_Delete(ams);
  }
  int bad = 0;
  if (early) {
    bad = res->report[0] ? 1 : 0;
  } else {
    cJSON *expected = cal && cal->baseline ? soak_expected(cal->baseline, workers) : NULL;
    bad = soak_check_ready(e, cluster, expected, &res->prov, res->report, sizeof res->report);
    cJSON_Delete(expected);
  }

  /* deletion, maybe with a kill */
  arm_log_clear(e);
  int64_t td = soak_now_ms();
  if (soak_delete_cluster(e, cluster, msg, sizeof msg) != 0) {
    soak_appendf(res->report, sizeof res->report, " [%s]", msg);
    return;
  }
  int64_t dl_restart = td;
  if (kdel) {
    kill_rec *kr = &res->kills[res->nkills];
    wait_for_kill(e, kdel, td, "DELETE", kr, NULL);
    kr->at_s = (double)(soak_now_ms() - td) / 1000;
    kill_and_restart(e, cluster, want, true, kr);
    res->del_kill = true;
    dl_restart = soak_now_ms();
  }
  bool gone = false;
  while (!soak_stop && soak_now_ms() - dl_restart < del_timeout) {
    cJSON *ams = k_list_labelled(e, "infrastructure.cluster.x-k8s.io", "AzureMachine", cluster);
    cJSON *ac = k_get_azurecluster(e, cluster);
    gone = !ac && cJSON_GetArraySize(ams) == 0 && !k_cluster_exists(e, cluster);
    cJSON_Delete(ams);
    cJSON_Delete(ac);
    if (gone) break;
    msleep(100);
  }
  res->delete_s = (double)(soak_now_ms() - td) / 1000;
  cJSON *dlog = arm_log(e);
  if (dlog) soak_reqstats_of(dlog, &res->del);
  save_json(e, cluster, "delete", dlog);
  cJSON_Delete(dlog);
  if (!gone) {
    soak_appendf(res->report, sizeof res->report, " [Cluster objects still there %.0f s after the delete]",
                 res->delete_s);
    bad++;
  }
  bad += soak_check_gone(e, cluster, res->report, sizeof res->report);
  int hs = soak_host_stop(e);
  if (!(hs >= 0 && WIFEXITED(hs) && WEXITSTATUS(hs) == 0))
    fprintf(stderr, "soak: note: capz-host did not stop cleanly on SIGTERM (status 0x%x; log %s)\n", hs, log);
  res->pass = bad == 0;
}

void soak_print_run(int i, int runs, const char *cluster, const run_result *r) {
  char rec[64] = "no kill before Ready";
  if (r->recovery_s >= 0) snprintf(rec, sizeof rec, "recovery %.1fs after the restart", r->recovery_s);
  if (r->early)
    printf("run %d/%d %s workers=%d %s  Cluster deleted %.1fs after apply, before Ready [%s]; deleted in %.1fs\n", i,
           runs, cluster, r->workers, r->pass ? "PASS" : "FAIL", r->ready_s, r->early_phase, r->delete_s);
  else
    printf("run %d/%d %s workers=%d %s  ready %.1fs (%s), deleted in %.1fs\n", i, runs, cluster, r->workers,
           r->pass ? "PASS" : "FAIL", r->ready_s, rec, r->delete_s);
  for (int k = 0; k < r->nkills + (r->del_kill ? 1 : 0); k++) {
    const kill_rec *kr = &r->kills[k];
    bool del = k == r->nkills;
    printf("  kill %d @%.2fs after %s, %s  [%s]\n    in flight: %s\n    last ARM writes: %s\n", k + 1, kr->at_s,
           del ? "the delete request" : k == 0 ? "apply" : "the previous restart", kr->trigger, kr->phase,
           kr->inflight, kr->writes);
  }
  printf("  ARM provisioning: %d requests (PUT %d: %d creates, %d updates, %d created twice; GET %d; 409 %d; "
         "DELETE %d)\n",
         r->prov.total, r->prov.puts, r->prov.creates, r->prov.put_updates, r->prov.dup_creates, r->prov.gets,
         r->prov.conflicts, r->prov.deletes_ok);
  printf("  ARM deletion: %d requests (DELETE %d, GET %d, PUT %d)\n", r->del.total, r->del.deletes, r->del.gets,
         r->del.puts);
  if (r->report[0]) printf("  problems:%s\n", r->report);
  fflush(stdout);
}

