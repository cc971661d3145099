/* soak_check.c — what a run is judged on: the cluster's objects, the ARM inventory compared with a kill-free
 * baseline, the request log (no resource created twice, nothing deleted while provisioning), providerIDs, and
 * after deletion no resource of the cluster left. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "capz/json.h"
#include "soak.h"

void soak_observe(soak_env *e, const char *cluster, int want, soak_state *st) {
  memset(st, 0, sizeof *st);
  cJSON *ac = k_get_azurecluster(e, cluster);
  bool ac_ready = ac && capz_json_ptr_bool(ac, "/status/ready", false);
  cJSON *ams = k_list_labelled(e, "infrastructure.cluster.x-k8s.io", "AzureMachine", cluster);
  const cJSON *m;
  cJSON_ArrayForEach(m, ams) {
    st->machines++;
    if (capz_json_ptr_bool(m, "/status/ready", false)) st->machines_ready++;
    const char *fr = capz_json_ptr_str(m, "/status/failureReason", "");
    if (*fr) {
      st->terminal = true;
      snprintf(st->detail, sizeof st->detail, "AzureMachine %s failureReason %s: %.120s",
               capz_json_ptr_str(m, "/metadata/name", "?"), fr, capz_json_ptr_str(m, "/status/failureMessage", ""));
    }
  }
  st->cluster_ready = ac_ready && st->machines == want && st->machines_ready == want;
  if (!st->terminal)
    snprintf(st->detail, sizeof st->detail, "%s, machines %d/%d ready", ac_ready ? "network ready" : "network",
             st->machines_ready, want);
  cJSON_Delete(ac);
  cJSON_Delete(ams);
}

/* ------------------------------------------------------------------ inventory normalization */
static char *replace_all(const char *s, const char *from, const char *to) {
  size_t fl = strlen(from), tl = strlen(to), cap = strlen(s) + 1;
  if (!fl) return strdup(s);
  for (const char *p = s; (p = strcasestr(p, from)); p += fl) cap += tl;
  char *out = malloc(cap), *o = out;
  if (!out) return NULL;
  const char *p = s, *q;
  while ((q = strcasestr(p, from))) {
    memcpy(o, p, (size_t)(q - p));
    o += q - p;
    memcpy(o, to, tl);
    o += tl;
    p = q + fl;
  }
  strcpy(o, p);
  return out;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static cJSON *sorted_array(char **v, size_t n) {
  qsort(v, n, sizeof *v, cmp_str);
  cJSON *a = cJSON_CreateArray();
  for (size_t i = 0; i < n; i++) {
    cJSON_AddItemToArray(a, cJSON_CreateString(v[i]));
    free(v[i]);
  }
  free(v);
  return a;
}

cJSON *soak_normalize(const cJSON *inv, const char *cluster, const cJSON *ams) {
  /* machine names first (they contain the cluster name), longest first */
  size_t nm = (size_t)cJSON_GetArraySize(ams);
  const char **names = calloc(nm + 1, sizeof *names);
  const char **subst = calloc(nm + 1, sizeof *subst);
  size_t k = 0;
  const cJSON *m;
  cJSON_ArrayForEach(m, ams) {
    names[k] = capz_json_ptr_str(m, "/metadata/name", "");
    subst[k++] = capz_json_ptr_get(m, "/metadata/labels/cluster.x-k8s.io~1control-plane") ? "{cp}" : "{md}";
  }
  for (size_t i = 0; i < k; i++)
    for (size_t j = i + 1; j < k; j++)
      if (strlen(names[j]) > strlen(names[i])) {
        const char *t = names[i];
        names[i] = names[j];
        names[j] = t;
        t = subst[i];
        subst[i] = subst[j];
        subst[j] = t;
      }
  size_t n = (size_t)cJSON_GetArraySize(inv), used = 0;
  char **v = calloc(n + 1, sizeof *v);
  const cJSON *r;
  cJSON_ArrayForEach(r, inv) {
    char buf[512];
    char type[160];
    snprintf(type, sizeof type, "%s", capz_json_ptr_str(r, "/type", "?"));
    for (char *c = type; *c; c++) *c = (char)tolower((unsigned char)*c);
    snprintf(buf, sizeof buf, "%s|%s", type, capz_json_ptr_str(r, "/name", "?"));
    char *s = strdup(buf);
    for (size_t i = 0; s && i < k; i++) {
      char *t = replace_all(s, names[i], subst[i]);
      free(s);
      s = t;
    }
    char *t = s ? replace_all(s, cluster, "{c}") : NULL;
    free(s);
    if (t) v[used++] = t;
  }
  free(names);
  free(subst);
  return sorted_array(v, used);
}

cJSON *soak_expected(const cJSON *base, int workers) {
  size_t n = (size_t)cJSON_GetArraySize(base), used = 0;
  char **v = calloc(n * (size_t)(workers > 0 ? workers : 1) + 1, sizeof *v);
  const cJSON *it;
  cJSON_ArrayForEach(it, base) {
    int times = strstr(it->valuestring, "{md}") ? workers : 1;
    for (int i = 0; i < times; i++) v[used++] = strdup(it->valuestring);
  }
  return sorted_array(v, used);
}

/* Multiset difference of two sorted string arrays: "missing a, b; extra c" (empty when equal). */
void soak_diff(const cJSON *want, const cJSON *got, char *out, size_t n) {
  out[0] = '\0';
  int i = 0, j = 0, nw = cJSON_GetArraySize(want), ng = cJSON_GetArraySize(got);
  char miss[1024] = "", extra[1024] = "";
  while (i < nw || j < ng) {
    const char *a = i < nw ? cJSON_GetArrayItem(want, i)->valuestring : NULL;
    const char *b = j < ng ? cJSON_GetArrayItem(got, j)->valuestring : NULL;
    if (a && b && !strcmp(a, b)) {
      i++;
      j++;
    } else if (a && (!b || strcmp(a, b) < 0)) {
      soak_appendf(miss, sizeof miss, " %s", a);
      i++;
    } else if (b) {
      soak_appendf(extra, sizeof extra, " %s", b);
      j++;
    }
  }
  if (miss[0]) soak_appendf(out, n, "missing:%s;", miss);
  if (extra[0]) soak_appendf(out, n, " extra (duplicates/orphans):%s", extra);
}

/* ------------------------------------------------------------------ request log */
static void id_of(const char *path, char *out, size_t n) {
  size_t i = 0;
  for (; path[i] && path[i] != '?' && i < n - 1; i++) out[i] = (char)tolower((unsigned char)path[i]);
  out[i] = '\0';
}

static const char *short_id(const char *id) { /* ".../<type>/<name>" */
  const char *p = id + strlen(id);
  int slashes = 0;
  while (p > id && slashes < 2) {
    p--;
    if (*p == '/') slashes++;
  }
  return slashes == 2 ? p + 1 : id;
}

typedef struct idcount {
  char id[400];
  int creates;
  bool exists;
} idcount;

void soak_reqstats_of(const cJSON *log, soak_reqstats *s) {
  memset(s, 0, sizeof *s);
  const cJSON *reqs = cJSON_GetObjectItem(log, "requests");
  size_t cap = (size_t)cJSON_GetArraySize(reqs) + 1, nids = 0;
  idcount *ids = calloc(cap, sizeof *ids);
  const cJSON *r;
  cJSON_ArrayForEach(r, reqs) {
    const char *path = capz_json_ptr_str(r, "/path", "");
    if (strncmp(path, "/subscriptions", 14)) continue; /* tokens, metadata */
    const char *m = capz_json_ptr_str(r, "/method", "");
    int st = (int)capz_json_ptr_int(r, "/status", 0);
    s->total++;
    if (st == 409) s->conflicts++;
    if (st == 429) s->throttled++;
    if (!strcmp(m, "GET")) s->gets++;
    bool put = !strcmp(m, "PUT"), del = !strcmp(m, "DELETE");
    if (put) s->puts++;
    if (del) s->deletes++;
    if (!(put || del) || st < 200 || st >= 300) continue;
    char id[400];
    id_of(path, id, sizeof id);
    idcount *c = NULL;
    for (size_t i = 0; i < nids && !c; i++)
      if (!strcmp(ids[i].id, id)) c = &ids[i];
    if (!c) {
      c = &ids[nids++];
      snprintf(c->id, sizeof c->id, "%s", id);
    }
    if (put) {
      if (st == 201 || !c->exists) {
        c->creates++;
        s->creates++;
      } else {
        s->put_updates++;
      }
      c->exists = true;
    } else if (st != 204) { /* 204: there was nothing to delete */
      s->deletes_ok++;
      c->exists = false;
    }
  }
  for (size_t i = 0; i < nids; i++)
    if (ids[i].creates > 1) {
      s->dup_creates += ids[i].creates - 1;
      soak_appendf(s->dup_detail, sizeof s->dup_detail, " %s x%d", short_id(ids[i].id), ids[i].creates);
    }
  free(ids);
}

/* ------------------------------------------------------------------ checks */
static const char *tag_of(const cJSON *r, const char *cluster) {
  char key[256];
  snprintf(key, sizeof key, "%s%s", SOAK_OWNED_TAG, cluster);
  const cJSON *t = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItem(r, "tags"), key);
  return cJSON_IsString(t) ? t->valuestring : NULL;
}

