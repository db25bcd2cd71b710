//===- ShapeInferenceTest.cpp - ONNX shape rules --------------------------===//

#include "dialects/qcc/QccShapeInference.h"
#include <gtest/gtest.h>

using namespace mlir;
using namespace qcc;

namespace {
constexpr int64_t kDyn = ShapedType::kDynamic;

TEST(BroadcastShapes, FollowsOnnxMultidirectionalRules) {
  EXPECT_EQ(*broadcastShapes({2, 1, 4}, {3, 1}),
            (SmallVector<int64_t>{2, 3, 4}));
  EXPECT_EQ(*broadcastShapes({}, {5}), (SmallVector<int64_t>{5}));
  EXPECT_TRUE(failed(broadcastShapes({2, 3}, {4, 5})));
}

TEST(BroadcastShapes, KeepsDynamicOnlyWhereUnknown) {
  // A dynamic size against a static size other than 1 must equal it.
  EXPECT_EQ(*broadcastShapes({kDyn, 8}, {4, 8}), (SmallVector<int64_t>{4, 8}));
  // Against 1 (or another dynamic size) it stays unknown.
  EXPECT_EQ(*broadcastShapes({kDyn, 8}, {1, 8}),
            (SmallVector<int64_t>{kDyn, 8}));
  EXPECT_EQ(*broadcastShapes({1}, {kDyn}), (SmallVector<int64_t>{kDyn}));
}

TEST(NormalizeAxis, AcceptsNegativeAxesWithinRank) {
  EXPECT_EQ(*normalizeAxis(-1, 3), 2);
  EXPECT_EQ(*normalizeAxis(0, 3), 0);
  EXPECT_TRUE(failed(normalizeAxis(3, 3)));
  EXPECT_TRUE(failed(normalizeAxis(-4, 3)));
}

TEST(InferReshape, CopiesZerosAndInfersMinusOne) {
  EXPECT_EQ(*inferReshape({2, 6, 64}, {0, 0, 4, -1}, false),
            (SmallVector<int64_t>{2, 6, 4, 16}));
  EXPECT_EQ(*inferReshape({2, 6, 64}, {-1}, false),
            (SmallVector<int64_t>{768}));
}

TEST(InferReshape, LeavesUnknownEntriesDynamic) {
  EXPECT_EQ(*inferReshape({kDyn, kDyn, 64}, {kDyn, kDyn, 4, 16}, false),
            (SmallVector<int64_t>{kDyn, kDyn, 4, 16}));
  EXPECT_EQ(*inferReshape({kDyn, 64}, {kDyn, -1}, false),
            (SmallVector<int64_t>{kDyn, kDyn}));
}

TEST(InferReshape, RejectsContradictions) {
  EXPECT_TRUE(failed(inferReshape({2, 6}, {5, 2}, false)));
  EXPECT_TRUE(failed(inferReshape({2, 6}, {-1, -1}, false)));
  EXPECT_TRUE(failed(inferReshape({2, 6}, {5, -1}, false)));
  EXPECT_TRUE(failed(inferReshape({2, 6}, {-3, 4}, false)));
}

TEST(InferReshape, AllowZeroMakesZeroASize) {
  EXPECT_EQ(*inferReshape({0, 4}, {0, 4}, true), (SmallVector<int64_t>{0, 4}));
}
} // namespace
