//===- QuantizedActivationTiled.cu - many-row quantized qlinear -----------===//
//
// Products of many rows (prefill) with one accumulation block: a block of
// eight warps computes 128 rows × 128 columns, two warps a row each of
// the four 32-column warp columns, over all of K. Each K tile's
// activations (128 rows × 128 codes) and the four warp columns' weight
// fragments (the streaming kernels' order, so no second copy of the
// weights) go through a three-stage cp.async pipeline in shared memory;
// the warps multiply on mma.sync (int8 or e4m3, m16n8k32) with the
// streaming kernel's arithmetic: the integer results are the same bits
// (e4m3 sums run in another f32 order when the streaming kernel splits K).
//
//===----------------------------------------------------------------------===//

#include "lib/Runtime/cuda/Mma.cuh"
#include "lib/Runtime/cuda/QuantizedActivation.cuh"
#include "lib/Runtime/cuda/Tiled.cuh"

namespace qcc::cuda {

namespace {

/// A stage: activations (rows padded by 16 bytes for ldmatrix), the four
/// warp columns' weight fragments, their two-level scales.
constexpr int kActivationStride = kTileK + kRowPadding;
constexpr int kActivationBytes = kTiledRows * kActivationStride;
template <Operands O>
constexpr int kWeightBytes = kWarpsPerBlock * 4 * partsOf(O) * 512;
constexpr int kScaleBytes = kWarpsPerBlock * kWarpColumns;
template <Operands O>
constexpr int kStageBytes = kActivationBytes + kWeightBytes<O> + kScaleBytes;

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
      copy16OrZeros(stage + row * kActivationStride + vector * 16,
                    p.codes + (valid ? row0 + row : 0) * p.paddedK +
                        int64_t{kt} * kTileK + vector * 16,
                    valid);
    }
    for (int i = threadIdx.x; i < kWarpsPerBlock * kWarpWeightVectors;
         i += kTiledThreads) {
      int column = blockIdx.x * kWarpsPerBlock + i / kWarpWeightVectors;
      bool valid = column * kWarpColumns < p.paddedN;
      copy16OrZeros(stage + kActivationBytes + i * 16,
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
      copy16OrZeros(
          stage + kActivationBytes + kWeightBytes<O> + threadIdx.x * 16,
          p.integerScales + int64_t{group} * p.paddedN +
              (valid ? column : 0) * kWarpColumns + threadIdx.x % 2 * 16,
          valid);
    }
    commitCopies();
  };

  // ldmatrix rows of this warp's four row tiles, and its fragments' place.
  int aRow = rowWarp * 64 + (lane % 8) + 8 * ((lane / 8) % 2);
  int aColumn = 16 * (lane / 16);
  Accumulator group[4][4][4] = {}, block[4][4][4] = {};
  walkTiles<kStageBytes<O>>(shared, p.tilesK, issue, [&](int, uint8_t *stage) {
    if (!active)
      return;
    auto aBase = static_cast<uint32_t>(
        __cvta_generic_to_shared(stage + aRow * kActivationStride + aColumn));
    const uint4 *weights = reinterpret_cast<const uint4 *>(
        stage + kActivationBytes + columnWarp * kWarpWeightVectors * 16);
    uint4 pieces[4 * kParts];
#pragma unroll
    for (int piece = 0; piece < 4 * kParts; ++piece)
      pieces[piece] = weights[piece * 32 + lane];
    multiplyTile<O, 4>(
        pieces,
        [&](int m, int step) {
          return aBase + m * 16 * kActivationStride + step * 32;
        },
        group);
    // Close the tile's share of the group as the streaming kernel does:
    // int4 sums shifted back, times the two-level scale; e4m3 sums out of
    // the tensor cores every tile; int8 sums kept until the end.
    if (O == Operands::Int8 && !integerScales)
      return;
    const uint8_t *scales = stage + kActivationBytes + kWeightBytes<O> +
                            columnWarp * kWarpColumns + 2 * t;
    closeGroup<O, 4>(group, block, [&](int tile, int e) {
      return integerScales ? int32_t{scales[tile * 8 + e % 2]} : 1;
    });
  });
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
  return launchTiledKernel(
      tiledKernel<O>, p, size_t{kTiledStages} * kStageBytes<O>, p.rows, stream);
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