static bool is_type(const cJSON *r, const char *type) { return !strcasecmp(capz_json_ptr_str(r, "/type", ""), type); }

static const cJSON *find_id(const cJSON *inv, const char *id) {
  const cJSON *r;
  cJSON_ArrayForEach(r, inv) if (!strcasecmp(capz_json_ptr_str(r, "/id", ""), id)) return r;
  return NULL;
}

int soak_check_ready(soak_env *e, const char *cluster, const cJSON *expected, const soak_reqstats *rs, char *rep,
                     size_t n) {
  int bad = 0;
  cJSON *inv = arm_inventory(e);
  cJSON *ams = k_list_labelled(e, "infrastructure.cluster.x-k8s.io", "AzureMachine", cluster);
  if (!inv) {
    soak_appendf(rep, n, " [no inventory]");
    cJSON_Delete(ams);
    return 1;
  }
  /* 1. the inventory equals the kill-free baseline (names normalized): no duplicate, nothing missing */
  if (expected) {
    cJSON *got = soak_normalize(inv, cluster, ams);
    char d[2048];
    soak_diff(expected, got, d, sizeof d);
    if (d[0]) {
      soak_appendf(rep, n, " [inventory %s]", d);
      bad++;
    }
    cJSON_Delete(got);
  }
  /* 2. one VM and one NIC per machine; every NIC and disk attached to a VM that exists */
  int vms = 0, nics = 0, disks = 0, machines = cJSON_GetArraySize(ams);
  const cJSON *r;
  cJSON_ArrayForEach(r, inv) {
    if (is_type(r, "Microsoft.Compute/virtualMachines")) vms++;
    if (is_type(r, "Microsoft.Network/networkInterfaces")) {
      nics++;
      const char *vm = capz_json_ptr_str(r, "/properties/virtualMachine/id", "");
      if (!*vm || !find_id(inv, vm)) {
        soak_appendf(rep, n, " [NIC %s attached to no VM]", capz_json_ptr_str(r, "/name", "?"));
        bad++;
      }
    }
    if (is_type(r, "Microsoft.Compute/disks")) {
      disks++;
      const char *vm = capz_json_ptr_str(r, "/managedBy", "");
      if (!*vm || !find_id(inv, vm)) {
        soak_appendf(rep, n, " [disk %s attached to no VM]", capz_json_ptr_str(r, "/name", "?"));
        bad++;
      }
    }
  }
  if (vms != machines || nics != machines) {
    soak_appendf(rep, n, " [%d VMs, %d NICs for %d machines]", vms, nics, machines);
    bad++;
  }
  /* 3. providerIDs unique and naming existing VMs */
  int i = 0;
  cJSON_ArrayForEach(r, ams) {
    const char *pid = capz_json_ptr_str(r, "/spec/providerID", "");
    const char *name = capz_json_ptr_str(r, "/metadata/name", "?");
    if (strncmp(pid, "azure://", 8) || !find_id(inv, pid + 8) ||
        !is_type(find_id(inv, pid + 8), "Microsoft.Compute/virtualMachines")) {
      soak_appendf(rep, n, " [%s providerID '%s' names no VM]", name, pid);
      bad++;
    }
    int j = 0;
    const cJSON *o;
    cJSON_ArrayForEach(o, ams) {
      if (j++ > i && !strcasecmp(pid, capz_json_ptr_str(o, "/spec/providerID", "-"))) {
        soak_appendf(rep, n, " [providerID %s on two machines]", pid);
        bad++;
      }
    }
    i++;
  }
  /* 4. the request log: nothing created twice, nothing deleted while provisioning */
  if (rs->dup_creates) {
    soak_appendf(rep, n, " [created twice:%s]", rs->dup_detail);
    bad++;
  }
  if (rs->deletes_ok) {
    soak_appendf(rep, n, " [%d DELETEs while provisioning]", rs->deletes_ok);
    bad++;
  }
  (void)disks;
  cJSON_Delete(inv);
  cJSON_Delete(ams);
  return bad;
}

