//===- WeightOnlyLinear.cu - w4a16 qlinear on the tensor cores ------------===//
//
// f16 activations × int4 weights with f32 group scales. Each lane's 16-byte
// load is one tile's B fragments for eight k16 steps. A mask and an OR make
// 1024 + u (or 1024 + 16u) of a pair of nibbles, one f16 subtraction (or
// multiply-add by 1/16) the exact codes. A group's products accumulate from
// zero on the tensor cores and are then scaled into the f32 result, so the
// codes are never rounded.
//
//===----------------------------------------------------------------------===//

#include "lib/Runtime/cuda/Mma.cuh"
#include "lib/Runtime/cuda/QLinear.h"
#include "lib/Runtime/cuda/Streaming.cuh"
#include <algorithm>

namespace qcc::cuda {

namespace {

/// Tiles of weights in flight per warp: 4 × 2 KiB, each with its 32
/// columns' f32 scales of the 128 / (16 · StepsPerGroup) groups it holds.
constexpr int kStages = 4;
template <int StepsPerGroup>
using PipelineOf = WeightPipeline<kStages, 4, 64 / StepsPerGroup>;

struct WeightOnlyParams {
  const uint16_t *x;
  int rows;
  int64_t k;
  const uint4 *weights;
  const float *scales;
  int64_t n, paddedN;
  int tilesK, groupSize, groups;
  /// Tiles per group for groups of whole tiles (else unused).
  int tilesPerGroup;
  SplitPlan plan;
  /// Shared bytes before the weight pipelines.
  int64_t activationBytes;
  float *y;
};

__device__ inline uint32_t maskOr(uint32_t word, uint32_t mask, uint32_t bits) {
  uint32_t result;
  asm("lop3.b32 %0, %1, %2, %3, 0xEA;" // (a & b) | c
      : "=r"(result)
      : "r"(word), "r"(mask), "r"(bits));
  return result;
}

/// The four f16 pairs of codes in `word`: pair j holds nibbles j and j + 4.
__device__ inline void int4WordToHalf2(uint32_t word, uint32_t (&pairs)[4]) {
  constexpr uint32_t kExponent = 0x64006400u; // 1024 in each half
  constexpr uint32_t kLow = 0x64086408u;      // 1032: 1024 + u - 1032
  constexpr uint32_t kSixteenth = 0x2C002C00u, kHigh = 0xD480D480u; // -72
  uint32_t upper = word >> 8;
  uint32_t p0 = maskOr(word, 0x000F000Fu, kExponent);
  uint32_t p1 = maskOr(word, 0x00F000F0u, kExponent);
  uint32_t p2 = maskOr(upper, 0x000F000Fu, kExponent);
  uint32_t p3 = maskOr(upper, 0x00F000F0u, kExponent);
  asm("sub.f16x2 %0, %1, %2;" : "=r"(pairs[0]) : "r"(p0), "r"(kLow));
  asm("sub.f16x2 %0, %1, %2;" : "=r"(pairs[2]) : "r"(p2), "r"(kLow));
  // (1024 + 16u) / 16 - 72 = u - 8, exact.
  asm("fma.rn.f16x2 %0, %1, %2, %3;"
      : "=r"(pairs[1])
      : "r"(p1), "r"(kSixteenth), "r"(kHigh));
  asm("fma.rn.f16x2 %0, %1, %2, %3;"
      : "=r"(pairs[3])
      : "r"(p3), "r"(kSixteenth), "r"(kHigh));
}

/// MTiles row tiles of 16; a group closes every StepsPerGroup k16 steps
/// (2, 4 or 8; 8 also for groups of whole tiles).
template <int MTiles, int StepsPerGroup>
__global__ void __launch_bounds__(kThreadsPerBlock)
    weightOnlyKernel(WeightOnlyParams p) {
  extern __shared__ __align__(16) uint8_t shared[];
  int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  int t = lane % 4;
  int warpIndex = blockIdx.x * kWarpsPerBlock + warp;
  bool active = warpIndex * kWarpColumns < p.paddedN;
  // Tile indices and shared offsets fit 32 bits; the loop keeps to them.
  int sliceBegin = blockIdx.y * p.plan.tilesPerSlice;
  int sliceEnd = min(sliceBegin + p.plan.tilesPerSlice, p.tilesK);
  int pieceTiles = p.plan.tilesPerPiece;
  SharedRows rows{shared, pieceTiles * kTileK * 2 + kRowPadding, p.rows};

  using Pipeline = PipelineOf<StepsPerGroup>;
  Pipeline pipeline(
      shared + p.activationBytes + warp * Pipeline::kBytesPerWarp,
      p.weights + (int64_t{warpIndex} * p.tilesK + sliceBegin) * 4 * 32 + lane,
      active);
  auto loadPiece = [&](int first) {
    int last = min(first + pieceTiles, sliceEnd);
    int64_t depth0 = int64_t{first} * kTileK;
    copyRowsToShared(reinterpret_cast<const uint8_t *>(p.x + depth0), p.k * 2,
                     (p.k - depth0) * 2, (last - first) * kTileK * 2, rows);
  };
  // Lane l copies part l % 8 of the scales of the tile's group l / 8;
  // groups past K (the last tile's padding) read the last group.
  constexpr int kScaleVectors = 64 / StepsPerGroup;
  const float *laneScales =
      p.scales + int64_t{warpIndex} * kWarpColumns + lane % 8 * 4;
  // For groups of whole tiles, the group of the next tile to start is
  // counted along (no division per tile).
  int nextGroup = sliceBegin / p.tilesPerGroup;
  int groupTilesLeft = p.tilesPerGroup - sliceBegin % p.tilesPerGroup;
  auto startNext = [&](int kt) {
    int group = nextGroup;
    if (StepsPerGroup < 8)
      group = kt * (8 / StepsPerGroup) + lane / 8;
    else if (--groupTilesLeft == 0) {
      ++nextGroup;
      groupTilesLeft = p.tilesPerGroup;
    }
    pipeline.start(kt < sliceEnd, kScaleVectors,
                   laneScales + int64_t{min(group, p.groups - 1)} * p.paddedN);
  };
  // The first piece of activations, then the first weight tiles.
  loadPiece(sliceBegin);
  for (int stage = 0; stage < kStages - 1; ++stage)
    startNext(sliceBegin + stage);
  awaitSharedRows<kStages - 1>();
  RowAddresses<MTiles> aRows(rows);

  float acc[MTiles][4][4] = {};
  int pieceBegin = sliceBegin;
  for (int kt = sliceBegin; kt < sliceEnd; ++kt) {
    if (kt - pieceBegin == pieceTiles) {
      // Rare (long slices): waits for the weights in flight too.
      __syncthreads();
      pieceBegin = kt;
      loadPiece(kt);
      awaitSharedRows<0>();
    }
    pipeline.release();
    startNext(kt + kStages - 1);
    if (!active)
      continue;
    uint4 current[4];
    uint32_t tileScales = pipeline.take(current);
    uint32_t offset = (kt - pieceBegin) * kTileK * 2;
    float group[MTiles][4][4] = {};
#pragma unroll
    for (int word = 0; word < 4; ++word) {
      uint32_t b[4][4];
#pragma unroll
      for (int tile = 0; tile < 4; ++tile)
        int4WordToHalf2(
            reinterpret_cast<const uint32_t *>(&current[tile])[word], b[tile]);
#pragma unroll
      for (int half = 0; half < 2; ++half) {
        int step = 2 * word + half;
        uint32_t a[MTiles][4];
#pragma unroll
        for (int m = 0; m < MTiles; ++m)
          loadMatrixX4(a[m], aRows.at(m, offset + step * 32));
#pragma unroll
        for (int m = 0; m < MTiles; ++m)
#pragma unroll
          for (int tile = 0; tile < 4; ++tile)
            mmaF16(group[m][tile], a[m], b[tile][2 * half],
                   b[tile][2 * half + 1]);
        if ((step + 1) % StepsPerGroup == 0) {
          uint32_t groupScales =
              tileScales +
              ((step + 1 - StepsPerGroup) / StepsPerGroup * 32 + 2 * t) * 4;
#pragma unroll
          for (int tile = 0; tile < 4; ++tile) {
            float2 scale = loadShared2(groupScales + tile * 8 * 4);
#pragma unroll
            for (int m = 0; m < MTiles; ++m) {
              acc[m][tile][0] += group[m][tile][0] * scale.x;
              acc[m][tile][1] += group[m][tile][1] * scale.y;
              acc[m][tile][2] += group[m][tile][2] * scale.x;
              acc[m][tile][3] += group[m][tile][3] * scale.y;
#pragma unroll
              for (int e = 0; e < 4; ++e)
                group[m][tile][e] = 0.0f;
            }
          }
        }
      }
    }
  }
  asm volatile("cp.async.wait_all;");

  float *y = p.y;
  int64_t n = p.n;
  endSlice<MTiles, float>(
      shared, active, p.rows, n, p.plan.slices,
      [&](int m, int tile, int e) { return acc[m][tile][e]; },
      [&](int m, int tile, int e, int row, int64_t column) {
        y[row * n + column] = acc[m][tile][e];
      },
      [&](int row, int64_t column, float sum) { y[row * n + column] = sum; });
}

template <int MTiles, int StepsPerGroup>
cudaError_t launch(WeightOnlyParams p, cudaStream_t stream) {
  SharedLayout layout{p.rows, kTileK * 2,
                      PipelineOf<StepsPerGroup>::kBytesPerWarp, sizeof(float)};
  return launchSplit(weightOnlyKernel<MTiles, StepsPerGroup>, p, layout, true,
                     stream);
}

template <int StepsPerGroup>
cudaError_t launchRows(WeightOnlyParams p, cudaStream_t stream) {
  if (p.rows <= 16)
    return launch<1, StepsPerGroup>(p, stream);
  if (p.rows <= 32)
    return launch<2, StepsPerGroup>(p, stream);
  return launch<4, StepsPerGroup>(p, stream);
}

} // namespace

cudaError_t weightOnlyLinear(const uint16_t *x, int64_t rows,
                             const DeviceWeight &weight, float *y,
                             cudaStream_t stream) {
  if (weight.codes != FragmentCodes::Int4ForF16 || !weight.groupScales)
    return cudaErrorInvalidValue;
  int64_t groupSize =
      weight.groupSize >= weight.k ? paddedDepth(weight.k) : weight.groupSize;
  if (groupSize % kTileK != 0 && groupSize != 32 && groupSize != 64)
    return cudaErrorNotSupported;
  int stepsPerGroup = groupSize == 32 ? 2 : groupSize == 64 ? 4 : 8;
  // Rows beyond 64 go 64 at a time (the weights are streamed once each).
  for (int64_t row0 = 0; row0 < rows; row0 += 64) {
    WeightOnlyParams p{};
    p.x = x + row0 * weight.k;
    p.rows = static_cast<int>(std::min<int64_t>(64, rows - row0));
    p.k = weight.k;
    p.weights = static_cast<const uint4 *>(weight.packed);
    p.scales = weight.groupScales;
    p.n = weight.n;
    p.paddedN = paddedColumns(weight.n);
    p.tilesK = static_cast<int>(paddedDepth(weight.k) / kTileK);
    p.groupSize = static_cast<int>(groupSize);
    p.groups = static_cast<int>(weight.groups);
    p.tilesPerGroup =
        static_cast<int>(std::max<int64_t>(1, groupSize / kTileK));
    p.y = y + row0 * weight.n;
    cudaError_t status = stepsPerGroup == 2   ? launchRows<2>(p, stream)
                         : stepsPerGroup == 4 ? launchRows<4>(p, stream)
                                              : launchRows<8>(p, stream);
    if (status != cudaSuccess)
      return status;
  }
  return cudaSuccess;
}

} // namespace qcc::cuda
