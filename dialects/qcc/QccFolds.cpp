//===- QccFolds.cpp - qcc folders and canonicalization patterns -----------===//
//
// Folding evaluates the shape arithmetic of ONNX exports (Shape, Gather,
// Concat, Unsqueeze, ...) wherever the dimensions are static, so that
// reshapes and slices get static result types. Only inline `dense` constants
// of at most kMaxFoldedElements elements are evaluated: weights stay untouched.
//
//===----------------------------------------------------------------------===//

#include "dialects/qcc/QccOps.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include <cmath>

using namespace mlir;
using namespace qcc;

static constexpr int64_t kMaxFoldedElements = 4096;

/// A foldable constant operand: an inline dense attribute of bounded size.
static DenseElementsAttr foldable(Attribute attr) {
  auto dense = dyn_cast_or_null<DenseElementsAttr>(attr);
  if (!dense || dense.getNumElements() > kMaxFoldedElements)
    return nullptr;
  return dense;
}

/// The element of `attr` at flat index `i` of a result with `resultShape`,
/// broadcasting `attr` as ONNX does.
template <typename T>
static T broadcastElement(DenseElementsAttr attr, ArrayRef<int64_t> resultShape,
                          int64_t i) {
  if (attr.isSplat())
    return attr.getSplatValue<T>();
  ArrayRef<int64_t> shape = attr.getType().getShape();
  int64_t offset = 0, stride = 1;
  for (int64_t dim = resultShape.size() - 1, src = shape.size() - 1; dim >= 0;
       --dim, --src) {
    int64_t index = i % resultShape[dim];
    i /= resultShape[dim];
    if (src < 0)
      continue;
    if (shape[src] != 1)
      offset += index * stride;
    stride *= shape[src];
  }
  return *(attr.value_begin<T>() + offset);
}

/// Folds an elementwise op over constant operands into a constant of
/// `resultType`; `intFn` and `floatFn` compute one element (either may be
/// null when the op has no meaning for that element type).
static Attribute foldElementwise(
    ArrayRef<Attribute> operands, Type resultType,
    function_ref<std::optional<APInt>(ArrayRef<APInt>)> intFn,
    function_ref<std::optional<APFloat>(ArrayRef<APFloat>)> floatFn) {
  auto type = dyn_cast<RankedTensorType>(resultType);
  if (!type || !type.hasStaticShape() ||
      type.getNumElements() > kMaxFoldedElements)
    return {};
  SmallVector<DenseElementsAttr> inputs;
  for (Attribute operand : operands) {
    DenseElementsAttr dense = foldable(operand);
    if (!dense)
      return {};
    inputs.push_back(dense);
  }
  bool isFloat = isa<FloatType>(inputs.back().getElementType());
  if ((isFloat && !floatFn) || (!isFloat && !intFn))
    return {};
  Type elementType = type.getElementType();
  SmallVector<Attribute> values;
  for (int64_t i = 0; i < type.getNumElements(); ++i) {
    if (isFloat) {
      SmallVector<APFloat> args;
      for (DenseElementsAttr input : inputs)
        args.push_back(broadcastElement<APFloat>(input, type.getShape(), i));
      std::optional<APFloat> value = floatFn(args);
      if (!value)
        return {};
      values.push_back(
          isa<FloatType>(elementType)
              ? Attribute(FloatAttr::get(elementType, *value))
              : IntegerAttr::get(elementType, value->isZero() ? 0 : 1));
    } else {
      SmallVector<APInt> args;
      for (DenseElementsAttr input : inputs)
        args.push_back(broadcastElement<APInt>(input, type.getShape(), i));
      std::optional<APInt> value = intFn(args);
      if (!value)
        return {};
      values.push_back(IntegerAttr::get(elementType, *value));
    }
  }
  return DenseElementsAttr::get(type, values);
}

static APInt boolean(bool value) { return APInt(1, value ? 1 : 0); }

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

OpFoldResult AddOp::fold(FoldAdaptor adaptor) {
  return foldElementwise(
      adaptor.getOperands(), getType(),
      [](ArrayRef<APInt> a) -> std::optional<APInt> { return a[0] + a[1]; },
      [](ArrayRef<APFloat> a) -> std::optional<APFloat> {
        return a[0] + a[1];
      });
}

