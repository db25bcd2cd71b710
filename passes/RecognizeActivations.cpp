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
    auto match = matchEitherOrder(mul, [](Value v) {
      return isScalarConstant(v, std::sqrt(0.5));
    });
    x = match ? match->second : Value();
    return match.has_value();
  }
  return false;
}

namespace {

/// x · 0.5 · (1 + erf(x / √2)), in any association of the two products,
/// -> gelu(x).
struct RecognizeErfGelu : OpRewritePattern<ErfOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ErfOp erf,
                                PatternRewriter &rewriter) const override {
    Value x;
    if (!isScaledBySqrtHalf(erf.getInput(), x) || x.getType() != erf.getType())
      return failure();
    auto add = dyn_cast_or_null<AddOp>(singleUser(erf.getResult()));
    if (!add || !isScalarConstant(otherOperand(add, erf.getResult()), 1.0))
      return failure();
    auto mul = dyn_cast_or_null<MulOp>(singleUser(add.getResult()));
    if (!mul || mul.getType() != x.getType())
      return failure();
    Value other = otherOperand(mul, add.getResult());
    auto isHalf = [](Value v) { return isScalarConstant(v, 0.5); };
    Operation *replaced = nullptr;
    if (auto half = other.getDefiningOp<MulOp>();
        half && matchEitherOrder(half, isHalf) &&
        otherOperand(half, matchEitherOrder(half, isHalf)->first) == x) {
      replaced = mul;
    } else if (other == x || isHalf(other)) {
      auto outer = dyn_cast_or_null<MulOp>(singleUser(mul.getResult()));
      Value last = outer ? otherOperand(outer, mul.getResult()) : Value();
      if (last && ((other == x && isHalf(last)) || (isHalf(other) && last == x)))
        replaced = outer;
    }
    if (!replaced)
      return failure();
    rewriter.replaceOpWithNewOp<GeluOp>(replaced, x, "none");
    return success();
  }
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
  patterns.add<RecognizeErfGelu, RecognizeSilu>(patterns.getContext());
}
