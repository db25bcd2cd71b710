//===- HadamardTest.cpp - Hadamard constructions and the fast transform ---===//

#include "qcc/Numerics/Hadamard.h"
#include <cmath>
#include <gtest/gtest.h>
#include <random>

using namespace qcc::numerics;

namespace {

/// max |H Hᵀ - n I| over the entries, exact in integers.
int64_t orthogonalityDefect(const std::vector<int8_t> &h, int64_t n) {
  int64_t worst = 0;
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < n; ++j) {
      int64_t dot = 0;
      for (int64_t k = 0; k < n; ++k)
        dot += h[i * n + k] * h[j * n + k];
      worst = std::max(worst, std::abs(dot - (i == j ? n : 0)));
    }
  return worst;
}

TEST(HadamardTest, EveryPaleyBaseIsHadamard) {
  int checked = 0;
  for (int64_t m = 4; m <= 200; m += 4) {
    if (hadamardBase(m) != m)
      continue;
    EXPECT_EQ(orthogonalityDefect(hadamardBaseMatrix(m), m), 0) << m;
    ++checked;
  }
  // 12 20 28 36 44 60 68 76 84 104 108 124 132 140 148 164 180 196 200.
  EXPECT_EQ(checked, 19);
}

TEST(HadamardTest, TransformerDimensionsFactor) {
  EXPECT_EQ(hadamardBase(4096), 1);
  EXPECT_EQ(hadamardBase(576), 36);  // 36 ⊗ 16
  EXPECT_EQ(hadamardBase(960), 60);  // 60 ⊗ 16
  EXPECT_EQ(hadamardBase(1536), 12); // 12 ⊗ 128
  EXPECT_EQ(hadamardBase(2560), 20); // 20 ⊗ 128
  EXPECT_EQ(hadamardBase(5120), 20); // 20 ⊗ 256
  EXPECT_EQ(hadamardBase(172), std::nullopt);
  EXPECT_EQ(largestHadamardBlock(172), 4);
  EXPECT_EQ(largestHadamardBlock(100), 20);
  EXPECT_EQ(largestHadamardBlock(15), 1);
  EXPECT_EQ(orthogonalityDefect(hadamardMatrix(576), 576), 0);
  EXPECT_EQ(orthogonalityDefect(hadamardMatrix(960), 960), 0);
}

/// The fast transform against x · H / sqrt(n) in double from the explicit
/// matrix, and its transpose as the inverse: f32 error of a sum of n terms
/// of unit size stays below 1e-5 relative.
TEST(HadamardTest, FastTransformMatchesMatrix) {
  std::mt19937 rng(7);
  std::normal_distribution<float> normal;
  for (int64_t n : {1, 2, 12, 64, 576, 960, 1536, 2560, 5120}) {
    std::vector<int8_t> h = hadamardMatrix(n);
    std::vector<float> x(2 * n);
    for (float &v : x)
      v = normal(rng);
    std::vector<float> y = x;
    applyHadamard(y.data(), y.size(), n, /*transpose=*/false);
    double worst = 0.0;
    for (int64_t row = 0; row < 2; ++row)
      for (int64_t j = 0; j < n; ++j) {
        double expected = 0.0;
        for (int64_t i = 0; i < n; ++i)
          expected += double(x[row * n + i]) * h[i * n + j];
        expected /= std::sqrt(double(n));
        worst = std::max(worst, std::abs(expected - y[row * n + j]));
      }
    EXPECT_LT(worst, 1e-5 * std::sqrt(double(n))) << n;
    applyHadamard(y.data(), y.size(), n, /*transpose=*/true);
    for (size_t i = 0; i < x.size(); ++i)
      ASSERT_NEAR(y[i], x[i], 1e-5) << n;
  }
}

/// A block-diagonal rotation transforms each block alone.
TEST(HadamardTest, BlockDiagonal) {
  std::vector<float> x(100), expected(100);
  for (int i = 0; i < 100; ++i)
    x[i] = expected[i] = static_cast<float>(i % 7) - 3.0f;
  applyHadamard(x.data(), 100, 20, false);
  for (int block = 0; block < 5; ++block)
    applyHadamard(expected.data() + block * 20, 20, 20, false);
  EXPECT_EQ(x, expected);
}

} // namespace
