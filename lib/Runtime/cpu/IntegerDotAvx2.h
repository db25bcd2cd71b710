//===- IntegerDotAvx2.h - the integer qlinear product, per ISA --*- C++ -*-===//
//
// Four activation rows share each 32-code load of a weight row (int8, or
// int4 unpacked in registers). Integer products come from vpmaddubsw on |w|
// and a · sign(w) (|w| <= 128 and |a| <= 127, so a pair of products fits
// int16; int4 on w + 8 and a, less 8 · Σa), widened to int32 by vpmaddwd, or
// with VNNI from one vpdpbusd (the same u8 × s8 products, summed straight
// into int32: identical results, as no int16 pair can saturate). Sums are
// exact per scale group, then scaled in float as the portable path does.
//
// Included by one source file per instruction set, each compiled for it:
// QLinearKernelsAvx2.cpp (AVX2) and QLinearKernelsVnni.cpp (AVX-512 VNNI
// on 256-bit registers).
//
//===----------------------------------------------------------------------===//

#ifndef QCC_RUNTIME_CPU_INTEGERDOTAVX2_H
#define QCC_RUNTIME_CPU_INTEGERDOTAVX2_H

#include "lib/Runtime/cpu/QLinearKernelsInternal.h"
#include <algorithm>
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

/// 32 int4 codes from column c, plus 8: unsigned, in [0, 15].
__m256i loadBiasedInt4(const IntegerWeight &weight, int64_t column, int64_t c) {
  int64_t padded = paddedWidth(weight.k);
  __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i *>(
      weight.packedInt4 + (column * padded + c) / 2));
  const __m128i low = _mm_set1_epi8(0x0F);
  __m256i nibbles = _mm256_set_m128i(
      _mm_and_si128(_mm_srli_epi16(bytes, 4), low), _mm_and_si128(bytes, low));
  return _mm256_xor_si256(nibbles, _mm256_set1_epi8(8));
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
template <bool Int4, bool Vnni>
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
        if constexpr (Vnni) {
          sums[r] = _mm256_dpbusd_epi32(sums[r], magnitudes, codes);
        } else {
          __m256i pairs = _mm256_maddubs_epi16(magnitudes, codes);
          sums[r] = _mm256_add_epi32(sums[r], _mm256_madd_epi16(pairs, ones));
        }
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

template <bool Int4, bool Vnni>
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
        blockDots<Int4, Vnni>(weight, column, a, prefix, rows, start, blockEnd,
                              acc);
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

} // namespace
} // namespace qcc::rt

#endif // QCC_RUNTIME_CPU_INTEGERDOTAVX2_H
