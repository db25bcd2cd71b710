//===- HalfActivationLinear.cu - w4a16 and fp4 qlinear --------------------===//
//
// f16 activations × int4 or e2m1 weights with f32 group scales. Each lane's
// 16-byte load is one tile's B fragments for eight k16 steps. For int4 a
// mask and an OR make 1024 + u (or 1024 + 16u) of a pair of nibbles, one
// f16 subtraction (or multiply-add by 1/16) the exact codes; for e2m1 two
// shifts and masks place exponent and mantissa, giving the value · 2^-14
// exactly (the result is multiplied by 2^14 at the end). A group's products
// accumulate from zero on the tensor cores and are then scaled into the f32
// result, so the codes are never rounded. fp8-activation schemes with e2m1
// weights (fp4, NVFP4) come here with their e4m3 codes as f16 (exact) and their
// per-token scales.
//
//===----------------------------------------------------------------------===//

#include "lib/Runtime/cuda/HalfActivation.cuh"
#include "lib/Runtime/cuda/Mma.cuh"
#include "lib/Runtime/cuda/QLinear.h"
#include "lib/Runtime/cuda/Streaming.cuh"
#include <algorithm>

namespace qcc::cuda {

namespace {

/// Rows one streaming launch serves (four row tiles of 16).
constexpr int64_t kStreamingRows = 64;

/// Tiles of weights in flight per warp: 4 × 2 KiB, each with its 32
/// columns' f32 scales of the 128 / (16 · StepsPerGroup) groups it holds.
constexpr int kStages = 4;
template <int StepsPerGroup>
using PipelineOf = WeightPipeline<kStages, 4, 64 / StepsPerGroup>;

/// MTiles row tiles of 16; a group closes every StepsPerGroup k16 steps
/// (1, 2, 4 or 8; 8 also for groups of whole tiles).
template <bool E2M1, int MTiles, int StepsPerGroup>
__global__ void __launch_bounds__(kThreadsPerBlock)
    halfActivationKernel(HalfParams p) {
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
    copyRowsToShared<(MTiles > 1)>(
        reinterpret_cast<const uint8_t *>(p.x + depth0), p.k * 2,
        (p.k - depth0) * 2, (last - first) * kTileK * 2, rows);
  };
  // Scale vector v is part v % 8 of the scales of the tile's group v / 8;
  // groups past K (the last tile's padding) read the last group.
  constexpr int kScaleVectors = 64 / StepsPerGroup;
  const float *warpScales = p.scales + int64_t{warpIndex} * kWarpColumns;
  // For groups of whole tiles, the group of the next tile to start is
  // counted along (no division per tile).
  int nextGroup = sliceBegin / p.tilesPerGroup;
  int groupTilesLeft = p.tilesPerGroup - sliceBegin % p.tilesPerGroup;
  auto startNext = [&](int kt) {
    int tileGroup = nextGroup;
    if (StepsPerGroup == 8 && --groupTilesLeft == 0) {
      ++nextGroup;
      groupTilesLeft = p.tilesPerGroup;
    }
    pipeline.start(kt < sliceEnd, kScaleVectors, [&](int v) {
      int group =
          StepsPerGroup < 8 ? kt * (8 / StepsPerGroup) + v / 8 : tileGroup;
      return warpScales + int64_t{min(group, p.groups - 1)} * p.paddedN +
             v % 8 * 4;
    });
  };
  // The first weight tiles, then, once the kernel before has finished,
  // the first piece of activations.
  allowNextKernelToStart();
  for (int stage = 0; stage < kStages - 1; ++stage)
    startNext(sliceBegin + stage);
  awaitPreviousKernel();
  loadPiece(sliceBegin);
  awaitSharedRows<0>();
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
    multiplyHalfTile<E2M1, MTiles, StepsPerGroup>(
        current,
        [&](int m, int step) { return aRows.at(m, offset + step * 32); },
        [&](int group, int tile) {
          return loadShared2(tileScales + (group * 32 + 2 * t + tile * 8) * 4);
        },
        acc);
  }
  asm volatile("cp.async.wait_all;");

