//===- WarpgroupQuantized.cu - many-row w8a8, w4a8 and fp8 on wgmma -------===//
//
// The warpgroup kernels (WarpgroupLinear.cuh) of quantized-activation
// products with one accumulation block: int8 × int8 (w8a8) and e4m3 ×
// e4m3 (fp8) with the fragments as stored, and w4a8's two-level int4
// weights converted in registers to the int8 products q · s of each code
// and its group's integer scale, so that one exact int32 sum runs over all
// of K: Σ_g s_g Σ_k a q = Σ_k a (q s_g), the interpreter's integer. That
// needs q · s to be a byte, which DeviceWeight::int8Products promises.
// e4m3 sums leave the tensor cores every 128 codes (their precision) into
// f32 totals, as the other fp8 kernels do. The epilogue is
// QuantizedActivation.cuh's; this file is built without fused
// multiply-adds, so the integer results are the interpreter's bits.
//
//===----------------------------------------------------------------------===//

#include "lib/Runtime/cuda/QuantizedActivation.cuh"
#include "lib/Runtime/cuda/WarpgroupLinear.cuh"
#include <cuda_fp16.h>

namespace qcc::cuda {

namespace {

/// Byte activations [rows, paddedK]: a tile is one box of T rows × 128
/// codes, and k32 step `step` starts 32 bytes into its rows.
template <int T> struct ByteActivations {
  using Params = QuantizedActivationParams;
  static constexpr int kTokens = T;
  static constexpr int kSteps = 4;
  static constexpr int kXBytes = T * kTileK;
  __device__ static void copyActivations(uint8_t *stage, const CUtensorMap &map,
                                         int kt, int token0,
                                         uint64_t *barrier) {
    copyTile(stage, map, kt * kTileK, token0, barrier);
  }
  __device__ static uint32_t xOffset(int step) { return step * 32; }
  __device__ static float tokenScale(const Params &p, int token) {
    return p.tokenScales[token];
  }
  /// finishOneBlock's arithmetic with the column's scales read once: ((0 +
  /// float(sum) · block scale) · token scale) · channel scale.
  struct Output {
    float block, channel;
    bool channelScaled;
    __device__ Output(const Params &p, int64_t column)
        : block(blockScale(p, column, 0)),
          channel(p.channelScales ? p.channelScales[column] : 1.0f),
          channelScaled(p.channelScales != nullptr) {}
    template <typename Accumulator>
    __device__ float operator()(Accumulator sum, float tokenScale) const {
      float value = 0.0f;
      value += static_cast<float>(sum) * block;
      value = value * tokenScale;
      if (channelScaled)
        value *= channel;
      return value;
    }
  };
};

/// A fragments of byte codes (Int8ForS8, E4M3ForF8): step s is words
/// 2 (s % 2) and + 1 of part s / 2 of the lane's two tiles.
struct ByteFragments {
  const uint8_t *range;
  int tile0, lane;
  __device__ ByteFragments(const uint8_t *range, int tile0, int lane,
                           const uint8_t *, int)
      : range(range), tile0(tile0), lane(lane) {}
  __device__ void of(int step, uint32_t (&a)[4]) const {
    int part = step / 2, word = 2 * (step % 2);
    uint4 first = lanePiece<2>(range, tile0, part, lane);
    uint4 second = lanePiece<2>(range, tile0 + 1, part, lane);
    a[0] = wordOf(first, word);
    a[1] = wordOf(second, word);
    a[2] = wordOf(first, word + 1);
    a[3] = wordOf(second, word + 1);
  }
};

/// w8a8: int8 × int8, one exact sum over K.
template <int T> struct Int8Policy : ByteActivations<T> {
  using Accumulator = int32_t;
  static constexpr int kChunkBytes = 4 * 2 * 512;
  static constexpr int kScaleBytes = 0;
  static constexpr bool kPromotes = false;
  using Fragments = ByteFragments;
  template <int N>
  __device__ static void multiply(int32_t (&d)[N / 2], const uint32_t (&a)[4],
                                  uint64_t b, int accumulate) {
    wgmmaS8<N>(d, a, b, accumulate);
  }
};

/// fp8: e4m3 × e4m3, each tile's f32 sum added to the totals outside.
template <int T> struct E4M3Policy : ByteActivations<T> {
  using Accumulator = float;
  static constexpr int kChunkBytes = 4 * 2 * 512;
  static constexpr int kScaleBytes = 0;
  static constexpr bool kPromotes = true;
  using Fragments = ByteFragments;
  template <int N>
  __device__ static void multiply(float (&d)[N / 2], const uint32_t (&a)[4],
                                  uint64_t b, int accumulate) {
    wgmmaE4M3<N>(d, a, b, accumulate);
  }
  __device__ static void rowScales(const uint8_t *, int, float (&)[2]) {}
  __device__ static void promote(const float (&d)[T / 4],
                                 float (&totals)[T / 4], const float (&)[2]) {
#pragma unroll
    for (int i = 0; i < T / 4; ++i)
      totals[i] += d[i];
  }
};

/// 1032 + q as f16 for the two-level int4 codes at bits 0-3 and 16-19 of
/// `word`: the nibble with its top bit flipped is q + 8 (two's complement),
/// OR'd into the exponent of 1024: (word & 0x000F000F) ^ 0x64086408.
__device__ inline uint32_t biasedHalves(uint32_t word) {
  uint32_t halves;
  asm("lop3.b32 %0, %1, %2, %3, 0x6A;"
      : "=r"(halves)
      : "r"(word), "r"(0x000F000Fu), "r"(0x64086408u));
  return halves;
}

/// (1032 + q) · s + (1280 − 1032 s) = 1280 + q s, exact in f16 (one
/// rounding of an integer in [1153, 1407]); its low byte is q s as a
/// two's-complement byte.
__device__ inline uint32_t scaledHalves(uint32_t word, uint32_t scale,
                                        uint32_t offset) {
  uint32_t result;
  asm("fma.rn.f16x2 %0, %1, %2, %3;"
      : "=r"(result)
      : "r"(biasedHalves(word)), "r"(scale), "r"(offset));
  return result;
}

/// The int8 fragment registers of one word of Int4ForS8 codes (even
/// nibbles are register b0, odd ones b1; WeightPacking.h), each code
/// times the integer scale s: bytes of the low halves, in nibble order.
__device__ inline void scaledWord(uint32_t word, uint32_t scale,
                                  uint32_t offset, uint32_t &even,
                                  uint32_t &odd) {
  even = __byte_perm(scaledHalves(word, scale, offset),
                     scaledHalves(word >> 8, scale, offset), 0x6240);
  odd = __byte_perm(scaledHalves(word >> 4, scale, offset),
                    scaledHalves(word >> 12, scale, offset), 0x6240);
}

/// (s, s) and (1280 − 1032 s) twice, as f16 pairs (exact for s ≤ 17).
__device__ inline void scaleHalves(uint8_t s, uint32_t &scale,
                                   uint32_t &offset) {
  auto pair = [](float value) {
    uint32_t bits = __half_as_ushort(__float2half_rn(value));
    return bits | bits << 16;
  };
  scale = pair(static_cast<float>(s));
  offset = pair(1280.0f - 1032.0f * static_cast<float>(s));
}

/// w4a8: int4 codes × their two-level integer scale as int8 × int8 codes,
/// one exact sum over K.
template <int T> struct Int4TwoLevelPolicy : ByteActivations<T> {
  using Accumulator = int32_t;
  static constexpr int kChunkBytes = 4 * 512;
  static constexpr int kScaleBytes = 32;
  static constexpr bool kPromotes = false;
  __device__ static const void *scaleSource(const QuantizedActivationParams &p,
                                            int kt, int64_t column0) {
    return p.integerScales +
           int64_t{min(kt / p.groupTiles, p.groups - 1)} * p.paddedN + column0;
  }
  /// Word s of each tile's piece is step s; each tile's row has its scale.
  struct Fragments {
    uint4 pieces[2];
    uint32_t scale[2], offset[2];
    __device__ Fragments(const uint8_t *range, int tile0, int lane,
                         const uint8_t *scales, int row0) {
      pieces[0] = lanePiece<1>(range, tile0, 0, lane);
      pieces[1] = lanePiece<1>(range, tile0 + 1, 0, lane);
      scaleHalves(scales[row0], scale[0], offset[0]);
      scaleHalves(scales[row0 + 8], scale[1], offset[1]);
    }
    __device__ void of(int step, uint32_t (&a)[4]) const {
      scaledWord(wordOf(pieces[0], step), scale[0], offset[0], a[0], a[2]);
      scaledWord(wordOf(pieces[1], step), scale[1], offset[1], a[1], a[3]);
    }
  };
  template <int N>
  __device__ static void multiply(int32_t (&d)[N / 2], const uint32_t (&a)[4],
                                  uint64_t b, int accumulate) {
    wgmmaS8<N>(d, a, b, accumulate);
  }
};

template <template <int> class Policy>
cudaError_t launchRows(const QuantizedActivationParams &p,
                       cudaStream_t stream) {
  // Sums kept in f32 totals too take the registers of 256 rows.
  constexpr bool kWide = !Policy<128>::kPromotes;
  int tokens = warpgroupTokens(p.rows, p.paddedN, kWide ? 256 : 128);
  CUtensorMap map;
  if (cudaError_t status = encodeRowMajorMap(&map, p.codes, 1, p.paddedK,
                                             p.rows, p.paddedK, kTileK, tokens);
      status != cudaSuccess)
    return status;
  WarpgroupTiles plan{p.tilesK, 1};
  if constexpr (kWide)
    if (tokens == 256)
      return launchWarpgroup<Policy<256>>(map, p, plan, stream);
  if (tokens == 128)
    return launchWarpgroup<Policy<128>>(map, p, plan, stream);
  return launchWarpgroup<Policy<64>>(map, p, plan, stream);
}

} // namespace

bool warpgroupRunsQuantized(const DeviceWeight &weight, int64_t blockTiles,
                            int64_t rows) {
  if (blockTiles != 0 || weight.k <= 0 || rows <= kWarpgroupMinRows ||
      !warpgroupTakes(rows, paddedColumns(weight.n)))
    return false;
  return weight.codes == FragmentCodes::Int8ForS8 ||
         weight.codes == FragmentCodes::E4M3ForF8 ||
         (weight.codes == FragmentCodes::Int4ForS8 && weight.integerScales &&
          weight.int8Products);
}

cudaError_t launchWarpgroupQuantized(const QuantizedActivationParams &p,
                                     FragmentCodes codes, cudaStream_t stream) {
  switch (codes) {
  case FragmentCodes::Int4ForS8:
    return launchRows<Int4TwoLevelPolicy>(p, stream);
  case FragmentCodes::E4M3ForF8:
    return launchRows<E4M3Policy>(p, stream);
  default:
    return launchRows<Int8Policy>(p, stream);
  }
}

} // namespace qcc::cuda
