//===- QccOps.cpp - qcc op verifiers and type inference -------------------===//

#include "dialects/qcc/QccOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/OpImplementation.h"

using namespace mlir;
using namespace qcc;

static RankedTensorType rankedType(Value value) {
  return cast<RankedTensorType>(value.getType());
}

/// Emits at `location` (if any) and fails; for inferReturnTypes.
template <typename... Args>
static LogicalResult fail(std::optional<Location> location, Args &&...args) {
  return emitOptionalError(location, std::forward<Args>(args)...);
}

/// Whether two sizes can describe the same dimension.
static bool compatible(int64_t a, int64_t b) {
  return ShapedType::isDynamic(a) || ShapedType::isDynamic(b) || a == b;
}

/// Normalizes `axes` against `rank`; fails on an axis out of range or repeated.
static FailureOr<SmallVector<int64_t>>
normalizeAxes(std::optional<Location> location, ArrayRef<int64_t> axes,
              int64_t rank) {
  SmallVector<int64_t> result;
  for (int64_t axis : axes) {
    FailureOr<int64_t> normalized = normalizeAxis(axis, rank);
    if (failed(normalized))
      return fail(location, "axis ", axis, " is out of range for rank ", rank);
    if (llvm::is_contained(result, *normalized))
      return fail(location, "axis ", axis, " is repeated");
    result.push_back(*normalized);
  }
  return result;
}

static LogicalResult inferReduceType(std::optional<Location> location,
                                     Value input, ArrayRef<int64_t> axes,
                                     bool keepdims,
                                     SmallVectorImpl<Type> &types) {
  RankedTensorType type = rankedType(input);
  FailureOr<SmallVector<int64_t>> reduced =
      normalizeAxes(location, axes, type.getRank());
  if (failed(reduced))
    return failure();
  SmallVector<int64_t> shape;
  for (auto [dim, size] : llvm::enumerate(type.getShape())) {
    bool isReduced = reduced->empty() || llvm::is_contained(*reduced, dim);
    if (!isReduced)
      shape.push_back(size);
    else if (keepdims)
      shape.push_back(1);
  }
  types.push_back(RankedTensorType::get(shape, type.getElementType()));
  return success();
}

#define GET_OP_CLASSES
#include "dialects/qcc/QccOps.cpp.inc"

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

LogicalResult ClipOp::verify() {
  if (getMin() && getMax() && *getMin() > *getMax())
    return emitOpError("min ") << getMin()->convertToDouble() << " exceeds max "
                               << getMax()->convertToDouble();
  return success();
}

LogicalResult WhereOp::inferReturnTypes(MLIRContext *,
                                        std::optional<Location> location,
                                        Adaptor adaptor,
                                        SmallVectorImpl<Type> &types) {
  return inferBroadcastType(location, adaptor.getOperands(), nullptr, types);
}

LogicalResult CastOp::verify() {
  if (getInput().getType().getShape() != getResult().getType().getShape())
    return emitOpError("changes the shape from ")
           << getInput().getType() << " to " << getResult().getType();
  return success();
}

//===----------------------------------------------------------------------===//
// NN
//===----------------------------------------------------------------------===//

LogicalResult LinearOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> location,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  RankedTensorType input = rankedType(adaptor.getInput());
  RankedTensorType weight = rankedType(adaptor.getWeight());
  if (input.getRank() < 1 || weight.getRank() != 2)
    return fail(location,
                "expects an input of rank >= 1 and a weight of rank "
                "2, got ",
                input, " and ", weight);
  if (!compatible(input.getShape().back(), weight.getDimSize(1)))
    return fail(location, "input features ", input.getShape().back(),
                " do not match weight ", weight, " ([N, K])");
  if (input.getElementType() != weight.getElementType())
    return fail(location, "input and weight element types differ");
  if (Value bias = adaptor.getBias()) {
    RankedTensorType biasType = rankedType(bias);
    if (biasType.getRank() != 1 ||
        !compatible(biasType.getDimSize(0), weight.getDimSize(0)))
      return fail(location, "bias ", biasType, " does not match weight ",
                  weight);
  }
  SmallVector<int64_t> shape(input.getShape().drop_back());
  shape.push_back(weight.getDimSize(0));
  types.push_back(RankedTensorType::get(shape, input.getElementType()));
  return success();
}

