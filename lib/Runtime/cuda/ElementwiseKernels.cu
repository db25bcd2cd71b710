//===- ElementwiseKernels.cu - f32 elementwise ops of sm90 models ---------===//
//
// Every element computed as lib/Runtime/cpu/ElementwiseOps.cpp and
// NNOps.cpp compute it (the same f32 or f64 expressions; CUDA's expf,
// erff, tanhf and friends are within 2 ulp of glibc's), with numpy
// broadcasting through an IndexMap. Ops on i64 and bool tensors run the CPU
// kernels on the host.
//
//===----------------------------------------------------------------------===//

#include "lib/Runtime/cuda/GridStride.cuh"
#include <cuda_fp16.h>

using namespace qcc;
using namespace qcc::gpu;

namespace {

constexpr int kThreads = 256;

__device__ float applyBinary(Binary kind, float a, float b) {
  switch (kind) {
  case Binary::Add:
    return a + b;
  case Binary::Sub:
    return a - b;
  case Binary::Mul:
    return a * b;
  case Binary::Div:
    return a / b;
  case Binary::Pow:
    return static_cast<float>(pow(static_cast<double>(a), double(b)));
  case Binary::Max:
    return fmaxf(a, b);
  case Binary::Min:
    return fminf(a, b);
  }
  return a;
}

__global__ void binaryKernel(IndexMap map, int64_t count, Binary kind,
                             const float *a, const float *b, float *out) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < count;
       i += int64_t(gridDim.x) * blockDim.x)
    out[i] = applyBinary(kind, a[offsetOf(map, 0, i)], b[offsetOf(map, 1, i)]);
}

__global__ void whereKernel(IndexMap map, int64_t count,
                            const uint8_t *condition, const float *a,
                            const float *b, float *out) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < count;
       i += int64_t(gridDim.x) * blockDim.x)
    out[i] = condition[offsetOf(map, 0, i)] ? a[offsetOf(map, 1, i)]
                                            : b[offsetOf(map, 2, i)];
}

/// The pointwise f32 functions.
enum class Pointwise { Unary, Clip, Silu, Gelu, GeluTanh, F16, BF16 };

struct PointwiseOp {
  Pointwise what;
  Unary kind;
  float low, high;

  __device__ float operator()(float x) const {
    switch (what) {
    case Pointwise::Unary:
      return unary(x);
    case Pointwise::Clip:
      return fminf(fmaxf(x, low), high);
    case Pointwise::Silu:
      return x / (1.0f + expf(-x));
    case Pointwise::Gelu:
    case Pointwise::GeluTanh: {
      double v = x, root = 0.79788456080286535588; // sqrt(2 / pi)
      double gate = what == Pointwise::GeluTanh
                        ? 1.0 + tanh(root * (v + 0.044715 * v * v * v))
                        : 1.0 + erf(v * 0.70710678118654752440);
      return static_cast<float>(0.5 * v * gate);
    }
    case Pointwise::F16:
      return __half2float(__float2half_rn(x));
    case Pointwise::BF16: {
      if (isnan(x))
        return x;
      unsigned bits = __float_as_uint(x);
      bits += 0x7FFF + ((bits >> 16) & 1);
      return __uint_as_float(bits & 0xFFFF0000u);
    }
    }
    return x;
  }

  __device__ float unary(float x) const {
    switch (kind) {
    case Unary::Neg:
      return -x;
    case Unary::Abs:
      return fabsf(x);
    case Unary::Sqrt:
      return sqrtf(x);
    case Unary::Reciprocal:
      return 1.0f / x;
    case Unary::Exp:
      return expf(x);
    case Unary::Log:
      return logf(x);
    case Unary::Erf:
      return erff(x);
    case Unary::Tanh:
      return tanhf(x);
    case Unary::Sigmoid:
      return 1.0f / (1.0f + expf(-x));
    case Unary::Cos:
      return cosf(x);
    case Unary::Sin:
      return sinf(x);
    case Unary::Relu:
      return x > 0.0f ? x : 0.0f;
    case Unary::Not:
      return x == 0.0f;
    }
    return x;
  }
};

__global__ void pointwiseKernel(int64_t count, PointwiseOp op, const float *in,
                                float *out) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < count;
       i += int64_t(gridDim.x) * blockDim.x)
    out[i] = op(in[i]);
}

__global__ void accumulateKernel(int64_t count, const float *in, float *out) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < count;
       i += int64_t(gridDim.x) * blockDim.x)
    out[i] += in[i];
}

__global__ void toHalfKernel(int64_t count, const float *in, uint16_t *out) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < count;
       i += int64_t(gridDim.x) * blockDim.x)
    out[i] = __half_as_ushort(__float2half_rn(in[i]));
}

Tensor pointwise(Session *s, Node node, const Tensor &x, PointwiseOp op) {
  Tensor result = allocate(s, node, DType::F32, x.shape());
  if (result.isNull())
    return {};
  int64_t count = x.numElements();
  pointwiseKernel<<<gridBlocks(count, kThreads), kThreads, 0, streamOf(s)>>>(
      count, op, x.data<float>(), result.mutableData<float>());
  return succeeded(s, node, cudaGetLastError()) ? result : Tensor();
}

} // namespace

