/* capi_kcp.c — KubeadmControlPlane: once the Cluster owns it and its infrastructure is ready with an endpoint,
 * write the CA and kubeconfig Secrets, then create control plane Machines one at a time (the next only when
 * every existing one is Ready), each with a cloned infrastructure machine and a KubeadmConfig (init for the
 * first, join after); scale down by deleting the oldest; a spec.version change rolls the machines (one new
 * machine first, then the oldest outdated one goes); report replicas/readiness/initialized/version (the lowest
 * version a machine runs, as KCP does). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capi_sim.h"

static int cmp_created(const void *a, const void *b) {
  const capz_obj *x = *(const capz_obj *const *)a, *y = *(const capz_obj *const *)b;
  const char *tx = capz_json_ptr_str(capz_obj_json(x), "/metadata/creationTimestamp", "");
  const char *ty = capz_json_ptr_str(capz_obj_json(y), "/metadata/creationTimestamp", "");
  int c = strcmp(tx, ty);
  return c ? c : strcmp(capz_obj_name(x), capz_obj_name(y));
}

static bool machine_ready(const capz_obj *m) { return capz_cond_is_true(capz_obj_json(m), "Ready"); }

/* Kubernetes versions "v1.31.10" compared numerically, part by part (<0, 0, >0). */
static int version_cmp(const char *a, const char *b) {
  if (*a == 'v') a++;
  if (*b == 'v') b++;
  while (*a || *b) {
    char *ea, *eb;
    long x = strtol(a, &ea, 10), y = strtol(b, &eb, 10);
    if (x != y) return x < y ? -1 : 1;
    if (ea == a || eb == b) return strcmp(ea, eb);
    a = *ea == '.' ? ea + 1 : ea;
    b = *eb == '.' ? eb + 1 : eb;
    if (*ea != '.' || *eb != '.') return strcmp(a, b);
  }
  return 0;
}

/* A machine that does not run the control plane's spec.version needs replacing (KCP's rollout). */
static bool outdated(const capz_obj *m, const char *ver) {
  const char *mv = capz_json_ptr_str(capz_obj_json(m), "/spec/version", NULL);
  return ver && mv && strcmp(mv, ver) != 0;
}

/* The control-plane failure domain with the fewest machines (CAPI spreads control plane machines). */
static const char *pick_failure_domain(const cJSON *cluster, const capz_obj_list *machines) {
  const cJSON *fd, *best = NULL;
  size_t best_n = (size_t)-1;
  cJSON_ArrayForEach(fd, capz_json_ptr_get(cluster, "/status/failureDomains")) {
    if (!capz_json_ptr_bool(fd, "/controlPlane", false)) continue;
    size_t n = 0;
    for (size_t i = 0; i < machines->n; i++)
      if (strcmp(capz_json_ptr_str(capz_obj_json(machines->items[i]), "/spec/failureDomain", ""), fd->string) == 0) n++;
    if (n < best_n || (n == best_n && best && strcmp(fd->string, best->string) < 0)) {
      best = fd;
      best_n = n;
    }
  }
  return best ? best->string : NULL;
}

