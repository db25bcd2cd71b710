//===- HalfActivation.cuh - f16-activation qlinear -------------*- CUDA -*-===//
//
// What the two kernels of halfActivationLinear share: the parameters, the
// int4 and e2m1 decodes to f16, and the epilogue. The weight-streaming
// kernel (HalfActivationLinear.cu) serves few rows; the tiled one
// (HalfActivationTiled.cu) many.
//
//===----------------------------------------------------------------------===//

#ifndef QCC_RUNTIME_CUDA_HALFACTIVATION_CUH
#define QCC_RUNTIME_CUDA_HALFACTIVATION_CUH

#include "lib/Runtime/cuda/Mma.cuh"
#include "lib/Runtime/cuda/Streaming.cuh"

namespace qcc::cuda {

struct HalfParams {
  const uint16_t *x;
  /// Per-row scales of quantized activations, or null.
  const float *tokenScales;
  /// Per-column scales (NVFP4), or null.
  const float *channelScales;
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

/// `word` shifted left by `bits`, or right by -bits.
template <int Bits> __device__ inline uint32_t shiftLeft(uint32_t word) {
  if constexpr (Bits >= 0)
    return word << Bits;
  else
    return word >> -Bits;
}

/// The four f16 pairs of e2m1 codes in `word` (pair j: nibbles j and
/// j + 4), each value · 2^-14: sign to bit 15, exponent and mantissa to
/// bits 11..9 (an f16 exponent 2^14 below e2m1's, subnormals included).
/// Nibble j moves by a constant per pair, so neither half overflows.
template <int J> __device__ inline uint32_t e2m1PairToHalf2(uint32_t word) {
  return maskOr(shiftLeft<9 - 4 * J>(word), 0x0E000E00u,
                shiftLeft<12 - 4 * J>(word) & 0x80008000u);
}
__device__ inline void e2m1WordToHalf2(uint32_t word, uint32_t (&pairs)[4]) {
  pairs[0] = e2m1PairToHalf2<0>(word);
  pairs[1] = e2m1PairToHalf2<1>(word);
  pairs[2] = e2m1PairToHalf2<2>(word);
  pairs[3] = e2m1PairToHalf2<3>(word);
}

/// One K tile: codes decoded from the lane's pieces, A fragments of row
/// tile m from the ldmatrix address aAt(m, step), each group's products
/// summed from zero on the tensor cores and added to acc times the scales
/// of the fragment's columns, scaleOf(group within the tile, tile).
template <bool E2M1, int MTiles, int StepsPerGroup, typename AAddress,
          typename ScaleOf>
__device__ inline void multiplyHalfTile(const uint4 *pieces, AAddress aAt,
                                        ScaleOf scaleOf,
                                        float (&acc)[MTiles][4][4]) {
  float group[MTiles][4][4] = {};
#pragma unroll
  for (int word = 0; word < 4; ++word) {
    uint32_t b[4][4];
#pragma unroll
    for (int tile = 0; tile < 4; ++tile) {
      uint32_t bits = reinterpret_cast<const uint32_t *>(&pieces[tile])[word];
      if constexpr (E2M1)
        e2m1WordToHalf2(bits, b[tile]);
      else
        int4WordToHalf2(bits, b[tile]);
    }
#pragma unroll
    for (int half = 0; half < 2; ++half) {
      int step = 2 * word + half;
      uint32_t a[MTiles][4];
#pragma unroll
      for (int m = 0; m < MTiles; ++m)
        loadMatrixX4(a[m], aAt(m, step));
#pragma unroll
      for (int m = 0; m < MTiles; ++m)
#pragma unroll
        for (int tile = 0; tile < 4; ++tile)
          mmaF16(group[m][tile], a[m], b[tile][2 * half],
                 b[tile][2 * half + 1]);
      if ((step + 1) % StepsPerGroup != 0)
        continue;
#pragma unroll
      for (int tile = 0; tile < 4; ++tile) {
        float2 scale =
            scaleOf((step + 1 - StepsPerGroup) / StepsPerGroup, tile);
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

/// y of a sum: e2m1 sums are 2^-14 of the values (scaling by a power of
/// two is exact, so they round as the values would); quantized
/// activations then (sum · token scale) · channel scale, as the CPU
/// runtime's minifloatLinear.
template <bool E2M1>
__device__ inline float finishHalf(const HalfParams &p, float sum, int64_t row,
                                   int64_t column) {
  if (E2M1)
    sum *= 16384.0f;
  if (p.tokenScales)
    sum *= p.tokenScales[row];
  if (p.channelScales)
    sum *= p.channelScales[column];
  return sum;
}

/// Whether the warpgroup kernel (WarpgroupHalf.cu) takes `rows` rows of
/// `weight` in groups of `groupSize` codes (w4a16, groups of 128 · j).
bool warpgroupRunsHalf(const DeviceWeight &weight, int64_t groupSize,
                       int64_t rows);
/// Launches it for `p` (every row; k a multiple of 8, x 16-byte aligned).
cudaError_t launchWarpgroupHalf(const HalfParams &p, cudaStream_t stream);

/// Launches the tiled kernel for `p` (every row; k a multiple of 8).
cudaError_t launchHalfTiled(const HalfParams &p, bool e2m1, int stepsPerGroup,
                            cudaStream_t stream);

} // namespace qcc::cuda

#endif // QCC_RUNTIME_CUDA_HALFACTIVATION_CUH
