//===- AttentionKernel.cu - scaled dot-product attention on sm90 ----------===//
//
// One block per head and up to 32 query rows, which share each tile of 64
// keys (then values) staged in shared memory: the rows' scores, scaled and
// masked as lib/Runtime/cpu/NNOps.cpp does (a bool mask puts maskedValue, a
// float mask is added), stay in shared memory for a softmax with exp as 0
// below -104 and a double sum, then the probabilities times V. Threads
// hold small tiles of results in registers (2 rows × 4 keys, 4 rows × 2
// columns) so that each shared load feeds several products; with fewer
// rows than warps the warps split the keys and add their partial sums in
// order. A decode step (one query row over many keys) splits its keys over
// blocks instead and joins them after, rescaled to the overall largest
// score. Results differ from the CPU's only in summation order.
// Grouped-query heads share their key/value head. Fewer rows per block
// when the keys are many (200 KiB of shared memory at most: about 1,500
// keys at 32 rows, 50,000 at one); an online-softmax tiling for longer
// contexts is future work.
//
//===----------------------------------------------------------------------===//

#include "lib/Runtime/cuda/DeviceRuntime.h"
#include <algorithm>

using namespace qcc;
using namespace qcc::gpu;

namespace {

constexpr int kThreads = 256, kWarps = kThreads / 32;
/// Keys (then values) staged in shared memory at a time; query rows a
/// block shares them between, at most.
constexpr int kKeyTile = 64, kMaxRows = 32;
/// Widths of queries and values the output accumulators cover.
constexpr int kMaxWidth = 256;
/// Shared memory a block of these kernels takes at most.
constexpr int64_t kMostShared = 200 << 10;

struct Attention {
  const float *q, *k, *v;
  /// Either mask, or neither; broadcast to [batch, heads, rows, t].
  const uint8_t *boolMask;
  const float *floatMask;
  int64_t maskStrides[4];
  float *out;
  int64_t heads, kvHeads, rows, t, d, dv;
  float scale, maskedValue;
  /// Query rows per block.
  int blockRows;
};

/// Shared floats of a block: its query rows and one key or value tile
/// (rows padded by one float against bank conflicts), its rows of scores, and
/// the partial outputs of the warps that split a few rows' keys.
int64_t sharedFloats(int64_t rows, int64_t t, int64_t d, int64_t dv) {
  return rows * (d + 1 + t) + int64_t(kKeyTile) * (std::max(d, dv) + 1) +
         kWarps * dv;
}

/// `Columns` value columns a lane at most: the value width over 32,
/// rounded up to a power of two.
template <int Columns>
__global__ void __launch_bounds__(kThreads) attentionKernel(Attention p) {
  extern __shared__ float shared[];
  int64_t width = p.d > p.dv ? p.d : p.dv;
  float *query = shared, *tile = query + p.blockRows * (p.d + 1),
        *scores = tile + kKeyTile * (width + 1),
        *partials = scores + p.blockRows * p.t;
  int64_t i0 = int64_t(blockIdx.x) * p.blockRows, h = blockIdx.y,
          b = blockIdx.z;
  int rows =
      static_cast<int>(p.rows - i0 < p.blockRows ? p.rows - i0 : p.blockRows);
  int d = static_cast<int>(p.d), dv = static_cast<int>(p.dv);
  int64_t kvh = h / (p.heads / p.kvHeads);
  const float *q = p.q + ((b * p.heads + h) * p.rows + i0) * d;
  const float *k = p.k + (b * p.kvHeads + kvh) * p.t * d;
  const float *v = p.v + (b * p.kvHeads + kvh) * p.t * dv;
  for (int e = threadIdx.x; e < rows * d; e += kThreads)
    query[e / d * (d + 1) + e % d] = q[e];

  // Scores, a tile of keys at a time. Each thread computes 2 rows × 4
  // keys (rows 2·(t / 16) + {0, 1}, keys t % 16 + 16·m), every dot
  // product in ascending order; then scaled and masked.
  int rowPair = threadIdx.x / 16, keyLane = threadIdx.x % 16;
  for (int64_t j0 = 0; j0 < p.t; j0 += kKeyTile) {
    int cols = static_cast<int>(p.t - j0 < kKeyTile ? p.t - j0 : kKeyTile);
    __syncthreads();
    for (int e = threadIdx.x; e < cols * d; e += kThreads)
      tile[e / d * (d + 1) + e % d] = k[j0 * d + e];
    __syncthreads();
    for (int r0 = 2 * rowPair; r0 < rows; r0 += 2 * (kThreads / 16)) {
      float dot[2][4] = {};
      const float *q0 = query + r0 * (d + 1),
                  *q1 = query + (r0 + 1 < rows ? r0 + 1 : r0) * (d + 1);
      for (int c = 0; c < d; ++c) {
        float a0 = q0[c], a1 = q1[c];
#pragma unroll
        for (int m = 0; m < 4; ++m) {
          float key = tile[(keyLane + 16 * m) * (d + 1) + c];
          dot[0][m] += a0 * key;
          dot[1][m] += a1 * key;
        }
      }
#pragma unroll
      for (int i = 0; i < 2; ++i)
#pragma unroll
        for (int m = 0; m < 4; ++m) {
          int r = r0 + i, j = keyLane + 16 * m;
          if (r >= rows || j >= cols)
            continue;
          float score = dot[i][m] * p.scale;
          int64_t at = b * p.maskStrides[0] + h * p.maskStrides[1] +
                       (i0 + r) * p.maskStrides[2] +
                       (j0 + j) * p.maskStrides[3];
          if (p.boolMask && !p.boolMask[at])
            score = p.maskedValue;
          else if (p.floatMask)
            score += p.floatMask[at];
          scores[r * p.t + j0 + j] = score;
        }
    }
  }
  __syncthreads();

  // Softmax, a warp per row: exp as 0 below -104, the sum in double.
  int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  for (int r = warp; r < rows; r += kWarps) {
    float *row = scores + r * p.t;
    float top = -INFINITY;
    for (int64_t j = lane; j < p.t; j += 32)
      top = row[j] > top ? row[j] : top;
    for (int offset = 16; offset > 0; offset /= 2) {
      float other = __shfl_xor_sync(0xffffffffu, top, offset);
      top = other > top ? other : top;
    }
    double sum = 0.0;
    for (int64_t j = lane; j < p.t; j += 32) {
      float shifted = row[j] - top;
      float e = shifted < -104.0f ? 0.0f : expf(shifted);
      row[j] = e;
      sum += e;
    }
    for (int offset = 16; offset > 0; offset /= 2)
      sum += __shfl_xor_sync(0xffffffffu, sum, offset);
    for (int64_t j = lane; j < p.t; j += 32)
      row[j] = static_cast<float>(row[j] / sum);
  }

  // Probabilities times V, a tile of values at a time. A warp owns rows
  // (warp % groups) + groups·i and, when the rows are fewer than the warps,
  // every split-th key of each tile (split = 8 / groups); a lane owns the
  // columns lane + 32·n. Each warp sums its keys in ascending order; split
  // warps' partial sums are added in warp order at the end.
  int groups = rows >= kWarps ? kWarps : rows > 4 ? 8 : rows > 2 ? 4 : rows;
  int split = kWarps / groups, group = warp % groups, part = warp / groups;
  constexpr int kRowsPerWarp = kMaxRows / kWarps, kColumnsPerLane = Columns;
  float acc[kRowsPerWarp][kColumnsPerLane] = {};
  for (int64_t j0 = 0; j0 < p.t; j0 += kKeyTile) {
    int cols = static_cast<int>(p.t - j0 < kKeyTile ? p.t - j0 : kKeyTile);
    __syncthreads();
    for (int e = threadIdx.x; e < cols * dv; e += kThreads)
      tile[e / dv * (dv + 1) + e % dv] = v[j0 * dv + e];
    __syncthreads();
    for (int j = part; j < cols; j += split) {
      const float *value = tile + j * (dv + 1);
#pragma unroll
      for (int i = 0; i < kRowsPerWarp; ++i) {
        int r = group + groups * i;
        if (r >= rows)
          break;
        float probability = scores[r * p.t + j0 + j];
#pragma unroll
        for (int n = 0; n < kColumnsPerLane; ++n)
          if (lane + 32 * n < dv)
            acc[i][n] += probability * value[lane + 32 * n];
      }
    }
  }
  float *out = p.out + ((b * p.heads + h) * p.rows + i0) * dv;
  if (split == 1) {
#pragma unroll
    for (int i = 0; i < kRowsPerWarp; ++i) {
      int r = group + groups * i;
      if (r >= rows)
        break;
#pragma unroll
      for (int n = 0; n < kColumnsPerLane; ++n)
        if (lane + 32 * n < dv)
          out[r * dv + lane + 32 * n] = acc[i][n];
    }
    return;
  }
  // Fewer rows than warps: one row per group, its parts added in order.
#pragma unroll
  for (int n = 0; n < kColumnsPerLane; ++n)
    if (lane + 32 * n < dv)
      partials[warp * dv + lane + 32 * n] = acc[0][n];
  __syncthreads();
  for (int e = threadIdx.x; e < rows * dv; e += kThreads) {
    int r = e / dv, c = e % dv;
    float total = 0.0f;
    for (int w = 0; w < split; ++w)
      total += partials[(w * groups + r) * dv + c];
    out[r * dv + c] = total;
  }
}

/// Keys of one block of a decode step (a single query row).
constexpr int kSplitKeys = 64, kSplitThreads = 128;

/// A decode step's keys split over blocks (grid: splits × heads × batch):
/// each block scores its keys, and leaves its largest score, the sum of
/// exp(score - largest) (in double) and the exp-weighted sum of its values.
__global__ void __launch_bounds__(kSplitThreads)
    splitKeysKernel(Attention p, float *largest, double *sums, float *partial) {
  extern __shared__ float shared[];
  float *query = shared, *weights = query + p.d, *keys = weights + kSplitKeys,
        *values = keys + kSplitKeys * p.d;
  int64_t split = blockIdx.x, h = blockIdx.y, b = blockIdx.z;
  int64_t j0 = split * kSplitKeys;
  int cols = static_cast<int>(p.t - j0 < kSplitKeys ? p.t - j0 : kSplitKeys);
  int64_t kvh = h / (p.heads / p.kvHeads);
  const float *q = p.q + (b * p.heads + h) * p.d;
  const float *k = p.k + ((b * p.kvHeads + kvh) * p.t + j0) * p.d;
  const float *v = p.v + ((b * p.kvHeads + kvh) * p.t + j0) * p.dv;
  // Every load issued at once, then all work from shared memory.
  for (int64_t c = threadIdx.x; c < p.d; c += kSplitThreads)
    query[c] = q[c];
  for (int64_t e = threadIdx.x; e < cols * p.d; e += kSplitThreads)
    keys[e] = k[e];
  for (int64_t e = threadIdx.x; e < cols * p.dv; e += kSplitThreads)
    values[e] = v[e];
  __syncthreads();
  // A warp per key: lanes split the dot product, a shuffle tree adds.
  int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  for (int j = warp; j < cols; j += kSplitThreads / 32) {
    float dot = 0.0f;
    for (int64_t c = lane; c < p.d; c += 32)
      dot += query[c] * keys[j * p.d + c];
    for (int offset = 16; offset > 0; offset /= 2)
      dot += __shfl_xor_sync(0xffffffffu, dot, offset);
    if (lane == 0) {
      float score = dot * p.scale;
      int64_t at = b * p.maskStrides[0] + h * p.maskStrides[1] +
                   (j0 + j) * p.maskStrides[3];
      if (p.boolMask && !p.boolMask[at])
        score = p.maskedValue;
      else if (p.floatMask)
        score += p.floatMask[at];
      weights[j] = score;
    }
  }
  __syncthreads();
  float top = -INFINITY;
  for (int j = 0; j < cols; ++j)
    top = weights[j] > top ? weights[j] : top;
  __syncthreads();
  // A split whose scores are all -inf weighs nothing (not NaN).
  bool dead = top == -INFINITY;
  double sum = 0.0;
  for (int j = 0; j < cols; ++j) {
    float shifted = weights[j] - top;
    sum += dead || shifted < -104.0f ? 0.0 : double(expf(shifted));
  }
  __syncthreads();
  if (threadIdx.x < cols) {
    float shifted = weights[threadIdx.x] - top;
    weights[threadIdx.x] = dead || shifted < -104.0f ? 0.0f : expf(shifted);
  }
  __syncthreads();
  int64_t slot = (b * p.heads + h) * gridDim.x + split;
  for (int64_t c = threadIdx.x; c < p.dv; c += kSplitThreads) {
    float total = 0.0f;
    for (int j = 0; j < cols; ++j)
      total += weights[j] * values[j * p.dv + c];
    partial[slot * p.dv + c] = total;
  }
  if (threadIdx.x == 0) {
    largest[slot] = top;
    sums[slot] = sum;
  }
}

/// Joins a decode step's splits (grid: heads × batch): each split's values
/// and sum rescaled to the overall largest score, then divided.
__global__ void __launch_bounds__(kSplitThreads)
    joinSplitsKernel(Attention p, int splits, const float *largest,
                     const double *sums, const float *partial) {
  int64_t h = blockIdx.x, b = blockIdx.y;
  int64_t first = (b * p.heads + h) * splits;
  float top = -INFINITY;
  for (int i = 0; i < splits; ++i)
    top = largest[first + i] > top ? largest[first + i] : top;
  double total = 0.0;
  for (int i = 0; i < splits; ++i)
    total += sums[first + i] * exp(double(largest[first + i]) - top);
  float *out = p.out + (b * p.heads + h) * p.dv;
  for (int64_t c = threadIdx.x; c < p.dv; c += kSplitThreads) {
    double value = 0.0;
    for (int i = 0; i < splits; ++i)
      value += partial[(first + i) * p.dv + c] *
               exp(double(largest[first + i]) - top);
    out[c] = static_cast<float>(value / total);
  }
}

} // namespace

