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

} // namespace qcc::rt

#endif // QCC_RUNTIME_CPU_FLOATGEMM_H
