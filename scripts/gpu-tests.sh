#!/usr/bin/env bash
# The GPU suite, for one call on a machine with an sm90 GPU (docs/cuda-backend.md):
#   bash scripts/gpu-tests.sh BUILD_DIR OUT_DIR [bench]
# runs the CUDA kernel tests, the same tests under compute-sanitizer's memcheck
# (ragged shapes only, to bound the time), and with `bench` the kernel benchmark
# against cuBLAS. Builds nothing: carry BUILD_DIR's QccCudaTests and
# libQccCudaBench.so from a machine that has MLIR.
set -uo pipefail
build=${1:?build directory}
out=${2:?output directory}
mkdir -p "$out"
status=0
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv |
  tee "$out/gpu.txt"
tests=$build/test/unit/QccCudaTests
echo "== kernel tests"
"$tests" --gtest_output="json:$out/tests.json" 2>&1 | tail -n 40 || status=1
echo "== compute-sanitizer memcheck"
compute-sanitizer --tool memcheck --error-exitcode 3 "$tests" \
  --gtest_filter='*M3_*:*M17_*:*M129_*:*Refuses*' >"$out/memcheck.txt" 2>&1 ||
  status=1
tail -n 5 "$out/memcheck.txt"
if [[ ${3:-} == bench ]]; then
  echo "== kernel benchmark"
  python3 bench/cuda/qlinear_bench.py --library "$build/lib/libQccCudaBench.so" \
    --json "$out/bench.json" || status=1
fi
exit $status
