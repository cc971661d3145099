/* machine_rows_net.c — the AzureMachine's network rows: the optional public IP (allocatePublicIP), a control
 * plane's SSH NAT rule (machine_nat.c) and the NIC (subnet by role, API server / outbound LB backend pools, the SSH
 * NAT rule, IPv6 and extra IP configurations), and status.addresses read back from them. */
#include <stdio.h>
#include <string.h>

#include "capz/json.h"
#include "machine_run.h"
#include "selfmanaged_api.h"

static const char *const OWN_PIP[] = {"/location", "/sku", "/properties/publicIPAllocationMethod", NULL};
static const char *const OWN_NIC[] = {"/location", "/properties/ipConfigurations/0/properties/subnet",
                                      "/properties/ipConfigurations/0/properties/loadBalancerBackendAddressPools",
                                      "/properties/ipConfigurations/0/properties/loadBalancerInboundNatRules",
                                      "/properties/ipConfigurations/0/properties/publicIPAddress", NULL};

static const char *subnet_name(m_run *r) {
  const char *n = m_str(r->d, "/spec/networkInterfaces/0/subnetName");
  if (*n) return n;
  if (*m_str(r->d, "/spec/subnetName")) return m_str(r->d, "/spec/subnetName");
  const char *want = r->control_plane ? SM_SUBNET_ROLE_CONTROLPLANE : SM_SUBNET_ROLE_NODE;
  const cJSON *sn;
  cJSON_ArrayForEach(sn, capz_json_ptr_get(r->acd, "/spec/networkSpec/subnets"))
    if (!strcmp(m_str(sn, "/role"), want)) return m_str(sn, "/name");
  cJSON_ArrayForEach(sn, capz_json_ptr_get(r->acd, "/spec/networkSpec/subnets"))
    if (!strcmp(m_str(sn, "/role"), SM_SUBNET_ROLE_CLUSTER)) return m_str(sn, "/name");
  return "";
}

bool m_has_pod_subnet(m_run *r) {
  const cJSON *sn;
  cJSON_ArrayForEach(sn, capz_json_ptr_get(r->acd, "/spec/networkSpec/subnets"))
    if (!strcmp(m_str(sn, "/role"), SM_SUBNET_ROLE_POD)) return true;
  return false;
}

/* The machine's subnet spec in the (defaulted) AzureCluster, or NULL. */
static const cJSON *subnet_spec(m_run *r, const char *name) {
  const cJSON *sn;
  cJSON_ArrayForEach(sn, capz_json_ptr_get(r->acd, "/spec/networkSpec/subnets"))
    if (!strcmp(m_str(sn, "/name"), name)) return sn;
  return NULL;
}

static bool has_ipv6(const cJSON *subnet) {
  const cJSON *c;
  cJSON_ArrayForEach(c, cJSON_GetObjectItem(subnet, "cidrBlocks")) {
    sm_cidr x;
    if (cJSON_IsString(c) && sm_cidr_parse(c->valuestring, &x) && x.family == 6) return true;
  }
  return false;
}

static void add_pool(cJSON *ip, const char *lb, const char *pool) {
  char pid[CAPZ_ARM_ROW_ID_MAX + 200];
  snprintf(pid, sizeof pid, "%s/backendAddressPools/%s", lb, pool);
  cJSON *arr = cJSON_GetObjectItem(ip, "loadBalancerBackendAddressPools");
  if (!arr) arr = cJSON_AddArrayToObject(ip, "loadBalancerBackendAddressPools");
  cJSON_AddItemToArray(arr, capz_arm_id_ref(pid));
}

static cJSON *ipconfig(const char *name, bool primary, const char *sid, const char *version) {
  cJSON *ipc = cJSON_CreateObject();
  cJSON_AddStringToObject(ipc, "name", name);
  cJSON *ip = cJSON_AddObjectToObject(ipc, "properties");
  cJSON_AddBoolToObject(ip, "primary", primary);
  cJSON_AddStringToObject(ip, "privateIPAllocationMethod", "Dynamic");
  if (version) cJSON_AddStringToObject(ip, "privateIPAddressVersion", version);
  cJSON_AddItemToObject(ip, "subnet", capz_arm_id_ref(sid));
  return ipc;
}

