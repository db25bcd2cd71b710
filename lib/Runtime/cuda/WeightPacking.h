//===- WeightPacking.h - qlinear weights in fragment order ------*- C++ -*-===//
//
// The weight-streaming kernels read each warp's tensor-core B fragments
// with one coalesced 16-byte load per lane, so weights are stored in
// fragment order (Mma.cuh), packed offline on the host:
//
//   N is padded to a multiple of 32 and K to a multiple of 128 (zeros). A
//   tile is 8 output columns × 128 codes; a warp owns 32 columns (4 tiles
//   side by side) and walks K. Tiles are stored [n / 32][k / 128][n-tile of
//   4][part][lane], 16 bytes a lane and part: 512 contiguous bytes per
//   warp load.
//
// Plain C++: the lowering packs with it, the kernels' tests too.
//
//===----------------------------------------------------------------------===//

#ifndef QCC_RUNTIME_CUDA_WEIGHTPACKING_H
#define QCC_RUNTIME_CUDA_WEIGHTPACKING_H

#include <cstddef>
#include <cstdint>

namespace qcc::cuda {

/// Output columns a warp owns, and codes along K in one tile.
constexpr int kWarpColumns = 32;
constexpr int kTileK = 128;

constexpr int64_t paddedColumns(int64_t n) {
  return (n + kWarpColumns - 1) / kWarpColumns * kWarpColumns;
}
constexpr int64_t paddedDepth(int64_t k) {
  return (k + kTileK - 1) / kTileK * kTileK;
}

/// How codes become tensor-core operands in registers.
enum class FragmentCodes {
  /// int4 → f16 for m16n8k16 (w4a16): stored as code + 8; nibble j of word
  /// w of a lane is step 2w + j / 2, register j % 2, element 0, nibble
  /// j + 4 element 1 (one lop3 and one f16 subtraction give a pair).
  Int4ForF16,
  /// int4 → s8 for m16n8k32 (w4a8): two's-complement nibbles; word w is
  /// step w, even nibbles register b0, odd ones b1 (a mask leaves each code
  /// × 16 in its byte, undone exactly after the sum).
  Int4ForS8,
  /// int8 for m16n8k32 (w8a8): two parts; word w of part p is step
  /// 2p + w / 2, register w % 2.
  Int8ForS8,
  /// e4m3 bytes for m16n8k32 with fp8 operands (fp8): Int8ForS8's order.
  E4M3ForF8,
  /// e2m1 codes → f16 for m16n8k16 (fp4, MXFP4, NVFP4): Int4ForF16's
  /// nibble order, the codes as they are (sign in bit 3).
  E2M1ForF16,
};

/// 16-byte loads per lane and tile: 1 for int4, 2 for bytes.
constexpr int64_t partsOf(FragmentCodes codes) {
  return codes == FragmentCodes::Int8ForS8 || codes == FragmentCodes::E4M3ForF8
             ? 2
             : 1;
}

/// Bytes of the packed weight of an n × k qlinear.
size_t packedWeightBytes(FragmentCodes codes, int64_t n, int64_t k);

/// Packs codes [n, k] (int4 values in [-8, 7] one a byte, int8, e4m3
/// bytes, or e2m1 codes one a byte) into `packed` (packedWeightBytes).
void packWeightFragments(FragmentCodes codes, const int8_t *values, int64_t n,
                         int64_t k, uint8_t *packed);

/// Whether two-level int4 codes [n, k] times their integer scales [n,
/// groups] (groups of `groupSize` codes) are bytes with every scale at
/// most 17: DeviceWeight::int8Products.
bool twoLevelProductsFitInt8(const int8_t *codes, const uint8_t *scales,
                             int64_t n, int64_t k, int64_t groupSize,
                             int64_t groups);

/// Scales [n, groups] → [groups, paddedColumns(n)] (zero padded), so that
/// one group's scales of neighbouring columns are adjacent.
void transposeScales(const float *scales, int64_t n, int64_t groups,
                     float *transposed);
void transposeScales(const uint8_t *scales, int64_t n, int64_t groups,
                     uint8_t *transposed);

} // namespace qcc::cuda

#endif // QCC_RUNTIME_CUDA_WEIGHTPACKING_H
