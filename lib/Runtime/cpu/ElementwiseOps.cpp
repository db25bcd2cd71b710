//===- ElementwiseOps.cpp - elementwise kernels of generated models -------===//

#include "Ops.h"
#include "ThreadPool.h"
#include <cmath>
#include <cstring>

using namespace qcc::rt;

namespace {

/// fn over the broadcast of a and b: In is the operands' C++ type, Out the
/// result's. A contiguous inner run shared by both operands is walked as a
/// plain loop, so the common cases (same shape, bias, scalar) stay fast.
template <typename In, typename Out, typename Fn>
Tensor broadcastBinary(Session *s, Node node, DType resultType, const Tensor &a,
                       const Tensor &b, Fn fn) {
  Shape shape;
  if (!broadcastShapes(a.shape(), b.shape(), shape)) {
    s->fail(node, "shapes " + formatShape(a.shape()) + " and " +
                      formatShape(b.shape()) + " do not broadcast");
    return {};
  }
  Tensor result = Tensor::allocate(resultType, shape);
  Shape strides[2] = {broadcastStrides(a.shape(), shape),
                      broadcastStrides(b.shape(), shape)};
  // The innermost dimensions along which each operand is either dense or
  // constant, in the same way for the whole run.
  int64_t inner = 1;
  int64_t aStep = strides[0].empty() ? 0 : strides[0].back() ? 1 : 0;
  int64_t bStep = strides[1].empty() ? 0 : strides[1].back() ? 1 : 0;
  size_t outerRank = shape.size();
  while (outerRank > 0) {
    size_t d = outerRank - 1;
    bool aFits = strides[0][d] == aStep * inner;
    bool bFits = strides[1][d] == bStep * inner;
    if (!aFits || !bFits)
      break;
    inner *= shape[d];
    --outerRank;
  }
  Shape outer(shape.begin(), shape.begin() + outerRank);
  Shape outerStrides[2] = {
      Shape(strides[0].begin(), strides[0].begin() + outerRank),
      Shape(strides[1].begin(), strides[1].begin() + outerRank)};
  const In *x = a.data<In>(), *y = b.data<In>();
  Out *out = result.mutableData<Out>();
  forEachIndex(outer, outerStrides, 2, [&](int64_t i, const int64_t *offsets) {
    const In *px = x + offsets[0], *py = y + offsets[1];
    Out *po = out + i * inner;
    for (int64_t j = 0; j < inner; ++j)
      po[j] = fn(px[j * aStep], py[j * bStep]);
  });
  return result;
}

template <typename T> T applyBinary(Binary kind, T a, T b) {
  switch (kind) {
  case Binary::Add:
    return a + b;
  case Binary::Sub:
    return a - b;
  case Binary::Mul:
    return a * b;
  case Binary::Div:
    if constexpr (std::is_integral_v<T>)
      return b ? a / b : 0; // ONNX truncates; no trap on zero
    else
      return a / b;
  case Binary::Pow:
    return static_cast<T>(
        std::pow(static_cast<double>(a), static_cast<double>(b)));
  case Binary::Max:
    if constexpr (std::is_integral_v<T>)
      return std::max(a, b);
    else
      return std::fmax(a, b);
  case Binary::Min:
    if constexpr (std::is_integral_v<T>)
      return std::min(a, b);
    else
      return std::fmin(a, b);
  }
  return a;
}

float applyUnary(Unary kind, float x) {
  switch (kind) {
  case Unary::Neg:
    return -x;
  case Unary::Abs:
    return std::fabs(x);
  case Unary::Sqrt:
    return std::sqrt(x);
  case Unary::Reciprocal:
    return 1.0f / x;
  case Unary::Exp:
    return std::exp(x);
  case Unary::Log:
    return std::log(x);
  case Unary::Erf:
    return std::erf(x);
  case Unary::Tanh:
    return std::tanh(x);
  case Unary::Sigmoid:
    return 1.0f / (1.0f + std::exp(-x));
  case Unary::Cos:
    return std::cos(x);
  case Unary::Sin:
    return std::sin(x);
  case Unary::Relu:
    return x > 0.0f ? x : 0.0f;
  case Unary::Not:
    return x == 0.0f;
  }
  return x;
}

/// f32 rounded to the nearest f16 or bf16 value (ties to even), as a cast
/// to that type and back.
float roundToHalf(float value, CastTarget target) {
  if (target == CastTarget::F16)
    return static_cast<float>(static_cast<_Float16>(value));
  uint32_t bits;
  std::memcpy(&bits, &value, 4);
  if (std::isnan(value))
    return value;
  bits += 0x7FFF + ((bits >> 16) & 1);
  bits &= 0xFFFF0000u;
  std::memcpy(&value, &bits, 4);
  return value;
}

int64_t wrapInteger(int64_t value, CastTarget target, int64_t bits) {
  if (bits >= 64)
    return value;
  uint64_t mask = (uint64_t(1) << bits) - 1;
  uint64_t low = static_cast<uint64_t>(value) & mask;
  if (target == CastTarget::Unsigned)
    return static_cast<int64_t>(low);
  uint64_t sign = uint64_t(1) << (bits - 1);
  return static_cast<int64_t>((low ^ sign) - sign);
}

} // namespace

