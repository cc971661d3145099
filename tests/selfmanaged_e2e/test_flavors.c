/* test_flavors.c — whole clusters as a CAPZ user makes them: a cluster template rendered clusterctl-style and
 * applied to the management cluster (capz-kube-sim), Cluster API core played by capz-capi-sim (control plane and
 * MachineDeployment machines, bootstrap data, readiness), the selfmanaged plugin in capz-host, capz-arm-sim.
 * Cases: CAPZ's reference cluster-template.yaml (inventory resource by resource, CAPZ's reconcile order in the
 * ARM request log, zero-request steady state, delete by resource group alone); the IPv6 and dual-stack flavors'
 * networks and capz-c's Azure CNI v2 pod-subnet flavor, side by side, then deleted to zero owned resources. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "capz/conditions.h"
#include "capz/json.h"
#include "e2e_capi.h"
#include "e2e_checks.h"
#include "e2e_env.h"

#define RGP "/subscriptions/" E2E_SUB "/resourceGroups/"
#define NETP "/providers/Microsoft.Network/"

static const capz_gvk GVK_CLUSTER_B1 = {"cluster.x-k8s.io", "v1beta1", "Cluster", "clusters", true};

static void setup(void) {
  env_start();
  capi_start();
}
static void teardown(void) {
  capi_stop();
  env_stop();
}

/* ---------------------------------------------------------------- helpers */

/* The service principal the emulator knows, as the AzureClusterIdentity every cluster here uses; and the
 * user-assigned identity CAPZ's template gives control-plane VMs (made beforehand by a CAPZ user, as in CAPZ's CI). */
static void make_identity(void) {
  arm_direct("PUT", RGP "capz-ci", "{\"location\":\"eastus\"}");
  arm_direct("PUT", RGP "capz-ci/providers/Microsoft.ManagedIdentity/userAssignedIdentities/cloud-provider-user-identity",
             "{\"location\":\"eastus\"}");
  k_make_sp_identity("{}");
}

/* A template rendered for cluster `name` (one control-plane machine, `workers` workers) as parsed documents. */
static cJSON *render(const char *path, const char *name, const char *workers) {
  const char *vars[] = {"CLUSTER_NAME", name, "AZURE_LOCATION", "eastus", "AZURE_SUBSCRIPTION_ID", E2E_SUB,
                        "AZURE_TENANT_ID", E2E_TENANT, "AZURE_CLIENT_ID_USER_ASSIGNED_IDENTITY", E2E_CLIENT,
                        "CLUSTER_IDENTITY_NAME", "id1", "CLUSTER_IDENTITY_TYPE", "ServicePrincipal",
                        "KUBERNETES_VERSION", "v1.33.1", "AZURE_CONTROL_PLANE_MACHINE_TYPE", "Standard_D2s_v3",
                        "AZURE_NODE_MACHINE_TYPE", "Standard_D2s_v3", "CONTROL_PLANE_MACHINE_COUNT", "1",
                        "WORKER_MACHINE_COUNT", workers, "CLUSTER_CLASS_NAME", "azure-cc", NULL};
  char *text = tpl_render(path, vars);
  capz_err err;
  cJSON *docs = capz_yaml_to_json(text, strlen(text), &err);
  free(text);
  ck_assert_msg(docs != NULL, "%s: %s", path, err.msg);
  /* the identity is made once by the test (a ServicePrincipal with the emulator's secret) */
  for (int i = cJSON_GetArraySize(docs) - 1; i >= 0; i--)
    if (!strcmp(capz_json_ptr_str(cJSON_GetArrayItem(docs, i), "/kind", ""), "AzureClusterIdentity"))
      cJSON_DeleteItemFromArray(docs, i);
  return docs;
}

static cJSON *doc_of(cJSON *docs, const char *kind) {
  cJSON *d;
  cJSON_ArrayForEach(d, docs) if (!strcmp(capz_json_ptr_str(d, "/kind", ""), kind)) return d;
  ck_abort_msg("no %s in the template", kind);
  return NULL;
}

static void apply(cJSON *docs) {
  const cJSON *d;
  cJSON_ArrayForEach(d, docs) {
    char *t = cJSON_PrintUnformatted(d); /* a JSON document is a YAML document */
    tpl_apply(t);
    free(t);
  }
  cJSON_Delete(docs);
}

static char *shared_template(const char *file) {
  static char p[1024];
  snprintf(p, sizeof p, "%s/reference/templates/%s", getenv("CAPZ_SHARED_DIR") ? getenv("CAPZ_SHARED_DIR") : "", file);
  return p;
}
static char *source_template(const char *file) {
  static char p[1024];
  snprintf(p, sizeof p, "%s/templates/%s", getenv("CAPZ_SOURCE_DIR") ? getenv("CAPZ_SOURCE_DIR") : "", file);
  return p;
}

static cJSON *machines_of(const char *cluster) {
  char sel[200];
  snprintf(sel, sizeof sel, "cluster.x-k8s.io/cluster-name=%s", cluster);
  capz_list_opts o = {.label_selector = sel};
  cJSON *l = NULL;
  capz_err e;
  ck_assert_msg(capz_kube_list(g_kc, &GVK_AM, "default", &o, &l, &e) == 0, "list: %s", e.msg);
  cJSON *items = cJSON_DetachItemFromObject(l, "items");
  cJSON_Delete(l);
  return items;
}

