//===- GridStride.cuh - grid-stride loops over indexed tensors --*- CUDA
//-*-===//
//
// What the elementwise, data-movement and reduction kernels share: the
// grid of a grid-stride loop, and the offset of an element under an
// IndexMap's strides.
//
//===----------------------------------------------------------------------===//

#ifndef QCC_RUNTIME_CUDA_GRIDSTRIDE_CUH
#define QCC_RUNTIME_CUDA_GRIDSTRIDE_CUH

#include "lib/Runtime/cuda/DeviceRuntime.h"
#include <algorithm>

namespace qcc::gpu {

/// Blocks of `threads` for a grid-stride loop over `count` elements: one
/// element a thread, at most 32 blocks for each of 132 multiprocessors.
inline unsigned gridBlocks(int64_t count, int threads) {
  return static_cast<unsigned>(std::min<int64_t>(
      std::max<int64_t>((count + threads - 1) / threads, 1), 132 * 32));
}

/// The offset under operand `operand`'s strides of element `index`
/// (row-major) of the map's shape.
__device__ inline int64_t offsetOf(const IndexMap &map, int operand,
                                   int64_t index) {
  int64_t offset = 0;
  for (int d = map.rank - 1; d >= 0; --d) {
    offset += index % map.shape[d] * map.strides[operand][d];
    index /= map.shape[d];
  }
  return offset;
}

} // namespace qcc::gpu

#endif // QCC_RUNTIME_CUDA_GRIDSTRIDE_CUH
