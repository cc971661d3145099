#!/usr/bin/python3
"""End to end through everything a user runs: scripts/sandbox.sh (capz-kube-sim + capz-arm-sim + capz-capi-sim +
capz-host with every plugin), CAPZ's own default cluster template (shared/reference/templates/cluster-template.yaml,
variables rendered as clusterctl would), then: the cluster reaches Ready, the ARM inventory holds the resources CAPZ
creates (owned-tagged), a steady state spends no ARM request, and deleting the Cluster leaves nothing in Azure."""
import importlib.util
import os
import subprocess
import sys
import tempfile
import time

src = os.environ["CAPZ_SOURCE_DIR"]
spec = importlib.util.spec_from_file_location("demo_view", os.path.join(src, "scripts/demo_view.py"))
dv = importlib.util.module_from_spec(spec)
spec.loader.exec_module(dv)

passed = failed = 0


def check(ok, what):
    global passed, failed
    print(("ok   " if ok else "FAIL ") + what, flush=True)
    if ok:
        passed += 1
    else:
        failed += 1
    return ok


def wait(pred, timeout):
    t0 = time.time()
    while time.time() - t0 < timeout:
        if pred():
            return time.time() - t0
        time.sleep(1)
    return None


state = tempfile.mkdtemp(prefix="capz-ref-")
env = dict(os.environ, SANDBOX_DIR=state, SANDBOX_NO_BUILD="1")
sandbox = os.path.join(src, "scripts/sandbox.sh")
template = os.path.join(os.environ["CAPZ_SHARED_DIR"], "reference/templates/cluster-template.yaml")
up = subprocess.run(["bash", sandbox, "up"], env=env, capture_output=True, text=True)
try:
    if not check(up.returncode == 0, "sandbox up"):
        print(up.stdout, up.stderr)
        sys.exit(1)
    kube = open(os.path.join(state, "kube-sim.url")).read().strip()
    arm = open(os.path.join(state, "arm-sim.url")).read().strip()
    # the env file sandbox wrote: identity, subscription, location, versions, machine types
    for line in open(os.path.join(state, "env.sh")):
        if line.startswith("export "):
            k, v = line[7:].strip().split("=", 1)
            if v.startswith("${"):  # ${NAME:-default}
                v = v[v.index(":-") + 2:-1]
            env[k] = v
    rendered = subprocess.run(["bash", sandbox, "render", template, "CLUSTER_NAME=ref"], env=env,
                              capture_output=True, text=True, check=True).stdout
    manifest = os.path.join(state, "ref.yaml")
    open(manifest, "w").write(rendered)
    _, before = dv.call("GET", f"{arm}/_sim/resources")
    before = {r["id"].lower() for r in before}  # the sandbox's capz-ci identity, as CAPZ's CI makes it
    check(any(i.endswith("/userassignedidentities/cloud-provider-user-identity") for i in before),
          "sandbox made capz-ci/cloud-provider-user-identity")
    dv.apply(kube, manifest)
    dv.apply(kube, os.path.join(state, "identity.yaml"))

    took = wait(lambda: dv.is_ready(kube, "default", "ref"), 120)
    check(took is not None, f"cluster ref Ready ({took and round(took)} s)")

    tag = "sigs.k8s.io_cluster-api-provider-azure_cluster_ref"
    _, res = dv.call("GET", f"{arm}/_sim/resources")
    owned = {(r["type"].lower(), r["name"]) for r in res if (r.get("tags") or {}).get(tag) == "owned"}
    want = [("microsoft.resources/resourcegroups", "ref"),
            ("microsoft.network/virtualnetworks", "ref-vnet"),
            ("microsoft.network/networksecuritygroups", "ref-controlplane-nsg"),
            ("microsoft.network/networksecuritygroups", "ref-node-nsg"),
            ("microsoft.network/routetables", "ref-node-routetable"),
            ("microsoft.network/publicipaddresses", "pip-ref-apiserver"),
            ("microsoft.network/loadbalancers", "ref-public-lb")]
    for t, n in want:
        check((t, n) in owned, f"owned {t}/{n}")
    vms = [n for t, n in owned if t == "microsoft.compute/virtualmachines"]
    nics = [n for t, n in owned if t == "microsoft.network/networkinterfaces"]
    check(len(vms) == 3 and len(nics) == 3, f"3 VMs and 3 NICs (got {len(vms)}, {len(nics)})")
    check(any(t == "microsoft.network/natgateways" for t, _ in owned), "node NAT gateway")

    dv.call("DELETE", f"{arm}/_sim/requests")
    time.sleep(10)
    _, log = dv.call("GET", f"{arm}/_sim/requests?last=0")
    check(log.get("total", -1) == 0, f"steady state: 0 ARM requests in 10 s (got {log.get('total')})")

    dv.call("DELETE", dv.obj_url(kube, "cluster.x-k8s.io/v1beta1", "Cluster", "default", "ref"))
    took = wait(lambda: not dv.cluster_objects(kube, "default", "ref"), 120)
    check(took is not None, "cluster objects gone after delete")
    _, res = dv.call("GET", f"{arm}/_sim/resources")
    left = sorted(r["id"] for r in res if r["id"].lower() not in before)
    check(not left, f"no Azure resources left but the sandbox's own (got {left})")
finally:
    subprocess.run(["bash", sandbox, "down"], env=env, capture_output=True)
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
