//===- CudaQLinearTest.cpp - CUDA qlinear kernels vs the CPU runtime ------===//
//
// Tests that the sm90 qlinear kernels compute the interpreter's function:
// activation quantization and the integer products (w8a8, w4a8 two-level,
// several blocks, Runtime Smooth) bit for bit against the CPU runtime's
// portable kernels, which QLinearKernelsTest ties to the interpreter; fp8
// (e4m3 × e4m3) and the e2m1 schemes (fp4, MXFP4, NVFP4) against the CPU
// runtime within f32 reordering; the w4a16 product against a float64
// reference on the same f16 activations.
// Fresh random data and ragged shapes (M = 1, 3, 17, 64, 129, 1000; N and K
// off the tiles). Skipped, visibly, where no sm90 GPU is present.
//
//===----------------------------------------------------------------------===//

#include "lib/Runtime/cpu/MinifloatKernels.h"
#include "lib/Runtime/cpu/QLinearKernels.h"
#include "lib/Runtime/cuda/QLinear.h"
#include "qcc/Numerics/Activations.h"
#include "qcc/Numerics/Formats.h"
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <cuda_fp16.h>
#include <cuda_runtime.h>
#include <gtest/gtest.h>
#include <random>
#include <string>
#include <vector>

using namespace qcc;

namespace {

/// Why the GPU tests cannot run here, or empty.
std::string missingGpu() {
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess || count == 0)
    return "no CUDA device";
  cudaDeviceProp properties{};
  if (cudaGetDeviceProperties(&properties, 0) != cudaSuccess ||
      properties.major < 9)
    return "the CUDA device is older than sm90";
  return "";
}

#define REQUIRE_GPU()                                                          \
  do {                                                                         \
    if (std::string why = missingGpu(); !why.empty())                          \
      GTEST_SKIP() << why;                                                     \
  } while (false)

/// Device memory holding a copy of a host vector.
template <typename T> class DeviceVector {
public:
  explicit DeviceVector(const std::vector<T> &host) : count(host.size()) {
    EXPECT_EQ(cudaMalloc(&data, bytes()), cudaSuccess);
    EXPECT_EQ(cudaMemcpy(data, host.data(), bytes(), cudaMemcpyHostToDevice),
              cudaSuccess);
  }
  ~DeviceVector() { cudaFree(data); }
  T *get() const { return data; }
  std::vector<T> download() const {
    std::vector<T> host(count);
    EXPECT_EQ(cudaMemcpy(host.data(), data, bytes(), cudaMemcpyDeviceToHost),
              cudaSuccess);
    return host;
  }

private:
  size_t bytes() const { return count * sizeof(T); }
  size_t count;
  T *data = nullptr;
};

/// A device buffer of `count` elements poisoned with NaN bytes, so that an
/// element no kernel writes fails the comparison.
template <typename T> DeviceVector<T> poisoned(size_t count) {
  std::vector<T> host(count);
  std::memset(host.data(), 0xFF, count * sizeof(T));
  return DeviceVector<T>(host);
}

std::mt19937 freshGenerator() {
  // The clock, not std::random_device (which needs a newer C library than
  // the GPU machine may have).
  auto seed = static_cast<unsigned>(
      std::chrono::steady_clock::now().time_since_epoch().count());
  ::testing::Test::RecordProperty("seed", std::to_string(seed));
  return std::mt19937(seed);
}

/// The measured error, in the test's JSON/XML output.
void recordRelativeError(double relative) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.3g", relative);
  ::testing::Test::RecordProperty("relative_l2", text);
}

/// Checks y against `expected` ([rows, n]): no NaN (every element
/// written), relative L2 error within `bound`, the error recorded.
void expectCloseInL2(const std::vector<float> &y,
                     const std::vector<float> &expected, int64_t n,
                     double bound) {
  double error = 0, norm = 0;
  for (size_t i = 0; i < y.size(); ++i) {
    if (std::isnan(y[i])) {
      ADD_FAILURE() << "y[" << i / n << ", " << i % n << "] is NaN";
      return;
    }
    error += (double(y[i]) - expected[i]) * (double(y[i]) - expected[i]);
    norm += double(expected[i]) * expected[i];
  }
  double relative = std::sqrt(error / norm);
  recordRelativeError(relative);
  EXPECT_LE(relative, bound);
}

