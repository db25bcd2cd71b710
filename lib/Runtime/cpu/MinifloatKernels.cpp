//===- MinifloatKernels.cpp - x86 kernels of fp8 and fp4 qlinear ----------===//

#include "MinifloatKernels.h"
#include "FloatGemm.h"
#include "qcc/Numerics/Formats.h"
#include <algorithm>
#include <array>
#include <vector>

using namespace qcc::rt;
namespace num = qcc::numerics;

namespace {

/// Output columns decoded at a time: their f32 rows stay in cache while
/// every activation row passes over them.
constexpr int64_t kColumns = 16;

const std::array<float, 256> &e4m3Table() {
  static const std::array<float, 256> table = [] {
    std::array<float, 256> values;
    for (int code = 0; code < 256; ++code)
      values[code] = num::decodeE4M3(static_cast<uint8_t>(code));
    return values;
  }();
  return table;
}

const std::array<float, 16> &e2m1Table() {
  static const std::array<float, 16> table = [] {
    std::array<float, 16> values;
    for (int code = 0; code < 16; ++code)
      values[code] = num::decodeE2M1(static_cast<uint8_t>(code));
    return values;
  }();
  return table;
}

/// Code values of columns [first, first + count) into out [count, k].
void decodeColumns(const MinifloatWeight &w, int64_t first, int64_t count,
                   float *out) {
  for (int64_t c = 0; c < count; ++c) {
    float *row = out + c * w.k;
    if (w.e2m1) {
      const std::array<float, 16> &table = e2m1Table();
      const uint8_t *codes = w.codes + (first + c) * ((w.k + 1) / 2);
      for (int64_t j = 0; j < w.k; ++j)
        row[j] = table[(codes[j / 2] >> (4 * (j % 2))) & 0xF];
    } else {
      const std::array<float, 256> &table = e4m3Table();
      const uint8_t *codes = w.codes + (first + c) * w.k;
      for (int64_t j = 0; j < w.k; ++j)
        row[j] = table[codes[j]];
    }
  }
}

} // namespace

void qcc::rt::minifloatWeightOnlyLinear(const float *x, int64_t rows,
                                        const MinifloatWeight &w, float *y,
                                        int64_t ldy, int64_t begin,
                                        int64_t end) {
  std::vector<float> decoded(kColumns * w.k);
  for (int64_t first = begin; first < end; first += kColumns) {
    int64_t count = std::min(kColumns, end - first);
    decodeColumns(w, first, count, decoded.data());
    // The dequantized weight, as the interpreter forms it.
    for (int64_t c = 0; c < count; ++c) {
      float *row = decoded.data() + c * w.k;
      dequantizeRow(row, w.k, w.groupSize,
                    w.groupScales + (first + c) * w.groups,
                    w.channelScales ? w.channelScales[first + c] : 1.0f, row);
    }
    multiplyTransposed(x, rows, w.k, decoded.data(), count, w.k, w.k, y + first,
                       ldy);
  }
}

void qcc::rt::minifloatLinear(const float *codes, const float *tokenScales,
                              int64_t rows, int64_t block, const float *maxima,
                              int64_t smoothGroup, const MinifloatWeight &w,
                              float *y, int64_t ldy, int64_t begin,
                              int64_t end) {
  std::vector<float> decoded(kColumns * w.k), sums(rows * kColumns),
      part(rows * kColumns);
  for (int64_t first = begin; first < end; first += kColumns) {
    int64_t count = std::min(kColumns, end - first);
    decodeColumns(w, first, count, decoded.data());
    std::fill(sums.begin(), sums.end(), 0.0f);
    for (int64_t start = 0; start < w.k; start += block) {
      int64_t size = std::min(block, w.k - start);
      multiplyTransposed(codes + start, rows, w.k, decoded.data() + start,
                         count, w.k, size, part.data(), count);
      for (int64_t c = 0; c < count; ++c) {
        float scale =
            w.groupScales[(first + c) * w.groups + start / w.groupSize];
        if (maxima)
          scale *= maxima[start / smoothGroup];
        for (int64_t r = 0; r < rows; ++r)
          sums[r * count + c] += part[r * count + c] * scale;
      }
    }
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < count; ++c) {
        float value = sums[r * count + c] * tokenScales[r];
        if (w.channelScales)
          value *= w.channelScales[first + c];
        y[r * ldy + first + c] = value;
      }
  }
}
