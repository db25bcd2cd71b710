//===- RecognizeAttention.cpp - rotary embedding and attention -> ops -----===//

#include "mlir/IR/Matchers.h"
#include "passes/RecognizeInternals.h"

using namespace mlir;
using namespace qcc;
using namespace qcc::recognize;

/// Whether `value` is a unit-stride slice of `x` along its last axis from
/// `start` to `end` (ends past the dimension count as the dimension).
static bool isLastAxisSlice(Value value, Value &x, int64_t start, int64_t end) {
  auto slice = value.getDefiningOp<SliceOp>();
  if (!slice || slice.getAxes().size() != 1)
    return false;
  x = slice.getInput();
  int64_t rank = slice.getInput().getType().getRank();
  int64_t size = slice.getInput().getType().getShape().back();
  int64_t axis = slice.getAxes().front();
  DenseIntElementsAttr starts, ends, steps;
  if ((axis != -1 && axis != rank - 1) ||
      !matchPattern(slice.getStarts(), m_Constant(&starts)) ||
      !matchPattern(slice.getEnds(), m_Constant(&ends)) ||
      !matchPattern(slice.getSteps(), m_Constant(&steps)))
    return false;
  int64_t sliceEnd = (*ends.value_begin<APInt>()).getSExtValue();
  return (*starts.value_begin<APInt>()).getSExtValue() == start &&
         std::min(sliceEnd, size) == end &&
         (*steps.value_begin<APInt>()).getSExtValue() == 1;
}

/// Whether `value` is concat(-x[..., D/2:], x[..., :D/2]); sets `x`.
static bool isRotateHalf(Value value, Value &x) {
  auto concat = value.getDefiningOp<ConcatOp>();
  if (!concat || concat.getInputs().size() != 2)
    return false;
  int64_t rank = concat.getType().getRank();
  if (concat.getAxis() != -1 && concat.getAxis() != rank - 1)
    return false;
  auto neg = concat.getInputs()[0].getDefiningOp<NegOp>();
  int64_t depth = concat.getType().getShape().back();
  if (!neg || ShapedType::isDynamic(depth) || depth % 2)
    return false;
  Value upper, lower;
  return isLastAxisSlice(neg.getInput(), upper, depth / 2, depth) &&
         isLastAxisSlice(concat.getInputs()[1], lower, 0, depth / 2) &&
         upper == lower && (x = upper);
}

/// Looks through grouped-query head repetition,
/// reshape(expand(unsqueeze(x, 2), [B, Hkv, n, T, D]), [B, Hkv·n, T, D]),
/// returning the [B, Hkv, T, D] tensor (or `value` when it is not repeated).
static Value lookThroughRepeatedHeads(Value value) {
  auto reshape = value.getDefiningOp<ReshapeOp>();
  auto expand =
      reshape ? reshape.getInput().getDefiningOp<ExpandOp>() : nullptr;
  auto unsqueeze =
      expand ? expand.getInput().getDefiningOp<UnsqueezeOp>() : nullptr;
  if (!unsqueeze || unsqueeze.getAxes() != ArrayRef<int64_t>{2})
    return value;
  auto source = cast<RankedTensorType>(unsqueeze.getInput().getType());
  ArrayRef<int64_t> expanded = expand.getType().getShape();
  ArrayRef<int64_t> result = reshape.getType().getShape();
  if (source.getRank() != 4 || expanded.size() != 5 || result.size() != 4 ||
      ShapedType::isDynamic(expanded[1]) ||
      ShapedType::isDynamic(expanded[2]) ||
      expanded[1] != source.getDimSize(1) ||
      result[1] != expanded[1] * expanded[2] ||
      result[3] != source.getDimSize(3))
    return value;
  return unsqueeze.getInput();
}

/// The key [B, H, T, D] of attention scores q · kᵀ, given a rank-4 kᵀ: the
/// operand of a transpose that swaps the last two dimensions, else a new
/// detached transpose (composed with a transpose that produced kᵀ, as
/// `permute(0, 2, 3, 1)` exports do) that the caller must insert or destroy.
static std::pair<Value, TransposeOp> transposeKey(Value keyT) {
  SmallVector<int64_t> permutation = {0, 1, 3, 2};
  Value source = keyT;
  if (auto transpose = keyT.getDefiningOp<TransposeOp>()) {
    ArrayRef<int64_t> inner = transpose.getPermutation();
    permutation = {inner[0], inner[1], inner[3], inner[2]};
    source = transpose.getInput();
  }
  if (llvm::equal(permutation, llvm::seq<int64_t>(0, 4)))
    return {source, nullptr};
  OpBuilder detached(keyT.getContext());
  auto created =
      TransposeOp::create(detached, keyT.getLoc(), source, permutation);
  return {created.getResult(), created};
}

