//===- WeightPacking.cpp - qlinear weights in fragment order --------------===//

#include "lib/Runtime/cuda/WeightPacking.h"
#include <cstdlib>
#include <cstring>

namespace qcc::cuda {

namespace {

constexpr int64_t kLanes = 32, kTileColumns = 8, kTilesPerWarp = 4;

/// Where code (column g, depth k within the tile) of lane (g, t) goes:
/// part, byte within the part's 16 bytes, and nibble (0 low, 1 high; -1
/// for a whole byte).
struct Slot {
  int64_t part, byte, nibble;
};

/// The slot of depth `k` (0 ≤ k < 128) of lane (·, t) in each layout, or a
/// part of -1 where this lane holds no code of that depth.
Slot slotOf(FragmentCodes codes, int64_t t, int64_t k) {
  int64_t step, inStep;
  switch (codes) {
  case FragmentCodes::Int4ForF16:
  case FragmentCodes::E2M1ForF16: {
    // k = 16 step + 2t + 8 register + element.
    step = k / 16, inStep = k % 16;
    int64_t reg = inStep / 8, pairStart = inStep % 8;
    if (pairStart / 2 != t)
      return {-1, 0, 0};
    int64_t element = pairStart % 2;
    int64_t word = step / 2, j = (step % 2) * 2 + reg;
    int64_t nibble = j + 4 * element; // nibble index within the word
    return {0, word * 4 + nibble / 2, nibble % 2};
  }
  case FragmentCodes::Int4ForS8: {
    // k = 32 step + 16 register + 4t + i; nibble 2i + register.
    step = k / 32, inStep = k % 32;
    int64_t reg = inStep / 16, quad = inStep % 16;
    if (quad / 4 != t)
      return {-1, 0, 0};
    int64_t nibble = 2 * (quad % 4) + reg;
    return {0, step * 4 + nibble / 2, nibble % 2};
  }
  case FragmentCodes::Int8ForS8:
  case FragmentCodes::E4M3ForF8: {
    step = k / 32, inStep = k % 32;
    int64_t reg = inStep / 16, quad = inStep % 16;
    if (quad / 4 != t)
      return {-1, 0, 0};
    int64_t word = (step % 2) * 2 + reg;
    return {step / 2, word * 4 + quad % 4, -1};
  }
  }
  return {-1, 0, 0};
}

uint8_t storedCode(FragmentCodes codes, int8_t value) {
  if (codes == FragmentCodes::Int4ForF16)
    return static_cast<uint8_t>(value + 8);
  if (codes == FragmentCodes::Int4ForS8 || codes == FragmentCodes::E2M1ForF16)
    return static_cast<uint8_t>(value) & 0xF;
  return static_cast<uint8_t>(value);
}

template <typename T>
void transpose(const T *scales, int64_t n, int64_t groups, T *out) {
  int64_t width = paddedColumns(n);
  std::memset(out, 0, sizeof(T) * groups * width);
  for (int64_t col = 0; col < n; ++col)
    for (int64_t g = 0; g < groups; ++g)
      out[g * width + col] = scales[col * groups + g];
}

} // namespace

size_t packedWeightBytes(FragmentCodes codes, int64_t n, int64_t k) {
  return static_cast<size_t>(paddedColumns(n) / kTileColumns) *
         (paddedDepth(k) / kTileK) * partsOf(codes) * kLanes * 16;
}

void packWeightFragments(FragmentCodes codes, const int8_t *values, int64_t n,
                         int64_t k, uint8_t *packed) {
  std::memset(packed, 0, packedWeightBytes(codes, n, k));
  // Padding holds the code of zero (for int4 → f16, the stored 8).
  int64_t tilesK = paddedDepth(k) / kTileK, parts = partsOf(codes);
  int64_t tileBytes = parts * kLanes * 16;
  for (int64_t col = 0; col < paddedColumns(n); ++col) {
    int64_t warp = col / kWarpColumns;
    int64_t tileInWarp = col % kWarpColumns / kTileColumns;
    int64_t g = col % kTileColumns;
    for (int64_t depth = 0; depth < paddedDepth(k); ++depth) {
      int8_t value = col < n && depth < k ? values[col * k + depth] : 0;
      int64_t kt = depth / kTileK;
      uint8_t *tile =
          packed +
          ((warp * tilesK + kt) * kTilesPerWarp + tileInWarp) * tileBytes;
      for (int64_t t = 0; t < 4; ++t) {
        Slot slot = slotOf(codes, t, depth % kTileK);
        if (slot.part < 0)
          continue;
        uint8_t &byte = tile[(slot.part * kLanes + g * 4 + t) * 16 + slot.byte];
        uint8_t stored = storedCode(codes, value);
        if (slot.nibble < 0)
          byte = stored;
        else
          byte = static_cast<uint8_t>((byte & (slot.nibble ? 0x0F : 0xF0)) |
                                      (stored & 0xF) << (4 * slot.nibble));
      }
    }
  }
}

bool twoLevelProductsFitInt8(const int8_t *codes, const uint8_t *scales,
                             int64_t n, int64_t k, int64_t groupSize,
                             int64_t groups) {
  for (int64_t row = 0; row < n; ++row)
    for (int64_t col = 0; col < k; ++col) {
      int scale = scales[row * groups + col / groupSize];
      if (scale > 17 || std::abs(codes[row * k + col] * scale) > 127)
        return false;
    }
  return true;
}

void transposeScales(const float *scales, int64_t n, int64_t groups,
                     float *transposed) {
  transpose(scales, n, groups, transposed);
}

void transposeScales(const uint8_t *scales, int64_t n, int64_t groups,
                     uint8_t *transposed) {
  transpose(scales, n, groups, transposed);
}

} // namespace qcc::cuda
