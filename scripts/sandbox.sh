#!/usr/bin/env bash
# sandbox.sh — a local, free management-cluster sandbox for trying capz-c templates (docs/sandbox.md).
#
#   scripts/sandbox.sh up       start capz-kube-sim (+CRDs), capz-arm-sim, capz-capi-sim and capz-host
#   scripts/sandbox.sh down     stop everything the sandbox started
#   scripts/sandbox.sh status   show what runs
#   scripts/sandbox.sh render TEMPLATE   clusterctl-style ${VAR} / ${VAR:=default} substitution to stdout
#
# Everything listens on 127.0.0.1 with ports chosen by the kernel; PIDs, logs, the kubeconfig, the host config
# and an env file live in the state directory ($SANDBOX_DIR, default ./.sandbox). Binaries come from
# $CAPZ_BUILD_DIR (default ./build) and are built first when missing (unless SANDBOX_NO_BUILD is set).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
state=${SANDBOX_DIR:-$PWD/.sandbox}
build=${CAPZ_BUILD_DIR:-$root/build}
components=(kube-sim arm-sim capi-sim host)

# The emulator's built-in identities (docs/arm-sim-auth.md).
TENANT=11111111-1111-4111-8111-111111111111
SUBSCRIPTION=22222222-2222-4222-8222-222222222222
CLIENT_ID=33333333-3333-4333-8333-333333333333
CLIENT_SECRET=capz-sim-secret

die() { echo "sandbox: $*" >&2; exit 1; }

running() { # running NAME -> 0 when its pid file names a live process
  local f="$state/$1.pid"
  [ -f "$f" ] && kill -0 "$(cat "$f")" 2>/dev/null
}

ensure_built() {
  local missing=()
  for b in capz-kube-sim capz-arm-sim capz-capi-sim capz-host; do
    [ -x "$build/bin/$b" ] || missing+=("$b")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  [ -z "${SANDBOX_NO_BUILD:-}" ] || die "missing in $build/bin: ${missing[*]} (SANDBOX_NO_BUILD is set)"
  echo "sandbox: building ${missing[*]} in $build" >&2
  cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Debug >/dev/null
  cmake --build "$build" -j2 --target "${missing[@]}" >/dev/null
  # Plugins are separate targets; build them too when the tree has any (best effort).
  cmake --build "$build" -j2 >/dev/null 2>&1 || echo "sandbox: full build failed; continuing with what exists" >&2
}

# start NAME CMD... : run in the background, wait for its READY line (emulators), record the PID.
start_ready() {
  local name=$1; shift
  local out="$state/$name.out" log="$state/$name.log"
  : >"$out"
  "$@" >"$out" 2>"$log" &
  echo $! >"$state/$name.pid"
  for _ in $(seq 1 300); do
    if grep -q '^READY ' "$out"; then
      sed -n 's/^READY //p' "$out" | head -n1
      return 0
    fi
    kill -0 "$(cat "$state/$name.pid")" 2>/dev/null || break
    sleep 0.1
  done
  tail -n 20 "$log" >&2 || true
  die "$name did not become ready (log: $log)"
}