/// Activations with a few outlier channels, as real ones have.
std::vector<float> drawActivations(int64_t rows, int64_t k, std::mt19937 &rng) {
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> x(rows * k);
  for (int64_t i = 0; i < rows * k; ++i)
    x[i] = normal(rng) * (i % k % 37 == 5 ? 40.0f : 1.0f);
  return x;
}

struct IntegerCase {
  int64_t m, n, k;
  bool int4;
  int64_t group; // 0: per channel
  bool twoLevel;
  int64_t smoothGroup; // 0: none
  /// Largest activation code: 127 for int8, 7 for int4 (w4a4, int4 values
  /// in int8 codes).
  float activationMaximum = 127.0f;
};

std::string integerName(const ::testing::TestParamInfo<IntegerCase> &info) {
  const IntegerCase &c = info.param;
  return "M" + std::to_string(c.m) + "_N" + std::to_string(c.n) + "_K" +
         std::to_string(c.k) + (c.int4 ? "_int4" : "_int8") + "_g" +
         (c.group ? std::to_string(c.group) : "channel") +
         (c.twoLevel ? "_twolevel" : "") +
         (c.smoothGroup ? "_smooth" + std::to_string(c.smoothGroup) : "") +
         (c.activationMaximum < 127.0f ? "_a4" : "");
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
  std::uniform_int_distribution<int> code(-codeMax - 1, codeMax);
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
        // Runtime Smooth: blocks of the smoothing group.
        IntegerCase{5, 200, 1536, false, 0, false, 128},
        IntegerCase{20, 72, 640, true, 128, true, 256},
        // w4a4: int4 activations (as int8 codes) × int4 weights with f32
        // groups, Runtime Smooth.
        IntegerCase{1, 1536, 576, true, 128, false, 128, 7.0f},
        IntegerCase{17, 300, 1000, true, 128, false, 128, 7.0f}),
    integerName);

struct WeightOnlyCase {
  int64_t m, n, k, group; // group 0: per channel
};

std::string
weightOnlyName(const ::testing::TestParamInfo<WeightOnlyCase> &info) {
  const WeightOnlyCase &c = info.param;
  return "M" + std::to_string(c.m) + "_N" + std::to_string(c.n) + "_K" +
         std::to_string(c.k) + "_g" +
         (c.group ? std::to_string(c.group) : "channel");
}

class CudaWeightOnlyLinear : public ::testing::TestWithParam<WeightOnlyCase> {};