/* Every one of the cluster's `want` AzureMachines is ready (or the timeout passed: the test fails with their
 * status). */
static void wait_machines_ready(const char *cluster, int want, int64_t ms) {
  int64_t until = now_ms() + ms;
  for (;;) {
    cJSON *ms_ = machines_of(cluster);
    int ready = 0;
    const cJSON *m;
    cJSON_ArrayForEach(m, ms_) ready += capz_json_ptr_bool(m, "/status/ready", false);
    if (ready >= want && cJSON_GetArraySize(ms_) == want) {
      cJSON_Delete(ms_);
      return;
    }
    if (now_ms() > until) {
      char *t = cJSON_PrintUnformatted(ms_);
      ck_abort_msg("%s: %d of %d AzureMachines ready: %.3000s", cluster, ready, want, t);
    }
    cJSON_Delete(ms_);
    usleep(100000);
  }
}

/* ---------------------------------------------------------------- the ARM request log */
/* The resource type of an ARM path ("resourceGroups", "Microsoft.Network/virtualNetworks/subnets", ...) and the
 * resource group it lives in. */
static void path_type(const char *path, char *type, size_t tn, char *rg, size_t rn) {
  char p[1024];
  snprintf(p, sizeof p, "%.*s", (int)strcspn(path, "?"), path);
  *type = *rg = '\0';
  const char *g = strcasestr(p, "/resourceGroups/");
  if (g) snprintf(rg, rn, "%.*s", (int)strcspn(g + 16, "/"), g + 16);
  const char *prov = strcasestr(p, "/providers/");
  if (!prov) {
    if (g && !strchr(g + 16, '/')) snprintf(type, tn, "resourceGroups");
    return;
  }
  /* Namespace/type/name[/type/name...] */
  char segs[1024];
  snprintf(segs, sizeof segs, "%s", prov + 11);
  char *save = NULL, *tok = strtok_r(segs, "/", &save);
  size_t k = 0;
  int i = 0;
  while (tok) {
    if (i == 0 || i % 2 == 1) k += (size_t)snprintf(type + k, tn > k ? tn - k : 0, "%s%s", i ? "/" : "", tok);
    tok = strtok_r(NULL, "/", &save);
    i++;
  }
}

/* Position (in the log) of the first request with `method` on a resource of `type` (in resource group rg, or any
 * when rg is NULL) whose path contains `part` (NULL = any); -1 when there is none. */
static int first_at(const cJSON *log, const char *method, const char *type, const char *rg, const char *part) {
  int i = 0;
  const cJSON *r;
  cJSON_ArrayForEach(r, cJSON_GetObjectItem(log, "requests")) {
    const char *path = capz_json_ptr_str(r, "/path", "");
    if (!strncmp(path, "/subscriptions", 14) && !strcmp(capz_json_ptr_str(r, "/method", ""), method) &&
        (!part || strcasestr(path, part))) {
      char t[256], g[128];
      path_type(path, t, sizeof t, g, sizeof g);
      if (!strcasecmp(t, type) && (!rg || !strcasecmp(g, rg))) return i;
    }
    i++;
  }
  return -1;
}

/* The first PUTs per resource type follow CAPZ's AzureCluster service order (capz-reference §2.3). */
static const char *const CLUSTER_ORDER[] = {
    "resourceGroups", "Microsoft.Network/virtualNetworks", "Microsoft.Network/networkSecurityGroups",
    "Microsoft.Network/routeTables", "Microsoft.Network/publicIPAddresses", "Microsoft.Network/natGateways",
    "Microsoft.Network/virtualNetworks/subnets", "Microsoft.Network/virtualNetworks/virtualNetworkPeerings",
    "Microsoft.Network/loadBalancers", "Microsoft.Network/privateDnsZones", "Microsoft.Network/privateEndpoints",
    "Microsoft.Network/bastionHosts", NULL};
/* ... and per machine CAPZ's AzureMachine service order (§2.4); the cluster's own public IPs are excluded by
 * matching the machine's name in the path. */
static const char *const MACHINE_ORDER[] = {
    "Microsoft.Network/publicIPAddresses", "Microsoft.Network/loadBalancers/inboundNatRules",
    "Microsoft.Network/networkInterfaces", "Microsoft.Compute/availabilitySets", "Microsoft.Compute/virtualMachines",
    "Microsoft.Authorization/roleAssignments", "Microsoft.Compute/virtualMachines/extensions", NULL};

/* Returns how many resource types were seen; fails when two are out of order. */
static int assert_order(const cJSON *log, const char *const *order, const char *rg, const char *part,
                        const char *what, int *last_pos) {
  int prev = -1, seen = 0;
  const char *prev_t = NULL;
  for (int i = 0; order[i]; i++) {
    int at = first_at(log, "PUT", order[i], rg, part);
    if (at < 0) continue;
    ck_assert_msg(at > prev, "%s: first PUT of %s (request %d) comes before %s (request %d)", what, order[i], at,
                  prev_t ? prev_t : "-", prev);
    prev = at;
    prev_t = order[i];
    seen++;
    if (getenv("SM_E2E_SHOW_ORDER")) fprintf(stderr, "  %s: first PUT of %s at request %d\n", what, order[i], at);
  }
  if (last_pos) *last_pos = prev;
  return seen;
}

