//===- qlinear-bench.cpp - throughput of the CPU qlinear kernels ----------===//
//
// qlinear-bench [--threads T] [--repeats R] [--m M]
//
// For each weight shape N x K and M activation rows (1, 16 and 128, or the
// one --m names): the integer qlinear
// path (activation quantization + product) with int8 per-channel weights
// (w8a8), packed int4 two-level weights (w4a8), the weight-only product
// with packed int4 group-128 weights (w4a16), and OpenBLAS sgemm on f32
// weights as the baseline, all split over T threads by output columns.
// Weights rotate over copies that together exceed 1 GiB (EPYC hosts can have
// several hundred MiB of last-level cache), so caches do not
// hold them between calls. Reports the median time, the weight bytes read
// per second, and that rate as a fraction of the read bandwidth measured in
// the same run (summing a 1 GiB buffer with AVX2 loads on the same threads).
//
//===----------------------------------------------------------------------===//

#include "lib/Runtime/cpu/QLinearKernels.h"
#include <algorithm>
#include <cblas.h>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <immintrin.h>
#include <numeric>
#include <random>
#include <string>
#include <thread>
#include <vector>

using namespace qcc;
using Clock = std::chrono::steady_clock;

namespace {

int threads = std::max(1u, std::thread::hardware_concurrency());
int repeats = 15;

/// Runs body(begin, end) over [0, n) split across the threads.
void parallel(int64_t n, const std::function<void(int64_t, int64_t)> &body) {
  std::vector<std::thread> pool;
  int64_t step = (n + threads - 1) / threads;
  for (int t = 1; t < threads && t * step < n; ++t)
    pool.emplace_back(body, t * step, std::min(n, (t + 1) * step));
  body(0, std::min(n, step));
  for (std::thread &thread : pool)
    thread.join();
}

/// Median seconds of `run(i)` over the repeats (after one warm-up).
double medianSeconds(const std::function<void(int)> &run) {
  run(0);
  std::vector<double> times;
  for (int i = 1; i <= repeats; ++i) {
    auto start = Clock::now();
    run(i);
    times.push_back(
        std::chrono::duration<double>(Clock::now() - start).count());
  }
  std::nth_element(times.begin(), times.begin() + times.size() / 2,
                   times.end());
  return times[times.size() / 2];
}

/// Σ of [begin, end) with four independent 256-bit accumulators, so that
/// loads, not additions, bound it.
int64_t sumAvx2(const int64_t *begin, const int64_t *end) {
  __m256i sums[4] = {_mm256_setzero_si256(), _mm256_setzero_si256(),
                     _mm256_setzero_si256(), _mm256_setzero_si256()};
  for (const int64_t *p = begin; p + 16 <= end; p += 16)
    for (int i = 0; i < 4; ++i)
      sums[i] = _mm256_add_epi64(
          sums[i],
          _mm256_loadu_si256(reinterpret_cast<const __m256i *>(p + 4 * i)));
  alignas(32) int64_t lanes[4];
  _mm256_store_si256(reinterpret_cast<__m256i *>(lanes),
                     _mm256_add_epi64(_mm256_add_epi64(sums[0], sums[1]),
                                      _mm256_add_epi64(sums[2], sums[3])));
  return lanes[0] + lanes[1] + lanes[2] + lanes[3];
}

double readBandwidth() {
  std::vector<int64_t> buffer((1ll << 30) / sizeof(int64_t), 1);
  std::vector<int64_t> partial(threads);
  int64_t chunk = buffer.size() / threads;
  double seconds = medianSeconds([&](int) {
    parallel(threads, [&](int64_t begin, int64_t end) {
      for (int64_t t = begin; t < end; ++t)
        partial[t] =
            sumAvx2(buffer.data() + t * chunk, buffer.data() + (t + 1) * chunk);
    });
  });
  if (std::accumulate(partial.begin(), partial.end(), int64_t{0}) !=
      chunk * threads)
    std::fprintf(stderr, "bandwidth check failed\n");
  return buffer.size() * sizeof(int64_t) / seconds;
}

struct Result {
  double seconds, bytes;
};

/// One shape: returns {w8a8, w4a8, w4a16, sgemm} results.
std::vector<Result> measure(int64_t m, int64_t n, int64_t k) {
  std::mt19937 rng(1);
  std::uniform_int_distribution<int> code(-7, 7);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  int64_t padded = rt::paddedWidth(k);
  int64_t int8Bytes = n * padded, int4Bytes = n * padded / 2,
          floatBytes = n * k * 4;
  auto copiesFor = [](int64_t bytes) {
    return std::max<int64_t>(1, (1ll << 30) / bytes + 1);
  };
  std::vector<int8_t> codes(n * k);
  for (int8_t &c : codes)
    c = static_cast<int8_t>(code(rng));
  std::vector<int8_t> int8Codes(n * padded, 0);
  for (int64_t r = 0; r < n; ++r)
    std::memcpy(&int8Codes[r * padded], &codes[r * k], k);
  std::vector<uint8_t> packed(int4Bytes);
  rt::packInt4(codes.data(), n, k, packed.data());
  std::vector<std::vector<int8_t>> int8Copies(copiesFor(int8Bytes), int8Codes);
  std::vector<std::vector<uint8_t>> int4Copies(copiesFor(int4Bytes), packed);
  std::vector<std::vector<float>> floatCopies(copiesFor(floatBytes),
                                              std::vector<float>(n * k, 0.01f));
  std::vector<float> channelScales(n, 0.01f), groupScales(n, 0.01f);
  std::vector<uint8_t> integerScales(n * ((k + 127) / 128), 3);
  std::vector<float> x(m * k), y(m * n);
  for (float &v : x)
    v = normal(rng);
  std::vector<int8_t> activationCodes(m * padded);
  std::vector<float> tokenScales(m);

  auto integer = [&](rt::IntegerWeight weight, int64_t block) {
    rt::quantizeActivations(x.data(), m, k, 127.0f, nullptr, 0,
                            activationCodes.data(), tokenScales.data());
    rt::IntegerProduct product;
    product.codes = activationCodes.data();
    product.tokenScales = tokenScales.data();
    product.rows = m;
    product.block = block;
    parallel(n, [&](int64_t begin, int64_t end) {
      rt::integerLinear(product, weight, y.data(), n, begin, end);
    });
  };
  rt::IntegerWeight w8;
  w8.n = n;
  w8.k = k;
  w8.groupSize = k;
  w8.groups = 1;
  w8.groupScales = groupScales.data();
  double w8a8 = medianSeconds([&](int i) {
    w8.codes = int8Copies[i % int8Copies.size()].data();
    integer(w8, k);
  });
  rt::IntegerWeight w4 = w8;
  w4.groupSize = std::min<int64_t>(128, k);
  w4.groups = (k + w4.groupSize - 1) / w4.groupSize;
  w4.groupScales = nullptr;
  w4.integerScales = integerScales.data();
  w4.channelScales = channelScales.data();
  double w4a8 = medianSeconds([&](int i) {
    w4.codes = nullptr;
    w4.packedInt4 = int4Copies[i % int4Copies.size()].data();
    integer(w4, k);
  });
  rt::IntegerWeight w4f = w4;
  w4f.integerScales = nullptr;
  w4f.channelScales = nullptr;
  std::vector<float> int4GroupScales(n * w4.groups, 0.01f);
  w4f.groupScales = int4GroupScales.data();
  double w4a16 = medianSeconds([&](int i) {
    w4f.packedInt4 = int4Copies[i % int4Copies.size()].data();
    parallel(n, [&](int64_t begin, int64_t end) {
      rt::weightOnlyLinear(x.data(), m, w4f, y.data(), n, begin, end);
    });
  });
  double sgemm = medianSeconds([&](int i) {
    const float *w = floatCopies[i % floatCopies.size()].data();
    parallel(n, [&](int64_t begin, int64_t end) {
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, end - begin, k,
                  1.0f, x.data(), k, w + begin * k, k, 0.0f, y.data() + begin,
                  n);
    });
  });
  return {{w8a8, double(int8Bytes)},
          {w4a8, double(int4Bytes)},
          {w4a16, double(int4Bytes)},
          {sgemm, double(floatBytes)}};
}

} // namespace

