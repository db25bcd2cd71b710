//===- MinifloatKernels.h - x86 kernels of fp8 and fp4 qlinear --*- C++ -*-===//
//
// qcc.qlinear with e4m3 (fp8) or e2m1 (fp4, MXFP4, NVFP4) weights: codes
// stay one or half a byte in memory and are decoded through a table as a
// block of output columns is needed, then multiplied in f32. The op
// description leaves the order of these f32 sums open; the interpreter
// sums with OpenBLAS, so results agree within the bound of reordered f32
// summation, not bit for bit.
//
//===----------------------------------------------------------------------===//

#ifndef QCC_RUNTIME_CPU_MINIFLOATKERNELS_H
#define QCC_RUNTIME_CPU_MINIFLOATKERNELS_H

#include <cstdint>

namespace qcc::rt {

struct MinifloatWeight {
  int64_t n = 0, k = 0, groupSize = 0, groups = 0;
  /// e4m3 codes [n, k] a byte each, or e2m1 codes [n, ceil(k / 2)] two a
  /// byte (column 2j in the low nibble).
  const uint8_t *codes = nullptr;
  bool e2m1 = false;
  /// Group scales [n, groups] in f32 (e8m0 and e4m3 scales decoded).
  const float *groupScales = nullptr;
  /// Scales per output channel [n], or null.
  const float *channelScales = nullptr;
};

/// Float activations x [rows, k]: y[r, c] = Σ_k x · (code · (group scale ·
/// channel scale)) for columns c in [begin, end), as the interpreter
/// dequantizes.
void minifloatWeightOnlyLinear(const float *x, int64_t rows,
                               const MinifloatWeight &weight, float *y,
                               int64_t ldy, int64_t begin, int64_t end);

/// fp8 activations: `codes` [rows, k] are the e4m3 code values of each
/// token and `tokenScales` its scale; `maxima` (or null) the Runtime Smooth
/// maxima per `smoothGroup` channels. y = (Σ_b acc_b · (group scale ·
/// smooth_b)) · token scale · channel scale over blocks of `block` columns.
void minifloatLinear(const float *codes, const float *tokenScales, int64_t rows,
                     int64_t block, const float *maxima, int64_t smoothGroup,
                     const MinifloatWeight &weight, float *y, int64_t ldy,
                     int64_t begin, int64_t end);

} // namespace qcc::rt

#endif // QCC_RUNTIME_CPU_MINIFLOATKERNELS_H
