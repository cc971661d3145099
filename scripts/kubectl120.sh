#!/usr/bin/env bash
# kubectl120.sh DEST_DIR — make Debian's kubectl 1.20 (package kubernetes-client) available under DEST_DIR
# without installing it (it conflicts with the gcloud /usr/bin/kubectl). Idempotent: an existing unpacked
# binary is reused. Runs `apt-get update` only if the first download fails. Prints the binary's path.
set -euo pipefail
dest=${1:?usage: kubectl120.sh DEST_DIR}
bin="$dest/root/usr/bin/kubectl"
if [ -x "$bin" ]; then
  echo "$bin"
  exit 0
fi
mkdir -p "$dest"
cd "$dest"
if ! ls kubernetes-client_*.deb >/dev/null 2>&1; then
  if ! apt-get download kubernetes-client >/dev/null 2>&1; then
    apt-get update >/dev/null 2>&1 || true
    apt-get download kubernetes-client >&2
  fi
fi
deb=$(ls kubernetes-client_*.deb | head -n1)
rm -rf root.tmp
dpkg -x "$deb" root.tmp
mv root.tmp root
[ -x "$bin" ] || { echo "kubectl120.sh: $bin missing after unpacking $deb" >&2; exit 1; }
echo "$bin"
