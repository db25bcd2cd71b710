//===- CudaHalfActivationTest.cpp - w4a16 and fp4 qlinear on sm90 ---------===//
//
// Tests that halfActivationLinear computes the interpreter's function: the
// w4a16 product against a float64 reference on the same f16 activations,
// and the e2m1 schemes (fp4, MXFP4, NVFP4) against the CPU runtime's
// minifloat kernels within f32 reordering. Fresh random data and ragged
// shapes. Skipped, visibly, where no sm90 GPU is present.
//
//===----------------------------------------------------------------------===//

#include "CudaTestSupport.h"
#include "lib/Runtime/cpu/MinifloatKernels.h"
#include "lib/Runtime/cuda/QLinear.h"
#include "qcc/Numerics/Activations.h"
#include "qcc/Numerics/Formats.h"
#include <cuda_fp16.h>

using namespace qcc;
using namespace qcc::cudatest;

namespace {

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

  std::vector<double> reference(c.m * c.n, 0.0);
  for (int64_t row = 0; row < c.m; ++row)
    for (int64_t col = 0; col < c.n; ++col)
      for (int64_t d = 0; d < c.k; ++d)
        reference[row * c.n + col] += xRounded[row * c.k + d] *
                                      codes[col * c.k + d] *
                                      scales[col * groups + d / group];
  expectCloseInL2(y, reference, c.n, 1e-5);
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, CudaWeightOnlyLinear,
    ::testing::Values(
        WeightOnlyCase{1, 4096, 4096, 128}, WeightOnlyCase{3, 200, 1000, 128},
        WeightOnlyCase{17, 576, 1536, 128}, WeightOnlyCase{64, 1536, 576, 64},
        WeightOnlyCase{129, 100, 1000, 32}, WeightOnlyCase{1000, 72, 640, 256},
        WeightOnlyCase{16, 300, 700, 0},
        // Few rows in every group size (k16 steps per group 1, 2, 4, 8),
        // split along K over clusters of up to 16 blocks.
        WeightOnlyCase{8, 4096, 1024, 128}, WeightOnlyCase{9, 200, 1000, 16},
        WeightOnlyCase{2, 96, 4096, 32}, WeightOnlyCase{5, 100, 1000, 64},
        WeightOnlyCase{12, 14336, 512, 256},
        // K off a multiple of 8: streaming, 64 rows at a time.
        WeightOnlyCase{129, 100, 700, 128},
        WeightOnlyCase{33, 4096, 1024, 128},
        // Many rows in groups of 128 · j: the warpgroup kernel.
        WeightOnlyCase{70, 40, 256, 128}, WeightOnlyCase{129, 576, 1536, 128},
        WeightOnlyCase{300, 1000, 576, 0},
        // Few rows of a wide weight: the warpgroup kernel too.
        WeightOnlyCase{20, 13000, 256, 128}),
    weightOnlyName);

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
                                           Fp4Case{8, 1000, 640, "mxfp4"},
                                           Fp4Case{16, 520, 2048, "nvfp4"},
                                           Fp4Case{33, 200, 1000, "nvfp4"}),
                         fp4Name);

/// A w4a16 weight of random codes and scales (groups of 128), packed.
struct RandomHalfWeight {
  int64_t n, k;
  std::vector<uint8_t> packed;
  std::vector<float> scales;

  RandomHalfWeight(int64_t n, int64_t k, std::mt19937 &rng)
      : n(n), k(k),
        packed(cuda::packedWeightBytes(cuda::FragmentCodes::Int4ForF16, n, k)),
        scales((k + 127) / 128 * cuda::paddedColumns(n)) {
    std::uniform_int_distribution<int> code(-8, 7);
    std::uniform_real_distribution<float> positive(0.001f, 0.05f);
    std::vector<int8_t> codes(n * k);
    for (int8_t &v : codes)
      v = static_cast<int8_t>(code(rng));
    std::vector<float> rowScales(n * ((k + 127) / 128));
    for (float &v : rowScales)
      v = positive(rng);
    cuda::packWeightFragments(cuda::FragmentCodes::Int4ForF16, codes.data(), n,
                              k, packed.data());
    cuda::transposeScales(rowScales.data(), n, (k + 127) / 128, scales.data());
  }
  cuda::DeviceWeight on(const DeviceVector<uint8_t> &devicePacked,
                        const DeviceVector<float> &deviceScales) const {
    cuda::DeviceWeight weight;
    weight.codes = cuda::FragmentCodes::Int4ForF16;
    weight.n = n;
    weight.k = k;
    weight.packed = devicePacked.get();
    weight.groupSize = 128;
    weight.groups = (k + 127) / 128;
    weight.groupScales = deviceScales.get();
    return weight;
  }
};

std::vector<uint16_t> randomHalves(int64_t count, std::mt19937 &rng) {
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<uint16_t> halves(count);
  for (uint16_t &v : halves) {
    __half h = __float2half_rn(normal(rng));
    std::memcpy(&v, &h, 2);
  }
  return halves;
}

// A product of few rows starts while the kernel before it on the stream
// ends (programmatic dependent launch) and must write only after it has
// finished. A long product, then a short one into the same outputs, on one
// stream with nothing between: the outputs must be the short one's, bit
// for bit as it gives them alone. Were its writes not held back, its
// blocks would run in multiprocessors the long product leaves free and
// finish first, and the long one's last blocks would overwrite them.
TEST(CudaStreamOrder, LaterProductWritesLast) {
  REQUIRE_GPU();
  std::mt19937 rng = freshGenerator();
  constexpr int64_t m = 16, n = 14336;
  RandomHalfWeight longHost(n, 4096, rng), shortHost(n, 128, rng);
  DeviceVector<uint8_t> longPacked(longHost.packed),
      shortPacked(shortHost.packed);
  DeviceVector<float> longScales(longHost.scales),
      shortScales(shortHost.scales);
  cuda::DeviceWeight longWeight = longHost.on(longPacked, longScales);
  cuda::DeviceWeight shortWeight = shortHost.on(shortPacked, shortScales);
  DeviceVector<uint16_t> longX(randomHalves(m * longHost.k, rng)),
      shortX(randomHalves(m * shortHost.k, rng));
  auto y = poisoned<float>(m * n);
  auto alone = poisoned<float>(m * n);
  cudaStream_t stream;
  ASSERT_EQ(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking),
            cudaSuccess);
  ASSERT_EQ(cuda::halfActivationLinear(shortX.get(), m, nullptr, shortWeight,
                                       alone.get(), stream),
            cudaSuccess);
  ASSERT_EQ(cudaStreamSynchronize(stream), cudaSuccess);
  std::vector<float> expected = alone.download();
  int overwritten = 0;
  for (int round = 0; round < 20; ++round) {
    ASSERT_EQ(cuda::halfActivationLinear(longX.get(), m, nullptr, longWeight,
                                         y.get(), stream),
              cudaSuccess);
    ASSERT_EQ(cuda::halfActivationLinear(shortX.get(), m, nullptr, shortWeight,
                                         y.get(), stream),
              cudaSuccess);
    ASSERT_EQ(cudaStreamSynchronize(stream), cudaSuccess);
    overwritten += std::memcmp(y.download().data(), expected.data(),
                               m * n * sizeof(float)) != 0;
  }
  EXPECT_EQ(cudaStreamDestroy(stream), cudaSuccess);
  EXPECT_EQ(overwritten, 0) << "rounds of 20 whose outputs were not the "
                               "later product's";
}

} // namespace
