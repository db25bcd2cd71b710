//===- HalfActivationTiled.cu - many-row f16-activation qlinear -----------===//
//
// Many rows (prefill) of w4a16 and the fp4 schemes: a block of eight warps
// computes 128 rows × 128 columns, two warps a row each of the four
// 32-column warp columns, over all of K. Each K tile's f16 activations
// (128 rows × 128 values), the warp columns' weight fragments (the
// streaming layout) and their group scales pass through a three-stage
// cp.async pipeline in shared memory; the warps decode and multiply as the
// streaming kernel does (group sums from zero, then scaled in f32).
//
//===----------------------------------------------------------------------===//

#include "lib/Runtime/cuda/HalfActivation.cuh"
#include "lib/Runtime/cuda/Mma.cuh"
#include "lib/Runtime/cuda/Tiled.cuh"

namespace qcc::cuda {

namespace {

/// A stage: activations (rows of 128 f16 padded by 16 bytes for ldmatrix),
/// the four warp columns' weight fragments, then their scales.
constexpr int kActivationStride = kTileK * 2 + kRowPadding;
constexpr int kActivationBytes = kTiledRows * kActivationStride;
constexpr int kWeightBytes = kWarpsPerBlock * 4 * 512;
template <int StepsPerGroup> constexpr int kGroupsPerTile = 8 / StepsPerGroup;
template <int StepsPerGroup>
constexpr int kStageBytes =
    kActivationBytes + kWeightBytes +
    kWarpsPerBlock *kGroupsPerTile<StepsPerGroup> *kWarpColumns * 4;

template <bool E2M1, int StepsPerGroup>
__global__ void __launch_bounds__(kTiledThreads, 1)
    halfTiledKernel(HalfParams p) {
  extern __shared__ __align__(16) uint8_t shared[];
  constexpr int kGroups = kGroupsPerTile<StepsPerGroup>;
  constexpr int kStage = kStageBytes<StepsPerGroup>;
  int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  int rowWarp = warp / kWarpsPerBlock, columnWarp = warp % kWarpsPerBlock;
  int g = lane / 4, t = lane % 4;
  int64_t row0 = int64_t{blockIdx.y} * kTiledRows;
  int warpColumn = blockIdx.x * kWarpsPerBlock + columnWarp;
  bool active = warpColumn * kWarpColumns < p.paddedN;

  auto issue = [&](int kt, uint8_t *stage) {
    // Activations: 16 vectors of 8 values a row; k is a multiple of 8.
    for (int i = threadIdx.x; i < kTiledRows * 16; i += kTiledThreads) {
      int row = i / 16, vector = i % 16;
      int64_t depth = int64_t{kt} * kTileK + vector * 8;
      bool valid = row0 + row < p.rows && depth < p.k;
      copy16OrZeros(stage + row * kActivationStride + vector * 16,
                    p.x + (valid ? (row0 + row) * p.k + depth : 0), valid);
    }
    for (int i = threadIdx.x; i < kWarpsPerBlock * 4 * 32; i += kTiledThreads) {
      int column = blockIdx.x * kWarpsPerBlock + i / (4 * 32);
      bool valid = column * kWarpColumns < p.paddedN;
      copy16OrZeros(stage + kActivationBytes + i * 16,
                    p.weights +
                        (int64_t{valid ? column : 0} * p.tilesK + kt) * 4 * 32 +
                        i % (4 * 32),
                    valid);
    }
    // Scales: [warp column][group of the tile][32 columns], 8 vectors each.
    if (threadIdx.x < kWarpsPerBlock * kGroups * 8) {
      int column = blockIdx.x * kWarpsPerBlock + threadIdx.x / (kGroups * 8);
      int group = StepsPerGroup < 8 ? kt * kGroups + threadIdx.x / 8 % kGroups
                                    : kt / p.tilesPerGroup;
      bool valid = column * kWarpColumns < p.paddedN;
      copy16OrZeros(stage + kActivationBytes + kWeightBytes + threadIdx.x * 16,
                    p.scales + int64_t{min(group, p.groups - 1)} * p.paddedN +
                        (valid ? column : 0) * kWarpColumns +
                        threadIdx.x % 8 * 4,
                    valid);
    }
    commitCopies();
  };

  int aRow = rowWarp * 64 + (lane % 8) + 8 * ((lane / 8) % 2);
  int aColumn = 16 * (lane / 16);
  float acc[4][4][4] = {};
  walkTiles<kStage>(shared, p.tilesK, issue, [&](int, uint8_t *stage) {
    if (!active)
      return;
    auto aBase = static_cast<uint32_t>(
        __cvta_generic_to_shared(stage + aRow * kActivationStride + aColumn));
    const uint4 *weights = reinterpret_cast<const uint4 *>(
        stage + kActivationBytes + columnWarp * 4 * 32 * 16);
    const float *scales = reinterpret_cast<const float *>(
        stage + kActivationBytes + kWeightBytes +
        columnWarp * kGroups * kWarpColumns * 4);
    uint4 pieces[4];
#pragma unroll
    for (int tile = 0; tile < 4; ++tile)
      pieces[tile] = weights[tile * 32 + lane];
    multiplyHalfTile<E2M1, 4, StepsPerGroup>(
        pieces,
        [&](int m, int step) {
          return aBase + m * 16 * kActivationStride + step * 32;
        },
        [&](int group, int tile) {
          return *reinterpret_cast<const float2 *>(scales + group * 32 + 2 * t +
                                                   tile * 8);
        },
        acc);
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
        if (row < p.rows && column < p.n)
          p.y[row * p.n + column] =
              finishHalf<E2M1>(p, acc[m][tile][e], row, column);
      }
}

template <bool E2M1, int StepsPerGroup>
cudaError_t launch(const HalfParams &p, cudaStream_t stream) {
  return launchTiledKernel(halfTiledKernel<E2M1, StepsPerGroup>, p,
                           size_t{kTiledStages} * kStageBytes<StepsPerGroup>,
                           p.rows, stream);
}

template <bool E2M1>
cudaError_t launchGroups(const HalfParams &p, int stepsPerGroup,
                         cudaStream_t stream) {
  switch (stepsPerGroup) {
  case 1:
    return launch<E2M1, 1>(p, stream);
  case 2:
    return launch<E2M1, 2>(p, stream);
  case 4:
    return launch<E2M1, 4>(p, stream);
  default:
    return launch<E2M1, 8>(p, stream);
  }
}

} // namespace

cudaError_t launchHalfTiled(const HalfParams &p, bool e2m1, int stepsPerGroup,
                            cudaStream_t stream) {
  return e2m1 ? launchGroups<true>(p, stepsPerGroup, stream)
              : launchGroups<false>(p, stepsPerGroup, stream);
}

} // namespace qcc::cuda
