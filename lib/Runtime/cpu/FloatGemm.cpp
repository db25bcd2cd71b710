//===- FloatGemm.cpp - f32 products of generated models -------------------===//
//
// Dot products of rows (x · wᵀ) with AVX2 where the CPU has it: four
// output columns share each load of x, eight lanes accumulate per column.
// The plain product (a · b) runs as row updates the compiler vectorizes.
//
//===----------------------------------------------------------------------===//

#include "FloatGemm.h"
#include "QLinearKernels.h"
#include <algorithm>
#include <immintrin.h>

using namespace qcc::rt;

namespace {

/// Columns of w kept hot in cache while every row of x passes over them.
constexpr int64_t kColumnBlock = 32;

__attribute__((target("avx2,fma"))) float horizontalSum(__m256 v) {
  __m128 sum =
      _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  sum = _mm_add_ps(sum, _mm_movehl_ps(sum, sum));
  sum = _mm_add_ss(sum, _mm_shuffle_ps(sum, sum, 1));
  return _mm_cvtss_f32(sum);
}

__attribute__((target("avx2,fma"))) void
multiplyTransposedAvx2(const float *x, int64_t m, int64_t ldx, const float *w,
                       int64_t n, int64_t ldw, int64_t k, float *y,
                       int64_t ldy) {
  int64_t vectorEnd = k / 8 * 8;
  for (int64_t block = 0; block < n; block += kColumnBlock) {
    int64_t blockEnd = std::min(n, block + kColumnBlock);
    int64_t i = 0;
    // Two rows by four columns: 8 accumulators, 6 loads per 8 FMAs.
    for (; i + 2 <= m && blockEnd - block >= 4; i += 2) {
      const float *r0 = x + i * ldx, *r1 = r0 + ldx;
      int64_t j = block;
      for (; j + 4 <= blockEnd; j += 4) {
        const float *w0 = w + j * ldw, *w1 = w0 + ldw, *w2 = w1 + ldw,
                    *w3 = w2 + ldw;
        __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0, b0 = a0,
               b1 = a0, b2 = a0, b3 = a0;
        for (int64_t p = 0; p < vectorEnd; p += 8) {
          __m256 u = _mm256_loadu_ps(r0 + p), v = _mm256_loadu_ps(r1 + p);
          __m256 c0 = _mm256_loadu_ps(w0 + p), c1 = _mm256_loadu_ps(w1 + p),
                 c2 = _mm256_loadu_ps(w2 + p), c3 = _mm256_loadu_ps(w3 + p);
          a0 = _mm256_fmadd_ps(u, c0, a0);
          a1 = _mm256_fmadd_ps(u, c1, a1);
          a2 = _mm256_fmadd_ps(u, c2, a2);
          a3 = _mm256_fmadd_ps(u, c3, a3);
          b0 = _mm256_fmadd_ps(v, c0, b0);
          b1 = _mm256_fmadd_ps(v, c1, b1);
          b2 = _mm256_fmadd_ps(v, c2, b2);
          b3 = _mm256_fmadd_ps(v, c3, b3);
        }
        float t[8] = {horizontalSum(a0), horizontalSum(a1), horizontalSum(a2),
                      horizontalSum(a3), horizontalSum(b0), horizontalSum(b1),
                      horizontalSum(b2), horizontalSum(b3)};
        const float *columns[4] = {w0, w1, w2, w3};
        for (int64_t p = vectorEnd; p < k; ++p)
          for (int c = 0; c < 4; ++c) {
            t[c] += r0[p] * columns[c][p];
            t[4 + c] += r1[p] * columns[c][p];
          }
        std::copy(t, t + 4, y + i * ldy + j);
        std::copy(t + 4, t + 8, y + (i + 1) * ldy + j);
      }
      // Leftover columns of this pair of rows.
      for (; j < blockEnd; ++j)
        for (int64_t r = i; r < i + 2; ++r) {
          const float *row = x + r * ldx, *wj = w + j * ldw;
          __m256 acc = _mm256_setzero_ps();
          for (int64_t p = 0; p < vectorEnd; p += 8)
            acc = _mm256_fmadd_ps(_mm256_loadu_ps(row + p),
                                  _mm256_loadu_ps(wj + p), acc);
          float t = horizontalSum(acc);
          for (int64_t p = vectorEnd; p < k; ++p)
            t += row[p] * wj[p];
          y[r * ldy + j] = t;
        }
    }
    for (; i < m; ++i) {
      const float *row = x + i * ldx;
      int64_t j = block;
      for (; j + 4 <= blockEnd; j += 4) {
        const float *w0 = w + j * ldw, *w1 = w0 + ldw, *w2 = w1 + ldw,
                    *w3 = w2 + ldw;
        __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
        for (int64_t p = 0; p < vectorEnd; p += 8) {
          __m256 v = _mm256_loadu_ps(row + p);
          s0 = _mm256_fmadd_ps(v, _mm256_loadu_ps(w0 + p), s0);
          s1 = _mm256_fmadd_ps(v, _mm256_loadu_ps(w1 + p), s1);
          s2 = _mm256_fmadd_ps(v, _mm256_loadu_ps(w2 + p), s2);
          s3 = _mm256_fmadd_ps(v, _mm256_loadu_ps(w3 + p), s3);
        }
        float t[4] = {horizontalSum(s0), horizontalSum(s1), horizontalSum(s2),
                      horizontalSum(s3)};
        for (int64_t p = vectorEnd; p < k; ++p) {
          t[0] += row[p] * w0[p];
          t[1] += row[p] * w1[p];
          t[2] += row[p] * w2[p];
          t[3] += row[p] * w3[p];
        }
        std::copy(t, t + 4, y + i * ldy + j);
      }
      for (; j < blockEnd; ++j) {
        const float *wj = w + j * ldw;
        __m256 s = _mm256_setzero_ps();
        for (int64_t p = 0; p < vectorEnd; p += 8)
          s = _mm256_fmadd_ps(_mm256_loadu_ps(row + p), _mm256_loadu_ps(wj + p),
                              s);
        float t = horizontalSum(s);
        for (int64_t p = vectorEnd; p < k; ++p)
          t += row[p] * wj[p];
        y[i * ldy + j] = t;
      }
    }
  }
}

} // namespace

void qcc::rt::multiplyTransposed(const float *x, int64_t m, int64_t ldx,
                                 const float *w, int64_t n, int64_t ldw,
                                 int64_t k, float *y, int64_t ldy) {
  if (hasAvx2())
    return multiplyTransposedAvx2(x, m, ldx, w, n, ldw, k, y, ldy);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      float sum = 0.0f;
      for (int64_t p = 0; p < k; ++p)
        sum += x[i * ldx + p] * w[j * ldw + p];
      y[i * ldy + j] = sum;
    }
}

void qcc::rt::multiply(const float *a, int64_t m, int64_t lda, const float *b,
                       int64_t n, int64_t ldb, int64_t k, float *c,
                       int64_t ldc) {
  for (int64_t i = 0; i < m; ++i) {
    float *out = c + i * ldc;
    std::fill(out, out + n, 0.0f);
    for (int64_t p = 0; p < k; ++p) {
      float scale = a[i * lda + p];
      const float *row = b + p * ldb;
      for (int64_t j = 0; j < n; ++j)
        out[j] += scale * row[j];
    }
  }
}
