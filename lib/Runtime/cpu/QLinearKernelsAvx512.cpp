//===- QLinearKernelsAvx512.cpp - the int4 weight-only GEMV, AVX-512 -----===//
//
// w4a16 with few activation rows (decode) reads each int4 weight once and
// is bound by decoding codes to f32. AVX-512 decodes 16 codes with one
// vpermps on a 16-entry table (it reads the low four bits of each lane, so
// no mask): a 16-byte chunk, zero-extended to 16 lanes, gives the low
// nibbles (codes j) and, shifted by 4, the high ones (codes j + 16), in
// packInt4's order. Each group's lanes are scaled in the vector; one
// horizontal sum per output.
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

/// y[r, column] for `Rows` rows of padded input (a template, so that the
/// accumulators stay in registers).
template <int Rows>
void columnDots(const float *input, int64_t padded, const IntegerWeight &weight,
                int64_t column, float *y, int64_t ldy) {
  const __m512 values = codeValues();
  const uint8_t *packed = weight.packedInt4 + column * padded / 2;
  const float *scales = weight.groupScales + column * weight.groups;
  __m512 totals[Rows];
  for (int r = 0; r < Rows; ++r)
    totals[r] = _mm512_setzero_ps();
  for (int64_t start = 0, g = 0; start < weight.k;
       start += weight.groupSize, ++g) {
    int64_t stop = std::min(start + weight.groupSize, weight.k);
    if (stop == weight.k)
      stop = padded;
    __m512 low[Rows], high[Rows];
    for (int r = 0; r < Rows; ++r)
      low[r] = high[r] = _mm512_setzero_ps();
    for (int64_t c = start; c < stop; c += kCodeAlignment) {
      __m512i bytes = _mm512_cvtepu8_epi32(
          _mm_loadu_si128(reinterpret_cast<const __m128i *>(packed + c / 2)));
      __m512 first = _mm512_permutexvar_ps(bytes, values);
      __m512 second =
          _mm512_permutexvar_ps(_mm512_srli_epi32(bytes, 4), values);
      for (int r = 0; r < Rows; ++r) {
        const float *in = input + r * padded + c;
        low[r] = _mm512_fmadd_ps(_mm512_loadu_ps(in), first, low[r]);
        high[r] = _mm512_fmadd_ps(_mm512_loadu_ps(in + 16), second, high[r]);
      }
    }
    __m512 scale = _mm512_set1_ps(scales[g]);
    for (int r = 0; r < Rows; ++r)
      totals[r] =
          _mm512_fmadd_ps(_mm512_add_ps(low[r], high[r]), scale, totals[r]);
  }
  for (int r = 0; r < Rows; ++r) {
    float sum = _mm512_reduce_add_ps(totals[r]);
    y[r * ldy + column] =
        weight.channelScales ? sum * weight.channelScales[column] : sum;
  }
}

} // namespace

void weightOnlyInt4Avx512(const float *x, int64_t rows,
                          const IntegerWeight &weight, float *y, int64_t ldy,
                          int64_t begin, int64_t end) {
  int64_t padded = paddedWidth(weight.k);
  std::vector<float> input = paddedRows(x, rows, weight.k);
  for (int64_t column = begin; column < end; ++column)
    for (int64_t first = 0; first < rows; first += 4)
      withTileRows<4>(rows - first, [&](auto count) {
        columnDots<decltype(count)::value>(input.data() + first * padded,
                                           padded, weight, column,
                                           y + first * ldy, ldy);
      });
}

} // namespace qcc::rt
