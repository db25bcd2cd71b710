//===- NormKernels.cu - norms, softmax and rotary of sm90 models ----------===//
//
// As lib/Runtime/cpu/NNOps.cpp: norms and softmax reduce in double (one
// block per row, a tree instead of a loop), softmax takes exp as 0 below
// -104, rotary rotates the two halves of each row.
//
//===----------------------------------------------------------------------===//

#include "lib/Runtime/cuda/BlockReduce.cuh"
#include "lib/Runtime/cuda/GridStride.cuh"

using namespace qcc;
using namespace qcc::gpu;

namespace {

constexpr int kRowThreads = 256;

__global__ void normalizeKernel(const float *x, int64_t size, float epsilon,
                                bool center, const float *scale,
                                const float *bias, float *y) {
  const float *in = x + blockIdx.x * size;
  float *out = y + blockIdx.x * size;
  double mean = 0.0;
  if (center) {
    double sum = 0.0;
    for (int64_t i = threadIdx.x; i < size; i += kRowThreads)
      sum += in[i];
    mean = blockSum<kRowThreads>(sum) / size;
  }
  double squares = 0.0;
  for (int64_t i = threadIdx.x; i < size; i += kRowThreads)
    squares += (in[i] - mean) * (in[i] - mean);
  double inverse = 1.0 / sqrt(blockSum<kRowThreads>(squares) / size + epsilon);
  for (int64_t i = threadIdx.x; i < size; i += kRowThreads) {
    double value = (in[i] - mean) * inverse * scale[i];
    out[i] = static_cast<float>(bias ? value + bias[i] : value);
  }
}

/// Softmax of rows of `size` values `inner` apart: row r starts at
/// (r / inner) · size · inner + r % inner.
__global__ void softmaxKernel(const float *x, int64_t size, int64_t inner,
                              float *y) {
  int64_t row = blockIdx.x;
  int64_t start = row / inner * size * inner + row % inner;
  const float *in = x + start;
  float *out = y + start;
  float top = -INFINITY;
  for (int64_t i = threadIdx.x; i < size; i += kRowThreads)
    top = in[i * inner] > top ? in[i * inner] : top;
  top = blockMax<kRowThreads>(top);
  double sum = 0.0;
  for (int64_t i = threadIdx.x; i < size; i += kRowThreads) {
    float shifted = in[i * inner] - top;
    float e = shifted < -104.0f ? 0.0f : expf(shifted);
    out[i * inner] = e;
    sum += e;
  }
  sum = blockSum<kRowThreads>(sum);
  for (int64_t i = threadIdx.x; i < size; i += kRowThreads)
    out[i * inner] = static_cast<float>(out[i * inner] / sum);
}

__global__ void rotaryKernel(IndexMap map, int64_t count, int64_t width,
                             const float *x, const float *cos, const float *sin,
                             float *y) {
  int64_t half = width / 2;
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < count;
       i += int64_t(gridDim.x) * blockDim.x) {
    int64_t d = i % width;
    float rotated = d < half ? -x[i + half] : x[i - half];
    int64_t c = 0, s = 0, index = i;
    for (int k = map.rank - 1; k >= 0; --k) {
      int64_t at = index % map.shape[k];
      c += at * map.strides[0][k];
      s += at * map.strides[1][k];
      index /= map.shape[k];
    }
    y[i] = x[i] * cos[c] + rotated * sin[s];
  }
}

int64_t product(const Shape &shape, size_t begin, size_t end) {
  int64_t count = 1;
  for (size_t i = begin; i < end; ++i)
    count *= shape[i];
  return count;
}

/// A block per row: at most 2^31 - 1 of them.
bool fitsOneGrid(Session *s, Node node, int64_t rows) {
  if (rows <= INT32_MAX)
    return true;
  s->fail(node, std::to_string(rows) + " rows are too many for one launch");
  return false;
}

Tensor normalize(Session *s, Node node, const Tensor &x, int64_t size,
                 float epsilon, bool center, const Tensor &scale,
                 const Tensor &bias) {
  Tensor result = allocate(s, node, DType::F32, x.shape());
  if (result.isNull())
    return {};
  int64_t rows = size ? x.numElements() / size : 0;
  if (!fitsOneGrid(s, node, rows))
    return {};
  if (rows)
    normalizeKernel<<<rows, kRowThreads, 0, streamOf(s)>>>(
        x.data<float>(), size, epsilon, center, scale.data<float>(),
        bias.isNull() ? nullptr : bias.data<float>(),
        result.mutableData<float>());
  return succeeded(s, node, cudaGetLastError()) ? result : Tensor();
}

} // namespace

Tensor qcc::gpu::layerNorm(Session *s, Node node, const Tensor &x,
                           const Tensor &scale, const Tensor &bias,
                           int64_t axis, float epsilon) {
  if (s->failed())
    return {};
  int64_t size =
      product(x.shape(), rt::normalizeAxis(axis, x.rank()), x.rank());
  return normalize(s, node, x, size, epsilon, /*center=*/true, scale, bias);
}

Tensor qcc::gpu::rmsNorm(Session *s, Node node, const Tensor &x,
                         const Tensor &scale, float epsilon) {
  if (s->failed())
    return {};
  return normalize(s, node, x, x.shape().back(), epsilon, /*center=*/false,
                   scale, Tensor());
}

Tensor qcc::gpu::softmax(Session *s, Node node, const Tensor &x, int64_t axis) {
  if (s->failed())
    return {};
  axis = rt::normalizeAxis(axis, x.rank());
  int64_t size = x.dim(axis), inner = product(x.shape(), axis + 1, x.rank());
  int64_t rows = size ? x.numElements() / size : 0;
  Tensor result = allocate(s, node, DType::F32, x.shape());
  if (result.isNull())
    return {};
  if (!fitsOneGrid(s, node, rows))
    return {};
  if (rows)
    softmaxKernel<<<rows, kRowThreads, 0, streamOf(s)>>>(
        x.data<float>(), size, inner, result.mutableData<float>());
  return succeeded(s, node, cudaGetLastError()) ? result : Tensor();
}

Tensor qcc::gpu::rotary(Session *s, Node node, const Tensor &x,
                        const Tensor &cos, const Tensor &sin) {
  if (s->failed() || !rt::checkRotaryOperands(s, node, x, cos, sin))
    return {};
  const Shape &shape = x.shape();
  Shape strides[2] = {rt::broadcastStrides(cos.shape(), shape),
                      rt::broadcastStrides(sin.shape(), shape)};
  IndexMap map;
  if (!makeIndexMap(s, node, shape, {&strides[0], &strides[1]}, map))
    return {};
  Tensor result = allocate(s, node, DType::F32, shape);
  if (result.isNull())
    return {};
  int64_t count = x.numElements();
  rotaryKernel<<<gridBlocks(count, 256), 256, 0, streamOf(s)>>>(
      map, count, shape.back(), x.data<float>(), cos.data<float>(),
      sin.data<float>(), result.mutableData<float>());
  return succeeded(s, node, cudaGetLastError()) ? result : Tensor();
}