Tensor qcc::gpu::attention(Session *s, Node node, const Tensor &q,
                           const Tensor &k, const Tensor &v, const Tensor &mask,
                           float scale, float maskedValue) {
  if (s->failed())
    return {};
  std::optional<Shape> maskStrides =
      rt::checkAttentionOperands(s, node, q, k, v, mask);
  if (!maskStrides)
    return {};
  int64_t batch = q.dim(0), heads = q.dim(1), rows = q.dim(2), d = q.dim(3);
  int64_t kvHeads = k.dim(1), t = k.dim(2), dv = v.dim(3);
  Attention p{q.data<float>(),
              k.data<float>(),
              v.data<float>(),
              nullptr,
              nullptr,
              {0, 0, 0, 0},
              nullptr,
              heads,
              kvHeads,
              rows,
              t,
              d,
              dv,
              scale,
              maskedValue,
              1};
  std::copy(maskStrides->begin(), maskStrides->end(), p.maskStrides);
  Tensor deviceMask;
  if (!mask.isNull()) {
    deviceMask = toDevice(s, node, mask);
    if (deviceMask.isNull())
      return {};
    if (mask.dtype() == DType::Bool)
      p.boolMask = deviceMask.data<uint8_t>();
    else
      p.floatMask = deviceMask.data<float>();
  }
  Tensor result = allocate(s, node, DType::F32, {batch, heads, rows, dv});
  if (result.isNull())
    return {};
  p.out = result.mutableData<float>();
  if (batch * heads * rows == 0)
    return result;
  cudaStream_t stream = streamOf(s);
  if (rows == 1 && t > kSplitKeys) {
    // A decode step: too few query rows to fill the GPU, so the keys are
    // split over blocks and joined after (flash-decoding). The sums run in
    // another order than the CPU's; exp(s - max) is taken per split.
    int64_t splits = (t + kSplitKeys - 1) / kSplitKeys;
    Tensor largest = allocate(s, node, DType::F32, {batch * heads * splits});
    Tensor sums = allocate(s, node, DType::U8, {batch * heads * splits * 8});
    Tensor partial =
        allocate(s, node, DType::F32, {batch * heads * splits * dv});
    if (largest.isNull() || sums.isNull() || partial.isNull())
      return {};
    if (heads > 65535 || batch > 65535 || splits > INT32_MAX) {
      s->fail(node, "too many heads or batches for one launch");
      return {};
    }
    size_t splitShared = (d + kSplitKeys * (1 + d + dv)) * sizeof(float);
    if (!allowSharedMemory(s, node,
                           reinterpret_cast<const void *>(splitKeysKernel),
                           splitShared, kMostShared))
      return {};
    splitKeysKernel<<<dim3(static_cast<unsigned>(splits),
                           static_cast<unsigned>(heads),
                           static_cast<unsigned>(batch)),
                      kSplitThreads, splitShared, stream>>>(
        p, largest.mutableData<float>(), sums.mutableData<double>(),
        partial.mutableData<float>());
    joinSplitsKernel<<<dim3(static_cast<unsigned>(heads),
                            static_cast<unsigned>(batch)),
                       kSplitThreads, 0, stream>>>(
        p, static_cast<int>(splits), largest.data<float>(), sums.data<double>(),
        partial.data<float>());
    return succeeded(s, node, cudaGetLastError()) ? result : Tensor();
  }
  if (d > kMaxWidth || dv > kMaxWidth) {
    s->fail(node, "attention heads wider than " + std::to_string(kMaxWidth) +
                      " are not supported on the GPU");
    return {};
  }
  // As many query rows per block as fit (a tile of keys serves them all).
  int64_t blockRows = kMaxRows;
  while (blockRows > 1 &&
         sharedFloats(blockRows, t, d, dv) * int64_t(sizeof(float)) >
             kMostShared)
    blockRows /= 2;
  blockRows = std::min(blockRows, rows);
  size_t sharedBytes = sharedFloats(blockRows, t, d, dv) * sizeof(float);
  if (int64_t(sharedBytes) > kMostShared) {
    s->fail(node, "attention over " + std::to_string(t) + " keys of width " +
                      std::to_string(d) +
                      " needs more shared memory than one block has");
    return {};
  }
  p.blockRows = static_cast<int>(blockRows);
  if (heads > 65535 || batch > 65535) {
    s->fail(node, "too many heads or batches for one launch");
    return {};
  }
  // The instance whose lanes hold just the value columns there are.
  void (*kernel)(Attention) = dv <= 32    ? attentionKernel<1>
                              : dv <= 64  ? attentionKernel<2>
                              : dv <= 128 ? attentionKernel<4>
                                          : attentionKernel<8>;
  if (!allowSharedMemory(s, node, reinterpret_cast<const void *>(kernel),
                         sharedBytes, kMostShared))
    return {};
  dim3 grid(static_cast<unsigned>((rows + blockRows - 1) / blockRows),
            static_cast<unsigned>(heads), static_cast<unsigned>(batch));
  kernel<<<grid, kThreads, sharedBytes, stream>>>(p);
  return succeeded(s, node, cudaGetLastError()) ? result : Tensor();
}
