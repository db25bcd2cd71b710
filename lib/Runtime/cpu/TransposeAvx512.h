//===- TransposeAvx512.h - a 16 x 16 dword transpose -----------*- C++ -*-===//
//
// The panels of the many-row kernels hold one line per step of the
// reduction with that step of 16 columns side by side; the stored layout
// has each column's codes in a row. Only for files compiled with AVX-512 F.
//
//===----------------------------------------------------------------------===//

#ifndef QCC_RUNTIME_CPU_TRANSPOSEAVX512_H
#define QCC_RUNTIME_CPU_TRANSPOSEAVX512_H

#include <immintrin.h>

namespace qcc::rt {
namespace {

/// out[q] = dword q of every row, for 16 rows of 16 dwords.
inline void transpose16x16(const __m512i *rows, __m512i *out) {
  __m512i t[16], u[16];
  for (int i = 0; i < 16; i += 2) {
    t[i] = _mm512_unpacklo_epi32(rows[i], rows[i + 1]);
    t[i + 1] = _mm512_unpackhi_epi32(rows[i], rows[i + 1]);
  }
  // u[g + e], lane L: dword 4L + e of rows g..g+3.
  for (int g = 0; g < 16; g += 4) {
    u[g] = _mm512_unpacklo_epi64(t[g], t[g + 2]);
    u[g + 1] = _mm512_unpackhi_epi64(t[g], t[g + 2]);
    u[g + 2] = _mm512_unpacklo_epi64(t[g + 1], t[g + 3]);
    u[g + 3] = _mm512_unpackhi_epi64(t[g + 1], t[g + 3]);
  }
  for (int e = 0; e < 4; ++e) {
    __m512i even = _mm512_shuffle_i32x4(u[e], u[4 + e], 0x88),
            odd = _mm512_shuffle_i32x4(u[e], u[4 + e], 0xDD),
            evenHigh = _mm512_shuffle_i32x4(u[8 + e], u[12 + e], 0x88),
            oddHigh = _mm512_shuffle_i32x4(u[8 + e], u[12 + e], 0xDD);
    out[e] = _mm512_shuffle_i32x4(even, evenHigh, 0x88);
    out[8 + e] = _mm512_shuffle_i32x4(even, evenHigh, 0xDD);
    out[4 + e] = _mm512_shuffle_i32x4(odd, oddHigh, 0x88);
    out[12 + e] = _mm512_shuffle_i32x4(odd, oddHigh, 0xDD);
  }
}

} // namespace
} // namespace qcc::rt

#endif // QCC_RUNTIME_CPU_TRANSPOSEAVX512_H
