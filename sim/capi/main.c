/* main.c — capz-capi-sim: command line, informers, event→queue mapping, one worker per reconciled kind,
 * READY line once every cache is synced, clean stop on SIGTERM/SIGINT. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capz/sdk.h"
#include "capi_sim.h"

static const sim_reconcile_fn RECONCILERS[K_NQUEUES] = {
    [K_CLUSTER] = capi_cluster_reconcile, [K_KCP] = capi_kcp_reconcile,         [K_MD] = capi_md_reconcile,
    [K_MS] = capi_ms_reconcile,           [K_MACHINE] = capi_machine_reconcile, [K_MP] = capi_mp_reconcile,
    [K_KCFG] = capi_bootstrap_reconcile,   [K_CLUSTERCLASS] = capi_clusterclass_reconcile,
};

static void usage(FILE *f) {
  fprintf(f,
          "usage: capz-capi-sim (--kubeconfig FILE | --server URL) [--namespace NS] [-v N]\n"
          "Plays Cluster API core's controllers (Cluster with managed topologies, ClusterClass, KubeadmControlPlane,\n"
          "MachineDeployment, MachineSet, Machine, MachinePool, kubeadm bootstrap) against a management cluster\n"
          "for tests and demos.\n"
          "Prints READY <server> on stdout once its caches are synced; logs to stderr; stops on SIGTERM.\n");
}

/* Queue the object (reconciled kinds), its owners of reconciled kinds, and its Cluster. */
static void on_event(sim_kind *k, const capz_obj *o) {
  sim *s = k->s;
  const char *ns = capz_obj_namespace(o);
  if (k->q) sim_enqueue(s, k->idx, ns, capz_obj_name(o));
  size_t n = capz_obj_owner_count(o);
  for (size_t i = 0; i < n; i++) {
    const char *av = NULL, *kind = NULL, *name = NULL;
    capz_obj_owner(o, i, &av, &kind, &name, NULL, NULL);
    sim_kind *ok = sim_kind_for(s, av, kind);
    if (ok && ok->q) sim_enqueue(s, ok->idx, ns, name);
  }
  if (k->idx == K_CLUSTERCLASS) {
    /* A class change re-renders every Cluster using it (in any namespace: classNamespace). */
    capz_obj_list l;
    if (sim_list(s, K_CLUSTER, NULL, NULL, &l) == 0) {
      for (size_t i = 0; i < l.n; i++) {
        const char *cn = NULL, *cns = NULL;
        capi_topology_class(capz_obj_json(l.items[i]), &cn, &cns);
        if (!*cns) cns = capz_obj_namespace(l.items[i]);
        if (strcmp(cn, capz_obj_name(o)) == 0 && strcmp(cns, ns ? ns : "") == 0)
          sim_enqueue(s, K_CLUSTER, capz_obj_namespace(l.items[i]), capz_obj_name(l.items[i]));
      }
      capz_obj_list_free(&l);
    }
    return;
  }
  const char *cluster = capz_obj_label(o, L_CLUSTER_NAME);
  if (cluster && k->idx != K_CLUSTER) sim_enqueue(s, K_CLUSTER, ns, cluster);
  /* Bootstrap configs, machines, control planes and pools wait on their Cluster's state: wake them. */
  if (k->idx == K_CLUSTER) {
    static const int dependents[] = {K_KCFG, K_MACHINE, K_KCP, K_MP, K_MD, K_MS};
    char sel[320];
    snprintf(sel, sizeof sel, "%s=%s", L_CLUSTER_NAME, capz_obj_name(o));
    for (size_t d = 0; d < sizeof dependents / sizeof dependents[0]; d++) {
      capz_obj_list l;
      if (sim_list(s, dependents[d], ns, sel, &l) != 0) continue;
      for (size_t i = 0; i < l.n; i++) sim_enqueue(s, dependents[d], ns, capz_obj_name(l.items[i]));
      capz_obj_list_free(&l);
    }
  }
}
static void h_add(void *ud, const capz_obj *o) { on_event(ud, o); }
static void h_update(void *ud, const capz_obj *old, const capz_obj *o) {
  (void)old;
  on_event(ud, o);
}
static void h_delete(void *ud, const capz_obj *o) { on_event(ud, o); }

static void *worker(void *arg) {
  sim_kind *k = arg;
  capz_key key;
  while (capz_workqueue_get(k->q, &key)) {
    int64_t requeue = 0;
    int rc = RECONCILERS[k->idx](k->s, key.ns, key.name, &requeue);
    if (rc != 0) {
      capz_workqueue_add_rate_limited(k->q, &key);
    } else {
      capz_workqueue_forget(k->q, &key);
      if (requeue > 0) capz_workqueue_add_after(k->q, &key, requeue);
    }
    capz_workqueue_done(k->q, &key);
  }
  return NULL;
}

