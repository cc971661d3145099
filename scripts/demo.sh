#!/usr/bin/env bash
# The main demo. At this stage: install deps (scripts/deps.sh), build everything, list the
# in-tree plugins, install the SDK into a scratch prefix, build the third-party example plugin
# (examples/hello-plugin) out of tree against it, and show capz-host loading and validating it.
# Later stages add: start the Kubernetes/ARM emulators and converge sample clusters.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
bash scripts/deps.sh
ncpu=$(nproc)
jobs=${CAPZ_JOBS:-$(( ncpu < 2 ? ncpu : 2 ))}

echo "== build"
# Same build dir and type as scripts/test.sh, so running one after the other does not rebuild.
cmake -S . -B build -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build build -j"$jobs" >/dev/null
build/bin/capz-host --version

echo "== in-tree plugins (build/plugins)"
build/bin/capz-host --list-plugins

echo "== third-party plugin built against the installed SDK"
prefix="$root/build/demo-prefix"
libdir=$(sed -n 's/^CMAKE_INSTALL_LIBDIR:PATH=//p' build/CMakeCache.txt)
rm -rf "$prefix" build/demo-hello
cmake --install build --prefix "$prefix" >/dev/null
cmake -S examples/hello-plugin -B build/demo-hello -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build build/demo-hello >/dev/null
cmake --install build/demo-hello >/dev/null   # into $(pkg-config --variable=plugindir capz-sdk)
echo "installed: $(PKG_CONFIG_PATH="$prefix/$libdir/pkgconfig" pkg-config --variable=plugindir capz-sdk)/hello.so"
"$prefix/bin/capz-host" --list-plugins
"$prefix/bin/capz-host" --config examples/capz-host.yaml --plugin-dir "$prefix/$libdir/capz/plugins" --check-config
echo "demo.sh: done"
