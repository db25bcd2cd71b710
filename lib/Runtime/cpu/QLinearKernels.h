//===- QLinearKernels.h - x86 kernels of qcc.qlinear ------------*- C++ -*-===//
//
// The quantized-activation path of qcc.qlinear on the CPU: per-token
// activation quantization (with Runtime Smooth) and the int8 × int8 product
// with exact int32 block sums and the float epilogue in the order the op
// description states:
//   y = ((Σ_b float(acc_b) · (group_scale · smooth)) · token_scale) · channel
// accumulated block after block from zero, without fused multiply-adds, so
// the result equals the interpreter's bit for bit.
//
// These kernels are linked into generated shared objects: they depend on
// nothing but the C++ standard library and qcc's header-only numerics.
//
//===----------------------------------------------------------------------===//

#ifndef QCC_RUNTIME_CPU_QLINEARKERNELS_H
#define QCC_RUNTIME_CPU_QLINEARKERNELS_H

#include <cstdint>

namespace qcc::rt {

/// Rows of int8 codes are padded with zeros to a multiple of this, the
/// width of one AVX2 register.
constexpr int64_t kCodeAlignment = 32;

/// The padded width of a row of `k` codes.
constexpr int64_t paddedWidth(int64_t k) {
  return (k + kCodeAlignment - 1) / kCodeAlignment * kCodeAlignment;
}

/// Runtime Smooth: for each group of `group` channels, max |x| over all
/// `rows` rows of x [rows, k], 1 where it is zero.
void runtimeSmoothMaxima(const float *x, int64_t rows, int64_t k, int64_t group,
                         float *maxima);

/// Per-token symmetric quantization of x [rows, k]: scale = max|x| / qmax
/// (1 for a zero row), code = rne(x · (1 / scale)) clamped to ±qmax, NaN to
/// 0, as include/qcc/Numerics/Activations.h defines it. With `maxima`
/// (Runtime Smooth over groups of `smoothGroup`), x is first multiplied by
/// 1 / maxima[c / smoothGroup]. Codes [rows, paddedWidth(k)] (zero padded).
void quantizeActivations(const float *x, int64_t rows, int64_t k, float qmax,
                         const float *maxima, int64_t smoothGroup,
                         int8_t *codes, float *scales);

/// Packs symmetric int4 codes [n, k] (one a byte) two a byte for the
/// integer product: rows of paddedWidth(k) / 2 bytes (zero padded), byte j
/// of each 16-byte chunk holding code j of its 32 in the low nibble and
/// code j + 16 in the high one, so one AVX2 register unpacks in order.
void packInt4(const int8_t *codes, int64_t n, int64_t k, uint8_t *packed);

/// A qlinear weight as the integer product reads it.
struct IntegerWeight {
  int64_t n = 0, k = 0;
  /// Symmetric codes [n, paddedWidth(k)], zero padded; or, for int4, null
  /// and `packedInt4` (packInt4's layout) instead.
  const int8_t *codes = nullptr;
  const uint8_t *packedInt4 = nullptr;
  /// Columns per scale group; `groups` = ceil(k / groupSize).
  int64_t groupSize = 0, groups = 0;
  /// f32 group scales [n, groups], or null with two-level scales.
  const float *groupScales = nullptr;
  /// Two-level integer group scales [n, groups] (w4a8), or null.
  const uint8_t *integerScales = nullptr;
  /// f32 scales per output channel [n], or null.
  const float *channelScales = nullptr;
};

/// What one integer qlinear product needs besides the weight.
struct IntegerProduct {
  /// Activation codes [rows, paddedWidth(k)] and scales [rows].
  const int8_t *codes = nullptr;
  const float *tokenScales = nullptr;
  int64_t rows = 0;
  /// Columns summed exactly before each float scaling
  /// (QLinearOp::getAccumulationBlock).
  int64_t block = 0;
  /// Runtime Smooth maxima per group of `smoothGroup` channels, or null.
  const float *maxima = nullptr;
  int64_t smoothGroup = 0;
};

/// y[r, c] for output columns c in [begin, end) (row stride `ldy`): the
/// product above. Where the blocks and groups are multiples of
/// kCodeAlignment: AVX-512 VNNI where the CPU has it, else AVX2; the
/// portable path otherwise. All give the same bits.
void integerLinear(const IntegerProduct &product, const IntegerWeight &weight,
                   float *y, int64_t ldy, int64_t begin, int64_t end);

/// The portable path of integerLinear, exposed so that tests can compare.
void integerLinearPortable(const IntegerProduct &product,
                           const IntegerWeight &weight, float *y, int64_t ldy,
                           int64_t begin, int64_t end);

/// From this many rows on, weightOnlyLinear converts each code once per
/// call (into bf16 panels, or dequantized f32 columns) rather than once per
/// row tile.
constexpr int64_t kDequantizeRows = 8;

/// The weight-only product (activation_format = float, w4a16): y[r, c] =
/// Σ_k x[r, k] · code[c, k] · group_scale[c, g(k)] for output columns c in
/// [begin, end), x [rows, k] in f32, which every path rounds to bf16
/// (numerics::roundToBfloat16) first: the "16-bit activations" of w4a16 on
/// x86, as f16 ones on sm90. Each product is exact in f32; the paths sum in
/// other orders than the interpreter (which dequantizes, then multiplies):
/// results agree with the interpreter on the rounded x within the bound of
/// reordered f32 summation. With packed int4 codes, 8+ rows and AVX512_BF16
/// the products run on vdpbf16ps (WeightOnlyGemmBf16.cpp).
void weightOnlyLinear(const float *x, int64_t rows, const IntegerWeight &weight,
                      float *y, int64_t ldy, int64_t begin, int64_t end);

/// The portable path of weightOnlyLinear.
void weightOnlyLinearPortable(const float *x, int64_t rows,
                              const IntegerWeight &weight, float *y,
                              int64_t ldy, int64_t begin, int64_t end);

/// Whether this CPU runs the AVX2 kernels (with FMA); false when the
/// environment sets QCC_ISA=portable.
bool hasAvx2();

} // namespace qcc::rt

#endif // QCC_RUNTIME_CPU_QLINEARKERNELS_H
