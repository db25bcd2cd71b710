//===- Mma.cuh - warp-level tensor-core fragments for sm90 -----*- CUDA -*-===//
//
// The mma.sync shapes the weight-streaming kernels use, in the register
// layouts of the PTX ISA ("Matrix fragments for mma.m16n8k16/k32"). For lane
// l, g = l / 4 and t = l % 4:
//   A 16 × 16 f16 (or 16 × 32 s8) row major: a0 row g, a1 row g + 8, a2 and
//     a3 the same rows, second half of k; ldmatrix.x4 loads all four.
//   B 16 × 8 f16: b0 = B[2t, 2t + 1][g], b1 = B[2t + 8, 2t + 9][g];
//   B 32 × 8 s8:  b0 = B[4t .. 4t + 3][g], b1 = B[4t + 16 .. 4t + 19][g].
//   C 16 × 8: c0, c1 = C[g][2t, 2t + 1], c2, c3 = C[g + 8][2t, 2t + 1].
// The lower half of each 32-bit register holds the element of lower index.
//
//===----------------------------------------------------------------------===//

#ifndef QCC_RUNTIME_CUDA_MMA_CUH
#define QCC_RUNTIME_CUDA_MMA_CUH

#include <cstdint>

namespace qcc::cuda {

/// Four 8 × 8 matrices of 16-bit elements (or 8 × 16 bytes) from shared
/// memory; lane l gives the (shared) address of row l % 8 of matrix l / 8.
__device__ inline void loadMatrixX4(uint32_t (&a)[4], uint32_t address) {
  asm volatile(
      "ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0, %1, %2, %3}, [%4];"
      : "=r"(a[0]), "=r"(a[1]), "=r"(a[2]), "=r"(a[3])
      : "r"(address));
}

/// c += a · b with f16 operands and f32 accumulators (m16n8k16).
__device__ inline void mmaF16(float (&c)[4], const uint32_t (&a)[4],
                              uint32_t b0, uint32_t b1) {
  asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 "
               "{%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, "
               "{%0, %1, %2, %3};"
               : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
               : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

/// c += a · b with s8 operands and exact s32 accumulators (m16n8k32).
__device__ inline void mmaS8(int32_t (&c)[4], const uint32_t (&a)[4],
                             uint32_t b0, uint32_t b1) {
  asm volatile("mma.sync.aligned.m16n8k32.row.col.s32.s8.s8.s32 "
               "{%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, "
               "{%0, %1, %2, %3};"
               : "+r"(c[0]), "+r"(c[1]), "+r"(c[2]), "+r"(c[3])
               : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

/// c += a · b with e4m3 operands and f32 accumulators (m16n8k32). Hopper
/// keeps fewer than 23 mantissa bits in these sums; the kernels start
/// them from zero every 128 codes and add them up in f32 outside.
__device__ inline void mmaE4M3(float (&c)[4], const uint32_t (&a)[4],
                               uint32_t b0, uint32_t b1) {
  asm volatile("mma.sync.aligned.m16n8k32.row.col.f32.e4m3.e4m3.f32 "
               "{%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, "
               "{%0, %1, %2, %3};"
               : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
               : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

} // namespace qcc::cuda

#endif // QCC_RUNTIME_CUDA_MMA_CUH
