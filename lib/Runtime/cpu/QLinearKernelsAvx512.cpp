//===- QLinearKernelsAvx512.cpp - the int4 weight-only GEMV, AVX-512 -----===//
//
// w4a16 with few activation rows (decode) reads each int4 weight once and
// is bound by decoding codes to f32. AVX-512 decodes 16 codes with one
// vpermps on a 16-entry table (it reads the low four bits of each lane, so
// no mask): a 16-byte chunk, zero-extended to 16 lanes, gives the low
// nibbles (codes j) and, shifted by 4, the high ones (codes j + 16), in
// packInt4's order. Each group's lanes are scaled in the vector; one
// horizontal sum per output. One activation row feeds four columns.
//
//===----------------------------------------------------------------------===//

#include "lib/Runtime/cpu/QLinearKernelsInternal.h"
#include "lib/Runtime/cpu/TileRows.h"
#include <algorithm>
#include <immintrin.h>
#include <vector>

namespace qcc::rt {

namespace {

/// The value of each 4-bit two's-complement code.
__m512 codeValues() {
  return _mm512_setr_ps(0, 1, 2, 3, 4, 5, 6, 7, -8, -7, -6, -5, -4, -3, -2, -1);
}

/// y[r, column + j] for `Rows` rows of padded input and `Columns`
/// neighbouring output columns (templates, so that the accumulators stay in
/// registers): each activation load feeds every column, and the columns'
/// sums are independent chains of multiply-adds. Each column's arithmetic
/// is the same, in the same order, whatever the tile.
template <int Rows, int Columns>
void columnDots(const float *input, int64_t padded, const IntegerWeight &weight,
                int64_t column, float *y, int64_t ldy) {
  static_assert(Rows * Columns <= 4, "registers for 4 sums of two halves");
  const __m512 values = codeValues();
  const uint8_t *packed[Columns];
  const float *scales[Columns];
  for (int j = 0; j < Columns; ++j) {
    packed[j] = weight.packedInt4 + (column + j) * padded / 2;
    scales[j] = weight.groupScales + (column + j) * weight.groups;
  }
  __m512 totals[Rows][Columns];
  for (int r = 0; r < Rows; ++r)
    for (int j = 0; j < Columns; ++j)
      totals[r][j] = _mm512_setzero_ps();
  for (int64_t start = 0, g = 0; start < weight.k;
       start += weight.groupSize, ++g) {
    int64_t stop = std::min(start + weight.groupSize, weight.k);
    if (stop == weight.k)
      stop = padded;
    __m512 low[Rows][Columns], high[Rows][Columns];
    for (int r = 0; r < Rows; ++r)
      for (int j = 0; j < Columns; ++j)
        low[r][j] = high[r][j] = _mm512_setzero_ps();
    for (int64_t c = start; c < stop; c += kCodeAlignment) {
      __m512 first[Columns], second[Columns];
      for (int j = 0; j < Columns; ++j) {
        if (Columns > 1 && c % 128 == 0) // a line of 128 codes
          prefetchInt4(weight, padded, column + Columns + j, c);
        __m512i bytes = _mm512_cvtepu8_epi32(_mm_loadu_si128(
            reinterpret_cast<const __m128i *>(packed[j] + c / 2)));
        first[j] = _mm512_permutexvar_ps(bytes, values);
        second[j] = _mm512_permutexvar_ps(_mm512_srli_epi32(bytes, 4), values);
      }
      for (int r = 0; r < Rows; ++r) {
        const float *in = input + r * padded + c;
        __m512 x0 = _mm512_loadu_ps(in), x1 = _mm512_loadu_ps(in + 16);
        for (int j = 0; j < Columns; ++j) {
          low[r][j] = _mm512_fmadd_ps(x0, first[j], low[r][j]);
          high[r][j] = _mm512_fmadd_ps(x1, second[j], high[r][j]);
        }
      }
    }
    for (int j = 0; j < Columns; ++j) {
      __m512 scale = _mm512_set1_ps(scales[j][g]);
      for (int r = 0; r < Rows; ++r)
        totals[r][j] = _mm512_fmadd_ps(_mm512_add_ps(low[r][j], high[r][j]),
                                       scale, totals[r][j]);
    }
  }
  for (int r = 0; r < Rows; ++r)
    for (int j = 0; j < Columns; ++j) {
      float sum = _mm512_reduce_add_ps(totals[r][j]);
      y[r * ldy + column + j] =
          weight.channelScales ? sum * weight.channelScales[column + j] : sum;
    }
}

} // namespace

void weightOnlyInt4Avx512(const float *x, int64_t rows,
                          const IntegerWeight &weight, float *y, int64_t ldy,
                          int64_t begin, int64_t end) {
  int64_t padded = paddedWidth(weight.k);
  std::vector<float> input = paddedBfloat16Rows(x, rows, weight.k);
  // One row: four columns a tile (measured on a Xeon with AVX-512: the
  // single-column chains of multiply-adds held it at a quarter of the read
  // bandwidth); more rows: one column, up to four rows a tile.
  int64_t column = begin;
  if (rows == 1)
    for (; column + 4 <= end; column += 4)
      columnDots<1, 4>(input.data(), padded, weight, column, y, ldy);
  for (; column < end; ++column)
    for (int64_t first = 0; first < rows; first += 4)
      withTileRows<4>(rows - first, [&](auto count) {
        columnDots<decltype(count)::value, 1>(input.data() + first * padded,
                                              padded, weight, column,
                                              y + first * ldy, ldy);
      });
}

} // namespace qcc::rt
