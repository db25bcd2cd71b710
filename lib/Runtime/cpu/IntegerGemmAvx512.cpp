//===- IntegerGemmAvx512.cpp - the integer qlinear product for many rows --===//
//
// The integer product of QLinearKernels.h for 8+ activation rows (prefill)
// with AVX-512 VNNI on 512-bit registers. Per call, 16 output columns at a
// time are repacked into a panel in which each 64-byte line holds four
// consecutive codes of each of the 16 columns, biased to unsigned (int4
// + 8, int8 + 128). One vpdpbusd multiplies a line by four codes of one
// activation row, broadcast, into the 16 columns' int32 sums: an 8-row
// tile keeps its sums in registers and reads each line once. The bias
// comes back out per segment as bias · Σa; the segments (group and block
// boundaries), their integer scales and the float epilogue follow
// integerLinearPortable's order, so the results are the interpreter's bit
// for bit.
//
//===----------------------------------------------------------------------===//

#include "lib/Runtime/cpu/BiasedCodesAvx512.h"
#include "lib/Runtime/cpu/TileRows.h"
#include "lib/Runtime/cpu/TransposeAvx512.h"
#include <algorithm>
#include <immintrin.h>
#include <vector>

namespace qcc::rt {

namespace {

constexpr int64_t kPanelColumns = 16, kTileRows = 8;

/// One panel of 16 output columns, packed with what its tiles read.
struct Panel {
  int64_t first = 0, count = 0;
  std::vector<uint8_t> lines;
  /// Per segment, the columns' integer scales (two-level weights only).
  std::vector<int32_t> integerScales;
  /// Per segment closing a block, the columns' float block scales.
  std::vector<float> blockScales;
  /// The columns' channel scales (1 where there are none).
  alignas(64) float channelScales[kPanelColumns];
};

/// y[row + r, panel columns] for r < Rows: integer sums per segment,
/// scaled and summed as integerLinearPortable does.
template <int Rows>
void multiplyTile(const IntegerProduct &product, const IntegerWeight &weight,
                  const Panel &panel, const std::vector<Segment> &segments,
                  const int32_t *segmentSums, int32_t bias, int64_t row,
                  float *y, int64_t ldy) {
  int64_t padded = paddedWidth(weight.k);
  const int8_t *a = product.codes + row * padded;
  __m512 sums[Rows];
  __m512i blockSums[Rows];
  for (int r = 0; r < Rows; ++r) {
    sums[r] = _mm512_setzero_ps();
    blockSums[r] = _mm512_setzero_si512();
  }
  for (size_t s = 0; s < segments.size(); ++s) {
    const Segment &segment = segments[s];
    __m512i dots[Rows];
    for (int r = 0; r < Rows; ++r)
      dots[r] = _mm512_setzero_si512();
    for (int64_t j = segment.begin; j < segment.end; j += 4) {
      __m512i line = _mm512_loadu_si512(panel.lines.data() + j * 16);
      for (int r = 0; r < Rows; ++r) {
        int32_t quad;
        __builtin_memcpy(&quad, a + r * padded + j, 4);
        dots[r] = dotAccumulate(dots[r], line, _mm512_set1_epi32(quad));
      }
    }
    __m512i scales =
        weight.integerScales
            ? _mm512_loadu_si512(panel.integerScales.data() + s * kPanelColumns)
            : _mm512_setzero_si512();
    for (int r = 0; r < Rows; ++r) {
      __m512i dot = _mm512_sub_epi32(
          dots[r],
          _mm512_set1_epi32(bias * segmentSums[r * segments.size() + s]));
      if (weight.integerScales)
        dot = _mm512_mullo_epi32(dot, scales);
      blockSums[r] = _mm512_add_epi32(blockSums[r], dot);
    }
    if (!segment.closesBlock)
      continue;
    __m512 blockScale =
        _mm512_loadu_ps(panel.blockScales.data() + s * kPanelColumns);
    for (int r = 0; r < Rows; ++r) {
      sums[r] = _mm512_add_ps(
          sums[r], _mm512_mul_ps(_mm512_cvtepi32_ps(blockSums[r]), blockScale));
      blockSums[r] = _mm512_setzero_si512();
    }
  }
  __mmask16 columns = static_cast<__mmask16>((1u << panel.count) - 1);
  __m512 channel = _mm512_load_ps(panel.channelScales);
  for (int r = 0; r < Rows; ++r) {
    __m512 value =
        _mm512_mul_ps(sums[r], _mm512_set1_ps(product.tokenScales[row + r]));
    if (weight.channelScales)
      value = _mm512_mul_ps(value, channel);
    _mm512_mask_storeu_ps(y + (row + r) * ldy + panel.first, columns, value);
  }
}

/// The panel's lines: 64 codes of each of the 16 columns (missing ones
/// zero codes) are loaded biased and transposed as dwords.
template <bool Int4> void packLines(const IntegerWeight &weight, Panel &panel) {
  int64_t padded = paddedWidth(weight.k);
  const __m512i zero = _mm512_set1_epi8(static_cast<char>(Int4 ? 0x08 : 0x80));
  __m512i rows[16], lines[16];
  for (int64_t j = 0; j < padded; j += 64) {
    bool whole = j + 64 <= padded;
    for (int64_t c = 0; c < kPanelColumns; ++c)
      rows[c] = c >= panel.count ? zero
                : whole ? loadBiased64<Int4>(weight, padded, panel.first + c, j)
                        : _mm512_zextsi256_si512(loadBiased32<Int4>(
                              weight, padded, panel.first + c, j));
    transpose16x16(rows, lines);
    for (int64_t q = 0; q < (whole ? 16 : 8); ++q)
      _mm512_storeu_si512(panel.lines.data() + (j / 4 + q) * 64, lines[q]);
  }
}

void fillPanel(const IntegerProduct &product, const IntegerWeight &weight,
               const std::vector<Segment> &segments, Panel &panel) {
  int64_t padded = paddedWidth(weight.k);
  panel.lines.resize(padded * kPanelColumns);
  panel.integerScales.assign(segments.size() * kPanelColumns, 1);
  panel.blockScales.assign(segments.size() * kPanelColumns, 0.0f);
  if (weight.packedInt4)
    packLines<true>(weight, panel);
  else
    packLines<false>(weight, panel);
  for (int64_t c = 0; c < kPanelColumns; ++c) {
    int64_t column = panel.first + c;
    bool real = c < panel.count;
    panel.channelScales[c] =
        real && weight.channelScales ? weight.channelScales[column] : 1.0f;
    if (!real)
      continue;
    for (size_t s = 0; s < segments.size(); ++s) {
      const Segment &segment = segments[s];
      if (weight.integerScales)
        panel.integerScales[s * kPanelColumns + c] =
            weight.integerScales[column * weight.groups + segment.group];
      if (segment.closesBlock)
        panel.blockScales[s * kPanelColumns + c] =
            blockScaleOf(product, weight, column, segment);
    }
  }
}

} // namespace

void integerGemmAvx512(const IntegerProduct &product,
                       const IntegerWeight &weight, float *y, int64_t ldy,
                       int64_t begin, int64_t end) {
  int64_t padded = paddedWidth(weight.k);
  std::vector<Segment> segments = segmentsOf(product, weight);
  int32_t bias = weight.packedInt4 ? 8 : 128;
  std::vector<int32_t> segmentSums = activationSums(product, padded, segments);
  Panel panel;
  for (panel.first = begin; panel.first < end; panel.first += kPanelColumns) {
    panel.count = std::min(kPanelColumns, end - panel.first);
    fillPanel(product, weight, segments, panel);
    for (int64_t r = 0; r < product.rows; r += kTileRows) {
      const int32_t *sums = segmentSums.data() + r * segments.size();
      auto tile = [&](auto rows) {
        multiplyTile<decltype(rows)::value>(product, weight, panel, segments,
                                            sums, bias, r, y, ldy);
      };
      withTileRows<kTileRows>(product.rows - r, tile);
    }
  }
}

bool hasVnni512() {
  static const bool supported = hasAvx2() &&
                                __builtin_cpu_supports("avx512f") &&
                                __builtin_cpu_supports("avx512bw") &&
                                __builtin_cpu_supports("avx512vnni");
  return supported;
}

} // namespace qcc::rt