Tensor qcc::rt::binary(Session *s, Node node, Binary kind, const Tensor &a,
                       const Tensor &b) {
  if (s->failed())
    return {};
  if (a.dtype() == DType::I64)
    return broadcastBinary<int64_t, int64_t>(
        s, node, DType::I64, a, b,
        [kind](int64_t x, int64_t y) { return applyBinary(kind, x, y); });
  if (a.dtype() != DType::F32) {
    s->fail(node, "arithmetic is not defined on booleans");
    return {};
  }
  switch (kind) { // the hot cases without a switch per element
  case Binary::Add:
    return broadcastBinary<float, float>(s, node, DType::F32, a, b,
                                         std::plus<float>());
  case Binary::Mul:
    return broadcastBinary<float, float>(s, node, DType::F32, a, b,
                                         std::multiplies<float>());
  default:
    return broadcastBinary<float, float>(
        s, node, DType::F32, a, b,
        [kind](float x, float y) { return applyBinary(kind, x, y); });
  }
}

Tensor qcc::rt::compare(Session *s, Node node, Comparison kind, const Tensor &a,
                        const Tensor &b) {
  if (s->failed())
    return {};
  auto test = [kind](auto x, auto y) -> uint8_t {
    return kind == Comparison::Equal  ? x == y
           : kind == Comparison::Less ? x < y
                                      : x > y;
  };
  switch (a.dtype()) {
  case DType::F32:
    return broadcastBinary<float, uint8_t>(s, node, DType::Bool, a, b, test);
  case DType::I64:
    return broadcastBinary<int64_t, uint8_t>(s, node, DType::Bool, a, b, test);
  default:
    return broadcastBinary<uint8_t, uint8_t>(s, node, DType::Bool, a, b, test);
  }
}

Tensor qcc::rt::unary(Session *s, Node node, Unary kind, const Tensor &x) {
  if (s->failed())
    return {};
  Tensor result = Tensor::allocate(x.dtype(), x.shape());
  int64_t count = x.numElements();
  if (x.dtype() == DType::Bool) {
    for (int64_t i = 0; i < count; ++i)
      result.mutableData<uint8_t>()[i] = !x.data<uint8_t>()[i];
    return result;
  }
  if (x.dtype() == DType::I64) {
    if (kind != Unary::Neg && kind != Unary::Abs) {
      s->fail(node, "this op is defined on floats only");
      return {};
    }
    for (int64_t i = 0; i < count; ++i) {
      int64_t v = x.data<int64_t>()[i];
      result.mutableData<int64_t>()[i] =
          kind == Unary::Neg ? -v : (v < 0 ? -v : v);
    }
    return result;
  }
  const float *in = x.data<float>();
  float *out = result.mutableData<float>();
  parallelFor(count, kElementGrain, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i)
      out[i] = applyUnary(kind, in[i]);
  });
  return result;
}

Tensor qcc::rt::clip(Session *s, Node node, const Tensor &x, float low,
                     float high) {
  if (s->failed())
    return {};
  if (x.dtype() != DType::F32) {
    s->fail(node, "clip is defined on floats only");
    return {};
  }
  Tensor result = Tensor::allocate(DType::F32, x.shape());
  for (int64_t i = 0; i < x.numElements(); ++i)
    result.mutableData<float>()[i] =
        std::fmin(std::fmax(x.data<float>()[i], low), high);
  return result;
}

Tensor qcc::rt::where(Session *s, Node node, const Tensor &condition,
                      const Tensor &a, const Tensor &b) {
  if (s->failed())
    return {};
  Shape partial, shape;
  if (!broadcastShapes(condition.shape(), a.shape(), partial) ||
      !broadcastShapes(partial, b.shape(), shape)) {
    s->fail(node, "condition and values do not broadcast");
    return {};
  }
  size_t size = dtypeSize(a.dtype());
  Tensor result = Tensor::allocate(a.dtype(), shape);
  Shape strides[3] = {broadcastStrides(condition.shape(), shape),
                      broadcastStrides(a.shape(), shape),
                      broadcastStrides(b.shape(), shape)};
  const uint8_t *pick = condition.data<uint8_t>();
  uint8_t *out = result.mutableData<uint8_t>();
  forEachIndex(shape, strides, 3, [&](int64_t i, const int64_t *offsets) {
    const uint8_t *from = pick[offsets[0]]
                              ? a.data<uint8_t>() + offsets[1] * size
                              : b.data<uint8_t>() + offsets[2] * size;
    std::memcpy(out + i * size, from, size);
  });
  return result;
}

Tensor qcc::rt::cast(Session *s, Node, const Tensor &x, CastTarget target,
                     int64_t bits) {
  if (s->failed())
    return {};
  DType type = target == CastTarget::Bool ? DType::Bool
               : target == CastTarget::Signed || target == CastTarget::Unsigned
                   ? DType::I64
                   : DType::F32;
  Tensor result = Tensor::allocate(type, x.shape());
  for (int64_t i = 0; i < x.numElements(); ++i) {
    double value = x.dtype() == DType::F32   ? x.data<float>()[i]
                   : x.dtype() == DType::I64 ? double(x.data<int64_t>()[i])
                                             : double(x.data<uint8_t>()[i]);
    switch (type) {
    case DType::Bool:
      result.mutableData<uint8_t>()[i] = value != 0;
      break;
    case DType::F32: {
      float f = static_cast<float>(value);
      result.mutableData<float>()[i] =
          target == CastTarget::F32 ? f : roundToHalf(f, target);
      break;
    }
    default: {
      // Integers keep all 64 bits; floats truncate toward zero.
      int64_t v = x.dtype() == DType::I64 ? x.data<int64_t>()[i]
                                          : static_cast<int64_t>(value);
      result.mutableData<int64_t>()[i] = wrapInteger(v, target, bits);
    }
    }
  }
  return result;
}
