//===- DeviceOps.h - the kernels a generated sm90 model calls ---*- C++ -*-===//
//
// qcc-lower-cuda emits the same calls as qcc-lower-x86, in this namespace:
// each function has the signature of its namesake in lib/Runtime/cpu/Ops.h.
// Tensors live where their dtype says (docs/cuda-backend.md): f32
// activations and the packed weights on the GPU, i64 and bool tensors
// (shapes, indices, masks) on the host, where the CPU kernels compute
// them. An op whose operands are host tensors runs the CPU kernel; one on
// f32 runs a CUDA kernel on the model's stream.
//
// Plain C++: the generated code includes it without CUDA's headers.
//
//===----------------------------------------------------------------------===//

#ifndef QCC_RUNTIME_CUDA_DEVICEOPS_H
#define QCC_RUNTIME_CUDA_DEVICEOPS_H

#include "lib/Runtime/cpu/Ops.h"

namespace qcc::gpu {

using rt::Binary;
using rt::CastTarget;
using rt::Comparison;
using rt::DType;
using rt::Node;
using rt::QLinearLayout;
using rt::Reduction;
using rt::Session;
using rt::Shape;
using rt::Tensor;
using rt::Unary;

/// The hooks that make the C ABI run this model on the GPU.
extern const rt::Accelerator kAccelerator;

// Session access: inputs arrive placed by the ABI (kAccelerator.input).
using rt::input;
using rt::output;
using rt::release;
/// Weights of every dtype but i64 and bool live in the device copy of the
/// blob.
Tensor weight(Session *s, int64_t offset, DType dtype, Shape shape);

Tensor binary(Session *s, Node node, Binary kind, const Tensor &a,
              const Tensor &b);
Tensor compare(Session *s, Node node, Comparison kind, const Tensor &a,
               const Tensor &b);
Tensor unary(Session *s, Node node, Unary kind, const Tensor &x);
Tensor clip(Session *s, Node node, const Tensor &x, float low, float high);
Tensor where(Session *s, Node node, const Tensor &condition, const Tensor &a,
             const Tensor &b);
Tensor cast(Session *s, Node node, const Tensor &x, CastTarget target,
            int64_t bits);

Tensor linear(Session *s, Node node, const Tensor &x, const Tensor &weight,
              const Tensor &bias);
Tensor matmul(Session *s, Node node, const Tensor &a, const Tensor &b);
Tensor layerNorm(Session *s, Node node, const Tensor &x, const Tensor &scale,
                 const Tensor &bias, int64_t axis, float epsilon);
Tensor rmsNorm(Session *s, Node node, const Tensor &x, const Tensor &scale,
               float epsilon);
Tensor softmax(Session *s, Node node, const Tensor &x, int64_t axis);
Tensor gelu(Session *s, Node node, const Tensor &x, bool tanhForm);
Tensor silu(Session *s, Node node, const Tensor &x);
Tensor rotary(Session *s, Node node, const Tensor &x, const Tensor &cos,
              const Tensor &sin);
Tensor attention(Session *s, Node node, const Tensor &q, const Tensor &k,
                 const Tensor &v, const Tensor &mask, float scale,
                 float maskedValue);
Tensor reduce(Session *s, Node node, Reduction kind, const Tensor &x,
              Shape axes, bool keepdims);

/// `codes`, `scales` and `channelScales` in the layouts of
/// lib/Runtime/cuda/WeightPacking.h (qcc-lower-cuda packs them): fragment
/// order, scales [groups, paddedColumns(n)], channel scales
/// [paddedColumns(n)].
Tensor qlinear(Session *s, Node node, const Tensor &x, const Tensor &codes,
               const Tensor &scales, const Tensor &channelScales,
               const Tensor &bias, const Tensor &lorcU, const Tensor &lorcV,
               QLinearLayout layout);
Tensor quantizeCodes(Session *s, Node node, const Tensor &x, float maximum,
                     bool fp8);
Tensor quantizeScales(Session *s, Node node, const Tensor &x, float maximum,
                      bool fp8);
Tensor dequantize(Session *s, Node node, const Tensor &codes,
                  const Tensor &scales);
Tensor hadamard(Session *s, Node node, const Tensor &x, int64_t block,
                bool transpose);

Tensor gather(Session *s, Node node, const Tensor &data, const Tensor &indices,
              int64_t axis);
Tensor transpose(Session *s, Node node, const Tensor &x, Shape permutation);
using rt::reshape;
using rt::shapeOf;
using rt::squeeze;
using rt::unsqueeze;
Tensor expand(Session *s, Node node, const Tensor &x, const Tensor &shape);
Tensor concat(Session *s, Node node, std::vector<Tensor> inputs, int64_t axis);
template <typename... Inputs>
Tensor concatValues(Session *s, Node node, int64_t axis,
                    const Inputs &...inputs) {
  return gpu::concat(s, node, std::vector<Tensor>{inputs...}, axis);
}
Tensor slice(Session *s, Node node, const Tensor &x, const Tensor &starts,
             const Tensor &ends, const Tensor &steps, Shape axes);
Tensor constantOfShape(Session *s, Node node, const Tensor &shape, DType dtype,
                       double value);
Tensor range(Session *s, Node node, const Tensor &start, const Tensor &limit,
             const Tensor &delta);
Tensor trilu(Session *s, Node node, const Tensor &x, bool upper, int64_t k);

} // namespace qcc::gpu

#endif // QCC_RUNTIME_CUDA_DEVICEOPS_H