// Products of f16 activations and int4 codes are exact in f32, so the only
// error is f32 summation in the tensor cores' order: measured 7e-8 to 1e-7
// relative L2 on an H200; the bound 1e-5 leaves 100×, while a wrong code,
// scale or index gives O(1).
TEST_P(CudaWeightOnlyLinear, MatchesFloat64Reference) {
  REQUIRE_GPU();
  const WeightOnlyCase &c = GetParam();
  std::mt19937 rng = freshGenerator();
  int64_t group = c.group ? std::min(c.group, c.k) : c.k;
  int64_t groups = (c.k + group - 1) / group;
  std::uniform_int_distribution<int> code(-8, 7);
  std::uniform_real_distribution<float> positive(0.001f, 0.05f);
  std::vector<int8_t> codes(c.n * c.k);
  for (int8_t &v : codes)
    v = static_cast<int8_t>(code(rng));
  std::vector<float> scales(c.n * groups);
  for (float &v : scales)
    v = positive(rng);
  std::vector<float> x = drawActivations(c.m, c.k, rng);
  std::vector<uint16_t> xHalf(x.size());
  std::vector<double> xRounded(x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    __half h = __float2half_rn(x[i]);
    std::memcpy(&xHalf[i], &h, 2);
    xRounded[i] = __half2float(h);
  }

  auto layout = cuda::FragmentCodes::Int4ForF16;
  std::vector<uint8_t> packed(cuda::packedWeightBytes(layout, c.n, c.k));
  cuda::packWeightFragments(layout, codes.data(), c.n, c.k, packed.data());
  std::vector<float> scalesT(groups * cuda::paddedColumns(c.n));
  cuda::transposeScales(scales.data(), c.n, groups, scalesT.data());
  DeviceVector<uint8_t> dPacked(packed);
  DeviceVector<float> dScales(scalesT);
  DeviceVector<uint16_t> dX(xHalf);
  auto dY = poisoned<float>(c.m * c.n);
  cuda::DeviceWeight weight;
  weight.codes = layout;
  weight.n = c.n;
  weight.k = c.k;
  weight.packed = dPacked.get();
  weight.groupSize = group;
  weight.groups = groups;
  weight.groupScales = dScales.get();
  ASSERT_EQ(cuda::halfActivationLinear(dX.get(), c.m, nullptr, weight, dY.get(),
                                       nullptr),
            cudaSuccess);
  ASSERT_EQ(cudaDeviceSynchronize(), cudaSuccess);
  std::vector<float> y = dY.download();

  double error = 0, norm = 0;
  for (int64_t row = 0; row < c.m; ++row)
    for (int64_t col = 0; col < c.n; ++col) {
      double sum = 0;
      for (int64_t d = 0; d < c.k; ++d)
        sum += xRounded[row * c.k + d] * codes[col * c.k + d] *
               scales[col * groups + d / group];
      double diff = y[row * c.n + col] - sum;
      ASSERT_FALSE(std::isnan(diff)) << "y[" << row << ", " << col << "]";
      error += diff * diff;
      norm += sum * sum;
    }
  double relative = std::sqrt(error / norm);
  recordRelativeError(relative);
  EXPECT_LE(relative, 1e-5);
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, CudaWeightOnlyLinear,
    ::testing::Values(
        WeightOnlyCase{1, 4096, 4096, 128}, WeightOnlyCase{3, 200, 1000, 128},
        WeightOnlyCase{17, 576, 1536, 128}, WeightOnlyCase{64, 1536, 576, 64},
        WeightOnlyCase{129, 100, 1000, 32}, WeightOnlyCase{1000, 72, 640, 256},
        WeightOnlyCase{16, 300, 700, 0},
        // K off a multiple of 8: streaming, 64 rows at a time.
        WeightOnlyCase{129, 100, 700, 128},
        WeightOnlyCase{33, 4096, 1024, 128}),
    weightOnlyName);

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
// leaves the tensor cores (which keep fewer mantissa bits) after 128
// codes, so what differs is the order of f32 sums: measured 3e-8 to 1e-7
// relative L2 on an H200; the bound 1e-5 leaves 100×, while a wrong code,
// scale or index gives O(1).
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
  expectCloseInL2(y, expected, c.n, 1e-5);
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, CudaFp8Linear,
    ::testing::Values(Fp8Case{1, 4096, 4096, 0}, Fp8Case{3, 200, 1000, 0},
                      Fp8Case{17, 576, 1536, 0}, Fp8Case{64, 100, 700, 0},
                      Fp8Case{129, 1536, 576, 0}, Fp8Case{5, 300, 1536, 128}),
    fp8Name);

struct Fp4Case {
  int64_t m, n, k;
  const char *scheme; // fp4, mxfp4 or nvfp4
};

std::string fp4Name(const ::testing::TestParamInfo<Fp4Case> &info) {
  const Fp4Case &c = info.param;
  return std::string(c.scheme) + "_M" + std::to_string(c.m) + "_N" +
         std::to_string(c.n) + "_K" + std::to_string(c.k);
}

class CudaFp4Linear : public ::testing::TestWithParam<Fp4Case> {};

