//===- arithmetic-peak.cpp - one core's multiply-add rates ----------------===//
//
// arithmetic-peak
//
// The ceilings the f32 and bf16 products are measured against
// (docs/performance.md): twelve independent chains of f32 multiply-adds
// (256- and 512-bit) and, where the CPU has AVX512_BF16, of vdpbf16ps, on
// registers only, one thread. Prints GFLOP/s (a multiply-add is 2 FLOP, a
// vdpbf16ps lane 4).
//
//===----------------------------------------------------------------------===//

#include <chrono>
#include <cstdio>
#include <immintrin.h>

namespace {

constexpr long kSteps = 20'000'000;
constexpr int kChains = 12;

template <typename Body> double seconds(Body body) {
  auto start = std::chrono::steady_clock::now();
  body();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
      .count();
}

/// The result is printed, so that the chains are not optimized away.
__attribute__((target("avx2,fma"))) float fma256() {
  __m256 acc[kChains], a = _mm256_set1_ps(1.0001f), b = _mm256_set1_ps(0.9999f);
  for (int i = 0; i < kChains; ++i)
    acc[i] = _mm256_set1_ps(float(i));
  for (long step = 0; step < kSteps; ++step) {
    for (int i = 0; i < kChains; ++i)
      acc[i] = _mm256_fmadd_ps(a, b, acc[i]);
    asm volatile("" : "+x"(a)); // a new operand each step
  }
  for (int i = 1; i < kChains; ++i)
    acc[0] = _mm256_add_ps(acc[0], acc[i]);
  return _mm256_cvtss_f32(acc[0]);
}

__attribute__((target("avx512f"))) float fma512() {
  __m512 acc[kChains], a = _mm512_set1_ps(1.0001f), b = _mm512_set1_ps(0.9999f);
  for (int i = 0; i < kChains; ++i)
    acc[i] = _mm512_set1_ps(float(i));
  for (long step = 0; step < kSteps; ++step) {
    for (int i = 0; i < kChains; ++i)
      acc[i] = _mm512_fmadd_ps(a, b, acc[i]);
    asm volatile("" : "+v"(a));
  }
  for (int i = 1; i < kChains; ++i)
    acc[0] = _mm512_add_ps(acc[0], acc[i]);
  return _mm512_cvtss_f32(acc[0]);
}

__attribute__((target("avx512f,avx512bf16"))) float dotBf16() {
  __m512 acc[kChains];
  __m512i a = _mm512_set1_epi16(0x3F80), b = _mm512_set1_epi16(0x3F81);
  for (int i = 0; i < kChains; ++i)
    acc[i] = _mm512_set1_ps(float(i));
  for (long step = 0; step < kSteps; ++step) {
    for (int i = 0; i < kChains; ++i)
      acc[i] = _mm512_dpbf16_ps(acc[i], (__m512bh)a, (__m512bh)b);
    asm volatile("" : "+v"(a));
  }
  for (int i = 1; i < kChains; ++i)
    acc[0] = _mm512_add_ps(acc[0], acc[i]);
  return _mm512_cvtss_f32(acc[0]);
}

void report(const char *name, double flopsPerInstruction, float (*run)()) {
  float result = 0.0f;
  double time = seconds([&] { result = run(); });
  std::printf("%-24s %7.1f GFLOP/s  (%g)\n", name,
              double(kSteps) * kChains * flopsPerInstruction / time / 1e9,
              result);
}

} // namespace

int main() {
  if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) {
    std::printf("no AVX2 and FMA on this CPU\n");
    return 1;
  }
  report("f32 FMA, 256-bit", 16, fma256);
  if (__builtin_cpu_supports("avx512f"))
    report("f32 FMA, 512-bit", 32, fma512);
  if (__builtin_cpu_supports("avx512bf16"))
    report("vdpbf16ps, 512-bit", 64, dotBf16);
  return 0;
}