/* Deleting row by row (a resource group we do not own): the first DELETEs per type come in the reverse of
 * `order`; the resource group itself is never deleted. Returns how many types were deleted. */
static int assert_reverse_order(const cJSON *log, const char *const *order, const char *rg, const char *part,
                                const char *what) {
  int n = 0;
  while (order[n]) n++;
  int prev = -1, seen = 0;
  const char *prev_t = NULL;
  for (int i = n - 1; i >= 0; i--) {
    int at = first_at(log, "DELETE", order[i], rg, part);
    if (at < 0) continue;
    ck_assert_msg(at > prev, "%s: first DELETE of %s (request %d) comes before %s (request %d)", what, order[i], at,
                  prev_t ? prev_t : "-", prev);
    prev = at;
    prev_t = order[i];
    seen++;
  }
  return seen;
}

/* ---------------------------------------------------------------- CAPZ's reference template */
START_TEST(reference_template) {
  make_identity();
  arm_clear_requests();
  int64_t t0 = now_ms();
  apply(render(shared_template("cluster-template.yaml"), "ref", "1"));
  k_wait_ready(&GVK_AC, "ref", 60000);
  double cluster_s = (double)(now_ms() - t0) / 1000.0;
  wait_machines_ready("ref", 2, 90000);
  double all_s = (double)(now_ms() - t0) / 1000.0;
  cJSON *log = arm_requests();
  fprintf(stderr,
          "reference template: AzureCluster ready after %.1fs, 2 machines after %.1fs; %d ARM requests (%d PUT, %d "
          "GET, %d other)\n",
          cluster_s, all_s, arm_count(log, NULL), arm_count(log, "PUT"), arm_count(log, "GET"),
          arm_count(log, NULL) - arm_count(log, "PUT") - arm_count(log, "GET"));

  /* both machines use cloud-provider-user-identity: it is checked once, not on every pass of every machine until
   * its VM exists (2 when both machines' first passes overlap) */
  int uai_gets = 0;
  const cJSON *g;
  cJSON_ArrayForEach(g, cJSON_GetObjectItem(log, "requests"))
    if (!strcmp(capz_json_ptr_str(g, "/method", ""), "GET") &&
        strcasestr(capz_json_ptr_str(g, "/path", ""), "/userAssignedIdentities/cloud-provider-user-identity"))
      uai_gets++;
  fprintf(stderr, "reference template: %d GETs of the machines' user-assigned identity\n", uai_gets);
  ck_assert_int_ge(uai_gets, 1);
  ck_assert_int_le(uai_gets, 2);

  if (getenv("SM_E2E_SHOW_REQUESTS")) {
    const cJSON *q;
    cJSON_ArrayForEach(q, cJSON_GetObjectItem(log, "requests"))
      if (strcmp(capz_json_ptr_str(q, "/method", ""), "GET"))
        fprintf(stderr, "  %s %s\n", capz_json_ptr_str(q, "/method", ""), capz_json_ptr_str(q, "/path", ""));
  }
  /* --- CAPZ's order: cluster services, then each machine's services after every cluster service */
  int cluster_last = -1;
  int types = assert_order(log, CLUSTER_ORDER, "ref", NULL, "AzureCluster", &cluster_last);
  ck_assert_int_ge(types, 8); /* group, vnet, nsg, rt, pip, natgw, subnets, lb */
  cJSON *ms = machines_of("ref");
  const cJSON *m;
  cJSON_ArrayForEach(m, ms) {
    const char *name = capz_json_ptr_str(m, "/metadata/name", "");
    char part[200];
    snprintf(part, sizeof part, "/%s", name);
    int first_machine = -1;
    int n = assert_order(log, MACHINE_ORDER, "ref", part, name, NULL);
    ck_assert_int_ge(n, 2); /* NIC, VM */
    for (int i = 0; MACHINE_ORDER[i]; i++) {
      int at = first_at(log, "PUT", MACHINE_ORDER[i], "ref", part);
      if (at >= 0 && (first_machine < 0 || at < first_machine)) first_machine = at;
    }
    ck_assert_msg(first_machine > cluster_last, "machine %s started (request %d) before the cluster's last service (%d)",
                  name, first_machine, cluster_last);
  }
  cJSON_Delete(log);

  /* --- inventory, resource by resource */
  cJSON *all = arm_resources(NULL);
  arm_expect_owned(all, RGP "ref", "ref");
  cJSON *vnet = arm_expect_owned(all, NETP "virtualNetworks/ref-vnet", "ref");
  ck_assert_str_eq(capz_json_ptr_str(vnet, "/properties/addressSpace/addressPrefixes/0", ""), "10.0.0.0/8");
  cJSON *cpnsg = arm_expect_owned(all, NETP "networkSecurityGroups/ref-controlplane-nsg", "ref");
  ck_assert_str_eq(capz_json_ptr_str(cpnsg, "/properties/securityRules/0/name", ""), "allow_ssh");
  ck_assert_str_eq(capz_json_ptr_str(cpnsg, "/properties/securityRules/1/name", ""), "allow_apiserver");
  arm_expect_owned(all, NETP "networkSecurityGroups/ref-node-nsg", "ref");
  arm_expect_owned(all, NETP "routeTables/ref-node-routetable", "ref");
  cJSON *apip = arm_expect_owned(all, NETP "publicIPAddresses/pip-ref-apiserver", "ref");
  ck_assert_str_eq(capz_json_ptr_str(apip, "/properties/publicIPAddressVersion", ""), "IPv4");
  arm_expect_owned(all, NETP "publicIPAddresses/pip-ref-node-natgw-1", "ref");
  arm_expect_owned(all, NETP "natGateways/ref-node-natgw-1", "ref");
  cJSON *cps = arm_expect(all, "/virtualNetworks/ref-vnet/subnets/control-plane-subnet");
  ck_assert_str_eq(capz_json_ptr_str(cps, "/properties/addressPrefix", ""), "10.0.0.0/16");
  cJSON *ns = arm_expect(all, "/virtualNetworks/ref-vnet/subnets/node-subnet");
  ck_assert_str_eq(capz_json_ptr_str(ns, "/properties/addressPrefix", ""), "10.1.0.0/16");
  ck_assert_ptr_nonnull(strcasestr(capz_json_ptr_str(ns, "/properties/natGateway/id", ""), "ref-node-natgw"));
  cJSON *lb = arm_expect_owned(all, NETP "loadBalancers/ref-public-lb", "ref");
  ck_assert_str_eq(capz_json_ptr_str(lb, "/properties/loadBalancingRules/0/name", ""), "LBRuleHTTPS");
  int vms = 0;
  cJSON_ArrayForEach(m, ms) {
    const char *name = capz_json_ptr_str(m, "/metadata/name", "");
    char suf[256];
    snprintf(suf, sizeof suf, "/virtualMachines/%s", name);
    arm_expect_owned(all, suf, "ref");
    snprintf(suf, sizeof suf, "/networkInterfaces/%s-nic", name);
    arm_expect_owned(all, suf, "ref");
    vms++;
  }
  ck_assert_int_eq(vms, 2);
  cJSON_Delete(all);
  cJSON_Delete(ms);
  cJSON *ac = k_get(&GVK_AC, "ref");
  ck_assert(capz_cond_is_true(ac, "Ready"));
  ck_assert_ptr_nonnull(strstr(capz_json_ptr_str(ac, "/spec/controlPlaneEndpoint/host", ""), ".eastus.cloudapp.azure.com"));
  cJSON_Delete(ac);

  /* --- steady state: nothing changes, no ARM request at all (every controller, every object) */
  arm_clear_requests();
  sleep(2);
  log = arm_requests();
  fprintf(stderr, "reference template steady state: %d ARM requests in 2 s\n", arm_count(log, NULL));
  ck_assert_int_eq(arm_count(log, NULL), 0);
  cJSON_Delete(log);

  /* --- delete the Cluster (CAPI deletes the machines, then the AzureCluster): the owned resource group goes
   * in one DELETE (no cluster resource is deleted one by one), nothing owned is left */
  arm_clear_requests();
  k_delete(&GVK_CLUSTER_B1, "ref");
  k_wait_gone(&GVK_AC, "ref", 60000);
  log = arm_requests();
  ck_assert_int_ge(first_at(log, "DELETE", "resourceGroups", "ref", NULL), 0);
  for (int i = 1; CLUSTER_ORDER[i]; i++)
    ck_assert_msg(first_at(log, "DELETE", CLUSTER_ORDER[i], "ref", "ref-") < 0, "%s deleted one by one",
                  CLUSTER_ORDER[i]);
  cJSON_Delete(log);
  ck_assert_int_eq(arm_count_owned("ref"), 0);
}
END_TEST

