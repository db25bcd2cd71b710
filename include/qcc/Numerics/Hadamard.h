//===- Hadamard.h - Hadamard matrices of any constructible order -*- C++
//-*-===//
//
// qcc rotates with normalized Hadamard matrices R = H / sqrt(n). H of order
// n = m · 2^k is the Kronecker product H_m ⊗ H_{2^k}: H_{2^k} is Sylvester's,
// and H_m (m > 2) comes from Paley's constructions, which give every
// m = q + 1 (q prime, q ≡ 3 mod 4) and m = 2(q + 1) (q prime, q ≡ 1 mod 4):
// 12, 20, 24, 28, 36, 44, 48, 60, ... A dimension without such a factor is
// rotated block-diagonally with the largest order that divides it. The offline
// rotations folded into weights, the interpreter and the kernels' online
// transforms all use this one definition.
//
//===----------------------------------------------------------------------===//

#ifndef QCC_NUMERICS_HADAMARD_H
#define QCC_NUMERICS_HADAMARD_H

#include <cstdint>
#include <optional>
#include <vector>

namespace qcc::numerics {

/// The smallest m for which qcc builds H_n as H_m ⊗ H_{n/m} with n/m a power
/// of two, or nullopt when n has no construction.
std::optional<int64_t> hadamardBase(int64_t n);

/// The largest order that divides n and has a construction (1 for odd n
/// without one): the block size of a block-diagonal rotation of n.
int64_t largestHadamardBlock(int64_t n);

/// The ±1 entries of H_m, row-major, for a base returned by hadamardBase.
std::vector<int8_t> hadamardBaseMatrix(int64_t m);

/// The ±1 entries of H_n, row-major; n must have a construction.
std::vector<int8_t> hadamardMatrix(int64_t n);

/// Replaces each row of `block` consecutive values in `data[0, count)` by
/// row · R (or row · Rᵀ when `transpose`), R = H_block / sqrt(block): a fast
/// Walsh–Hadamard transform over the power-of-two factor, then a dense H_m
/// mix, in f32.
void applyHadamard(float *data, int64_t count, int64_t block, bool transpose);

} // namespace qcc::numerics

#endif // QCC_NUMERICS_HADAMARD_H