LogicalResult MatMulOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> location,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  RankedTensorType lhs = rankedType(adaptor.getLhs());
  RankedTensorType rhs = rankedType(adaptor.getRhs());
  if (lhs.getRank() < 2 || rhs.getRank() < 2)
    return fail(location, "expects operands of rank >= 2, got ", lhs, " and ",
                rhs);
  if (lhs.getElementType() != rhs.getElementType())
    return fail(location, "operand element types differ");
  int64_t k = lhs.getShape().back();
  if (!compatible(k, rhs.getShape()[rhs.getRank() - 2]))
    return fail(location, "contraction sizes differ: ", lhs, " and ", rhs);
  FailureOr<SmallVector<int64_t>> batch =
      broadcastShapes(lhs.getShape().drop_back(2), rhs.getShape().drop_back(2));
  if (failed(batch))
    return fail(location, "batch dimensions do not broadcast: ", lhs, " and ",
                rhs);
  batch->push_back(lhs.getShape()[lhs.getRank() - 2]);
  batch->push_back(rhs.getShape().back());
  types.push_back(RankedTensorType::get(*batch, lhs.getElementType()));
  return success();
}

/// Verifies that a normalization parameter matches the normalized dimensions.
static LogicalResult verifyNormParameter(Operation *op, StringRef name,
                                         RankedTensorType parameter,
                                         ArrayRef<int64_t> normalized,
                                         Type elementType) {
  if (parameter.getElementType() != elementType)
    return op->emitOpError() << name << " element type differs from the input";
  if (parameter.getRank() != static_cast<int64_t>(normalized.size()) ||
      !llvm::all_of(llvm::zip(parameter.getShape(), normalized), [](auto pair) {
        return compatible(std::get<0>(pair), std::get<1>(pair));
      }))
    return op->emitOpError() << name << " " << parameter
                             << " does not match the normalized dimensions";
  return success();
}

LogicalResult LayerNormOp::verify() {
  RankedTensorType type = getInput().getType();
  FailureOr<int64_t> axis = normalizeAxis(getAxis(), type.getRank());
  if (failed(axis))
    return emitOpError("axis ") << getAxis() << " is out of range for " << type;
  ArrayRef<int64_t> normalized = type.getShape().drop_front(*axis);
  if (failed(verifyNormParameter(*this, "scale", getScale().getType(),
                                 normalized, type.getElementType())))
    return failure();
  if (getBias() &&
      failed(verifyNormParameter(*this, "bias", getBias().getType(), normalized,
                                 type.getElementType())))
    return failure();
  return success();
}

LogicalResult RmsNormOp::verify() {
  RankedTensorType type = getInput().getType();
  if (type.getRank() < 1)
    return emitOpError("expects an input of rank >= 1");
  return verifyNormParameter(*this, "scale", getScale().getType(),
                             type.getShape().take_back(),
                             type.getElementType());
}

LogicalResult SoftmaxOp::verify() {
  if (failed(normalizeAxis(getAxis(), getInput().getType().getRank())))
    return emitOpError("axis ")
           << getAxis() << " is out of range for " << getInput().getType();
  return success();
}

LogicalResult GeluOp::verify() {
  if (getApproximate() != "none" && getApproximate() != "tanh")
    return emitOpError("approximate must be \"none\" or \"tanh\", got \"")
           << getApproximate() << "\"";
  return success();
}

