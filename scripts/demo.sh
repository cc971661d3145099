#!/usr/bin/env bash
# The main job: start the emulators (Kubernetes API, Azure Resource Manager), Cluster API's stand-in and
# capz-host with every plugin (scripts/sandbox.sh), create a self-managed cluster and an AKS cluster from
# templates, show them converge (conditions per object), print the Azure resources created and the ARM calls
# spent, show a steady state that spends no writes, delete both clusters and show nothing is left.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
bash scripts/deps.sh
jobs=${CAPZ_JOBS:-2}

echo "== build"
cmake -S . -B build -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build build -j"$jobs" >/dev/null
build/bin/capz-host --version
echo "plugins:"
build/bin/capz-host --list-plugins --plugin-dir build/plugins | sed 's/^/  /'

export SANDBOX_DIR="$root/build/demo-sandbox" CAPZ_BUILD_DIR="$root/build" SANDBOX_NO_BUILD=1
view="/usr/bin/python3 $root/scripts/demo_view.py"
bash scripts/sandbox.sh down >/dev/null 2>&1 || true
trap 'bash scripts/sandbox.sh down >/dev/null 2>&1 || true' EXIT

echo "== start the sandbox (emulators + capz-capi-sim + capz-host)"
bash scripts/sandbox.sh up | sed -n '1,8p'
# shellcheck disable=SC1091
source "$SANDBOX_DIR/env.sh"
kube=$(cat "$SANDBOX_DIR/kube-sim.url")
arm=$(cat "$SANDBOX_DIR/arm-sim.url")

# wait_for WHAT CLUSTER TIMEOUT: poll `demo_view.py WHAT` (ready|gone), printing conditions every few seconds.
wait_for() {
  local what=$1 cluster=$2 timeout=$3 t0=$SECONDS last=-10
  while :; do
    if $view "$what" "$kube" default "$cluster"; then
      echo "  -> $cluster $what after $((SECONDS - t0)) s"
      return 0
    fi
    if (( SECONDS - last >= 5 )); then
      echo "  t=$((SECONDS - t0))s"
      $view status "$kube" default | grep -F "$cluster" || true
      last=$SECONDS
    fi
    (( SECONDS - t0 < timeout )) || { echo "demo: $cluster not $what after ${timeout}s (logs: $SANDBOX_DIR)"; return 1; }
    sleep 1
  done
}

echo "== self-managed cluster 'demo' from templates/cluster-template.yaml"
bash scripts/sandbox.sh render templates/cluster-template.yaml CLUSTER_NAME=demo >"$SANDBOX_DIR/demo.yaml"
$view apply "$kube" "$SANDBOX_DIR/identity.yaml"
$view apply "$kube" "$SANDBOX_DIR/demo.yaml"
wait_for ready demo 300
$view status "$kube" default | grep -F demo

echo "== Azure resources created for 'demo' (capz-arm-sim inventory)"
$view resources "$arm" sigs.k8s.io_cluster-api-provider-azure_cluster_demo
echo "== ARM calls spent so far"
$view requests "$arm"

echo "== AKS cluster 'demo-aks' from templates/cluster-template-aks.yaml"
bash scripts/sandbox.sh render templates/cluster-template-aks.yaml CLUSTER_NAME=demo-aks >"$SANDBOX_DIR/demo-aks.yaml"
$view apply "$kube" "$SANDBOX_DIR/demo-aks.yaml"
wait_for ready demo-aks 300
$view status "$kube" default | grep -F demo-aks
echo "  managed cluster and agent pools:"
$view resources "$arm" | grep -Ei 'managedClusters' || true

echo "== steady state: 20 s with nothing changed"
curl -fsS -X DELETE "$arm/_sim/requests" >/dev/null
sleep 20
$view requests "$arm"

echo "== delete both clusters"
$view delete "$kube" default Cluster demo
$view delete "$kube" default Cluster demo-aks
wait_for gone demo 300
wait_for gone demo-aks 300
echo "== Azure resources left (besides capz-ci/cloud-provider-user-identity, which the sandbox made first)"
$view leftovers "$arm" capz-ci
echo "demo.sh: done"
