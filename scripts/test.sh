#!/usr/bin/env bash
# Runs every test: installs build deps if missing (scripts/deps.sh), builds, runs ctest normally
# and once more under ASan+UBSan. Exits non-zero on the first failing suite.
#   CAPZ_JOBS=N       parallel build jobs (default: min(nproc, 2) — the CI machine has 2 cores)
#   CAPZ_TEST_JOBS=N  parallel tests (default: build jobs + 1 — the end-to-end tests mostly wait on emulated
#                     Azure operations, so one more than the cores keeps both busy)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
bash scripts/deps.sh
ncpu=$(nproc)
jobs=${CAPZ_JOBS:-$(( ncpu < 2 ? ncpu : 2 ))}
test_jobs=${CAPZ_TEST_JOBS:-$(( jobs + 1 ))}

run_suite() { # $1 build dir, rest: extra cmake args
  local dir=$1; shift
  local t0=$SECONDS
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Debug "$@" >/dev/null
  cmake --build "$dir" -j"$jobs"
  # ctest prints its summary line ("100% tests passed, 0 tests failed out of N").
  (cd "$dir" && ctest --output-on-failure -j"$test_jobs" --timeout 600)
  echo "test.sh: $dir: passed in $(( SECONDS - t0 )) s"
}

echo "== build + tests"
run_suite build
echo "== build + tests under ASan+UBSan"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
run_suite build-asan -DCAPZ_SANITIZE=ON
echo "test.sh: all suites passed"
