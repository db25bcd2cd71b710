//===- CudaQuantizedActivationTest.cpp - int and fp8 qlinear --------------===//
//
// Tests that quantizeActivations and quantizedActivationLinear compute the
// interpreter's function: activation codes and the integer products (w8a8,
// w4a8 two-level, w4a4, several blocks, Runtime Smooth) bit for bit against
// the CPU runtime's portable kernels, which QLinearKernelsTest ties to the
// interpreter; fp8 (e4m3 × e4m3) against the CPU runtime within f32
// reordering. Fresh random data and ragged shapes (M = 1 to 1000; N and K
// off the tiles). Skipped, visibly, where no sm90 GPU is present.
//
//===----------------------------------------------------------------------===//

#include "CudaTestSupport.h"
#include "lib/Runtime/cpu/MinifloatKernels.h"
#include "lib/Runtime/cpu/QLinearKernels.h"
#include "lib/Runtime/cuda/QLinear.h"
#include "qcc/Numerics/Activations.h"
#include "qcc/Numerics/Formats.h"

using namespace qcc;
using namespace qcc::cudatest;

namespace {

struct IntegerCase {
  int64_t m, n, k;
  bool int4;
  int64_t group; // 0: per channel
  bool twoLevel;
  int64_t smoothGroup; // 0: none
  /// Largest activation code: 127 for int8, 7 for int4 (w4a4, int4 values
  /// in int8 codes).
  float activationMaximum = 127.0f;
  /// int4 codes in [-7, 7], as qcc's quantizer writes them (two-level: the
  /// products q · s fit int8, and the warpgroup kernel takes many rows),
  /// rather than [-8, 7].
  bool sevenLevels = false;
};

std::string integerName(const ::testing::TestParamInfo<IntegerCase> &info) {
  const IntegerCase &c = info.param;
  return "M" + std::to_string(c.m) + "_N" + std::to_string(c.n) + "_K" +
         std::to_string(c.k) + (c.int4 ? "_int4" : "_int8") + "_g" +
         (c.group ? std::to_string(c.group) : "channel") +
         (c.twoLevel ? "_twolevel" : "") +
         (c.smoothGroup ? "_smooth" + std::to_string(c.smoothGroup) : "") +
         (c.activationMaximum < 127.0f ? "_a4" : "") +
         (c.sevenLevels ? "_q7" : "");
}

class CudaIntegerLinear : public ::testing::TestWithParam<IntegerCase> {};

TEST_P(CudaIntegerLinear, MatchesCpuRuntimeBitForBit) {
  REQUIRE_GPU();
  const IntegerCase &c = GetParam();
  std::mt19937 rng = freshGenerator();
  int64_t group = c.group ? std::min(c.group, c.k) : c.k;
  int64_t groups = (c.k + group - 1) / group;
  int64_t block = c.twoLevel ? c.k : group;
  if (c.smoothGroup)
    block = std::min(block, c.smoothGroup);
  int64_t codeMax = c.int4 ? 7 : 127;
  std::uniform_int_distribution<int> code(c.sevenLevels ? -codeMax
                                                        : -codeMax - 1,
                                          codeMax);
  std::uniform_int_distribution<int> integerScale(1, 17);
  std::uniform_real_distribution<float> positive(0.001f, 0.05f);

  std::vector<int8_t> codes(c.n * c.k);
  for (int8_t &v : codes)
    v = static_cast<int8_t>(code(rng));
  std::vector<float> groupScales(c.n * groups), channels(c.n);
  std::vector<uint8_t> integerScales(c.n * groups);
  for (float &v : groupScales)
    v = positive(rng);
  for (uint8_t &v : integerScales)
    v = static_cast<uint8_t>(integerScale(rng));
  for (float &v : channels)
    v = positive(rng);
  std::vector<float> x = drawActivations(c.m, c.k, rng);

  // The CPU runtime: codes [n, paddedWidth(k)] or packInt4's layout.
  int64_t cpuWidth = rt::paddedWidth(c.k);
  std::vector<int8_t> cpuCodes(c.n * cpuWidth, 0);
  std::vector<uint8_t> cpuInt4(c.n * cpuWidth / 2);
  for (int64_t col = 0; col < c.n; ++col)
    std::memcpy(&cpuCodes[col * cpuWidth], &codes[col * c.k], c.k);
  if (c.int4)
    rt::packInt4(codes.data(), c.n, c.k, cpuInt4.data());
  rt::IntegerWeight cpuWeight;
  cpuWeight.n = c.n;
  cpuWeight.k = c.k;
  cpuWeight.codes = c.int4 ? nullptr : cpuCodes.data();
  cpuWeight.packedInt4 = c.int4 ? cpuInt4.data() : nullptr;
  cpuWeight.groupSize = group;
  cpuWeight.groups = groups;
  cpuWeight.groupScales = c.twoLevel ? nullptr : groupScales.data();
  cpuWeight.integerScales = c.twoLevel ? integerScales.data() : nullptr;
  cpuWeight.channelScales = c.twoLevel ? channels.data() : nullptr;

  std::vector<float> maxima;
  if (c.smoothGroup) {
    maxima.resize((c.k + c.smoothGroup - 1) / c.smoothGroup);
    rt::runtimeSmoothMaxima(x.data(), c.m, c.k, c.smoothGroup, maxima.data());
  }
  std::vector<int8_t> cpuActivations(c.m * cpuWidth);
  std::vector<float> cpuTokenScales(c.m);
  rt::quantizeActivations(x.data(), c.m, c.k, c.activationMaximum,
                          c.smoothGroup ? maxima.data() : nullptr,
                          c.smoothGroup, cpuActivations.data(),
                          cpuTokenScales.data());
  rt::IntegerProduct cpuProduct;
  cpuProduct.codes = cpuActivations.data();
  cpuProduct.tokenScales = cpuTokenScales.data();
  cpuProduct.rows = c.m;
  cpuProduct.block = block;
  cpuProduct.maxima = c.smoothGroup ? maxima.data() : nullptr;
  cpuProduct.smoothGroup = c.smoothGroup;
  std::vector<float> expected(c.m * c.n);
  rt::integerLinearPortable(cpuProduct, cpuWeight, expected.data(), c.n, 0,
                            c.n);

  // The GPU: the same steps from the same f32 activations.
  auto layout =
      c.int4 ? cuda::FragmentCodes::Int4ForS8 : cuda::FragmentCodes::Int8ForS8;
  std::vector<uint8_t> packed(cuda::packedWeightBytes(layout, c.n, c.k));
  cuda::packWeightFragments(layout, codes.data(), c.n, c.k, packed.data());
  int64_t width = cuda::paddedColumns(c.n);
  std::vector<float> scalesT(groups * width), channelsT(width, 0.0f);
  std::vector<uint8_t> integerT(groups * width);
  cuda::transposeScales(groupScales.data(), c.n, groups, scalesT.data());
  cuda::transposeScales(integerScales.data(), c.n, groups, integerT.data());
  std::copy(channels.begin(), channels.end(), channelsT.begin());
  DeviceVector<uint8_t> dPacked(packed), dIntegerScales(integerT);
  DeviceVector<float> dScales(scalesT), dChannels(channelsT), dX(x);
  DeviceVector<float> dMaxima(c.smoothGroup ? maxima : std::vector<float>(1));
  int64_t paddedK = cuda::paddedDepth(c.k);
  auto dCodes = poisoned<uint8_t>(c.m * paddedK);
  auto dTokenScales = poisoned<float>(c.m);
  auto dY = poisoned<float>(c.m * c.n);
  if (c.smoothGroup) {
    ASSERT_EQ(cuda::runtimeSmoothMaxima(dX.get(), c.m, c.k, c.smoothGroup,
                                        dMaxima.get(), nullptr),
              cudaSuccess);
  }
  ASSERT_EQ(cuda::quantizeActivations(dX.get(), c.m, c.k, c.activationMaximum,
                                      cuda::ActivationCodes::Int8,
                                      c.smoothGroup ? dMaxima.get() : nullptr,
                                      c.smoothGroup, dCodes.get(),
                                      dTokenScales.get(), nullptr),
            cudaSuccess);
  cuda::DeviceWeight weight;
  weight.codes = layout;
  weight.n = c.n;
  weight.k = c.k;
  weight.packed = dPacked.get();
  weight.groupSize = group;
  weight.groups = groups;
  weight.groupScales = c.twoLevel ? nullptr : dScales.get();
  weight.integerScales = c.twoLevel ? dIntegerScales.get() : nullptr;
  weight.channelScales = c.twoLevel ? dChannels.get() : nullptr;
  weight.int8Products =
      c.twoLevel && cuda::twoLevelProductsFitInt8(codes.data(),
                                                  integerScales.data(), c.n,
                                                  c.k, group, groups);
  EXPECT_EQ(weight.int8Products, c.twoLevel && c.sevenLevels);
  cuda::DeviceActivations activations;
  activations.codes = dCodes.get();
  activations.tokenScales = dTokenScales.get();
  activations.rows = c.m;
  activations.block = block;
  activations.maxima = c.smoothGroup ? dMaxima.get() : nullptr;
  activations.smoothGroup = c.smoothGroup;
  ASSERT_EQ(
      cuda::quantizedActivationLinear(activations, weight, dY.get(), nullptr),
      cudaSuccess);
  ASSERT_EQ(cudaDeviceSynchronize(), cudaSuccess);

  if (c.smoothGroup) {
    EXPECT_EQ(0, std::memcmp(dMaxima.download().data(), maxima.data(),
                             maxima.size() * sizeof(float)));
  }
  std::vector<uint8_t> gpuCodes = dCodes.download();
  std::vector<float> gpuTokenScales = dTokenScales.download();
  EXPECT_EQ(0, std::memcmp(gpuTokenScales.data(), cpuTokenScales.data(),
                           c.m * sizeof(float)));
  for (int64_t row = 0; row < c.m; ++row) {
    ASSERT_EQ(0, std::memcmp(&gpuCodes[row * paddedK],
                             &cpuActivations[row * cpuWidth], c.k))
        << "activation codes of row " << row;
    for (int64_t col = c.k; col < paddedK; ++col)
      ASSERT_EQ(gpuCodes[row * paddedK + col], 0) << "padding of row " << row;
  }
  std::vector<float> y = dY.download();
  int64_t mismatches = 0;
  for (int64_t i = 0; i < c.m * c.n; ++i)
    if (std::memcmp(&y[i], &expected[i], sizeof(float)) != 0 &&
        mismatches++ < 5)
      ADD_FAILURE() << "y[" << i / c.n << ", " << i % c.n << "] = " << y[i]
                    << ", the CPU runtime gives " << expected[i];
  EXPECT_EQ(mismatches, 0);
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, CudaIntegerLinear,
    ::testing::Values(
        // w8a8: per-channel weights, one block, split along K.
        IntegerCase{1, 4096, 4096, false, 0, false, 0},
        IntegerCase{3, 200, 1000, false, 0, false, 0},
        IntegerCase{17, 576, 1536, false, 0, false, 0},
        IntegerCase{64, 40, 300, false, 0, false, 0},
        IntegerCase{129, 1000, 576, false, 0, false, 0},
        IntegerCase{1000, 96, 256, false, 0, false, 0},
        // Many rows of one block: the warpgroup kernel, 128 rows (up to 128)
        // or 256 a block, N and K off its tiles.
        IntegerCase{100, 40, 300, false, 0, false, 0},
        IntegerCase{520, 1000, 4096, false, 0, false, 0},
        // Few rows of a weight wide enough to fill the GPU without split-K:
        // the warpgroup kernel too.
        IntegerCase{20, 13000, 256, false, 0, false, 0},
        // One tile of K: no split, the kernel applies the scales itself.
        IntegerCase{7, 50, 100, false, 0, false, 0},
        // Group scales: one f32 sum after another, block by block.
        IntegerCase{3, 136, 1000, false, 128, false, 0},
        // Several blocks and many rows: the streaming kernel, 64 rows at a
        // time.
        IntegerCase{200, 136, 1000, false, 128, false, 0},
        IntegerCase{33, 300, 640, false, 256, false, 0},
        // w4a8: int4 codes with two-level integer scales.
        IntegerCase{1, 4096, 4096, true, 128, true, 0},
        IntegerCase{17, 1536, 576, true, 128, true, 0},
        IntegerCase{64, 100, 1000, true, 128, true, 0},
        IntegerCase{129, 576, 1536, true, 256, true, 0},
        // ... with codes in [-7, 7]: the warpgroup kernel's q · s products.
        IntegerCase{129, 576, 1536, true, 256, true, 0, 127.0f, true},
        IntegerCase{100, 40, 300, true, 128, true, 0, 127.0f, true},
        IntegerCase{1000, 1000, 640, true, 128, true, 0, 127.0f, true},
        IntegerCase{33, 13000, 384, true, 128, true, 0, 127.0f, true},
        // Runtime Smooth: blocks of the smoothing group.
        IntegerCase{5, 200, 1536, false, 0, false, 128},
        IntegerCase{20, 72, 640, true, 128, true, 256},
        // w4a4: int4 activations (as int8 codes) × int4 weights with f32
        // groups, Runtime Smooth.
        IntegerCase{1, 1536, 576, true, 128, false, 128, 7.0f},
        IntegerCase{17, 300, 1000, true, 128, false, 128, 7.0f}),
    integerName);

struct Fp8Case {
  int64_t m, n, k;
  int64_t smoothGroup; // 0: none
};

std::string fp8Name(const ::testing::TestParamInfo<Fp8Case> &info) {
  const Fp8Case &c = info.param;
  return "M" + std::to_string(c.m) + "_N" + std::to_string(c.n) + "_K" +
         std::to_string(c.k) +
         (c.smoothGroup ? "_smooth" + std::to_string(c.smoothGroup) : "");
}

class CudaFp8Linear : public ::testing::TestWithParam<Fp8Case> {};

// fp8: e4m3 activation codes (per token) are the interpreter's bit for
// bit; the product is compared with the CPU runtime's minifloatLinear on the
// same codes. Products of e4m3 values are exact in f32 and each tile's sum
// leaves the tensor cores after 128 codes. Up to 16 rows (the mma.sync
// kernels) what differs is the order of f32 sums: measured 3e-8 to 1e-7
// relative L2 on an H200, bound 1e-5. More rows may take the warpgroup
// kernel, whose wgmma keeps about 13 mantissa bits in each 128-code partial
// sum (as cuBLAS's and DeepGEMM's fp8 products do): measured 2.1e-4 to
// 2.3e-4, bound 1e-3 — still 30× below e4m3's own rounding (2^-4) — while a
// wrong code, scale or index gives O(1).
TEST_P(CudaFp8Linear, MatchesCpuRuntime) {
  REQUIRE_GPU();
  const Fp8Case &c = GetParam();
  std::mt19937 rng = freshGenerator();
  int64_t block = c.smoothGroup ? std::min(c.smoothGroup, c.k) : c.k;
  std::uniform_real_distribution<float> weight(-400.0f, 400.0f);
  std::uniform_real_distribution<float> positive(0.001f, 0.05f);
  std::vector<uint8_t> codes(c.n * c.k);
  for (uint8_t &code : codes)
    code = numerics::encodeE4M3(weight(rng));
  std::vector<float> scales(c.n);
  for (float &v : scales)
    v = positive(rng);
  std::vector<float> x = drawActivations(c.m, c.k, rng);

  std::vector<float> maxima;
  if (c.smoothGroup) {
    maxima.resize((c.k + c.smoothGroup - 1) / c.smoothGroup);
    rt::runtimeSmoothMaxima(x.data(), c.m, c.k, c.smoothGroup, maxima.data());
  }
  // The interpreter's codes: x (smoothed) quantized per token to e4m3.
  std::vector<float> smoothedX = x;
  for (int64_t i = 0; c.smoothGroup && i < c.m * c.k; ++i)
    smoothedX[i] *= 1.0f / maxima[i % c.k / c.smoothGroup];
  std::vector<float> cpuCodes(c.m * c.k), tokenScales(c.m);
  numerics::quantizeRows(smoothedX.data(), c.m, c.k, 448.0f, true,
                         cpuCodes.data(), tokenScales.data());
  rt::MinifloatWeight cpuWeight;
  cpuWeight.n = c.n;
  cpuWeight.k = c.k;
  cpuWeight.groupSize = c.k;
  cpuWeight.groups = 1;
  cpuWeight.codes = codes.data();
  cpuWeight.groupScales = scales.data();
  std::vector<float> expected(c.m * c.n);
  rt::minifloatLinear(cpuCodes.data(), tokenScales.data(), c.m, block,
                      c.smoothGroup ? maxima.data() : nullptr, c.smoothGroup,
                      cpuWeight, expected.data(), c.n, 0, c.n);

  auto layout = cuda::FragmentCodes::E4M3ForF8;
  std::vector<uint8_t> packed(cuda::packedWeightBytes(layout, c.n, c.k));
  cuda::packWeightFragments(layout,
                            reinterpret_cast<const int8_t *>(codes.data()), c.n,
                            c.k, packed.data());
  std::vector<float> scalesT(cuda::paddedColumns(c.n));
  cuda::transposeScales(scales.data(), c.n, 1, scalesT.data());
  DeviceVector<uint8_t> dPacked(packed);
  DeviceVector<float> dScales(scalesT), dX(x);
  DeviceVector<float> dMaxima(c.smoothGroup ? maxima : std::vector<float>(1));
  int64_t paddedK = cuda::paddedDepth(c.k);
  auto dCodes = poisoned<uint8_t>(c.m * paddedK);
  auto dTokenScales = poisoned<float>(c.m);
  auto dY = poisoned<float>(c.m * c.n);
  ASSERT_EQ(cuda::quantizeActivations(
                dX.get(), c.m, c.k, 448.0f, cuda::ActivationCodes::E4M3,
                c.smoothGroup ? dMaxima.get() : nullptr, c.smoothGroup,
                dCodes.get(), dTokenScales.get(), nullptr),
            cudaSuccess);
  cuda::DeviceWeight deviceWeight;
  deviceWeight.codes = layout;
  deviceWeight.n = c.n;
  deviceWeight.k = c.k;
  deviceWeight.packed = dPacked.get();
  deviceWeight.groupSize = c.k;
  deviceWeight.groups = 1;
  deviceWeight.groupScales = dScales.get();
  cuda::DeviceActivations activations;
  activations.codes = dCodes.get();
  activations.fp8 = true;
  activations.tokenScales = dTokenScales.get();
  activations.rows = c.m;
  activations.block = block;
  activations.maxima = c.smoothGroup ? dMaxima.get() : nullptr;
  activations.smoothGroup = c.smoothGroup;
  ASSERT_EQ(cuda::quantizedActivationLinear(activations, deviceWeight, dY.get(),
                                            nullptr),
            cudaSuccess);
  ASSERT_EQ(cudaDeviceSynchronize(), cudaSuccess);

  std::vector<uint8_t> gpuCodes = dCodes.download();
  std::vector<float> gpuTokenScales = dTokenScales.download();
  EXPECT_EQ(0, std::memcmp(gpuTokenScales.data(), tokenScales.data(),
                           c.m * sizeof(float)));
  for (int64_t i = 0; i < c.m * c.k; ++i)
    ASSERT_EQ(numerics::decodeE4M3(gpuCodes[i / c.k * paddedK + i % c.k]),
              cpuCodes[i])
        << "activation code " << i;
  std::vector<float> y = dY.download();
  expectCloseInL2(y, expected, c.n, c.m > 16 ? 1e-3 : 1e-5);
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, CudaFp8Linear,
    ::testing::Values(Fp8Case{1, 4096, 4096, 0}, Fp8Case{3, 200, 1000, 0},
                      Fp8Case{17, 576, 1536, 0}, Fp8Case{64, 100, 700, 0},
                      Fp8Case{129, 1536, 576, 0}, Fp8Case{5, 300, 1536, 128},
                      // The warpgroup kernel: 128 rows a block.
                      Fp8Case{70, 40, 300, 0}, Fp8Case{1000, 1000, 1024, 0},
                      Fp8Case{33, 13000, 256, 0}),
    fp8Name);

} // namespace
