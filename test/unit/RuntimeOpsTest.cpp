//===- RuntimeOpsTest.cpp - edge cases of the CPU runtime's ops -----------===//
//
// Degenerate shapes that models can produce and that the CPU and GPU
// runtimes must treat alike (CudaDeviceOpsTest runs the GPU side).
//
//===----------------------------------------------------------------------===//

#include "lib/Runtime/cpu/Ops.h"
#include <gtest/gtest.h>

using namespace qcc::rt;

namespace {

const ModelDescription &emptyModel() {
  static const ModelDescription model = [] {
    ModelDescription description{};
    description.scheme = "test";
    description.target = "x86";
    description.qccVersion = "0";
    description.layers = "[]";
    return description;
  }();
  return model;
}

Tensor filled(Shape shape, float value) {
  Tensor t = Tensor::allocate(DType::F32, std::move(shape));
  for (int64_t i = 0; i < t.numElements(); ++i)
    t.mutableData<float>()[i] = value;
  return t;
}

TEST(RuntimeOps, LinearOverNoColumnsIsTheBias) {
  Session session(emptyModel(), nullptr, {});
  Tensor x = filled({2, 3, 0}, 1.0f), w = filled({4, 0}, 1.0f);
  Tensor bias = Tensor::allocate(DType::F32, {4});
  for (int64_t i = 0; i < 4; ++i)
    bias.mutableData<float>()[i] = float(i) + 0.5f;
  Tensor y = linear(&session, "linear", x, w, bias);
  ASSERT_FALSE(session.failed()) << session.message();
  ASSERT_EQ(y.shape(), (Shape{2, 3, 4}));
  for (int64_t i = 0; i < y.numElements(); ++i)
    EXPECT_EQ(y.data<float>()[i], float(i % 4) + 0.5f) << i;
  Tensor none = linear(&session, "linear", x, w, Tensor());
  for (int64_t i = 0; i < none.numElements(); ++i)
    EXPECT_EQ(none.data<float>()[i], 0.0f) << i;
}

TEST(RuntimeOps, GatherChecksIndicesEvenWithoutRows) {
  Session session(emptyModel(), nullptr, {});
  Tensor data = filled({0, 5}, 1.0f);
  Tensor indices = Tensor::allocate(DType::I64, {1});
  indices.mutableData<int64_t>()[0] = 7;
  EXPECT_TRUE(gather(&session, "/embed/Gather", data, indices, 1).isNull());
  EXPECT_EQ(session.message(), "node \"/embed/Gather\": index 7 is out of "
                               "range for a dimension of size 5");
}

} // namespace
