//===- ElementwiseKernels.cpp - elementwise ops in the interpreter --------===//

#include "Kernels.h"
#include "qcc/Interpreter/Interpreter.h"
#include <cmath>

using namespace qcc;
using namespace qcc::interp;

/// The shape of `tensors` broadcast together (verified at import).
static SmallVector<int64_t> broadcastShape(ArrayRef<HostTensor> tensors) {
  SmallVector<int64_t> shape;
  for (const HostTensor &tensor : tensors)
    shape = *broadcastShapes(shape, tensor.shape());
  return shape;
}

/// Applies `fn(a, b)` elementwise with broadcasting; In and Out are the C++
/// element types of the operands and the result.
/// Whether `operand` repeats along the leading dimensions of `shape` only, so
/// that its element for flat index i is i % its size (a bias, a scalar).
static bool repeatsAsSuffix(ArrayRef<int64_t> operand,
                            ArrayRef<int64_t> shape) {
  while (!operand.empty() && operand.front() == 1)
    operand = operand.drop_front();
  return operand.size() <= shape.size() &&
         operand == shape.take_back(operand.size());
}

template <typename In, typename Out, typename Fn>
static HostTensor binary(ElementKind resultKind, const HostTensor &lhs,
                         const HostTensor &rhs, Fn fn) {
  SmallVector<int64_t> shape = broadcastShape({lhs, rhs});
  HostTensor result(resultKind, shape);
  ArrayRef<In> a = lhs.values<In>(), b = rhs.values<In>();
  MutableArrayRef<Out> out = result.mutableValues<Out>();
  // Fast paths for the common cases: a full operand with a repeating one.
  int64_t count = result.numElements();
  if (lhs.shape() == ArrayRef<int64_t>(shape) &&
      repeatsAsSuffix(rhs.shape(), shape)) {
    for (int64_t i = 0, n = b.size(); i < count; ++i)
      out[i] = fn(a[i], b[n == count ? i : i % n]);
    return result;
  }
  if (rhs.shape() == ArrayRef<int64_t>(shape) &&
      repeatsAsSuffix(lhs.shape(), shape)) {
    for (int64_t i = 0, n = a.size(); i < count; ++i)
      out[i] = fn(a[n == count ? i : i % n], b[i]);
    return result;
  }
  forEachIndex(shape,
               {broadcastStrides(lhs.shape(), shape),
                broadcastStrides(rhs.shape(), shape)},
               [&](int64_t i, ArrayRef<int64_t> offsets) {
                 out[i] = fn(a[offsets[0]], b[offsets[1]]);
               });
  return result;
}

/// An arithmetic binary op on floats or integers.
template <typename FloatFn, typename IntFn>
static FailureOr<HostTensor> arithmetic(Operation *op,
                                        ArrayRef<HostTensor> operands,
                                        FloatFn floatFn, IntFn intFn) {
  const HostTensor &lhs = operands[0], &rhs = operands[1];
  if (lhs.kind() == ElementKind::F32)
    return binary<float, float>(ElementKind::F32, lhs, rhs, floatFn);
  if (lhs.kind() == ElementKind::I64)
    return binary<int64_t, int64_t>(ElementKind::I64, lhs, rhs, intFn);
  return op->emitError("is not defined on booleans");
}

/// A comparison; booleans compare as bytes.
template <typename Fn>
static FailureOr<HostTensor> compare(ArrayRef<HostTensor> operands, Fn fn) {
  const HostTensor &lhs = operands[0], &rhs = operands[1];
  auto wrap = [&](auto a, auto b) -> uint8_t { return fn(a, b); };
  switch (lhs.kind()) {
  case ElementKind::F32:
    return binary<float, uint8_t>(ElementKind::Bool, lhs, rhs, wrap);
  case ElementKind::I64:
    return binary<int64_t, uint8_t>(ElementKind::Bool, lhs, rhs, wrap);
  case ElementKind::Bool:
    return binary<uint8_t, uint8_t>(ElementKind::Bool, lhs, rhs, wrap);
  }
  return failure();
}

/// A float unary op.
template <typename Fn>
static HostTensor mapFloat(const HostTensor &input, Fn fn) {
  HostTensor result(ElementKind::F32, input.shape());
  ArrayRef<float> in = input.values<float>();
  MutableArrayRef<float> out = result.mutableValues<float>();
  for (size_t i = 0; i < in.size(); ++i)
    out[i] = fn(in[i]);
  return result;
}

