//===- HadamardKernel.cu - online Hadamard rotations on sm90 --------------===//
//
// qcc.hadamard as qcc::numerics::applyHadamard defines it, bit for bit:
// one thread block per rotated block of a row, held in shared memory; the
// fast Walsh–Hadamard butterflies over each power-of-two chunk (the same
// a + b and a − b), the dense mix of the H_m chunks summed in the same
// order (± products are exact, so fused or not they round alike), then
// the same f32 normalization. Every size qcc-rotate produces.
//
//===----------------------------------------------------------------------===//

#include "lib/Runtime/cuda/DeviceRuntime.h"
#include "qcc/Numerics/Hadamard.h"
#include <cmath>

using namespace qcc;
using namespace qcc::gpu;

namespace {

constexpr int kThreads = 256;

__global__ void __launch_bounds__(kThreads)
    hadamardKernel(const float *x, float *y, int64_t block, int64_t m,
                   const int8_t *base, bool transpose, float norm) {
  extern __shared__ float shared[];
  float *row = shared, *mixed = shared + block;
  int64_t p = block / m;
  const float *in = x + blockIdx.x * block;
  for (int64_t i = threadIdx.x; i < block; i += kThreads)
    row[i] = in[i];
  __syncthreads();
  for (int64_t half = 1; half < p; half *= 2) {
    for (int64_t pair = threadIdx.x; pair < block / 2; pair += kThreads) {
      int64_t chunk = pair / (p / 2), t = pair % (p / 2);
      int64_t j = chunk * p + t / half * 2 * half + t % half;
      float a = row[j], b = row[j + half];
      row[j] = a + b;
      row[j + half] = a - b;
    }
    __syncthreads();
  }
  if (m > 1) {
    for (int64_t i = threadIdx.x; i < block; i += kThreads) {
      int64_t out = i / p, b = i % p;
      float sum = 0.0f;
      for (int64_t k = 0; k < m; ++k) {
        float sign = transpose ? base[out * m + k] : base[k * m + out];
        sum = __fadd_rn(sum, __fmul_rn(sign, row[k * p + b]));
      }
      mixed[i] = sum;
    }
    __syncthreads();
    row = mixed;
  }
  float *result = y + blockIdx.x * block;
  for (int64_t i = threadIdx.x; i < block; i += kThreads)
    result[i] = __fmul_rn(row[i], norm);
}

} // namespace

Tensor qcc::gpu::hadamard(Session *s, Node node, const Tensor &x, int64_t block,
                          bool transpose) {
  if (s->failed())
    return {};
  std::optional<int64_t> m = numerics::hadamardBase(block);
  if (block <= 0 || !m || x.numElements() % block) {
    s->fail(node, "no Hadamard rotation of blocks of " + std::to_string(block) +
                      " over " + rt::formatShape(x.shape()));
    return {};
  }
  std::vector<int8_t> entries = numerics::hadamardBaseMatrix(*m);
  Tensor base = Tensor::allocate(DType::I8, {int64_t(entries.size())});
  std::copy(entries.begin(), entries.end(), base.mutableData<int8_t>());
  Tensor deviceBase = toDevice(s, node, base);
  Tensor result = allocate(s, node, DType::F32, x.shape());
  if (deviceBase.isNull() || result.isNull())
    return {};
  int64_t blocks = x.numElements() / block;
  if (blocks == 0)
    return result;
  size_t sharedBytes = 2 * block * sizeof(float);
  if (blocks > INT32_MAX) {
    s->fail(node, "too many Hadamard blocks for one launch");
    return {};
  }
  if (!allowSharedMemory(s, node,
                         reinterpret_cast<const void *>(hadamardKernel),
                         sharedBytes, 227u << 10))
    return {};
  // As applyHadamard: 1 / sqrt(block) in f32.
  float norm = 1.0f / std::sqrt(static_cast<float>(block));
  hadamardKernel<<<static_cast<unsigned>(blocks), kThreads, sharedBytes,
                   streamOf(s)>>>(x.data<float>(), result.mutableData<float>(),
                                  block, *m, deviceBase.data<int8_t>(),
                                  transpose, norm);
  return succeeded(s, node, cudaGetLastError()) ? result : Tensor();
}
