//===- FloatGemm.cpp - f32 products of generated models -------------------===//
//
// With AVX2 and 4+ rows, both products run one packed kernel: 16 columns
// of the right operand are copied into a panel of kPanelDepth rows (16 KiB,
// kept in L1), and 6 × 16 output tiles accumulate in twelve registers, one
// broadcast of the left operand feeding two fused multiply-adds. With fewer
// rows (decode), x · wᵀ runs as dot products of rows: four output columns
// share each load of x, eight lanes accumulate per column. Without AVX2 the
// products are plain loops the compiler vectorizes.
//
//===----------------------------------------------------------------------===//

#include "FloatGemm.h"
#include "QLinearKernels.h"
#include <algorithm>
#include <immintrin.h>

using namespace qcc::rt;

namespace {

constexpr int64_t kTileRows = 6, kTileColumns = 16;
/// Rows of one packed panel: 256 × 16 floats.
constexpr int64_t kPanelDepth = 256;
/// From this many rows on, products run the packed kernel.
constexpr int64_t kPackedRows = 4;

/// c[0..Rows, 0..columns) (+)= a[0..Rows, 0..depth) · panel, the panel
/// holding `depth` rows of 16 columns (zero beyond `columns`). Inlined
/// into multiplyPacked: out of line it runs at half the speed.
template <int Rows>
__attribute__((target("avx2,fma"), always_inline)) inline void
multiplyTile(const float *a, int64_t lda, const float *panel, int64_t depth,
             bool accumulate, float *c, int64_t ldc, int64_t columns) {
  alignas(32) float partial[Rows * kTileColumns];
  float *out = c;
  int64_t ldo = ldc;
  if (columns < kTileColumns) {
    out = partial;
    ldo = kTileColumns;
    if (accumulate)
      for (int r = 0; r < Rows; ++r)
        std::copy(c + r * ldc, c + r * ldc + columns, partial + r * ldo);
  }
  __m256 acc[Rows][2];
  for (int r = 0; r < Rows; ++r)
    for (int h = 0; h < 2; ++h)
      acc[r][h] = accumulate ? _mm256_loadu_ps(out + r * ldo + 8 * h)
                             : _mm256_setzero_ps();
  for (int64_t p = 0; p < depth; ++p) {
    __m256 low = _mm256_load_ps(panel + p * kTileColumns),
           high = _mm256_load_ps(panel + p * kTileColumns + 8);
    for (int r = 0; r < Rows; ++r) {
      __m256 value = _mm256_broadcast_ss(a + r * lda + p);
      acc[r][0] = _mm256_fmadd_ps(value, low, acc[r][0]);
      acc[r][1] = _mm256_fmadd_ps(value, high, acc[r][1]);
    }
  }
  for (int r = 0; r < Rows; ++r)
    for (int h = 0; h < 2; ++h)
      _mm256_storeu_ps(out + r * ldo + 8 * h, acc[r][h]);
  if (out == partial)
    for (int r = 0; r < Rows; ++r)
      std::copy(partial + r * ldo, partial + r * ldo + columns, c + r * ldc);
}

/// out[0..8) = column q of the 8 × 8 block whose rows are in[0..8).
__attribute__((target("avx2,fma"))) void transpose8x8(const __m256 *in,
                                                      __m256 *out) {
  __m256 t[8], u[8];
  for (int i = 0; i < 8; i += 2) {
    t[i] = _mm256_unpacklo_ps(in[i], in[i + 1]);
    t[i + 1] = _mm256_unpackhi_ps(in[i], in[i + 1]);
  }
  for (int i = 0; i < 8; i += 4) {
    u[i] = _mm256_shuffle_ps(t[i], t[i + 2], 0x44);
    u[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], 0xEE);
    u[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0x44);
    u[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0xEE);
  }
  for (int i = 0; i < 4; ++i) {
    out[i] = _mm256_permute2f128_ps(u[i], u[i + 4], 0x20);
    out[i + 4] = _mm256_permute2f128_ps(u[i], u[i + 4], 0x31);
  }
}

