//===- QLinearKernelsAvx2.cpp - qlinear products with AVX2 ----------------===//
//
// The integer product of IntegerDotAvx2.h compiled for AVX2, and the
// weight-only product: codes converted to f32 and accumulated with FMA per
// group, four activation rows sharing each weight load.
//
//===----------------------------------------------------------------------===//

#include "lib/Runtime/cpu/IntegerDotAvx2.h"
#include <algorithm>
#include <immintrin.h>
#include <vector>

namespace qcc::rt {

namespace {

float horizontalSum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_hadd_ps(s, s);
  s = _mm_hadd_ps(s, s);
  return _mm_cvtss_f32(s);
}

template <bool Int4>
void weightOnlyLinearAvx2(const float *x, int64_t rows,
                          const IntegerWeight &weight, float *y, int64_t ldy,
                          int64_t begin, int64_t end) {
  int64_t k = weight.k, padded = paddedWidth(k);
  // Rows of x padded with zeros, so that every chunk loads whole.
  std::vector<float> input(rows * padded, 0.0f);
  for (int64_t r = 0; r < rows; ++r)
    std::copy(x + r * k, x + (r + 1) * k, input.begin() + r * padded);
  for (int64_t column = begin; column < end; ++column)
    for (int64_t first = 0; first < rows; first += kRowTile) {
      int64_t count = std::min(kRowTile, rows - first);
      float sums[kRowTile] = {0.0f, 0.0f, 0.0f, 0.0f};
      for (int64_t start = 0; start < k; start += weight.groupSize) {
        int64_t stop = std::min(start + weight.groupSize, k);
        __m256 acc[kRowTile] = {_mm256_setzero_ps(), _mm256_setzero_ps(),
                                _mm256_setzero_ps(), _mm256_setzero_ps()};
        for (int64_t c = start; c < (stop == k ? padded : stop);
             c += kCodeAlignment) {
          __m256i codes = loadWeights<Int4>(weight, column, c);
          __m128i low = _mm256_castsi256_si128(codes),
                  high = _mm256_extracti128_si256(codes, 1);
          __m256 w[4] = {
              _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(low)),
              _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_srli_si128(low, 8))),
              _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(high)),
              _mm256_cvtepi32_ps(
                  _mm256_cvtepi8_epi32(_mm_srli_si128(high, 8)))};
          for (int64_t r = 0; r < count; ++r) {
            const float *in = &input[(first + r) * padded + c];
            for (int part = 0; part < 4; ++part)
              acc[r] = _mm256_fmadd_ps(_mm256_loadu_ps(in + 8 * part), w[part],
                                       acc[r]);
          }
        }
        float scale =
            weight
                .groupScales[column * weight.groups + start / weight.groupSize];
        for (int64_t r = 0; r < count; ++r)
          sums[r] += horizontalSum(acc[r]) * scale;
      }
      for (int64_t r = 0; r < count; ++r)
        y[(first + r) * ldy + column] =
            weight.channelScales ? sums[r] * weight.channelScales[column]
                                 : sums[r];
    }
}

} // namespace

void weightOnlyLinearAvx2(const float *x, int64_t rows,
                          const IntegerWeight &weight, float *y, int64_t ldy,
                          int64_t begin, int64_t end) {
  if (weight.packedInt4)
    return weightOnlyLinearAvx2<true>(x, rows, weight, y, ldy, begin, end);
  weightOnlyLinearAvx2<false>(x, rows, weight, y, ldy, begin, end);
}

void integerLinearAvx2(const IntegerProduct &product,
                       const IntegerWeight &weight, float *y, int64_t ldy,
                       int64_t begin, int64_t end) {
  if (weight.packedInt4)
    return integerLinearTiled<true, false>(product, weight, y, ldy, begin, end);
  integerLinearTiled<false, false>(product, weight, y, ldy, begin, end);
}

} // namespace qcc::rt