LogicalResult RotaryOp::verify() {
  RankedTensorType type = getInput().getType();
  if (getCos().getType() != getSin().getType())
    return emitOpError("cos and sin types differ");
  RankedTensorType table = getCos().getType();
  int64_t depth = type.getRank() ? type.getShape().back() : 0;
  if (type.getRank() < 1 || (!ShapedType::isDynamic(depth) && depth % 2))
    return emitOpError("expects a last dimension of even size, got ") << type;
  if (table.getRank() < 1 || !compatible(table.getShape().back(), depth))
    return emitOpError("cos/sin ") << table << " do not match input " << type;
  if (failed(broadcastShapes(type.getShape(), table.getShape())))
    return emitOpError("cos/sin ")
           << table << " do not broadcast against input " << type;
  return success();
}

LogicalResult AttentionOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> location,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &types) {
  RankedTensorType q = rankedType(adaptor.getQuery());
  RankedTensorType k = rankedType(adaptor.getKey());
  RankedTensorType v = rankedType(adaptor.getValue());
  if (q.getRank() != 4 || k.getRank() != 4 || v.getRank() != 4)
    return fail(location, "expects rank-4 [B, H, S, D] query, key and value");
  types.push_back(RankedTensorType::get(
      {q.getDimSize(0), q.getDimSize(1), q.getDimSize(2), v.getDimSize(3)},
      q.getElementType()));
  return success();
}

LogicalResult AttentionOp::verify() {
  ArrayRef<int64_t> q = getQuery().getType().getShape();
  ArrayRef<int64_t> k = getKey().getType().getShape();
  ArrayRef<int64_t> v = getValue().getType().getShape();
  if (!compatible(q[0], k[0]) || !compatible(k[0], v[0]))
    return emitOpError("batch sizes of query, key and value differ");
  if (!compatible(q[3], k[3]))
    return emitOpError("query and key head sizes differ: ")
           << q[3] << " and " << k[3];
  if (!compatible(k[1], v[1]) || !compatible(k[2], v[2]))
    return emitOpError("key and value disagree on heads or sequence length");
  if (!ShapedType::isDynamic(q[1]) && !ShapedType::isDynamic(k[1]) &&
      (k[1] == 0 || q[1] % k[1] != 0))
    return emitOpError("query heads ")
           << q[1] << " are not a multiple of key/value heads " << k[1];
  if (Value mask = getMask()) {
    RankedTensorType maskType = rankedType(mask);
    if (!maskType.getElementType().isInteger(1) &&
        maskType.getElementType() != getQuery().getType().getElementType())
      return emitOpError("mask must be i1 or of the query element type");
    if (maskType.getRank() > 4 ||
        failed(broadcastShapes({q[0], q[1], q[2], k[2]}, maskType.getShape())))
      return emitOpError("mask ")
             << maskType << " does not broadcast to the scores";
    if (maskType.getElementType().isInteger(1) != getMaskedValue().has_value())
      return emitOpError("masked_value is required with an i1 mask and only "
                         "then");
  } else if (getMaskedValue()) {
    return emitOpError("masked_value without a mask");
  }
  return success();
}

//===----------------------------------------------------------------------===//
// Tensor
//===----------------------------------------------------------------------===//

LogicalResult GatherOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> location,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  RankedTensorType data = rankedType(adaptor.getData());
  RankedTensorType indices = rankedType(adaptor.getIndices());
  FailureOr<int64_t> axis = normalizeAxis(adaptor.getAxis(), data.getRank());
  if (failed(axis))
    return fail(location, "axis ", adaptor.getAxis(), " is out of range for ",
                data);
  SmallVector<int64_t> shape(data.getShape().take_front(*axis));
  llvm::append_range(shape, indices.getShape());
  llvm::append_range(shape, data.getShape().drop_front(*axis + 1));
  types.push_back(RankedTensorType::get(shape, data.getElementType()));
  return success();
}

