#!/usr/bin/env bash
# The one device check for a session that is lent a GPU (issue 8): build with CUDA, run the CUDA
# tests (CPU = GPU ops, unsupported-op reporting), run the smoke sweep on the device, and copy the
# logs and reports to $OUT (default ./gpu-out). Sized for a few minutes of device time.
set -uo pipefail
cd "$(dirname "$0")/.."
out="${OUT:-gpu-out}"
mkdir -p "$out"
export PATH="$PATH:/usr/local/cuda/bin"
{
  nvidia-smi || true
  cmake --preset release -DATTNBENCH_GBENCH=OFF && cmake --build --preset release -j "$(nproc)"
} > "$out/build.log" 2>&1 || { echo "build failed, see $out/build.log"; exit 1; }
ctest --preset release -R 'Cuda|Gpu' --output-on-failure > "$out/ctest-gpu.log" 2>&1
echo "ctest (CUDA tests) exit $?" | tee -a "$out/summary.txt"
build/release/attnbench run bench_specs/smoke.json --device cuda --no-isolate -o "$out/smoke-cuda.json" \
  > "$out/smoke-cuda.log" 2>&1
echo "smoke on cuda exit $?" | tee -a "$out/summary.txt"
build/release/attnbench report "$out/smoke-cuda.json" --rows method --cols status --value repetitions \
  >> "$out/summary.txt" 2>&1 || true
tail -5 "$out/ctest-gpu.log" "$out/smoke-cuda.log"
