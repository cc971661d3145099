#!/usr/bin/python3
"""demo_view.py — the demo's eyes and hands on the sandbox: apply manifests to the Kubernetes emulator,
show conditions per object, summarise the Azure emulator's inventory and request log.

Uses only the standard library and PyYAML (python3-yaml), so the demo needs no kubectl.
  demo_view.py apply KUBE_URL FILE          create (or replace) every object of a multi-document YAML
  demo_view.py delete KUBE_URL NS KIND NAME delete one object (KIND as in the manifest, e.g. Cluster)
  demo_view.py status KUBE_URL NS           one line per CAPI/CAPZ object: Ready, reason, key status
  demo_view.py ready KUBE_URL NS CLUSTER    exit 0 when the cluster and all its machines/pools are ready
  demo_view.py gone KUBE_URL NS CLUSTER     exit 0 when no object of the cluster is left
  demo_view.py resources ARM_URL [TAG]      Azure resources (type, name), only those tagged TAG=owned if given
  demo_view.py leftovers ARM_URL RG         Azure resources outside resource group RG
  demo_view.py requests ARM_URL             ARM requests by method and status
"""
import json
import sys
import urllib.error
import urllib.request

import yaml

KINDS = [  # (group/version, plural, kind) shown by `status`, in provisioning order
    ("cluster.x-k8s.io/v1beta1", "clusters", "Cluster"),
    ("infrastructure.cluster.x-k8s.io/v1beta1", "azureclusters", "AzureCluster"),
    ("infrastructure.cluster.x-k8s.io/v1beta1", "azuremanagedcontrolplanes", "AzureManagedControlPlane"),
    ("infrastructure.cluster.x-k8s.io/v1beta1", "azuremanagedclusters", "AzureManagedCluster"),
    ("controlplane.cluster.x-k8s.io/v1beta1", "kubeadmcontrolplanes", "KubeadmControlPlane"),
    ("cluster.x-k8s.io/v1beta1", "machines", "Machine"),
    ("infrastructure.cluster.x-k8s.io/v1beta1", "azuremachines", "AzureMachine"),
    ("cluster.x-k8s.io/v1beta1", "machinepools", "MachinePool"),
    ("infrastructure.cluster.x-k8s.io/v1beta1", "azuremanagedmachinepools", "AzureManagedMachinePool"),
]