Tensor qcc::gpu::binary(Session *s, Node node, Binary kind, const Tensor &a,
                        const Tensor &b) {
  if (s->failed())
    return {};
  if (a.dtype() != DType::F32 || b.dtype() != DType::F32)
    return onHost(s, node, rt::binary, kind, a, b);
  Shape shape;
  if (!rt::broadcastShapes(a.shape(), b.shape(), shape)) {
    s->fail(node, "shapes " + rt::formatShape(a.shape()) + " and " +
                      rt::formatShape(b.shape()) + " do not broadcast");
    return {};
  }
  Shape aStrides = rt::broadcastStrides(a.shape(), shape),
        bStrides = rt::broadcastStrides(b.shape(), shape);
  IndexMap map;
  if (!makeIndexMap(s, node, shape, {&aStrides, &bStrides}, map))
    return {};
  Tensor result = allocate(s, node, DType::F32, shape);
  if (result.isNull())
    return {};
  int64_t count = result.numElements();
  binaryKernel<<<gridBlocks(count, kThreads), kThreads, 0, streamOf(s)>>>(
      map, count, kind, a.data<float>(), b.data<float>(),
      result.mutableData<float>());
  return succeeded(s, node, cudaGetLastError()) ? result : Tensor();
}

Tensor qcc::gpu::compare(Session *s, Node node, Comparison kind,
                         const Tensor &a, const Tensor &b) {
  // Booleans live on the host: masks, compared once per run.
  return onHost(s, node, rt::compare, kind, a, b);
}

Tensor qcc::gpu::unary(Session *s, Node node, Unary kind, const Tensor &x) {
  if (s->failed())
    return {};
  if (x.dtype() != DType::F32)
    return onHost(s, node, rt::unary, kind, x);
  return pointwise(s, node, x, {Pointwise::Unary, kind, 0.0f, 0.0f});
}

Tensor qcc::gpu::clip(Session *s, Node node, const Tensor &x, float low,
                      float high) {
  if (s->failed())
    return {};
  if (x.dtype() != DType::F32)
    return onHost(s, node, rt::clip, x, low, high);
  return pointwise(s, node, x, {Pointwise::Clip, Unary::Neg, low, high});
}

Tensor qcc::gpu::silu(Session *s, Node node, const Tensor &x) {
  if (s->failed())
    return {};
  return pointwise(s, node, x, {Pointwise::Silu, Unary::Neg, 0.0f, 0.0f});
}

Tensor qcc::gpu::gelu(Session *s, Node node, const Tensor &x, bool tanhForm) {
  if (s->failed())
    return {};
  return pointwise(s, node, x,
                   {tanhForm ? Pointwise::GeluTanh : Pointwise::Gelu,
                    Unary::Neg, 0.0f, 0.0f});
}

Tensor qcc::gpu::cast(Session *s, Node node, const Tensor &x, CastTarget target,
                      int64_t bits) {
  if (s->failed())
    return {};
  bool toFloat = target == CastTarget::F32 || target == CastTarget::F16 ||
                 target == CastTarget::BF16;
  if (x.dtype() != DType::F32 || !toFloat)
    return onHost(s, node, rt::cast, x, target, bits);
  if (target == CastTarget::F32)
    return x;
  return pointwise(
      s, node, x,
      {target == CastTarget::F16 ? Pointwise::F16 : Pointwise::BF16, Unary::Neg,
       0.0f, 0.0f});
}

Tensor qcc::gpu::where(Session *s, Node node, const Tensor &condition,
                       const Tensor &a, const Tensor &b) {
  if (s->failed())
    return {};
  if (a.dtype() != DType::F32 || b.dtype() != DType::F32)
    return onHost(s, node, rt::where, condition, a, b);
  Shape partial, shape;
  if (!rt::broadcastShapes(condition.shape(), a.shape(), partial) ||
      !rt::broadcastShapes(partial, b.shape(), shape)) {
    s->fail(node, "condition and values do not broadcast");
    return {};
  }
  Shape strides[3] = {rt::broadcastStrides(condition.shape(), shape),
                      rt::broadcastStrides(a.shape(), shape),
                      rt::broadcastStrides(b.shape(), shape)};
  IndexMap map;
  if (!makeIndexMap(s, node, shape, {&strides[0], &strides[1], &strides[2]},
                    map))
    return {};
  // The condition is a host bool tensor: its bytes go up as they are.
  Tensor picks = toDevice(s, node, condition);
  Tensor result = allocate(s, node, DType::F32, shape);
  if (picks.isNull() || result.isNull())
    return {};
  int64_t count = result.numElements();
  whereKernel<<<gridBlocks(count, kThreads), kThreads, 0, streamOf(s)>>>(
      map, count, picks.data<uint8_t>(), a.data<float>(), b.data<float>(),
      result.mutableData<float>());
  return succeeded(s, node, cudaGetLastError()) ? result : Tensor();
}

bool qcc::gpu::accumulateOnDevice(Session *s, Node node, const float *x,
                                  float *y, int64_t count) {
  accumulateKernel<<<gridBlocks(count, kThreads), kThreads, 0, streamOf(s)>>>(
      count, x, y);
  return succeeded(s, node, cudaGetLastError());
}

bool qcc::gpu::toHalfOnDevice(Session *s, Node node, const float *x,
                              uint16_t *y, int64_t count) {
  toHalfKernel<<<gridBlocks(count, kThreads), kThreads, 0, streamOf(s)>>>(count,
                                                                          x, y);
  return succeeded(s, node, cudaGetLastError());
}
