//===- ReduceKernel.cu - ReduceMean, ReduceSum and ReduceMax on sm90 ------===//
//
// As lib/Runtime/cpu/NNOps.cpp's reduce, bit for bit: each output element
// accumulates its inputs in double in row-major order (one thread per
// output), then Mean divides by the count. Integer reductions run on the
// host with the other i64 ops.
//
//===----------------------------------------------------------------------===//

#include "lib/Runtime/cuda/GridStride.cuh"

using namespace qcc;
using namespace qcc::gpu;

namespace {

constexpr int kThreads = 256;

__global__ void reduceKernel(IndexMap kept, IndexMap reduced, int64_t outputs,
                             int64_t count, rt::Reduction kind, const float *x,
                             float *y) {
  for (int64_t o = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; o < outputs;
       o += int64_t(gridDim.x) * blockDim.x) {
    int64_t base = offsetOf(kept, 0, o);
    double acc = kind == rt::Reduction::Max ? -INFINITY : 0.0;
    for (int64_t r = 0; r < count; ++r) {
      double value = x[base + offsetOf(reduced, 0, r)];
      acc = kind == rt::Reduction::Max ? fmax(acc, value) : acc + value;
    }
    double result =
        kind == rt::Reduction::Mean ? (count ? acc / count : NAN) : acc;
    y[o] = static_cast<float>(result);
  }
}

} // namespace

Tensor qcc::gpu::reduce(Session *s, Node node, Reduction kind, const Tensor &x,
                        Shape axes, bool keepdims) {
  if (s->failed())
    return {};
  if (x.dtype() != DType::F32)
    return onHost(s, node, rt::reduce, kind, x, axes, keepdims);
  int64_t rank = x.rank();
  std::vector<bool> isReduced(rank, axes.empty());
  for (int64_t axis : axes)
    isReduced[rt::normalizeAxis(axis, rank)] = true;
  Shape strides = rt::stridesOf(x.shape()), shape;
  Shape keptShape, keptStrides, reducedShape, reducedStrides;
  for (int64_t d = 0; d < rank; ++d) {
    (isReduced[d] ? reducedShape : keptShape).push_back(x.dim(d));
    (isReduced[d] ? reducedStrides : keptStrides).push_back(strides[d]);
    if (!isReduced[d] || keepdims)
      shape.push_back(isReduced[d] ? 1 : x.dim(d));
  }
  IndexMap kept, reduced;
  if (!makeIndexMap(s, node, keptShape, {&keptStrides}, kept) ||
      !makeIndexMap(s, node, reducedShape, {&reducedStrides}, reduced))
    return {};
  Tensor result = allocate(s, node, DType::F32, shape);
  if (result.isNull())
    return {};
  int64_t outputs = result.numElements();
  if (outputs == 0)
    return result;
  reduceKernel<<<gridBlocks(outputs, kThreads), kThreads, 0, streamOf(s)>>>(
      kept, reduced, outputs, rt::numElementsOf(reducedShape), kind,
      x.data<float>(), result.mutableData<float>());
  return succeeded(s, node, cudaGetLastError()) ? result : Tensor();
}
