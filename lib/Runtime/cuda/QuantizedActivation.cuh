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

/// Launches the tiled kernel for `p` (one accumulation block, every row).
cudaError_t launchTiled(const QuantizedActivationParams &p, FragmentCodes codes,
                        cudaStream_t stream);

} // namespace qcc::cuda

#endif // QCC_RUNTIME_CUDA_QUANTIZEDACTIVATION_CUH