int soak_check_gone(soak_env *e, const char *cluster, char *rep, size_t n) {
  cJSON *inv = arm_inventory(e);
  if (!inv) {
    soak_appendf(rep, n, " [no inventory]");
    return 1;
  }
  int tagged = 0, bad = 0, pre = 0;
  char rg[256], pre_rg[256], names[512] = "";
  snprintf(rg, sizeof rg, "/subscriptions/%s/resourceGroups/%s", SOAK_SUB, cluster);
  snprintf(pre_rg, sizeof pre_rg, "/subscriptions/%s/resourceGroups/%s", SOAK_SUB, SOAK_PRE_RG);
  size_t pl = strlen(pre_rg);
  const cJSON *r;
  cJSON_ArrayForEach(r, inv) {
    const char *id = capz_json_ptr_str(r, "/id", "");
    if (!strncasecmp(id, pre_rg, pl) && (id[pl] == '\0' || id[pl] == '/')) { /* not the cluster's: must stay */
      pre++;
      continue;
    }
    bool is_rg = !strcasecmp(id, rg);
    if (tag_of(r, cluster) || is_rg) {
      tagged++;
      const char *t = strrchr(capz_json_ptr_str(r, "/type", "?"), '/');
      soak_appendf(names, sizeof names, " %s/%s", t ? t + 1 : "?", capz_json_ptr_str(r, "/name", "?"));
    }
  }
  if (tagged) {
    soak_appendf(rep, n, " [orphans: %d of the cluster left:%s]", tagged, names);
    bad++;
  }
  int left = cJSON_GetArraySize(inv) - pre;
  if (left > tagged) {
    soak_appendf(rep, n, " [%d untagged resources left]", left - tagged);
    bad++;
  }
  if (pre != 2) { /* the pre-existing group and identity are not the cluster's to delete */
    soak_appendf(rep, n, " [pre-existing %s resources: %d of 2 left]", SOAK_PRE_RG, pre);
    bad++;
  }
  cJSON_Delete(inv);
  return bad;
}