static int create_machine(sim *s, const cJSON *kcp, const cJSON *cluster, const capz_obj_list *machines) {
  const char *ns = sim_str(kcp, "/metadata/namespace"), *kname = sim_str(kcp, "/metadata/name");
  const char *cname = sim_str(cluster, "/metadata/name");
  char mname[256];
  sim_random_name(kname, mname, sizeof mname);
  capz_gvk tg = {0};
  char tbuf[256];
  cJSON *tmpl = sim_ref_get(s, capz_json_ptr_get(kcp, "/spec/machineTemplate/infrastructureRef"), ns, &tg, tbuf,
                            sizeof tbuf);
  if (!tmpl) {
    capz_log(s->log, CAPZ_LOG_WARN, "machine template not found", "namespace", ns, "name", kname, NULL);
    return CAPZ_ENOTFOUND;
  }
  cJSON *labels = cJSON_CreateObject();
  cJSON_AddStringToObject(labels, L_CLUSTER_NAME, cname);
  cJSON_AddStringToObject(labels, L_CONTROL_PLANE, "");
  cJSON_AddStringToObject(labels, L_CONTROL_PLANE_NAME, kname);
  cJSON *infra = sim_clone_template(tmpl, mname, ns, labels, kcp);
  /* kubeadm init on the first machine, join afterwards (CAPI: while the cluster is not initialized). */
  bool first = machines->n == 0 && !capz_cond_is_true(cluster, "ControlPlaneInitialized");
  cJSON *spec = cJSON_Duplicate(capz_json_ptr_get(kcp, "/spec/kubeadmConfigSpec"), 1);
  if (!spec) spec = cJSON_CreateObject();
  if (first) {
    capz_json_ptr_del(spec, "/joinConfiguration");
    if (!cJSON_GetObjectItemCaseSensitive(spec, "initConfiguration")) cJSON_AddObjectToObject(spec, "initConfiguration");
  } else {
    capz_json_ptr_del(spec, "/initConfiguration");
    capz_json_ptr_del(spec, "/clusterConfiguration");
    if (!cJSON_GetObjectItemCaseSensitive(spec, "joinConfiguration")) cJSON_AddObjectToObject(spec, "joinConfiguration");
    capz_json_ptr_set(spec, "/joinConfiguration/controlPlane", cJSON_CreateObject(), NULL);
  }
  cJSON *cfg = capi_kubeadmconfig_new(mname, ns, spec, labels, kcp);
  cJSON_Delete(spec);
  capz_gvk ig = {0};
  char ibuf[256];
  int rc = infra ? sim_gvk(s, sim_str(infra, "/apiVersion"), sim_str(infra, "/kind"), &ig, ibuf, sizeof ibuf)
                 : CAPZ_EINVAL;
  if (rc == 0) rc = sim_create(s, &ig, ns, infra);
  if (rc == 0) rc = sim_create(s, &s->kinds[K_KCFG].gvk, ns, cfg);
  if (rc == 0) {
    cJSON *m = sim_new_object(CAPI_V1B1, "Machine", ns, mname);
    cJSON *md = cJSON_GetObjectItemCaseSensitive(m, "metadata");
    cJSON_AddItemToObject(md, "labels", cJSON_Duplicate(labels, 1));
    sim_add_owner(m, kcp, true);
    cJSON *ms = cJSON_AddObjectToObject(m, "spec");
    cJSON_AddStringToObject(ms, "clusterName", cname);
    const char *ver = capz_json_ptr_str(kcp, "/spec/version", NULL);
    if (ver) cJSON_AddStringToObject(ms, "version", ver);
    cJSON *bs = cJSON_AddObjectToObject(ms, "bootstrap");
    cJSON_AddItemToObject(bs, "configRef", sim_ref_to(cfg));
    cJSON_AddItemToObject(ms, "infrastructureRef", sim_ref_to(infra));
    const char *fd = pick_failure_domain(cluster, machines);
    if (fd) cJSON_AddStringToObject(ms, "failureDomain", fd);
    rc = sim_create(s, &s->kinds[K_MACHINE].gvk, ns, m);
    if (rc == 0) sim_wait_cache(s, K_MACHINE, ns, mname, true);
    cJSON_Delete(m);
  }
  cJSON_Delete(cfg);
  cJSON_Delete(infra);
  cJSON_Delete(labels);
  cJSON_Delete(tmpl);
  return rc;
}

