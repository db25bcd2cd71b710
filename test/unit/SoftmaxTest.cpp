//===- SoftmaxTest.cpp - the runtime's AVX2 softmax against float64 -------===//
//
// softmaxRowAvx2 (qcc's own exponential, double sums) on random rows of
// ragged lengths, with masked scores, -inf, NaN and rows of one value,
// against a float64 softmax: each probability within 4 ulp of the
// reference (the exponential is within 2 ulp, the division rounds once),
// or within 2^-120 where the reference is below 2^-125 (flushed to zero).
//
//===----------------------------------------------------------------------===//

#include "lib/Runtime/cpu/Ops.h"
#include "lib/Runtime/cpu/QLinearKernels.h"
#include <cmath>
#include <gtest/gtest.h>
#include <limits>
#include <random>
#include <vector>

using namespace qcc::rt;

namespace {

/// The float64 softmax of the f32 differences x - max (which every f32
/// softmax rounds first: at x - max = -75 that alone moves e^ by 5e-6).
std::vector<double> referenceSoftmax(const std::vector<float> &row) {
  float maximum = -INFINITY;
  for (float v : row)
    if (!std::isnan(v))
      maximum = std::max(maximum, v);
  std::vector<double> out(row.size());
  double sum = 0.0;
  for (size_t i = 0; i < row.size(); ++i)
    sum += out[i] = std::exp(double(row[i] - maximum));
  for (double &v : out)
    v /= sum;
  return out;
}

TEST(SoftmaxAvx2, MatchesFloat64WithinFourUlp) {
  if (!hasAvx2())
    GTEST_SKIP() << "no AVX2 on this CPU";
  std::mt19937 rng(std::random_device{}());
  std::uniform_real_distribution<float> score(-100.0f, 12.0f);
  for (int64_t count : {1, 7, 8, 9, 31, 64, 513}) {
    std::vector<float> row(count);
    for (float &v : row)
      v = score(rng);
    if (count > 8) {
      row[2] = std::numeric_limits<float>::lowest(); // a masked score
      row[5] = -INFINITY;
    }
    std::vector<double> expected = referenceSoftmax(row);
    softmaxRowAvx2(row.data(), count);
    for (int64_t i = 0; i < count; ++i) {
      double tolerance =
          expected[i] < 0x1p-125
              ? 0x1p-120
              : 4 * std::ldexp(1.0, std::ilogb(expected[i]) - 23);
      EXPECT_NEAR(row[i], expected[i], tolerance)
          << "count " << count << " i " << i;
    }
  }
}

TEST(SoftmaxAvx2, KeepsTheSpecialCases) {
  if (!hasAvx2())
    GTEST_SKIP() << "no AVX2 on this CPU";
  std::vector<float> same(10, 3.0f);
  softmaxRowAvx2(same.data(), 10);
  for (float v : same)
    EXPECT_FLOAT_EQ(v, 0.1f);
  std::vector<float> withNaN = {1.0f, NAN, 2.0f};
  softmaxRowAvx2(withNaN.data(), 3);
  for (float v : withNaN)
    EXPECT_TRUE(std::isnan(v)); // as libm: the sum is NaN
  std::vector<float> one = {-1e30f};
  softmaxRowAvx2(one.data(), 1);
  EXPECT_EQ(one[0], 1.0f);
}

} // namespace
