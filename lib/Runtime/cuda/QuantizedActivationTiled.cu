//===- QuantizedActivationTiled.cu - many-row quantized qlinear -----------===//
//
// Products of many rows (prefill) with one accumulation block: a block of
// eight warps computes 128 rows × 128 columns, two warps a row each of
// the four 32-column warp columns, over all of K. Each K tile's
// activations (128 rows × 128 codes) and the four warp columns' weight
// fragments (the streaming kernels' order, so no second copy of the
// weights) go through a three-stage cp.async pipeline in shared memory;
// the warps multiply on mma.sync (int8 or e4m3, m16n8k32) with the
// streaming kernel's arithmetic, so the results are the same bits.
//
//===----------------------------------------------------------------------===//

#include "lib/Runtime/cuda/Mma.cuh"
#include "lib/Runtime/cuda/QuantizedActivation.cuh"

namespace qcc::cuda {

namespace {

constexpr int kTiledThreads = 256;
constexpr int kTiledRows = 128;
constexpr int kTiledStages = 3;
/// A stage: activations (rows padded by 16 bytes for ldmatrix), the four
/// warp columns' weight fragments, their two-level scales.
constexpr int kActivationStride = kTileK + kRowPadding;
constexpr int kActivationBytes = kTiledRows * kActivationStride;
template <Operands O>
constexpr int kWeightBytes = kWarpsPerBlock * 4 * partsOf(O) * 512;
constexpr int kScaleBytes = kWarpsPerBlock * kWarpColumns;
template <Operands O>
constexpr int kStageBytes = kActivationBytes + kWeightBytes<O> + kScaleBytes;

/// 16 bytes from global to shared memory, or 16 zeros when !valid (the
/// source must still be a valid address).
__device__ inline void copy16(uint8_t *destination, const void *source,
                              bool valid) {
  auto address = static_cast<uint32_t>(__cvta_generic_to_shared(destination));
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;" ::"r"(address),
               "l"(source), "r"(valid ? 16 : 0));
}

template <Operands O>
__global__ void __launch_bounds__(kTiledThreads, 1)
    tiledKernel(QuantizedActivationParams p) {
  extern __shared__ __align__(16) uint8_t shared[];
  using Accumulator = AccumulatorOf<O>;
  constexpr int kParts = partsOf(O);
  constexpr int kWarpWeightVectors = 4 * kParts * 32;
  int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  int rowWarp = warp / kWarpsPerBlock, columnWarp = warp % kWarpsPerBlock;
  int g = lane / 4, t = lane % 4;
  int64_t row0 = int64_t{blockIdx.y} * kTiledRows;
  int warpColumn = blockIdx.x * kWarpsPerBlock + columnWarp;
  bool active = warpColumn * kWarpColumns < p.paddedN;
  bool integerScales = p.tileScales == TileScales::Integer;

  auto issue = [&](int kt, uint8_t *stage) {
    for (int i = threadIdx.x; i < kTiledRows * 8; i += kTiledThreads) {
      int row = i / 8, vector = i % 8;
      bool valid = row0 + row < p.rows;
      copy16(stage + row * kActivationStride + vector * 16,
             p.codes + (valid ? row0 + row : 0) * p.paddedK +
                 int64_t{kt} * kTileK + vector * 16,
             valid);
    }
    for (int i = threadIdx.x; i < kWarpsPerBlock * kWarpWeightVectors;
         i += kTiledThreads) {
      int column = blockIdx.x * kWarpsPerBlock + i / kWarpWeightVectors;
      bool valid = column * kWarpColumns < p.paddedN;
      copy16(stage + kActivationBytes + i * 16,
             p.weights +
                 (int64_t{valid ? column : 0} * p.tilesK + kt) *
                     kWarpWeightVectors +
                 i % kWarpWeightVectors,
             valid);
    }
    if (integerScales && threadIdx.x < kScaleBytes / 16) {
      int column = blockIdx.x * kWarpsPerBlock + threadIdx.x / 2;
      bool valid = column * kWarpColumns < p.paddedN;
      int group = min(kt / p.groupTiles, p.groups - 1);
      copy16(stage + kActivationBytes + kWeightBytes<O> + threadIdx.x * 16,
             p.integerScales + int64_t{group} * p.paddedN +
                 (valid ? column : 0) * kWarpColumns + threadIdx.x % 2 * 16,
             valid);
    }
    asm volatile("cp.async.commit_group;" ::: "memory");
  };

  for (int stage = 0; stage < kTiledStages - 1; ++stage) {
    if (stage < p.tilesK)
      issue(stage, shared + stage * kStageBytes<O>);
    else
      asm volatile("cp.async.commit_group;" ::: "memory");
  }

  // ldmatrix rows of this warp's four row tiles, and its fragments' place.
  int aRow = rowWarp * 64 + (lane % 8) + 8 * ((lane / 8) % 2);
  int aColumn = 16 * (lane / 16);
  Accumulator group[4][4][4] = {}, block[4][4][4] = {};
  int current = 0;
  for (int kt = 0; kt < p.tilesK; ++kt) {
    asm volatile("cp.async.wait_group %0;" ::"n"(kTiledStages - 2) : "memory");
    // Everyone's copies of tile kt are in, and everyone is done with the
    // stage that the next issue overwrites.
    __syncthreads();
    int ahead = kt + kTiledStages - 1;
    int aheadStage = (current + kTiledStages - 1) % kTiledStages;
    if (ahead < p.tilesK)
      issue(ahead, shared + aheadStage * kStageBytes<O>);
    else
      asm volatile("cp.async.commit_group;" ::: "memory");
    uint8_t *stage = shared + current * kStageBytes<O>;
    current = current + 1 == kTiledStages ? 0 : current + 1;
    if (!active)
      continue;
    auto aBase = static_cast<uint32_t>(
        __cvta_generic_to_shared(stage + aRow * kActivationStride + aColumn));
    const uint4 *weights = reinterpret_cast<const uint4 *>(
        stage + kActivationBytes + columnWarp * kWarpWeightVectors * 16);
    uint4 pieces[4 * kParts];
#pragma unroll
    for (int piece = 0; piece < 4 * kParts; ++piece)
      pieces[piece] = weights[piece * 32 + lane];
#pragma unroll
    for (int step = 0; step < 4; ++step) {
      uint32_t a[4][4];
#pragma unroll
      for (int m = 0; m < 4; ++m)
        loadMatrixX4(a[m], aBase + m * 16 * kActivationStride + step * 32);
#pragma unroll
      for (int tile = 0; tile < 4; ++tile) {
        uint32_t b0, b1;
        if constexpr (O == Operands::Int4) {
          uint32_t bits =
              reinterpret_cast<const uint32_t *>(&pieces[tile])[step];
          b0 = (bits << 4) & 0xF0F0F0F0u;
          b1 = bits & 0xF0F0F0F0u;
        } else {
          const uint32_t *words =
              reinterpret_cast<const uint32_t *>(&pieces[tile * 2 + step / 2]);
          b0 = words[(step % 2) * 2];
          b1 = words[(step % 2) * 2 + 1];
        }
#pragma unroll
        for (int m = 0; m < 4; ++m)
          if constexpr (O == Operands::E4M3)
            mmaE4M3(group[m][tile], a[m], b0, b1);
          else
            mmaS8(group[m][tile], a[m], b0, b1);
      }
    }
    // Close the tile's share of the group as the streaming kernel does:
    // int4 sums shifted back, times the two-level scale; e4m3 sums out of
    // the tensor cores every tile; int8 sums kept until the end.
    if (O == Operands::Int8 && !integerScales)
      continue;
    const uint8_t *scales = stage + kActivationBytes + kWeightBytes<O> +
                            columnWarp * kWarpColumns + 2 * t;
#pragma unroll
    for (int tile = 0; tile < 4; ++tile)
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        int32_t scale = integerScales ? scales[tile * 8 + e % 2] : 1;
#pragma unroll
        for (int m = 0; m < 4; ++m) {
          Accumulator dot = group[m][tile][e];
          if constexpr (O == Operands::Int4)
            dot >>= 4;
          if constexpr (O == Operands::E4M3)
            block[m][tile][e] += dot;
          else
            block[m][tile][e] += dot * scale;
          group[m][tile][e] = 0;
        }
      }
  }
  asm volatile("cp.async.wait_all;" ::: "memory");
  if (!active)
    return;
  int64_t column0 = int64_t{warpColumn} * kWarpColumns + 2 * t;
#pragma unroll
  for (int m = 0; m < 4; ++m)
#pragma unroll
    for (int tile = 0; tile < 4; ++tile)
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        int64_t row = row0 + rowWarp * 64 + m * 16 + g + 8 * (e / 2);
        int64_t column = column0 + tile * 8 + e % 2;
        if (row >= p.rows || column >= p.n)
          continue;
        Accumulator acc = O == Operands::Int8 && !integerScales
                              ? group[m][tile][e]
                              : block[m][tile][e];
        p.y[row * p.n + column] =
            finishOneBlock(p, acc, static_cast<int>(row), column);
      }
}

template <Operands O>
cudaError_t launch(const QuantizedActivationParams &p, cudaStream_t stream) {
  auto kernel = tiledKernel<O>;
  size_t sharedBytes = size_t{kTiledStages} * kStageBytes<O>;
  cudaError_t status =
      cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                           static_cast<int>(sharedBytes));
  if (status != cudaSuccess)
    return status;
  dim3 grid(static_cast<unsigned>(columnBlocksOf(p.n)),
            static_cast<unsigned>((p.rows + kTiledRows - 1) / kTiledRows));
  kernel<<<grid, kTiledThreads, sharedBytes, stream>>>(p);
  return cudaGetLastError();
}

} // namespace

cudaError_t launchTiled(const QuantizedActivationParams &p, FragmentCodes codes,
                        cudaStream_t stream) {
  switch (codes) {
  case FragmentCodes::Int4ForS8:
    return launch<Operands::Int4>(p, stream);
  case FragmentCodes::E4M3ForF8:
    return launch<Operands::E4M3>(p, stream);
  default:
    return launch<Operands::Int8>(p, stream);
  }
}

} // namespace qcc::cuda
