//===- QuantizedActivationLinear.cu - w8a8, w4a8, fp8 qlinear -------------===//
//
// Per-token quantized activations × weights on m16n8k32: int8 codes × int8
// or int4 codes, exact in int32 (int4 codes are masked into the high
// nibble of each byte, code × 16, summed per group and shifted back,
// exactly), or e4m3 × e4m3 in f32 (products exact; each 128 codes' sum
// starts from zero on the tensor cores and is added in f32 outside). The
// epilogue follows the CPU runtime (integerLinearPortable, minifloatLinear)
// operation for operation; this file is built without fused multiply-adds,
// so the integer paths are bit-exact.
//
// A product of one accumulation block splits K between blocks (their
// partial sums add exactly in any order for integers, in slice order for
// f32) and the reduction applies the scales. With several blocks the float
// sum runs block after block inside one thread, as the interpreter's does,
// over all of K.
//
//===----------------------------------------------------------------------===//

#include "lib/Runtime/cuda/Mma.cuh"
#include "lib/Runtime/cuda/QLinear.h"
#include "lib/Runtime/cuda/QuantizedActivation.cuh"
#include "lib/Runtime/cuda/Streaming.cuh"
#include <algorithm>
#include <type_traits>

namespace qcc::cuda {

namespace {

/// Rows one streaming launch serves (four row tiles of 16).
constexpr int64_t kStreamingRows = 64;

/// Tiles in flight per warp: 4 × 2 KiB of int4, 3 × 4 KiB of bytes, each
/// with the 32 columns' scales it needs (TileScales).
constexpr int stagesOf(Operands operands) {
  return operands == Operands::Int4 ? 4 : 3;
}
template <Operands O>
using PipelineOf = WeightPipeline<stagesOf(O), 4 * partsOf(O), 8>;
template <Operands O, int MTiles>
__global__ void __launch_bounds__(kThreadsPerBlock)
    quantizedActivationKernel(QuantizedActivationParams p) {
  extern __shared__ __align__(16) uint8_t shared[];
  constexpr int kParts = partsOf(O);
  using Pipeline = PipelineOf<O>;
  using Accumulator = AccumulatorOf<O>;
  int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  int t = lane % 4;
  int warpIndex = blockIdx.x * kWarpsPerBlock + warp;
  bool active = warpIndex * kWarpColumns < p.paddedN;
  // Tile indices and shared offsets fit 32 bits; the loop keeps to them.
  int sliceBegin = blockIdx.y * p.plan.tilesPerSlice;
  int sliceEnd = min(sliceBegin + p.plan.tilesPerSlice, p.tilesK);
  int pieceTiles = p.plan.tilesPerPiece;
  int64_t column0 = warpIndex * kWarpColumns + 2 * t;
  SharedRows rows{shared, pieceTiles * kTileK + kRowPadding, p.rows};

  Pipeline pipeline(
      shared + p.activationBytes + warp * Pipeline::kBytesPerWarp,
      p.weights +
          (int64_t{warpIndex} * p.tilesK + sliceBegin) * 4 * kParts * 32 + lane,
      active);
  auto loadPiece = [&](int first) {
    int last = min(first + pieceTiles, sliceEnd);
    copyRowsToShared<(MTiles > 1)>(
        reinterpret_cast<const uint8_t *>(p.codes) + int64_t{first} * kTileK,
        p.paddedK, p.paddedK - int64_t{first} * kTileK, (last - first) * kTileK,
        rows);
  };
  int scaleVectors = p.tileScales == TileScales::Integer ? 2
                     : p.tileScales == TileScales::Float ? 8
                                                         : 0;
  auto scaleSource = [&](int kt) -> const void * {
    int64_t columns = int64_t{warpIndex} * kWarpColumns;
    if (p.tileScales == TileScales::Integer)
      return p.integerScales +
             int64_t{min(kt / p.groupTiles, p.groups - 1)} * p.paddedN +
             columns + lane * 16;
    int blockStart = kt / p.blockTiles * p.blockTiles;
    return p.groupScales +
           int64_t{min(blockStart / p.groupTiles, p.groups - 1)} * p.paddedN +
           columns + lane * 4;
  };
  // The first weight tiles, then, once the kernel before has finished,
  // the first piece of activations.
  allowNextKernelToStart();
  for (int stage = 0; stage < stagesOf(O) - 1; ++stage) {
    int kt = sliceBegin + stage;
    pipeline.start(kt < sliceEnd, scaleVectors,
                   [&](int) { return scaleSource(kt); });
  }
  awaitPreviousKernel();
  loadPiece(sliceBegin);
  awaitSharedRows<0>();
  RowAddresses<MTiles> aRows(rows);

  // Exact sums of the open group and block; the float sum of closed blocks.
  Accumulator group[MTiles][4][4] = {}, block[MTiles][4][4] = {};
  float sum[MTiles][4][4] = {};
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
    int ahead = kt + stagesOf(O) - 1;
    pipeline.start(ahead < sliceEnd, scaleVectors,
                   [&](int) { return scaleSource(ahead); });
    if (!active)
      continue;
    uint4 current[4 * kParts];
    uint32_t tileScales = pipeline.take(current);
    uint32_t offset = (kt - pieceBegin) * kTileK;
    multiplyTile<O, MTiles>(
        current,
        [&](int m, int step) { return aRows.at(m, offset + step * 32); },
        group);
    // Close the group, then the block, where they end. Integer sums may
    // also close at a slice's end: partial dots times the integer scale
    // add up to the group's exactly.
    bool last = kt + 1 == p.tilesK;
    bool closesBlock = p.blockTiles && (last || (kt + 1) % p.blockTiles == 0);
    // e4m3 sums leave the tensor cores every tile (their precision).
    bool closesGroup = O == Operands::E4M3 || closesBlock ||
                       kt + 1 == sliceEnd || (kt + 1) % p.groupTiles == 0;
    int localColumn0 = 2 * t;
    if (closesGroup)
      closeGroup<O, MTiles>(group, block, [&](int tile, int e) {
        return p.tileScales == TileScales::Integer
                   ? loadSharedByte(tileScales + localColumn0 + tile * 8 +
                                    e % 2)
                   : 1;
      });
    if (closesBlock) {
      int64_t start = int64_t{kt / p.blockTiles * p.blockTiles} * kTileK;
#pragma unroll
      for (int tile = 0; tile < 4; ++tile)
#pragma unroll
        for (int e = 0; e < 4; ++e) {
          int64_t column = column0 + tile * 8 + e % 2;
          float scale =
              p.tileScales == TileScales::Float
                  ? loadSharedFloat(tileScales +
                                    (localColumn0 + tile * 8 + e % 2) * 4)
              : p.groupScales
                  ? p.groupScales[start / p.groupSize * p.paddedN + column]
                  : 1.0f;
          if (p.maxima)
            scale *= p.maxima[start / p.smoothGroup];
#pragma unroll
          for (int m = 0; m < MTiles; ++m) {
            sum[m][tile][e] += static_cast<float>(block[m][tile][e]) * scale;
            block[m][tile][e] = 0;
          }
        }
    }
  }
  asm volatile("cp.async.wait_all;");