/* ---------------------------------------------------------------- IPv6, dual stack, Azure CNI v2 */
/* The networks of CAPZ's ipv6 and dual-stack flavors (templates/flavors/{ipv6,dual-stack}/patches): the same
 * AzureCluster (a dual-stack VNet and subnets, since Azure needs IPv4 next to IPv6), Cluster pod/service CIDRs of
 * one or both families. */
static const char FLAVOR_NET[] =
    "{\"vnet\":{\"name\":\"%s-vnet\",\"cidrBlocks\":[\"10.0.0.0/8\",\"2001:1234:5678:9a00::/56\"]},\"subnets\":["
    "{\"name\":\"control-plane-subnet\",\"role\":\"control-plane\",\"cidrBlocks\":[\"10.0.0.0/16\","
    "\"2001:1234:5678:9abc::/64\"]},{\"name\":\"node-subnet\",\"role\":\"node\",\"cidrBlocks\":[\"10.1.0.0/16\","
    "\"2001:1234:5678:9abd::/64\"]}]}";

static cJSON *ipv6_flavor(const char *name, bool dual, const char *rg) {
  cJSON *docs = render(shared_template("cluster-template.yaml"), name, "1");
  if (rg) cJSON_ReplaceItemInObject(cJSON_GetObjectItem(doc_of(docs, "AzureCluster"), "spec"), "resourceGroup",
                                    cJSON_CreateString(rg));
  char buf[1024];
  snprintf(buf, sizeof buf, FLAVOR_NET, name);
  cJSON *spec = cJSON_GetObjectItem(doc_of(docs, "AzureCluster"), "spec");
  cJSON_ReplaceItemInObject(spec, "networkSpec", cJSON_Parse(buf));
  cJSON *cn = cJSON_Parse(dual ? "{\"pods\":{\"cidrBlocks\":[\"10.244.0.0/16\",\"2001:1234:5678:9a40::/58\"]},"
                                 "\"services\":{\"cidrBlocks\":[\"10.0.0.0/16\",\"fd00::/108\"]}}"
                               : "{\"pods\":{\"cidrBlocks\":[\"2001:1234:5678:9a40::/58\"]},"
                                 "\"services\":{\"cidrBlocks\":[\"fd00::/108\"]}}");
  cJSON_ReplaceItemInObject(cJSON_GetObjectItem(doc_of(docs, "Cluster"), "spec"), "clusterNetwork", cn);
  return docs;
}

