//===- QLinearKernelsAvx2.cpp - qlinear products with AVX2 ----------------===//
//
// The products of CPUs with AVX2 but no AVX-512. The integer one: four
// activation rows share each 32-code load of a weight row (int8, or int4
// unpacked in registers); products come from vpmaddubsw on |w| and
// a · sign(w) (|w| <= 128 and |a| <= 127, so a pair of products fits
// int16; int4 on w + 8 and a, less 8 · Σa), widened to int32 by vpmaddwd,
// exact per scale group, then scaled in float as the portable path does.
// The weight-only one: codes converted to f32 and accumulated with FMA per
// group. Also the row quantizer and column maxima of the activations.
//
//===----------------------------------------------------------------------===//

#include "lib/Runtime/cpu/Int4CodesAvx2.h"
#include "lib/Runtime/cpu/QLinearKernelsInternal.h"
#include "qcc/Numerics/Formats.h"
#include <algorithm>
#include <cmath>
#include <immintrin.h>
#include <vector>

namespace qcc::rt {

namespace {

constexpr int64_t kRowTile = 4;

int32_t horizontalSum(__m256i v) {
  __m128i s =
      _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  s = _mm_hadd_epi32(s, s);
  s = _mm_hadd_epi32(s, s);
  return _mm_cvtsi128_si32(s);
}

/// 32 weight codes from column c: int8, or int4 unpacked in order and
/// sign-extended.
template <bool Int4>
__m256i loadWeights(const IntegerWeight &weight, int64_t column, int64_t c) {
  int64_t padded = paddedWidth(weight.k);
  if constexpr (!Int4)
    return _mm256_loadu_si256(
        reinterpret_cast<const __m256i *>(weight.codes + column * padded + c));
  return _mm256_sub_epi8(loadBiasedInt4(weight, column, c),
                         _mm256_set1_epi8(8));
}

/// Σ_g scale_g · Σ a·w over the groups g of columns [start, end) of up to
/// kRowTile activation rows (scale_g the two-level integer scale, or 1),
/// end rounded up to the padded width, whose codes are zero. int8 weights
/// multiply as |w| · (a · sign(w)); int4 ones as (w + 8) · a, less 8 · Σa,
/// which `prefix` (per row, Σa before each 32-column chunk) gives. Each
/// group's lane sums are scaled in the vector, so one horizontal sum
/// serves the whole block; integer sums are exact in any order.
template <bool Int4>
void blockDots(const IntegerWeight &weight, int64_t column,
               const int8_t *const *a, const int32_t *const *prefix,
               int64_t rows, int64_t start, int64_t end, int32_t *dots) {
  const __m256i ones = _mm256_set1_epi16(1);
  int64_t padded = paddedWidth(weight.k);
  __m256i totals[kRowTile] = {_mm256_setzero_si256(), _mm256_setzero_si256(),
                              _mm256_setzero_si256(), _mm256_setzero_si256()};
  int32_t corrections[kRowTile] = {0, 0, 0, 0};
  for (int64_t s = start; s < end;) {
    int64_t e = std::min(end, (s / weight.groupSize + 1) * weight.groupSize);
    int64_t stop = e == weight.k ? padded : e;
    __m256i sums[kRowTile] = {_mm256_setzero_si256(), _mm256_setzero_si256(),
                              _mm256_setzero_si256(), _mm256_setzero_si256()};
    for (int64_t c = s; c < stop; c += kCodeAlignment) {
      __m256i weights, magnitudes;
      if constexpr (Int4) {
        magnitudes = loadBiasedInt4(weight, column, c);
      } else {
        weights = loadWeights<false>(weight, column, c);
        magnitudes = _mm256_abs_epi8(weights);
      }
      for (int64_t r = 0; r < rows; ++r) {
        __m256i codes =
            _mm256_loadu_si256(reinterpret_cast<const __m256i *>(a[r] + c));
        if constexpr (!Int4)
          codes = _mm256_sign_epi8(codes, weights);
        __m256i pairs = _mm256_maddubs_epi16(magnitudes, codes);
        sums[r] = _mm256_add_epi32(sums[r], _mm256_madd_epi16(pairs, ones));
      }
    }
    int32_t scale = integerScale(weight, column, s);
    for (int64_t r = 0; r < rows; ++r) {
      totals[r] =
          scale == 1 ? _mm256_add_epi32(totals[r], sums[r])
                     : _mm256_add_epi32(totals[r],
                                        _mm256_mullo_epi32(
                                            sums[r], _mm256_set1_epi32(scale)));
      if constexpr (Int4)
        corrections[r] +=
            scale * 8 *
            (prefix[r][stop / kCodeAlignment] - prefix[r][s / kCodeAlignment]);
    }
    s = e;
  }
  for (int64_t r = 0; r < rows; ++r)
    dots[r] = horizontalSum(totals[r]) - corrections[r];
}

template <bool Int4>
void integerLinearTiled(const IntegerProduct &product,
                        const IntegerWeight &weight, float *y, int64_t ldy,
                        int64_t begin, int64_t end) {
  int64_t k = weight.k, padded = paddedWidth(k);
  int64_t chunks = padded / kCodeAlignment;
  std::vector<int32_t> prefixes(Int4 ? product.rows * (chunks + 1) : 0);
  for (int64_t r = 0; Int4 && r < product.rows; ++r) {
    const int8_t *row = product.codes + r * padded;
    int32_t *prefix = &prefixes[r * (chunks + 1)];
    prefix[0] = 0;
    for (int64_t chunk = 0; chunk < chunks; ++chunk) {
      int32_t sum = 0;
      for (int64_t j = 0; j < kCodeAlignment; ++j)
        sum += row[chunk * kCodeAlignment + j];
      prefix[chunk + 1] = prefix[chunk] + sum;
    }
  }
  for (int64_t column = begin; column < end; ++column) {
    for (int64_t first = 0; first < product.rows; first += kRowTile) {
      int64_t rows = std::min(kRowTile, product.rows - first);
      const int8_t *a[kRowTile];
      const int32_t *prefix[kRowTile] = {};
      for (int64_t r = 0; r < rows; ++r) {
        a[r] = product.codes + (first + r) * padded;
        if constexpr (Int4)
          prefix[r] = &prefixes[(first + r) * (chunks + 1)];
      }
      float sums[kRowTile] = {0.0f, 0.0f, 0.0f, 0.0f};
      for (int64_t start = 0; start < k; start += product.block) {
        int64_t blockEnd = std::min(start + product.block, k);
        int32_t acc[kRowTile];
        blockDots<Int4>(weight, column, a, prefix, rows, start, blockEnd, acc);
        float scale = blockScale(product, weight, column, start);
        for (int64_t r = 0; r < rows; ++r)
          sums[r] += static_cast<float>(acc[r]) * scale;
      }
      for (int64_t r = 0; r < rows; ++r)
        y[(first + r) * ldy + column] =
            finishOutput(sums[r], product, weight, first + r, column);
    }
  }
}

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
  std::vector<float> input = paddedBfloat16Rows(x, rows, k);
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

void columnMaximaAvx2(const float *x, int64_t rows, int64_t k, float *columns) {
  const __m256 magnitude = _mm256_castsi256_ps(_mm256_set1_epi32(0x7FFFFFFF));
  int64_t vectorEnd = k / 8 * 8;
  for (int64_t row = 0; row < rows; ++row) {
    const float *in = x + row * k;
    // max(|x|, m) keeps m where x is NaN, as std::max(m, |x|) does.
    for (int64_t c = 0; c < vectorEnd; c += 8)
      _mm256_storeu_ps(
          columns + c,
          _mm256_max_ps(_mm256_and_ps(_mm256_loadu_ps(in + c), magnitude),
                        _mm256_loadu_ps(columns + c)));
    for (int64_t c = vectorEnd; c < k; ++c)
      columns[c] = std::max(columns[c], std::fabs(in[c]));
  }
}

float quantizeRowAvx2(const float *x, int64_t k, float qmax, int8_t *codes) {
  const __m256 magnitude = _mm256_castsi256_ps(_mm256_set1_epi32(0x7FFFFFFF));
  int64_t vectorEnd = k / 8 * 8;
  // max|x| ignoring NaN, as std::fmax does; the order does not matter.
  __m256 maxima = _mm256_setzero_ps();
  for (int64_t c = 0; c < vectorEnd; c += 8)
    maxima =
        _mm256_max_ps(_mm256_and_ps(_mm256_loadu_ps(x + c), magnitude), maxima);
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, maxima);
  float absmax = 0.0f;
  for (float lane : lanes)
    absmax = std::fmax(absmax, lane);
  for (int64_t c = vectorEnd; c < k; ++c)
    absmax = std::fmax(absmax, std::fabs(x[c]));
  float scale = absmax > 0.0f ? absmax / qmax : 1.0f;
  float inverse = 1.0f / scale;
  // rne(x · inverse), NaN to 0, clamped to ±qmax: numerics::quantizeInt.
  const __m256 factor = _mm256_set1_ps(inverse), high = _mm256_set1_ps(qmax),
               low = _mm256_set1_ps(-qmax);
  for (int64_t c = 0; c < vectorEnd; c += 8) {
    __m256 scaled = _mm256_mul_ps(_mm256_loadu_ps(x + c), factor);
    __m256 rounded =
        _mm256_round_ps(scaled, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    rounded = _mm256_and_ps(rounded, _mm256_cmp_ps(scaled, scaled, _CMP_ORD_Q));
    rounded = _mm256_min_ps(_mm256_max_ps(rounded, low), high);
    __m128i words = _mm_packs_epi32(
        _mm256_castsi256_si128(_mm256_cvtps_epi32(rounded)),
        _mm256_extracti128_si256(_mm256_cvtps_epi32(rounded), 1));
    _mm_storel_epi64(reinterpret_cast<__m128i *>(codes + c),
                     _mm_packs_epi16(words, words));
  }
  auto limit = static_cast<int32_t>(qmax);
  for (int64_t c = vectorEnd; c < k; ++c)
    codes[c] = static_cast<int8_t>(
        numerics::quantizeInt(x[c], inverse, 0, -limit, limit));
  return scale;
}

void weightOnlyLinearAvx2(const float *x, int64_t rows,
                          const IntegerWeight &weight, float *y, int64_t ldy,
                          int64_t begin, int64_t end) {
  if (weight.packedInt4)
    return weightOnlyLinearAvx2<true>(x, rows, weight, y, ldy, begin, end);
  weightOnlyLinearAvx2<false>(x, rows, weight, y, ldy, begin, end);
}

void roundToBfloat16RowsAvx2(const float *x, int64_t count, float *out) {
  // numerics::roundToBfloat16, eight lanes at a time.
  const __m256i one = _mm256_set1_epi32(1), half = _mm256_set1_epi32(0x7FFF),
                high = _mm256_set1_epi32(static_cast<int>(0xFFFF0000u)),
                sign = _mm256_set1_epi32(static_cast<int>(0x80000000u)),
                exponent = _mm256_set1_epi32(0x7F800000),
                quiet = _mm256_set1_epi32(0x00400000);
  int64_t i = 0;
  for (; i + 8 <= count; i += 8) {
    __m256i bits = _mm256_loadu_si256(reinterpret_cast<const __m256i *>(x + i));
    __m256i magnitude = _mm256_andnot_si256(sign, bits);
    __m256i nan = _mm256_cmpgt_epi32(magnitude, exponent);
    __m256i subnormal = _mm256_cmpeq_epi32(_mm256_and_si256(bits, exponent),
                                           _mm256_setzero_si256());
    __m256i lsb = _mm256_and_si256(_mm256_srli_epi32(bits, 16), one);
    __m256i rounded = _mm256_and_si256(
        _mm256_add_epi32(_mm256_add_epi32(bits, half), lsb), high);
    __m256i quieted = _mm256_and_si256(_mm256_or_si256(bits, quiet), high);
    __m256i result = _mm256_blendv_epi8(rounded, quieted, nan);
    result =
        _mm256_blendv_epi8(result, _mm256_and_si256(bits, sign), subnormal);
    _mm256_storeu_si256(reinterpret_cast<__m256i *>(out + i), result);
  }
  for (; i < count; ++i)
    out[i] = numerics::roundToBfloat16(x[i]);
}

void integerLinearAvx2(const IntegerProduct &product,
                       const IntegerWeight &weight, float *y, int64_t ldy,
                       int64_t begin, int64_t end) {
  if (weight.packedInt4)
    return integerLinearTiled<true>(product, weight, y, ldy, begin, end);
  integerLinearTiled<false>(product, weight, y, ldy, begin, end);
}

} // namespace qcc::rt
