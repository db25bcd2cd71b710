//===- qlinear_bench_api.cpp - the CUDA qlinear kernels for ctypes --------===//
//
// extern "C" wrappers that bench/cuda/qlinear_bench.py calls with PyTorch
// tensors' device pointers and stream (so that calls can be captured in
// a CUDA graph). Status codes are cudaError_t values.
//
//===----------------------------------------------------------------------===//

#include "lib/Runtime/cuda/QLinear.h"

using namespace qcc::cuda;

#define QCC_BENCH_EXPORT extern "C" __attribute__((visibility("default")))

QCC_BENCH_EXPORT size_t qcc_bench_packed_bytes(int layout, int64_t n,
                                               int64_t k) {
  return packedWeightBytes(static_cast<FragmentCodes>(layout), n, k);
}

QCC_BENCH_EXPORT int64_t qcc_bench_padded_columns(int64_t n) {
  return paddedColumns(n);
}

QCC_BENCH_EXPORT int64_t qcc_bench_padded_depth(int64_t k) {
  return paddedDepth(k);
}

/// codes [n, k] int8 on the host → packed (host).
QCC_BENCH_EXPORT void qcc_bench_pack(int layout, const int8_t *codes, int64_t n,
                                     int64_t k, uint8_t *packed) {
  packWeightFragments(static_cast<FragmentCodes>(layout), codes, n, k, packed);
}

namespace {
DeviceWeight weightOf(int layout, const void *packed, int64_t n, int64_t k,
                      int64_t groupSize, const float *groupScales,
                      const uint8_t *integerScales,
                      const float *channelScales) {
  DeviceWeight weight;
  weight.codes = static_cast<FragmentCodes>(layout);
  weight.n = n;
  weight.k = k;
  weight.packed = packed;
  weight.groupSize = groupSize;
  weight.groups = (k + groupSize - 1) / groupSize;
  weight.groupScales = groupScales;
  weight.integerScales = integerScales;
  weight.channelScales = channelScales;
  return weight;
}
} // namespace

/// f16 activations × Int4ForF16 or E2M1ForF16 weights.
QCC_BENCH_EXPORT int qcc_bench_half(const uint16_t *x, int64_t rows, int layout,
                                    const void *packed, int64_t n, int64_t k,
                                    int64_t groupSize, const float *scales,
                                    float *y, cudaStream_t stream) {
  return halfActivationLinear(
      x, rows, nullptr,
      weightOf(layout, packed, n, k, groupSize, scales, nullptr, nullptr), y,
      stream);
}

QCC_BENCH_EXPORT int
qcc_bench_integer(const uint8_t *codes, const float *tokenScales, int64_t rows,
                  int layout, const void *packed, int64_t n, int64_t k,
                  int64_t groupSize, const float *groupScales,
                  const uint8_t *integerScales, const float *channelScales,
                  int int8Products, float *y, cudaStream_t stream) {
  DeviceActivations activations;
  activations.codes = codes;
  activations.tokenScales = tokenScales;
  activations.rows = rows;
  activations.fp8 = layout == static_cast<int>(FragmentCodes::E4M3ForF8);
  activations.block = integerScales ? k : groupSize;
  DeviceWeight weight = weightOf(layout, packed, n, k, groupSize, groupScales,
                                 integerScales, channelScales);
  weight.int8Products = int8Products != 0;
  return quantizedActivationLinear(activations, weight, y, stream);
}

QCC_BENCH_EXPORT int qcc_bench_quantize(const float *x, int64_t rows, int64_t k,
                                        uint8_t *codes, float *scales,
                                        cudaStream_t stream) {
  return quantizeActivations(x, rows, k, 127.0f, ActivationCodes::Int8, nullptr,
                             0, codes, scales, stream);
}
