//===- RecognizeNorms.cpp - decomposed RMSNorm / LayerNorm -> norm ops ----===//

#include "mlir/IR/Matchers.h"
#include "passes/RecognizeInternals.h"

using namespace mlir;
using namespace qcc;
using namespace qcc::recognize;

/// Whether `value` is x² as pow(x, 2) or x · x; sets `x`.
static bool isSquareOf(Value value, Value &x) {
  if (auto pow = value.getDefiningOp<PowOp>()) {
    x = pow.getLhs();
    return isScalarConstant(pow.getRhs(), 2.0);
  }
  if (auto mul = value.getDefiningOp<MulOp>()) {
    x = mul.getLhs();
    return mul.getLhs() == mul.getRhs();
  }
  return false;
}

/// Whether `value` is a mean over the last axis (keepdims) of `input`.
static bool isMeanOverLastAxis(Value value, Value &input) {
  auto mean = value.getDefiningOp<ReduceMeanOp>();
  if (!mean || !mean.getKeepdims() || mean.getAxes().size() != 1)
    return false;
  int64_t rank = mean.getInput().getType().getRank();
  int64_t axis = mean.getAxes().front();
  input = mean.getInput();
  return axis == -1 || axis == rank - 1;
}

/// Whether `value` is sqrt(mean(square) + ε) with the mean over the last axis
/// of `squared`; sets `squared` and `epsilon`.
static bool isRootMeanPlusEpsilon(Value value, Value &squared,
                                  double &epsilon) {
  auto sqrt = value.getDefiningOp<SqrtOp>();
  auto add = sqrt ? sqrt.getInput().getDefiningOp<AddOp>() : nullptr;
  if (!add)
    return false;
  auto match = matchEitherOrder(
      add, [](Value v) { return getScalarConstant(v).has_value(); });
  if (!match)
    return false;
  epsilon = *getScalarConstant(match->first);
  return isMeanOverLastAxis(match->second, squared);
}

/// Whether `value` is x / sqrt(mean(d²) + ε) in the div form or the
/// reciprocal form; sets `x`, `d` (the tensor squared) and `epsilon`.
static bool isNormalized(Value value, Value &x, Value &d, double &epsilon) {
  Value squared, root;
  if (auto div = value.getDefiningOp<DivOp>()) {
    x = div.getLhs();
    root = div.getRhs();
  } else if (auto mul = value.getDefiningOp<MulOp>()) {
    auto match = matchEitherOrder(mul, [](Value v) {
      return v.getDefiningOp<ReciprocalOp>() != nullptr;
    });
    if (!match)
      return false;
    x = match->second;
    root = match->first.getDefiningOp<ReciprocalOp>().getInput();
  } else {
    return false;
  }
  return isRootMeanPlusEpsilon(root, squared, epsilon) &&
         isSquareOf(squared, d);
}

/// A constant 1-D parameter of the normalized (last) dimension's size.
static bool isNormParameter(Value value, Value input) {
  auto type = dyn_cast<RankedTensorType>(value.getType());
  auto inputType = cast<RankedTensorType>(input.getType());
  return matchPattern(value, m_Constant()) && type && type.getRank() == 1 &&
         type.getElementType() == inputType.getElementType() &&
         type.getDimSize(0) == inputType.getShape().back();
}

namespace {

/// Whether `value` is x - mean(x) over the last axis: what a layer norm
/// normalizes, so that its RMS normalization is left to RecognizeLayerNorm.
static bool isCentered(Value value) {
  auto sub = value.getDefiningOp<SubOp>();
  Value meanInput;
  return sub && isMeanOverLastAxis(sub.getRhs(), meanInput) &&
         meanInput == sub.getLhs();
}

/// normalize(x) · w with normalize in the div or reciprocal form -> rms_norm.
struct RecognizeRmsNorm : OpRewritePattern<MulOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(MulOp op,
                                PatternRewriter &rewriter) const override {
    for (auto [normalized, weight] : {std::pair(op.getLhs(), op.getRhs()),
                                      std::pair(op.getRhs(), op.getLhs())}) {
      Value x, squaredInput;
      double epsilon;
      if (!isNormalized(normalized, x, squaredInput, epsilon) ||
          squaredInput != x || isCentered(x) || !isNormParameter(weight, x) ||
          x.getType() != op.getType())
        continue;
      rewriter.replaceOpWithNewOp<RmsNormOp>(op, op.getType(), x, weight,
                                             rewriter.getF32FloatAttr(epsilon));
      return success();
    }
    return failure();
  }
};

/// (x - mean(x)) / sqrt(mean((x - mean(x))²) + ε) [· γ [+ β]] -> layer_norm.
struct RecognizeLayerNorm : OpRewritePattern<DivOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(DivOp op,
                                PatternRewriter &rewriter) const override {
    Value centered, squaredInput, x;
    double epsilon;
    if (!isNormalized(op.getResult(), centered, squaredInput, epsilon) ||
        squaredInput != centered)
      return failure();
    if (!isCentered(centered))
      return failure();
    x = centered.getDefiningOp<SubOp>().getLhs();
    auto type = cast<RankedTensorType>(x.getType());
    if (type != op.getType())
      return failure();

    Operation *replaced = op;
    Value scale, bias;
    if (auto mul = dyn_cast_or_null<MulOp>(singleUser(op.getResult()))) {
      Value gamma = otherOperand(mul, op.getResult());
      if (isNormParameter(gamma, x) && mul.getType() == type) {
        scale = gamma;
        replaced = mul;
        if (auto add = dyn_cast_or_null<AddOp>(singleUser(mul.getResult()))) {
          Value beta = otherOperand(add, mul.getResult());
          if (isNormParameter(beta, x) && add.getType() == type) {
            bias = beta;
            replaced = add;
          }
        }
      }
    }
    rewriter.setInsertionPoint(replaced);
    if (!scale) {
      auto paramType = RankedTensorType::get({type.getShape().back()},
                                             type.getElementType());
      scale = arith::ConstantOp::create(
          rewriter, op.getLoc(),
          DenseElementsAttr::get(
              paramType, rewriter.getFloatAttr(type.getElementType(), 1.0)));
    }
    rewriter.replaceOpWithNewOp<LayerNormOp>(replaced, type, x, scale, bias,
                                             rewriter.getI64IntegerAttr(-1),
                                             rewriter.getF32FloatAttr(epsilon));
    return success();
  }
};

} // namespace

void recognize::populateNormPatterns(RewritePatternSet &patterns) {
  patterns.add<RecognizeRmsNorm, RecognizeLayerNorm>(patterns.getContext());
}