/// panel[p · 16 + j] = b(p, j) = b[p · pStride + j · jStride] for p < depth
/// and j < columns, zero for the columns beyond. The panel is rebuilt for
/// every block of rows (attention: every 32 query rows), so its two common
/// layouts copy vectors: rows of b (a · b) as they are, rows of w (x · wᵀ)
/// through 8 × 8 transposes.
__attribute__((target("avx2,fma"))) void
packPanel(const float *b, int64_t pStride, int64_t jStride, int64_t depth,
          int64_t columns, float *panel) {
  int64_t p = 0;
  if (columns == kTileColumns && jStride == 1) {
    for (; p < depth; ++p)
      for (int h = 0; h < 2; ++h)
        _mm256_store_ps(panel + p * kTileColumns + 8 * h,
                        _mm256_loadu_ps(b + p * pStride + 8 * h));
  } else if (columns == kTileColumns && pStride == 1) {
    __m256 rows[8], lines[8];
    for (; p + 8 <= depth; p += 8)
      for (int h = 0; h < 2; ++h) {
        for (int j = 0; j < 8; ++j)
          rows[j] = _mm256_loadu_ps(b + p + (8 * h + j) * jStride);
        transpose8x8(rows, lines);
        for (int q = 0; q < 8; ++q)
          _mm256_store_ps(panel + (p + q) * kTileColumns + 8 * h, lines[q]);
      }
  }
  for (int64_t j = 0; j < kTileColumns; ++j)
    for (int64_t q = p; q < depth; ++q)
      panel[q * kTileColumns + j] =
          j < columns ? b[q * pStride + j * jStride] : 0;
}

/// c = a · b for a [m, k] (row stride lda) and b given elementwise as
/// b(p, j) = b[p · pStride + j · jStride], so that one kernel serves
/// x · wᵀ and a · b.
__attribute__((target("avx2,fma"))) void
multiplyPacked(const float *a, int64_t m, int64_t lda, const float *b,
               int64_t pStride, int64_t jStride, int64_t n, int64_t k, float *c,
               int64_t ldc) {
  if (k == 0) {
    for (int64_t i = 0; i < m; ++i)
      std::fill(c + i * ldc, c + i * ldc + n, 0.0f);
    return;
  }
  alignas(32) float panel[kPanelDepth * kTileColumns];
  for (int64_t p0 = 0; p0 < k; p0 += kPanelDepth) {
    int64_t depth = std::min(kPanelDepth, k - p0);
    for (int64_t j0 = 0; j0 < n; j0 += kTileColumns) {
      int64_t columns = std::min(kTileColumns, n - j0);
      packPanel(b + p0 * pStride + j0 * jStride, pStride, jStride, depth,
                columns, panel);
      for (int64_t i0 = 0; i0 < m; i0 += kTileRows) {
        const float *rows = a + i0 * lda + p0;
        float *out = c + i0 * ldc + j0;
        bool accumulate = p0 > 0;
        // A switch, not TileRows.h's dispatch: GCC does not inline this
        // AVX2 kernel through a generic lambda.
        switch (std::min(kTileRows, m - i0)) {
        case 6:
          multiplyTile<6>(rows, lda, panel, depth, accumulate, out, ldc,
                          columns);
          break;
        case 5:
          multiplyTile<5>(rows, lda, panel, depth, accumulate, out, ldc,
                          columns);
          break;
        case 4:
          multiplyTile<4>(rows, lda, panel, depth, accumulate, out, ldc,
                          columns);
          break;
        case 3:
          multiplyTile<3>(rows, lda, panel, depth, accumulate, out, ldc,
                          columns);
          break;
        case 2:
          multiplyTile<2>(rows, lda, panel, depth, accumulate, out, ldc,
                          columns);
          break;
        default:
          multiplyTile<1>(rows, lda, panel, depth, accumulate, out, ldc,
                          columns);
        }
      }
    }
  }
}

/// c = a · b as row updates (few rows: decode's attention). Inlined into
/// each caller, so that the AVX2 one vectorizes 8 wide.
__attribute__((always_inline)) inline void
updateRows(const float *a, int64_t m, int64_t lda, const float *b, int64_t n,
           int64_t ldb, int64_t k, float *c, int64_t ldc) {
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

__attribute__((target("avx2,fma"))) void
updateRowsAvx2(const float *a, int64_t m, int64_t lda, const float *b,
               int64_t n, int64_t ldb, int64_t k, float *c, int64_t ldc) {
  updateRows(a, m, lda, b, n, ldb, k, c, ldc);
}

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
  if (hasAvx2() && m >= kPackedRows)
    return multiplyPacked(x, m, ldx, w, 1, ldw, n, k, y, ldy);
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
  if (hasAvx2() && m >= kPackedRows)
    return multiplyPacked(a, m, lda, b, ldb, 1, n, k, c, ldc);
  if (hasAvx2())
    return updateRowsAvx2(a, m, lda, b, n, ldb, k, c, ldc);
  updateRows(a, m, lda, b, n, ldb, k, c, ldc);
}
