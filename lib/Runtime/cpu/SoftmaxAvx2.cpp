//===- SoftmaxAvx2.cpp - softmax of a contiguous row, AVX2 ----------------===//
//
// Attention's score rows and softmax over a contiguous axis, eight lanes at
// a time: the maximum (NaN ignored), e^(x - maximum) by qcc's own
// exponential (below), the sum in double, and each value divided by it in
// double, as the portable path does. libm's expf, which the portable path
// and the interpreter call per element, was a third of attention's time in
// a SmolLM2 prefill. The results agree with the interpreter's within a few
// ulp of each probability, not bit for bit (docs/x86-backend.md).
//
//===----------------------------------------------------------------------===//

#include "lib/Runtime/cpu/Ops.h"
#include <cmath>
#include <immintrin.h>

namespace qcc::rt {

namespace {

/// Below this, e^x is taken as 0: expf's results there are below 2^-125,
/// next to sums of at least 1 (the maximum's e^0).
constexpr float kSmallestExponent = -87.0f;

/// e^x for lanes x <= 0 (NaN kept): x = n ln 2 + r with |r| <= ln 2 / 2 (ln 2
/// in two parts, so that n · high is exact), e^r by its Taylor polynomial to
/// degree 7 (remainder below 1e-8 relative), times 2^n from the exponent
/// bits. Within 2 ulp of e^x (test/unit/RuntimeOpsTest.cpp).
__m256 exponential(__m256 x) {
  const __m256 log2e = _mm256_set1_ps(1.44269504f),
               high = _mm256_set1_ps(0.693359375f),
               low = _mm256_set1_ps(-2.12194440e-4f);
  __m256 n = _mm256_round_ps(_mm256_mul_ps(x, log2e),
                             _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(n, high, x);
  r = _mm256_fnmadd_ps(n, low, r);
  const float coefficients[] = {1.0f / 5040, 1.0f / 720, 1.0f / 120, 1.0f / 24,
                                1.0f / 6,    0.5f,       1.0f,       1.0f};
  __m256 p = _mm256_set1_ps(coefficients[0]);
  for (int i = 1; i < 8; ++i)
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(coefficients[i]));
  __m256i scale = _mm256_slli_epi32(
      _mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
  __m256 result = _mm256_mul_ps(p, _mm256_castsi256_ps(scale));
  __m256 live = _mm256_cmp_ps(x, _mm256_set1_ps(kSmallestExponent), _CMP_GE_OQ);
  result = _mm256_and_ps(result, live);
  __m256 nan = _mm256_cmp_ps(x, x, _CMP_UNORD_Q);
  return _mm256_blendv_ps(result, x, nan);
}

/// Lanes [0, count) of a vector, count <= 8.
__m256i firstLanes(int64_t count) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(count)),
                            _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

/// acc + the eight lanes of v, in double.
__m256d addWidened(__m256d acc, __m256 v) {
  acc = _mm256_add_pd(acc, _mm256_cvtps_pd(_mm256_castps256_ps128(v)));
  return _mm256_add_pd(acc, _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1)));
}

} // namespace

void softmaxRowAvx2(float *row, int64_t count) {
  // max(x, m) keeps m where x is NaN.
  __m256 largest = _mm256_set1_ps(-INFINITY);
  int64_t whole = count / 8 * 8;
  for (int64_t i = 0; i < whole; i += 8)
    largest = _mm256_max_ps(_mm256_loadu_ps(row + i), largest);
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, largest);
  float maximum = -INFINITY;
  for (float lane : lanes)
    maximum = lane > maximum ? lane : maximum;
  for (int64_t i = whole; i < count; ++i)
    maximum = row[i] > maximum ? row[i] : maximum;

  const __m256 top = _mm256_set1_ps(maximum);
  __m256d sum = _mm256_setzero_pd();
  for (int64_t i = 0; i < count; i += 8) {
    __m256i mask = firstLanes(count - i);
    __m256 e =
        exponential(_mm256_sub_ps(_mm256_maskload_ps(row + i, mask), top));
    e = _mm256_and_ps(e, _mm256_castsi256_ps(mask));
    _mm256_maskstore_ps(row + i, mask, e);
    sum = addWidened(sum, e);
  }
  alignas(32) double partial[4];
  _mm256_store_pd(partial, sum);
  const __m256d total =
      _mm256_set1_pd((partial[0] + partial[1]) + (partial[2] + partial[3]));
  for (int64_t i = 0; i < count; i += 8) {
    __m256i mask = firstLanes(count - i);
    __m256 e = _mm256_maskload_ps(row + i, mask);
    __m128 lowHalf = _mm256_cvtpd_ps(
        _mm256_div_pd(_mm256_cvtps_pd(_mm256_castps256_ps128(e)), total));
    __m128 highHalf = _mm256_cvtpd_ps(
        _mm256_div_pd(_mm256_cvtps_pd(_mm256_extractf128_ps(e, 1)), total));
    _mm256_maskstore_ps(row + i, mask, _mm256_set_m128(highHalf, lowHalf));
  }
}

} // namespace qcc::rt
