//===- FloatGemmTest.cpp - the runtime's f32 products vs float64 ----------===//
//
// Both products (x · wᵀ and a · b), packed and row-dot paths, with and
// without AVX2, against a float64 product on fresh random data: M from 1
// (decode) to past several 6-row tiles, N off the 16-column tile, K off
// and across the 256-deep panel, strided operands. The bound is that of
// reordered f32 summation: |error| ≤ 4 · K · 2⁻²⁴ · Σ|a·b| per output.
//
//===----------------------------------------------------------------------===//

#include "lib/Runtime/cpu/FloatGemm.h"
#include <cmath>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <random>
#include <vector>

using namespace qcc::rt;

namespace {

struct Shape3 {
  int64_t m, n, k;
};

class FloatGemmTest : public ::testing::TestWithParam<Shape3> {};

std::vector<float> randomValues(int64_t count, std::mt19937 &generator) {
  std::normal_distribution<float> normal;
  std::vector<float> values(count);
  for (float &value : values)
    value = normal(generator);
  return values;
}

/// Checks y against Σ_p left(i, p) · right(p, j) computed in float64.
template <typename Left, typename Right>
void expectProduct(const std::vector<float> &y, int64_t ldy, const Shape3 &s,
                   Left left, Right right) {
  for (int64_t i = 0; i < s.m; ++i)
    for (int64_t j = 0; j < s.n; ++j) {
      double exact = 0, magnitude = 0;
      for (int64_t p = 0; p < s.k; ++p) {
        double term = double(left(i, p)) * double(right(p, j));
        exact += term;
        magnitude += std::fabs(term);
      }
      double bound = 4.0 * double(s.k + 1) * std::ldexp(1.0, -24) * magnitude;
      ASSERT_LE(std::fabs(y[i * ldy + j] - exact), bound)
          << "at (" << i << ", " << j << ")";
    }
}

TEST_P(FloatGemmTest, TransposedProductMatchesFloat64) {
  Shape3 s = GetParam();
  std::mt19937 generator(std::random_device{}());
  // Strided rows: ld = k + 3, y with 5 spare columns.
  int64_t ldx = s.k + 3, ldw = s.k + 3, ldy = s.n + 5;
  auto x = randomValues(s.m * ldx, generator);
  auto w = randomValues(s.n * ldw, generator);
  std::vector<float> y(s.m * ldy, NAN);
  multiplyTransposed(x.data(), s.m, ldx, w.data(), s.n, ldw, s.k, y.data(),
                     ldy);
  expectProduct(
      y, ldy, s, [&](int64_t i, int64_t p) { return x[i * ldx + p]; },
      [&](int64_t p, int64_t j) { return w[j * ldw + p]; });
}

TEST_P(FloatGemmTest, ProductMatchesFloat64) {
  Shape3 s = GetParam();
  std::mt19937 generator(std::random_device{}());
  int64_t lda = s.k + 2, ldb = s.n + 7, ldc = s.n + 1;
  auto a = randomValues(s.m * lda, generator);
  auto b = randomValues(s.k * ldb, generator);
  std::vector<float> c(s.m * ldc, NAN);
  multiply(a.data(), s.m, lda, b.data(), s.n, ldb, s.k, c.data(), ldc);
  expectProduct(
      c, ldc, s, [&](int64_t i, int64_t p) { return a[i * lda + p]; },
      [&](int64_t p, int64_t j) { return b[p * ldb + j]; });
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, FloatGemmTest,
    ::testing::Values(Shape3{1, 37, 200}, Shape3{3, 17, 64}, Shape3{4, 16, 256},
                      Shape3{7, 33, 257}, Shape3{17, 1, 1}, Shape3{64, 48, 513},
                      Shape3{129, 31, 300}, Shape3{13, 5, 0}),
    [](const ::testing::TestParamInfo<Shape3> &info) {
      return fmt::format("M{}_N{}_K{}", info.param.m, info.param.n,
                         info.param.k);
    });

} // namespace
