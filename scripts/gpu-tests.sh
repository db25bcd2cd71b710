#!/usr/bin/env bash
# The GPU suite, for one call on a machine with an sm90 GPU (docs/cuda-backend.md):
#   bash scripts/gpu-tests.sh BUILD_DIR OUT_DIR [bench]
#   bash scripts/gpu-tests.sh BUILD_DIR OUT_DIR models ARCHIVE...
# runs the CUDA kernel and device-op tests, the same tests under
# compute-sanitizer's memcheck (ragged shapes only, to bound the time), and
# with `bench` the kernel benchmark against cuBLAS. With `models` it runs
# only the sm90 model.so files of each archive (scripts/prepare-gpu-models.sh)
# against the interpreter. Builds nothing: carry BUILD_DIR's QccCudaTests and
# libQccCudaBench.so from a machine that has MLIR.
set -uo pipefail
build=${1:?build directory}
out=${2:?output directory}
mkdir -p "$out"
status=0
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv |
  tee "$out/gpu.txt"
tests=$build/test/unit/QccCudaTests
if [[ ${3:-} != models ]]; then
echo "== kernel tests"
"$tests" --gtest_output="json:$out/tests.json" 2>&1 | tail -n 40 || status=1
echo "== compute-sanitizer memcheck"
compute-sanitizer --tool memcheck --error-exitcode 3 "$tests" \
  --gtest_filter='*M3_*:*M17_*:*M129_*:*Refuses*:DeviceOps*' >"$out/memcheck.txt" 2>&1 ||
  status=1
tail -n 5 "$out/memcheck.txt"
fi
if [[ ${3:-} == models ]]; then
  echo "== sm90 models against the interpreter"
  for archive in "${@:4}"; do
    work=$(mktemp -d)
    tar -C "$work" -xJf "$archive"
    for client in "$work"/*/abi_client; do
      [[ -x $client ]] || continue
      echo "== the C ABI of an sm90 .so (abi_client)"
      "$client" "$(dirname "$client")/w8a8-sm90.so" >"$out/abi_client.txt" 2>&1
      diff "$(dirname "$client")/abi_client.expected" "$out/abi_client.txt" &&
        echo "abi_client: as on x86" || status=1
    done
    # One process per model.so, so that a crash names its scheme.
    for library in "$work"/*/*-sm90.so; do
      scheme=$(basename "$library" -sm90.so)
      (cd test/models && python3 check_gpu_models.py check "$(dirname "$library")" \
        --schemes "$scheme") 2>&1 | tee -a "$out/models.txt" || status=1
    done
    rm -rf "$work"
  done
fi
if [[ ${3:-} == bench ]]; then
  echo "== kernel benchmark"
  python3 bench/cuda/qlinear_bench.py --library "$build/lib/libQccCudaBench.so" \
    --json "$out/bench.json" || status=1
fi
exit $status