static void expect_prefixes(const cJSON *res, const char *ptr, const char *v4, const char *v6) {
  const cJSON *a = capz_json_ptr_get(res, ptr);
  ck_assert_msg(cJSON_GetArraySize(a) == 2, "%s of %s: %d prefixes", ptr, capz_json_ptr_str(res, "/name", ""),
                cJSON_GetArraySize(a));
  ck_assert_str_eq(cJSON_GetArrayItem(a, 0)->valuestring, v4);
  ck_assert_str_eq(cJSON_GetArrayItem(a, 1)->valuestring, v6);
}

/* IPv6 or dual-stack cluster c: the Azure side CAPZ builds for it. */
static void check_dual_network(cJSON *all, const char *c) {
  char p[300];
  snprintf(p, sizeof p, NETP "virtualNetworks/%s-vnet", c);
  expect_prefixes(arm_expect_owned(all, p, c), "/properties/addressSpace/addressPrefixes", "10.0.0.0/8",
                  "2001:1234:5678:9a00::/56");
  snprintf(p, sizeof p, "/virtualNetworks/%s-vnet/subnets/control-plane-subnet", c);
  expect_prefixes(arm_expect(all, p), "/properties/addressPrefixes", "10.0.0.0/16", "2001:1234:5678:9abc::/64");
  snprintf(p, sizeof p, "/virtualNetworks/%s-vnet/subnets/node-subnet", c);
  cJSON *node = arm_expect(all, p);
  expect_prefixes(node, "/properties/addressPrefixes", "10.1.0.0/16", "2001:1234:5678:9abd::/64");
  /* no NAT gateway on an IPv6 node subnet: egress through a node outbound load balancer instead */
  ck_assert_ptr_null(capz_json_ptr_get(node, "/properties/natGateway"));
  snprintf(p, sizeof p, NETP "natGateways/%s-node-natgw", c);
  ck_assert_ptr_null(arm_find(all, p));
  snprintf(p, sizeof p, NETP "loadBalancers/%s", c);
  cJSON *olb = arm_expect_owned(all, p, c);
  ck_assert_str_eq(capz_json_ptr_str(olb, "/properties/outboundRules/0/name", ""), "OutboundNATAllProtocols");
  char want[200];
  snprintf(want, sizeof want, "%s-outboundBackendPool", c);
  ck_assert_str_eq(capz_json_ptr_str(olb, "/properties/backendAddressPools/0/name", ""), want);
  snprintf(want, sizeof want, "publicIPAddresses/pip-%s-node-outbound", c);
  ck_assert_ptr_nonnull(strcasestr(capz_json_ptr_str(olb, "/properties/frontendIPConfigurations/0/properties/publicIPAddress/id", ""), want));
  /* every public IP IPv4, as CAPZ makes them (Azure needs an IPv4 frontend rule to carry IPv6) */
  snprintf(p, sizeof p, NETP "publicIPAddresses/pip-%s-node-outbound", c);
  cJSON *opip = arm_expect_owned(all, p, c);
  ck_assert_str_eq(capz_json_ptr_str(opip, "/properties/publicIPAddressVersion", ""), "IPv4");
  snprintf(p, sizeof p, NETP "publicIPAddresses/pip-%s-apiserver", c);
  cJSON *apip = arm_expect_owned(all, p, c);
  ck_assert_str_eq(capz_json_ptr_str(apip, "/properties/publicIPAddressVersion", ""), "IPv4");
  snprintf(p, sizeof p, NETP "loadBalancers/%s-public-lb", c);
  cJSON *alb = arm_expect_owned(all, p, c);
  ck_assert_ptr_nonnull(strcasestr(capz_json_ptr_str(alb, "/properties/frontendIPConfigurations/0/properties/publicIPAddress/id", ""), "pip-"));
  /* the machines (AzureMachine side): each NIC has its IPv4 primary and an IPv6 configuration from the subnet's
   * /64, and the workers sit in the node outbound LB's pool */
  cJSON *ms = machines_of(c);
  const cJSON *m;
  int nics = 0, in_pool = 0;
  cJSON_ArrayForEach(m, ms) {
    snprintf(p, sizeof p, "/networkInterfaces/%s-nic", capz_json_ptr_str(m, "/metadata/name", ""));
    cJSON *nic = arm_expect_owned(all, p, c);
    const cJSON *ipc, *v4 = NULL, *v6 = NULL;
    cJSON_ArrayForEach(ipc, capz_json_ptr_get(nic, "/properties/ipConfigurations")) {
      const char *ver = capz_json_ptr_str(ipc, "/properties/privateIPAddressVersion", "IPv4");
      if (!strcmp(ver, "IPv6")) v6 = ipc;
      else if (capz_json_ptr_bool(ipc, "/properties/primary", false)) v4 = ipc;
      if (strstr(capz_json_ptr_str(ipc, "/properties/loadBalancerBackendAddressPools/0/id", ""), "outboundBackendPool"))
        in_pool++;
    }
    ck_assert_msg(v4 && v6, "NIC %s lacks its IPv4 primary or IPv6 configuration", p);
    ck_assert_msg(!strncmp(capz_json_ptr_str(v6, "/properties/privateIPAddress", ""), "2001:1234:5678:9ab", 18),
                  "IPv6 address %s", capz_json_ptr_str(v6, "/properties/privateIPAddress", ""));
    nics++;
  }
  ck_assert_int_eq(nics, 2);
  ck_assert_int_ge(in_pool, 1);
  cJSON_Delete(ms);
}