int capi_kcp_reconcile(sim *s, const char *ns, const char *name, int64_t *requeue_ms) {
  cJSON *kcp = sim_cached(s, K_KCP, ns, name);
  if (!kcp) return 0;
  if (sim_paused(s, kcp, ns, sim_owner_name(kcp, "Cluster"))) {
    cJSON_Delete(kcp);
    return 0;
  }
  const capz_gvk *gvk = &s->kinds[K_KCP].gvk;
  cJSON *want = cJSON_Duplicate(kcp, 1), *cluster = NULL;
  capz_obj_list machines = {0};
  int rc = 0;
  char sel[320];
  snprintf(sel, sizeof sel, "%s,%s=%s", L_CONTROL_PLANE, L_CONTROL_PLANE_NAME, name);
  if ((rc = sim_list(s, K_MACHINE, ns, sel, &machines)) != 0) goto out;
  if (machines.n > 1) qsort(machines.items, machines.n, sizeof machines.items[0], cmp_created);

  if (sim_is_deleting(kcp)) {
    for (size_t i = 0; i < machines.n; i++)
      if (!capz_obj_deleting(machines.items[i])) sim_delete(s, &s->kinds[K_MACHINE].gvk, ns, capz_obj_name(machines.items[i]));
    if (machines.n == 0)
      sim_remove_finalizer(want, F_KCP);
    else
      *requeue_ms = 2000;
    rc = sim_write(s, gvk, kcp, want);
    goto out;
  }
  /* KCP acts only once its Cluster has adopted it. */
  const char *cname = sim_owner_name(kcp, "Cluster");
  cluster = cname ? sim_cached(s, K_CLUSTER, ns, cname) : NULL;
  if (!cluster) {
    if (cname) *requeue_ms = 1000; /* owner set but not in our cache yet */
    goto out;
  }
  sim_add_finalizer(want, F_KCP);
  bool infra_ready = capz_json_ptr_bool(cluster, "/status/infrastructureReady", false);
  bool has_ep = *sim_str(cluster, "/spec/controlPlaneEndpoint/host") != 0;

  const char *ver = capz_json_ptr_str(kcp, "/spec/version", NULL);
  size_t ready = 0, deleting = 0, old = 0;
  const char *min_ver = NULL; /* the lowest version a live machine runs: KCP's status.version */
  for (size_t i = 0; i < machines.n; i++) {
    if (capz_obj_deleting(machines.items[i])) {
      deleting++;
      continue;
    }
    if (machine_ready(machines.items[i])) ready++;
    if (outdated(machines.items[i], ver)) old++;
    const char *mv = capz_json_ptr_str(capz_obj_json(machines.items[i]), "/spec/version", NULL);
    if (mv && (!min_ver || version_cmp(mv, min_ver) < 0)) min_ver = mv;
  }
  size_t live = machines.n - deleting;
  int64_t replicas = capz_json_ptr_int(kcp, "/spec/replicas", 1);
  if (infra_ready && has_ep && sim_has_finalizer(kcp, F_KCP)) {
    if ((rc = capi_kubeconfig_ensure(s, cluster, kcp)) != 0) goto out;
    /* Rollout of a version change: scale up by one with the new version, then remove the oldest outdated
     * machine once everything is Ready again, one at a time (KCP's default maxSurge 1). */
    bool surge = old > 0 && (int64_t)live == replicas && replicas > 0;
    if (deleting == 0 && ((int64_t)live < replicas || surge) && ready == live) {
      rc = create_machine(s, kcp, cluster, &machines);
      if (rc != 0) goto out;
    } else if (deleting == 0 && (int64_t)live > replicas && (old == 0 || ready == live)) {
      /* KCP removes the oldest machine first (an outdated one during a rollout), one at a time. */
      size_t victim = 0;
      for (size_t i = 0; i < machines.n && old > 0; i++)
        if (outdated(machines.items[i], ver)) {
          victim = i;
          break;
        }
      sim_delete(s, &s->kinds[K_MACHINE].gvk, ns, capz_obj_name(machines.items[victim]));
      sim_wait_cache(s, K_MACHINE, ns, capz_obj_name(machines.items[victim]), false);
    }
  }
  if (!cJSON_GetObjectItemCaseSensitive(want, "status")) cJSON_AddObjectToObject(want, "status");
  bool initialized = capz_json_ptr_bool(kcp, "/status/initialized", false) || ready > 0;
  capz_json_ptr_set(want, "/status/replicas", cJSON_CreateNumber((double)live), NULL);
  capz_json_ptr_set(want, "/status/readyReplicas", cJSON_CreateNumber((double)ready), NULL);
  capz_json_ptr_set(want, "/status/updatedReplicas", cJSON_CreateNumber((double)(live - old)), NULL);
  capz_json_ptr_set(want, "/status/unavailableReplicas", cJSON_CreateNumber((double)(live - (ready < live ? ready : live))), NULL);
  capz_json_ptr_set(want, "/status/initialized", cJSON_CreateBool(initialized), NULL);
  capz_json_ptr_set(want, "/status/ready", cJSON_CreateBool(ready > 0), NULL);
  char selector[320];
  snprintf(selector, sizeof selector, "%s=%s,%s", L_CLUSTER_NAME, cname, L_CONTROL_PLANE);
  capz_json_ptr_set_str(want, "/status/selector", selector, NULL);
  capz_json_ptr_set(want, "/status/observedGeneration",
                    cJSON_CreateNumber((double)capz_json_ptr_int(kcp, "/metadata/generation", 0)), NULL);
  if (min_ver && ready > 0) capz_json_ptr_set_str(want, "/status/version", min_ver, NULL);
  if (initialized)
    capz_cond_mark_true(want, "Available");
  else
    capz_cond_mark_false(want, "Available", "WaitingForKubeadmInit", CAPZ_SEV_INFO, "waiting for the first machine");
  if (old > 0)
    capz_cond_mark_false(want, "MachinesSpecUpToDate", "RollingUpdateInProgress", CAPZ_SEV_WARNING,
                         "rolling %zu replicas with outdated spec (%zu replicas up to date)", old, live - old);
  else
    capz_cond_mark_true(want, "MachinesSpecUpToDate");
  if (ready == live && (int64_t)live == replicas)
    capz_cond_mark_true(want, "MachinesReady");
  else
    capz_cond_mark_false(want, "MachinesReady", "Scaling", CAPZ_SEV_INFO, "%zu of %lld machines ready", ready,
                         (long long)replicas);
  if (!infra_ready || !has_ep)
    capz_cond_mark_false(want, "Available", "WaitingForInfrastructure", CAPZ_SEV_INFO,
                         "waiting for the cluster infrastructure and endpoint");
  static const char *const summary[] = {"Available", "MachinesReady", NULL};
  capz_cond_set_summary(want, summary);
  rc = sim_write(s, gvk, kcp, want);
out:
  capz_obj_list_free(&machines);
  cJSON_Delete(cluster);
  cJSON_Delete(want);
  cJSON_Delete(kcp);
  return rc;
}