static FailureOr<HostTensor> add(AddOp op, ArrayRef<HostTensor> operands) {
  return arithmetic(op, operands, std::plus<float>(), std::plus<int64_t>());
}

static FailureOr<HostTensor> sub(SubOp op, ArrayRef<HostTensor> operands) {
  return arithmetic(op, operands, std::minus<float>(), std::minus<int64_t>());
}

static FailureOr<HostTensor> mul(MulOp op, ArrayRef<HostTensor> operands) {
  return arithmetic(op, operands, std::multiplies<float>(),
                    std::multiplies<int64_t>());
}

static FailureOr<HostTensor> div(DivOp op, ArrayRef<HostTensor> operands) {
  // Integer division truncates toward zero, as ONNX Div does; dividing by
  // zero yields 0 rather than trapping.
  return arithmetic(op, operands, std::divides<float>(),
                    [](int64_t a, int64_t b) { return b ? a / b : 0; });
}

static FailureOr<HostTensor> pow(PowOp op, ArrayRef<HostTensor> operands) {
  return arithmetic(
      op, operands, [](float a, float b) { return std::pow(a, b); },
      [](int64_t a, int64_t b) {
        return static_cast<int64_t>(std::pow(double(a), double(b)));
      });
}

static FailureOr<HostTensor> max(MaxOp op, ArrayRef<HostTensor> operands) {
  return arithmetic(
      op, operands, [](float a, float b) { return std::fmax(a, b); },
      [](int64_t a, int64_t b) { return std::max(a, b); });
}

static FailureOr<HostTensor> min(MinOp op, ArrayRef<HostTensor> operands) {
  return arithmetic(
      op, operands, [](float a, float b) { return std::fmin(a, b); },
      [](int64_t a, int64_t b) { return std::min(a, b); });
}

static FailureOr<HostTensor> equal(EqualOp, ArrayRef<HostTensor> operands) {
  return compare(operands, [](auto a, auto b) { return a == b; });
}

static FailureOr<HostTensor> less(LessOp, ArrayRef<HostTensor> operands) {
  return compare(operands, [](auto a, auto b) { return a < b; });
}

static FailureOr<HostTensor> greater(GreaterOp, ArrayRef<HostTensor> operands) {
  return compare(operands, [](auto a, auto b) { return a > b; });
}

static FailureOr<HostTensor> neg(NegOp, ArrayRef<HostTensor> operands) {
  if (operands[0].kind() == ElementKind::I64) {
    HostTensor result(ElementKind::I64, operands[0].shape());
    for (auto [out, in] : llvm::zip(result.mutableValues<int64_t>(),
                                    operands[0].values<int64_t>()))
      out = -in;
    return result;
  }
  return mapFloat(operands[0], [](float x) { return -x; });
}

static FailureOr<HostTensor> abs(AbsOp, ArrayRef<HostTensor> operands) {
  if (operands[0].kind() == ElementKind::I64) {
    HostTensor result(ElementKind::I64, operands[0].shape());
    for (auto [out, in] : llvm::zip(result.mutableValues<int64_t>(),
                                    operands[0].values<int64_t>()))
      out = in < 0 ? -in : in;
    return result;
  }
  return mapFloat(operands[0], [](float x) { return std::fabs(x); });
}

#define QCC_FLOAT_UNARY(Op, name, expr)                                        \
  static FailureOr<HostTensor> name(Op, ArrayRef<HostTensor> operands) {       \
    return mapFloat(operands[0], [](float x) { return expr; });                \
  }
QCC_FLOAT_UNARY(SqrtOp, sqrt, std::sqrt(x))
QCC_FLOAT_UNARY(ReciprocalOp, reciprocal, 1.0f / x)
QCC_FLOAT_UNARY(ExpOp, exp, std::exp(x))
QCC_FLOAT_UNARY(LogOp, log, std::log(x))
QCC_FLOAT_UNARY(ErfOp, erf, std::erf(x))
QCC_FLOAT_UNARY(TanhOp, tanh, std::tanh(x))
QCC_FLOAT_UNARY(SigmoidOp, sigmoid, 1.0f / (1.0f + std::exp(-x)))
QCC_FLOAT_UNARY(CosOp, cos, std::cos(x))
QCC_FLOAT_UNARY(SinOp, sin, std::sin(x))
QCC_FLOAT_UNARY(ReluOp, relu, x > 0.0f ? x : 0.0f)
#undef QCC_FLOAT_UNARY

