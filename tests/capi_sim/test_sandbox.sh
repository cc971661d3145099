#!/usr/bin/env bash
# test_sandbox.sh — scripts/sandbox.sh up/status/render/down against the build tree: all four processes start
# on loopback, the printed files exist, a rendered reference template converges to Machines through
# capz-capi-sim (when kubectl is available), and down leaves no process behind.
set -euo pipefail
src=${CAPZ_SOURCE_DIR:?}
export CAPZ_BUILD_DIR=${CAPZ_BUILD_DIR:?}
export SANDBOX_DIR=$(mktemp -d /tmp/capz-sandbox-test.XXXXXX)
sb="$src/scripts/sandbox.sh"
export SANDBOX_NO_BUILD=1 # a test never builds; skip when this tree lacks a binary
for b in capz-kube-sim capz-arm-sim capz-capi-sim capz-host; do
  [ -x "$CAPZ_BUILD_DIR/bin/$b" ] || { echo "SKIP: $b not built in $CAPZ_BUILD_DIR"; rm -rf "$SANDBOX_DIR"; exit 77; }
done
fail() { echo "FAIL: $*" >&2; exit 1; }
cleanup() { "$sb" down >/dev/null 2>&1 || true; rm -rf "$SANDBOX_DIR"; }
trap cleanup EXIT

out=$("$sb" up) || fail "up failed: $(tail -n 5 "$SANDBOX_DIR"/*.log 2>/dev/null)"
echo "$out" | grep -q "KUBECONFIG *$SANDBOX_DIR/kubeconfig" || fail "up did not print the kubeconfig path"
echo "$out" | grep -q 'ARM endpoint *http://127.0.0.1:' || fail "up did not print a loopback ARM endpoint"
echo "$out" | grep -q 'client secret *capz-sim-secret' || fail "up did not print the emulator's client secret"
for f in kubeconfig capz-host.yaml identity.yaml env.sh; do [ -s "$SANDBOX_DIR/$f" ] || fail "missing $f"; done
"$sb" status >/dev/null || fail "status reports nothing running"
[ "$("$sb" status | grep -c ' running ')" -eq 4 ] || fail "not all four processes run: $("$sb" status)"
! "$sb" up >/dev/null 2>&1 || fail "a second up did not refuse"

# Render: defaults, nested defaults and explicit values; nothing left unsubstituted.
tmpl="${CAPZ_SHARED_DIR:-$src/../shared}/reference/templates/cluster-template.yaml"
if [ -f "$tmpl" ]; then
  # shellcheck disable=SC1091
  source "$SANDBOX_DIR/env.sh"
  "$sb" render "$tmpl" CLUSTER_NAME=sbx WORKER_MACHINE_COUNT=2 >"$SANDBOX_DIR/sbx.yaml"
  ! grep -q '\${' "$SANDBOX_DIR/sbx.yaml" || fail "render left variables"
  grep -q 'name: sbx-vnet' "$SANDBOX_DIR/sbx.yaml" || fail "nested default not expanded"
  grep -q "subscriptionID: $AZURE_SUBSCRIPTION_ID" "$SANDBOX_DIR/sbx.yaml" || fail "env value not used"
  if command -v kubectl >/dev/null 2>&1; then
    kubectl apply -f "$SANDBOX_DIR/sbx.yaml" >/dev/null
    kubectl apply -f "$SANDBOX_DIR/identity.yaml" >/dev/null
    for _ in $(seq 1 100); do
      n=$(kubectl get machines -l cluster.x-k8s.io/deployment-name=sbx-md-0 -o name 2>/dev/null | wc -l)
      [ "$n" -eq 2 ] && break
      sleep 0.1
    done
    [ "$n" -eq 2 ] || fail "capz-capi-sim did not create the 2 worker machines ($n)"
    [ "$(kubectl get azureclusteridentity cluster-identity -o jsonpath='{.spec.type}')" = ServicePrincipal ] ||
      fail "identity.yaml did not apply"
  fi
fi

pids=$(cat "$SANDBOX_DIR"/*.pid)
"$sb" down >/dev/null
for p in $pids; do ! kill -0 "$p" 2>/dev/null || fail "pid $p still alive after down"; done
! "$sb" status >/dev/null || fail "status still reports something running"
echo "sandbox test: ok"