  // Several blocks or unsplit: the results; split: this slice's sums (exact
  // for integers), then the cluster's reduction.
  endSlice<MTiles, Accumulator>(
      shared, active, p.rows, p.n, p.plan.slices,
      [&](int m, int tile, int e) { return block[m][tile][e]; },
      [&](int m, int tile, int e, int row, int64_t column) {
        p.y[row * p.n + column] =
            p.blockTiles ? finishOutput(p, sum[m][tile][e], row, column)
                         : finishOneBlock(p, block[m][tile][e], row, column);
      },
      [&](int row, int64_t column, Accumulator acc) {
        p.y[row * p.n + column] = finishOneBlock(p, acc, row, column);
      });
}

template <Operands O, int MTiles>
cudaError_t launch(QuantizedActivationParams p, cudaStream_t stream) {
  SharedLayout layout{p.rows, kTileK, PipelineOf<O>::kBytesPerWarp,
                      sizeof(AccumulatorOf<O>)};
  // One block splits along K anywhere (its sums are integers, or f32 added
  // in slice order); several are walked in order by one thread.
  return launchSplit(quantizedActivationKernel<O, MTiles>, p, layout,
                     p.blockTiles == 0, stream);
}

template <Operands O>
cudaError_t launchRows(QuantizedActivationParams p, cudaStream_t stream) {
  if (p.rows <= 16)
    return launch<O, 1>(p, stream);
  if (p.rows <= 32)
    return launch<O, 2>(p, stream);
  return launch<O, 4>(p, stream);
}

} // namespace

