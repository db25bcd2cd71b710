//===- HostOps.cpp - ops of sm90 models that the CPU kernels run ----------===//
//
// Shape arithmetic, masks and the rare ops with no CUDA kernel yet run
// lib/Runtime/cpu's kernels on host copies of their operands; an f32
// result goes to the device. docs/cuda-backend.md lists which.
//
//===----------------------------------------------------------------------===//

#include "lib/Runtime/cuda/DeviceRuntime.h"

using namespace qcc;
using namespace qcc::gpu;

Tensor qcc::gpu::quantizeCodes(Session *s, Node node, const Tensor &x,
                               float maximum, bool fp8) {
  return onHost(s, node, rt::quantizeCodes, x, maximum, fp8);
}

Tensor qcc::gpu::quantizeScales(Session *s, Node node, const Tensor &x,
                                float maximum, bool fp8) {
  return onHost(s, node, rt::quantizeScales, x, maximum, fp8);
}

Tensor qcc::gpu::dequantize(Session *s, Node node, const Tensor &codes,
                            const Tensor &scales) {
  return onHost(s, node, rt::dequantize, codes, scales);
}

Tensor qcc::gpu::constantOfShape(Session *s, Node node, const Tensor &shape,
                                 DType dtype, double value) {
  return onHost(s, node, rt::constantOfShape, shape, dtype, value);
}

Tensor qcc::gpu::range(Session *s, Node node, const Tensor &start,
                       const Tensor &limit, const Tensor &delta) {
  return onHost(s, node, rt::range, start, limit, delta);
}

Tensor qcc::gpu::trilu(Session *s, Node node, const Tensor &x, bool upper,
                       int64_t k) {
  return onHost(s, node, rt::trilu, x, upper, k);
}