  auto output = [&](int row, int64_t column, float sum) {
    p.y[row * p.n + column] = finishHalf<E2M1>(p, sum, row, column);
  };
  endSlice<MTiles, float>(
      shared, active, p.rows, p.n, p.plan.slices,
      [&](int m, int tile, int e) { return acc[m][tile][e]; },
      [&](int m, int tile, int e, int row, int64_t column) {
        output(row, column, acc[m][tile][e]);
      },
      output);
}

template <bool E2M1, int MTiles, int StepsPerGroup>
cudaError_t launch(HalfParams p, cudaStream_t stream) {
  SharedLayout layout{p.rows, kTileK * 2,
                      PipelineOf<StepsPerGroup>::kBytesPerWarp, sizeof(float)};
  return launchSplit(halfActivationKernel<E2M1, MTiles, StepsPerGroup>, p,
                     layout, true, stream);
}

template <bool E2M1, int StepsPerGroup>
cudaError_t launchRows(HalfParams p, cudaStream_t stream) {
  if (p.rows <= 16)
    return launch<E2M1, 1, StepsPerGroup>(p, stream);
  if (p.rows <= 32)
    return launch<E2M1, 2, StepsPerGroup>(p, stream);
  return launch<E2M1, 4, StepsPerGroup>(p, stream);
}

template <bool E2M1>
cudaError_t launchGroups(HalfParams p, int stepsPerGroup, cudaStream_t stream) {
  switch (stepsPerGroup) {
  case 1:
    return launchRows<E2M1, 1>(p, stream);
  case 2:
    return launchRows<E2M1, 2>(p, stream);
  case 4:
    return launchRows<E2M1, 4>(p, stream);
  default:
    return launchRows<E2M1, 8>(p, stream);
  }
}

} // namespace

cudaError_t halfActivationLinear(const uint16_t *x, int64_t rows,
                                 const float *tokenScales,
                                 const DeviceWeight &weight, float *y,
                                 cudaStream_t stream) {
  bool e2m1 = weight.codes == FragmentCodes::E2M1ForF16;
  if ((!e2m1 && weight.codes != FragmentCodes::Int4ForF16) ||
      !weight.groupScales || weight.integerScales || rows < 0 || !x || !y ||
      reinterpret_cast<uintptr_t>(x) % 2 != 0)
    return cudaErrorInvalidValue;
  if (cudaError_t status = checkWeight(weight); status != cudaSuccess)
    return status;
  if (rows == 0)
    return cudaSuccess;
  int64_t groupSize =
      weight.groupSize >= weight.k ? paddedDepth(weight.k) : weight.groupSize;
  if (groupSize % kTileK != 0 && groupSize != 16 && groupSize != 32 &&
      groupSize != 64)
    return cudaErrorNotSupported;
  int stepsPerGroup = static_cast<int>(std::min<int64_t>(groupSize, 128) / 16);
  // Many rows whose f16 rows start on 16-byte boundaries: the warpgroup
  // kernel (w4a16) or the tiled one, all rows at once. Otherwise the streaming
  // kernel, 64 rows at a time (the weights streamed each time).
  bool aligned = weight.k % 8 == 0 && reinterpret_cast<uintptr_t>(x) % 16 == 0;
  bool warpgroup = aligned && warpgroupRunsHalf(weight, groupSize, rows);
  bool tiled = warpgroup || (rows > kStreamingRows && aligned);
  int64_t chunk = tiled ? rows : kStreamingRows;
  for (int64_t row0 = 0; row0 < rows; row0 += chunk) {
    HalfParams p{};
    p.x = x + row0 * weight.k;
    p.tokenScales = tokenScales ? tokenScales + row0 : nullptr;
    p.channelScales = weight.channelScales;
    p.rows = static_cast<int>(std::min(chunk, rows - row0));
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
    cudaError_t status = warpgroup ? launchWarpgroupHalf(p, stream)
                         : tiled
                             ? launchHalfTiled(p, e2m1, stepsPerGroup, stream)
                         : e2m1 ? launchGroups<true>(p, stepsPerGroup, stream)
                                : launchGroups<false>(p, stepsPerGroup, stream);
    if (status != cudaSuccess)
      return status;
  }
  return cudaSuccess;
}

} // namespace qcc::cuda
