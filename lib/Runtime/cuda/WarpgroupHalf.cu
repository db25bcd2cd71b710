//===- WarpgroupHalf.cu - many-row w4a16 on wgmma -------------------------===//
//
// The warpgroup kernel (WarpgroupLinear.cuh) of f16 activations × int4
// weights (w4a16) in groups of 128 · j codes: codes decoded to exact f16
// in registers as the other f16 kernels do (HalfActivation.cuh), each
// group's sum started from zero on the tensor cores and added to the f32
// totals times the group's scales of the two rows a thread holds. A tile
// of activations is two boxes of T rows × 64 halves (128 bytes each, the
// swizzle's width).
//
//===----------------------------------------------------------------------===//

#include "lib/Runtime/cuda/HalfActivation.cuh"
#include "lib/Runtime/cuda/WarpgroupLinear.cuh"

namespace qcc::cuda {

namespace {

template <int T> struct Int4HalfPolicy {
  using Params = HalfParams;
  using Accumulator = float;
  static constexpr int kTokens = T;
  static constexpr int kSteps = 8;
  static constexpr int kXBytes = 2 * T * 128;
  static constexpr int kChunkBytes = 4 * 512;
  static constexpr int kScaleBytes = 32 * sizeof(float);
  static constexpr bool kPromotes = true;
  __device__ static void copyActivations(uint8_t *stage, const CUtensorMap &map,
                                         int kt, int token0,
                                         uint64_t *barrier) {
    copyTile(stage, map, kt * kTileK, token0, barrier);
    copyTile(stage + T * 128, map, kt * kTileK + 64, token0, barrier);
  }
  /// k16 step `step`: box step / 4, 32 bytes a step into its rows.
  __device__ static uint32_t xOffset(int step) {
    return step / 4 * T * 128 + step % 4 * 32;
  }
  __device__ static const void *scaleSource(const HalfParams &p, int kt,
                                            int64_t column0) {
    return p.scales +
           int64_t{min(kt / p.tilesPerGroup, p.groups - 1)} * p.paddedN +
           column0;
  }
  /// Word w of a tile's piece holds k16 steps 2w and 2w + 1 (b0, b1 each).
  struct Fragments {
    uint4 pieces[2];
    __device__ Fragments(const uint8_t *range, int tile0, int lane,
                         const uint8_t *, int) {
      pieces[0] = lanePiece<1>(range, tile0, 0, lane);
      pieces[1] = lanePiece<1>(range, tile0 + 1, 0, lane);
    }
    __device__ void of(int step, uint32_t (&a)[4]) const {
      uint32_t first[4], second[4];
      int4WordToHalf2(wordOf(pieces[0], step / 2), first);
      int4WordToHalf2(wordOf(pieces[1], step / 2), second);
      int half = step % 2;
      a[0] = first[2 * half];
      a[1] = second[2 * half];
      a[2] = first[2 * half + 1];
      a[3] = second[2 * half + 1];
    }
  };
  template <int N>
  __device__ static void multiply(float (&d)[N / 2], const uint32_t (&a)[4],
                                  uint64_t b, int accumulate) {
    wgmmaF16<N>(d, a, b, accumulate);
  }
  /// The f32 scales of rows row0 and row0 + 8 in a stage.
  __device__ static void rowScales(const uint8_t *scales, int row0,
                                   float (&scale)[2]) {
    const float *rowScales = reinterpret_cast<const float *>(scales);
    scale[0] = rowScales[row0];
    scale[1] = rowScales[row0 + 8];
  }
  /// A group's sums times the scales of their rows, into the totals.
  __device__ static void promote(const float (&d)[T / 4],
                                 float (&totals)[T / 4],
                                 const float (&scale)[2]) {
#pragma unroll
    for (int i = 0; i < T / 4; ++i)
      totals[i] += d[i] * scale[(i / 2) % 2];
  }
  __device__ static float tokenScale(const HalfParams &p, int token) {
    return p.tokenScales ? p.tokenScales[token] : 1.0f;
  }
  /// finishHalf's arithmetic (int4 codes: no 2^14) with the column's
  /// scale read once.
  struct Output {
    float channel;
    bool tokenScaled, channelScaled;
    __device__ Output(const HalfParams &p, int64_t column)
        : channel(p.channelScales ? p.channelScales[column] : 1.0f),
          tokenScaled(p.tokenScales != nullptr),
          channelScaled(p.channelScales != nullptr) {}
    __device__ float operator()(float sum, float tokenScale) const {
      if (tokenScaled)
        sum *= tokenScale;
      if (channelScaled)
        sum *= channel;
      return sum;
    }
  };
};

} // namespace

bool warpgroupRunsHalf(const DeviceWeight &weight, int64_t groupSize,
                       int64_t rows) {
  return weight.codes == FragmentCodes::Int4ForF16 && weight.k > 0 &&
         groupSize % kTileK == 0 && rows > kWarpgroupMinRows &&
         warpgroupTakes(rows, paddedColumns(weight.n));
}

cudaError_t launchWarpgroupHalf(const HalfParams &p, cudaStream_t stream) {
  int tokens = warpgroupTokens(p.rows, p.paddedN, 128);
  CUtensorMap map;
  if (cudaError_t status =
          encodeRowMajorMap(&map, p.x, 2, p.k, p.rows, p.k * 2, 64, tokens);
      status != cudaSuccess)
    return status;
  WarpgroupTiles plan{p.tilesK, p.tilesPerGroup};
  if (tokens == 128)
    return launchWarpgroup<Int4HalfPolicy<128>>(map, p, plan, stream);
  return launchWarpgroup<Int4HalfPolicy<64>>(map, p, plan, stream);
}

} // namespace qcc::cuda
