#!/usr/bin/env bash
# One command from a fresh Debian 12 machine to a result:
#   tools/bootstrap.sh sweep [run flags...]   install packages, build Release, run the default sweep
#   tools/bootstrap.sh test                   install packages, build Release, run the whole test suite
#                                             and the accuracy gate against results/baseline-smoke.json,
#                                             then the sanitizer stage (clang ASan + UBSan unit tests of
#                                             the hostile-input layers and kernels, libFuzzer targets);
#                                             ATTNBENCH_SANITIZERS=0 skips that stage (docs/ci.md)
# Idempotent: packages already present are skipped and the build is incremental.
set -euo pipefail
cd "$(dirname "$0")/.."

mode="${1:-}"
shift || true
case "$mode" in
  sweep|test) ;;
  *) echo "usage: tools/bootstrap.sh sweep|test [attnbench run flags]" >&2; exit 2 ;;
esac

tools/setup-deps.sh
preset=release
if ! command -v nvcc >/dev/null 2>&1 && [ ! -x /usr/local/cuda/bin/nvcc ]; then
  preset=cpu   # no CUDA toolkit: the CPU-only build (CUDA sources are skipped, never required)
fi
export PATH="$PATH:/usr/local/cuda/bin"
cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset" -j "$(nproc)"

if [ "$mode" = sweep ]; then
  exec "build/$preset/attnbench" run "$@"
fi

# The Slurm integration test (label slurm) may install slurmctld, slurmd and munge with apt-get.
export ATTNBENCH_SLURM_INSTALL=1
ctest --preset "$preset" -j "$(nproc)"
# The accuracy gate: the smoke sweep against the committed baseline, errors and statuses only
# (times and per-thread memory on a shared machine are noise). A change that makes any method less
# accurate, or turns an `ok` case into anything else, fails here. See docs/ci.md.
gate_dir=$(mktemp -d)
trap 'rm -rf "$gate_dir"' EXIT
"build/$preset/attnbench" run bench_specs/smoke.json -q --threads 2 -o "$gate_dir/smoke.json"
"build/$preset/attnbench" compare results/baseline-smoke.json "$gate_dir/smoke.json" \
  --lenient --no-time --no-memory --changes-only

# The sanitizer stage (docs/ci.md): clang with AddressSanitizer + UndefinedBehaviorSanitizer builds
# only what reads hostile input and the kernels (preset fuzz: core, ops, inputs, spec, report and the
# layers they link), runs those layers' unit tests, then each libFuzzer target for
# ATTNBENCH_FUZZ_SECONDS (default 60) from its seed corpus. Any sanitizer report or crash fails CI.
if [ "${ATTNBENCH_SANITIZERS:-1}" != 0 ]; then
  missing=()
  for p in clang libclang-rt-14-dev libomp-dev; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    echo "attnbench: installing ${missing[*]}" >&2
    sudo_cmd=()
    if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
    export DEBIAN_FRONTEND=noninteractive
    "${sudo_cmd[@]}" apt-get -o DPkg::Lock::Timeout=300 update -qq
    "${sudo_cmd[@]}" apt-get -o DPkg::Lock::Timeout=300 install -y -qq \
      --no-install-recommends "${missing[@]}"
  fi
  cmake --preset fuzz -DATTNBENCH_FUZZ_SECONDS="${ATTNBENCH_FUZZ_SECONDS:-60}" >/dev/null
  cmake --build --preset fuzz -j "$(nproc)" --target attnbench_tests fuzz_targets
  ctest --preset fuzz -j "$(nproc)"
fi
