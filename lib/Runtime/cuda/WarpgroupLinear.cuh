//===- WarpgroupLinear.cuh - many-row qlinear on wgmma ---------*- CUDA -*-===//
//
// Products of many rows (prefill) on Hopper's warpgroup tensor cores. The
// weights are wgmma's A operand, in registers: the product is computed as
// yᵀ = W · xᵀ, and a lane's 16-byte pieces of the streaming layout
// (WeightPacking.h) are then A fragments as they are (two 8-column tiles
// make a warp's 16 rows), decoded from int4 on the way. The activations
// are the B operand: tiles of T rows × 128 codes that the copy engine
// brings into shared memory through a tensor map with the 128-byte
// swizzle, which wgmma reads K-major.
//
// A block is three warpgroups: warpgroup 0 produces (one thread of it
// issues the copies; setmaxnreg gives its registers to the others), and
// warpgroups 1 and 2 compute 64 weight rows each (128 output columns). The
// producer streams each K tile's activations, the block's four 32-column
// ranges of weight fragments and the tile's scales into a ring of stages
// in shared memory; each stage has a barrier that completes when its bytes
// have landed (full) and one that completes when all eight computing warps
// are done with it (empty). Each computing warpgroup decodes its A
// fragments for the tile and issues the tile's products. A sum that stays
// on the tensor cores over all of K lets them run on while the next tile's
// A is decoded. Sums that must leave the tensor cores to be scaled or for
// precision (promoted) take the tile's rows in two halves, the first
// half's promotion running under the second half's products, and the
// other warpgroup's products keep the tensor cores busy meanwhile.

// A Policy says what a stage holds and how codes become operands:
//   Params; Accumulator; kTokens (T: the wgmma N); kSteps (k steps per
//   tile); kXBytes, kChunkBytes (a 32-column range's fragments of one
//   tile), kScaleBytes (per 32 columns); kPromotes (sums leave the tensor
//   cores at promotion ends, into f32 totals);
//   Fragments (built from a range's stage bytes, the lane's tiles, the
//   stage's scales and the lane's first row; of(step, a) gives a step's A),
//   Output (an output column's epilogue: (sum, token scale) → y),
//   copyActivations, scaleSource, multiply, xOffset, tokenScale; where
//   sums promote, rowScales (the two rows' scales of a stage) and promote
//   (totals += sums times them).
//
//===----------------------------------------------------------------------===//

#ifndef QCC_RUNTIME_CUDA_WARPGROUPLINEAR_CUH
#define QCC_RUNTIME_CUDA_WARPGROUPLINEAR_CUH

#include "lib/Runtime/cuda/TensorMap.h"
#include "lib/Runtime/cuda/Warpgroup.cuh"
#include "lib/Runtime/cuda/WeightPacking.h"
#include <cstdlib>
#include <cuda_runtime.h>
#include <string_view>
#include <type_traits>

