//===- WeightOnlyGemmBf16.cpp - the w4a16 product for many rows, BF16 -----===//
//
// weightOnlyLinear for 8+ activation rows (prefill) of packed int4 codes
// with AVX512_BF16. The activations are rounded to bf16 as they are packed
// (QLinearKernels.h) and int4 codes are exact in bf16, so vdpbf16ps forms
// exact products, two a
// lane, at twice the rate of f32 multiply-adds. Per call, 16 output columns
// at a time are repacked into a panel in which each 64-byte line holds
// codes 2p and 2p + 1 of each of the 16 columns as a bf16 pair; one
// vdpbf16ps multiplies a line by one activation row's pair, broadcast, into
// the 16 columns' f32 sums. A tile of 12 rows keeps each group's sums and
// the totals in registers; a group's sums are scaled by the columns' group
// scales into the totals, and the channel scale multiplies each total, as
// weightOnlyLinearPortable does (f32 sums in another order).
//
//===----------------------------------------------------------------------===//

#include "lib/Runtime/cpu/QLinearKernelsInternal.h"
#include "lib/Runtime/cpu/TileRows.h"
#include "lib/Runtime/cpu/TransposeAvx512.h"
#include "qcc/Numerics/Formats.h"
#include <algorithm>
#include <immintrin.h>
#include <memory>
#include <vector>