// e2m1 weights, as the three fp4 schemes store them: fp4 (f32 scales per
// 32, e4m3 activations), MXFP4 (e8m0 scales per 32, f16 activations on the
// GPU where the interpreter keeps f32), NVFP4 (e4m3 scales per 16, channel
// scales, e4m3 activations). Against the CPU runtime's minifloat kernels on
// the same activations (the e4m3 codes, or the f16-rounded values): e2m1
// and e4m3 values are exact in f16 and their products exact in f32, so only
// the order of f32 sums differs; measured on an H200 and bounded by 1e-5
// as the other float paths.
TEST_P(CudaFp4Linear, MatchesCpuRuntime) {
  REQUIRE_GPU();
  const Fp4Case &c = GetParam();
  std::string scheme = c.scheme;
  bool mx = scheme == "mxfp4", nv = scheme == "nvfp4";
  int64_t group = nv ? 16 : 32;
  int64_t groups = (c.k + group - 1) / group;
  std::mt19937 rng = freshGenerator();
  std::uniform_int_distribution<int> code(0, 15), exponent(-9, -3);
  std::uniform_real_distribution<float> positive(0.001f, 0.05f);
  std::vector<int8_t> codes(c.n * c.k);
  std::vector<uint8_t> cpuCodes(c.n * ((c.k + 1) / 2), 0);
  for (int64_t col = 0; col < c.n; ++col)
    for (int64_t d = 0; d < c.k; ++d) {
      auto value = static_cast<uint8_t>(code(rng));
      codes[col * c.k + d] = static_cast<int8_t>(value);
      cpuCodes[col * ((c.k + 1) / 2) + d / 2] |= value << (4 * (d % 2));
    }
  // Scales as each format decodes: powers of two (e8m0), e4m3 values, f32.
  std::vector<float> scales(c.n * groups), channels(c.n);
  for (float &v : scales)
    v = mx   ? std::ldexp(1.0f, exponent(rng))
        : nv ? numerics::decodeE4M3(numerics::encodeE4M3(positive(rng) * 100))
             : positive(rng);
  for (float &v : channels)
    v = positive(rng);
  std::vector<float> x = drawActivations(c.m, c.k, rng);

  rt::MinifloatWeight cpuWeight;
  cpuWeight.n = c.n;
  cpuWeight.k = c.k;
  cpuWeight.groupSize = group;
  cpuWeight.groups = groups;
  cpuWeight.codes = cpuCodes.data();
  cpuWeight.e2m1 = true;
  cpuWeight.groupScales = scales.data();
  cpuWeight.channelScales = nv ? channels.data() : nullptr;
  std::vector<float> expected(c.m * c.n);
  std::vector<float> values(c.m * c.k), tokenScales(c.m);
  if (mx) {
    // The GPU's f16 activations, given to the CPU as f32.
    for (size_t i = 0; i < x.size(); ++i)
      values[i] = __half2float(__float2half_rn(x[i]));
    rt::minifloatWeightOnlyLinear(values.data(), c.m, cpuWeight,
                                  expected.data(), c.n, 0, c.n);
  } else {
    numerics::quantizeRows(x.data(), c.m, c.k, 448.0f, true, values.data(),
                           tokenScales.data());
    rt::minifloatLinear(values.data(), tokenScales.data(), c.m, group, nullptr,
                        0, cpuWeight, expected.data(), c.n, 0, c.n);
  }

  auto layout = cuda::FragmentCodes::E2M1ForF16;
  std::vector<uint8_t> packed(cuda::packedWeightBytes(layout, c.n, c.k));
  cuda::packWeightFragments(layout, codes.data(), c.n, c.k, packed.data());
  int64_t width = cuda::paddedColumns(c.n);
  std::vector<float> scalesT(groups * width), channelsT(width, 0.0f);
  cuda::transposeScales(scales.data(), c.n, groups, scalesT.data());
  std::copy(channels.begin(), channels.end(), channelsT.begin());
  DeviceVector<uint8_t> dPacked(packed);
  DeviceVector<float> dScales(scalesT), dChannels(channelsT), dX(x);
  auto dHalf = poisoned<uint16_t>(c.m * c.k);
  auto dTokenScales = poisoned<float>(c.m);
  auto dY = poisoned<float>(c.m * c.n);
  if (mx) {
    std::vector<uint16_t> half(x.size());
    for (size_t i = 0; i < x.size(); ++i) {
      __half h = __float2half_rn(x[i]);
      std::memcpy(&half[i], &h, 2);
    }
    ASSERT_EQ(cudaMemcpy(dHalf.get(), half.data(), half.size() * 2,
                         cudaMemcpyHostToDevice),
              cudaSuccess);
  } else {
    ASSERT_EQ(cuda::quantizeActivations(
                  dX.get(), c.m, c.k, 448.0f, cuda::ActivationCodes::E4M3AsF16,
                  nullptr, 0, dHalf.get(), dTokenScales.get(), nullptr),
              cudaSuccess);
  }
  cuda::DeviceWeight weight;
  weight.codes = layout;
  weight.n = c.n;
  weight.k = c.k;
  weight.packed = dPacked.get();
  weight.groupSize = group;
  weight.groups = groups;
  weight.groupScales = dScales.get();
  weight.channelScales = nv ? dChannels.get() : nullptr;
  ASSERT_EQ(cuda::halfActivationLinear(dHalf.get(), c.m,
                                       mx ? nullptr : dTokenScales.get(),
                                       weight, dY.get(), nullptr),
            cudaSuccess);
  ASSERT_EQ(cudaDeviceSynchronize(), cudaSuccess);

  if (!mx) {
    std::vector<uint16_t> half = dHalf.download();
    for (int64_t i = 0; i < c.m * c.k; ++i) {
      __half h;
      std::memcpy(&h, &half[i], 2);
      ASSERT_EQ(__half2float(h), values[i]) << "activation code " << i;
    }
    EXPECT_EQ(0, std::memcmp(dTokenScales.download().data(), tokenScales.data(),
                             c.m * sizeof(float)));
  }
  std::vector<float> y = dY.download();
  expectCloseInL2(y, expected, c.n, 1e-5);
}