/* The NIC (CAPZ networkinterfaces): primary "pipConfig" with the public IP, the LB backend pools (control planes:
 * the API server LB's pool and, on a public LB, the SSH NAT rule; nodes: the node outbound LB's pool), further
 * IPv4 configurations for networkInterfaces[0].privateIPConfigs > 1 (Azure CNI v1 pre-allocation), an IPv6
 * configuration "ipConfigv6" when the subnet has an IPv6 prefix (dual stack), DNS servers, IP forwarding and
 * accelerated networking (spec, else the VM size's capability). */
static cJSON *nic_body(m_run *r, const char *pip_id) {
  const char *sub = r->az.subscription;
  const char *sname = subnet_name(r);
  const char *vrg = *m_str(r->acd, "/spec/networkSpec/vnet/resourceGroup") ? m_str(r->acd, "/spec/networkSpec/vnet/resourceGroup") : r->rg;
  char sid[CAPZ_ARM_ROW_ID_MAX];
  snprintf(sid, sizeof sid, "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Network/virtualNetworks/%s/subnets/%s",
           sub, vrg, m_str(r->acd, "/spec/networkSpec/vnet/name"), sname);
  cJSON *d = cJSON_CreateObject();
  cJSON_AddStringToObject(d, "location", r->location);
  cJSON *p = cJSON_AddObjectToObject(d, "properties");
  cJSON *ipcs = cJSON_AddArrayToObject(p, "ipConfigurations");
  cJSON *ipc = ipconfig("pipConfig", true, sid, NULL);
  cJSON_AddItemToArray(ipcs, ipc);
  cJSON *ip = cJSON_GetObjectItem(ipc, "properties");
  if (*pip_id) cJSON_AddItemToObject(ip, "publicIPAddress", capz_arm_id_ref(pip_id));
  const char *lbname = NULL, *pool = NULL;
  if (r->control_plane) {
    lbname = m_str(r->acd, "/spec/networkSpec/apiServerLB/name");
    pool = m_str(r->acd, "/spec/networkSpec/apiServerLB/backendPool/name");
  } else if (capz_json_ptr_get(r->acd, "/spec/networkSpec/nodeOutboundLB")) {
    lbname = m_str(r->acd, "/spec/networkSpec/nodeOutboundLB/name");
    pool = m_str(r->acd, "/spec/networkSpec/nodeOutboundLB/backendPool/name");
  }
  if (lbname && *lbname && pool && *pool) {
    char lb[CAPZ_ARM_ROW_ID_MAX];
    capz_arm_res_id(lb, sizeof lb, sub, r->rg, "Microsoft.Network/loadBalancers", lbname);
    add_pool(ip, lb, pool);
  }
  if (m_nat_on_nic(r)) {
    char nat[CAPZ_ARM_ROW_ID_MAX + 200];
    m_nat_rule_id(r, nat, sizeof nat);
    cJSON_AddItemToArray(cJSON_AddArrayToObject(ip, "loadBalancerInboundNatRules"), capz_arm_id_ref(nat));
  }
  long extra = (long)capz_json_ptr_int(r->d, "/spec/networkInterfaces/0/privateIPConfigs", 1);
  for (long i = 1; i < extra && i < 256; i++) {
    char n[32];
    snprintf(n, sizeof n, "ipConfig%ld", i);
    cJSON_AddItemToArray(ipcs, ipconfig(n, false, sid, NULL));
  }
  if (has_ipv6(subnet_spec(r, sname))) cJSON_AddItemToArray(ipcs, ipconfig("ipConfigv6", false, sid, "IPv6"));
  if (cJSON_GetArraySize(capz_json_ptr_get(r->d, "/spec/dnsServers")) > 0)
    cJSON_AddItemToObject(cJSON_AddObjectToObject(p, "dnsSettings"), "dnsServers",
                          cJSON_Duplicate(capz_json_ptr_get(r->d, "/spec/dnsServers"), 1));
  cJSON_AddBoolToObject(p, "enableIPForwarding", capz_json_ptr_bool(r->d, "/spec/enableIPForwarding", false));
  const cJSON *an = capz_json_ptr_get(r->d, "/spec/networkInterfaces/0/acceleratedNetworking");
  const char *cap = r->sku ? sm_sku_capability(r->sku, "AcceleratedNetworkingEnabled") : NULL;
  if (cJSON_IsBool(an)) cJSON_AddBoolToObject(p, "enableAcceleratedNetworking", cJSON_IsTrue(an));
  else if (cap) cJSON_AddBoolToObject(p, "enableAcceleratedNetworking", !strcasecmp(cap, "True"));
  return d;
}

