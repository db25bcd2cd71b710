//===- CudaTestSupport.h - helpers of the CUDA kernel tests -----*- C++ -*-===//
//
// What the CUDA kernel tests share: skipping (visibly) where no sm90 GPU
// is present, device buffers (poisoned with NaN bytes so that an element no
// kernel writes fails), fresh seeds recorded in the report, realistic
// activations and the relative-L2 check of the float paths.
//
//===----------------------------------------------------------------------===//

#ifndef QCC_TEST_UNIT_CUDATESTSUPPORT_H
#define QCC_TEST_UNIT_CUDATESTSUPPORT_H

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <cuda_runtime.h>
#include <gtest/gtest.h>
#include <random>
#include <string>
#include <vector>

namespace qcc::cudatest {

/// Why the GPU tests cannot run here, or empty.
inline std::string missingGpu() {
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

inline std::mt19937 freshGenerator() {
  // The clock, not std::random_device (which needs a newer C library than
  // the GPU machine may have).
  auto seed = static_cast<unsigned>(
      std::chrono::steady_clock::now().time_since_epoch().count());
  ::testing::Test::RecordProperty("seed", std::to_string(seed));
  return std::mt19937(seed);
}

/// The measured error, in the test's JSON/XML output.
inline void recordRelativeError(double relative) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.3g", relative);
  ::testing::Test::RecordProperty("relative_l2", text);
}

/// Checks y against `expected` ([rows, n], f32 or f64): no NaN (every
/// element written), relative L2 error within `bound`, the error recorded.
template <typename Reference>
void expectCloseInL2(const std::vector<float> &y,
                     const std::vector<Reference> &expected, int64_t n,
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
inline std::vector<float> drawActivations(int64_t rows, int64_t k,
                                          std::mt19937 &rng) {
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> x(rows * k);
  for (int64_t i = 0; i < rows * k; ++i)
    x[i] = normal(rng) * (i % k % 37 == 5 ? 40.0f : 1.0f);
  return x;
}
} // namespace qcc::cudatest

#endif // QCC_TEST_UNIT_CUDATESTSUPPORT_H
