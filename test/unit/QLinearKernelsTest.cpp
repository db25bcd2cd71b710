//===- QLinearKernelsTest.cpp - CPU qlinear kernels vs the interpreter ----===//
//
// Tests that the x86 integer qlinear path (activation quantization, Runtime
// Smooth, the AVX2 and portable products, int8 codes and packed int4)
// gives the interpreter's results bit for bit, on fresh random data and ragged
// shapes: M = 1, 3, 17, 64, 129; N and K off the kernels' tiles; int8 per
// channel, int4 per group, two-level int4 (w4a8), int4 activations, Runtime
// Smooth.
//
//===----------------------------------------------------------------------===//

#include "lib/Runtime/cpu/QLinearKernels.h"
#include "dialects/qcc/QccOps.h"
#include "lib/Runtime/cpu/QLinearKernelsInternal.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Parser/Parser.h"
#include "qcc/Interpreter/Interpreter.h"
#include "qcc/Numerics/Formats.h"
#include "qcc/Pipeline/Pipeline.h"
#include <cmath>
#include <cstring>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <random>

using namespace qcc;

namespace {

struct Case {
  int64_t m, n, k;
  const char *format; // int8 or int4
  int64_t group;      // -1: per channel
  bool twoLevel;
  const char *activations; // int8 or int4
  int64_t smoothGroup;     // 0: none
};

/// The test's name: shape, formats, group and smoothing.
std::string caseName(const ::testing::TestParamInfo<Case> &info) {
  const Case &c = info.param;
  return fmt::format("M{}_N{}_K{}_{}_g{}{}_a{}{}", c.m, c.n, c.k, c.format,
                     c.group > 0 ? std::to_string(c.group) : "channel",
                     c.twoLevel ? "_twolevel" : "", c.activations,
                     c.smoothGroup ? "_smooth" + std::to_string(c.smoothGroup)
                                   : "");
}

/// A dense literal of `values` as [rows, values.size() / rows] (one row:
/// a vector).
std::string denseList(const std::vector<double> &values, int64_t rows = 1) {
  int64_t columns = values.size() / rows;
  std::string text;
  for (int64_t r = 0; r < rows; ++r) {
    std::string row;
    for (int64_t c = 0; c < columns; ++c)
      row += (c ? ", " : "") + fmt::format("{:.9g}", values[r * columns + c]);
    text += (r ? ", " : "") + (rows > 1 ? "[" + row + "]" : row);
  }
  return "[" + text + "]";
}

/// A random qlinear of case `c` and its interpreter result.
struct Drawn {
  std::vector<double> codes, scales, channels;
  std::vector<float> x, reference;
  int64_t group = 0, groups = 0, block = 0;
};

Drawn drawAndInterpret(const Case &c, std::mt19937 &rng) {
  int64_t group = c.group > 0 ? std::min(c.group, c.k) : c.k;
  int64_t groups = (c.k + group - 1) / group;
  int64_t codeMax = c.twoLevel ? 7 : std::string(c.format) == "int8" ? 127 : 7;
  std::uniform_int_distribution<int> code(-codeMax - (c.twoLevel ? 0 : 1),
                                          codeMax);
  std::uniform_int_distribution<int> integerScale(1, 17);
  std::uniform_real_distribution<float> positive(0.001f, 0.05f);
  std::normal_distribution<float> normal(0.0f, 1.0f);

  std::vector<double> codes(c.n * c.k), scales(c.n * groups), channels(c.n);
  for (double &v : codes)
    v = code(rng);
  for (double &v : scales)
    v = c.twoLevel ? integerScale(rng) : positive(rng);
  for (double &v : channels)
    v = positive(rng);
  // Activations with a few large channels, as Runtime Smooth meets them.
  std::vector<float> x(c.m * c.k);
  for (int64_t i = 0; i < c.m * c.k; ++i)
    x[i] = normal(rng) * ((i % c.k) % 29 == 3 ? 40.0f : 1.0f);
  // The weight-only kernels round activations to bf16 (QLinearKernels.h):
  // the interpreter gets the rounded values, the kernels these.
  std::vector<float> interpreted = x;
  if (c.activations == std::string("float"))
    for (float &v : interpreted)
      v = numerics::roundToBfloat16(v);

  std::string weightType = c.format == std::string("int8") ? "i8" : "i4";
  std::string scaleType = c.twoLevel ? "ui8" : "f32";
  std::string channelOperand = c.twoLevel ? " channel_scales %c" : "";
  std::string channelDecl =
      c.twoLevel ? fmt::format("    %c = arith.constant dense<{}> : "
                               "tensor<{}xf32>\n",
                               denseList(channels), c.n)
                 : "";
  std::string channelType =
      c.twoLevel ? fmt::format(", tensor<{}xf32>", c.n) : "";
  std::string smooth =
      c.smoothGroup
          ? fmt::format(", runtime_smooth_group = {} : i64", c.smoothGroup)
          : "";
  std::string source = fmt::format(
      "func.func @main(%x: tensor<{m}x{k}xf32>) -> tensor<{m}x{n}xf32> {{\n"
      "    %w = arith.constant dense<{codes}> : tensor<{n}x{k}x{wt}>\n"
      "    %s = arith.constant dense<{scales}> : tensor<{n}x{g}x{st}>\n"
      "{cdecl}"
      "    %y = qcc.qlinear %x, %w, %s{cop} {{activation_format = \"{act}\", "
      "group_size = {gs} : i64{smooth}, weight_format = \"{fmt}\"}} : "
      "(tensor<{m}x{k}xf32>, tensor<{n}x{k}x{wt}>, tensor<{n}x{g}x{st}>{ct}) "
      "-> tensor<{m}x{n}xf32>\n"
      "    return %y : tensor<{m}x{n}xf32>\n}}\n",
      fmt::arg("m", c.m), fmt::arg("n", c.n), fmt::arg("k", c.k),
      fmt::arg("codes", denseList(codes, c.n)), fmt::arg("wt", weightType),
      fmt::arg("scales", denseList(scales, c.n)), fmt::arg("g", groups),
      fmt::arg("st", scaleType), fmt::arg("cdecl", channelDecl),
      fmt::arg("cop", channelOperand), fmt::arg("act", c.activations),
      fmt::arg("gs", group), fmt::arg("smooth", smooth),
      fmt::arg("fmt", c.format), fmt::arg("ct", channelType));

  mlir::DialectRegistry registry;
  registerPipelineDialects(registry);
  mlir::MLIRContext context(registry);
  auto module = mlir::parseSourceString<mlir::ModuleOp>(source, &context);
  EXPECT_TRUE(module) << source.substr(0, 400);
  if (!module)
    return {};
  auto func = module->lookupSymbol<mlir::func::FuncOp>("main");
  auto qlinear = *func.getOps<QLinearOp>().begin();
  HostTensor input(ElementKind::F32, {c.m, c.k});
  llvm::copy(interpreted, input.mutableValues<float>().begin());
  auto expected = interpret(func, {input});
  EXPECT_TRUE(mlir::succeeded(expected));
  if (mlir::failed(expected))
    return {};
  llvm::ArrayRef<float> result = (*expected)[0].values<float>();
  Drawn d{codes,
          scales,
          channels,
          x,
          {result.begin(), result.end()},
          group,
          groups,
          qlinear.getAccumulationBlock()};
  return d;
}

class QLinearKernels : public ::testing::TestWithParam<Case> {
protected:
  std::mt19937 rng{std::random_device{}()};
};

TEST_P(QLinearKernels, MatchInterpreterBitForBit) {
  const Case &c = GetParam();
  Drawn d = drawAndInterpret(c, rng);
  if (d.reference.empty())
    return;
  auto &[codes, scales, channels, x, reference, group, groups, block] = d;
  std::string weightType = c.format == std::string("int8") ? "i8" : "i4";

  // The kernels' inputs.
  int64_t padded = rt::paddedWidth(c.k);
  std::vector<int8_t> weightCodes(c.n * padded, 0);
  for (int64_t row = 0; row < c.n; ++row)
    for (int64_t col = 0; col < c.k; ++col)
      weightCodes[row * padded + col] =
          static_cast<int8_t>(codes[row * c.k + col]);
  std::vector<float> groupScales;
  std::vector<uint8_t> integerScales;
  std::vector<float> channelScales(channels.begin(), channels.end());
  for (double s : scales) {
    groupScales.push_back(static_cast<float>(s));
    integerScales.push_back(static_cast<uint8_t>(s));
  }
  rt::IntegerWeight weight;
  weight.n = c.n;
  weight.k = c.k;
  weight.codes = weightCodes.data();
  weight.groupSize = group;
  weight.groups = groups;
  weight.groupScales = c.twoLevel ? nullptr : groupScales.data();
  weight.integerScales = c.twoLevel ? integerScales.data() : nullptr;
  weight.channelScales = c.twoLevel ? channelScales.data() : nullptr;

  std::vector<float> maxima(c.k);
  if (c.smoothGroup)
    rt::runtimeSmoothMaxima(x.data(), c.m, c.k, c.smoothGroup, maxima.data());
  std::vector<int8_t> activationCodes(c.m * padded);
  std::vector<float> tokenScales(c.m);
  float qmax = c.activations == std::string("int4") ? 7.0f : 127.0f;
  rt::quantizeActivations(
      x.data(), c.m, c.k, qmax, c.smoothGroup ? maxima.data() : nullptr,
      c.smoothGroup, activationCodes.data(), tokenScales.data());
  rt::IntegerProduct product;
  product.codes = activationCodes.data();
  product.tokenScales = tokenScales.data();
  product.rows = c.m;
  product.block = block;
  product.maxima = c.smoothGroup ? maxima.data() : nullptr;
  product.smoothGroup = c.smoothGroup;

  std::vector<float> fast(c.m * c.n), portable(c.m * c.n);
  // Two column ranges, as a thread pool would split them.
  rt::integerLinear(product, weight, fast.data(), c.n, 0, c.n / 2);
  rt::integerLinear(product, weight, fast.data(), c.n, c.n / 2, c.n);
  rt::integerLinearPortable(product, weight, portable.data(), c.n, 0, c.n);
  // Where integerLinear took VNNI, the AVX2 variant must give the same bits.
  auto aligned = [&](int64_t size) {
    return size % rt::kCodeAlignment == 0 || size >= c.k;
  };
  std::vector<float> avx2 = fast;
  if (rt::hasAvx2() && aligned(block) && aligned(group))
    rt::integerLinearAvx2(product, weight, avx2.data(), c.n, 0, c.n);
  // int4 codes also packed two a byte, through both paths.
  std::vector<float> packedFast(c.m * c.n), packedPortable(c.m * c.n);
  bool int4 = weightType == "i4";
  if (int4) {
    std::vector<int8_t> dense(c.n * c.k);
    for (int64_t i = 0; i < c.n * c.k; ++i)
      dense[i] = static_cast<int8_t>(codes[i]);
    std::vector<uint8_t> packed(c.n * padded / 2);
    rt::packInt4(dense.data(), c.n, c.k, packed.data());
    rt::IntegerWeight packedWeight = weight;
    packedWeight.codes = nullptr;
    packedWeight.packedInt4 = packed.data();
    rt::integerLinear(product, packedWeight, packedFast.data(), c.n, 0, c.n);
    rt::integerLinearPortable(product, packedWeight, packedPortable.data(), c.n,
                              0, c.n);
  }
  auto differs = [&](const std::vector<float> &values, int64_t i) {
    return std::memcmp(&values[i], &reference[i], sizeof(float)) != 0;
  };
  int64_t mismatches = 0;
  for (int64_t i = 0; i < c.m * c.n; ++i) {
    mismatches += differs(fast, i) + differs(portable, i) + differs(avx2, i);
    if (int4)
      mismatches += differs(packedFast, i) + differs(packedPortable, i);
  }
  EXPECT_EQ(mismatches, 0) << "first: fast " << fast[0] << " portable "
                           << portable[0] << " interpreter " << reference[0];
}

// Shapes: M from the list, and 2 and 6 for the few-row kernel's
// 2-row tiles; K = 200 and 576 (not multiples of every group), N = 37 and
// 19 (odd, off any tile).
INSTANTIATE_TEST_SUITE_P(
    Shapes, QLinearKernels,
    ::testing::Values(Case{1, 37, 200, "int8", -1, false, "int8", 0},
                      Case{3, 37, 200, "int8", -1, false, "int8", 0},
                      Case{17, 19, 576, "int8", -1, false, "int8", 0},
                      Case{64, 19, 576, "int4", 64, false, "int8", 0},
                      Case{129, 37, 200, "int4", 32, false, "int8", 0},
                      Case{17, 37, 200, "int4", 64, true, "int8", 0},
                      Case{129, 19, 576, "int4", 128, true, "int8", 0},
                      Case{3, 37, 576, "int4", 64, false, "int4", 64},
                      Case{64, 19, 200, "int4", 128, false, "int4", 128},
                      Case{17, 37, 200, "int4", 50, false, "int8", 0},
                      Case{1, 19, 576, "int4", 64, true, "int8", 64},
                      Case{57, 37, 384, "int4", 128, true, "int8", 128},
                      Case{2, 37, 576, "int8", -1, false, "int8", 0},
                      Case{6, 19, 576, "int4", 64, true, "int8", 64},
                      Case{3, 37, 200, "int4", 64, true, "int8", 0},
                      // int4 segments of 128 codes and more on the few-row
                      // kernel (128 a step, then 64 and 32).
                      Case{1, 37, 576, "int4", -1, false, "int8", 0},
                      Case{1, 19, 200, "int4", 128, true, "int8", 0},
                      Case{2, 19, 1000, "int4", 256, true, "int8", 0},
                      Case{4, 37, 416, "int4", 128, false, "int8", 0},
                      Case{3, 37, 1000, "int4", 512, true, "int8", 256}),
    caseName);

class WeightOnlyKernels : public QLinearKernels {};

/// The weight-only paths, given f32 activations, against the interpreter
/// given them rounded to bf16: each output within twice the bound of f32
/// summation in any order, 2 · K · 2^-24 · Σ_k |x_k w_k| (the products of
/// the rounded x are exact), which holds only if every path rounds.
TEST_P(WeightOnlyKernels, MatchInterpreterWithinSummationBound) {
  const Case &c = GetParam();
  Drawn d = drawAndInterpret(c, rng);
  if (d.reference.empty())
    return;
  int64_t padded = rt::paddedWidth(c.k);
  std::vector<int8_t> dense(c.n * c.k), codes(c.n * padded, 0);
  for (int64_t row = 0; row < c.n; ++row)
    for (int64_t col = 0; col < c.k; ++col) {
      dense[row * c.k + col] = static_cast<int8_t>(d.codes[row * c.k + col]);
      codes[row * padded + col] = dense[row * c.k + col];
    }
  std::vector<uint8_t> packed(c.n * padded / 2);
  std::vector<float> scales(d.scales.begin(), d.scales.end());
  rt::IntegerWeight weight;
  weight.n = c.n;
  weight.k = c.k;
  weight.groupSize = d.group;
  weight.groups = d.groups;
  weight.groupScales = scales.data();
  if (c.format == std::string("int4")) {
    rt::packInt4(dense.data(), c.n, c.k, packed.data());
    weight.packedInt4 = packed.data();
  } else {
    weight.codes = codes.data();
  }
  // The dispatched path (AVX-512 for int4 here, if the CPU has it), the
  // AVX2 one and the portable one.
  std::vector<float> fast(c.m * c.n), avx2(c.m * c.n), portable(c.m * c.n);
  rt::weightOnlyLinear(d.x.data(), c.m, weight, fast.data(), c.n, 0, c.n);
  rt::weightOnlyLinearPortable(d.x.data(), c.m, weight, portable.data(), c.n, 0,
                               c.n);
  bool aligned = d.group % rt::kCodeAlignment == 0 || d.group >= c.k;
  if (rt::hasAvx2() && aligned)
    rt::weightOnlyLinearAvx2(d.x.data(), c.m, weight, avx2.data(), c.n, 0, c.n);
  else
    avx2 = portable;
  int64_t outside = 0;
  double worst = 0.0;
  for (int64_t r = 0; r < c.m; ++r)
    for (int64_t col = 0; col < c.n; ++col) {
      double magnitude = 0.0;
      for (int64_t k = 0; k < c.k; ++k)
        magnitude += std::fabs(numerics::roundToBfloat16(d.x[r * c.k + k]) *
                               d.codes[col * c.k + k] *
                               d.scales[col * d.groups + k / d.group]);
      double bound = 2.0 * c.k * std::ldexp(1.0, -24) * magnitude;
      double reference = d.reference[r * c.n + col];
      for (float value : {fast[r * c.n + col], avx2[r * c.n + col],
                          portable[r * c.n + col]}) {
        double error = std::fabs(value - reference);
        outside += error > bound;
        worst = std::max(worst, bound > 0 ? error / bound : 0.0);
      }
    }
  EXPECT_EQ(outside, 0) << "worst error / bound " << worst;
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, WeightOnlyKernels,
    ::testing::Values(Case{1, 37, 200, "int4", 64, false, "float", 0},
                      Case{3, 19, 576, "int4", 128, false, "float", 0},
                      Case{5, 33, 576, "int4", -1, false, "float", 0},
                      Case{7, 17, 256, "int4", 32, false, "float", 0},
                      Case{17, 37, 200, "int8", -1, false, "float", 0},
                      Case{64, 19, 576, "int4", 32, false, "float", 0},
                      Case{129, 37, 200, "int4", 50, false, "float", 0},
                      // The bf16 product's tiles (12 rows, 16 columns):
                      // ragged rows and columns, K off 32, per channel.
                      Case{8, 16, 256, "int4", 128, false, "float", 0},
                      Case{13, 37, 200, "int4", 64, false, "float", 0},
                      Case{29, 33, 576, "int4", -1, false, "float", 0},
                      Case{64, 19, 1000, "int4", 128, false, "float", 0},
                      Case{129, 37, 416, "int4", 32, false, "float", 0}),
    caseName);

/// Every path of roundToBfloat16Rows gives numerics::roundToBfloat16's bits,
/// on random floats of every exponent and the special values (ties,
/// subnormals, NaN, overflow), at lengths off the vector widths.
TEST(Bfloat16Rows, EveryPathRoundsAsTheNumerics) {
  std::mt19937 rng(11);
  std::uniform_int_distribution<uint32_t> bits(0, 0xFFFFFFFFu);
  std::vector<float> x(1000);
  for (float &v : x)
    v = numerics::floatOf(bits(rng));
  const float special[] = {
      1.0f + 0x1p-8f, 1.0f + 3 * 0x1p-8f, -0x1p-130f, 0x1p-126f,
      3.4e38f,        -INFINITY,          NAN,        -0.0f,
      0x1.FFFFFEp127f};
  std::copy(std::begin(special), std::end(special), x.begin() + 3);
  for (int64_t count : {int64_t(1000), int64_t(13), int64_t(7)}) {
    std::vector<float> expected(count), dispatched(count), avx2(count);
    for (int64_t i = 0; i < count; ++i)
      expected[i] = numerics::roundToBfloat16(x[i]);
    rt::roundToBfloat16Rows(x.data(), count, dispatched.data());
    EXPECT_EQ(std::memcmp(dispatched.data(), expected.data(), count * 4), 0);
    if (rt::hasAvx2()) {
      rt::roundToBfloat16RowsAvx2(x.data(), count, avx2.data());
      EXPECT_EQ(std::memcmp(avx2.data(), expected.data(), count * 4), 0);
    }
  }
}

} // namespace