OpFoldResult SubOp::fold(FoldAdaptor adaptor) {
  return foldElementwise(
      adaptor.getOperands(), getType(),
      [](ArrayRef<APInt> a) -> std::optional<APInt> { return a[0] - a[1]; },
      [](ArrayRef<APFloat> a) -> std::optional<APFloat> {
        return a[0] - a[1];
      });
}

OpFoldResult MulOp::fold(FoldAdaptor adaptor) {
  return foldElementwise(
      adaptor.getOperands(), getType(),
      [](ArrayRef<APInt> a) -> std::optional<APInt> { return a[0] * a[1]; },
      [](ArrayRef<APFloat> a) -> std::optional<APFloat> {
        return a[0] * a[1];
      });
}

OpFoldResult DivOp::fold(FoldAdaptor adaptor) {
  return foldElementwise(
      adaptor.getOperands(), getType(),
      [](ArrayRef<APInt> a) -> std::optional<APInt> {
        if (a[1].isZero())
          return std::nullopt;
        return a[0].sdiv(a[1]);
      },
      [](ArrayRef<APFloat> a) -> std::optional<APFloat> {
        return a[0] / a[1];
      });
}

OpFoldResult PowOp::fold(FoldAdaptor adaptor) {
  return foldElementwise(
      adaptor.getOperands(), getType(), nullptr,
      [](ArrayRef<APFloat> a) -> std::optional<APFloat> {
        if (&a[0].getSemantics() != &APFloat::IEEEsingle())
          return std::nullopt;
        return APFloat(std::pow(a[0].convertToFloat(), a[1].convertToFloat()));
      });
}

OpFoldResult MaxOp::fold(FoldAdaptor adaptor) {
  return foldElementwise(
      adaptor.getOperands(), getType(),
      [](ArrayRef<APInt> a) -> std::optional<APInt> {
        return a[0].sgt(a[1]) ? a[0] : a[1];
      },
      [](ArrayRef<APFloat> a) -> std::optional<APFloat> {
        return maximum(a[0], a[1]);
      });
}

OpFoldResult MinOp::fold(FoldAdaptor adaptor) {
  return foldElementwise(
      adaptor.getOperands(), getType(),
      [](ArrayRef<APInt> a) -> std::optional<APInt> {
        return a[0].slt(a[1]) ? a[0] : a[1];
      },
      [](ArrayRef<APFloat> a) -> std::optional<APFloat> {
        return minimum(a[0], a[1]);
      });
}

OpFoldResult EqualOp::fold(FoldAdaptor adaptor) {
  return foldElementwise(
      adaptor.getOperands(), getType(),
      [](ArrayRef<APInt> a) -> std::optional<APInt> {
        return boolean(a[0] == a[1]);
      },
      nullptr);
}

OpFoldResult LessOp::fold(FoldAdaptor adaptor) {
  return foldElementwise(
      adaptor.getOperands(), getType(),
      [](ArrayRef<APInt> a) -> std::optional<APInt> {
        return boolean(a[0].slt(a[1]));
      },
      nullptr);
}

OpFoldResult GreaterOp::fold(FoldAdaptor adaptor) {
  return foldElementwise(
      adaptor.getOperands(), getType(),
      [](ArrayRef<APInt> a) -> std::optional<APInt> {
        return boolean(a[0].sgt(a[1]));
      },
      nullptr);
}

OpFoldResult NegOp::fold(FoldAdaptor adaptor) {
  return foldElementwise(
      adaptor.getOperands(), getType(),
      [](ArrayRef<APInt> a) -> std::optional<APInt> { return -a[0]; },
      [](ArrayRef<APFloat> a) -> std::optional<APFloat> { return -a[0]; });
}

OpFoldResult WhereOp::fold(FoldAdaptor adaptor) {
  auto type = getType();
  DenseElementsAttr condition = foldable(adaptor.getCondition());
  DenseElementsAttr onTrue = foldable(adaptor.getOnTrue());
  DenseElementsAttr onFalse = foldable(adaptor.getOnFalse());
  if (condition && condition.isSplat() &&
      getOnTrue().getType() == getOnFalse().getType() &&
      getOnTrue().getType() == type)
    return condition.getSplatValue<bool>() ? getOnTrue() : getOnFalse();
  if (!condition || !onTrue || !onFalse || !type.hasStaticShape() ||
      type.getNumElements() > kMaxFoldedElements)
    return {};
  SmallVector<Attribute> values;
  for (int64_t i = 0; i < type.getNumElements(); ++i) {
    bool pick = broadcastElement<bool>(condition, type.getShape(), i);
    values.push_back(broadcastElement<Attribute>(pick ? onTrue : onFalse,
                                                 type.getShape(), i));
  }
  return DenseElementsAttr::get(type, values);
}

