//===- DataMovement.cu - transpose, expand, slice, concat, gather ---------===//
//
// Device tensors move on the device, with the element layouts the CPU
// runtime computes (rt::transposeCopy and friends, so both move the same
// elements); i64 and bool tensors move on the host.
//
//===----------------------------------------------------------------------===//

#include "lib/Runtime/cuda/GridStride.cuh"
#include <algorithm>

using namespace qcc;
using namespace qcc::gpu;

namespace {

constexpr int kThreads = 256;

template <typename T>
__global__ void stridedCopyKernel(IndexMap map, int64_t count, int64_t base,
                                  const T *in, T *out) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < count;
       i += int64_t(gridDim.x) * blockDim.x) {
    out[i] = in[base + offsetOf(map, 0, i)];
  }
}

/// Rows of `inner` elements: out row (o, n) = data row (o, indices[n]).
template <typename T>
__global__ void gatherKernel(int64_t outer, int64_t count, int64_t size,
                             int64_t inner, const int64_t *indices,
                             const T *data, T *out) {
  int64_t total = outer * count * inner;
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < total;
       i += int64_t(gridDim.x) * blockDim.x) {
    int64_t column = i % inner, row = i / inner;
    int64_t n = row % count, o = row / count;
    out[i] = data[(o * size + indices[n]) * inner + column];
  }
}

/// Up to kMaxPieces inputs of a concatenation in one launch: each is a
/// block of `outer` rows of `width[n]` units at column `offset[n]` of the
/// result's rows of `pitch` units.
constexpr int kMaxPieces = 8;
template <typename T> struct Pieces {
  const T *input[kMaxPieces];
  int64_t width[kMaxPieces], offset[kMaxPieces];
  int count;
  int64_t pitch, outer;
};

template <typename T> __global__ void concatKernel(Pieces<T> p, T *out) {
  int64_t total = p.outer * p.pitch;
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < total;
       i += int64_t(gridDim.x) * blockDim.x) {
    int64_t row = i / p.pitch, column = i % p.pitch;
    int n = 0;
    while (n + 1 < p.count && column >= p.offset[n + 1])
      ++n;
    out[i] = p.input[n][row * p.width[n] + column - p.offset[n]];
  }
}

} // namespace

bool qcc::gpu::copyStridedOnDevice(Session *s, Node node, const Tensor &x,
                                   const rt::StridedCopy &layout, Tensor &y) {
  IndexMap map;
  if (!makeIndexMap(s, node, layout.shape, {&layout.strides}, map))
    return false;
  y = allocate(s, node, x.dtype(), layout.shape);
  if (y.isNull())
    return false;
  int64_t count = y.numElements();
  if (count == 0)
    return true;
  cudaStream_t stream = streamOf(s);
  if (rt::dtypeSize(x.dtype()) == 4)
    stridedCopyKernel<<<gridBlocks(count, kThreads), kThreads, 0, stream>>>(
        map, count, layout.base, x.data<uint32_t>(), y.mutableData<uint32_t>());
  else
    stridedCopyKernel<<<gridBlocks(count, kThreads), kThreads, 0, stream>>>(
        map, count, layout.base, x.data<uint8_t>(), y.mutableData<uint8_t>());
  return succeeded(s, node, cudaGetLastError());
}

Tensor qcc::gpu::transpose(Session *s, Node node, const Tensor &x,
                           Shape permutation) {
  if (s->failed())
    return {};
  if (!x.isOnDevice())
    return onHost(s, node, rt::transpose, x, permutation);
  Tensor y;
  copyStridedOnDevice(s, node, x, rt::transposeCopy(x, permutation), y);
  return y;
}

Tensor qcc::gpu::expand(Session *s, Node node, const Tensor &x,
                        const Tensor &shape) {
  if (s->failed())
    return {};
  if (!x.isOnDevice())
    return onHost(s, node, rt::expand, x, shape);
  std::optional<rt::StridedCopy> layout = rt::expandCopy(s, node, x, shape);
  Tensor y;
  if (layout)
    copyStridedOnDevice(s, node, x, *layout, y);
  return y;
}

Tensor qcc::gpu::slice(Session *s, Node node, const Tensor &x,
                       const Tensor &starts, const Tensor &ends,
                       const Tensor &steps, Shape axes) {
  if (s->failed())
    return {};
  if (!x.isOnDevice())
    return onHost(s, node, rt::slice, x, starts, ends, steps, axes);
  std::optional<rt::StridedCopy> layout =
      rt::sliceCopy(s, node, x, starts, ends, steps, axes);
  Tensor y;
  if (layout)
    copyStridedOnDevice(s, node, x, *layout, y);
  return y;
}

