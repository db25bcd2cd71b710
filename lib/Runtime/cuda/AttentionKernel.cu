//===- AttentionKernel.cu - scaled dot-product attention on sm90 ----------===//
//
// One block per query row and head: the row's scores in shared memory,
// scaled and masked as lib/Runtime/cpu/NNOps.cpp does (a bool mask puts
// maskedValue, a float mask is added), softmax with exp as 0 below -104
// and a double sum, then the probabilities times V. Grouped-query heads
// share their key/value head. Correct for every shape the CPU takes; a
// tiled flash-style prefill kernel is future work (docs/cuda-backend.md).
//
//===----------------------------------------------------------------------===//

#include "lib/Runtime/cuda/BlockReduce.cuh"
#include "lib/Runtime/cuda/DeviceRuntime.h"

using namespace qcc;
using namespace qcc::gpu;

namespace {

constexpr int kThreads = 128;

struct Attention {
  const float *q, *k, *v;
  /// Either mask, or neither; broadcast to [batch, heads, rows, t].
  const uint8_t *boolMask;
  const float *floatMask;
  int64_t maskStrides[4];
  float *out;
  int64_t heads, kvHeads, rows, t, d, dv;
  float scale, maskedValue;
};

__global__ void __launch_bounds__(kThreads) attentionKernel(Attention p) {
  extern __shared__ float shared[];
  float *query = shared, *scores = shared + p.d;
  int64_t i = blockIdx.x, h = blockIdx.y, b = blockIdx.z;
  int64_t kvh = h / (p.heads / p.kvHeads);
  const float *q = p.q + ((b * p.heads + h) * p.rows + i) * p.d;
  const float *k = p.k + (b * p.kvHeads + kvh) * p.t * p.d;
  const float *v = p.v + (b * p.kvHeads + kvh) * p.t * p.dv;
  for (int64_t c = threadIdx.x; c < p.d; c += kThreads)
    query[c] = q[c];
  __syncthreads();
  int64_t maskRow =
      b * p.maskStrides[0] + h * p.maskStrides[1] + i * p.maskStrides[2];
  float top = -INFINITY;
  for (int64_t j = threadIdx.x; j < p.t; j += kThreads) {
    float score = 0.0f;
    for (int64_t c = 0; c < p.d; ++c)
      score += query[c] * k[j * p.d + c];
    score *= p.scale;
    int64_t at = maskRow + j * p.maskStrides[3];
    if (p.boolMask && !p.boolMask[at])
      score = p.maskedValue;
    else if (p.floatMask)
      score += p.floatMask[at];
    scores[j] = score;
    top = score > top ? score : top;
  }
  top = blockMax<kThreads>(top);
  double sum = 0.0;
  for (int64_t j = threadIdx.x; j < p.t; j += kThreads) {
    float shifted = scores[j] - top;
    float e = shifted < -104.0f ? 0.0f : expf(shifted);
    scores[j] = e;
    sum += e;
  }
  sum = blockSum<kThreads>(sum);
  for (int64_t j = threadIdx.x; j < p.t; j += kThreads)
    scores[j] = static_cast<float>(scores[j] / sum);
  __syncthreads();
  float *out = p.out + ((b * p.heads + h) * p.rows + i) * p.dv;
  for (int64_t c = threadIdx.x; c < p.dv; c += kThreads) {
    float value = 0.0f;
    for (int64_t j = 0; j < p.t; ++j)
      value += scores[j] * v[j * p.dv + c];
    out[c] = value;
  }
}

} // namespace

Tensor qcc::gpu::attention(Session *s, Node node, const Tensor &q,
                           const Tensor &k, const Tensor &v, const Tensor &mask,
                           float scale, float maskedValue) {
  if (s->failed())
    return {};
  if (q.rank() != 4 || k.rank() != 4 || v.rank() != 4) {
    s->fail(node, "query, key and value must have rank 4");
    return {};
  }
  int64_t batch = q.dim(0), heads = q.dim(1), rows = q.dim(2), d = q.dim(3);
  int64_t kvHeads = k.dim(1), t = k.dim(2), dv = v.dim(3);
  if (k.dim(0) != batch || v.dim(0) != batch || kvHeads == 0 ||
      heads % kvHeads || v.dim(2) != t || k.dim(3) != d ||
      v.dim(1) != kvHeads) {
    s->fail(node, "query " + rt::formatShape(q.shape()) + ", key " +
                      rt::formatShape(k.shape()) + " and value " +
                      rt::formatShape(v.shape()) + " do not fit together");
    return {};
  }
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
              maskedValue};
  Tensor deviceMask;
  if (!mask.isNull()) {
    Shape scoreShape = {batch, heads, rows, t}, check;
    if (!rt::broadcastShapes(scoreShape, mask.shape(), check) ||
        check != scoreShape) {
      s->fail(node, "mask " + rt::formatShape(mask.shape()) +
                        " does not broadcast to the scores " +
                        rt::formatShape(scoreShape));
      return {};
    }
    Shape strides = rt::broadcastStrides(mask.shape(), scoreShape);
    std::copy(strides.begin(), strides.end(), p.maskStrides);
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
  size_t sharedBytes = (d + t) * sizeof(float);
  constexpr size_t kDefaultShared = 48 << 10, kMostShared = 227 << 10;
  if (sharedBytes > kMostShared) {
    s->fail(node, "attention over " + std::to_string(t) + " keys of width " +
                      std::to_string(d) +
                      " needs more shared memory than one block has");
    return {};
  }
  if (sharedBytes > kDefaultShared &&
      !succeeded(
          s, node,
          cudaFuncSetAttribute(attentionKernel,
                               cudaFuncAttributeMaxDynamicSharedMemorySize,
                               static_cast<int>(sharedBytes))))
    return {};
  if (heads > 65535 || batch > 65535 || rows > INT32_MAX) {
    s->fail(node, "too many heads or batches for one launch");
    return {};
  }
  dim3 grid(static_cast<unsigned>(rows), static_cast<unsigned>(heads),
            static_cast<unsigned>(batch));
  attentionKernel<<<grid, kThreads, sharedBytes, streamOf(s)>>>(p);
  return succeeded(s, node, cudaGetLastError()) ? result : Tensor();
}