namespace qcc::cuda {

constexpr int kConsumerWarps = 8;
constexpr int kWarpgroupBlockThreads = 128 + 32 * kConsumerWarps;
/// Registers a thread of the producing and of a computing warpgroup
/// keeps: 128 · 40 + 256 · 232 fit the multiprocessor's 64 Ki.
constexpr int kProducerRegisters = 40, kConsumerRegisters = 232;
/// Output columns of a block: two warpgroups of 64.
constexpr int kWarpgroupColumns = 128;
/// What a block may take on sm90, less the alignment slack and barriers.
constexpr int kWarpgroupSharedBudget = 227 * 1024 - 1024 - 256;

/// Where the K tiles of a product promote their sums (every
/// `promoteTiles` tiles and at the last), for policies that promote.
struct WarpgroupTiles {
  int tilesK, promoteTiles;
};

template <class Policy> struct WarpgroupStages {
  static constexpr int kRawBytes =
      Policy::kXBytes + 4 * (Policy::kChunkBytes + Policy::kScaleBytes);
  /// Stages start on 1024-byte boundaries, as the swizzle needs.
  static constexpr int kBytes = (kRawBytes + 1023) / 1024 * 1024;
  static constexpr int kCount =
      kWarpgroupSharedBudget / kBytes < 8 ? kWarpgroupSharedBudget / kBytes : 8;
  static constexpr size_t kSharedBytes =
      1024 + size_t{kCount} * kBytes + 2 * kCount * sizeof(uint64_t);
};

/// The shared memory of a block: kCount stages of kBytes (activations,
/// weight fragments of the four 32-column ranges, scales), then the
/// barriers.
template <class Policy> struct WarpgroupBlock {
  using Stages = WarpgroupStages<Policy>;
  static constexpr int kWeightOffset = Policy::kXBytes;
  static constexpr int kScaleOffset = kWeightOffset + 4 * Policy::kChunkBytes;
  uint8_t *shared;
  uint64_t *full, *empty;
  int token0;
  int64_t column0;
  /// 32-column ranges of this block that exist (paddedN is a multiple of 32).
  int ranges;
  __device__ uint8_t *stage(int s) const { return shared + s * Stages::kBytes; }
};

/// The producer's thread: each K tile's copies into the next free stage.
template <class Policy>
__device__ inline void produceTiles(const WarpgroupBlock<Policy> &block,
                                    const CUtensorMap &activations,
                                    const typename Policy::Params &p,
                                    const WarpgroupTiles &plan) {
  using Block = WarpgroupBlock<Policy>;
  uint32_t bytes = Policy::kXBytes +
                   block.ranges * (Policy::kChunkBytes + Policy::kScaleBytes);
  const uint8_t *weights = reinterpret_cast<const uint8_t *>(p.weights);
  int s = 0;
  uint32_t phase = 0;
  for (int kt = 0; kt < plan.tilesK; ++kt) {
    waitBarrier(&block.empty[s], phase ^ 1);
    uint8_t *stage = block.stage(s);
    arriveExpectingBytes(&block.full[s], bytes);
    Policy::copyActivations(stage, activations, kt, block.token0,
                            &block.full[s]);
    for (int r = 0; r < block.ranges; ++r)
      copyBulk(stage + Block::kWeightOffset + r * Policy::kChunkBytes,
               weights + ((block.column0 / 32 + r) * plan.tilesK + kt) *
                             int64_t{Policy::kChunkBytes},
               Policy::kChunkBytes, &block.full[s]);
    if constexpr (Policy::kScaleBytes > 0)
      copyBulk(stage + Block::kScaleOffset,
               Policy::scaleSource(p, kt, block.column0),
               block.ranges * Policy::kScaleBytes, &block.full[s]);
    if (++s == Block::Stages::kCount) {
      s = 0;
      phase ^= 1;
    }
  }
}

/// What a computing warp keeps of its warpgroup's products: one sum on the
/// tensor cores, or, for policies that promote, one for each half of the
/// tile's rows of activations and the f32 totals.
template <class Policy> struct WarpgroupSums {
  using Accumulator = typename Policy::Accumulator;
  static constexpr int kHalf = Policy::kTokens / 4;
  Accumulator d[Policy::kPromotes ? 2 : 1]
               [Policy::kPromotes ? kHalf : 2 * kHalf];
  float totals[Policy::kPromotes ? 2 : 1][Policy::kPromotes ? kHalf : 1] = {};
};

/// A computing warp: its warpgroup's products of every K tile, then its
/// outputs.
template <class Policy>
__device__ inline void consumeTiles(const WarpgroupBlock<Policy> &block,
                                    const typename Policy::Params &p,
                                    const WarpgroupTiles &plan) {
  using Block = WarpgroupBlock<Policy>;
  constexpr int kTokens = Policy::kTokens;
  // Warp w of computing warpgroup `group` holds weight rows 64 group + 16 w
  // + g (+8): column g of tiles 2 (w % 2) and + 1 of the 32-column range
  // 2 group + w / 2.
  int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  int group = warp / 4 - 1, w = warp % 4, g = lane / 4, t = lane % 4;
  int range = 2 * group + w / 2, tile0 = 2 * (w % 2);
  int row0 = 64 * group + 16 * w + g;
  WarpgroupSums<Policy> sums;
  auto release = [&](int stage) {
    __syncwarp();
    if (lane == 0)
      arrive(&block.empty[stage]);
  };
  int s = 0, previous = -1;
  uint32_t phase = 0;
  auto advance = [&] {
    previous = s;
    if (++s == Block::Stages::kCount) {
      s = 0;
      phase ^= 1;
    }
  };
  if (2 * group >= block.ranges) {
    // Rows past the weight's: only the stages' turns (a warp must not
    // arrive for a stage's next round before its fill).
    for (int kt = 0; kt < plan.tilesK; ++kt, advance()) {
      waitBarrier(&block.full[s], phase);
      release(s);
    }
    return;
  }
  // Decodes the stage's A for the tile (the whole tile's: then one fence).
  auto decode = [&](uint32_t(&a)[Policy::kSteps][4]) {
    uint8_t *stage = block.stage(s);
    typename Policy::Fragments fragments(
        stage + Block::kWeightOffset + range * Policy::kChunkBytes, tile0, lane,
        stage + Block::kScaleOffset, row0);
#pragma unroll
    for (int step = 0; step < Policy::kSteps; ++step)
      fragments.of(step, a[step]);
  };
  // Issues the tile's products into `sum`: N rows of activations from row
  // `first` of the stage's (each 128 bytes, in groups of eight).
  auto issue = [&](const uint32_t(&a)[Policy::kSteps][4], auto &sum, int first,
                   bool startsSum) {
    constexpr int kN =
        2 * std::extent_v<std::remove_reference_t<decltype(sum)>>;
    uint32_t x = sharedAddress(block.stage(s)) + first * 128;
#pragma unroll
    for (int step = 0; step < Policy::kSteps; ++step)
      Policy::template multiply<kN>(sum, a[step],
                                    swizzledOperand(x + Policy::xOffset(step)),
                                    !(startsSum && step == 0));
    commitProducts();
  };
  if constexpr (!Policy::kPromotes) {
    // One sum over all of K: a tile's products run on while the next
    // tile's A is decoded, and a stage is freed once its products are done.
    for (int kt = 0; kt < plan.tilesK; ++kt, advance()) {
      waitBarrier(&block.full[s], phase);
      uint32_t a[Policy::kSteps][4];
      decode(a);
      fenceOperands();
      issue(a, sums.d[0], 0, kt == 0);
      awaitProducts<1>();
      if (previous >= 0)
        release(previous);
    }
    awaitProducts<0>();
    pinRegisters(sums.d[0]);
  } else {
    // Sums promoted at group ends (every promoteTiles tiles): the tile's
    // rows of activations in two halves; the first half's sum is promoted
    // while the second half's products run (reading the second half's
    // sum before its next products would make ptxas serialize them).
    float scales[2];
    for (int kt = 0; kt < plan.tilesK; ++kt, advance()) {
      waitBarrier(&block.full[s], phase);
      uint32_t a[Policy::kSteps][4];
      decode(a);
      bool starts = kt % plan.promoteTiles == 0;
      bool closes = (kt + 1) % plan.promoteTiles == 0 || kt + 1 == plan.tilesK;
      if (closes)
        Policy::rowScales(block.stage(s) + Block::kScaleOffset, row0, scales);
      fenceOperands();
      issue(a, sums.d[0], 0, starts);
      issue(a, sums.d[1], kTokens / 2, starts);
      awaitProducts<1>();
      pinRegisters(sums.d[0]);
      if (closes)
        Policy::promote(sums.d[0], sums.totals[0], scales);
      awaitProducts<0>();
      pinRegisters(sums.d[1]);
      if (closes)
        Policy::promote(sums.d[1], sums.totals[1], scales);
      release(s);
    }
  }
  // The two rows' scales once, each token's once: a sum's d[4c + 2j + i]
  // is row row0 + 8j, token 8c + 2t + i of its rows.
  int64_t column = block.column0 + row0;
  typename Policy::Output outputs[2] = {
      typename Policy::Output(p, min(column, p.n - 1)),
      typename Policy::Output(p, min(column + 8, p.n - 1))};
  constexpr int kSums = Policy::kPromotes ? 2 : 1;
  constexpr int kSumTokens = kTokens / kSums;
#pragma unroll
  for (int h = 0; h < kSums; ++h)
#pragma unroll
    for (int c = 0; c < kSumTokens / 8; ++c)
#pragma unroll
      for (int i = 0; i < 2; ++i) {
        int token = block.token0 + h * kSumTokens + 8 * c + 2 * t + i;
        if (token >= p.rows)
          continue;
        float tokenScale = Policy::tokenScale(p, token);
#pragma unroll
        for (int j = 0; j < 2; ++j) {
          int index = 4 * c + 2 * j + i;
          if (column + 8 * j >= p.n)
            continue;
          float value;
          if constexpr (Policy::kPromotes)
            value = outputs[j](sums.totals[h][index], tokenScale);
          else
            value = outputs[j](sums.d[0][index], tokenScale);
          p.y[token * p.n + column + 8 * j] = value;
        }
      }
}

template <class Policy>
__global__ void __launch_bounds__(kWarpgroupBlockThreads, 1)
    warpgroupKernel(const __grid_constant__ CUtensorMap activations,
                    const typename Policy::Params p,
                    const WarpgroupTiles plan) {
  using Block = WarpgroupBlock<Policy>;
  constexpr int kStages = Block::Stages::kCount;
  extern __shared__ uint8_t raw[];
  Block block;
  block.shared = reinterpret_cast<uint8_t *>(
      (reinterpret_cast<uintptr_t>(raw) + 1023) / 1024 * 1024);
  block.full = reinterpret_cast<uint64_t *>(block.stage(kStages));
  block.empty = block.full + kStages;
  block.token0 = blockIdx.x * Policy::kTokens;
  block.column0 = int64_t{blockIdx.y} * kWarpgroupColumns;
  block.ranges =
      static_cast<int>(min(int64_t{4}, (p.paddedN - block.column0) / 32));
  if (threadIdx.x == 0) {
    for (int s = 0; s < kStages; ++s) {
      initBarrier(&block.full[s], 1);
      initBarrier(&block.empty[s], kConsumerWarps);
    }
    fenceBarrierInit();
  }
  __syncthreads();
  // One branch per role, so that setmaxnreg gives each its registers.
  if (threadIdx.x < 128) {
    asm volatile(
        "setmaxnreg.dec.sync.aligned.u32 %0;" ::"n"(kProducerRegisters));
    if (threadIdx.x == 0)
      produceTiles(block, activations, p, plan);
  } else {
    asm volatile(
        "setmaxnreg.inc.sync.aligned.u32 %0;" ::"n"(kConsumerRegisters));
    consumeTiles(block, p, plan);
  }
}

/// The multiprocessors of the current GPU.
inline int multiprocessorCount() {
  int device = 0, processors = 132;
  if (cudaGetDevice(&device) != cudaSuccess ||
      cudaDeviceGetAttribute(&processors, cudaDevAttrMultiProcessorCount,
                             device) != cudaSuccess)
    cudaGetLastError();
  return processors;
}

/// Whether the warpgroup kernels should take a product of `rows` rows and
/// `paddedN` columns: many rows, or few rows of enough columns that the
/// blocks fill three quarters of the GPU without splitting K (which the
/// streaming kernels do; measured on an H200, docs/performance.md).
inline bool warpgroupTakes(int64_t rows, int64_t paddedN) {
  // QCC_WARPGROUP=0 keeps the earlier kernels, for benchmarks that compare.
  static const bool enabled = [] {
    const char *setting = std::getenv("QCC_WARPGROUP");
    return !setting || std::string_view(setting) != "0";
  }();
  if (!enabled)
    return false;
  constexpr int64_t kFewRows = 64;
  int64_t columnBlocks = (paddedN + kWarpgroupColumns - 1) / kWarpgroupColumns;
  return rows > kFewRows || 4 * columnBlocks >= 3 * multiprocessorCount();
}

/// Rows of activations per block (the wgmma N: 256 where `widest` allows,
/// 128 or 64): the widest tile that still gives nine in ten
/// multiprocessors a block, else the narrowest.
inline int warpgroupTokens(int64_t rows, int64_t paddedN, int widest) {
  int processors = multiprocessorCount();
  int64_t columnBlocks = (paddedN + kWarpgroupColumns - 1) / kWarpgroupColumns;
  for (int tokens = widest; tokens > 64; tokens /= 2)
    if ((rows + tokens - 1) / tokens * columnBlocks * 10 >= processors * 9)
      return tokens;
  return 64;
}

/// Runs `Policy`'s kernel over the product whose activations `map`
/// describes (boxes of 128 codes or 64 halves × T rows).
template <class Policy>
cudaError_t launchWarpgroup(const CUtensorMap &map,
                            const typename Policy::Params &p,
                            WarpgroupTiles plan, cudaStream_t stream) {
  auto kernel = warpgroupKernel<Policy>;
  cudaError_t status = cudaFuncSetAttribute(
      kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, 227 * 1024);
  if (status != cudaSuccess)
    return status;
  dim3 grid(
      static_cast<unsigned>((p.rows + Policy::kTokens - 1) / Policy::kTokens),
      static_cast<unsigned>((p.paddedN + kWarpgroupColumns - 1) /
                            kWarpgroupColumns));
  kernel<<<grid, kWarpgroupBlockThreads, WarpgroupStages<Policy>::kSharedBytes,
           stream>>>(map, p, plan);
  return cudaGetLastError();
}

/// The lane's 16-byte piece of part `part` of tile `tile` in a 32-column
/// range's fragments of one K tile (WeightPacking.h).
template <int Parts>
__device__ inline uint4 lanePiece(const uint8_t *range, int tile, int part,
                                  int lane) {
  return reinterpret_cast<const uint4 *>(
      range)[(tile * Parts + part) * 32 + lane];
}

/// Word `word` (a constant once unrolled) of a piece.
__device__ inline uint32_t wordOf(const uint4 &piece, int word) {
  return word == 0   ? piece.x
         : word == 1 ? piece.y
         : word == 2 ? piece.z
                     : piece.w;
}

} // namespace qcc::cuda

#endif // QCC_RUNTIME_CUDA_WARPGROUPLINEAR_CUH