namespace {

/// x · cos + rotate_half(x) · sin -> rotary(x, cos, sin).
struct RecognizeRotary : OpRewritePattern<AddOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(AddOp op,
                                PatternRewriter &rewriter) const override {
    for (auto [direct, rotated] : {std::pair(op.getLhs(), op.getRhs()),
                                   std::pair(op.getRhs(), op.getLhs())}) {
      auto rotatedMul = rotated.getDefiningOp<MulOp>();
      auto directMul = direct.getDefiningOp<MulOp>();
      if (!rotatedMul || !directMul)
        continue;
      Value x;
      auto halves = matchEitherOrder(
          rotatedMul, [&](Value v) { return isRotateHalf(v, x); });
      if (!halves)
        continue;
      Value sin = halves->second;
      Value cos = otherOperand(directMul, x);
      if (!cos || cos.getType() != sin.getType() || x.getType() != op.getType())
        continue;
      auto rotary = buildIfValid<RotaryOp>(getContext(), op.getLoc(),
                                           op.getType(), x, cos, sin);
      if (!rotary)
        continue;
      rewriter.insert(rotary);
      rewriter.replaceOp(op, rotary.getResult());
      return success();
    }
    return failure();
  }
};

/// softmax(q · kᵀ · scale ⊕ mask) · v -> attention(q, k, v, mask).
struct RecognizeAttention : OpRewritePattern<MatMulOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(MatMulOp op,
                                PatternRewriter &rewriter) const override {
    auto softmax = op.getLhs().getDefiningOp<SoftmaxOp>();
    if (!softmax || op.getType().getRank() != 4 ||
        (softmax.getAxis() != -1 && softmax.getAxis() != 3))
      return failure();

    Value scores = softmax.getInput();
    Value mask;
    std::optional<FloatAttr> maskedValue;
    if (auto where = scores.getDefiningOp<WhereOp>()) {
      std::optional<double> fill = getScalarConstant(where.getOnFalse());
      if (!fill)
        return failure();
      mask = where.getCondition();
      maskedValue = rewriter.getF32FloatAttr(*fill);
      scores = where.getOnTrue();
    } else if (auto add = scores.getDefiningOp<AddOp>()) {
      auto match = matchEitherOrder(add, [](Value v) {
        return v.getDefiningOp<MatMulOp>() || v.getDefiningOp<MulOp>() ||
               v.getDefiningOp<DivOp>();
      });
      if (!match)
        return failure();
      scores = match->first;
      mask = match->second;
    }

    double scale = 1.0;
    if (auto mul = scores.getDefiningOp<MulOp>()) {
      auto match = matchEitherOrder(
          mul, [](Value v) { return getScalarConstant(v).has_value(); });
      if (!match)
        return failure();
      scale = *getScalarConstant(match->first);
      scores = match->second;
    } else if (auto div = scores.getDefiningOp<DivOp>()) {
      std::optional<double> divisor = getScalarConstant(div.getRhs());
      if (!divisor || *divisor == 0.0)
        return failure();
      scale = 1.0 / *divisor;
      scores = div.getLhs();
    }

    auto qk = scores.getDefiningOp<MatMulOp>();
    if (!qk || qk.getRhs().getType().getRank() != 4)
      return failure();
    Value query = qk.getLhs();
    auto [keyValue, keyTranspose] = transposeKey(qk.getRhs());
    Value key = lookThroughRepeatedHeads(keyValue);
    Value value = lookThroughRepeatedHeads(op.getRhs());
    auto attention = buildIfValid<AttentionOp>(
        getContext(), op.getLoc(), op.getType(), query, key, value, mask,
        rewriter.getF32FloatAttr(scale),
        maskedValue ? *maskedValue : FloatAttr());
    if (!attention) {
      if (keyTranspose)
        keyTranspose->destroy();
      return failure();
    }
    if (keyTranspose)
      rewriter.insert(keyTranspose);
    rewriter.insert(attention);
    rewriter.replaceOp(op, attention.getResult());
    return success();
  }
};

} // namespace

void recognize::populateAttentionPatterns(RewritePatternSet &patterns) {
  patterns.add<RecognizeRotary, RecognizeAttention>(patterns.getContext());
}
