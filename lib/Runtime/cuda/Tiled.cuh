//===- Tiled.cuh - parts of the many-row qlinear kernels -------*- CUDA -*-===//
//
// The tiled kernels (QuantizedActivationTiled.cu, HalfActivationTiled.cu)
// give a block of eight warps 128 rows × 128 columns over all of K: two
// warps of rows for each of the four 32-column warp columns of the
// streaming layout. Each K tile's stage (activations, weight fragments,
// scales) comes through a three-stage cp.async pipeline.
//
//===----------------------------------------------------------------------===//

#ifndef QCC_RUNTIME_CUDA_TILED_CUH
#define QCC_RUNTIME_CUDA_TILED_CUH

#include "lib/Runtime/cuda/Streaming.cuh"

namespace qcc::cuda {

constexpr int kTiledThreads = 256;
constexpr int kTiledRows = 128;
constexpr int kTiledStages = 3;

/// 16 bytes from global to shared memory, or 16 zeros when !valid (the
/// source must still be a valid address).
__device__ inline void copy16OrZeros(uint8_t *destination, const void *source,
                                     bool valid) {
  auto address = static_cast<uint32_t>(__cvta_generic_to_shared(destination));
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;" ::"r"(address),
               "l"(source), "r"(valid ? 16 : 0));
}

__device__ inline void commitCopies() {
  asm volatile("cp.async.commit_group;" ::: "memory");
}

/// Walks K tiles [0, tiles) through kTiledStages stages of `StageBytes` at
/// `shared`: issue(tile, stage) starts a tile's copies and commits them;
/// compute(tile, stage) runs once they are in for the whole block.
template <int StageBytes, typename Issue, typename Compute>
__device__ inline void walkTiles(uint8_t *shared, int tiles, Issue issue,
                                 Compute compute) {
  for (int stage = 0; stage < kTiledStages - 1; ++stage) {
    if (stage < tiles)
      issue(stage, shared + stage * StageBytes);
    else
      commitCopies();
  }
  int current = 0;
  for (int tile = 0; tile < tiles; ++tile) {
    asm volatile("cp.async.wait_group %0;" ::"n"(kTiledStages - 2) : "memory");
    // Everyone's copies of this tile are in, and everyone is done with the
    // stage the next issue overwrites.
    __syncthreads();
    int ahead = tile + kTiledStages - 1;
    if (ahead < tiles)
      issue(ahead,
            shared + (current + kTiledStages - 1) % kTiledStages * StageBytes);
    else
      commitCopies();
    compute(tile, shared + current * StageBytes);
    current = current + 1 == kTiledStages ? 0 : current + 1;
  }
  asm volatile("cp.async.wait_all;" ::: "memory");
}

/// Launches a tiled kernel over n columns and `rows` rows.
template <typename Params>
cudaError_t launchTiledKernel(void (*kernel)(Params), const Params &p,
                              size_t sharedBytes, int64_t rows,
                              cudaStream_t stream) {
  cudaError_t status =
      cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                           static_cast<int>(sharedBytes));
  if (status != cudaSuccess)
    return status;
  dim3 grid(static_cast<unsigned>(columnBlocksOf(p.n)),
            static_cast<unsigned>((rows + kTiledRows - 1) / kTiledRows));
  kernel<<<grid, kTiledThreads, sharedBytes, stream>>>(p);
  return cudaGetLastError();
}

} // namespace qcc::cuda

#endif // QCC_RUNTIME_CUDA_TILED_CUH
