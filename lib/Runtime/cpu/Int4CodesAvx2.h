//===- Int4CodesAvx2.h - packed int4 codes into a register -----*- C++ -*-===//
//
// Only for files compiled with AVX2 (the AVX2 and AVX-512 kernels).
//
//===----------------------------------------------------------------------===//

#ifndef QCC_RUNTIME_CPU_INT4CODESAVX2_H
#define QCC_RUNTIME_CPU_INT4CODESAVX2_H

#include "lib/Runtime/cpu/QLinearKernels.h"
#include <immintrin.h>

namespace qcc::rt {
namespace {

/// 32 int4 codes of `column` from code c (packInt4's layout), in order,
/// plus 8: unsigned, in [0, 15].
__m256i loadBiasedInt4(const IntegerWeight &weight, int64_t column, int64_t c) {
  int64_t padded = paddedWidth(weight.k);
  __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i *>(
      weight.packedInt4 + (column * padded + c) / 2));
  const __m128i low = _mm_set1_epi8(0x0F);
  __m256i nibbles = _mm256_set_m128i(
      _mm_and_si128(_mm_srli_epi16(bytes, 4), low), _mm_and_si128(bytes, low));
  return _mm256_xor_si256(nibbles, _mm256_set1_epi8(8));
}

} // namespace
} // namespace qcc::rt

#endif // QCC_RUNTIME_CPU_INT4CODESAVX2_H
