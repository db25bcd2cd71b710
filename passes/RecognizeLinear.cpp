//===- RecognizeLinear.cpp - matmul with a constant weight -> linear ------===//

#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Matchers.h"
#include "passes/RecognizeInternals.h"

using namespace mlir;
using namespace qcc;
using namespace qcc::recognize;

/// The raw bytes of a constant weight, or an empty range when the constant is
/// a splat (whose bytes do not describe every element).
static ArrayRef<char> rawBytes(ElementsAttr attr) {
  if (auto resource = dyn_cast<DenseResourceElementsAttr>(attr)) {
    AsmResourceBlob *blob = resource.getRawHandle().getBlob();
    return blob ? blob->getData() : ArrayRef<char>();
  }
  auto dense = cast<DenseElementsAttr>(attr);
  return dense.isSplat() ? ArrayRef<char>() : dense.getRawData();
}

/// The name hint of a weight for its transposed copy.
static std::string weightName(ElementsAttr attr) {
  if (auto resource = dyn_cast<DenseResourceElementsAttr>(attr))
    return (resource.getRawHandle().getKey() + ".nk").str();
  return "weight.nk";
}

/// Transposes a constant [K, N] weight into [N, K]. Splats and inline dense
/// constants stay inline; resource weights get a new resource blob.
static Value transposeWeight(PatternRewriter &rewriter, Location loc,
                             ElementsAttr weight) {
  auto type = cast<RankedTensorType>(weight.getType());
  int64_t k = type.getDimSize(0), n = type.getDimSize(1);
  auto transposedType = RankedTensorType::get({n, k}, type.getElementType());
  if (auto dense = dyn_cast<DenseElementsAttr>(weight);
      dense && dense.isSplat())
    return arith::ConstantOp::create(rewriter, loc,
                                     dense.reshape(transposedType));

  ArrayRef<char> bytes = rawBytes(weight);
  size_t elementBytes = type.getElementTypeBitWidth() / 8;
  AsmResourceBlob blob =
      HeapAsmResourceBlob::allocate(bytes.size(), elementBytes);
  MutableArrayRef<char> out = blob.getMutableData();
  for (int64_t row = 0; row < k; ++row)
    for (int64_t col = 0; col < n; ++col)
      std::memcpy(&out[(col * k + row) * elementBytes],
                  &bytes[(row * n + col) * elementBytes], elementBytes);
  auto attr = DenseResourceElementsAttr::get(transposedType, weightName(weight),
                                             std::move(blob));
  return arith::ConstantOp::create(rewriter, loc, attr);
}

/// Frees the blob of a [K, N] weight that has just been transposed when this
/// matmul was its only user, so that a model's weights are held once rather
/// than twice while linears are recognised. The dead constant is erased by
/// the rewrite driver.
static void releaseIfLastUse(Value weight, ElementsAttr attr) {
  auto resource = dyn_cast<DenseResourceElementsAttr>(attr);
  if (resource && weight.hasOneUse())
    resource.getRawHandle().getResource()->setBlob(AsmResourceBlob());
}

/// A constant weight usable by `linear`: rank 2, float, whole bytes per
/// element, and (when it must be transposed) with its bytes available.
static bool isLinearWeight(ElementsAttr attr, bool needsBytes) {
  auto type = dyn_cast<RankedTensorType>(attr.getType());
  if (!type || type.getRank() != 2 || !isa<FloatType>(type.getElementType()) ||
      type.getElementTypeBitWidth() % 8 || !type.hasStaticShape())
    return false;
  auto dense = dyn_cast<DenseElementsAttr>(attr);
  return !needsBytes || (dense && dense.isSplat()) || !rawBytes(attr).empty();
}

namespace {

/// matmul(x, W) with W constant [K, N] -> linear(x, Wᵀ); matmul(x,
/// transpose(W)) with W constant [N, K] (ONNX Gemm with transB) -> linear(x,
/// W) without copying the weight.
struct MatMulToLinear : OpRewritePattern<MatMulOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(MatMulOp op,
                                PatternRewriter &rewriter) const override {
    Value weight;
    ElementsAttr attr;
    auto transpose = op.getRhs().getDefiningOp<TransposeOp>();
    if (transpose && transpose.getPermutation() == ArrayRef<int64_t>{1, 0} &&
        matchPattern(transpose.getInput(), m_Constant(&attr)) &&
        isLinearWeight(attr, /*needsBytes=*/false)) {
      weight = transpose.getInput();
    } else if (matchPattern(op.getRhs(), m_Constant(&attr)) &&
               isLinearWeight(attr, /*needsBytes=*/true)) {
      weight = transposeWeight(rewriter, op.getRhs().getLoc(), attr);
      releaseIfLastUse(op.getRhs(), attr);
    } else {
      return failure();
    }
    rewriter.replaceOpWithNewOp<LinearOp>(op, op.getLhs(), weight, Value());
    return success();
  }
};

/// linear(x, W) + b with b a constant [N] (or [1, ..., 1, N]) -> linear(x, W,
/// b).
struct FoldBiasIntoLinear : OpRewritePattern<AddOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(AddOp op,
                                PatternRewriter &rewriter) const override {
    auto match = matchEitherOrder(op, [](Value value) {
      auto linear = value.getDefiningOp<LinearOp>();
      return linear && !linear.getBias() && linear->hasOneUse();
    });
    if (!match)
      return failure();
    auto linear = match->first.getDefiningOp<LinearOp>();
    Value bias = match->second;
    auto biasType = cast<RankedTensorType>(bias.getType());
    int64_t n = linear.getWeight().getType().getDimSize(0);
    if (!matchPattern(bias, m_Constant()) || !biasType.hasStaticShape() ||
        biasType.getNumElements() != n || biasType.getShape().back() != n ||
        biasType.getRank() > linear.getType().getRank() ||
        biasType.getElementType() != linear.getType().getElementType())
      return failure();
    if (biasType.getRank() != 1) {
      auto flat = RankedTensorType::get({n}, biasType.getElementType());
      SmallVector<int64_t> squeezed;
      for (int64_t axis = 0; axis + 1 < biasType.getRank(); ++axis)
        squeezed.push_back(axis);
      bias =
          rewriter.createOrFold<SqueezeOp>(bias.getLoc(), flat, bias, squeezed);
      if (!matchPattern(bias, m_Constant()))
        return failure();
    }
    // The linear keeps both ONNX node names (MatMul and Add) as its location.
    auto fused = LinearOp::create(
        rewriter, rewriter.getFusedLoc({linear.getLoc(), op.getLoc()}),
        linear.getInput(), linear.getWeight(), bias);
    rewriter.replaceOp(op, fused.getResult());
    rewriter.eraseOp(linear);
    return success();
  }
};

} // namespace

void recognize::populateLinearPatterns(RewritePatternSet &patterns) {
  patterns.add<MatMulToLinear, FoldBiasIntoLinear>(patterns.getContext());
}
