//===- QuantizeActivations.cu - per-token codes on the device -------------===//
//
// The interpreter's per-token quantization (numerics::quantizeRows, the CPU
// runtime's quantizeActivations) and runtimeSmoothMaxima, bit for bit: the
// same f32 operations in the same order per element (quantizeInt or
// encodeE4M3 of x · (1 / scale)); only max, which is exact in any order,
// is reduced in parallel. Built without fused multiply-adds.
//
//===----------------------------------------------------------------------===//

#include "lib/Runtime/cuda/QLinear.h"
#include "qcc/Numerics/Formats.h"
#include <cuda_fp16.h>

namespace qcc::cuda {

namespace {

constexpr int kThreads = 256;

/// max over the block of each thread's `value`.
__device__ float blockMaximum(float value) {
  __shared__ float partial[kThreads / 32];
  for (int offset = 16; offset > 0; offset /= 2)
    value = fmaxf(value, __shfl_xor_sync(0xFFFFFFFFu, value, offset));
  if (threadIdx.x % 32 == 0)
    partial[threadIdx.x / 32] = value;
  __syncthreads();
  value = partial[0];
  for (int w = 1; w < kThreads / 32; ++w)
    value = fmaxf(value, partial[w]);
  __syncthreads();
  return value;
}

/// x[c], first multiplied by 1 / maxima[c / smoothGroup] under Runtime
/// Smooth (the inverse rounded to f32 first, as the CPU runtime does).
__device__ inline float smoothed(const float *x, int64_t c, const float *maxima,
                                 int64_t smoothGroup) {
  return maxima ? x[c] * (1.0f / maxima[c / smoothGroup]) : x[c];
}

__global__ void __launch_bounds__(kThreads)
    quantizeKernel(const float *x, int64_t k, float qmax,
                   ActivationCodes format, const float *maxima,
                   int64_t smoothGroup, void *codes, float *scales) {
  int64_t row = blockIdx.x, paddedK = paddedDepth(k);
  const float *in = x + row * k;
  float absmax = 0.0f;
  for (int64_t c = threadIdx.x; c < k; c += kThreads)
    absmax = fmaxf(absmax, fabsf(smoothed(in, c, maxima, smoothGroup)));
  absmax = blockMaximum(absmax);
  float scale = absmax > 0.0f ? absmax / qmax : 1.0f;
  float inverse = 1.0f / scale;
  auto limit = static_cast<int32_t>(qmax);
  if (format == ActivationCodes::E4M3AsF16) {
    auto *out = static_cast<__half *>(codes) + row * k;
    for (int64_t c = threadIdx.x; c < k; c += kThreads)
      out[c] = __float2half_rn(numerics::decodeE4M3(numerics::encodeE4M3(
          smoothed(in, c, maxima, smoothGroup) * inverse)));
  } else {
    uint8_t *out = static_cast<uint8_t *>(codes) + row * paddedK;
    for (int64_t c = threadIdx.x; c < paddedK; c += kThreads) {
      uint8_t code = 0;
      if (c < k) {
        float value = smoothed(in, c, maxima, smoothGroup);
        code = format == ActivationCodes::E4M3
                   ? numerics::encodeE4M3(value * inverse)
                   : static_cast<uint8_t>(numerics::quantizeInt(
                         value, inverse, 0, -limit, limit));
      }
      out[c] = code;
    }
  }
  if (threadIdx.x == 0)
    scales[row] = scale;
}

__global__ void __launch_bounds__(kThreads)
    maximaKernel(const float *x, int64_t rows, int64_t k, int64_t group,
                 float *maxima) {
  int64_t begin = blockIdx.x * group;
  int64_t width = min(group, k - begin);
  float maximum = 0.0f;
  for (int64_t i = threadIdx.x; i < rows * width; i += kThreads)
    maximum = fmaxf(maximum, fabsf(x[i / width * k + begin + i % width]));
  maximum = blockMaximum(maximum);
  if (threadIdx.x == 0)
    maxima[blockIdx.x] = maximum > 0.0f ? maximum : 1.0f;
}

} // namespace

cudaError_t quantizeActivations(const float *x, int64_t rows, int64_t k,
                                float qmax, ActivationCodes format,
                                const float *maxima, int64_t smoothGroup,
                                void *codes, float *scales,
                                cudaStream_t stream) {
  if (rows < 0 || k <= 0 || !(qmax > 0.0f) || !x || !codes || !scales ||
      (maxima && smoothGroup <= 0))
    return cudaErrorInvalidValue;
  if (rows == 0)
    return cudaSuccess;
  quantizeKernel<<<static_cast<unsigned>(rows), kThreads, 0, stream>>>(
      x, k, qmax, format, maxima, smoothGroup, codes, scales);
  return cudaGetLastError();
}

cudaError_t runtimeSmoothMaxima(const float *x, int64_t rows, int64_t k,
                                int64_t group, float *maxima,
                                cudaStream_t stream) {
  if (rows <= 0 || k <= 0 || group <= 0 || !x || !maxima)
    return cudaErrorInvalidValue;
  int64_t groups = (k + group - 1) / group;
  maximaKernel<<<static_cast<unsigned>(groups), kThreads, 0, stream>>>(
      x, rows, k, group, maxima);
  return cudaGetLastError();
}

} // namespace qcc::cuda