static FailureOr<HostTensor> logicalNot(NotOp, ArrayRef<HostTensor> operands) {
  HostTensor result(ElementKind::Bool, operands[0].shape());
  for (auto [out, in] : llvm::zip(result.mutableValues<uint8_t>(),
                                  operands[0].values<uint8_t>()))
    out = !in;
  return result;
}

static FailureOr<HostTensor> clip(ClipOp op, ArrayRef<HostTensor> operands) {
  float low = op.getMin() ? op.getMin()->convertToDouble() : -INFINITY;
  float high = op.getMax() ? op.getMax()->convertToDouble() : INFINITY;
  if (operands[0].kind() != ElementKind::F32)
    return op.emitError("the interpreter clips floats only");
  return mapFloat(operands[0],
                  [&](float x) { return std::fmin(std::fmax(x, low), high); });
}

static FailureOr<HostTensor> where(WhereOp op, ArrayRef<HostTensor> operands) {
  SmallVector<int64_t> shape = broadcastShape(operands);
  ElementKind kind = operands[1].kind();
  size_t size = elementSize(kind);
  HostTensor result(kind, shape);
  ArrayRef<uint8_t> condition = operands[0].values<uint8_t>();
  char *out = const_cast<char *>(result.data());
  forEachIndex(shape,
               {broadcastStrides(operands[0].shape(), shape),
                broadcastStrides(operands[1].shape(), shape),
                broadcastStrides(operands[2].shape(), shape)},
               [&](int64_t i, ArrayRef<int64_t> offsets) {
                 const HostTensor &pick =
                     condition[offsets[0]] ? operands[1] : operands[2];
                 int64_t offset =
                     condition[offsets[0]] ? offsets[1] : offsets[2];
                 std::memcpy(out + i * size, pick.data() + offset * size, size);
               });
  return result;
}

/// Rounds a float to the precision of a narrower float type (f16, bf16), as
/// a cast to that type and back does.
static float roundTo(FloatType type, float value) {
  APFloat wide(value);
  bool lostInfo;
  wide.convert(type.getFloatSemantics(), APFloat::rmNearestTiesToEven,
               &lostInfo);
  return static_cast<float>(wide.convertToDouble());
}

/// Cast, with the target's precision or width applied: floats round to the
/// target float type, integers wrap to the target width, floats truncate
/// toward zero when cast to integers.
static FailureOr<HostTensor> castOp(CastOp op, ArrayRef<HostTensor> operands) {
  const HostTensor &input = operands[0];
  Type target = op.getType().getElementType();
  ElementKind kind = *getElementKind(target);
  HostTensor result(kind, input.shape());
  if (input.kind() == ElementKind::I64 && kind == ElementKind::F32 &&
      target.isF32()) {
    // The common case (masks and positions to float) without per-element
    // dispatch.
    for (auto [out, in] :
         llvm::zip(result.mutableValues<float>(), input.values<int64_t>()))
      out = static_cast<float>(in);
    return result;
  }
  for (int64_t i = 0; i < input.numElements(); ++i) {
    if (kind == ElementKind::Bool) {
      result.mutableValues<uint8_t>()[i] = input.elementAsDouble(i) != 0;
    } else if (auto floatType = dyn_cast<FloatType>(target)) {
      float value = static_cast<float>(input.elementAsDouble(i));
      result.mutableValues<float>()[i] =
          floatType.getWidth() < 32 ? roundTo(floatType, value) : value;
    } else {
      int64_t value = input.kind() == ElementKind::I64
                          ? input.values<int64_t>()[i]
                          : static_cast<int64_t>(input.elementAsDouble(i));
      unsigned width = target.getIntOrFloatBitWidth();
      APInt bits(64, value);
      bits = bits.trunc(width);
      result.mutableValues<int64_t>()[i] = target.isUnsignedInteger()
                                               ? bits.getZExtValue()
                                               : bits.getSExtValue();
    }
  }
  return result;
}

void interp::registerElementwiseKernels(KernelRegistry &registry) {
  registry.add(add);
  registry.add(sub);
  registry.add(mul);
  registry.add(div);
  registry.add(pow);
  registry.add(max);
  registry.add(min);
  registry.add(equal);
  registry.add(less);
  registry.add(greater);
  registry.add(neg);
  registry.add(abs);
  registry.add(sqrt);
  registry.add(reciprocal);
  registry.add(exp);
  registry.add(log);
  registry.add(erf);
  registry.add(tanh);
  registry.add(sigmoid);
  registry.add(cos);
  registry.add(sin);
  registry.add(relu);
  registry.add(logicalNot);
  registry.add(clip);
  registry.add(where);
  registry.add(castOp);
}