cudaError_t quantizedActivationLinear(const DeviceActivations &activations,
                                      const DeviceWeight &weight, float *y,
                                      cudaStream_t stream) {
  bool knownCodes = weight.codes == FragmentCodes::Int8ForS8 ||
                    weight.codes == FragmentCodes::Int4ForS8 ||
                    weight.codes == FragmentCodes::E4M3ForF8;
  if (!knownCodes ||
      (weight.codes == FragmentCodes::E4M3ForF8) != activations.fp8 ||
      (activations.fp8 && (!weight.groupScales || weight.integerScales)) ||
      activations.rows < 0 || !activations.codes ||
      !aligned16(activations.codes) || !activations.tokenScales || !y ||
      (activations.maxima && activations.smoothGroup <= 0) ||
      activations.block <= 0)
    return cudaErrorInvalidValue;
  if (cudaError_t status = checkWeight(weight); status != cudaSuccess)
    return status;
  if (activations.rows == 0)
    return cudaSuccess;
  int64_t k = weight.k, paddedK = paddedDepth(k);
  // Blocks and groups that span K are one; others must be whole tiles.
  auto tilesOf = [&](int64_t size) -> int64_t {
    return size >= k ? 0 : size % kTileK == 0 ? size / kTileK : -1;
  };
  int64_t blockTiles = tilesOf(activations.block);
  int64_t groupTiles = tilesOf(weight.groupSize);
  if (blockTiles < 0 || groupTiles < 0)
    return cudaErrorNotSupported;
  int64_t tilesK = paddedK / kTileK;
  // int4 sums are kept × 16 in int32 within a group: at most 64 tiles
  // (16 · 127 · 8 · 8192 < 2^31).
  if (weight.codes == FragmentCodes::Int4ForS8 &&
      (groupTiles ? groupTiles : tilesK) > 64)
    return cudaErrorNotSupported;

  // Many rows of one block: the warpgroup kernel where it runs the weight,
  // else the tiled one, all rows at once. Otherwise
  // the streaming kernel, 64 rows at a time (the weights streamed each time).
  bool warpgroup = warpgroupRunsQuantized(weight, blockTiles, activations.rows);
  bool tiled =
      warpgroup || (blockTiles == 0 && activations.rows > kStreamingRows);
  int64_t chunk = tiled ? activations.rows : kStreamingRows;
  for (int64_t row0 = 0; row0 < activations.rows; row0 += chunk) {
    QuantizedActivationParams p{};
    p.codes = activations.codes + row0 * paddedK;
    p.tokenScales = activations.tokenScales + row0;
    p.rows = static_cast<int>(std::min(chunk, activations.rows - row0));
    p.k = k;
    p.paddedK = paddedK;
    p.blockTiles = static_cast<int>(blockTiles);
    p.groupTiles = static_cast<int>(groupTiles ? groupTiles : tilesK);
    p.maxima = activations.maxima;
    p.smoothGroup = activations.smoothGroup;
    p.weights = static_cast<const uint4 *>(weight.packed);
    p.groupScales = weight.groupScales;
    p.integerScales = weight.integerScales;
    p.channelScales = weight.channelScales;
    p.n = weight.n;
    p.paddedN = paddedColumns(weight.n);
    p.tilesK = static_cast<int>(tilesK);
    p.groupSize = groupTiles ? weight.groupSize : paddedK;
    p.groups = static_cast<int>(weight.groups);
    p.tileScales = weight.integerScales               ? TileScales::Integer
                   : blockTiles && weight.groupScales ? TileScales::Float
                                                      : TileScales::None;
    p.y = y + row0 * weight.n;
    cudaError_t status = warpgroup
                             ? launchWarpgroupQuantized(p, weight.codes, stream)
                         : tiled ? launchTiled(p, weight.codes, stream)
                         : weight.codes == FragmentCodes::Int4ForS8
                             ? launchRows<Operands::Int4>(p, stream)
                         : weight.codes == FragmentCodes::E4M3ForF8
                             ? launchRows<Operands::E4M3>(p, stream)
                             : launchRows<Operands::Int8>(p, stream);
    if (status != cudaSuccess)
      return status;
  }
  return cudaSuccess;
}

} // namespace qcc::cuda
