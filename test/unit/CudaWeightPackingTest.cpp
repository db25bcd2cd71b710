//===- CudaWeightPackingTest.cpp - fragment-order weights, on the host ----===//
//
// Tests that WeightPacking.h puts every code where the CUDA kernels look for
// it, without a GPU (so CI runs it): each lane's 16-byte pieces are decoded
// as the kernels decode them (the nibble pairs of Int4ForF16/E2M1ForF16, the
// code × 16 bytes of Int4ForS8, the bytes of Int8ForS8/E4M3ForF8) into the
// mma.sync B fragments of the PTX ISA (f16 m16n8k16: b0 = B[2t, 2t+1][g],
// b1 = B[2t+8, 2t+9][g]; s8/e4m3 m16n8k32: b0 = B[4t .. 4t+3][g], b1 =
// B[4t+16 .. 4t+19][g]), and the matrix so rebuilt must equal the codes,
// with the padding holding the code of zero.
//
//===----------------------------------------------------------------------===//

#include "lib/Runtime/cuda/WeightPacking.h"
#include <cstring>
#include <gtest/gtest.h>
#include <random>
#include <string>
#include <vector>

using namespace qcc::cuda;

namespace {

struct PackingCase {
  FragmentCodes codes;
  int64_t n, k;
};

/// The code of B[depth][column] as the lane holding it decodes it, for
/// every column and depth of the padded matrix.
std::vector<int> rebuild(FragmentCodes codes,
                         const std::vector<uint8_t> &packed, int64_t n,
                         int64_t k) {
  int64_t width = paddedColumns(n), depth = paddedDepth(k);
  int64_t tilesK = depth / kTileK, parts = partsOf(codes);
  std::vector<int> matrix(width * depth, -1000);
  for (int64_t column = 0; column < width; ++column)
    for (int64_t kt = 0; kt < tilesK; ++kt)
      for (int64_t t = 0; t < 4; ++t) {
        int64_t warp = column / 32, tile = column % 32 / 8, g = column % 8;
        int64_t lane = g * 4 + t;
        const uint8_t *tileBytes =
            packed.data() + ((warp * tilesK + kt) * 4 + tile) * parts * 512;
        auto word = [&](int64_t part, int64_t w) {
          uint32_t value;
          std::memcpy(&value, tileBytes + (part * 32 + lane) * 16 + w * 4, 4);
          return value;
        };
        auto set = [&](int64_t kInTile, int value) {
          matrix[column * depth + kt * kTileK + kInTile] = value;
        };
        switch (codes) {
        case FragmentCodes::Int4ForF16:
        case FragmentCodes::E2M1ForF16:
          // Word w, pair j: nibbles j and j + 4 are elements 0 and 1 of
          // register j % 2 of k16 step 2w + j / 2.
          for (int64_t w = 0; w < 4; ++w)
            for (int64_t j = 0; j < 4; ++j)
              for (int64_t element = 0; element < 2; ++element) {
                int nibble = (word(0, w) >> (4 * (j + 4 * element))) & 0xF;
                int64_t step = 2 * w + j / 2, reg = j % 2;
                set(16 * step + 2 * t + 8 * reg + element,
                    codes == FragmentCodes::Int4ForF16 ? nibble - 8 : nibble);
              }
          break;
        case FragmentCodes::Int4ForS8:
          // Word w is k32 step w: (bits << 4) & 0xF0F0F0F0 is b0, bits &
          // 0xF0F0F0F0 is b1, each byte the code × 16.
          for (int64_t w = 0; w < 4; ++w)
            for (int64_t reg = 0; reg < 2; ++reg) {
              uint32_t b = reg ? word(0, w) & 0xF0F0F0F0u
                               : (word(0, w) << 4) & 0xF0F0F0F0u;
              for (int64_t i = 0; i < 4; ++i)
                set(32 * w + 16 * reg + 4 * t + i,
                    static_cast<int8_t>(b >> (8 * i)) / 16);
            }
          break;
        case FragmentCodes::Int8ForS8:
        case FragmentCodes::E4M3ForF8:
          // Word w of part p is register w % 2 of k32 step 2p + w / 2.
          for (int64_t part = 0; part < 2; ++part)
            for (int64_t w = 0; w < 4; ++w)
              for (int64_t i = 0; i < 4; ++i) {
                uint32_t byte = (word(part, w) >> (8 * i)) & 0xFF;
                int64_t step = 2 * part + w / 2, reg = w % 2;
                set(32 * step + 16 * reg + 4 * t + i,
                    codes == FragmentCodes::Int8ForS8
                        ? static_cast<int8_t>(byte)
                        : static_cast<int>(byte));
              }
          break;
        }
      }
  return matrix;
}

std::string packingName(const ::testing::TestParamInfo<PackingCase> &info) {
  static const char *const kNames[] = {"Int4ForF16", "Int4ForS8", "Int8ForS8",
                                       "E4M3ForF8", "E2M1ForF16"};
  const PackingCase &c = info.param;
  return std::string(kNames[static_cast<int>(c.codes)]) + "_N" +
         std::to_string(c.n) + "_K" + std::to_string(c.k);
}

class CudaWeightPacking : public ::testing::TestWithParam<PackingCase> {};

TEST_P(CudaWeightPacking, PutsEveryCodeWhereTheKernelsReadIt) {
  const PackingCase &c = GetParam();
  std::mt19937 rng(static_cast<unsigned>(c.n * 131 + c.k));
  bool signedInt4 = c.codes == FragmentCodes::Int4ForF16 ||
                    c.codes == FragmentCodes::Int4ForS8;
  bool bytes = c.codes == FragmentCodes::Int8ForS8 ||
               c.codes == FragmentCodes::E4M3ForF8;
  std::uniform_int_distribution<int> draw(signedInt4 ? -8
                                          : bytes    ? -128
                                                     : 0,
                                          signedInt4 ? 7
                                          : bytes    ? 127
                                                     : 15);
  std::vector<int8_t> values(c.n * c.k);
  for (int8_t &v : values)
    v = static_cast<int8_t>(draw(rng));
  std::vector<uint8_t> packed(packedWeightBytes(c.codes, c.n, c.k));
  packWeightFragments(c.codes, values.data(), c.n, c.k, packed.data());
  std::vector<int> matrix = rebuild(c.codes, packed, c.n, c.k);
  int64_t depth = paddedDepth(c.k);
  for (int64_t column = 0; column < paddedColumns(c.n); ++column)
    for (int64_t d = 0; d < depth; ++d) {
      int expected = column < c.n && d < c.k ? values[column * c.k + d] : 0;
      if (c.codes == FragmentCodes::E4M3ForF8)
        expected = static_cast<uint8_t>(expected);
      ASSERT_EQ(matrix[column * depth + d], expected)
          << "column " << column << ", depth " << d;
    }
}

INSTANTIATE_TEST_SUITE_P(
    Layouts, CudaWeightPacking,
    ::testing::Values(PackingCase{FragmentCodes::Int4ForF16, 40, 300},
                      PackingCase{FragmentCodes::Int4ForF16, 64, 256},
                      PackingCase{FragmentCodes::E2M1ForF16, 33, 129},
                      PackingCase{FragmentCodes::Int4ForS8, 100, 700},
                      PackingCase{FragmentCodes::Int8ForS8, 70, 200},
                      PackingCase{FragmentCodes::E4M3ForF8, 9, 1000}),
    packingName);

TEST(CudaWeightPacking, TransposesScalesWithPadding) {
  std::vector<float> scales = {1, 2, 3, 4, 5, 6}; // [3 columns, 2 groups]
  std::vector<float> transposed(2 * paddedColumns(3), -1.0f);
  transposeScales(scales.data(), 3, 2, transposed.data());
  int64_t width = paddedColumns(3);
  EXPECT_EQ(transposed[0], 1);
  EXPECT_EQ(transposed[1], 3);
  EXPECT_EQ(transposed[2], 5);
  EXPECT_EQ(transposed[3], 0); // padding
  EXPECT_EQ(transposed[width + 0], 2);
  EXPECT_EQ(transposed[width + 2], 6);
}

} // namespace