/* The ARM id or path is one of the AzureCluster services' resources (capz-reference §2.3) in one of the groups. */
static bool cluster_resource(const char *id, const char *const *groups) {
  char type[256], rg[128];
  path_type(id, type, sizeof type, rg, sizeof rg);
  bool in = false;
  for (int g = 0; groups[g]; g++) in = in || !strcasecmp(rg, groups[g] + strlen("/resourceGroups/"));
  if (!in) return false;
  for (int i = 0; CLUSTER_ORDER[i]; i++)
    if (!strcasecmp(type, CLUSTER_ORDER[i])) return true;
  return false;
}

START_TEST(ipv6_dualstack_podsubnet) {
  make_identity();
  arm_clear_requests();
  /* the IPv6 cluster goes into a resource group made beforehand (not ours): deleted row by row, in reverse */
  arm_direct("PUT", RGP "v6-shared-rg", "{\"location\":\"eastus\"}");
  apply(ipv6_flavor("v6", false, "v6-shared-rg"));
  apply(ipv6_flavor("ds", true, NULL));
  /* the pod-subnet cluster also gets a private endpoint on its node subnet (CAPZ's subnets[].privateEndpoints) */
  cJSON *cni2 = render(source_template("cluster-template-azure-cni-v2.yaml"), "cni2", "1");
  cJSON *sn;
  cJSON_ArrayForEach(sn, capz_json_ptr_get(doc_of(cni2, "AzureCluster"), "/spec/networkSpec/subnets"))
    if (!strcmp(capz_json_ptr_str(sn, "/role", ""), "node"))
      cJSON_AddItemToObject(sn, "privateEndpoints",
                            cJSON_Parse("[{\"name\":\"cni2-blob-pe\",\"privateLinkServiceConnections\":[{\"name\":"
                                        "\"blob\",\"privateLinkServiceID\":\"/subscriptions/" E2E_SUB "/resourceGroups/"
                                        "data-rg/providers/Microsoft.Storage/storageAccounts/cni2data\",\"groupIDs\":"
                                        "[\"blob\"]}]}]"));
  apply(cni2);
  int64_t t0 = now_ms();
  k_wait_ready(&GVK_AC, "v6", 60000);
  k_wait_ready(&GVK_AC, "ds", 60000);
  k_wait_ready(&GVK_AC, "cni2", 60000);
  wait_machines_ready("v6", 2, 90000);
  wait_machines_ready("ds", 2, 90000);
  wait_machines_ready("cni2", 2, 90000);
  fprintf(stderr, "ipv6, dual-stack and pod-subnet clusters with their machines ready after %.1fs\n",
          (double)(now_ms() - t0) / 1000.0);

  cJSON *all = arm_resources(NULL);
  check_dual_network(all, "v6");
  check_dual_network(all, "ds");
  /* Azure CNI v2: the pod subnet, delegated, behind the node subnet's NSG and NAT gateway */
  cJSON *pod = arm_expect(all, "/virtualNetworks/cni2-vnet/subnets/pod-subnet");
  ck_assert_str_eq(capz_json_ptr_str(pod, "/properties/addressPrefix", ""), "10.128.0.0/12");
  ck_assert_str_eq(capz_json_ptr_str(pod, "/properties/delegations/0/properties/serviceName", ""),
                   "Microsoft.DelegatedNetwork/controller");
  ck_assert_ptr_nonnull(strcasestr(capz_json_ptr_str(pod, "/properties/networkSecurityGroup/id", ""), "/cni2-node-nsg"));
  ck_assert_ptr_nonnull(strcasestr(capz_json_ptr_str(pod, "/properties/natGateway/id", ""), "/cni2-node-natgw"));
  ck_assert_ptr_null(capz_json_ptr_get(pod, "/properties/routeTable"));
  cJSON *node = arm_expect(all, "/virtualNetworks/cni2-vnet/subnets/node-subnet");
  ck_assert_ptr_nonnull(strcasestr(capz_json_ptr_str(node, "/properties/natGateway/id", ""), "/cni2-node-natgw"));
  ck_assert_ptr_null(capz_json_ptr_get(node, "/properties/delegations/0"));
  /* one NSG and one NAT gateway serve both subnets */
  int natgws = 0;
  const cJSON *r;
  cJSON_ArrayForEach(r, all) natgws += arm_owned_by(r, "cni2") && strcasestr(capz_json_ptr_str(r, "/type", ""), "natGateways");
  ck_assert_int_eq(natgws, 1);
  cJSON *pe = arm_expect_owned(all, NETP "privateEndpoints/cni2-blob-pe", "cni2");
  ck_assert_ptr_nonnull(strcasestr(capz_json_ptr_str(pe, "/properties/subnet/id", ""), "/subnets/node-subnet"));
  ck_assert_str_eq(capz_json_ptr_str(pe, "/properties/privateLinkServiceConnections/0/properties/groupIds/0", ""), "blob");
  cJSON_Delete(all);
  cJSON *ac = k_get(&GVK_AC, "cni2");
  ck_assert(capz_cond_is_true(ac, "SubnetsReady"));
  ck_assert(capz_cond_is_true(ac, "PrivateEndpointsReady"));
  cJSON_Delete(ac);
  /* CAPZ's order per cluster, private endpoints after the load balancers */
  cJSON *clog = arm_requests();
  ck_assert_int_ge(assert_order(clog, CLUSTER_ORDER, "cni2", NULL, "cni2", NULL), 9);
  ck_assert_int_ge(assert_order(clog, CLUSTER_ORDER, "ds", NULL, "ds", NULL), 7);
  ck_assert_int_ge(assert_order(clog, CLUSTER_ORDER, "v6-shared-rg", NULL, "v6", NULL), 7);
  cJSON_Delete(clog);

  /* a second pass over unchanged clusters writes nothing */
  arm_clear_requests();
  env_restart_controllers();
  sleep(3);
  cJSON *log = arm_requests();
  /* the AzureClusters' side: at most one read per resource of their services (resource groups, VNets, subnets,
   * NSGs, route tables, public IPs, NAT gateways, load balancers, private endpoints), plus one more of each API server
   * LB by its control plane's SSH NAT rule (the AzureMachine side's read-modify-write of the LB) */
  static const char *const groups[] = {"/resourceGroups/v6-shared-rg", "/resourceGroups/ds", "/resourceGroups/cni2",
                                       NULL};
  int resources = 0, reads = 0;
  cJSON *everything = arm_resources(NULL);
  const cJSON *x;
  cJSON_ArrayForEach(x, everything) resources += cluster_resource(capz_json_ptr_str(x, "/id", ""), groups);
  cJSON_Delete(everything);
  cJSON_ArrayForEach(x, cJSON_GetObjectItem(log, "requests")) {
    const char *p1 = capz_json_ptr_str(x, "/path", "");
    if (strcmp(capz_json_ptr_str(x, "/method", ""), "GET") || !cluster_resource(p1, groups)) continue;
    reads++;
    size_t l1 = strcspn(p1, "?");
    if (l1 > 10 && !strncmp(p1 + l1 - 10, "-public-lb", 10)) continue;
    int same = 0;
    const cJSON *y;
    cJSON_ArrayForEach(y, cJSON_GetObjectItem(log, "requests")) {
      const char *p2 = capz_json_ptr_str(y, "/path", "");
      same += !strcmp(capz_json_ptr_str(y, "/method", ""), "GET") && strcspn(p2, "?") == l1 && !strncasecmp(p1, p2, l1);
    }
    ck_assert_msg(same == 1, "read %d times in the restart pass: %.*s", same, (int)l1, p1);
  }
  fprintf(stderr, "restart pass over 3 clusters and 6 machines: %d ARM requests (%d GET), %d reads of the %d "
          "AzureCluster resources\n", arm_count(log, NULL), arm_count(log, "GET"), reads, resources);
  ck_assert_int_eq(arm_count(log, NULL) - arm_count(log, "GET"), 0);
  ck_assert_int_le(reads, resources + 3);
  ck_assert_int_ge(reads, resources - 3); /* it did look (only bastion-less clusters here: every row is read) */
  cJSON_Delete(log);

  /* delete all three: nothing owned left */
  cJSON *v6ms = machines_of("v6");
  arm_clear_requests();
  k_delete(&GVK_CLUSTER_B1, "v6");
  k_delete(&GVK_CLUSTER_B1, "ds");
  k_delete(&GVK_CLUSTER_B1, "cni2");
  k_wait_gone(&GVK_AC, "v6", 60000);
  k_wait_gone(&GVK_AC, "ds", 60000);
  k_wait_gone(&GVK_AC, "cni2", 60000);
  ck_assert_int_eq(arm_count_owned("v6"), 0);
  ck_assert_int_eq(arm_count_owned("ds"), 0);
  ck_assert_int_eq(arm_count_owned("cni2"), 0);
  /* v6 (resource group not ours): CAPZ's reverse order, resource by resource, machine by machine; the group stays */
  log = arm_requests();
  ck_assert_int_lt(first_at(log, "DELETE", "resourceGroups", "v6-shared-rg", NULL), 0);
  ck_assert_int_ge(assert_reverse_order(log, CLUSTER_ORDER, "v6-shared-rg", NULL, "v6 delete"), 6);
  const cJSON *m;
  cJSON_ArrayForEach(m, v6ms) {
    const char *name = capz_json_ptr_str(m, "/metadata/name", "");
    char part[200];
    snprintf(part, sizeof part, "/%s", name);
    ck_assert_int_ge(assert_reverse_order(log, MACHINE_ORDER, "v6-shared-rg", part, name), 2);
  }
  cJSON_Delete(log);
  cJSON_Delete(v6ms);
  all = arm_resources(NULL);
  ck_assert_ptr_nonnull(arm_find(all, RGP "v6-shared-rg"));
  cJSON_Delete(all);
}
END_TEST

