//===- QuantizedActivation.cuh - quantized-activation qlinear --*- CUDA -*-===//
//
// What the two kernels of quantizedActivationLinear share: the operands,
// their parameters and the epilogue in the CPU runtime's order. The
// weight-streaming kernel (QuantizedActivationLinear.cu) serves few rows;
// the tiled one (QuantizedActivationTiled.cu) many rows of products with
// one accumulation block.
//
//===----------------------------------------------------------------------===//

#ifndef QCC_RUNTIME_CUDA_QUANTIZEDACTIVATION_CUH
#define QCC_RUNTIME_CUDA_QUANTIZEDACTIVATION_CUH

#include "lib/Runtime/cuda/Mma.cuh"
#include "lib/Runtime/cuda/Streaming.cuh"
#include <type_traits>

namespace qcc::cuda {

/// The operands of a product: int8 activations with int8 or int4
/// weights, or e4m3 both.
enum class Operands { Int8, Int4, E4M3 };

constexpr int partsOf(Operands operands) {
  return operands == Operands::Int4 ? 1 : 2;
}
/// Exact int32 sums, or f32 for e4m3.
template <Operands O>
using AccumulatorOf = std::conditional_t<O == Operands::E4M3, float, int32_t>;

/// The scales a tile brings along: two-level integer scales of its group
/// (u8, 32 bytes), or, with several blocks, the f32 group scales of its
/// block (128 bytes), or none.
enum class TileScales { None, Integer, Float };

struct QuantizedActivationParams {
  const uint8_t *codes;
  const float *tokenScales;
  int rows;
  int64_t k, paddedK;
  /// Accumulation block and weight group, in tiles; 0 for a block that
  /// spans K.
  int blockTiles, groupTiles;
  const float *maxima;
  int64_t smoothGroup;
  const uint4 *weights;
  const float *groupScales;
  const uint8_t *integerScales;
  const float *channelScales;
  int64_t n, paddedN;
  int tilesK;
  int64_t groupSize;
  int groups;
  TileScales tileScales;
  SplitPlan plan;
  /// Shared bytes before the weight pipelines.
  int64_t activationBytes;
  float *y;
};

/// The scale of the block starting at depth `start` for `column`, as
/// blockScale() in the CPU runtime.
__device__ inline float blockScale(const QuantizedActivationParams &p,
                                   int64_t column, int64_t start) {
  float scale = p.groupScales
                    ? p.groupScales[start / p.groupSize * p.paddedN + column]
                    : 1.0f;
  if (p.maxima)
    scale *= p.maxima[start / p.smoothGroup];
  return scale;
}

__device__ inline float finishOutput(const QuantizedActivationParams &p,
                                     float sum, int row, int64_t column) {
  float value = sum * p.tokenScales[row];
  if (p.channelScales)
    value *= p.channelScales[column];
  return value;
}

/// y of a product with one block: ((0 + float(acc) · block scale) · token
/// scale) · channel scale.
template <typename Accumulator>
__device__ inline float finishOneBlock(const QuantizedActivationParams &p,
                                       Accumulator acc, int row,
                                       int64_t column) {
  float sum = 0.0f;
  sum += static_cast<float>(acc) * blockScale(p, column, 0);
  return finishOutput(p, sum, row, column);
}

/// The four k32 steps of one K tile: A fragments of row tile m from the
/// ldmatrix address aAt(m, step), B from the lane's pieces of the tile
/// (WeightPacking.h), products added to group[m][tile].
template <Operands O, int MTiles, typename AAddress>
__device__ inline void multiplyTile(const uint4 *pieces, AAddress aAt,
                                    AccumulatorOf<O> (&group)[MTiles][4][4]) {
#pragma unroll
  for (int step = 0; step < 4; ++step) {
    uint32_t a[MTiles][4];
#pragma unroll
    for (int m = 0; m < MTiles; ++m)
      loadMatrixX4(a[m], aAt(m, step));
#pragma unroll
    for (int tile = 0; tile < 4; ++tile) {
      uint32_t b0, b1;
      if constexpr (O == Operands::Int4) {
        uint32_t bits = reinterpret_cast<const uint32_t *>(&pieces[tile])[step];
        b0 = (bits << 4) & 0xF0F0F0F0u;
        b1 = bits & 0xF0F0F0F0u;
      } else {
        const uint32_t *words =
            reinterpret_cast<const uint32_t *>(&pieces[tile * 2 + step / 2]);
        b0 = words[(step % 2) * 2];
        b1 = words[(step % 2) * 2 + 1];
      }
#pragma unroll
      for (int m = 0; m < MTiles; ++m)
        if constexpr (O == Operands::E4M3)
          mmaE4M3(group[m][tile], a[m], b0, b1);
        else
          mmaS8(group[m][tile], a[m], b0, b1);
    }
  }
}

/// Adds a group's sums into the block's and clears them: int4 sums shifted
/// back (code × 16), times the two-level scale of the fragment's column
/// from scaleOf(tile, e) (1 without); e4m3 sums as they are.
template <Operands O, int MTiles, typename ScaleOf>
__device__ inline void closeGroup(AccumulatorOf<O> (&group)[MTiles][4][4],
                                  AccumulatorOf<O> (&block)[MTiles][4][4],
                                  ScaleOf scaleOf) {
#pragma unroll
  for (int tile = 0; tile < 4; ++tile)
#pragma unroll
    for (int e = 0; e < 4; ++e) {
      int32_t scale = scaleOf(tile, e);
#pragma unroll
      for (int m = 0; m < MTiles; ++m) {
        AccumulatorOf<O> dot = group[m][tile][e];
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

/// Whether the warpgroup kernel (WarpgroupQuantized.cu) takes `rows` rows
/// of products of `weight` with `blockTiles` (one accumulation block: 0).
bool warpgroupRunsQuantized(const DeviceWeight &weight, int64_t blockTiles,
                            int64_t rows);
/// Launches it for `p` (one accumulation block, every row).
cudaError_t launchWarpgroupQuantized(const QuantizedActivationParams &p,
                                     FragmentCodes codes, cudaStream_t stream);

/// Launches the tiled kernel for `p` (one accumulation block, every row).
cudaError_t launchTiled(const QuantizedActivationParams &p, FragmentCodes codes,
                        cudaStream_t stream);

} // namespace qcc::cuda

#endif // QCC_RUNTIME_CUDA_QUANTIZEDACTIVATION_CUH