char *soak_inflight(const cJSON *inv) {
  char *out = calloc(1, 1024);
  const cJSON *r;
  cJSON_ArrayForEach(r, inv) {
    const char *ps = capz_json_ptr_str(r, "/properties/provisioningState", "Succeeded");
    if (!strcmp(ps, "Succeeded") || !strcmp(ps, "Failed") || !strcmp(ps, "Canceled")) continue;
    const char *t = strrchr(capz_json_ptr_str(r, "/type", "?"), '/');
    soak_appendf(out, 1024, "%s%s/%s(%s)", out[0] ? " " : "", t ? t + 1 : "?", capz_json_ptr_str(r, "/name", "?"), ps);
  }
  return out;
}

static double parse_time(const char *s) { /* 2026-11-25T07:50:01.1234567+00:00 */
  struct tm tm;
  memset(&tm, 0, sizeof tm);
  const char *p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
  if (!p) return 0;
  double frac = *p == '.' ? strtod(p, NULL) : 0;
  return (double)timegm(&tm) + frac;
}

char *soak_last_writes(const cJSON *log, double t, int max) {
  const cJSON *reqs = cJSON_GetObjectItem(log, "requests");
  int n = cJSON_GetArraySize(reqs);
  char *out = calloc(1, 1024);
  int found = 0;
  /* newest first, back from the kill */
  for (int i = n - 1; i >= 0 && found < max; i--) {
    const cJSON *r = cJSON_GetArrayItem(reqs, i);
    const char *m = capz_json_ptr_str(r, "/method", "");
    const char *path = capz_json_ptr_str(r, "/path", "");
    if (!strcmp(m, "GET") || strncmp(path, "/subscriptions", 14)) continue;
    double rt = parse_time(capz_json_ptr_str(r, "/time", ""));
    if (rt > t) continue;
    char id[400];
    id_of(path, id, sizeof id);
    soak_appendf(out, 1024, "%s%s %s %d (%.1fs before)", found ? ", " : "", m, short_id(id),
                 (int)capz_json_ptr_int(r, "/status", 0), t - rt);
    found++;
  }
  return out;
}