Tensor qcc::gpu::concat(Session *s, Node node, std::vector<Tensor> inputs,
                        int64_t axis) {
  if (s->failed())
    return {};
  bool onDevice = std::any_of(inputs.begin(), inputs.end(),
                              [](const Tensor &t) { return t.isOnDevice(); });
  if (!onDevice)
    return onHost(s, node, rt::concat, inputs, axis);
  std::optional<Shape> shape = rt::concatShape(s, node, inputs, axis);
  if (!shape)
    return {};
  axis = rt::normalizeAxis(axis, inputs.front().rank());
  int64_t outer = 1;
  for (int64_t d = 0; d < axis; ++d)
    outer *= (*shape)[d];
  Tensor result = allocate(s, node, inputs.front().dtype(), *shape);
  if (result.isNull())
    return {};
  // Each input is a block of `outer` rows in the result.
  size_t size = rt::dtypeSize(result.dtype());
  size_t pitch = outer ? result.sizeInBytes() / outer : 0, offset = 0;
  std::vector<Tensor> placedInputs;
  for (const Tensor &input : inputs) {
    placedInputs.push_back(toDevice(s, node, input));
    if (placedInputs.back().isNull())
      return {};
  }
  if (outer == 0 || pitch == 0)
    return result;
  if (inputs.size() <= size_t(kMaxPieces) && size == 4) {
    // One launch (a KV-cache append is one per layer and step).
    Pieces<uint32_t> pieces{};
    pieces.count = static_cast<int>(inputs.size());
    pieces.pitch = static_cast<int64_t>(pitch / 4);
    pieces.outer = outer;
    for (int n = 0; n < pieces.count; ++n) {
      pieces.input[n] = placedInputs[n].data<uint32_t>();
      pieces.width[n] = placedInputs[n].numElements() / outer;
      pieces.offset[n] = static_cast<int64_t>(offset / 4);
      offset += pieces.width[n] * 4;
    }
    concatKernel<<<gridBlocks(outer * pieces.pitch, kThreads), kThreads, 0,
                   streamOf(s)>>>(pieces, result.mutableData<uint32_t>());
    return succeeded(s, node, cudaGetLastError()) ? result : Tensor();
  }
  // Otherwise one 2-D copy per input.
  for (const Tensor &input : placedInputs) {
    size_t chunk = input.numElements() / outer * size;
    if (chunk && !succeeded(s, node,
                            cudaMemcpy2DAsync(
                                result.mutableData<uint8_t>() + offset, pitch,
                                input.data<uint8_t>(), chunk, chunk, outer,
                                cudaMemcpyDeviceToDevice, streamOf(s))))
      return {};
    offset += chunk;
  }
  return result;
}

Tensor qcc::gpu::gather(Session *s, Node node, const Tensor &data,
                        const Tensor &indices, int64_t axis) {
  if (s->failed())
    return {};
  if (!data.isOnDevice())
    return onHost(s, node, rt::gather, data, indices, axis);
  axis = rt::normalizeAxis(axis, data.rank());
  int64_t size = data.dim(axis), outer = 1, inner = 1;
  for (int64_t d = 0; d < axis; ++d)
    outer *= data.dim(d);
  for (int64_t d = axis + 1; d < data.rank(); ++d)
    inner *= data.dim(d);
  // Indices are checked on the host, then go up normalized.
  Tensor hostIndices = toHost(s, node, indices);
  if (hostIndices.isNull())
    return {};
  int64_t count = hostIndices.numElements();
  Tensor normalized = Tensor::allocate(DType::I64, {count});
  for (int64_t n = 0; n < count; ++n) {
    int64_t index = hostIndices.data<int64_t>()[n];
    int64_t i = index < 0 ? index + size : index;
    if (i < 0 || i >= size) {
      s->fail(node, "index " + std::to_string(index) +
                        " is out of range for a dimension of size " +
                        std::to_string(size));
      return {};
    }
    normalized.mutableData<int64_t>()[n] = i;
  }
  Shape shape(data.shape().begin(), data.shape().begin() + axis);
  shape.insert(shape.end(), indices.shape().begin(), indices.shape().end());
  shape.insert(shape.end(), data.shape().begin() + axis + 1,
               data.shape().end());
  Tensor deviceIndices = toDeviceOnce(s, node, normalized);
  Tensor result = allocate(s, node, data.dtype(), shape);
  if (deviceIndices.isNull() || result.isNull())
    return {};
  int64_t total = outer * count * inner;
  if (total == 0)
    return result;
  cudaStream_t stream = streamOf(s);
  if (rt::dtypeSize(data.dtype()) == 4)
    gatherKernel<<<gridBlocks(total, kThreads), kThreads, 0, stream>>>(
        outer, count, size, inner, deviceIndices.data<int64_t>(),
        data.data<uint32_t>(), result.mutableData<uint32_t>());
  else
    gatherKernel<<<gridBlocks(total, kThreads), kThreads, 0, stream>>>(
        outer, count, size, inner, deviceIndices.data<int64_t>(),
        data.data<uint8_t>(), result.mutableData<uint8_t>());
  return succeeded(s, node, cudaGetLastError()) ? result : Tensor();
}
