//===- CudaDeviceOpsTest.cpp - sm90 model ops against the CPU runtime -----===//
//
// Each op of lib/Runtime/cuda/DeviceOps.h on fresh random device tensors
// against its namesake in lib/Runtime/cpu on the same values (the CPU
// runtime matches the interpreter: test/Target/X86). Float ops within
// 1e-5 relative L2 (f32 sums in another order; measured values in the
// report), data movement bit for bit. Ragged shapes throughout.
//
//===----------------------------------------------------------------------===//

#include "CudaTestSupport.h"
#include "lib/Runtime/cuda/DeviceRuntime.h"

using namespace qcc;
using namespace qcc::cudatest;
using rt::DType;
using rt::Shape;
using rt::Tensor;

namespace {

const rt::ModelDescription &emptyModel() {
  static const rt::ModelDescription model = [] {
    rt::ModelDescription description{};
    description.scheme = "test";
    description.target = "sm90";
    description.qccVersion = "0";
    description.layers = "[]";
    description.accelerator = &gpu::kAccelerator;
    return description;
  }();
  return model;
}

class DeviceOps : public ::testing::Test {
protected:
  void SetUp() override {
    REQUIRE_GPU();
    qcc_status status = QCC_OK;
    std::string error;
    state = gpu::kAccelerator.attach(emptyModel(), nullptr, status, error);
    ASSERT_NE(state, nullptr) << error;
    gpu::kAccelerator.begin(state, session);
  }

  void TearDown() override {
    if (!state)
      return;
    gpu::kAccelerator.finish(state, session);
    EXPECT_FALSE(session.failed()) << session.message();
    // Device tensors go back to the pool on the stream before it ends.
    for (Tensor &t : kept)
      t = Tensor();
    gpu::kAccelerator.detach(state);
  }

  /// A host f32 tensor of normal values (scaled), and its device copy.
  Tensor random(Shape shape, float scale = 1.0f) {
    Tensor host = Tensor::allocate(DType::F32, shape);
    std::normal_distribution<float> normal(0.0f, scale);
    for (int64_t i = 0; i < host.numElements(); ++i)
      host.mutableData<float>()[i] = normal(rng);
    return host;
  }
  Tensor onDevice(const Tensor &host) {
    Tensor device = gpu::toDevice(&session, "test", host);
    kept.push_back(device);
    return device;
  }
  Tensor onHost(const Tensor &device) {
    EXPECT_TRUE(device.isOnDevice());
    return gpu::toHost(&session, "test", device);
  }

  /// The device result against the CPU's, in relative L2 (0: bit for bit).
  void expectClose(const Tensor &device, const Tensor &expected,
                   double bound = 1e-5) {
    ASSERT_FALSE(session.failed()) << session.message();
    ASSERT_FALSE(device.isNull());
    Tensor got = onHost(device);
    ASSERT_EQ(got.shape(), expected.shape());
    std::vector<float> values(got.data<float>(),
                              got.data<float>() + got.numElements());
    std::vector<float> reference(expected.data<float>(),
                                 expected.data<float>() +
                                     expected.numElements());
    if (bound == 0.0) {
      EXPECT_EQ(std::memcmp(values.data(), reference.data(),
                            values.size() * sizeof(float)),
                0);
      return;
    }
    expectCloseInL2(values, reference, got.shape().back(), bound);
  }

  Tensor shapeTensor(const Shape &values) {
    Tensor t = Tensor::allocate(DType::I64, {int64_t(values.size())});
    std::copy(values.begin(), values.end(), t.mutableData<int64_t>());
    return t;
  }