int main(int argc, char **argv) {
  std::vector<int64_t> ms = {1, 16, 128};
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--threads"))
      threads = std::stoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--m"))
      ms = {std::stoll(argv[i + 1])};
    else if (!std::strcmp(argv[i], "--repeats"))
      repeats = std::stoi(argv[i + 1]);
  }
  // Our threads split the columns; OpenBLAS runs single-threaded inside.
  openblas_set_num_threads(1);
  double bandwidth = readBandwidth();
  std::printf("threads %d, AVX2 %s, read bandwidth %.1f GB/s\n\n", threads,
              rt::hasAvx2() ? "yes" : "no", bandwidth / 1e9);
  std::printf("| N x K | M | w8a8 (int8 per channel) | w4a8 (int4 two-level) "
              "| w4a16 (int4 g128, bf16 activations) | fp32 sgemm |\n"
              "|---|---|---|---|---|---|\n");
  const int64_t shapes[][2] = {{576, 1536}, {4096, 4096}, {4096, 14336}};
  for (auto [n, k] : shapes)
    for (int64_t m : ms) {
      std::vector<Result> results = measure(m, n, k);
      std::printf("| %lld x %lld | %lld |", (long long)n, (long long)k,
                  (long long)m);
      for (const Result &r : results)
        std::printf(" %.3f ms, %.1f GB/s (%.0f%%) |", r.seconds * 1e3,
                    r.bytes / r.seconds / 1e9,
                    100.0 * r.bytes / r.seconds / bandwidth);
      std::printf("\n");
    }
}
