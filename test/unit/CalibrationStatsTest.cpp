//===- CalibrationStatsTest.cpp - activation statistics
//--------------------===//

#include "passes/CalibrationStats.h"
#include "dialects/qcc/QccDialect.h"
#include "mlir/IR/MLIRContext.h"
#include <gtest/gtest.h>

using namespace qcc;

namespace {

HostTensor activation(std::initializer_list<int64_t> shape,
                      std::initializer_list<float> values) {
  HostTensor tensor(ElementKind::F32, shape);
  std::copy(values.begin(), values.end(),
            tensor.mutableValues<float>().begin());
  return tensor;
}

TEST(CalibrationStats, AggregatesChannelsTokensAndPositions) {
  StatsAccumulator accumulator;
  // Two samples of [batch 1, 2 positions, 3 channels].
  accumulator.add(activation({1, 2, 3}, {1, -2, 0, 4, 0.5, -1}));
  accumulator.finishSample();
  accumulator.add(activation({1, 2, 3}, {-3, 1, 2, 0, 0, 0.25}));
  accumulator.finishSample();
  CalibrationStats stats = accumulator.finish();
  EXPECT_EQ(stats.samples, 2);
  EXPECT_EQ(stats.tokens, 4);
  EXPECT_EQ(stats.channelAbsMax, (llvm::SmallVector<float>{4, 2, 2}));
  // Means of squares: (1+16+9+0)/4, (4+0.25+1+0)/4, (0+1+4+0.0625)/4.
  EXPECT_FLOAT_EQ(stats.channelMeanSquare[0], 6.5f);
  EXPECT_FLOAT_EQ(stats.channelMeanSquare[1], 1.3125f);
  EXPECT_FLOAT_EQ(stats.channelMeanSquare[2], 1.265625f);
  // Position 0: rows max 2 and 3; position 1: rows max 4 and 0.25.
  EXPECT_EQ(stats.tokenAbsMax, (llvm::SmallVector<float>{3, 4}));
  // The median of |x| over 12 values (sorted: 0,0,0,0.25,0.5,1,1,1,2,2,3,4)
  // is the 6th, 1.0, within half a histogram bin.
  EXPECT_NEAR(stats.absPercentiles[0], 1.0f, 0.011f);
  EXPECT_NEAR(stats.absPercentiles[3], 4.0f, 0.044f);
}

TEST(CalibrationStats, RoundTripsThroughTheAttribute) {
  mlir::MLIRContext context;
  StatsAccumulator accumulator;
  accumulator.add(activation({2, 2}, {0.5, -8, 3, 1}));
  accumulator.finishSample();
  CalibrationStats stats = accumulator.finish();
  std::optional<CalibrationStats> back =
      CalibrationStats::fromAttr(stats.toAttr(&context));
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->samples, 1);
  EXPECT_EQ(back->tokens, 2);
  EXPECT_EQ(back->channelAbsMax, stats.channelAbsMax);
  EXPECT_EQ(back->channelMeanSquare, stats.channelMeanSquare);
  EXPECT_EQ(back->tokenAbsMax, stats.tokenAbsMax);
  EXPECT_EQ(back->absPercentiles, stats.absPercentiles);
  EXPECT_FALSE(CalibrationStats::fromAttr(mlir::Attribute()).has_value());
}

} // namespace