INSTANTIATE_TEST_SUITE_P(Shapes, CudaFp4Linear,
                         ::testing::Values(Fp4Case{1, 4096, 4096, "mxfp4"},
                                           Fp4Case{17, 576, 1536, "mxfp4"},
                                           Fp4Case{129, 100, 1000, "mxfp4"},
                                           Fp4Case{1, 1536, 576, "fp4"},
                                           Fp4Case{64, 300, 700, "fp4"},
                                           Fp4Case{3, 4096, 1024, "nvfp4"},
                                           Fp4Case{33, 200, 1000, "nvfp4"}),
                         fp4Name);

// The launchers check their operands before touching the GPU, so these
// run everywhere. Device pointers here are stand-ins that are never read.
const void *const kDevicePointer = reinterpret_cast<const void *>(4096);

/// A valid-looking int8 weight of 64 × 512, per channel.
cuda::DeviceWeight standInWeight() {
  cuda::DeviceWeight weight;
  weight.codes = cuda::FragmentCodes::Int8ForS8;
  weight.n = 64;
  weight.k = 512;
  weight.packed = kDevicePointer;
  weight.groupSize = 512;
  weight.groups = 1;
  weight.groupScales = static_cast<const float *>(kDevicePointer);
  return weight;
}

cuda::DeviceActivations standInActivations() {
  cuda::DeviceActivations activations;
  activations.codes = static_cast<const uint8_t *>(kDevicePointer);
  activations.tokenScales = static_cast<const float *>(kDevicePointer);
  activations.rows = 1;
  activations.block = 512;
  return activations;
}

TEST(CudaQLinear, RefusesGroupsOffTheTiles) {
  cuda::DeviceWeight weight = standInWeight();
  weight.groupSize = 96;
  weight.groups = 6;
  cuda::DeviceActivations activations = standInActivations();
  activations.block = 96;
  float *y = static_cast<float *>(const_cast<void *>(kDevicePointer));
  EXPECT_EQ(cuda::quantizedActivationLinear(activations, weight, y, nullptr),
            cudaErrorNotSupported);
  // int4 sums kept × 16 in int32 would overflow past 64 tiles of a group.
  weight = standInWeight();
  weight.codes = cuda::FragmentCodes::Int4ForS8;
  weight.k = weight.groupSize = 65 * 128;
  activations.block = weight.k;
  EXPECT_EQ(cuda::quantizedActivationLinear(activations, weight, y, nullptr),
            cudaErrorNotSupported);
}