LogicalResult TransposeOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> location,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &types) {
  RankedTensorType type = rankedType(adaptor.getInput());
  ArrayRef<int64_t> permutation = adaptor.getPermutation();
  if (static_cast<int64_t>(permutation.size()) != type.getRank())
    return fail(location, "permutation has ", permutation.size(),
                " entries for rank ", type.getRank());
  SmallVector<int64_t> shape;
  SmallVector<bool> seen(type.getRank(), false);
  for (int64_t dim : permutation) {
    if (dim < 0 || dim >= type.getRank() || seen[dim])
      return fail(location, "permutation is not a permutation of [0, ",
                  type.getRank(), ")");
    seen[dim] = true;
    shape.push_back(type.getDimSize(dim));
  }
  types.push_back(RankedTensorType::get(shape, type.getElementType()));
  return success();
}

LogicalResult ReshapeOp::verify() {
  RankedTensorType input = getInput().getType();
  RankedTensorType result = getResult().getType();
  if (input.getElementType() != result.getElementType())
    return emitOpError("changes the element type");
  if (getShape().getType().getDimSize(0) != result.getRank())
    return emitOpError("shape has ")
           << getShape().getType().getDimSize(0) << " entries for result rank "
           << result.getRank();
  if (input.hasStaticShape() && result.hasStaticShape() &&
      input.getNumElements() != result.getNumElements())
    return emitOpError("changes the element count from ")
           << input.getNumElements() << " to " << result.getNumElements();
  return success();
}

LogicalResult ExpandOp::verify() {
  RankedTensorType input = getInput().getType();
  RankedTensorType result = getResult().getType();
  if (input.getElementType() != result.getElementType())
    return emitOpError("changes the element type");
  if (getShape().getType().getDimSize(0) > result.getRank() ||
      input.getRank() > result.getRank())
    return emitOpError("result rank ")
           << result.getRank() << " is lower than the input's or the shape's";
  if (failed(broadcastShapes(input.getShape(), result.getShape())))
    return emitOpError("input ")
           << input << " does not broadcast to " << result;
  return success();
}

LogicalResult ConcatOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> location,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  ValueRange inputs = adaptor.getInputs();
  if (inputs.empty())
    return fail(location, "expects at least one input");
  RankedTensorType first = rankedType(inputs.front());
  FailureOr<int64_t> axis = normalizeAxis(adaptor.getAxis(), first.getRank());
  if (failed(axis))
    return fail(location, "axis ", adaptor.getAxis(), " is out of range for ",
                first);
  SmallVector<int64_t> shape(first.getShape());
  for (Value input : inputs.drop_front()) {
    RankedTensorType type = rankedType(input);
    if (type.getRank() != first.getRank() ||
        type.getElementType() != first.getElementType())
      return fail(location, "inputs ", first, " and ", type,
                  " differ in rank or element type");
    for (int64_t dim = 0; dim < first.getRank(); ++dim) {
      int64_t size = type.getDimSize(dim);
      if (dim == *axis) {
        shape[dim] =
            ShapedType::isDynamic(shape[dim]) || ShapedType::isDynamic(size)
                ? ShapedType::kDynamic
                : shape[dim] + size;
      } else if (!compatible(shape[dim], size)) {
        return fail(location, "inputs ", first, " and ", type,
                    " differ in dimension ", dim);
      } else if (ShapedType::isDynamic(shape[dim])) {
        shape[dim] = size;
      }
    }
  }
  types.push_back(RankedTensorType::get(shape, first.getElementType()));
  return success();
}

LogicalResult SliceOp::verify() {
  RankedTensorType input = getInput().getType();
  RankedTensorType result = getResult().getType();
  if (input.getElementType() != result.getElementType() ||
      input.getRank() != result.getRank())
    return emitOpError("changes the rank or element type");
  int64_t count = getAxes().size();
  for (Value bounds : {getStarts(), getEnds(), getSteps()})
    if (rankedType(bounds).getDimSize(0) != count)
      return emitOpError("starts, ends and steps need one entry per axis (")
             << count << ")";
  if (failed(normalizeAxes(getLoc(), getAxes(), input.getRank())))
    return failure();
  for (int64_t dim = 0; dim < input.getRank(); ++dim) {
    bool sliced = llvm::any_of(getAxes(), [&](int64_t axis) {
      return axis == dim || axis + input.getRank() == dim;
    });
    if (!sliced && !compatible(input.getDimSize(dim), result.getDimSize(dim)))
      return emitOpError("changes dimension ")
             << dim << ", which is not sliced";
  }
  return success();
}