apply_dir() { # apply every YAML document under DIR to the sandbox's API server
  local dir=$1
  if command -v kubectl >/dev/null 2>&1; then
    kubectl --kubeconfig "$state/kubeconfig" apply -f "$dir" >/dev/null
  else
    # No kubectl: POST each document (create only). Needs python3 with PyYAML.
    python3 - "$dir" "$(cat "$state/kube-sim.url")" <<'EOF'
import json, os, sys, urllib.request, yaml
d, base = sys.argv[1], sys.argv[2]
for f in sorted(os.listdir(d)):
    if not f.endswith(".yaml"):
        continue
    for doc in yaml.safe_load_all(open(os.path.join(d, f))):
        if not doc:
            continue
        req = urllib.request.Request(base + "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
                                     data=json.dumps(doc).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
        try:
            urllib.request.urlopen(req).read()
        except urllib.error.HTTPError as e:
            if e.code != 409:
                raise
EOF
  fi
}

# CAPZ's templates give VMs the user-assigned identity capz-ci/cloud-provider-user-identity, which CAPZ's CI
# creates beforehand; do the same in the emulated subscription (SANDBOX_NO_CI_IDENTITY=1 skips it).
seed_ci_identity() {
  [ -z "${SANDBOX_NO_CI_IDENTITY:-}" ] || return 0
  python3 - "$1" "$TENANT" "$SUBSCRIPTION" "$CLIENT_ID" "$CLIENT_SECRET" <<'PYEOF'
import json, sys, urllib.parse, urllib.request
arm, tenant, sub, client, secret = sys.argv[1:]
form = urllib.parse.urlencode({"grant_type": "client_credentials", "client_id": client, "client_secret": secret,
                               "scope": "https://management.azure.com/.default"}).encode()
tok = json.load(urllib.request.urlopen(arm + "/" + tenant + "/oauth2/v2.0/token", form))["access_token"]
def put(path, api, body):
    req = urllib.request.Request(arm + path + "?api-version=" + api, data=json.dumps(body).encode(), method="PUT",
                                 headers={"Authorization": "Bearer " + tok, "Content-Type": "application/json"})
    urllib.request.urlopen(req).read()
rg = "/subscriptions/%s/resourceGroups/capz-ci" % sub
put(rg, "2020-06-01", {"location": "eastus"})
put(rg + "/providers/Microsoft.ManagedIdentity/userAssignedIdentities/cloud-provider-user-identity", "2023-01-31",
    {"location": "eastus"})
PYEOF
}

write_host_config() {
  local arm=$1
  cat >"$state/capz-host.yaml" <<EOF
# Written by scripts/sandbox.sh: capz-host against the sandbox (docs/CONFIG.md lists every key).
pluginDirs:
  - $build/plugins
kubernetes:
  kubeconfig: $state/kubeconfig
azure:
  cloud: Custom
  resourceManagerEndpoint: $arm/
  authorityHost: $arm/
  imdsEndpoint: $arm
  tokenAudience: https://management.azure.com/
metricsBindAddress: "0"
healthProbeBindAddress: "0"
log:
  verbosity: ${SANDBOX_VERBOSITY:-2}
EOF
}

write_identity() {
  cat >"$state/identity.yaml" <<EOF
# The emulator's app registration as a capz-c cluster identity (apply AFTER the cluster template: it replaces
# the template's AzureClusterIdentity of the same name with a ServicePrincipal one).
apiVersion: v1
kind: Secret
metadata:
  name: cluster-identity-secret
  namespace: default
type: Opaque
stringData:
  clientSecret: $CLIENT_SECRET
---
apiVersion: infrastructure.cluster.x-k8s.io/v1beta1
kind: AzureClusterIdentity
metadata:
  name: cluster-identity
  namespace: default
  labels:
    clusterctl.cluster.x-k8s.io/move-hierarchy: "true"
spec:
  type: ServicePrincipal
  tenantID: $TENANT
  clientID: $CLIENT_ID
  clientSecret:
    name: cluster-identity-secret
    namespace: default
  allowedNamespaces: {}
EOF
}

write_env() {
  local arm=$1
  cat >"$state/env.sh" <<EOF
# source this file: variables for kubectl and for rendering the reference templates
export KUBECONFIG=$state/kubeconfig
export AZURE_TENANT_ID=$TENANT
export AZURE_SUBSCRIPTION_ID=$SUBSCRIPTION
export AZURE_CLIENT_ID=$CLIENT_ID
export AZURE_CLIENT_ID_USER_ASSIGNED_IDENTITY=$CLIENT_ID
export CLUSTER_IDENTITY_NAME=cluster-identity
export CLUSTER_IDENTITY_TYPE=ServicePrincipal
export AZURE_LOCATION=\${AZURE_LOCATION:-eastus}
export KUBERNETES_VERSION=\${KUBERNETES_VERSION:-v1.33.1}
export AZURE_CONTROL_PLANE_MACHINE_TYPE=\${AZURE_CONTROL_PLANE_MACHINE_TYPE:-Standard_D2s_v3}
export AZURE_NODE_MACHINE_TYPE=\${AZURE_NODE_MACHINE_TYPE:-Standard_D2s_v3}
export CAPZ_SANDBOX_ARM=$arm
EOF
}

cmd_up() {
  mkdir -p "$state"
  for c in "${components[@]}"; do
    running "$c" && die "already running ($c, pid $(cat "$state/$c.pid")); use: $0 down"
  done
  ensure_built
  local kube arm
  kube=$(start_ready kube-sim "$build/bin/capz-kube-sim" --listen 127.0.0.1:0 --kubeconfig-out "$state/kubeconfig")
  echo "$kube" >"$state/kube-sim.url"
  [ -d "$root/config/crd/bases" ] || die "config/crd/bases missing"
  [ -d "$root/config/capi-crd/bases" ] || die "config/capi-crd/bases missing (scripts/gen-capi-crds.py)"
  apply_dir "$root/config/crd/bases"
  apply_dir "$root/config/capi-crd/bases"
  arm=$(start_ready arm-sim "$build/bin/capz-arm-sim" --listen 127.0.0.1:0)
  echo "$arm" >"$state/arm-sim.url"
  seed_ci_identity "$arm" || die "could not create capz-ci/cloud-provider-user-identity in the emulator"
  start_ready capi-sim "$build/bin/capz-capi-sim" --kubeconfig "$state/kubeconfig" >/dev/null
  write_host_config "$arm"
  write_identity
  write_env "$arm"
  "$build/bin/capz-host" --config "$state/capz-host.yaml" >"$state/host.out" 2>"$state/host.log" &
  echo $! >"$state/host.pid"
  sleep 1
  running host || { tail -n 20 "$state/host.log" >&2; die "capz-host exited (log: $state/host.log)"; }
  cat <<EOF
sandbox is up (state: $state)
  KUBECONFIG       $state/kubeconfig      (API server $kube)
  ARM endpoint     $arm  (Entra token endpoint and IMDS on the same URL)
  tenant           $TENANT
  subscription     $SUBSCRIPTION
  client id        $CLIENT_ID
  client secret    $CLIENT_SECRET
  VM identity      capz-ci/cloud-provider-user-identity (created, as CAPZ's CI does; the templates use it)
  host config      $state/capz-host.yaml   logs: $state/*.log
Next:
  source $state/env.sh
  $0 render cluster-template.yaml CLUSTER_NAME=demo | kubectl apply -f -   # any CAPZ template
  kubectl apply -f $state/identity.yaml      # AzureClusterIdentity + Secret for the emulator's app
  kubectl get clusters,azureclusters,machines -A -w
EOF
}

stop_group() { # SIGTERM every named process at once, wait up to 5 s, then SIGKILL the rest
  local c pid pids=() names=()
  for c in "$@"; do
    [ -f "$state/$c.pid" ] || continue
    pid=$(cat "$state/$c.pid")
    rm -f "$state/$c.pid"
    kill -0 "$pid" 2>/dev/null || continue
    kill -TERM "$pid" 2>/dev/null || true
    pids+=("$pid")
    names+=("$c")
  done
  [ ${#pids[@]} -gt 0 ] || return 0
  for _ in $(seq 1 50); do
    local alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ $alive -eq 1 ] || break
    sleep 0.1
  done
  for i in "${!pids[@]}"; do
    if kill -0 "${pids[$i]}" 2>/dev/null; then kill -KILL "${pids[$i]}" 2>/dev/null || true; fi
    echo "stopped ${names[$i]} (pid ${pids[$i]})"
    stopped=1
  done
}

cmd_down() {
  stopped=0
  # The host first (so it does not log errors about vanishing servers), then the rest together.
  stop_group host
  stop_group capi-sim arm-sim kube-sim
  [ $stopped -eq 1 ] || echo "nothing running"
}

cmd_status() {
  local c rc=1
  for c in "${components[@]}"; do
    if running "$c"; then
      local url=""
      [ -f "$state/$c.url" ] && url=$(cat "$state/$c.url")
      printf '%-9s running  pid %-7s %s\n' "$c" "$(cat "$state/$c.pid")" "$url"
      rc=0
    else
      printf '%-9s stopped\n' "$c"
    fi
  done
  return $rc
}

# render FILE [VAR=value...]: ${VAR}, ${VAR:=default}, ${VAR:-default} (innermost first, so nested defaults
# such as ${AZURE_VNET_NAME:=${CLUSTER_NAME}-vnet} work); unset variables without a default become "".
cmd_render() {
  local file=${1:?usage: $0 render TEMPLATE [VAR=value...]}
  shift
  [ -f "$file" ] || die "no such template: $file"
  env "$@" perl -0pe '1 while s/\$\{(\w+)(?::?[-=]([^\$\{\}]*))?\}/defined $ENV{$1} && $ENV{$1} ne "" ? $ENV{$1} : (defined $2 ? $2 : "")/e' "$file"
}

case "${1:-}" in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  render) shift; cmd_render "$@" ;;
  *) echo "usage: $0 up|down|status|render TEMPLATE [VAR=value...]" >&2; exit 2 ;;
esac