/* ---------------------------------------------------------------- ClusterClass */
static bool has_infra_ref(const cJSON *o, void *ud) {
  (void)ud;
  return o && *capz_json_ptr_str(o, "/spec/infrastructureRef/name", "");
}

/* CAPZ's reference ClusterClass and a Cluster of it (cluster-template-topology.yaml): capz-capi-sim renders the
 * AzureCluster (a generated name, not the Cluster's), the control plane and the MachineDeployment from the class;
 * the cluster reaches Ready with resources tagged with the Cluster's name, as CAPZ tags them; then it is deleted. */
START_TEST(clusterclass_topology) {
  make_identity();
  apply(render(shared_template("cluster-template-clusterclass.yaml"), "cc", "1"));
  apply(render(shared_template("cluster-template-topology.yaml"), "cc", "1"));
  cJSON *cl = NULL;
  ck_assert_msg(k_wait(&GVK_CLUSTER_B1, "cc", has_infra_ref, NULL, 20000, &cl), "the topology made no AzureCluster");
  char acname[256];
  snprintf(acname, sizeof acname, "%s", capz_json_ptr_str(cl, "/spec/infrastructureRef/name", ""));
  cJSON_Delete(cl);
  k_wait_ready(&GVK_AC, acname, 60000);
  wait_machines_ready("cc", 2, 90000);
  cJSON *ac = k_get(&GVK_AC, acname);
  char rg[256];
  snprintf(rg, sizeof rg, "%s", capz_json_ptr_str(ac, "/spec/resourceGroup", acname));
  /* the API server DNS label is the Cluster's name (CAPZ's ClusterName()), whatever the AzureCluster is called */
  ck_assert_msg(!strncmp(capz_json_ptr_str(ac, "/spec/controlPlaneEndpoint/host", ""), "cc-", 3), "endpoint %s",
                capz_json_ptr_str(ac, "/spec/controlPlaneEndpoint/host", ""));
  ck_assert(capz_cond_is_true(ac, "Ready"));
  cJSON_Delete(ac);
  cJSON *all = arm_resources(NULL);
  char p[512];
  snprintf(p, sizeof p, "/resourceGroups/%s", rg);
  arm_expect_owned(all, p, "cc");
  snprintf(p, sizeof p, NETP "loadBalancers/%s-public-lb", acname);
  arm_expect_owned(all, p, "cc");
  snprintf(p, sizeof p, NETP "natGateways/node-natgateway");
  arm_expect_owned(all, p, "cc");
  cJSON_Delete(all);
  int owned = arm_count_owned("cc");
  fprintf(stderr, "ClusterClass cluster cc (AzureCluster %s): %d owned resources\n", acname, owned);
  ck_assert_int_ge(owned, 13); /* 9 cluster resources + 2 VMs + 2 NICs */
  ck_assert_int_eq(arm_count_owned(acname), 0);
  k_delete(&GVK_CLUSTER_B1, "cc");
  k_wait_gone(&GVK_AC, acname, 60000);
  ck_assert_int_eq(arm_count_owned("cc"), 0);
}
END_TEST

Suite *flavors_suite(void);
Suite *flavors_suite(void) {
  const ckrun_case tests[] = {
      {"reference_template", reference_template},
      {"ipv6_dualstack_podsubnet", ipv6_dualstack_podsubnet},
      {"clusterclass", clusterclass_topology},
  };
  Suite *s = suite_create("selfmanaged_flavors");
  ckrun_add_cases(s, tests, sizeof tests / sizeof tests[0], setup, teardown, 120);
  return s;
}

int main(void) { return ckrun(flavors_suite()); }