OpFoldResult CastOp::fold(FoldAdaptor adaptor) {
  if (getInput().getType() == getType())
    return getInput();
  DenseElementsAttr input = foldable(adaptor.getInput());
  Type to = getType().getElementType();
  if (!input || !getType().hasStaticShape())
    return {};
  SmallVector<Attribute> values;
  bool fromFloat = isa<FloatType>(input.getElementType());
  for (int64_t i = 0; i < input.getNumElements(); ++i) {
    if (!fromFloat) {
      APInt value = *(input.value_begin<APInt>() + i);
      bool isBool = input.getElementType().isInteger(1);
      int64_t wide = isBool ? value.getZExtValue() : value.getSExtValue();
      if (auto floatType = dyn_cast<FloatType>(to))
        values.push_back(FloatAttr::get(floatType, static_cast<double>(wide)));
      else if (to.isInteger(1))
        values.push_back(IntegerAttr::get(to, wide != 0));
      else
        values.push_back(IntegerAttr::get(to, wide));
    } else {
      double value = (*(input.value_begin<APFloat>() + i)).convertToDouble();
      if (auto floatType = dyn_cast<FloatType>(to))
        values.push_back(FloatAttr::get(floatType, value));
      else if (to.isInteger(1))
        values.push_back(IntegerAttr::get(to, value != 0));
      else
        values.push_back(IntegerAttr::get(to, static_cast<int64_t>(value)));
    }
  }
  return DenseElementsAttr::get(getType(), values);
}

//===----------------------------------------------------------------------===//
// Tensor
//===----------------------------------------------------------------------===//

OpFoldResult GatherOp::fold(FoldAdaptor adaptor) {
  DenseElementsAttr data = foldable(adaptor.getData());
  DenseElementsAttr indices = foldable(adaptor.getIndices());
  if (!data || !indices || data.getType().getRank() != 1)
    return {};
  int64_t size = data.getNumElements();
  SmallVector<Attribute> values;
  auto elements = data.getValues<Attribute>();
  for (const APInt &index : indices.getValues<APInt>()) {
    int64_t i = index.getSExtValue();
    i = i < 0 ? i + size : i;
    if (i < 0 || i >= size)
      return {};
    values.push_back(elements[i]);
  }
  return DenseElementsAttr::get(getType(), values);
}

OpFoldResult TransposeOp::fold(FoldAdaptor adaptor) {
  for (auto [index, dim] : llvm::enumerate(getPermutation()))
    if (static_cast<int64_t>(index) != dim)
      return {};
  return getInput();
}

namespace {
/// transpose(transpose(x, p1), p2) -> transpose(x, p1 ∘ p2).
struct ComposeTransposes : OpRewritePattern<TransposeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(TransposeOp op,
                                PatternRewriter &rewriter) const override {
    auto inner = op.getInput().getDefiningOp<TransposeOp>();
    if (!inner)
      return failure();
    SmallVector<int64_t> permutation;
    for (int64_t dim : op.getPermutation())
      permutation.push_back(inner.getPermutation()[dim]);
    rewriter.replaceOpWithNewOp<TransposeOp>(op, inner.getInput(), permutation);
    return success();
  }
};
} // namespace

void TransposeOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                              MLIRContext *context) {
  results.add<ComposeTransposes>(context);
}

/// Folds a shape-only change of a constant, or of a value already of the
/// result type.
static OpFoldResult foldReshapeLike(Value input, Attribute constant,
                                    RankedTensorType resultType) {
  if (input.getType() == resultType && resultType.hasStaticShape())
    return input;
  DenseElementsAttr dense = foldable(constant);
  if (dense && resultType.hasStaticShape())
    return dense.reshape(resultType);
  return {};
}

