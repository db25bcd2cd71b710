//===- RecognizeActivations.cpp - decomposed GELU / SiLU -> ops -----------===//

#include "passes/RecognizeInternals.h"
#include <cmath>

using namespace mlir;
using namespace qcc;
using namespace qcc::recognize;

/// Whether `value` is x / √2 or x · (1/√2); sets `x`.
static bool isScaledBySqrtHalf(Value value, Value &x) {
  if (auto div = value.getDefiningOp<DivOp>()) {
    x = div.getLhs();
    return isScalarConstant(div.getRhs(), std::sqrt(2.0));
  }
  if (auto mul = value.getDefiningOp<MulOp>()) {
    auto match = matchEitherOrder(
        mul, [](Value v) { return isScalarConstant(v, std::sqrt(0.5)); });
    x = match ? match->second : Value();
    return match.has_value();
  }
  return false;
}

/// Given `inner` (erf(x/√2) or tanh(...)), matches x · 0.5 · (1 + inner)
/// in any association of the two products and returns the op computing it,
/// or null.
static Operation *matchHalfXTimesOnePlus(Value inner, Value x) {
  auto add = dyn_cast_or_null<AddOp>(singleUser(inner));
  if (!add || !isScalarConstant(otherOperand(add, inner), 1.0))
    return nullptr;
  auto mul = dyn_cast_or_null<MulOp>(singleUser(add.getResult()));
  if (!mul || mul.getType() != x.getType())
    return nullptr;
  Value other = otherOperand(mul, add.getResult());
  auto isHalf = [](Value v) { return isScalarConstant(v, 0.5); };
  // (x · 0.5) · (1 + inner)
  if (auto half = other.getDefiningOp<MulOp>()) {
    auto match = matchEitherOrder(half, isHalf);
    return match && match->second == x ? mul.getOperation() : nullptr;
  }
  // (x · (1 + inner)) · 0.5 or (0.5 · (1 + inner)) · x
  if (other != x && !isHalf(other))
    return nullptr;
  auto outer = dyn_cast_or_null<MulOp>(singleUser(mul.getResult()));
  Value last = outer ? otherOperand(outer, mul.getResult()) : Value();
  if (last && ((other == x && isHalf(last)) || (isHalf(other) && last == x)))
    return outer;
  return nullptr;
}

/// Whether `value` is x³ as pow(x, 3) or x · x · x; sets `x`.
static bool isCubeOf(Value value, Value &x) {
  if (auto pow = value.getDefiningOp<PowOp>()) {
    x = pow.getLhs();
    return isScalarConstant(pow.getRhs(), 3.0);
  }
  auto mul = value.getDefiningOp<MulOp>();
  if (!mul)
    return false;
  for (auto [square, single] : {std::pair(mul.getLhs(), mul.getRhs()),
                                std::pair(mul.getRhs(), mul.getLhs())}) {
    auto inner = square.getDefiningOp<MulOp>();
    if (inner && inner.getLhs() == single && inner.getRhs() == single) {
      x = single;
      return true;
    }
  }
  return false;
}

/// Whether `value` is √(2/π) · (x + 0.044715 · x³); sets `x`.
static bool isTanhGeluArgument(Value value, Value &x) {
  auto scaled = value.getDefiningOp<MulOp>();
  auto match = scaled ? matchEitherOrder(scaled,
                                         [](Value v) {
                                           return isScalarConstant(
                                               v, std::sqrt(2.0 / M_PI));
                                         })
                      : std::nullopt;
  auto sum = match ? match->second.getDefiningOp<AddOp>() : nullptr;
  if (!sum)
    return false;
  for (auto [linear, cubic] : {std::pair(sum.getLhs(), sum.getRhs()),
                               std::pair(sum.getRhs(), sum.getLhs())}) {
    auto term = cubic.getDefiningOp<MulOp>();
    auto coefficient =
        term ? matchEitherOrder(
                   term, [](Value v) { return isScalarConstant(v, 0.044715); })
             : std::nullopt;
    Value cubed;
    if (coefficient && isCubeOf(coefficient->second, cubed) &&
        cubed == linear) {
      x = linear;
      return true;
    }
  }
  return false;
}

namespace {

/// x · 0.5 · (1 + inner(argument)) -> gelu(x, approximate), where
/// `isArgument` recognises the argument of `InnerOp` (erf or tanh) as a
/// function of x.
template <typename InnerOp> struct RecognizeGelu : OpRewritePattern<InnerOp> {
  RecognizeGelu(MLIRContext *context, bool (*isArgument)(Value, Value &),
                StringRef approximate)
      : OpRewritePattern<InnerOp>(context), isArgument(isArgument),
        approximate(approximate) {}

  LogicalResult matchAndRewrite(InnerOp inner,
                                PatternRewriter &rewriter) const override {
    Value x;
    if (!isArgument(inner.getInput(), x) || x.getType() != inner.getType())
      return failure();
    Operation *replaced = matchHalfXTimesOnePlus(inner.getResult(), x);
    if (!replaced)
      return failure();
    rewriter.replaceOpWithNewOp<GeluOp>(replaced, x, approximate);
    return success();
  }

  bool (*isArgument)(Value, Value &);
  StringRef approximate;
};

/// x · sigmoid(x) -> silu(x).
struct RecognizeSilu : OpRewritePattern<MulOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(MulOp op,
                                PatternRewriter &rewriter) const override {
    auto match = matchEitherOrder(op, [&](Value v) {
      auto sigmoid = v.getDefiningOp<SigmoidOp>();
      return sigmoid && otherOperand(op, v) == sigmoid.getInput();
    });
    if (!match || match->second.getType() != op.getType())
      return failure();
    rewriter.replaceOpWithNewOp<SiluOp>(op, match->second);
    return success();
  }
};

} // namespace

void recognize::populateActivationPatterns(RewritePatternSet &patterns) {
  MLIRContext *context = patterns.getContext();
  // x · 0.5 · (1 + erf(x / √2))
  patterns.add<RecognizeGelu<ErfOp>>(context, isScaledBySqrtHalf, "none");
  // x · 0.5 · (1 + tanh(√(2/π) · (x + 0.044715 · x³)))
  patterns.add<RecognizeGelu<TanhOp>>(context, isTanhGeluArgument, "tanh");
  patterns.add<RecognizeSilu>(context);
}
