#!/usr/bin/env bash
# kubectl smoke suite against capz-kube-sim (acceptance checklist 35): apply CRD, wait Established,
# apply / re-apply after an edit, apply --server-side, get (table, -o yaml, -w), patch --type=merge,
# label, describe (with an event), wait --for=condition=Ready, delete. Runs each of:
# kubectl 1.32 and 1.27 (gcloud SDK binaries) and Debian's kubectl 1.20 (fetched by scripts/kubectl120.sh).
# Usage: kubectl_smoke.sh BUILD_DIR. Prints "N passed, N failed"; exit status 1 on any failure.
set -uo pipefail
build=${1:?usage: kubectl_smoke.sh BUILD_DIR}
src=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
sim="$build/bin/capz-kube-sim"
gsdk=/usr/lib/google-cloud-sdk/bin
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "  ok   $*"; }
bad() { fail=$((fail + 1)); echo "  FAIL $*"; }

clients=()
[ -x "$gsdk/kubectl.1.32" ] && clients+=("1.32=$gsdk/kubectl.1.32")
[ -x "$gsdk/kubectl.1.27" ] && clients+=("1.27=$gsdk/kubectl.1.27")
if k120=$(bash "$src/scripts/kubectl120.sh" "$build/kubectl120" 2>/dev/null); then
  clients+=("1.20=$k120")
else
  bad "could not fetch Debian kubectl 1.20 (scripts/kubectl120.sh)"