LogicalResult SqueezeOp::inferReturnTypes(MLIRContext *,
                                          std::optional<Location> location,
                                          Adaptor adaptor,
                                          SmallVectorImpl<Type> &types) {
  RankedTensorType type = rankedType(adaptor.getInput());
  FailureOr<SmallVector<int64_t>> axes =
      normalizeAxes(location, adaptor.getAxes(), type.getRank());
  if (failed(axes))
    return failure();
  SmallVector<int64_t> shape;
  for (auto [dim, size] : llvm::enumerate(type.getShape())) {
    if (!llvm::is_contained(*axes, static_cast<int64_t>(dim))) {
      shape.push_back(size);
    } else if (!compatible(size, 1)) {
      return fail(location, "squeezes dimension ", dim, " of size ", size);
    }
  }
  types.push_back(RankedTensorType::get(shape, type.getElementType()));
  return success();
}

LogicalResult UnsqueezeOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> location,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &types) {
  RankedTensorType type = rankedType(adaptor.getInput());
  int64_t rank = type.getRank() + adaptor.getAxes().size();
  FailureOr<SmallVector<int64_t>> axes =
      normalizeAxes(location, adaptor.getAxes(), rank);
  if (failed(axes))
    return failure();
  SmallVector<int64_t> shape;
  ArrayRef<int64_t> rest = type.getShape();
  for (int64_t dim = 0; dim < rank; ++dim) {
    if (llvm::is_contained(*axes, dim)) {
      shape.push_back(1);
    } else {
      shape.push_back(rest.front());
      rest = rest.drop_front();
    }
  }
  types.push_back(RankedTensorType::get(shape, type.getElementType()));
  return success();
}

LogicalResult ShapeOp::inferReturnTypes(MLIRContext *context,
                                        std::optional<Location>,
                                        Adaptor adaptor,
                                        SmallVectorImpl<Type> &types) {
  int64_t rank = rankedType(adaptor.getInput()).getRank();
  auto clampDim = [rank](int64_t dim) {
    return std::clamp<int64_t>(dim < 0 ? dim + rank : dim, 0, rank);
  };
  int64_t start = clampDim(adaptor.getStart());
  int64_t end = adaptor.getEnd() ? clampDim(*adaptor.getEnd()) : rank;
  types.push_back(RankedTensorType::get({std::max<int64_t>(end - start, 0)},
                                        IntegerType::get(context, 64)));
  return success();
}

LogicalResult ConstantOfShapeOp::verify() {
  RankedTensorType result = getResult().getType();
  if (getValue().getType() != result.getElementType())
    return emitOpError("value type ")
           << getValue().getType() << " differs from the result element type";
  if (getShape().getType().getDimSize(0) != result.getRank())
    return emitOpError("shape has ")
           << getShape().getType().getDimSize(0) << " entries for result rank "
           << result.getRank();
  return success();
}

LogicalResult RangeOp::verify() {
  Type elementType = getResult().getType().getElementType();
  for (Value operand : getOperands())
    if (rankedType(operand).getRank() != 0 ||
        rankedType(operand).getElementType() != elementType)
      return emitOpError("expects scalar operands of the result element type");
  if (getResult().getType().getRank() != 1)
    return emitOpError("expects a 1-D result");
  return success();
}

LogicalResult TriluOp::verify() {
  if (getInput().getType().getRank() < 2)
    return emitOpError("expects an input of rank >= 2");
  return success();
}
