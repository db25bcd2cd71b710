//===- FloatGemm.h - f32 products of generated models -----------*- C++ -*-===//
//
// The float products of linear, matmul and attention. They sum in another
// order than the interpreter's OpenBLAS: results agree within the bound of
// reordered f32 summation (docs/x86-backend.md), not bit for bit.
//
//===----------------------------------------------------------------------===//

#ifndef QCC_RUNTIME_CPU_FLOATGEMM_H
#define QCC_RUNTIME_CPU_FLOATGEMM_H

#include <cstdint>

namespace qcc::rt {

/// y[i, j] = Σ_p x[i, p] · w[j, p] for i < m, j < n (row strides ld*).
void multiplyTransposed(const float *x, int64_t m, int64_t ldx, const float *w,
                        int64_t n, int64_t ldw, int64_t k, float *y,
                        int64_t ldy);

/// c[i, j] = Σ_p a[i, p] · b[p, j] for i < m, j < n (row strides ld*).
void multiply(const float *a, int64_t m, int64_t lda, const float *b, int64_t n,
              int64_t ldb, int64_t k, float *c, int64_t ldc);

/// out[j] = code[j] · (groupScales[j / groupSize] · channelScale) for
/// j < k: a dequantized weight row, formed as the interpreter forms it
/// (channelScale 1 when there is none). One scale per group, so the inner
/// loop vectorizes.
template <typename Code>
void dequantizeRow(const Code *codes, int64_t k, int64_t groupSize,
                   const float *groupScales, float channelScale, float *out) {
  for (int64_t start = 0, g = 0; start < k; start += groupSize, ++g) {
    float scale = groupScales[g] * channelScale;
    int64_t stop = start + groupSize < k ? start + groupSize : k;
    for (int64_t j = start; j < stop; ++j)
      out[j] = static_cast<float>(codes[j]) * scale;
  }
}

} // namespace qcc::rt

#endif // QCC_RUNTIME_CPU_FLOATGEMM_H