fi
[ ${#clients[@]} -ge 2 ] || bad "expected kubectl 1.32 and an older kubectl"

run_client() { # name binary
  local name=$1 kc=$2
  local tmp
  tmp=$(mktemp -d)
  echo "== kubectl $name ($kc)"
  "$sim" --listen 127.0.0.1:0 --kubeconfig-out "$tmp/kubeconfig" >"$tmp/ready" 2>"$tmp/sim.log" &
  local simpid=$!
  for _ in $(seq 1 100); do grep -q READY "$tmp/ready" 2>/dev/null && break; sleep 0.05; done
  local url
  url=$(awk '/READY/{print $2}' "$tmp/ready")
  if [ -z "$url" ]; then
    bad "$name: emulator did not start"
    kill "$simpid" 2>/dev/null
    return
  fi
  mkdir -p "$tmp/home"
  k() { HOME="$tmp/home" KUBECONFIG="$tmp/kubeconfig" KUBECACHEDIR="$tmp/cache" timeout 60 "$kc" --cache-dir "$tmp/cache" "$@"; }

  cat >"$tmp/crd.yaml" <<'YAML'
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget, shortNames: [wd]}
  versions:
  - name: v1
    served: true
    storage: true
    subresources: {status: {}}
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              size: {type: integer}
              color: {type: string, enum: [red, blue]}
          status:
            type: object
            x-kubernetes-preserve-unknown-fields: true
YAML
  cat >"$tmp/w1.yaml" <<'YAML'
apiVersion: example.com/v1
kind: Widget
metadata:
  name: w1
spec:
  size: 3
YAML
  cat >"$tmp/w2.yaml" <<'YAML'
apiVersion: example.com/v1
kind: Widget
metadata:
  name: w2
spec:
  size: 7
YAML
  if k apply -f "$tmp/crd.yaml" >"$tmp/out" 2>&1; then ok "$name apply CRD"; else bad "$name apply CRD: $(cat "$tmp/out")"; fi
  if k wait --for=condition=Established crd/widgets.example.com --timeout=20s >"$tmp/out" 2>&1; then
    ok "$name wait Established"
  else bad "$name wait Established: $(cat "$tmp/out")"; fi
  if k apply -f "$tmp/w1.yaml" >"$tmp/out" 2>&1 && grep -q "created" "$tmp/out"; then ok "$name apply CR"; else bad "$name apply CR: $(cat "$tmp/out")"; fi
  sed -i 's/size: 3/size: 4/' "$tmp/w1.yaml"
  if k apply -f "$tmp/w1.yaml" >"$tmp/out" 2>&1 && grep -q "configured" "$tmp/out"; then ok "$name re-apply edited CR"; else bad "$name re-apply: $(cat "$tmp/out")"; fi
  if [ "$(k get widget w1 -o 'jsonpath={.spec.size}' 2>&1)" = "4" ]; then ok "$name edit took effect"; else bad "$name edit not applied"; fi
  if k apply -f "$tmp/w1.yaml" >"$tmp/out" 2>&1 && grep -q "unchanged" "$tmp/out"; then ok "$name re-apply unchanged"; else bad "$name re-apply unchanged: $(cat "$tmp/out")"; fi
  if k apply --server-side -f "$tmp/w2.yaml" >"$tmp/out" 2>&1 && grep -q "serverside-applied" "$tmp/out"; then
    ok "$name apply --server-side"
  else bad "$name apply --server-side: $(cat "$tmp/out")"; fi
  sed -i 's/size: 7/size: 8/' "$tmp/w2.yaml"
  if k apply --server-side -f "$tmp/w2.yaml" >"$tmp/out" 2>&1 && [ "$(k get wd w2 -o 'jsonpath={.spec.size}')" = "8" ]; then
    ok "$name apply --server-side update"
  else bad "$name apply --server-side update: $(cat "$tmp/out")"; fi
  if k get widgets >"$tmp/out" 2>&1 && grep -q "^w1 " "$tmp/out" && grep -q "^w2 " "$tmp/out" && grep -q "^NAME" "$tmp/out"; then
    ok "$name get (table)"
  else bad "$name get: $(cat "$tmp/out")"; fi
  if k get widget w1 -o yaml >"$tmp/out" 2>&1 && grep -q "size: 4" "$tmp/out" && grep -q "kind: Widget" "$tmp/out"; then
    ok "$name get -o yaml"
  else bad "$name get -o yaml: $(cat "$tmp/out")"; fi
  # get -w sees an update (the watch ends by itself after a few seconds)
  HOME="$tmp/home" KUBECONFIG="$tmp/kubeconfig" timeout 4 "$kc" --cache-dir "$tmp/cache" get widget w1 -w >"$tmp/watch" 2>&1 &
  local watchpid=$!
  sleep 1.5
  if k patch widget w1 --type=merge -p '{"spec":{"color":"blue"}}' >"$tmp/out" 2>&1 && grep -q "patched" "$tmp/out"; then
    ok "$name patch --type=merge"
  else bad "$name patch --type=merge: $(cat "$tmp/out")"; fi
  wait "$watchpid" 2>/dev/null
  if [ "$(grep -c '^w1 ' "$tmp/watch")" -ge 2 ] && [ "$(grep -c '^NAME' "$tmp/watch")" -le 1 ]; then
    ok "$name get -w shows the update"
  else bad "$name get -w: $(cat "$tmp/watch")"; fi
  if ! k patch widget w1 -p '{"spec":{"size":5}}' >"$tmp/out" 2>&1 && grep -qi "unknown format\|UnsupportedMediaType\|not supported" "$tmp/out"; then
    ok "$name strategic patch on a CR is refused (415)"
  else bad "$name strategic patch on CR: $(cat "$tmp/out")"; fi
  if k label widget w1 tier=gold >"$tmp/out" 2>&1 && [ "$(k get widget w1 -o 'jsonpath={.metadata.labels.tier}')" = "gold" ]; then
    ok "$name label"
  else bad "$name label: $(cat "$tmp/out")"; fi
  uid=$(k get widget w1 -o 'jsonpath={.metadata.uid}')
  cat >"$tmp/event.json" <<JSON
{"apiVersion":"v1","kind":"Event","metadata":{"name":"w1.smoke"},"involvedObject":{"apiVersion":"example.com/v1","kind":"Widget","name":"w1","namespace":"default","uid":"$uid"},"reason":"SmokeTested","message":"from the smoke suite","type":"Normal","count":1,"source":{"component":"smoke"},"firstTimestamp":"2025-01-01T00:00:00Z","lastTimestamp":"2025-01-01T00:00:00Z"}
JSON
  if k create -f "$tmp/event.json" >"$tmp/out" 2>&1; then ok "$name create -f event"; else bad "$name create event: $(cat "$tmp/out")"; fi
  if k describe widget w1 >"$tmp/out" 2>&1 && grep -q "^Name: *w1" "$tmp/out" && grep -q "SmokeTested" "$tmp/out"; then
    ok "$name describe (with events)"
  else bad "$name describe: $(cat "$tmp/out")"; fi
  # wait --for=condition=Ready: the condition is set through /status once wait is running
  k wait --for=condition=Ready widget/w1 --timeout=30s >"$tmp/wait.out" 2>&1 &
  local waitpid=$!
  sleep 1.5
  # force the informer behind `kubectl wait` through its 410 recovery path: compact the history and cut its
  # watch; client-go re-watches from its last RV, gets ERROR 410, relists and watches again (checklist 18)
  curl -s -XPOST "$url/_sim/compact" >/dev/null
  mkw=$(curl -s -XPOST -H 'Content-Type: application/json' -d '{"metadata":{"name":"bump"}}' "$url/api/v1/namespaces/default/configmaps")
  curl -s -XPOST "$url/_sim/drop-watches" >/dev/null
  sleep 1.5
  gen=$(k get widget w1 -o 'jsonpath={.metadata.generation}')
  curl -s -XPATCH -H 'Content-Type: application/merge-patch+json' \
    -d "{\"status\":{\"observedGeneration\":$gen,\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\",\"reason\":\"Done\",\"message\":\"\",\"lastTransitionTime\":\"2025-01-01T00:00:00Z\",\"observedGeneration\":$gen}]}}" \
    "$url/apis/example.com/v1/namespaces/default/widgets/w1/status" >/dev/null
  if wait "$waitpid" && grep -q "condition met" "$tmp/wait.out"; then
    ok "$name wait --for=condition=Ready (across a dropped watch and a compaction)"
  else bad "$name wait Ready: $(cat "$tmp/wait.out") $mkw"; fi
  if k delete widget w1 >"$tmp/out" 2>&1 && grep -q "deleted" "$tmp/out"; then ok "$name delete"; else bad "$name delete: $(cat "$tmp/out")"; fi
  if ! k get widget w1 >"$tmp/out" 2>&1 && grep -q "NotFound\|not found" "$tmp/out"; then ok "$name get after delete -> NotFound"; else bad "$name get after delete: $(cat "$tmp/out")"; fi
  if k delete -f "$tmp/crd.yaml" >"$tmp/out" 2>&1; then ok "$name delete CRD"; else bad "$name delete CRD: $(cat "$tmp/out")"; fi
  if ! k get widgets >"$tmp/out" 2>&1; then ok "$name CRD gone from discovery"; else bad "$name widgets still served"; fi
  # typed create commands (protobuf bodies from kubectl >= 1.2x, JSON from 1.20)
  if k create namespace smoke-ns >"$tmp/out" 2>&1 && k create configmap cm1 --from-literal=a=b -n smoke-ns >>"$tmp/out" 2>&1 &&
    k create secret generic s1 --from-literal=k=v -n smoke-ns >>"$tmp/out" 2>&1 &&
    [ "$(k get cm cm1 -n smoke-ns -o 'jsonpath={.data.a}')" = "b" ] &&
    [ "$(k get secret s1 -n smoke-ns -o 'jsonpath={.data.k}{.type}')" = "dg==Opaque" ]; then
    ok "$name create namespace/configmap/secret"
  else bad "$name typed creates: $(cat "$tmp/out")"; fi
  if k delete namespace smoke-ns --timeout=30s >"$tmp/out" 2>&1 && ! k get namespace smoke-ns >/dev/null 2>&1; then
    ok "$name delete namespace (cascade completes)"
  else bad "$name delete namespace: $(cat "$tmp/out")"; fi
  kill -TERM "$simpid"
  if wait "$simpid"; then ok "$name emulator clean exit"; else bad "$name emulator exit status $?: $(tail -5 "$tmp/sim.log")"; fi
  rm -rf "$tmp"
}

for c in "${clients[@]}"; do
  run_client "${c%%=*}" "${c#*=}"
done
echo "kubectl smoke: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