namespace qcc::rt {

namespace {

constexpr int64_t kPanelColumns = 16, kTileRows = 12;

/// 64 bytes: 16 bf16 pairs.
struct alignas(64) Line {
  uint32_t pairs[16];
};

/// acc + the two bf16 products of each lane of `line` with the bf16 pair
/// at `pair`, broadcast. Written as vpdpbusd is (BiasedCodesAvx512.h): the
/// tied operand keeps a tile's accumulators where they are, and the pair
/// comes as an embedded broadcast from memory, no register of its own.
inline __m512 dotAccumulate(__m512 acc, __m512i line, const uint32_t *pair) {
  asm("vdpbf16ps %2%{1to16%}, %1, %0" : "+v"(acc) : "v"(line), "m"(*pair));
  return acc;
}

/// The bf16 bits of the 4-bit two's-complement codes 0..15 in the first 16
/// words (the rest unused): exact, as every small integer is.
__m512i codeTable() {
  alignas(64) uint16_t words[32] = {};
  for (int i = 0; i < 16; ++i)
    words[i] = static_cast<uint16_t>(
        numerics::bitsOf(static_cast<float>(i < 8 ? i : i - 16)) >> 16);
  return _mm512_load_si512(words);
}

/// Codes c..c+31 of a packed int4 row (16 bytes, packInt4's order: byte j
/// holds codes j and j + 16) as bf16 in code order, so dword p holds the
/// pair (c + 2p, c + 2p + 1).
__m512i codePairs(const uint8_t *bytes, __m512i table) {
  __m256i words = _mm256_cvtepu8_epi16(
      _mm_loadu_si128(reinterpret_cast<const __m128i *>(bytes)));
  __m256i low = _mm256_and_si256(words, _mm256_set1_epi16(0xF));
  __m256i high = _mm256_srli_epi16(words, 4);
  __m512i codes = _mm512_inserti64x4(_mm512_castsi256_si512(low), high, 1);
  return _mm512_permutexvar_epi16(codes, table);
}

/// One panel of 16 output columns.
struct Panel {
  int64_t first = 0, count = 0;
  /// Line p: the bf16 pair (2p, 2p + 1) of each column, paddedWidth(k) / 2
  /// lines.
  std::vector<Line> lines;
  /// Per group, the columns' group scales (0 past the last column).
  std::vector<float> groupScales;
  /// The columns' channel scales (1 where there are none).
  alignas(64) float channelScales[kPanelColumns];
};

void fillPanel(const IntegerWeight &weight, __m512i table, Panel &panel) {
  int64_t padded = paddedWidth(weight.k);
  panel.lines.resize(padded / 2);
  __m512i rows[kPanelColumns], lines[kPanelColumns];
  for (int64_t c = 0; c < padded; c += kCodeAlignment) {
    for (int64_t j = 0; j < kPanelColumns; ++j)
      rows[j] = j < panel.count
                    ? codePairs(weight.packedInt4 +
                                    ((panel.first + j) * padded + c) / 2,
                                table)
                    : _mm512_setzero_si512();
    transpose16x16(rows, lines);
    for (int64_t p = 0; p < kPanelColumns; ++p)
      _mm512_store_si512(panel.lines[c / 2 + p].pairs, lines[p]);
  }
  panel.groupScales.assign(weight.groups * kPanelColumns, 0.0f);
  for (int64_t j = 0; j < kPanelColumns; ++j) {
    int64_t column = panel.first + j;
    bool real = j < panel.count;
    panel.channelScales[j] =
        real && weight.channelScales ? weight.channelScales[column] : 1.0f;
    for (int64_t g = 0; real && g < weight.groups; ++g)
      panel.groupScales[g * kPanelColumns + j] =
          weight.groupScales[column * weight.groups + g];
  }
}

/// y[row + r, panel columns] for r < Rows from the tile's activations `a`,
/// pair p of its row r at a[p · Rows + r] (interleaved: rows a power of two
/// KiB apart would share an L1 set).
template <int Rows>
void multiplyTile(const uint32_t *a, int64_t padded,
                  const IntegerWeight &weight, const Panel &panel, int64_t row,
                  float *y, int64_t ldy) {
  __m512 totals[Rows];
  for (int r = 0; r < Rows; ++r)
    totals[r] = _mm512_setzero_ps();
  for (int64_t start = 0, g = 0; start < weight.k;
       start += weight.groupSize, ++g) {
    int64_t stop = std::min(start + weight.groupSize, weight.k);
    if (stop == weight.k)
      stop = padded;
    __m512 sums[Rows];
    for (int r = 0; r < Rows; ++r)
      sums[r] = _mm512_setzero_ps();
    for (int64_t p = start / 2; p < stop / 2; ++p) {
      __m512i line = _mm512_load_si512(panel.lines[p].pairs);
      for (int r = 0; r < Rows; ++r)
        sums[r] = dotAccumulate(sums[r], line, a + p * Rows + r);
    }
    __m512 scale =
        _mm512_loadu_ps(panel.groupScales.data() + g * kPanelColumns);
    for (int r = 0; r < Rows; ++r)
      totals[r] = _mm512_fmadd_ps(sums[r], scale, totals[r]);
  }
  __mmask16 columns = static_cast<__mmask16>((1u << panel.count) - 1);
  __m512 channel = _mm512_load_ps(panel.channelScales);
  for (int r = 0; r < Rows; ++r) {
    __m512 value =
        weight.channelScales ? _mm512_mul_ps(totals[r], channel) : totals[r];
    _mm512_mask_storeu_ps(y + (row + r) * ldy + panel.first, columns, value);
  }
}

/// 32 f32 values (past `count`, zeros) as 32 bf16, rounded to nearest even.
__m512i toBfloat16(const float *x, int64_t count) {
  auto mask = [&](int64_t from) {
    int64_t n = std::clamp<int64_t>(count - from, 0, 16);
    return static_cast<__mmask16>((1u << n) - 1);
  };
  __m512 low = _mm512_maskz_loadu_ps(mask(0), x);
  __m512 high = _mm512_maskz_loadu_ps(mask(16), x + 16);
  return (__m512i)_mm512_cvtne2ps_pbh(high, low);
}

} // namespace

void weightOnlyGemmBf16(const float *x, int64_t rows,
                        const IntegerWeight &weight, float *y, int64_t ldy,
                        int64_t begin, int64_t end) {
  int64_t k = weight.k, padded = paddedWidth(k);
  // The rows as bf16 pairs (vcvtne2ps2bf16: numerics::roundToBfloat16's
  // bits), zero past k, interleaved per tile of rows: 16 pairs of each of a
  // tile's rows, transposed.
  int64_t pairs = padded / 2;
  // Every entry is written below: no zeroing.
  std::unique_ptr<uint32_t[]> activations(new uint32_t[rows * pairs]);
  __m512i chunks[16], interleaved[16];
  for (int64_t tile = 0; tile < rows; tile += kTileRows) {
    int64_t height = std::min(kTileRows, rows - tile);
    auto lanes = static_cast<__mmask16>((1u << height) - 1);
    uint32_t *out = activations.get() + tile * pairs;
    for (int64_t c = 0; c < padded; c += kCodeAlignment) {
      for (int64_t j = 0; j < 16; ++j)
        chunks[j] = j < height ? toBfloat16(x + (tile + j) * k + c, k - c)
                               : _mm512_setzero_si512();
      transpose16x16(chunks, interleaved);
      for (int64_t q = 0; q < 16; ++q)
        _mm512_mask_storeu_epi32(out + (c / 2 + q) * height, lanes,
                                 interleaved[q]);
    }
  }
  const __m512i table = codeTable();
  Panel panel;
  for (panel.first = begin; panel.first < end; panel.first += kPanelColumns) {
    panel.count = std::min(kPanelColumns, end - panel.first);
    fillPanel(weight, table, panel);
    for (int64_t r = 0; r < rows; r += kTileRows)
      withTileRows<kTileRows>(rows - r, [&](auto count) {
        multiplyTile<decltype(count)::value>(activations.get() + r * pairs,
                                             padded, weight, panel, r, y, ldy);
      });
  }
}

void roundToBfloat16RowsBf16(const float *x, int64_t count, float *out) {
  for (int64_t i = 0; i < count; i += 16) {
    int64_t n = std::min<int64_t>(16, count - i);
    __mmask16 mask = static_cast<__mmask16>((1u << n) - 1);
    __m256i halves =
        (__m256i)_mm512_cvtneps_pbh(_mm512_maskz_loadu_ps(mask, x + i));
    __m512i bits = _mm512_slli_epi32(_mm512_cvtepu16_epi32(halves), 16);
    _mm512_mask_storeu_ps(out + i, mask, _mm512_castsi512_ps(bits));
  }
}

bool hasBf16512() {
  static const bool supported =
      hasVnni512() && __builtin_cpu_supports("avx512bf16");
  return supported;
}

} // namespace qcc::rt