int main(int argc, char **argv) {
  const char *kubeconfig = NULL, *server = NULL, *ns = NULL;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(a, "--kubeconfig") == 0 && v) kubeconfig = argv[++i];
    else if (strcmp(a, "--server") == 0 && v) server = argv[++i];
    else if (strcmp(a, "--namespace") == 0 && v) ns = argv[++i];
    else if (strcmp(a, "-v") == 0 && v) capz_log_set_verbosity(atoi(argv[++i]));
    else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
      usage(stdout);
      return 0;
    } else {
      usage(stderr);
      return 2;
    }
  }
  if (!kubeconfig && !server) {
    usage(stderr);
    return 2;
  }
  /* Signals are taken synchronously by main; every thread created from here on inherits the mask. */
  sigset_t sigs;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGTERM);
  sigaddset(&sigs, SIGINT);
  pthread_sigmask(SIG_BLOCK, &sigs, NULL);

  capz_err err;
  capz_err_clear(&err);
  if (capz_sdk_global_init(&err) != 0) {
    fprintf(stderr, "capz-capi-sim: %s\n", err.msg);
    return 1;
  }
  static sim S;
  sim *s = &S;
  s->ns = ns;
  s->log = capz_logger_new(NULL, "component", "capz-capi-sim", NULL);
  capz_kube_config *cfg = NULL;
  int rc = server ? capz_kube_config_from_url(server, &cfg, &err) : capz_kube_config_load(kubeconfig, NULL, &cfg, &err);
  if (rc == 0) {
    capz_kube_client_opts co = {.struct_size = sizeof co, .qps = 200, .burst = 400, .user_agent = "capz-capi-sim"};
    rc = capz_kube_client_new(cfg, &co, &s->c, &err);
  }
  if (rc != 0) {
    fprintf(stderr, "capz-capi-sim: %s\n", err.msg);
    capz_kube_config_free(cfg);
    capz_logger_free(s->log);
    capz_sdk_global_cleanup();
    return 1;
  }
  if (capz_event_recorder_new(s->c, "capz-capi-sim", &s->events, &err) != 0) s->events = NULL;
  sim_kinds_init(s);
  int status = 0;
  for (int i = 0; i < K_NKINDS && status == 0; i++) {
    sim_kind *k = &s->kinds[i];
    capz_gvk probe = k->gvk;
    probe.plural = NULL;
    if (capz_kube_resolve(s->c, &probe, &err) != 0) {
      /* The provider's kinds are optional (a flavour may not install them); CAPI's own are required. */
      if (i < K_NQUEUES) {
        fprintf(stderr, "capz-capi-sim: %s is not served (install the Cluster API CRDs): %s\n", k->gvk.kind, err.msg);
        status = 1;
      } else {
        capz_log(s->log, CAPZ_LOG_WARN, "kind not served; not watching it", "kind", k->gvk.kind, NULL);
      }
      continue;
    }
    capz_informer_opts io = {.struct_size = sizeof io, .ns = ns};
    if (capz_informer_get(s->c, &k->gvk, &io, &k->inf, &err) != 0) {
      fprintf(stderr, "capz-capi-sim: informer %s: %s\n", k->gvk.kind, err.msg);
      status = 1;
      continue;
    }
    if (i < K_NQUEUES) {
      capz_workqueue_opts wo = {.struct_size = sizeof wo, .base_delay_ms = 50, .max_delay_ms = 5000};
      if (capz_workqueue_new(&wo, &k->q, &err) != 0) status = 1;
    }
    capz_informer_handler h = {.struct_size = sizeof h, .on_add = h_add, .on_update = h_update,
                               .on_delete = h_delete, .ud = k};
    capz_informer_add_handler(k->inf, &h);
    if (capz_informer_start(k->inf, &err) != 0) {
      fprintf(stderr, "capz-capi-sim: start %s: %s\n", k->gvk.kind, err.msg);
      status = 1;
    }
  }
  for (int i = 0; i < K_NKINDS && status == 0; i++)
    if (s->kinds[i].inf && !capz_informer_wait_synced(s->kinds[i].inf, 30000)) {
      fprintf(stderr, "capz-capi-sim: %s cache did not sync\n", s->kinds[i].gvk.kind);
      status = 1;
    }
  pthread_t th[K_NQUEUES];
  int nth = 0;
  if (status == 0) {
    for (int i = 0; i < K_NQUEUES; i++)
      if (pthread_create(&th[nth], NULL, worker, &s->kinds[i]) == 0) nth++;
    printf("READY %s\n", capz_kube_config_server(cfg));
    fflush(stdout);
    capz_log(s->log, CAPZ_LOG_INFO, "caches synced; reconciling", "namespace", ns ? ns : "(all)", NULL);
    int sig = 0;
    sigwait(&sigs, &sig);
    capz_log(s->log, CAPZ_LOG_INFO, "stopping", NULL);
  }
  for (int i = 0; i < K_NQUEUES; i++)
    if (s->kinds[i].q) capz_workqueue_shutdown(s->kinds[i].q);
  for (int i = 0; i < nth; i++) pthread_join(th[i], NULL);
  for (int i = 0; i < K_NKINDS; i++)
    if (s->kinds[i].inf) capz_informer_request_stop(s->kinds[i].inf);
  for (int i = 0; i < K_NKINDS; i++) {
    if (s->kinds[i].inf) capz_informer_release(s->kinds[i].inf);
    if (s->kinds[i].q) capz_workqueue_free(s->kinds[i].q);
  }
  capz_event_recorder_free(s->events);
  capz_kube_client_free(s->c);
  capz_kube_config_free(cfg);
  capz_logger_free(s->log);
  capz_sdk_global_cleanup();
  return status;
}
