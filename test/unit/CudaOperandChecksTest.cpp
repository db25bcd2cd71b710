//===- CudaOperandChecksTest.cpp - CUDA launchers refuse bad operands -----===//
//
// Tests that the qlinear launchers check their operands before touching the
// GPU, so these run everywhere, CI included.
//
//===----------------------------------------------------------------------===//

#include "lib/Runtime/cuda/QLinear.h"
#include <gtest/gtest.h>

using namespace qcc;

namespace {

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
