//===- BiasedCodesAvx512.h - weight codes as unsigned bytes ----*- C++ -*-===//
//
// vpdpbusd multiplies unsigned by signed bytes, so the integer kernels read
// weight codes with a bias that makes them unsigned: int8 + 128 (the sign
// bit flipped), int4 + 8 (the nibble's top bit flipped), and take
// bias · Σa back out of each exact sum. 32 packed int4 bytes (packInt4)
// hold codes 0-15 | 32-47 in their low nibbles and 16-31 | 48-63 in their
// high ones: spread over the four 128-bit lanes as B0 B0 B1 B1, with the
// odd lanes shifted by 4, the lanes hold the codes in order.
//
// Only for files compiled with AVX-512 F and BW.
//
//===----------------------------------------------------------------------===//

#ifndef QCC_RUNTIME_CPU_BIASEDCODESAVX512_H
#define QCC_RUNTIME_CPU_BIASEDCODESAVX512_H

#include "lib/Runtime/cpu/Int4CodesAvx2.h"
#include "lib/Runtime/cpu/QLinearKernelsInternal.h"
#include <immintrin.h>
#include <vector>

namespace qcc::rt {
namespace {

/// acc + Σ of four u8 × s8 products per int32 lane (vpdpbusd), in place.
/// The intrinsic makes GCC 12 copy every accumulator of an unrolled tile
/// in and out of a scratch register on each step; tying the operand keeps
/// the accumulators where they are.
inline __m512i dotAccumulate(__m512i acc, __m512i unsignedBytes,
                             __m512i signedBytes) {
  asm("vpdpbusd %2, %1, %0" : "+v"(acc) : "v"(unsignedBytes), "v"(signedBytes));
  return acc;
}

/// 64 weight codes of `column` from code c, biased to unsigned.
template <bool Int4>
__m512i loadBiased64(const IntegerWeight &weight, int64_t padded,
                     int64_t column, int64_t c) {
  if constexpr (!Int4)
    return _mm512_xor_si512(
        _mm512_loadu_si512(weight.codes + column * padded + c),
        _mm512_set1_epi8(static_cast<char>(0x80)));
  __m256i bytes = _mm256_loadu_si256(reinterpret_cast<const __m256i *>(
      weight.packedInt4 + (column * padded + c) / 2));
  __m512i spread = _mm512_shuffle_i64x2(_mm512_castsi256_si512(bytes),
                                        _mm512_castsi256_si512(bytes),
                                        _MM_SHUFFLE(1, 1, 0, 0));
  __m512i shifted = _mm512_srlv_epi16(
      spread, _mm512_setr_epi64(0, 0, 0x0004000400040004, 0x0004000400040004, 0,
                                0, 0x0004000400040004, 0x0004000400040004));
  // (x & 0x0F) ^ 0x08 in one ternary-logic op.
  return _mm512_ternarylogic_epi32(shifted, _mm512_set1_epi8(0x0F),
                                   _mm512_set1_epi8(0x08), 0x6A);
}

/// 32 weight codes from code c (the last chunk of a row), biased.
template <bool Int4>
__m256i loadBiased32(const IntegerWeight &weight, int64_t padded,
                     int64_t column, int64_t c) {
  if constexpr (!Int4)
    return _mm256_xor_si256(
        _mm256_loadu_si256(reinterpret_cast<const __m256i *>(
            weight.codes + column * padded + c)),
        _mm256_set1_epi8(static_cast<char>(0x80)));
  return loadBiasedInt4(weight, column, c);
}

/// Σa per activation row and segment, [rows, segments], for taking the
/// bias back out: vpdpbusd against ones. Codes are rows of `padded`.
std::vector<int32_t> activationSums(const IntegerProduct &product,
                                    int64_t padded,
                                    const std::vector<Segment> &segments) {
  std::vector<int32_t> sums(product.rows * segments.size());
  const __m512i ones = _mm512_set1_epi8(1);
  for (int64_t r = 0; r < product.rows; ++r)
    for (size_t s = 0; s < segments.size(); ++s) {
      const int8_t *codes = product.codes + r * padded;
      __m512i sum = _mm512_setzero_si512();
      int64_t j = segments[s].begin;
      for (; j + 64 <= segments[s].end; j += 64)
        sum = dotAccumulate(sum, ones, _mm512_loadu_si512(codes + j));
      if (j < segments[s].end) // segments end at multiples of 32
        sum = dotAccumulate(sum, ones,
                            _mm512_zextsi256_si512(_mm256_loadu_si256(
                                reinterpret_cast<const __m256i *>(codes + j))));
      sums[r * segments.size() + s] = _mm512_reduce_add_epi32(sum);
    }
  return sums;
}

} // namespace
} // namespace qcc::rt

#endif // QCC_RUNTIME_CPU_BIASEDCODESAVX512_H