OpFoldResult ReshapeOp::fold(FoldAdaptor adaptor) {
  return foldReshapeLike(getInput(), adaptor.getInput(), getType());
}

OpFoldResult SqueezeOp::fold(FoldAdaptor adaptor) {
  return foldReshapeLike(getInput(), adaptor.getInput(), getType());
}

OpFoldResult UnsqueezeOp::fold(FoldAdaptor adaptor) {
  return foldReshapeLike(getInput(), adaptor.getInput(), getType());
}

OpFoldResult ExpandOp::fold(FoldAdaptor adaptor) {
  if (getInput().getType() == getType() && getType().hasStaticShape())
    return getInput();
  DenseElementsAttr input = foldable(adaptor.getInput());
  if (input && input.isSplat() && getType().hasStaticShape())
    return SplatElementsAttr::get(getType(), input.getSplatValue<Attribute>());
  return {};
}

OpFoldResult ConcatOp::fold(FoldAdaptor adaptor) {
  if (getInputs().size() == 1)
    return getInputs().front();
  if (getType().getRank() != 1 || !getType().hasStaticShape())
    return {};
  SmallVector<Attribute> values;
  for (Attribute operand : adaptor.getInputs()) {
    DenseElementsAttr dense = foldable(operand);
    if (!dense)
      return {};
    llvm::append_range(values, dense.getValues<Attribute>());
  }
  return DenseElementsAttr::get(getType(), values);
}

OpFoldResult SliceOp::fold(FoldAdaptor adaptor) {
  if (getInput().getType() == getType() && getType().hasStaticShape())
    return getInput();
  DenseElementsAttr input = foldable(adaptor.getInput());
  DenseElementsAttr starts = foldable(adaptor.getStarts());
  DenseElementsAttr steps = foldable(adaptor.getSteps());
  if (!input || !starts || !steps || input.getType().getRank() != 1 ||
      !getType().hasStaticShape())
    return {};
  int64_t size = input.getNumElements();
  int64_t start = (*starts.value_begin<APInt>()).getSExtValue();
  int64_t step = (*steps.value_begin<APInt>()).getSExtValue();
  if (step == 0)
    return {};
  start = start < 0 ? start + size : start;
  start = step > 0 ? std::clamp<int64_t>(start, 0, size)
                   : std::clamp<int64_t>(start, -1, size - 1);
  SmallVector<Attribute> values;
  auto elements = input.getValues<Attribute>();
  for (int64_t i = 0; i < getType().getNumElements(); ++i) {
    int64_t index = start + i * step;
    if (index < 0 || index >= size)
      return {};
    values.push_back(elements[index]);
  }
  return DenseElementsAttr::get(getType(), values);
}

OpFoldResult ShapeOp::fold(FoldAdaptor) {
  std::optional<SmallVector<int64_t>> dims = getKnownShapeValues(getResult());
  if (!dims || llvm::any_of(*dims, ShapedType::isDynamic))
    return {};
  return DenseIntElementsAttr::get(getType(), ArrayRef<int64_t>(*dims));
}

OpFoldResult ConstantOfShapeOp::fold(FoldAdaptor) {
  if (!getType().hasStaticShape() ||
      getType().getNumElements() > kMaxFoldedElements)
    return {};
  return SplatElementsAttr::get(getType(), getValue());
}

OpFoldResult RangeOp::fold(FoldAdaptor adaptor) {
  if (!getType().hasStaticShape())
    return {};
  DenseElementsAttr start = foldable(adaptor.getStart());
  DenseElementsAttr delta = foldable(adaptor.getDelta());
  if (!start || !delta)
    return {};
  Type elementType = getType().getElementType();
  SmallVector<Attribute> values;
  for (int64_t i = 0; i < getType().getNumElements(); ++i) {
    if (isa<FloatType>(elementType)) {
      double first = start.getSplatValue<APFloat>().convertToDouble();
      double step = delta.getSplatValue<APFloat>().convertToDouble();
      values.push_back(FloatAttr::get(elementType, first + i * step));
    } else {
      int64_t first = start.getSplatValue<APInt>().getSExtValue();
      int64_t step = delta.getSplatValue<APInt>().getSExtValue();
      values.push_back(IntegerAttr::get(elementType, first + i * step));
    }
  }
  return DenseElementsAttr::get(getType(), values);
}
