#!/usr/bin/env bash
# One command from a fresh Debian 12 machine to a result:
#   tools/bootstrap.sh sweep [run flags...]   install packages, build Release, run the default sweep
#   tools/bootstrap.sh test                   install packages, build Release, run the whole test suite
#                                             and the accuracy gate against results/baseline-smoke.json
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