int m_rows_net(m_run *r, char *nic_id, capz_err *err) {
  const char *sub = r->az.subscription, *vm = r->key->name;
  char pip_id[CAPZ_ARM_ROW_ID_MAX] = "", name[300];
  if (capz_json_ptr_bool(r->d, "/spec/allocatePublicIP", false)) {
    sm_name(SM_NAME_VM_PUBLIC_IP, vm, name, sizeof name);
    capz_arm_res_id(pip_id, sizeof pip_id, sub, r->rg, "Microsoft.Network/publicIPAddresses", name);
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "location", r->location);
    cJSON_AddStringToObject(cJSON_AddObjectToObject(d, "sku"), "name", "Standard");
    cJSON *p = cJSON_AddObjectToObject(d, "properties");
    cJSON_AddStringToObject(p, "publicIPAllocationMethod", "Static");
    cJSON_AddStringToObject(cJSON_AddObjectToObject(p, "dnsSettings"), "domainNameLabel", vm);
    if (!capz_arm_table_add(&r->t, "publicips", NULL, pip_id, d, OWN_PIP, m_tags(r, name))) goto oom;
  }
  /* the SSH NAT rule the NIC refers to (control planes) */
  int rc = m_nat_row(r, err);
  if (rc) return rc;
  /* NIC */
  sm_name_nic(vm, false, 0, name, sizeof name);
  capz_arm_res_id(nic_id, CAPZ_ARM_ROW_ID_MAX, sub, r->rg, "Microsoft.Network/networkInterfaces", name);
  cJSON *d = nic_body(r, pip_id);
  if (!d || !capz_arm_table_add(&r->t, "networkinterfaces", "NetworkInterfacesReady", nic_id, d, OWN_NIC, m_tags(r, name)))
    goto oom;
  return 0;
oom:
  return capz_err_set(err, CAPZ_ENOMEM, "out of memory");
}

/* status.addresses from the NIC (and public IP) as ARM returns them. */
cJSON *m_addresses(m_run *r) {
  cJSON *a = cJSON_CreateArray();
  cJSON *e = cJSON_CreateObject();
  cJSON_AddStringToObject(e, "type", "InternalDNS");
  cJSON_AddStringToObject(e, "address", r->key->name);
  cJSON_AddItemToArray(a, e);
  /* CAPZ's order: InternalDNS, InternalIP(s), ExternalIP(s) */
  for (size_t k = 0; k < 2 * r->t.n; k++) {
    capz_arm_row *row = &r->t.rows[k % r->t.n];
    bool nic = !strcmp(row->service, "networkinterfaces"), pip = !strcmp(row->service, "publicips");
    if ((k < r->t.n && !nic) || (k >= r->t.n && !pip)) continue;
    if (!row->live) {
      capz_arm_response resp;
      if (capz_arm_get(r->az.arm, row->id, NULL, &resp, NULL) == 0) {
        row->live = resp.body;
        resp.body = NULL;
      }
      capz_arm_response_free(&resp);
    }
    const cJSON *ipc;
    if (nic) {
      cJSON_ArrayForEach(ipc, capz_json_ptr_get(row->live, "/properties/ipConfigurations")) {
        const char *ip = m_str(ipc, "/properties/privateIPAddress");
        if (!*ip) continue;
        e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "type", "InternalIP");
        cJSON_AddStringToObject(e, "address", ip);
        cJSON_AddItemToArray(a, e);
      }
    } else if (*m_str(row->live, "/properties/ipAddress")) {
      e = cJSON_CreateObject();
      cJSON_AddStringToObject(e, "type", "ExternalIP");
      cJSON_AddStringToObject(e, "address", m_str(row->live, "/properties/ipAddress"));
      cJSON_AddItemToArray(a, e);
    }
  }
  return a;
}
