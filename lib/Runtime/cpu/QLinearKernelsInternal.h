//===- QLinearKernelsInternal.h - shared by the ISA variants ---*- C++ -*-===//

#ifndef QCC_RUNTIME_CPU_QLINEARKERNELSINTERNAL_H
#define QCC_RUNTIME_CPU_QLINEARKERNELSINTERNAL_H

#include "lib/Runtime/cpu/QLinearKernels.h"
#include <algorithm>
#include <vector>

namespace qcc::rt {

/// The float factor of the block starting at column `start`: its group
/// scale (1 with two-level scales) times its Runtime Smooth maximum.
/// Inline: every output of every block calls it.
inline float blockScale(const IntegerProduct &product,
                        const IntegerWeight &weight, int64_t column,
                        int64_t start) {
  float scale =
      weight.groupScales
          ? weight
                .groupScales[column * weight.groups + start / weight.groupSize]
          : 1.0f;
  if (product.maxima)
    scale *= product.maxima[start / product.smoothGroup];
  return scale;
}

/// (sum · token scale) · channel scale.
inline float finishOutput(float sum, const IntegerProduct &product,
                          const IntegerWeight &weight, int64_t row,
                          int64_t column) {
  float value = sum * product.tokenScales[row];
  if (weight.channelScales)
    value *= weight.channelScales[column];
  return value;
}

/// The two-level integer scale of the group holding column `c`, else 1.
inline int32_t integerScale(const IntegerWeight &weight, int64_t column,
                            int64_t c) {
  return weight.integerScales
             ? weight
                   .integerScales[column * weight.groups + c / weight.groupSize]
             : 1;
}

/// Packed int4 weight rows are short (2 KiB for K = 4096), too short for
/// the hardware prefetcher to get going on each column of a tile: the
/// few-row kernels prefetch the same offset of `column`, a column of the
/// next tile (the next contiguous rows), one tile ahead. No-op past n.
inline void prefetchInt4(const IntegerWeight &weight, int64_t padded,
                         int64_t column, int64_t code) {
  if (column < weight.n)
    __builtin_prefetch(weight.packedInt4 + (column * padded + code) / 2);
}

/// out[i] = numerics::roundToBfloat16(x[i]) for i < count, vectorized (the
/// same bits on every path): weightOnlyLinear's activations.
void roundToBfloat16Rows(const float *x, int64_t count, float *out);

/// Rows of x [rows, k] rounded to bf16 (weightOnlyLinear's activations) and
/// padded with zeros to paddedWidth(k), so that every 32-code chunk of the
/// few-row weight-only kernels loads whole.
inline std::vector<float> paddedBfloat16Rows(const float *x, int64_t rows,
                                             int64_t k) {
  int64_t padded = paddedWidth(k);
  std::vector<float> input(rows * padded, 0.0f);
  for (int64_t r = 0; r < rows; ++r)
    roundToBfloat16Rows(x + r * k, k, input.data() + r * padded);
  return input;
}

/// Columns [begin, end) of the reduction dimension summed exactly before
/// one integer scale: a group cut at block boundaries. The last one runs to
/// the padded width (whose activation codes are zero).
struct Segment {
  int64_t begin, end;
  /// The weight group of the segment.
  int64_t group;
  /// Whether this segment ends its block; then the group of the block's
  /// first column and the block's Runtime Smooth maximum (1 without).
  bool closesBlock;
  int64_t blockGroup;
  float smooth;
};

/// The segments of a product, in order; the same for every row and column.
std::vector<Segment> segmentsOf(const IntegerProduct &product,
                                const IntegerWeight &weight);

/// blockScale of the block a closing segment ends, without divisions.
inline float blockScaleOf(const IntegerProduct &product,
                          const IntegerWeight &weight, int64_t column,
                          const Segment &closing) {
  float scale =
      weight.groupScales
          ? weight.groupScales[column * weight.groups + closing.blockGroup]
          : 1.0f;
  if (product.maxima)
    scale *= closing.smooth;
  return scale;
}

/// integerLinear with AVX2; blocks and groups are multiples of
/// kCodeAlignment or span all of K.
void integerLinearAvx2(const IntegerProduct &product,
                       const IntegerWeight &weight, float *y, int64_t ldy,
                       int64_t begin, int64_t end);

/// From this many activation rows on, integerLinear runs integerGemmAvx512
/// where the CPU has it.
constexpr int64_t kIntegerGemmRows = 8;

/// integerLinear for many rows with 512-bit VNNI: 16-column panels packed
/// per call, 8-row tiles; the same bits. Blocks and groups as for
/// integerLinearAvx2.
void integerGemmAvx512(const IntegerProduct &product,
                       const IntegerWeight &weight, float *y, int64_t ldy,
                       int64_t begin, int64_t end);

/// integerLinear for fewer rows with 512-bit VNNI, on the stored layout;
/// the same bits.
void integerGemvAvx512(const IntegerProduct &product,
                       const IntegerWeight &weight, float *y, int64_t ldy,
                       int64_t begin, int64_t end);

/// Whether this CPU has what the AVX-512 kernels are compiled for (F, BW,
/// VNNI): integerGemmAvx512, integerGemvAvx512, weightOnlyInt4Avx512.
bool hasVnni512();

/// columns[c] = max(columns[c], max over rows |x[r, c]|), NaN ignored.
void columnMaximaAvx2(const float *x, int64_t rows, int64_t k, float *columns);

/// One row of quantizeActivations (no smoothing) with AVX2: writes k codes
/// and returns the row's scale; the same bits as numerics::rowScale and
/// numerics::quantizeInt.
float quantizeRowAvx2(const float *x, int64_t k, float qmax, int8_t *codes);

/// roundToBfloat16Rows with AVX2's integer operations.
void roundToBfloat16RowsAvx2(const float *x, int64_t count, float *out);

/// weightOnlyLinear with AVX2 and FMA; groups are multiples of
/// kCodeAlignment or span all of K.
void weightOnlyLinearAvx2(const float *x, int64_t rows,
                          const IntegerWeight &weight, float *y, int64_t ldy,
                          int64_t begin, int64_t end);

/// weightOnlyLinear for packed int4 with AVX-512 (few rows); groups are
/// multiples of kCodeAlignment or span all of K.
void weightOnlyInt4Avx512(const float *x, int64_t rows,
                          const IntegerWeight &weight, float *y, int64_t ldy,
                          int64_t begin, int64_t end);

/// Whether this CPU has AVX512_BF16 besides hasVnni512's features: the bf16
/// weight-only product and conversions.
bool hasBf16512();

/// weightOnlyLinear for 8+ rows of packed int4 with AVX512_BF16; groups are
/// multiples of kCodeAlignment or span all of K.
void weightOnlyGemmBf16(const float *x, int64_t rows,
                        const IntegerWeight &weight, float *y, int64_t ldy,
                        int64_t begin, int64_t end);

/// roundToBfloat16Rows with AVX512_BF16's conversion.
void roundToBfloat16RowsBf16(const float *x, int64_t count, float *out);

/// Row `column` of the weight's codes as int8 in `out` (paddedWidth(k)
/// codes), unpacking int4.
void unpackRow(const IntegerWeight &weight, int64_t column, int8_t *out);

} // namespace qcc::rt

#endif // QCC_RUNTIME_CPU_QLINEARKERNELSINTERNAL_H
