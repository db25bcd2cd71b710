//===- Hadamard.cpp - Hadamard matrices of any constructible order --------===//

#include "qcc/Numerics/Hadamard.h"
#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstring>

namespace qcc::numerics {

static bool isPrime(int64_t q) {
  if (q < 2)
    return false;
  for (int64_t d = 2; d * d <= q; ++d)
    if (q % d == 0)
      return false;
  return true;
}

static bool hasPaleyConstruction(int64_t m) {
  if (m % 4 != 0)
    return false;
  if (isPrime(m - 1) && (m - 1) % 4 == 3)
    return true;
  return isPrime(m / 2 - 1) && (m / 2 - 1) % 4 == 1;
}

std::optional<int64_t> hadamardBase(int64_t n) {
  if (n < 1)
    return std::nullopt;
  int64_t odd = n;
  while (odd % 2 == 0)
    odd /= 2;
  if (odd == 1)
    return 1;
  // Smallest m = odd · 2^j first: the fewer dense H_m entries the better.
  for (int64_t m = odd; m <= n; m *= 2)
    if (n % m == 0 && hasPaleyConstruction(m))
      return m;
  return std::nullopt;
}

int64_t largestHadamardBlock(int64_t n) {
  for (int64_t block = n; block > 1; --block)
    if (n % block == 0 && hadamardBase(block))
      return block;
  return 1;
}

/// The Legendre symbol (x / q) of prime q: 0, 1 or -1.
static int legendre(int64_t x, int64_t q) {
  x = ((x % q) + q) % q;
  if (x == 0)
    return 0;
  int64_t result = 1, base = x, exponent = (q - 1) / 2;
  while (exponent) {
    if (exponent & 1)
      result = result * base % q;
    base = base * base % q;
    exponent >>= 1;
  }
  return result == 1 ? 1 : -1;
}

std::vector<int8_t> hadamardBaseMatrix(int64_t m) {
  std::vector<int8_t> h(m * m);
  if (m == 1) {
    h[0] = 1;
    return h;
  }
  assert(hasPaleyConstruction(m) && "no Paley construction");
  auto at = [&](int64_t i, int64_t j) -> int8_t & { return h[i * m + j]; };
  if (isPrime(m - 1) && (m - 1) % 4 == 3) {
    // Paley I: H = I + S, S = [[0, 1ᵀ], [-1, Q]], Q_ij = χ(j - i).
    int64_t q = m - 1;
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < m; ++j) {
        int value;
        if (i == 0)
          value = j == 0 ? 0 : 1;
        else if (j == 0)
          value = -1;
        else
          value = legendre(j - i, q);
        at(i, j) = static_cast<int8_t>(value + (i == j ? 1 : 0));
      }
    return h;
  }
  // Paley II: H = C ⊗ [[1, -1], [-1, -1]] + I ⊗ [[1, 1], [1, -1]] with the
  // symmetric conference matrix C = [[0, 1ᵀ], [1, Q]].
  int64_t q = m / 2 - 1, c = q + 1;
  for (int64_t i = 0; i < c; ++i)
    for (int64_t j = 0; j < c; ++j) {
      int conference =
          i == 0 ? (j == 0 ? 0 : 1) : (j == 0 ? 1 : legendre(j - i, q));
      for (int a = 0; a < 2; ++a)
        for (int b = 0; b < 2; ++b) {
          int offDiagonal = (a == 0 && b == 0) ? 1 : -1;
          int diagonal = (a == 1 && b == 1) ? -1 : 1;
          at(2 * i + a, 2 * j + b) = static_cast<int8_t>(
              conference * offDiagonal + (i == j ? diagonal : 0));
        }
    }
  return h;
}

std::vector<int8_t> hadamardMatrix(int64_t n) {
  int64_t m = *hadamardBase(n), p = n / m;
  std::vector<int8_t> base = hadamardBaseMatrix(m), h(n * n);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < n; ++j) {
      // Sylvester: H_p[b, b'] = (-1)^popcount(b & b').
      int sylvester = __builtin_popcountll((i % p) & (j % p)) % 2 == 0 ? 1 : -1;
      h[i * n + j] = static_cast<int8_t>(base[(i / p) * m + j / p] * sylvester);
    }
  return h;
}

void applyHadamard(float *data, int64_t count, int64_t block, bool transpose) {
  int64_t m = *hadamardBase(block), p = block / m;
  std::vector<int8_t> base = hadamardBaseMatrix(m);
  std::vector<float> mixed(block), signs(m);
  float norm = 1.0f / std::sqrt(static_cast<float>(block));
  for (float *row = data; row < data + count; row += block) {
    for (int64_t chunk = 0; chunk < m; ++chunk) {
      float *x = row + chunk * p;
      for (int64_t half = 1; half < p; half *= 2)
        for (int64_t i = 0; i < p; i += 2 * half)
          for (int64_t j = i; j < i + half; ++j) {
            float a = x[j], b = x[j + half];
            x[j] = a + b;
            x[j + half] = a - b;
          }
    }
    if (m > 1) {
      // Output chunk `out` = Σ_in sign · chunk `in`, summed in order of
      // `in` for every element; eight elements at a time in a vector
      // register (GCC's vector extension: SSE or AVX, as compiled).
      typedef float Lanes __attribute__((vector_size(32)));
      constexpr int64_t kLanes = 8;
      for (int64_t out = 0; out < m; ++out) {
        for (int64_t in = 0; in < m; ++in)
          signs[in] = transpose ? base[out * m + in] : base[in * m + out];
        float *sums = mixed.data() + out * p;
        int64_t b = 0;
        for (; b + kLanes <= p; b += kLanes) {
          Lanes total = {};
          for (int64_t in = 0; in < m; ++in) {
            Lanes chunk;
            std::memcpy(&chunk, row + in * p + b, sizeof chunk);
            total += signs[in] * chunk;
          }
          std::memcpy(sums + b, &total, sizeof total);
        }
        for (; b < p; ++b) {
          float sum = 0.0f;
          for (int64_t in = 0; in < m; ++in)
            sum += signs[in] * row[in * p + b];
          sums[b] = sum;
        }
      }
      std::copy(mixed.begin(), mixed.end(), row);
    }
    for (int64_t i = 0; i < block; ++i)
      row[i] *= norm;
  }
}

} // namespace qcc::numerics
