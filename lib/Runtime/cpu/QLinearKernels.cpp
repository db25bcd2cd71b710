//===- QLinearKernels.cpp - x86 kernels of qcc.qlinear --------------------===//
//
// Activation quantization and the portable integer product; the AVX2
// product is in QLinearKernelsAvx2.cpp, chosen at run time.
//
//===----------------------------------------------------------------------===//

#include "lib/Runtime/cpu/QLinearKernels.h"
#include "lib/Runtime/cpu/FloatGemm.h"
#include "lib/Runtime/cpu/QLinearKernelsInternal.h"
#include "lib/Runtime/cpu/ThreadPool.h"
#include "qcc/Numerics/Activations.h"
#include "qcc/Numerics/Formats.h"
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace qcc::rt {

void runtimeSmoothMaxima(const float *x, int64_t rows, int64_t k, int64_t group,
                         float *maxima) {
  // Per column first (a loop that vectorizes), then per group.
  std::vector<float> columns(k, 0.0f);
  if (hasAvx2())
    columnMaximaAvx2(x, rows, k, columns.data());
  else
    for (int64_t row = 0; row < rows; ++row)
      for (int64_t col = 0; col < k; ++col)
        columns[col] = std::max(columns[col], std::fabs(x[row * k + col]));
  int64_t groups = (k + group - 1) / group;
  for (int64_t g = 0; g < groups; ++g) {
    float maximum = 0.0f;
    for (int64_t col = g * group; col < std::min(k, (g + 1) * group); ++col)
      maximum = std::max(maximum, columns[col]);
    maxima[g] = maximum > 0.0f ? maximum : 1.0f;
  }
}

void quantizeActivations(const float *x, int64_t rows, int64_t k, float qmax,
                         const float *maxima, int64_t smoothGroup,
                         int8_t *codes, float *scales) {
  int64_t padded = paddedWidth(k);
  // Runtime Smooth multiplies by 1 / maximum, as the interpreter does.
  std::vector<float> inverses(maxima ? k : 0);
  for (int64_t col = 0; maxima && col < k; ++col)
    inverses[col] = 1.0f / maxima[col / smoothGroup];
  const float *smooth = maxima ? inverses.data() : nullptr;
  // Rows are independent: pieces of at least ~16k values.
  int64_t grain = std::max<int64_t>(1, 16384 / std::max<int64_t>(1, k));
  parallelFor(rows, grain, [&](int64_t begin, int64_t end) {
    std::vector<float> smoothed(maxima ? k : 0);
    for (int64_t row = begin; row < end; ++row) {
      const float *in = x + row * k;
      if (smooth) {
        for (int64_t col = 0; col < k; ++col)
          smoothed[col] = in[col] * smooth[col];
        in = smoothed.data();
      }
      int8_t *out = codes + row * padded;
      if (hasAvx2()) {
        scales[row] = quantizeRowAvx2(in, k, qmax, out);
      } else {
        float scale = numerics::rowScale(in, k, qmax);
        float inverse = 1.0f / scale;
        auto limit = static_cast<int32_t>(qmax);
        for (int64_t col = 0; col < k; ++col)
          out[col] = static_cast<int8_t>(
              numerics::quantizeInt(in[col], inverse, 0, -limit, limit));
        scales[row] = scale;
      }
      std::memset(out + k, 0, padded - k);
    }
  });
}

void packInt4(const int8_t *codes, int64_t n, int64_t k, uint8_t *packed) {
  int64_t padded = paddedWidth(k), half = kCodeAlignment / 2;
  for (int64_t row = 0; row < n; ++row) {
    auto code = [&](int64_t col) -> uint8_t {
      return col < k ? static_cast<uint8_t>(codes[row * k + col]) & 0xF : 0;
    };
    uint8_t *out = packed + row * padded / 2;
    for (int64_t chunk = 0; chunk < padded; chunk += kCodeAlignment)
      for (int64_t j = 0; j < half; ++j)
        out[chunk / 2 + j] =
            static_cast<uint8_t>(code(chunk + j) | code(chunk + j + half) << 4);
  }
}

void integerLinearPortable(const IntegerProduct &product,
                           const IntegerWeight &weight, float *y, int64_t ldy,
                           int64_t begin, int64_t end) {
  int64_t k = weight.k, padded = paddedWidth(k);
  std::vector<int8_t> w(padded);
  for (int64_t column = begin; column < end; ++column) {
    unpackRow(weight, column, w.data());
    for (int64_t row = 0; row < product.rows; ++row) {
      const int8_t *a = product.codes + row * padded;
      float sum = 0.0f;
      for (int64_t start = 0; start < k; start += product.block) {
        int64_t blockEnd = std::min(start + product.block, k);
        int32_t acc = 0;
        // Within a block, two-level scales change at group boundaries.
        for (int64_t s = start; s < blockEnd;) {
          int64_t e =
              std::min(blockEnd, (s / weight.groupSize + 1) * weight.groupSize);
          int32_t dot = 0;
          for (int64_t c = s; c < e; ++c)
            dot += static_cast<int32_t>(a[c]) * w[c];
          acc += dot * integerScale(weight, column, s);
          s = e;
        }
        sum += static_cast<float>(acc) *
               blockScale(product, weight, column, start);
      }
      y[row * ldy + column] = finishOutput(sum, product, weight, row, column);
    }
  }
}

void unpackRow(const IntegerWeight &weight, int64_t column, int8_t *out) {
  int64_t padded = paddedWidth(weight.k), half = kCodeAlignment / 2;
  if (!weight.packedInt4) {
    std::memcpy(out, weight.codes + column * padded, padded);
    return;
  }
  const uint8_t *row = weight.packedInt4 + column * padded / 2;
  for (int64_t chunk = 0; chunk < padded; chunk += kCodeAlignment)
    for (int64_t j = 0; j < half; ++j) {
      uint8_t byte = row[chunk / 2 + j];
      out[chunk + j] = static_cast<int8_t>(((byte & 0xF) ^ 8) - 8);
      out[chunk + j + half] = static_cast<int8_t>(((byte >> 4) ^ 8) - 8);
    }
}

void weightOnlyLinearPortable(const float *x, int64_t rows,
                              const IntegerWeight &weight, float *y,
                              int64_t ldy, int64_t begin, int64_t end) {
  int64_t k = weight.k;
  std::vector<int8_t> w(paddedWidth(k));
  for (int64_t column = begin; column < end; ++column) {
    unpackRow(weight, column, w.data());
    for (int64_t row = 0; row < rows; ++row) {
      float sum = 0.0f;
      for (int64_t start = 0; start < k; start += weight.groupSize) {
        int64_t stop = std::min(start + weight.groupSize, k);
        float group = 0.0f;
        for (int64_t c = start; c < stop; ++c)
          group += numerics::roundToBfloat16(x[row * k + c]) *
                   static_cast<float>(w[c]);
        sum += group * weight.groupScales[column * weight.groups +
                                          start / weight.groupSize];
      }
      y[row * ldy + column] =
          weight.channelScales ? sum * weight.channelScales[column] : sum;
    }
  }
}

/// Many rows: dequantize 16 columns at a time, as the interpreter does
/// (code · (group scale · channel scale)), then one f32 product over all
/// rows, so each code is decoded once rather than once per 4 rows.
void weightOnlyLinearDequantized(const float *x, int64_t rows,
                                 const IntegerWeight &weight, float *y,
                                 int64_t ldy, int64_t begin, int64_t end) {
  constexpr int64_t kColumns = 16;
  int64_t k = weight.k;
  std::vector<int8_t> codes(paddedWidth(k));
  std::vector<float> decoded(kColumns * k), rounded(rows * k);
  roundToBfloat16Rows(x, rows * k, rounded.data());
  for (int64_t first = begin; first < end; first += kColumns) {
    int64_t count = std::min(kColumns, end - first);
    for (int64_t c = 0; c < count; ++c) {
      int64_t column = first + c;
      unpackRow(weight, column, codes.data());
      dequantizeRow(codes.data(), k, weight.groupSize,
                    weight.groupScales + column * weight.groups,
                    weight.channelScales ? weight.channelScales[column] : 1.0f,
                    decoded.data() + c * k);
    }
    multiplyTransposed(rounded.data(), rows, k, decoded.data(), count, k, k,
                       y + first, ldy);
  }
}

void weightOnlyLinear(const float *x, int64_t rows, const IntegerWeight &weight,
                      float *y, int64_t ldy, int64_t begin, int64_t end) {
  bool aligned =
      weight.groupSize % kCodeAlignment == 0 || weight.groupSize >= weight.k;
  if (rows >= kDequantizeRows && aligned && weight.packedInt4 && hasBf16512())
    return weightOnlyGemmBf16(x, rows, weight, y, ldy, begin, end);
  if (rows >= kDequantizeRows)
    return weightOnlyLinearDequantized(x, rows, weight, y, ldy, begin, end);
  if (aligned && weight.packedInt4 && hasVnni512())
    return weightOnlyInt4Avx512(x, rows, weight, y, ldy, begin, end);
  if (aligned && hasAvx2())
    return weightOnlyLinearAvx2(x, rows, weight, y, ldy, begin, end);
  weightOnlyLinearPortable(x, rows, weight, y, ldy, begin, end);
}

void roundToBfloat16Rows(const float *x, int64_t count, float *out) {
  if (hasBf16512())
    return roundToBfloat16RowsBf16(x, count, out);
  if (hasAvx2())
    return roundToBfloat16RowsAvx2(x, count, out);
  for (int64_t i = 0; i < count; ++i)
    out[i] = numerics::roundToBfloat16(x[i]);
}

/// QCC_ISA=portable makes the runtime behave as on a CPU without AVX2
/// (to compare paths, or to check a deployment's refusal).
static bool portableOnly() {
  const char *isa = std::getenv("QCC_ISA");
  return isa && std::strcmp(isa, "portable") == 0;
}

bool hasAvx2() {
  static const bool supported = __builtin_cpu_supports("avx2") &&
                                __builtin_cpu_supports("fma") &&
                                !portableOnly();
  return supported;
}

std::vector<Segment> segmentsOf(const IntegerProduct &product,
                                const IntegerWeight &weight) {
  std::vector<Segment> segments;
  int64_t k = weight.k;
  for (int64_t s = 0; s < k;) {
    int64_t blockStart = s / product.block * product.block;
    int64_t blockEnd = std::min(blockStart + product.block, k);
    int64_t e =
        std::min(blockEnd, (s / weight.groupSize + 1) * weight.groupSize);
    float smooth = product.maxima && e == blockEnd
                       ? product.maxima[blockStart / product.smoothGroup]
                       : 1.0f;
    segments.push_back({s, e == k ? paddedWidth(k) : e, s / weight.groupSize,
                        e == blockEnd, blockStart / weight.groupSize, smooth});
    s = e;
  }
  return segments;
}

void integerLinear(const IntegerProduct &product, const IntegerWeight &weight,
                   float *y, int64_t ldy, int64_t begin, int64_t end) {
  auto aligned = [&](int64_t size) {
    return size % kCodeAlignment == 0 || size >= weight.k;
  };
  bool alignedSizes = aligned(product.block) && aligned(weight.groupSize);
  if (alignedSizes && hasVnni512())
    return product.rows >= kIntegerGemmRows
               ? integerGemmAvx512(product, weight, y, ldy, begin, end)
               : integerGemvAvx512(product, weight, y, ldy, begin, end);
  if (hasAvx2() && alignedSizes)
    return integerLinearAvx2(product, weight, y, ldy, begin, end);
  integerLinearPortable(product, weight, y, ldy, begin, end);
}

} // namespace qcc::rt
