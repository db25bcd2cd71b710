//===- BlockReduce.cuh - sums and maxima over a thread block ----*- CUDA
//-*-===//

#ifndef QCC_RUNTIME_CUDA_BLOCKREDUCE_CUH
#define QCC_RUNTIME_CUDA_BLOCKREDUCE_CUH

namespace qcc::gpu {

/// The sum over a block of `Threads` threads (a multiple of 32) of each
/// thread's `value`; every thread gets it.
template <int Threads> __device__ double blockSum(double value) {
  __shared__ double partial[Threads / 32];
  for (int offset = 16; offset > 0; offset /= 2)
    value += __shfl_xor_sync(0xffffffffu, value, offset);
  __syncthreads(); // a previous call's readers are done with partial
  if (threadIdx.x % 32 == 0)
    partial[threadIdx.x / 32] = value;
  __syncthreads();
  double total = 0.0;
  for (int w = 0; w < Threads / 32; ++w)
    total += partial[w];
  return total;
}

/// The block's largest `value` (NaN ignored where another value exists).
template <int Threads> __device__ float blockMax(float value) {
  __shared__ float partial[Threads / 32];
  for (int offset = 16; offset > 0; offset /= 2) {
    float other = __shfl_xor_sync(0xffffffffu, value, offset);
    value = other > value ? other : value;
  }
  __syncthreads();
  if (threadIdx.x % 32 == 0)
    partial[threadIdx.x / 32] = value;
  __syncthreads();
  float top = -INFINITY;
  for (int w = 0; w < Threads / 32; ++w)
    top = partial[w] > top ? partial[w] : top;
  return top;
}

} // namespace qcc::gpu

#endif // QCC_RUNTIME_CUDA_BLOCKREDUCE_CUH
