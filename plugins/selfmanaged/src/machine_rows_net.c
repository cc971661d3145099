/* machine_rows_net.c — the AzureMachine's network rows: the optional public IP (allocatePublicIP) and the NIC
 * (subnet by role, API server / outbound LB backend pools), and status.addresses read back from them. */
#include <stdio.h>
#include <string.h>

#include "capz/json.h"
#include "machine_run.h"
#include "selfmanaged_api.h"

static const char *const OWN_PIP[] = {"/location", "/sku", "/properties/publicIPAllocationMethod", NULL};
static const char *const OWN_NIC[] = {"/location", "/properties/ipConfigurations/0/properties/subnet",
                                      "/properties/ipConfigurations/0/properties/loadBalancerBackendAddressPools",
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
  /* NIC */
  sm_name_nic(vm, false, 0, name, sizeof name);
  capz_arm_res_id(nic_id, CAPZ_ARM_ROW_ID_MAX, sub, r->rg, "Microsoft.Network/networkInterfaces", name);
  {
    const char *vrg = *m_str(r->acd, "/spec/networkSpec/vnet/resourceGroup") ? m_str(r->acd, "/spec/networkSpec/vnet/resourceGroup") : r->rg;
    char sid[CAPZ_ARM_ROW_ID_MAX];
    snprintf(sid, sizeof sid, "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Network/virtualNetworks/%s/subnets/%s",
             sub, vrg, m_str(r->acd, "/spec/networkSpec/vnet/name"), subnet_name(r));
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "location", r->location);
    cJSON *p = cJSON_AddObjectToObject(d, "properties");
    cJSON *ipc = cJSON_CreateObject();
    cJSON_AddStringToObject(ipc, "name", "pipConfig");
    cJSON *ip = cJSON_AddObjectToObject(ipc, "properties");
    cJSON_AddBoolToObject(ip, "primary", true);
    cJSON_AddStringToObject(ip, "privateIPAllocationMethod", "Dynamic");
    cJSON_AddItemToObject(ip, "subnet", capz_arm_id_ref(sid));
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
      char lb[CAPZ_ARM_ROW_ID_MAX], pid[CAPZ_ARM_ROW_ID_MAX + 200];
      capz_arm_res_id(lb, sizeof lb, sub, r->rg, "Microsoft.Network/loadBalancers", lbname);
      snprintf(pid, sizeof pid, "%s/backendAddressPools/%s", lb, pool);
      cJSON_AddItemToArray(cJSON_AddArrayToObject(ip, "loadBalancerBackendAddressPools"), capz_arm_id_ref(pid));
    }
    cJSON_AddItemToArray(cJSON_AddArrayToObject(p, "ipConfigurations"), ipc);
    cJSON_AddBoolToObject(p, "enableIPForwarding", capz_json_ptr_bool(r->d, "/spec/enableIPForwarding", false));
    if (!capz_arm_table_add(&r->t, "networkinterfaces", "NetworkInterfacesReady", nic_id, d, OWN_NIC, m_tags(r, name)))
      goto oom;
  }
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