TEST(CudaQLinear, RefusesMalformedOperands) {
  float *y = static_cast<float *>(const_cast<void *>(kDevicePointer));
  auto quantized = [&](cuda::DeviceActivations activations,
                       cuda::DeviceWeight weight) {
    return cuda::quantizedActivationLinear(activations, weight, y, nullptr);
  };
  cuda::DeviceActivations activations = standInActivations();
  cuda::DeviceWeight weight = standInWeight();
  // Codes of the other kernel (e2m1 read as int8 would overrun the weight).
  weight.codes = cuda::FragmentCodes::E2M1ForF16;
  EXPECT_EQ(quantized(activations, weight), cudaErrorInvalidValue);
  weight = standInWeight();
  weight.groups = 2; // the groups do not match K
  EXPECT_EQ(quantized(activations, weight), cudaErrorInvalidValue);
  weight = standInWeight();
  weight.groupSize = 0;
  EXPECT_EQ(quantized(activations, weight), cudaErrorInvalidValue);
  weight = standInWeight();
  weight.k = 0;
  EXPECT_EQ(quantized(activations, weight), cudaErrorInvalidValue);
  weight = standInWeight();
  weight.integerScales = static_cast<const uint8_t *>(kDevicePointer);
  EXPECT_EQ(quantized(activations, weight), cudaErrorInvalidValue);
  weight = standInWeight();
  weight.packed = static_cast<const uint8_t *>(kDevicePointer) + 8;
  EXPECT_EQ(quantized(activations, weight), cudaErrorInvalidValue);
  // fp8 activations with integer weights, misaligned codes, no token
  // scales, Runtime Smooth without its group.
  cuda::DeviceActivations bad = activations;
  bad.fp8 = true;
  EXPECT_EQ(quantized(bad, standInWeight()), cudaErrorInvalidValue);
  bad = activations;
  bad.codes += 1;
  EXPECT_EQ(quantized(bad, standInWeight()), cudaErrorInvalidValue);
  bad = activations;
  bad.tokenScales = nullptr;
  EXPECT_EQ(quantized(bad, standInWeight()), cudaErrorInvalidValue);
  bad = activations;
  bad.maxima = static_cast<const float *>(kDevicePointer);
  EXPECT_EQ(quantized(bad, standInWeight()), cudaErrorInvalidValue);
  // No rows: nothing to do.
  bad = activations;
  bad.rows = 0;
  EXPECT_EQ(quantized(bad, standInWeight()), cudaSuccess);

  // f16 activations: integer codes, an odd activation address.
  auto x = static_cast<const uint16_t *>(kDevicePointer);
  EXPECT_EQ(
      cuda::halfActivationLinear(x, 1, nullptr, standInWeight(), y, nullptr),
      cudaErrorInvalidValue);
  weight = standInWeight();
  weight.codes = cuda::FragmentCodes::Int4ForF16;
  auto odd = reinterpret_cast<const uint16_t *>(
      static_cast<const uint8_t *>(kDevicePointer) + 1);
  EXPECT_EQ(cuda::halfActivationLinear(odd, 1, nullptr, weight, y, nullptr),
            cudaErrorInvalidValue);
  EXPECT_EQ(cuda::halfActivationLinear(x, 0, nullptr, weight, y, nullptr),
            cudaSuccess);

  // Quantization: no columns, a zero maximum, Runtime Smooth without groups.
  auto in = static_cast<const float *>(kDevicePointer);
  auto out = const_cast<void *>(kDevicePointer);
  auto scales = static_cast<float *>(out);
  EXPECT_EQ(cuda::quantizeActivations(in, 1, 0, 127.0f,
                                      cuda::ActivationCodes::Int8, nullptr, 0,
                                      out, scales, nullptr),
            cudaErrorInvalidValue);
  EXPECT_EQ(cuda::quantizeActivations(in, 1, 8, 0.0f,
                                      cuda::ActivationCodes::Int8, nullptr, 0,
                                      out, scales, nullptr),
            cudaErrorInvalidValue);
  EXPECT_EQ(cuda::quantizeActivations(in, 1, 8, 127.0f,
                                      cuda::ActivationCodes::Int8, in, 0, out,
                                      scales, nullptr),
            cudaErrorInvalidValue);
  EXPECT_EQ(cuda::runtimeSmoothMaxima(in, 1, 8, 0, scales, nullptr),
            cudaErrorInvalidValue);
}

} // namespace
