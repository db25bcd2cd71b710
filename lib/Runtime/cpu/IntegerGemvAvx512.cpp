//===- IntegerGemvAvx512.cpp - the integer qlinear product for few rows ---===//
//
// The integer product of QLinearKernels.h for 1-7 activation rows (decode)
// with AVX-512 VNNI on 512-bit registers, reading the weights in the
// layout the lowering stores (rows of codes; int4 in packInt4's order).
// Weights become unsigned by a bias (BiasedCodesAvx512.h), one vpdpbusd
// multiplies 64 of them by 64 activation codes, and the bias comes back out
// per group as bias · Σa. Groups, blocks and the float epilogue follow
// integerLinearPortable: the same bits.
//
//===----------------------------------------------------------------------===//

#include "lib/Runtime/cpu/BiasedCodesAvx512.h"
#include <algorithm>
#include <immintrin.h>
#include <type_traits>
#include <vector>

namespace qcc::rt {

namespace {

constexpr int64_t kMaxRows = 4;
/// The longest weight row (in bytes) read four at a time.
constexpr int64_t kFourStreamBytes = 8192;

/// The lane sums of up to four vectors (missing ones zero), in order.
template <int Count> __m128i laneSums(const __m512i *v) {
  __m512i x[4];
  for (int i = 0; i < 4; ++i)
    x[i] = i < Count ? v[i] : _mm512_setzero_si512();
  __m512i ab = _mm512_add_epi32(_mm512_unpacklo_epi32(x[0], x[1]),
                                _mm512_unpackhi_epi32(x[0], x[1]));
  __m512i cd = _mm512_add_epi32(_mm512_unpacklo_epi32(x[2], x[3]),
                                _mm512_unpackhi_epi32(x[2], x[3]));
  // Each 128-bit lane now holds partial sums of a, b, c, d in order.
  __m512i abcd = _mm512_add_epi32(_mm512_unpacklo_epi64(ab, cd),
                                  _mm512_unpackhi_epi64(ab, cd));
  __m256i half = _mm256_add_epi32(_mm512_castsi512_si256(abcd),
                                  _mm512_extracti64x4_epi64(abcd, 1));
  return _mm_add_epi32(_mm256_castsi256_si128(half),
                       _mm256_extracti128_si256(half, 1));
}

/// y for `Rows` rows by `Columns` columns from (row, column): the integer
/// sums of a block stay in vectors and are reduced together, four at most.
template <bool Int4, int Rows, int Columns>
void multiplyTile(const IntegerProduct &product, const IntegerWeight &weight,
                  const std::vector<Segment> &segments,
                  const int32_t *segmentSums, int64_t row, int64_t column,
                  float *y, int64_t ldy) {
  static_assert(Rows * Columns <= 4, "four sums per reduction");
  constexpr int kUnits = Rows * Columns;
  int64_t padded = paddedWidth(weight.k);
  constexpr int32_t bias = Int4 ? 8 : 128;
  const int8_t *a[Rows];
  for (int r = 0; r < Rows; ++r)
    a[r] = product.codes + (row + r) * padded;
  auto integerScaleOf = [&](int j, const Segment &segment) {
    return weight.integerScales
               ? int32_t(weight.integerScales[(column + j) * weight.groups +
                                              segment.group])
               : 1;
  };
  float sums[kUnits] = {};
  for (size_t s = 0; s < segments.size(); ++s) {
    // One block: its segments, the last of which closes it.
    bool single = segments[s].closesBlock;
    __m512i totals[kUnits];
    int32_t corrections[kUnits] = {};
    for (int u = 0; u < kUnits; ++u)
      totals[u] = _mm512_setzero_si512();
    for (;; ++s) {
      const Segment &segment = segments[s];
      __m512i dots[kUnits];
      for (int u = 0; u < kUnits; ++u)
        dots[u] = _mm512_setzero_si512();
      int64_t c = segment.begin;
      for (; c + 64 <= segment.end; c += 64)
        for (int j = 0; j < Columns; ++j) {
          if constexpr (Int4)
            prefetchInt4(weight, padded, column + Columns + j, c);
          __m512i w = loadBiased64<Int4>(weight, padded, column + j, c);
          for (int r = 0; r < Rows; ++r)
            dots[r * Columns + j] = dotAccumulate(dots[r * Columns + j], w,
                                                  _mm512_loadu_si512(a[r] + c));
        }
      if (c < segment.end)
        for (int j = 0; j < Columns; ++j) {
          __m512i w = _mm512_zextsi256_si512(
              loadBiased32<Int4>(weight, padded, column + j, c));
          for (int r = 0; r < Rows; ++r)
            dots[r * Columns + j] = dotAccumulate(
                dots[r * Columns + j], w,
                _mm512_zextsi256_si512(_mm256_loadu_si256(
                    reinterpret_cast<const __m256i *>(a[r] + c))));
        }
      for (int j = 0; j < Columns; ++j) {
        int32_t scale = integerScaleOf(j, segment);
        for (int r = 0; r < Rows; ++r) {
          int u = r * Columns + j;
          // A block of one segment is scaled after its lane sum (below):
          // the same integer, one multiply instead of sixteen.
          totals[u] = _mm512_add_epi32(
              totals[u],
              single || scale == 1
                  ? dots[u]
                  : _mm512_mullo_epi32(dots[u], _mm512_set1_epi32(scale)));
          corrections[u] +=
              scale * bias * segmentSums[(row + r) * segments.size() + s];
        }
      }
      if (segment.closesBlock)
        break;
    }
    const Segment &closing = segments[s];
    alignas(16) int32_t exact[4];
    _mm_store_si128(reinterpret_cast<__m128i *>(exact),
                    laneSums<kUnits>(totals));
    for (int j = 0; j < Columns; ++j) {
      int32_t integer = single ? integerScaleOf(j, closing) : 1;
      float scale = blockScaleOf(product, weight, column + j, closing);
      for (int r = 0; r < Rows; ++r) {
        int u = r * Columns + j;
        sums[u] +=
            static_cast<float>(exact[u] * integer - corrections[u]) * scale;
      }
    }
  }
  for (int r = 0; r < Rows; ++r)
    for (int j = 0; j < Columns; ++j)
      y[(row + r) * ldy + column + j] = finishOutput(
          sums[r * Columns + j], product, weight, row + r, column + j);
}

template <bool Int4>
void multiplyColumns(const IntegerProduct &product, const IntegerWeight &weight,
                     const std::vector<Segment> &segments,
                     const int32_t *segmentSums, float *y, int64_t ldy,
                     int64_t begin, int64_t end) {
  auto tiles = [&](auto rows, auto columns, int64_t row, int64_t &column) {
    constexpr int R = decltype(rows)::value, C = decltype(columns)::value;
    for (; column + C <= end; column += C)
      multiplyTile<Int4, R, C>(product, weight, segments, segmentSums, row,
                               column, y, ldy);
  };
  using One = std::integral_constant<int, 1>;
  for (int64_t row = 0; row < product.rows; row += kMaxRows) {
    int64_t column = begin;
    switch (std::min(kMaxRows, product.rows - row)) {
    case 4:
      tiles(std::integral_constant<int, 4>(), One(), row, column);
      break;
    case 3:
      tiles(std::integral_constant<int, 3>(), One(), row, column);
      break;
    case 2:
      tiles(std::integral_constant<int, 2>(), std::integral_constant<int, 2>(),
            row, column);
      break;
    default:
      // One row: four weight rows at a time, or two where rows are long
      // (measured: 4096 x 14336 int8 ran at a third of the speed with
      // four streams 14 KiB apart).
      if (weight.k / (Int4 ? 2 : 1) <= kFourStreamBytes)
        tiles(One(), std::integral_constant<int, 4>(), row, column);
      else
        tiles(One(), std::integral_constant<int, 2>(), row, column);
    }
    // Columns left over from wider tiles, one at a time.
    for (int64_t r = row; r < std::min(row + kMaxRows, product.rows); ++r)
      for (int64_t c = column; c < end; ++c)
        multiplyTile<Int4, 1, 1>(product, weight, segments, segmentSums, r, c,
                                 y, ldy);
  }
}

} // namespace

void integerGemvAvx512(const IntegerProduct &product,
                       const IntegerWeight &weight, float *y, int64_t ldy,
                       int64_t begin, int64_t end) {
  std::vector<Segment> segments = segmentsOf(product, weight);
  std::vector<int32_t> sums =
      activationSums(product, paddedWidth(weight.k), segments);
  if (weight.packedInt4)
    return multiplyColumns<true>(product, weight, segments, sums.data(), y, ldy,
                                 begin, end);
  multiplyColumns<false>(product, weight, segments, sums.data(), y, ldy, begin,
                         end);
}

} // namespace qcc::rt
