//===- FloatProducts.cu - f32 linear and matmul of sm90 models ------------===//
//
// The float products (kept-float linears, LoRC's factors, matmul) in f32
// on the CUDA cores, as the CPU runtime computes them in f32: 64 × 64
// output tiles of 256 threads, 4 × 4 outputs each, operands staged in
// shared memory 16 deep, any strides (so one kernel serves x · Wᵀ and
// A · B), batches broadcast through an IndexMap.
//
//===----------------------------------------------------------------------===//

#include "lib/Runtime/cuda/DeviceRuntime.h"

using namespace qcc;
using namespace qcc::gpu;

namespace {

constexpr int kTile = 64, kDepth = 16, kThreads = 256;

/// C [m, n] (row-major, batch after batch) = A · B with A(i, l) at
/// a[i · aRow + l · aDepth] and B(l, j) at b[l · bDepth + j · bColumn].
struct Product {
  const float *a, *b, *bias;
  float *c;
  int64_t m, n, k;
  int64_t aRow, aDepth, bDepth, bColumn;
  /// Batch offsets of A and B (operands 0 and 1).
  IndexMap batch;
};

__global__ void __launch_bounds__(kThreads) productKernel(Product p) {
  __shared__ float as[kDepth][kTile + 4], bs[kDepth][kTile + 4];
  int64_t batchIndex = blockIdx.z, aOffset = 0, bOffset = 0;
  for (int d = p.batch.rank - 1; d >= 0; --d) {
    int64_t at = batchIndex % p.batch.shape[d];
    aOffset += at * p.batch.strides[0][d];
    bOffset += at * p.batch.strides[1][d];
    batchIndex /= p.batch.shape[d];
  }
  const float *a = p.a + aOffset, *b = p.b + bOffset;
  float *c = p.c + int64_t(blockIdx.z) * p.m * p.n;
  int64_t row0 = int64_t(blockIdx.y) * kTile,
          col0 = int64_t(blockIdx.x) * kTile;
  int tx = threadIdx.x % 16, ty = threadIdx.x / 16;
  float acc[4][4] = {};
  for (int64_t l0 = 0; l0 < p.k; l0 += kDepth) {
    for (int e = threadIdx.x; e < kTile * kDepth; e += kThreads) {
      int i = e / kDepth, l = e % kDepth;
      int64_t row = row0 + i, depth = l0 + l;
      as[l][i] =
          row < p.m && depth < p.k ? a[row * p.aRow + depth * p.aDepth] : 0.0f;
      int j = e % kTile, lb = e / kTile;
      int64_t col = col0 + j, depthB = l0 + lb;
      bs[lb][j] = col < p.n && depthB < p.k
                      ? b[depthB * p.bDepth + col * p.bColumn]
                      : 0.0f;
    }
    __syncthreads();
#pragma unroll
    for (int l = 0; l < kDepth; ++l) {
      float av[4], bv[4];
#pragma unroll
      for (int r = 0; r < 4; ++r) {
        av[r] = as[l][ty + 16 * r];
        bv[r] = bs[l][tx + 16 * r];
      }
#pragma unroll
      for (int r = 0; r < 4; ++r)
#pragma unroll
        for (int q = 0; q < 4; ++q)
          acc[r][q] += av[r] * bv[q];
    }
    __syncthreads();
  }
#pragma unroll
  for (int r = 0; r < 4; ++r)
#pragma unroll
    for (int q = 0; q < 4; ++q) {
      int64_t row = row0 + ty + 16 * r, col = col0 + tx + 16 * q;
      if (row < p.m && col < p.n)
        c[row * p.n + col] = p.bias ? acc[r][q] + p.bias[col] : acc[r][q];
    }
}

bool launch(Session *s, Node node, const Product &p, int64_t batches) {
  if (p.m == 0 || p.n == 0 || batches == 0)
    return true;
  dim3 grid(static_cast<unsigned>((p.n + kTile - 1) / kTile),
            static_cast<unsigned>((p.m + kTile - 1) / kTile),
            static_cast<unsigned>(batches));
  if (grid.y > 65535 || grid.z > 65535) {
    s->fail(node, "the float product is too large for one launch");
    return false;
  }
  productKernel<<<grid, kThreads, 0, streamOf(s)>>>(p);
  return succeeded(s, node, cudaGetLastError());
}

} // namespace

bool qcc::gpu::linearOnDevice(Session *s, Node node, const float *x, int64_t m,
                              int64_t k, const float *w, int64_t n,
                              const float *bias, float *y) {
  Product p{x, w, bias, y, m, n, k, k, 1, 1, k, {}};
  return launch(s, node, p, 1);
}

Tensor qcc::gpu::linear(Session *s, Node node, const Tensor &x,
                        const Tensor &weight, const Tensor &bias) {
  if (s->failed())
    return {};
  std::optional<Shape> checked = rt::linearShape(s, node, x, weight);
  if (!checked)
    return {};
  const Shape &shape = *checked;
  int64_t n = weight.dim(0), k = weight.dim(1);
  Tensor result = allocate(s, node, DType::F32, shape);
  // Rows from the leading dimensions: with k = 0 the kernel writes the bias
  // (or zeros).
  int64_t m = rt::numElementsOf(Shape(shape.begin(), shape.end() - 1));
  if (result.isNull() ||
      !linearOnDevice(s, node, x.data<float>(), m, k, weight.data<float>(), n,
                      bias.isNull() ? nullptr : bias.data<float>(),
                      result.mutableData<float>()))
    return {};
  return result;
}

Tensor qcc::gpu::matmul(Session *s, Node node, const Tensor &a,
                        const Tensor &b) {
  if (s->failed())
    return {};
  std::optional<rt::MatmulLayout> layout = rt::matmulLayout(s, node, a, b);
  if (!layout)
    return {};
  int64_t m = layout->m, k = layout->k, n = layout->n;
  const Shape &batch = layout->batch;
  Shape aStrides = layout->aStrides, bStrides = layout->bStrides;
  for (int64_t &stride : aStrides)
    stride *= m * k;
  for (int64_t &stride : bStrides)
    stride *= k * n;
  Product p{a.data<float>(),
            b.data<float>(),
            nullptr,
            nullptr,
            m,
            n,
            k,
            k,
            1,
            n,
            1,
            {}};
  if (!makeIndexMap(s, node, batch, {&aStrides, &bStrides}, p.batch))
    return {};
  Shape shape = batch;
  shape.push_back(m);
  shape.push_back(n);
  Tensor result = allocate(s, node, DType::F32, shape);
  if (result.isNull())
    return {};
  p.c = result.mutableData<float>();
  return launch(s, node, p, rt::numElementsOf(batch)) ? result : Tensor();
}