  rt::Session session{emptyModel(), nullptr, {}};
  rt::Session host{emptyModel(), nullptr, {}};
  void *state = nullptr;
  std::vector<Tensor> kept;
  std::mt19937 rng = freshGenerator();
};

TEST_F(DeviceOps, LinearRaggedWithBias) {
  for (auto [m, k, n] : {std::tuple{1, 172, 64}, std::tuple{3, 64, 70},
                         std::tuple{17, 100, 33}, std::tuple{129, 576, 130}}) {
    Tensor x = random({m, k}), w = random({n, k}, 0.1f), b = random({n});
    expectClose(
        gpu::linear(&session, "linear", onDevice(x), onDevice(w), onDevice(b)),
        rt::linear(&host, "linear", x, w, b));
    expectClose(
        gpu::linear(&session, "linear", onDevice(x), onDevice(w), Tensor()),
        rt::linear(&host, "linear", x, w, Tensor()));
  }
}

TEST_F(DeviceOps, MatmulBroadcastsBatches) {
  Tensor a = random({2, 3, 17, 40}), b = random({3, 40, 65});
  expectClose(gpu::matmul(&session, "matmul", onDevice(a), onDevice(b)),
              rt::matmul(&host, "matmul", a, b));
  Tensor c = random({1, 5, 7}), d = random({4, 1, 7, 9});
  expectClose(gpu::matmul(&session, "matmul", onDevice(c), onDevice(d)),
              rt::matmul(&host, "matmul", c, d));
}

TEST_F(DeviceOps, NormsAndSoftmax) {
  Tensor x = random({3, 7, 576}, 3.0f), scale = random({576}),
         bias = random({576});
  expectClose(
      gpu::rmsNorm(&session, "rms", onDevice(x), onDevice(scale), 1e-5f),
      rt::rmsNorm(&host, "rms", x, scale, 1e-5f));
  expectClose(gpu::layerNorm(&session, "ln", onDevice(x), onDevice(scale),
                             onDevice(bias), -1, 1e-12f),
              rt::layerNorm(&host, "ln", x, scale, bias, -1, 1e-12f));
  for (int64_t axis : {-1, 1, 0})
    expectClose(gpu::softmax(&session, "softmax", onDevice(x), axis),
                rt::softmax(&host, "softmax", x, axis));
}

TEST_F(DeviceOps, ReductionsBitForBit) {
  Tensor x = random({3, 4, 5}, 2.0f);
  for (rt::Reduction kind :
       {rt::Reduction::Mean, rt::Reduction::Sum, rt::Reduction::Max})
    for (const Shape &axes : {Shape{1}, Shape{0, 2}, Shape{-1}, Shape{}})
      for (bool keepdims : {false, true})
        expectClose(
            gpu::reduce(&session, "reduce", kind, onDevice(x), axes, keepdims),
            rt::reduce(&host, "reduce", kind, x, axes, keepdims), 0.0);
}

TEST_F(DeviceOps, RotaryBroadcastsCosAndSin) {
  Tensor x = random({2, 3, 5, 64}), cos = random({1, 1, 5, 64}),
         sin = random({2, 1, 5, 64});
  expectClose(gpu::rotary(&session, "rotary", onDevice(x), onDevice(cos),
                          onDevice(sin)),
              rt::rotary(&host, "rotary", x, cos, sin));
}

TEST_F(DeviceOps, AttentionWithMasksAndGroupedHeads) {
  // 6 query heads over 2 key/value heads; one row (decode: the warps split
  // the keys), rows within one block, across three (70 > 32), over keys
  // too many for 32 rows a block (2000), and a 512-token prefill.
  for (auto [rows, t] : {std::pair<int64_t, int64_t>{1, 513},
                         {2, 9},
                         {5, 37},
                         {70, 72},
                         {3, 2000},
                         {512, 512}}) {
    Tensor q = random({2, 6, rows, 64}), k = random({2, 2, t, 64}),
           v = random({2, 2, t, 48});
    Tensor floatMask = random({2, 1, rows, t}, 5.0f);
    Tensor boolMask = Tensor::allocate(DType::Bool, {1, 1, rows, t});
    for (int64_t i = 0; i < rows; ++i)
      for (int64_t j = 0; j < t; ++j)
        boolMask.mutableData<uint8_t>()[i * t + j] = j <= t - rows + i;
    expectClose(
        gpu::attention(&session, "attention", onDevice(q), onDevice(k),
                       onDevice(v), onDevice(floatMask), 0.125f, 0.0f),
        rt::attention(&host, "attention", q, k, v, floatMask, 0.125f, 0.0f));
    expectClose(
        gpu::attention(&session, "attention", onDevice(q), onDevice(k),
                       onDevice(v), boolMask, 0.125f, -1e9f),
        rt::attention(&host, "attention", q, k, v, boolMask, 0.125f, -1e9f));
    expectClose(
        gpu::attention(&session, "attention", onDevice(q), onDevice(k),
                       onDevice(v), Tensor(), 0.125f, 0.0f),
        rt::attention(&host, "attention", q, k, v, Tensor(), 0.125f, 0.0f));
  }
}

TEST_F(DeviceOps, Elementwise) {
  Tensor a = random({4, 1, 33}), b = random({5, 1}), c = random({4, 5, 33});
  for (rt::Binary kind : {rt::Binary::Add, rt::Binary::Sub, rt::Binary::Mul,
                          rt::Binary::Div, rt::Binary::Max, rt::Binary::Min})
    expectClose(gpu::binary(&session, "binary", kind, onDevice(a), onDevice(b)),
                rt::binary(&host, "binary", kind, a, b), 0.0);
  for (rt::Unary kind :
       {rt::Unary::Neg, rt::Unary::Abs, rt::Unary::Exp, rt::Unary::Tanh,
        rt::Unary::Sigmoid, rt::Unary::Erf, rt::Unary::Relu})
    expectClose(gpu::unary(&session, "unary", kind, onDevice(c)),
                rt::unary(&host, "unary", kind, c), 1e-6);
  expectClose(gpu::silu(&session, "silu", onDevice(c)),
              rt::silu(&host, "silu", c), 1e-6);
  for (bool tanhForm : {false, true})
    expectClose(gpu::gelu(&session, "gelu", onDevice(c), tanhForm),
                rt::gelu(&host, "gelu", c, tanhForm), 1e-6);
  for (rt::CastTarget target : {rt::CastTarget::F16, rt::CastTarget::BF16})
    expectClose(gpu::cast(&session, "cast", onDevice(c), target, 0),
                rt::cast(&host, "cast", c, target, 0), 0.0);
  expectClose(gpu::clip(&session, "clip", onDevice(c), -0.5f, 0.7f),
              rt::clip(&host, "clip", c, -0.5f, 0.7f), 0.0);
  Tensor condition = Tensor::allocate(DType::Bool, {5, 1});
  for (int64_t i = 0; i < 5; ++i)
    condition.mutableData<uint8_t>()[i] = i % 2;
  expectClose(
      gpu::where(&session, "where", condition, onDevice(a), onDevice(c)),
      rt::where(&host, "where", condition, a, c), 0.0);
}

TEST_F(DeviceOps, DataMovement) {
  Tensor x = random({3, 4, 5, 6});
  expectClose(gpu::transpose(&session, "t", onDevice(x), {0, 2, 1, 3}),
              rt::transpose(&host, "t", x, {0, 2, 1, 3}), 0.0);
  Tensor starts = shapeTensor({-1, 1}), ends = shapeTensor({-100, 6}),
         steps = shapeTensor({-2, 2});
  expectClose(
      gpu::slice(&session, "s", onDevice(x), starts, ends, steps, {1, 3}),
      rt::slice(&host, "s", x, starts, ends, steps, {1, 3}), 0.0);
  Tensor y = random({3, 4, 2, 6}), z = random({3, 4, 7, 6});
  expectClose(
      gpu::concat(&session, "c", {onDevice(x), onDevice(y), onDevice(z)}, 2),
      rt::concat(&host, "c", {x, y, z}, 2), 0.0);
  Tensor small = random({4, 1, 6}), shape = shapeTensor({2, 4, 5, 6});
  expectClose(gpu::expand(&session, "e", onDevice(small), shape),
              rt::expand(&host, "e", small, shape), 0.0);
  Tensor table = random({50, 24});
  Tensor indices = Tensor::allocate(DType::I64, {2, 3});
  for (int64_t i = 0; i < 6; ++i)
    indices.mutableData<int64_t>()[i] = i * 7 % 50 - (i == 4 ? 50 : 0);
  expectClose(gpu::gather(&session, "g", onDevice(table), indices, 0),
              rt::gather(&host, "g", table, indices, 0), 0.0);
  Tensor columns = Tensor::allocate(DType::I64, {4});
  for (int64_t i = 0; i < 4; ++i)
    columns.mutableData<int64_t>()[i] = 5 - 3 * i;
  expectClose(gpu::gather(&session, "g", onDevice(x), columns, 3),
              rt::gather(&host, "g", x, columns, 3), 0.0);
}

TEST_F(DeviceOps, HadamardBitForBitAtEverySize) {
  // Powers of two and the Kronecker sizes qcc-rotate produces (576 = 36 ·
  // 16, 960 = 60 · 16, 1536 = 12 · 128, 2560 = 20 · 128, 5120 = 20 · 256).
  for (int64_t block : {64, 576, 960, 1536, 2560, 5120})
    for (bool transpose : {false, true}) {
      Tensor x = random({3, 2 * block}, 2.0f);
      expectClose(gpu::hadamard(&session, "h", onDevice(x), block, transpose),
                  rt::hadamard(&host, "h", x, block, transpose), 0.0);
    }
}

TEST_F(DeviceOps, RefusalsNameTheNode) {
  rt::Session failing(emptyModel(), nullptr, {});
  gpu::kAccelerator.begin(state, failing);
  Tensor x = onDevice(random({3, 8})), w = onDevice(random({4, 9}));
  EXPECT_TRUE(gpu::linear(&failing, "/layer/MatMul", x, w, Tensor()).isNull());
  EXPECT_EQ(failing.message(),
            "node \"/layer/MatMul\": input [3, 8] does not fit the weight "
            "[4, 9]");
  // Later ops return at once.
  EXPECT_TRUE(gpu::silu(&failing, "after", x).isNull());
  EXPECT_EQ(failing.message().find("after"), std::string::npos);
}

} // namespace