def call(method, url, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def plural_of(kube, api_version, kind):
    base = f"{kube}/api/v1" if api_version == "v1" else f"{kube}/apis/{api_version}"
    code, doc = call("GET", base)
    if code != 200:
        sys.exit(f"demo_view: no API {api_version} on the server ({code})")
    for r in doc.get("resources", []):
        if r.get("kind") == kind and "/" not in r["name"]:
            return base, r["name"], r.get("namespaced", True)
    sys.exit(f"demo_view: the server has no kind {kind} in {api_version}")


def obj_url(kube, api_version, kind, ns, name=None):
    base, plural, namespaced = plural_of(kube, api_version, kind)
    url = f"{base}/namespaces/{ns}/{plural}" if namespaced else f"{base}/{plural}"
    return url + (f"/{name}" if name else "")


def apply(kube, path):
    with open(path) as f:
        docs = [d for d in yaml.safe_load_all(f) if d]
    for d in docs:
        ns = d["metadata"].setdefault("namespace", "default")
        coll = obj_url(kube, d["apiVersion"], d["kind"], ns)
        code, out = call("POST", coll, d)
        verb = "created"
        if code == 409:
            cur_code, cur = call("GET", f"{coll}/{d['metadata']['name']}")
            d["metadata"]["resourceVersion"] = cur["metadata"]["resourceVersion"]
            code, out = call("PUT", f"{coll}/{d['metadata']['name']}", d)
            verb = "configured"
        if code >= 300:
            sys.exit(f"demo_view: {d['kind']}/{d['metadata']['name']}: {code} {out.get('message') if out else ''}")
        print(f"  {d['kind'].lower()}/{d['metadata']['name']} {verb}")


def items(kube, gv, plural, ns):
    code, doc = call("GET", f"{kube}/apis/{gv}/namespaces/{ns}/{plural}")
    return doc.get("items", []) if code == 200 else []


def ready_of(o):
    for c in (o.get("status") or {}).get("conditions") or []:
        if c.get("type") == "Ready":
            return c.get("status", "?"), c.get("reason", ""), c.get("message", "")
    st = o.get("status") or {}
    if "ready" in st:
        return ("True" if st["ready"] else "False"), "", ""
    return "-", "", ""


def status(kube, ns):
    for gv, plural, kind in KINDS:
        for o in items(kube, gv, plural, ns):
            r, reason, msg = ready_of(o)
            st = o.get("status") or {}
            extra = []
            for k in ("phase", "vmState", "provisioningState", "replicas", "readyReplicas"):
                if k in st:
                    extra.append(f"{k}={st[k]}")
            if (o.get("spec") or {}).get("providerID"):
                extra.append("providerID=set")
            text = f"  {kind + '/' + o['metadata']['name']:<58} Ready={r:<5} {reason:<28} {' '.join(extra)}"
            if r == "False" and msg:
                text += f"  ({msg[:90]})"
            print(text)


def cluster_objects(kube, ns, cluster):
    out = []
    for gv, plural, kind in KINDS:
        for o in items(kube, gv, plural, ns):
            labels = o["metadata"].get("labels") or {}
            if o["metadata"]["name"] == cluster or labels.get("cluster.x-k8s.io/cluster-name") == cluster \
                    or (o.get("spec") or {}).get("clusterName") == cluster:
                out.append((kind, o))
    return out


def is_ready(kube, ns, cluster):
    objs = cluster_objects(kube, ns, cluster)
    if not objs:
        return False
    for kind, o in objs:
        st = o.get("status") or {}
        if kind == "Cluster" and not (st.get("infrastructureReady") and st.get("controlPlaneReady")):
            return False
        if kind in ("Machine",) and not st.get("infrastructureReady"):
            return False
        if kind in ("AzureMachine", "AzureCluster", "AzureManagedControlPlane", "AzureManagedMachinePool") \
                and not st.get("ready"):
            return False
    return True


def resources(arm, tag=None):
    code, doc = call("GET", f"{arm}/_sim/resources")
    rows = []
    for r in doc or []:
        if tag and (r.get("tags") or {}).get(tag) != "owned":
            continue
        rows.append((r.get("type", ""), r.get("name", "")))
    for t, n in sorted(rows):
        print(f"  {t:<58} {n}")
    print(f"  ({len(rows)} resources)")
    return len(rows)


def leftovers(arm, keep_rg):
    """Resources outside resource group keep_rg (the sandbox's pre-created capz-ci identity lives there)."""
    code, doc = call("GET", f"{arm}/_sim/resources")
    rg = f"/resourcegroups/{keep_rg.lower()}"
    rows = sorted((r.get("type", ""), r.get("name", "")) for r in doc or []
                  if not (r.get("id", "").lower().endswith(rg) or rg + "/" in r.get("id", "").lower()))
    for t, n in rows:
        print(f"  {t:<58} {n}")
    print(f"  ({len(rows)} resources)")
    return len(rows)


def requests(arm):
    code, doc = call("GET", f"{arm}/_sim/requests?last=0")
    by_m = doc.get("byMethod", {})
    print(f"  total {doc.get('total', 0)}: " + ", ".join(f"{m} {n}" for m, n in sorted(by_m.items())))
    by_s = doc.get("byStatus", {})
    print("  by status: " + ", ".join(f"{s} {n}" for s, n in sorted(by_s.items())))


def main(argv):
    if len(argv) < 3:
        sys.exit(__doc__)
    cmd, url = argv[1], argv[2].rstrip("/")
    if cmd == "apply":
        apply(url, argv[3])
    elif cmd == "delete":
        ns, kind, name = argv[3], argv[4], argv[5]
        gv = next((g for g, _, k in KINDS if k == kind), "infrastructure.cluster.x-k8s.io/v1beta1")
        code, _ = call("DELETE", obj_url(url, gv, kind, ns, name))
        print(f"  {kind.lower()}/{name} delete requested ({code})")
    elif cmd == "status":
        status(url, argv[3])
    elif cmd == "ready":
        sys.exit(0 if is_ready(url, argv[3], argv[4]) else 1)
    elif cmd == "gone":
        sys.exit(0 if not cluster_objects(url, argv[3], argv[4]) else 1)
    elif cmd == "resources":
        resources(url, argv[3] if len(argv) > 3 else None)
    elif cmd == "leftovers":
        leftovers(url, argv[3])
    elif cmd == "requests":
        requests(url)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
