//===- Ops.h - the kernels a generated x86 model calls ----------*- C++ -*-===//
//
// One function per qcc op (qcc-lower-x86 picks them; docs/x86-backend.md).
// Each takes the session and the op's ONNX node name first, so that a
// refusal names the node; attributes follow the operands as plain values.
// After a failure every function returns a null tensor without work.
//
//===----------------------------------------------------------------------===//

#ifndef QCC_RUNTIME_CPU_OPS_H
#define QCC_RUNTIME_CPU_OPS_H

#include "Session.h"
#include <cmath>
#include <optional>

namespace qcc::rt {

using Node = const char *;

// Session access.
Tensor input(Session *s, int64_t index);
void output(Session *s, int64_t index, const Tensor &value);
/// Frees a tensor after its last use.
inline void release(Tensor &value) { value = Tensor(); }
/// A weight at `offset` bytes into the embedded blob.
Tensor weight(Session *s, int64_t offset, DType dtype, Shape shape);

// Elementwise, with numpy broadcasting.
enum class Binary { Add, Sub, Mul, Div, Pow, Max, Min };
enum class Comparison { Equal, Less, Greater };
enum class Unary {
  Neg,
  Abs,
  Sqrt,
  Reciprocal,
  Exp,
  Log,
  Erf,
  Tanh,
  Sigmoid,
  Cos,
  Sin,
  Relu,
  Not
};
Tensor binary(Session *s, Node node, Binary kind, const Tensor &a,
              const Tensor &b);
Tensor compare(Session *s, Node node, Comparison kind, const Tensor &a,
               const Tensor &b);
Tensor unary(Session *s, Node node, Unary kind, const Tensor &x);
Tensor clip(Session *s, Node node, const Tensor &x, float low, float high);
Tensor where(Session *s, Node node, const Tensor &condition, const Tensor &a,
             const Tensor &b);
/// The element type a cast produces and how it rounds or wraps.
enum class CastTarget { F32, F16, BF16, Bool, Signed, Unsigned };
Tensor cast(Session *s, Node node, const Tensor &x, CastTarget target,
            int64_t bits);

// Transformer ops; an absent optional operand is a null Tensor.
Tensor linear(Session *s, Node node, const Tensor &x, const Tensor &weight,
              const Tensor &bias);
Tensor matmul(Session *s, Node node, const Tensor &a, const Tensor &b);
Tensor layerNorm(Session *s, Node node, const Tensor &x, const Tensor &scale,
                 const Tensor &bias, int64_t axis, float epsilon);
Tensor rmsNorm(Session *s, Node node, const Tensor &x, const Tensor &scale,
               float epsilon);
Tensor softmax(Session *s, Node node, const Tensor &x, int64_t axis);
/// Softmax of `count` contiguous values in place with AVX2 and qcc's own
/// exponential (SoftmaxAvx2.cpp): attention's rows and softmax over a
/// contiguous axis where the CPU has AVX2.
void softmaxRowAvx2(float *row, int64_t count);
Tensor gelu(Session *s, Node node, const Tensor &x, bool tanhForm);
Tensor silu(Session *s, Node node, const Tensor &x);
Tensor rotary(Session *s, Node node, const Tensor &x, const Tensor &cos,
              const Tensor &sin);
Tensor attention(Session *s, Node node, const Tensor &q, const Tensor &k,
                 const Tensor &v, const Tensor &mask, float scale,
                 float maskedValue);
enum class Reduction { Mean, Sum, Max };
Tensor reduce(Session *s, Node node, Reduction kind, const Tensor &x,
              Shape axes, bool keepdims);

// Quantized ops.
/// How a qlinear's weight codes are stored (qcc-lower-x86 packs them).
enum class WeightCodes {
  Int8, // rows of paddedWidth(k) bytes
  Int4, // packInt4's layout
  E4M3, // a byte each
  E2M1, // two a byte, even column in the low nibble
};
/// What qcc-lower-x86 knows about a qlinear at compile time.
struct QLinearLayout {
  int64_t n, k, groupSize, groups;
  WeightCodes codes;
  /// Group scales are two-level integers (u8) rather than f32.
  bool twoLevel;
  /// 0 for float activations (weight-only), else the activation maximum
  /// (127 int8, 7 int4, 448 fp8_e4m3).
  float activationMaximum;
  bool fp8Activations;
  /// QLinearOp::getAccumulationBlock; Runtime Smooth group or 0.
  int64_t block, smoothGroup;
  /// sm90 models: two-level codes times their scales are bytes
  /// (cuda::DeviceWeight::int8Products).
  bool int8Products = false;
};
/// `lorcU` [N, r] and `lorcV` [r, K] (f32, or null) add (x · Vᵀ) · Uᵀ
/// before the bias, as the interpreter does.
Tensor qlinear(Session *s, Node node, const Tensor &x, const Tensor &codes,
               const Tensor &scales, const Tensor &channelScales,
               const Tensor &bias, const Tensor &lorcU, const Tensor &lorcV,
               QLinearLayout layout);
/// qcc.quantize's two results: codes (i64 as the interpreter keeps
/// integers; f32 values for fp8) and per-row scales.
Tensor quantizeCodes(Session *s, Node node, const Tensor &x, float maximum,
                     bool fp8);
Tensor quantizeScales(Session *s, Node node, const Tensor &x, float maximum,
                      bool fp8);
Tensor dequantize(Session *s, Node node, const Tensor &codes,
                  const Tensor &scales);
Tensor hadamard(Session *s, Node node, const Tensor &x, int64_t block,
                bool transpose);

// Data movement and shapes.
Tensor gather(Session *s, Node node, const Tensor &data, const Tensor &indices,
              int64_t axis);
Tensor transpose(Session *s, Node node, const Tensor &x, Shape permutation);
Tensor reshape(Session *s, Node node, const Tensor &x, const Tensor &shape,
               bool allowZero);
Tensor expand(Session *s, Node node, const Tensor &x, const Tensor &shape);
Tensor concat(Session *s, Node node, std::vector<Tensor> inputs, int64_t axis);
template <typename... Inputs>
Tensor concatValues(Session *s, Node node, int64_t axis,
                    const Inputs &...inputs) {
  return concat(s, node, std::vector<Tensor>{inputs...}, axis);
}
Tensor slice(Session *s, Node node, const Tensor &x, const Tensor &starts,
             const Tensor &ends, const Tensor &steps, Shape axes);
Tensor squeeze(Session *s, Node node, const Tensor &x, Shape axes);
Tensor unsqueeze(Session *s, Node node, const Tensor &x, Shape axes);
/// Dimensions [start, end) of x; end < 0 counts from the back, as ONNX.
Tensor shapeOf(Session *s, Node node, const Tensor &x, int64_t start,
               int64_t end, bool hasEnd);
Tensor constantOfShape(Session *s, Node node, const Tensor &shape, DType dtype,
                       double value);
Tensor range(Session *s, Node node, const Tensor &start, const Tensor &limit,
             const Tensor &delta);
Tensor trilu(Session *s, Node node, const Tensor &x, bool upper, int64_t k);

// Operand checks and layouts computed apart from the work, so that the GPU
// runtime (lib/Runtime/cuda) refuses and moves exactly what the CPU's does.
/// Element i of the result (row-major over `shape`) is the input's element
/// at base + strides · index.
struct StridedCopy {
  Shape shape, strides;
  int64_t base = 0;
};
StridedCopy transposeCopy(const Tensor &x, const Shape &permutation);
/// None after a refusal recorded in the session.
std::optional<StridedCopy> expandCopy(Session *s, Node node, const Tensor &x,
                                      const Tensor &shape);
std::optional<StridedCopy> sliceCopy(Session *s, Node node, const Tensor &x,
                                     const Tensor &starts, const Tensor &ends,
                                     const Tensor &steps, const Shape &axes);
/// The result shape of a linear of weight [n, k] (x's, its last dimension
/// n) or of a qlinear of n × k, or none after a recorded refusal.
std::optional<Shape> linearShape(Session *s, Node node, const Tensor &x,
                                 const Tensor &weight);
std::optional<Shape> qlinearShape(Session *s, Node node, const Tensor &x,
                                  int64_t n, int64_t k);
/// matmul's operands: the batch dimensions they broadcast to, each one's
/// batch strides (in matrices), and the matrices' sizes.
struct MatmulLayout {
  Shape batch, aStrides, bStrides;
  int64_t m, k, n;
};
std::optional<MatmulLayout> matmulLayout(Session *s, Node node, const Tensor &a,
                                         const Tensor &b);
/// Whether cos and sin broadcast to x (of rank one or more).
bool checkRotaryOperands(Session *s, Node node, const Tensor &x,
                         const Tensor &cos, const Tensor &sin);
/// Attention's operands checked (ranks, heads, widths, the mask's
/// broadcast to [batch, heads, rows, keys]); the mask's strides over the
/// scores (zeros without a mask), or none after a recorded refusal.
std::optional<Shape> checkAttentionOperands(Session *s, Node node,
                                            const Tensor &q, const Tensor &k,
                                            const Tensor &v,
                                            const Tensor &mask);
std::optional<Shape> concatShape(Session *s, Node node,
                                 const std::vector<Tensor> &inputs,
                                 int64_t axis);

} // namespace qcc::rt

#endif // QCC_RUNTIME_CPU_OPS_H
